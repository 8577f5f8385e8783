"""The one family of errors gradcli reports to a user; the CLI catches it once.

Exit codes: 0 success, 1 the program could not be evaluated (a domain error such as
log of a negative number), 2 the command or the program was malformed (usage, syntax,
unknown function, missing or bad value, unreadable file).
"""
from __future__ import annotations

import difflib
from typing import Iterable, Optional

EXIT_OK = 0
EXIT_EVAL = 1
EXIT_USAGE = 2


class GradcliError(Exception):
    exit_code = EXIT_USAGE

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail  # more lines: a source excerpt with a caret, a hint

    def __str__(self) -> str:
        return self.message + (("\n" + self.detail) if self.detail else "")


class UsageError(GradcliError):
    """The command line was malformed: a bad value, a missing input, an unreadable file."""


class SourceError(GradcliError):
    """The program text is malformed; carries the position to point at."""

    def __init__(self, message: str, source: str, pos: int, hint: str = ""):
        self.pos = pos
        self.line, self.column = line_col(source, pos)
        excerpt = caret_excerpt(source, pos)
        detail = excerpt + (("\n" + hint) if hint else "")
        where = f"line {self.line}, column {self.column}"
        super().__init__(f"{message} (at {where})", detail)


class EvaluationError(GradcliError):
    """The program is well formed, but a value is undefined for the inputs given."""

    exit_code = EXIT_EVAL


def line_col(source: str, pos: int) -> tuple[int, int]:
    pos = max(0, min(pos, len(source)))
    line = source.count("\n", 0, pos) + 1
    start = source.rfind("\n", 0, pos) + 1
    return line, pos - start + 1


def caret_excerpt(source: str, pos: int, width: int = 72) -> str:
    """The offending line (a window of it if long) with a caret under `pos`."""
    pos = max(0, min(pos, len(source)))
    start = source.rfind("\n", 0, pos) + 1
    end = source.find("\n", pos)
    end = len(source) if end < 0 else end
    line = source[start:end].rstrip("\r")  # a CRLF file's line ends before its \r
    col = pos - start
    lo = max(0, col - width // 2)
    hi = min(len(line), lo + width)
    shown = "".join(ch if ch.isprintable() else "?" for ch in line[lo:hi])
    prefix = "..." if lo > 0 else ""
    suffix = "..." if hi < len(line) else ""
    # The caret goes under the character: wide (CJK) characters take two cells.
    pad = len(prefix) + sum(_cells(ch) for ch in shown[:col - lo])
    return f"  {prefix}{shown}{suffix}\n  {' ' * pad}^"


def _cells(ch: str) -> int:
    import unicodedata

    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def suggest(name: str, candidates: Iterable[str]) -> Optional[str]:
    """Up to two close candidates, ignoring case (SIGMOID -> sigmoid), never the name itself."""
    by_lower: dict = {}
    for c in sorted(set(candidates)):
        if c != name:
            by_lower.setdefault(c.lower(), c)
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=2, cutoff=0.6)
    if not found:
        return None
    return " or ".join(f"'{by_lower[c]}'" for c in found)
