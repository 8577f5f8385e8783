"""Evaluate a gradcli tape with PyTorch float64 autograd: the oracle for conventions.

Used live when torch is installed, and by `python tests/torch_oracle.py` to refresh
tests/data/torch_reference.json, which the suite checks on every run without torch.
"""

import json
import math
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "data" / "torch_reference.json"

# Programs chosen for their kinks, ties, edges and fan-out; each with its input values.
CASES = [
    ("relu(x)", {"x": 0.0}),
    ("relu(x)", {"x": -1.5}),
    ("relu(x) * y", {"x": 2.0, "y": -3.0}),
    ("abs(x)", {"x": 0.0}),
    ("abs(x)", {"x": -2.0}),
    ("abs(x - y)", {"x": 1.0, "y": 1.0}),
    ("max(x, y)", {"x": 2.0, "y": 2.0}),
    ("min(x, y)", {"x": 2.0, "y": 2.0}),
    ("max(x, x)", {"x": 1.0}),
    ("max(x*y, x+y)", {"x": 2.0, "y": 2.0}),
    ("2*(x*y + max(z, w))", {"x": 3.0, "y": -4.0, "z": 2.0, "w": -1.0}),
    ("x^2", {"x": 0.0}),
    ("x^3", {"x": -2.0}),
    ("x^0", {"x": 0.0}),
    ("x^0.5", {"x": 4.0}),
    ("x^y", {"x": 0.0, "y": 2.0}),
    ("x^y", {"x": 2.0, "y": 3.0}),
    ("pow(x, y)", {"x": 1.5, "y": -0.5}),
    ("x^y", {"x": -2.0, "y": 2.0}),
    ("sqrt(x)", {"x": 0.0}),
    ("sqrt(x)", {"x": 2.0}),
    ("sigmoid(x)", {"x": 2.0}),
    ("sigmoid(x)", {"x": -40.0}),
    ("tanh(x)", {"x": 1.5}),
    ("softplus(x)", {"x": 0.3}),
    ("softplus(x)", {"x": -30.0}),
    ("exp(x) * log(y)", {"x": 0.5, "y": 3.0}),
    ("log2(x) + log10(x)", {"x": 7.0}),
    ("sin(x)*cos(y) + tan(x*y)", {"x": 0.4, "y": 0.9}),
    ("asin(x) + acos(x) * atan(x)", {"x": 0.3}),
    ("sinh(x) / cosh(x)", {"x": 0.7}),
    ("d = a*b; e = a + b; f = d*e", {"a": -2.0, "b": 3.0}),
    ("b = a + a; c = b + b", {"a": 1.0}),
    ("x = a*b; f = 2*x + c", {"a": 2.0, "b": 3.0, "c": 1.0}),
    (
        "n = x1*w1 + x2*w2 + b; o = tanh(n)",
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
    ),
    ("c = 2; c += c*x; c *= c; c /= x", {"x": 1.5}),
    ("-x^2 + 1/x", {"x": 0.5}),
    # A nan arriving at relu/max/min must not leak into the branch not taken.
    ("pow(y, max(x, y))", {"x": 1.0, "y": -1.0}),
    ("(-1)^(relu(a) + 2)", {"a": -2.0}),
    ("(-1)^(min(a, b) + 2)", {"a": -2.0, "b": -5.0}),
    ("(-1)^(abs(a) + 2)", {"a": 0.0}),
    ("y = a*2; f = b + 1", {"a": 1.0, "b": 2.0}),
    # pow's x-term at exponent 0 is masked, not multiplied: 0 even under a nan from above.
    ("acos(y ^ (x ^ 0))", {"x": 1.0, "y": 1.0}),
    ("sqrt(x^0 - 1)", {"x": 2.0}),
    ("sqrt(x^c - 1)", {"x": 2.0, "c": 0.0}),
    ("sqrt(relu(x))", {"x": -1.0}),
]


def torch_gradient(src, inputs):
    import torch

    from gradcli.language.lower import compile_program

    tape = compile_program(src, inputs)
    f64 = torch.float64
    table = {
        "add": torch.add,
        "sub": torch.sub,
        "mul": torch.mul,
        "div": torch.div,
        "pow": torch.pow,
        "neg": torch.neg,
        "copy": lambda a: a,
        "exp": torch.exp,
        "log": torch.log,
        "log2": torch.log2,
        "log10": torch.log10,
        "sqrt": torch.sqrt,
        "sin": torch.sin,
        "cos": torch.cos,
        "tan": torch.tan,
        "asin": torch.asin,
        "acos": torch.acos,
        "atan": torch.atan,
        "sinh": torch.sinh,
        "cosh": torch.cosh,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "softplus": torch.nn.functional.softplus,
        "abs": torch.abs,
        "max": torch.maximum,
        "min": torch.minimum,
    }
    leaves, vals = {}, []
    for step in tape.steps:
        if step.op.name == "input":
            default = step.const if step.const is not None else 0.0
            t = torch.tensor(inputs.get(step.name, default), dtype=f64, requires_grad=True)
            leaves[step.name] = t
        elif step.op.name == "const":
            t = torch.tensor(step.const, dtype=f64)
        else:
            t = table[step.op.name](*(vals[a] for a in step.args))
        vals.append(t)
    out = vals[tape.output]
    if not leaves or not out.requires_grad:
        return float(out), {n: 0.0 for n in leaves}
    grads = torch.autograd.grad(out, list(leaves.values()), allow_unused=True)
    return float(out.detach()), {n: (0.0 if g is None else float(g)) for n, g in zip(leaves, grads)}


def encode(x):
    return x if math.isfinite(x) else repr(x)


def main():
    sys.path.insert(0, str(REFERENCE.parents[2]))
    rows = []
    for src, inputs in CASES:
        value, grad = torch_gradient(src, inputs)
        rows.append(
            {
                "program": src,
                "inputs": inputs,
                "value": encode(value),
                "gradient": {k: encode(v) for k, v in grad.items()},
            }
        )
    import torch

    doc = {"torch": torch.__version__, "dtype": "float64", "cases": rows}
    REFERENCE.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(rows)} cases to {REFERENCE}")


if __name__ == "__main__":
    main()
