"""Parse program text into a flat syntax tree, with lark's LALR parser.

The transformer runs inline, at each reduction, and appends to flat lists instead of
building a tree: nodes come out in post-order (children before parents), so no later pass
ever needs recursion, whatever the nesting depth.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from lark import Lark
from lark.exceptions import UnexpectedInput
from lark.visitors import Transformer, v_args

from .errors import SourceError, suggest
from .ops import BINARY_SYMBOLS, FUNCTIONS, OPS, Op

GRAMMAR_NAME = "gradcli.lark"


def grammar_path() -> Path:
    """The grammar inside an installed wheel, else the repository's `grammar/` folder."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammar" / GRAMMAR_NAME, here.parent / "grammar" / GRAMMAR_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{GRAMMAR_NAME} is missing from {here} and {here.parent}")


# A syntax node: kind is "num" (payload: the float), "name" (payload: the name) or
# "op" (payload: the Op). kids are node indices; start/end are source offsets.
@dataclass(frozen=True)
class Node:
    kind: str
    payload: object
    kids: tuple
    start: int
    end: int


@dataclass(frozen=True)
class Statement:
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


@v_args(inline=True)
class _Build(Transformer):
    """lark callbacks, run at each reduction; each returns the index of the node it added."""

    def __init__(self):
        super().__init__()
        self.syntax = Syntax("")
        self.stmt_first = 0
        self.functions = FUNCTIONS

    def _add(self, kind, payload, kids, start, end) -> int:
        nodes = self.syntax.nodes
        nodes.append(Node(kind, payload, kids, start, end))
        return len(nodes) - 1

    def _span(self, i):
        n = self.syntax.nodes[i]
        return n.start, n.end

    def number(self, tok):
        value = float(tok)
        if value == float("inf"):
            raise SourceError(f"the number {_short(tok)} is too large for a float",
                              self.syntax.source, tok.start_pos)
        return self._add("num", value, (), tok.start_pos, tok.end_pos)

    def name(self, tok):
        return self._add("name", str(tok), (), tok.start_pos, tok.end_pos)

    def binop(self, left, optok, right):
        start, _ = self._span(left)
        _, end = self._span(right)
        return self._add("op", BINARY_SYMBOLS[str(optok)], (left, right), start, end)

    def unop(self, optok, operand):
        start = optok.start_pos
        _, end = self._span(operand)
        node = self.syntax.nodes[operand]
        if str(optok) == "+":
            return operand
        if node.kind == "num" and operand == len(self.syntax.nodes) - 1:
            # Fold `-3` into one signed literal: `x^-1` should not need a negation step.
            self.syntax.nodes[operand] = Node("num", -node.payload, (), start, end)
            return operand
        return self._add("op", OPS["neg"], (operand,), start, end)

    def call(self, nametok, args):
        fname = str(nametok)
        op = self.functions.get(fname)
        source = self.syntax.source
        if op is None:
            hint = suggest(fname, self.functions)
            raise SourceError(
                f"unknown function '{fname}'", source, nametok.start_pos,
                (f"did you mean {hint}? " if hint else "")
                + "Functions: " + ", ".join(sorted(self.functions)) + ".")
        if len(args) != op.arity:
            want = "1 argument" if op.arity == 1 else f"{op.arity} arguments"
            raise SourceError(f"{fname} takes {want}, not {len(args)}", source, nametok.start_pos)
        _, end = self._span(args[-1])
        return self._add("op", op, tuple(args), nametok.start_pos, end + 1)

    def args(self, *exprs):
        return list(exprs)

    def _statement(self, kind, target, aug, root, start):
        _, end = self._span(root)
        self.syntax.statements.append(
            Statement(kind, target, aug, root, self.stmt_first, start, end))
        self.stmt_first = len(self.syntax.nodes)

    def bare(self, root):
        self._statement("bare", None, None, root, self._span(root)[0])

    def assign(self, nametok, root):
        self._statement("assign", str(nametok), None, root, nametok.start_pos)

    def augassign(self, nametok, optok, root):
        aug = BINARY_SYMBOLS[str(optok)[0]]
        self._statement("augassign", str(nametok), aug, root, nametok.start_pos)

    def program(self, *_):
        return self.syntax


def _short(text: str, limit: int = 20) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


_parser: Optional[Lark] = None
_builder = _Build()


def _get_parser() -> Lark:
    global _parser
    if _parser is None:
        _parser = Lark(grammar_path().read_text(encoding="utf-8"), start="program",
                       parser="lalr", transformer=_builder, cache=_cache_file())
    return _parser


def _cache_file():
    """lark's parser-table cache; True lets lark pick a file in the temp directory."""
    return os.environ.get("GRADCLI_LARK_CACHE") or True


def parse(source: str, functions: Optional[dict] = None) -> Syntax:
    """Parse program text; raises SourceError with a caret position on malformed input.

    `functions` replaces the callable names (ops.RULE_FUNCTIONS lets rule texts call
    their helpers); programs use ops.FUNCTIONS.
    """
    from .syntax_errors import explain_unexpected

    parser = _get_parser()
    _builder.syntax = Syntax(source)
    _builder.stmt_first = 0
    _builder.functions = FUNCTIONS if functions is None else functions
    try:
        parser.parse(source)
    except UnexpectedInput as exc:
        raise explain_unexpected(exc, source) from None
    return _builder.syntax
