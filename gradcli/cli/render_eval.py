"""Rich tables for `gradcli eval`: the forward pass, the backward pass, the result.

Every cell is a `Text`, never a markup string: program text is the user's and may hold
`[` or `:smile:`. Rows are built as plain strings first so tests and the explain mode
can reuse them.
"""
from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..core.engine import Evaluation
from ..core.notation import Notation
from ..report.rows import (
    backward_rows,
    fan_out_notes,
    forward_rows,
    result_rows,
    rule_notes,
)

DEFAULT_ROW_LIMIT = 200


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


