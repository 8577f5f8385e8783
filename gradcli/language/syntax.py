"""Parse program text into a flat syntax tree, with the LALR(1) tables lark builds.

The builder's callbacks run at each reduction and append to flat lists instead of
building a tree: nodes come out in post-order (children before parents), so no later pass
ever needs recursion, whatever the nesting depth. With `on_statement`, each statement is
handed over as soon as it is parsed and its nodes are dropped, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Optional

from ..core.errors import ForeignCode, SourceError, UnknownFunction
from ..core.ops import BINARY_SYMBOLS, FUNCTIONS, OPS, Op
from ..core.tensor_ops import CONSTRUCTORS, TENSOR_CALLS, TENSOR_OPS

GRAMMAR_NAME = "gradcli.lark"


def grammar_path() -> Path:
    """The grammar, beside this module: the same file in a checkout and in a wheel."""
    return Path(__file__).resolve().with_name(GRAMMAR_NAME)


class Node(NamedTuple):
    """A syntax node: kind is "num" (payload: the float), "name" (payload: the name),
    "op" (payload: the Op), "opx" (payload: (Op, attrs), an op with keywords or one that
    exists only for arrays), "arr" (payload: (shape, the numbers in row-major order), an
    array literal), "ucall" (payload: (Function, the call's text), a call of a function
    the program defines; kids are its arguments), "param" (only in a Function's body:
    payload is the parameter's position) or "used" (a number or name consumed by its
    parent: a keyword's value, an array literal's entry). kids are node indices;
    start/end are source offsets.
    A tuple, because a program can have a million of them."""

    kind: str
    payload: object
    kids: tuple
    start: int
    end: int


class Statement(NamedTuple):
    # "bare", "assign", "augassign", "define" (a user function: target is its name) or
    # "output" (pasted code's `g.backward()`: root is the value differentiated)
    kind: str
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
    functions: dict = field(default_factory=dict)  # name -> functions.Function


class _Build:
    """Reduction callbacks, named after the grammar's rules and aliases; each returns the
    index of the node it added. Tokens arrive as the lexer's matches: group(), start(),
    end()."""

    def __init__(self):
        self.syntax = Syntax("")
        self.stmt_first = 0
        self.on_statement = None
        self.functions = FUNCTIONS
        self.constructors = False  # randn(...) and friends: only in values given for inputs
        # Pasted code may define its own sigmoid or relu: the definition then replaces
        # gradcli's function for the calls below it. gradcli's own language refuses that.
        self.pasted = False

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
            raise SourceError(
                f"the number {_short(tok.group())} is too large for a float",
                self.syntax.source,
                tok.start(),
            )
        nodes = self.syntax.nodes
        nodes.append(Node("num", value, (), tok.start(), tok.end()))
        return len(nodes) - 1

    def name(self, tok):
        nodes = self.syntax.nodes
        nodes.append(Node("name", tok.group(), (), tok.start(), tok.end()))
        return len(nodes) - 1

    def binop(self, left, optok, right):
        nodes = self.syntax.nodes
        op = BINARY_SYMBOLS.get(optok.group())
        if op is None:  # `@`, the matrix product: an op that exists only for arrays
            nodes.append(
                Node(
                    "opx",
                    (TENSOR_OPS["matmul"], None),
                    (left, right),
                    nodes[left].start,
                    nodes[right].end,
                )
            )
            return len(nodes) - 1
        nodes.append(Node("op", op, (left, right), nodes[left].start, nodes[right].end))
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
        source = self.syntax.source
        positional = [a for a in args if not isinstance(a, _Keyword)]
        keywords = [a for a in args if isinstance(a, _Keyword)]
        if any(isinstance(a, _Keyword) for a in args[: len(positional)]):
            first = next(a for a in args if isinstance(a, _Keyword))
            raise SourceError("a keyword argument goes after the operands", source, first.pos)
        user = self.syntax.functions.get(fname) if self.functions is FUNCTIONS else None
        if user is not None:
            return self._user_call(user, nametok, positional, keywords)
        op = self.functions.get(fname)
        tensor = TENSOR_CALLS.get(fname) if self.functions is FUNCTIONS else None
        if self.constructors and fname in CONSTRUCTORS:
            op = tensor = CONSTRUCTORS[fname]
        if (
            tensor is not None
            and op is not None
            and op is not tensor
            and len(positional) not in (op.arity, tensor.arity)
        ):
            raise SourceError(
                f"{fname} takes 1 argument (over an axis: {fname}(x, axis=0)) or "
                f"2 (elementwise: {fname}(a, b)), not {len(positional)}",
                source,
                nametok.start(),
            )
        if tensor is not None and (op is None or len(positional) != op.arity or keywords):
            op = tensor  # sum(x, axis=0); max(x) reduces where max(a, b) compares
        if op is None and fname in CONSTRUCTORS and self.functions is FUNCTIONS:
            raise SourceError(
                f"{fname}(...) makes values for an input, not a step of a "
                "program (a program is a function of its inputs): use an input "
                f"and give it the value {fname}(...)",
                source,
                nametok.start(),
            )
        if op is None:
            known = set(self.functions)
            if self.functions is FUNCTIONS:
                known |= set(TENSOR_CALLS)
            if self.constructors:
                known |= set(CONSTRUCTORS)
            if self.functions is FUNCTIONS:
                _not_yet_defined(fname, source, nametok.start())
                _foreign_call(fname, source, nametok, positional, self.syntax.nodes)
                known |= set(self.syntax.functions)
            raise UnknownFunction(fname, source, nametok.start(), known)
        if op.arity >= 0 and len(positional) != op.arity:
            want = "1 argument" if op.arity == 1 else f"{op.arity} arguments"
            raise SourceError(
                f"{fname} takes {want}, not {len(positional)}", source, nametok.start()
            )
        if op.arity < 0 and len(positional) < 2 and fname not in CONSTRUCTORS:
            raise SourceError(
                f"{fname} takes an array and at least one size: {fname}(x, rows, columns)",
                source,
                nametok.start(),
            )
        attrs = {}
        accepted = [k for k, _ in op.keywords]
        for kw in keywords:
            if kw.name not in accepted:
                from ..core.errors import close_matches, quoted_or

                close = close_matches(kw.name, accepted)
                takes = (
                    f"it takes {', '.join(k + '=' for k in accepted)}"
                    if accepted
                    else "it takes no keywords"
                )
                raise SourceError(
                    f"{fname} has no keyword '{kw.name}'; {takes}"
                    + (f" (did you mean {quoted_or(close)}?)" if close else ""),
                    source,
                    kw.pos,
                )
            wrong = _keyword_type(kw.name, dict(op.keywords)[kw.name], kw.value)
            if wrong:
                raise SourceError(f"{fname}'s keyword {wrong}", source, kw.pos)
            if kw.name in attrs:
                raise SourceError(f"the keyword {kw.name}= is given twice", source, kw.pos)
            attrs[kw.name] = kw.value
        end = self._span(positional[-1])[1] if positional else nametok.end() + 1
        if op.tensor or attrs:
            return self._add(
                "opx", (op, attrs or None), tuple(positional), nametok.start(), end + 1
            )
        return self._add("op", op, tuple(positional), nametok.start(), end + 1)

    def _user_call(self, fn, nametok, positional, keywords):
        source = self.syntax.source
        if keywords:
            raise SourceError(
                f"{fn.name} takes no keywords: call it as {fn.signature()}", source, keywords[0].pos
            )
        if len(positional) != len(fn.params):
            raise SourceError(fn.arguments(len(positional)), source, nametok.start())
        from .functions import call_text

        start = nametok.start()
        last = self._span(positional[-1])[1]
        text = call_text(source, start, last)
        return self._add("ucall", (fn, text), tuple(positional), start, last + 1)

    def define(self, nametok, params, root):
        """`sig(t) = 1 / (1 + exp(-t))`: a function, kept for the calls that follow."""
        from .functions import define_function

        syntax = self.syntax
        fn = define_function(
            syntax.nodes,
            syntax.functions,
            syntax.source,
            nametok,
            params,
            self.stmt_first,
            root,
            (lambda name: False) if self.pasted else _builtin,
        )
        syntax.functions[fn.name] = fn
        self._statement("define", fn.name, None, root, nametok.start())

    def args(self, *exprs):
        return list(exprs)

    items = subscripts = args

    # Tensor syntax: array literals, keywords, x.T and subscripts. -----------------------
    def _consume(self, i):
        """Mark node i as read by its parent: it becomes no step of its own."""
        n = self.syntax.nodes[i]
        self.syntax.nodes[i] = Node("used", n.payload, (), n.start, n.end)
        return n

    def array(self, items):
        nodes, source = self.syntax.nodes, self.syntax.source
        shape: Optional[tuple] = None
        flat: list = []
        for i in items:
            n = nodes[i]
            if n.kind == "num":
                item_shape, numbers = (), [n.payload]
            elif n.kind == "arr":
                item_shape, numbers = n.payload
            else:
                raise SourceError(
                    "an array literal holds numbers (or array literals); "
                    "compute with arrays outside the brackets",
                    source,
                    n.start,
                )
            if shape is None:
                shape = item_shape
            elif item_shape != shape:
                raise SourceError(
                    f"a ragged array literal: this entry has shape "
                    f"{_shape(item_shape)}, the first had {_shape(shape)} "
                    "(every row needs the same length)",
                    source,
                    n.start,
                )
            flat.extend(numbers)
            self._consume(i)
        start = nodes[items[0]].start - 1
        end = nodes[items[-1]].end + 1
        assert shape is not None  # the grammar gives a literal at least one item
        if len(shape) + 1 > MAX_AXES:
            raise SourceError(
                f"an array literal has at most {MAX_AXES} axes (NumPy's limit for arithmetic)",
                source,
                start,
            )
        return self._add("arr", ((len(items),) + shape, flat), (), start, end)

    def keyword(self, nametok, value):
        n = self._consume(value)
        word = n.payload if n.kind == "name" else None
        if n.kind == "num":  # axis=1 is the int 1, as NumPy takes it (and the tape writes it)
            v = int(n.payload) if float(n.payload).is_integer() else n.payload
        elif word in ("true", "false", "True", "False"):
            v = word.lower() == "true"
        elif word in ("none", "None"):
            v = None
        else:
            raise SourceError(
                f"the keyword {nametok.group()}= takes a number, true or false",
                self.syntax.source,
                n.start,
            )
        return _Keyword(nametok.group(), v, nametok.start())

    def attribute(self, operand, nametok):
        if nametok.group() != "T":
            start, end = self._span(operand)
            raise attribute_error(
                self.syntax.source, self.syntax.nodes[operand], start, end, nametok
            )
        start, _ = self._span(operand)
        return self._add("opx", (TENSOR_OPS["transpose"], None), (operand,), start, nametok.end())

    def subscript(self, operand, items):
        spec: list = []
        kids = [operand]
        for item in items:
            if isinstance(item, _Slice):
                spec.append((self._bound(item.start), self._bound(item.stop)))
            else:
                spec.append(None)
                kids.append(item)
        start, end = self._span(operand)
        last = items[-1]
        end = max(end, last.end if isinstance(last, _Slice) else self._span(last)[1]) + 1
        return self._add(
            "opx", (TENSOR_OPS["index"], {"spec": tuple(spec)}), tuple(kids), start, end
        )

    def _bound(self, i):
        if i is None:
            return None
        n = self._consume(i)
        if n.kind != "num" or not float(n.payload).is_integer():
            raise SourceError(
                "a slice's bounds are whole numbers (x[1:3])", self.syntax.source, n.start
            )
        return int(n.payload)

    def slice_all(self):
        return _Slice(None, None, -1)

    def slice_from(self, start):
        return _Slice(start, None, self._span(start)[1] + 1)

    def slice_to(self, stop):
        return _Slice(None, stop, self._span(stop)[1])

    def slice_range(self, start, stop):
        return _Slice(start, stop, self._span(stop)[1])

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


def _builtin(name: str) -> bool:
    return name in FUNCTIONS or name in TENSOR_CALLS or name in CONSTRUCTORS


def _not_yet_defined(name: str, source: str, pos: int) -> None:
    """A call of a function the program defines itself, from its own body or above its
    definition: say so, instead of "unknown function"."""
    from .functions import defining, definition_line

    if defining(source, pos) == name:
        raise SourceError(
            f"{name} calls itself: a function cannot be recursive (gradcli "
            "writes each call out into the tape, and a recursive one would "
            "never end)",
            source,
            pos,
        )
    line = definition_line(source, name, pos)
    if line is not None:
        raise SourceError(
            f"{name} is defined after this use (on line {line}): define a "
            "function before the statements that call it",
            source,
            pos,
        )


def _foreign_call(name: str, source: str, nametok, args: list, nodes: list) -> None:
    """`Value(-4.0)`, `print(...)`, `draw_dot(g)` in gradcli's language: what to write."""
    pos = nametok.start()
    if name == "Value":
        inside = source[nodes[args[0]].start : nodes[args[0]].end] if args else "2.0"
        raise ForeignCode(
            f"Value({inside}) is micrograd's number: in gradcli write {inside}",
            source,
            pos,
            construct="Value",
            dialect="python",
        )
    if name == "print":
        raise ForeignCode(
            "print(...) shows a value in Python; gradcli shows every value and "
            "gradient itself: leave this line out",
            source,
            pos,
            construct="print",
            dialect="python",
        )
    if name == "draw_dot":
        raise ForeignCode(
            "draw_dot(...) draws micrograd's graph; gradcli's graph command "
            "draws it (with data | grad on each node): leave this line out",
            source,
            pos,
            construct="draw_dot",
            dialect="python",
        )


# What pasted code's attributes mean, and what to write in gradcli's language instead.
_MODULES = {
    "Math": ("JavaScript's", "js"),
    "console": ("JavaScript's", "js"),
    "math": ("Python's", "python"),
    "np": ("NumPy's", "python"),
    "numpy": ("NumPy's", "python"),
    "torch": ("PyTorch's", "python"),
    "F": ("PyTorch's", "python"),
}


def attribute_error(source: str, node, start: int, end: int, nametok) -> SourceError:
    """`x.relu()`, `Math.exp(x)`, `g.backward()`, `x.data` in gradcli's language: what to
    write instead. `node` is the receiver's syntax node, start/end its span."""
    attr = nametok.group()
    after = source[nametok.end() : nametok.end() + 200].lstrip(" \t")
    called = after.startswith("(")
    receiver = source[start:end]
    dot = nametok.start() - 1
    if node is not None and node.kind == "name" and node.payload in _MODULES:
        module = node.payload
        whose, dialect = _MODULES[module]
        if module == "console":
            return ForeignCode(
                f"{module}.{attr}(...) prints in JavaScript; gradcli shows every "
                "value itself: leave this line out",
                source,
                start,
                construct="print",
                dialect=dialect,
            )
        if called:
            return ForeignCode(
                f"{module}.{attr}(...) is {whose} way to call {attr}: in "
                f"gradcli write {attr}(...) without the '{module}.'",
                source,
                start,
                construct="module function",
                dialect=dialect,
            )
        return ForeignCode(
            f"{module}.{attr} is {whose} name: in gradcli write {attr.lower()}",
            source,
            start,
            construct="module constant",
            dialect=dialect,
        )
    if attr in ("backward", "_backward", "zero_grad"):
        return ForeignCode(
            f"{receiver}.{attr}() runs backpropagation in micrograd or PyTorch; "
            "gradcli runs the backward pass itself, from the last value: "
            "leave this line out",
            source,
            dot,
            construct="backward",
            dialect="python",
        )
    if attr == "data":
        return ForeignCode(
            f"{receiver}.data is micrograd's number inside a Value: in gradcli write {receiver}",
            source,
            dot,
            construct="data",
            dialect="python",
        )
    if attr == "grad":
        return ForeignCode(
            f"{receiver}.grad is the gradient backward() fills in; gradcli "
            "computes every gradient itself (they are in the Result table)",
            source,
            dot,
            construct="grad",
            dialect="python",
        )
    if called:
        if receiver.startswith("(") and receiver.endswith(")"):
            receiver = receiver[1:-1]
        shown = receiver if 0 < len(receiver) <= 30 else "x"
        return ForeignCode(
            f".{attr}() is a method call, as in micrograd; in gradcli a "
            f"function is called by name: write {attr}({shown})",
            source,
            dot,
            construct="method call",
            dialect="python",
        )
    return SourceError(
        f"unknown attribute .{attr}: the one attribute is .T (the transpose)",
        source,
        nametok.start(),
    )


def _keyword_type(name: str, default, value) -> Optional[str]:
    """What is wrong with a keyword's value, or None: keepdims= takes true or false, axis=
    a whole number (or none); true was read as axis 1 and keepdims=2 as true."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            shown = "none" if value is None else f"{value:g}"
            return f"{name}= takes true or false, not {shown}"
        return None
    if isinstance(value, bool):
        return f"{name}= takes a whole number, not {'true' if value else 'false'}"
    if isinstance(value, float):  # whole numbers were made ints when read
        return f"{name}= takes a whole number, not {value:g}"
    return None


MAX_AXES = 32  # NumPy broadcasts at most 32 axes


class _Keyword(NamedTuple):
    name: str
    value: object
    pos: int


class _Slice(NamedTuple):
    start: Optional[int]  # node indices of the bounds, or None
    stop: Optional[int]
    end: int


def _shape(shape: tuple) -> str:
    return str(tuple(shape))


def _short(text: str, limit: int = 20) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


_driver = None
_builder = _Build()


def _get_driver():
    global _driver
    if _driver is None:
        from .lalr import Driver

        grammar = grammar_path().read_text(encoding="utf-8")
        try:
            table = _load_table(grammar)
            _driver = Driver(table, _builder)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            # A cached table that checked out but does not build a parser (a format this
            # version does not know): build afresh, never compute with it.
            _driver = Driver(_load_table(grammar, cached=False), _builder)
    return _driver


def _load_table(grammar: str, cached: bool = True) -> dict:
    """The parse table for this grammar text: from the cache (language/table_cache.py,
    ~1 ms), else built by lark (~100 ms with lark's import) and cached."""
    from . import table_cache

    table = table_cache.load(grammar) if cached else None
    if table is not None:
        return table
    from lark import Lark

    from .lalr import table_spec

    table = table_spec(Lark(grammar, start="program", parser="lalr"))
    table["grammar"] = grammar
    table_cache.save(grammar, table)
    return table


def parse(
    source: str,
    on_statement: Optional[Callable] = None,
    functions: Optional[dict] = None,
    constructors: bool = False,
    tokens=None,
    pasted: bool = False,
) -> Syntax:
    """Parse program text; raises SourceError with a caret position on malformed input.

    With `on_statement(syntax, statement)`, statements are handed over one at a time
    and not kept in the result. `functions` replaces the callable names
    (ops.RULE_FUNCTIONS lets rule texts call their helpers); programs use ops.FUNCTIONS.
    `tokens` are gradcli tokens made from pasted JavaScript (see from_js.py), positioned
    in `source`, parsed instead of lexing `source`.
    """
    from .lalr import LexError, ParseError
    from .syntax_errors import lex_error, parse_error

    driver = _get_driver()
    with building(source, on_statement, functions, constructors, pasted):
        try:
            driver.parse(source, tokens)
        except LexError as exc:
            raise lex_error(source, exc.pos, exc.expected) from None
        except ParseError as exc:
            raise parse_error(source, exc.token, exc.expected) from None
        return _builder.syntax


class building:
    """`with building(source, on_statement) as b:` the builder, ready for a parse of
    `source` (or for a front end that calls its callbacks itself: from_python.py), and
    reset afterwards."""

    def __init__(self, source, on_statement=None, functions=None, constructors=False, pasted=False):
        self.args = (source, on_statement, functions, constructors, pasted)

    def __enter__(self) -> _Build:
        source, on_statement, functions, constructors, pasted = self.args
        _builder.pasted = pasted
        _builder.syntax = Syntax(source)
        _builder.stmt_first = 0
        _builder.on_statement = on_statement
        _builder.functions = FUNCTIONS if functions is None else functions
        _builder.constructors = constructors
        return _builder

    def __exit__(self, *exc_info) -> None:
        _builder.on_statement = None
        _builder.functions = FUNCTIONS
        _builder.constructors = False
        _builder.pasted = False
        _builder.syntax = Syntax("")


def terminal_types() -> set:
    """The names of the grammar's tokens (NAME, NUMBER, ADDOP, LPAR, _SEP, ...)."""
    return set(_get_driver().terminal_names)
