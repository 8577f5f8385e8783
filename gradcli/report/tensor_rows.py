"""The backward pass of a tensor program in matrix form, with shapes and the reason.

For each chain-rule term the engine recorded (a Contribution), `tensor_step` writes
  formula  `W̄ += Xᵀ @ Ȳ`: the op's VJP with the step's own names, {dy} the adjoint arriving
           (`W̄ = ...` for the first contribution to W̄, which is taken as it is)
  shapes   `(3, 2) ← (2, 3)ᵀ @ (2, 2)`: the term's shape and the shapes it is made of
  why      the reason, from the shapes and values at hand: dimension analysis for @, what
           was broadcast (the adjoint of a broadcast is a sum), how a reduction's adjoint is
           broadcast back (and the 1/n of a mean), where a maximum's adjoint goes (ties
           split), which entries a lookup picked more than once (scatter-add).
The numbers are the engine's; every sentence is made from the values and shapes of this
evaluation, so it is true of the program it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.arrays import broadcast_axes, np, shape_text
from ..core.engine import Contribution, Evaluation
from ..core.notation import Notation, assigns, contribution_of, fmt
from ..core.tape import fill, subscripts
from .tensors import array_lines, wrap_words


@dataclass
class TensorStep:
    formula: str  # W̄ += Xᵀ @ Ȳ
    shapes: str  # (3, 2) ← (2, 3)ᵀ @ (2, 2)
    why: list = field(default_factory=list)  # sentences
    broadcast: tuple = ()  # the axes an elementwise operand was broadcast along


class _Words:
    """The names of one step, written in one notation."""

    def __init__(self, ev: Evaluation, c: Contribution, nt: Notation):
        tape = ev.tape
        self.ev, self.c, self.nt = ev, c, nt
        self.step = tape.steps[c.node]
        self.args = self.step.args
        self.names = [tape.operand(a) for a in self.args]
        self.y = tape.label(c.node)
        self.dy = nt.bar(self.y)
        self.x = self.names[c.position]
        self.dx = nt.bar(tape.label(c.input))
        self.y_shape = tuple(np.shape(ev.values[c.node]))
        self.x_shape = tuple(np.shape(ev.values[c.input]))
        self.attrs = self.step.attrs or {}

    def shape(self, k: int) -> tuple:
        return tuple(np.shape(self.ev.values[self.args[k]]))

    def value(self, k: int):
        return np.asarray(self.ev.values[self.args[k]], dtype=float)

    def T(self, name: str) -> str:
        return f"{name}.T" if self.nt.ascii else f"{name}ᵀ"

    @property
    def arrow(self) -> str:
        return "<-" if self.nt.ascii else "←"

    def sigma(self, index: str) -> str:
        if self.nt.ascii:
            return f"sum over {index} of "
        return "Σ" + {"i": "ᵢ", "j": "ⱼ", "k": "ₖ"}[index] + " "

    @property
    def dot(self) -> str:
        return "*" if self.nt.ascii else "·"


S = shape_text


def tensor_step(ev: Evaluation, c: Contribution, nt: Notation) -> TensorStep:
    w = _Words(ev, c, nt)
    op = w.step.op
    if not op.tensor:
        s = _elementwise(w)
    elif op.name in _BUILDERS:
        s = _BUILDERS[op.name](w)
    else:
        # An op this module does not know: its own VJP text, its shapes, its description.
        text = fill(op.rules[c.position], w.names, w.y).replace("{dy}", w.dy)
        s = TensorStep(f"{w.dx} += {text}", f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)}", [op.about])
    formula = s.formula
    if c.count == 1 and formula.startswith(f"{w.dx} += "):
        # The first contribution is the adjoint (=), a later one is added to it (+=).
        formula = f"{w.dx} = " + formula[len(f"{w.dx} += ") :]
    return TensorStep(nt.text(formula), nt.text(s.shapes), [nt.text(t) for t in s.why], s.broadcast)


# --- elementwise ops: local derivative times the adjoint, summed over broadcast axes ----
def _elementwise(w: _Words) -> TensorStep:
    tape, c = w.ev.tape, w.c
    rule = tape.rule(c.node, c.position)
    if rule == "1":
        term, how = w.dy, f"∂{w.y}/∂{w.x} = 1: {w.dy} passes through unchanged"
    elif rule == "-1":
        term, how = f"-{w.dy}", f"∂{w.y}/∂{w.x} = -1: {w.dy} passes through with its sign flipped"
    else:
        factor = rule if _atom(rule) else f"({rule})"
        term = f"{factor} * {w.dy}"
        how = (
            f"elementwise: ∂{w.y}/∂{w.x} = {rule}, entry by entry, times the matching "
            f"entry of {w.dy}"
            if w.y_shape
            else f"∂{w.y}/∂{w.x} = {rule}, times {w.dy}"
        )
    axes = broadcast_axes(w.x_shape, w.y_shape) if w.x_shape != w.y_shape else ()
    why = [how]
    if axes:
        formula = f"{w.dx} += {_sum_back(term, w.x_shape, w.y_shape)}"
        shapes = f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)} summed over {_axes_words(axes)}"
        why.append(_broadcast_sentence(w, axes))
    else:
        formula = f"{w.dx} += {term}"
        shapes = f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)}"
    return TensorStep(formula, shapes, why, tuple(axes))


def _atom(text: str) -> bool:
    return all(ch.isalnum() or ch in "_.'" for ch in text.lstrip("-"))


def _axes_words(axes) -> str:
    axes = list(axes)
    if len(axes) == 1:
        return f"axis {axes[0]}"
    return "axes " + ", ".join(map(str, axes[:-1])) + f" and {axes[-1]}"


def _axis_arg(axes) -> str:
    axes = list(axes)
    return str(axes[0]) if len(axes) == 1 else "(" + ", ".join(map(str, axes)) + ")"


def _sum_back(term: str, shape: tuple, out: tuple) -> str:
    """The sum that undoes a broadcast from `shape` to `out`, in NumPy's words:
    sum(g, axis=0) for axes added in front, keepdims=true for axes stretched from 1."""
    lead = len(out) - len(shape)
    added = tuple(range(lead))
    stretched = tuple(k for k, d in enumerate(shape) if d == 1 and out[lead + k] != 1)
    if not shape:
        return f"sum({term})"
    text = term
    if added:
        text = f"sum({text}, axis={_axis_arg(added)})"
    if stretched:
        text = f"sum({text}, axis={_axis_arg(stretched)}, keepdims=true)"
    return text


def _broadcast_sentence(w: _Words, axes) -> str:
    lead = len(w.y_shape) - len(w.x_shape)
    added = [k for k in axes if k < lead]
    stretched = [k for k in axes if k >= lead]
    uses = int(np.prod(w.y_shape)) // max(int(np.prod(w.x_shape)), 1)
    if not w.x_shape:
        what = f"{w.x} (a number) was broadcast to {S(w.y_shape)}"
    else:
        how = []
        if added:
            how.append(
                ("a new axis " if len(added) == 1 else "new axes ")
                + ", ".join(map(str, added))
                + " in front"
            )
        if stretched:
            how.append("stretched from size 1 along " + _axes_words(stretched))
        what = f"{w.x} {S(w.x_shape)} was broadcast to {S(w.y_shape)} ({'; '.join(how)})"
    text = (
        f"{what}, so each entry of {w.x} was used {uses} times; the adjoint of a "
        f"broadcast is a sum over the broadcast axes, which brings {w.dx} back to "
        f"{w.x}'s shape {S(w.x_shape)}"
    )
    if stretched:
        text += " (keepdims=true keeps the size-1 axes)"
    return text


# --- matrix product -------------------------------------------------------------------
def _matmul(w: _Words) -> TensorStep:
    a, b = w.names
    A, B, Y = w.shape(0), w.shape(1), w.y_shape
    dy, dx = w.dy, w.dx
    if len(A) == 2 and len(B) == 2:
        return _matmul_2d(w, a, b, A, B, Y)
    if len(A) == 1 and len(B) == 1:
        other = b if w.c.position == 0 else a
        return TensorStep(
            f"{dx} += {dy} * {other}",
            f"{S(w.x_shape)} {w.arrow} () * {S(w.x_shape)}",
            [
                f"{a} @ {b} of two vectors {S(A)} is their dot product "
                f"{w.sigma('k')}{a}[k]{w.dot}{b}[k], one number: ∂{w.y}/∂{w.x} = {other}, so "
                f"{dx} = {dy} * {other} ({dy} is a number)"
            ],
        )
    if len(A) == 1:  # a (k,) @ B (k, n) -> (n,): a is read as a row
        row = (
            f"{a} {S(A)} is 1-D: NumPy's @ reads it as a row (1, {A[0]}), so "
            f"{w.y} = {a} @ {b} has shape {S(Y)}"
        )
        if w.c.position == 0:
            return TensorStep(
                f"{dx} += {dy} @ {w.T(b)}",
                f"{S(A)} {w.arrow} {S(Y)} @ {S(B)}{_t(w)}",
                [
                    row + f"; {dx} must have {a}'s shape {S(A)}: {dy} {S(Y)} @ {w.T(b)} "
                    f"{S(B[::-1])} gives it"
                ],
            )
        return TensorStep(
            f"{dx} += outer({a}, {dy})",
            f"{S(B)} {w.arrow} outer({S(A)}, {S(Y)})",
            [
                row + f"; {dx} must have {b}'s shape {S(B)}: the outer product of {a} and "
                f"{dy}, {a} as a column ({A[0]}, 1) times {dy} as a row (1, {Y[0]}) (for a "
                f"vector NumPy's .T changes nothing, so {w.T(a)} @ {dy} is not this)"
            ],
        )
    # A (m, k) @ b (k,) -> (m,): b is read as a column
    col = (
        f"{b} {S(B)} is 1-D: NumPy's @ reads it as a column ({B[0]}, 1), so "
        f"{w.y} = {a} @ {b} has shape {S(Y)}"
    )
    if w.c.position == 0:
        return TensorStep(
            f"{dx} += outer({dy}, {b})",
            f"{S(A)} {w.arrow} outer({S(Y)}, {S(B)})",
            [
                col + f"; {dx} must have {a}'s shape {S(A)}: the outer product of {dy} and "
                f"{b}, {dy} as a column ({Y[0]}, 1) times {b} as a row (1, {B[0]}) (for a "
                f"vector NumPy's .T changes nothing, so {dy} @ {w.T(b)} is not this)"
            ],
        )
    return TensorStep(
        f"{dx} += {w.T(a)} @ {dy}",
        f"{S(B)} {w.arrow} {S(A)}{_t(w)} @ {S(Y)}",
        [
            col + f"; {dx} must have {b}'s shape {S(B)}: {w.T(a)} {S(A[::-1])} @ {dy} "
            f"{S(Y)} gives it"
        ],
    )


def _t(w: _Words) -> str:
    return ".T" if w.nt.ascii else "ᵀ"


def _products(w: _Words, p: str, P: tuple, q: str, Q: tuple) -> list:
    """(text, shape) of every product of p and q, either order, either transposed."""
    found = []
    for left_first in (True, False):
        for tp in (False, True):
            for tq in (False, True):
                pn, ps = (w.T(p), P[::-1]) if tp else (p, P)
                qn, qs = (w.T(q), Q[::-1]) if tq else (q, Q)
                (ln, ls), (rn, rs) = ((pn, ps), (qn, qs)) if left_first else ((qn, qs), (pn, ps))
                if ls[1] == rs[0]:
                    found.append((f"{ln} @ {rn}", (ls[0], rs[1])))
    return found


def _matmul_2d(w: _Words, a, b, A, B, Y) -> TensorStep:
    # The index form is this row's term (`=` or `+=`, as its formula): where the operand is
    # used again elsewhere, its adjoint is more than this sum.
    dy, dx = w.dy, w.dx
    eq = assigns(w.c.count)
    t = _t(w)
    if w.c.position == 0:
        chosen, target = f"{dy} @ {w.T(b)}", A
        formula = f"{dx} += {chosen}"
        shapes = f"{S(A)} {w.arrow} {S(Y)} @ {S(B)}{t}"
        parts = f"{dy} {S(Y)} @ {w.T(b)} {S(B[::-1])}"
        candidates = _products(w, dy, Y, b, B)
        index = f"{dx}[i, k] {eq} {w.sigma('j')}{dy}[i, j]{w.dot}{b}[k, j], which is {chosen}"
        of = f"{dy} and {b}"
    else:
        chosen, target = f"{w.T(a)} @ {dy}", B
        formula = f"{dx} += {chosen}"
        shapes = f"{S(B)} {w.arrow} {S(A)}{t} @ {S(Y)}"
        parts = f"{w.T(a)} {S(A[::-1])} @ {dy} {S(Y)}"
        candidates = _products(w, a, A, dy, Y)
        index = f"{dx}[k, j] {eq} {w.sigma('i')}{a}[i, k]{w.dot}{dy}[i, j], which is {chosen}"
        of = f"{a} and {dy}"
    fits = [text for text, shape in candidates if shape == target]
    others = [text for text in fits if text != chosen]
    lead = f"{dx} must have {w.x}'s shape {S(target)}; "
    if not others:
        why = lead + (
            f"{parts} is the one product of {of} (either order, either transposed) with that shape"
        )
    else:
        verb = "does" if len(others) == 1 else "do"
        why = lead + (
            f"{parts} has it, but so {verb} {_join(others)}, so the shapes "
            f"alone do not decide: the index form does, {index}"
        )
    return TensorStep(formula, shapes, [why])


def _join(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _transpose(w: _Words) -> TensorStep:
    return TensorStep(
        f"{w.dx} += {w.T(w.dy)}",
        f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)}{_t(w)}",
        [
            f"{w.y}[i, j] = {w.x}[j, i], so the adjoint is transposed back"
            if len(w.x_shape) == 2
            else "transposing reverses the axes; the adjoint's axes are reversed back"
        ],
    )


# --- reductions -----------------------------------------------------------------------
def _reduced_axis(w: _Words):
    axis = w.attrs.get("axis")
    if axis is None:
        return None
    nd = len(w.x_shape)
    return int(axis) % nd if nd else None


def _back(w: _Words):
    """How the adjoint of a reduction reaches every entry reduced: (expression, sentence)."""
    ax = _reduced_axis(w)
    keep = bool(w.attrs.get("keepdims", False))
    X, Y = w.x_shape, w.y_shape
    if ax is None or not Y:
        return w.dy, (f"{w.dy} {S(Y)} is broadcast back to {w.x}'s shape {S(X)}")
    if keep:
        return w.dy, (
            f"{w.dy} {S(Y)} kept axis {ax} as size 1 (keepdims=true), so it "
            f"broadcasts straight back along axis {ax} to {S(X)}"
        )
    if ax == 0:
        return w.dy, (
            f"{w.dy} {S(Y)} lines up with the last axes of {S(X)}, so it "
            f"broadcasts back along the reduced axis 0"
        )
    kept = tuple(1 if k == ax else d for k, d in enumerate(X))
    try:
        fits = np.broadcast_shapes(Y, X) == X
    except ValueError:
        fits = False
    wrong = (
        "would line it up with the last axes and pair the wrong entries"
        if fits
        else f"would not broadcast {S(Y)} against {S(X)}"
    )
    return (
        f"reshape({w.dy}, {', '.join(map(str, kept))})",
        f"the reduction dropped axis {ax}, so {w.dy} {S(Y)} first gets it back as size "
        f"1, {S(kept)}, then broadcasts along axis {ax} to {S(X)} (without the reshape "
        f"NumPy {wrong})",
    )


def _over(w: _Words) -> str:
    ax = _reduced_axis(w)
    if ax is None:
        return "over all entries"
    keep = " with keepdims=true" if w.attrs.get("keepdims") else ""
    return f"over axis {ax}{keep}"


def _sum(w: _Words) -> TensorStep:
    back, how = _back(w)
    return TensorStep(
        f"{w.dx} += {back}",
        f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)} broadcast",
        [
            f"sum {_over(w)}: every entry of {w.x} is added once, so each "
            f"receives the adjoint of its sum unchanged; {how}"
        ],
    )


def _mean(w: _Words) -> TensorStep:
    back, how = _back(w)
    n = int(np.prod(w.x_shape)) // max(int(np.prod(w.y_shape)), 1)
    return TensorStep(
        f"{w.dx} += {back} / n",
        f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)} broadcast, n = {n}",
        [
            f"mean {_over(w)}: each result averages n = {n} entries, so each "
            f"entry receives 1/{n} of its mean's adjoint; {how}"
        ],
    )


def _extreme(w: _Words) -> TensorStep:
    kind = "maximum" if w.step.op.name == "amax" else "minimum"
    back, how = _back(w)
    ax = _reduced_axis(w)
    x = w.value(0)
    y = np.asarray(w.ev.values[w.c.node], dtype=float)
    keep = bool(w.attrs.get("keepdims", False))
    full = np.expand_dims(y, ax) if ax is not None and not keep else y
    hit = x == np.broadcast_to(full, x.shape)
    if ax is None or x.ndim == 1:  # one maximum for the whole array
        counts = np.asarray(hit.sum())
        group = groups_word = ""
    else:
        counts = hit.sum(axis=ax, keepdims=True)
        if x.ndim == 2:
            group = "row" if ax == 1 else "column"
            groups_word = group + "s"
        else:
            group, groups_word = f"slice along axis {ax}", f"slices along axis {ax}"
    where = f"each {group}'s {kind}" if group else f"the {kind}"
    why = [f"{kind} {_over(w)}: the adjoint goes to {where}; every other entry receives 0", how]
    tied = counts > 1
    if tied.any():
        first = tuple(int(k) for k in np.argwhere(tied)[0])
        mark = np.zeros(counts.shape, dtype=bool)
        mark[first] = True
        entries = np.argwhere(hit & np.broadcast_to(mark, x.shape))
        value = float(x[tuple(entries[0])])
        shown = [f"{w.x}[{', '.join(str(int(k)) for k in e)}]" for e in entries[:4]]
        if len(entries) > 4:
            shown.append(f"{len(entries) - 4} more")
        n = len(entries)
        if group:
            count = int(tied.sum())
            lead = (
                f"{'a tie' if count == 1 else 'ties'}: in {count} of {counts.size} "
                f"{groups_word} the {kind} is reached more than once"
            )
            share = f"1/{n} of that {group}'s adjoint"
        else:
            lead = f"a tie: the {kind} {fmt(value)} is reached {n} times"
            share = f"1/{n} of {w.dy}"
        torch = "torch.amax" if kind == "maximum" else "torch.amin"
        why.append(
            f"{lead}; {_join(shown)} {'both' if n == 2 else 'all'} equal "
            f"{fmt(value)}, so each receives "
            f"{share} (ties split equally, as {torch})"
        )
    formula = f"{w.dx} += {back} where {w.x} is the {kind}"
    return TensorStep(formula, f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)} broadcast", why)


# --- shape and lookup -----------------------------------------------------------------
def _reshape(w: _Words) -> TensorStep:
    dims = ", ".join(map(str, w.x_shape))
    return TensorStep(
        f"{w.dx} += reshape({w.dy}, {dims})",
        f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)}",
        [
            f"reshape keeps every entry in order and changes only the shape, so "
            f"the adjoint is reshaped back to {w.x}'s shape {S(w.x_shape)}"
        ],
    )


def _index(w: _Words) -> TensorStep:
    x = w.value(0)
    spec = w.attrs.get("spec", ())
    subs = subscripts(spec, w.names[1:])
    picks = _picks(w, x, spec)
    formula = f"{w.dx} += scatter-add {w.dy} into zeros of {w.x}'s shape"
    shapes = f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)} at [{subs}]"
    why = [
        f"{w.y} = {w.x}[{subs}] picks entries of {w.x}; each pick sends its adjoint back "
        f"to where it came from, added (np.add.at), and entries not picked receive 0"
    ]
    if picks is not None:
        repeated, unpicked = picks
        if repeated:
            said = []
            for desc, count in repeated[:3]:
                said.append(
                    f"{desc} was picked twice: its adjoint adds both contributions"
                    if count == 2
                    else f"{desc} was picked {count} times: its adjoint adds all {count} "
                    "contributions"
                )
            more = len(repeated) - 3
            text = "; ".join(said)
            if more > 0:
                text += f"; {more} more {'was' if more == 1 else 'were'} picked more than once"
            why.append(
                text + f" ({w.dx}[{subs}] += {w.dy} in NumPy would keep only one "
                "contribution per repeated index: the scatter must add)"
            )
        else:
            why.append("no entry was picked twice here, so each receives at most one contribution")
        if unpicked:
            why.append(unpicked)
    return TensorStep(formula, shapes, why)


def _picks(w: _Words, x, spec):
    """Which parts of x a lookup picked more than once, in words, and which it never
    picked; None when the subscripts cannot be read back (they always can for a step
    the engine evaluated)."""
    operands = iter(range(1, len(w.args)))
    axes, arrays = [], []
    for axis, item in enumerate(spec):
        if item is None:
            k = next(operands)
            idx = np.asarray(w.value(k)).astype(np.int64)
            arrays.append(idx % x.shape[axis])
            axes.append(axis)
    if not arrays:
        return None
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError:
        return None
    tuples = (
        np.stack([a.ravel() for a in arrays], axis=1)
        if arrays[0].size
        else np.zeros((0, len(arrays)), dtype=np.int64)
    )
    found, counts = np.unique(tuples, axis=0, return_counts=True)
    full = [item is not None and item == (None, None) for item in spec]
    rest_full = all(full[k] for k in range(len(spec)) if k not in axes)
    words = []
    for row, count in zip(found.tolist(), counts.tolist()):
        if count > 1:
            words.append((_part(w.x, x, spec, axes, row, rest_full), int(count)))
    unpicked = ""
    if axes == [0] and rest_full and x.ndim <= 2:
        never = sorted(set(range(x.shape[0])) - set(found[:, 0].tolist()))
        if never and x.ndim == 2:
            rows = ", ".join(map(str, never[:6])) + (", ..." if len(never) > 6 else "")
            unpicked = (
                f"row{'s' if len(never) > 1 else ''} {rows} of {w.x} "
                f"{'were' if len(never) > 1 else 'was'} never picked: "
                f"{'their' if len(never) > 1 else 'its'} adjoint stays 0"
            )
    return words, unpicked


def _part(name: str, x, spec, axes, row, rest_full) -> str:
    if x.ndim == 2 and rest_full and axes == [0]:
        return f"row {row[0]} of {name}"
    if x.ndim == 2 and rest_full and axes == [1]:
        return f"column {row[0]} of {name}"
    if len(axes) == x.ndim and len(spec) == x.ndim:
        return f"entry [{', '.join(map(str, row))}] of {name}"
    values = iter(row)
    items = []
    for item in spec:
        if item is None:
            items.append(str(next(values)))
        else:
            start, stop = item
            items.append(f"{'' if start is None else start}:{'' if stop is None else stop}")
    return f"{name}[{', '.join(items)}]"


# --- softmax and cross-entropy --------------------------------------------------------
def _softmax_axis(w: _Words) -> int:
    nd = len(w.x_shape)
    return int(w.attrs.get("axis", -1)) % nd if nd else 0


def _vjp_text(w: _Words, axis: int) -> str:
    text = fill(w.step.op.rules[w.c.position], w.names, w.y).replace("{dy}", w.dy)
    return text.replace(", axis,", f", axis={axis},")


def _softmax(w: _Words) -> TensorStep:
    ax = _softmax_axis(w)
    p = "p"
    jac = "diag(p) - p p.T" if w.nt.ascii else "diag(p) − p pᵀ"
    return TensorStep(
        f"{w.dx} += {_vjp_text(w, ax)}",
        f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)}",
        [
            f"softmax along axis {ax}: for each slice {p} of {w.y}, the Jacobian is "
            f"{jac} (symmetric), and multiplying it by {w.dy} gives "
            f"{p} * ({w.dy} - sum({w.dy} * {p}))"
        ],
    )


def _log_softmax(w: _Words) -> TensorStep:
    ax = _softmax_axis(w)
    return TensorStep(
        f"{w.dx} += {_vjp_text(w, ax)}",
        f"{S(w.x_shape)} {w.arrow} {S(w.y_shape)}",
        [
            f"log_softmax along axis {ax}: ∂{w.y}/∂{w.x} is the identity minus "
            f"the softmax, slice by slice; exp({w.y}) is that softmax, so each "
            f"entry of {w.dx} is its {w.dy} minus the softmax times the sum of "
            f"{w.dy} over the slice"
        ],
    )


def _cross_entropy(w: _Words) -> TensorStep:
    logits, targets = w.names
    L = w.shape(0)
    if len(L) == 2:
        n = L[0]
        return TensorStep(
            f"{w.dx} += (softmax({logits}) - onehot({targets})) / n * {w.dy}",
            f"{S(L)} {w.arrow} {S(L)}, n = {n}",
            [
                f"{w.y} is the mean over the n = {n} rows of -log softmax({logits})[i, "
                f"{targets}[i]]; each row's derivative is its softmax minus 1 at its target "
                f"(onehot), and the mean divides by n = {n}"
            ],
        )
    return TensorStep(
        f"{w.dx} += (softmax({logits}) - onehot({targets})) * {w.dy}",
        f"{S(L)} {w.arrow} {S(L)}",
        [
            f"{w.y} = -log softmax({logits})[{targets}] for one row of logits: its derivative "
            f"is the softmax minus 1 at the target (onehot); one row, so no division"
        ],
    )


_BUILDERS = {
    "matmul": _matmul,
    "transpose": _transpose,
    "sum": _sum,
    "mean": _mean,
    "amax": _extreme,
    "amin": _extreme,
    "reshape": _reshape,
    "index": _index,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "cross_entropy": _cross_entropy,
}


# --- rows and notes -------------------------------------------------------------------
def tensor_backward_row(
    ev: Evaluation, c: Contribution, nt: Notation, width=None, show_all: bool = False, counts=None
) -> tuple:
    """(sends, chain rule in matrix form with shapes and why, contribution and running
    total) for one term, as plain text (cells of several lines)."""
    tape = ev.tape
    s = tensor_step(ev, c, nt)
    node, inp = tape.label(c.node), tape.label(c.input)
    sends = f"{node} → {inp}" if not nt.ascii else f"{node} -> {inp}"
    bar_in = nt.bar(inp)
    total = (
        counts.get(c.input, 1)
        if counts is not None
        else sum(1 for o in ev.contributions if o.input == c.input)
    )
    if total > 1:
        sends += f"\n({contribution_of(c.count, total, bar_in)})"
    rule = "\n".join([s.formula, s.shapes] + s.why)
    term = array_lines(c.contribution, width, show_all)
    if c.count == 1:
        term += wrap_words(f"{bar_in} = this contribution", width)
    else:
        term += wrap_words(f"{bar_in} = sum of {c.count} contributions:", width)
        term += array_lines(c.total, width, show_all)
    return sends, nt.text(rule), nt.text("\n".join(term))


def tensor_fan_out_notes(ev: Evaluation, nt: Notation) -> list:
    tape = ev.tape
    rows: dict = {}
    for k, c in enumerate(ev.contributions, 1):
        rows.setdefault(c.input, []).append((k, tape.label(c.node)))
    notes = []
    for i, got in rows.items():
        if len(got) > 1:
            label = tape.label(i)
            users = _join(sorted({u for _, u in got}))
            ks = _join([str(k) for k, _ in got])
            notes.append(
                f"fan-out: {label} is used {len(got)} times (by {users}), so "
                f"{nt.bar(label)} is the sum of its {len(got)} contributions, rows "
                f"{ks}, added entry by entry."
            )
    return notes


def tensor_rule_notes(ev: Evaluation, nt: Notation) -> list:
    """What helps read a tensor backward pass: why the product's order is what it is,
    why an elementwise product's adjoint multiplies, that a broadcast's adjoint is a sum,
    and that every adjoint has its value's shape. Each note only where it applies."""
    tape = ev.tape
    notes = []
    # A value used more than once gets its adjoint from several terms: a note must not
    # call one of them the whole of it.
    terms: dict = {}
    for c in ev.contributions:
        terms[c.input] = terms.get(c.input, 0) + 1
    matmul = mul = broadcast = None
    for c in ev.contributions:
        step = tape.steps[c.node]
        shapes = [np.shape(ev.values[a]) for a in step.args]
        if step.op.name == "matmul" and matmul is None and all(len(s) == 2 for s in shapes):
            matmul = c
        elif (
            step.op.name == "mul"
            and mul is None
            and step.args[0] != step.args[1]
            and terms[c.input] == 1
            and np.shape(ev.values[c.input]) == np.shape(ev.values[c.node])
            and np.ndim(ev.values[c.node]) > 0
        ):
            mul = c
        if (
            not step.op.tensor
            and np.shape(ev.values[c.input]) != np.shape(ev.values[c.node])
            and (
                broadcast is None or (tape.is_input(c.input) and not tape.is_input(broadcast.input))
            )
        ):
            broadcast = c  # the first one, or better the first one of an input
    if matmul is not None:
        w = _Words(ev, matmul, nt)
        a, b = w.names
        dot, t = w.dot, _t(w)
        # `=` where this product is all the operand's adjoint, `+=` where it is one term.
        eq_a, eq_b = ("=" if terms.get(arg, 0) <= 1 else "+=" for arg in w.args)
        notes.append(
            f"why {nt.bar(b)} {eq_b} {w.T(a)} @ {w.dy} in that order: {b}[k, j] enters every "
            f"{w.y}[i, j] = {w.sigma('k')}{a}[i, k]{dot}{b}[k, j] of column j, with slope "
            f"{a}[i, k]; the chain rule adds those paths, {nt.bar(b)}[k, j] {eq_b} "
            f"{w.sigma('i')}{a}[i, k]{dot}{w.dy}[i, j], a sum over i: the matrix product "
            f"{a}{t} @ {w.dy}. Likewise {nt.bar(a)} {eq_a} {w.dy} @ {b}{t}. The shapes check "
            f"it: each adjoint has its operand's shape."
        )
    if mul is not None:
        w = _Words(ev, mul, nt)
        other = w.names[1 - mul.position]
        h = "eps" if nt.ascii else "ε"
        spread = " (as broadcast)" if w.shape(1 - mul.position) != w.y_shape else ""
        notes.append(
            f"why {w.dx} = {other} * {w.dy} and not {w.dy} / {other}: nudging one entry "
            f"of {w.x} by {h} moves the same entry of {w.y} by the matching entry of "
            f"{other}{spread} times {h}, and each unit of that entry of {w.y} moves the "
            f"output by the same entry of {w.dy}; so the gradient is {other} * {w.dy}, entry "
            f"by entry. "
            f"{w.dy} / {other} would answer another question: how far {w.x} must move for "
            f"{w.y} to move by {w.dy}."
        )
    if broadcast is not None:
        w = _Words(ev, broadcast, nt)
        uses = int(np.prod(w.y_shape)) // max(int(np.prod(w.x_shape)), 1)
        notes.append(
            f"the adjoint of a broadcast is a sum, not a mean: each entry of {w.x} was used "
            f"{uses} times in {w.y} {S(w.y_shape)}, each use sends its own contribution, and "
            f"{w.dx} adds {'both' if uses == 2 else f'all {uses}'} (a mean would divide it "
            f"by {uses})."
        )
    shown = []
    for name, g in ev.gradient.items():
        i = tape.inputs[name]
        if np.ndim(ev.values[i]) == 0:
            continue
        same = np.shape(g) == np.shape(ev.values[i])
        shown.append(
            f"{nt.bar(name)} {S(np.shape(g))} "
            + (f"like {name}" if same else f"but {name} is {S(np.shape(ev.values[i]))}")
        )
    if shown:
        extra = ""
        if broadcast is not None:
            w = _Words(ev, broadcast, nt)
            extra = (
                f" (if {w.dx} came out with shape {S(w.y_shape)} instead of "
                f"{S(w.x_shape)}, the sum over the broadcast would be missing)"
            )
        more = f", and {len(shown) - 6} more" if len(shown) > 6 else ""
        if all(" like " in text for text in shown):
            notes.append(
                "every adjoint has the shape of its value: "
                + ", ".join(shown[:6])
                + more
                + "; check this first in a backward pass written by hand"
                + extra
                + "."
            )
        else:  # never, if the engine keeps its contract; said plainly if it does not
            notes.append("adjoint shapes: " + ", ".join(shown) + more)
    return [nt.text(n) for n in notes]
