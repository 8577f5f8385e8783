"""Walkthrough steps on screen (rich) and in files (Markdown, HTML, SVG).

Every string is printed as a `Text`, never as markup: programs are the user's text.
Prose is folded to ASCII here when the notation asks for it, so no builder can leak a
`∂` to a terminal that cannot show it.
"""
from __future__ import annotations

import html
import io
from pathlib import Path

from rich.console import Console, Group
from rich.padding import Padding
from rich.text import Text

from ..core.errors import UsageError
from ..core.notation import Notation
from ..tutor.walkthrough import Lines, Step, Table
from .fit import FitTable

EXPORT_FORMATS = (".md", ".html", ".svg")


def render_step(step: Step, nt: Notation, index: int, total: int):
    t = nt.text
    parts = [Text(f"{t(step.title)}  ({index}/{total})", style="bold cyan"), Text("")]
    for block in step.blocks:
        if isinstance(block, str):
            parts += [Text(t(block)), Text("")]
        elif isinstance(block, Lines):
            body = Text("\n".join(t(line) for line in block.lines), style="yellow")
            parts += [Padding(body, (0, 0, 0, 4), expand=False), Text("")]
        elif isinstance(block, Table):
            table = FitTable([t(col) for col in block.columns],
                             [[t(cell) for cell in row] for row in block.rows], ascii=nt.ascii)
            parts += [table, Text("")]
    return Group(*parts)


def print_all(steps: list, console: Console, nt: Notation) -> None:
    for k, step in enumerate(steps, 1):
        console.print(render_step(step, nt, k, len(steps)))


def to_markdown(steps: list, nt: Notation, heading: str) -> str:
    t = nt.text
    out = [f"# {_escape_markdown(t(heading))}", ""]
    for k, step in enumerate(steps, 1):
        out += [f"## {k}. {t(step.title)}", ""]
        for block in step.blocks:
            if isinstance(block, str):
                out += [_escape_html(t(block)), ""]
            elif isinstance(block, Lines):
                out += ["```"] + [t(line) for line in block.lines] + ["```", ""]
            elif isinstance(block, Table):
                out.append("| " + " | ".join(_cell(t(c)) for c in block.columns) + " |")
                out.append("|" + "---|" * len(block.columns))
                out += ["| " + " | ".join(_cell(t(c)) for c in row) + " |" for row in block.rows]
                out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return _escape_html(text).replace("|", "\\|").replace("\n", " ") or " "


def _escape_html(text: str) -> str:
    """Program text (a comment, a name) must not become markup in the exported file."""
    return html.escape(text, quote=False)


def _escape_markdown(text: str) -> str:
    """A heading holds the user's program: `a*b*c` must not turn b into italics."""
    text = _escape_html(text)
    for ch in "\\`*_[]#":
        text = text.replace(ch, "\\" + ch)
    return text


def export(steps: list, path: str, nt: Notation, heading: str) -> None:
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise UsageError(f"--export {path}: unknown file type '{suffix or path}'",
                         "give a file ending in .md, .html or .svg")
    if suffix == ".md":
        content = to_markdown(steps, nt, heading)
    else:
        console = Console(record=True, file=io.StringIO(), width=100, highlight=False,
                          emoji=False, markup=False, force_terminal=True)
        console.print(Text(nt.text(heading), style="bold"))
        print_all(steps, console, nt)
        content = (console.export_html(inline_styles=True) if suffix == ".html"
                   else console.export_svg(title=nt.text(heading)))
    from .outfile import write_file

    write_file(path, content)
