"""The ops that exist only for arrays, each beside its VJP and JVP.

Elementwise ops (`+`, `exp`, `tanh`, ...) are ops.py's, computed on arrays with NumPy
broadcasting; the contract sums their terms back to each operand's shape (`sum_to`).
The ops here are not elementwise, so, as the contract says, each gives one function per
operand: vjp[i](g, ans, *xs, **kw) is operand i's adjoint term for the adjoint g arriving,
jvp[i](t, ans, *xs, **kw) the result's tangent term from operand i's tangent t. `kw` holds
the step's keywords (axis, keepdims) and, for indexing, which subscripts are slices.
`rules` state the VJP in the tutorials' notation, {dy} standing for the adjoint arriving.
Operands listed in `integer` are integer data (indices, targets, sizes): no adjoint.

The conventions are PyTorch's float64 autograd: a max or min reduction splits the gradient
equally among tied entries (torch.amax), cross_entropy is F.cross_entropy with the mean
over the batch, an index repeated in a lookup collects every contribution (scatter-add).
tests/test_tensor_ops.py checks every VJP against central differences and every JVP
against its VJP; tests/test_tensor_reference.py against recorded PyTorch results.
"""

from __future__ import annotations

from typing import Optional

from .arrays import ShapeProblem, np, shape_text
from .ops import Op

TENSOR_OPS: dict[str, Op] = {}
# The names a program calls; max and min with one operand are reductions (with two,
# ops.py's elementwise max and min).
TENSOR_CALLS: dict[str, Op] = {}


def deftensor(name, arity, forward, vjp, jvp, rules, about, calls=(), **kw) -> Op:
    op = Op(
        name,
        arity,
        forward,
        None,
        tuple(rules),
        about,
        vjp=tuple(vjp),
        jvp=tuple(jvp),
        tensor=True,
        **kw,
    )
    TENSOR_OPS[name] = op
    for call in calls:
        TENSOR_CALLS[call] = op
    return op


# Operands and keywords, checked: each problem says what to write instead. ------------------
def _axis(x, axis) -> Optional[int]:
    if axis is None:
        return None
    ndim = np.ndim(x)
    if not isinstance(axis, int) and not float(axis).is_integer():
        raise ShapeProblem(f"axis must be a whole number, not {axis}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ShapeProblem(
            f"axis {axis} is out of range for an array of shape "
            f"{shape_text(np.shape(x))}"
            + (f" (axes run from {-ndim} to {ndim - 1})" if ndim else " (a number has no axes)")
        )
    return axis % ndim


def integers(value, what: str):
    """Integer data as an int64 array: every value must be a whole number."""
    a = np.asarray(value, dtype=float)
    if not np.all(a == np.round(a)):
        bad = a[a != np.round(a)].flat[0]
        raise ShapeProblem(f"{what} must be whole numbers, and {bad:g} is not")
    too_big = (a >= 2.0**63) | (a < -(2.0**63))  # past int64: astype would give a wrong number
    if np.any(too_big):
        raise ShapeProblem(
            f"{what} must be whole numbers that fit in 64 bits, and {a[too_big].flat[0]:g} does not"
        )
    return a.astype(np.int64)


def _size(value, what: str) -> int:
    a = integers(value, what)
    if a.ndim != 0:
        raise ShapeProblem(
            f"{what} must be one number, not an array of shape {shape_text(a.shape)}"
        )
    return int(a)


def _expand(g, x, axis, keepdims):
    """An adjoint of a reduction's result, broadcast back over the reduced axis."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


# Matrix product and transpose. ----------------------------------------------------------
def _matmul(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise ShapeProblem(
            "@ multiplies arrays; for a number use *: "
            f"{shape_text(np.shape(a))} @ {shape_text(np.shape(b))}"
        )
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise ShapeProblem(
            "@ takes vectors and matrices (1-D and 2-D): "
            f"{shape_text(np.shape(a))} @ {shape_text(np.shape(b))}"
        )
    inner_b = np.shape(b)[0]
    if np.shape(a)[-1] != inner_b:
        raise ShapeProblem(
            "@ needs the inner sizes to agree: "
            f"{shape_text(np.shape(a))} @ {shape_text(np.shape(b))}"
        )
    return np.matmul(a, b)


def _as_matrices(g, a, b):
    """1-D operands as NumPy's matmul treats them: a row (1, k) on the left, a column
    (k, 1) on the right; g reshaped to match. The rules are then the 2-D ones."""
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    return np.reshape(g, (a2.shape[0], b2.shape[1])), a2, b2


def _matmul_da(g, ans, a, b):
    g2, a2, b2 = _as_matrices(g, a, b)
    return (g2 @ b2.T).reshape(a.shape)


def _matmul_db(g, ans, a, b):
    g2, a2, b2 = _as_matrices(g, a, b)
    return (a2.T @ g2).reshape(b.shape)


deftensor(
    "matmul",
    2,
    _matmul,
    (_matmul_da, _matmul_db),
    (lambda t, ans, a, b: np.matmul(t, b), lambda t, ans, a, b: np.matmul(a, t)),
    ("{dy} @ {1}.T", "{0}.T @ {dy}"),
    "matrix product: each operand's adjoint is the adjoint arriving times the other "
    "operand transposed, on the side that makes the shapes fit",
    symbol="@",
)
deftensor(
    "transpose",
    1,
    lambda x: np.transpose(x),
    (lambda g, ans, x: np.transpose(g),),
    (lambda t, ans, x: np.transpose(t),),
    ("{dy}.T",),
    "transpose: the adjoint is transposed back",
    written="{0}.T",
)


# Reductions. --------------------------------------------------------------------------
_REDUCE = (("axis", None), ("keepdims", False))


def _reduction(fn, name=None):
    """A reduction's forward; with `name`, one that has no value over no entries (max, min,
    mean: NumPy raises or warns there, PyTorch raises or gives nan)."""

    def forward(x, axis=None, keepdims=False):
        axis = _axis(x, axis)
        if name is not None:
            _nonempty(x, axis, name)
        return fn(x, axis=axis, keepdims=bool(keepdims))

    return forward


def _nonempty(x, axis, name):
    shape = np.shape(x)
    if (np.size(x) if axis is None else shape[axis]) == 0:
        over = (
            "an empty array has no value"
            if axis is None
            else f"axis {axis} has no value: that axis is empty"
        )
        raise ShapeProblem(f"{name} over {over} (shape {shape_text(shape)})")


def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    return _expand(g, x, _axis(x, axis), keepdims).copy()


def _mean_vjp(g, ans, x, axis=None, keepdims=False):
    count = np.size(x) // max(np.size(ans), 1)
    return _expand(g, x, _axis(x, axis), keepdims) / count


def _extreme_mask(ans, x, axis, keepdims):
    """Where x attains its max (or min) along the axis, each share 1/number of ties:
    torch.amax's equal split."""
    hit = (x == _expand(ans, x, axis, keepdims)).astype(float)
    return hit / hit.sum(axis=axis, keepdims=True)


def _extreme_vjp(g, ans, x, axis=None, keepdims=False):
    axis = _axis(x, axis)
    return _expand(g, x, axis, keepdims) * _extreme_mask(ans, x, axis, keepdims)


def _extreme_jvp(t, ans, x, axis=None, keepdims=False):
    axis = _axis(x, axis)
    return np.sum(t * _extreme_mask(ans, x, axis, keepdims), axis=axis, keepdims=bool(keepdims))


deftensor(
    "sum",
    1,
    _reduction(lambda x, **k: np.sum(x, **k)),
    (_sum_vjp,),
    (
        lambda t, ans, x, axis=None, keepdims=False: np.sum(
            t, axis=_axis(x, axis), keepdims=bool(keepdims)
        ),
    ),
    ("{dy}",),
    "sum: every entry summed receives the adjoint of the sum, unchanged (broadcast "
    "back over the summed axis)",
    calls=("sum",),
    keywords=_REDUCE,
)
deftensor(
    "mean",
    1,
    _reduction(lambda x, **k: np.mean(x, **k), "mean"),
    (_mean_vjp,),
    (
        lambda t, ans, x, axis=None, keepdims=False: np.mean(
            t, axis=_axis(x, axis), keepdims=bool(keepdims)
        ),
    ),
    ("{dy}/n",),
    "mean: every entry receives the adjoint divided by how many were averaged",
    calls=("mean",),
    keywords=_REDUCE,
)
deftensor(
    "amax",
    1,
    _reduction(lambda x, **k: np.max(x, **k), "max"),
    (_extreme_vjp,),
    (_extreme_jvp,),
    ("{dy} where {0} is the maximum",),
    "max over an axis: the adjoint goes to the largest entry (tied entries share it "
    "equally, as torch.amax)",
    calls=("max",),
    keywords=_REDUCE,
)
deftensor(
    "amin",
    1,
    _reduction(lambda x, **k: np.min(x, **k), "min"),
    (_extreme_vjp,),
    (_extreme_jvp,),
    ("{dy} where {0} is the minimum",),
    "min over an axis: the adjoint goes to the smallest entry (tied entries share it "
    "equally, as torch.amin)",
    calls=("min",),
    keywords=_REDUCE,
)


# Shape and indexing. ------------------------------------------------------------------
def _reshape(x, *dims):
    sizes = [_size(d, "reshape's sizes") for d in dims]
    if not sizes:
        raise ShapeProblem("reshape needs the new sizes: reshape(x, rows, columns)")
    if len(sizes) > 32:
        raise ShapeProblem(f"reshape makes at most 32 axes, not {len(sizes)}")
    if sizes.count(-1) > 1:
        raise ShapeProblem("reshape allows one -1 (the size worked out from the others)")
    if any(d < -1 or d == 0 for d in sizes):
        raise ShapeProblem(f"reshape's sizes must be positive (or one -1), not {tuple(sizes)}")
    known = int(np.prod([d for d in sizes if d != -1]))
    total = int(np.size(x))
    if (-1 in sizes and total % known) or (-1 not in sizes and known != total):
        raise ShapeProblem(
            f"cannot reshape an array of shape {shape_text(np.shape(x))} "
            f"({total} entries) into {tuple(sizes)}"
        )
    return np.reshape(x, sizes)


deftensor(
    "reshape",
    -1,
    _reshape,
    (lambda g, ans, x, *dims: np.reshape(g, np.shape(x)),),
    (lambda t, ans, x, *dims: np.reshape(t, np.shape(ans)),),
    ("reshape({dy}, shape of {0})",),
    "reshape: the same entries in a new shape; the adjoint is reshaped back",
    calls=("reshape",),
    integer=tuple(range(1, 33)),
)


def _key(x, idx, spec):
    """A NumPy index from the subscripts: integer operands as int64 arrays, slices as
    written. Each subscript applies to the next axis."""
    if len(spec) > np.ndim(x):
        raise ShapeProblem(
            f"too many subscripts ({len(spec)}) for an array of shape {shape_text(np.shape(x))}"
        )
    operands = iter(idx)
    key = []
    for axis, item in enumerate(spec):
        if item is not None:
            key.append(slice(*item))
            continue
        k = integers(next(operands), "indices")
        size = np.shape(x)[axis]
        if k.size and (k.max() >= size or k.min() < -size):
            bad = int(k.max()) if k.max() >= size else int(k.min())
            raise ShapeProblem(
                f"index {bad} is out of range for axis {axis} of size {size} "
                f"(shape {shape_text(np.shape(x))})"
            )
        key.append(k)
    return tuple(key)


def _index(x, *idx, spec=()):
    try:
        return np.asarray(x)[_key(x, idx, spec)]
    except IndexError as exc:  # index arrays whose shapes do not broadcast together
        raise ShapeProblem(f"the indices do not fit together: {exc}") from None


def _index_vjp(g, ans, x, *idx, spec=()):
    # Scatter-add: np.add.at adds at a repeated index as often as it appears, where
    # `out[key] += g` would keep only one of the contributions.
    out = np.zeros(np.shape(x))
    np.add.at(out, _key(x, idx, spec), g)
    return out


deftensor(
    "index",
    -1,
    _index,
    (_index_vjp,),
    (lambda t, ans, x, *idx, spec=(): np.asarray(t)[_key(x, idx, spec)],),
    ("scatter-add {dy} into zeros of {0}'s shape",),
    "indexing (a lookup): the adjoint is scattered back to the entries picked, and an "
    "entry picked twice collects both (scatter-add)",
    integer=tuple(range(1, 33)),
    keywords=(("spec", ()),),
)


def _arange(n):
    size = _size(n, "range's size")
    if size < 0:  # np.arange(-1) is empty; torch.arange(-1) raises
        raise ShapeProblem(f"range's size must not be negative, not {size}")
    return np.arange(size, dtype=float)


deftensor(
    "arange",
    1,
    _arange,
    (None,),
    (None,),
    (),
    "the numbers 0, 1, ..., n-1",
    calls=("arange", "range"),
    integer=(0,),
)


def _onehot(y, k):
    k = _size(k, "onehot's number of classes")
    labels = integers(y, "onehot's labels")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ShapeProblem(
            f"onehot's labels must lie in 0..{k - 1}, and "
            f"{int(labels.max() if labels.max() >= k else labels.min())} does not"
        )
    return np.eye(k)[labels]


deftensor(
    "onehot",
    2,
    _onehot,
    (None, None),
    (None, None),
    (),
    "onehot(y, k): row i is 1 at column y[i], 0 elsewhere",
    calls=("onehot",),
    integer=(0, 1),
)


# Softmax and cross-entropy. -----------------------------------------------------------
def _log_softmax(x, axis=-1):
    axis = _axis(x, axis)
    if np.size(x) == 0:  # no entries, nothing to normalise (np.max would raise)
        return np.zeros(np.shape(x))
    shifted = x - np.max(x, axis=axis, keepdims=True)  # the numerically stable form
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(x, axis=-1):
    axis = _axis(x, axis)
    if np.size(x) == 0:
        return np.zeros(np.shape(x))
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _softmax_vjp(g, ans, x, axis=-1):
    # The softmax Jacobian is diag(p) - p pᵀ along the axis, and it is symmetric, so the
    # same expression is the JVP.
    axis = _axis(x, axis)
    return ans * (g - np.sum(g * ans, axis=axis, keepdims=True))


def _log_softmax_vjp(g, ans, x, axis=-1):
    axis = _axis(x, axis)
    return g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, x, axis=-1):
    axis = _axis(x, axis)
    return t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)


_AXIS = (("axis", -1),)
deftensor(
    "softmax",
    1,
    _softmax,
    (_softmax_vjp,),
    (_softmax_vjp,),
    ("{y} * ({dy} - sum({dy} * {y}, axis, keepdims=true))",),
    "softmax along an axis: exp(x) / sum(exp(x)), computed with the maximum "
    "subtracted so exp cannot overflow",
    calls=("softmax",),
    keywords=_AXIS,
)
deftensor(
    "log_softmax",
    1,
    _log_softmax,
    (_log_softmax_vjp,),
    (_log_softmax_jvp,),
    ("{dy} - exp({y}) * sum({dy}, axis, keepdims=true)",),
    "log of softmax along an axis: x - max - log(sum(exp(x - max)))",
    calls=("log_softmax",),
    keywords=_AXIS,
)


def _targets(logits, targets):
    """The targets as integers that fit the logits: one per row of (n, C) logits."""
    t = integers(targets, "cross_entropy's targets")
    classes = np.shape(logits)[-1] if np.ndim(logits) else 0
    if np.ndim(logits) not in (1, 2):
        raise ShapeProblem(
            "cross_entropy takes logits of shape (n, classes) or (classes,), "
            f"not {shape_text(np.shape(logits))}"
        )
    if np.size(logits) == 0:  # no class to pick, or no row to average over
        raise ShapeProblem(
            "cross_entropy needs at least one row and one class, not logits "
            f"of shape {shape_text(np.shape(logits))}"
        )
    want = np.shape(logits)[:-1]
    if t.shape != want:
        raise ShapeProblem(
            f"cross_entropy needs one target per row: logits "
            f"{shape_text(np.shape(logits))}, targets {shape_text(t.shape)} "
            f"(want {shape_text(want)})"
        )
    if t.size and (t.min() < 0 or t.max() >= classes):
        bad = int(t.max() if t.max() >= classes else t.min())
        raise ShapeProblem(
            f"cross_entropy's targets must lie in 0..{classes - 1}, and {bad} does not"
        )
    return t


def _picked(a, t):
    """a[i, t[i]] for every row (or a[t] for one row of logits)."""
    return a[t] if np.ndim(a) == 1 else a[np.arange(len(t)), t]


def _cross_entropy(logits, targets):
    t = _targets(logits, targets)
    return -np.mean(_picked(_log_softmax(logits), t))


def _cross_entropy_vjp(g, ans, logits, targets):
    # (softmax(logits) - onehot(targets)) / n: the closed form makemore arrives at.
    t = _targets(logits, targets)
    p = _softmax(logits)
    if np.ndim(logits) == 1:
        p[t] -= 1.0
        return p * g
    p[np.arange(len(t)), t] -= 1.0
    return p * (g / len(t))


def _cross_entropy_jvp(t_logits, ans, logits, targets):
    t = _targets(logits, targets)
    p = _softmax(logits)
    per_row = np.sum(p * t_logits, axis=-1) - _picked(t_logits, t)
    return np.mean(per_row)


deftensor(
    "cross_entropy",
    2,
    _cross_entropy,
    (_cross_entropy_vjp, None),
    (_cross_entropy_jvp, None),
    ("(softmax({0}) - onehot({1})) / n * {dy}",),
    "cross-entropy of integer targets, averaged over the rows (PyTorch's F.cross_entropy)",
    calls=("cross_entropy",),
    integer=(1,),
)


# Values drawn at random, for inputs only: `--W "randn(64, 27) * 0.1"`. ------------------
# Not for programs, which are functions of their inputs: a constructor in a value gives a
# constant array. Each input draws from its own generator, seeded with (--seed, its name),
# so a value does not change when another is added or the options are reordered.
CONSTRUCTORS: dict[str, Op] = {}
_generator = None


class drawing:
    """`with drawing(seed, name):` the constructors draw from this input's generator."""

    def __init__(self, seed: int, name: str):
        import zlib

        self.key = [int(seed), zlib.crc32(name.encode("utf-8"))]

    def __enter__(self):
        global _generator
        _generator = self.key  # the generator is made at the first draw (_rng)

    def __exit__(self, *exc):
        global _generator
        _generator = None


def _shape_of(dims, what):
    sizes = tuple(_size(d, f"{what}'s sizes") for d in dims)
    if any(d < 0 for d in sizes):
        raise ShapeProblem(f"{what}'s sizes must not be negative, not {sizes}")
    return sizes


def _constructor(name, arity, make, about):
    op = Op(
        name, arity, make, None, (), about, vjp=(), jvp=(), tensor=True, integer=tuple(range(64))
    )
    CONSTRUCTORS[name] = op


def _rng():
    global _generator
    if _generator is None:
        raise ShapeProblem("random values are drawn only in the values given for inputs")
    if isinstance(_generator, list):
        _generator = np.random.default_rng(_generator)
    return _generator


_constructor(
    "randn",
    -1,
    lambda *d: _rng().standard_normal(_shape_of(d, "randn")),
    "randn(d1, d2, ...): standard normal numbers of that shape",
)
_constructor(
    "rand",
    -1,
    lambda *d: _rng().random(_shape_of(d, "rand")),
    "rand(d1, d2, ...): uniform numbers in [0, 1) of that shape",
)
_constructor(
    "zeros", -1, lambda *d: np.zeros(_shape_of(d, "zeros")), "zeros(d1, d2, ...): an array of zeros"
)
_constructor(
    "ones", -1, lambda *d: np.ones(_shape_of(d, "ones")), "ones(d1, d2, ...): an array of ones"
)


def _randint(k, *dims):
    bound = _size(k, "randint's bound")
    if bound < 1:
        raise ShapeProblem(
            f"randint(k, ...) draws whole numbers in 0..k-1, so k must be at least 1, not {bound}"
        )
    return _rng().integers(0, bound, _shape_of(dims, "randint")).astype(float)


_constructor(
    "randint", -1, _randint, "randint(k, d1, ...): whole numbers in 0..k-1 (torch.randint(k, size))"
)
