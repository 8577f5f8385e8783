"""Forward-mode AD: carry a tangent v̇ = ∂v/∂a beside every value (Baydin et al., Table 2).

The tangent of a step is Σ (∂v/∂u)·u̇ over its operands u: the op contract's JVP, computed
by the core's one forward sweep (`engine.tangent_sweep`) from the same local partials the
reverse sweep multiplies by the adjoint; the input a is seeded with ȧ = 1 and every other
input with 0. One pass in evaluation order, linear in the tape's length. Here: choosing
the input, the trace kept for the tables, and what agreement with reverse mode means.
Nothing here prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from ..core.engine import reverse_sweep, tangent_sweep
from ..core.errors import UnknownName, WrtError, close_matches, quoted_or
from ..core.tape import Tape
from ..core.warnings import Warnings

MODES = ("reverse", "forward", "both")


@dataclass
class TangentTrace:
    tape: Tape
    wrt: str
    values: list
    tangents: list
    terms: list  # per step: its Terms (operands that are not literals)
    warnings: list = field(default_factory=list)

    @property
    def derivative(self) -> float:
        return self.tangents[self.tape.output]


def check_mode(mode: str) -> str:
    if mode in MODES:
        return mode
    close = close_matches(mode, MODES)
    raise UnknownName(
        f"unknown mode {mode!r}" + (f" (did you mean {quoted_or(close)}?)" if close else ""),
        "the modes are " + ", ".join(MODES[:-1]) + " and " + MODES[-1],
        name=mode,
        kind="mode",
        suggestions=close,
        known=MODES,
        parameter="mode",
    )


def resolve_wrt(tape: Tape, wrt) -> str:
    """The input to differentiate by: the one given, or the only input there is."""
    names = list(tape.inputs)
    if wrt is None:
        if len(names) == 1:
            return names[0]
        raise WrtError("several inputs" if names else "no inputs", names)
    if wrt not in tape.inputs:
        raise WrtError("unknown input", names, wrt)
    return wrt


def tangent_trace(tape: Tape, values: list, wrt: str, record: bool = True) -> TangentTrace:
    """Forward mode with respect to one input: the core's forward sweep, seeded with
    ȧ = 1 at that input (every other input's tangent is 0)."""
    terms: Optional[list] = [] if record else None
    warnings = Warnings()
    tangents = tangent_sweep(tape, values, {tape.inputs[wrt]: 1.0}, record=terms, warnings=warnings)
    return TangentTrace(tape, wrt, values, tangents, terms or [], warnings.lines())


def same(a: float, b: float) -> bool:
    """The same number: nan only with nan, an inf only with an inf of its sign, two finite
    numbers equal to rounding."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b or (a != a and b != b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


# What --mode both concludes when the two modes' numbers are set side by side.
AGREE = "agree"  # the same number
ROUNDING = "rounding"  # finite, apart by no more than the rounding of the terms summed
FLOAT_EDGE = "float-edge"  # an infinite slope or an overflow on the way: order decides
MISMATCH = "mismatch"  # none of these: a bug in gradcli


class Agreement:
    """The verdict, the two numbers, and `scale`: the largest finite term or running
    total either sweep added up (worked out when first read: where the modes agree,
    nothing needs it, and a sweep run without recording would have to run again)."""

    def __init__(self, verdict: str, forward: float, reverse: float, scale=None):
        self.verdict, self.forward, self.reverse = verdict, forward, reverse
        self._scale = scale  # a number, or a function that works it out

    @property
    def scale(self) -> float:
        if callable(self._scale):
            self._scale = self._scale()
        return self._scale

    @property
    def is_bug(self) -> bool:
        return self.verdict == MISMATCH

    def __repr__(self) -> str:
        return f"Agreement({self.verdict!r}, forward={self.forward!r}, reverse={self.reverse!r})"


def compare(trace: TangentTrace, ev) -> Agreement:
    """Forward mode's ∂f/∂wrt against the reverse sweep's, with a verdict.

    The two modes add the same path products grouped in opposite orders (forward mode
    multiplies from the input up, reverse mode from the output down). In exact arithmetic
    they are equal; in floats they are equal to the rounding of the largest term summed
    (terms of 1e200 that cancel leave no digit of a result near 1), and where a slope is
    infinite or a product overflows, 0·inf and inf − inf come out as nan or ±inf
    depending on the grouping. Only a difference that none of this explains is a bug.
    Two zeros are the same number: where a sum cancels exactly or adds zeros of both
    signs, the two groupings can give zeros of opposite sign (-(a - a): the tangent is
    -0.0, the adjoint 0.0, as PyTorch's reverse mode gives), and both are right.
    """
    tape, wrt = trace.tape, trace.wrt
    fwd, rev = trace.derivative, ev.gradient[wrt]

    def sums() -> tuple:
        # What each sweep added up (its terms and running totals), and the slopes it used;
        # sweeps run without recording are run again, recording, only when needed here.
        terms = trace.terms if trace.terms else _recorded_terms(tape, trace.values, wrt)
        contributions = ev.contributions or _recorded_contributions(tape, ev.values)
        summed = [t.term for step in terms for t in step] + list(trace.tangents)
        summed += [c.contribution for c in contributions] + [c.total for c in contributions]
        slopes = [t.local for step in terms for t in step]
        slopes += [c.local for c in contributions if c.local is not None]
        scale = max((abs(x) for x in summed if math.isfinite(x)), default=0.0)
        return summed + slopes, scale

    if same(fwd, rev):
        return Agreement(AGREE, fwd, rev, lambda: sums()[1])
    numbers, scale = sums()
    if math.isfinite(fwd) and math.isfinite(rev) and abs(fwd - rev) <= 1e-9 * scale:
        verdict = ROUNDING
    elif not all(math.isfinite(x) for x in numbers):
        verdict = FLOAT_EDGE
    else:
        verdict = MISMATCH
    return Agreement(verdict, fwd, rev, scale)


def _recorded_terms(tape: Tape, values: list, wrt: str) -> list:
    terms: list = []
    tangent_sweep(tape, values, {tape.inputs[wrt]: 1.0}, record=terms)
    return terms


def _recorded_contributions(tape: Tape, values: list) -> list:
    contributions: list = []
    reverse_sweep(tape, values, record=contributions)
    return contributions
