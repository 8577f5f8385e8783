"""Show steps one screen at a time at a terminal: Enter/space/n next, b back, q quit.

Keys are read one at a time in cbreak mode (no Enter needed for b or q). End of input
(a closed stdin, or Ctrl-D, which cbreak mode delivers as a character) ends the
walkthrough cleanly, like q. SIGTERM or SIGHUP while paging restores the terminal's
settings and exits with 128 + the signal's number. Without termios (Windows) every step
is printed at once.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Optional

from rich.console import Console
from rich.text import Text

from ..core.notation import Notation
from .fit import FitTable
from .render_steps import render_step

NEXT = {"\r", "\n", " ", "n", "j"}
BACK = {"b", "p", "k"}
QUIT = {"q", "\x04", ""}


@contextmanager
def keys(fd: int):
    """Yield a function that reads one key press; cbreak mode for the whole session.

    Set once, before the first screen, so a key typed early (even Ctrl-D) is read as a
    key and not swallowed by the line editor when the mode changes.
    """
    import termios
    import tty

    try:
        old = termios.tcgetattr(fd)
    except termios.error:
        old = None

    def restore() -> None:
        if old is not None:
            try:
                termios.tcsetattr(fd, termios.TCSADRAIN, old)
            except (termios.error, OSError):  # a terminal that hung up has no settings
                pass

    def stopped(signum, frame):
        restore()
        raise SystemExit(128 + signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, stopped)
    if old is not None:
        tty.setcbreak(fd)
    try:
        yield lambda: os.read(fd, 1).decode("utf-8", "replace")
    finally:
        restore()
        for number, handler in previous.items():
            signal.signal(number, handler)


def page(steps: list, console: Console, nt: Notation) -> None:
    try:
        import termios  # noqa: F401  (only to know whether keys can be read one at a time)
        import tty  # noqa: F401  (likewise: paging one key at a time needs both)
    except ImportError:  # Windows: no cbreak mode, so every step at once
        from .render_steps import print_all

        print_all(steps, console, nt)
        return
    with keys(sys.stdin.fileno()) as key:
        show_pages(steps, console, nt, key)


def blocks(step, console: Console, nt: Notation, index: int, total: int) -> list:
    """A step as (header, rows) blocks of printed lines: a table's header is its title,
    column names and rule; any other text is rows of one line with no header. A command
    to paste is printed whole (crop=False), past the width if it is longer."""
    out = []
    for part in render_step(step, nt, index, total).renderables:
        with console.capture() as captured:
            console.print(part, crop=False)
        lines = captured.get().rstrip("\n").split("\n")
        if isinstance(part, FitTable):
            out.append(part.blocks(lines))
        else:
            out.append(([], [[line] for line in lines]))
    return out


def _rows(line: str, width: Optional[int]) -> int:
    """The terminal rows a printed line takes: one, or more where a line longer than the
    width (a command, never wrapped by gradcli) is folded by the terminal."""
    if width is None or len(line) <= width:  # (escape codes only add to len)
        return 1
    return max(1, -(-Text.from_ansi(line).cell_len // max(1, width)))


def paginate(step_blocks: list, height: int, width: Optional[int] = None) -> list:
    """Screens that fit the terminal, leaving a line for the keys. A table row is never
    cut from its header: a table that goes on to the next screen repeats its header
    there; only a row taller than a screen is cut. `width`: the terminal's, to count a
    line longer than it as the rows it is folded into."""
    room = max(3, height - 1)

    def tall(lines: list) -> int:
        return sum(_rows(line, width) for line in lines)

    pages: list = [[]]
    used = 0  # rows taken on the current screen
    for header, rows in step_blocks:
        if not rows:
            rows = [[]]
        shown = False  # this table's header is on the current screen
        for row in rows:
            need = tall(row) + (0 if shown else tall(header))
            if pages[-1] and used + need > room:
                pages.append([])
                used, shown = 0, False
            if not shown:
                pages[-1].extend(header)
                used += tall(header)
                shown = True
            lines = list(row)
            while used + tall(lines) > room:  # taller than a screen
                cut = 1  # at least one line a screen, however tall
                while cut < len(lines) and used + tall(lines[: cut + 1]) <= room:
                    cut += 1
                pages[-1].extend(lines[:cut])
                lines = lines[cut:]
                pages.append(list(header))
                used = tall(header)
            pages[-1].extend(lines)
            used += tall(lines)
    while len(pages) > 1 and not any(line.strip() for line in pages[-1]):
        pages.pop()
    return pages


def show_pages(steps: list, console: Console, nt: Notation, key) -> None:
    total = len(steps)
    k = part = 0
    while 0 <= k < total:
        parts = paginate(
            blocks(steps[k], console, nt, k + 1, total), console.size.height, console.size.width
        )
        console.clear()  # one screen per step, as in a pager; b brings the last one back
        console.file.write("\n".join(parts[part]) + "\n")
        more = part < len(parts) - 1
        last = k == total - 1 and not more
        hint = (
            "[Enter] more  [b] back  [q] quit"
            if more
            else "[Enter] finish  [b] back  [q] quit"
            if last
            else "[Enter] next  [b] back  [q] quit"
        )
        console.print(Text(hint, style="dim"), end="")
        console.file.flush()
        while True:
            pressed = key()
            if pressed in NEXT or pressed in BACK or pressed in QUIT:
                break
        console.print()
        if pressed in QUIT:
            return
        if pressed in BACK:
            k, part = max(0, k - 1 if part == 0 else k), 0
        elif more:
            part += 1
        else:
            k, part = k + 1, 0
