"""Rich tables for `gradcli eval`: the forward pass, the backward pass, the result.

Every cell is a `Text`, never a markup string: program text is the user's and may hold
`[` or `:smile:`. Rows are built as plain strings first so tests and the explain mode
can reuse them.
"""
from __future__ import annotations

import re

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .engine import Contribution, Evaluation
from .notation import Notation, fmt, full
from .tape import fill

DEFAULT_ROW_LIMIT = 200
_ATOM = re.compile(r"-?[\w.]+")


# --- rows, as plain text ----------------------------------------------------------------
def forward_rows(ev: Evaluation) -> list:
    """(step, name, operation, value) for every step a person would write down."""
    tape = ev.tape
    rows = []
    for i, step in enumerate(tape.steps):
        if tape.is_const(i) and step.name is None:
            continue  # unnamed literals appear inside the operations that use them
        label = tape.label(i)
        if tape.is_input(i):
            source = "given" if step.name not in _defaults_used(ev) else "default"
            operation = f"{label} = {fmt(ev.values[i])}  (input, {source})"
        else:
            operation = f"{label} = {tape.expression(i)}"
        rows.append((tape.step_id(i), label, operation, fmt(ev.values[i])))
    return rows


def _defaults_used(ev: Evaluation) -> set:
    tape = ev.tape
    return {name for name, i in tape.inputs.items()
            if tape.steps[i].const is not None and ev.inputs[name] == tape.steps[i].const}


def backward_row(ev: Evaluation, c: Contribution, nt: Notation) -> tuple:
    """(sends, local derivative, upstream, contribution, total) for one chain-rule term."""
    tape = ev.tape
    node, inp = tape.label(c.node), tape.label(c.input)
    rule = nt.math(tape.rule(c.node, c.position))
    bar_node, bar_in = nt.bar(node), nt.bar(inp)
    local = nt.partial(node, inp) + f" = {rule}"
    if rule != fmt(c.local):
        local += f" = {fmt(c.local)}"
    upstream = f"{bar_node} = {fmt(c.upstream)}"
    if rule == "1":
        contribution = f"{bar_in} += {bar_node} = {fmt(c.contribution)}"
    elif rule in ("-1", "−1"):
        contribution = f"{bar_in} += -{bar_node} = {fmt(c.contribution)}"
    else:
        factor = rule if _ATOM.fullmatch(rule) else f"({rule})"
        contribution = (f"{bar_in} += {factor}{nt.times}{bar_node} = "
                        f"{fmt(c.local)}{nt.times}{fmt(c.upstream)} = {fmt(c.contribution)}")
    if c.count == 1:
        total = f"{bar_in} = {fmt(c.total)}"
    else:
        sign = "-" if c.contribution < 0 else "+"
        total = (f"{bar_in} = {fmt(c.total - c.contribution)} {sign} {fmt(abs(c.contribution))}"
                 f" = {fmt(c.total)}")
    sends = f"{node} → {inp}" if not nt.ascii else f"{node} -> {inp}"
    if c.count > 1:
        sends += f"  (path {c.count}, added)"
    return sends, local, upstream, contribution, total


def backward_rows(ev: Evaluation, nt: Notation) -> list:
    return [(str(k),) + backward_row(ev, c, nt) for k, c in enumerate(ev.contributions, 1)]


def fan_out_notes(ev: Evaluation, nt: Notation) -> list:
    """One sentence per value whose adjoint is a sum of several contributions."""
    tape = ev.tape
    terms: dict = {}
    for c in ev.contributions:
        terms.setdefault(c.input, []).append(c.contribution)
    notes = []
    for i, parts in terms.items():
        if len(parts) > 1:
            label = tape.label(i)
            shown = fmt(parts[0]) + "".join(
                f" {'-' if p < 0 else '+'} {fmt(abs(p))}" for p in parts[1:6])
            shown += " + ..." if len(parts) > 6 else ""
            notes.append(f"fan-out: {label} is used {len(parts)} times, so its gradient is the "
                         f"sum of {len(parts)} contributions: {nt.bar(label)} = {shown} = "
                         f"{fmt(ev.adjoints[i])}")
    return notes


def rule_notes(ev: Evaluation, nt: Notation) -> list:
    """The registry's notes (why b·x̄ and not x̄/b), filled in with the first such step."""
    tape = ev.tape
    seen, notes = set(), []
    for c in ev.contributions:
        op = tape.steps[c.node].op
        if not op.note or op.name in seen:
            continue
        seen.add(op.name)
        args = tape.steps[c.node].args
        # Template slot 0 is the operand receiving the gradient, slot 1 the other one.
        receiving, other = args[c.position], args[1 - c.position] if len(args) == 2 else None
        names = [tape.operand(receiving)] + ([tape.operand(other)] if other is not None else [])
        text = op.note.replace("{d0}", nt.bar(names[0])).replace("{dy}", nt.bar(tape.label(c.node)))
        if other is not None:
            text = text.replace("{d1}", nt.bar(names[1]))
        notes.append(nt.text(fill(text, names, tape.label(c.node))))
    return notes


def result_rows(ev: Evaluation, nt: Notation) -> list:
    tape = ev.tape
    out = tape.output_name
    rows = [(out, full(ev.value))]
    for name, g in ev.gradient.items():
        # An infinite slope (sqrt at 0) is not a gradient: say so, with what floats gave.
        rows.append((nt.partial(out, name), full(g) if g == g and abs(g) != float("inf")
                     else f"undefined ({full(g)})"))
    return rows


# --- tables -----------------------------------------------------------------------------
def _table(title: str, columns: list, nt: Notation) -> Table:
    table = Table(title=Text(title), box=box.ASCII if nt.ascii else box.SIMPLE_HEAVY,
                  title_justify="left")
    for name in columns:
        table.add_column(Text(name), overflow="fold")
    return table


def _add_rows(table: Table, rows: list, limit: int | None) -> None:
    if limit is None or len(rows) <= limit:
        for row in rows:
            table.add_row(*map(Text, row))
        return
    head = limit // 2
    tail = limit - head
    for row in rows[:head]:
        table.add_row(*map(Text, row))
    left_out = len(rows) - limit
    # The note goes in the last column, usually the widest, so the first stays narrow.
    width = len(rows[0])
    table.add_row(*([Text("...")] + [Text("")] * (width - 2)
                    + [Text(f"{left_out} rows left out (--all shows them)")]))
    for row in rows[-tail:]:
        table.add_row(*map(Text, row))


def render(ev: Evaluation, console: Console, nt: Notation, limit: int | None = DEFAULT_ROW_LIMIT):
    tape = ev.tape
    fwd = _table("Forward pass (one primitive per step)", ["step", "name", "operation", "value"], nt)
    _add_rows(fwd, forward_rows(ev), limit)
    console.print(fwd)

    seed = f"{nt.bar(tape.output_name)} = {nt.partial(tape.output_name, tape.output_name)} = 1"
    title = f"Backward pass (reverse order, seeded with {seed})"
    bwd = _table(nt.text(title), ["#", "sends", "local derivative", "upstream",
                                  "contribution (chain rule)", "running total"], nt)
    rows = backward_rows(ev, nt)
    _add_rows(bwd, rows, limit)
    if rows:
        console.print(bwd)
    else:
        console.print(Text("Backward pass: the output depends on no input, so every gradient is 0."))
    notes = fan_out_notes(ev, nt) + rule_notes(ev, nt)
    if notes:
        console.print(Group(*(Text(("* " if nt.ascii else "• ") + n) for n in notes)))
        console.print()
    render_result(ev, console, nt)


def render_result(ev: Evaluation, console: Console, nt: Notation) -> None:
    res = _table("Result", ["", "value"], nt)
    _add_rows(res, result_rows(ev, nt), None)
    console.print(res)


