"""Each derivative is encoded twice: as numbers (`Op.partials`, what the sweeps multiply by)
and as text (`Op.rules`, what the tables show and the generated code is written from).
The two agree at every op's edge points: 0, -0, ±tiny, ±huge, kinks, ties, the singular
points. The text is evaluated with NumPy's IEEE float64 arithmetic, an oracle independent
of gradcli's own (1/0 = inf, 0·inf = nan, pow of a negative base to a fraction = nan)."""

import itertools
import math

import numpy as np
import pytest

from gradcli.core.ops import OPS, RULE_FUNCTIONS
from gradcli.language.syntax import parse

EDGES = [
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-200,
    -1e-200,
    0.5,
    -0.5,
    1.0,
    -1.0,
    2.0,
    -3.0,
    1e-8,
    3.0,
    1e200,
    -1e200,
    1e308,
    700.0,
    -745.0,
    math.pi / 2,
]

NUMPY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
    "neg": np.negative,
    "exp": np.exp,
    "log": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "abs": np.abs,
    "max": np.maximum,
    "min": np.minimum,
    "relu": lambda x: np.maximum(x, 0.0),
    "heaviside": np.heaviside,
    "sign": np.sign,
    "where": lambda c, a, b: a if c != 0 else b,
    # sigmoid's two-branch form is itself a forward, checked against torch elsewhere.
    "sigmoid": lambda x: np.float64(OPS["sigmoid"].forward(float(x))),
}
CONSTANTS = {"pi": np.float64(math.pi), "e": np.float64(math.e)}


def rule_value(template: str, xs: tuple, y: float) -> float:
    text = template.replace("{y}", "_y")
    for k in range(len(xs)):
        text = text.replace(f"{{{k}}}", f"_{k}")
    syntax = parse(text, functions=RULE_FUNCTIONS)
    (statement,) = syntax.statements
    out = [None] * len(syntax.nodes)
    with np.errstate(all="ignore"):
        for n, node in enumerate(syntax.nodes):
            if node.kind == "num":
                out[n] = np.float64(node.payload)
            elif node.kind == "name":
                name = node.payload
                out[n] = (
                    np.float64(y)
                    if name == "_y"
                    else CONSTANTS[name]
                    if name in CONSTANTS
                    else np.float64(xs[int(name[1:])])
                )
            else:
                out[n] = np.float64(NUMPY[node.payload.name](*[out[k] for k in node.kids]))
    return float(out[statement.root])


def _points(op):
    for xs in itertools.product(EDGES, repeat=op.arity):
        if op.domain and op.domain(*xs):
            continue
        try:
            y = op.forward(*xs)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if math.isfinite(y):
            yield xs, y


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


DIFFERENTIABLE = [op for op in OPS.values() if op.rules]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_rule_text_and_numbers_agree_at_edge_points(op):
    checked = 0
    for xs, y in _points(op):
        numbers = op.partials(*xs, y)
        for position, template in enumerate(op.rules):
            text = rule_value(template, xs, y)
            assert _same(numbers[position], text), (
                f"{op.name}{xs}: partial {position} is {numbers[position]!r} in numbers, "
                f"{text!r} from the text {template!r}"
            )
            checked += 1
    assert checked > 0


def test_the_oracle_tells_the_edges_apart():
    """The comparison can fail: a text written with the input squared underflows where
    the numbers reuse the output (div's old text, -a/b^2, at b = 1e-200)."""
    assert rule_value("-{0}/{1}^2", (1.0, 1e-200), 1e200) == -math.inf
    assert math.isnan(rule_value("{1}*{0}^({1}-1)", (0.0, 0.0), 1.0))  # 0·inf
    assert rule_value("where({1}, {1}*{0}^({1}-1), 0)", (0.0, 0.0), 1.0) == 0.0
