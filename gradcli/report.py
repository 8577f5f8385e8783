"""The machine-readable form of an evaluation: one strict-JSON document."""
from __future__ import annotations

import json
import math

from .engine import Evaluation
from .notation import Notation


def _number(x: float, what: str, warnings: list):
    if math.isfinite(x):
        return x
    warnings.append(f"{what} is {x!r}; written as null (JSON has no such number)")
    return None


def to_dict(ev: Evaluation, grad_only: bool = False) -> dict:
    tape = ev.tape
    warnings = list(ev.warnings)
    doc = {
        "output": tape.output_name,
        "value": _number(ev.value, "the output value", warnings),
        "gradient": {name: _number(g, f"∂{tape.output_name}/∂{name}", warnings)
                     for name, g in ev.gradient.items()},
        "inputs": dict(ev.inputs),
    }
    if not grad_only:
        plain = Notation(ascii_only=True)
        doc["nodes"] = [{
            "id": tape.step_id(i),
            "name": step.name if step.name is not None else tape.step_id(i),
            "label": tape.label(i),
            "op": step.op.name,
            "expression": tape.expression(i),
            "inputs": [tape.step_id(a) for a in step.args],
            "value": _number(ev.values[i], f"the value of {tape.label(i)}", warnings),
            "adjoint": _number(ev.adjoints[i], f"the adjoint of {tape.label(i)}", warnings),
            "source": [step.start, step.end],
        } for i, step in enumerate(tape.steps)]
        doc["steps"] = [{
            "node": tape.step_id(c.node),
            "input": tape.step_id(c.input),
            "rule": plain.math(tape.rule(c.node, c.position)),
            "local": _number(c.local, f"∂{tape.label(c.node)}/∂{tape.label(c.input)}", warnings),
            "upstream": _number(c.upstream, f"the adjoint of {tape.label(c.node)}", warnings),
            "contribution": _number(c.contribution, "a contribution", warnings),
            "total": _number(c.total, f"the adjoint of {tape.label(c.input)}", warnings),
        } for c in ev.contributions]
    doc["warnings"] = warnings
    return doc


def to_json(ev: Evaluation, grad_only: bool = False) -> str:
    # ASCII escapes keep the document valid whatever the output encoding is.
    return json.dumps(to_dict(ev, grad_only), allow_nan=False, indent=1)
