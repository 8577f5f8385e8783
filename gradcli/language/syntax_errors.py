"""Turn a parse failure (where, what was found, what the parser expected) into a
sentence a learner can act on."""

from __future__ import annotations

import re

from ..core.errors import ForeignCode, SourceError

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
    window = source[max(0, pos - 64) : pos]
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


# Code of the tutorials' languages, recognised where gradcli's grammar stops: a pattern on
# the statement's text up to the error -> (what it is, its language, what to write instead).
_STATEMENT = re.compile(
    r"[ \t\f\r]*(?P<word>var|let|const|import|from|def|function|return|"
    r"if|for|while|class|else|elif)\b"
)
_WORDS_INSTEAD = {
    "var": (
        "a JavaScript declaration",
        "js",
        "in gradcli write the assignment without '{word}': x = a * b",
    ),
    "import": ("a Python import", "python", "gradcli needs no imports: leave this line out"),
    "def": (
        "a Python function definition",
        "python",
        "in gradcli define a function in one line: sig(t) = 1 / (1 + exp(-t))",
    ),
    "function": (
        "a JavaScript function",
        "js",
        "in gradcli define a function in one line: sig(t) = 1 / (1 + exp(-t))",
    ),
    "return": (
        "a return statement",
        None,
        "in gradcli a function is one line: sig(t) = 1 / (1 + exp(-t))",
    ),
    "if": (
        "a condition",
        None,
        _CONDITION := "gradcli reads straight-line arithmetic, "
        "without conditions or loops: for a > 0 ? a : 0 write relu(a), for the larger "
        "of two max(a, b)",
    ),
    "for": (
        "a loop",
        None,
        "gradcli reads straight-line arithmetic, without loops: write each step of the loop out",
    ),
    "class": (
        "a class",
        None,
        "gradcli reads plain arithmetic on numbers: write the computation with names and numbers",
    ),
}
for _word, _same in (
    ("let", "var"),
    ("const", "var"),
    ("from", "import"),
    ("while", "for"),
    ("else", "if"),
    ("elif", "if"),
):
    _WORDS_INSTEAD[_word] = _WORDS_INSTEAD[_same]
_CHARS_INSTEAD = {
    "?": ("a conditional expression", _CONDITION),
    "<": ("a comparison", _CONDITION),
    ">": ("a comparison", _CONDITION),
    "!": ("a condition", _CONDITION),
    "&": ("a condition", _CONDITION),
    "|": ("a condition", _CONDITION),
    "%": (
        "a remainder",
        "gradcli has none (its derivative is 1 almost everywhere and undefined at the jumps)",
    ),
    "{": (
        "braces",
        "gradcli reads one statement per line or between ';', without blocks; "
        "define a function in one line: sig(t) = 1 / (1 + exp(-t))",
    ),
    "}": ("braces", "gradcli reads one statement per line or between ';', without blocks"),
    "'": ("a string", "gradcli computes with numbers, not strings"),
    '"': ("a string", "gradcli computes with numbers, not strings"),
}
_METHOD = re.compile(r"(?P<recv>[^\W\d]\w*|\))[ \t]*\.[ \t]*(?P<attr>[^\W\d]\w*)[ \t]*$")


def _statement_start(source: str, pos: int) -> int:
    return max(source.rfind("\n", 0, pos), source.rfind(";", 0, pos)) + 1


def foreign(source: str, pos: int):
    """A ForeignCode error if gradcli's parser stopped at `pos` on code of another
    language (a `var`, a `//` comment, `Math.exp(x)`, `x.relu()`, a condition), else None."""
    start = _statement_start(source, pos)
    m = _STATEMENT.match(source, start)
    if m and m.end() <= pos:
        what, dialect, instead = _WORDS_INSTEAD[m.group("word")]
        return ForeignCode(
            f"{m.group('word')} starts {what}; {instead.format(word=m.group('word'))}",
            source,
            start + m.start("word") - m.start(),
            construct=what,
            dialect=dialect,
        )
    ch = source[pos : pos + 2]
    if source[pos - 1 : pos + 1] in ("//", "/*") and pos > 0:
        pos, ch = pos - 1, source[pos - 1 : pos + 1]
    if ch in ("//", "/*"):
        return ForeignCode(
            f"{ch} starts a comment in JavaScript; gradcli's comments start with "
            "# and run to the end of the line",
            source,
            pos,
            construct="comment",
            dialect="js",
        )
    if ch == "==" or ch[:1] in _CHARS_INSTEAD:
        what, instead = _CHARS_INSTEAD.get(ch[:1], ("a comparison", _CONDITION))
        return ForeignCode(
            f"{what} ({ch if ch == '==' else ch[:1]}): {instead}", source, pos, construct=what
        )
    if source[pos : pos + 1] == "(":
        m = _METHOD.search(source[max(start, pos - 300) : pos])
        if m:
            from .syntax import attribute_error

            offset = max(start, pos - 300)
            attr_start = offset + m.start("attr")
            recv_end = offset + m.end("recv")
            if m.group("recv") == ")":
                recv_start = _matching_open(source, recv_end - 1, start)
                node = None
            else:
                recv_start = offset + m.start("recv")
                node = _Name(m.group("recv"))
            return attribute_error(
                source, node, recv_start, recv_end, _Match(m.group("attr"), attr_start)
            )
    return None


class _Name:
    kind = "name"

    def __init__(self, name):
        self.payload = name


class _Match:
    def __init__(self, text, start):
        self.text, self.pos = text, start

    def group(self):
        return self.text

    def start(self):
        return self.pos

    def end(self):
        return self.pos + len(self.text)


def _matching_open(source: str, close: int, lowest: int) -> int:
    depth = 0
    for k in range(close, max(lowest, close - 300) - 1, -1):
        if source[k] == ")":
            depth += 1
        elif source[k] == "(":
            depth -= 1
            if depth == 0:
                return k
    return close


def lex_error(source: str, pos: int, expected) -> SourceError:
    known = foreign(source, pos)
    if known is not None:
        return known
    ch = source[pos] if pos < len(source) else ""
    return SourceError(
        f"unexpected {_describe(ch)}: "
        f"expected {expected_words(expected, source, pos)}"
        f"{_after(source, pos)}",
        source,
        pos,
    )


def parse_error(source: str, tok, expected) -> SourceError:
    """`tok` has .type, .value and .start_pos; type "$END" is the end of the input."""
    if tok.type != "$END":
        known = foreign(source, tok.start_pos)
        if known is not None:
            return known
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
    return SourceError(
        f"unexpected {what}: expected {expected_words(expected, source, pos)}{_after(source, pos)}",
        source,
        pos,
    )
