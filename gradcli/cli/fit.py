"""Tables that fit the width they are drawn at without breaking a word.

A cell wraps only at spaces: a number, a rule like `(-v31/f)·v31̄` or a name is never cut
in two. The widths are chosen when the table is drawn (`__rich_console__`), so the same
table fits a terminal, a pipe, a pager's capture or an exported file. When the columns'
longest words do not fit side by side, the table is drawn again with fewer columns: the
caller's `fallbacks` put one column's text under another's (`("stack", below, above)`)
or leave a column out (`("drop", column)`), one after the other, until it fits.
"""

from __future__ import annotations

import re

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

# The narrowest output gradcli lays out: a COLUMNS or a terminal narrower than this (even
# COLUMNS=0) is taken as this wide, so every table keeps its words whole (README, "Exit codes").
MIN_WIDTH = 40

GLUE_NEXT = {"=", "+=", "→", "->", "·", "*", "+", "-"}


def _pieces(line: str) -> list:
    """A line's unbreakable pieces with the spaces before each: words, with `=`/`+=`
    kept with what follows and `a → b` kept whole; the spaces inside a piece kept too."""
    out: list = []
    glue = False
    for gap, word in re.findall(r"(\s*)(\S+)", line):
        if out and (glue or word in ("→", "->")):
            out[-1][1] += gap + word
        else:
            out.append([gap, word])
        glue = word in GLUE_NEXT
    return out


def units(line: str) -> list:
    return [word for _, word in _pieces(line)]


def wrap(text: str, width: int) -> list:
    """`text` in lines at most `width` wide, broken only between units."""
    lines: list = []
    for para in text.split("\n"):
        line = ""
        for gap, unit in _pieces(para):
            if line and cell_len(line) + len(gap) + cell_len(unit) > width:
                lines.append(line)
                line = unit
            else:
                line = line + gap + unit if line else unit
        lines.append(line)
    return lines


def _words(text: str) -> int:
    return max((cell_len(u) for line in text.split("\n") for u in units(line)), default=0)


def _lines(text: str) -> int:
    return max((cell_len(line) for line in text.split("\n")), default=0)


def _frame(columns: int) -> int:
    """Padding of one space on each side of a cell and a one-character edge or rule
    between and around columns (box.SIMPLE_HEAVY and box.ASCII alike)."""
    return 3 * columns + 1


def _apply(columns: list, rows: list, fallback: tuple) -> tuple:
    if fallback[0] == "drop":
        k = columns.index(fallback[1])
        return (columns[:k] + columns[k + 1 :], [row[:k] + row[k + 1 :] for row in rows])
    _, below, above = fallback
    b, a = columns.index(below), columns.index(above)
    keep = [k for k in range(len(columns)) if k != b]

    def merge(cells, sep):
        top, under = cells[a], cells[b]
        joined = top + sep + under if top and under else top or under
        return [joined if k == a else cells[k] for k in keep]

    return merge(list(columns), "\n"), [merge(list(row), "\n") for row in rows]


def _widths(columns: list, rows: list, room: int):
    """Column widths that fit `room` without cutting a word, or None."""
    cells = [[columns[k]] + [row[k] for row in rows] for k in range(len(columns))]
    natural = [max(map(_lines, col)) for col in cells]
    if sum(natural) <= room:
        return natural, True
    least = [max(1, max(map(_words, col))) for col in cells]
    if sum(least) > room:
        return None, False
    widths = least[:]
    extra = room - sum(widths)
    while extra > 0:  # one character at a time to the column that lacks most
        k = max(range(len(widths)), key=lambda j: natural[j] - widths[j])
        if natural[k] <= widths[k]:
            break
        widths[k] += 1
        extra -= 1
    return widths, False


def layout(columns: list, rows: list, width: int, fallbacks=()) -> tuple:
    """(columns, rows, widths) for a table drawn `width` characters wide: every column
    at full width if some layout allows it, else words kept whole, else (narrower than
    any word allows) the last layout with its widths shared out, cells folded."""
    candidates = [(list(columns), [list(r) for r in rows])]
    for fb in fallbacks:
        candidates.append(_apply(*candidates[-1], fb))
    wrapped = None
    for cols, rws in candidates:
        widths, whole = _widths(cols, rws, width - _frame(len(cols)))
        if whole:
            return cols, rws, widths
        if widths is not None:
            height = sum(max(len(wrap(c, w)) for c, w in zip(row, widths)) for row in rws)
            if wrapped is None or height < wrapped[0]:
                wrapped = (height, (cols, rws, widths))
    if wrapped:
        return wrapped[1]
    cols, rws = candidates[-1]
    room = max(len(cols), width - _frame(len(cols)))
    least = [max(map(_words, [c] + [r[k] for r in rws])) or 1 for k, c in enumerate(cols)]
    total = sum(least)
    widths = [max(1, w * room // total) for w in least]
    return cols, rws, widths


class FitTable:
    """A rich renderable: a table of plain-text cells laid out at the width it is given."""

    def __init__(
        self,
        columns,
        rows,
        *,
        title: str | None = None,
        ascii: bool = False,
        fallbacks=(),
        min_width: int | None = None,
        styles: dict | None = None,
    ):
        self.columns = [str(c) for c in columns]
        self.rows = [[str(c) for c in row] for row in rows]
        self.title = title
        self.ascii = ascii
        # By default, narrow tables put each column under its left neighbour, from the
        # right: (a, b, c, d) becomes (a, b / c... ) pairs until the words fit.
        self.fallbacks = tuple(fallbacks) or tuple(
            ("stack", self.columns[k], self.columns[k - 1])
            for k in range(len(self.columns) - 1, 0, -2)
        )
        self.min_width = min_width
        self.styles = styles or {}

    def add_row(self, *cells) -> None:
        self.rows.append([str(c) for c in cells])

    def table(self, width: int) -> Table:
        cols, rows, widths = layout(self.columns, self.rows, width, self.fallbacks)
        table = Table(
            title=Text(self.title) if self.title else None,
            title_justify="left",
            box=box.ASCII if self.ascii else box.SIMPLE_HEAVY,
        )
        for name, w in zip(cols, widths):
            table.add_column(Text("\n".join(wrap(name, w))), width=w, overflow="fold")
        self.row_heights = []
        for row in rows:
            cells = [wrap(cell, w) for cell, w in zip(row, widths)]
            self.row_heights.append(max((len(c) for c in cells), default=1))
            table.add_row(*(Text("\n".join(c)) for c in cells))
        if self.min_width:
            table.min_width = min(self.min_width, width)
        return table

    def blocks(self, lines: list) -> tuple:
        """This table's printed `lines` (as last drawn) cut into (header, rows): the title,
        column names and rule, then each row's lines; what follows the last row (the
        bottom edge) stays with it. The pager keeps a row whole and repeats the header."""
        body = sum(self.row_heights)
        rest = len(lines) - body
        bottom = 1 if rest > 0 and lines[-1].strip(" +-|") == "" else 0
        head = rest - bottom
        rows, at = [], head
        for h in self.row_heights:
            rows.append(lines[at : at + h])
            at += h
        if rows:
            rows[-1] = rows[-1] + lines[at:]
        return lines[:head], rows

    def __rich_console__(self, console, options):
        yield self.table(options.max_width)
