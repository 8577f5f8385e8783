"""Every sentence gradcli prints is true of the program it prints about (issue 11).

The output is not always called f: micrograd's lecture calls it L, makemore calls it loss,
a program may call it θ, and a program may use f as an ordinary variable (or rebind it, so
the output is f' and f̄ is the first f's adjoint). Each test below drives the real command
on such programs and reads every sentence it prints for claims about the output:

- ∂X/∂Y (dX/dY in ASCII) is either a local partial (X is a step and Y one of its operands)
  or a gradient of the output, so X is the output; ∂X/∂X is the output's seed;
- where such a gradient is followed by a number, the number is the engine's gradient of
  the real output (or, for an operand of the output's own step, the local partial);
- "seeded with X̄", "X is the output", "how much X moves", "measured on X", "ε·|X|/h"
  name the output as the tables do;
- and the words that speak of the output name it (checked per command).
"""

import json
import math
import re

import pytest

from gradcli.core.engine import evaluate
from gradcli.core.notation import Notation
from gradcli.language.lower import compile_program
from gradcli.tutor.misconceptions import predictions

# Programs of numbers: (program, inputs). Outputs L, loss, out, g, θ; f as a variable
# that is not the output (micrograd's first lecture example, f = a*b; L = 3*f); f rebound,
# so the output is f'; a fan-out and a square, where the multiply note must not take one
# term for the whole gradient.
SCALAR = [
    ("a = 2.0; b = -3.0; c = 10.0; e = a*b; d = e + c; f = -2.0; L = d * f", {}),
    ("f = a*b; L = 3*f", {"a": 2, "b": 3}),
    ("e = w*x - y; loss = e*e", {"w": 0.5, "x": 2, "y": -1}),
    ("h = a*b + c; out = tanh(h)", {"a": 0.5, "b": -1, "c": 0.25}),
    ("g = a*b*c", {"a": 2, "b": 3, "c": 4}),
    ("u = a*b; θ = u*c", {"a": 2, "b": 3, "c": -1}),
    ("f = a*b; f = 3*f", {"a": 2, "b": 3}),
    ("x = a*b; L = x + a", {"a": 2, "b": 3}),
    ("x = a*a; L = x*c", {"a": 2, "c": 3}),
]

X = "[[1, 2], [3, 4]]"
W = "[[1, 0], [2, 1]]"
# Programs on arrays: the issue's `L = sum(X @ W)`, f as a variable, f rebound, θ, and a
# program whose gradient check lands below the estimate's rounding (good*).
TENSOR = [
    ("L = sum(X @ W)", {"X": X, "W": W}),
    ("f = X @ W; L = sum(f * f)", {"X": X, "W": W}),
    ("f = sum(X @ W); f = 2*f", {"X": X, "W": W}),
    ("θ = sum(X * W)", {"X": X, "W": W}),
    ("L = sum(X*X) + 100000000", {"X": "[1, 2]"}),
]

NAME = r"[\w']+"
PARTIAL = {
    False: re.compile(rf"∂({NAME})/∂({NAME})"),
    True: re.compile(rf"(?<![\w']){'d'}({NAME})/d({NAME})"),
}
NUMBER = re.compile(r"\s*=\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?=\s|$|[,;)]|\.(?!\d))")
GENERIC = {"v", "top"}  # placeholders: tangents v̇ = ∂v/∂a, partial(top, bottom)


def output_label(tape):
    """The output as the tables name it: L, or f' where the program rebinds f."""
    return tape.label(tape.output)


def args_of(program, inputs):
    out = [program]
    for name, value in inputs.items():
        out.append(f"{name}={value}")
    return out


def tape_and_ev(program, inputs):
    values = {n: (json.loads(v) if isinstance(v, str) else float(v)) for n, v in inputs.items()}
    tape = compile_program(program, tuple(values))
    return tape, evaluate(tape, values)


def parsed(program, inputs):
    tape, ev = tape_and_ev(program, inputs)
    labels = {tape.label(i): i for i in range(len(tape))}
    for name, i in tape.inputs.items():
        labels.setdefault(name, i)
    return tape, ev, labels


def wrong_claims(text, program, inputs, ascii_=False, wrt=None):
    """The sentences of `text` that misname the output or state a wrong gradient. With
    `wrt` (forward mode), ∂v/∂wrt of any step v is its tangent, a true claim too."""
    tape, ev, labels = parsed(program, inputs)
    out_label, out_name = output_label(tape), tape.output_name
    outs = {out_label, out_name}
    scalar = not tape.tensor
    bad = []
    for m in PARTIAL[ascii_].finditer(text):
        top, bottom = m.group(1), m.group(2)
        where = text[max(0, m.start() - 60) : m.end() + 40].replace("\n", " ")
        if top in GENERIC and top not in labels:
            continue
        if wrt is not None and bottom == wrt and top in labels and top not in outs:
            continue  # forward mode's tangent of the step `top`
        if top == bottom:
            if top != out_label:
                bad.append(f"seed of {top}, but the output is {out_label}: {where!r}")
            continue
        step = labels.get(top)
        operands = set()
        if step is not None:
            operands = {tape.operand(a) for a in tape.steps[step].args} | {
                tape.label(a) for a in tape.steps[step].args
            }
        if bottom in operands and top not in outs:
            continue  # a local partial of the step `top`
        if top not in outs:
            bad.append(f"∂{top}/∂{bottom} as a gradient, but the output is {out_label}: {where!r}")
            continue
        number = NUMBER.match(text, m.end())
        if number and scalar and bottom in labels:
            said = float(number.group(1))
            # The gradient, or the local partial where `top` also names a step with the
            # operand `bottom` (the output's own step, or the first f where f is rebound).
            truths = [ev.adjoints[labels[bottom]]]
            truths += [
                c.local
                for c in ev.contributions
                if tape.label(c.node) == top and tape.label(c.input) == bottom
            ]
            if not any(math.isclose(said, t, rel_tol=1e-5, abs_tol=1e-9) for t in truths):
                bad.append(f"∂{top}/∂{bottom} = {said}, but the engine's is {truths[0]}: {where!r}")
    phrases = [
        (rf"how much ({NAME}) (?:moves|changes)", outs),
        (rf"[Mm]easured on ({NAME})", outs),
        (rf"ε·\|({NAME})\|/h", outs),
        (rf"\(({NAME})\(\+h\)", outs),
        (rf"({NAME}) is the output", {out_label}),
    ]
    if not ascii_:
        phrases += [
            (rf"seeded with ({NAME})\u0304", {out_label}),
            (rf"output back, ({NAME})\u0304 = 1", {out_label}),
            (rf"starts with ({NAME})\u0304 = ", {out_label}),
        ]
    for pattern, allowed in phrases:
        for m in re.finditer(pattern, text):
            if m.group(1) not in allowed:
                where = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
                bad.append(
                    f"{m.group(0)!r} names {m.group(1)}, the output is {out_label}: {where!r}"
                )
    return bad


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def notes_of(text):
    """The sentences under eval's backward table (• or * bullets), each on one line."""
    body = text.split("Backward pass", 1)[-1].split("Result", 1)[0]
    return [" ".join(n.split()) for n in re.split(r"\n[•*] ", "\n" + body)[1:]]


def multiply_note_is_one_term(note, program, inputs, nt):
    """`why ȳ = k·x̄ ... The gradient ∂out/∂y is ... k·x̄`: true only when that term is
    all of ∂out/∂y, that is, y's adjoint is that one contribution."""
    tape, ev, labels = parsed(program, inputs)
    m = re.match(r"why (\S+) = .*?(?:·|\*)(\S+) and not", note)
    receiving, sender = m.group(1), m.group(2)

    def name(bar):  # the value under an adjoint: grad_x or x̄ → x
        return bar[len("grad_") :] if nt.ascii else bar[:-1]

    got = [
        c
        for c in ev.contributions
        if tape.label(c.input) == name(receiving) and tape.label(c.node) == name(sender)
    ]
    assert got, note
    return math.isclose(got[0].contribution, ev.adjoints[got[0].input], rel_tol=1e-12)


# --- gradcli eval ----------------------------------------------------------------------
@pytest.mark.parametrize("ascii_", [False, True], ids=["unicode", "ascii"])
def test_eval_notes_and_seed_name_the_real_output(cli, ascii_):
    nt = Notation(ascii_only=ascii_)
    flags = ["--ascii"] if ascii_ else []
    found = []
    for program, inputs in SCALAR + TENSOR:
        text = run(cli, "eval", *args_of(program, inputs), *flags)
        found += wrong_claims(text, program, inputs, ascii_)
        tape, ev = tape_and_ev(program, inputs)
        out = output_label(tape)
        seed = f"seeded with {nt.bar(out)} = {nt.partial(out, out)} = 1"
        if seed not in " ".join(text.split()):
            found.append(f"{program}: no {seed!r}")
        for note in notes_of(text):
            if not note.startswith("why ") or tape.tensor:
                continue
            if f"The gradient {nt.partial(out, '')}" not in note:
                found.append(f"{program}: the note does not name {out}: {note!r}")
            if not multiply_note_is_one_term(note, program, inputs, nt):
                found.append(f"{program}: the note takes one term for the whole gradient: {note!r}")
    assert not found, "\n".join(found)


def test_eval_grad_only_and_json_name_the_output(cli):
    found = []
    for program, inputs in SCALAR + TENSOR:
        text = run(cli, "eval", *args_of(program, inputs), "--grad-only")
        found += wrong_claims(text, program, inputs)
        doc = json.loads(run(cli, "eval", *args_of(program, inputs), "--json"))
        tape, _ = tape_and_ev(program, inputs)
        assert doc["output"] == tape.output_name
    # The micrograd example's numbers, as the lecture gives them.
    text = run(cli, "eval", SCALAR[0][0], "--grad-only")
    for line in ("L = -8", "∂L/∂a = 6", "∂L/∂b = -4", "∂L/∂c = -2", "∂L/∂f = 4"):
        assert line in text
    # Now the notes under the full tables: the micrograd example's, word for word.
    notes = notes_of(run(cli, "eval", SCALAR[0][0]))
    assert any("The gradient ∂L/∂d is that change per unit of h: f·L̄." in n for n in notes)
    assert not found, "\n".join(found)


TENSOR_FAN_OUT = [  # X and W used twice: their adjoints are sums of two terms
    ("Y = X @ W; L = sum(Y) + sum(X * W)", {"X": X, "W": W}),
    ("Y = X * W; L = sum(Y) + sum(X)", {"X": X, "W": W}),
    ("L = sum(X @ W)", {"X": X, "W": W}),
]


def test_tensor_notes_call_a_term_the_whole_adjoint_only_where_it_is(cli):
    found = []
    for program, inputs in TENSOR_FAN_OUT:
        tape, ev, labels = parsed(program, inputs)
        terms = {}
        for c in ev.contributions:
            terms[tape.label(c.input)] = terms.get(tape.label(c.input), 0) + 1
        text = " ".join(run(cli, "eval", *args_of(program, inputs)).split())
        whole = [m.group(1) for m in re.finditer(rf"({NAME})\u0304\[k, j\] = ", text)]
        whole += [m.group(1) for m in re.finditer(rf"Likewise ({NAME})\u0304 = ", text)]
        whole += [
            m.group(1)
            for m in re.finditer(
                rf"why ({NAME})\u0304 \+= [^:]*: nudging one entry[^;]*; so the gradient is", text
            )
        ]
        for name in whole:
            if terms.get(name, 0) != 1:
                found.append(
                    f"{program}: a note gives {name}̄ as one term, but it is the sum "
                    f"of {terms.get(name, 0)}"
                )
        found += wrong_claims(text, program, inputs)
    assert not found, "\n".join(found)


# --- forward mode and the gradient check ---------------------------------------------------
@pytest.mark.parametrize("ascii_", [False, True], ids=["unicode", "ascii"])
def test_forward_mode_names_the_output_tangent_as_its_row_does(cli, ascii_):
    nt = Notation(ascii_only=ascii_)
    flags = ["--ascii"] if ascii_ else []
    found = []
    for program, inputs in SCALAR:
        tape, ev = tape_and_ev(program, inputs)
        wrt = next(iter(tape.inputs))
        for mode in ("forward", "both"):
            text = run(cli, "eval", *args_of(program, inputs), "--mode", mode, "--wrt", wrt, *flags)
            found += wrong_claims(text, program, inputs, ascii_, wrt)
            # `∂L/∂a = L̇ = 6`: the tangent of the output's own row, the engine's number,
            # named as that row names the output (∂f'/∂a = ḟ' where f is rebound).
            tangent = nt.dot(output_label(tape), wrt)
            line = f"{nt.partial(output_label(tape), wrt)} = {tangent} = "
            if line not in text:
                found.append(f"{program} ({mode}): no {line!r}")
            if mode == "both" and f"(tangent {tangent})" not in text:
                found.append(f"{program}: the agreement does not name {tangent}")
        text = run(
            cli,
            "eval",
            *args_of(program, inputs),
            "--mode",
            "forward",
            "--wrt",
            wrt,
            "--grad-only",
            *flags,
        )
        found += wrong_claims(text, program, inputs, ascii_, wrt)
    assert not found, "\n".join(found)


def test_gradient_check_names_the_output(cli):
    found = []
    for program, inputs in SCALAR + TENSOR:
        text = run(cli, "eval", *args_of(program, inputs), "--check")
        found += wrong_claims(text, program, inputs)
        text = run(cli, "eval", *args_of(program, inputs), "--check", "--grad-only")
        found += wrong_claims(text, program, inputs)
    # The array check's good* line speaks of the output's own value: ε·|L|/h.
    text = run(cli, "eval", *args_of(*TENSOR[-1]), "--check", "--grad-only")
    assert "good*" in text and "ε·|L|/h" in text
    assert not found, "\n".join(found)


# --- gradcli explain PROGRAM -------------------------------------------------------------
@pytest.mark.parametrize("ascii_", [False, True], ids=["unicode", "ascii"])
def test_explain_walks_name_the_real_output(cli, ascii_):
    nt = Notation(ascii_only=ascii_)
    flags = ["--ascii"] if ascii_ else []
    found = []
    for program, inputs in SCALAR + TENSOR:
        text = run(cli, "explain", *args_of(program, inputs), "--no-pause", *flags)
        found += wrong_claims(text, program, inputs, ascii_)
        tape, _ = tape_and_ev(program, inputs)
        out = output_label(tape)
        start = f"It starts with {nt.bar(out)} = {nt.partial(out, out)} = 1"
        if start not in " ".join(text.split()):
            found.append(f"{program}: no {start!r}")
        if f"{out} is the output (the seed)" not in " ".join(text.split()):
            found.append(f"{program}: the output's own step is not called the output")
    assert not found, "\n".join(found)


# --- gradcli code ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["python", "js", "numpy"])
def test_generated_code_names_the_adjoint_it_seeds(cli, lang):
    found = []
    programs = SCALAR + (TENSOR if lang == "numpy" else [])
    for program, inputs in programs:
        code = run(cli, "code", *args_of(program, inputs), "--lang", lang)
        found += wrong_claims(code, program, inputs, ascii_=True)
        found += wrong_claims(code, program, inputs)
        # "d<name> holds the adjoint dL/d<name>": dL is the variable the code sets to 1.
        held = re.search(r"holds the adjoint d(\S+)/d<name>", code)
        if held is None:
            found.append(f"{program}: no 'holds the adjoint' line")
            continue
        seeded = re.search(
            rf"^(?:let |var |const )?d{re.escape(held.group(1))} = 1(?:\.0)?;?\s", code, re.M
        )
        if seeded is None:
            found.append(
                f"{program} ({lang}): d{held.group(1)}/d<name> is said, but "
                f"d{held.group(1)} is not the adjoint seeded with 1"
            )
    assert not found, "\n".join(found)


# --- gradcli graph -----------------------------------------------------------------------
def test_graph_says_nothing_untrue_about_the_output(cli):
    # A guard: the graph was already right on main (its edges carry local partials only).
    found = []
    for program, inputs in SCALAR + TENSOR:
        for fmt_ in ("tree", "dot", "mermaid"):
            for flags in ([], ["--ascii"]):
                text = run(cli, "graph", *args_of(program, inputs), "--format", fmt_, *flags)
                found += wrong_claims(text, program, inputs, ascii_=bool(flags))
    assert not found, "\n".join(found)


# --- gradcli quiz (scripted) ---------------------------------------------------------------
QUIZ = [  # (program, inputs, ask): programs of SCALAR, asked where the slips show
    ("a = 2.0; b = -3.0; c = 10.0; e = a*b; d = e + c; f = -2.0; L = d * f", {}, "grad a"),
    ("a = 2.0; b = -3.0; c = 10.0; e = a*b; d = e + c; f = -2.0; L = d * f", {}, "adjoint e"),
    ("f = a*b\nL = 3*f", {"a": 2, "b": 3}, "grad a"),
    ("f = a*b\nL = 3*f", {"a": 2, "b": 3}, "adjoint f"),
    ("f = a*b\nf = 3*f", {"a": 2, "b": 3}, "adjoint f"),
    ("f = a*b\nf = 3*f", {"a": 2, "b": 5}, "grad a"),
    ("u = a*b\nθ = u*c", {"a": 2, "b": 3, "c": -2}, "grad a"),
    ("e = w*x - y\nloss = e*e", {"w": 0.5, "x": 2, "y": -1}, "grad w"),
    ("f = a*b\nf = 3*(f*c)", {"a": 2, "b": 3, "c": 1}, "adjoint f"),  # a hint via (f * c)
]
SLIPS = ("divided-instead-of-multiplied", "forward-value-instead-of-gradient")


def _quiz_file(tmp_path):
    from gradcli.tutor.quiz import Question

    blocks, answers, expect = [], [], []
    for k, (program, inputs, ask) in enumerate(QUIZ):
        q = Question(f"q{k}", program, {n: float(v) for n, v in inputs.items()}, ask)
        for slip in SLIPS:
            wrong = [p for p in predictions(q.situation) if p.id == slip]
            if not wrong:
                continue
            table = ", ".join(f"{n} = {v}" for n, v in inputs.items())
            program_toml = program.replace("\n", "\\n")
            blocks.append(
                f'[[question]]\nid = "q{k}-{slip}"\nprogram = "{program_toml}"\n'
                f'inputs = {{ {table} }}\nask = "{ask}"\n'
            )
            answers += ["hint", repr(wrong[0].value)]
            expect.append((program, inputs, q, slip))
    path = tmp_path / "words.toml"
    path.write_text('title = "true words"\n' + "\n".join(blocks), encoding="utf-8")
    return str(path), "\n".join(answers) + "\n", expect


@pytest.mark.parametrize("ascii_", [False, True], ids=["unicode", "ascii"])
def test_quiz_feedback_names_the_real_output(cli, tmp_path, ascii_):
    nt = Notation(ascii_only=ascii_)
    path, answers, expect = _quiz_file(tmp_path)
    assert {slip for *_, slip in expect} == set(SLIPS)
    flags = ["--ascii"] if ascii_ else []
    result = cli("quiz", "--script", path, "--answers", "-", *flags, input=answers)
    assert result.exit_code == 0, result.output
    text = result.stdout
    # One question's feedback at a time: from its prompt to the next one.
    parts = re.split(r"\n(?=.*Question \d+ of)", text)[1:] or [text]
    assert len(parts) == len(expect), text
    found = []
    for part, (program, inputs, q, slip) in zip(parts, expect):
        found += wrong_claims(part, program, inputs, ascii_)
        assert f"[{slip}]" in part, part
        out = output_label(q.tape)
        if nt.partial(out, q.name) not in part:
            found.append(f"{program} ({q.ask}, {slip}): {nt.partial(out, q.name)} not said")
        # The hint writes an unnamed step's adjoint as ∂out/∂(f * c).
        for m in re.finditer(r"[∂d]([\w']+)/[∂d]\(", part):
            if m.group(1) != out:
                found.append(f"{program}: the hint writes {m.group(0)}…, the output is {out}")
    assert not found, "\n".join(found)


# --- the lessons' helpers, on programs whose output is not f ------------------------------
def test_lesson_helpers_take_the_output_from_the_program():
    from gradcli.tutor.topics import chains, check_table
    from gradcli.tutor.topics import run as run_topic
    from gradcli.tutor.walkthrough import Step

    nt = Notation()
    for source, values in (
        ("u = a*b\nL = 2*u", {"a": 2.0, "b": 3.0}),
        ("f = a*b\nf = 3*f", {"a": 2.0, "b": 3.0}),
    ):
        ev = run_topic(source, values)
        tape = ev.tape
        s = check_table(Step("t"), ev, nt)
        table = s.blocks[-1]
        name = tape.output_name
        assert table.columns[2] == f"measured: ({name}(+h) − {name}(−h))/2h", table.columns
        text = chains(Step("t"), ev, nt).text()
        assert text.count(f"∂{output_label(tape)}/∂") == len(tape.inputs), text
