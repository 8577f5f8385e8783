"""What `gradcli eval` computes, by mode: the reverse sweep, the tangent trace, the gradient
check and the symbolic partials, gathered in one place for the renderers. Nothing here
prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..core.engine import (
    Evaluation,
    evaluate,
    forward,
    input_values,
    no_cycle_collection,
)
from ..core.errors import UsageError, WrtError
from ..core.tape import Tape
from ..language.lower import compile_program
from .forward_mode import TangentTrace, check_mode, resolve_wrt, tangent_trace


@dataclass
class Study:
    tape: Tape
    mode: str
    inputs: dict
    values: list
    analytic: dict  # name -> the partial this mode computed (all inputs, or just wrt)
    ev: Optional[Evaluation] = None  # the reverse sweep (modes reverse and both)
    trace: Optional[TangentTrace] = None  # forward mode (modes forward and both)
    checks: Optional[list] = None
    partials: Optional[list] = None
    warnings: list = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.values[self.tape.output]


def study(
    source: str,
    given: dict,
    output: Optional[str] = None,
    mode: str = "reverse",
    wrt: Optional[str] = None,
    check: bool = False,
    symbolic: bool = False,
    record: bool = True,
    dialect: str = "gradcli",
) -> Study:
    mode = check_mode(mode)
    if wrt is not None and mode == "reverse":
        raise WrtError("reverse mode", wrt=wrt, mode=mode)
    with no_cycle_collection():
        tape = compile_program(source, given, output, dialect=dialect)
        if mode != "reverse" or symbolic:
            _scalar_only(
                tape, given, "forward mode is" if mode != "reverse" else "symbolic partials are"
            )
        name = resolve_wrt(tape, wrt) if mode != "reverse" else None
        trace: Optional[TangentTrace]
        if mode == "forward":
            assert name is not None  # resolved above: the mode is not reverse
            inputs, warnings = input_values(tape, given)
            values = forward(tape, inputs)
            trace = tangent_trace(tape, values, name, record)
            found = Study(
                tape,
                mode,
                inputs,
                values,
                {name: trace.derivative},
                trace=trace,
                warnings=list(tape.warnings) + warnings + trace.warnings,
            )
        else:
            ev = evaluate(tape, given, record=record)
            trace = tangent_trace(tape, ev.values, name, record) if name else None
            found = Study(
                tape,
                mode,
                ev.inputs,
                ev.values,
                ev.gradient,
                ev=ev,
                trace=trace,
                warnings=list(ev.warnings) + (trace.warnings if trace else []),
            )
    if symbolic:
        from .symbolic import formulas

        found.partials = formulas(tape, list(found.analytic), found.inputs)
    if check:
        from .gradcheck import check_gradient

        found.checks = check_gradient(tape, found.inputs, found.values, found.analytic)
        for c in found.checks:
            found.warnings += c.kinks
    found.warnings = list(dict.fromkeys(found.warnings))  # each said once
    return found


def _scalar_only(tape: Tape, given: dict, what: str) -> None:
    """Forward mode and symbolic partials work on programs of numbers only, for now: say
    so for a program with arrays (its literals, its ops or the values given), and what
    does the job there."""
    from ..core.tensor_eval import uses_arrays

    if not uses_arrays(tape, given):
        return
    from ..core.arrays import is_array, np, shape_text

    arrays = [
        f"{name} is {shape_text(np.shape(v))}"
        for name, v in given.items()
        if name in tape.inputs and is_array(v)
    ]
    which = f" ({arrays[0]})" if arrays else ""
    raise UsageError(
        f"{what} for programs of numbers only (for now), and this program has arrays{which}",
        "for a program with arrays, the reverse sweep (the default mode) gives "
        "every entry of the gradient, and the gradient check compares each "
        "entry with a finite difference",
    )
