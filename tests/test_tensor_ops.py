"""Every op that computes on arrays, checked three ways and at its kinks.

1. Array kernels against scalar kernels, element by element, at test_rules.py's edge points
   (0, -0.0, ±5e-324, ±1e-200, ±1e200, 1e308, kinks, ties): tensor mode must compute what
   scalar mode computes, forward values and local partials alike.
"""
import itertools
import math

import numpy as np
import pytest

from gradcli.core.ops import OPS
from test_rules import EDGES

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
LIBRARY_FORWARD = {"exp", "log", "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan",
                   "sinh", "cosh", "tanh", "sigmoid", "softplus", "pow"}
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
            f"{op.name}{xs}: array forward {forward[j]!r}, scalar {y!r}")
        scalar = op.partials(*xs, float(forward[j]))
        for k in range(op.arity):
            got = np.broadcast_to(partials[k], (len(points),))[j]
            assert ulps_apart(got, scalar[k]) <= partial_ulps, (
                f"{op.name}{xs}: array partial {k} is {got!r}, scalar {scalar[k]!r}")


def test_ulps_apart_tells_zeros_and_neighbours_apart():
    assert ulps_apart(0.0, -0.0) == math.inf
    assert ulps_apart(1.0, math.nextafter(1.0, 2.0)) == 1.0
    assert ulps_apart(math.nan, math.nan) == 0.0 and ulps_apart(math.nan, 1.0) == math.inf
    assert ulps_apart(math.inf, 1e308) == math.inf


@pytest.mark.parametrize("name, a, b, want", [
    ("max", 0.0, -0.0, 0.0), ("max", -0.0, 0.0, -0.0),
    ("min", 0.0, -0.0, 0.0), ("min", -0.0, 0.0, -0.0)])
def test_max_and_min_of_signed_zeros_keep_the_first_operand(name, a, b, want):
    """A tie keeps the first operand, as Python's max and min and torch.maximum/minimum do
    (np.maximum keeps the second: the array kernel once gave max(0.0, -0.0) = -0.0)."""
    op = OPS[name]
    assert ulps_apart(op.forward(a, b), want) == 0
    got = op.array_forward(np.array([a, 1.0]), np.array([b, 1.0]))
    assert ulps_apart(got[0], want) == 0
