"""The forward pass and the reverse sweep: accumulation, fan-out, conventions, errors."""

import math

import pytest

from gradcli.core.engine import evaluate
from gradcli.core.errors import EvaluationError, UsageError
from gradcli.language.lower import compile_program


def run(src, **given):
    tape = compile_program(src, given)
    return evaluate(tape, given)


def test_seed_multiply_gate_sends_b_times_the_upstream_adjoint():
    ev = run("x = a*b; f = 2*x + c", a=2, b=3, c=1)
    assert ev.gradient == {"a": 6.0, "b": 4.0, "c": 1.0}
    # the step into a: local ∂x/∂a = b = 3, upstream x̄ = 2, contribution 6 (not 2/3)
    (into_a,) = [c for c in ev.contributions if ev.tape.label(c.input) == "a"]
    assert (into_a.local, into_a.upstream, into_a.contribution) == (3.0, 2.0, 6.0)
    assert ev.tape.rule(into_a.node, into_a.position) == "b"


def test_contributions_are_recorded_in_reverse_order_with_running_totals():
    ev = run("d = a*b; e = a + b; f = d*e", a=-2, b=3)
    assert ev.gradient == {"a": -3.0, "b": -8.0}
    nodes = [ev.tape.label(c.node) for c in ev.contributions]
    assert nodes == ["f", "f", "e", "e", "d", "d"]
    into_a = [c for c in ev.contributions if ev.tape.label(c.input) == "a"]
    assert [c.total for c in into_a] == [-6.0, -3.0]
    assert [c.count for c in into_a] == [1, 2]


def test_a_value_used_twice_in_one_step_gets_two_contributions():
    ev = run("x = a*a", a=3)
    assert ev.gradient == {"a": 6.0}
    assert [c.contribution for c in ev.contributions] == [3.0, 3.0]


def test_fresh_adjoints_on_every_run():
    tape = compile_program("a*b")
    first = evaluate(tape, {"a": 2, "b": 4})
    second = evaluate(tape, {"a": 2, "b": 4})
    assert first.gradient == second.gradient == {"a": 4.0, "b": 2.0}


def test_an_unused_input_gets_gradient_zero():
    ev = run("y = a*2; f = b + 1", a=1, b=2)
    assert ev.gradient == {"a": 0.0, "b": 1.0}


def test_output_option_picks_an_earlier_value():
    tape = compile_program("q = x + y; f = q*z", output="q")
    ev = evaluate(tape, {"x": 1, "y": 2, "z": 5})
    assert ev.value == 3.0
    assert ev.gradient == {"x": 1.0, "y": 1.0, "z": 0.0}


def test_output_option_unknown_name_suggests():
    with pytest.raises(UsageError, match="did you mean 'q'"):
        compile_program("q = x + y; f = q*z", output="qq")


def test_constants_get_no_adjoint_rows():
    ev = run("2*x + 3", x=1)
    assert ev.gradient == {"x": 2.0}
    receivers = {ev.tape.label(c.input) for c in ev.contributions}
    assert "x" in receivers and all(not ev.tape.is_const(c.input) for c in ev.contributions)


def test_missing_values_are_all_named():
    tape = compile_program("a*b + c")
    with pytest.raises(UsageError) as info:
        evaluate(tape, {"b": 1})
    assert "a, c" in info.value.message
    assert info.value.names == ["a", "c"]
    assert "--" not in str(info.value)  # the command line adds `--a VALUE` (test_errors.py)


def test_missing_value_suggests_a_misspelt_given_name():
    tape = compile_program("alpha*x")
    with pytest.raises(UsageError) as info:
        evaluate(tape, {"alpah": 1, "x": 2})
    assert "did you mean 'alpha'" in info.value.detail


def test_missing_value_for_a_misspelt_constant_suggests_it():
    tape = compile_program("pii * r^2")
    with pytest.raises(UsageError) as info:
        evaluate(tape, {"r": 1})
    assert "no value for the input pii" in info.value.message
    assert "did you mean 'pi'" in info.value.detail


def test_value_for_an_unused_name_is_a_warning():
    ev = run("a*b", a=1, b=2, z=3)
    assert any("does not use 'z'" in w for w in ev.warnings)


def test_value_for_a_computed_name_is_a_warning():
    tape = compile_program("c = a + 1; c*2", given={"c"})
    ev = evaluate(tape, {"a": 1, "c": 5})
    assert ev.value == 4.0
    assert any("'c' is computed" in w for w in ev.warnings)


@pytest.mark.parametrize(
    "src, given, words",
    [
        (
            "log(x)",
            {"x": 0},
            "log is undefined for 0 (it needs a positive number) (step f = log(x), x = 0)",
        ),
        ("ln(x - 3)", {"x": 1}, "log is undefined for -2"),
        ("a / b", {"a": 1, "b": 0}, "division by zero (step f = a / b, a = 1, b = 0)"),
        ("sqrt(x)", {"x": -4}, "sqrt is undefined for -4"),
        ("x ^ 0.5", {"x": -4}, "negative base"),
        ("x ^ -1", {"x": 0}, "negative power"),
        ("exp(x)", {"x": 1000}, "overflows"),
        ("x * y", {"x": 1e200, "y": 1e200}, "overflows"),
        ("asin(x)", {"x": 2}, "asin is undefined for 2"),
        ("y = 1\nz = y - 1\nlog(z)", {}, "line 3, step f = log(z), z = 0"),
    ],
)
def test_domain_errors_name_the_step_and_values(src, given, words):
    tape = compile_program(src, given)
    with pytest.raises(EvaluationError) as info:
        evaluate(tape, given)
    assert words in info.value.message
    assert "^" in info.value.detail


def test_undefined_derivative_keeps_the_value_and_warns():
    ev = run("sqrt(x)", x=0)
    assert ev.value == 0.0
    assert math.isinf(ev.gradient["x"])
    assert any("sqrt" in w for w in ev.warnings)


def test_variable_exponent_of_a_negative_base_is_reported():
    ev = run("x ^ y", x=-2, y=2)
    assert ev.value == 4.0
    assert ev.gradient["x"] == -4.0
    assert math.isnan(ev.gradient["y"])
    assert any("undefined for x < 0" in w for w in ev.warnings)


def test_constant_power_of_a_negative_base_is_fine():
    ev = run("x ^ 3", x=-2)
    assert ev.gradient == {"x": 12.0}
    assert ev.warnings == []


@pytest.mark.parametrize(
    "src, given, grad",
    [
        ("relu(x)", {"x": 0}, {"x": 0.0}),
        ("abs(x)", {"x": 0}, {"x": 0.0}),
        ("max(a, b)", {"a": 2, "b": 2}, {"a": 0.5, "b": 0.5}),
        ("min(a, b)", {"a": 2, "b": 2}, {"a": 0.5, "b": 0.5}),
        ("max(a, a)", {"a": 2}, {"a": 1.0}),
        ("x ^ y", {"x": 0, "y": 2}, {"x": 0.0, "y": 0.0}),
    ],
)
def test_pytorch_conventions_at_kinks(src, given, grad):
    assert run(src, **given).gradient == grad


def test_hundred_thousand_statements_in_linear_time():
    n = 100_000
    lines = ["v0 = x"] + [f"v{i} = v{i - 1} * 0.5 + x" for i in range(1, n)]
    tape = compile_program("\n".join(lines))
    ev = evaluate(tape, {"x": 1.0}, record=False)
    assert ev.value == pytest.approx(2.0)
    assert ev.gradient["x"] == pytest.approx(2.0)
