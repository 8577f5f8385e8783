"""The op contract and its table: every primitive defined once, its derivative beside it.

An op is a forward function and its derivative, in the style of HIPS autograd's `defvjp`
and JAX's `defjvp`:
  forward   the value, computed with `math` in float64
  partials  for an elementwise op, the local derivatives ∂y/∂x_i given the operands and
            the forward result y (so exp, sigmoid and tanh reuse y as autograd's `ans`).
            The contract derives both products from them (`vjp_term`, `jvp_term`):
              VJP  x̄_i += ∂y/∂x_i · ȳ      (reverse mode: the adjoint arriving, ȳ; the
                                           first term into x̄_i is taken as it is)
              JVP  ẏ   += ∂y/∂x_i · ẋ_i    (forward mode: the operand's tangent, ẋ_i)
  vjp, jvp  for an op that is not elementwise (a matrix product, a sum over an axis), one
            function per operand instead: vjp[i](g, ans, *xs) returns x_i's contribution
            for the adjoint g arriving, jvp[i](t, ans, *xs) y's tangent term from x_i's
            tangent t. The sweeps call these through the same `vjp_term`/`jvp_term`.
  rules     the same partials as text in gradcli's own syntax, one per operand: {0}, {1}
            stand for the operands and {y} for the result. Each is one expression that
            gradcli's parser reads; tables show it and generated code is translated from
            it. tests/test_rules.py evaluates every rule text at every op's edge points and
            checks it against `partials`: one derivative, written twice, never disagreeing.
            (An op that is not elementwise writes its VJP instead, {dy} standing for the
            adjoint arriving: `{dy} @ {1}.T`; tests/test_contract.py runs such ops.)
  domain    where the forward value is undefined, and what to say
  about     one line for tables, help and explanations

Derivatives are IEEE floats: an infinite slope is inf (ieee_div, ieee_pow), never an
exception. Kink conventions follow PyTorch's float64 autograd: relu'(0) = 0, abs'(0) = 0,
max/min ties split the gradient 0.5/0.5, d/dy x^y = 0 at x = 0, d/dx x^0 = 0. Where PyTorch
masks a term instead of multiplying (relu, max and min's branch not taken, pow's x-term at
exponent 0), the op has a gate (`gates`): the term is exactly 0 there, in both sweeps, even
when the adjoint arriving is inf or nan.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from .arrays import np, sum_to
from .notation import fmt, full


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    forward: Callable[..., float]
    partials: Optional[Callable[..., tuple]]  # None: one function per operand in `vjp`
    rules: tuple
    about: str
    symbol: Optional[str] = None  # infix operators: "+", "*", ...
    domain: Optional[Callable[..., Optional[str]]] = None
    # At a kink: which convention picks the derivative (relu'(0) = 0, ties split).
    kink: Optional[Callable[..., Optional[str]]] = None
    # Where a local derivative is infinite or undefined: why.
    singular: Optional[Callable[..., Optional[str]]] = None
    # Why the rule is what it is: {0} {1} {y} are names, {d0} {d1} {dy} their adjoints,
    # {out} the program's output (whatever it is called: L, loss, f').
    note: Optional[str] = None
    aliases: tuple = field(default=())
    # Where an operand's term is exactly 0 whatever adjoint arrives, even inf or nan (PyTorch
    # masks there with `where`; multiplying would give 0·nan = nan). One entry per operand:
    #   "local"  closed where its local partial is 0: the branch relu, max or min did not take
    #   k        closed where operand k is 0: pow's x-term when the exponent is 0
    #   None     never closed: the term is local × adjoint
    gates: tuple = ()
    # Ops that are not elementwise give one function per operand instead of `partials`.
    vjp: Optional[tuple] = None
    jvp: Optional[tuple] = None
    # Tensor mode. An elementwise op whose scalar kernels use `math` gives NumPy ones here,
    # (forward, partials) — partials either one function giving every operand's, or one
    # function per operand (computed only for operands that need it) — with the same
    # conventions (tests/test_tensor_ops.py compares
    # them element by element); an op without them computes on arrays as written.
    array: Optional[tuple] = None
    # Ops that exist only for arrays (matmul, sum over an axis, indexing; tensor_ops.py).
    tensor: bool = False
    # Keyword arguments the op accepts, with their defaults: (("axis", None), ...).
    keywords: tuple = ()
    # Operands that are integer data (indices, targets, sizes): no adjoint flows to them.
    integer: tuple = ()
    # How a step is written when it is neither `a + b` nor `name(a, b)`: "{0}.T".
    written: Optional[str] = None

    @property
    def is_function(self) -> bool:
        return self.symbol is None

    @property
    def call_name(self) -> str:
        """How a program calls it: max and min over an axis are amax and amin inside."""
        return {"amax": "max", "amin": "min", "arange": "range"}.get(self.name, self.name)

    @property
    def routes(self) -> bool:
        """relu, max and min: they route the gradient to the branch they took."""
        return "local" in self.gates

    def gate(self, position: int, local, xs):
        """The number whose 0 closes operand `position`'s term, or None for no gate."""
        kind = self.gates[position] if self.gates else None
        if kind is None:
            return None
        return local if kind == "local" else xs[kind]

    def vjp_term(self, position: int, local, g, ans, xs):
        """What operand `position` receives when the adjoint `g` arrives at this op."""
        if self.vjp is not None:
            return self.vjp[position](g, ans, *xs)
        if self.gates and self.gate(position, local, xs) == 0:
            return 0.0  # a closed gate: exactly 0, even when g is inf or nan
        return local * g

    def jvp_term(self, position: int, local, t, ans, xs):
        """This op's tangent term from operand `position`'s tangent `t`; None is an exact
        zero that no later slope can turn into nan (JAX's symbolic zero)."""
        if self.jvp is not None:
            return self.jvp[position](t, ans, *xs)
        if self.gates and self.gate(position, local, xs) == 0 and math.isfinite(t):
            # A closed gate, as in the reverse sweep: exactly 0, nothing flows on from here.
            # A tangent that is already inf or nan (an infinite slope below, or a product
            # that overflowed) still gives 0·t = nan: the mirror of reverse mode, where the
            # gate's exact 0 becomes nan when an infinite slope below multiplies it.
            return None
        return local * t

    # Tensor mode: the same terms on NumPy arrays. --------------------------------------
    def array_forward(self, *xs, **kw):
        return (self.array[0] if self.array else self.forward)(*xs, **kw)

    def array_partials(self, *xs_and_y, wanted=None):
        """The local partials on arrays; with per-operand kernels, only the `wanted` ones
        (None for the others)."""
        kernel = self.array[1] if self.array and self.array[1] else self.partials
        assert kernel is not None  # only elementwise ops come here, and each has partials
        if isinstance(kernel, tuple):
            return tuple(
                k(*xs_and_y) if wanted is None or wanted[p] else None for p, k in enumerate(kernel)
            )
        return kernel(*xs_and_y)

    def vjp_array(self, position: int, local, g, ans, xs, kw):
        """vjp_term on arrays: an elementwise op's term local·ȳ is summed back to the
        operand's shape (the adjoint of a broadcast is a sum); gates close with `where`."""
        if self.vjp is not None:
            return self.vjp[position](g, ans, *xs, **kw)
        # add's and sub's local partials are the numbers 1 and -1: pass the adjoint on
        # rather than multiply a copy of it (arrays are never changed in place).
        term = (
            g
            if type(local) is float and local == 1.0
            else (-g if type(local) is float and local == -1.0 else local * g)
        )
        if self.gates and self.gates[position] is not None:
            closed = self.gate(position, local, xs)
            if np.ndim(closed):
                term = np.where(closed == 0, 0.0, term)
            elif closed == 0:  # one gate for every entry (x^c with c a number)
                term = np.zeros(np.shape(term))
        return sum_to(term, np.shape(xs[position]))

    def jvp_array(self, position: int, local, t, ans, xs, kw):
        """jvp_term on arrays: the term has the result's shape (broadcast forward)."""
        if self.jvp is not None:
            return self.jvp[position](t, ans, *xs, **kw)
        term = local * t
        if self.gates and self.gates[position] is not None:
            closed = self.gate(position, local, xs)
            term = np.where((closed == 0) & np.isfinite(t), 0.0, term)
        return np.broadcast_to(term, np.shape(ans))


def _sigmoid(x: float) -> float:
    # Two branches so neither exp overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


# softplus as PyTorch defines it (F.softplus, beta 1, threshold 20): above 20 the value is
# x itself and the slope exactly 1; at 20 and below, log1p(eˣ) and eˣ/(eˣ + 1), which is
# σ(x) computed as PyTorch's backward computes it. eˣ cannot overflow at or below 20.
SOFTPLUS_THRESHOLD = 20.0


def _softplus(x: float) -> float:
    return x if x > SOFTPLUS_THRESHOLD else math.log1p(math.exp(x))


def _softplus_slope(x: float, y: float) -> tuple:
    if x > SOFTPLUS_THRESHOLD:
        return (1.0,)
    z = math.exp(x)
    return (z / (z + 1.0),)


def _softplus_array(x):
    # exp of at most 20 (the branch above 20 is x itself), so no overflow warning
    return np.where(x > SOFTPLUS_THRESHOLD, x, np.log1p(np.exp(np.minimum(x, SOFTPLUS_THRESHOLD))))


def _softplus_slope_array(x, y):
    z = np.exp(np.minimum(x, SOFTPLUS_THRESHOLD))
    return (np.where(x > SOFTPLUS_THRESHOLD, 1.0, z / (z + 1.0)),)


def ieee_div(a: float, b: float) -> float:
    """a / b as IEEE floats (and NumPy, PyTorch, JavaScript) have it: ±inf or nan at b = 0,
    where Python raises. Derivatives use it, so an infinite slope is an answer."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _div_partials(a, b, y):
    # -y/b, the output reused, not -a/b²: b² underflows to 0 for |b| < 1e-162 while a/b is
    # finite.
    return ieee_div(1.0, b), ieee_div(-y, b)


def _odd_integer(c: float) -> bool:
    return float(c).is_integer() and abs(c) < 2.0**53 and int(c) % 2 == 1


def ieee_pow(x: float, c: float) -> float:
    """x^c as IEEE floats have it (C's pow, NumPy): ±inf at 0 with c < 0 and on overflow,
    nan for a negative base with a non-integer power, where Python's math.pow raises."""
    try:
        return math.pow(x, c)
    except (ValueError, ZeroDivisionError):
        if x == 0:  # c < 0: the sign of a zero survives an odd power
            return math.copysign(math.inf, x) if _odd_integer(c) else math.inf
        return math.nan
    except OverflowError:
        return -math.inf if x < 0 and _odd_integer(c) else math.inf


def _ieee_log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _pow_partials(x, c, y):
    # PyTorch: d/dx x^c = c·x^(c-1), which is 0 when c = 0 even at x = 0;
    # d/dc x^c = x^c·ln x, taken as 0 at x = 0 and undefined (nan) for x < 0.
    dx = c * ieee_pow(x, c - 1) if c else 0.0
    dc = y * _ieee_log(x) if x else 0.0
    return dx, dc


def _pow_domain(x, c):
    if x == 0 and c < 0:
        return f"0 cannot be raised to the negative power {fmt(c)} (division by zero)"
    if x < 0 and not float(c).is_integer():
        power = _telling(c, lambda c: c.is_integer())
        return f"a negative base ({fmt(x)}) cannot be raised to the non-integer power {power}"
    return None


def _pow_singular(x, c):
    if x < 0:
        return "the derivative with respect to the exponent, x^y·ln x, is undefined for x < 0"
    if x == 0 and 0 < c < 1:
        return f"the slope of x^{fmt(c)}, {fmt(c)}·x^({fmt(c - 1)}), is infinite at x = 0"
    return None


def _tie(a, b):
    return "a tie: the gradient is split 0.5/0.5 (PyTorch's convention)" if a == b else None


def _split(first_wins: bool, tie: bool):
    if tie:
        return (0.5, 0.5)
    return (1.0, 0.0) if first_wins else (0.0, 1.0)


def _needs(pred, text):
    return lambda x: None if pred(x) else text.format(x=_telling(x, pred))


def _telling(x: float, fine: Callable) -> str:
    """x in six digits, unless those six digits are a number `fine` accepts: then every
    digit, so a message never says "undefined for 1" of 1.0000000000000002."""
    short = fmt(x)
    return full(x) if fine(float(short)) else short


def _ufunc(name: str, partials: Optional[Callable] = None) -> tuple:
    """Tensor-mode kernels: NumPy's function of the same name, and partials for arrays
    (None: the scalar partials already compute on arrays)."""
    return (lambda *xs: getattr(np, name)(*xs), partials)


def _number_if_0d(c):
    """A 0-d exponent as a Python float: NumPy's power takes its fast paths (x*x for 2,
    sqrt for 0.5, ...) only for a scalar exponent, about 3x faster on a big array."""
    return float(c) if np.ndim(c) == 0 else c


def _pow_array(x, c):
    c = _number_if_0d(c)
    y = np.power(x, c)
    # The fast path for 0.5 is sqrt, and sqrt(-0.0) is -0.0 where pow(-0.0, 0.5) is 0.0
    # (math.pow, and NumPy's own power with an array exponent): adding 0.0 turns -0.0
    # into 0.0 and leaves every other number as it is.
    return y + 0.0 if type(c) is float and c == 0.5 else y


# _pow_partials, element by element, one function per operand so that x^2's unused
# exponent term (a log over the whole array) is never computed: the x-term is 0 where
# c = 0, the c-term 0 where x = 0 and nan where x < 0 (np.log's nan, as _ieee_log's).
def _pow_dx_array(x, c, y):
    if np.ndim(c) == 0:  # x^2, x^-0.5: one exponent for the whole array
        c = float(c)
        if c == 0:
            return np.zeros(np.shape(x))
        return c * (x if c == 2.0 else np.power(x, c - 1.0))
    return np.where(c != 0, c * np.power(x, c - 1.0), 0.0)


_POW_PARTIALS_ARRAY = (
    _pow_dx_array,
    lambda x, c, y: np.where(x != 0, y * np.log(x), 0.0),
)


def _sigmoid_array(x):
    # The scalar kernel's two branches, chosen element by element.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _first_unless(second_wins, a, b):
    # Python's max(a, b) and min(a, b), element by element: a unless b is strictly beyond
    # it, so a tie of 0.0 and -0.0 keeps the first operand's zero (as torch.maximum does;
    # np.maximum keeps the second).
    return np.where(second_wins, b, a)


def _split_array(first, second):
    return np.where(first, 1.0, 0.0) + np.where(second, 0.5, 0.0)


OPS: dict[str, Op] = {}


def _total(partials):
    """A local derivative that cannot be computed in floats (a division that overflows,
    a power of a subnormal) is reported as undefined (nan), never raised: every caller,
    the reverse sweep, forward mode and the gradient check, then warns instead of failing."""

    def safe(*args):
        try:
            return partials(*args)
        except (ZeroDivisionError, OverflowError, ValueError):
            return (math.nan,) * (len(args) - 1)

    return safe


def defop(name, arity, forward, partials, rules, about, **kw) -> Op:
    op = Op(name, arity, forward, _total(partials) if partials else None, tuple(rules), about, **kw)
    OPS[name] = op
    return op


# The one table of rules. ---------------------------------------------------------------
# Internal: an input, a literal, and `c = a` (a copy, so a renamed value gets its own row).
defop("input", 0, None, lambda y: (), (), "an input value")
defop("const", 0, None, lambda y: (), (), "a constant")
defop("copy", 1, lambda a: a, lambda a, y: (1.0,), ("1",), "the same value under a new name")

# Arithmetic.
defop(
    "add",
    2,
    lambda a, b: a + b,
    lambda a, b, y: (1.0, 1.0),
    ("1", "1"),
    "addition distributes the gradient unchanged to both inputs",
    symbol="+",
)
defop(
    "sub",
    2,
    lambda a, b: a - b,
    lambda a, b, y: (1.0, -1.0),
    ("1", "-1"),
    "subtraction passes the gradient to the first input and its negative to the second",
    symbol="-",
)
defop(
    "mul",
    2,
    lambda a, b: a * b,
    lambda a, b, y: (b, a),
    ("{1}", "{0}"),
    "multiplication swaps: each input receives the other input times the gradient",
    symbol="*",
    note=(
        "why {d0} = {1}·{dy} and not {dy}/{1}: nudging {0} by h moves {y} by {1}·h, "
        "and each unit of {y} moves the output by {dy}, so the output moves by "
        "{dy}·{1}·h. The gradient ∂{out}/∂{0} is that change per unit of h: {1}·{dy}. "
        "{dy}/{1} would answer another question: how far {0} must move for {y} to "
        "move by {dy}."
    ),
)
defop(
    "div",
    2,
    lambda a, b: a / b,
    _div_partials,
    ("1/{1}", "-{y}/{1}"),
    "division: ∂(a/b)/∂a = 1/b and ∂(a/b)/∂b = -a/b²",
    symbol="/",
    domain=lambda a, b: "division by zero" if b == 0 else None,
)
defop(
    "pow",
    2,
    math.pow,
    _pow_partials,
    ("where({1}, {1}*{0}^({1}-1), 0)", "where({0}, {y}*ln({0}), 0)"),
    "power: ∂(x^c)/∂x = c·x^(c-1), ∂(x^c)/∂c = x^c·ln x",
    symbol="^",
    domain=_pow_domain,
    singular=_pow_singular,
    aliases=("pow",),
    gates=(1, None),
    array=(_pow_array, _POW_PARTIALS_ARRAY),
)
defop("neg", 1, lambda a: -a, lambda a, y: (-1.0,), ("-1",), "negation flips the gradient's sign")

# Exponentials and logarithms.
defop(
    "exp",
    1,
    math.exp,
    lambda x, y: (y,),
    ("{y}",),
    "exp is its own derivative, so the rule reuses the output",
    array=_ufunc("exp"),
)
defop(
    "log",
    1,
    math.log,
    lambda x, y: (ieee_div(1.0, x),),
    ("1/{0}",),
    "natural logarithm",
    domain=_needs(lambda x: x > 0, "log is undefined for {x} (it needs a positive number)"),
    aliases=("ln",),
    array=_ufunc("log"),
)
defop(
    "log2",
    1,
    math.log2,
    lambda x, y: (ieee_div(1.0, x * math.log(2.0)),),
    ("1/({0}*ln(2))",),
    "base-2 logarithm",
    domain=_needs(lambda x: x > 0, "log2 is undefined for {x} (it needs a positive number)"),
    array=_ufunc("log2"),
)
defop(
    "log10",
    1,
    math.log10,
    lambda x, y: (ieee_div(1.0, x * math.log(10.0)),),
    ("1/({0}*ln(10))",),
    "base-10 logarithm",
    domain=_needs(lambda x: x > 0, "log10 is undefined for {x} (it needs a positive number)"),
    array=_ufunc("log10"),
)
defop(
    "sqrt",
    1,
    math.sqrt,
    lambda x, y: (ieee_div(1.0, 2.0 * y),),
    ("1/(2*{y})",),
    "square root; its slope is infinite at 0",
    domain=_needs(lambda x: x >= 0, "sqrt is undefined for {x} (it needs a number >= 0)"),
    singular=lambda x: "the slope of sqrt is infinite at 0" if x == 0 else None,
    array=_ufunc("sqrt"),
)

# Trigonometric and hyperbolic.
defop(
    "sin",
    1,
    math.sin,
    lambda x, y: (math.cos(x),),
    ("cos({0})",),
    "sine",
    array=_ufunc("sin", lambda x, y: (np.cos(x),)),
)
defop(
    "cos",
    1,
    math.cos,
    lambda x, y: (-math.sin(x),),
    ("-sin({0})",),
    "cosine",
    array=_ufunc("cos", lambda x, y: (-np.sin(x),)),
)
defop("tan", 1, math.tan, lambda x, y: (1.0 + y * y,), ("1+{y}^2",), "tangent", array=_ufunc("tan"))
defop(
    "asin",
    1,
    math.asin,
    lambda x, y: (ieee_div(1.0, math.sqrt(1.0 - x * x)),),
    ("1/sqrt(1-{0}^2)",),
    "arcsine",
    domain=_needs(lambda x: -1 <= x <= 1, "asin is undefined for {x} (it needs -1 <= x <= 1)"),
    singular=lambda x: "the slope of asin is infinite at ±1" if abs(x) == 1 else None,
    array=_ufunc("arcsin", lambda x, y: (1.0 / np.sqrt(1.0 - x * x),)),
)
defop(
    "acos",
    1,
    math.acos,
    lambda x, y: (ieee_div(-1.0, math.sqrt(1.0 - x * x)),),
    ("-1/sqrt(1-{0}^2)",),
    "arccosine",
    domain=_needs(lambda x: -1 <= x <= 1, "acos is undefined for {x} (it needs -1 <= x <= 1)"),
    singular=lambda x: "the slope of acos is infinite at ±1" if abs(x) == 1 else None,
    array=_ufunc("arccos", lambda x, y: (-1.0 / np.sqrt(1.0 - x * x),)),
)
defop(
    "atan",
    1,
    math.atan,
    lambda x, y: (1.0 / (1.0 + x * x),),
    ("1/(1+{0}^2)",),
    "arctangent",
    array=_ufunc("arctan"),
)
defop(
    "sinh",
    1,
    math.sinh,
    lambda x, y: (math.cosh(x),),
    ("cosh({0})",),
    "hyperbolic sine",
    array=_ufunc("sinh", lambda x, y: (np.cosh(x),)),
)
defop(
    "cosh",
    1,
    math.cosh,
    lambda x, y: (math.sinh(x),),
    ("sinh({0})",),
    "hyperbolic cosine",
    array=_ufunc("cosh", lambda x, y: (np.sinh(x),)),
)
defop(
    "tanh",
    1,
    math.tanh,
    lambda x, y: (1.0 - y * y,),
    ("1-{y}^2",),
    "hyperbolic tangent; its slope is written with the output: 1 - tanh²",
    array=_ufunc("tanh"),
)

# Neural-network activations.
defop(
    "sigmoid",
    1,
    _sigmoid,
    lambda x, y: (y * (1.0 - y),),
    ("{y}*(1-{y})",),
    "logistic sigmoid σ; its slope is written with the output: σ·(1-σ)",
    array=(_sigmoid_array, None),
)
defop(
    "relu",
    1,
    lambda x: x if x >= 0 else 0.0,  # relu(-0.0) is -0.0, as in PyTorch
    lambda x, y: (1.0 if x > 0 else 0.0,),
    ("heaviside({0}, 0)",),
    "rectified linear unit: passes the gradient where its input > 0",
    kink=lambda x: "relu'(0) is taken as 0 (PyTorch's convention)" if x == 0 else None,
    gates=("local",),
    array=(lambda x: np.where(x >= 0, x, 0.0), lambda x, y: (np.where(x > 0, 1.0, 0.0),)),
)
defop(
    "softplus",
    1,
    _softplus,
    _softplus_slope,
    ("where(relu({0} - 20), 1, exp({0})/(exp({0}) + 1))",),
    "softplus ln(1 + eˣ), a smooth relu, as PyTorch computes it: x itself above 20 "
    "(slope 1); elsewhere its slope is eˣ/(eˣ + 1) = σ(x)",
    array=(_softplus_array, _softplus_slope_array),
)
defop(
    "abs",
    1,
    abs,
    lambda x, y: (math.copysign(1.0, x) if x else 0.0,),
    ("sign({0})",),
    "absolute value; its slope is the sign of the input",
    kink=lambda x: "abs'(0) is taken as 0 (PyTorch's convention)" if x == 0 else None,
    array=(lambda x: np.abs(x), lambda x, y: (np.where(x != 0, np.sign(x), 0.0),)),
)
defop(
    "max",
    2,
    max,
    lambda a, b, y: _split(a > b, a == b),
    ("heaviside({0} - {1}, 0.5)", "heaviside({1} - {0}, 0.5)"),
    "max routes the gradient to the larger input (a tie splits it 0.5/0.5)",
    kink=_tie,
    gates=("local", "local"),
    array=(
        lambda a, b: _first_unless(b > a, a, b),
        lambda a, b, y: (_split_array(a > b, a == b), _split_array(b > a, a == b)),
    ),
)
defop(
    "min",
    2,
    min,
    lambda a, b, y: _split(a < b, a == b),
    ("heaviside({1} - {0}, 0.5)", "heaviside({0} - {1}, 0.5)"),
    "min routes the gradient to the smaller input (a tie splits it 0.5/0.5)",
    kink=_tie,
    gates=("local", "local"),
    array=(
        lambda a, b: _first_unless(b < a, a, b),
        lambda a, b, y: (_split_array(a < b, a == b), _split_array(b < a, a == b)),
    ),
)

# What a user may call by name. `pow(a, b)` is the same op as `a ^ b`.
FUNCTIONS: dict[str, Op] = {}
for _op in OPS.values():
    if _op.is_function and _op.name not in ("input", "const", "copy", "neg"):
        FUNCTIONS[_op.name] = _op
    for _alias in _op.aliases:
        FUNCTIONS[_alias] = _op

BINARY_SYMBOLS = {
    "+": OPS["add"],
    "-": OPS["sub"],
    "*": OPS["mul"],
    "/": OPS["div"],
    "^": OPS["pow"],
    "**": OPS["pow"],
}

CONSTANTS = {"pi": math.pi, "e": math.e}


# Helpers that appear only inside rule texts, to state a derivative's convention at a kink
# as an expression (a tie splits 0.5/0.5, d/dc x^c is 0 at x = 0). Programs cannot call
# them and they have no derivative; generated code defines them in its prelude.
def _heaviside(x, at0):
    return 1.0 if x > 0 else (at0 if x == 0 else 0.0)


def _sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


RULE_HELPERS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            "heaviside",
            2,
            _heaviside,
            None,
            (),
            "the step function: 0 below 0, 1 above, its second argument at 0 (numpy.heaviside)",
        ),
        Op("sign", 1, _sign, None, (), "the sign of a number: -1, 0 or 1"),
        Op(
            "where",
            3,
            lambda c, a, b: a if c else b,
            None,
            (),
            "where(c, a, b): a if c is not 0, else b (numpy.where)",
        ),
    )
}

# The names rule texts may call: every function, and the helpers above.
RULE_FUNCTIONS: dict[str, Op] = {**FUNCTIONS, **RULE_HELPERS}
