"""Turn a parse failure (where, what was found, what the parser expected) into a
sentence a learner can act on."""
from __future__ import annotations

import re

from ..core.errors import SourceError

# Terminal names as lark reports them, in words; the order is the order they are listed in.
_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": '"("',
    "ADDOP": 'an operator ("+", "-", ...)',
    "MULOP": 'an operator ("+", "-", ...)',
    "POWOP": 'an operator ("+", "-", ...)',
    "RPAR": '")"',
    "RSQB": '"]"',
    "COLON": '":"',
    "DOT": '"."',
    "COMMA": '","',
    "LSQB": '"["',
    "EQUAL": '"="',
    "AUGOP": '"+=" or a similar update',
    "_SEP": "the end of the statement",
    "$END": "the end of the input",
}
_OPERAND = {"NUMBER", "NAME", "LPAR"}
# Other ways to go on that are true but rarely what was meant; named only when alone.
_QUIET = {"ADDOP", "LSQB"}
_LAST_TOKEN = re.compile(r"(\*\*|[-+*/^=(),;]=?|[^\W]+(?:\.\d*)?|\S)\s*$")


def _open_brackets(source: str, pos: int) -> int:
    """How many "(" and "[" are open at pos on its statement (comments ignored)."""
    start = max(source.rfind("\n", 0, pos), source.rfind(";", 0, pos)) + 1
    text = source[start:pos].split("#")[0]
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def expected_words(expected, source: str = "", pos: int = 0) -> str:
    names = set(expected)
    if source:
        # The parser's table shares states between bracketed and top-level contexts:
        # with no "(" open, ")" and "," cannot be what is missing; with one open, the
        # statement cannot end yet.
        if _open_brackets(source, pos) <= 0:
            names -= {"RPAR", "RSQB", "COMMA", "COLON"}
        else:
            names -= {"_SEP", "$END"}
    if _OPERAND <= names:
        # An operand is wanted; a leading sign or an array literal is allowed too, but
        # saying so adds noise.
        names -= _QUIET
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
    # Only a short window before pos: searching the whole line backtracks quadratically
    # over a long run of name characters (a 40,000-character name took 44 s).
    window = source[max(0, pos - 64):pos]
    m = _LAST_TOKEN.search(window) if window.strip() else None
    if not m:
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
    return SourceError(f"unexpected {_describe(ch)}: "
                       f"expected {expected_words(expected, source, pos)}"
                       f"{_after(source, pos)}", source, pos)


def parse_error(source: str, tok, expected) -> SourceError:
    """`tok` has .type, .value and .start_pos; type "$END" is the end of the input."""
    if tok.type == "$END":
        # At the end of the last real token (after it, not after a trailing comment).
        pos = tok.start_pos
        what = "end of input"
    elif tok.type == "_SEP" and tok.value == "\n":
        pos, what = tok.start_pos, "end of line"
        if pos and source[pos - 1] == "\r":
            pos -= 1  # a CRLF file: the line ends at the \r
    else:
        pos = tok.start_pos
        what = _describe(tok.value) if len(tok.value) == 1 else f'"{tok.value[:20]}"'
    return SourceError(f"unexpected {what}: expected {expected_words(expected, source, pos)}"
                       f"{_after(source, pos)}", source, pos)
