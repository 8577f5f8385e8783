"""Walkthrough steps on screen (rich) and in files (Markdown, HTML, SVG).

Every string is printed as a `Text`, never as markup: programs are the user's text.
Prose is folded to ASCII here when the notation asks for it, so no builder can leak a
`∂` to a terminal that cannot show it. A command for the reader to paste (Commands) is
printed whole on lines of its own, never wrapped or cut, whatever the width: print a
step with `crop=False`, as print_all and the pager do.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console, Group
from rich.padding import Padding
from rich.segment import Segment
from rich.text import Text

from ..core.errors import UsageError
from ..core.notation import Notation
from ..tutor.walkthrough import Commands, Lines, Step, Table
from .fit import FitTable

EXPORT_FORMATS = (".md", ".html", ".svg")


def render_step(step: Step, nt: Notation, index: int, total: int):
    t = nt.text
    parts: list = [Text(f"{t(step.title)}  ({index}/{total})", style="bold cyan"), Text("")]
    for block in step.blocks:
        if isinstance(block, str):
            parts += [Text(t(block)), Text("")]
        elif isinstance(block, Commands):
            parts += [Whole([t(line) for line in block.lines], "bold"), Text("")]
        elif isinstance(block, Lines):
            body = Text("\n".join(t(line) for line in block.lines), style="yellow")
            parts += [Padding(body, (0, 0, 0, 4), expand=False), Text("")]
        elif isinstance(block, Table):
            table = FitTable(
                [t(col) for col in block.columns],
                [[t(cell) for cell in row] for row in block.rows],
                ascii=nt.ascii,
            )
            parts += [table, Text("")]
    return Group(*parts)


class Whole:
    """Lines printed as they are, each on a line of its own: never wrapped, and not cut
    when printed with `crop=False` (a longer line runs past the width, which a terminal
    folds on screen and a paste or a pipe gets whole)."""

    def __init__(self, lines: list, style: str = "") -> None:
        self.lines = lines
        self.style = style

    def __rich_console__(self, console: Console, options):
        style = console.get_style(self.style)
        for line in self.lines:
            yield Segment(line, style)
            yield Segment.line()


def print_all(steps: list, console: Console, nt: Notation) -> None:
    for k, step in enumerate(steps, 1):
        console.print(render_step(step, nt, k, len(steps)), crop=False)


def to_markdown(steps: list, nt: Notation, heading: str) -> str:
    t = nt.text
    out = [f"# {_escape_markdown(_one_line(t(heading)))}", ""]
    for k, step in enumerate(steps, 1):
        out += [f"## {k}. {_escape_markdown(_one_line(t(step.title)))}", ""]
        for block in step.blocks:
            if isinstance(block, str):
                out += [_escape_markdown(_one_line(t(block))), ""]
            elif isinstance(block, Commands):  # a shell session's lines, pasted as they are
                lines = [part for line in block.lines for part in _lines_of(t(line))]
                fence = _fence(lines)
                out += [fence + "sh"] + lines + [fence, ""]
            elif isinstance(block, Lines):
                lines = [part for line in block.lines for part in _lines_of(t(line))]
                fence = _fence(lines)
                out += [fence] + lines + [fence, ""]
            elif isinstance(block, Table):
                out.append("| " + " | ".join(_cell(t(c)) for c in block.columns) + " |")
                out.append("|" + "---|" * len(block.columns))
                out += ["| " + " | ".join(_cell(t(c)) for c in row) + " |" for row in block.rows]
                out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return _escape_markdown(_one_line(text)).replace("|", "\\|") or " "


# Every character some reader treats as the end of a line (str.splitlines' set: \r, \v,
# \f, \x1c-\x1e, \x85, U+2028, U+2029): a program comment must not end a line, and so a
# code fence, anywhere but where the export puts a newline itself.
def _lines_of(text: str) -> list:
    return text.splitlines() or [""]


def _one_line(text: str) -> str:
    return " ".join(_lines_of(text))


def _fence(lines: list) -> str:
    """A code fence longer than any run of backticks in the lines, so none can close it."""
    import re

    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _escape_html(text: str) -> str:
    """Program text (a comment, a name) must not become markup in the exported file."""
    return html.escape(text, quote=False)


def _escape_markdown(text: str) -> str:
    """Text outside code holds the user's program and comments: `a*b*c` must not turn b
    into italics, nor a comment's `[x](url)`, `![i](src)` or `<img onerror>` into a live
    link, image or tag. Every Markdown punctuation mark is escaped with a backslash (shown
    as itself by any renderer); < > & become entities."""
    text = _escape_html(text)
    for ch in "\\`*_[]#!~|{}":
        text = text.replace(ch, "\\" + ch)
    return text


def _commands(steps: list) -> list:
    return [line for s in steps for b in s.blocks if isinstance(b, Commands) for line in b.lines]


def export(steps: list, path: str, nt: Notation, heading: str) -> None:
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise UsageError(
            f"--export {path}: unknown file type '{suffix or path}'",
            "give a file ending in .md, .html or .svg",
        )
    if suffix == ".md":
        content = to_markdown(steps, nt, heading)
    else:
        console = Console(
            record=True,
            file=io.StringIO(),
            width=max([100] + [cell_len(c) for c in _commands(steps)]),  # a command is never cut
            highlight=False,
            emoji=False,
            markup=False,
            force_terminal=True,
        )
        console.print(Text(nt.text(heading), style="bold"))
        print_all(steps, console, nt)
        content = (
            console.export_html(inline_styles=True)
            if suffix == ".html"
            else console.export_svg(title=nt.text(heading))
        )
    from .outfile import write_file

    write_file(path, content)
