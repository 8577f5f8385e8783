"""Record PyTorch float64 autograd's answers for gradcli's tensor programs.

    python tests/data/make_tensor_reference.py     (needs torch and numpy; not run by the tests)

Writes tests/data/tensor_reference.json, a list of cases {name, program, inputs, value,
gradient, tol}, which tests/test_tensor_reference.py checks gradcli against on every run,
torch or not. Each case is a gradcli program written beside a torch expression meant to
compute the same thing; torch evaluates the expression and backpropagates, and its value
and input gradients are recorded. Inputs with integer values (indices, targets, sizes) are
integer data: written as JSON integers, given no gradient. Re-run after changing a case or
examples/makemore4-batch.json.

Conventions to mind when writing the torch side: the language's max/min reductions split a
tie equally, which is torch.amax/amin (torch's max(dim) sends it all to one index), and
elementwise max/min are torch.maximum/minimum (0.5 to each side of a tie).
"""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "tensor_reference.json"
F64 = torch.float64

# Tolerance for small cases: torch and NumPy evaluate exp, tanh, asin, ... with different
# vector libraries (a few ulps apart), and a derivative like 1 - tanh(x)^2 can magnify that
# by 100 or so; 1e-12 leaves a margin of about 1000 over what such differences reach.
TOL = 1e-12
# The whole makemore network: the bound, 1e-9 relative.
TOL_NETWORK = 1e-9

CASES = []
_rng = np.random.default_rng(20240611)


def case(name, program, inputs, expression, tol=TOL):
    """One case: a gradcli program and the torch expression (of a namespace of tensors,
    one per input) that computes the same scalar."""
    CASES.append((name, program, inputs, expression, tol))


def rand(*shape, lo=-2.0, hi=2.0):
    """Uniform numbers rounded to two decimals: readable in the JSON, still generic."""
    return np.round(_rng.uniform(lo, hi, size=shape), 2)


def ints(values):
    return np.array(values, dtype=np.int64)


def t_max(a, number):
    """Elementwise max with a plain number (torch.maximum takes only tensors)."""
    return torch.maximum(a, torch.tensor(number, dtype=F64))


# --- Every elementwise function on a (2, 3) array; G weights each element differently so
# every entry of the gradient is its own number (sum(f(X)) alone would weight them all 1).
G23 = rand(2, 3)
FUNCTIONS = [
    # name, torch function, input range
    ("sin", torch.sin, (-2, 2)),
    ("cos", torch.cos, (-2, 2)),
    ("tan", torch.tan, (-1.2, 1.2)),
    ("asin", torch.asin, (-0.9, 0.9)),
    ("acos", torch.acos, (-0.9, 0.9)),
    ("atan", torch.atan, (-2, 2)),
    ("sinh", torch.sinh, (-2, 2)),
    ("cosh", torch.cosh, (-2, 2)),
    ("tanh", torch.tanh, (-2, 2)),
    ("exp", torch.exp, (-2, 2)),
    ("log", torch.log, (0.1, 3)),
    ("ln", torch.log, (0.1, 3)),
    ("log2", torch.log2, (0.1, 3)),
    ("log10", torch.log10, (0.1, 3)),
    ("sqrt", torch.sqrt, (0.1, 3)),
    ("sigmoid", torch.sigmoid, (-2, 2)),
    ("softplus", F.softplus, (-2, 2)),
]
for fname, tfun, (lo, hi) in FUNCTIONS:
    case(
        f"elementwise {fname}",
        f"sum({fname}(X) * G)",
        {"X": rand(2, 3, lo=lo, hi=hi), "G": G23},
        lambda t, tfun=tfun: (tfun(t.X) * t.G).sum(),
    )
# relu and abs at their kinks: PyTorch's derivative at 0 is 0 for both.
KINKS = np.array([[-1.5, 0.0, 2.0], [0.5, -0.25, 0.0]])
case(
    "elementwise relu, kink at 0",
    "sum(relu(X) * G)",
    {"X": KINKS, "G": G23},
    lambda t: (torch.relu(t.X) * t.G).sum(),
)
case(
    "elementwise abs, kink at 0",
    "sum(abs(X) * G)",
    {"X": KINKS, "G": G23},
    lambda t: (torch.abs(t.X) * t.G).sum(),
)

# --- Arithmetic and powers, same shapes.
X23, Y23, P23 = rand(2, 3), rand(2, 3), rand(2, 3, lo=0.2, hi=2.5)
case("add", "sum((X + Y) * G)", {"X": X23, "Y": Y23, "G": G23}, lambda t: ((t.X + t.Y) * t.G).sum())
case(
    "subtract",
    "sum((X - Y) * G)",
    {"X": X23, "Y": Y23, "G": G23},
    lambda t: ((t.X - t.Y) * t.G).sum(),
)
case(
    "multiply", "sum(X * Y * G)", {"X": X23, "Y": Y23, "G": G23}, lambda t: (t.X * t.Y * t.G).sum()
)
case("divide", "sum(X / P * G)", {"X": X23, "P": P23, "G": G23}, lambda t: (t.X / t.P * t.G).sum())
case("negate", "sum(-X * G)", {"X": X23, "G": G23}, lambda t: (-t.X * t.G).sum())
case(
    "reciprocal of an array",
    "sum(1 / P * G)",
    {"P": P23, "G": G23},
    lambda t: (1 / t.P * t.G).sum(),
)
case("square", "sum(X^2 * G)", {"X": X23, "G": G23}, lambda t: (t.X**2 * t.G).sum())
case(
    "cube of negative numbers",
    "sum(X**3 * G)",
    {"X": X23, "G": G23},
    lambda t: (t.X**3 * t.G).sum(),
)
case("power -0.5", "sum(P^-0.5 * G)", {"P": P23, "G": G23}, lambda t: (t.P**-0.5 * t.G).sum())
case(
    "array to an array power",
    "sum(P^X * G)",
    {"P": P23, "X": X23, "G": G23},
    lambda t: (t.P**t.X * t.G).sum(),
)
case(
    "number to an array power", "sum(2^X * G)", {"X": X23, "G": G23}, lambda t: (2**t.X * t.G).sum()
)
case(
    "pow(a, b)",
    "sum(pow(P, X) * G)",
    {"P": P23, "X": X23, "G": G23},
    lambda t: (torch.pow(t.P, t.X) * t.G).sum(),
)
case("a value used twice", "sum(X * X + X)", {"X": X23}, lambda t: (t.X * t.X + t.X).sum())

# --- Broadcasting in every direction: the adjoint of a broadcast operand is summed back to
# that operand's own shape, (3,) stays (3,), (2, 1) stays (2, 1), (1, 3) stays (1, 3).
v3, c21, r13, s = rand(3), rand(2, 1), rand(1, 3), 1.5
case(
    "broadcast (2,3) + (3,)",
    "sum((X + v) * G)",
    {"X": X23, "v": v3, "G": G23},
    lambda t: ((t.X + t.v) * t.G).sum(),
)
case(
    "broadcast (2,3) + (2,1)",
    "sum((X + c) * G)",
    {"X": X23, "c": c21, "G": G23},
    lambda t: ((t.X + t.c) * t.G).sum(),
)
case(
    "broadcast (1,3) * (2,1)",
    "sum(r * c * G)",
    {"r": r13, "c": c21, "G": G23},
    lambda t: (t.r * t.c * t.G).sum(),
)
case(
    "broadcast scalar * matrix",
    "sum(s * X * G)",
    {"s": s, "X": X23, "G": G23},
    lambda t: (t.s * t.X * t.G).sum(),
)
case(
    "broadcast (3,) - (2,3)",
    "sum((v - X) * G)",
    {"v": v3, "X": X23, "G": G23},
    lambda t: ((t.v - t.X) * t.G).sum(),
)
case(
    "broadcast (2,3) / (1,3)",
    "sum(X / (r^2 + 1) * G)",
    {"X": X23, "r": r13, "G": G23},
    lambda t: (t.X / (t.r**2 + 1) * t.G).sum(),
)
case(
    "broadcast (2,1) ^ (3,)",
    "sum(P ^ v * G)",
    {"P": rand(2, 1, lo=0.2, hi=2.5), "v": v3, "G": G23},
    lambda t: (t.P**t.v * t.G).sum(),
)
case(
    "bias shapes (1,3) and (3,) kept apart",
    "sum((X * r + v) * G)",
    {"X": X23, "r": r13, "v": v3, "G": G23},
    lambda t: ((t.X * t.r + t.v) * t.G).sum(),
)
case(
    "broadcast (2,) against (2,2,2)",
    "sum(tanh(C[Xb]) * w)",
    {"C": rand(4, 2), "Xb": ints([[0, 2], [2, 3]]), "w": rand(2)},
    lambda t: (torch.tanh(t.C[t.Xb]) * t.w).sum(),
)

# --- Matrix products (numpy matmul for 1-D and 2-D operands) and transposes.
A23, B34, a3 = rand(2, 3), rand(3, 4), rand(3)
case(
    "matmul (n,k) @ (k,m)",
    "sum((A @ B) * G)",
    {"A": A23, "B": B34, "G": rand(2, 4)},
    lambda t: ((t.A @ t.B) * t.G).sum(),
)
case(
    "matmul (k,) @ (k,m)",
    "sum((a @ B) * g)",
    {"a": a3, "B": B34, "g": rand(4)},
    lambda t: ((t.a @ t.B) * t.g).sum(),
)
case(
    "matmul (n,k) @ (k,)",
    "sum((A @ a) * g)",
    {"A": A23, "a": a3, "g": rand(2)},
    lambda t: ((t.A @ t.a) * t.g).sum(),
)
case("matmul (k,) @ (k,)", "a @ b", {"a": a3, "b": rand(3)}, lambda t: t.a @ t.b)
case("transpose", "sum(X.T * G)", {"X": X23, "G": rand(3, 2)}, lambda t: (t.X.T * t.G).sum())
case(
    "transpose inside a product",
    "sum((A.T @ Y) * G)",
    {"A": A23, "Y": Y23, "G": rand(3, 3)},
    lambda t: ((t.A.T @ t.Y) * t.G).sum(),
)
case(
    "X @ X.T (a value used twice)",
    "sum((X @ X.T) * G)",
    {"X": X23, "G": rand(2, 2)},
    lambda t: ((t.X @ t.X.T) * t.G).sum(),
)
case(
    "linear layer with a broadcast bias (the issue's example)",
    "sum((X @ W + b) * G)",
    {
        "X": np.array([[1.0, 2, 3], [4, 5, 6]]),
        "W": np.array([[1.0, 0], [0, 1], [1, -1]]),
        "b": np.array([0.5, -1]),
        "G": np.array([[1.0, 2], [3, 4]]),
    },
    lambda t: ((t.X @ t.W + t.b) * t.G).sum(),
)
case(
    "tanh layer, squared",
    "h = tanh(X @ W + b); L = sum(h * h)",
    {"X": X23, "W": B34, "b": rand(4)},
    lambda t: ((h := torch.tanh(t.X @ t.W + t.b)) * h).sum(),
)

# --- Reductions: no axis, each axis, keepdims both ways, negative axes.
g2 = rand(2)
case("sum, no axis", "sum(X)", {"X": X23}, lambda t: t.X.sum())
case("mean, no axis", "mean(X)", {"X": X23}, lambda t: t.X.mean())
case("max, no axis", "max(X)", {"X": X23}, lambda t: torch.amax(t.X))
case("min, no axis", "min(X)", {"X": X23}, lambda t: torch.amin(t.X))
case(
    "sum axis=0", "sum(sum(X, axis=0) * v)", {"X": X23, "v": v3}, lambda t: (t.X.sum(0) * t.v).sum()
)
case(
    "sum axis=1 keepdims",
    "sum(sum(X, axis=1, keepdims=true) * c)",
    {"X": X23, "c": c21},
    lambda t: (t.X.sum(1, keepdim=True) * t.c).sum(),
)
case(
    "sum axis=-2",
    "sum(sum(X, axis=-2) * v)",
    {"X": X23, "v": v3},
    lambda t: (t.X.sum(-2) * t.v).sum(),
)
case(
    "mean axis=1",
    "sum(mean(X, axis=1) * g)",
    {"X": X23, "g": g2},
    lambda t: (t.X.mean(1) * t.g).sum(),
)
case(
    "mean axis=0 keepdims, subtracted",
    "sum((X - mean(X, axis=0, keepdims=true)) * G)",
    {"X": X23, "G": G23},
    lambda t: ((t.X - t.X.mean(0, keepdim=True)) * t.G).sum(),
)
case(
    "mean axis=-1 keepdims=false",
    "sum(mean(X, axis=-1, keepdims=false) * g)",
    {"X": X23, "g": g2},
    lambda t: (t.X.mean(-1, keepdim=False) * t.g).sum(),
)
case(
    "max axis=0",
    "sum(max(X, axis=0) * v)",
    {"X": X23, "v": v3},
    lambda t: (torch.amax(t.X, 0) * t.v).sum(),
)
case(
    "max axis=1 keepdims",
    "sum(max(X, axis=1, keepdims=true) * c)",
    {"X": X23, "c": c21},
    lambda t: (torch.amax(t.X, 1, keepdim=True) * t.c).sum(),
)
case(
    "min axis=-1",
    "sum(min(X, axis=-1) * g)",
    {"X": X23, "g": g2},
    lambda t: (torch.amin(t.X, -1) * t.g).sum(),
)
case(
    "min axis=0 keepdims",
    "sum(min(X, axis=0, keepdims=true) * r)",
    {"X": X23, "r": r13},
    lambda t: (torch.amin(t.X, 0, keepdim=True) * t.r).sum(),
)
case(
    "reductions of a vector",
    "sum(v) * mean(v) + max(v) - min(v)",
    {"v": rand(5)},
    lambda t: t.v.sum() * t.v.mean() + torch.amax(t.v) - torch.amin(t.v),
)

# --- Ties: a max/min reduction splits the gradient equally among the tied entries (as
# torch.amax); elementwise max/min give 0.5 to each side of a tie (as torch.maximum).
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, -1.0, 5.0]])
g3 = rand(3)
case("max tie, no axis", "max(X)", {"X": TIES}, lambda t: torch.amax(t.X))
case(
    "min tie, no axis",
    "min(X * X)",
    {"X": np.array([[1.0, -1.0], [2.0, 1.0]])},
    lambda t: torch.amin(t.X * t.X),
)
case(
    "max ties, axis=1",
    "sum(max(X, axis=1) * g)",
    {"X": TIES, "g": g3},
    lambda t: (torch.amax(t.X, 1) * t.g).sum(),
)
case(
    "max ties, axis=0 keepdims",
    "sum(max(X, axis=0, keepdims=true) * r)",
    {"X": TIES, "r": r13},
    lambda t: (torch.amax(t.X, 0, keepdim=True) * t.r).sum(),
)
case(
    "min ties, axis=1 keepdims",
    "sum(min(X, axis=1, keepdims=true) * c)",
    {"X": TIES, "c": rand(3, 1)},
    lambda t: (torch.amin(t.X, 1, keepdim=True) * t.c).sum(),
)
case(
    "min ties, axis=0",
    "sum(min(X, axis=0) * g)",
    {"X": np.array([[1.0, 4.0, -2.0], [1.0, 0.5, -2.0], [3.0, 0.5, 0.0]]), "g": g3},
    lambda t: (torch.amin(t.X, 0) * t.g).sum(),
)
XT = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
YT = np.array([[1.0, 2.0, 0.5], [-3.0, 0.0, 4.0]])
case(
    "elementwise max with ties",
    "sum(max(X, Y) * G)",
    {"X": XT, "Y": YT, "G": G23},
    lambda t: (torch.maximum(t.X, t.Y) * t.G).sum(),
)
case(
    "elementwise min with ties",
    "sum(min(X, Y) * G)",
    {"X": XT, "Y": YT, "G": G23},
    lambda t: (torch.minimum(t.X, t.Y) * t.G).sum(),
)
case(
    "elementwise max with a number, tie at 0",
    "sum(max(X, 0) * G)",
    {"X": XT, "G": G23},
    lambda t: (t_max(t.X, 0.0) * t.G).sum(),
)
case(
    "elementwise min broadcast (2,3) with (3,), ties",
    "sum(min(X, v) * G)",
    {"X": XT, "v": np.array([1.0, 0.0, 0.5]), "G": G23},
    lambda t: (torch.minimum(t.X, t.v) * t.G).sum(),
)

# --- reshape, with -1 and with an integer input as a size.
case(
    "reshape (2,3) to (3,-1)",
    "sum(reshape(X, 3, -1) * G)",
    {"X": X23, "G": rand(3, 2)},
    lambda t: (t.X.reshape(3, -1) * t.G).sum(),
)
case(
    "reshape to 1-D",
    "sum(reshape(X, -1) * g)",
    {"X": X23, "g": rand(6)},
    lambda t: (t.X.reshape(-1) * t.g).sum(),
)
case(
    "reshape with an integer input n",
    "sum(reshape(X, n, -1) * G)",
    {"X": rand(2, 2, 3), "n": 4, "G": rand(4, 3)},
    lambda t: (t.X.reshape(t.n, -1) * t.G).sum(),
)

# --- Indexing: an integer, a ':' slice, integer arrays (the gradient scatter-ADDS where an
# index repeats), and one entry per row with range(n).
case("index a row x[0]", "sum(X[0] * v)", {"X": X23, "v": v3}, lambda t: (t.X[0] * t.v).sum())
case(
    "index a column x[:, 1]",
    "sum(X[:, 1] * g)",
    {"X": X23, "g": g2},
    lambda t: (t.X[:, 1] * t.g).sum(),
)
case("index an element x[1, 2]", "X[1, 2] * X[0, 0]", {"X": X23}, lambda t: t.X[1, 2] * t.X[0, 0])
case(
    "vector gather with repeated indices",
    "sum(v[idx] * g)",
    {"v": rand(4), "idx": ints([0, 2, 0, 0, 3]), "g": rand(5)},
    lambda t: (t.v[t.idx] * t.g).sum(),
)
case(
    "row lookup with repeated indices",
    "sum(C[idx] * G)",
    {"C": rand(4, 2), "idx": ints([3, 1, 3, 3]), "G": rand(4, 2)},
    lambda t: (t.C[t.idx] * t.G).sum(),
)
case(
    "pick one per row x[range(n), y]",
    "sum(X[range(n), y] * g)",
    {"X": rand(3, 4), "n": 3, "y": ints([2, 0, 2]), "g": g3},
    lambda t: (t.X[range(t.n), t.y] * t.g).sum(),
)
case(
    "pick one per row x[arange(3), y]",
    "lp = log(P); L = -mean(lp[arange(3), y])",
    {"P": rand(3, 4, lo=0.1, hi=1), "y": ints([1, 1, 3])},
    lambda t: -torch.log(t.P)[torch.arange(3), t.y].mean(),
)

# --- softmax and log_softmax on each axis (default: the last), cross-entropy, onehot.
X34, G34 = rand(3, 4), rand(3, 4)
case(
    "softmax, default axis",
    "sum(softmax(X) * G)",
    {"X": X34, "G": G34},
    lambda t: (torch.softmax(t.X, -1) * t.G).sum(),
)
case(
    "softmax axis=0",
    "sum(softmax(X, axis=0) * G)",
    {"X": X34, "G": G34},
    lambda t: (torch.softmax(t.X, 0) * t.G).sum(),
)
case(
    "softmax axis=1",
    "sum(softmax(X, axis=1) * G)",
    {"X": X34, "G": G34},
    lambda t: (torch.softmax(t.X, 1) * t.G).sum(),
)
case(
    "softmax of a vector",
    "sum(softmax(v) * g)",
    {"v": rand(5), "g": rand(5)},
    lambda t: (torch.softmax(t.v, 0) * t.g).sum(),
)
case(
    "log_softmax, default axis",
    "sum(log_softmax(X) * G)",
    {"X": X34, "G": G34},
    lambda t: (torch.log_softmax(t.X, -1) * t.G).sum(),
)
case(
    "log_softmax axis=0",
    "sum(log_softmax(X, axis=0) * G)",
    {"X": X34, "G": G34},
    lambda t: (torch.log_softmax(t.X, 0) * t.G).sum(),
)
case(
    "log_softmax axis=1",
    "sum(log_softmax(X, axis=1) * G)",
    {"X": X34, "G": G34},
    lambda t: (torch.log_softmax(t.X, 1) * t.G).sum(),
)
case(
    "cross_entropy with repeated targets",
    "cross_entropy(logits, y)",
    {"logits": rand(4, 5), "y": ints([1, 4, 1, 0])},
    lambda t: F.cross_entropy(t.logits, t.y),
)
case(
    "cross_entropy of a linear layer",
    "cross_entropy(X @ W + b, y)",
    {"X": X34, "W": rand(4, 5), "b": rand(5), "y": ints([3, 3, 0])},
    lambda t: F.cross_entropy(t.X @ t.W + t.b, t.y),
)
case(
    "onehot against log_softmax (cross-entropy by hand)",
    "-sum(onehot(y, 4) * log_softmax(X)) / 3",
    {"X": X34, "y": ints([2, 0, 2])},
    lambda t: -(F.one_hot(t.y, 4).to(F64) * torch.log_softmax(t.X, -1)).sum() / 3,
)
case(
    "onehot in a squared error",
    "sum((softmax(X, axis=1) - onehot(y, 4))^2)",
    {"X": X34, "y": ints([3, 1, 0])},
    lambda t: ((torch.softmax(t.X, 1) - F.one_hot(t.y, 4).to(F64)) ** 2).sum(),
)

# --- The worked examples of ../shared/tensor-notes.md (L = sum(Y * G): G is the adjoint
# arriving at Y). Their published numbers are checked below, in NOTES.
case(
    "notes 1: matrix product",
    "Y = X @ W; L = sum(Y * G)",
    {
        "X": np.array([[1.0, 2, 3], [4, 5, 6]]),
        "W": np.array([[1.0, 0], [0, 1], [1, -1]]),
        "G": np.array([[1.0, 2], [3, 4]]),
    },
    lambda t: ((t.X @ t.W) * t.G).sum(),
)
case(
    "notes 2: cross-entropy, mean over 2 rows",
    "loss = cross_entropy(logits, targets)",
    {"logits": np.array([[1.0, 2, 3], [1, -1, 0]]), "targets": ints([2, 0])},
    lambda t: F.cross_entropy(t.logits, t.targets),
)
case(
    "notes 3: embedding with a repeated index",
    "Y = C[Xb]; L = sum(Y * G)",
    {
        "C": np.array([[1.0, 2], [3, 4], [5, 6], [7, 8]]),
        "Xb": ints([[0, 2], [2, 3]]),
        "G": np.array([[[1.0, 1], [2, 0]], [[0, 3], [1, -1]]]),
    },
    lambda t: (t.C[t.Xb] * t.G).sum(),
)
NOTES = {
    "notes 1: matrix product": {"X": [[1, 2, -1], [3, 4, -1]], "W": [[13, 18], [17, 24], [21, 30]]},
    "notes 2: cross-entropy, mean over 2 rows": {
        "value": 0.4076059644443804,
        "logits": [
            [0.0450152866, 0.1223642355, -0.1673795221],
            [-0.1673795221, 0.0450152866, 0.1223642355],
        ],
    },
    "notes 3: embedding with a repeated index": {"C": [[1, 1], [0, 0], [2, 3], [1, -1]]},
}


# --- The whole makemore part 4 network on the example batch: the lecture's forward pass,
# step for step as examples/makemore4.grad writes it (sum(...)/n for its 1/n*sum(...), and
# torch.amax for its max(1).values, the same here as there are no ties among the logits).
def makemore4(t):
    n = t.n
    emb = t.C[t.Xb]
    embcat = emb.view(n, -1)
    hprebn = embcat @ t.W1 + t.b1
    bnmeani = hprebn.sum(0, keepdim=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = t.bngain * bnraw + t.bnbias
    h = torch.tanh(hpreact)
    logits = h @ t.W2 + t.b2
    logit_maxes = torch.amax(logits, 1, keepdim=True)
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    return -logprobs[range(n), t.Yb].mean()


case(
    "makemore4",
    (ROOT / "examples" / "makemore4.grad").read_text(),
    json.loads((ROOT / "examples" / "makemore4-batch.json").read_text()),
    makemore4,
    tol=TOL_NETWORK,
)


def is_integer_data(value) -> bool:
    return np.asarray(value).dtype.kind in "iu"


def record(name, program, inputs, expression, tol) -> dict:
    tensors = {}
    for k, v in inputs.items():
        if is_integer_data(v):
            tensors[k] = int(v) if np.ndim(v) == 0 else torch.tensor(np.asarray(v))
        else:
            tensors[k] = torch.tensor(
                np.asarray(v, dtype=np.float64), dtype=F64, requires_grad=True
            )
    out = expression(SimpleNamespace(**tensors))
    assert out.dim() == 0, (name, out.shape)
    out.backward()
    gradient = {}
    for k, tensor in tensors.items():
        if torch.is_tensor(tensor) and tensor.requires_grad:
            assert tensor.grad is not None, (name, k, "the output does not use this input")
            gradient[k] = tensor.grad.tolist()
    return {
        "name": name,
        "program": program,
        "inputs": {k: np.asarray(v).tolist() for k, v in inputs.items()},
        "value": out.item(),
        "gradient": gradient,
        "tol": tol,
    }


def check_notes(recorded: list) -> None:
    """The worked examples must reproduce the numbers published in tensor-notes.md."""
    by_name = {c["name"]: c for c in recorded}
    for name, want in NOTES.items():
        got = by_name[name]
        for key, numbers in want.items():
            value = got["value"] if key == "value" else got["gradient"][key]
            np.testing.assert_allclose(value, numbers, rtol=1e-9, atol=1e-10, err_msg=name)


def to_json(obj, depth: int = 0) -> str:
    """JSON with each vector, or matrix row, on one line: the file stays readable and a
    diff shows which rows changed."""
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, depth + 1)}" for k, v in obj.items()]
    elif isinstance(obj, list) and any(isinstance(x, (list, dict)) for x in obj):
        items = [inner + to_json(x, depth + 1) for x in obj]
    else:
        return json.dumps(obj)
    opening, closing = ("{", "}") if isinstance(obj, dict) else ("[", "]")
    return opening + "\n" + ",\n".join(items) + "\n" + pad + closing


def main() -> None:
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    recorded = [record(*c) for c in CASES]
    check_notes(recorded)
    OUT.write_text(to_json(recorded) + "\n")
    print(f"{len(recorded)} cases written to {OUT.relative_to(ROOT)} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
