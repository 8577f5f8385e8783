"""Turn lark's parse exceptions into sentences a learner can act on."""
from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .errors import SourceError

# Terminal names as lark reports them, in words; the order is the order they are listed in.
_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": '"("',
    "ADDOP": 'an operator ("+", "-", …)',
    "MULOP": 'an operator ("+", "-", …)',
    "POWOP": 'an operator ("+", "-", …)',
    "RPAR": '")"',
    "COMMA": '","',
    "EQUAL": '"="',
    "AUGOP": '"+=" or a similar update',
    "_SEP": "the end of the statement",
    "$END": "the end of the input",
}
_OPERAND = {"NUMBER", "NAME", "LPAR"}
_LAST_TOKEN = re.compile(r"(\*\*|[-+*/^=(),;]=?|[^\W]+(?:\.\d*)?|\S)\s*$")


def expected_words(expected) -> str:
    names = set(expected)
    if _OPERAND <= names:
        # An operand is wanted; a leading sign is allowed too, but saying so adds noise.
        names -= {"ADDOP"}
    phrases = []
    for term, words in _WORDS.items():
        if term in names and words not in phrases:
            phrases.append(words)
    unknown = sorted(n for n in names if n not in _WORDS)
    phrases += [n.lower() for n in unknown]
    if not phrases:
        return "something else"
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _after(source: str, pos: int) -> str:
    m = _LAST_TOKEN.search(source, 0, pos) if pos > 0 else None
    if not m or not source[:pos].strip():
        return ""
    last = m.group(1)
    if last in ("\n",):
        return ""
    return f' after "{last}"' if len(last) <= 20 else ""


def _describe(ch: str) -> str:
    if ch == "\n":
        return "end of line"
    if ch.isprintable() and not ch.isspace():
        return f'"{ch}"'
    return f"character U+{ord(ch):04X}"


def explain_unexpected(exc: UnexpectedInput, source: str) -> SourceError:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = source[pos] if pos < len(source) else ""
        return SourceError(f"unexpected {_describe(ch)}: expected {expected_words(exc.allowed)}"
                           f"{_after(source, pos)}", source, pos)
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        at_end = tok.type == "$END"
        pos = len(source.rstrip()) if at_end else tok.start_pos
        what = "end of input" if at_end else (
            "end of statement" if tok.type == "_SEP" and str(tok) == ";"
            else _describe(str(tok)) if len(str(tok)) == 1 else f'"{str(tok)[:20]}"')
        if tok.type == "_SEP" and str(tok) == "\n":
            what = "end of line"
            pos = tok.start_pos
        return SourceError(f"unexpected {what}: expected {expected_words(exc.expected)}"
                           f"{_after(source, pos)}", source, pos)
    if isinstance(exc, UnexpectedEOF):
        pos = len(source.rstrip())
        return SourceError(f"unexpected end of input: expected {expected_words(exc.expected)}"
                           f"{_after(source, pos)}", source, pos)
    return SourceError(str(exc).splitlines()[0], source, 0)
