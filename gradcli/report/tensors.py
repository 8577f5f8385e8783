"""Arrays as text: in full when small, summarised when big, every number with --all.

One rule for every table that shows an array (the forward values, the backward terms,
the result): an array of at most SMALL_ENTRIES entries, at most two axes and at most
SMALL_ROWS rows is written in full as compact nested rows, columns aligned as NumPy aligns them;
a bigger one as its mean, min and max and its top-left corner. `show_all` writes every
array in full. A row wider than the room given is wrapped between entries, never inside
a number. Nothing here recurses: nested rows are built a row at a time.
"""

from __future__ import annotations

import json

from ..core.arrays import np, shape_text
from ..core.notation import fmt

SMALL_ENTRIES = 36  # about 6×6
SMALL_AXES = 2
SMALL_ROWS = 6  # a tall column (32, 1) is summarised: one line per entry is too many
CORNER = (2, 3)  # the summary's top-left corner: 2 rows, 3 columns
CORNER_1D = 6


def is_small(a) -> bool:
    """At most 36 entries, in one row or at most 2 axes and 6 rows."""
    shape = np.shape(a)
    return (
        len(shape) <= SMALL_AXES
        and np.size(a) <= SMALL_ENTRIES
        and (len(shape) < 2 or shape[0] <= SMALL_ROWS)
    )


def array_lines(a, width=None, show_all: bool = False) -> list:
    """Lines of text for a number or an array: in full when small (or `show_all`),
    else a summary. No line is wider than `width` unless one number is."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return [fmt(float(a))]
    if show_all or is_small(a):
        return full_lines(a, width)
    return summary_lines(a, width)


def array_text(a, width=None, show_all: bool = False) -> str:
    return "\n".join(array_lines(a, width, show_all))


def one_line(a, limit: int = 4) -> str:
    """One short line for a node of a graph: a number, an array of at most `limit`
    entries in full, else its shape's statistics (mean, min, max)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return fmt(float(a))
    if a.size <= limit:
        return " ".join(line.strip() for line in full_lines(a, None, align=False))
    return stats(a)


def stats(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return "no entries"
    with np.errstate(all="ignore"):
        return (
            f"mean {fmt(float(np.mean(a)))}, min {fmt(float(np.min(a)))}, "
            f"max {fmt(float(np.max(a)))}"
        )


def full_lines(a, width=None, align: bool = True) -> list:
    """Every entry, as nested rows: one line per innermost row, entries right-aligned by
    column. A row wider than `width` is broken between entries, at the same columns in
    every row, continuation lines indented under the first entry."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return [fmt(float(a))]
    if a.size == 0:
        return ["[]"]
    nd = a.ndim
    last = a.shape[-1]
    cells = [[fmt(v) for v in row] for row in a.reshape(-1, last).tolist()]
    if align:
        widths = [max(len(r[k]) for r in cells) for k in range(last)]
        cells = [[c.rjust(w) for c, w in zip(r, widths)] for r in cells]
    else:
        widths = [max(len(r[k]) for r in cells) for k in range(last)]
    breaks = _breaks(widths, nd, width)
    lines = []
    for r, row in enumerate(cells):
        opening, closing = _brackets(a.shape, r)
        head = " " * (nd - opening) + "[" * opening
        tail = "]" * closing + ("" if r == len(cells) - 1 else ",")
        for k, (lo, hi) in enumerate(breaks):
            text = ", ".join(row[lo:hi])
            if hi < len(row):
                text += ","
            else:
                text += tail
            lines.append((head if k == 0 else " " * nd) + text)
    return lines


def _brackets(shape, r: int) -> tuple:
    """How many brackets open before, and close after, innermost row r of an array of
    `shape`: an axis opens at the first row of each of its blocks and closes at the last."""
    opening = closing = 1
    block = 1
    for size in reversed(shape[:-1]):
        block *= size
        opening += r % block == 0
        closing += r % block == block - 1
    return opening, closing


def _breaks(widths: list, nd: int, width) -> list:
    """Where to break every row: (first, end) entry ranges whose text fits in `width`
    with the brackets around it (nd each side, and a comma). At least one entry a line."""
    if width is None:
        return [(0, len(widths))]
    room = width - 2 * nd - 1
    breaks, lo, used = [], 0, 0
    for k, w in enumerate(widths):
        need = w + (2 if k > lo else 0)
        if k > lo and used + need > room:
            breaks.append((lo, k))
            lo, used = k, w
        else:
            used += need
    breaks.append((lo, len(widths)))
    return breaks


def corner(a, columns=None):
    """The summary's corner and how to say where it is: `[:2, :3]`."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        k = columns or CORNER_1D
        return a[:k], f"[:{k}]"
    k = columns or CORNER[1]
    lead = (0,) * (a.ndim - 2)
    part = a[lead][: CORNER[0], :k]
    where = ", ".join(["0"] * (a.ndim - 2) + [f":{CORNER[0]}", f":{k}"])
    return part, f"[{where}]"


def summary_lines(a, width=None) -> list:
    """mean, min, max, then the corner in full, labelled with where it sits. Where the
    room is narrow the corner has fewer columns, rather than rows broken in two."""
    a = np.asarray(a, dtype=float)
    most = CORNER_1D if a.ndim == 1 else CORNER[1]
    for columns in range(most, 0, -1):
        part, where = corner(a, columns)
        lines = full_lines(part, None)
        if width is None or max(map(len, lines)) <= width:
            break
    else:
        part, where = corner(a, most)
        lines = full_lines(part, width)
    more = part.size < a.size
    label = f"corner {where}:" if more else "entries:"
    return wrap_words(stats(a), width) + [label] + lines


def wrap_words(text: str, width) -> list:
    """Prose in lines of at most `width`, broken between words (never inside a number)."""
    if width is None:
        return [text]
    import textwrap

    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [text]


# --- JSON with arrays kept compact -------------------------------------------------------
_MARK = "\x00array%d\x00"


def is_nested_numbers(x) -> bool:
    """A list of numbers (or nulls), or a list of such lists, at any depth, rectangular
    or not: what a NumPy array becomes. Checked a level at a time, without recursion."""
    if not isinstance(x, list):
        return False
    level = [x]
    while level:
        lists = [v for item in level for v in item if isinstance(v, list)]
        others = [v for item in level for v in item if not isinstance(v, list)]
        if lists and others:
            return False
        if any(
            not (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)))
            for v in others
        ):
            return False
        level = lists
    return True


def _rectangular_shape(x: list):
    """The shape of a rectangular nested list, or None; and its innermost rows."""
    shape, level = [], [x]
    while all(isinstance(item, list) for item in level):
        sizes = {len(item) for item in level}
        if len(sizes) != 1:
            return None, None
        shape.append(sizes.pop())
        rows = level
        level = [v for item in level for v in item]
        if not level:
            break
    if any(isinstance(v, list) for v in level):
        return None, None
    return tuple(shape), rows


def compact_array_json(x: list) -> str:
    """A nested list of numbers as JSON with each innermost row on one line,
    `[[1.0, 2.0],` then ` [3.0, 4.0]]`, the brackets placed as NumPy prints them."""
    shape, rows = _rectangular_shape(x)

    def one(v) -> str:
        return json.dumps(v, allow_nan=False, separators=(", ", ": "))

    if shape is None or len(shape) < 2 or 0 in shape:
        return one(x)
    nd = len(shape)
    lines = []
    for r, row in enumerate(rows):
        opening, closing = (n - 1 for n in _brackets(shape, r))
        tail = "]" * closing + ("" if r == len(rows) - 1 else ",")
        lines.append(" " * (nd - 1 - opening) + "[" * opening + one(row) + tail)
    return "\n".join(lines)


def dumps(doc, indent: int = 1) -> str:
    """json.dumps with `indent`, except that every nested list of numbers (an array) is
    written compactly: each innermost row on one line. Still strict JSON: non-finite
    numbers must already be null."""
    arrays = []
    # Replace arrays by marker strings, walking the document with a stack (no recursion).
    root = {"doc": doc}
    stack: list = [root]  # lists and dicts
    while stack:
        node = stack.pop()
        keys = range(len(node)) if isinstance(node, list) else list(node)
        for k in keys:
            v = node[k]
            if isinstance(v, list) and v and is_nested_numbers(v):
                arrays.append(v)
                node[k] = _MARK % (len(arrays) - 1)
            elif isinstance(v, (list, dict)):
                node[k] = v = list(v) if isinstance(v, list) else dict(v)
                stack.append(v)
    text = json.dumps(root["doc"], allow_nan=False, indent=indent)
    if not arrays:
        return text
    out = []
    for line in text.split("\n"):
        start = line.find('"\\u0000array')
        if start < 0:
            out.append(line)
            continue
        end = line.index('\\u0000"', start) + len('\\u0000"')
        which = int(line[start + len('"\\u0000array') : end - len('\\u0000"')])
        body = compact_array_json(arrays[which]).split("\n")
        margin = " " * start  # continuation rows line up under the first one
        out.append(line[:start] + body[0])
        out += [margin + b for b in body[1:]]
        out[-1] += line[end:]
    return "\n".join(out)


def shape_of(x) -> str:
    return shape_text(np.shape(x))
