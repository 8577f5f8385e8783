"""The machine-readable form of an evaluation: one strict-JSON document."""

from __future__ import annotations

import json
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


def to_dict(ev: Evaluation, grad_only: bool = False) -> dict:
    tape = ev.tape
    warnings = list(ev.warnings)
    doc = {
        "schema": SCHEMA,
        "output": tape.output_name,
        "value": _number(ev.value, "the output value", warnings),
        "gradient": {
            name: _number(g, f"∂{tape.output_name}/∂{name}", warnings)
            for name, g in ev.gradient.items()
        },
        "inputs": {name: _number(v, name, []) for name, v in ev.inputs.items()},
    }
    if not grad_only and tape.tensor:
        _tensor_traces(ev, doc, warnings)
    elif not grad_only:
        plain = Notation(code=True)  # rule texts as code writes them: dW += X.T @ dY
        null = _Nulls()
        doc["nodes"] = [
            {
                "id": tape.step_id(i),
                "name": step.name if step.name is not None else tape.step_id(i),
                "label": tape.label(i),
                "op": step.op.name,
                "expression": tape.expression(i),
                "inputs": [tape.step_id(a) for a in step.args],
                "value": null(ev.values[i]),
                "adjoint": null(ev.adjoints[i]),
                "source": [step.start, step.end],
            }
            for i, step in enumerate(tape.steps)
        ]
        doc["steps"] = [
            {
                "node": tape.step_id(c.node),
                "input": tape.step_id(c.input),
                "rule": plain.math(tape.rule(c.node, c.position)),
                "local": null(c.local),
                "upstream": null(c.upstream),
                "contribution": null(c.contribution),
                "total": null(c.total),
            }
            for c in ev.contributions
        ]
        if null.count:
            warnings.append(
                f"{null.count} numbers in nodes and steps are infinite or "
                "undefined; written as null (JSON has no such number)"
            )
    doc["warnings"] = list(dict.fromkeys(warnings))  # each warning once, in order
    return doc


def _tensor_traces(ev: Evaluation, doc: dict, warnings: list) -> None:
    """The nodes and steps of a tensor program: each node's shape, its value and adjoint
    as nested lists of that shape (an adjoint never reached is zeros); each step's
    matrix-form rule (`dW += X.T @ dv3`), its shapes and why, and its arrays."""
    from ..core.arrays import np
    from .tensor_rows import tensor_step

    tape = ev.tape
    plain = Notation(code=True)  # rule texts as code writes them: dW += X.T @ dY
    null = _Nulls()
    nodes = []
    for i, step in enumerate(tape.steps):
        shape = np.shape(ev.values[i])
        nodes.append(
            {
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
        )
    steps = []
    for c in ev.contributions:
        s = tensor_step(ev, c, plain)
        steps.append(
            {
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
        )
    doc["nodes"], doc["steps"] = nodes, steps
    if null.count:
        warnings.append(
            f"{null.count} numbers in nodes and steps are infinite or "
            "undefined; written as null (JSON has no such number)"
        )


def to_json(ev: Evaluation, grad_only: bool = False) -> str:
    # ASCII escapes keep the document valid whatever the output encoding is.
    doc = to_dict(ev, grad_only)
    if ev.tape.tensor:
        from .tensors import dumps

        # Arrays compact, each innermost row on one line; the rest as for numbers.
        return dumps(doc, indent=1)
    return json.dumps(doc, allow_nan=False, indent=1)
