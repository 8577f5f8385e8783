"""Words and notation a learner can follow (issue 11): one word per idea, names a reader
can place, no jargon, ASCII adjoints apart from partials, one convention for negative
numbers, and references that point at something drawn.

Every check runs the real CLI on a family of programs (drawn with a fixed seed, plus a few
written out), and asks of the output what a learner would: is each v3 a row I can find,
is each `dx` a partial or an adjoint, is -3·-2 written as elsewhere.
"""

import random
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import run_gradcli

from gradcli.core import notation
from gradcli.core.engine import evaluate
from gradcli.core.notation import Notation
from gradcli.language.lower import compile_program

ROOT = Path(__file__).resolve().parent.parent
UNI, ASC = Notation(), Notation(ascii_only=True)
VALUES = {"a": -2.0, "b": 3.0, "c": -0.5}


def nfc(text):
    return unicodedata.normalize("NFC", text)


def _program(rng):
    """A straight-line program over a, b, c: literals (some shared), nested expressions
    (so unnamed steps), values used twice, negative numbers."""
    names, lines = ["a", "b", "c"], []
    for k in range(rng.randint(2, 4)):

        def operand():
            pick = rng.random()
            if pick < 0.25:
                return rng.choice(["2", "3", "0.5"])
            if pick < 0.45:
                return f"{rng.choice(['tanh', 'sigmoid', 'relu'])}({rng.choice(names)})"
            return rng.choice(names)

        expr = f"{operand()} {rng.choice('+-*')} {operand()}"
        if rng.random() < 0.6:
            expr = f"({expr}) {rng.choice('+*')} {operand()}"
        name = rng.choice(["p", "q", "r", "h", "y"]) + ("" if k % 2 else str(k))
        if name in names:
            name += "x"
        lines.append(f"{name} = {expr}")
        names.append(name)
    lines.append(f"out = {names[-1]} * {rng.choice(names[:-1])} + 2")
    return "; ".join(lines)


WRITTEN = [
    "x = a*b; f = 2*x + c",
    "x = a*2; y = b*2; f = x + y",
    "d = a*b; e = a + b; f = d*e",
    "sigmoid(a*x + b*y + c)",
    "q = a*b + 3; q = q*q - c; L = 2*q",
    "e = a*b; d = e + c; f = -2.0; L = d * f",
]
DRAWN = [_program(random.Random(seed)) for seed in range(12)]
PROGRAMS = WRITTEN + DRAWN


def values_for(program):
    tape = compile_program(program)
    return {name: VALUES.get(name, 1.5) for name in tape.inputs}


def args(program):
    return [program] + [f"--{n}={v!r}" for n, v in values_for(program).items()]


def run(cli, *argv):
    r = cli(*argv)
    assert r.exit_code == 0, r.output
    return nfc(r.stdout)


def section(text, start, end=None):
    body = text.split(start, 1)[1]
    return body.split(end, 1)[0] if end else body


def engine(program):
    tape = compile_program(program)
    return tape, evaluate(tape, values_for(program))


# --- one word per idea ----------------------------------------------------------------
@pytest.mark.parametrize("program", PROGRAMS)
def test_a_contribution_is_called_one_everywhere_and_never_a_path_or_a_term(cli, program):
    tape, ev = engine(program)
    counts = {}
    for c in ev.contributions:
        counts[c.input] = counts.get(c.input, 0) + 1
    table = section(run(cli, "eval", *args(program)), "Backward pass", "Result")
    code = run(cli, "code", *args(program))
    walk = run(cli, "explain", *args(program), "--no-pause")
    assert " path" not in table and "term" not in table
    comments = "\n".join(line.split("#", 1)[1] for line in code.splitlines() if "#" in line)
    assert "term" not in comments
    for i, n in counts.items():
        if n < 2:
            continue
        label = tape.label(i)
        for k in range(1, n + 1):
            said = nfc(f"(contribution {k} of {n} to {UNI.bar(label)})")
            assert said in table, (said, table)
            assert said in walk, said
        ident = re.escape("d" + (tape.steps[i].name or label))
        assert re.search(rf"\[contribution {n} of {n} to {ident}_*\]", code), code


def test_the_glossary_is_written_once_and_said_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    words = readme.split("## Words", 1)[1].split("\n## ", 1)[0]
    for word, _ in notation.GLOSSARY:
        assert f"**{word}**" in words, word
    # The README's own prose uses the words as defined: no "path 2, added", no "term 1 of".
    assert "(path " not in readme and "[term " not in readme


# --- names a reader can place ---------------------------------------------------------
@pytest.mark.parametrize("program", PROGRAMS)
def test_every_step_name_shown_is_a_row_of_the_forward_table(cli, program):
    tape, _ = engine(program)
    prefix = re.escape(tape.id_prefix)
    text = run(cli, "eval", *args(program))
    forward = section(text, "Forward pass", "Backward pass")
    rows = re.findall(r"^\s+(\d+)\s+(\S+)\s", forward, re.M)
    assert [int(k) for k, _ in rows] == list(range(1, len(rows) + 1)), forward
    unnamed = [
        int(m.group(1)) for _, name in rows for m in [re.fullmatch(rf"{prefix}(\d+)", name)] if m
    ]
    assert unnamed == list(range(1, len(unnamed) + 1)), forward
    shown = {f"{tape.id_prefix}{k}" for k in unnamed}
    outputs = [
        text,
        run(cli, "explain", *args(program), "--no-pause"),
        run(cli, "code", *args(program)),
        run(cli, "graph", *args(program)),
    ]
    for out in outputs:
        for m in re.finditer(rf"(?<![\w]){prefix}\d+\b", out):
            assert m.group(0) in shown, (m.group(0), out[max(0, m.start() - 80) : m.end() + 40])


@pytest.mark.parametrize("program", PROGRAMS)
def test_explain_names_unnamed_steps_in_the_order_a_reader_meets_them(cli, program):
    tape, _ = engine(program)
    walk = run(cli, "explain", *args(program), "--no-pause")
    forward = section(walk, "Forward pass", "Backward pass")
    met = [int(n) for n in re.findall(rf"^\s+{re.escape(tape.id_prefix)}(\d+) = ", forward, re.M)]
    assert met == list(range(1, len(met) + 1)), forward


def test_a_rebound_output_has_one_name_in_rows_seed_and_result(cli):
    for program in ("g = a*b; g = 3*g", "q = a*b + 3; q = q*q - c; L = q; L += 1"):
        tape, _ = engine(program)
        out = tape.label(tape.output)
        assert out.endswith("'")
        text = run(cli, "eval", *args(program))
        result = section(text, "Result")
        assert re.search(rf"^\s+{re.escape(out)}\s", result, re.M), result
        for name in tape.inputs:
            assert nfc(f"∂{out}/∂{name}") in result, result
        assert nfc(f"seeded with {UNI.bar(out)} = ∂{out}/∂{out} = 1") in text
        walk = section(run(cli, "explain", *args(program), "--no-pause"), "Result")
        assert nfc(f"∂{out}/∂{next(iter(tape.inputs))}") in walk
        fwd = run(cli, "eval", *args(program), "--mode", "forward", "--wrt", "a")
        assert nfc(f"∂{out}/∂a = {UNI.dot(out, 'a')} = ") in fwd
        check = section(run(cli, "eval", *args(program), "--check"), "Gradient check")
        assert nfc(f"∂{out}/∂a") in check, check
        intro = section(
            run(cli, "explain", *args(program), "--no-pause"), "The program", "Forward pass"
        )
        assert nfc(f"the gradient ∂{out}/∂a") in " ".join(intro.split()), intro


# --- the learner's language -----------------------------------------------------------
def _learner_texts(cli):
    from gradcli.tutor.topics import TOPICS

    texts = {
        "lesson": run(cli, "explain", "--no-pause"),
        "lesson ascii": run(cli, "explain", "--no-pause", "--ascii"),
    }
    for name in TOPICS:
        texts[name] = run(cli, "explain", "--topic", name, "--no-pause")
    for program in PROGRAMS[:6]:
        texts[program] = run(cli, "explain", *args(program), "--no-pause")
        texts["eval " + program] = run(cli, "eval", *args(program))
    return texts


def test_no_jargon_in_what_a_learner_reads(cli):
    for what, text in _learner_texts(cli).items():
        low = text.lower()
        assert "registry" not in low, what
        assert "in code often" not in low and "`bx`" not in text, what
        assert not re.search(r"\bbx\b", text), what


def test_the_lesson_says_what_dx_is_called_in_the_sources(cli):
    lesson = run(cli, "explain", "--no-pause")
    step = " ".join(section(lesson, "What `dx` means", "(3/8)").split())
    assert "`dx`" in step and "`x.grad`" in step
    header = [line for line in step.splitlines() if "tutorial (Karpathy)" in line]
    table = section(lesson, "What `dx` means", "(3/8)")
    head = next(line for line in table.splitlines() if "tutorial (Karpathy)" in line)
    assert "answer" not in head.split() and "this lesson" in head, header


@pytest.mark.parametrize("a, b", [(2.0, 3.0), (5.0, -4.0), (-1.0, 7.0)])
def test_the_gate_table_says_max_in_words(cli, a, b):
    lesson = run(cli, "explain", "--no-pause", "--a", repr(a), "--b", repr(b))
    gates = " ".join(section(lesson, "The same rule everywhere", "When a value").split())
    assert "heaviside" not in gates
    assert "(1 where a > b, 0 where a < b, ½ at a tie)" in gates
    assert "(1 where b > a, 0 where b < a, ½ at a tie)" in gates
    topic = " ".join(run(cli, "explain", "--topic", "max-relu", "--no-pause").split())
    assert "that is 1 where a > b, 0 where a < b, ½ at a tie" in topic
    assert "that is 1 where x > 0, 0 where x ≤ 0" in topic


@pytest.mark.parametrize(
    "program, at",
    [
        ("relu(x)*y + abs(z)", {"x": 0, "y": 2, "z": 0.5}),
        ("relu(x - 1e-7) * 3", {"x": 0}),
        ("abs(x - 1e-7) + x", {"x": 0}),
    ],
)
def test_a_kink_verdict_says_what_happens_there(cli, program, at):
    text = run(cli, "eval", program, *[f"--{k}={v}" for k, v in at.items()], "--check")
    check = section(text, "Gradient check")
    assert "expected)" not in check and "wrong (" not in check
    rows = [line for line in check.splitlines() if "differs at a kink" in line]
    assert rows, check
    words = " ".join(check.split())
    assert (
        "the finite difference straddles the kink and averages the slopes on its two sides"
    ) in words


# --- ASCII: adjoints apart from partials ----------------------------------------------
@pytest.mark.parametrize("program", PROGRAMS)
def test_ascii_never_writes_an_adjoint_as_a_bare_d(cli, program):
    tape, ev = engine(program)
    text = run(cli, "eval", *args(program), "--ascii")
    table = section(text, "Backward pass", "Result")
    rows = "\n".join(line for line in table.splitlines() if line.startswith("|"))
    labels = {tape.label(i) for i in range(len(tape.steps))} | set(tape.inputs)
    for label in labels:
        bare = re.search(rf"(?<![\w/]){re.escape('d' + label)}(?![\w'/])", rows)
        assert bare is None, (label, rows)
    for c in ev.contributions:
        # the first contribution is the adjoint (=), each later one is added (+=)
        assert f"grad_{tape.label(c.input)} {'=' if c.count == 1 else '+='} " in rows
    out = tape.label(tape.output)
    legend = " ".join(section(text, "ASCII notation:", "\n*").split())
    assert f"is an adjoint, d{out}/d" in legend and "is a local derivative" in legend


def test_ascii_lesson_and_walk_use_the_same_adjoint_names(cli):
    lesson = run(cli, "explain", "--no-pause", "--ascii")
    assert "grad_a = 3*2 = 6" in lesson and "grad_x" in lesson
    walk = run(cli, "explain", "x = a*b; f = 2*x", "--a", "2", "--b", "3", "--no-pause", "--ascii")
    assert "grad_a = b*grad_x = 3*2 = 6" in walk


# --- one convention for negative numbers ------------------------------------------------
NEG_UNBRACKETED = re.compile(r"[·*]\s?-\d")  # 3·-2: a negative factor bare
NEG_FIRST = re.compile(r"(?:^|= |: )\(-[\d.]+(?:e[-+]?\d+)?\)[·*]")  # (-4)·1 opening


def _negatives_ok(text, what):
    for line in text.splitlines():
        assert not NEG_UNBRACKETED.search(line), (what, line)
        assert not NEG_FIRST.search(line.strip()), (what, line)


@pytest.mark.parametrize("program", PROGRAMS)
def test_negative_factors_are_written_one_way_everywhere(cli, program):
    for argv in (
        ["eval", *args(program)],
        ["explain", *args(program), "--no-pause"],
        ["eval", *args(program), "--mode", "forward", "--wrt", next(iter(values_for(program)))],
        ["eval", *args(program), "--ascii"],
    ):
        _negatives_ok(run(cli, *argv), " ".join(argv[:1] + argv[2:]))


def test_negative_factors_in_the_lessons_and_quiz_feedback(cli, tmp_path):
    _negatives_ok(run(cli, "explain", "--no-pause", "--a", "-3", "--b", "-2"), "lesson")
    for topic in ("chain", "fan-out", "forward-vs-reverse", "sigmoid"):
        _negatives_ok(run(cli, "explain", "--topic", topic, "--no-pause"), topic)
    quiz = tmp_path / "neg.toml"
    quiz.write_text(
        '[[question]]\nid = "da"\nprogram = "x = a * b\\nf = -2 * x"\n'
        'inputs = { a = -3.0, b = -2.0 }\nask = "grad a"\n',
        encoding="utf-8",
    )
    text = nfc(cli("quiz", "--script", str(quiz), "--answers", "-", input="1\n").stdout)
    assert "The chain rule, step by step" in text
    _negatives_ok(text, "quiz")
    assert "-2·(-2)" in text or "-2·1" in text


# --- references point at something drawn ----------------------------------------------
@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("ascii_", [False, True])
def test_every_graph_reference_names_a_node_drawn_above(cli, program, ascii_):
    text = run(cli, "graph", *args(program), *(["--ascii"] if ascii_ else []))
    mark = "^ " if ascii_ else "↑ "
    drawn = []
    for line in text.splitlines():
        body = re.sub(r"^[│├└─|`\- ]*", "", line)
        if body.startswith(mark):
            name = body[len(mark) :].split("   ")[0]
            assert name in drawn, (name, text)
        else:
            title = body.split("   ")[0]
            drawn.append(title.split(" = ")[0])


def test_a_program_of_constants_is_told_as_it_is():
    """Found by the review: `f = 2 * 3 = 2 * 3 = 6` and 'every gradient is 0' with none."""

    out = run_gradcli("explain", "f = 2*3", "--no-pause", env={"COLUMNS": "100"}).stdout
    assert "f = 2 * 3 = 6" in out and "2 * 3 = 2 * 3" not in out
    assert "every gradient is 0" not in out and "the gradient (none)" not in out
    assert "no gradient to find" in out
