"""`gradcli eval --check`: finite differences, the verdict bands, kinks and domain edges."""

import json
import math

import pytest
from conftest import SHARED, acceptance_cases, run_gradcli

from gradcli.core.engine import evaluate
from gradcli.language.lower import compile_program
from gradcli.modes.gradcheck import BANDS, check_input, relative_error, step_size, verdict

CASES = SHARED / "acceptance" / "cases.toml"


def check_doc(cli, *args):
    r = cli("eval", *args, "--check", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
def test_every_acceptance_case_checks_good(cli):
    for case in acceptance_cases():
        args = [case["program"]] + [f"{k}={float(v)!r}" for k, v in case["inputs"].items()]
        doc = check_doc(cli, *args)
        assert set(doc["check"]) == set(doc["gradient"]), case["id"]
        for name, c in doc["check"].items():
            assert c["analytic"] == doc["gradient"][name]
            # An independent central difference, computed here with the same h.
            x, h = doc["inputs"][name], step_size(doc["inputs"][name])
            tape = compile_program(case["program"], case["inputs"])
            up = evaluate(tape, {**doc["inputs"], name: x + h}, record=False).value
            down = evaluate(tape, {**doc["inputs"], name: x - h}, record=False).value
            assert c["numeric"] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)
            assert c["verdict"] == "good" and not c["near_kink"], (case["id"], name, c)


def test_bands_are_half_open_at_the_documented_bounds():
    assert [b for b, _, _ in BANDS[:-1]] == [1e-7, 1e-4, 1e-2]
    assert verdict(0.0) == verdict(9.9e-8) == "good"
    assert verdict(1e-7) == verdict(9.9e-5) == "fair"
    assert verdict(1e-4) == verdict(9.9e-3) == "suspicious"
    assert verdict(1e-2) == verdict(5.0) == "wrong"
    assert verdict(None) == verdict(math.nan) == "unavailable"
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(2.0, 1.0) == 0.5


@pytest.mark.parametrize(
    "wrong_by, expected", [(1e-9, "good"), (1e-5, "fair"), (1e-3, "suspicious"), (0.5, "wrong")]
)
def test_a_wrong_analytic_gradient_gets_the_band_of_its_error(wrong_by, expected):
    tape = compile_program("sin(x)*x")
    ev = evaluate(tape, {"x": 0.7})
    analytic = ev.gradient["x"] * (1 + wrong_by)
    c = check_input(tape, ev.inputs, ev.values, "x", analytic)
    assert c.verdict == expected
    assert c.relative_error == pytest.approx(wrong_by / (1 + wrong_by), rel=1e-3, abs=1e-10)


def test_relu_at_zero_is_a_kink_with_a_warning(cli):
    r = cli("eval", "relu(x)*y", "--x", "0", "--y", "2", "--check", "--json")
    doc = json.loads(r.stdout)
    x = doc["check"]["x"]
    assert x["analytic"] == 0 and x["numeric"] == pytest.approx(1.0)  # half of slope 2
    assert x["near_kink"] and x["verdict"] == "wrong"
    assert any("sits at a kink" in w for w in doc["warnings"])
    assert doc["check"]["y"]["near_kink"] is False and doc["check"]["y"]["verdict"] == "good"
    text = cli("eval", "relu(x)*y", "--x", "0", "--y", "2", "--check")
    assert "differs at a kink" in text.stdout
    assert "averages the slopes on its two sides" in " ".join(text.stdout.split())
    assert "sits at a kink" in text.stderr


def test_a_kink_within_h_is_near(cli):
    near = check_doc(cli, "abs(z)", "--z", "1e-7")["check"]["z"]
    assert near["near_kink"] and "within h" in near["kinks"][0]
    far = check_doc(cli, "abs(z)", "--z", "1e-3")["check"]["z"]
    assert not far["near_kink"] and far["verdict"] == "good"


def test_a_max_tie_is_a_kink_only_for_the_inputs_that_reach_it(cli):
    doc = check_doc(cli, "max(a, b) + c*c", "--a", "1", "--b", "1", "--c", "3")
    assert doc["check"]["a"]["near_kink"] and doc["check"]["b"]["near_kink"]
    assert not doc["check"]["c"]["near_kink"]


def test_a_domain_edge_makes_the_estimate_unavailable(cli):
    r = cli("eval", "sqrt(x) + log(y)", "--x", "0", "--y", "2", "--check", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    x = doc["check"]["x"]
    assert x["numeric"] is None and x["verdict"] == "unavailable"
    assert "sqrt is undefined" in x["note"]
    assert doc["check"]["y"]["verdict"] == "good"
    text = cli("eval", "sqrt(x) + log(y)", "--x", "0", "--y", "2", "--check")
    assert text.exit_code == 0 and "estimate unavailable" in text.stdout


def test_a_difference_below_rounding_is_good(cli):
    doc = check_doc(cli, "sin(x)", "--x", repr(math.pi / 2))
    c = doc["check"]["x"]
    assert abs(c["analytic"]) < 1e-15 and c["relative_error"] > 1e-2
    assert c["verdict"] == "good" and c["within_rounding"]


def test_check_table_text_and_ascii():
    r = run_gradcli(
        "eval", "a*b", "--a", "2", "--b", "3", "--check", env={"PYTHONIOENCODING": "ascii"}
    )
    assert r.returncode == 0, r.stderr
    assert "Gradient check" in r.stdout and "df/da" in r.stdout
    # piped output is 80 wide (issue 11), so the legend may wrap: read it as words
    assert "good < 1e-7 <= fair < 1e-4 <= suspicious < 1e-2 <= wrong" in " ".join(r.stdout.split())
    assert "\x1b[" not in r.stdout


def test_check_in_forward_mode_checks_the_one_derivative(cli):
    doc = check_doc(cli, "a*b", "--a", "2", "--b", "3", "--mode", "forward", "--wrt", "b")
    assert list(doc["check"]) == ["b"] and doc["check"]["b"]["verdict"] == "good"
