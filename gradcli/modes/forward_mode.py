"""Forward-mode AD: carry a tangent v̇ = ∂v/∂a beside every value (Baydin et al., Table 2).

The tangent of a step is Σ (∂v/∂u)·u̇ over its operands u, where ∂v/∂u is the registry's
own local partial (`Op.partials`, the same numbers the reverse sweep multiplies by the
adjoint); the input a is seeded with ȧ = 1 and every other input with 0. One pass in
evaluation order, linear in the tape's length. Nothing here prints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core.errors import UsageError, suggest
from ..core.tape import Tape

MODES = ("reverse", "forward", "both")


@dataclass(eq=False)
class Term:
    """One summand (∂v/∂u)·u̇ of a step's tangent; u is the operand in `position`."""
    __slots__ = ("position", "input", "local", "tangent", "term")
    position: int
    input: int
    local: float
    tangent: float
    term: float


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
    hint = suggest(mode, MODES)
    raise UsageError(f"unknown mode {mode!r}" + (f" (did you mean {hint}?)" if hint else ""),
                     "choose --mode reverse, forward or both")


def resolve_wrt(tape: Tape, wrt) -> str:
    """The input to differentiate by: the one given, or the only input there is."""
    names = list(tape.inputs)
    if wrt is None:
        if len(names) == 1:
            return names[0]
        if not names:
            raise UsageError("the program has no inputs, so there is nothing to differentiate "
                             "with respect to")
        raise UsageError("forward mode differentiates with respect to one input; the program "
                         f"has {len(names)}: {', '.join(names)}",
                         f"choose one with --wrt NAME, e.g. --wrt {names[0]}")
    if wrt not in tape.inputs:
        hint = suggest(wrt, names)
        raise UsageError(f"--wrt {wrt}: the program has no input named '{wrt}'"
                         + (f" (did you mean {hint}?)" if hint else ""),
                         "its inputs are: " + (", ".join(names) if names else "none"))
    return wrt


def tangent_trace(tape: Tape, values: list, wrt: str, record: bool = True) -> TangentTrace:
    steps = tape.steps
    n = len(steps)
    seed = tape.inputs[wrt]
    tangents = [0.0] * n
    # Which steps depend on the seeded input: the others have a tangent of exactly 0,
    # so an infinite partial on their side gives 0, not inf·0 = nan (as the reverse
    # sweep gives literals no adjoint).
    depends = [False] * n
    terms = [[] for _ in range(n)] if record else []
    warnings = []
    tangents[seed], depends[seed] = 1.0, True
    for i in range(0 if record else seed + 1, min(n, tape.output + 1)):
        step = steps[i]
        if not step.args:
            continue
        depends[i] = any(depends[a] for a in step.args)
        if not depends[i] and not record:
            continue
        xs = [values[a] for a in step.args]
        op = step.op
        partials = op.partials(*xs, values[i])
        total = 0.0
        for position, (a, local) in enumerate(zip(step.args, partials)):
            if tape.is_const(a):
                continue
            term = local * tangents[a] if depends[a] else 0.0
            total += term
            if record:
                terms[i].append(Term(position, a, local, tangents[a], term))
            if depends[a] and not math.isfinite(local):
                why = op.singular(*xs) if op.singular else None
                warnings.append(f"the derivative {tape.rule(i, position)} is undefined here"
                                + (f": {why}" if why else "")
                                + f" (step {tape.label(i)} = {tape.expression(i)})")
        tangents[i] = total
        kink = op.kink(*xs) if op.kink and depends[i] else None
        if kink:
            warnings.append(f"{kink} (step {tape.label(i)} = {tape.expression(i)})")
    return TangentTrace(tape, wrt, values, tangents, terms, warnings)


def agree(a: float, b: float) -> bool:
    """Forward and reverse mode compute the same sums in another order: equal to rounding.

    Past an infinite local slope the order matters more: one may reach inf where the
    other reaches inf − inf = nan. Both then say the derivative is not a finite number.
    """
    if not (math.isfinite(a) and math.isfinite(b)):
        return not (math.isfinite(a) or math.isfinite(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
