"""Tensor programs match PyTorch float64 autograd, recorded in tests/data/tensor_reference.json.

The reference is made by tests/data/make_tensor_reference.py (with torch) and checked here
without it: each case's value and every input's gradient, element by element, and each
gradient's shape against its input's shape exactly. The shape check is separate because
np.allclose broadcasts: a (64,) gradient for a (1, 64) parameter would pass it (the bug
students of makemore part 4 hit with keepdim).

Tolerance: |got - want| <= tol * |want| + tol * 1e-3, elementwise (np.allclose's form), with
tol from the case: 1e-12 for the small cases, 1e-9 for the whole makemore network. The
relative part is the claim; the absolute floor 1000 times below it exists for entries
that are zero in exact arithmetic and only rounding noise in floats, where no relative
bound can hold: makemore's b1 gradient is one (batchnorm subtracts the batch mean, so b1
cannot change the loss; torch's float results are 0 or below 1e-17). Every other recorded
entry is either exactly 0 (a relu or max that is closed, a row never looked up) or above
1e-7, so the floor does not weaken the relative check.
"""

import json

import numpy as np
import pytest
from conftest import ROOT, run_gradcli

from gradcli.core.engine import evaluate
from gradcli.language.lower import compile_program

CASES = json.loads((ROOT / "tests" / "data" / "tensor_reference.json").read_text())
MAKEMORE = next(c for c in CASES if c["name"] == "makemore4")
PROGRAM = ROOT / "examples" / "makemore4.grad"
BATCH = ROOT / "examples" / "makemore4-batch.json"


def assert_matches(case, value, gradient):
    """value and gradient (name -> array-like) against the recorded case."""
    tol = case["tol"]
    assert np.ndim(value) == 0, f"the output must be a scalar, got shape {np.shape(value)}"
    np.testing.assert_allclose(
        value, case["value"], rtol=tol, atol=tol * 1e-3, err_msg=f"{case['name']}: value"
    )
    assert set(gradient) == set(case["gradient"]), "gradient names (integer data get none)"
    for name, want in case["gradient"].items():
        got = gradient[name]
        assert np.shape(got) == np.shape(case["inputs"][name]), (
            f"{case['name']}: ∂/∂{name} has shape {np.shape(got)}, "
            f"its input {np.shape(case['inputs'][name])}"
        )
        np.testing.assert_allclose(
            got, want, rtol=tol, atol=tol * 1e-3, err_msg=f"{case['name']}: ∂/∂{name}"
        )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_recorded_pytorch(case):
    values = case["inputs"]
    ev = evaluate(compile_program(case["program"], given=values.keys()), values)
    assert_matches(case, ev.value, ev.gradient)


def test_makemore_example_is_the_recorded_one():
    """The example files are what the reference was recorded from; if this fails, re-run
    tests/data/make_tensor_reference.py after changing them."""
    assert PROGRAM.read_text() == MAKEMORE["program"]
    assert json.loads(BATCH.read_text()) == MAKEMORE["inputs"]


def test_makemore_from_the_command_line():
    """The lecture's network through the real CLI, as a user runs it."""
    proc = run_gradcli(
        "eval",
        "-f",
        "examples/makemore4.grad",
        "--values",
        "examples/makemore4-batch.json",
        "--json",
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert_matches(MAKEMORE, doc["value"], doc["gradient"])
