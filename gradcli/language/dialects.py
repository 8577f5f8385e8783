"""Which language a program is written in, and reading it: gradcli's own, or code pasted
from the tutorials (Python as micrograd and CS231n write it, JavaScript as the Hacker's
guide does).

"auto" reads gradcli's language first, so every program means what it always meant; only
text gradcli's parser refuses is read as Python or JavaScript, whichever it looks like
(`var`, `//`, `Math.exp` against `import`, `Value(`, `.backward()`, `math.exp`), the
other one next. Text that looks like neither keeps gradcli's own error.
"""

from __future__ import annotations

import re
from typing import Optional

from ..core.errors import SourceError, UsageError
from ..core.ops import CONSTANTS

DIALECTS = ("auto", "gradcli", "python", "js")
_ALIASES = {"py": "python", "javascript": "js", "node": "js", "grad": "gradcli"}
BY_EXTENSION = {".py": "python", ".js": "js", ".mjs": "js", ".cjs": "js", ".grad": "gradcli"}

_LOOKS = {
    "python": [
        re.compile(p, re.M)
        for p in (
            r"^[ \t]*(?:import|from)[ \t]+\w",
            r"^[ \t]*def[ \t]+\w+[ \t]*\(",
            r"\bValue[ \t]*\(",
            r"\bprint[ \t]*\(",
            r"\.backward[ \t]*\(",
            r"\b(?:math|np|numpy|torch)\.\w",
            r"\.(?:relu|tanh|exp|log|sigmoid|item|data|grad)\b",
            r"\bf['\"]",
            r"^[ \t]*#",
        )
    ],
    "js": [
        re.compile(p, re.M)
        for p in (
            r"\b(?:var|let|const)[ \t]+[^\W\d]",
            r"//",
            r"/\*",
            r"\bMath\.\w",
            r"\bfunction\b",
            r"\bconsole\.\w",
            r"=>",
            r";[ \t]*$",
        )
    ],
}


def dialect_name(name: str) -> str:
    """--from's value, checked: auto, gradcli, python or js (py, javascript accepted)."""
    chosen = _ALIASES.get(name.lower(), name.lower())
    if chosen not in DIALECTS:
        raise UsageError(
            f"unknown language '{name}' to read the program as",
            "choose auto, gradcli, python or js",
        )
    return chosen


def guesses(source: str) -> list:
    """The pasted languages the text looks like, most likely first (none: neither)."""
    scores = {d: sum(1 for p in patterns if p.search(source)) for d, patterns in _LOOKS.items()}
    # `#` comments are gradcli's too: alone they say nothing.
    return [
        d
        for d in sorted(scores, key=lambda d: -scores[d])
        if scores[d] > 0 and not (d == "python" and scores[d] == 1 and _LOOKS[d][-1].search(source))
    ]


def compile_pasted(source: str, given: set, output: Optional[str], dialect: str):
    from .lower import compile_program

    if dialect == "python":
        return compile_python(source, given, output)
    if dialect == "js":
        return compile_js(source, given, output)
    if dialect == "gradcli":
        return compile_program(source, given, output)
    try:
        return compile_program(source, given, output)
    except SourceError as own:
        first = None
        for guess in guesses(source):
            try:
                return compile_pasted(source, given, output, guess)
            except SourceError as exc:
                first = first or exc
        raise (first or own) from None


def compile_python(source: str, given: set, output: Optional[str]):
    from .from_python import Translator, assigned_names, parse_python
    from .lower import Lowerer
    from .syntax import building

    tree = parse_python(source)
    lowerer = Lowerer(source, given, assigned_names(tree) & set(CONSTANTS))
    with building(source, lowerer.statement, pasted=True) as builder:
        Translator(source, builder).module(tree)
    return lowerer.finish(output)


def compile_js(source: str, given: set, output: Optional[str]):
    from .from_js import translate
    from .lower import Lowerer
    from .syntax import parse

    tokens, assigned = translate(source)
    lowerer = Lowerer(source, given, assigned & set(CONSTANTS))
    parse(source, on_statement=lowerer.statement, tokens=tokens, pasted=True)
    return lowerer.finish(output)
