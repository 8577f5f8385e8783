"""Evaluate a tape: the forward pass, then the reverse sweep that accumulates adjoints.

The reverse sweep visits steps from the output back to the first, and for every operand
adds `local partial × the step's adjoint` to the operand's adjoint — the chain rule, with
`+=` so that a value used twice collects both contributions. Each contribution is
recorded so renderers can show it; nothing here prints.
"""
from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Mapping

from .errors import EvaluationError, UsageError, caret_excerpt, suggest
from .notation import fmt
from .ops import CONSTANTS, FUNCTIONS, OPS
from .tape import Tape

_INPUT, _CONST = OPS["input"], OPS["const"]


@dataclass(eq=False)
class Contribution:
    """One chain-rule term: step `node` sends `local × upstream` to its operand `input`."""
    __slots__ = ("node", "position", "input", "local", "upstream", "contribution", "total",
                 "count")
    node: int
    position: int  # which operand of the step (0, 1)
    input: int
    local: float  # ∂node/∂input
    upstream: float  # the node's adjoint ∂f/∂node
    contribution: float  # local × upstream
    total: float  # the input's adjoint after adding this term
    count: int  # how many terms the input has received, this one included


@dataclass
class Evaluation:
    tape: Tape
    inputs: dict  # name -> value used
    values: list
    adjoints: list
    contributions: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def value(self) -> float:
        return self.values[self.tape.output]

    @property
    def gradient(self) -> dict:
        """∂output/∂input for every input, 0 for one the output does not use."""
        return {name: self.adjoints[i] for name, i in self.tape.inputs.items()}


def input_values(tape: Tape, given: Mapping[str, float]) -> tuple[dict, list]:
    """Every input's value: given on the command line, else the program's default."""
    values, missing, warnings = {}, [], []
    for name, i in tape.inputs.items():
        if name in given:
            values[name] = float(given[name])
        elif tape.steps[i].const is not None:
            values[name] = tape.steps[i].const
        else:
            missing.append(name)
    computed = {s.name for s in tape.steps if s.name and s.name not in tape.inputs}
    for name in given:
        if name in tape.inputs:
            continue
        if name in computed:
            warnings.append(f"'{name}' is computed by the program: the value given for it "
                            "is not used")
        else:
            hint = suggest(name, tape.inputs)
            warnings.append(f"the program does not use '{name}': its value is ignored"
                            + (f" (did you mean {hint}?)" if hint else ""))
    if missing:
        listed = ", ".join(missing)
        example = " ".join(f"--{m} VALUE" for m in missing)
        hints = []
        for m in missing:
            hint = suggest(m, [g for g in given if g not in tape.inputs])
            if hint:
                hints.append(f"a value was given for {hint}; did you mean '{m}'?")
            known = suggest(m, list(CONSTANTS) + list(FUNCTIONS))
            if known:
                # `pii*r` or `sigmod + 1`: perhaps a misspelt constant or function.
                hints.append(f"'{m}' is not a known constant or function: did you mean {known}?")
        plural = "inputs" if len(missing) > 1 else "input"
        raise UsageError(f"no value for the {plural} {listed}",
                         f"pass {'them' if len(missing) > 1 else 'it'} as {example} "
                         f"(or {missing[0]}=VALUE)" + "".join("\n" + h for h in hints))
    return values, warnings


@contextmanager
def no_cycle_collection():
    """Pause the cycle collector while a big tape is built and swept.

    Tapes, syntax nodes and contributions hold no reference cycles, yet allocating
    hundreds of thousands of them makes the collector rescan them again and again
    (about half the lowering time at 100k statements). Reference counting still frees
    everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate(tape: Tape, given: Mapping[str, float] = {}, record: bool = True) -> Evaluation:
    inputs, warnings = input_values(tape, given)
    values = forward(tape, inputs)
    ev = Evaluation(tape, inputs, values, [], [], list(tape.warnings) + warnings)
    backward(ev, record)
    return ev


def forward(tape: Tape, inputs: Mapping[str, float]) -> list:
    steps = tape.steps
    values = [0.0] * len(steps)
    for i, step in enumerate(steps):
        op = step.op
        if op is _INPUT:
            values[i] = inputs[step.name]
            continue
        if op is _CONST:
            values[i] = step.const
            continue
        xs = [values[a] for a in step.args]
        problem = op.domain(*xs) if op.domain else None
        if problem is None:
            try:
                y = op.forward(*xs)
            except OverflowError:
                problem = "the result overflows a float"
            except (ValueError, ZeroDivisionError) as exc:
                problem = f"{op.name} is undefined here ({exc})"
            else:
                if not math.isfinite(y):
                    problem = "the result overflows a float" if y == y else "the result is not a number"
        if problem is not None:
            raise EvaluationError(f"{problem} {_where(tape, values, i)}",
                                  caret_excerpt(tape.source, step.start))
        values[i] = y
    return values


def _where(tape: Tape, values: list, i: int) -> str:
    """`(step v3 = log(x), x = 0)`: the step and its operands' values."""
    step = tape.steps[i]
    shown, parts = set(), []
    for a in step.args:
        if a in shown or (tape.is_const(a) and tape.steps[a].name is None):
            continue
        shown.add(a)
        unnamed_step = tape.steps[a].name is None and tape.steps[a].args
        how = f"{tape.expression(a)} = " if unnamed_step else ""
        parts.append(f"{tape.label(a)} = {how}{fmt(values[a])}")
    where = f"line {tape.line_of(step.start)}, " if tape.multiline else ""
    operands = (", " + ", ".join(parts)) if parts else ""
    return f"({where}step {tape.label(i)} = {tape.expression(i)}{operands})"


def backward(ev: Evaluation, record: bool = True) -> None:
    """The reverse sweep, seeded with adjoint 1 at the output; a fresh store every run."""
    tape, values = ev.tape, ev.values
    steps = tape.steps
    n = len(steps)
    adjoints = [0.0] * n
    reached = [False] * n
    counts = [0] * n
    needs = _needs_grad(tape)
    out = tape.output
    adjoints[out], reached[out] = 1.0, True
    contributions = ev.contributions
    notes = _Notes()
    for i in range(out, -1, -1):
        step = steps[i]
        if not reached[i] or not step.args or not needs[i]:
            continue
        xs = [values[a] for a in step.args]
        partials = step.op.partials(*xs, values[i])
        upstream = adjoints[i]
        op = step.op
        for position, (a, local) in enumerate(zip(step.args, partials)):
            if needs[a] and not math.isfinite(local):
                why = op.singular(*xs) if op.singular else None
                notes.add(f"the derivative {tape.rule(i, position)} is undefined here"
                          + (f": {why}" if why else ""), lambda: _where(tape, values, i))
        kink = op.kink(*xs) if op.kink else None
        if kink:
            notes.add(kink, lambda: _where(tape, values, i))
        routes = op.routes
        for position, (a, local) in enumerate(zip(step.args, partials)):
            if not needs[a]:
                continue  # constants get no adjoint, as in PyTorch
            term = 0.0 if local == 0 and routes else local * upstream
            adjoints[a] += term
            reached[a] = True
            counts[a] += 1
            if record:
                contributions.append(Contribution(i, position, a, local, upstream, term,
                                                  adjoints[a], counts[a]))
    ev.adjoints = adjoints
    ev.warnings.extend(notes.lines())
    for name, i in tape.inputs.items():
        if not math.isfinite(adjoints[i]):
            ev.warnings.append(f"the gradient with respect to {name} is undefined "
                               f"({fmt(adjoints[i])}) at these values")


class _Notes:
    """Kink and singularity warnings, at most a few of each kind: a 100k-step program
    can hit relu'(0) thousands of times, and one line per hit would bury the result."""

    SHOWN = 3

    def __init__(self):
        self.by_kind: dict = {}

    def add(self, kind: str, where) -> None:
        seen = self.by_kind.setdefault(kind, [0, []])
        seen[0] += 1
        if seen[0] <= self.SHOWN:
            seen[1].append(where())

    def lines(self) -> list:
        out = []
        for kind, (count, places) in self.by_kind.items():
            out += [f"{kind} {place}" for place in places]
            if count > len(places):
                out.append(f"{kind}: {count - len(places)} more steps like this")
        return out


def _needs_grad(tape: Tape) -> list:
    """Which steps depend on an input; only those receive adjoints."""
    needs = []
    for step in tape.steps:
        if step.op is _INPUT:
            needs.append(True)
        else:
            needs.append(any(needs[a] for a in step.args))
    return needs

