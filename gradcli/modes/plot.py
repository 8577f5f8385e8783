"""`gradcli plot`'s numbers: a program of one input sampled over a range, its derivative
from the engine's reverse sweep at every sample, the tangent line at the given point, and
where the curves must be broken. Nothing here prints or draws; cli/render_plot.py does.

A line between two neighbouring samples is drawn only where the curve is continuous
between them. It is broken
  - where the program is undefined: a sample whose forward pass raises a DomainError
    (log of a negative number, a division by zero, an overflow) is a gap, and each run
    of such samples is reported as an interval, its ends found by bisection;
  - at a pole between two defined samples: a division whose divisor, or a negative power
    whose base, changes sign between them, or tan whose argument crosses π/2 + kπ
    (the function jumps from one infinity to the other there; see _POLES), located by
    bisection. A divisor that touches 0 without changing sign (1/x², x/|x|) is found
    only where a sample falls on the zero, or, as for x/|x|, where a kink located between
    two samples turns out to be undefined;
  - for the derivative only, at a kink: a step whose op has a `kink` hook (relu, abs,
    max, min; core/ops.py) and whose local partials differ between the two samples, read
    as gradcheck reads them (modes/gradcheck.py): their partials are constant between
    kinks, so a change means a kink was crossed. A sample exactly at a kink, where a
    convention picks the derivative (relu'(0) = 0), is a point of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from ..core.arrays import np
from ..core.engine import forward, input_values, no_cycle_collection, reverse_sweep
from ..core.errors import DomainError, UsageError, close_matches, quoted_or
from ..core.notation import fmt
from ..core.tape import Tape
from ..language.lower import compile_program

POINTS = 200  # samples by default
MAX_POINTS = 10_000  # the most --points takes: every sample is a forward and a reverse pass
MIN_POINTS = 2
HALF_WIDTH = 3.0  # without --range: the point ± this
# From this many step evaluations (the tape's steps × the samples) the
# samples are swept at once on NumPy arrays (plot_columns.py); below it, importing NumPy
# costs more than it saves, and each sample is a forward and a reverse pass.
COLUMNS_FROM = 20_000
_BISECT = 60  # halvings to locate a boundary, a pole or a kink (the interval's 2^-60)
_TREE = 6  # halvings swept at once on arrays: every midpoint of the next 6 levels


@dataclass
class Region:
    """An interval of the range where the program is undefined."""

    start: float
    end: float
    start_included: bool
    end_included: bool
    why: str  # the first sample's reason, with its x
    at_start: bool  # the region reaches the range's start (then `x < end` says it)
    at_end: bool


@dataclass
class Mark:
    """A pole or a kink at x (located by bisection between two samples, or a sample)."""

    x: float
    why: str
    exact: bool  # x is a sample where the kink hook fired, not an estimate


@dataclass
class Tangent:
    x: float
    y: float
    slope: float  # the gradient ∂f/∂x at x, from the reverse sweep
    kink: Optional[str] = None  # the point sits at a kink: which convention gave the slope

    def at(self, x: float) -> float:
        return self.y + self.slope * (x - self.x)


@dataclass
class PlotData:
    source: str
    output: str  # the output's name (f)
    along: str  # the input on the x axis
    fixed: dict  # the other inputs -> their values
    start: float
    end: float
    xs: list
    ys: list  # None where undefined
    slopes: list  # ∂output/∂along, None where undefined or not finite
    function_breaks: set = field(default_factory=set)  # i: no line from sample i to i+1
    derivative_breaks: set = field(default_factory=set)
    kink_samples: set = field(default_factory=set)  # samples exactly at a kink
    undefined: list = field(default_factory=list)  # Regions
    poles: list = field(default_factory=list)  # Marks
    kinks: list = field(default_factory=list)  # Marks
    tangent: Optional[Tangent] = None
    no_tangent: Optional[str] = None  # why there is none
    infinite_slopes: list = field(default_factory=list)  # x where the slope is not finite
    warnings: list = field(default_factory=list)

    def segments(self, which: str) -> list:
        """The curve as runs of (x, y) to join with lines: `function` or `derivative`."""
        values = self.ys if which == "function" else self.slopes
        breaks = self.function_breaks if which == "function" else self.derivative_breaks
        runs: list = []
        run: list = []
        for i, (x, y) in enumerate(zip(self.xs, values)):
            if y is None:
                if run:
                    runs.append(run)
                run = []
                continue
            if which == "derivative" and i in self.kink_samples:
                if run:
                    runs.append(run)
                runs.append([(x, y)])
                run = []
                continue
            run.append((x, y))
            if i in breaks:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        return runs


class AxisError(UsageError):
    """The input to plot along cannot be chosen.

    reason  "no inputs", "several inputs" (none was chosen) or "unknown input"
    name    the input asked for, or None
    inputs  the program's inputs
    """

    def __init__(self, reason: str, inputs: list, name: Optional[str] = None):
        self.reason, self.inputs, self.name = reason, list(inputs), name
        names = ", ".join(self.inputs)
        if reason == "no inputs":
            message, detail = "the program has no inputs, so there is nothing to plot it along", ""
        elif reason == "several inputs":
            message = (
                f"the program has {len(self.inputs)} inputs: {names}; a plot shows one "
                "of them on the x axis"
            )
            detail = "choose one; the others stay at the values given"
        else:
            assert name is not None  # an unknown input is one asked for
            hint = close_matches(name, self.inputs)
            message = f"the program has no input named '{name}'" + (
                f" (did you mean {quoted_or(hint)}?)" if hint else ""
            )
            detail = "its inputs are: " + (names or "none")
        super().__init__(message, detail)


class OutsideRange(UsageError):
    """The given point is not inside the range asked for: name = point, start, end."""

    def __init__(self, name: str, point: float, start: float, end: float):
        self.name, self.point, self.start, self.end = name, point, start, end
        self.fits = (min(start, point), max(end, point))  # a range that holds both
        super().__init__(
            f"the point {name} = {fmt(point)} is outside the range {fmt(start)}:{fmt(end)}",
            f"widen the range to include it ({fmt(self.fits[0])}:"
            f"{fmt(self.fits[1])}) or give a point inside it",
        )


def choose_input(tape: Tape, along: Optional[str]) -> str:
    names = list(tape.inputs)
    if along is not None:
        if along in tape.inputs:
            return along
        raise AxisError("unknown input", names, along)
    if not names:
        raise AxisError("no inputs", names)
    if len(names) > 1:
        raise AxisError("several inputs", names)
    return names[0]


def sample(
    source: str,
    given: dict,
    output: Optional[str] = None,
    along: Optional[str] = None,
    span: Optional[tuple] = None,
    points: int = POINTS,
    dialect: str = "gradcli",
    _columns: Optional[bool] = None,
) -> PlotData:
    """`_columns` (tests only): True or False forces the sweep on arrays or the scalar
    passes, which otherwise is chosen by the program's size."""
    if not MIN_POINTS <= points <= MAX_POINTS:
        raise UsageError(f"a plot takes {MIN_POINTS} to {MAX_POINTS:,} samples, not {points}")
    with no_cycle_collection():
        tape = compile_program(source, given, output, dialect=dialect)
        from ..core.tensor_eval import uses_arrays

        if uses_arrays(tape, given):
            raise UsageError(
                "plot draws programs of numbers only (for now), and this program has arrays",
                "for a program with arrays, gradcli eval gives every entry of the gradient",
            )
        name = choose_input(tape, along)
        inputs, warnings = input_values(tape, given)
        x0 = inputs[name]
        start, end = span if span is not None else (x0 - HALF_WIDTH, x0 + HALF_WIDTH)
        if not start <= x0 <= end:
            raise OutsideRange(name, x0, start, end)
        data = PlotData(
            source,
            tape.output_label,
            name,
            {n: v for n, v in inputs.items() if n != name},
            start,
            end,
            [],
            [],
            [],
            warnings=list(tape.warnings) + warnings,
        )
        use_columns = _columns
        if use_columns is None:
            use_columns = len(tape.steps) * (points + 1) >= COLUMNS_FROM
        sampler = (_ColumnSampler if use_columns else _Sampler)(tape, inputs, name, data)
        sampler.run(points, x0)
    return data


class _Sampler:
    def __init__(self, tape: Tape, inputs: dict, name: str, data: PlotData):
        self.tape, self.inputs, self.name, self.data = tape, dict(inputs), name, data
        self.slot = tape.inputs[name]
        self.reach = reach = [False] * len(tape.steps)
        reach[self.slot] = True
        for i in range(self.slot + 1, len(tape.steps)):
            reach[i] = any(reach[a] for a in tape.steps[i].args)
        last = tape.output + 1
        self.kinked = [i for i in range(last) if reach[i] and tape.steps[i].op.kink]
        self.poled = [i for i in range(last) if reach[i] and tape.steps[i].op.name in _POLES]

    def values_at(self, x: float):
        """Every step's value at x, or the DomainError that says why there is none."""
        self.inputs[self.name] = x
        try:
            return forward(self.tape, self.inputs)
        except DomainError as exc:
            return exc

    def run(self, points: int, x0: float) -> None:
        d, tape = self.data, self.tape
        step = (d.end - d.start) / (points - 1)
        d.xs = [d.start + k * step for k in range(points - 1)] + [d.end]
        previous = None
        for k, x in enumerate(d.xs):
            values = self.values_at(x)
            if isinstance(values, DomainError):
                d.ys.append(None)
                d.slopes.append(None)
                self._undefined(k, x, values, previous)
                previous = values
                continue
            if isinstance(previous, DomainError) and d.undefined:
                self._close_region(d.xs[k - 1], x)
            d.ys.append(values[tape.output])
            d.slopes.append(self._slope(values, x))
            if any(tape.steps[i].op.kink(*self._operands(values, i)) for i in self.kinked):
                d.kink_samples.add(k)
                self._kink_at(x, values)
            if isinstance(previous, list):
                self._between(k - 1, previous, values)
            previous = values
        self._tangent(x0)

    def _operands(self, values: list, i: int) -> list:
        return [values[a] for a in self.tape.steps[i].args]

    def _slope(self, values: list, x: float) -> Optional[float]:
        g = reverse_sweep(self.tape, values)[self.slot]
        if math.isfinite(g):
            return g
        self.data.infinite_slopes.append(x)
        return None

    # --- undefined regions ---------------------------------------------------------------
    def _undefined(self, k: int, x: float, error: DomainError, previous) -> None:
        d = self.data
        if k > 0 and isinstance(previous, DomainError):
            return  # the region goes on
        start, included = x, True
        if k > 0:  # a defined sample before it: the boundary lies between
            start, included = self._boundary(d.xs[k - 1], x)
        d.undefined.append(
            Region(
                start,
                d.end,
                included,
                True,
                f"at {self.name} = {fmt(x)}: {error.problem}",
                at_start=k == 0,
                at_end=True,
            )
        )

    def _close_region(self, bad: float, good: float) -> None:
        region = self.data.undefined[-1]
        region.end, region.end_included = self._boundary(good, bad)
        region.at_end = False

    def _boundary(self, good: float, bad: float) -> tuple:
        """Where the program stops being defined between a defined x and an undefined
        one: a short decimal between the last defined and first undefined x found by
        bisection, and whether the program is undefined there."""
        for _ in range(_BISECT):
            mid = (good + bad) / 2
            if mid in (good, bad):
                break
            if isinstance(self.values_at(mid), DomainError):
                bad = mid
            else:
                good = mid
        x = _short_between(good, bad)
        return x, isinstance(self.values_at(x), DomainError)

    # --- poles and kinks between two defined samples ------------------------------------
    def _between(self, k: int, left, right, poled=None, kinked=None) -> None:
        """Poles and kinks between samples k and k + 1; `poled` and `kinked`, when given,
        are the only steps where one may be (the others are known not to change)."""
        d, lo, hi = self.data, self.data.xs[k], self.data.xs[k + 1]
        for i in self.poled if poled is None else poled:
            name = self.tape.steps[i].op.name
            at_left = self._operands(left, i)
            if _POLES[name](at_left, self._operands(right, i)):
                # _locate runs the test within this iteration; the defaults bind it anyway.
                x = self._locate(
                    lo,
                    hi,
                    lambda v, pole=_POLES[name], at_left=at_left, i=i: pole(
                        at_left, self._operands(v, i)
                    ),
                    i,
                )
                self._break(k, x, _POLE_WHY[name])
        for i in self.kinked if kinked is None else kinked:
            op = self.tape.steps[i].op
            if op.kink(*self._operands(left, i)) or op.kink(*self._operands(right, i)):
                continue  # a sample sits on this kink: it is a point of its own
            slopes = op.partials(*self._operands(left, i), left[i])
            if slopes != op.partials(*self._operands(right, i), right[i]):
                x = self._locate(
                    lo,
                    hi,
                    lambda v, op=op, i=i, slopes=slopes: (
                        op.partials(*self._operands(v, i), v[i]) != slopes
                    ),
                    i,
                )
                undefined = self.values_at(x)
                if isinstance(undefined, DomainError):  # x/abs(x): a jump, not a kink
                    self._break(k, x, undefined.problem)
                elif self._slope_jumps(x):
                    d.derivative_breaks.add(k)
                    d.kinks.append(Mark(x, f"a kink of {op.name}", False))
                # else: an op's kink the program smooths over (x*abs(x), relu(x)^2): the
                # program's own slope is continuous there, so the curve is not broken.

    def _slope_jumps(self, x: float) -> bool:
        """Whether the program's slope differs on the two sides of x (just beside it)."""
        sides = []
        for at, slope in zip(_beside(x), self._sides(list(_beside(x)))):
            if slope is None:  # undefined there
                return True
            if not math.isfinite(slope):
                self.data.infinite_slopes.append(at)
                slope = None
            sides.append(slope)
        left, right = sides
        if left is None or right is None:
            return True
        return abs(left - right) > 1e-4 * max(1.0, abs(left), abs(right))

    def _sides(self, xs: list):
        """The slope at each x in turn (any float), or None where x is undefined."""
        for x in xs:
            values = self.values_at(x)
            yield (
                None
                if isinstance(values, DomainError)
                else reverse_sweep(self.tape, values)[self.slot]
            )

    def _break(self, k: int, x: float, why: str) -> None:
        """The function jumps (or is undefined) at x between samples k and k + 1."""
        d = self.data
        d.function_breaks.add(k)
        d.derivative_breaks.add(k)
        if not any(p.x == x for p in d.poles):
            d.poles.append(Mark(x, why, False))

    def _locate(self, lo: float, hi: float, changed: Callable, step=None) -> float:
        """Bisect [lo, hi] for where a step changes: `changed(values)` is true of the
        values past the change (an undefined midpoint counts as past it)."""
        for _ in range(_BISECT):
            mid = (lo + hi) / 2
            if mid in (lo, hi):
                break
            values = self.values_at(mid)
            if isinstance(values, DomainError) or changed(values):
                hi = mid
            else:
                lo = mid
        return _short_between(lo, hi)

    def _kink_at(self, x: float, values, kinked=None) -> None:
        for i in self.kinked if kinked is None else kinked:
            why = self.tape.steps[i].op.kink(*self._operands(values, i))
            if why:
                self.data.kinks.append(Mark(x, why, True))
                return

    # --- the tangent at the given point --------------------------------------------------
    def _tangent(self, x0: float) -> None:
        d = self.data
        values = _Sampler.values_at(self, x0)
        if isinstance(values, DomainError):
            d.no_tangent = f"the program is undefined at {self.name} = {fmt(x0)}: {values.problem}"
            return
        g = reverse_sweep(self.tape, values)[self.slot]
        if not math.isfinite(g):
            d.no_tangent = (
                f"the derivative at {self.name} = {fmt(x0)} is not a finite number ({fmt(g)})"
            )
            return
        kink = None
        for i in self.kinked:
            kink = kink or self.tape.steps[i].op.kink(*self._operands(values, i))
        d.tangent = Tangent(x0, values[self.tape.output], g, kink)


class _ColumnSampler(_Sampler):
    """_Sampler with the samples, and the bisections between them, swept on arrays
    (plot_columns.py): the same reads of the same numbers, far fewer passes."""

    def run(self, points: int, x0: float) -> None:
        """run(), reading every sample's values and slope from sweeps on arrays, a batch
        of samples at a time (as many as plot_columns.py's budget holds), and every
        bisection between samples on arrays too, all of them together; the
        scalar passes only where run() needs more than a sample's numbers: the first of
        a run of undefined samples (why it is undefined) and a tangent that is not
        finite."""
        from .plot_columns import Columns

        d = self.data
        step = (d.end - d.start) / (points - 1)
        d.xs = [d.start + k * step for k in range(points - 1)] + [d.end]
        self.columns = columns = Columns(self.tape, self.inputs, self.slot, self.reach)
        self._beside: tuple = (None, None)
        self._collect_into: Optional[list] = None
        self._located: dict = {}
        self._at: dict = {}
        if columns.undefined_everywhere:
            # A step that does not depend on the plotted input is undefined: so is every
            # sample, and only the first one's reason is reported.
            d.ys, d.slopes = [None] * points, [None] * points
            self._undefined(0, d.xs[0], _Sampler.values_at(self, d.xs[0]), None)
            self._tangent(x0)
            return
        # First every batch of samples is swept, and the bisections its pairs of samples
        # will need are noted; then all of them run together (_settle); then each sample
        # is read in turn, as run() reads it, each batch keeping only the values read.
        width = columns.width()
        batches, jobs, start = [], [], 0
        # A power whose exponent is a number >= 0 the same at every sample has no pole
        # (_POLES asks for a negative exponent): its columns need no comparing.
        poled = [
            i
            for i in self.poled
            if not (
                self.tape.steps[i].op.name == "pow"
                and columns.constants[self.tape.steps[i].args[1]] is not None
                and columns.constants[self.tape.steps[i].args[1]].item(0) >= 0
            )
        ]
        while True:
            end = min(points, start + width)
            last = end == points
            batch: Any = None  # swept, a batch keeps only the values read from it
            batch = columns.sweep(
                d.xs[start:end] + ([x0] if last else []),
                self.kinked,
                poled,
                _POLE_COLUMNS,
                end - start,
            )
            jobs += self._collect(batch, start, end)
            batches.append((batch, start, end))
            if last:
                break
            start = end - 1  # batches overlap by a sample, so each pair lies in one
        self._settle(jobs)
        previous = None
        for batch, start, end in batches:
            if not isinstance(previous, DomainError):
                previous = None  # read again from the next batch: one batch at a time
            if start and not isinstance(previous, DomainError):
                previous = batch.column(0)  # the same sample, read in this batch
            for k in range(start + (start > 0), end):
                previous = self._read(k, batch, k - start, previous)
        j = end - start
        if batch.bad[j] or not math.isfinite(batch.slopes[j]):
            self._tangent(x0)  # the scalar path says why there is none
            return
        kink, i = None, batch.first_kink[j]
        if i is not None:
            kink = self.tape.steps[i].op.kink(*self._operands(batch.column(j), i))
        d.tangent = Tangent(x0, batch.ys[j], batch.slopes[j], kink)

    def _read(self, k: int, batch, j: int, previous):
        """Sample k, column j of the batch, as run() reads it; returns what run() keeps
        as `previous`."""
        d, x = self.data, self.data.xs[k]
        if batch.bad[j]:
            if isinstance(previous, DomainError):
                d.ys.append(None)  # the region goes on (run() asks no more of it)
                d.slopes.append(None)
                return previous
            values = _Sampler.values_at(self, x)  # why it is undefined
            if isinstance(values, DomainError):
                d.ys.append(None)
                d.slopes.append(None)
                self._undefined(k, x, values, previous)
                return values
            raise AssertionError(f"the sweep on arrays found {d.along} = {x} undefined")
        if isinstance(previous, DomainError) and d.undefined:
            self._close_region(d.xs[k - 1], x)
        d.ys.append(batch.ys[j])
        slope = batch.slopes[j]
        if not math.isfinite(slope):
            d.infinite_slopes.append(x)
            slope = None
        d.slopes.append(slope)
        values = batch.column(j)
        if batch.first_kink[j] is not None:
            d.kink_samples.add(k)
            self._kink_at(x, values, [batch.first_kink[j]])
        if previous is not None and not isinstance(previous, DomainError):
            self._between(
                k - 1,
                previous,
                values,
                batch.pair_poles.get(j - 1, ()),
                batch.pair_kinks.get(j - 1, ()),
            )
        return values

    def _collect(self, batch, start: int, end: int) -> list:
        """The bisections (_Job) that the batch's pairs of samples will ask _locate for,
        learned by running _between on each flagged step alone, stopped at its _locate."""
        jobs: list = []
        self._collect_into = jobs
        try:
            for j in range(1, end - start):
                if batch.bad[j - 1] or batch.bad[j]:
                    continue
                left, right = batch.column(j - 1), batch.column(j)
                for poled, kinked in [([i], ()) for i in batch.pair_poles.get(j - 1, ())] + [
                    ((), [i]) for i in batch.pair_kinks.get(j - 1, ())
                ]:
                    try:
                        self._between(start + j - 1, left, right, poled, kinked)
                    except _Collected:
                        pass
        finally:
            self._collect_into = None
        return jobs

    def _settle(self, jobs: list) -> None:
        """Bisect, all together, for every pole and kink that _between will locate, and
        sweep the points found and those beside them at once: _between then finds them
        done (`_located`, `_at`)."""
        if not jobs:
            return
        for job, x in zip(jobs, self._solve(jobs)):
            self._located[(job.lo0, job.hi0, job.step)] = x
        kinks = list(dict.fromkeys(x for job, x in zip(jobs, self._solve_results) if job.kink))
        size = max(1, self.columns.width() // 3)
        for first in range(0, len(kinks), size):
            group = kinks[first : first + size]
            swept = self.columns.sweep([p for x in group for p in (x, *_beside(x))], (), (), {}, 0)
            for n, x in enumerate(group):
                j = 3 * n
                sides = [None if swept.bad[j + m] else swept.slopes[j + m] for m in (1, 2)]
                self._at[x] = (not swept.bad[j], sides)

    def values_at(self, x: float):
        """The scalar path's DomainError where x is undefined, else _DEFINED: its callers
        here (_between, _boundary) ask only whether x is defined. The slopes just beside
        x, which _slope_jumps(x) asks for next, come in the same sweep."""
        if self._collect_into is not None:
            raise _Collected
        if x in self._at:  # kept: another step may have its kink at the same x
            defined, sides = self._at[x]
        else:
            batch = self.columns.sweep([x, *_beside(x)], (), (), {}, 0)
            defined = not batch.bad[0]
            sides = [None if batch.bad[j] else batch.slopes[j] for j in (1, 2)]
        self._beside = (_beside(x), sides)
        return _DEFINED if defined else _Sampler.values_at(self, x)

    def _sides(self, xs: list):
        if self._beside[0] == tuple(xs):
            return self._beside[1]
        batch = self.columns.sweep(xs, (), (), {}, 0)
        return [None if batch.bad[j] else batch.slopes[j] for j in range(len(xs))]

    def _boundary(self, good: float, bad: float) -> tuple:
        job = _Job(good, bad, lambda batch, j: batch.bad[j], None, False)
        self._bisect_all([job])
        x = _short_between(job.lo, job.hi)
        return x, isinstance(self.values_at(x), DomainError)

    def _locate(self, lo: float, hi: float, changed: Callable, step=None) -> float:
        kink = self.tape.steps[step].op.kink is not None if step is not None else False
        job = _Job(lo, hi, lambda batch, j: batch.bad[j] or changed(batch.column(j)), step, kink)
        if self._collect_into is not None:
            self._collect_into.append(job)
            raise _Collected
        if (lo, hi, step) in self._located:
            return self._located.pop((lo, hi, step))
        return self._solve([job])[0]

    def _solve(self, jobs: list) -> list:
        """Where each job's change lies, as _Sampler._locate finds it."""
        for job in jobs:
            if job.step is not None:
                job.only = self.columns.ancestors(job.step)
        pending = jobs
        while pending:
            # as many jobs at a time as the sweep's budget holds: up to 63 midpoints each,
            # over the steps they depend on
            group: list = []
            union = None
            for job in pending:
                mask = job.only if job.only is not None else np.array(self.reach)
                wider = mask if union is None else union | mask
                if group and 63 * (len(group) + 1) * int(wider.sum()) > self.columns.budget:
                    self._bisect_all(group)
                    group, wider = [], mask
                group.append(job)
                union = wider
            self._bisect_all(group)
            # Bisected over the steps the change depends on: a midpoint taken as before
            # the change may still be undefined elsewhere in the program, which counts
            # as past it. Check them all at once; go on from the first such one.
            checks = [
                (job, n, mid, a)
                for job in pending
                if job.only is not None
                for n, (mid, a, b, was_past) in enumerate(job.path)
                if not was_past
            ]
            if not checks:
                break
            size = self.columns.width(kept=False)
            bad = []
            for first in range(0, len(checks), size):
                mids = [mid for _, _, mid, _ in checks[first : first + size]]
                bad += self.columns.forward(mids, keep="nothing").bad
            again = []
            for m, (job, n, mid, a) in enumerate(checks):
                if bad[m] and job not in again:
                    job.lo, job.hi, job.done = a, mid, job.start + n + 1
                    again.append(job)
            pending = again
        self._solve_results = [_short_between(job.lo, job.hi) for job in jobs]
        return self._solve_results

    def _bisect_all(self, jobs: list) -> None:
        """_locate's loop for every job at once, a tree of midpoints at a time: the next
        `_TREE` levels' every midpoint of every job is swept together, then each job
        walks down its tree as the loop would. Each job keeps its path: (mid, lo, hi,
        past) at each halving."""
        for job in jobs:
            job.path, job.start = [], job.done
        active = jobs
        while active:
            mids: list = []
            plans: list = []
            for job in active:
                depth = min(_TREE, _BISECT - job.done)
                nodes, where = {1: (job.lo, job.hi)}, {}
                for n in range(1, 2**depth):
                    if n not in nodes:
                        continue
                    a, b = nodes[n]
                    mid = (a + b) / 2
                    if mid in (a, b):
                        continue
                    where[n] = len(mids)
                    mids.append(mid)
                    if 2 * n < 2**depth:
                        nodes[2 * n], nodes[2 * n + 1] = (a, mid), (mid, b)
                if where:
                    plans.append((job, depth, where))
            if not plans:
                break
            masks = [job.only for job, _, _ in plans]
            only = None if any(m is None for m in masks) else np.logical_or.reduce(masks)
            batch = self.columns.forward(mids, only)
            active = []
            for job, depth, where in plans:
                n = 1
                for _ in range(depth):
                    if n not in where:
                        break
                    mid = mids[where[n]]
                    was_past = bool(job.past(batch, where[n]))
                    job.path.append((mid, job.lo, job.hi, was_past))
                    if was_past:
                        job.hi, n = mid, 2 * n
                    else:
                        job.lo, n = mid, 2 * n + 1
                    job.done += 1
                else:
                    if job.done < _BISECT:
                        active.append(job)


_DEFINED = object()  # _ColumnSampler.values_at: x is defined


class _Collected(Exception):
    """_ColumnSampler._collect: a bisection was asked for (and noted)."""


class _Job:
    """A bisection between lo and hi for where `past(batch, column)` starts to hold."""

    def __init__(self, lo, hi, past, step, kink):
        self.lo0, self.hi0, self.lo, self.hi, self.past = lo, hi, lo, hi, past
        self.step, self.kink, self.only, self.done, self.path, self.start = (
            step,
            kink,
            None,
            0,
            [],
            0,
        )


def _beside(x: float) -> tuple:
    """Two points just either side of x, where _slope_jumps compares the slopes."""
    h = max(abs(x), 1.0) * 1e-7
    return x - h, x + h


def _short_between(lo: float, hi: float) -> float:
    """The number with the fewest decimals in [lo, hi] (0 rather than 1.2e-17)."""
    a, b = min(lo, hi), max(lo, hi)
    for digits in range(0, 16):
        r = round((a + b) / 2, digits)
        if a <= r <= b:
            return r + 0.0
    return (a + b) / 2


def _sign_change(a: float, b: float) -> bool:
    return (a < 0 < b) or (b < 0 < a)


def _tan_branch(x: float, floor=math.floor) -> float:
    return floor((x - math.pi / 2) / math.pi)


def _sign_changes(a, b):
    return ((a < 0) & (b > 0)) | ((b < 0) & (a > 0))


# Ops whose value jumps between two defined samples, read from the operands at both: a
# division whose divisor changes sign, a power with a negative exponent whose base does,
# tan whose argument crosses π/2 + kπ.
_POLES: dict = {
    "div": lambda left, right: _sign_change(left[1], right[1]),
    "pow": lambda left, right: (left[1] < 0 or right[1] < 0) and _sign_change(left[0], right[0]),
    "tan": lambda left, right: _tan_branch(left[0]) != _tan_branch(right[0]),
}


def _neighbours(x, pairs: int) -> tuple:
    """An operand on arrays at the left and the right sample of each pair of neighbouring
    columns below `pairs` (one element for all, when it does not depend on the input)."""
    return (x, x) if x.shape[0] == 1 else (x[: pairs - 1], x[1:pairs])


def _one_sign(x) -> bool:
    """Every element of x is of one sign (> 0, or < 0): none changes sign."""
    return x.shape[0] == 1 or x.min() > 0 or x.max() < 0


def _divisor_changes(xs, pairs):
    return None if _one_sign(xs[1]) else _sign_changes(*_neighbours(xs[1], pairs))


def _power_pole(xs, pairs):
    if xs[1].min() >= 0 or _one_sign(xs[0]):  # no negative exponent, or no sign change
        return None
    (c, d), (a, b) = _neighbours(xs[1], pairs), _neighbours(xs[0], pairs)
    return ((c < 0) | (d < 0)) & _sign_changes(a, b)


def _tan_branches(xs, pairs):
    a, b = _neighbours(_tan_branch(xs[0], np.floor), pairs)
    return a != b


# The same on arrays of neighbouring samples' operands (plot_columns.py): where a pole may
# lie, each then checked with _POLES; None where none may.
_POLE_COLUMNS: dict = {"div": _divisor_changes, "pow": _power_pole, "tan": _tan_branches}
_POLE_WHY = {"div": "division by zero", "pow": "0 to a negative power", "tan": "a pole of tan"}
