"""Every sample of a plot at once: one forward and one reverse sweep on NumPy arrays, one
array element per sample (a column), instead of a forward and a reverse pass per sample.

The numbers must be the scalar path's, bit for bit, so an op computes on arrays only
where its kernel is the same IEEE arithmetic as the scalar one: + − × ÷ and √ are
correctly rounded in both, and relu, abs, max and min only compare and copy. Their array
kernels are ops.py's own (`Op.array_forward`, `Op.array_partials`). Every other op (exp,
log, pow, sin, tanh, ...) goes through `math` in the scalar kernels, and NumPy's versions
may differ in the last bit (its tanh does on this machine; its power takes x·x for x^2,
where math.pow may round the other way): those apply the op's scalar `forward` and
`partials` to each sample. The reverse sweep is the engine's (`reverse_sweep` on arrays),
run only over the steps that depend on the plotted input.

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
# How many step values (steps × columns) one sweep holds at most: the tape's steps times
# this, and at least two million (16 MB). The reverse sweep's adjoints may take as much
# again while it runs, so this stays well under what the tape itself takes.
VALUES_PER_STEP = 30
MIN_VALUES = 2_000_000


def budget(tape: Tape) -> int:
    """How many float64 values (steps × columns) one sweep may hold."""
    return max(MIN_VALUES, VALUES_PER_STEP * len(tape.steps))


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
        for step in tape.steps:
            op = step.op
            if op.arity and op.name not in EXACT:
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
        self.constants: list = [None] * len(steps)
        self.undefined_everywhere = False
        with np.errstate(all="ignore"):
            for i, step in enumerate(steps):
                if reach[i]:
                    continue
                if step.op is _INPUT:
                    v = np.array([inputs[step.name]], dtype=float)
                elif step.op is _CONST:
                    v = np.array([step.const], dtype=float)
                else:
                    v = self._apply(step, self.constants)
                    if not np.isfinite(v).all():
                        self.undefined_everywhere = True
                self.constants[i] = v

    def _apply(self, step, values):
        xs = [values[a] for a in step.args]
        return np.asarray(step.op.array_forward(*xs, **(step.attrs or {})), dtype=float)

    @staticmethod
    def kernel_op(op):
        """The op as the columns compute it: itself where its array kernels are exact,
        else with its scalar kernels applied to each element."""
        return op if op.name in EXACT or not op.arity else _elementwise(op)

    def ancestors(self, i: int) -> list:
        """The steps that depend on the plotted input and that step i reads, itself too."""
        steps, mask = self.tape.steps, [False] * len(self.reach)
        mask[i] = True
        for j in range(i, self.slot - 1, -1):
            if mask[j]:
                for a in steps[j].args:
                    mask[a] = self.reach[a]
        return mask

    def forward(self, xs: list, only=None) -> Batch:
        """Every step's value at the inputs `xs` (only the steps in `only`, when given),
        and which columns are undefined."""
        values = list(self.constants)
        bad = np.zeros(len(xs), dtype=bool)
        only = self.reach if only is None else only
        with np.errstate(all="ignore"):
            values[self.slot] = np.array(xs, dtype=float)
            isfinite, ndarray = math.isfinite, np.ndarray
            for i, kernel, args in self.plan:
                if not only[i]:
                    continue
                v = kernel(*[values[a] for a in args])
                if type(v) is not ndarray or v.dtype != float:
                    v = np.asarray(v, dtype=float)
                if not isfinite(v.sum()):
                    bad |= ~np.isfinite(v)
                values[i] = v
        return Batch(self.tape, values, bad)

    def sweep(self, xs: list, kinked, poled, poles: dict, pairs: int) -> Batch:
        """forward(), the slopes from the reverse sweep, and what the sampler asks of the
        columns (plot.py's _ColumnSampler): neighbouring columns below `pairs` are
        compared for poles and kinks."""
        batch = self.forward(xs)
        with np.errstate(all="ignore"):
            adjoints = reverse_sweep(self.array_tape, batch.values, needs=self.reach, free=True)
            batch.slopes = np.broadcast_to(adjoints[self.slot], batch.shape).tolist()
            batch.compare(kinked, poled, poles, pairs)
        return batch


class Batch:
    """One sweep's results, read column by column."""

    def __init__(self, tape: Tape, values: list, bad):
        self.tape, self.values, self.bad, self.shape = tape, values, bad.tolist(), bad.shape
        out = values[tape.output]
        self.ys = None if out is None else np.broadcast_to(out, bad.shape).tolist()
        # ∂output/∂input per column (sweep()): each adjoint's first term taken as it is,
        # as the scalar sweep and PyTorch have it (a slope of -0.0 stays -0.0)
        self.slopes: Any = None  # the slope at each column, once swept
        self.first_kink = [None] * len(self.bad)
        self.pair_poles: dict = {}  # k -> the poled steps that may have a pole in (k, k+1)
        self.pair_kinks: dict = {}

    def column(self, k: int) -> Column:
        return Column(self.values, k)

    def compare(self, kinked: list, poled: list, poles: dict, pairs: int) -> None:
        values, tape = self.values, self.tape
        first = self.first_kink
        for i in kinked:
            op = tape.steps[i].op
            xs = [values[a] for a in tape.steps[i].args]
            hit = np.broadcast_to(kinks(op, xs), (len(first),))
            for k in np.flatnonzero(hit).tolist():
                if first[k] is None:
                    first[k] = i
            if pairs < 2:
                continue
            changed = np.zeros(pairs - 1, dtype=bool)
            for p in op.array_partials(*xs, values[i]):
                p = np.broadcast_to(p, (len(first),))[:pairs]
                changed |= p[:-1] != p[1:]
            changed &= ~hit[: pairs - 1] & ~hit[1:pairs]
            for k in np.flatnonzero(changed).tolist():
                self.pair_kinks.setdefault(k, []).append(i)
        if pairs < 2:
            return
        for i in poled:
            xs = [np.broadcast_to(values[a], (len(first),))[:pairs] for a in tape.steps[i].args]
            maybe = poles[tape.steps[i].op.name]([x[:-1] for x in xs], [x[1:] for x in xs])
            for k in np.flatnonzero(maybe).tolist():
                self.pair_poles.setdefault(k, []).append(i)


class Column:
    """One sample's values, read as the scalar path's list of floats is."""

    __slots__ = ("values", "k")

    def __init__(self, values: list, k: int):
        self.values, self.k = values, k

    def __getitem__(self, i: int) -> float:
        v = self.values[i]
        return float(v[self.k] if v.shape[0] > 1 else v[0])
