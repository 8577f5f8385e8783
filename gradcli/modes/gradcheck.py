"""A gradient check: each analytic partial beside a central finite difference.

For an input x the estimate is (f(x+h) − f(x−h)) / (2h), with h = 1e-6·max(1, |x|),
re-running the engine's forward pass twice per input. The two numbers are compared by
relative error |a − n| / max(|a|, |n|) (0 when both are 0), and the error is sorted into
CS231n's bands (BANDS below). Nothing here prints.

In tensor mode (check_arrays) every entry of every input is nudged in turn, h = 1e-6·
max(1, |entry|), with the same comparison and bands; an input of more than SAMPLE entries
is checked at SAMPLE of them, drawn at random with a fixed seed (and says so). A kink is
then an elementwise kink (the hooks below) at an entry the nudge moved, or a tie in a max
or min over an axis, where the engine splits the gradient equally (torch.amax) and a
one-sided nudge cannot.

Two places where the numbers legitimately differ are recognised, both from the registry:
  - a kink: a step whose op has a `kink` hook (relu, abs, max, min) and whose hook fires
    at the given values, or whose local partials differ between x−h and x+h — the
    difference then straddles two slopes ("near a kink": within the step h). This reads
    the registry's kinked ops as what they are, piecewise linear: their partials are
    constant between kinks, so a change between x−h and x+h means a kink was crossed;
  - rounding: a difference below what a difference quotient can resolve (about
    ε·|f|/h) counts as good whatever the ratio, so cos(π/2) = 6e-17 beside a numeric
    1e-11 is not called wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Optional

from ..core.engine import forward, reforward
from ..core.errors import EvaluationError
from ..core.notation import fmt
from ..core.tape import Tape
from ..core.warnings import Warnings

# (upper bound, verdict, meaning): an error below the bound gets the verdict.
BANDS = (
    (1e-7, "good", "the analytic and numeric gradients agree"),
    (1e-4, "fair", "close, but more than float64 rounding usually explains"),
    (1e-2, "suspicious", "expected only near a kink; otherwise look for a bug"),
    (math.inf, "wrong", "the analytic gradient is probably wrong (or a kink is within h)"),
)
UNAVAILABLE = "unavailable"
# What a table says where the numbers differ at or near a kink: what happens there, in
# words. A central difference straddling a kink of a piecewise-linear step is an average
# of the slopes on its two sides (an even one exactly at the kink), not the derivative
# the convention picks. The band itself stays in `verdict` (JSON) for scripts.
KINK_VERDICT = "differs at a kink"
KINK_NOTE = (
    "differs at a kink: the finite difference straddles the kink and averages the "
    "slopes on its two sides, while the analytic value is the slope at the point "
    "itself (at the kink, the one its convention picks): expected, not a bug"
)
_EPS = 2.0**-52


@dataclass
class Check:
    name: str
    analytic: float
    numeric: Optional[float]
    relative_error: Optional[float]
    verdict: str
    h: float
    kinks: list = field(default_factory=list)  # why the two may legitimately differ
    note: Optional[str] = None  # why the estimate is unavailable
    within_rounding: bool = False  # good because |a − n| is below the estimate's rounding

    @property
    def near_kink(self) -> bool:
        return bool(self.kinks)


def step_size(x: float) -> float:
    return 1e-6 * max(1.0, abs(x))


def relative_error(a: float, n: float) -> float:
    scale = max(abs(a), abs(n))
    return 0.0 if scale == 0 else abs(a - n) / scale


def verdict(error: Optional[float]) -> str:
    if error is None or not math.isfinite(error):
        return UNAVAILABLE
    for bound, name, _ in BANDS:
        if error < bound:
            return name
    return BANDS[-1][1]


def check_gradient(tape: Tape, inputs: dict, values: list, analytic: dict) -> list:
    """One Check per input named in `analytic` (name -> the engine's partial); in tensor
    mode one ArrayCheck per input, entry by entry (check_arrays)."""
    if tape.tensor:
        return check_arrays(tape, inputs, values, analytic)
    # Found once for every input: the kinked steps, and which steps each input reaches.
    kinked = _kinked_steps(tape)
    reaches = _reaches(tape, list(analytic))
    return [
        check_input(tape, inputs, values, name, a, reaches[name], kinked)
        for name, a in analytic.items()
    ]


def check_input(
    tape: Tape,
    inputs: dict,
    values: list,
    name: str,
    analytic: float,
    reach: Optional[list] = None,
    kinked: Optional[list] = None,
) -> Check:
    """The check of one input. `reach` (the steps that depend on it) and `kinked` (the
    steps whose op has a kink) are found here unless given."""
    x = inputs[name]
    h = step_size(x)
    up, down = dict(inputs), dict(inputs)
    up[name], down[name] = x + h, x - h
    out = tape.output
    reach = _depends_on(tape, name) if reach is None else reach
    kinked = _kinked_steps(tape) if kinked is None else kinked
    try:
        hi = _nudged(tape, values, name, up[name], reach)
        lo = _nudged(tape, values, name, down[name], reach)
    except EvaluationError as exc:
        reason = str(exc).splitlines()[0]
        return Check(
            name,
            analytic,
            None,
            None,
            UNAVAILABLE,
            h,
            _kinks(tape, name, values, None, None, h, reach, kinked),
            f"the forward pass fails within h = {fmt(h)} of {name} = {fmt(x)}: {reason}",
        )
    # The nudge actually taken, after rounding x ± h to floats.
    numeric = (hi[out] - lo[out]) / (up[name] - down[name])
    kinks = _kinks(tape, name, values, hi, lo, h, reach, kinked)
    if not math.isfinite(analytic) or not math.isfinite(numeric):
        return Check(
            name,
            analytic,
            numeric if math.isfinite(numeric) else None,
            None,
            UNAVAILABLE,
            h,
            kinks,
            "the gradient is not a finite number here",
        )
    error = relative_error(analytic, numeric)
    rounding = 4 * _EPS * max(abs(hi[out]), abs(lo[out])) / (up[name] - down[name])
    if abs(analytic - numeric) <= rounding and error >= BANDS[0][0]:
        return Check(name, analytic, numeric, error, BANDS[0][1], h, kinks, within_rounding=True)
    return Check(name, analytic, numeric, error, verdict(error), h, kinks)


def _nudged(tape: Tape, values: list, name: str, x: float, reach: list) -> list:
    """The forward pass with input `name` set to x: the engine's pass again for the steps
    that depend on it (`reach`), the others keeping `values` (the same numbers a whole
    pass gives them, and the same first error, since they cannot fail where `values` did
    not)."""
    start = tape.inputs[name]
    moved = list(values)
    moved[start] = x
    return reforward(tape, moved, start, len(tape.steps) - 1, reach)


def _depends_on(tape: Tape, name: str) -> list:
    start = tape.inputs[name]
    reach = [False] * len(tape.steps)
    reach[start] = True
    for i in range(start + 1, len(tape.steps)):
        reach[i] = any(reach[a] for a in tape.steps[i].args)
    return reach


def _reaches(tape: Tape, names: list) -> dict:
    """_depends_on for several inputs in one pass over the tape: each step's inputs as
    the bits of one integer (bit k: names[k] reaches it)."""
    bit = {tape.inputs[name]: 1 << k for k, name in enumerate(names)}
    masks = [0] * len(tape.steps)
    for i, step in enumerate(tape.steps):
        m = bit.get(i, 0)
        for a in step.args:
            m |= masks[a]
        masks[i] = m
    return {name: [m >> k & 1 == 1 for m in masks] for k, name in enumerate(names)}


def _kinked_steps(tape: Tape) -> list:
    """The steps up to the output whose op has a kink (relu, abs, max, min)."""
    return [i for i, step in enumerate(tape.steps[: tape.output + 1]) if step.op.kink is not None]


def _kinks(
    tape: Tape, name: str, values: list, hi, lo, h: float, reach: list, kinked: list
) -> list:
    """Kinked steps that the nudge of `name` reaches: at the kink, or straddling it."""
    found = Warnings()  # a few places of each kind and a count: 4,000 relus at 0 are one line
    for i in kinked:
        if not reach[i]:
            continue
        step = tape.steps[i]
        op = step.op
        xs = [values[a] for a in step.args]
        where = partial(_step_text, tape, i)  # worded only where shown
        at = op.kink(*xs)
        if at:
            found.add(f"{name} sits at a kink: {at}", where)
            continue
        if hi is None:
            continue
        up = op.partials(*[hi[a] for a in step.args], hi[i])
        down = op.partials(*[lo[a] for a in step.args], lo[i])
        if up != down:
            found.add(
                f"a kink lies within h = {fmt(h)} of {name}: the finite difference "
                f"straddles two slopes of {op.name}",
                where,
            )
    return found.lines()


def _step_text(tape: Tape, i: int) -> str:
    return f"(step {tape.label(i)} = {tape.expression(i)})"


# --- tensor mode: every entry of every input (or a seeded sample of a big one) ----------
SAMPLE = 200  # entries checked per input; an input with more is checked at a random sample
SAMPLE_SEED = 0  # the sample is the same on every run: (SAMPLE_SEED, the input's name)
# How bad a verdict is, for choosing the entry an input's row shows.
_SEVERITY = {"good": 0, UNAVAILABLE: 0, "fair": 1, "suspicious": 2, "wrong": 3}


@dataclass
class EntryCheck:
    """One entry of an array input: its partial beside a central difference in it."""

    index: tuple
    analytic: float
    numeric: Optional[float]
    relative_error: Optional[float]
    verdict: str
    h: float
    kinks: list = field(default_factory=list)
    note: Optional[str] = None
    within_rounding: bool = False

    @property
    def near_kink(self) -> bool:
        return bool(self.kinks)


@dataclass
class ArrayCheck:
    """The check of one input of a tensor program, entry by entry. Its row shows the
    entry that most deserves a look (`worst`): one whose verdict is not good away from a
    kink, else one at a kink, else the largest relative error; `counts` has the rest."""

    name: str
    shape: tuple
    entries: list  # EntryCheck, in row-major order of their index
    total: int  # how many entries the input has
    sampled: bool  # entries is a random sample of them
    kinks: list = field(default_factory=list)  # warnings: entries at or near a kink

    @property
    def worst(self) -> EntryCheck:
        def key(e):
            if e.verdict == "good":
                rank = 0
            elif e.verdict == UNAVAILABLE:
                rank = 1
            else:
                rank = 2 if e.near_kink else 3
            return rank, _SEVERITY[e.verdict], e.relative_error or 0.0

        return max(self.entries, key=key)

    @property
    def counts(self) -> dict:
        """verdict -> how many entries got it, kink annotations included."""
        out: dict = {}
        for e in self.entries:
            label = e.verdict
            if e.near_kink and label not in ("good", UNAVAILABLE):
                label = KINK_VERDICT
            out[label] = out.get(label, 0) + 1
        return out

    # As a Check reads, for what shows one row per input: the worst entry's numbers.
    @property
    def analytic(self) -> float:
        return self.worst.analytic

    @property
    def numeric(self) -> Optional[float]:
        return self.worst.numeric

    @property
    def relative_error(self) -> Optional[float]:
        return self.worst.relative_error

    @property
    def verdict(self) -> str:
        return self.worst.verdict

    @property
    def near_kink(self) -> bool:
        return self.worst.near_kink

    @property
    def within_rounding(self) -> bool:
        return self.worst.within_rounding

    @property
    def note(self) -> Optional[str]:
        notes = [e for e in self.entries if e.note]
        if not notes:
            return None
        first = notes[0]
        where = (
            f"at {len(notes)} of the {len(self.entries)} entries checked"
            if len(notes) > 1
            else "at 1 entry"
        )
        return f"{where}, the first {list(first.index)}: {first.note}"


def check_arrays(tape: Tape, inputs: dict, values: list, analytic: dict) -> list:
    """One ArrayCheck per input named in `analytic` (name -> the engine's gradient)."""
    return [check_array(tape, inputs, values, name, g) for name, g in analytic.items()]


def sample_entries(name: str, shape: tuple) -> tuple:
    """The entries to check: all of them, or SAMPLE of them drawn with a generator seeded
    by (SAMPLE_SEED, the name), so a run repeats. (indices in row-major order, sampled?)"""
    import zlib

    from ..core.arrays import np

    total = int(np.prod(shape, dtype=np.int64))
    if total <= SAMPLE:
        flat = np.arange(total)
    else:
        rng = np.random.default_rng([SAMPLE_SEED, zlib.crc32(name.encode("utf-8"))])
        flat = np.sort(rng.choice(total, SAMPLE, replace=False))
    return [tuple(int(k) for k in np.unravel_index(f, shape)) for f in flat], total > SAMPLE


def check_array(tape: Tape, inputs: dict, values: list, name: str, gradient) -> ArrayCheck:
    from ..core.arrays import np

    x = np.asarray(inputs[name], dtype=float)
    g = np.broadcast_to(np.asarray(gradient, dtype=float), x.shape)
    indices, sampled = sample_entries(name, x.shape)
    reach = _depends_on(tape, name)
    found = Warnings()
    entries = [
        _check_entry(tape, inputs, values, name, x, float(g[index]), index, reach, found)
        for index in indices
    ]
    return ArrayCheck(name, tuple(x.shape), entries, int(x.size), sampled, found.lines())


def _entry_name(name: str, index: tuple) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def _check_entry(tape, inputs, values, name, x, analytic, index, reach, found) -> EntryCheck:
    xi = float(x[index])
    h = step_size(xi)
    up, down = x.copy(), x.copy()
    up[index], down[index] = xi + h, xi - h
    step = float(up[index]) - float(down[index])  # the nudge taken, after rounding
    out = tape.output
    label = _entry_name(name, index)
    try:
        hi = forward(tape, {**inputs, name: up})
        lo = forward(tape, {**inputs, name: down})
    except EvaluationError as exc:
        reason = str(exc).splitlines()[0]
        kinks = _array_kinks(tape, name, label, values, None, None, h, reach, found)
        return EntryCheck(
            index,
            analytic,
            None,
            None,
            UNAVAILABLE,
            h,
            kinks,
            f"the forward pass fails within h = {fmt(h)} of {label} = {fmt(xi)}: {reason}",
        )
    f_hi, f_lo = float(hi[out]), float(lo[out])
    numeric = (f_hi - f_lo) / step
    kinks = _array_kinks(tape, name, label, values, hi, lo, h, reach, found)
    if not math.isfinite(analytic) or not math.isfinite(numeric):
        return EntryCheck(
            index,
            analytic,
            numeric if math.isfinite(numeric) else None,
            None,
            UNAVAILABLE,
            h,
            kinks,
            "the gradient is not a finite number here",
        )
    error = relative_error(analytic, numeric)
    rounding = 4 * _EPS * max(abs(f_hi), abs(f_lo)) / step
    if abs(analytic - numeric) <= rounding and error >= BANDS[0][0]:
        return EntryCheck(
            index, analytic, numeric, error, BANDS[0][1], h, kinks, within_rounding=True
        )
    return EntryCheck(index, analytic, numeric, error, verdict(error), h, kinks)


def _array_kinks(tape, name, label, values, hi, lo, h, reach, found) -> list:
    """Kinked steps that the nudge of one entry reaches (the elementwise ops' kink hooks:
    relu, abs, max, min; and a tie in a max or min over an axis): where an entry that
    moved sits at the kink, or where the slopes differ between the two nudged passes.
    Returns this entry's reasons; `found` gathers them as warnings, a few places a kind."""
    from ..core.arrays import np
    from ..core.tensor_eval import kinks as kink_mask

    reasons = []
    for i, step in enumerate(tape.steps[: tape.output + 1]):
        op = step.op
        if not reach[i] or (op.kink is None and op.name not in ("amax", "amin")):
            continue
        where = f"step {tape.label(i)} = {tape.expression(i)}"
        xs = [values[a] for a in step.args]
        moved = None
        if hi is not None:
            moved = [np.asarray((hi[a] != values[a]) | (lo[a] != values[a])) for a in step.args]
        if op.name in ("amax", "amin"):
            at, straddles = _reduction_kink(i, step, values, hi, lo, moved)
            axis = (step.attrs or {}).get("axis")
            over = "all entries" if axis is None else f"axis {int(axis)}"
            what = (
                f"a tie in {op.call_name} over {over}: the gradient is split equally "
                f"among the tied entries (torch.a{op.call_name}'s convention)"
            )
        else:
            shape = np.shape(values[i])
            hit = np.broadcast_to(kink_mask(op, xs), shape)
            if moved is not None:
                hit = hit & np.broadcast_to(
                    np.logical_or.reduce([np.broadcast_to(m, shape) for m in moved]), shape
                )
            entry = np.argwhere(hit)
            what = None
            if len(entry):
                first = tuple(int(k) for k in entry[0])
                what = op.kink(*[float(np.broadcast_to(v, shape)[first]) for v in xs])
            at = what is not None
            straddles = False
            if hi is not None and not at:
                up = op.array_partials(*[hi[a] for a in step.args], hi[i])
                down = op.array_partials(*[lo[a] for a in step.args], lo[i])
                straddles = any(
                    not np.array_equal(u, d)
                    for u, d in zip(up, down)
                    if u is not None and d is not None
                )
        if at:
            reasons.append(f"sits at a kink: {what} ({where})")
            found.add(
                f"entries of {name} sit at a kink: {what}", f"({label}, {where})", unit="entries"
            )
        elif straddles:
            reasons.append(
                f"a kink lies within h = {fmt(h)}: the finite difference "
                f"straddles two slopes of {op.call_name} ({where})"
            )
            found.add(
                f"a kink lies within h of entries of {name}: the finite difference "
                f"straddles two slopes of {op.call_name}",
                f"({label}, {where})",
                unit="entries",
            )
    return reasons


def _reduction_kink(i: int, step, values, hi, lo, moved) -> tuple:
    """(at a tie, straddling a change of the extreme) for a max or min over an axis (step
    i): a tied entry moved, or the entries that attain the extreme differ between the two
    nudged passes."""
    from ..core.arrays import np

    attrs = step.attrs or {}
    x = step.args[0]
    ndim = max(np.ndim(values[x]), 1)
    axis = attrs.get("axis")
    axis = None if axis is None else int(axis) % ndim

    def attained(vals):
        y = vals[i]
        if axis is not None and not attrs.get("keepdims"):
            y = np.expand_dims(y, axis)
        return np.asarray(vals[x] == y)

    mask = attained(values)
    tied = mask & (mask.sum(axis=axis, keepdims=True) > 1)
    at = bool(tied.any()) if moved is None else bool((tied & moved[0]).any())
    straddles = False
    if hi is not None and not at:
        straddles = not np.array_equal(attained(hi), attained(lo))
    return at, straddles
