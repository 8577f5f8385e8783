"""What the quiz says, as plain text: hints, the verdict on an answer, the correct steps and
the score table's rows.

Nothing here prints: the terminal view (cli/commands/quiz.py) passes each line through
the notation and draws the tables, so these words can be read and tested without it.
"""

from __future__ import annotations

import math
from typing import Optional

from ..core.notation import Notation, fmt
from ..core.tape import Tape, fill
from ..report.rows import backward_rows, forward_rows
from .misconceptions import BY_ID, explain
from .quiz import MIN_DIGITS, Outcome, Question, Unfair

SCORE_COLUMNS = ("#", "question", "your answer", "right answer", "mistake found")

_BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}  # how tightly an infix symbol binds


# --- naming what is asked ---------------------------------------------------------------
def asked(q: Question, nt: Notation) -> str:
    """The question itself, when the quiz file gives no prompt of its own."""
    out, name = q.tape.output_label, q.name  # f' where the program rebinds f
    if q.kind == "value":
        return f"What is the value of {name}?"
    return f"What is {nt.bar(name)} = {nt.partial(out, name)}?"


def target_name(q: Question, nt: Notation) -> str:
    if q.kind == "value":
        return q.name
    return f"{nt.bar(q.name)} = {nt.partial(q.tape.output_label, q.name)}"


# --- hints ------------------------------------------------------------------------------
def hint_lines(q: Question, nt: Notation) -> list:
    """What `hint` says. A forward value: its step and the named steps to work out first.
    An adjoint or gradient: the local rule at each step the asked value goes into, then
    how those terms make up its adjoint."""
    shown, written = _displayed(q.tape)
    if q.kind == "value":
        return _value_hint(q.tape, q.situation.target, written)
    return _adjoint_hint(q, nt, shown, written)


def _value_hint(tape: Tape, i: int, written: dict) -> list:
    if not tape.steps[i].args:
        return [f"hint: {tape.label(i)} is an input"]
    # The named steps it is computed from, in the order the forward pass takes them.
    below = _computed_on_the_way(tape, i)
    first = [
        f"{tape.label(k)} = {written[k]}"
        for k in range(i)
        if below[k] and tape.steps[k].args and tape.steps[k].name is not None
    ]
    return [
        f"hint: {tape.label(i)} = {written[i]}; work "
        "forward from the inputs" + (": first " + ", then ".join(first) if first else "")
    ]


def _computed_on_the_way(tape: Tape, i: int) -> list:
    """below[k]: step k is step i or one it is computed from. One sweep down the tape,
    since a step's arguments always come before it."""
    below = [False] * len(tape.steps)
    below[i] = True
    for k in range(i, -1, -1):
        if below[k]:
            for a in tape.steps[k].args:
                below[a] = True
    return below


def _adjoint_hint(q: Question, nt: Notation, shown: dict, written: dict) -> list:
    s, tape = q.situation, q.tape
    name = tape.label(s.target)
    lines, terms = [], []
    for i, positions in _uses(tape, s).items():
        step = tape.steps[i]
        node = shown[i]
        operands = [shown[a] for a in step.args]
        rule = " + ".join(nt.math(fill(step.op.rules[pos], operands, node)) for pos in positions)
        local = f"{nt.partial(node, name)} = {rule}"
        if step.name is not None:
            twice = f" uses {name} {len(positions)} times" if len(positions) > 1 else ""
            lines.append(f"hint: {node} = {written[i]}{twice}, so {local} ({step.op.about})")
            adjoint = nt.bar(node)
        else:
            # A step the program does not name: shown by its expression, not by an id
            # ("v3") the learner never sees.
            lines.append(f"hint: {local} ({step.op.about})")
            adjoint = nt.partial(tape.output_label, node)
        terms.append(f"{nt.partial(node, name)}{nt.times}{adjoint}")
    if terms:
        lines.append(
            f"      {nt.bar(name)} = "
            + " + ".join(terms)
            + ("   (one contribution per use: they add up)" if len(terms) > 1 else "")
            + ", and each adjoint comes from the steps above it"
        )
    return lines


def _uses(tape: Tape, s) -> dict:
    """step -> the operand positions where the asked value goes in."""
    uses: dict = {}
    for i, step in enumerate(tape.steps):
        for pos, a in enumerate(step.args):
            if a == s.target and s.needs[i]:
                uses.setdefault(i, []).append(pos)
    return uses


# The tape _displayed last read, and what it found: --check-script words every finding of
# a question from the same tape, and on 10,000 steps each reading costs a sweep of it.
_last_displayed: list = [None, None]


def _displayed(tape: Tape) -> tuple:
    """_seen(tape), read once for the tape asked about last (a tape is not changed once
    compiled)."""
    if _last_displayed[0] is not tape:
        _last_displayed[:] = [tape, _seen(tape)]
    return _last_displayed[1]


def _seen(tape: Tape) -> tuple:
    """How the learner sees each step: (shown, written). `shown[i]` is how step i reads
    as a term: named steps, inputs and constants as written; a step the program leaves
    unnamed (v3 = a*x inside q = a*x + b*y) by its expression, in parentheses when infix.
    `written[i]` is step i's right-hand side in those terms, with parentheses only where
    the program needs them. One forward pass (no recursion)."""
    shown: dict = {}
    written: dict = {}
    for i, step in enumerate(tape.steps):
        symbol = step.op.symbol
        inner: dict = {}
        for pos, a in enumerate(step.args):
            text = shown[a]
            child = tape.steps[a].op.symbol if tape.steps[a].name is None else None
            if (
                child
                and symbol
                and (
                    _BINDING[child] > _BINDING[symbol]
                    or (_BINDING[child] == _BINDING[symbol] and pos == 0 and symbol != "^")
                )
            ):
                text = written[a]  # a*x + b*y + c, not ((a*x) + (b*y)) + c
            # The same step on both sides (v - v) keeps the safer, parenthesised form.
            inner[a] = text if inner.get(a, text) == text else shown[a]
        written[i] = tape.expression(i, show=inner.get)
        if step.name is not None or not step.args:
            shown[i] = tape.operand(i)
        else:
            shown[i] = f"({written[i]})" if symbol else written[i]
    return shown, written


# --- after an answer --------------------------------------------------------------------
def verdict_lines(q: Question, o: Outcome, nt: Notation) -> list:
    """Right or not and the right number; for a wrong number, each known mistake that
    gives it, explained with the question's numbers."""
    target = target_name(q, nt)
    mark_ok, mark_bad = ("right", "wrong") if nt.ascii else ("✓ right", "✗ not quite")
    if o.correct:
        return [f"{mark_ok}: {target} = {fmt(q.expected)}"]
    if o.answer is None:
        return [f"{mark_bad}: no answer; {target} = {fmt(q.expected)}"]
    if o.problem:
        return [
            f"{mark_bad}: could not read {o.answer!r} ({o.problem}); {target} = {fmt(q.expected)}"
        ]
    assert o.value is not None  # an answer read without a problem has a value
    mine, right = apart(o.value, q.expected)
    shown = o.answer if o.answer.strip() in (mine, fmt(o.value)) else f"{o.answer} = {mine}"
    lines = [f"{mark_bad}: you answered {shown}; {target} = {right}"]
    if o.short_digits:
        n = o.short_digits
        lines.append(
            f"({o.answer.strip()} is {right} rounded to {n} significant "
            f"digit{'s' if n > 1 else ''}: give at least {MIN_DIGITS}, "
            f"{_sig(q.expected, MIN_DIGITS)})"
        )
        return lines
    return lines + _mistake_lines(o, q, nt)


def _sig(x: float, digits: int) -> str:
    """x to `digits` significant digits, trailing zeros kept (0.1050)."""
    from decimal import Decimal

    text = format(Decimal(f"{x:.{digits - 1}e}"), "f")
    return text


def apart(a: float, b: float) -> tuple:
    """a and b written with enough digits that two different numbers never read alike:
    six significant digits (fmt), more where those agree."""
    if a == b:
        return fmt(a), fmt(b)
    x, y = fmt(a), fmt(b)
    digits = 7
    while x == y and digits <= 17:
        x, y = f"{a:.{digits}g}", f"{b:.{digits}g}"
        digits += 1
    return x, y


def _mistake_lines(o: Outcome, q: Question, nt: Notation) -> list:
    lines = []
    if len(o.mistakes) > 1:
        lines.append("Several known mistakes give exactly this number:")
    for p in o.mistakes:
        lines.append(f"* {BY_ID[p.id].title} [{p.id}]")
        lines.append("  " + explain(p, q.situation, nt))
    if not o.mistakes:
        lines.append("(no known mistake gives that number)")
    return lines


def steps_table(q: Question, nt: Notation) -> tuple:
    """The correct steps as (title, columns, rows): the rows `gradcli eval` shows, the
    forward pass for a value, the backward pass for an adjoint or a gradient."""
    ev = q.evaluation
    if q.kind == "value":
        return "Forward pass", ["step", "name", "operation", "value"], forward_rows(ev)
    seed = f"{nt.bar(q.tape.output_label)} = 1"
    title = f"The chain rule, step by step (from the output back, {seed})"
    columns = [
        "#",
        "sends",
        "local derivative",
        "upstream",
        "contribution (chain rule)",
        "running total",
    ]
    return title, columns, backward_rows(ev, nt)


# --- the end ----------------------------------------------------------------------------
def score_rows(questions: list, outcomes: list, stopped, nt: Notation) -> list:
    """One row per question under SCORE_COLUMNS; `stopped` ("quit", "no answer" or None)
    marks the question the quiz ended at."""
    rows = []
    for n, q in enumerate(questions, 1):
        o = outcomes[n - 1] if n <= len(outcomes) else None
        if o is None:
            # The question the learner stopped at was reached; later ones were not.
            answer = f"({stopped})" if stopped and n == len(outcomes) + 1 else "(not reached)"
            found = ""
        elif o.answer is None:
            answer, found = "(skipped)" if n <= len(outcomes) else "", ""
        else:
            answer = o.answer + ("  " + ("ok" if nt.ascii else "✓") if o.correct else "")
            found = (
                ", ".join(p.id for p in o.mistakes) if o.mistakes else ("" if o.correct else "?")
            )
        rows.append((str(n), f"{q.id}: {q.ask}", answer, fmt(q.expected), found))
    return rows


# --- a quiz file's questions where a mistake cannot be diagnosed ---------------------------
def unfair_lines(q: Question, u: Unfair, nt: Notation) -> list:
    """Which mistake (or pair), the numbers, and what to change: for `--check-script` and
    the warning before a quiz file is run."""
    if u.kind == "right":
        p = u.mistakes[0]
        value, right = apart(p.value, q.expected)
        target = f"{target_name(q, nt)} = {right}"
        said = (
            f"the mistake {p.id} ({BY_ID[p.id].title}) gives {value}, which is "
            f"taken for the right answer {target}: a learner who makes it is marked "
            "right"
        )
        return [nt.text(said), nt.text("  change: " + _advice(q, p))]
    p, other = u.mistakes
    x, y = apart(p.value, other.value)
    target = f"the right answer: {target_name(q, nt)} = {fmt(q.expected)}"
    said = (
        f"the mistakes {p.id} ({x}) and {other.id} ({y}) give numbers a typed answer "
        f"cannot tell apart ({target}), so a wrong answer could not be diagnosed"
    )
    return [
        nt.text(said),
        nt.text(
            "  change: the inputs (or what is asked) so that these two mistakes "
            "give different numbers" + _where(q, [p, other])
        ),
    ]


def unfair_record(q: Question, u: Unfair, nt: Notation) -> dict:
    """The same finding as unfair_lines, as data for `--check-script --json`: its kind, the
    mistakes with the numbers they give, the right answer, and the sentences."""
    lines = unfair_lines(q, u, nt)
    return {
        "kind": "passes" if u.kind == "right" else "indistinct",
        "asked": target_name(q, nt),
        "expected": _finite(q.expected),
        "mistakes": [
            {"id": p.id, "title": BY_ID[p.id].title, "value": _finite(p.value)} for p in u.mistakes
        ],
        "message": lines[0],
        "change": lines[1].strip().removeprefix("change: "),
    }


def _finite(x: float) -> float | None:
    """JSON has no infinity or NaN: such a number is written null (docs/json.md)."""
    return float(x) if math.isfinite(x) else None


def _gate(q: Question, p) -> str:
    """The gate a slip is at, as the learner reads the program ("q = a*x + b*y + c" for
    a named step, "a * x (inside q)" for a step the program leaves unnamed)."""
    label = p.facts.get("node")
    tape = q.tape
    i = next((k for k in range(len(tape)) if tape.label(k) == label), None)
    if i is None:
        return p.facts.get("gate", "")
    shown, written = _displayed(tape)
    if tape.steps[i].name is not None:
        return f"{shown[i]} = {written[i]}"
    owner = _first_named_user(tape, i)
    return written[i] + (f" (inside {tape.label(owner)})" if owner is not None else "")


def _first_named_user(tape: Tape, i: int) -> Optional[int]:
    """The first named step computed from step i (the one whose line holds it), or None:
    one sweep up the tape from i, since a step's arguments always come before it."""
    above = {i}
    for k in range(i + 1, len(tape.steps)):
        step = tape.steps[k]
        if any(a in above for a in step.args):
            if step.name is not None:
                return k
            above.add(k)
    return None


def _where(q: Question, ps: list) -> str:
    """Where each gate slip of the pair is made: " (wrong-operand at a * x (inside q))"."""
    at = [f"{p.id} at {_gate(q, p)}" for p in ps if "gate" in p.facts and _gate(q, p)]
    return f" ({'; '.join(at)})" if at else ""


def _advice(q: Question, p) -> str:
    f = p.facts
    if "gate" in f and "input" in f:
        gate = _gate(q, p)
        if p.id == "divided-instead-of-multiplied":
            return (
                f"at {gate} the local derivative for {f['input']} is {f['other']} = "
                f"{f['local']}, and dividing by {f['local']} is multiplying by it: give "
                f"{f['other']} a value other than 1 and -1"
            )
        if p.id == "missing-upstream":
            return (
                f"at {gate} the adjoint arriving from above is {f['upstream']}: make it "
                "other than 1 (other inputs, or a constant factor between there and the "
                "output), or ask about another value"
            )
        if p.id == "wrong-operand":
            return (
                f"at {gate} {f['operand']} and {f['other']} are both {f['own']}: give "
                "them different values"
            )
        if p.id == "missing-local-derivative":
            return (
                f"at {gate} the local derivative is {f['local']}: choose inputs that "
                "make it other than 1"
            )
        if p.id == "relu-mask-by-gradient":
            return (
                f"at {gate} the input {f['operand']} = {f['x']} and the arriving "
                f"adjoint {f['upstream']} have the same sign: give them opposite signs"
            )
        return f"the inputs at {gate}, so that this slip changes the number"
    if p.id in ("sign-error", "stale-grad") and q.expected == 0:
        return "the right answer is 0: choose inputs that make it other than 0"
    if p.id == "forward-value-instead-of-gradient":
        return (
            f"the value of {q.name} equals its gradient here: choose inputs that make "
            "them differ, or ask about another value"
        )
    return "the inputs (or what is asked) so that this mistake gives another number"
