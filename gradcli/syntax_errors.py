"""Turn a parse failure (where, what was found, what the parser expected) into a
sentence a learner can act on."""
from __future__ import annotations

import re

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


def lex_error(source: str, pos: int, expected) -> SourceError:
    ch = source[pos] if pos < len(source) else ""
    return SourceError(f"unexpected {_describe(ch)}: expected {expected_words(expected)}"
                       f"{_after(source, pos)}", source, pos)


def parse_error(source: str, tok, expected) -> SourceError:
    """`tok` has .type, .value and .start_pos; type "$END" is the end of the input."""
    if tok.type == "$END":
        # The parser stops at the last token; the caret belongs after the text.
        pos = len(source.rstrip())
        what = "end of input"
    elif tok.type == "_SEP" and tok.value == "\n":
        pos, what = tok.start_pos, "end of line"
    else:
        pos = tok.start_pos
        what = _describe(tok.value) if len(tok.value) == 1 else f'"{tok.value[:20]}"'
    return SourceError(f"unexpected {what}: expected {expected_words(expected)}"
                       f"{_after(source, pos)}", source, pos)
