"""`gradcli explain PROGRAM` on a program with arrays: the walkthrough as Steps.

The scalar walkthrough (walkthrough.walk) writes every chain-rule term as a product of
numbers and sums products over paths. On arrays a term is an array and a path's "product"
is a matrix product or a sum over an axis, so this walk says instead, step by step, what
shape each value has, which rule the registry gives for each operand (the VJP text of a
tensor op, the local partial of an elementwise one), where a broadcast is undone by a sum,
and what arrives where; every number is the engine's (values, adjoints, contributions),
small arrays shown entry by entry and big ones summarised (tutor/arraytext.py).
"""

from __future__ import annotations

import re
from typing import Optional

from ..core.arrays import broadcast_axes, np, shape_text
from ..core.engine import Evaluation, forward
from ..core.errors import GradcliError
from ..core.notation import Notation, assigns, fmt, full_array
from . import arraytext as at
from .walkthrough import (
    FORWARD_LIMIT,
    NODE_LIMIT,
    Origin,
    Step,
    closing_command,
    factor,
    output_index,
)

H = 1e-6  # the nudge for the measured slope
PROGRAM_LIMIT = 30  # statements shown in the first step
# eval's tables of arrays are the display work's; its JSON writes every array in full.
JSON = " --json"


def walk_tensor(
    ev: Evaluation,
    nt: Notation,
    output: Optional[str] = None,
    eval_options: Optional[list] = None,
    origin: Optional[Origin] = None,
) -> list:
    steps = [_program_step(ev, nt), _forward_step(ev, nt)]
    steps += _backward_steps(ev, nt)
    steps.append(_gradient_step(ev, nt))
    steps.append(_result_step(ev, nt, output, eval_options, origin))
    return steps


# --- small helpers -------------------------------------------------------------------------
def _named(tape, a: int) -> bool:
    """An operand worth naming: not an unnamed literal such as the 2 of `x ^ 2`."""
    return not (tape.is_const(a) and tape.steps[a].name is None)


def _shapes(ev: Evaluation, i: int) -> str:
    """`X (2, 3), W (3, 2) → (2, 2)`: the operands' shapes and the result's."""
    tape = ev.tape
    parts = []
    for a in dict.fromkeys(tape.steps[i].args):
        if _named(tape, a):
            parts.append(f"{tape.operand(a)} {at.shape_of(ev.values[a])}")
    return ", ".join(parts) + f" → {at.shape_of(ev.values[i])}"


def _axes_words(axes: tuple) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


def _broadcast_note(ev: Evaluation, i: int) -> list:
    """For an elementwise step: each operand that NumPy repeated to the result's shape."""
    tape = ev.tape
    step = tape.steps[i]
    out = np.shape(ev.values[i])
    notes: list = []
    if step.op.tensor:
        return notes
    for a in dict.fromkeys(step.args):
        shape = np.shape(ev.values[a])
        if not _named(tape, a) or shape == out or not shape:
            continue
        axes = broadcast_axes(shape, out)
        notes.append(
            f"{tape.operand(a)} {shape_text(shape)} is repeated along "
            f"{_axes_words(axes)} to {shape_text(out)}"
        )
    return notes


def _count(ev: Evaluation, i: int) -> Optional[int]:
    """The n of a rule text: how many entries a mean averaged, or how many rows a
    cross-entropy averaged over; None when the op's rule has no n."""
    step = ev.tape.steps[i]
    xs = [ev.values[a] for a in step.args]
    if step.op.name == "mean":
        return int(np.size(xs[0]) // max(np.size(ev.values[i]), 1))
    if step.op.name == "cross_entropy":
        return int(np.shape(xs[0])[0]) if np.ndim(xs[0]) == 2 else 1
    return None


def rule_text(ev: Evaluation, i: int, position: int, nt: Notation) -> str:
    """The registry's rule for operand `position` of step i with the program's names, and
    for a tensor op's VJP the adjoint arriving written as the step's adjoint. Words that
    are not names of the program (the n of a mean, a softmax's axis) get their values."""
    tape = ev.tape
    step = tape.steps[i]
    text = tape.rule(i, position).replace("{dy}", nt.bar(tape.label(i)))
    n = _count(ev, i)
    if n is not None:
        text = re.sub(r"\bn\b", str(n), text)
    if step.op.keywords and "axis" in dict(step.op.keywords):
        axis = (step.attrs or {}).get("axis", dict(step.op.keywords)["axis"])
        text = re.sub(r"\baxis\b(?!=)", f"axis={_keyword(axis)}", text)
    return nt.math(text)


def _keyword(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _repeats(ev: Evaluation, i: int) -> Optional[list]:
    """For a lookup whose subscripts are all index arrays: [(index tuple, times picked)] for
    every entry (or row) picked more than once; None when nothing repeats or slices are
    mixed in."""
    tape = ev.tape
    step = tape.steps[i]
    spec = (step.attrs or {}).get("spec", ())
    if step.op.name != "index" or any(item is not None for item in spec):
        return None
    keys = [np.asarray(ev.values[a]).astype(np.int64) for a in step.args[1:]]
    if not keys:
        return None
    shape = np.shape(ev.values[step.args[0]])
    keys = [np.where(k < 0, k + shape[n], k) for n, k in enumerate(keys)]
    flat = np.stack([k.ravel() for k in np.broadcast_arrays(*keys)], axis=1)
    picked, counts = np.unique(flat, axis=0, return_counts=True)
    many = [(tuple(int(v) for v in p), int(c)) for p, c in zip(picked, counts) if c > 1]
    return many or None


def _repeat_note(ev: Evaluation, node: int, inp: str) -> Optional[str]:
    many = _repeats(ev, node)
    if many is None:
        return None
    x = ev.values[ev.tape.steps[node].args[0]]
    width = len(many[0][0])
    kind = "entry" if width == np.ndim(x) else "row" if width == 1 else "slice"
    kinds = (
        kind + ("s" if len(many) > 1 else "")
        if kind != "entry"
        else ("entry" if len(many) == 1 else "entries")
    )
    if len(many) <= 4:
        listed = "; ".join(f"{inp}[{', '.join(map(str, p))}], {c} times" for p, c in many)
        said = (
            f"{len(many)} {kinds} of {inp} {'was' if len(many) == 1 else 'were'} picked "
            f"more than once ({listed})"
        )
    else:
        said = (
            f"{len(many)} {kinds} of {inp} were picked more than once (up to "
            f"{max(c for _, c in many)} times)"
        )
    return (
        f"{said}: each collects every contribution sent to it (scatter-add), where an "
        f"assignment would keep only one."
    )


# --- the steps ------------------------------------------------------------------------------
def _program_step(ev: Evaluation, nt: Notation) -> Step:
    tape = ev.tape
    out = tape.output_name
    s = Step("The program")
    statements = [
        line
        for line in tape.source.strip().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    more = len(statements) - PROGRAM_LIMIT
    s.show(
        *statements[:PROGRAM_LIMIT],
        *([f"… {more} more line{'s' if more > 1 else ''}"] if more > 0 else []),
    )
    rows = []
    for name, i in tape.inputs.items():
        v = ev.values[i]
        kind = (
            "integer data (an index, a target or a size): no gradient"
            if name in tape.integer_inputs
            else ""
        )
        rows.append((name, at.shape_of(v), at.text(v), kind))
    if rows:
        s.say("Inputs:")
        s.table(("input", "shape", "value", ""), rows)
    else:
        s.say("The program has no inputs.")
    grads = [n for n in tape.inputs if n not in tape.integer_inputs]
    s.say(
        f"The program works on arrays. We compute {out}, one number (the forward pass), "
        f"then walk backwards from it. "
        + (
            f"Each gradient ({', '.join(nt.partial(out, n) for n in grads)}) has the shape "
            f"of its input: one number per entry, how much {out} moves per unit change of "
            f"that entry."
            if grads
            else "No input takes a gradient."
        )
    )
    return s


def _forward_step(ev: Evaluation, nt: Notation) -> Step:
    tape = ev.tape
    lines = []
    for i, step in enumerate(tape.steps):
        if not step.args:
            continue
        block = [f"{tape.label(i)} = {tape.expression(i)}    {_shapes(ev, i)}"]
        block += [f"  {note}" for note in _broadcast_note(ev, i)]
        block += at.lines("  = ", ev.values[i])
        lines.append(block)
    if len(lines) > FORWARD_LIMIT:
        left = len(lines) - FORWARD_LIMIT
        lines = (
            lines[: FORWARD_LIMIT // 2]
            + [[f"… {left} steps left out …"]]
            + lines[-FORWARD_LIMIT // 2 :]
        )
    s = Step("Forward pass: compute every value, one operation at a time")
    s.say(
        "Each line is one operation of the program with its operands' shapes and the "
        "result's; below it the result (entry by entry when the array is small, else its "
        "shape and a summary). Elementwise operations broadcast as NumPy does: sizes are "
        "lined up from the last axis, and an axis missing or of size 1 is repeated."
    )
    s.show(
        *([line for block in lines for line in block] or [f"{tape.output_label} = {fmt(ev.value)}"])
    )
    s.say(f"So {tape.output_label} = {fmt(ev.value)}.")
    return s


def _backward_steps(ev: Evaluation, nt: Notation) -> list:
    tape = ev.tape
    out = tape.output_label  # as the rows name it: f' where the program rebinds f
    by_node: dict = {}
    received: dict = {}
    for c in ev.contributions:
        by_node.setdefault(c.node, []).append(c)
        received.setdefault(c.input, []).append(c)
    seed = Step("Backward pass: start at the output")
    seed.say(
        f"Reverse mode walks the steps from the last to the first. Each value v gets an "
        f"adjoint (written {nt.bar('v')}, `dv` in backprop code) of the same shape as v: "
        f"entry by entry, how much {out} moves per unit change of that entry.",
        f"It starts with {nt.bar(out)} = {nt.partial(out, out)} = 1.",
        "Each step hands its adjoint to its operands by gradcli's rule for that "
        "operation. An operand's first contribution is its adjoint (=) and each later "
        "one is added to it (+=); where an operand was broadcast, its contribution is "
        "summed back to its own shape.",
    )
    if not ev.contributions:
        seed.say(
            f"{out} depends on no input, so every gradient is 0."
            if ev.tape.inputs
            else f"{out} has no inputs, so there is no gradient to find."
        )
    steps = [seed]
    nodes = list(by_node)  # in the sweep's order: from the output down
    for node in nodes[:NODE_LIMIT]:
        steps.append(_node_step(ev, node, by_node[node], received.get(node, []), nt))
    rest = nodes[NODE_LIMIT:]
    if rest:
        rows = []
        for n in rest:
            for c in by_node[n]:
                rows.append(
                    (
                        f"{tape.label(c.node)} → {tape.label(c.input)}",
                        f"{nt.bar(tape.label(c.input))} {assigns(c.count)} {_term_rule(ev, c, nt)}",
                        at.text(c.contribution),
                    )
                )
        s = Step(f"Backward pass: the remaining {len(rest)} steps")
        s.say(f"The same rules at every step; the table shows up to {FORWARD_LIMIT} contributions.")
        s.table(("sends", "rule", "contribution"), rows[:FORWARD_LIMIT])
        steps.append(s)
    return steps


def _term_rule(ev: Evaluation, c, nt: Notation) -> str:
    """What operand c.input receives, as a formula in the program's names."""
    tape = ev.tape
    label = tape.label(c.node)
    rule = rule_text(ev, c.node, c.position, nt)
    if tape.steps[c.node].op.tensor:
        return rule
    bar = nt.bar(label)
    core = (
        bar
        if rule == "1"
        else f"-{bar}"
        if rule in ("-1", "−1")
        else f"{factor(rule)}{nt.times}{bar}"
    )
    shape = np.shape(ev.values[c.input])
    axes = broadcast_axes(shape, np.shape(ev.values[c.node]))
    if not axes:
        return core
    lead = len(np.shape(ev.values[c.node])) - len(shape)
    added = tuple(a for a in axes if a < lead)
    stretched = tuple(a - lead for a in axes if a >= lead)
    if added:
        core = f"sum({core}, axis={_axis_list(added)})"
    if stretched:
        core = f"sum({core}, axis={_axis_list(stretched)}, keepdims=true)"
    return core


def _axis_list(axes: tuple) -> str:
    return str(axes[0]) if len(axes) == 1 else "(" + ", ".join(map(str, axes)) + ")"


def _node_step(ev: Evaluation, node: int, sends: list, got: list, nt: Notation) -> Step:
    tape = ev.tape
    label = tape.label(node)
    step = tape.steps[node]
    bar = nt.bar(label)
    s = Step(f"Backward: {label} = {tape.expression(node)}")
    if node == output_index(tape):
        s.say(f"{bar} = 1 arrives: {label} is the output (the seed).")
    else:
        if len(got) == 1:
            shape = (
                "one number, as " + label + " is"
                if at.is_number(ev.values[node])
                else f"with the shape of {label}, {at.shape_of(ev.values[node])}"
            )
            s.say(f"{bar} arrives from {tape.label(got[0].node)}, {shape}:")
        else:
            users = ", ".join(dict.fromkeys(tape.label(c.node) for c in got))
            s.say(
                f"{label} is used {len(got)} times ({users}), so {bar} is the sum of "
                f"{len(got)} contributions:"
            )
        s.show(*at.lines(f"{bar} = ", ev.adjoints[node]))
    s.say(f"Local rule ({step.op.name}): {step.op.about}.")
    for c in sends:
        inp = tape.label(c.input)
        lines = [f"{nt.bar(inp)} {assigns(c.count)} {_term_rule(ev, c, nt)}"]
        lines += at.lines("     = ", c.contribution)
        s.show(*lines)
        notes = []
        if not step.op.tensor:
            shape = np.shape(ev.values[c.input])
            out = np.shape(ev.values[node])
            axes = broadcast_axes(shape, out)
            if axes and shape:
                notes.append(
                    f"{inp} {shape_text(shape)} was repeated along "
                    f"{_axes_words(axes)} to make {label} {shape_text(out)}, so each "
                    f"of its entries fed several entries of {label} and collects "
                    f"their contributions: the contribution is summed over {_axes_words(axes)}, "
                    f"back to the shape of {inp}."
                )
            elif not shape and out:
                notes.append(
                    f"{inp} is one number used at every entry of {label} "
                    f"{shape_text(out)}, so it collects the sum of all their contributions."
                )
        elif step.op.name in _REDUCTIONS:
            notes.append(_reduction_note(ev, node, c, nt))
        elif step.op.name == "index":
            note = _repeat_note(ev, node, inp)
            if note:
                notes.append(note)
        if c.count > 1:
            notes.append(f"{inp} has now received {c.count} contributions; they add up:")
        s.say(*notes)
        if c.count > 1:
            s.show(*at.lines(f"{nt.bar(inp)} = ", c.total))
    return s


_REDUCTIONS = ("sum", "mean", "amax", "amin")


def _reduction_note(ev: Evaluation, node: int, c, nt: Notation) -> str:
    """How a reduction's adjoint reaches the entries it reduced, in this step's names."""
    tape = ev.tape
    step = tape.steps[node]
    label, inp, bar = tape.label(node), tape.label(c.input), nt.bar(tape.label(node))
    axis = (step.attrs or {}).get("axis")
    whole = f"{inp} {at.shape_of(ev.values[c.input])}"
    name = step.op.name
    n = _count(ev, node) if name == "mean" else None
    if axis is None:
        if name == "sum":
            return f"{label} added up all of {whole}, so every entry receives {bar} unchanged."
        if name == "mean":
            return (
                f"{label} averaged all {n} entries of {whole}, so every entry receives "
                f"{bar} divided by {n}."
            )
        which = "largest" if name == "amax" else "smallest"
        return (
            f"{label} kept the {which} entry of {whole}, so only that entry receives "
            f"{bar} (tied entries share it equally); the others get 0."
        )
    k = _keyword(axis)
    repeated = (
        f"{bar}, of shape {at.shape_of(ev.values[node])}, is repeated along axis {k} "
        f"to the shape of {inp}"
    )
    if name == "sum":
        return (
            f"{label} added up {whole} along axis {k}, so {repeated}: every entry "
            f"receives the adjoint of the sum it went into."
        )
    if name == "mean":
        return (
            f"{label} averaged {whole} along axis {k}, {n} entries at a time, so "
            f"{repeated} and divided by {n}."
        )
    which = "largest" if name == "amax" else "smallest"
    return (
        f"{label} kept the {which} entry along axis {k} of {whole}, so {repeated}, and "
        f"only the {which} entries receive it (tied entries share it equally); the "
        f"others get 0."
    )


def _gradient_step(ev: Evaluation, nt: Notation) -> Step:
    tape = ev.tape
    out = tape.output_name
    s = Step("The gradient of each input")
    for name, i in tape.inputs.items():
        if name in tape.integer_inputs:
            s.say(
                f"{name} is integer data (used as an index, a target or a size): it gets "
                f"no gradient."
            )
            continue
        g = ev.gradient[name]
        s.say(f"{nt.partial(out, name)} has the shape of {name}, {at.shape_of(ev.values[i])}:")
        s.show(*at.lines(f"{nt.bar(name)} = ", g))
        measured = _measured(ev, name)
        if measured is not None:
            where, slope, said = measured
            # A central difference is off by about h² times the third derivative plus
            # ε·|f|/h: far below this bound on a smooth program, far above it at a kink.
            same = abs(slope - said) <= 1e-5 * abs(said) + 1e-8 * max(1.0, abs(ev.value))
            s.say(
                f"Measured on {out}: nudging {name}{where} by ±{fmt(H)} moves {out} at the "
                f"rate {fmt(slope)} per unit; the backward pass gives "
                f"{nt.bar(name)}{where} = {fmt(said)}"
                + (
                    ", the same to within the measurement's accuracy."
                    if same
                    else f". They differ by {fmt(abs(slope - said))}."
                )
            )
    if not any(n not in tape.integer_inputs for n in tape.inputs):
        s.say("No input takes a gradient.")
    return s


def _measured(ev: Evaluation, name: str) -> Optional[tuple]:
    """(`[0, 2]`, central difference on the output, the engine's entry) at the entry of
    the largest gradient; None when a nudged forward pass is undefined."""
    tape = ev.tape
    g = np.asarray(ev.gradient[name], dtype=float)
    if not np.all(np.isfinite(g)):
        return None
    at_ = np.unravel_index(int(np.argmax(np.abs(g))), g.shape) if g.ndim else ()
    where = f"[{', '.join(str(int(k)) for k in at_)}]" if at_ else ""
    x = np.asarray(ev.inputs[name], dtype=float)
    up, down = x.copy(), x.copy()
    up[at_] += H
    down[at_] -= H
    try:
        hi = forward(tape, dict(ev.inputs, **{name: up}))[tape.output]
        lo = forward(tape, dict(ev.inputs, **{name: down}))[tape.output]
    except GradcliError:
        return None
    slope = (float(hi) - float(lo)) / (2 * H)
    if not np.isfinite(slope):
        return None
    return where, slope, float(g[at_])


def _result_step(
    ev: Evaluation,
    nt: Notation,
    output: Optional[str],
    eval_options: Optional[list],
    origin: Optional[Origin],
) -> Step:
    tape = ev.tape
    result = Step("Result")
    out = tape.output_label  # f' where the program rebinds f, as the rows call it
    rows = [(out, "a number", fmt(ev.value))]
    for name, g in ev.gradient.items():
        rows.append((nt.partial(out, name), at.shape_of(g), at.text(g)))
    result.table(("", "shape", "value"), rows)
    result.blocks += closing_command(
        ev, output, eval_options, origin, "gives the same numbers", exact=_compact, flags=JSON
    )
    return result


def _compact(v) -> str:
    """An array exactly, without spaces ([[1,2.5],[3,-4]]): fewer words to quote; a -0.0
    entry as -0, so the command computes with the same signed zeros."""
    return full_array(v, signed_zero=True).replace(", ", ",")
