"""Forward mode: tangents against the reverse sweep, the CLI's trace, its errors."""

import json
import re
import unicodedata

import pytest
from conftest import SHARED, acceptance_cases, examples, run_gradcli
from hypothesis import HealthCheck, given, settings
from test_properties import evaluated_at, expressions, point

from gradcli.core.engine import evaluate
from gradcli.language.lower import compile_program
from gradcli.modes.forward_mode import compare, tangent_trace

CASES = SHARED / "acceptance" / "cases.toml"
ANSI = re.compile(r"\x1b\[")


def nfd(text):
    """ẋ may be typed precomposed; gradcli writes a letter plus a combining dot."""
    return unicodedata.normalize("NFD", text)


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
@pytest.mark.parametrize("case", acceptance_cases(), ids=lambda c: c["id"])
def test_one_forward_pass_per_input_gives_the_reverse_gradient(case):
    values = {k: float(v) for k, v in case.get("inputs", {}).items()}
    tape = compile_program(case["program"], values)
    ev = evaluate(tape, values)
    for name in tape.inputs:
        trace = tangent_trace(tape, ev.values, name)
        assert trace.derivative == pytest.approx(ev.gradient[name], rel=1e-12, abs=1e-12)
        assert trace.derivative == pytest.approx(case["gradient"][name], abs=case["tol"])


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), point, point, point)
def test_forward_and_reverse_agree_on_random_programs(src, x, y, z):
    ev = evaluated_at(src, x, y, z, record=False)
    for name in ev.tape.inputs:
        found = compare(tangent_trace(ev.tape, ev.values, name, record=False), ev)
        assert not found.is_bug, (src, ev.inputs, name, found)


def test_a_deep_program_needs_no_recursion():
    src = "x0 = a\n" + "\n".join(f"x{i} = sin(x{i - 1}) + a" for i in range(1, 10001))
    tape = compile_program(src)
    ev = evaluate(tape, {"a": 0.1}, record=False)
    trace = tangent_trace(tape, ev.values, "a", record=False)
    assert trace.derivative == pytest.approx(ev.gradient["a"], rel=1e-12)


def test_cli_forward_trace_table(cli):
    r = cli(
        "eval",
        "q = x + y; f = q * z",
        "--x",
        "-2",
        "--y",
        "5",
        "--z",
        "-4",
        "--mode",
        "forward",
        "--wrt",
        "x",
    )
    assert r.exit_code == 0, r.output
    out = nfd(r.stdout)
    # The rule at each step is built from the registry's partials: mul is ("{1}", "{0}").
    assert nfd("ḟ = z·q̇ + q·ż = -4·1 + 3·0 = -4") in out
    assert nfd("q̇ = ẋ + ẏ = 1 + 0 = 1") in out
    assert nfd("ẋ = 1  (seed)") in out
    assert nfd("∂f/∂x = ḟ = -4") in out
    assert "forward mode needs one pass per input (3), reverse mode one per output (1)" in out
    assert "Backward pass" not in out


def test_cli_forward_json(cli):
    args = ["eval", "q = x + y; f = q * z", "--x", "-2", "--y", "5", "--z", "-4"]
    reverse = json.loads(cli(*args, "--json").stdout)
    for name in ("x", "y", "z"):
        r = cli(*args, "--mode", "forward", "--wrt", name, "--json")
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        assert doc["mode"] == "forward" and doc["wrt"] == name
        assert doc["derivative"] == reverse["gradient"][name]
        ids = [n["id"] for n in reverse["nodes"]]
        assert list(doc["tangents"]) == ids
        assert doc["tangents"][ids[-1]] == doc["derivative"]
        assert doc["value"] == reverse["value"]
        assert "gradient" not in doc  # forward mode computed one derivative, not all
        assert [t["tangent"] for t in doc["forward_trace"]] == list(doc["tangents"].values())


def test_wrt_may_be_left_out_with_one_input(cli):
    r = cli("eval", "sin(x)*x", "--x", "2", "--mode", "forward", "--json")
    doc = json.loads(r.stdout)
    assert doc["wrt"] == "x"
    assert (
        doc["derivative"]
        == json.loads(cli("eval", "sin(x)*x", "--x", "2", "--json").stdout)["gradient"]["x"]
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["--mode", "forward"], ["with respect to one input", "a, b", "--wrt"]),
        (["--mode", "forward", "--wrt", "bb"], ["no input named 'bb'", "did you mean 'b'"]),
        (["--wrt", "a"], ["--mode forward"]),
        (["--mode", "fowrard"], ["unknown mode", "did you mean 'forward'"]),
    ],
)
def test_forward_mode_usage_errors(cli, args, words):
    r = cli("eval", "a*b", "--a", "2", "--b", "3", *args)
    assert r.exit_code == 2
    assert r.stdout == ""
    for w in words:
        assert w in r.stderr


def test_both_modes_print_both_traces_and_agree(cli):
    args = [
        "eval",
        "d = a*b; e = a + b; f = d*e",
        "--a",
        "2",
        "--b",
        "-3",
        "--mode",
        "both",
        "--wrt",
        "a",
    ]
    r = cli(*args)
    assert r.exit_code == 0, r.output
    assert "Backward pass" in r.stdout and "Forward mode" in r.stdout
    grad = json.loads(cli("eval", *args[1:6], "--json").stdout)["gradient"]["a"]
    assert f"forward and reverse mode agree: ∂f/∂a = {grad:g}" in r.stdout
    doc = json.loads(cli(*args, "--json").stdout)
    assert doc["agree"] is True and doc["derivative"] == doc["gradient"]["a"]
    assert doc["steps"] and doc["forward_trace"]


def test_a_disagreement_is_said_loudly(cli, monkeypatch):
    import gradcli.modes.study

    real = gradcli.modes.study.tangent_trace

    def broken(*args, **kw):
        trace = real(*args, **kw)
        trace.tangents[trace.tape.output] += 1.0
        return trace

    monkeypatch.setattr(gradcli.modes.study, "tangent_trace", broken)
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--mode", "both", "--wrt", "a")
    assert "MISMATCH" in r.stdout and "MISMATCH" in r.stderr
    assert r.exit_code == 3  # a bug in gradcli, not a success
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--mode", "both", "--wrt", "a", "--json")
    assert json.loads(r.stdout)["agree"] is False and r.exit_code == 3
    # ... and under --json the error is a document on stderr too (docs/json.md)
    err = json.loads(r.stderr)
    assert (err["schema"], err["exit"], err["kind"]) == ("gradcli.error/1", 3, "ModesDisagree")
    assert "MISMATCH" in err["error"]
    assert err["fields"] == {"wrt": "a", "forward": 4.0, "reverse": 3.0}


@pytest.mark.parametrize(
    "program, values, verdict",
    [
        ("v = sqrt(x); f = 2*v - v", ["--x", "0"], "float-edge"),  # nan vs inf: not the same
        ("(x * 1e-200) * y * z", ["--x", "1", "--y", "1e200", "--z", "1e200"], "float-edge"),
        ("tan(x * (cosh(x) / x))", ["--x", "1e-8"], "rounding"),
        ("u = x; v = -(1e200 / u); f = v - ((u + v) + pi)", ["--x", "-1"], "rounding"),
        ("d = a*b; f = d*a", ["--a", "2", "--b", "3"], "agree"),
    ],
)
def test_mode_both_tells_float_arithmetic_from_a_bug(program, values, verdict):
    """Only a difference that floats cannot explain is a bug (exit 3); the sentence says
    which it is, and never calls nan and inf the same number."""
    r = run_gradcli(
        "eval",
        program,
        *values,
        "--mode",
        "both",
        "--wrt",
        "x" if "--x" in values else "a",
        "--json",
    )
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["agreement"] == verdict, (r.stdout, r.stderr)
    assert doc["agree"] is (verdict == "agree")
    r = run_gradcli(
        "eval",
        program,
        *values,
        "--mode",
        "both",
        "--wrt",
        "x" if "--x" in values else "a",
        "--grad-only",
    )
    said = {
        "agree": "agree:",
        "rounding": "float rounding only",
        "float-edge": "not a bug in gradcli",
    }[verdict]
    text = " ".join(r.stdout.split())  # rich wraps lines to the pipe's width
    assert said in text and "MISMATCH" not in text + r.stderr, r.stdout


def test_forward_mode_follows_the_branch_reverse_mode_takes():
    """relu, max and min route: a branch not taken carries exactly 0 in both modes, even
    where a slope above it is infinite (PyTorch's reverse mode gives 0 here)."""
    for program, values, wrt, want in [
        ("sqrt(relu(x))", ["--x", "-1"], "x", 0.0),
        ("pow(y, max(x, y))", ["--x", "1", "--y", "-1"], "y", 1.0),
    ]:
        r = run_gradcli("eval", program, *values, "--mode", "both", "--wrt", wrt, "--json")
        doc = json.loads(r.stdout)
        assert r.returncode == 0 and doc["agree"] is True, (program, r.stdout, r.stderr)
        assert doc["derivative"] == doc["gradient"][wrt] == want


def test_forward_mode_warnings_are_capped():
    program = "; ".join(f"r{i} = relu(x + r{i - 1})" if i else "r0 = relu(x)" for i in range(400))
    r = run_gradcli("eval", program, "--x", "0", "--mode", "forward", "--grad-only")
    lines = r.stderr.splitlines()
    assert len(lines) <= 5 and "more steps like this" in r.stderr, r.stderr


def test_forward_mode_in_ascii_and_piped():
    r = run_gradcli(
        "eval",
        "q = x + y; f = q * z",
        "--x",
        "-2",
        "--y",
        "5",
        "--z",
        "-4",
        "--mode",
        "both",
        "--wrt",
        "x",
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert r.returncode == 0, r.stderr
    assert "df/dx = z*dq/dx + q*dz/dx = -4*1 + 3*0 = -4" in r.stdout
    assert not ANSI.search(r.stdout)
    r.stdout.encode("ascii")


def test_forward_mode_grad_only_and_kink_warning(cli):
    r = cli(
        "eval",
        "max(a, b)*c",
        "--a",
        "1",
        "--b",
        "1",
        "--c",
        "3",
        "--mode",
        "forward",
        "--wrt",
        "a",
        "--grad-only",
    )
    assert r.exit_code == 0
    assert r.stdout.splitlines() == ["f = 3", "∂f/∂a = 1.5 (forward mode)"]
    assert "tie" in r.stderr


def test_a_masked_term_is_never_written_as_a_false_product():
    """0·inf is nan in floats; where a gate makes a term exactly 0, the tables say so in
    words instead of writing `0·inf = 0`."""
    from gradcli.core.notation import Notation
    from gradcli.report.rows import backward_rows, tangent_rule

    nt = Notation()
    ev = evaluate(compile_program("sqrt(relu(x))"), {"x": -1.0})
    rows = [" ".join(row) for row in backward_rows(ev, nt)]
    trace = tangent_trace(ev.tape, ev.values, "x")
    tangents = [tangent_rule(trace, i, nt) for i in range(len(ev.tape.steps))]
    text = " | ".join(rows + tangents)
    assert "0·inf = 0" not in text and "inf·0 = 0" not in text, text
    assert (
        "x̄ = 0  (relu did not take this branch: the contribution is masked to exactly 0, as "
        "PyTorch does; 0·inf would be nan)"
    ) in rows[1]
    assert tangents[2] == (
        "f\u0307 = (1/(2·f))·v\u03071 = 0  (v\u03071 is exactly 0 (v1 does not change with "
        "x here), so the slope inf multiplies nothing)"
    )
    ev = evaluate(compile_program("sqrt(x^c - 1)"), {"x": 2.0, "c": 0.0})
    assert any(
        "(the exponent c is 0: the contribution is masked to exactly 0" in " ".join(row)
        for row in backward_rows(ev, nt)
    )
