"""Table rows and notes as plain text: what the tables, JSON and lessons share.

Rows are strings, so the rich tables (cli/), the lessons (tutor/) and the tests all read
the same words; nothing here knows about terminals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.arrays import np, shape_text
from ..core.engine import Contribution, Evaluation
from ..core.notation import Notation, assigns, contribution_of, fmt, full
from ..core.tape import fill
from .tensors import array_text

if TYPE_CHECKING:  # the eval tables need not import forward mode to start up
    from ..modes.forward_mode import TangentTrace

_ATOM = re.compile(r"-?[\w.]+")


# --- rows, as plain text ----------------------------------------------------------------
# Tensor mode adds a shape column and writes arrays as report/tensors.py does: in full when
# small, summarised when big, every number with `show_all`; `width` is the room an array's
# lines may take. Scalar programs get the columns and rows they always had.
def forward_columns(ev: Evaluation) -> list:
    if ev.tape.tensor:
        return ["step", "name", "operation", "shape", "value"]
    return ["step", "name", "operation", "value"]


def forward_rows(ev: Evaluation, width=None, show_all: bool = False):
    """(step, name, operation, value) for every step a person would write down; in tensor
    mode (step, name, operation, shape, value), the value in lines of text. A list in
    tensor mode; for numbers, Rows built as they are read (a table of a 100,000-step
    program shows 200 of them)."""
    tape = ev.tape
    shown = shown_steps(tape)  # the step column counts these rows: 1, 2, 3, ... no gaps
    defaults: list = []  # the inputs left at their defaults, found once, when first needed

    def row(k: int) -> tuple:
        i = shown[k]
        step = tape.steps[i]
        label = tape.label(i)
        if tape.is_input(i):
            if not defaults:
                defaults.append(_defaults_used(ev))
            source = "given" if step.name not in defaults[0] else "default"
            if tensor and step.name in tape.integer_inputs:
                source += "; integer data: no gradient"
            if tensor and np.ndim(ev.values[i]) > 0:
                operation = f"{label}  (input, {source})"
            else:
                operation = f"{label} = {fmt(float(ev.values[i]))}  (input, {source})"
        else:
            operation = f"{label} = {tape.expression(i)}"
        if tensor:
            return (
                str(k + 1),
                label,
                operation,
                shape_text(np.shape(ev.values[i])),
                array_text(ev.values[i], width, show_all),
            )
        return (str(k + 1), label, operation, fmt(ev.values[i]))

    tensor = tape.tensor
    if tensor:
        return [row(k) for k in range(len(shown))]
    return Rows(len(shown), row)


def shown_steps(tape) -> list:
    """The steps the forward table has a row for: every one but the unnamed literals,
    which appear inside the operations that use them."""
    return [i for i, step in enumerate(tape.steps) if not (step.name is None and tape.is_const(i))]


class Rows(Sequence):
    """A table's rows, each built when it is read: the length is known at once, so a
    table that shows the first and last rows of a long program (and says how many it
    left out) builds those alone. `built` counts the rows built, for the tests."""

    built = 0  # every Rows' count together

    def __init__(self, count: int, row):
        self._count = count
        self._row = row

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(self._count))]
        if k < 0:
            k += self._count
        if not 0 <= k < self._count:
            raise IndexError("row index out of range")
        Rows.built += 1
        return self._row(k)


def _defaults_used(ev: Evaluation) -> set:
    tape = ev.tape
    if tape.tensor:
        return {
            name
            for name, i in tape.inputs.items()
            if tape.steps[i].const is not None
            and np.shape(ev.inputs[name]) == np.shape(tape.steps[i].const)
            and bool(np.all(np.asarray(ev.inputs[name]) == tape.steps[i].const))
        }
    return {
        name
        for name, i in tape.inputs.items()
        if tape.steps[i].const is not None and ev.inputs[name] == tape.steps[i].const
    }


def contribution_counts(ev: Evaluation) -> dict:
    """step -> how many contributions its adjoint sums."""
    counts: dict = {}
    for c in ev.contributions:
        counts[c.input] = counts.get(c.input, 0) + 1
    return counts


def backward_row(ev: Evaluation, c: Contribution, nt: Notation, counts=None) -> tuple:
    """(sends, local derivative, upstream, contribution, total) for one chain-rule term.
    `counts` (contribution_counts) says how many contributions each adjoint sums."""
    tape = ev.tape
    assert c.local is not None  # numbers, not arrays: every op has its partials
    counts = counts if counts is not None else contribution_counts(ev)
    node, inp = tape.label(c.node), tape.label(c.input)
    rule = nt.math(tape.rule(c.node, c.position))
    bar_node, bar_in = nt.bar(node), nt.bar(inp)
    local = nt.partial(node, inp) + f" = {rule}"
    if rule != fmt(c.local):
        local += f" = {fmt(c.local)}"
    upstream = f"{bar_node} = {fmt(c.upstream)}"
    # The first contribution is the adjoint (=), each later one is added to it (+=).
    gets = f"{bar_in} {assigns(c.count)}"
    if rule == "1":
        contribution = f"{gets} {bar_node} = {fmt(c.contribution)}"
    elif rule in ("-1", "−1"):
        contribution = f"{gets} -{bar_node} = {fmt(c.contribution)}"
    else:
        factor = rule if _ATOM.fullmatch(rule) else f"({rule})"
        contribution = (
            f"{gets} {factor}{nt.times}{bar_node} = "
            f"{nt.product(c.local, c.upstream)} = {fmt(c.contribution)}"
        )
    if _masked(c.local, c.upstream, c.contribution):
        # 0·inf is nan in floats: say why the term is 0 instead of writing a false product.
        contribution = (
            f"{gets} 0  ({_gate_reason(tape, c.node, c.position)}: the "
            f"contribution is masked to exactly 0, as PyTorch does; "
            f"{nt.product(c.local, c.upstream)} would be nan)"
        )
    if c.count == 1:
        total = f"{bar_in} = {fmt(c.total)}"
    else:
        # Contributions add: a negative one is added in parentheses, as the text says it.
        total = (
            f"{bar_in} = {fmt(c.total - c.contribution)} + {_paren(fmt(c.contribution))}"
            f" = {fmt(c.total)}"
        )
    sends = f"{node} → {inp}" if not nt.ascii else f"{node} -> {inp}"
    if counts.get(c.input, 1) > 1:
        sends += f"  ({contribution_of(c.count, counts[c.input], bar_in)})"
    return sends, local, upstream, contribution, total


def _masked(local, factor, term) -> bool:
    """A term that is 0 where local × factor is not (0·inf or 0·nan): a gate closed it."""
    return local is not None and term == 0 and not local * factor == 0


def _gate_reason(tape, node: int, position: int) -> str:
    step = tape.steps[node]
    kind = step.op.gates[position] if step.op.gates else None
    if isinstance(kind, int):
        return f"the exponent {tape.operand(step.args[kind])} is 0"
    return f"{step.op.name} did not take this branch"


def backward_columns(ev: Evaluation) -> list:
    if ev.tape.tensor:
        return [
            "#",
            "sends",
            "chain rule in matrix form: shapes, why",
            "contribution,\nrunning total",
        ]
    return [
        "#",
        "sends",
        "local derivative",
        "upstream",
        "contribution (chain rule)",
        "running total",
    ]


def backward_rows(ev: Evaluation, nt: Notation, width=None, show_all: bool = False):
    """One row per chain-rule term, numbered from 1: a list in tensor mode, Rows built
    as they are read for numbers."""
    counts = contribution_counts(ev)
    if ev.tape.tensor:
        from .tensor_rows import tensor_backward_row

        return [
            (str(k),) + tensor_backward_row(ev, c, nt, width, show_all, counts)
            for k, c in enumerate(ev.contributions, 1)
        ]
    terms = ev.contributions
    return Rows(len(terms), lambda k: (str(k + 1),) + backward_row(ev, terms[k], nt, counts))


def fan_out_notes(ev: Evaluation, nt: Notation) -> list:
    """One sentence per value whose adjoint is a sum of several contributions."""
    tape = ev.tape
    if tape.tensor:
        from .tensor_rows import tensor_fan_out_notes

        return tensor_fan_out_notes(ev, nt)
    terms: dict = {}
    for c in ev.contributions:
        terms.setdefault(c.input, []).append(c.contribution)
    notes = []
    for i, parts in terms.items():
        if len(parts) > 1:
            label = tape.label(i)
            shown = fmt(parts[0]) + "".join(
                f" {'-' if p < 0 else '+'} {fmt(abs(p))}" for p in parts[1:6]
            )
            shown += " + ..." if len(parts) > 6 else ""
            notes.append(
                f"fan-out: {label} is used {len(parts)} times, so its gradient is the "
                f"sum of {len(parts)} contributions: {nt.bar(label)} = {shown} = "
                f"{fmt(ev.adjoints[i])}"
            )
    return notes


def rule_notes(ev: Evaluation, nt: Notation) -> list:
    """The registry's notes (why b·x̄ and not x̄/b), filled in with the first such step and
    the output's own name.
    A tensor program gets notes written for arrays (report/tensor_rows.py)."""
    tape = ev.tape
    if tape.tensor:
        from .tensor_rows import tensor_rule_notes

        return tensor_rule_notes(ev, nt)
    # A note speaks of one term as the whole gradient (∂out/∂a is b·x̄), which is true
    # only where the operand receives that one term: not where it is used elsewhere too,
    # nor where it is both operands (x = a*a, where a nudge of a moves x by 2a·h).
    terms: dict = {}
    for c in ev.contributions:
        terms[c.input] = terms.get(c.input, 0) + 1
    seen, notes = set(), []
    for c in ev.contributions:
        op = tape.steps[c.node].op
        if not op.note or op.name in seen:
            continue
        if terms[c.input] > 1 or len(set(tape.steps[c.node].args)) < len(tape.steps[c.node].args):
            continue
        seen.add(op.name)
        args = tape.steps[c.node].args
        # Template slot 0 is the operand receiving the gradient, slot 1 the other one.
        receiving, other = args[c.position], args[1 - c.position] if len(args) == 2 else None
        names = [tape.operand(receiving)] + ([tape.operand(other)] if other is not None else [])
        text = op.note.replace("{d0}", nt.bar(names[0])).replace("{dy}", nt.bar(tape.label(c.node)))
        text = text.replace("{out}", tape.output_label)
        if other is not None:
            text = text.replace("{d1}", nt.bar(names[1]))
        notes.append(nt.text(fill(text, names, tape.label(c.node))))
    return notes


def result_columns(ev: Evaluation) -> list:
    return ["", "shape", "value"] if ev.tape.tensor else ["", "value"]


def result_rows(ev: Evaluation, nt: Notation, width=None, show_all: bool = False) -> list:
    tape = ev.tape
    out = tape.output_label  # f' where the program rebinds f, as the rows above call it
    if tape.tensor:
        # Arrays to six significant digits, as in the tables above; --grad-only and
        # --json give every number exactly.
        rows: list = [(out, "()", full(ev.value))]
        for name, g in ev.gradient.items():
            rows.append(
                (
                    nt.partial(out, name),
                    shape_text(np.shape(g)),
                    full(g) if np.ndim(g) == 0 else array_text(g, width, show_all),
                )
            )
        return rows
    rows = [(out, full(ev.value))]
    for name, g in ev.gradient.items():
        # An infinite slope (sqrt at 0) is not a gradient: say so, with what floats gave.
        rows.append(
            (
                nt.partial(out, name),
                full(g) if g == g and abs(g) != float("inf") else f"undefined ({full(g)})",
            )
        )
    return rows


# --- forward mode -----------------------------------------------------------------------
def tangent_rule(trace: TangentTrace, i: int, nt: Notation) -> str:
    """`ḟ = z·q̇ + q·ż = -4·1 + 3·0 = -4`: Σ (∂v/∂u)·u̇ with the registry's rule texts."""
    tape, wrt = trace.tape, trace.wrt
    me = nt.dot(tape.label(i), wrt)
    if tape.is_input(i):
        seed = "seed" if tape.steps[i].name == wrt else "not differentiated"
        return f"{me} = {fmt(trace.tangents[i])}  ({seed})"
    symbols, numbers, why = [], [], []
    for t in trace.terms[i]:
        rule = nt.math(tape.rule(i, t.position))
        u_dot = nt.dot(tape.label(t.input), wrt)
        if _masked(t.local, t.tangent, t.term):
            # 0·inf is nan in floats: the term is an exact 0, and the row says why.
            factor = rule if _ATOM.fullmatch(rule) else f"({rule})"
            symbols.append(f"{factor}{nt.times}{u_dot}")
            numbers.append("0")
            if t.tangent == 0:
                why.append(
                    f"{u_dot} is exactly 0 ({tape.label(t.input)} does not change "
                    f"with {wrt} here), so the slope {fmt(t.local)} multiplies nothing"
                )
            else:
                why.append(f"{_gate_reason(tape, i, t.position)}: the term is exactly 0")
            continue
        if rule == "1":
            symbols.append(u_dot)
            numbers.append(fmt(t.tangent))
        elif rule in ("-1", "−1"):
            symbols.append(f"-{u_dot}")
            numbers.append(f"-{_paren(fmt(t.tangent))}")
        else:
            factor = rule if _ATOM.fullmatch(rule) else f"({rule})"
            symbols.append(f"{factor}{nt.times}{u_dot}")
            numbers.append(nt.product(t.local, t.tangent))
    if not symbols:
        return f"{me} = 0  (constant)"
    text = f"{me} = {_sum(symbols)}"
    worked = _sum(numbers)
    if worked != fmt(trace.tangents[i]):
        text += f" = {worked}"
    text += f" = {fmt(trace.tangents[i])}"
    return text + (f"  ({'; '.join(why)})" if why else "")


def _paren(number: str) -> str:
    return f"({number})" if number.startswith("-") else number


def _sum(terms: list) -> str:
    text = terms[0]
    for t in terms[1:]:
        text += f" + {_paren(t)}"  # terms add: a negative one in parentheses
    return text
