"""`gradcli eval --symbolic`: SymPy's formulas evaluate to the engine's numbers."""

import json
import sys

import pytest
from conftest import SHARED, acceptance_cases, examples
from hypothesis import HealthCheck, assume, example, given, settings
from test_properties import evaluated_at, expressions, point

from gradcli.core.engine import evaluate
from gradcli.core.ops import OPS
from gradcli.language.lower import compile_program

sympy = pytest.importorskip("sympy")
from gradcli.modes import symbolic  # noqa: E402  (after the skip: it needs SymPy to be useful)

CASES = SHARED / "acceptance" / "cases.toml"


def test_every_op_in_the_registry_has_a_sympy_counterpart():
    assert set(OPS) - {"input", "const"} <= symbolic.covered_ops()


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
@pytest.mark.parametrize("case", acceptance_cases(), ids=lambda c: c["id"])
def test_formulas_evaluate_to_the_engines_gradient(case):
    values = {k: float(v) for k, v in case["inputs"].items()}
    tape = compile_program(case["program"], values)
    ev = evaluate(tape, values)
    found = symbolic.partials(tape)
    assert [p.name for p in found] == list(tape.inputs)
    for p in found:
        subs = {sympy.Symbol(n, real=True): v for n, v in ev.inputs.items()}
        assert float(p.expression.subs(subs)) == pytest.approx(
            ev.gradient[p.name], rel=1e-9, abs=1e-12
        )
        # The printed formula is gradcli syntax where no kink function appears in it:
        # gradcli itself evaluates it back to the same number.
        text = symbolic.formula(p.expression)
        if "Heaviside" in text or "sign" in text:
            continue
        back = evaluate(compile_program(text, ev.inputs), ev.inputs, record=False)
        assert back.value == pytest.approx(ev.gradient[p.name], rel=1e-9, abs=1e-12), text


def a_power_of_zero(ev):
    """Whether some power's base is 0 here. SymPy's derivative of a^b then holds log(a) or
    b/a and is undefined (`gradcli eval --symbolic` says so), while the engine takes
    PyTorch's values: d/dc x^c = 0 at x = 0, and c·x^(c-1) as it is."""
    return any(
        step.op is OPS["pow"] and ev.values[step.args[0]] == 0
        for step in ev.tape.steps[: ev.tape.output + 1]
    )


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), point, point, point)
# Found by Hypothesis: 0^x, where SymPy's formula was nan for every x; ln(x)^x at x = 1;
# (x - y)^x at x = y, where the formula evaluated to 1.5e-33 (evalf's subs= kept x - y as
# a tiny number) instead of undefined.
@example("-pow((x - x), x)", 1.0, 1.0, 1.0)
@example("pow(ln(x), x)", 1.0, 1.0, 1.0)
@example("pow((x - y), x)", 1.0, 1.0, 1.0)
def test_symbolic_derivative_matches_the_engine_on_random_programs(src, x, y, z):
    ev = evaluated_at(src, x, y, z, record=False)
    tape, inputs = ev.tape, ev.inputs
    assume(not ev.warnings)  # away from kinks, ties and infinite slopes
    assume(all(abs(g) < 1e6 for g in ev.gradient.values()))
    # Unsimplified keeps the test fast; simplification is checked on the cases above.
    for p in symbolic.partials(tape, simplify=False):
        at = symbolic.evaluate_at(p.expression, ev.inputs)
        if at is None and a_power_of_zero(ev):
            continue
        assert at == pytest.approx(ev.gradient[p.name], rel=1e-7, abs=1e-9), (src, inputs)


def test_a_power_of_zero_with_a_varying_exponent_differentiates_to_0():
    # SymPy's own 0**x differentiates to 0**x·log(0): nan for every x. The function is 0
    # for x > 0, and the engine (PyTorch) takes d/dc x^c = 0 at x = 0.
    for src, values in [
        ("-pow((x - x), x)", {"x": 1.0}),
        ("0^x + y^2", {"x": 2.0, "y": 3.0}),
        ("(y - y)^(x*y)", {"x": 2.0, "y": 1.5}),
    ]:
        tape = compile_program(src)
        ev = evaluate(tape, values)
        for p in symbolic.partials(tape):
            assert symbolic.evaluate_at(p.expression, values) == ev.gradient[p.name], src
    (p,) = symbolic.partials(compile_program("0^x"))
    assert symbolic.formula(p.expression) == "0"


def test_cli_symbolic_table_and_json(cli):
    args = ["eval", "sigmoid(a*x + b)", "--a", "2", "--x", "0.5", "--b", "-1"]
    grad = json.loads(cli(*args, "--json").stdout)["gradient"]
    r = cli(*args, "--symbolic")
    assert r.exit_code == 0, r.output
    assert "Symbolic partials" in r.stdout and "∂f/∂a" in r.stdout
    doc = json.loads(cli(*args, "--symbolic", "--json").stdout)
    assert set(doc["symbolic"]) == {"a", "x", "b"}
    for name, s in doc["symbolic"].items():
        assert s["value"] == grad[name]
        assert s["formula_value"] == pytest.approx(grad[name], rel=1e-12)
        assert "**" not in s["formula"] and s["simplified"]


def test_symbolic_formula_notation(cli):
    uni = cli("eval", "x^3*y", "--x", "2", "--y", "3", "--symbolic").stdout
    assert "3·x^2·y" in uni
    plain = cli("eval", "x^3*y", "--x", "2", "--y", "3", "--symbolic", "--ascii").stdout
    assert "3*x^2*y" in plain and "dx" not in plain.split("Symbolic")[1].split("formula")[0]


def test_at_a_relu_kink_the_formula_follows_the_engines_convention(cli):
    # relu'(0) = 0 (PyTorch's convention), so the formula is Heaviside(x, 0), not SymPy's
    # default Heaviside(x), which is 1/2 at 0.
    r = cli("eval", "relu(x)", "--x", "0", "--symbolic", "--json")
    assert r.exit_code == 0
    entry = json.loads(r.stdout)["symbolic"]["x"]
    assert entry["formula"] == "Heaviside(x, 0)"
    assert entry["value"] == entry["formula_value"] == 0.0


def test_without_sympy_a_clear_message(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # `import sympy` now raises ImportError
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--symbolic")
    assert r.exit_code == 2
    assert "pip install 'gradcli[symbolic]'" in r.stderr and "Traceback" not in r.stderr


def test_big_programs_are_refused(cli):
    src = "; ".join(["x1 = a"] + [f"x{i} = x{i - 1} * a + 1" for i in range(2, 120)])
    r = cli("eval", src, "--a", "0.5", "--symbolic")
    assert r.exit_code == 2
    assert f"up to {symbolic.MAX_STEPS} steps" in r.stderr


def test_formulas_that_explode_when_written_out_are_refused(cli):
    # 40 steps, but each value is used twice: 2^40 operations once written out.
    src = "; ".join(["x1 = a"] + [f"x{i} = sin(x{i - 1})*x{i - 1} + a" for i in range(2, 41)])
    r = cli("eval", src, "--a", "0.3", "--symbolic")
    assert r.exit_code == 2
    assert f"up to {symbolic.MAX_TREE} operations" in r.stderr


def test_a_big_derivative_is_shown_unsimplified(cli):
    src = "; ".join(["x1 = a"] + [f"x{i} = sin(x{i - 1})*x{i - 1} + a" for i in range(2, 7)])
    doc = json.loads(cli("eval", src, "--a", "0.3", "--symbolic", "--json").stdout)
    assert doc["symbolic"]["a"]["simplified"] is False
    assert doc["symbolic"]["a"]["formula_value"] == pytest.approx(doc["gradient"]["a"], rel=1e-9)


def test_all_three_together_piped_with_an_ascii_encoding():
    from conftest import run_gradcli

    args = [
        "eval",
        "q = relu(x) + y; f = q * sigmoid(z)",
        "--x",
        "-2",
        "--y",
        "5",
        "--z",
        "-4",
        "--mode",
        "both",
        "--wrt",
        "y",
        "--check",
        "--symbolic",
    ]
    r = run_gradcli(*args, env={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0, r.stderr
    r.stdout.encode("ascii")
    assert "\x1b[" not in r.stdout
    for part in (
        "Backward pass",
        "Forward mode",
        "agree",
        "Gradient check",
        "Symbolic partials",
        "df/dy = v2*dq/dy + q*dv2/dy",
        "<= fair <",
    ):
        assert part in r.stdout, part
    doc = json.loads(run_gradcli(*args, "--json").stdout)
    assert {
        "gradient",
        "nodes",
        "steps",
        "tangents",
        "wrt",
        "agree",
        "check",
        "symbolic",
        "warnings",
    } <= set(doc)
    assert doc["agree"] and all(c["verdict"] == "good" for c in doc["check"].values())
    plain = json.loads(run_gradcli(*args[:8], "--json").stdout)
    assert set(plain) == {
        "schema",
        "output",
        "value",
        "gradient",
        "inputs",
        "nodes",
        "steps",
        "warnings",
    }


def test_kink_functions_print_in_gradcli_syntax():
    x, y, z = sympy.symbols("x y z", real=True)
    text = symbolic.formula(sympy.Max(x, y, z) + sympy.Abs(x) * sympy.Min(0, y))
    tape = compile_program(text)
    values = {"x": -0.5, "y": 2.0, "z": 1.5}
    expected = float(
        (sympy.Max(x, y, z) + sympy.Abs(x) * sympy.Min(0, y)).subs(
            {sympy.Symbol(k, real=True): v for k, v in values.items()}
        )
    )
    assert evaluate(tape, values, record=False).value == pytest.approx(expected)


def test_a_formula_is_undefined_where_it_divides_by_an_exact_zero():
    # evalf(subs=...) once made 1/sqrt(1 - x^2) at x = 1 a finite 1.8e75.
    (p,) = symbolic.partials(compile_program("asin(x)"), simplify=False)
    assert symbolic.evaluate_at(p.expression, {"x": 1.0}) is None
    assert symbolic.evaluate_at(p.expression, {"x": 0.6}) == pytest.approx(1.25, rel=1e-12)
