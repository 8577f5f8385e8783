"""Rich tables for `gradcli eval`: the forward pass, the backward pass, the result.

Every cell is a `Text`, never a markup string: program text is the user's and may hold
`[` or `:smile:`. Rows are built as plain strings first so tests and the explain mode
can reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich import box
from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ..core.engine import Evaluation
from ..core.notation import Notation
from ..report.rows import (
    Rows,
    backward_columns,
    backward_rows,
    fan_out_notes,
    forward_columns,
    forward_rows,
    result_columns,
    result_rows,
    rule_notes,
    shown_steps,
)
from .fit import FitTable

DEFAULT_ROW_LIMIT = 200


# --- tables -----------------------------------------------------------------------------
def _table(
    title: str, columns: list, nt: Notation, arrays: dict | None = None, fallbacks=()
) -> Table | FitTable:
    """A table that never breaks a word: cells wrap at spaces, and at narrow widths the
    `fallbacks` stack or drop columns (see fit.py). In tensor mode the columns holding
    arrays (`arrays`: column -> width of its widest line) never wrap and keep that width,
    so a number is never broken: the other columns wrap around them."""
    if not arrays:
        return FitTable(columns, [], title=title, ascii=nt.ascii, fallbacks=fallbacks)
    table = Table(
        title=Text(title), box=box.ASCII if nt.ascii else box.SIMPLE_HEAVY, title_justify="left"
    )
    for k, name in enumerate(columns):
        if arrays and k in arrays:
            table.add_column(Text(name), no_wrap=True, min_width=arrays[k])
        else:
            table.add_column(Text(name), overflow="fold")
    return table


def _add_rows(table: Table | FitTable, rows: Sequence, limit: int | None) -> None:
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
    table.add_row(
        *(
            [Text("...")]
            + [Text("")] * (width - 2)
            + [Text(f"{left_out} rows left out (--all shows them)")]
        )
    )
    for row in rows[-tail:]:
        table.add_row(*map(Text, row))


class Paragraphs:
    """Lines of prose, each printed as `console.print(Text(line))` prints it: wrapped at
    spaces to the width, a word longer than a line folded. A 100,000-step program has
    some 17,000 fan-out notes, and a rich Text costs about 100 µs each to lay out: a
    line of plain text (printable, no space but " ") is divided where rich divides it
    (rich's own `divide_line`) and trimmed as `Text.wrap` trims it, without building one;
    any other line is a Text as before. Print with `crop=False` (every line fits)."""

    def __init__(self, lines: list):
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions):
        divide_line: Callable[..., list[int]] | None  # rich._wrap.divide_line(text, width)
        try:
            from rich._wrap import divide_line
        except ImportError:  # (a rich without it: every line as a Text)
            divide_line = None
        from rich.cells import cell_len, set_cell_size

        width = options.max_width
        for text in self.lines:
            if divide_line is None or not text.isprintable():
                yield Text(text)
                continue
            offsets = divide_line(text, width)
            for start, end in zip([0, *offsets], [*offsets, len(text)]):
                line = text[start:end]
                if len(line) > width:  # Text.rstrip_end: spaces beyond the width go
                    spaces = len(line) - len(line.rstrip(" "))
                    line = line[: len(line) - min(spaces, len(line) - width)]
                if cell_len(line) > width:  # Text.truncate, as overflow="fold" does
                    line = set_cell_size(line, width)
                yield Segment(line)
                yield Segment.line()


# Tensor mode: how wide an array's lines may be. The table's frame takes 3 characters per
# column and 1 more; the prose columns keep at least PROSE_MIN characters.
PROSE_MIN = 24


def _frame(columns: int) -> int:
    return 3 * columns + 1


def _array_room(console: Console, fixed: int, columns: int, prose: int = PROSE_MIN) -> int:
    """Room for an array column: what the terminal leaves after the frame, the narrow
    columns (`fixed`) and the prose, at most half the width, at least 20 characters."""
    width = console.width
    return max(
        20, min(width // 2 if width >= 100 else width, width - _frame(columns) - fixed - prose)
    )


def _widest(rows: list, column: int) -> int:
    return max((len(line) for row in rows for line in row[column].split("\n")), default=1)


def _with_calls(ev: Evaluation, columns: list, rows):
    """A program that calls functions it defines gets a column after "operation" saying
    which call each step was written out from ("sig(a*x + b)"). Rows built as read stay
    so: a row gets its call when it is built."""
    tape = ev.tape
    if not any(step.call for step in tape.steps):
        return columns, rows
    shown = [tape.steps[i].call or "" for i in shown_steps(tape)]  # as forward_rows skips

    def row(k: int) -> tuple:
        r = rows[k]
        return r[:3] + (shown[k],) + r[3:]

    columns = columns[:3] + ["from call"] + columns[3:]
    if isinstance(rows, Rows):
        return columns, Rows(len(rows), row)
    return columns, [row(k) for k in range(len(rows))]


def render(ev: Evaluation, console: Console, nt: Notation, limit: int | None = DEFAULT_ROW_LIMIT):
    tape = ev.tape
    tensor = tape.tensor
    show_all = limit is None
    calls = any(step.call for step in tape.steps)
    if tensor:
        # step and name are short; shape about 10 characters.
        probe = forward_rows(ev, None, False)
        narrow = _widest(probe, 0) + min(_widest(probe, 1), 12) + _widest(probe, 3)
        room = _array_room(console, narrow, 5 + calls, prose=16 + 12 * calls)
        columns, rows = _with_calls(ev, forward_columns(ev), forward_rows(ev, room, show_all))
        fwd = _table(
            "Forward pass (one primitive per step)",
            columns,
            nt,
            {4 + calls: _widest(rows, 4 + calls)},
        )
    else:
        columns, rows = _with_calls(ev, forward_columns(ev), forward_rows(ev))
        fwd = _table("Forward pass (one primitive per step)", columns, nt)
    _add_rows(fwd, rows, limit)
    console.print(fwd)

    out = tape.output_label  # f' when the program rebinds f: the rows' name for it
    seed = f"{nt.bar(out)} = {nt.partial(out, out)} = 1"
    title = f"Backward pass (reverse order, seeded with {seed})"
    if tensor:
        sends = [f"{tape.label(c.node)} -> {tape.label(c.input)}" for c in ev.contributions]
        narrow = len(str(len(sends))) + min(max(map(len, sends), default=5), 16)
        room = _array_room(console, narrow, 4, prose=PROSE_MIN + 4)
        rows = backward_rows(ev, nt, room, show_all)
        bwd = _table(
            nt.text(title), backward_columns(ev), nt, {3: _widest(rows, 3)} if rows else None
        )
    else:
        rows = backward_rows(ev, nt)
        columns = backward_columns(ev)
        # Narrow: the contribution under the rule, then the running total under the
        # sender, then without the upstream column (the contribution repeats it).
        bwd = _table(
            nt.text(title),
            columns,
            nt,
            fallbacks=(
                ("stack", columns[4], columns[2]),
                ("stack", columns[5], columns[1]),
                ("drop", columns[3]),
            ),
        )
    _add_rows(bwd, rows, limit)
    if rows:
        console.print(bwd)
    else:
        console.print(
            Text("Backward pass: the output depends on no input, so every gradient is 0.")
        )
    notes = fan_out_notes(ev, nt) + rule_notes(ev, nt)
    if nt.ascii and rows:
        last = ev.contributions[-1]
        notes.insert(0, nt.legend(out, tape.label(last.node), tape.label(last.input)))
    if notes:
        bullet = "* " if nt.ascii else "• "
        console.print(Paragraphs([bullet + n for n in notes]), crop=False)
        console.print()
    render_result(ev, console, nt, show_all)


def render_result(ev: Evaluation, console: Console, nt: Notation, show_all: bool = False) -> None:
    if ev.tape.tensor:
        probe = result_rows(ev, nt)
        narrow = _widest(probe, 0) + _widest(probe, 1)
        rows = result_rows(ev, nt, _array_room(console, narrow, 3, prose=0), show_all)
        res = _table("Result", result_columns(ev), nt, {2: _widest(rows, 2)})
    else:
        rows = result_rows(ev, nt)
        res = _table("Result", result_columns(ev), nt)
    _add_rows(res, rows, None)
    console.print(res)
    if ev.tape.tensor:
        console.print(
            Text(
                "Arrays are shown to 6 significant digits; --grad-only and --json give every digit."
            )
        )
