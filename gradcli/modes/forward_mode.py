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

from ..core.engine import tangent_sweep
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
    raise UnknownName(f"unknown mode {mode!r}"
                      + (f" (did you mean {quoted_or(close)}?)" if close else ""),
                      "the modes are " + ", ".join(MODES[:-1]) + " and " + MODES[-1],
                      name=mode, kind="mode", suggestions=close, known=MODES, parameter="mode")


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
    tangents = tangent_sweep(tape, values, {tape.inputs[wrt]: 1.0}, record=terms,
                             warnings=warnings)
    return TangentTrace(tape, wrt, values, tangents, terms or [], warnings.lines())


def agree(a: float, b: float) -> bool:
    """Forward and reverse mode compute the same sums in another order: equal to rounding.

    Past an infinite local slope the order matters more: one may reach inf where the
    other reaches inf − inf = nan. Both then say the derivative is not a finite number.
    """
    if not (math.isfinite(a) and math.isfinite(b)):
        return not (math.isfinite(a) or math.isfinite(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
