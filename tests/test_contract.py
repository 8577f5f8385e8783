"""The op contract is not scalar-only: an op that is not elementwise (a matrix product, a
sum over all entries) declares one VJP and one JVP per operand, and the same two sweeps
run it with no special case. NumPy arrays stand in for tensor mode's values here."""

import numpy as np

from gradcli.core.engine import reverse_sweep, tangent_sweep
from gradcli.core.ops import OPS, Op
from gradcli.core.tape import Step, Tape

MATMUL = Op(
    "matmul",
    2,
    np.matmul,
    None,
    ("{dy} @ {1}.T", "{0}.T @ {dy}"),
    "matrix product",
    symbol="@",
    vjp=(lambda g, ans, a, b: g @ b.T, lambda g, ans, a, b: a.T @ g),
    jvp=(lambda t, ans, a, b: t @ b, lambda t, ans, a, b: a @ t),
)
TOTAL = Op(
    "sum",
    1,
    np.sum,
    None,
    ("ones_like({0})",),
    "sum of every entry",
    vjp=(lambda g, ans, x: np.full_like(x, g),),
    jvp=(lambda t, ans, x: np.sum(t),),
)


def _program():
    """f = sum(tanh(A @ B)): a scalar op (tanh) between two array ops."""
    tape = Tape("f = sum(tanh(A @ B))")
    for name in ("A", "B"):
        tape.inputs[name] = len(tape.steps)
        tape.steps.append(Step(OPS["input"], (), name, 1, 0, 0, None, None))
    tape.steps.append(Step(MATMUL, (0, 1), None, 1, 0, 0, None, None))
    tape.steps.append(Step(ARRAY_TANH, (2,), None, 1, 0, 0, None, None))
    tape.steps.append(Step(TOTAL, (3,), "f", 1, 0, 0, None, None))
    tape.output = 4
    return tape


# tanh's own entry is scalar (math.tanh); an elementwise op on arrays gives its partials
# as arrays, and the contract's `local × g` is then NumPy's elementwise product.
ARRAY_TANH = Op("tanh", 1, np.tanh, lambda x, y: (1.0 - y * y,), ("1-{y}^2",), "tanh")


def _values(a, b):
    c = a @ b
    t = np.tanh(c)
    return [a, b, c, t, float(np.sum(t))]


def _f(a, b):
    return _values(a, b)[-1]


def test_reverse_sweep_runs_a_matrix_product_and_a_sum():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    record = []
    adjoints = reverse_sweep(_program(), _values(a, b), record=record)
    h = 1e-6
    for k, x in ((0, a), (1, b)):
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            up, down = x.copy(), x.copy()
            up[idx] += h
            down[idx] -= h
            args_up = (up, b) if k == 0 else (a, up)
            args_down = (down, b) if k == 0 else (a, down)
            numeric[idx] = (_f(*args_up) - _f(*args_down)) / (2 * h)
        assert adjoints[k].shape == x.shape
        np.testing.assert_allclose(adjoints[k], numeric, rtol=1e-6, atol=1e-8)
    # The formula's own check: dA = (1 - tanh²) @ B.T, dB = A.T @ (1 - tanh²).
    local = 1 - np.tanh(a @ b) ** 2
    np.testing.assert_allclose(adjoints[0], local @ b.T)
    np.testing.assert_allclose(adjoints[1], a.T @ local)
    # Recorded terms: an op without elementwise partials has no single local number.
    assert [c.local is None for c in record] == [True, False, True, True]


def test_forward_sweep_runs_the_same_ops_and_agrees_with_reverse():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    direction = rng.normal(size=a.shape)
    tangents = tangent_sweep(_program(), _values(a, b), {0: direction})
    adjoints = reverse_sweep(_program(), _values(a, b))
    # ⟨∇_A f, direction⟩ two ways: forward mode's tangent and reverse mode's adjoint.
    assert np.isclose(tangents[4], np.sum(adjoints[0] * direction), rtol=1e-12)
