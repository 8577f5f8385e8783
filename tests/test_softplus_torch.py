"""softplus as PyTorch defines it (F.softplus, beta 1, threshold 20), bit for bit, through
every way gradcli computes it: eval, forward mode, --check, the generated Python,
JavaScript and NumPy, and tensor mode.

PyTorch's kernel: above 20 (strictly: `x > threshold`) the value is x itself and the slope
exactly 1; at 20 and below, log1p(exp(x)) and the slope exp(x)/(exp(x) + 1). So at 20.5
PyTorch says 20.5 and 1 where ln(1 + e^20.5) would be 20.500000001250154.

The oracle is torch float64 autograd, live when torch is importable; otherwise its answers
recorded in tests/data/softplus_torch.json (`python tests/test_softplus_torch.py`, with
torch installed, writes that file again).
"""

import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli
from test_rules import rule_value

from gradcli.core.ops import OPS

REFERENCE = Path(__file__).resolve().parent / "data" / "softplus_torch.json"
HAS_TORCH = importlib.util.find_spec("torch") is not None
NODE = shutil.which("node")
CLI = Cli()

POINTS = [19.5, 20.0, 20.5, 30.0, -30.0]
# Scalar programs at each point: softplus alone, and inside a chain with fan-out.
PROGRAMS = ["softplus(x)", "y = softplus(x); f = y*y + softplus(x - 1)"]


def _torch_scalar(program: str, x: float) -> dict:
    from torch_oracle import torch_gradient

    value, grad = torch_gradient(program, {"x": x})
    return {"value": value, "gradient": grad["x"]}


def _torch_vector(xs: list) -> dict:
    """sum(softplus(x)) on one float64 vector: its values and gradient."""
    import torch
    import torch.nn.functional as F

    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = F.softplus(t)
    y.sum().backward()
    return {"values": y.tolist(), "gradient": t.grad.tolist()}


def _record() -> dict:
    import torch

    return {
        "torch": torch.__version__,
        "scalar": [{"program": p, "x": x, **_torch_scalar(p, x)} for p in PROGRAMS for x in POINTS],
        "vector": {"x": POINTS, **_torch_vector(POINTS)},
    }


def reference() -> dict:
    return _record() if HAS_TORCH else json.loads(REFERENCE.read_text())


REF = reference()
SCALAR = [(c["program"], c["x"], c["value"], c["gradient"]) for c in REF["scalar"]]
IDS = [f"{p} @ x={x}" for p, x, _, _ in SCALAR]


def bits(x: float) -> str:
    """A float exactly, sign of zero included."""
    return "nan" if math.isnan(x) else repr(float(x))


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_the_recorded_reference_is_what_torch_says():
    recorded = json.loads(REFERENCE.read_text())
    assert recorded["scalar"] == REF["scalar"] and recorded["vector"] == REF["vector"]


@pytest.mark.parametrize("program, x, value, grad", SCALAR, ids=IDS)
def test_eval_equals_pytorch(program, x, value, grad):
    r = CLI("eval", "--json", program, f"x={x!r}")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert bits(doc["value"]) == bits(value)
    assert bits(doc["gradient"]["x"]) == bits(grad)


@pytest.mark.parametrize("program, x, value, grad", SCALAR, ids=IDS)
def test_forward_mode_equals_pytorch(program, x, value, grad):
    r = CLI("eval", "--json", "--mode", "forward", "--wrt", "x", program, f"x={x!r}")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert bits(doc["value"]) == bits(value)
    assert bits(doc["derivative"]) == bits(grad)


@pytest.mark.parametrize("x", POINTS)
def test_check_takes_pytorchs_slope_and_agrees_away_from_the_threshold(x):
    (case,) = [c for c in REF["scalar"] if c["program"] == "softplus(x)" and c["x"] == x]
    r = CLI("eval", "--json", "--check", "softplus(x)", f"x={x!r}")
    assert r.exit_code == 0, r.output
    check = json.loads(r.stdout)["check"]["x"]
    assert bits(check["analytic"]) == bits(case["gradient"])
    if x != 20.0:
        # At 20 itself the nudge straddles the threshold, where PyTorch's softplus jumps by
        # ln(1 + e^20) - 20 = 2e-9 (README, "Derivatives"): the difference quotient feels it.
        assert check["verdict"] == "good", check


@pytest.mark.parametrize("x", POINTS)
def test_the_rule_text_is_true_on_both_sides_of_the_threshold(x):
    """The rule the tables show (and the generated code is written from), evaluated with
    NumPy's arithmetic, gives PyTorch's slope: 1 above 20, e^x/(e^x + 1) at 20 and below."""
    (case,) = [c for c in REF["scalar"] if c["program"] == "softplus(x)" and c["x"] == x]
    (template,) = OPS["softplus"].rules
    assert bits(rule_value(template, (x,), case["value"])) == bits(case["gradient"])


def _generated(lang: str, program: str, x) -> str:
    r = CLI("code", "--lang", lang, program, f"x={x if isinstance(x, str) else repr(x)}")
    assert r.exit_code == 0, r.output
    return r.stdout


def _printed(stdout: str) -> tuple:
    """(value, derivative) from the generated program's two lines: `f = ...`, `df/dx = ...`."""
    (value, grad) = [line.split(" = ", 1)[1] for line in stdout.splitlines()]
    return float(value), float(grad)


def _run(lang: str, code: str) -> str:
    command = {"python": [sys.executable, "-"], "numpy": [sys.executable, "-"], "js": [NODE]}
    proc = subprocess.run(
        command[lang], input=code, capture_output=True, text=True, timeout=120, encoding="utf-8"
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


LANGS = [
    "python",
    "numpy",
    pytest.param("js", marks=pytest.mark.skipif(NODE is None, reason="node is not installed")),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("program, x, value, grad", SCALAR, ids=IDS)
def test_generated_code_equals_pytorch(lang, program, x, value, grad):
    got_value, got_grad = _printed(_run(lang, _generated(lang, program, x)))
    assert bits(got_value) == bits(value)
    assert bits(got_grad) == bits(grad)


def test_tensor_mode_equals_pytorch():
    vec = REF["vector"]
    given = "[" + ", ".join(repr(x) for x in vec["x"]) + "]"
    r = CLI("eval", "--json", "s = softplus(x); f = sum(s)", f"x={given}")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (s,) = [n for n in doc["nodes"] if n["label"] == "s"]
    assert [bits(v) for v in s["value"]] == [bits(v) for v in vec["values"]]
    assert [bits(g) for g in doc["gradient"]["x"]] == [bits(g) for g in vec["gradient"]]


def test_generated_numpy_on_arrays_equals_pytorch():
    vec = REF["vector"]
    given = "[" + ", ".join(repr(x) for x in vec["x"]) + "]"
    out = _run("numpy", _generated("numpy", "sum(softplus(x))", given))
    _, grad = out.splitlines()
    got = json.loads(grad.split(" = ", 1)[1])
    assert [bits(g) for g in got] == [bits(g) for g in vec["gradient"]]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    REFERENCE.write_text(json.dumps(_record(), indent=1) + "\n")
    print(f"wrote {REFERENCE}")
