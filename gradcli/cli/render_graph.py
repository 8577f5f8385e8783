"""The graph's tree as rich Text lines for the terminal."""

from __future__ import annotations

from rich.text import Text

from ..core.notation import Notation
from ..emit.graph import DEFAULT_DEPTH, STYLES, Graph, tree_lines, tree_rows


def tree_text(graph: Graph, nt: Notation, max_depth: int = DEFAULT_DEPTH):
    """The tree as rich Text lines, user text never read as markup. It is drawn with a
    loop, not rich's Tree, and the depth limit keeps a 10,000-step chain from printing a
    10,000-column staircase."""
    lines = []
    for prefix, (_depth, kind, title, detail) in tree_lines(
        tree_rows(graph, nt, max_depth), nt.ascii
    ):
        line = Text(prefix, style="dim")
        if kind == "reuse":
            line.append(("^ " if nt.ascii else "↑ ") + title, style=STYLES[kind])
        else:
            line.append(title, style=STYLES[kind])
        if kind == "cut":
            detail += " (--depth N draws more)"
        line.append("   " + detail, style="dim" if kind in ("reuse", "cut") else "")
        lines.append(line)
    return lines
