"""Evaluate a tape: the forward pass, then the reverse sweep that accumulates adjoints.

The reverse sweep visits steps from the output back to the first, and for every operand
sends `local partial × the step's adjoint` to the operand's adjoint — the chain rule: the
first contribution is the adjoint as it is and each later one is added (`+=`), so a value
used twice collects both, as PyTorch sums them (a gradient whose contributions are all
-0.0 is -0.0). Each contribution is recorded so renderers can show it; nothing here
prints.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Optional

from .errors import (
    DomainError,
    InvalidValue,
    MissingInputs,
    caret_excerpt,
    close_matches,
    line_col,
    suggest,
)
from .notation import fmt, full
from .ops import CONSTANTS, FUNCTIONS, OPS
from .tape import Step, Tape
from .warnings import Warnings

_INPUT, _CONST = OPS["input"], OPS["const"]


@dataclass(eq=False)
class Contribution:
    """One chain-rule term: step `node` sends `local × upstream` to its operand `input`."""

    __slots__ = ("node", "position", "input", "local", "upstream", "contribution", "total", "count")
    node: int
    position: int  # which operand of the step (0, 1)
    input: int
    local: Optional[float]  # ∂node/∂input (None for an op that is not elementwise)
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
        v = self.values[self.tape.output]
        return float(v) if self.tape.tensor else v

    @property
    def gradient(self) -> dict:
        """∂output/∂input for every input, 0 for one the output does not use. In tensor
        mode each is an array of its input's shape (a float for a number), and inputs that
        are integer data (indices, targets, sizes) have none."""
        if not self.tape.tensor:
            return {name: self.adjoints[i] for name, i in self.tape.inputs.items()}
        from .arrays import np

        grads = {}
        for name, i in self.tape.inputs.items():
            if name in self.tape.integer_inputs:
                continue
            g = np.broadcast_to(np.asarray(self.adjoints[i], dtype=float), np.shape(self.values[i]))
            grads[name] = float(g) if g.ndim == 0 else np.array(g)
        return grads


def _finite(name: str, value) -> float:
    """A value given for an input, as a float: a real, finite number, or an error that says
    which input and why (the command line checks its text first; a Python caller may pass
    anything)."""
    number = None
    if not isinstance(value, (bool, str, bytes)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            pass
        except OverflowError:
            number = math.inf
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if number is None:
        raise InvalidValue(
            f"the value for {name} is not a number: {shown}",
            "an input takes a real number",
            name=name,
            value=value,
        )
    if not math.isfinite(number):
        raise InvalidValue(
            f"the value for {name} is not a finite number: {shown}",
            "gradcli computes with finite float64 numbers",
            name=name,
            value=value,
        )
    return number


def input_values(tape: Tape, given: Mapping[str, float]) -> tuple[dict, list]:
    """Every input's value: the one given, else the program's default. A value given as an
    array switches the tape to tensor mode, where every value is a float64 array."""
    values, missing, warnings = {}, [], []
    if any(name in CONSTANTS and name not in tape.inputs for name in given):
        _constants_given(tape, given)
    if not tape.tensor:
        from .arrays import is_array

        tape.tensor = any(is_array(given[name]) for name in tape.inputs if name in given)
    if tape.tensor:
        from .tensor_eval import array_value
    for name, i in tape.inputs.items():
        if name in given:
            if tape.tensor:
                values[name] = array_value(name, given[name], name in tape.integer_inputs)
            else:
                values[name] = _finite(name, given[name])
        elif tape.steps[i].const is not None:
            values[name] = tape.steps[i].const
            if tape.tensor:
                values[name] = array_value(name, values[name], name in tape.integer_inputs)
        else:
            missing.append(name)
    computed = {s.name for s in tape.steps if s.name and s.name not in tape.inputs}
    for name in given:
        if name in tape.inputs:
            continue
        if name in computed:
            warnings.append(
                f"'{name}' is computed by the program: the value given for it is not used"
            )
        else:
            hint = suggest(name, tape.inputs)
            warnings.append(
                f"the program does not use '{name}': its value is ignored"
                + (f" (did you mean {hint}?)" if hint else "")
            )
    if missing:
        others = [g for g in given if g not in tape.inputs]
        raise MissingInputs(
            missing,
            {m: close_matches(m, others) for m in missing},
            {m: close_matches(m, list(CONSTANTS) + list(FUNCTIONS)) for m in missing},
        )
    return values, warnings


def _constants_given(tape: Tape, given: Mapping) -> None:
    """A name given a value is an input. A tape compiled without knowing of the value read
    `e` or `pi` as the constant (2.718..., 3.14...): its constant step becomes the input of
    that name, with the constant as its default, so the value given is the value used
    (rather than Euler's number, with a warning that the value is ignored)."""
    changed = False
    for name in given:
        if name not in CONSTANTS or name in tape.inputs:
            continue
        for i, step in enumerate(tape.steps):
            if step.op is _CONST and step.name is None and step.text == name:
                tape.steps[i] = Step(
                    _INPUT, (), name, 1, step.start, step.end, CONSTANTS[name], None
                )
                tape.inputs[name] = i
                changed = True
    if changed:  # inputs are listed in the order the program first uses them
        tape.inputs = dict(sorted(tape.inputs.items(), key=lambda item: item[1]))


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
    if tape.tensor:
        from .tensor_eval import require_scalar_output

        require_scalar_output(tape, values)
    ev = Evaluation(tape, inputs, values, [], [], list(tape.warnings) + warnings)
    backward(ev, record)
    return ev


def forward(tape: Tape, inputs: Mapping[str, float]) -> list:
    """Every step's value, in evaluation order; a domain error names the step."""
    if tape.tensor:
        return _forward_arrays(tape, inputs)
    values = [0.0] * len(tape.steps)
    for i, step in enumerate(tape.steps):
        op = step.op
        if op is _INPUT:
            values[i] = inputs[step.name]
        elif op is _CONST:
            values[i] = step.const
        else:
            values[i] = _apply(tape, values, i)
    return values


def _forward_arrays(tape: Tape, inputs: Mapping) -> list:
    """forward() in tensor mode: every value a float64 NumPy array (0-d for a number)."""
    from .arrays import np
    from .tensor_eval import apply_array

    values: list = [None] * len(tape.steps)
    with np.errstate(all="ignore"):  # undefined values are reported per step, not warned
        for i, step in enumerate(tape.steps):
            op = step.op
            if op is _INPUT:
                values[i] = inputs[step.name]
            elif op is _CONST:
                values[i] = np.asarray(step.const, dtype=float)
            else:
                values[i] = apply_array(tape, values, i)
    return values


def reforward(tape: Tape, values: list, start: int, stop: int, only: list) -> list:
    """The values again after `values[start]` changed: steps start+1 .. stop among `only`
    that read a changed value are recomputed (the quiz's forward slips: one sign wrong,
    carried on). A new list; a domain error raises as in `forward`."""
    values = list(values)
    changed = [False] * len(values)
    changed[start] = True
    for i in range(start + 1, stop + 1):
        if only[i] and any(changed[a] for a in tape.steps[i].args):
            values[i], changed[i] = _apply(tape, values, i), True
    return values


def _apply(tape: Tape, values: list, i: int) -> float:
    """Step i's op on its operands' values, or a DomainError saying why it has none."""
    op = tape.steps[i].op
    xs = [values[a] for a in tape.steps[i].args]
    problem = op.domain(*xs) if op.domain else None
    if problem is None:
        try:
            y = op.forward(*xs)
        except OverflowError:
            problem = "the result overflows a float"
        except (ValueError, ZeroDivisionError) as exc:
            problem = f"{op.name} is undefined here ({exc})"
        else:
            if math.isfinite(y):
                return y
            problem = "the result overflows a float" if y == y else "the result is not a number"
    raise _domain_error(tape, values, i, problem)


def _where(tape: Tape, values: list, i: int, exact: bool = False) -> str:
    """`(step v3 = log(x), x = 0)`: the step and its operands' values (every digit when
    `exact`)."""
    number = full if exact else fmt
    step = tape.steps[i]
    shown, parts = set(), []
    for a in step.args:
        if a in shown or (tape.is_const(a) and tape.steps[a].name is None):
            continue
        shown.add(a)
        unnamed_step = tape.steps[a].name is None and tape.steps[a].args
        how = f"{tape.expression(a)} = " if unnamed_step else ""
        parts.append(f"{tape.label(a)} = {how}{number(values[a])}")
    where = f"line {tape.line_of(step.start)}, " if tape.multiline else ""
    operands = (", " + ", ".join(parts)) if parts else ""
    return f"({where}step {tape.label(i)} = {tape.expression(i)}{operands})"


def _domain_error(tape: Tape, values: list, i: int, problem: str) -> DomainError:
    """The error for step i, whose value is undefined: its text and its facts."""
    step = tape.steps[i]
    line, column = line_col(tape.source, step.start)
    xs = [values[a] for a in step.args]
    # Operands shown in six digits that the op would accept (asin of "1"): show every digit.
    exact = (
        step.op.domain is not None
        and not step.op.tensor
        and all(isinstance(x, float) for x in xs)
        and step.op.domain(*(float(fmt(x)) for x in xs)) is None
    )
    return DomainError(
        problem,
        _where(tape, values, i, exact),
        caret_excerpt(tape.source, step.start),
        step=tape.label(i),
        expression=tape.expression(i),
        operation=step.op.name,
        operands={tape.operand(a): values[a] for a in step.args},
        line=line,
        column=column,
        pos=step.start,
    )


def backward(ev: Evaluation, record: bool = True) -> None:
    """Fill in an evaluation's adjoints (and its recorded contributions) from the sweep."""
    warnings = Warnings()
    ev.adjoints = reverse_sweep(
        ev.tape,
        ev.values,
        record=ev.contributions if record else None,
        warnings=warnings,
        free=ev.tape.tensor and not record,
    )
    ev.warnings.extend(warnings.lines())
    if ev.tape.tensor:
        from .arrays import np

        for name, g in ev.gradient.items():
            bad = int(np.size(g) - np.isfinite(g).sum())
            if bad:
                ev.warnings.append(
                    f"the gradient with respect to {name} is undefined at "
                    f"{bad} of its {np.size(g)} entries at these values"
                )
        return
    for name, i in ev.tape.inputs.items():
        if not math.isfinite(ev.adjoints[i]):
            ev.warnings.append(
                f"the gradient with respect to {name} is undefined "
                f"({fmt(ev.adjoints[i])}) at these values"
            )


def reverse_sweep(
    tape: Tape,
    values: list,
    *,
    seed: Optional[int] = None,
    stop: int = 0,
    needs: Optional[list] = None,
    record: Optional[list] = None,
    substitute: Optional[Callable] = None,
    accumulate: bool = True,
    warnings: Optional[Warnings] = None,
    free: bool = False,
    resume: Optional[tuple] = None,
) -> list:
    """The reverse sweep: the one implementation of the chain rule backwards.

    Seeded with adjoint 1 at `seed` (the output), it visits steps from there down to
    `stop`, and for every operand that depends on an input sends the op's VJP term (local
    partial × the step's adjoint) to the operand's adjoint: the first term is the adjoint
    as it is, later ones are added (`+=`), so a value used twice collects both terms, as
    in PyTorch; an adjoint no term reaches is 0. A fresh store every run. Those who want to see or change the
    steps do it here, not in a copy:
      record      a list to append each term to, as a Contribution (the tables)
      substitute  (step, position, local, upstream, term) -> the term to use instead
                  (the quiz predicts a learner's slip by swapping one term)
      accumulate  False assigns instead of adding (another of the quiz's mistakes)
      warnings    collects kinks met and slopes that are not finite
      free        tensor mode: forget a step's adjoint once it is sent on (None in the
                  result), so a big network's adjoints do not all live at once; inputs
                  keep theirs
      resume      (adjoints, reached), the two lists of a sweep stopped just after step
                  seed + 1 (stop=seed + 1): carry it on from step `seed` in those lists
                  (changed in place) instead of starting afresh, so a caller that
                  changes one term at step `seed` redoes only the steps below it (the
                  quiz: the terms above a slip are the same as the right sweep's)
    """
    if tape.tensor:
        from .arrays import np

        with np.errstate(all="ignore"):  # slopes that are not finite are warned of below
            return _reverse(
                tape, values, seed, stop, needs, record, substitute, accumulate, warnings, free
            )
    return _reverse(
        tape, values, seed, stop, needs, record, substitute, accumulate, warnings, resume=resume
    )


def _reverse(
    tape,
    values,
    seed,
    stop,
    needs,
    record,
    substitute,
    accumulate,
    warnings,
    free=False,
    resume=None,
):
    steps = tape.steps
    n = len(steps)
    tensor = tape.tensor
    needs = needs_grad(tape) if needs is None else needs
    seed = tape.output if seed is None else seed
    counts = [0] * n
    adjoints: list  # floats, arrays in tensor mode
    if resume is None:
        adjoints = [0.0] * n
        reached = [False] * n
        adjoints[seed], reached[seed] = 1.0, True
    else:
        adjoints, reached = resume
    for i in range(seed, stop - 1, -1):
        step = steps[i]
        if not reached[i] or not step.args or not needs[i]:
            continue
        op = step.op
        xs = [values[a] for a in step.args]
        ans = values[i]
        g = adjoints[i]
        partials = None
        if op.partials is not None:
            if tensor:
                partials = op.array_partials(*xs, ans, wanted=[needs[a] for a in step.args])
            else:
                partials = op.partials(*xs, ans)
        if warnings is not None and partials is not None:
            _notice(tape, values, i, xs, partials, [needs[a] for a in step.args], warnings)
        if free:
            adjoints[i] = None  # sent on below; a big array need not outlive its step
        for position, a in enumerate(step.args):
            if not needs[a]:
                continue  # constants get no adjoint, as in PyTorch
            local = partials[position] if partials is not None else None
            if tensor:
                term = op.vjp_array(position, local, g, ans, xs, step.attrs or {})
            else:
                term = op.vjp_term(position, local, g, ans, xs)
            if substitute is not None:
                term = substitute(i, position, local, g, term)
            # An adjoint's first term is taken as it is and later ones are added, as
            # PyTorch does (not 0 + term: a gradient whose terms are all -0.0 is -0.0).
            # The generated code does the same: `da = ...` then `da += ...`.
            if reached[a] and accumulate:
                adjoints[a] = adjoints[a] + term
            else:
                adjoints[a] = term
            reached[a] = True
            if record is not None:
                counts[a] += 1
                record.append(Contribution(i, position, a, local, g, term, adjoints[a], counts[a]))
    return adjoints


def tangent_sweep(
    tape: Tape,
    values: list,
    seeds: Mapping[int, float],
    *,
    record: Optional[list] = None,
    warnings: Optional[Warnings] = None,
) -> list:
    """The forward sweep: tangents v̇ = Σ (∂v/∂u)·u̇ in evaluation order, from the seeds
    (step -> tangent; forward mode seeds one input with 1).

    Each term is the op's JVP (`Op.jvp_term`), the same local partials the reverse sweep
    multiplies by the adjoint. A step that does not depend on a seed has an exact zero
    tangent (None while sweeping): an infinite slope after it gives 0, not inf·0 = nan,
    as the reverse sweep gives literals no adjoint. `record`, a list, receives one list of
    Terms per step (the forward-mode table).
    """
    if tape.tensor:
        from .arrays import np

        with np.errstate(all="ignore"):
            return _tangents(tape, values, seeds, record, warnings)
    return _tangents(tape, values, seeds, record, warnings)


def _tangents(tape, values, seeds, record, warnings):
    steps = tape.steps
    n = len(steps)
    tensor = tape.tensor
    last = min(n, tape.output + 1)
    tangents: list = [None] * n
    for i, t in seeds.items():
        tangents[i] = t
    first = 0 if record is not None else (min(seeds) + 1 if seeds else last)
    if record is not None:
        record[:] = [[] for _ in range(n)]
    for i in range(first, last):
        step = steps[i]
        if not step.args or i in seeds:
            continue
        ts = [tangents[a] for a in step.args]
        if record is None and all(t is None for t in ts):
            continue
        op = step.op
        xs = [values[a] for a in step.args]
        ans = values[i]
        partials = None
        if op.partials is not None:
            if tensor:
                partials = op.array_partials(*xs, ans, wanted=[t is not None for t in ts])
            else:
                partials = op.partials(*xs, ans)
        total = None
        for position, (a, t) in enumerate(zip(step.args, ts)):
            local = partials[position] if partials is not None else None
            if t is None:
                term = None
            elif tensor:
                term = op.jvp_array(position, local, t, ans, xs, step.attrs or {})
            else:
                term = op.jvp_term(position, local, t, ans, xs)
            if term is not None:
                total = term if total is None else total + term
            if record is not None and not tape.is_const(a):
                record[i].append(
                    Term(position, a, local, 0.0 if t is None else t, 0.0 if term is None else term)
                )
        tangents[i] = total
        if warnings is not None and partials is not None:
            depends = [t is not None for t in ts]
            if any(depends):
                _notice(tape, values, i, xs, partials, depends, warnings)
    return [0.0 if t is None else t for t in tangents]


@dataclass(eq=False)
class Term:
    """One summand (∂v/∂u)·u̇ of a step's tangent; u is the operand in `position`."""

    __slots__ = ("position", "input", "local", "tangent", "term")
    position: int
    input: int
    local: Any  # ∂v/∂u: a float, an array in tensor mode, None for an op not elementwise
    tangent: float
    term: float


def _notice(
    tape: Tape, values: list, i: int, xs: list, partials, relevant: list, warnings: Warnings
) -> None:
    """Warn of a local slope that is not finite and of a kink met at step i."""
    op = tape.steps[i].op
    if tape.tensor:
        return _notice_arrays(tape, values, i, xs, partials, relevant, warnings)
    for position, local in enumerate(partials):
        if relevant[position] and not math.isfinite(local):
            why = op.singular(*xs) if op.singular else None
            # The kind names the op, not the step, so a thousand sqrt(0)s are one line and
            # a count; each place shown names the rule with the step's own names.
            warnings.add(
                f"a derivative of {op.name} is undefined here" + (f": {why}" if why else ""),
                partial(_undefined_at, tape, values, i, position),
            )
    if op.kink is not None:
        kink = op.kink(*xs)
        if kink:
            warnings.add(kink, lambda: _where(tape, values, i))


def _undefined_at(tape: Tape, values: list, i: int, position: int) -> str:
    """Where a derivative is undefined: the rule, in the step's own names, and the step."""
    return f"({tape.rule(i, position)} at {_where(tape, values, i)[1:]}"


def _undefined_entries(
    tape: Tape, values: list, i: int, position: int, at: tuple, count: int
) -> str:
    """_undefined_at on arrays: the first entry, and how many entries there are."""
    from .tensor_eval import where

    entries = f"entry {list(at)}" if count == 1 else f"{count} entries, the first {list(at)}"
    return f"({tape.rule(i, position)} at {entries}, {where(tape, values, i)[1:]}"


def _notice_arrays(
    tape: Tape, values: list, i: int, xs: list, partials, relevant: list, warnings: Warnings
) -> None:
    """_notice on arrays: the first entry where a slope is not finite or a kink is met,
    and how many entries are."""
    from .arrays import np
    from .tensor_eval import first_entry, kinks, where

    op = tape.steps[i].op
    shape = np.shape(values[i])
    for position, local in enumerate(partials):
        if local is None or not relevant[position]:
            continue
        bad = ~np.isfinite(np.broadcast_to(local, shape))
        if bad.any():
            at = first_entry(bad)
            entry = [float(np.broadcast_to(x, shape)[at]) for x in xs]
            why = op.singular(*entry) if op.singular else None
            count = int(bad.sum())
            warnings.add(
                f"a derivative of {op.name} is undefined here" + (f": {why}" if why else ""),
                partial(_undefined_entries, tape, values, i, position, at, count),
            )
    if op.kink is not None:
        hit = kinks(op, xs)
        at = first_entry(hit)
        if at is not None:
            entry = [float(np.broadcast_to(x, hit.shape)[at]) for x in xs]
            kink = op.kink(*entry)
            count = int(hit.sum())
            if kink:
                warnings.add(
                    kink,
                    lambda: (
                        f"({count} {'entry' if count == 1 else 'entries'}, "
                        f"the first {list(at)}, {where(tape, values, i)[1:]}"
                    ),
                )


def needs_grad(tape: Tape) -> list:
    """Which steps depend on an input; only those receive adjoints. Integer data (indices,
    targets, sizes) is not differentiable, so it does not count."""
    needs = []
    integer = tape.integer_inputs
    for step in tape.steps:
        if step.op is _INPUT:
            needs.append(step.name not in integer)
        else:
            needs.append(any(needs[a] for a in step.args))
    return needs
