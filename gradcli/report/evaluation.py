"""The machine-readable form of an evaluation: one strict-JSON document."""
from __future__ import annotations

import json
import math

from ..core.engine import Evaluation
from ..core.notation import Notation


def _number(x: float, what: str, warnings: list):
    if math.isfinite(x):
        return x
    warnings.append(f"{what} is {x!r}; written as null (JSON has no such number)")
    return None


class _Nulls:
    """Counts the non-finite numbers of the traces: one warning for all of them, not one
    per node (a 1,000-step chain after sqrt(0) would otherwise carry 4,000 warnings)."""

    def __init__(self):
        self.count = 0

    def __call__(self, x: float):
        if math.isfinite(x):
            return x
        self.count += 1
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
        null = _Nulls()
        doc["nodes"] = [{
            "id": tape.step_id(i),
            "name": step.name if step.name is not None else tape.step_id(i),
            "label": tape.label(i),
            "op": step.op.name,
            "expression": tape.expression(i),
            "inputs": [tape.step_id(a) for a in step.args],
            "value": null(ev.values[i]),
            "adjoint": null(ev.adjoints[i]),
            "source": [step.start, step.end],
        } for i, step in enumerate(tape.steps)]
        doc["steps"] = [{
            "node": tape.step_id(c.node),
            "input": tape.step_id(c.input),
            "rule": plain.math(tape.rule(c.node, c.position)),
            "local": null(c.local),
            "upstream": null(c.upstream),
            "contribution": null(c.contribution),
            "total": null(c.total),
        } for c in ev.contributions]
        if null.count:
            warnings.append(f"{null.count} numbers in nodes and steps are infinite or "
                            "undefined; written as null (JSON has no such number)")
    doc["warnings"] = list(dict.fromkeys(warnings))  # each warning once, in order
    return doc


def to_json(ev: Evaluation, grad_only: bool = False) -> str:
    # ASCII escapes keep the document valid whatever the output encoding is.
    return json.dumps(to_dict(ev, grad_only), allow_nan=False, indent=1)
