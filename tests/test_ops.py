"""Every primitive's partials against central finite differences, straight from the registry.

A new op added to the registry is picked up here with no change: its sample points are
drawn from a grid and kept where its forward value is defined.
"""

import itertools
import math

import pytest

from gradcli.core.ops import FUNCTIONS, OPS

GRID = [-2.3, -1.1, -0.6, 0.35, 0.8, 1.7, 2.9]
INTERNAL = {"input", "const"}
H = 1e-6


def defined(op, xs):
    if op.domain and op.domain(*xs):
        return False
    try:
        y = op.forward(*xs)
    except (ValueError, OverflowError, ZeroDivisionError):
        return False
    return math.isfinite(y)


def sample_points(op):
    points = [xs for xs in itertools.product(GRID, repeat=op.arity) if defined(op, xs)]
    # Keep the exponent's points: pow with a negative base only at integer powers.
    if op.name == "pow":
        points += [(-1.5, 2.0), (-0.7, 3.0), (2.0, -1.0)]
    return points


def central_difference(op, xs, k):
    up = list(xs)
    down = list(xs)
    up[k] += H
    down[k] -= H
    return (op.forward(*up) - op.forward(*down)) / (2 * H)


DIFFERENTIABLE = [op for op in OPS.values() if op.name not in INTERNAL]


def test_every_function_name_is_in_the_registry():
    for name in [
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "tanh",
        "exp",
        "log",
        "ln",
        "log2",
        "log10",
        "sqrt",
        "abs",
        "sigmoid",
        "relu",
        "softplus",
        "max",
        "min",
        "pow",
    ]:
        assert name in FUNCTIONS, name
    assert FUNCTIONS["ln"] is FUNCTIONS["log"]
    assert FUNCTIONS["pow"] is OPS["pow"]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_partials_match_central_differences(op):
    points = sample_points(op)
    assert len(points) >= 3, f"{op.name}: too few points where it is defined"
    checked = 0
    for xs in points:
        if op.kink and op.kink(*xs):
            continue
        y = op.forward(*xs)
        partials = op.partials(*xs, y)
        assert len(partials) == op.arity == len(op.rules)
        for k in range(op.arity):
            if op.name == "pow" and k == 1 and xs[0] < 0:
                continue  # d/dy x^y is undefined for x < 0: tested below
            numeric = central_difference(op, xs, k)
            assert partials[k] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (op.name, xs, k)
            checked += 1
    assert checked >= 3


# Kinks and edges, by name: PyTorch float64 autograd's conventions.
@pytest.mark.parametrize(
    "name, xs, expected",
    [
        ("relu", (0.0,), (0.0,)),
        ("relu", (-2.0,), (0.0,)),
        ("relu", (3.0,), (1.0,)),
        ("abs", (0.0,), (0.0,)),
        ("abs", (-0.0,), (0.0,)),
        ("abs", (-2.0,), (-1.0,)),
        ("max", (2.0, 2.0), (0.5, 0.5)),
        ("min", (2.0, 2.0), (0.5, 0.5)),
        ("max", (3.0, 2.0), (1.0, 0.0)),
        ("min", (3.0, 2.0), (0.0, 1.0)),
        ("pow", (0.0, 2.0), (0.0, 0.0)),  # d/dy x^y taken as 0 at x = 0
        ("pow", (0.0, 0.0), (0.0, 0.0)),  # 0^0 = 1; c·x^(c-1) with c = 0 is 0
        ("pow", (-2.0, 3.0), (12.0, math.nan)),
        ("pow", (0.0, 0.5), (math.inf, 0.0)),
        ("sqrt", (0.0,), (math.inf,)),
        ("sigmoid", (-800.0,), (0.0,)),
        ("sigmoid", (800.0,), (0.0,)),
        ("asin", (1.0,), (math.inf,)),
        ("div", (1.0, 4.0), (0.25, -1.0 / 16)),
    ],
)
def test_conventions_at_kinks_and_edges(name, xs, expected):
    op = OPS[name]
    got = op.partials(*xs, op.forward(*xs))
    for g, e in zip(got, expected):
        if math.isnan(e):
            assert math.isnan(g)
        else:
            assert g == e


@pytest.mark.parametrize(
    "name, xs",
    [
        ("log", (0.0,)),
        ("log", (-1.0,)),
        ("sqrt", (-1e-9,)),
        ("div", (1.0, 0.0)),
        ("pow", (-8.0, 1 / 3)),
        ("pow", (0.0, -1.0)),
        ("asin", (1.5,)),
        ("acos", (-1.01,)),
        ("log2", (0.0,)),
        ("log10", (-3.0,)),
    ],
)
def test_domain_edges_are_named(name, xs):
    message = OPS[name].domain(*xs)
    assert message and isinstance(message, str)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_each_op_has_text_for_tables(op):
    assert op.about and all(isinstance(r, str) and r for r in op.rules)


def test_softplus_is_stable_far_out():
    sp = OPS["softplus"]
    assert sp.forward(1000.0) == 1000.0
    assert sp.forward(-1000.0) == 0.0
    assert sp.partials(50.0, sp.forward(50.0)) == (1.0,)
