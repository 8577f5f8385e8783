"""Emit an evaluated program as NumPy, in the style of makemore's "Becoming a Backprop Ninja".

The forward pass is the program's own statements (`hprebn = embcat @ W1 + b1`), with the
intermediate values the program did not name written inside them. The backward pass runs
in the engine's order, one line per chain-rule term, with `d`-prefixed adjoints:
`dW1 = embcat.T @ dhprebn`, `db1 = dhprebn.sum(0)`, `dC = np.zeros_like(C); np.add.at(dC,
Xb, demb)`; the first term into an adjoint assigns it and each later one adds (`+=`), so a
value used twice collects both terms. The program ends by printing the output and every
gradient exactly as `gradcli eval --grad-only` prints them.

Where the derivatives come from. Every term is translated from the op table's rule text,
parsed with gradcli's own parser (one translation path with codegen.py's):
  - an elementwise op's local partial (ops.py: `1-{y}^2`, `heaviside({0}, 0)`), times the
    adjoint arriving, with the op's gates (relu, max and min route: `routed`; pow's x-term
    is masked where the exponent is 0: `gated`), then summed back to the operand's shape
    where the operand was broadcast (`.sum(0)`, `.sum(0, keepdims=True)`): the adjoint of
    a broadcast is a sum, as the engine's sum_to;
  - a tensor op's VJP text (tensor_ops.py: `{dy} @ {1}.T`, `{dy}.T`, `{dy}/n`, softmax's
    `{y} * ({dy} - sum({dy} * {y}, axis, keepdims=true))`), {dy} being the adjoint arriving
    and, for a reduction, that adjoint broadcast back over the reduced axis
    (`np.ones_like(counts) * dcounts_sum`).
Four tensor ops state their VJP in words rather than as an expression ("{dy} where {0} is
the maximum", "reshape({dy}, shape of {0})", "scatter-add {dy} into zeros of {0}'s shape")
or as a closed form whose grouping the engine computes differently (cross_entropy's
`(softmax({0}) - onehot({1})) / n * {dy}`, which the engine computes as
(softmax - onehot)·(dy/n)); those four are spelled here (_SPELLED), in the engine's
arithmetic, and tests/test_tensor_code.py checks each against `gradcli eval`.

In tensor mode the numbers are the engine's, bit for bit: every line does the engine's
arithmetic in the engine's order and grouping (the same NumPy functions, `local * adjoint`
then the sum back to shape, an adjoint's first term taken as it is, ties in a max
reduction split as `(x == m) / count`), and the inputs are written with every digit. A
program of numbers runs as NumPy too, on 0-d values; eval computes those with Python's
math, from which NumPy's tanh (and the like) may differ in the last digit.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from itertools import chain

from ..core.engine import Evaluation, needs_grad
from ..core.errors import UsageError
from ..core.notation import contribution_of
from ..core.ops import OPS, RULE_FUNCTIONS, Op
from ..core.tape import Tape
from .codegen import (
    ATOM,
    MUL,
    UNARY,
    Target,
    _literal,
    _literal_value,
    _Names,
    _string,
    _utf8,
    apply,
)

_HELPERS = {
    "sigmoid": (
        "def sigmoid(x):",
        "    z = np.exp(-np.abs(x))  # so that exp never overflows",
        "    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))",
    ),
    "softplus": (
        "def softplus(x):",
        "    # PyTorch's softplus: x itself above 20 (its threshold), else ln(1 + e^x)",
        "    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))",
    ),
    "relu": (
        "def relu(x):",
        "    return np.where(x >= 0, x, 0.0)  # relu(-0.0) is -0.0, as in PyTorch",
    ),
    "softmax": (
        "def softmax(x, axis=-1):",
        "    e = np.exp(x - x.max(axis, keepdims=True))  # the max subtracted: no overflow",
        "    return e / e.sum(axis, keepdims=True)",
    ),
    "log_softmax": (
        "def log_softmax(x, axis=-1):",
        "    shifted = x - x.max(axis, keepdims=True)",
        "    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))",
    ),
    "cross_entropy": (
        "def cross_entropy(logits, targets):",
        "    # PyTorch's F.cross_entropy: -log softmax at each row's target, mean over rows",
        "    logp = log_softmax(logits)",
        "    if logp.ndim == 1:",
        "        return -np.mean(logp[targets])",
        "    return -np.mean(logp[np.arange(len(targets)), targets])",
    ),
    "routed": (
        "def routed(local, upstream):",
        "    # relu, max and min route the gradient: a branch not taken gets exactly 0,",
        "    # even where the adjoint above is inf or nan (0 * nan would be nan)",
        "    return np.where(local == 0, 0.0, local * upstream)",
    ),
    "gated": (
        "def gated(gate, term):",
        "    # PyTorch masks here: x^c's x-term is exactly 0 where c = 0, even where the",
        "    # adjoint above is inf or nan",
        "    return np.where(gate == 0, 0.0, term)",
    ),
}

NUMPY = Target(
    "numpy",
    "#",
    {
        "log": "np.log",
        "asin": "np.arcsin",
        "acos": "np.arccos",
        "atan": "np.arctan",
        "abs": "np.abs",
        "max": "np.maximum",
        "min": "np.minimum",
        "sigmoid": "sigmoid",
        "softplus": "softplus",
        "relu": "relu",
        "heaviside": "np.heaviside",
        "sign": "np.sign",
    },
    "np.{}",
    {"pi": "np.pi", "e": "np.e"},
    _HELPERS,
    ("import sys", "import numpy as np"),
    "{} = {}",
    "{} = {}",
    "{} += {}",
    "print({}, {})",
    "1.0",
    "0.0",
    {},
    True,
)

# Names the generated program uses besides the helpers: a value may not take them.
_TAKEN = {"np", "sys", "full", "partial", "unicode"} | set(_HELPERS)

# The words a tensor op's VJP text uses besides the language's own functions: `sum(a,
# axis, keepdims=true)` there means a sum along the step's axis (an Op here only so that
# the parser reads the call; no derivative of it is ever taken).
_RULE_WORDS = {
    **RULE_FUNCTIONS,
    "sum": Op(
        "sum",
        2,
        None,  # type: ignore[arg-type]  # a name for the parser only: never evaluated
        None,
        (),
        "a sum along an axis, in a rule text",
        keywords=(("keepdims", False),),
    ),
}

# An unnamed value is written inside the statement that uses it up to this many steps
# deep (or this many steps in all); beyond, it gets a line of its own.
MAX_DEPTH, MAX_SIZE = 12, 24

# Tensor ops whose VJP is spelled below instead of translated from its text (see above).
_SPELLED = ("amax", "amin", "reshape", "index", "cross_entropy")


@dataclass
class Expr:
    text: str
    prec: int
    fresh: bool = True  # a new array (False: a name or a view of one, never to be += into)

    @property
    def pair(self) -> tuple:
        return self.text, self.prec


def _atom(e) -> str:
    text, prec = e if isinstance(e, tuple) else e.pair
    return text if prec >= ATOM else f"({text})"


def _axes(axes: tuple) -> str:
    return str(axes[0]) if len(axes) == 1 else str(tuple(axes))


def _shape(shape: tuple) -> str:
    return str(shape[0]) if len(shape) == 1 else str(tuple(int(d) for d in shape))


def _number(x: float, integer: bool) -> str:
    return str(int(x)) if integer else repr(float(x))


# --- translating a rule text ----------------------------------------------------------
_RULE_CACHE: dict = {}


def _rule_nodes(template: str):
    """A rule text (an elementwise partial or a tensor op's VJP) parsed with gradcli's
    parser: its post-order node list and root. {0} {1} {y} {dy} become _0 _1 _y _dy."""
    if template not in _RULE_CACHE:
        from ..language.syntax import parse

        text = template.replace("{dy}", "_dy").replace("{y}", "_y")
        for k in range(3):
            text = text.replace(f"{{{k}}}", f"_{k}")
        syntax = parse(text, functions=_RULE_WORDS)
        if len(syntax.statements) != 1 or syntax.statements[0].kind != "bare":
            raise ValueError(f"the rule {template!r} is not one expression")
        _RULE_CACHE[template] = syntax.nodes, syntax.statements[0].root
    return _RULE_CACHE[template]


def rule_names(template: str) -> set:
    """The placeholders and words a rule text uses: {"_0", "_y", "_dy", "n", ...}."""
    nodes, _ = _rule_nodes(template)
    return {n.payload for n in nodes if n.kind == "name"}


def translate(template: str, bind: dict) -> tuple:
    """A rule text as NumPy code: (text, precedence). `bind` gives each placeholder
    (_0, _1, _y, _dy) and word (n, axis) as (text, precedence)."""
    nodes, root = _rule_nodes(template)
    out: list = [None] * len(nodes)
    for n, node in enumerate(nodes):  # post-order: every node's kids come before it
        kind = node.kind
        if kind == "used":
            continue  # a keyword's value, read by its call
        if kind == "num":
            out[n] = _literal(node.payload)
        elif kind == "name":
            if node.payload in bind:
                out[n] = bind[node.payload]
            elif node.payload in NUMPY.constants:
                out[n] = (NUMPY.constants[node.payload], ATOM)
            else:
                raise ValueError(f"the rule {template!r} uses the unknown name {node.payload!r}")
        elif kind == "op":
            out[n] = _apply_folded(node.payload, [out[k] for k in node.kids])
        else:
            op, attrs = node.payload
            kids = [out[k] for k in node.kids]
            if op.name == "matmul":
                out[n] = _matmul_text(*kids)
            elif op.name == "transpose":
                out[n] = (f"{_atom(kids[0])}.T", ATOM)
            elif op.name == "sum":
                keep = ", keepdims=True" if (attrs or {}).get("keepdims") else ""
                out[n] = (f"{_atom(kids[0])}.sum({kids[1][0]}{keep})", ATOM)
            else:
                raise ValueError(
                    f"the rule {template!r} calls {op.name}, which has no NumPy spelling"
                )
    return out[root]


_FOLD = ("add", "sub", "mul", "div", "pow", "neg")


def _apply_folded(op: Op, operands: list) -> tuple:
    """apply(), with arithmetic on literals done here (`-0.5 - 1` is written -1.5: the
    engine too computes it in Python floats, so the number is the same) and x^1 as x (the
    engine uses x itself where the exponent is 2 and the rule reads 2*x^(2-1))."""
    numbers = [_literal_value(text) for text, _ in operands]
    if op.name in _FOLD and all(v is not None for v in numbers):
        try:
            value = op.forward(*numbers)
        except (ArithmeticError, ValueError):
            value = math.nan
        if math.isfinite(value):
            return _literal(value)
    if op.name == "pow" and numbers[1] == 1.0:
        return operands[0]
    return apply(op, operands, NUMPY, rule=True)


def _matmul_text(a: tuple, b: tuple) -> tuple:
    # `@` binds as `*` does in Python, left to right: the grouping of the tape.
    left = a[0] if a[1] >= MUL else f"({a[0]})"
    right = b[0] if b[1] > MUL else f"({b[0]})"
    return f"{left} @ {right}", MUL


# --- the plan: which values get a line of their own -----------------------------------
class _Plan:
    """What every line refers to. A value gets a line (a name) when the program named it,
    when it is used twice, when the backward pass reads it and it is not cheap to write
    again, or when its adjoint needs a line; every other value is written inside the
    statement that uses it, as the program wrote it."""

    def __init__(self, ev: Evaluation):
        from ..core.arrays import np

        self.ev = ev
        tape = self.tape = ev.tape
        steps = tape.steps
        n = len(steps)
        self.shapes = [
            tuple(int(d) for d in np.shape(v)) if v is not None else () for v in ev.values
        ]
        self.live = tape.live()
        self.needs = needs_grad(tape)
        self.uses = [0] * n
        for i in range(n):
            if self.live[i]:
                for a in steps[i].args:
                    self.uses[a] += 1
        self.outgoing = [0] * n
        self.incoming: list = [[] for _ in range(n)]
        for con in ev.contributions:
            self.outgoing[con.node] += 1
            self.incoming[con.input].append(con)
        self.integer = self._integer_typed()
        referenced = [False] * n
        for con in ev.contributions:
            for k in _value_refs(tape, con):
                referenced[k] = True
        # Values: named, inputs and the output have lines; literals are written in place.
        # So does a value whose expression would nest too deep or grow too long (Python
        # refuses 200 nested brackets; a long sum would be rewritten at every step).
        self.line = [False] * n
        depth, size = [0] * n, [0] * n
        for i, step in enumerate(steps):
            if not self.live[i] and not tape.is_input(i):
                continue
            if tape.is_input(i) or i == tape.output or step.name is not None:
                self.line[i] = True
            elif tape.is_const(i):
                continue
            elif self.uses[i] > 1 or (referenced[i] and not self._cheap(i)):
                self.line[i] = True
            else:
                depth[i] = 1 + max((depth[a] for a in step.args), default=0)
                size[i] = 1 + sum(size[a] for a in step.args)
                self.line[i] = depth[i] > MAX_DEPTH or size[i] > MAX_SIZE
            if self.line[i]:
                depth[i] = size[i] = 0
        # Adjoints, from the output down: an unnamed value's adjoint is written inside the
        # terms it sends when it arrives as one expression and either goes on unchanged
        # (dhprebn through `+ b1`) or feeds one term; otherwise the value gets a line.
        self.adj_form: list = [None] * n  # "name", "neg" (minus a name) or "expr"
        self.inline_adj = [False] * n
        for i in range(n - 1, -1, -1):
            if not self.live[i] or not self.incoming[i] and i != tape.output:
                continue
            if self.line[i] or i == tape.output:
                self.adj_form[i] = "name"
                continue
            if len(self.incoming[i]) != 1:
                self.line[i], self.adj_form[i] = True, "name"
                continue
            (con,) = self.incoming[i]  # an unnamed value used once gets one term
            kind = _term_kind(self, con)
            form = "expr"
            if kind == "pass":
                form = self.adj_form[con.node]
            elif kind == "negate":
                form = "neg" if self.adj_form[con.node] == "name" else "expr"
            if kind != "block" and (form in ("name", "neg") or self.outgoing[i] <= 1):
                self.inline_adj[i], self.adj_form[i] = True, form
            else:
                self.line[i], self.adj_form[i] = True, "name"

    def _integer_typed(self) -> list:
        """Which values the generated code holds as integers: integer inputs (indices,
        targets, sizes), whole-number literals, range(n), and what + - * and the shape ops
        make of them. Anything else used as an index is converted (`.astype(int)`)."""
        tape = self.tape
        keeps = {
            "add",
            "sub",
            "mul",
            "neg",
            "copy",
            "max",
            "min",
            "abs",
            "index",
            "reshape",
            "transpose",
            "sum",
            "amax",
            "amin",
        }
        out = []
        for i, step in enumerate(tape.steps):
            if tape.is_input(i):
                out.append(step.name in tape.integer_inputs)
            elif tape.is_const(i):
                out.append(
                    self.shapes[i] == ()
                    and float(step.const).is_integer()
                    and abs(step.const) < 1e15
                )
            elif step.op.name == "arange":
                out.append(True)
            elif step.op.name in keeps:
                args = [a for k, a in enumerate(step.args) if k not in step.op.integer]
                out.append(
                    all(out[a] for a in args) and not all(tape.is_const(a) for a in step.args)
                )
            else:
                out.append(False)
        return out

    def _cheap(self, i: int) -> bool:
        """Cheap to write again where the backward pass needs it: one elementwise op, a
        transpose or range(n), on values that have names (or are literals)."""
        step = self.tape.steps[i]
        if step.op.tensor and step.op.name not in ("transpose", "arange"):
            return False
        return all(self.line[a] or self.tape.is_const(a) for a in step.args)


def _value_refs(tape: Tape, con) -> list:
    """The values a term reads besides the adjoint arriving: operands and the result."""
    step = tape.steps[con.node]
    op, position = step.op, con.position
    if op.name in ("amax", "amin"):
        return [step.args[0], con.node]
    if op.name == "index":
        return list(step.args[1:])
    if op.name == "cross_entropy":
        return list(step.args)
    if op.name in _SPELLED:
        return []
    names = rule_names(op.rules[position])
    refs = [a for k, a in enumerate(step.args) if f"_{k}" in names]
    if "_y" in names:
        refs.append(con.node)
    gate = op.gates[position] if op.gates else None
    if isinstance(gate, int):
        refs.append(step.args[gate])
    return refs


def _term_kind(plan: _Plan, con) -> str:
    """How a term relates to the adjoint arriving: "pass" (that adjoint unchanged),
    "negate" (its negative), "block" (statements that build a new array: a scatter-add,
    cross-entropy's closed form) or "expr" (any other expression)."""
    tape = plan.tape
    step = tape.steps[con.node]
    op = step.op
    if op.name in ("index", "cross_entropy"):
        return "block"
    if op.tensor or (op.gates and op.gates[con.position] is not None):
        return "expr"
    if plan.shapes[step.args[con.position]] != plan.shapes[con.node]:
        return "expr"  # summed back to the operand's shape
    rule = op.rules[con.position]
    return {"1": "pass", "-1": "negate"}.get(rule, "expr")


# --- the program ----------------------------------------------------------------------
class _Writer:
    def __init__(self, ev: Evaluation):
        self.ev = ev
        self.tape = ev.tape
        self.plan = _Plan(ev)
        self.names = _Names()
        self.names.taken |= _TAKEN
        self.ident: dict = {}
        self.expr: dict = {}  # step -> Expr of its value
        self.adj: dict = {}  # step -> Expr of its adjoint
        self.adj_name: dict = {}

    # values ------------------------------------------------------------------------------
    def name_values(self) -> None:
        from .codegen import _base_name

        tape, plan = self.tape, self.plan
        order = list(tape.inputs.values()) + [
            i for i in range(len(tape.steps)) if plan.line[i] and tape.steps[i].name
        ]
        order += [i for i in range(len(tape.steps)) if plan.line[i]]
        for i in order:
            if i not in self.ident:
                self.ident[i] = self.names.claim(_base_name(tape, i), tape.step_id(i))

    def value(self, i: int) -> Expr:
        return self.expr[i]

    def constant(self, i: int) -> Expr:
        step = self.tape.steps[i]
        if step.text in NUMPY.constants:
            return Expr(NUMPY.constants[step.text], ATOM)
        if self.plan.shapes[i]:
            return Expr(_array_literal(step.const, False, 0), ATOM)
        return Expr(*_literal(float(step.const)))

    def integer_operand(self, a: int, size: bool) -> str:
        """An operand that must be an integer (an index, a size): as it is where the
        program holds it as one, else converted as the engine converts it."""
        e = self.value(a)
        if self.plan.integer[a]:
            return e.text
        if size or self.plan.shapes[a] == ():
            return f"int({e.text})"
        return f"{_atom(e)}.astype(int)"

    def methodable(self, a: int) -> str:
        """An operand that a method (`.sum()`, `.T`) is called on: numbers written as
        Python numbers (literals, integer sizes) become NumPy values first."""
        e = self.value(a)
        if self.plan.shapes[a] == () and (self.tape.is_const(a) or self.plan.integer[a]):
            return f"np.asarray({e.text})"
        return _atom(e)

    def forward_text(self, i: int) -> Expr:
        """Step i's operation on its operands' expressions."""
        step = self.tape.steps[i]
        op, args = step.op, step.args
        attrs = step.attrs or {}
        if not op.tensor:
            operands = [self.value(a).pair for a in args]
            if op.name == "pow" and all(self.plan.integer[a] for a in args):
                # integers to an integer power would stay integers (and refuse -1)
                operands[0] = (f"np.float64({operands[0][0]})", ATOM)
            return Expr(*apply(op, operands, NUMPY))
        name = op.name
        if name == "matmul":
            return Expr(*_matmul_text(self.value(args[0]).pair, self.value(args[1]).pair))
        if name == "transpose":
            return Expr(f"{self.methodable(args[0])}.T", ATOM)
        if name in ("sum", "mean", "amax", "amin"):
            method = {"amax": "max", "amin": "min"}.get(name, name)
            parts = []
            if attrs.get("axis") is not None:
                parts.append(str(int(attrs["axis"])))
            if attrs.get("keepdims"):
                parts.append("keepdims=True")
            return Expr(f"{self.methodable(args[0])}.{method}({', '.join(parts)})", ATOM)
        if name == "reshape":
            sizes = ", ".join(self.integer_operand(a, True) for a in args[1:])
            return Expr(f"{self.methodable(args[0])}.reshape({sizes})", ATOM)
        if name == "index":
            return Expr(f"{self.methodable(args[0])}[{self.subscripts(i)}]", ATOM)
        if name == "arange":
            return Expr(f"np.arange({self.integer_operand(args[0], True)})", ATOM)
        if name == "onehot":
            return Expr(
                f"np.eye({self.integer_operand(args[1], True)})"
                f"[{self.integer_operand(args[0], False)}]",
                ATOM,
            )
        if name in ("softmax", "log_softmax"):
            axis = attrs.get("axis", -1)
            extra = "" if axis == -1 else f", axis={int(axis)}"
            return Expr(f"{name}({self.value(args[0]).text}{extra})", ATOM)
        if name == "cross_entropy":
            return Expr(
                f"cross_entropy({self.value(args[0]).text}, "
                f"{self.integer_operand(args[1], False)})",
                ATOM,
            )
        raise UsageError(f"{name} cannot be written as NumPy code yet")

    def subscripts(self, i: int, key: bool = False) -> str:
        """`Xb` or `np.arange(n), Yb` or `:, 1:3`: a subscript's items. As a key for
        np.add.at (key=True) a tuple, or np.s_[...] when it has slices."""
        step = self.tape.steps[i]
        spec = (step.attrs or {}).get("spec", ())
        operands = iter(step.args[1:])
        items = []
        for item in spec:
            if item is None:
                items.append(self.integer_operand(next(operands), False))
            else:
                start, stop = item
                items.append(f"{'' if start is None else start}:{'' if stop is None else stop}")
        text = ", ".join(items)
        if not key:
            return text
        if any(item is not None for item in spec):
            return f"np.s_[{text}]"
        return items[0] if len(items) == 1 else f"({text})"

    def forward(self) -> list:
        """(code, note) rows: one per value that has a line, in evaluation order."""
        tape, plan = self.tape, self.plan
        rows = []
        for i in range(len(tape.steps)):
            if tape.is_input(i):
                self.expr[i] = Expr(self.ident[i], ATOM, False)
                continue
            if not plan.live[i]:
                continue
            if tape.is_const(i):
                e = self.constant(i)
                if not plan.line[i]:
                    self.expr[i] = e
                    continue
                text = e.text if plan.shapes[i] else f"np.float64({e.text})"
            else:
                e = self.forward_text(i)
                if not plan.line[i]:
                    self.expr[i] = e
                    continue
                text = e.text
            rows.append((f"{self.ident[i]} = {text}", self._shape_note(i)))
            self.expr[i] = Expr(self.ident[i], ATOM, False)
        return rows

    def _shape_note(self, i: int) -> str:
        return str(self.plan.shapes[i]) if self.tape.tensor else ""

    # adjoints ----------------------------------------------------------------------------
    def name_adjoints(self) -> None:
        tape, plan = self.tape, self.plan
        for i in range(len(tape.steps)):
            wanted = (
                (tape.is_input(i) and tape.steps[i].name not in tape.integer_inputs)
                or plan.incoming[i]
                or i == tape.output
            )
            if plan.line[i] and wanted and plan.live[i] | tape.is_input(i):
                self.adj_name[i] = self.names.claim("d" + self.ident[i], f"dv{i + 1}")

    def like(self, i: int, fill: str) -> str:
        """np.ones_like(x) / np.zeros_like(x) where x has a name and the engine's layout
        (row-major), else np.ones(shape): the same array the engine builds."""
        v = self.ev.values[i]
        if self.plan.line[i] and getattr(v, "flags", None) is not None and v.flags.c_contiguous:
            return f"np.{fill}_like({self.ident[i]})"
        return f"np.{fill}({self.plan.shapes[i]})"

    def term(self, con):
        """The term step con.node sends its operand con.position: an Expr, or for a
        scatter-add or cross-entropy a function of the name it builds into (statements)."""
        tape, plan = self.tape, self.plan
        step = tape.steps[con.node]
        op = step.op
        dy = self.adj[con.node]
        if not op.tensor:
            return self._elementwise(con, step, dy)
        args = step.args
        x = args[0]
        bind = {f"_{k}": self.value(a).pair for k, a in enumerate(args)}
        bind["_y"] = self.value(con.node).pair
        name = op.name
        attrs = step.attrs or {}
        if name == "matmul":
            return self._matmul(con, step, dy)
        if name == "transpose":
            bind["_dy"] = dy.pair
            text, prec = translate(op.rules[0], bind)
            return Expr(text, prec, fresh=False)
        if name in ("sum", "mean"):
            bind["_dy"] = (f"{self.like(x, 'ones')} * {self._expanded(dy, x, attrs, MUL + 1)}", MUL)
            bind["n"] = (str(_count(plan.shapes[x], plan.shapes[con.node])), ATOM)
            return Expr(*translate(op.rules[0], bind))
        if name in ("softmax", "log_softmax"):
            bind["_dy"] = dy.pair
            bind["axis"] = (str(int(attrs.get("axis", -1))), ATOM)
            return Expr(*translate(op.rules[0], bind))
        if name in ("amax", "amin"):
            hit = f"({self.value(x).text} == {self._expanded(self.value(con.node), x, attrs)})"
            axis = attrs.get("axis")
            where = "" if axis is None else f"{int(axis)}, "
            text = (
                f"{hit} / {hit}.sum({where}keepdims=True) * {self._expanded(dy, x, attrs, MUL + 1)}"
            )
            return Expr(text, MUL)
        if name == "reshape":
            shape = self.ident[x] + ".shape" if plan.line[x] else _shape(plan.shapes[x])
            return Expr(f"{_atom(dy)}.reshape({shape})", ATOM, fresh=False)
        if name == "index":
            key = self.subscripts(con.node, key=True)
            zeros = self.like(x, "zeros")
            return lambda target: [f"{target} = {zeros}; np.add.at({target}, {key}, {dy.text})"]
        if name == "cross_entropy":
            return self._cross_entropy(con, step, dy)
        raise UsageError(f"the derivative of {name} cannot be written as NumPy code yet")

    def _expanded(self, e: Expr, x: int, attrs: dict, prec: int = 0) -> str:
        """A reduction's result (or its adjoint) with the reduced axis put back, so that
        it broadcasts over the operand x: `np.expand_dims(dm, 1)` where keepdims was not
        given and the axis is not the first (broadcasting adds leading axes by itself)."""
        axis = attrs.get("axis")
        ndim = len(self.plan.shapes[x])
        if axis is None or attrs.get("keepdims") or int(axis) % max(ndim, 1) == 0:
            return e.text if e.prec >= prec else f"({e.text})"
        return f"np.expand_dims({e.text}, {int(axis) % ndim})"

    def _elementwise(self, con, step, dy: Expr) -> Expr:
        tape, plan = self.tape, self.plan
        op, position = step.op, con.position
        operand = step.args[position]
        bind = {f"_{k}": self.value(a).pair for k, a in enumerate(step.args)}
        bind["_y"] = self.value(con.node).pair
        local = translate(op.rules[position], bind)
        kind = op.gates[position] if op.gates else None
        fresh = True
        if isinstance(kind, int) and tape.is_const(step.args[kind]):
            if tape.steps[step.args[kind]].const == 0:
                return Expr(f"np.zeros({plan.shapes[operand]})", ATOM)  # x^0's x-term: shut
            kind = None  # a literal exponent other than 0: the gate is open for good
        if kind == "local":
            term = (f"routed({local[0]}, {dy.text})", ATOM)
        else:
            if local == ("1", ATOM):
                term, fresh = dy.pair, dy.fresh
            elif local == ("-1", UNARY):
                term = apply(OPS["neg"], [dy.pair], NUMPY)
            else:
                term = apply(OPS["mul"], [local, dy.pair], NUMPY)
            if kind is not None:
                term = (f"gated({self.value(step.args[kind]).text}, {term[0]})", ATOM)
        have, want = plan.shapes[con.node], plan.shapes[operand]
        if have == want:
            return Expr(term[0], term[1], fresh)
        return Expr(_sum_to(term, have, want), ATOM)

    def _matmul(self, con, step, dy: Expr) -> Expr:
        """`{dy} @ {1}.T` and `{0}.T @ {dy}`; a vector operand taken as a row (on the left)
        or a column (on the right) and the result shaped back, as the engine does."""
        plan = self.plan
        a, b = step.args
        sa, sb = plan.shapes[a], plan.shapes[b]
        bind = {"_0": self.value(a).pair, "_1": self.value(b).pair, "_dy": dy.pair}
        if len(sa) == 1:
            bind["_0"] = (f"{_atom(self.value(a))}.reshape(1, -1)", ATOM)
        if len(sb) == 1:
            bind["_1"] = (f"{_atom(self.value(b))}.reshape(-1, 1)", ATOM)
        if len(sa) == 1 or len(sb) == 1:
            rows = 1 if len(sa) == 1 else sa[0]
            cols = 1 if len(sb) == 1 else sb[1]
            bind["_dy"] = (f"np.reshape({dy.text}, ({rows}, {cols}))", ATOM)
        text, prec = translate(step.op.rules[con.position], bind)
        want = plan.shapes[step.args[con.position]]
        if len(want) == 1:
            return Expr(f"({text}).reshape({want[0]})", ATOM)
        return Expr(text, prec)

    def _cross_entropy(self, con, step, dy: Expr):
        """(softmax(logits) - onehot(y)) / n * dy, computed as the engine computes it:
        makemore's three lines (softmax, subtract 1 at each row's target, scale)."""
        logits = self.value(step.args[0]).text
        targets = self.integer_operand(step.args[1], False)
        shape = self.plan.shapes[step.args[0]]
        if len(shape) == 1:
            pick, scale = f"[{targets}]", dy.text
        else:
            pick = f"[np.arange({shape[0]}), {targets}]"
            scale = f"{_atom(dy)} / {shape[0]}"

        def block(target):
            return [f"{target} = softmax({logits})", f"{target}{pick} -= 1", f"{target} *= {scale}"]

        return block

    def backward(self) -> list:
        """(code, note) rows: the output's seed, then one row per chain-rule term in the
        engine's order (a term into a value without a line is written where it is used)."""
        tape, plan = self.tape, self.plan
        out = tape.output
        # 1.0; a NumPy number where a method is called on it (`dy.T`, `dy.reshape`)
        seed = "np.float64(1.0)" if tape.steps[out].op.name in ("transpose", "reshape") else "1.0"
        rows = [(f"{self.adj_name[out]} = {seed}", "")]
        self.adj[out] = Expr(self.adj_name[out], ATOM, False)
        total = {i: len(plan.incoming[i]) for i in self.adj_name}
        seen = {i: 0 for i in self.adj_name}
        for con in self.ev.contributions:
            target = con.input
            term = self.term(con)
            if plan.inline_adj[target]:
                self.adj[target] = term
                continue
            name = self.adj_name[target]
            seen[target] += 1
            note = self._note(con, seen[target], total[target])
            first = seen[target] == 1
            if callable(term):
                if first:
                    lines = term(name)
                else:
                    temp = self.names.claim(name + "_term", name + "_term")
                    lines = term(temp) + [f"{name} += {temp}"]
                rows += [(line, note if k == 0 else "") for k, line in enumerate(lines)]
            elif first:
                text = term.text
                if total[target] > 1 and not term.fresh:
                    text = f"np.copy({text})"  # a new array: += must not change another
                rows.append((f"{name} = {text}", note))
            else:
                rows.append((f"{name} += {term.text}", note))
            if seen[target] == total[target]:
                self.adj[target] = Expr(name, ATOM, False)
        return rows

    def _note(self, con, k: int, total: int) -> str:
        """What a line's comment teaches: a broadcast summed back, a scatter-add with a
        repeated index, and which of several terms into one adjoint this is."""
        tape, plan = self.tape, self.plan
        step = tape.steps[con.node]
        operand = step.args[con.position]
        notes = []
        have, want = plan.shapes[con.node], plan.shapes[operand]
        if not step.op.tensor and have != want:
            axes = _broadcast_axes(want, have)
            what = self.ident[operand] if plan.line[operand] else "the operand"
            notes.append(f"{what} {want} was broadcast to {have}: sum over axis {_axes(axes)}")
        if step.op.name == "index" and _repeats(self.ev, step):
            notes.append("an index repeats: np.add.at adds every contribution")
        if step.op.name == "cross_entropy":
            logits, targets = (self.value(a).text for a in step.args)
            notes.append(f"(softmax({logits}) - onehot({targets})) / n * {self.adj[con.node].text}")
        if total > 1:
            notes.append(contribution_of(k, total, self.adj_name[con.input]))
        return "; ".join(notes)

    def zero_adjoints(self) -> list:
        """Inputs the output does not depend on: their gradient is zeros."""
        tape, plan = self.tape, self.plan
        rows = []
        for name, i in tape.inputs.items():
            if i in self.adj_name and not plan.incoming[i]:
                rows.append(
                    (
                        f"{self.adj_name[i]} = np.zeros_like({self.ident[i]})",
                        "the output does not depend on " + name,
                    )
                )
                self.adj[i] = Expr(self.adj_name[i], ATOM, False)
        return rows


def _count(shape: tuple, reduced: tuple) -> int:
    size = math.prod(shape)
    return size // max(math.prod(reduced), 1)


def _broadcast_axes(shape: tuple, out: tuple) -> tuple:
    lead = len(out) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + k for k, d in enumerate(shape) if d == 1 and out[lead + k] != 1
    )


def _sum_to(term: tuple, have: tuple, want: tuple) -> str:
    """The term summed back to the operand's shape, as the engine's sum_to sums it: over
    the axes broadcasting added in front, then over those stretched from 1, kept."""
    text = _atom(term)
    lead = len(have) - len(want)
    if lead > 0:
        text += f".sum({_axes(tuple(range(lead)))})"
    stretched = tuple(k for k, d in enumerate(want) if d == 1 and have[lead + k] != 1)
    if stretched:
        text += f".sum({_axes(stretched)}, keepdims=True)"
    return text


def _repeats(ev: Evaluation, step) -> bool:
    """Whether a lookup picks some entry more than once (then the scatter must add)."""
    from ..core.arrays import np
    from ..core.tensor_ops import _key

    x = ev.values[step.args[0]]
    idx = [ev.values[a] for a in step.args[1:]]
    hits = np.zeros(np.shape(x))
    np.add.at(hits, _key(x, idx, (step.attrs or {}).get("spec", ())), 1.0)
    return bool(np.any(hits > 1))


# --- inputs and the program's text -------------------------------------------------------
def _array_literal(value, integer: bool, indent: int) -> str:
    """np.array([...]) with every number as it reads back exactly; long ones a row a line."""
    from ..core.arrays import np

    a = np.asarray(value, dtype=float)
    if a.size == 0:
        return f"np.zeros({tuple(a.shape)}{', dtype=int' if integer else ''})"
    items = [_number(v, integer) for v in a.ravel().tolist()]
    for d in reversed(a.shape[1:]):
        items = ["[" + ", ".join(items[k : k + d]) + "]" for k in range(0, len(items), d)]
    one_line = "np.array([" + ", ".join(items) + "])"
    if len(one_line) + indent <= 88:
        return one_line
    pad = " " * 4
    rows = []
    if a.ndim == 1:
        rows = textwrap.wrap(
            ", ".join(items) + ",", 84, break_long_words=False, break_on_hyphens=False
        )
    else:
        for item in items:
            rows += textwrap.wrap(
                item + ",",
                84,
                break_long_words=False,
                break_on_hyphens=False,
                subsequent_indent=" ",
            )
    return "np.array([\n" + "\n".join(pad + r for r in rows) + "\n])"


def _input_line(w: _Writer, name: str, i: int) -> str:
    value = w.ev.inputs[name]
    integer = name in w.tape.integer_inputs
    ident = w.ident[i]
    from ..core.arrays import np

    if np.ndim(value) == 0:
        x = float(value)
        if not math.isfinite(x):
            raise UsageError(f"the input value {x!r} cannot be written in generated code")
        return f"{ident} = {_number(x, True) if integer else f'np.float64({x!r})'}"
    return f"{ident} = {_array_literal(value, integer, len(ident) + 3)}"


_FULL = (
    "def full(a):",
    "    # every number exactly (the shortest form that reads back the same), 6 for 6.0,",
    "    # an array as nested lists: as gradcli eval writes them",
    "    a = np.asarray(a, dtype=float)",
    "    items = [str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)",
    "             for x in a.ravel().tolist()]",
    "    if a.ndim == 0:",
    "        return items[0]",
    "    if a.size == 0:",
    '        return "[]"',
    "    for d in reversed(a.shape[1:]):",
    '        items = ["[" + ", ".join(items[k:k + d]) + "]" for k in range(0, len(items), d)]',
    '    return "[" + ", ".join(items) + "]"',
    "",
    "",
    "def partial(top, bottom):",
    "    # ∂top/∂bottom, or dtop/dbottom where the output cannot show ∂ (as gradcli eval)",
    '    return f"∂{top}/∂{bottom}" if unicode else f"d{top}/d{bottom}"',
)


def _header(ev: Evaluation, out: str) -> list:
    """`out`: the output's name in the code (f_2 where the program rebinds f, whose first
    value keeps the name f and its adjoint df)."""
    tape = ev.tape
    lines = ["# Generated by gradcli (NumPy) from this program:"]
    lines += [f"#   {_utf8(line)}" for line in tape.source.strip().splitlines()]
    lines += [
        "# The forward pass is the program's statements. The backward pass runs the chain",
        f"# rule in reverse: d<name> holds the adjoint d{out}/d<name>, with the shape of <name>;",
        "# a value's first contribution is assigned and each later one added (+=), as PyTorch",
        "# sums them, and an operand that was broadcast gets its adjoint summed back to its shape.",
    ]
    if tape.tensor:
        lines += [
            "# It prints the lines gradcli eval prints for the gradient alone (grad-only),",
            "# to the last digit: the same NumPy arithmetic in the same order.",
        ]
    else:
        lines += [
            "# It prints the lines gradcli eval prints for the gradient alone (grad-only),",
            "# to rounding: eval computes numbers with Python's math, and NumPy's tanh",
            "# (and the like) may differ from it in the last digit.",
        ]
    for warning in ev.warnings:
        lines += [f"# gradcli warns: {_utf8(part)}" for part in warning.splitlines()]
    return lines


_CALLED = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, _HELPERS)) + r")\(")


def _helpers(code) -> list:
    """The helpers the code (an iterable of lines) calls, and those they call, in the
    table's order. One pattern for all the names, one scan of each line: no two names
    can match at one place (each match ends in its own `(`, and log_softmax's softmax
    follows a `_`)."""
    used: set = set()
    for text in code:
        if "(" in text:
            used.update(_CALLED.findall(text))
    todo = list(used)
    while todo:
        for line in _HELPERS[todo.pop()]:
            for name in _CALLED.findall(line):
                if name not in used:
                    used.add(name)
                    todo.append(name)
    lines = []
    for name, definition in _HELPERS.items():
        if name in used:
            lines += [""] + list(definition)
    return lines


def _aligned(rows: list):
    """Code with its comment (where it has one) in one column, line by line."""
    width = 0
    for code, note in rows:
        if note and len(code) > width:
            width = len(code)
            if width >= 52:
                width = 52
                break
    for code, note in rows:
        yield f"{code.ljust(width)}  # {note}\n" if note else code + "\n"


def generate_numpy(ev: Evaluation) -> str:
    """The evaluated program as a runnable NumPy script (see the module's docstring)."""
    return "".join(numpy_pieces(ev))


def numpy_pieces(ev: Evaluation):
    """generate_numpy's text in pieces, each ending in a newline: written as it is made,
    once everything that can refuse the program has run."""
    tape = ev.tape
    w = _Writer(ev)
    w.name_values()
    forward = w.forward()
    w.name_adjoints()
    zeros = w.zero_adjoints()
    backward = w.backward()
    out = tape.output
    grads = [(name, i) for name, i in tape.inputs.items() if name not in tape.integer_inputs]
    lines = _header(ev, w.ident[out]) + list(NUMPY.head)
    lines += [""] + ['np.seterr(all="ignore")  # inf and nan are answers here, as in gradcli']
    lines += ['unicode = (sys.stdout.encoding or "").lower().replace("-", "").startswith("utf")']
    names = [tape.output_name] + [name for name, _ in grads]
    if not all(n.isascii() for n in names):
        lines += [
            "if not unicode:  # a name the output cannot encode is written as its escape",
            '    sys.stdout.reconfigure(errors="backslashreplace")',
        ]
    lines += _helpers(c for c, _ in chain(forward, backward)) + ["", ""] + list(_FULL)
    lines += ["", "", "# inputs"]
    lines += [_input_line(w, name, i) for name, i in tape.inputs.items()]
    lines += [
        "",
        "# forward pass" + ("  (each line's comment: the value's shape)" if tape.tensor else ""),
    ]
    yield "".join(line + "\n" for line in lines)
    yield from _aligned(forward)
    yield "\n# backward pass: from the output's adjoint (1) down to the inputs'\n"
    zeros += backward
    yield from _aligned(zeros)
    lines = ["", "# the output and its gradient, as gradcli eval prints them (grad-only)"]
    lines.append(f"print({_string(tape.output_name + ' =')}, full({w.ident[out]}))")
    lines += [
        f'print(partial({_string(tape.output_name)}, {_string(name)}) + " =", '
        f"full({w.adj_name[i]}))"
        for name, i in grads
    ]
    yield "".join(line + "\n" for line in lines)
