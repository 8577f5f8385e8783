"""Every sample of a plot at once: one forward and one reverse sweep on NumPy arrays, one
array element per sample (a column), instead of a forward and a reverse pass per sample.

The numbers must be the scalar path's, bit for bit, so an op computes on arrays only
where its kernel is the same IEEE arithmetic as the scalar one: + − × ÷ and √ are
correctly rounded in both, and relu, abs, max and min only compare and copy. Their array
kernels are ops.py's own (`Op.array_forward`, `Op.array_partials`), and so are pow's
for a power with a constant exponent, given that exponent as a full array, so that NumPy
calls the C library's pow for each element as math.pow does (POWER_IS_LIBM; with a
one-element exponent it takes x·x for x^2, where math.pow may round the other way). Every
other op (exp, log, sin, tanh, a power of the plotted input, ...) goes through `math` in
the scalar kernels, and NumPy's versions may differ in the last bit (its tanh does on
this machine): those apply the op's scalar `forward` and `partials` to each sample. The
reverse sweep is the engine's (`reverse_sweep` on arrays), run only over the steps that
depend on the plotted input; a sweep keeps only the values it reads (those of the steps
the output depends on) and drops every other once it has been read for the last time.

What the sampler needs besides values and slopes is kept per column, not per step: whether
the program is defined there, the first step sitting on a kink, and which poles and kinks
may lie between two neighbouring samples (a divisor's sign, a kink op's branch changing).
The sampler (modes/plot.py) then reads each sample as the scalar path would, and falls
back to that path only where it must: an undefined sample, a tangent that is not finite,
and the bisections between samples.
"""

from __future__ import annotations

import dataclasses
import math
from itertools import repeat
from typing import Any

import numpy as np

from ..core.engine import reverse_sweep
from ..core.ops import OPS
from ..core.tape import Tape
from ..core.tensor_eval import kinks

_INPUT, _CONST = OPS["input"], OPS["const"]

# Ops whose array kernels are the scalar kernels' arithmetic, bit for bit.
EXACT = frozenset(("copy", "neg", "add", "sub", "mul", "div", "sqrt", "relu", "abs", "max", "min"))
# How many values (kept steps × columns) one sweep holds at most: the tape's steps times
# this, and at least two million (16 MB). A sweep keeps only the values of the steps the
# output depends on (at most all of them, ~40% in benchmarks/scale.py's program); the
# reverse sweep's adjoints may take as much again while it runs, so this stays well under
# what the tape itself takes (~500 bytes a step).
VALUES_PER_STEP = 45
MIN_VALUES = 2_000_000


def budget(tape: Tape) -> int:
    """How many float64 values (steps × columns) one sweep may hold."""
    return max(MIN_VALUES, VALUES_PER_STEP * len(tape.steps))


def _power_is_libm() -> bool:
    """Whether NumPy's power, given an exponent array as wide as the base, calls the C
    library's pow for each element, as math.pow does (tests/test_plot_columns.py compares
    them on many values). Not where NumPy dispatches power to Intel's SVML (CPUs with
    AVX512_SKX), whose pow may round differently, nor where this cannot be told."""
    import importlib

    # NumPy's own record of the CPU features it dispatches on (a private module, whose
    # name moved in NumPy 2): where it cannot be read, assume SVML may be in use.
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            features = importlib.import_module(module).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return features.get("AVX512_SKX") is False
    return False


POWER_IS_LIBM = _power_is_libm()


SPREAD_KEPT = 64  # exponents kept spread (see _power_with_wide_exponent)


def _power_with_wide_exponent(op):
    """pow (ops.py's own array kernels) for a step whose exponent is the same number in
    every column: the exponent is spread to the base's width first. Given a one-element
    exponent, NumPy's power takes fast paths (x·x for 2, sqrt for 0.5, 1/x for -1) that
    can differ from math.pow in the last bit; given a full array, it calls pow for each
    element, as the scalar kernels do. Only the base's partial is asked for (the exponent
    does not depend on the plotted input)."""
    forward, (dx, dc) = op.array
    # The spread exponents, each at the widest sweep yet (a narrower sweep reads the
    # start of it), the most recently used SPREAD_KEPT of them: a program may have as
    # many exponents as steps, and a bounded few keep their memory within reach of the
    # sweep's budget while x^2 everywhere is filled once.
    spread: dict = {}  # the exponent's bits -> the array

    def wide(x, c):
        if c.shape == x.shape:
            return c
        if x.ndim != 1:
            return np.full(x.shape, c.item(0))
        key, n = c.tobytes(), x.shape[0]
        kept = spread.pop(key, None)
        if kept is None or kept.shape[0] < n:
            kept = np.full(n, c.item(0))
        spread[key] = kept  # the most recently used last
        if len(spread) > SPREAD_KEPT:
            del spread[next(iter(spread))]
        return kept[:n]

    return dataclasses.replace(
        op, array=(lambda x, c: forward(x, wide(x, c)), (lambda x, c, y: dx(x, wide(x, c), y), dc))
    )


def _elementwise(op):
    """The op with array kernels that apply its scalar kernels to each element: the
    forward value (nan or inf where the scalar path has no value) and the local partials.

    The scalar path's `domain` check is not repeated: where an op's domain says no, its
    forward raises or is not finite (log(0) raises, math.pow(-8, 1/3) raises), which
    marks the sample undefined just the same (tests/test_plot_columns.py checks this of
    every op at its edge points)."""
    forward, partials = op.forward, op.partials

    def value(*args):
        try:
            return forward(*args)
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError):
            return math.nan

    def columns(xs):
        # each operand as a list of floats; one that does not depend on the plotted
        # input (one element) repeated
        n = max(len(x) for x in xs)
        return [x.tolist() if len(x) == n else repeat(x.item(0), n) for x in xs]

    def array_forward(*xs):
        try:
            return np.array(list(map(forward, *columns(xs))), dtype=float)
        except (OverflowError, ValueError, ZeroDivisionError):  # a sample is undefined
            return np.array(list(map(value, *columns(xs))), dtype=float)

    def array_partials(*xs_and_y):
        return tuple(np.array(p, dtype=float) for p in zip(*map(partials, *columns(xs_and_y))))

    return dataclasses.replace(op, array=(array_forward, array_partials))


class Columns:
    """The tape swept on arrays of samples of one input (`slot`); `reach[i]` says whether
    step i depends on it. Steps that do not are computed once, on one element."""

    def __init__(self, tape: Tape, inputs: dict, slot: int, reach: list):
        self.tape, self.slot, self.reach = tape, slot, reach
        self.budget = budget(tape)
        swapped = {}
        steps = []
        for i, step in enumerate(tape.steps):
            op = step.op
            if op.name == "pow" and POWER_IS_LIBM and reach[i] and not reach[step.args[1]]:
                if "wide pow" not in swapped:
                    swapped["wide pow"] = _power_with_wide_exponent(op)
                step = dataclasses.replace(step, op=swapped["wide pow"])
            elif op.arity and op.name not in EXACT:
                if op.name not in swapped:
                    swapped[op.name] = self.kernel_op(op)
                step = dataclasses.replace(step, op=swapped[op.name])
            steps.append(step)
        self.array_tape = dataclasses.replace(tape, steps=steps, tensor=True)
        # each step that depends on the input: (step, its array kernel, its operands)
        self.plan = [
            (i, step.op.array[0] if step.op.array else step.op.forward, step.args)
            for i, step in enumerate(steps)
            if reach[i] and i != slot
        ]
        self.entry = {i: entry for entry in self.plan for i in entry[:1]}
        # What a sweep keeps once its forward pass is done: the values the reverse sweep
        # reads, those of the steps the output depends on (their operands are such steps
        # too, or constants). Any other value is dropped as soon as the last step reading
        # it has been computed (`drops[i]`: the values step i is the last to read, or
        # step i's own, read by none, once the step is done).
        n = len(steps)
        self.feeds = feeds = [False] * n
        feeds[tape.output] = reach[tape.output]
        for i, _, args in reversed(self.plan):
            if feeds[i]:
                for a in args:
                    feeds[a] = reach[a]
        last = {slot: slot}
        for i, _, args in self.plan:
            last[i] = i
            for a in args:
                if reach[a]:
                    last[a] = i
        self.drops: dict = {}  # when keeping nothing
        self.drops_unkept: dict = {}  # when keeping the values the reverse sweep reads
        for a, i in last.items():
            self.drops.setdefault(i, []).append(a)
            if not feeds[a]:
                self.drops_unkept.setdefault(i, []).append(a)
        self.kept = sum(feeds)  # values per column a sweep keeps
        self.transient = self._peak(self.drops_unkept, feeds)  # alive at once besides
        self.passing = self._peak(self.drops, [False] * n)  # alive at once, none kept
        # The steps that do not depend on the plotted input, computed once as the scalar
        # path computes them (the op's own scalar kernel on floats), each kept as a
        # one-element array where a step that does depend on it, or the output, reads it.
        numbers: list = [None] * n
        self.undefined_everywhere = False
        for i, step in enumerate(tape.steps):
            if reach[i]:
                continue
            op = step.op
            if op is _INPUT:
                numbers[i] = inputs[step.name]
            elif op is _CONST:
                numbers[i] = step.const
            else:
                try:
                    numbers[i] = op.forward(*[numbers[a] for a in step.args])
                except (OverflowError, ValueError, ZeroDivisionError):
                    numbers[i] = math.nan
                if not math.isfinite(numbers[i]):
                    self.undefined_everywhere = True
        read = {a for _, _, args in self.plan for a in args if not reach[a]}
        if not reach[tape.output]:
            read.add(tape.output)
        self.constants: list = [None] * n
        for a in read:
            self.constants[a] = np.array([numbers[a]], dtype=float)
        self.checked = self._checked(steps)

    def _checked(self, steps: list) -> list:
        """Which steps' values forward() checks for entries that are not finite: those
        that could hide one. nan and ±inf go on through + − × and ÷'s dividend, neg,
        copy, sqrt and abs, and a power of the base with a constant exponent > 0 (an
        entry that is not finite in, one that is not finite out, in the same column), so
        a value read only there shows up where it is read; a value read by any other op
        or place (relu(-inf) = 0, x/inf = 0, x^0 = 1, tanh(inf) = 1), or by none, is
        checked. So the same columns are found undefined as when every value is."""
        reach, constants = self.reach, self.constants
        checked = [False] * len(steps)
        read = [False] * len(steps)
        for i, _, args in self.plan:
            name = steps[i].op.name
            for position, a in enumerate(args):
                read[a] = True
                if not reach[a] or name in _PASS_ON:
                    continue
                if name == "div" and position == 0:
                    continue
                if name == "pow" and position == 0 and not reach[args[1]]:
                    if constants[args[1]].item(0) > 0:
                        continue
                checked[a] = True
        for i, _, _ in self.plan:
            if not read[i]:
                checked[i] = True
        checked[self.tape.output] = True
        return checked

    def _peak(self, drops: dict, keep: list) -> int:
        """How many values that are not kept are alive at once in a forward pass."""
        alive = peak = 1
        for i, _, _ in self.plan:
            alive += not keep[i]
            peak = max(peak, alive)
            alive -= len(drops.get(i, ()))
        return peak

    @staticmethod
    def kernel_op(op):
        """The op as the columns compute it: itself where its array kernels are exact,
        else with its scalar kernels applied to each element."""
        return op if op.name in EXACT or not op.arity else _elementwise(op)

    def ancestors(self, i: int):
        """The steps that depend on the plotted input and that step i reads, itself too:
        a mask (NumPy booleans), found walking back from step i (a loop, not recursion)."""
        steps, reach, found = self.tape.steps, self.reach, {i}
        stack = [i]
        while stack:
            for a in steps[stack.pop()].args:
                if reach[a] and a not in found:
                    found.add(a)
                    stack.append(a)
        mask = np.zeros(len(reach), dtype=bool)
        mask[list(found)] = True
        return mask

    def width(self, kept: bool = True) -> int:
        """How many columns one sweep (kept: True) or one forward pass that keeps nothing
        may hold within the budget."""
        per_column = (self.kept + self.transient) if kept else self.passing
        return max(2, self.budget // max(1, per_column))

    def forward(self, xs: list, only=None, keep=None, compare=None) -> Batch:
        """Every step's value at the inputs `xs` (only the steps in `only`, a mask, when
        given), and which columns are undefined. `keep` "feeds" keeps only the values the
        reverse sweep reads, "nothing" none: the others are dropped once read for the last
        time (None in `values`). `compare`, (kinked, poled, poles,
        pairs), is Batch.compare done step by step as each such step is computed."""
        values = list(self.constants)
        bad = np.zeros(len(xs), dtype=bool)
        plan = self.plan
        checked: Any = self.checked  # a list of flags, or _EVERY
        if only is not None:  # a value read by a step left out is checked too
            plan = [self.entry[i] for i in np.flatnonzero(only).tolist() if i in self.entry]
            checked = _EVERY
        batch = Batch(self.tape, values, bad)
        kinked: Any = ()
        poled: Any = ()
        if compare is not None:
            kinked, poled, poles, pairs = compare
            kinked, poled = set(kinked), set(poled)
        drops = {None: {}, "nothing": self.drops, "feeds": self.drops_unkept}[keep]
        with np.errstate(all="ignore"):
            values[self.slot] = np.array(xs, dtype=float)
            isfinite, ndarray, total = math.isfinite, np.ndarray, np.add.reduce
            for i, kernel, args in plan:
                v = kernel(*[values[a] for a in args])
                if type(v) is not ndarray or v.dtype != float:
                    v = np.asarray(v, dtype=float)
                if checked[i] and not isfinite(total(v)):
                    bad |= ~np.isfinite(v)
                values[i] = v
                if i in kinked:
                    batch.compare_kink(i, pairs)
                if i in poled:
                    batch.compare_pole(i, poles, pairs)
                if i in drops:
                    for a in drops[i]:
                        values[a] = None
        batch.finish()
        return batch

    def sweep(self, xs: list, kinked, poled, poles: dict, pairs: int) -> Batch:
        """forward(), the slopes from the reverse sweep, and what the sampler asks of the
        columns (plot.py's _ColumnSampler): neighbouring columns below `pairs` are
        compared for poles and kinks. Afterwards the batch holds only the values its
        columns are read for (Batch.release)."""
        batch = self.forward(xs, keep="feeds", compare=(kinked, poled, poles, pairs))
        with np.errstate(all="ignore"):
            adjoints = reverse_sweep(self.array_tape, batch.values, needs=self.reach, free=True)
            batch.slopes = np.broadcast_to(adjoints[self.slot], batch.shape).tolist()
        del adjoints
        batch.release()
        return batch


class _Every:
    def __getitem__(self, i: int) -> bool:
        return True


_EVERY = _Every()
# Ops through which an operand's entry that is not finite always gives one that is not.
_PASS_ON = frozenset(("add", "sub", "mul", "neg", "copy", "sqrt", "abs"))


class Batch:
    """One sweep's results, read column by column."""

    def __init__(self, tape: Tape, values: list, bad):
        self.tape, self.bad_array = tape, bad
        self.values: Any = values  # a list by step; after release(), a dict of those read
        # ∂output/∂input per column (sweep()): each adjoint's first term taken as it is,
        # as the scalar sweep and PyTorch have it (a slope of -0.0 stays -0.0)
        self.slopes: Any = None  # the slope at each column, once swept
        self.first_kink: list = [None] * len(bad)
        self.without_kink: Any = np.ones(len(bad), dtype=bool)  # None once every column has one
        self.pair_poles: dict = {}  # k -> the poled steps that may have a pole in (k, k+1)
        self.pair_kinks: dict = {}
        self.read: dict = {}  # the values columns are read for: step -> its array

    def finish(self) -> None:
        bad = self.bad_array
        self.bad, self.shape = bad.tolist(), bad.shape
        out = self.values[self.tape.output]
        self.ys = None if out is None else np.broadcast_to(out, bad.shape).tolist()

    def column(self, k: int) -> Column:
        return Column(self.values, k)

    def _note(self, i: int) -> None:
        """Step i and its operands will be read from the columns."""
        values = self.values
        for a in (i, *self.tape.steps[i].args):
            self.read[a] = values[a]

    def release(self) -> None:
        """Keep only the values the sampler reads from the columns: the operands of the
        steps found on a kink or flagged between two columns (and those steps)."""
        self.values = self.read

    def compare_kink(self, i: int, pairs: int) -> None:
        """Step i, a kink op: the columns on its kink, and the pairs of neighbouring
        columns (below `pairs`) between which its local partials change."""
        values, tape, first = self.values, self.tape, self.first_kink
        n = len(first)
        op = tape.steps[i].op
        xs = [values[a] for a in tape.steps[i].args]
        hit = None
        if self.without_kink is not None:  # some columns have met no kink yet
            hit = np.broadcast_to(kinks(op, xs), (n,))
            new = hit & self.without_kink
            if new.any():
                self._note(i)
                for k in np.flatnonzero(new).tolist():
                    first[k] = i
                self.without_kink &= ~new
                if not self.without_kink.any():
                    self.without_kink = None
        if pairs < 2:
            return
        changed = None
        for p in op.array_partials(*xs, values[i]):
            if np.ndim(p) == 0 or p.shape[0] == 1:
                continue  # the same in every column
            step = p[: pairs - 1] != p[1:pairs]
            changed = step if changed is None else changed | step
        if changed is None or not changed.any():
            return
        if hit is None:
            hit = np.broadcast_to(kinks(op, xs), (n,))
        changed &= ~hit[: pairs - 1] & ~hit[1:pairs]
        ks = np.flatnonzero(changed).tolist()
        for k in ks:
            self.pair_kinks.setdefault(k, []).append(i)
        if ks:
            self._note(i)

    def compare_pole(self, i: int, poles: dict, pairs: int) -> None:
        """Step i, an op with poles: the pairs of neighbouring columns (below `pairs`)
        between which one may lie (`poles[op](operands, pairs)`: None for none)."""
        if pairs < 2:
            return
        values, tape = self.values, self.tape
        maybe = poles[tape.steps[i].op.name]([values[a] for a in tape.steps[i].args], pairs)
        if maybe is None or not maybe.any():
            return
        ks = np.flatnonzero(np.broadcast_to(maybe, (pairs - 1,))).tolist()
        for k in ks:
            self.pair_poles.setdefault(k, []).append(i)
        self._note(i)


class Column:
    """One sample's values, read as the scalar path's list of floats is."""

    __slots__ = ("values", "k")

    def __init__(self, values: list, k: int):
        self.values, self.k = values, k

    def __getitem__(self, i: int) -> float:
        v = self.values[i]
        return float(v[self.k] if v.shape[0] > 1 else v[0])
