"""Never crash: fuzzing through the real CLI, pathological inputs, numeric edges.

The only acceptable outcomes of any input are a result (exit 0) or gradcli's own
`error: ...` with exit 1 (evaluation) or 2 (usage or syntax) — never a traceback,
a hang or a RecursionError.

In the attack suite the fuzzers draw fewer examples than they once did (20, 40 and 20),
so the suite stays within its minute; GRADCLI_EXAMPLES=10 draws ten times as many (tests/test_properties.py also feeds the parser arbitrary text).
10 MB of "(" became 1 MB (a million open parentheses, as far past any recursion
limit); GRADCLI_ATTACK_FULL=1 runs the 10 MB.
"""

import ast
import math

import pytest
from conftest import ROOT, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from attack import harness
from gradcli.language.syntax import grammar_path


def assert_clean(result):
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    if result.exit_code and result.stderr.startswith("{"):  # under --json: docs/json.md
        import json

        doc = json.loads(result.stderr)
        assert doc["schema"] == "gradcli.error/1" and doc["exit"] == result.exit_code
        assert doc["error"] and doc["kind"] != "RecursionError", result.stderr
    elif result.exit_code:
        assert result.stderr.startswith("error: "), result.stderr
    else:
        assert result.stdout


PARENS = harness.size(1_000_000, 10_000_000)
_GRAMMAR = Lark(grammar_path().read_text(), start="program", parser="lalr")


@settings(max_examples=examples(20), deadline=None, suppress_health_check=list(HealthCheck))
@given(
    from_lark(
        _GRAMMAR,
        explicit={
            "NAME": st.sampled_from(["a", "b", "x1", "θ", "sin", "e", "pi", "relu", "f"]),
            "NUMBER": st.sampled_from(["0", "1", "2.5", ".5", "1e-3", "1e308", "0.0"]),
            "_SEP": st.sampled_from(["\n", ";"]),
            "COMMENT": st.just("# c"),
        },
    )
)
def test_programs_from_the_grammar_never_crash_the_cli(cli, text):
    # Free names get a value each; the program may still be ill-formed for other reasons.
    result = cli("eval", text, "a=1.5", "b=-2", "x1=0.5", "θ=2", "--json")
    assert_clean(result)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_the_cli(cli, text):
    assert_clean(cli("eval", "--", text, "--grad-only"))


@settings(max_examples=examples(20), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=60))
def test_arbitrary_bytes_in_a_file_never_crash(cli, tmp_path, data):
    path = tmp_path / "prog.grad"
    path.write_bytes(data)
    assert_clean(cli("eval", "-f", str(path), "--json"))


@pytest.mark.parametrize(
    "label, text, code, words",
    [
        (f"{PARENS // 10**6} MB of (", "(" * PARENS, 2, "unexpected end of input"),
        ("100,000 unary minuses", "-" * 100_000 + "x", 0, None),
        ("a 1 MB number literal", "1" * 1_000_000, 2, "too large"),
        ("a NUL byte", "a\x00b", 2, "U+0000"),
        ("10,000 nested calls", "sin(" * 10_000 + "x" + ")" * 10_000, 0, None),
    ],
)
def test_pathological_inputs_as_a_process(label, text, code, words, tmp_path):
    path = tmp_path / "prog.grad"
    path.write_text(text)
    proc = harness.run(["eval", "-f", str(path), "--x", "0.5", "--grad-only"], label=label)
    assert proc.returncode == code, (label, proc.stderr[-500:])
    assert "Traceback" not in proc.stderr
    if words:
        assert words in proc.stderr


def test_invalid_utf8_empty_file_and_directory(cli, tmp_path):
    bad = tmp_path / "bad.grad"
    bad.write_bytes(b"a + \xc3\x28")
    assert cli("eval", "-f", str(bad)).exit_code == 2
    empty = tmp_path / "empty.grad"
    empty.write_bytes(b"")
    result = cli("eval", "-f", str(empty))
    assert result.exit_code == 2 and "empty" in result.stderr
    result = cli("eval", "-f", str(tmp_path))
    assert result.exit_code == 2 and "directory" in result.stderr


# Numeric edges, each with its documented outcome.
@pytest.mark.parametrize(
    "program, values, outcome",
    [
        ("exp(x)", {"x": "1000"}, "overflow"),  # exit 1: the value overflows a float
        ("x ^ 10000", {"x": "2"}, "overflow"),
        ("x * y", {"x": "1e308", "y": "10"}, "overflow"),
        ("exp(x)", {"x": "-1000"}, (0.0, {"x": 0.0})),  # underflow is 0, as in IEEE and PyTorch
        ("x ^ y", {"x": "0", "y": "0"}, (1.0, {"x": 0.0, "y": 0.0})),  # 0^0 = 1, as PyTorch
        ("x * 2", {"x": "5e-324"}, (1e-323, {"x": 2.0})),  # subnormals are ordinary numbers
        ("x * y", {"x": "-0.0", "y": "3"}, (-0.0, {"x": 3.0, "y": -0.0})),
        ("sqrt(x)", {"x": "0"}, (0.0, {"x": None})),  # infinite slope: null + a warning
    ],
)
def test_numeric_edges(cli, program, values, outcome):
    args = ["eval", program, "--json"] + [f"--{k}={v}" for k, v in values.items()]
    result = cli(*args)
    if outcome == "overflow":
        assert result.exit_code == 1
        assert "overflows" in result.stderr
        return
    import json

    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    value, grad = outcome
    assert doc["value"] == value and math.copysign(1, doc["value"]) == math.copysign(1, value)
    assert doc["gradient"] == grad


def test_no_user_input_reaches_eval_or_exec():
    """Programs and quiz answers are parsed with gradcli's grammar, never run as Python."""
    forbidden = {"eval", "exec", "compile", "__import__"}
    for path in sorted((ROOT / "gradcli").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden, f"{path.name}:{node.lineno}"
