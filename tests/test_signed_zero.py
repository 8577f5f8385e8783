"""Signed zeros as PyTorch's float64 autograd has them, where gradcli matches them.

relu(-0.0) is -0.0 in PyTorch (the input passed through, not a new 0.0), and so it is in
gradcli: in eval, tensor mode and the generated code. Values computed by an op's own
formula (sin, sqrt, -a, a·0, max and min of a tie, which keep the first operand's zero)
match already; these cases pin them. Compared bit for bit (the sign of a zero included)
with `gradcli eval --json` and the Python API. The oracle is torch, live when importable;
otherwise its answers recorded in tests/data/signed_zero_torch.json (`python
tests/test_signed_zero.py`, with torch installed, writes that file again).

Not matched, and why, in the README (after "Derivatives follow PyTorch's float64
autograd"): a gradient that is a sum of contributions each -0.0 (d(a·a)/da at a = -0.0).
"""

import importlib.util
import json
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import Cli

import gradcli

REFERENCE = Path(__file__).resolve().parent / "data" / "signed_zero_torch.json"
HAS_TORCH = importlib.util.find_spec("torch") is not None
NODE = shutil.which("node")
CLI = Cli()

# Each at a = 0.0 and a = -0.0: the value's sign and every gradient's, as PyTorch's.
ONE_INPUT = [
    "relu(a)",
    "-relu(a)",
    "relu(a)*3",
    "relu(a) + relu(a)",
    "abs(a)",
    "sqrt(a)",  # sqrt(-0.0) is -0.0, its slope -inf
    "tanh(a)",
    "sin(a)",
    "sinh(a)",
    "atan(a)",
    "asin(a)",
    "tan(a)",
    "exp(a)",
    "sigmoid(a)",
    "softplus(a)",
    "-a",
    "0 - a",
    "a*0",
    "a*3",
    "a/2",
    "a + a",
    "a^3",
    "a*a*a",
    "y = a; f = y*1",
]
CASES = (
    [(p, {"a": z}) for z in (0.0, -0.0) for p in ONE_INPUT]
    + [("relu(a) + b", {"a": z, "b": b}) for z in (0.0, -0.0) for b in (0.0, -0.0)]
    # A tie of 0.0 and -0.0: the first operand's zero, the gradient split 0.5/0.5.
    + [
        (p, {"a": a, "b": b})
        for a, b in ((0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0))
        for p in ("max(a, b)", "min(a, b)")
    ]
    + [("y = a*2; f = b + 1", {"a": -0.0, "b": 2.0})]  # a is not reached: 0.0
)
VECTOR = [-0.0, 0.0, -1.5, 2.0]


def _torch_vector(xs: list) -> dict:
    """relu and a square on one float64 vector: relu's values, the gradient of
    sum(relu(x)) + sum(x*x)."""
    import torch

    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    r = torch.relu(t)
    (r.sum() + (t * t).sum()).backward()
    return {"relu": r.tolist(), "gradient": t.grad.tolist()}


def _record() -> dict:
    import torch
    from torch_oracle import torch_gradient

    rows = []
    for program, inputs in CASES:
        value, grad = torch_gradient(program, inputs)
        rows.append({"program": program, "inputs": inputs, "value": value, "gradient": grad})
    return {
        "torch": torch.__version__,
        "cases": rows,
        "vector": {"x": VECTOR, **_torch_vector(VECTOR)},
    }


REF = _record() if HAS_TORCH else json.loads(REFERENCE.read_text())


def bits(x: float) -> str:
    return "nan" if math.isnan(x) else repr(float(x))


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_the_recorded_reference_is_what_torch_says():
    assert json.loads(REFERENCE.read_text())["cases"] == REF["cases"]
    assert json.loads(REFERENCE.read_text())["vector"] == REF["vector"]


@pytest.mark.parametrize(
    "case", REF["cases"], ids=lambda c: f"{c['program']} @ {bits(list(c['inputs'].values())[0])}"
)
def test_signed_zeros_match_pytorch(case):
    args = [f"{k}={'-0' if bits(v) == '-0.0' else repr(v)}" for k, v in case["inputs"].items()]
    r = CLI("eval", "--json", case["program"], *args)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [bits(v) for v in doc["inputs"].values()] == [bits(v) for v in case["inputs"].values()]
    want = {"value": case["value"], **case["gradient"]}
    # JSON writes a number that is not finite as null (sqrt's slope at 0): the API's
    # numbers, the same evaluation, say which infinity.
    got = {"value": doc["value"], **doc["gradient"]}
    assert {k: v for k, v in got.items() if v is not None} == {
        k: v for k, v in want.items() if math.isfinite(v)
    }
    assert {k: bits(v) for k, v in got.items() if v is not None} == {
        k: bits(v) for k, v in want.items() if math.isfinite(v)
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = gradcli.evaluate(case["program"], case["inputs"])
    got = {"value": result.value, **result.gradient}
    assert {k: bits(v) for k, v in got.items()} == {k: bits(v) for k, v in want.items()}


def test_tensor_mode_keeps_relus_negative_zero():
    vec = REF["vector"]
    given = "[" + ", ".join("-0" if bits(x) == "-0.0" else repr(x) for x in vec["x"]) + "]"
    r = CLI("eval", "--json", "r = relu(x); f = sum(r) + sum(x*x)", f"x={given}")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (relu,) = [n for n in doc["nodes"] if n["label"] == "r"]
    assert [bits(v) for v in relu["value"]] == [bits(v) for v in vec["relu"]]
    assert [bits(g) for g in doc["gradient"]["x"]] == [bits(g) for g in vec["gradient"]]


def _printed(lang: str, program: str, values: dict) -> dict:
    args = [f"{k}={'-0' if bits(v) == '-0.0' else repr(v)}" for k, v in values.items()]
    code = CLI("code", "--lang", lang, program, *args)
    assert code.exit_code == 0, code.output
    run = [sys.executable, "-"] if lang == "python" else [NODE, "-"]
    proc = subprocess.run(run, input=code.stdout, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return {k: float(v) for k, _, v in (ln.rpartition(" = ") for ln in proc.stdout.splitlines())}


@pytest.mark.parametrize(
    "lang",
    ["python", pytest.param("js", marks=pytest.mark.skipif(NODE is None, reason="no node"))],
)
def test_generated_code_keeps_relus_negative_zero(lang):
    for case in REF["cases"]:
        if not case["program"].startswith("relu(a)"):
            continue
        printed = _printed(lang, case["program"], case["inputs"])
        assert bits(printed["f"]) == bits(case["value"]), case


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    REFERENCE.write_text(json.dumps(_record(), indent=1) + "\n")
    print(f"wrote {REFERENCE}")
