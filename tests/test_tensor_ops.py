"""Every op that computes on arrays, checked three ways and at its kinks.

1. Array kernels against scalar kernels, element by element, at test_rules.py's edge points
   (0, -0.0, ±5e-324, ±1e-200, ±1e200, 1e308, kinks, ties): tensor mode must compute what
   scalar mode computes, forward values and local partials alike.
2. Each op's VJP from the reverse sweep against central differences of the forward sweep,
   with broadcasting in every direction, keepdims both ways, negative axes, 1-D @, repeated
   indices, slices and x[range(n), y]; its JVP from the tangent sweep against its VJP.
3. Kink conventions on arrays (PyTorch's, as in scalar mode), and the words that say them.
4. Live PyTorch float64 on random tensor programs, where torch is installed.
"""

import importlib.util
import itertools
import math
import zlib
from collections.abc import Callable
from typing import NamedTuple, Optional

import numpy as np
import pytest
from conftest import examples
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_rules import EDGES

from gradcli.core.engine import evaluate, forward, input_values, reverse_sweep, tangent_sweep
from gradcli.core.errors import DomainError, ShapeError
from gradcli.core.ops import OPS
from gradcli.core.tensor_ops import TENSOR_OPS
from gradcli.language.lower import compile_program

# --- 1. Array kernels vs scalar kernels ------------------------------------------------
# Bit for bit (the sign of a zero included) wherever both sides are IEEE's basic operations
# (+ - * /, sqrt), comparisons or selections: those are correctly rounded, so NumPy and
# Python cannot differ. Functions computed by a library (exp, log, sin, tanh, pow, ...) may
# differ in the last bits: `math` calls the C library, while NumPy dispatches float64
# transcendental functions to its own SIMD kernels, chosen by the CPU at run time (on this
# project's machine, AVX2, np.tanh differs from math.tanh by up to 3 ulps on 1 in 3 random
# points; on an AVX-512 machine exp, log, sin, cos and pow have SIMD kernels too). For them
# the forward value may differ by at most ULPS units in the last place, and so may a partial
# that calls such a function (cos for sin, sinh for cosh, sigmoid for softplus, pow and log
# for pow). A partial that is arithmetic on the operands and the result (1 - y², y·(1 - y),
# 1/x) must agree bit for bit, since both sides are given the same y.
ULPS = 4
LIBRARY_FORWARD = {
    "exp",
    "log",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "softplus",
    "pow",
}
LIBRARY_PARTIALS = {"sin", "cos", "sinh", "cosh", "softplus", "pow"}
ELEMENTWISE = [op for op in OPS.values() if op.rules]


def ulps_apart(a: float, b: float) -> float:
    """How many units in the last place a and b differ; 0 only for the same number with the
    same sign (0.0 and -0.0 are apart), and nan only matches nan."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    if a == b:
        return 0.0 if math.copysign(1.0, a) == math.copysign(1.0, b) else math.inf
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


def edge_points(op):
    """test_rules' points: every combination of edge values where the scalar forward is
    defined and finite, with that forward value."""
    for xs in itertools.product(EDGES, repeat=op.arity):
        if op.domain and op.domain(*xs):
            continue
        try:
            y = op.forward(*xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if math.isfinite(y):
            yield xs, y


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_array_kernels_equal_scalar_kernels_at_edge_points(op):
    points = list(edge_points(op))
    assert points
    columns = [np.array([xs[k] for xs, _ in points]) for k in range(op.arity)]
    with np.errstate(all="ignore"):
        forward = np.broadcast_to(op.array_forward(*columns), (len(points),))
        # Both sides get the same y (the array kernel's), so a partial written with y is
        # compared on its own, not through a last-bit difference in y.
        partials = op.array_partials(*columns, forward)
    forward_ulps = ULPS if op.name in LIBRARY_FORWARD else 0
    partial_ulps = ULPS if op.name in LIBRARY_PARTIALS else 0
    for j, (xs, y) in enumerate(points):
        assert ulps_apart(forward[j], y) <= forward_ulps, (
            f"{op.name}{xs}: array forward {forward[j]!r}, scalar {y!r}"
        )
        scalar = op.partials(*xs, float(forward[j]))
        for k in range(op.arity):
            got = np.broadcast_to(partials[k], (len(points),))[j]
            assert ulps_apart(got, scalar[k]) <= partial_ulps, (
                f"{op.name}{xs}: array partial {k} is {got!r}, scalar {scalar[k]!r}"
            )


@pytest.mark.parametrize("c", sorted(set(EDGES + [0.5, -0.5, 2.0, -1.0, 1.0, 3.0, -2.0, 1 / 3])))
def test_pow_with_a_number_exponent_equals_scalar_pow_at_edge_points(c):
    """x ^ 0.5, x ^ 2, x ^ -1 with one exponent for the whole array take NumPy's fast paths
    (sqrt, x*x, 1/x): correctly rounded, so within an ulp of the C library's pow, but
    sqrt(-0.0) is -0.0 where pow(-0.0, 0.5) is 0.0."""
    op = OPS["pow"]
    x = np.array(EDGES)
    with np.errstate(all="ignore"):
        forward = op.array_forward(x, np.array(c))
        partials = [np.broadcast_to(p, x.shape) for p in op.array_partials(x, np.array(c), forward)]
    checked = 0
    for j, xv in enumerate(EDGES):  # by position: EDGES.index(-0.0) would find 0.0
        xs = (xv, c)
        if op.domain(*xs):
            continue
        try:
            y = op.forward(*xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if not math.isfinite(y):
            continue
        assert ulps_apart(forward[j], y) <= ULPS, (xs, forward[j], y)
        scalar = op.partials(*xs, float(forward[j]))
        for position in range(2):
            assert ulps_apart(partials[position][j], scalar[position]) <= ULPS, (
                xs,
                position,
                partials[position][j],
                scalar[position],
            )
        checked += 1
    assert checked


def test_ulps_apart_tells_zeros_and_neighbours_apart():
    assert ulps_apart(0.0, -0.0) == math.inf
    assert ulps_apart(1.0, math.nextafter(1.0, 2.0)) == 1.0
    assert ulps_apart(math.nan, math.nan) == 0.0 and ulps_apart(math.nan, 1.0) == math.inf
    assert ulps_apart(math.inf, 1e308) == math.inf


@pytest.mark.parametrize(
    "name, a, b, want",
    [
        ("max", 0.0, -0.0, 0.0),
        ("max", -0.0, 0.0, -0.0),
        ("min", 0.0, -0.0, 0.0),
        ("min", -0.0, 0.0, -0.0),
    ],
)
def test_max_and_min_of_signed_zeros_keep_the_first_operand(name, a, b, want):
    """A tie keeps the first operand, as Python's max and min and torch.maximum/minimum do
    (np.maximum keeps the second: the array kernel once gave max(0.0, -0.0) = -0.0)."""
    op = OPS[name]
    assert ulps_apart(op.forward(a, b), want) == 0
    got = op.array_forward(np.array([a, 1.0]), np.array([b, 1.0]))
    assert ulps_apart(got[0], want) == 0


# --- 2. VJPs against central differences, JVPs against VJPs ----------------------------
# Each case is one op applied to inputs; the program weighs its result with a random array
# G_ (`f = sum(Y_ * G_)`), so the adjoint arriving at the op is G_ itself, every entry a
# different number, and the gradient of f is the op's VJP of G_. It is checked against
# central differences of the engine's own `forward`, entry by entry, and its shape against
# the input's exactly (np.allclose broadcasts: a (3,) gradient would pass for a (1, 3)
# input). The JVP is checked against the VJP by the dot-product test: for random tangents
# u, <G_, J u> = <J^T G_, u>. The inputs are float64, drawn from a Generator seeded with the
# case's name, away from kinks (|x| >= 0.2 for relu and abs, |a - b| >= 0.1 for max and
# min, no ties in max/min reductions) and inside each function's domain.


class Case(NamedTuple):
    expr: str  # the op applied to the inputs, in gradcli's language
    shapes: dict  # input name -> shape, or an integer array (integer data, no gradient)
    draw: str = "any"  # how to draw the float inputs: DRAWS' keys
    reference: Optional[Callable] = None  # NumPy's value of expr, from the inputs

    @property
    def id(self):
        shown = ", ".join(
            f"{k}{tuple(v)}"
            if isinstance(v, tuple)
            else f"{k}={np.asarray(v).astype(int).tolist()}"
            for k, v in self.shapes.items()
        )
        return f"{self.expr} [{shown}]"


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _away(rng, shape):
    """|x| in [0.2, 2], either sign: away from relu's and abs's kink at 0."""
    return rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


DRAWS = {
    "any": _uniform(-2.0, 2.0),
    "pos": _uniform(0.5, 2.0),
    "unit": _uniform(-0.8, 0.8),
    "tan": _uniform(-1.0, 1.0),
    "away": _away,
}
UNARY_DRAW = {
    "log": "pos",
    "log2": "pos",
    "log10": "pos",
    "sqrt": "pos",
    "asin": "unit",
    "acos": "unit",
    "tan": "tan",
    "relu": "away",
    "abs": "away",
}
BINARY = {
    "add": "a + b",
    "sub": "a - b",
    "mul": "a * b",
    "div": "a / b",
    "pow": "a ^ b",
    "max": "max(a, b)",
    "min": "min(a, b)",
}
# (2,3)∘(3,), (2,3)∘(2,1), (1,3)∘(2,1), ()∘(2,3), (3,)∘(2,3), each way round, and 3-D.
BROADCASTS = [
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 3), (2, 1)),
    ((2, 1), (2, 3)),
    ((1, 3), (2, 1)),
    ((2, 1), (1, 3)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((2, 3), (2, 3)),
    ((), ()),
    ((2, 1, 3), (4, 1)),
    ((1, 3), (3,)),
]


def _unary_cases():
    for op in OPS.values():
        if op.arity != 1 or not op.rules:
            continue
        expr = {"copy": "x", "neg": "-x"}.get(op.name, f"{op.name}(x)")
        for shape in ((), (3,), (2, 3)):
            yield Case(expr, {"x": shape}, UNARY_DRAW.get(op.name, "any"))


def _binary_cases():
    for name, expr in BINARY.items():
        for sa, sb in BROADCASTS:
            yield Case(
                expr,
                {"a": sa, "b": sb},
                {"div": "div", "pow": "pow", "max": "apart", "min": "apart"}.get(name, "any"),
            )


def _reductions():
    for call, fn in (("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min)):
        for shape, axis, keep in [
            ((2, 3), None, False),
            ((2, 3), None, True),
            ((2, 3), 0, False),
            ((2, 3), 1, False),
            ((2, 3), -1, False),
            ((2, 3), -2, False),
            ((2, 3), 0, True),
            ((2, 3), 1, True),
            ((2, 3), -1, True),
            ((3,), 0, False),
            ((3,), -1, True),
            ((2, 3, 4), 1, False),
            ((2, 3, 4), -1, True),
            ((), None, False),
        ]:
            words = ([f"axis={axis}"] if axis is not None else []) + (
                ["keepdims=true"] if keep else []
            )
            expr = f"{call}({', '.join(['x'] + words)})"
            yield Case(
                expr,
                {"x": shape},
                "any",
                lambda d, fn=fn, axis=axis, keep=keep: fn(d["x"], axis=axis, keepdims=keep),
            )


def _ints(*values):
    """Integer data as gradcli receives it: whole numbers in a float array."""
    return np.array(values, dtype=float)


def _int(value):
    return np.array(float(value))


TENSOR_CASES = [
    # Matrix products, 1-D operands as NumPy's matmul treats them.
    Case("A @ B", {"A": (2, 3), "B": (3, 4)}, reference=lambda d: d["A"] @ d["B"]),
    Case("A @ B", {"A": (3,), "B": (3, 4)}, reference=lambda d: d["A"] @ d["B"]),
    Case("A @ B", {"A": (2, 3), "B": (3,)}, reference=lambda d: d["A"] @ d["B"]),
    Case("A @ B", {"A": (3,), "B": (3,)}, reference=lambda d: d["A"] @ d["B"]),
    Case("A @ B", {"A": (1, 3), "B": (3, 1)}, reference=lambda d: d["A"] @ d["B"]),
    Case("A @ B.T", {"A": (2, 3), "B": (4, 3)}, reference=lambda d: d["A"] @ d["B"].T),
    Case("A.T @ A", {"A": (2, 3)}, reference=lambda d: d["A"].T @ d["A"]),
    Case("A @ A", {"A": (3, 3)}, reference=lambda d: d["A"] @ d["A"]),
    # Transpose.
    Case("x.T", {"x": (2, 3)}, reference=lambda d: d["x"].T),
    Case("x.T", {"x": (3,)}, reference=lambda d: d["x"].T),
    Case("x.T", {"x": ()}, reference=lambda d: d["x"]),
    Case("x.T", {"x": (2, 3, 4)}, reference=lambda d: d["x"].T),
    # Reshape, one -1 allowed, sizes as literals or integer inputs.
    Case("reshape(x, 3, 2)", {"x": (2, 3)}, reference=lambda d: d["x"].reshape(3, 2)),
    Case("reshape(x, 6)", {"x": (2, 3)}, reference=lambda d: d["x"].reshape(6)),
    Case("reshape(x, -1, 2)", {"x": (2, 3)}, reference=lambda d: d["x"].reshape(-1, 2)),
    Case("reshape(x, 1, -1)", {"x": (3,)}, reference=lambda d: d["x"].reshape(1, -1)),
    Case("reshape(x, 4, -1)", {"x": (2, 3, 4)}, reference=lambda d: d["x"].reshape(4, -1)),
    Case(
        "reshape(x, n, -1)",
        {"x": (2, 3, 2), "n": _int(3)},
        reference=lambda d: d["x"].reshape(3, -1),
    ),
    # Indexing: integers, negative integers, slices, integer arrays with repeats.
    Case("x[1]", {"x": (3, 4)}, reference=lambda d: d["x"][1]),
    Case("x[-1]", {"x": (3, 4)}, reference=lambda d: d["x"][-1]),
    Case("x[1, 2]", {"x": (3, 4)}, reference=lambda d: d["x"][1, 2]),
    Case("x[:, 1]", {"x": (3, 4)}, reference=lambda d: d["x"][:, 1]),
    Case("x[:, -1]", {"x": (3, 4)}, reference=lambda d: d["x"][:, -1]),
    Case("x[1:]", {"x": (3, 4)}, reference=lambda d: d["x"][1:]),
    Case("x[:2, 1:3]", {"x": (3, 4)}, reference=lambda d: d["x"][:2, 1:3]),
    Case("x[-2:, :-1]", {"x": (3, 4)}, reference=lambda d: d["x"][-2:, :-1]),
    Case("x[i]", {"x": (3, 4), "i": _ints(0, 2, 0, 0)}, reference=lambda d: d["x"][[0, 2, 0, 0]]),
    Case("x[i]", {"x": (5,), "i": _ints(4, -1, 0)}, reference=lambda d: d["x"][[4, -1, 0]]),
    Case("x[i]", {"x": (3, 4), "i": _int(2)}, reference=lambda d: d["x"][2]),
    Case("x[:, i]", {"x": (3, 4), "i": _ints(1, 1, 3)}, reference=lambda d: d["x"][:, [1, 1, 3]]),
    Case(
        "x[i, :]", {"x": (3, 4), "i": _ints(-1, 0, -1)}, reference=lambda d: d["x"][[-1, 0, -1], :]
    ),
    Case(
        "x[i, j]",
        {"x": (3, 4), "i": _ints(0, 2, 0), "j": _ints(1, 3, 1)},
        reference=lambda d: d["x"][[0, 2, 0], [1, 3, 1]],
    ),
    Case(
        "x[range(n), y]",
        {"x": (4, 3), "n": _int(4), "y": _ints(2, 0, 2, 1)},
        reference=lambda d: d["x"][np.arange(4), [2, 0, 2, 1]],
    ),
    Case(
        "C[X]",
        {"C": (4, 2), "X": np.array([[0.0, 2.0], [2.0, 3.0]])},
        reference=lambda d: d["C"][np.array([[0, 2], [2, 3]])],
    ),
    Case(
        "C[X, 1:]",
        {"C": (4, 3), "X": np.array([[0.0, 2.0], [2.0, 2.0]])},
        reference=lambda d: d["C"][np.array([[0, 2], [2, 2]]), 1:],
    ),
    # range(n) and onehot(y, k): integer data in, float out, no gradient to them.
    Case("range(n) * x", {"n": _int(3), "x": (2, 3)}, reference=lambda d: np.arange(3) * d["x"]),
    Case("arange(n) * x", {"n": _int(3), "x": (3,)}, reference=lambda d: np.arange(3) * d["x"]),
    Case(
        "onehot(y, k) * W",
        {"y": _ints(2, 0, 2), "k": _int(4), "W": (3, 4)},
        reference=lambda d: np.eye(4)[[2, 0, 2]] * d["W"],
    ),
    Case(
        "onehot(y, 3) @ W",
        {"y": _ints(1, 1), "W": (3, 2)},
        reference=lambda d: np.eye(3)[[1, 1]] @ d["W"],
    ),
    # Softmax and its log, along each axis.
    Case("softmax(x)", {"x": (2, 3)}, reference=lambda d: _np_softmax(d["x"], -1)),
    Case("softmax(x, axis=0)", {"x": (2, 3)}, reference=lambda d: _np_softmax(d["x"], 0)),
    Case("softmax(x, axis=-2)", {"x": (2, 3)}, reference=lambda d: _np_softmax(d["x"], 0)),
    Case("softmax(x)", {"x": (4,)}, reference=lambda d: _np_softmax(d["x"], -1)),
    Case("softmax(x, axis=1)", {"x": (2, 3, 4)}, reference=lambda d: _np_softmax(d["x"], 1)),
    Case("log_softmax(x)", {"x": (2, 3)}, reference=lambda d: np.log(_np_softmax(d["x"], -1))),
    Case(
        "log_softmax(x, axis=0)", {"x": (2, 3)}, reference=lambda d: np.log(_np_softmax(d["x"], 0))
    ),
    Case("log_softmax(x)", {"x": (4,)}, reference=lambda d: np.log(_np_softmax(d["x"], -1))),
    Case(
        "log_softmax(x, axis=1)",
        {"x": (2, 3, 4)},
        reference=lambda d: np.log(_np_softmax(d["x"], 1)),
    ),
    Case(
        "log_softmax(x)[range(n), y]",
        {"x": (4, 3), "n": _int(4), "y": _ints(2, 0, 2, 1)},
        reference=lambda d: np.log(_np_softmax(d["x"], -1))[np.arange(4), [2, 0, 2, 1]],
    ),
    # Cross-entropy: integer targets (repeated), mean over the rows; one row of logits.
    Case(
        "cross_entropy(L, y)",
        {"L": (4, 3), "y": _ints(0, 2, 2, 1)},
        reference=lambda d: -np.mean(np.log(_np_softmax(d["L"], -1))[np.arange(4), [0, 2, 2, 1]]),
    ),
    Case(
        "cross_entropy(L, y)",
        {"L": (3,), "y": _int(1)},
        reference=lambda d: -np.log(_np_softmax(d["L"], -1))[1],
    ),
    Case(
        "cross_entropy(L, y)",
        {"L": (1, 5), "y": _ints(4)},
        reference=lambda d: -np.log(_np_softmax(d["L"], -1))[0, 4],
    ),
]


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


CASES = [*_unary_cases(), *_binary_cases(), *_reductions(), *TENSOR_CASES]


def inputs(case: Case, rng) -> dict:
    """The case's input values: its integer arrays as given, floats drawn from `rng`."""
    values = {}
    for name, shape in case.shapes.items():
        if not isinstance(shape, tuple):
            values[name] = np.array(shape, dtype=float)
            continue
        draw = case.draw
        if draw == "div":
            draw = "away" if name == "b" else "any"
        elif draw == "pow":
            draw = "pos" if name == "a" else "any"
        elif draw == "apart":
            draw = "any"
        values[name] = np.asarray(DRAWS[draw](rng, shape), dtype=float)
    if case.draw == "apart":  # max, min: redraw b until no entry is within 0.1 of a tie
        while np.min(np.abs(np.subtract(values["a"], values["b"]))) < 0.1:
            values["b"] = rng.uniform(-2.0, 2.0, case.shapes["b"])
    return values


def weighed(case: Case, rng):
    """The program `Y_ = expr; f = sum(Y_ * G_)`, its tape and input values, and Y_'s step."""
    values = inputs(case, rng)
    shape = np.shape(_forward(f"Y_ = {case.expr}", values)[1])
    values["G_"] = rng.standard_normal(shape)
    tape, out = _forward(f"Y_ = {case.expr}\nf = sum(Y_ * G_)", values)
    y = max(i for i, s in enumerate(tape.steps) if s.name == "Y_")
    return tape, values, y


def _forward(source, values):
    tape = compile_program(source, values.keys())
    given, _ = input_values(tape, values)
    return tape, forward(tape, given)[tape.output]


def differentiable(tape, values):
    return [n for n in values if n not in tape.integer_inputs and n != "G_"]


def seed_of(case: Case) -> int:
    return zlib.crc32(case.id.encode())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_vjp_matches_central_differences(case):
    rng = np.random.default_rng(seed_of(case))
    tape, values, y = weighed(case, rng)
    given, _ = input_values(tape, values)
    forward_values = forward(tape, given)
    if case.reference is not None:
        want = case.reference(values)
        got = forward_values[y]
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    adjoints = reverse_sweep(tape, forward_values)
    names = differentiable(tape, values)
    assert names, "every case has an input to differentiate"
    h = 1e-6
    for name in names:
        grad = adjoints[tape.inputs[name]]
        assert np.shape(grad) == np.shape(values[name]), (
            f"∂f/∂{name} has shape {np.shape(grad)}, {name} {np.shape(values[name])}"
        )
        numeric = np.zeros(np.shape(values[name]))
        for idx in np.ndindex(np.shape(values[name])):
            up, down = dict(given), dict(given)
            up[name], down[name] = given[name].copy(), given[name].copy()
            up[name][idx] += h
            down[name][idx] -= h
            numeric[idx] = (forward(tape, up)[tape.output] - forward(tape, down)[tape.output]) / (
                2 * h
            )
        np.testing.assert_allclose(
            grad, numeric, rtol=1e-6, atol=1e-7, err_msg=f"∂f/∂{name} of {case.id}"
        )
    for name in tape.integer_inputs:  # integer data: no adjoint ever reaches it
        assert np.all(np.asarray(adjoints[tape.inputs[name]]) == 0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_jvp_is_the_transpose_of_the_vjp(case):
    """The dot-product test: <G_, J u> (the tangent sweep) = <J^T G_, u> (the reverse sweep)."""
    rng = np.random.default_rng(seed_of(case) + 1)
    tape, values, y = weighed(case, rng)
    given, _ = input_values(tape, values)
    forward_values = forward(tape, given)
    adjoints = reverse_sweep(tape, forward_values)
    names = differentiable(tape, values)
    u = {name: rng.standard_normal(np.shape(values[name])) for name in names}
    tangents = tangent_sweep(tape, forward_values, {tape.inputs[n]: u[n] for n in names})
    jvp = tangents[y]
    assert np.shape(jvp) == np.shape(forward_values[y])
    left = float(np.sum(values["G_"] * jvp))
    terms = [float(np.sum(adjoints[tape.inputs[n]] * u[n])) for n in names]
    scale = float(np.sum(np.abs(values["G_"] * jvp))) + sum(map(abs, terms)) + 1e-300
    assert abs(left - sum(terms)) <= 1e-12 * scale, (left, sum(terms))
    # The output's tangent is the same number: f = sum(Y_ * G_) with G_ held fixed.
    assert abs(float(tangents[tape.output]) - left) <= 1e-12 * scale


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_sweep_that_forgets_adjoints_gives_the_same_gradient(case):
    """--grad-only evaluates without recording, and the sweep then drops each step's
    adjoint once it is sent on (engine.reverse_sweep's `free`): the same numbers."""
    rng = np.random.default_rng(seed_of(case) + 2)
    tape, values, y = weighed(case, rng)
    kept = evaluate(tape, values).gradient
    freed = evaluate(tape, values, record=False).gradient
    assert kept.keys() == freed.keys()
    for name in kept:
        np.testing.assert_array_equal(freed[name], kept[name])


def test_every_op_that_computes_on_arrays_has_a_case():
    """A new op without a case here fails this test."""
    covered = set()
    for case in CASES:
        tape = compile_program(f"Y_ = {case.expr}", case.shapes.keys())
        covered |= {s.op.name for s in tape.steps}
    wanted = {n for n, op in OPS.items() if op.rules} | set(TENSOR_OPS)
    assert wanted - covered == set()


# --- 3. Kink conventions on arrays -----------------------------------------------------
# PyTorch's, as in scalar mode: relu'(0) = 0, abs'(0) = 0, an elementwise max/min tie splits
# 0.5/0.5, a max/min reduction splits equally among its tied entries (torch.amax), pow's
# x-term is 0 at exponent 0 and its exponent-term 0 at base 0, and a closed gate gives
# exactly 0 even when the adjoint arriving is inf or nan. Each elementwise program is also
# run in scalar mode entry by entry: tensor mode must give the very same numbers.

A = np.array
KINK_PROGRAMS = [
    # program, inputs, the gradient PyTorch's conventions give
    ("relu(x)", {"x": A([-1.5, 0.0, -0.0, 2.0])}, {"x": A([0.0, 0.0, 0.0, 1.0])}),
    ("abs(x)", {"x": A([-1.5, 0.0, -0.0, 2.0])}, {"x": A([-1.0, 0.0, 0.0, 1.0])}),
    (
        "max(a, b)",
        {"a": A([1.0, 2.0, 3.0, -0.0]), "b": A([1.0, 0.0, 4.0, 0.0])},
        {"a": A([0.5, 1.0, 0.0, 0.5]), "b": A([0.5, 0.0, 1.0, 0.5])},
    ),
    (
        "min(a, b)",
        {"a": A([1.0, 2.0, 3.0, -0.0]), "b": A([1.0, 0.0, 4.0, 0.0])},
        {"a": A([0.5, 0.0, 1.0, 0.5]), "b": A([0.5, 1.0, 0.0, 0.5])},
    ),
    ("max(x, x)", {"x": A([1.0, -2.0])}, {"x": A([1.0, 1.0])}),
    (
        "x ^ c",
        {"x": A([0.0, 0.0, 2.0, 2.0, -2.0]), "c": A([0.0, 2.0, 0.0, 0.5, 2.0])},
        {
            "x": A([0.0, 0.0, 0.0, 0.5 * 2.0**-0.5, -4.0]),
            "c": A([0.0, 0.0, math.log(2.0), 2.0**0.5 * math.log(2.0), math.nan]),
        },
    ),
    # A closed gate under an infinite adjoint (sqrt's slope at 0): exactly 0, not 0·inf.
    ("sqrt(relu(x))", {"x": A([-1.0, 0.0, 4.0])}, {"x": A([0.0, 0.0, 0.25])}),
    (
        "sqrt(x ^ c - 1)",
        {"x": A([2.0, 3.0]), "c": A([0.0, 1.0])},
        {
            "x": A([0.0, 0.5 / math.sqrt(2.0)]),
            "c": A([math.inf, 3.0 * math.log(3.0) / (2 * math.sqrt(2.0))]),
        },
    ),
    # A nan arriving at max (the derivative of y^z by z at y < 0) stays out of the branch
    # not taken.
    (
        "pow(y, max(x, y))",
        {"x": A([1.0, -3.0]), "y": A([-1.0, -1.0])},
        {"x": A([math.nan, 0.0]), "y": A([1.0, math.nan])},
    ),
]


def _scalar_gradient(program, values, k):
    point = {name: float(np.ravel(v)[k]) for name, v in values.items()}
    return evaluate(compile_program(program, point), point).gradient


@pytest.mark.parametrize("program, values, want", KINK_PROGRAMS, ids=[p[0] for p in KINK_PROGRAMS])
def test_kink_conventions_on_arrays(program, values, want):
    ev = evaluate(compile_program(f"sum({program})", values), values)
    for name, expected in want.items():
        got = ev.gradient[name]
        assert got.shape == expected.shape
        for k in range(got.size):
            assert ulps_apart(got[k], expected[k]) <= 1, (name, k, got, expected)
            scalar = _scalar_gradient(program, values, k)[name]
            assert ulps_apart(got[k], scalar) == 0, (name, k, got[k], scalar)


@pytest.mark.parametrize(
    "program, x, want",
    [
        ("max(X)", [1.0, 3.0, 3.0, 3.0, 0.0], [0, 1 / 3, 1 / 3, 1 / 3, 0]),
        ("min(X)", [1.0, -3.0, 2.0, -3.0], [0, 0.5, 0, 0.5]),
        ("max(X)", [2.0, 2.0, 2.0, 2.0], [0.25] * 4),
        ("max(X, axis=1)", [[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]], [[0.5, 0.5, 0], [0, 0.5, 0.5]]),
        (
            "max(X, axis=-1, keepdims=true)",
            [[2.0, 2.0, 2.0], [0.0, 5.0, 4.0]],
            [[1 / 3, 1 / 3, 1 / 3], [0, 1, 0]],
        ),
        (
            "min(X, axis=0)",
            [[1.0, 2.0], [1.0, 0.0], [1.0, 0.0]],
            [[1 / 3, 0], [1 / 3, 0.5], [1 / 3, 0.5]],
        ),
        ("min(X, axis=0, keepdims=true)", [[4.0, -1.0], [4.0, 3.0]], [[0.5, 1], [0.5, 0]]),
    ],
)
def test_reduction_ties_split_equally(program, x, want):
    """torch.amax/amin: tied entries share the adjoint equally (torch's max(dim) would send
    it all to one index)."""
    X = np.array(x)
    ev = evaluate(compile_program(f"sum({program})", ["X"]), {"X": X})
    np.testing.assert_array_equal(ev.gradient["X"], np.array(want, dtype=float))


def test_kinks_met_are_said_with_their_count_and_first_entry():
    X = np.array([-1.5, 0.0, -0.0, 2.0])
    ev = evaluate(compile_program("sum(relu(x))", ["x"]), {"x": X})
    assert ev.warnings == [
        "relu'(0) is taken as 0 (PyTorch's convention) (2 entries, the "
        "first [1], step v1 = relu(x), x (4,))"
    ]
    ev = evaluate(
        compile_program("sum(max(a, b))", ["a", "b"]),
        {"a": np.array([[1.0, 2.0], [3.0, 3.0]]), "b": np.array([3.0, 2.0])},
    )
    assert ev.warnings == [
        "a tie: the gradient is split 0.5/0.5 (PyTorch's convention) (2 "
        "entries, the first [0, 1], step v1 = max(a, b), a (2, 2), b (2,))"
    ]
    np.testing.assert_array_equal(ev.gradient["a"], [[0, 0.5], [0.5, 1]])
    np.testing.assert_array_equal(ev.gradient["b"], [1.5, 0.5])  # b was broadcast: summed


def test_slopes_that_are_not_finite_are_said_with_their_count_and_first_entry():
    ev = evaluate(compile_program("sum(sqrt(relu(x)))", ["x"]), {"x": np.array([-1.0, 0.0, 4.0])})
    assert ev.warnings[0] == (
        "a derivative of sqrt is undefined here: the slope of sqrt is "
        "infinite at 0 (1/(2*v2) at 2 entries, the first [0], step v2 = "
        "sqrt(v1), v1 (3,))"
    )
    ev = evaluate(compile_program("sum(sqrt(x))", ["x"]), {"x": np.array([1.0, 0.0])})
    assert ev.warnings[0] == (
        "a derivative of sqrt is undefined here: the slope of sqrt is "
        "infinite at 0 (1/(2*v1) at entry [1], step v1 = sqrt(x), x (2,))"
    )
    assert ev.warnings[1] == (
        "the gradient with respect to x is undefined at 1 of its 2 entries at these values"
    )


# --- 4. Live PyTorch on random tensor programs (skipped without torch; CI has none) --------
# Hypothesis writes small programs from the ops: elementwise functions and arithmetic with
# broadcasting, @ with transposes, reductions with axis and keepdims, softmax, indexing with
# slices and integer arrays (repeats, negatives, x[range(n), t]), reshape, cross_entropy;
# each statement's shape is tracked so every program is well formed. Input values come
# from a Generator seeded by Hypothesis; one input holds whole numbers in -1..1, so ties
# (max, min, their reductions) and kinks (relu and abs at 0) are met too. The same tape is
# run by torch float64 autograd (a translation step by step, below), and the value and
# every gradient must agree: a
# relative 1e-9 for the value, 1e-7 for gradients (torch and NumPy use different vector
# libraries for exp, tanh, ...: a few ulps, which a chain of five ops may magnify).


TORCH_INPUTS = {
    "A": (2, 3),
    "B": (3,),
    "C": (2, 1),
    "D": (3, 2),
    "E": (1, 3),
    "s": (),
    "Z": (2, 3),
}  # Z: whole numbers in -1..1, for ties and kinks at 0
# Integer data: rows to pick (repeats, a negative index), targets for two rows, a count.
TORCH_INTEGERS = {"i": _ints(1, 0, 1), "r": _ints(-1, 0), "t": _ints(1, 0), "n": _int(2)}
SAFE_UNARY = [
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "atan",
    "softplus",
    "relu",
    "abs",
    "exp",
    "sinh",
    "neg",
    "log",
    "log2",
    "log10",
    "sqrt",
    "asin",
    "acos",
    "tan",
    "cosh",
]


@st.composite
def tensor_programs(draw):
    shapes = dict(TORCH_INPUTS)
    lines = []
    for k in range(draw(st.integers(1, 5))):
        names = sorted(shapes)
        x = draw(st.sampled_from(names))
        sx = shapes[x]
        kind = draw(
            st.sampled_from(
                [
                    "unary",
                    "binary",
                    "matmul",
                    "reduce",
                    "softmax",
                    "index",
                    "reshape",
                    "cross_entropy",
                ]
            )
        )
        expr = shape = None
        if kind == "binary":
            partners = [y for y in names if _broadcasts(sx, shapes[y])]
            y = draw(st.sampled_from(partners))
            form = draw(
                st.sampled_from(
                    [
                        "{a} + {b}",
                        "{a} - {b}",
                        "{a} * {b}",
                        "{a} / ({b} * {b} + 0.5)",
                        "({a} * {a} + 0.5) ^ tanh({b})",
                        "max({a}, {b})",
                        "min({a}, {b})",
                    ]
                )
            )
            expr, shape = form.format(a=x, b=y), np.broadcast_shapes(sx, shapes[y])
        elif kind == "matmul":
            options = []
            for a in names:
                for b in names:
                    for ta in ("", ".T"):
                        for tb in ("", ".T"):
                            sa = shapes[a][::-1] if ta else shapes[a]
                            sb = shapes[b][::-1] if tb else shapes[b]
                            if 1 <= len(sa) <= 2 and 1 <= len(sb) <= 2 and sa[-1] == sb[0]:
                                options.append(
                                    (f"{a}{ta} @ {b}{tb}", np.shape(np.zeros(sa) @ np.zeros(sb)))
                                )
            expr, shape = draw(st.sampled_from(options))
        elif kind == "reduce" and sx:
            call = draw(st.sampled_from(["sum", "mean", "max", "min"]))
            axis = draw(st.sampled_from([None] + list(range(-len(sx), len(sx)))))
            keep = draw(st.booleans())
            words = ([f"axis={axis}"] if axis is not None else []) + (
                ["keepdims=true"] if keep else []
            )
            expr = f"{call}({', '.join([x] + words)})"
            shape = np.shape(np.sum(np.zeros(sx), axis=axis, keepdims=keep))
        elif kind == "softmax" and sx:
            call = draw(st.sampled_from(["softmax", "log_softmax"]))
            axis = draw(st.sampled_from([None] + list(range(-len(sx), len(sx)))))
            expr = f"{call}({x}" + (f", axis={axis})" if axis is not None else ")")
            shape = sx
        elif kind == "index" and sx:
            forms = ["{x}[0]", "{x}[-1]", "{x}[:1]", "{x}[r]"]
            if sx[0] >= 2:
                forms += ["{x}[1:]", "{x}[i]"]
            if len(sx) == 2:
                forms += ["{x}[:, r]", "{x}[r, r]"] + (["{x}[r, 1:]"] if sx[1] >= 2 else [])
                if sx == (2, sx[1]) and sx[1] >= 2:
                    forms += ["{x}[range(n), t]"]
            form = draw(st.sampled_from(forms))
            key = {
                "{x}[0]": 0,
                "{x}[-1]": -1,
                "{x}[:1]": slice(None, 1),
                "{x}[r]": [-1, 0],
                "{x}[1:]": slice(1, None),
                "{x}[i]": [1, 0, 1],
                "{x}[:, r]": (slice(None), [-1, 0]),
                "{x}[r, r]": ([-1, 0], [-1, 0]),
                "{x}[r, 1:]": ([-1, 0], slice(1, None)),
                "{x}[range(n), t]": ([0, 1], [1, 0]),
            }[form]
            expr, shape = form.format(x=x), np.shape(np.zeros(sx)[key])
        elif kind == "reshape":
            sizes = draw(st.sampled_from([(-1,), (1, -1), (-1, 1)]))
            expr = f"reshape({x}, {', '.join(map(str, sizes))})"
            shape = np.shape(np.zeros(sx).reshape(sizes))
        elif kind == "cross_entropy" and len(sx) == 2 and sx[0] == 2 and sx[1] >= 2:
            expr, shape = f"cross_entropy({x}, t)", ()
        if expr is None:  # unary, or a kind that does not fit x: an elementwise function
            fn = draw(st.sampled_from(SAFE_UNARY))
            expr = {
                "log": f"log({x} * {x} + 0.5)",
                "log2": f"log2({x} * {x} + 0.5)",
                "log10": f"log10({x} * {x} + 0.5)",
                "sqrt": f"sqrt({x} * {x} + 0.5)",
                "asin": f"asin(tanh({x}) * 0.9)",
                "acos": f"acos(tanh({x}) * 0.9)",
                "tan": f"tan(tanh({x}))",
                "neg": f"-{x}",
                "exp": f"exp(tanh({x}))",
                "sinh": f"sinh(tanh({x}))",
                "cosh": f"cosh(tanh({x}))",
            }.get(fn, f"{fn}({x})")
            shape = sx
        name = f"h{k}"
        lines.append(f"{name} = {expr}")
        shapes[name] = tuple(shape)
    # Every statement reaches the output, each reduced by sum or mean.
    terms = [f"{draw(st.sampled_from(['sum', 'mean']))}(h{k})" for k in range(len(lines))]
    lines.append(f"f = {' + '.join(terms)}")
    return "\n".join(lines)


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def torch_run(tape, values):
    """The tape run by torch float64 autograd: every step's tensor, and the input leaves."""
    import torch
    import torch.nn.functional as F

    f64 = torch.float64
    elementwise = {
        "add": torch.add,
        "sub": torch.sub,
        "mul": torch.mul,
        "div": torch.div,
        "pow": torch.pow,
        "neg": torch.neg,
        "copy": lambda a: a,
        "exp": torch.exp,
        "log": torch.log,
        "log2": torch.log2,
        "log10": torch.log10,
        "sqrt": torch.sqrt,
        "sin": torch.sin,
        "cos": torch.cos,
        "tan": torch.tan,
        "asin": torch.asin,
        "acos": torch.acos,
        "atan": torch.atan,
        "sinh": torch.sinh,
        "cosh": torch.cosh,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "softplus": F.softplus,
        "abs": torch.abs,
        "max": torch.maximum,
        "min": torch.minimum,
    }

    def dims(x, axis):
        return tuple(range(x.ndim)) if axis is None else (int(axis),)

    leaves, out = {}, []
    for step in tape.steps:
        op, attrs = step.op.name, step.attrs or {}
        xs = [out[a] for a in step.args]
        axis, keep = attrs.get("axis"), bool(attrs.get("keepdims", False))
        if op == "input":
            integer = step.name in tape.integer_inputs
            t = torch.tensor(values[step.name], dtype=f64, requires_grad=not integer)
            if not integer:
                leaves[step.name] = t
        elif op == "const":
            t = torch.tensor(step.const, dtype=f64)
        elif op in elementwise:
            t = elementwise[op](*xs)
        elif op == "matmul":
            t = torch.matmul(*xs)
        elif op == "transpose":
            t = xs[0].permute(*reversed(range(xs[0].ndim)))
        elif op in ("sum", "mean", "amax", "amin"):
            fn = {"sum": torch.sum, "mean": torch.mean, "amax": torch.amax, "amin": torch.amin}[op]
            t = fn(xs[0], dim=dims(xs[0], axis), keepdim=keep) if xs[0].ndim else xs[0]
        elif op == "reshape":
            t = xs[0].reshape([int(d) for d in xs[1:]])
        elif op == "index":
            rest, key = iter(xs[1:]), []
            for item in attrs["spec"]:
                key.append(slice(*item) if item is not None else next(rest).long())
            t = xs[0][tuple(key)]
        elif op == "arange":
            t = torch.arange(int(xs[0]), dtype=f64)
        elif op == "onehot":
            t = F.one_hot(xs[0].long(), int(xs[1])).to(f64)
        elif op in ("softmax", "log_softmax"):
            fn = torch.softmax if op == "softmax" else torch.log_softmax
            t = fn(xs[0], dim=int(attrs.get("axis", -1)))
        elif op == "cross_entropy":
            t = F.cross_entropy(xs[0], xs[1].long())
        else:
            raise AssertionError(f"no torch translation for {op}")
        out.append(t)
    return out, leaves


HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
@settings(max_examples=examples(200), deadline=None)
@given(tensor_programs(), st.integers(0, 2**32 - 1))
# Found by Hypothesis (before the generator kept slices non-empty): torch refuses the max of
# an empty array, and gradcli failed with exit 3 (NumPy's ValueError) until commit de8a60d.
@example("h0 = C[r, 1:]\nh1 = max(h0)\nf = sum(h1)", 0)
def test_matches_live_pytorch_on_random_tensor_programs(program, seed):
    import torch

    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(-2.0, 2.0, shape) for name, shape in TORCH_INPUTS.items()}
    values["Z"] = rng.integers(-1, 2, TORCH_INPUTS["Z"]).astype(float)
    values.update(TORCH_INTEGERS)
    tape = compile_program(program, values.keys())
    given_values = {n: v for n, v in values.items() if n in tape.inputs}
    try:
        out, leaves = torch_run(tape, given_values)
    except (RuntimeError, IndexError):  # torch refuses the program: gradcli must say why
        with pytest.raises(ShapeError):
            evaluate(tape, given_values)
        return
    try:
        ev = evaluate(tape, given_values)
    except DomainError as exc:  # then torch's value of that step is not finite somewhere
        step = next(i for i in range(len(tape.steps)) if tape.label(i) == exc.step)
        assert not torch.isfinite(out[step]).all(), (program, exc)
        return
    loss = out[tape.output]
    assert ev.value == pytest.approx(float(loss.detach()), rel=1e-9, abs=1e-12), program
    grads = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
    assert set(ev.gradient) == set(leaves), program
    for (name, leaf), g in zip(leaves.items(), grads):
        want = np.zeros(leaf.shape) if g is None else g.numpy()
        got = ev.gradient[name]
        assert np.shape(got) == want.shape, (program, name)
        np.testing.assert_allclose(
            got, want, rtol=1e-7, atol=1e-9, equal_nan=True, err_msg=f"{program}\n∂f/∂{name}"
        )
