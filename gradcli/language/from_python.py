"""Pasted Python, as micrograd and CS231n write it, read with Python's own parser.

The text is parsed by `ast.parse` and never run: each statement's tree is walked (with
a stack, not recursion) and handed to gradcli's syntax builder, the same callbacks the
grammar's parser calls, with positions in the pasted text, so errors point into it.

What the forward code of the tutorials means here:
- `Value(-4.0)` is the number -4.0 (`a = Value(-4.0)` makes `a` an input with default
  -4.0, as `a = -4.0` does); keywords such as `label='a'` are ignored.
- `x.relu()`, `x.tanh()`, `x.exp()`, `x.log()`, ... call the function on x; `math.exp`,
  `np.exp`, `torch.tanh`, ... are gradcli's exp, tanh, ...; `math.pi`, `np.e` are pi, e.
- `def f(x): return ...` (with assignments before the return) defines a function, as
  gradcli's `f(x) = ...` does.
- `g.backward()` makes g, as bound on that line, the output.
- Lines with nothing to compute are left out: imports, `print(...)` (f-strings
  included), `draw_dot(...)`, `x.grad` on its own, `x.label = 'x'`, `x.grad = 1.0`,
  `x._backward()`.
Anything else (loops, conditions, classes, strings) is a ForeignCode error that says what
to write instead.
"""

from __future__ import annotations

import ast
from typing import Optional

from ..core.errors import ForeignCode, SourceError
from ..core.ops import CONSTANTS
from .syntax import _Slice

# module.function -> gradcli's function ("@" is the matrix product, "" passes its first
# argument through: np.array([1, 2]) is the array literal).
MODULE_FUNCTIONS = {
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
            "sum",
            "mean",
            "relu",
            "sigmoid",
            "softplus",
            "softmax",
            "log_softmax",
            "cross_entropy",
            "reshape",
            "arange",
        )
    },
    "fabs": "abs",
    "absolute": "abs",
    "power": "pow",
    "maximum": "max",
    "minimum": "min",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "dot": "@",
    "matmul": "@",
    "array": "",
    "asarray": "",
    "tensor": "",
    "float64": "",
}
MODULE_CONSTANTS = {"pi": "pi", "e": "e"}
# Modules whose names are taken as such even when the paste leaves out the import line.
KNOWN_MODULES = {
    "math": "math",
    "np": "numpy",
    "numpy": "numpy",
    "torch": "torch",
    "F": "torch.nn.functional",
}
# x.NAME(...) -> gradcli's function of x; "" passes x through (.item(), .double()).
METHODS = {
    **{
        m: m
        for m in (
            "relu",
            "tanh",
            "exp",
            "log",
            "sigmoid",
            "sqrt",
            "abs",
            "sum",
            "mean",
            "max",
            "min",
            "softmax",
            "log_softmax",
            "reshape",
            "pow",
            "sin",
            "cos",
        )
    },
    "item": "",
    "double": "",
    "float": "",
}
VALUE_CLASSES = {"Value"}  # micrograd's
IGNORED_CALLS = {"print", "display", "draw_dot"}
IGNORED_ATTRIBUTES = {"label", "grad", "requires_grad", "_op", "_prev", "_backward"}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
_AUGOPS = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/="}
_CONDITION = (
    "gradcli reads straight-line arithmetic, without conditions: for "
    "x if x > 0 else 0 write relu(x), for the larger of two max(a, b)"
)
_LOOP = (
    "gradcli reads straight-line code, without loops: write each step out, one statement per line"
)


class _T:
    """A token for the builder's callbacks: text and where it is in the pasted source."""

    __slots__ = ("text", "pos", "stop")

    def __init__(self, text: str, pos: int, stop: Optional[int] = None):
        self.text, self.pos = text, pos
        self.stop = pos + len(text) if stop is None else stop

    def group(self) -> str:
        return self.text

    def start(self) -> int:
        return self.pos

    def end(self) -> int:
        return self.stop


def parse_python(source: str) -> ast.Module:
    """Python's own parse of the text (never compiled to code, never run)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # '\d' in a string: Python's warning, not ours
            return ast.parse(source)
    except SyntaxError as exc:
        pos = _offset(source, exc.lineno or 1, max((exc.offset or 1) - 1, 0), chars=True)
        raise SourceError(f"this is not valid Python: {exc.msg}", source, pos) from None
    except (RecursionError, MemoryError):
        raise SourceError("the code is nested too deeply for Python's parser", source, 0) from None
    except ValueError as exc:  # NUL bytes
        raise SourceError(f"this is not valid Python: {exc}", source, 0) from None


def assigned_names(tree: ast.Module) -> set:
    """Names the module's statements assign (for pi and e: variables, not constants)."""
    names = set()
    for stmt in tree.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def _offset(source: str, lineno: int, col: int, chars: bool = False) -> int:
    """The character offset of (1-based line, 0-based column in UTF-8 bytes)."""
    start = 0
    for _ in range(lineno - 1):
        nl = source.find("\n", start)
        if nl < 0:
            return len(source)
        start = nl + 1
    if chars:
        return min(start + col, len(source))
    end = source.find("\n", start)
    line = source[start : len(source) if end < 0 else end]
    if line.isascii():
        return start + col
    return start + len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))


class Translator:
    """Hands a module's statements to gradcli's syntax builder, one at a time."""

    def __init__(self, source: str, builder):
        self.source = source
        self.b = builder
        self.modules = dict(KNOWN_MODULES)
        self.values = set(VALUE_CLASSES)
        self.imported: dict = {}  # name -> the module it was imported from
        self.defs: dict = {}  # every top-level def: name -> line
        self.defining: Optional[str] = None
        self.locals: Optional[dict] = None  # in a def's body: local name -> node index
        self.output: Optional[str] = None  # the name .backward() was called on
        self.line_starts = [0]
        for k, ch in enumerate(source):
            if ch == "\n":
                self.line_starts.append(k + 1)

    # --- positions ----------------------------------------------------------------------
    def pos(self, node) -> int:
        line = self.line_starts[node.lineno - 1]
        end = self.source.find("\n", line)
        text = self.source[line : len(self.source) if end < 0 else end]
        col = node.col_offset
        return line + (
            col if text.isascii() else len(text.encode("utf-8")[:col].decode("utf-8", "ignore"))
        )

    def end(self, node) -> int:
        line = self.line_starts[node.end_lineno - 1]
        end = self.source.find("\n", line)
        text = self.source[line : len(self.source) if end < 0 else end]
        col = node.end_col_offset
        return line + (
            col if text.isascii() else len(text.encode("utf-8")[:col].decode("utf-8", "ignore"))
        )

    def tok(self, text: str, node) -> _T:
        return _T(text, self.pos(node))

    def fail(self, message: str, node, construct: str, hint: str = "") -> ForeignCode:
        return ForeignCode(message, self.source, self.pos(node), hint, construct=construct)

    # --- the module ---------------------------------------------------------------------
    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef):
                self.defs.setdefault(stmt.name, stmt.lineno)
        for stmt in tree.body:
            self.statement(stmt)

    def statement(self, stmt) -> None:
        b = self.b
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.imports(stmt)
        elif isinstance(stmt, ast.Expr):
            self.expression_statement(stmt)
        elif isinstance(stmt, ast.Assign):
            self.assign(stmt)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None and isinstance(stmt.target, ast.Name):
                b.assign(self.tok(stmt.target.id, stmt.target), self.expr(stmt.value))
        elif isinstance(stmt, ast.AugAssign):
            self.augassign(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            self.function(stmt)
        elif isinstance(stmt, ast.Pass):
            pass
        else:
            raise self.unsupported_statement(stmt)

    def unsupported_statement(self, stmt) -> ForeignCode:
        kind = type(stmt).__name__
        if isinstance(stmt, (ast.For, ast.While, ast.AsyncFor)):
            return self.fail(
                f"a {'for' if not isinstance(stmt, ast.While) else 'while'} loop: " + _LOOP,
                stmt,
                "loop",
            )
        if isinstance(stmt, ast.If):
            return self.fail("an if statement: " + _CONDITION, stmt, "condition")
        if isinstance(stmt, ast.ClassDef):
            return self.fail(
                f"a class ({stmt.name}): gradcli reads the forward computation "
                "on numbers, not the engine that runs it; paste the code that "
                "uses the values (a = Value(2.0); b = a * 3; ...)",
                stmt,
                "class",
            )
        if isinstance(stmt, ast.Return):
            return self.fail(
                "return outside a function: the last statement (or g.backward()) gives the output",
                stmt,
                "return",
            )
        words = {
            "With": "a with block",
            "Try": "a try block",
            "Raise": "raise",
            "Assert": "an assert",
            "Delete": "del",
            "Global": "global",
            "Nonlocal": "nonlocal",
            "AsyncFunctionDef": "an async function",
            "Match": "a match statement",
        }
        what = words.get(kind, f"a {kind} statement")
        return self.fail(
            f"{what} is not part of a forward computation gradcli reads: "
            "write the arithmetic with names and numbers",
            stmt,
            kind,
        )

    def imports(self, stmt) -> None:
        # Nothing is imported: the names are only remembered, to read math.exp, np.exp
        # or Value as what they are.
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                self.modules[alias.asname or alias.name.split(".")[0]] = alias.name
            return
        for alias in stmt.names:
            name = alias.asname or alias.name
            if alias.name in VALUE_CLASSES:
                self.values.add(name)
            elif alias.name == "*":
                continue
            else:
                self.imported[name] = stmt.module or ""

    def expression_statement(self, stmt) -> None:
        v = stmt.value
        if isinstance(v, ast.Constant) and not isinstance(v.value, (int, float, complex)):
            return  # a docstring
        if isinstance(v, ast.Call):
            f = v.func
            if isinstance(f, ast.Name) and f.id in IGNORED_CALLS:
                return
            if isinstance(f, ast.Attribute):
                if f.attr == "backward":
                    return self.backward(v)
                if f.attr in ("_backward", "zero_grad"):
                    return
                if isinstance(f.value, ast.Name) and f.value.id in ("plt", "console"):
                    return
        if isinstance(v, ast.Attribute) and v.attr == "grad":
            return  # a.grad, to look at: the Result table shows it
        if isinstance(v, ast.Attribute) and v.attr == "data" and isinstance(v.value, ast.Name):
            if self.output is not None:
                return
            v = v.value  # g.data, to look at: g
        if self.output is not None and isinstance(v, ast.Name):
            return  # a look at a value after backward()
        self.b.bare(self.expr(v))

    def backward(self, call) -> None:
        receiver = call.func.value
        if not isinstance(receiver, ast.Name):
            raise self.fail(
                "call .backward() on a name (loss.backward()): gradcli "
                "differentiates a value the program names",
                receiver,
                "backward",
            )
        if self.output is not None and self.output != receiver.id:
            raise self.fail(
                f"a second .backward(), on {receiver.id} after {self.output}: "
                "gradcli differentiates one output; keep the backward() of the "
                "value you want",
                call,
                "backward",
            )
        self.output = receiver.id
        b = self.b
        b._statement(
            "output", receiver.id, None, b.name(self.tok(receiver.id, receiver)), self.pos(call)
        )

    def assign(self, stmt) -> None:
        b = self.b
        first = stmt.targets[0]
        if isinstance(first, (ast.Tuple, ast.List)):
            if len(stmt.targets) > 1:
                raise self.fail("write one assignment per line", stmt, "assignment")
            return self.unpack(first, stmt.value)
        for target in stmt.targets:
            if isinstance(target, ast.Attribute):
                return self.attribute_assignment(target)
            if not isinstance(target, ast.Name):
                raise self.fail(
                    "gradcli assigns to names (x = ...), not to subscripts", target, "assignment"
                )
        root = self.expr(stmt.value)
        b.assign(self.tok(first.id, first), root)
        for target in stmt.targets[1:]:  # a = b = ...: b is a copy of a
            b.assign(self.tok(target.id, target), b.name(self.tok(first.id, first)))

    def unpack(self, target, value) -> None:
        """`a, b = 1, 2` (and the values micrograd's notebooks assign in pairs)."""
        if (
            not isinstance(value, (ast.Tuple, ast.List))
            or len(value.elts) != len(target.elts)
            or not all(isinstance(t, ast.Name) for t in target.elts)
        ):
            raise self.fail(
                "gradcli unpacks only names from as many values: a, b = 1.0, 2.0",
                target,
                "unpacking",
            )
        bound: set = set()
        for name, v in zip(target.elts, value.elts):
            used = {n.id for n in ast.walk(v) if isinstance(n, ast.Name)}
            if used & bound:
                raise self.fail(
                    "this value uses a name assigned earlier on the same line; "
                    "write one assignment per line",
                    v,
                    "unpacking",
                )
            self.b.assign(self.tok(name.id, name), self.expr(v))
            bound.add(name.id)

    def attribute_assignment(self, target) -> None:
        if target.attr in IGNORED_ATTRIBUTES:
            return  # e.label = 'e', o.grad = 1.0: gradcli labels and seeds by itself
        if target.attr == "data":
            raise self.fail(
                f"changing {ast.unparse(target)} is a training step (an "
                "update after backward): gradcli shows one forward and backward "
                "pass; paste the code up to .backward()",
                target,
                "update",
            )
        raise self.fail(
            f"gradcli assigns to names (x = ...), not to attributes (.{target.attr})",
            target,
            "assignment",
        )

    def augassign(self, stmt) -> None:
        b, target = self.b, stmt.target
        if isinstance(target, ast.Attribute):
            return self.attribute_assignment(target)
        if not isinstance(target, ast.Name):
            raise self.fail("gradcli updates names (c += 1), not subscripts", target, "assignment")
        op = type(stmt.op)
        if op is ast.Pow:  # x **= 2: x = x ** 2
            left = b.name(self.tok(target.id, target))
            right = self.expr(stmt.value)
            b.assign(self.tok(target.id, target), b.binop(left, _T("**", self.pos(stmt)), right))
            return
        if op not in _AUGOPS:
            raise self.operator_error(stmt.op, stmt)
        b.augassign(
            self.tok(target.id, target), _T(_AUGOPS[op], self.pos(stmt)), self.expr(stmt.value)
        )

    def function(self, stmt) -> None:
        """`def sig(x): return 1 / (1 + math.exp(-x))`, with assignments before the
        return: gradcli's sig(x) = ..., the body's names being its own."""
        b = self.b
        args = stmt.args
        if stmt.decorator_list:
            raise self.fail(
                "a decorated function: gradcli reads plain def f(x): return ...",
                stmt.decorator_list[0],
                "decorator",
            )
        if (
            args.vararg
            or args.kwarg
            or args.kwonlyargs
            or args.defaults
            or getattr(args, "posonlyargs", None)
        ):
            raise self.fail(
                f"{stmt.name}'s parameters: gradcli takes plain names without "
                "defaults (def f(x, y): ...)",
                stmt,
                "parameters",
            )
        if not args.args:
            raise self.fail(
                f"{stmt.name} takes no parameters: a function gradcli defines takes at least one",
                stmt,
                "parameters",
            )
        body = list(stmt.body)
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]  # the docstring
        if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
            raise self.fail(
                f"{stmt.name} must end in return VALUE: gradcli reads a "
                "function as assignments and one return",
                stmt,
                "function",
            )
        name_pos = self.source.find(stmt.name, self.pos(stmt))
        params = [b.name(_T(a.arg, self.pos(a))) for a in args.args]
        self.defining, self.locals = stmt.name, {}
        try:
            for inner in body[:-1]:
                if (
                    isinstance(inner, ast.Assign)
                    and len(inner.targets) == 1
                    and isinstance(inner.targets[0], ast.Name)
                ):
                    self.locals[inner.targets[0].id] = self.expr(inner.value)
                elif (
                    isinstance(inner, ast.Expr)
                    and isinstance(inner.value, ast.Call)
                    and isinstance(inner.value.func, ast.Name)
                    and inner.value.func.id in IGNORED_CALLS
                ):
                    continue
                elif isinstance(inner, ast.Pass):
                    continue
                else:
                    raise self.fail(
                        f"inside {stmt.name}: gradcli reads a function as "
                        "assignments to names and one return",
                        inner,
                        "function",
                    )
            root = self.expr(body[-1].value)
        finally:
            self.defining, self.locals = None, None
        b.define(_T(stmt.name, name_pos), params, root)

    # --- expressions --------------------------------------------------------------------
    def expr(self, root) -> int:
        """Hand an expression to the builder, children first (post-order, with a stack);
        returns its node index."""
        done: dict = {}
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if ready:
                done[id(node)] = self.finish(node, done)
                continue
            stack.append((node, True))
            for kid in reversed(self.children(node)):
                stack.append((kid, False))
        return done[id(root)]

    def children(self, node) -> list:
        """The sub-expressions to hand over before `node`, left to right."""
        if isinstance(node, ast.BinOp):
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            return [node.operand]
        if isinstance(node, ast.Call):
            kind = self.call_kind(node)
            args = list(node.args)
            if self.refused(node, kind):
                return []  # say what the call is before what its arguments are
            if kind == "value" or kind == "pass":
                return args[:1]
            if kind == "method" and isinstance(node.func, ast.Attribute):  # (a method's always is)
                args = [node.func.value] + args
            return args  # keyword values are read by call(): keepdims=True is no number
        if isinstance(node, ast.Attribute):
            if node.attr == "T":
                return [node.value]
            return []
        if isinstance(node, ast.Subscript):
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            kids = [node.value]
            for item in items:
                if isinstance(item, ast.Slice):
                    kids += [x for x in (item.lower, item.upper) if x is not None]
                else:
                    kids.append(item)
            return kids
        if isinstance(node, ast.List):
            return list(node.elts)
        return []

    def refused(self, node, kind: str) -> bool:
        """A call that call() refuses whatever its arguments: os.system(...), x.foo()."""
        f = node.func
        if kind == "module":
            return MODULE_FUNCTIONS.get(f.attr) is None
        if kind == "method":
            return f.attr not in METHODS or f.attr == "backward"
        if kind == "name":
            return f.id in IGNORED_CALLS or f.id in self.imported or f.id in ("float", "int")
        return kind == "other"

    def call_kind(self, node) -> str:
        """ "value" for Value(x), "pass" for np.array(x) or x.item(), "module" for
        math.exp(x), "method" for x.relu(), "name" for exp(x) or a user function."""
        f = node.func
        if isinstance(f, ast.Name):
            return "value" if f.id in self.values else "name"
        if isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Name) and f.value.id in self.modules:
                return "pass" if MODULE_FUNCTIONS.get(f.attr) == "" else "module"
            if METHODS.get(f.attr) == "":
                return "pass"
            return "method"
        return "other"

    def finish(self, node, done: dict) -> int:
        b = self.b
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            symbol = _BINOPS.get(type(node.op))
            if symbol is None:
                raise self.operator_error(node.op, node)
            return b.binop(done[id(node.left)], _T(symbol, self.pos(node)), done[id(node.right)])
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                sign = "-" if isinstance(node.op, ast.USub) else "+"
                return b.unop(_T(sign, self.pos(node)), done[id(node.operand)])
            if isinstance(node.op, ast.Not):
                raise self.fail("not: " + _CONDITION, node, "condition")
            raise self.fail(
                "~ is a bitwise operator, which gradcli does not have", node, "operator"
            )
        if isinstance(node, ast.Call):
            return self.call(node, done)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, done)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, done)
        if isinstance(node, ast.List):
            if not node.elts:
                raise self.fail("an empty list: an array needs numbers", node, "list")
            return self.span(b.array([done[id(e)] for e in node.elts]), node)
        raise self.unsupported_expression(node)

    def span(self, index: int, node) -> int:
        """Point the node the builder just made at the Python code it came from."""
        nodes = self.b.syntax.nodes
        if index == len(nodes) - 1 and nodes[index].kind in ("op", "opx", "ucall", "arr"):
            nodes[index] = nodes[index]._replace(start=self.pos(node), end=self.end(node))
        return index

    def constant(self, node) -> int:
        v = node.value
        if isinstance(v, bool) or v is None:
            raise self.fail(f"{v} is not a number: gradcli computes with numbers", node, "constant")
        if isinstance(v, str):
            raise self.fail("a string: gradcli computes with numbers, not text", node, "string")
        if isinstance(v, complex):
            raise self.fail("a complex number: gradcli computes with real numbers", node, "complex")
        try:
            text = repr(float(v))
        except OverflowError:
            text = "1e999"  # the builder says: too large for a float
        return self.b.number(_T(text, self.pos(node), self.end(node)))

    def name(self, node) -> int:
        b = self.b
        if self.locals is not None and node.id in self.locals:
            index = self.locals[node.id]
            n = b.syntax.nodes[index]
            if n.kind == "num":  # a fresh copy: a later `-k` folds into its own literal
                b.syntax.nodes.append(n)
                return len(b.syntax.nodes) - 1
            return index
        if node.id in self.modules:
            raise self.fail(
                f"{node.id} is a module: call one of its functions "
                f"({node.id}.exp(x)) or use its constants ({node.id}.pi)",
                node,
                "module",
            )
        if node.id in ("inf", "nan", "Infinity", "NaN"):
            raise self.fail(f"{node.id} is not a finite number", node, "constant")
        return b.name(self.tok(node.id, node))

    def call(self, node, done: dict) -> int:
        b = self.b
        kind = self.call_kind(node)
        f = node.func
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise self.fail("*args and **kwargs: write the arguments out", node, "call")
        if kind == "value" or kind == "pass":
            if not node.args:
                what = f.id if isinstance(f, ast.Name) else f.attr
                raise self.fail(f"{what}() needs a number: Value(2.0)", node, "Value")
            return done[id(node.args[0])]
        if kind == "name":
            fname = f.id
            if fname in IGNORED_CALLS:
                raise self.fail(
                    f"{fname}(...) inside a computation: it has no value to compute with",
                    node,
                    "print",
                )
            self.check_user_call(fname, f)
            if fname in self.imported:
                raise self.fail(
                    f"{fname} comes from {self.imported[fname]}, which gradcli "
                    "does not run: write the computation with numbers and "
                    "gradcli's functions",
                    f,
                    "import",
                )
            if fname == "float" or fname == "int":
                raise self.fail(
                    f"{fname}(...) converts a value; write the value itself", f, "conversion"
                )
            args, keywords = self.arguments(node, done)
            return self.span(b.call(self.tok(fname, f), args + keywords), node)
        if kind == "module":
            module = self.modules[f.value.id]
            target = MODULE_FUNCTIONS.get(f.attr)
            if target is None:
                raise self.fail(
                    f"{f.value.id}.{f.attr} is not a function gradcli has (from {module})",
                    node,
                    "module function",
                    "gradcli's functions: "
                    + ", ".join(
                        sorted(t for t in set(MODULE_FUNCTIONS.values()) if t and t != "@")
                    ),
                )
            args, keywords = self.arguments(node, done)
            if target == "@":
                if len(args) != 2 or keywords:
                    raise self.fail(
                        f"{f.value.id}.{f.attr} takes two arrays", node, "module function"
                    )
                return self.span(b.binop(args[0], _T("@", self.pos(node)), args[1]), node)
            return self.span(b.call(_T(target, self.pos(f.value)), args + keywords), node)
        if kind == "method":
            if f.attr == "backward":
                raise self.fail(
                    ".backward() goes on a line of its own (g.backward())", node, "backward"
                )
            target = METHODS.get(f.attr)
            if target is None:
                raise self.fail(
                    f".{f.attr}() is not a method gradcli knows",
                    f,
                    "method",
                    "methods: " + ", ".join(sorted(m for m, t in METHODS.items() if t)),
                )
            receiver = done[id(f.value)]
            args, keywords = self.arguments(node, done)
            return self.span(b.call(_T(target, self.pos(node)), [receiver] + args + keywords), node)
        raise self.fail(
            "a call of something other than a name: gradcli calls functions by name, exp(x)",
            node,
            "call",
        )

    def arguments(self, node, done: dict) -> tuple:
        args = [done[id(a)] for a in node.args]
        keywords = [
            self.b.keyword(_T(k.arg, self.pos(k)), self.keyword_value(k.value))
            for k in node.keywords
        ]
        return args, keywords

    def keyword_value(self, value) -> int:
        """axis=0, keepdims=True: Python's True, False and None are the builder's words."""
        if isinstance(value, ast.Constant) and (
            isinstance(value.value, bool) or value.value is None
        ):
            return self.b.name(_T(str(value.value), self.pos(value), self.end(value)))
        return self.expr(value)

    def check_user_call(self, fname: str, node) -> None:
        if fname == self.defining:
            raise self.fail(
                f"{fname} calls itself: a function cannot be recursive (gradcli "
                "writes each call out into the tape, and a recursive one would "
                "never end)",
                node,
                "recursion",
            )
        if fname in self.defs and fname not in self.b.syntax.functions:
            raise self.fail(
                f"{fname} is defined after this use (on line "
                f"{self.defs[fname]}): define a function before the statements "
                "that call it",
                node,
                "order",
            )

    def attribute(self, node, done: dict) -> int:
        b = self.b
        value = node.value
        if node.attr == "T":
            return self.span(b.attribute(done[id(value)], _T("T", self.end(node) - 1)), node)
        if isinstance(value, ast.Name) and value.id in self.modules:
            constant = MODULE_CONSTANTS.get(node.attr)
            if constant is None:
                raise self.fail(
                    f"{value.id}.{node.attr} is not a number gradcli has (it has "
                    f"{value.id}.pi and {value.id}.e)",
                    node,
                    "module constant",
                )
            # The number itself, written as pasted: a program's own `e` is no matter.
            return b.number(_T(repr(CONSTANTS[constant]), self.pos(node), self.end(node)))
        shown = ast.unparse(value)
        if node.attr == "data":
            raise self.fail(
                f"{shown}.data is micrograd's bare number, cut off from the "
                f"graph: no gradient flows through it; write {shown} to "
                "compute with the value",
                node,
                "data",
            )
        if node.attr == "grad":
            raise self.fail(
                f"{shown}.grad is the gradient backward() fills in; gradcli "
                "computes every gradient itself (the Result table)",
                node,
                "grad",
            )
        raise self.fail(
            f".{node.attr}: the one attribute gradcli reads is .T (the transpose)",
            node,
            "attribute",
        )

    def subscript(self, node, done: dict) -> int:
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        out = []
        for item in items:
            if isinstance(item, ast.Slice):
                if item.step is not None:
                    raise self.fail("a slice with a step (a:b:c): gradcli takes a:b", item, "slice")
                out.append(
                    _Slice(
                        None if item.lower is None else done[id(item.lower)],
                        None if item.upper is None else done[id(item.upper)],
                        self.end(item),
                    )
                )
            else:
                out.append(done[id(item)])
        return self.span(self.b.subscript(done[id(node.value)], out), node)

    def operator_error(self, op, node) -> ForeignCode:
        if isinstance(op, ast.BitXor):
            return self.fail(
                "^ is bitwise XOR in Python: a power is written a ** b", node, "operator"
            )
        if isinstance(op, ast.FloorDiv):
            return self.fail(
                "// is floor division, which has no useful derivative: write /", node, "operator"
            )
        if isinstance(op, ast.Mod):
            return self.fail("% (remainder) is not one of gradcli's operations", node, "operator")
        return self.fail(
            "a bitwise operator: gradcli computes with + - * / ** and @", node, "operator"
        )

    def unsupported_expression(self, node) -> ForeignCode:
        if isinstance(node, (ast.Compare, ast.BoolOp, ast.IfExp)):
            return self.fail("a condition: " + _CONDITION, node, "condition")
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
            return self.fail("a comprehension is a loop: " + _LOOP, node, "comprehension")
        if isinstance(node, ast.Lambda):
            return self.fail(
                "a lambda: define the function with def f(x): return ...", node, "lambda"
            )
        if isinstance(node, ast.JoinedStr):
            return self.fail("an f-string: gradcli computes with numbers, not text", node, "string")
        if isinstance(node, ast.Tuple):
            return self.fail(
                "a tuple: gradcli's arrays are lists of numbers, [1, 2]", node, "tuple"
            )
        if isinstance(node, (ast.Dict, ast.Set)):
            return self.fail(
                "a dict or set: gradcli computes with numbers and arrays", node, "dict"
            )
        return self.fail(
            f"{type(node).__name__}: not an expression gradcli reads", node, type(node).__name__
        )
