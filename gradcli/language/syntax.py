"""Parse program text into a flat syntax tree, with the LALR(1) tables lark builds.

The builder's callbacks run at each reduction and append to flat lists instead of
building a tree: nodes come out in post-order (children before parents), so no later pass
ever needs recursion, whatever the nesting depth. With `on_statement`, each statement is
handed over as soon as it is parsed and its nodes are dropped, so memory stays flat.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from ..core.errors import SourceError, UnknownFunction
from ..core.ops import BINARY_SYMBOLS, FUNCTIONS, OPS, Op

GRAMMAR_NAME = "gradcli.lark"


def grammar_path() -> Path:
    """The grammar, beside this module: the same file in a checkout and in a wheel."""
    return Path(__file__).resolve().with_name(GRAMMAR_NAME)


class Node(NamedTuple):
    """A syntax node: kind is "num" (payload: the float), "name" (payload: the name) or
    "op" (payload: the Op). kids are node indices; start/end are source offsets.
    A tuple, because a program can have a million of them."""
    kind: str
    payload: object
    kids: tuple
    start: int
    end: int


class Statement(NamedTuple):
    kind: str  # "bare", "assign" or "augassign"
    target: Optional[str]
    aug: Optional[Op]  # the op of `+=` and friends
    root: int  # node index of the expression
    first: int  # first node index that belongs to this statement
    start: int
    end: int


@dataclass
class Syntax:
    source: str
    nodes: list = field(default_factory=list)
    statements: list = field(default_factory=list)


class _Build:
    """Reduction callbacks, named after the grammar's rules and aliases; each returns the
    index of the node it added. Tokens arrive as the lexer's matches: group(), start(),
    end()."""

    def __init__(self):
        self.syntax = Syntax("")
        self.stmt_first = 0
        self.on_statement = None
        self.functions = FUNCTIONS

    def _add(self, kind, payload, kids, start, end) -> int:
        nodes = self.syntax.nodes
        nodes.append(Node(kind, payload, kids, start, end))
        return len(nodes) - 1

    def _span(self, i):
        n = self.syntax.nodes[i]
        return n.start, n.end

    # number, name and binop run once per leaf or operator of the program: they append
    # directly rather than through _add and _span.
    def number(self, tok):
        value = float(tok.group())
        if value == float("inf"):
            raise SourceError(f"the number {_short(tok.group())} is too large for a float",
                              self.syntax.source, tok.start())
        nodes = self.syntax.nodes
        nodes.append(Node("num", value, (), tok.start(), tok.end()))
        return len(nodes) - 1

    def name(self, tok):
        nodes = self.syntax.nodes
        nodes.append(Node("name", tok.group(), (), tok.start(), tok.end()))
        return len(nodes) - 1

    def binop(self, left, optok, right):
        nodes = self.syntax.nodes
        nodes.append(Node("op", BINARY_SYMBOLS[optok.group()], (left, right),
                          nodes[left].start, nodes[right].end))
        return len(nodes) - 1

    def unop(self, optok, operand):
        start = optok.start()
        _, end = self._span(operand)
        node = self.syntax.nodes[operand]
        if optok.group() == "+":
            return operand
        if node.kind == "num" and operand == len(self.syntax.nodes) - 1:
            # Fold `-3` into one signed literal: `x^-1` should not need a negation step.
            self.syntax.nodes[operand] = Node("num", -node.payload, (), start, end)
            return operand
        return self._add("op", OPS["neg"], (operand,), start, end)

    def call(self, nametok, args):
        fname = nametok.group()
        op = self.functions.get(fname)
        source = self.syntax.source
        if op is None:
            raise UnknownFunction(fname, source, nametok.start(), self.functions)
        if len(args) != op.arity:
            want = "1 argument" if op.arity == 1 else f"{op.arity} arguments"
            raise SourceError(f"{fname} takes {want}, not {len(args)}", source, nametok.start())
        _, end = self._span(args[-1])
        return self._add("op", op, tuple(args), nametok.start(), end + 1)

    def args(self, *exprs):
        return list(exprs)

    def _statement(self, kind, target, aug, root, start):
        _, end = self._span(root)
        stmt = Statement(kind, target, aug, root, self.stmt_first, start, end)
        if self.on_statement is None:
            self.syntax.statements.append(stmt)
            self.stmt_first = len(self.syntax.nodes)
        else:
            self.on_statement(self.syntax, stmt)
            self.syntax.nodes.clear()
            self.stmt_first = 0

    def bare(self, root):
        self._statement("bare", None, None, root, self._span(root)[0])

    def assign(self, nametok, root):
        self._statement("assign", nametok.group(), None, root, nametok.start())

    def augassign(self, nametok, optok, root):
        aug = BINARY_SYMBOLS[optok.group()[0]]
        self._statement("augassign", nametok.group(), aug, root, nametok.start())

    def program(self, *_):
        return self.syntax


def _short(text: str, limit: int = 20) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


_driver = None
_builder = _Build()
TABLE_FORMAT = "gradcli-lalr-2"  # bump when table_spec's shape changes


def _get_driver():
    global _driver
    if _driver is None:
        from .lalr import Driver

        _driver = Driver(_load_table(grammar_path().read_text(encoding="utf-8")), _builder)
    return _driver


def _load_table(grammar: str) -> dict:
    """The parse table for this grammar text: from the cache, else built by lark (and
    cached). Loading JSON takes ~1 ms; importing lark and building takes ~100 ms."""
    import json
    import zlib

    # The file name is a cheap checksum (hashlib's import alone costs ~4 ms of start-up);
    # the cached table carries the grammar it was built from, compared in full on load.
    key = f"{zlib.crc32(grammar.encode('utf-8')):08x}-{len(grammar)}"
    path = cache_dir() / f"parser-{TABLE_FORMAT}-{key}.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        if spec.get("grammar") == grammar:
            return spec
    except (OSError, ValueError, AttributeError):
        pass
    from lark import Lark

    from .lalr import table_spec

    spec = table_spec(Lark(grammar, start="program", parser="lalr"))
    spec["grammar"] = grammar
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(spec), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a concurrent reader sees all or nothing
    except OSError:
        pass  # a read-only home still works, only slower
    return spec


def cache_dir() -> Path:
    explicit = os.environ.get("GRADCLI_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gradcli"


def parse(source: str, on_statement: Optional[Callable] = None,
          functions: Optional[dict] = None) -> Syntax:
    """Parse program text; raises SourceError with a caret position on malformed input.

    With `on_statement(syntax, statement)`, statements are handed over one at a time
    and not kept in the result. `functions` replaces the callable names
    (ops.RULE_FUNCTIONS lets rule texts call their helpers); programs use ops.FUNCTIONS.
    """
    from .lalr import LexError, ParseError
    from .syntax_errors import lex_error, parse_error

    driver = _get_driver()
    _builder.syntax = Syntax(source)
    _builder.stmt_first = 0
    _builder.on_statement = on_statement
    _builder.functions = FUNCTIONS if functions is None else functions
    try:
        driver.parse(source)
    except LexError as exc:
        raise lex_error(source, exc.pos, exc.expected) from None
    except ParseError as exc:
        raise parse_error(source, exc.token, exc.expected) from None
    finally:
        _builder.on_statement = None
        _builder.functions = FUNCTIONS
    syntax, _builder.syntax = _builder.syntax, Syntax("")
    return syntax
