"""The machine-readable form of an evaluation: one strict-JSON document."""

from __future__ import annotations

import math

from ..core.engine import Evaluation
from ..core.notation import Notation


def _number(x, what: str, warnings: list):
    if hasattr(x, "shape"):  # tensor mode: a nested list, null where not finite
        null = _Nulls()
        doc = null(x)
        if null.count:
            warnings.append(
                f"{what} has {null.count} entries that are infinite or undefined;"
                " written as null (JSON has no such number)"
            )
        return doc
    if math.isfinite(x):
        return x
    warnings.append(f"{what} is {x!r}; written as null (JSON has no such number)")
    return None


def _nested(a, null):
    """A NumPy array as nested lists of floats (null where not finite), built without
    recursion: a row at a time from the innermost axis out."""
    import numpy

    a = numpy.asarray(a, dtype=float)
    if a.ndim == 0:
        return null(float(a))
    flat = [null(float(v)) for v in a.ravel().tolist()]
    for d in reversed(a.shape[1:]):
        flat = [flat[k : k + d] for k in range(0, len(flat), d)]
    return flat


class _Nulls:
    """Counts the non-finite numbers of the traces: one warning for all of them, not one
    per node (a 1,000-step chain after sqrt(0) would otherwise carry 4,000 warnings)."""

    def __init__(self):
        self.count = 0

    def __call__(self, x):
        if x is None:
            return None
        if hasattr(x, "shape"):
            return _nested(x, self)
        if math.isfinite(x):
            return x
        self.count += 1
        return None


Nulls = _Nulls  # for the other JSON documents (the graph's)

# The document's name and version, its first key (docs/json.md describes every key).
SCHEMA = "gradcli.eval/1"

# The keys of each node and each step of a program on numbers, in the document's order.
NODE_KEYS = ("id", "name", "label", "op", "expression", "inputs", "value", "adjoint", "source")
STEP_KEYS = ("node", "input", "rule", "local", "upstream", "contribution", "total")


def to_dict(ev: Evaluation, grad_only: bool = False) -> dict:
    """The document as Python data (what `to_json` writes, and the API's to_dict)."""
    doc = {}
    for key, value in _entries(ev, grad_only):
        if key == "nodes" and not ev.tape.tensor:
            value = [dict(zip(NODE_KEYS, v)) for v in value]
        elif key == "steps" and not ev.tape.tensor:
            value = [dict(zip(STEP_KEYS, v)) for v in value]
        elif key in ("nodes", "steps"):
            value = list(value)
        doc[key] = value
    return doc


def to_json(ev: Evaluation, grad_only: bool = False) -> str:
    """The document as text: strict JSON, ASCII escapes (valid whatever the output
    encoding is), indent 1; in tensor mode arrays compact, each innermost row on a line."""
    return "".join(json_pieces(ev, grad_only))


def json_pieces(ev: Evaluation, grad_only: bool = False):
    """to_json's text in pieces, a node or a step at a time: `gradcli eval --json` writes
    them as they come, so a 100,000-step program's document never exists whole (nor
    its 200,000 entries as dicts)."""
    from .jsonstream import Items, Record, document, encode_arrays

    tensor = ev.tape.tensor
    entries = _entries(ev, grad_only)
    node, step = (encode_arrays,) * 2 if tensor else (Record(NODE_KEYS, 2), Record(STEP_KEYS, 2))
    return document(
        (
            (key, Items(value, node if key == "nodes" else step))
            if key in ("nodes", "steps")
            else (key, value)
            for key, value in entries
        ),
        arrays=tensor,
    )


def _entries(ev: Evaluation, grad_only: bool):
    """The document's (key, value) pairs in order; "nodes" and "steps" as iterators (of
    value tuples in NODE_KEYS and STEP_KEYS order for numbers, of dicts for arrays), read
    before "warnings" is made, since it counts the numbers they wrote as null."""
    tape = ev.tape
    warnings = list(ev.warnings)
    yield "schema", SCHEMA
    yield "output", tape.output_name
    yield "value", _number(ev.value, "the output value", warnings)
    yield (
        "gradient",
        {
            name: _number(g, f"∂{tape.output_name}/∂{name}", warnings)
            for name, g in ev.gradient.items()
        },
    )
    yield "inputs", {name: _number(v, name, []) for name, v in ev.inputs.items()}
    if not grad_only:
        null = _Nulls()
        if tape.tensor:
            yield "nodes", _tensor_nodes(ev, null)
            yield "steps", _tensor_steps(ev, null)
        else:
            yield "nodes", _nodes(ev, null)
            yield "steps", _steps(ev, null)
        if null.count:
            warnings.append(
                f"{null.count} numbers in nodes and steps are infinite or "
                "undefined; written as null (JSON has no such number)"
            )
    yield "warnings", list(dict.fromkeys(warnings))  # each warning once, in order


def _nodes(ev: Evaluation, null):
    tape = ev.tape
    step_id = tape.step_id
    for i, step in enumerate(tape.steps):
        yield (
            step_id(i),
            step.name if step.name is not None else step_id(i),
            tape.label(i),
            step.op.name,
            tape.expression(i),
            [step_id(a) for a in step.args],
            null(ev.values[i]),
            null(ev.adjoints[i]),
            [step.start, step.end],
        )


def _steps(ev: Evaluation, null):
    tape = ev.tape
    plain = Notation(code=True)  # rule texts as code writes them: dW += X.T @ dY
    for c in ev.contributions:
        yield (
            tape.step_id(c.node),
            tape.step_id(c.input),
            plain.math(tape.rule(c.node, c.position)),
            null(c.local),
            null(c.upstream),
            null(c.contribution),
            null(c.total),
        )


def _tensor_nodes(ev: Evaluation, null):
    """The nodes of a tensor program: each node's shape, its value and adjoint as nested
    lists of that shape (an adjoint never reached is zeros)."""
    from ..core.arrays import np

    tape = ev.tape
    for i, step in enumerate(tape.steps):
        shape = np.shape(ev.values[i])
        yield {
            "id": tape.step_id(i),
            "name": step.name if step.name is not None else tape.step_id(i),
            "label": tape.label(i),
            "op": step.op.name,
            "expression": tape.expression(i),
            "inputs": [tape.step_id(a) for a in step.args],
            "shape": list(shape),
            "value": null(np.asarray(ev.values[i], dtype=float)),
            # Integer data (an index, targets) has no adjoint: null.
            "adjoint": None
            if step.name in tape.integer_inputs and tape.is_input(i)
            else null(np.broadcast_to(np.asarray(ev.adjoints[i], dtype=float), shape)),
            "source": [step.start, step.end],
        }


def _tensor_steps(ev: Evaluation, null):
    """Each step's matrix-form rule (`dW += X.T @ dv3`), its shapes and why, and its
    arrays."""
    from ..core.arrays import np
    from .tensor_rows import tensor_step

    plain = Notation(code=True)  # rule texts as code writes them: dW += X.T @ dY
    tape = ev.tape
    for c in ev.contributions:
        s = tensor_step(ev, c, plain)
        yield {
            "node": tape.step_id(c.node),
            "input": tape.step_id(c.input),
            "rule": s.formula,
            "shapes": s.shapes,
            "why": s.why,
            "node_shape": list(np.shape(ev.values[c.node])),
            "input_shape": list(np.shape(ev.values[c.input])),
            "local": null(c.local),
            "upstream": null(c.upstream),
            "contribution": null(c.contribution),
            "total": null(c.total),
        }
