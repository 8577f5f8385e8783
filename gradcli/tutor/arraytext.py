"""Arrays as a learner reads them in a walkthrough: small ones entry by entry, big ones as
their shape and a few numbers that summarise them.

Minimal on purpose: the tutor's own formatter for its sentences and formula lines, one
line per array where a sentence or a table cell needs one, and 3-D arrays of a few
entries in full (the embedding lesson's); the statistics of a big array are the ones
`gradcli eval`'s tables give (report/tensors.py). Every entry is written with `fmt`, six
significant digits, as the scalar walkthroughs write numbers; NumPy is reached only
through core.arrays' lazy proxy, so importing this costs a scalar program nothing.
"""

from __future__ import annotations

import unicodedata

from ..core.arrays import np, shape_text
from ..core.notation import fmt
from ..report.tensors import stats

EXACT_LIMIT = 24  # arrays with at most this many entries are shown entry by entry
LINE_LIMIT = 64  # a 2-D array longer than this on one line gets one row per line


def is_number(a) -> bool:
    return np.ndim(a) == 0


def shape_of(a) -> str:
    """`(2, 3)`, or `a number` for a 0-d value."""
    return "a number" if is_number(a) else shape_text(np.shape(a))


def entries(a) -> str:
    """Every entry as nested lists on one line: [[1, 2.5], [3, -4]]; a number as fmt."""
    a = np.asarray(a, dtype=float)
    items = [fmt(float(v)) for v in a.ravel().tolist()]
    if a.ndim == 0:
        return items[0]
    if a.size == 0:
        return "[]"
    for d in reversed(a.shape[1:]):
        items = ["[" + ", ".join(items[k : k + d]) + "]" for k in range(0, len(items), d)]
    return "[" + ", ".join(items) + "]"


def summary(a) -> str:
    """A big array in a few words: how many entries, its shape, and the statistics
    `gradcli eval`'s tables give (report/tensors.py: mean, min, max)."""
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return f"an empty array of shape {shape_text(a.shape)}"
    return f"{a.size} entries of shape {shape_text(a.shape)}: {stats(a)}"


def small(a) -> bool:
    return np.size(a) <= EXACT_LIMIT


def text(a) -> str:
    """One line: the entries when the array is small, else its summary."""
    return entries(a) if small(a) else summary(a)


def lines(head: str, a) -> list:
    """`head` followed by the array, as formula lines: a 2-D array that does not fit on one
    line gets one row per line, its columns aligned under each other:

        W̄ = [[13, 18],
              [17, 24]]
    """
    a = np.asarray(a, dtype=float)
    one = f"{head}{text(a)}"
    if not small(a) or a.ndim != 2 or len(one) <= LINE_LIMIT or a.shape[0] < 2:
        return [one]
    cells = [[fmt(float(v)) for v in row] for row in a.tolist()]
    widths = [max(len(row[k]) for row in cells) for k in range(a.shape[1])]
    rows = ["[" + ", ".join(c.rjust(w) for c, w in zip(row, widths)) + "]" for row in cells]
    pad = " " * (width(head) + 1)
    out = [f"{head}[{rows[0]},"]
    out += [f"{pad}{r}," for r in rows[1:-1]]
    out.append(f"{pad}{rows[-1]}]")
    return out


def width(line: str) -> int:
    """Columns a line takes: a combining mark (the bar of W̄) takes none."""
    return sum(1 for ch in line if not unicodedata.combining(ch))
