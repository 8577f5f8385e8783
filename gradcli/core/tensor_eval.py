"""Tensor mode's side of the engine: input arrays, one step on arrays, and what to say
when shapes do not fit. The sweeps themselves are engine.py's, for arrays and numbers
alike; this module only gives them NumPy values and array-shaped errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from .arrays import ShapeProblem, is_array, np, shape_text
from .errors import DomainError, InvalidValue, ShapeError, caret_excerpt, line_col
from .notation import fmt
from .tape import Tape


def uses_arrays(tape: Tape, given: Mapping) -> bool:
    """Tensor mode: the program has arrays, or a value given for an input is one."""
    return tape.tensor or any(is_array(v) for v in given.values())


def array_value(name: str, value, integer: bool):
    """A value given for an input as a float64 array (0-d for a number), or an error that
    says which input and why. Integer data (indices, targets, sizes) must be whole numbers."""
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        if "maximum" in str(exc):  # NumPy's limit on axes
            raise InvalidValue(
                f"the value for {name} has too many axes (at most 32)",
                "an input takes a number or a nested list of numbers",
                name=name,
                value=value,
            ) from None
        ragged = "inhomogeneous" in str(exc) or "sequence" in str(exc)
        raise InvalidValue(
            f"the value for {name} is not "
            + (
                "a rectangular array (every row needs the same length)"
                if ragged
                else f"a number or an array of numbers: {shown}"
            ),
            "an input takes a number or a nested list of numbers",
            name=name,
            value=value,
        ) from None
    if a.ndim > 32:  # NumPy broadcasts at most 32 axes, as array literals allow
        raise InvalidValue(
            f"the value for {name} has too many axes ({a.ndim}; at most 32)",
            "an input takes a number or a nested list of numbers",
            name=name,
            value=value,
        )
    if not np.all(np.isfinite(a)):
        raise InvalidValue(
            f"the value for {name} is not finite everywhere: {shown}",
            "gradcli computes with finite float64 numbers",
            name=name,
            value=value,
        )
    if integer and not np.all(a == np.round(a)):
        bad = a[a != np.round(a)].flat[0]
        raise InvalidValue(
            f"the value for {name} must be whole numbers (it is used as an "
            f"index, a target or a size), and {bad:g} is not",
            "index data are integers",
            name=name,
            value=value,
        )
    return a


def apply_array(tape: Tape, values: list, i: int):
    """Step i's op on its operands' arrays, or a ShapeError or DomainError naming the step."""
    step = tape.steps[i]
    op = step.op
    xs = [values[a] for a in step.args]
    if not op.tensor and len(xs) == 2:
        try:
            np.broadcast_shapes(np.shape(xs[0]), np.shape(xs[1]))
        except (ValueError, RuntimeError):  # RuntimeError: more than 32 axes
            raise shape_error(tape, values, i, _broadcast_problem(op, xs)) from None
    try:
        y = op.array_forward(*xs, **(step.attrs or {}))
    except ShapeProblem as exc:
        raise shape_error(tape, values, i, str(exc)) from None
    except MemoryError as exc:  # randn(100000, 100000), a broadcast of two long vectors
        why = str(exc)
        raise shape_error(
            tape,
            values,
            i,
            "the result does not fit in memory" + (f" ({why[0].lower()}{why[1:]})" if why else ""),
        ) from None
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise _element_error(tape, values, i, xs, y)
    return y


def _broadcast_problem(op, xs) -> str:
    a, b = (shape_text(np.shape(x)) for x in xs)
    symbol = op.symbol or op.name
    return (
        f"the shapes do not broadcast: {a} {symbol} {b} (NumPy lines up the last axes; "
        "each pair of sizes must be equal or one of them 1)"
    )


def _element_error(tape: Tape, values: list, i: int, xs, y) -> DomainError:
    """The first entry whose value is undefined, with the operands' entries there."""
    op = tape.steps[i].op
    bad = np.argwhere(~np.isfinite(y))[0] if y.ndim else ()
    index = tuple(int(k) for k in bad)
    scalars: list = []  # floats; None for every operand of a tensor op
    for x in xs:
        bx = np.broadcast_to(x, y.shape) if not op.tensor else None
        scalars.append(float(bx[index]) if bx is not None else None)
    problem = None
    if not op.tensor and op.domain is not None:
        problem = op.domain(*scalars)
    if problem is None:
        problem = (
            "the result overflows a float"
            if not np.isnan(y[index])
            else "the result is not a number"
        )
    at = f" at entry {list(index)}" if index else ""
    if not op.tensor:
        shown = ", ".join(
            f"{tape.operand(a)}{_entry(index, values[a], y.shape)} = {fmt(s)}"
            for a, s in zip(tape.steps[i].args, scalars)
            if not (tape.is_const(a) and tape.steps[a].name is None)
        )
        at += f" ({shown})" if shown else ""
    step = tape.steps[i]
    line, column = line_col(tape.source, step.start)
    return DomainError(
        problem + at,
        where(tape, values, i),
        caret_excerpt(tape.source, step.start),
        step=tape.label(i),
        expression=tape.expression(i),
        operation=op.name,
        operands={tape.operand(a): values[a] for a in step.args},
        line=line,
        column=column,
        pos=step.start,
    )


def _entry(index, x, out_shape) -> str:
    """x's own entry behind a broadcast result's entry `index`: `[1, 0]`, or '' for a number."""
    shape = np.shape(x)
    if not shape:
        return ""
    lead = len(out_shape) - len(shape)
    own = [0 if d == 1 else index[lead + k] for k, d in enumerate(shape)]
    return str(own)


def where(tape: Tape, values: list, i: int) -> str:
    """`(step v5 = X @ W, X (2, 3), W (2, 2))`: the step and its operands' shapes."""
    step = tape.steps[i]
    shown, parts = set(), []
    for a in step.args:
        if a in shown or (tape.is_const(a) and tape.steps[a].name is None):
            continue
        shown.add(a)
        v = values[a] if a < len(values) else None
        if v is None:
            continue
        parts.append(
            f"{tape.operand(a)} "
            + (shape_text(np.shape(v)) if np.ndim(v) else f"= {fmt(float(v))}")
        )
    line = f"line {tape.line_of(step.start)}, " if tape.multiline else ""
    operands = (", " + ", ".join(parts)) if parts else ""
    return f"({line}step {tape.label(i)} = {tape.expression(i)}{operands})"


def shape_error(tape: Tape, values: list, i: int, problem: str) -> ShapeError:
    step = tape.steps[i]
    line, column = line_col(tape.source, step.start)
    return ShapeError(
        problem,
        where(tape, values, i),
        caret_excerpt(tape.source, step.start),
        step=tape.label(i),
        expression=tape.expression(i),
        operation=step.op.name,
        shapes={tape.operand(a): tuple(np.shape(values[a])) for a in step.args},
        line=line,
        column=column,
        pos=step.start,
    )


def require_scalar_output(tape: Tape, values: list) -> None:
    """The gradient is of one number, as loss.backward() needs: say so for any other."""
    out = values[tape.output]
    if np.ndim(out) == 0:
        return
    name = tape.output_name
    step = tape.steps[tape.output]
    line, column = line_col(tape.source, step.start)
    raise ShapeError(
        f"the output {name} has shape {shape_text(np.shape(out))}, but a gradient needs one "
        f"number (as loss.backward() does): reduce it with sum(...) or mean(...)",
        "",
        caret_excerpt(tape.source, step.start),
        step=tape.label(tape.output),
        expression=tape.expression(tape.output),
        operation=step.op.name,
        shapes={name: tuple(np.shape(out))},
        line=line,
        column=column,
        pos=step.start,
    )


def kinks(op, xs):
    """Where an elementwise op meets its kink: a unary op's operand at 0 (relu, abs), a
    binary op's tie (max, min). A boolean array of the result's shape."""
    if op.arity == 1:
        return np.asarray(xs[0] == 0)
    return np.asarray(
        np.broadcast_to(xs[0], np.broadcast_shapes(np.shape(xs[0]), np.shape(xs[1]))) == xs[1]
    )


def first_entry(mask):
    """The index of mask's first True entry, or None."""
    hits = np.argwhere(mask)
    return tuple(int(k) for k in hits[0]) if len(hits) else None
