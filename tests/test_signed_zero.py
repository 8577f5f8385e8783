"""Signed zeros as PyTorch's float64 autograd has them, where gradcli matches them.

relu(-0.0) is -0.0 in PyTorch (the input passed through, not a new 0.0), and so it is in
gradcli: in eval, tensor mode and the generated code. Values computed by an op's own
formula (sin, sqrt, -a, a·0, max and min of a tie, which keep the first operand's zero)
match already; these cases pin them. Compared bit for bit (the sign of a zero included)
with `gradcli eval --json` and the Python API. The oracle is torch, live when importable;
otherwise its answers recorded in tests/data/signed_zero_torch.json (`python
tests/test_signed_zero.py`, with torch installed, writes that file again).

Gradients with several contributions (SEVERAL): an adjoint takes its first contribution
as it is and adds the later ones, as PyTorch does, so d(a·a)/da at a = -0.0 is -0.0 (not
0.0 + -0.0 = 0.0), and so is every command's gradient: eval --json, the API, --mode both,
--check, plot's slope, tensor mode and the code `gradcli code` writes (run here).
"""

import importlib.util
import itertools
import json
import math
import shlex
import shutil
import subprocess
import sys
import unicodedata
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
# Gradients with several contributions, or with one contribution that is -0.0: the adjoint
# takes the first as it is and adds the rest (0.0 + -0.0 would be 0.0).
SEVERAL = [
    "a*a",
    "cos(a)",
    "-(a*a)",
    "a*a + a",
    "sin(a)*a",
    "cos(a) + cos(a)",
    "cos(a)*cos(a)",
    "tanh(a)*tanh(a)",
    "relu(a)*a",
    "abs(a)*a",
    "exp(a)*a - a",
    "a*a - a*a",
    "-(a - a)",  # forward mode's tangent sums cancel in another grouping: see below
    "a*b",
    "x = a*b; f = x*x",
    "a*a + b",
    "a*b + a*a",
    "x = a*a; f = cos(x) + x*b",
    "a*b + a*c",
]
ZEROS = (0.0, -0.0)


def _inputs(program: str) -> list:
    from gradcli.language.lower import compile_program

    names = list(compile_program(program, {}).inputs)
    combos = [dict(zip(names, zs)) for zs in itertools.product(ZEROS, repeat=len(names))]
    return combos + [{**combo, "a": 1.0} for combo in combos[: 2 ** (len(names) - 1)]]


CASES += [(p, inputs) for p in SEVERAL for inputs in _inputs(p)]
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


# --- gradients of several contributions through every command -------------------------
def _several(one_input: bool = False) -> list:
    cases = [c for c in REF["cases"] if c["program"] in SEVERAL]
    return [c for c in cases if len(c["inputs"]) == 1] if one_input else cases


def _args(values: dict) -> list:
    return [f"{k}={'-0' if bits(v) == '-0.0' else repr(v)}" for k, v in values.items()]


def _id(case) -> str:
    return f"{case['program']} @ " + ",".join(bits(v) for v in case["inputs"].values())


# Forward mode adds each step's tangent terms, reverse mode (and PyTorch) each value's
# contributions: where a sum cancels exactly (1 + -1 is +0.0) or adds zeros of both signs
# (-0.0 + 0.0 is 0.0), the two groupings can give zeros of opposite sign, both right.
# -(a - a): the tangent of a - a is 1 + (-1) = 0.0, negated -0.0; the adjoint of a is
# -1 + 1 = 0.0. relu(a)*a at -0.0: forward (-0.0)·0 + (-0.0)·1 = -0.0, reverse
# -0.0 + 0 (relu's closed gate) = 0.0.
FORWARD_SIGN_MAY_DIFFER = {"-(a - a)", "relu(a)*a", "x = a*a; f = cos(x) + x*b"}


@pytest.mark.parametrize("case", _several(), ids=_id)
def test_mode_both_and_check_give_pytorchs_signed_zero(case):
    for name, want in case["gradient"].items():
        r = CLI(
            "eval",
            "--json",
            "--mode",
            "both",
            "--wrt",
            name,
            case["program"],
            *_args(case["inputs"]),
        )
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        assert bits(doc["gradient"][name]) == bits(want), (name, doc["gradient"])
        assert doc["agreement"] == "agree" and doc["derivative"] == want
        if case["program"] not in FORWARD_SIGN_MAY_DIFFER:
            assert bits(doc["derivative"]) == bits(want), name
    r = CLI("eval", "--json", "--check", case["program"], *_args(case["inputs"]))
    assert r.exit_code == 0, r.output
    check = json.loads(r.stdout)["check"]
    assert {k: bits(v["analytic"]) for k, v in check.items()} == {
        k: bits(v) for k, v in case["gradient"].items()
    }


def _run_code(lang: str, program: str, values: dict) -> dict:
    """The gradient the generated code computes, every bit: each adjoint printed with
    repr after the program's own lines."""
    code = CLI("code", "--lang", lang, program, *_args(values))
    assert code.exit_code == 0, code.output
    names = list(values)
    if lang == "js":
        # JavaScript prints -0 as 0 in console.log of several values; Object.is says which.
        tail = "".join(
            f'console.log("{n} " + (Object.is(d{n}, -0) ? "-0.0" : String(d{n})));\n' for n in names
        )
        run = [NODE, "-"]
    else:
        tail = "".join(f'print("{n}", repr(float(d{n})))\n' for n in names)
        run = [sys.executable, "-"]
    proc = subprocess.run(run, input=code.stdout + tail, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()[-len(names) :]
    return {n: float(v) for n, v in (ln.split(" ", 1) for ln in lines)}


@pytest.mark.parametrize(
    "lang",
    [
        "python",
        pytest.param("js", marks=pytest.mark.skipif(NODE is None, reason="no node")),
        "numpy",
    ],
)
def test_generated_code_computes_pytorchs_signed_zero_gradient(lang):
    cases = _several()
    for case in cases:
        got = _run_code(lang, case["program"], case["inputs"])
        assert {k: bits(v) for k, v in got.items()} == {
            k: bits(v) for k, v in case["gradient"].items()
        }, case
    # and eval --json the same bits
    for case in cases[:6]:
        doc = json.loads(CLI("eval", "--json", case["program"], *_args(case["inputs"])).stdout)
        assert {k: bits(v) for k, v in doc["gradient"].items()} == {
            k: bits(v) for k, v in case["gradient"].items()
        }


def test_tensor_mode_and_numbers_give_the_same_signed_zeros():
    # Each one-input case as a tensor program: sum(program) over a one-entry array.
    for case in _several(one_input=True):
        if ";" in case["program"]:
            continue
        (value,) = case["inputs"].values()
        given = "[-0]" if bits(value) == "-0.0" else f"[{value!r}]"
        r = CLI("eval", "--json", f"sum({case['program']})", f"a={given}")
        assert r.exit_code == 0, r.output
        (g,) = json.loads(r.stdout)["gradient"]["a"]
        assert bits(g) == bits(case["gradient"]["a"]), case
        # and the program itself on a number, not an array: the same bits
        r = CLI("eval", "--json", case["program"], *_args(case["inputs"]))
        assert bits(json.loads(r.stdout)["gradient"]["a"]) == bits(g), case


def test_plot_slopes_keep_pytorchs_signed_zero():
    checked = 0
    for case in _several(one_input=True):
        (value,) = case["inputs"].values()
        if value not in ZEROS:
            continue
        r = CLI(
            "plot",
            "--json",
            case["program"],
            *_args(case["inputs"]),
            "--range=-1:1",
            "--points",
            "3",
        )
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        # The tangent at the point given: its slope is eval's gradient there.
        assert bits(doc["tangent"]["slope"]) == bits(case["gradient"]["a"]), case
        # The derivative curve at the sample x = 0.0 (the array sweep): PyTorch's at +0.0.
        (at_zero,) = [
            c
            for c in _several(one_input=True)
            if c["program"] == case["program"] and bits(c["inputs"]["a"]) == "0.0"
        ]
        assert doc["x"][1] == 0.0
        assert bits(doc["derivative"][1]) == bits(at_zero["gradient"]["a"]), case
        checked += 1
    assert checked >= 20


def test_explains_suggested_command_keeps_a_negative_zero_in_an_array():
    r = CLI("explain", "--no-pause", "sum(x*x) + s*s", "x=[-0, 1]", "s=-0")
    assert r.exit_code == 0, r.output
    # the command on a line of its own, after the sentence that introduces it
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("gradcli eval")]
    command = shlex.split(line)
    assert "--x=[-0,1]" in command and "--s=-0" in command
    again = CLI(*command[1:])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["gradient"] == {"x": [-0.0, 2.0], "s": -0.0}
    assert [bits(g) for g in json.loads(again.stdout)["gradient"]["x"]] == ["-0.0", "2.0"]
    assert bits(json.loads(again.stdout)["gradient"]["s"]) == "-0.0"


def test_the_tables_assign_the_first_contribution_and_add_the_rest():
    r = CLI("eval", "x = a*b; f = x*a", "a=-0", "b=-0")
    assert r.exit_code == 0, r.output

    def nfc(text: str) -> str:  # ā may be one character or a and a combining macron
        return unicodedata.normalize("NFC", text)

    rows = nfc(r.stdout).splitlines()
    (first,) = [ln for ln in rows if nfc("(contribution 1 of 2 to ā)") in ln]
    (second,) = [ln for ln in rows if nfc("(contribution 2 of 2 to ā)") in ln]
    assert nfc("ā = x·f̄ = 0·1 = 0") in first and nfc("ā = 0") in first
    assert nfc("ā += b·x̄ = 0·0 = 0") in second and nfc("ā = 0 + 0 = 0") in second
    (only,) = [ln for ln in rows if "f → x" in ln]
    assert nfc("x̄ = a·f̄ = 0·1 = 0") in only and "+=" not in only
