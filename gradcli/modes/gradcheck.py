"""A gradient check: each analytic partial beside a central finite difference.

For an input x the estimate is (f(x+h) − f(x−h)) / (2h), with h = 1e-6·max(1, |x|),
re-running the engine's forward pass twice per input. The two numbers are compared by
relative error |a − n| / max(|a|, |n|) (0 when both are 0), and the error is sorted into
CS231n's bands (BANDS below). Nothing here prints.

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
from typing import Optional

from ..core.engine import forward
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
_EPS = 2.0 ** -52


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
    """One Check per input named in `analytic` (name -> the engine's partial)."""
    return [check_input(tape, inputs, values, name, a) for name, a in analytic.items()]


def check_input(tape: Tape, inputs: dict, values: list, name: str, analytic: float) -> Check:
    x = inputs[name]
    h = step_size(x)
    up, down = dict(inputs), dict(inputs)
    up[name], down[name] = x + h, x - h
    out = tape.output
    try:
        hi, lo = forward(tape, up), forward(tape, down)
    except EvaluationError as exc:
        reason = str(exc).splitlines()[0]
        return Check(name, analytic, None, None, UNAVAILABLE, h,
                     _kinks(tape, name, values, None, None, h),
                     f"the forward pass fails within h = {fmt(h)} of {name} = {fmt(x)}: {reason}")
    # The nudge actually taken, after rounding x ± h to floats.
    numeric = (hi[out] - lo[out]) / (up[name] - down[name])
    kinks = _kinks(tape, name, values, hi, lo, h)
    if not math.isfinite(analytic) or not math.isfinite(numeric):
        return Check(name, analytic, numeric if math.isfinite(numeric) else None, None,
                     UNAVAILABLE, h, kinks, "the gradient is not a finite number here")
    error = relative_error(analytic, numeric)
    rounding = 4 * _EPS * max(abs(hi[out]), abs(lo[out])) / (up[name] - down[name])
    if abs(analytic - numeric) <= rounding and error >= BANDS[0][0]:
        return Check(name, analytic, numeric, error, BANDS[0][1], h, kinks, within_rounding=True)
    return Check(name, analytic, numeric, error, verdict(error), h, kinks)


def _depends_on(tape: Tape, name: str) -> list:
    start = tape.inputs[name]
    reach = [False] * len(tape.steps)
    reach[start] = True
    for i in range(start + 1, len(tape.steps)):
        reach[i] = any(reach[a] for a in tape.steps[i].args)
    return reach


def _kinks(tape: Tape, name: str, values: list, hi, lo, h: float) -> list:
    """Kinked steps that the nudge of `name` reaches: at the kink, or straddling it."""
    reach = _depends_on(tape, name)
    found = Warnings()  # a few places of each kind and a count: 4,000 relus at 0 are one line
    for i, step in enumerate(tape.steps[: tape.output + 1]):
        op = step.op
        if op.kink is None or not reach[i]:
            continue
        xs = [values[a] for a in step.args]
        where = f"(step {tape.label(i)} = {tape.expression(i)})"
        at = op.kink(*xs)
        if at:
            found.add(f"{name} sits at a kink: {at}", where)
            continue
        if hi is None:
            continue
        up = op.partials(*[hi[a] for a in step.args], hi[i])
        down = op.partials(*[lo[a] for a in step.args], lo[i])
        if up != down:
            found.add(f"a kink lies within h = {fmt(h)} of {name}: the finite difference "
                      f"straddles two slopes of {op.name}", where)
    return found.lines()
