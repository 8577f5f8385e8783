"""Pasted JavaScript, as the Hacker's guide to neural networks writes it.

The text is read as JavaScript's own rules read it — `//` and `/* */` comments,
statements ended by `;` or by a line break where JavaScript inserts one, `var`, `let` and
`const` declarations of one or several names (`var a = 1, b = 2;`) — and turned into
gradcli's tokens, each positioned in the pasted text, which gradcli's grammar then
parses (syntax.parse(tokens=...)). So errors point into the JavaScript, and gradcli's
own statements (`sig(t) = 1 / (1 + exp(-t))`) may stand among the pasted lines.

What the forward code means here:
- `Math.exp(x)`, `Math.max(a, b)`, `Math.pow(x, 2)`, ... are gradcli's exp, max, pow;
  `Math.PI` and `Math.E` are pi and e.
- `function sig(x) { return 1 / (1 + Math.exp(-x)); }`, `var sig = function(x) {...};`
  and `const sig = (x) => ...` define a function, as `sig(x) = ...` does; a body may
  declare names before its `return` (each use is written out in the return's place).
- `console.log(...)` lines are left out.
Anything else (conditions, loops, objects, strings) is a ForeignCode error that says what
to write instead.
"""

from __future__ import annotations

import re

from ..core.errors import ForeignCode, SourceError
from ..core.ops import CONSTANTS

MATH_FUNCTIONS = {
    **{
        f: f
        for f in (
            "exp",
            "log",
            "tanh",
            "sqrt",
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "log2",
            "log10",
            "abs",
            "pow",
            "max",
            "min",
        )
    },
}
MATH_CONSTANTS = {"PI": "pi", "E": "e"}
# Python's module prefixes, taken here too: a paste may mix them into gradcli lines.
OTHER_MODULES = {"math", "np", "numpy"}
_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\f\r\v\u00a0\ufeff]+)
  | (?P<nl>\n)
  | (?P<comment>//[^\n]*|/\*[\s\S]*?\*/)
  | (?P<open_comment>/\*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[\w$]*)
  | (?P<str>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)
  | (?P<name>[^\W\d][\w$]*|\$[\w$]*)
  | (?P<op>===|!==|\*\*=|\.\.\.|\*\*|==|!=|<=|>=|=>|\+\+|-{2}|\+=|-=|\*=|/=|%=|&&|\|\||\?\?
           |<<|>>|[-+*/%=<>!?:,;.()\[\]{}^&|~@\#])
  | (?P<other>.)
""",
    re.X | re.S,
)
_GRADCLI = {
    "+": "ADDOP",
    "-": "ADDOP",
    "*": "MULOP",
    "/": "MULOP",
    "**": "POWOP",
    "(": "LPAR",
    ")": "RPAR",
    "[": "LSQB",
    "]": "RSQB",
    ",": "COMMA",
    "=": "EQUAL",
    "+=": "AUGOP",
    "-=": "AUGOP",
    "*=": "AUGOP",
    "/=": "AUGOP",
}
_DECLARE = {"var", "let", "const"}
_ENDS = {"name", "num", "str"}  # tokens an expression can end with (and ")", "]", "}")
_CONDITION = (
    "gradcli reads straight-line arithmetic, without conditions: the backward "
    "pass that a > 0 ? dx : 0 writes by hand is what gradcli computes itself; for "
    "Math.max(a, 0) write relu(a) or max(a, 0)"
)
_KEYWORDS = {
    "if": ("an if statement", _CONDITION),
    "else": ("an else", _CONDITION),
    "for": ("a loop", "gradcli reads straight-line code: write each step of the loop out"),
    "while": ("a loop", "gradcli reads straight-line code: write each step of the loop out"),
    "do": ("a loop", "gradcli reads straight-line code: write each step of the loop out"),
    "new": (
        "new (an object)",
        "gradcli reads arithmetic on numbers: write the values "
        "with plain names (var a = 1.0) instead of Unit objects",
    ),
    "this": (
        "this (an object)",
        "gradcli reads arithmetic on numbers: write the values with plain names",
    ),
    "class": ("a class", "gradcli reads arithmetic on numbers: write the values with plain names"),
    "return": ("return outside a function", "the last statement gives the output"),
    "true": ("true", "gradcli computes with numbers"),
    "false": ("false", "gradcli computes with numbers"),
    "null": ("null", "gradcli computes with numbers"),
    "undefined": ("undefined", "gradcli computes with numbers"),
    "NaN": ("NaN", "gradcli computes with finite numbers"),
    "Infinity": ("Infinity", "gradcli computes with finite numbers"),
    "typeof": ("typeof", "gradcli computes with numbers"),
    "switch": ("a switch", _CONDITION),
    "try": ("a try block", "gradcli reads straight-line arithmetic"),
}
_OPERATORS = {
    "?": ("a conditional expression (?:)", _CONDITION),
    ":": ("a conditional expression (?:) or an object", _CONDITION),
    "==": ("a comparison", _CONDITION),
    "===": ("a comparison", _CONDITION),
    "!=": ("a comparison", _CONDITION),
    "!==": ("a comparison", _CONDITION),
    "<": ("a comparison", _CONDITION),
    ">": ("a comparison", _CONDITION),
    "<=": ("a comparison", _CONDITION),
    ">=": ("a comparison", _CONDITION),
    "&&": ("a condition", _CONDITION),
    "||": ("a condition", _CONDITION),
    "!": ("a condition", _CONDITION),
    "??": ("a condition", _CONDITION),
    "^": ("^, bitwise XOR in JavaScript", "a power is written a ** b or Math.pow(a, b)"),
    "%": ("a remainder (%)", "gradcli has none (its derivative is undefined at the jumps)"),
    "++": ("++", "write x += 1"),
    "--": ("--", "write x -= 1"),
    "**=": ("**=", "write x = x ** y"),
    "%=": ("%=", "gradcli has no remainder"),
    "{": (
        "a block or an object ({)",
        "gradcli reads statements one by one, and numbers "
        "with plain names; a function is function f(x) { return ...; }",
    ),
    "}": ("a closing brace (})", "it closes nothing here"),
    "=>": (
        "an arrow function outside a declaration",
        "write const f = (x) => ...; on its own line",
    ),
    "...": ("spread (...)", "write the values out"),
    "&": ("a bitwise operator", "gradcli computes with + - * / and **"),
    "|": ("a bitwise operator", "gradcli computes with + - * / and **"),
    "~": ("a bitwise operator", "gradcli computes with + - * / and **"),
    "<<": ("a bitwise operator", "gradcli computes with + - * / and **"),
    ">>": ("a bitwise operator", "gradcli computes with + - * / and **"),
    "@": ("@", "JavaScript has no matrix product"),
    "#": ("#", "comments in JavaScript start with //"),
    ";": ("a ; inside brackets", "close the brackets first"),
}


class Tok:
    """One of gradcli's tokens, shaped as its lexer's matches, positioned in the
    pasted JavaScript: `text` may differ from the source (Math.exp reads as exp)."""

    __slots__ = ("lastgroup", "text", "pos", "stop")

    def __init__(self, kind: str, text: str, pos: int, stop: int):
        self.lastgroup, self.text, self.pos, self.stop = kind, text, pos, stop

    def group(self) -> str:
        return self.text

    def start(self) -> int:
        return self.pos

    def end(self) -> int:
        return self.stop

    def __repr__(self) -> str:
        return f"Tok({self.lastgroup}, {self.text!r}, {self.pos})"


def lex(source: str) -> list:
    """JavaScript's tokens as (kind, text, start, end); comments and spaces dropped,
    line breaks kept (they may end a statement)."""
    out = []
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        text = m.group()
        if kind == "open_comment":
            raise ForeignCode(
                "a /* comment that is never closed with */", source, m.start(), construct="comment"
            )
        if kind == "num" and not re.fullmatch(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", text):
            raise ForeignCode(
                f"the number {text[:20]}: gradcli reads decimal numbers (2, 0.5, 1e-3)",
                source,
                m.start(),
                construct="number",
            )
        if kind == "other":
            raise ForeignCode(
                f"unexpected character {text!r} in JavaScript",
                source,
                m.start(),
                construct="character",
            )
        out.append((kind, text, m.start(), m.end()))
    return out


class _Reader:
    def __init__(self, source: str):
        self.source = source
        self.toks = lex(source)
        self.i = 0
        self.out: list = []
        self.assigned: set = set()

    # --- tokens -------------------------------------------------------------------------
    def peek(self, k: int = 0, skip_nl: bool = True):
        j = self.i
        while j < len(self.toks):
            if skip_nl and self.toks[j][0] == "nl":
                j += 1
                continue
            if k == 0:
                return self.toks[j]
            k -= 1
            j += 1
        return None

    def take(self, skip_nl: bool = True):
        while self.i < len(self.toks) and skip_nl and self.toks[self.i][0] == "nl":
            self.i += 1
        tok = self.toks[self.i] if self.i < len(self.toks) else None
        self.i += 1
        return tok

    def skip_newlines(self) -> None:
        while self.i < len(self.toks) and self.toks[self.i][0] == "nl":
            self.i += 1

    def fail(self, message: str, pos: int, construct: str) -> ForeignCode:
        return ForeignCode(message, self.source, pos, construct=construct)

    def expect(self, text: str, what: str):
        tok = self.take()
        if tok is None or tok[1] != text:
            pos = tok[2] if tok else len(self.source.rstrip())
            raise SourceError(f"expected {text!r} {what}", self.source, pos)
        return tok

    def name(self, what: str):
        tok = self.take()
        if tok is None or tok[0] != "name":
            pos = tok[2] if tok else len(self.source.rstrip())
            raise SourceError(f"expected a name {what}", self.source, pos)
        return tok

    def emit(self, kind: str, text: str, start: int, end: int) -> None:
        self.out.append(Tok(kind, text, start, end))

    def separator(self, pos: int) -> None:
        self.out.append(Tok("_SEP", ";", pos, pos + 1))

    # --- statements ---------------------------------------------------------------------
    def program(self) -> None:
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                return
            self.statement(tok)

    def statement(self, tok) -> None:
        kind, text, start, _ = tok
        if text == ";":
            self.take()
            return
        if kind == "name" and text in _DECLARE:
            self.take()
            return self.declaration(start)
        if kind == "name" and text == "function":
            return self.function_declaration()
        if kind == "str":  # "use strict";
            self.take()
            self.end_of_statement()
            return
        if kind == "name" and text == "console":
            self.expression_tokens()  # console.log(...): nothing to compute
            self.end_of_statement()
            return
        if kind == "name" and text in _KEYWORDS:
            what, instead = _KEYWORDS[text]
            raise self.fail(f"{what}: {instead}", start, what)
        expr = self.expression_tokens()
        if len(expr) >= 2 and expr[0][0] == "name" and expr[1][1] in ("=", "+=", "-=", "*=", "/="):
            self.assigned.add(expr[0][1])
        self.translate(expr)
        self.separator(self.end_of_statement())

    def declaration(self, start: int) -> None:
        """`var a = 1, b = 2;`: one gradcli statement per declared name with a value."""
        while True:
            name = self.name("after var, let or const")
            self.assigned.add(name[1])
            nxt = self.peek(skip_nl=False)
            if nxt is not None and nxt[1] == "=":
                self.take()
                value = self.peek()
                if value is not None and self.function_ahead():
                    self.function_value(name)
                else:
                    expr = self.expression_tokens(stop_at_comma=True)
                    if not expr:
                        raise SourceError(f"expected a value for {name[1]}", self.source, nxt[3])
                    self.emit("NAME", name[1], name[2], name[3])
                    self.emit("EQUAL", "=", nxt[2], nxt[3])
                    self.translate(expr)
                    self.separator(expr[-1][3])
            nxt = self.peek(skip_nl=False)
            if nxt is not None and nxt[1] == ",":
                self.take()
                continue
            self.end_of_statement()
            return

    def function_ahead(self) -> bool:
        """After `=`: `function (...) {`, `(x, y) =>` or `x =>`."""
        tok = self.peek()
        if tok is None:
            return False
        if tok[1] == "function":
            return True
        if tok[0] == "name" and (self.peek(1) or ("", "", 0, 0))[1] == "=>":
            return True
        if tok[1] == "(":
            j, depth = self.i, 0
            while j < len(self.toks):
                t = self.toks[j][1]
                if t == "(":
                    depth += 1
                elif t == ")":
                    depth -= 1
                    if depth == 0:
                        nxt = next((x for x in self.toks[j + 1 :] if x[0] != "nl"), None)
                        return nxt is not None and nxt[1] == "=>"
                elif t not in (",",) and self.toks[j][0] not in ("name", "nl"):
                    return False
                j += 1
        return False

    def function_declaration(self) -> None:
        self.take()  # function
        name = self.name("after function")
        params = self.parameters()
        self.function_body(name, params)
        nxt = self.peek(skip_nl=False)
        if nxt is not None and nxt[1] == ";":
            self.take()

    def function_value(self, name) -> None:
        """`var sig = function(x) {...}`, `= (x) => expr`, `= x => {...}`."""
        tok = self.peek()
        if tok[1] == "function":
            self.take()
            if self.peek()[0] == "name":
                self.take()  # a named function expression's own name
            params = self.parameters()
            self.function_body(name, params)
            return
        if tok[0] == "name":
            params = [self.take()]
        else:
            params = self.parameters()
        self.expect("=>", "in an arrow function")
        if self.peek() is not None and self.peek()[1] == "{":
            self.function_body(name, params)
            return
        expr = self.expression_tokens(stop_at_comma=True)
        self.define(name, params, expr)

    def parameters(self) -> list:
        self.expect("(", "before the parameters")
        params: list = []
        while True:
            tok = self.take()
            if tok is None:
                raise SourceError(
                    "the parameter list is not closed with ')'", self.source, len(self.source)
                )
            if tok[1] == ")":
                return params
            if tok[0] != "name":
                raise self.fail(
                    f"{tok[1]!r} in a parameter list: gradcli takes plain names (function f(x, y))",
                    tok[2],
                    "parameters",
                )
            params.append(tok)
            nxt = self.peek()
            if nxt is not None and nxt[1] == ",":
                self.take()

    def function_body(self, name, params) -> None:
        """`{ var y = ...; return ...; }`: the return's expression, with each local name
        written out (in brackets) where it is used."""
        self.expect("{", f"to open {name[1]}'s body")
        local: dict = {}
        result = None
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                raise SourceError(
                    f"{name[1]}'s body is not closed with '}}'", self.source, len(self.source)
                )
            if tok[1] == "}":
                self.take()
                break
            if tok[1] == ";":
                self.take()
                continue
            if result is not None:
                raise self.fail(
                    f"a statement after {name[1]}'s return: nothing after it is run",
                    tok[2],
                    "function",
                )
            if tok[1] in _DECLARE:
                self.take()
                while True:
                    var = self.name("after var")
                    self.expect("=", f"after {var[1]}: a local name needs a value")
                    local[var[1]] = self.substitute(
                        self.expression_tokens(stop_at_comma=True), local
                    )
                    nxt = self.peek(skip_nl=False)
                    if nxt is not None and nxt[1] == ",":
                        self.take()
                        continue
                    self.end_of_statement()
                    break
                continue
            if tok[1] == "return":
                self.take()
                result = self.substitute(self.expression_tokens(), local)
                if not result:
                    raise SourceError(f"{name[1]} returns nothing", self.source, tok[2])
                self.end_of_statement()
                continue
            raise self.fail(
                f"inside {name[1]}: gradcli reads a function as var declarations and one return",
                tok[2],
                "function",
            )
        if result is None:
            raise self.fail(
                f"{name[1]} has no return: a function gradcli reads returns its value",
                name[2],
                "function",
            )
        self.define(name, params, result)

    def substitute(self, expr: list, local: dict) -> list:
        out = []
        for k, tok in enumerate(expr):
            if tok[0] == "name" and tok[1] in local and (k == 0 or expr[k - 1][1] != "."):
                out.append(("op", "(", tok[2], tok[2]))
                out += local[tok[1]]
                out.append(("op", ")", tok[3], tok[3]))
            else:
                out.append(tok)
        return out

    def define(self, name, params, expr) -> None:
        if not params:
            raise self.fail(
                f"{name[1]} takes no parameters: a function gradcli reads takes at least one",
                name[2],
                "parameters",
            )
        self.emit("NAME", name[1], name[2], name[3])
        self.emit("LPAR", "(", name[3], name[3])
        for k, p in enumerate(params):
            if k:
                self.emit("COMMA", ",", p[2], p[2])
            self.emit("NAME", p[1], p[2], p[3])
        self.emit("RPAR", ")", params[-1][3], params[-1][3])
        self.emit("EQUAL", "=", name[3], name[3])
        self.translate(expr)
        self.separator(expr[-1][3])

    def expression_tokens(self, stop_at_comma: bool = False) -> list:
        """The tokens up to the end of the statement: `;`, a line break where JavaScript
        inserts a `;`, a `}`, or (in a declaration) a `,` outside brackets."""
        out: list = []
        depth = 0
        while self.i < len(self.toks):
            kind, text, start, end = self.toks[self.i]
            if kind == "nl":
                if depth == 0 and out and self.line_ends(out[-1]):
                    break
                self.i += 1
                continue
            if depth == 0 and (text == ";" or text == "}" or (stop_at_comma and text == ",")):
                break
            if text in ("(", "["):
                depth += 1
            elif text in (")", "]"):
                depth -= 1
                if depth < 0:
                    raise SourceError(f"unmatched {text!r}", self.source, start)
            out.append(self.toks[self.i])
            self.i += 1
        return out

    def line_ends(self, last) -> bool:
        """At a line break after `last`: does JavaScript end the statement here? Yes,
        unless the next line goes on with an operator, a bracket or a dot."""
        if last[0] not in _ENDS and last[1] not in (")", "]"):
            return False  # `a +` at the end of a line goes on
        j = self.i
        while j < len(self.toks) and self.toks[j][0] == "nl":
            j += 1
        if j == len(self.toks):
            return True
        kind, text = self.toks[j][0], self.toks[j][1]
        return kind in _ENDS or text in ("{", "}", "++", "--", "!", "~", ";")

    def end_of_statement(self) -> int:
        """Past the `;` (or line break) that ends a statement; where it ended."""
        tok = self.peek(skip_nl=False)
        if tok is None:
            return len(self.source)
        if tok[1] == ";" or tok[0] == "nl":
            self.i += 1
            return tok[2]
        if tok[1] == "}":
            raise self.fail("a closing brace (}) that closes nothing", tok[2], "brace")
        raise SourceError(
            f"unexpected {tok[1]!r}: expected the end of the statement", self.source, tok[2]
        )

    # --- expressions --------------------------------------------------------------------
    def translate(self, expr: list) -> None:
        """JavaScript's tokens as gradcli's: Math.exp -> exp, anything else that has no
        meaning in gradcli -> an error that says what to write."""
        k = 0
        while k < len(expr):
            kind, text, start, end = expr[k]
            if kind == "num":
                self.emit("NUMBER", text, start, end)
            elif kind == "str":
                raise self.fail(
                    "a string: gradcli computes with numbers, not text", start, "string"
                )
            elif kind == "name":
                k = self.name_token(expr, k)
            elif text == "." or text == "=>":
                what = "an arrow function" if text == "=>" else "a property"
                raise self.fail(
                    f"{what} here: gradcli reads arithmetic on plain names", start, what
                )
            elif text in _GRADCLI:
                self.emit(_GRADCLI[text], text, start, end)
            else:
                what, instead = _OPERATORS.get(
                    text, (repr(text), "not part of gradcli's arithmetic")
                )
                raise self.fail(f"{what}: {instead}", start, what)
            k += 1

    def name_token(self, expr: list, k: int) -> int:
        kind, text, start, end = expr[k]
        dot = k + 2 < len(expr) and expr[k + 1][1] == "."
        if dot and (text == "Math" or text in OTHER_MODULES):
            attr = expr[k + 2]
            called = k + 3 < len(expr) and expr[k + 3][1] == "("
            if called and attr[1] in MATH_FUNCTIONS:
                self.emit("NAME", MATH_FUNCTIONS[attr[1]], start, attr[3])
            elif not called and (
                attr[1] in MATH_CONSTANTS or text != "Math" and attr[1] in ("pi", "e")
            ):
                # The number itself, written as pasted: a program's own `e` is no matter.
                value = CONSTANTS[MATH_CONSTANTS.get(attr[1], attr[1])]
                self.emit("NUMBER", repr(value), start, attr[3])
            else:
                known = ", ".join(f"Math.{f}" for f in MATH_FUNCTIONS)
                raise self.fail(
                    f"{text}.{attr[1]} is not a function gradcli has (it has "
                    f"{known}, Math.PI and Math.E)",
                    start,
                    "Math function",
                )
            return k + 2
        if text in _KEYWORDS or text in _DECLARE or text == "function":
            what, instead = _KEYWORDS.get(
                text,
                ("a declaration inside an expression", "declare names at the start of a statement"),
            )
            raise self.fail(f"{what}: {instead}", start, what)
        if "$" in text:
            raise self.fail(
                f"the name {text}: gradcli's names are letters, digits and _", start, "name"
            )
        if dot:
            attr = expr[k + 2][1]
            if attr == "log" and text == "console":
                raise self.fail(
                    "console.log(...) inside a computation: it has no value", start, "print"
                )
            raise self.fail(
                f"{text}.{attr} reads a property of an object (the guide's Unit "
                f"has .value and .grad); gradcli reads plain numbers: write "
                f"var {text} = 1.0; and use {text}",
                start,
                "property",
            )
        self.emit("NAME", text, start, end)
        return k


def translate(source: str) -> tuple:
    """gradcli's tokens for the pasted JavaScript, and the names it assigns."""
    reader = _Reader(source)
    reader.program()
    return reader.out, reader.assigned
