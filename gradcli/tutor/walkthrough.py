"""Walkthroughs as data: a list of Steps built from an evaluation, for any renderer.

A Step is a short screen: a title and blocks (paragraphs, formula lines, one small
table). Nothing here prints; every number comes from the engine's values, adjoints,
contributions or the op registry's partials, never from text typed here.
"""

from __future__ import annotations

import itertools
import math
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from ..core.engine import Evaluation, forward
from ..core.notation import Notation, added, bare_start, fmt, full, product
from ..core.tape import Tape
from ..core.visible import visible
from ..report.rows import backward_row, contribution_counts, result_rows

PATH_LIMIT = 20  # more paths than this are summarised, not listed
NODE_LIMIT = 40  # backward steps shown one node per screen; the rest in one table
FACTOR_LIMIT = 8  # a longer path shows its first and last three factors
FORWARD_LIMIT = 200
_ATOM = re.compile(r"-?[\w.]+")
_CALL = re.compile(r"\w+\(")


@dataclass
class Lines:
    """Formulas or code, shown as written, one per line."""

    lines: list


@dataclass
class Commands(Lines):
    """Shell commands for the reader to paste (and `# ...` lines saying what each does):
    every line is printed whole, on a line of its own, never wrapped or cut (a long one
    runs past the width; the terminal folds it on screen, and a paste gets it whole)."""


@dataclass
class Table:
    columns: tuple
    rows: list


@dataclass
class Step:
    title: str
    blocks: list = field(default_factory=list)  # str (a paragraph), Lines, Commands, Table

    def say(self, *paragraphs: str) -> Step:
        self.blocks.extend(paragraphs)
        return self

    def show(self, *lines: str) -> Step:
        self.blocks.append(Lines(list(lines)))
        return self

    def run(self, *commands: str) -> Step:
        self.blocks.append(Commands(list(commands)))
        return self

    def table(self, columns, rows) -> Step:
        self.blocks.append(Table(tuple(columns), [tuple(r) for r in rows]))
        return self

    def text(self) -> str:
        """Everything in the step as plain text (for tests and search)."""
        parts = [self.title]
        for b in self.blocks:
            if isinstance(b, str):
                parts.append(b)
            elif isinstance(b, Lines):
                parts.extend(b.lines)
            else:
                parts.append(" | ".join(b.columns))
                parts.extend(" | ".join(r) for r in b.rows)
        return "\n".join(parts)


# --- small helpers shared by the lessons -----------------------------------------------
def num(x: float) -> str:
    """A number as a factor in a product: negative ones in parentheses."""
    return f"({fmt(x)})" if x < 0 else fmt(x)


def factor(text: str) -> str:
    """A rule's text as a factor in a product: parenthesised unless it is one atom or call."""
    if _ATOM.fullmatch(text) or (_CALL.match(text) and _closes_at_end(text)):
        return text
    if text.startswith("(") and _closes_at_end(text):
        return text  # already in parentheses: (-2)
    return f"({text})"


_STEP_TIE = re.compile(r"heaviside\((.+?) [−-] (.+?), 0\.5\)")
_STEP_ZERO = re.compile(r"heaviside\((.+?), 0\)")


def in_words(rule: str) -> str:
    """A rule that is a step function, said in words for a learner (`heaviside(a − b,
    0.5)` is 1 where a > b, 0 where a < b, ½ at a tie); any other rule as it is."""
    m = _STEP_TIE.fullmatch(rule)
    if m:
        a, b = m.groups()
        return f"(1 where {a} > {b}, 0 where {a} < {b}, ½ at a tie)"
    m = _STEP_ZERO.fullmatch(rule)
    if m:
        return f"(1 where {m.group(1)} > 0, 0 where {m.group(1)} ≤ 0)"
    return rule


def _closes_at_end(text: str) -> bool:
    depth = 0
    for k, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch == ")":
            return k == len(text) - 1
    return False


def output_at(tape: Tape, inputs: dict) -> float:
    return forward(tape, inputs)[tape.output]


def central_difference(tape: Tape, inputs: dict, name: str, h: float = 1e-6) -> float:
    """∂out/∂name measured on the output itself: (out(name+h) − out(name−h)) / 2h."""
    up = dict(inputs, **{name: inputs[name] + h})
    down = dict(inputs, **{name: inputs[name] - h})
    return (output_at(tape, up) - output_at(tape, down)) / (2 * h)


def substituted(tape: Tape, values: list, i: int) -> str:
    """Step i's right-hand side with its operands' values: `2 * 3`, `sigmoid(2)`."""
    return bare_start(tape.expression(i, lambda a: num(values[a])))


def local_partials(tape: Tape, values: list, i: int) -> tuple:
    """The registry's local partials of step i at these values."""
    step = tape.steps[i]
    return step.op.partials(*[values[a] for a in step.args], values[i])


# --- paths from an input to the output ---------------------------------------------------
def output_index(tape: Tape) -> int:
    """The output's step index; the tape may hold -1 ("the last step"), as for `f = 3`."""
    return tape.output % len(tape.steps)


def count_paths(tape: Tape, cap: int = PATH_LIMIT + 1) -> list:
    """How many paths lead from each step to the output (capped, so it never blows up)."""
    out = output_index(tape)
    paths = [0] * (out + 1)
    paths[out] = 1
    for i in range(out, -1, -1):
        p = paths[i]
        if p:
            for a in tape.steps[i].args:
                paths[a] = min(cap, paths[a] + p)
    return paths


def enumerate_paths(tape: Tape, start: int, paths: list) -> list:
    """Every path from `start` up to the output as a list of (node, operand position).

    Iterative depth-first search with an explicit stack: programs can be 10k deep.
    Call only when paths[start] is small.
    """
    out = output_index(tape)
    consumers: list[list] = [[] for _ in range(out + 1)]
    for i in range(out + 1):
        for pos, a in enumerate(tape.steps[i].args):
            consumers[a].append((i, pos))
    found: list[list] = [[]] if start == out else []
    path: list = []
    stack = [iter(consumers[start])]
    while stack:
        edge = next(stack[-1], None)
        if edge is None:
            stack.pop()
            if path:
                path.pop()
            continue
        node = edge[0]
        if not paths[node]:
            continue
        path.append(edge)
        if node == out:
            found.append(list(path))
            path.pop()
        else:
            stack.append(iter(consumers[node]))
    return found


@dataclass
class Chain:
    """∂out/∂input as a sum over paths of products of local derivatives."""

    name: str
    count: int  # capped at PATH_LIMIT + 1
    # Per path: [(rule text, local value)], and its product; both empty when summarised
    # (no path, or more than PATH_LIMIT).
    terms: list
    products: list
    gradient: float
    paths: Optional[list] = None  # per path: [(node, operand position)], input first


def chain_of(ev: Evaluation, name: str, nt: Notation, paths: Optional[list] = None) -> Chain:
    tape = ev.tape
    start = tape.inputs[name]
    paths = paths if paths is not None else count_paths(tape)
    count = paths[start] if start < len(paths) else 0
    if count == 0 or count > PATH_LIMIT:
        return Chain(name, count, [], [], ev.adjoints[start])
    partials: dict = {}
    terms: list = []
    products: list = []
    found = enumerate_paths(tape, start, paths)
    for path in found:
        factors = []
        for node, pos in path:
            if node not in partials:
                partials[node] = local_partials(tape, ev.values, node)
            factors.append((factor(nt.math(tape.rule(node, pos))), partials[node][pos]))
        terms.append(factors)
        products.append(_path_product(tape, ev.values, path, partials))
    return Chain(name, count, terms, products, ev.adjoints[start], found)


def _path_product(tape: Tape, values: list, path: list, partials: dict) -> float:
    """One path's share of the gradient: the op contract's VJP applied along it from the
    output down, as the reverse sweep does (so a branch relu or max did not take gives
    exactly 0 even past an infinite slope, where a plain product would give nan)."""
    g = 1.0
    for node, pos in reversed(path):
        step = tape.steps[node]
        g = step.op.vjp_term(
            pos, partials[node][pos], g, values[node], [values[a] for a in step.args]
        )
    return g


def _elide(parts: list, times: str) -> str:
    if len(parts) <= FACTOR_LIMIT:
        return product(parts, times)
    k = 3
    return (
        product(parts[:k], times)
        + f"{times}…{times}"
        + times.join(f"({p})" if p.startswith("-") else p for p in parts[-k:])
        + f" ({len(parts)} factors)"
    )


def path_sum(chain: Chain) -> float:
    """The paths' products added as floats, left to right, as the lines show them."""
    total = chain.products[0]
    for p in chain.products[1:]:
        total = total + p
    return total


def sum_agrees(chain: Chain) -> bool:
    """Whether `= p1 + p2 + ... = gradient` is true of the floats: the sum in the order
    shown equals the sweep's gradient exactly (nan as nan), or differs from it by no more
    than float rounding of the largest term (n·(n + L) units in its last place, for n
    paths of at most L factors: two orders of the same multiplications and additions
    can differ by that much) and the difference does not show in the six digits printed.
    The sweep adds at each fan-out before multiplying, so the two orders differ."""
    total, g = path_sum(chain), chain.gradient
    if total == g or (total != total and g != g):
        return True
    if not all(math.isfinite(x) for x in chain.products + [total, g]):
        return False
    n, longest = len(chain.products), max(len(t) for t in chain.terms)
    rounding = n * (n + longest) * _EPS * max(abs(p) for p in chain.products)
    return abs(total - g) <= rounding and fmt(total) == fmt(g)


_EPS = 2.0**-52  # a unit in the last place of 1


def _cancels(chain: Chain) -> bool:
    """The terms cancel to below the six digits printed: 3 + (-2.999999999997)."""
    big = max(abs(p) for p in chain.products)
    return math.isfinite(big) and math.isfinite(chain.gradient) and big >= 1e5 * abs(chain.gradient)


def _num_full(x: float) -> str:
    return f"({full(x)})" if x < 0 else full(x)


def chain_lines(chain: Chain, out: str, nt: Notation) -> list:
    """The three lines: symbolic path terms, values substituted, the number.

    When the paths' products, added as floats in the order shown, do not give the
    sweep's gradient (`sum_agrees`), the lines are headed Σ over paths and end with what
    that sum gives; `_chain_step` says why and what the sweep gives."""
    head = f"{nt.partial(out, chain.name)} = "
    number = fmt(chain.gradient)
    sides = []
    if chain.terms:
        agree = sum_agrees(chain)
        # Where the terms cancel, every digit counts: 3 + (-3) = 3e-12 would be untrue.
        show = _num_full if (not agree or _cancels(chain)) else num
        if not agree:
            head = nt.text("Σ over paths = ")  # "sum over paths" in ASCII, aligned
            number = (full if show is _num_full else fmt)(path_sum(chain))
        sides.append(
            " + ".join(_elide([t for t, _ in term], nt.times) or "1" for term in chain.terms)
        )
        sides.append(
            added(_elide([show(v) for _, v in term], nt.times) or "1" for term in chain.terms)
        )
        if len(chain.terms) > 1 or not agree:
            sides.append(added(show(p) for p in chain.products))
    sides.append(number)
    shown = [side for k, side in enumerate(sides) if k == 0 or side != sides[k - 1]]
    pad = " " * (len(head) - 2) + "= "
    return [head + shown[0]] + [pad + side for side in shown[1:]]


def chain_notes(ev: Evaluation, chain: Chain, nt: Notation) -> list:
    """What is true when the sum over paths, in floats, is not the sweep's gradient; and
    where a closed gate gives a path exactly 0 past an infinite slope. Paragraphs."""
    if not chain.terms:
        return []
    notes = _gate_notes(ev, chain, nt)
    if sum_agrees(chain):
        return notes
    tape, values = ev.tape, ev.values
    total, g = path_sum(chain), chain.gradient
    sweep = (
        f"the reverse sweep, which adds the contributions at each step before multiplying (the "
        f"order PyTorch uses), gives {nt.bar(chain.name)} = {full(g)}"
    )
    finite = all(math.isfinite(x) for x in chain.products + [total, g])
    if finite:
        big = max(abs(p) for p in chain.products)
        if big > 2 * max(abs(total), abs(g)):
            notes.append(
                f"The terms cancel: the largest is {fmt(big)}, and float rounding of "
                f"a number that size (about {fmt(math.ulp(big))}) shows in the digits "
                f"of what is left. So the sum as written gives {full(total)} while "
                f"{sweep}."
            )
        else:
            notes.append(
                f"Float rounding: the sum as written gives {full(total)} while "
                f"{sweep}; they differ by {fmt(abs(total - g))}, in the last digits."
            )
        return notes
    slopes, events = _not_finite(tape, values, chain, nt)
    said = "The paths' products are not all finite numbers"
    said += f": {'; '.join(slopes)}." if slopes else "."
    if events:
        said += f" In IEEE float arithmetic {', and '.join(events)}"
        said += (
            ", so the sum over paths is not defined as a number: added as floats in the "
            "order shown it gives nan."
            if total != total
            else f"; added as floats in the order shown the products give {fmt(total)}."
        )
    else:
        said += f" Added as floats in the order shown they give {fmt(total)}."
    notes.append(
        f"{said} The reverse sweep, which adds the contributions at each step before "
        f"multiplying (the order PyTorch uses), gives {nt.bar(chain.name)} = {fmt(g)}."
    )
    return notes


def _step_text(tape: Tape, values: list, node: int) -> str:
    """`step v = sqrt(x), where x = 0`: a step and its operands' values."""
    step = tape.steps[node]
    at = []
    for a in dict.fromkeys(step.args):
        if not (tape.is_const(a) and tape.steps[a].name is None):
            at.append(f"{tape.label(a)} = {fmt(values[a])}")
    return f"step {tape.label(node)} = {tape.expression(node)}" + (
        f", where {', '.join(at)}" if at else ""
    )


def _not_finite(tape: Tape, values: list, chain: Chain, nt: Notation) -> tuple:
    """Why the products are not all finite, in this program's terms: the local
    derivatives that are not finite, then what IEEE arithmetic makes of them."""
    slopes, seen = [], set()
    for path, term in zip(chain.paths or (), chain.terms):
        for (node, pos), (_, local) in zip(path, term):
            if math.isfinite(local) or (node, pos) in seen:
                continue
            seen.add((node, pos))
            step = tape.steps[node]
            why = step.op.singular(*[values[a] for a in step.args]) if step.op.singular else None
            kind = "an infinite slope" if local == local else "an undefined slope"
            slopes.append(
                f"{kind} at {_step_text(tape, values, node)}: "
                f"{nt.math(tape.rule(node, pos))} = {fmt(local)}" + (f" ({why})" if why else "")
            )
    events = []
    many = len(chain.products) > 1
    for k, (term, p) in enumerate(zip(chain.terms, chain.products), 1):
        locals_ = [v for _, v in term]
        which = f"path {k}'s product" if many else "the product"
        if p != p and 0 in locals_ and any(math.isinf(v) for v in locals_):
            events.append(f"{which} is 0·inf = nan")
        elif math.isinf(p) and all(math.isfinite(v) for v in locals_):
            events.append(f"{which} overflows to {fmt(p)}")
    if {math.inf, -math.inf} <= set(chain.products):
        events.append("inf + (-inf) = nan")
    return slopes, events


def _gate_notes(ev: Evaluation, chain: Chain, nt: Notation) -> list:
    """A path through relu's, max's or min's closed gate carries exactly 0 (PyTorch masks
    the term), where multiplying its factors as shown would give 0·inf = nan."""
    tape, values = ev.tape, ev.values
    notes = []
    for k, (path, term, p) in enumerate(zip(chain.paths or (), chain.terms, chain.products), 1):
        plain = math.prod(v for _, v in term)
        if math.isfinite(plain) or p != 0:
            continue
        for (node, pos), (rule, local) in zip(path, term):
            step = tape.steps[node]
            if step.op.gates and step.op.gate(pos, local, [values[a] for a in step.args]) == 0:
                which = f"Path {k}" if len(chain.terms) > 1 else "The path"
                shown = bare_start(_elide([num(v) for _, v in term], nt.times))
                notes.append(
                    f"{which} passes a closed gate at {_step_text(tape, values, node)} "
                    f"({rule} = {fmt(local)}): as in PyTorch, which masks the contribution "
                    f"there rather than multiplying, it carries exactly 0, where "
                    f"multiplying its factors as shown, {shown}, would give "
                    f"{fmt(plain)}."
                )
                break
    return notes


# --- any program, walked -----------------------------------------------------------------
def walk(
    ev: Evaluation,
    nt: Notation,
    output: Optional[str] = None,
    eval_options: Optional[list] = None,
    origin: Optional[Origin] = None,
) -> list:
    """The walkthrough's steps. `eval_options`: every option `gradcli eval` reads
    (`--json`, `-f`, ...), so that the closing command gives an input of that name as
    `name=value`; None writes every value so. `origin`: where the program came from, for
    the closing command. A program on arrays has its own walk (tensor_walk.py): shapes,
    the registry's VJPs, broadcasts summed back."""
    if ev.tape.tensor:
        from .tensor_walk import walk_tensor

        return walk_tensor(ev, nt, output, eval_options, origin)
    tape = ev.tape
    steps = [_program_step(ev, nt), _forward_step(ev, nt)]
    steps += _backward_steps(ev, nt)
    paths = count_paths(tape)
    for name in tape.inputs:
        steps.append(_chain_step(ev, name, nt, paths))
    result = Step("Result").table(("", "value"), result_rows(ev, nt))
    result.blocks += closing_command(
        ev, output, eval_options, origin, "shows the same numbers as tables"
    )
    steps.append(result)
    return steps


@dataclass(frozen=True)
class Origin:
    """Where a program came from, for the command a walkthrough ends with: a file
    (`-f FILE`; None for text on the command line or standard input), and --from when it
    was given (None: eval reads the program the way explain did without it)."""

    file: Optional[str] = None
    read_as: Optional[str] = None


# A file name for a program that has none, by how it was read; "auto" reads a .txt file
# as explain read the text (gradcli's language first, then what the code looks like).
_SAVE_AS = {"gradcli": "program.grad", "python": "program.py", "js": "program.js"}
COMMAND_LIMIT = 120  # a longer command is described, not printed


def closing_command(
    ev: Evaluation,
    output: Optional[str],
    eval_options: Optional[list],
    origin: Optional[Origin],
    says: str,
    exact=None,
    flags: str = "",
) -> list:
    """The walkthrough's last blocks: a sentence, then a `gradcli eval` command that `says`
    (shows the same numbers as tables), run as printed, on a line of its own (Commands:
    never wrapped, so a paste gets it whole, quotes and all). When the program has no file
    and is not one line that quotes plainly, the command reads it from a file the sentence
    names. A command too long to type is described in the sentence instead."""
    command, save_as = eval_command(ev, output, eval_options, exact, flags, origin)
    # The file's name, which the reader typed, does not count towards the limit.
    typed = len(shlex.quote(origin.file)) if origin and origin.file else 0
    if len(command) - typed > COMMAND_LIMIT:
        option = f" --output {shlex.quote(output)}" if output is not None else ""
        return [f"gradcli eval{flags}{option} with the same program and values {says}."]
    if save_as is not None:
        sentence = f"With the program saved as {save_as}, this command {says}:"
    else:
        sentence = f"This command {says}:"
    return [sentence, Commands([command])]


def eval_command(
    ev: Evaluation,
    output: Optional[str] = None,
    eval_options: Optional[list] = None,
    exact=None,
    flags: str = "",
    origin: Optional[Origin] = None,
) -> tuple:
    """(A `gradcli eval` command line, quoted for a POSIX shell, that reproduces these
    numbers, and the name of the file it reads the program from when the reader must save
    it there first, else None). Exact values, the same --output and --from, options before
    `--` and the program. `exact` writes a value (default: a number exactly); `flags` go
    after `eval`.

    The program is given as it came: `-f FILE` for a file; its own text, whole (comments
    and all: one quoted word runs nothing a comment says), when it is one line that
    quotes plainly; otherwise `-f program.grad` (.py, .js as it was read), to save it in,
    since a quoted word of many lines, or of quotes within quotes, is unreadable and
    joining the lines would change the program (a comment would swallow what follows).

    The README's rules: an input whose `--name` is one of eval's options is written
    `name=value`; a program that starts with `-` goes after `--` (else `-f*x` reads as
    the file option). A program starting with `--` also gets a leading space, since
    gradcli's own argument reader takes `--x...` for an option even after `--`."""
    origin = origin or Origin()
    options, words, save_as = "", [], None
    if output is not None:
        options += f" --output {shlex.quote(output)}"
    program = ev.tape.source.strip()
    if origin.read_as is not None and (origin.file is not None or _plain_line(program)):
        options += f" --from {origin.read_as}"  # (a file saved as below: its extension says)
    if origin.file is not None:
        options += f" -f {shlex.quote(origin.file)}"
    elif _plain_line(program):
        if program.startswith("-"):
            words.append("--")
            if program.startswith("--"):
                program = " " + program
        words.append(program)
    else:
        save_as = _SAVE_AS.get(origin.read_as or _read_as(program), "program.txt")
        options += f" -f {save_as}"
    for name, v in ev.inputs.items():
        pair = f"{name}={(exact or _exact)(v)}"
        words.append(pair if eval_options is None or f"--{name}" in eval_options else f"--{pair}")
    given = "".join(f" {shlex.quote(w)}" for w in words)
    return f"gradcli eval{flags}{options}{given}", save_as


def _plain_line(program: str) -> bool:
    """One line that shlex.quote writes as '...' with nothing escaped inside, and that
    shows as it is (no control, bidi or other hidden characters, no tab)."""
    return "\n" not in program and "'" not in program and visible(program, lines=False) == program


def _read_as(program: str) -> str:
    """How --from auto read the program: gradcli's language when it looks like no pasted
    code (auto tries gradcli's first, and only pasted code is guessed), else "auto"."""
    from ..language.dialects import guesses

    return "auto" if guesses(program) else "gradcli"


def _exact(x: float) -> str:
    """A value as the command line reads it back exactly, -0 included."""
    return "-0" if x == 0 and math.copysign(1.0, x) < 0 else full(x)


def _program_step(ev: Evaluation, nt: Notation) -> Step:
    tape = ev.tape
    s = Step("The program")
    s.show(
        *[visible(line.rstrip("\r")) for line in tape.source.strip().split("\n") if line.strip()][
            :30
        ]
    )  # a comment's CR or U+2028 is shown, not obeyed
    given = ", ".join(f"{n} = {fmt(v)}" for n, v in ev.inputs.items())
    s.say(
        f"Inputs: {given}." if given else "The program has no inputs.",
        f"We compute {tape.output_label} (the forward pass"
        + (
            f"; {tape.output_label} is the last value bound to {tape.output_name}, each "
            "rebinding adds a prime"
            if tape.output_label != tape.output_name
            else ""
        )
        + (
            f"), then walk backwards from it "
            f"and find how much {tape.output_label} moves per unit of each input: the gradient "
            f"{', '.join(nt.partial(tape.output_label, n) for n in tape.inputs)}."
            if tape.inputs
            else "); with no inputs there is no gradient to find."
        ),
    )
    return s


def _forward_step(ev: Evaluation, nt: Notation) -> Step:
    tape = ev.tape
    ops = [i for i, step in enumerate(tape.steps) if step.args]  # a line each
    if len(ops) > FORWARD_LIMIT:  # the first and last lines alone are written
        left = len(ops) - FORWARD_LIMIT
        half = FORWARD_LIMIT // 2
        lines = [_forward_line(ev, i) for i in ops[:half]]
        lines.append(f"… {left} steps left out …")
        lines += [_forward_line(ev, i) for i in ops[-half:]]
    else:
        lines = [_forward_line(ev, i) for i in ops]
    s = Step("Forward pass: compute every value, one primitive at a time")
    s.say("Each line is one operation of the program, its operands' values substituted.")
    s.show(*(lines or [f"{tape.output_label} = {fmt(ev.value)}"]))
    s.say(f"So {tape.output_label} = {fmt(ev.value)}.")
    return s


def _forward_line(ev: Evaluation, i: int) -> str:
    """`x = a * b = 2 * 3 = 6`: step i, its operands' values, its value."""
    tape = ev.tape
    worked = substituted(tape, ev.values, i)
    same = worked == tape.expression(i)  # operands that are all literals: say it once
    return (
        f"{tape.label(i)} = {tape.expression(i)}"
        + ("" if same else f" = {worked}")
        + f" = {fmt(ev.values[i])}"
    )


def _backward_steps(ev: Evaluation, nt: Notation) -> list:
    tape = ev.tape
    out = tape.output_label  # as the rows name it: f' where the program rebinds f
    by_node: dict = {}
    for c in ev.contributions:
        by_node.setdefault(c.node, []).append(c)
    received: dict = {}
    for c in ev.contributions:
        received.setdefault(c.input, []).append(c)
    seed = Step("Backward pass: start at the output")
    seed.say(
        f"Reverse mode walks the steps from the last to the first. Each step's adjoint "
        f"(the number written {nt.bar('v')} for a value v, `dv` in backprop code) is "
        f"{nt.partial(out, 'v')}: how much {out} moves per unit change of v.",
        f"It starts with {nt.bar(out)} = {nt.partial(out, out)} = 1, since {out} moves one "
        f"for one with itself.",
    )
    if not ev.contributions:
        seed.say(
            f"{out} depends on no input, so every gradient is 0."
            if ev.tape.inputs
            else f"{out} has no inputs, so there is no gradient to find."
        )
    steps = [seed]
    nodes = list(by_node)  # already in reverse evaluation order
    counts = contribution_counts(ev)
    for node in nodes[:NODE_LIMIT]:
        steps.append(_node_step(ev, node, by_node[node], received.get(node, []), nt, counts))
    rest = nodes[NODE_LIMIT:]
    if rest:
        terms = (c for n in rest for c in by_node[n])
        rows = [backward_row(ev, c, nt, counts) for c in itertools.islice(terms, FORWARD_LIMIT)]
        s = Step(f"Backward pass: the remaining {len(rest)} steps")
        s.say(
            f"The same rule at every step; the table shows up to {FORWARD_LIMIT} rows "
            f"(gradcli eval --all shows every row)."
        )
        s.table(("sends", "local derivative", "upstream", "contribution", "running total"), rows)
        steps.append(s)
    return steps


def _node_step(
    ev: Evaluation, node: int, sends: list, got: list, nt: Notation, counts: dict
) -> Step:
    tape = ev.tape
    label = tape.label(node)
    step = tape.steps[node]
    s = Step(f"Backward: {label} = {tape.expression(node)}")
    if node == output_index(tape):
        arrive = f"{nt.bar(label)} = 1 arrives: {label} is the output (the seed)."
    elif len(got) == 1:
        arrive = (
            f"{nt.bar(label)} = {fmt(ev.adjoints[node])} arrives from {tape.label(got[0].node)}."
        )
    else:
        parts = added(fmt(c.contribution) for c in got[:8]) + (" + …" if len(got) > 8 else "")
        arrive = (
            f"{nt.bar(label)} arrives as a sum: {label} is used {len(got)} times, and "
            f"the contributions add: {nt.bar(label)} = {parts} = {fmt(ev.adjoints[node])}."
        )
    s.say(arrive, f"Local rule ({step.op.name}): {step.op.about}.")
    rules = []
    for c in sends:
        rule = nt.math(tape.rule(node, c.position))
        rules.append(
            f"{nt.partial(label, tape.label(c.input))} = {rule}"
            + (f" = {fmt(c.local)}" if rule != fmt(c.local) else "")
        )
    s.show(*rules)
    s.table(
        ("sends", "local derivative", "upstream", "contribution (chain rule)", "running total"),
        [backward_row(ev, c, nt, counts) for c in sends],
    )
    xs = [ev.values[a] for a in step.args]
    kink = step.op.kink(*xs) if step.op.kink else None
    if kink:
        s.say(f"Note: {kink}.")
    for c in sends:
        if c.count > 1:
            inp = tape.label(c.input)
            s.say(
                f"{inp} has now received {c.count} of its {counts[c.input]} contributions, "
                f"one per use; they add up ({nt.bar(inp)} = {fmt(c.total)} so far), because "
                f"each use of {inp} carries some of its influence to {tape.output_label}."
            )
    return s


def _chain_step(ev: Evaluation, name: str, nt: Notation, paths: list) -> Step:
    tape = ev.tape
    out = tape.output_label  # the paths end at the output's step, named as in the rows
    chain = chain_of(ev, name, nt, paths)
    s = Step(f"The whole chain for {name}")
    if chain.count == 0:
        s.say(
            f"{out} does not depend on {name}: no path leads from {name} to {out}, so "
            f"{nt.partial(out, name)} = 0."
        )
        return s
    if not chain.terms:
        s.say(
            f"There are more than {PATH_LIMIT} paths from {name} to {out}; listing them "
            f"would not help. Each path contributes the product of the local derivatives "
            f"along it, and the backward pass added all of them up at every fan-out:"
        )
        s.show(*chain_lines(chain, out, nt))
        return s
    many = len(chain.terms) > 1
    agree = sum_agrees(chain)
    finite = all(math.isfinite(v) for term in chain.terms for _, v in term)
    s.say(
        f"{nt.partial(out, name)} is the sum, over every path from {name} to {out}, of the "
        f"product of the local derivatives along the path"
        + ("" if agree or finite else ", wherever those are finite numbers")
        + ". "
        + (
            f"There are {len(chain.terms)} paths, one product each."
            if many
            else "There is one path, so one product."
        )
    )
    s.show(*chain_lines(chain, out, nt))
    s.say(*chain_notes(ev, chain, nt))
    if agree:
        s.say(
            f"The backward pass computed the same number, {nt.bar(name)} = "
            f"{fmt(chain.gradient)}, without listing paths: it multiplied one local derivative "
            f"per step and added at each fan-out."
        )
    return s
