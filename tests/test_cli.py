"""The real CLI: value forms, output modes, errors and their exit codes."""

import json
import re
import unicodedata

import pytest
from conftest import run_gradcli

ANSI = re.compile(r"\x1b\[")


def nfd(text):
    """ā may be typed precomposed; gradcli writes a letter plus a combining macron."""
    return unicodedata.normalize("NFD", text)


def grads(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["gradient"]


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "a*b", "--a", "2", "--b", "3"],
        ["eval", "a*b", "--a=2", "--b=3"],
        ["eval", "a*b", "a=2", "b=3"],
        ["eval", "--a", "2", "a*b", "b=3"],
        ["eval", "a=2", "b=3", "a*b"],
        ["eval", "--json", "a*b", "--b", "3", "--a=2"],
    ],
)
def test_every_value_form(cli, args):
    if "--json" not in args:
        args = args + ["--json"]
    assert grads(cli(*args)) == {"a": 3.0, "b": 2.0}


def test_negative_values_and_exponents(cli):
    doc = json.loads(cli("eval", "a*b", "--a", "-2", "--b=-1e-3", "--json").stdout)
    assert doc["value"] == pytest.approx(2e-3)
    assert doc["gradient"] == {"a": -1e-3, "b": -2.0}


def test_program_starting_with_minus(cli):
    assert grads(cli("eval", "-a*b", "--a", "2", "--b", "3", "--json")) == {"a": -3.0, "b": -2.0}
    assert grads(cli("eval", "--json", "--", "-a*b", "--a", "2", "--b", "3")) == {
        "a": -3.0,
        "b": -2.0,
    }


def test_names_that_collide_with_options_use_pairs(cli):
    assert grads(cli("eval", "json*help", "json=2", "help=5", "--json")) == {
        "json": 5.0,
        "help": 2.0,
    }


def test_json_has_the_documented_shape(cli):
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--json")
    doc = json.loads(r.stdout)
    assert doc["output"] == "f" and doc["value"] == 6.0
    assert doc["gradient"] == {"a": 3.0, "b": 2.0}
    assert doc["nodes"][0] == {
        **doc["nodes"][0],
        "id": "v1",
        "name": "a",
        "op": "input",
        "inputs": [],
        "value": 2.0,
        "adjoint": 3.0,
    }
    assert doc["nodes"][2]["inputs"] == ["v1", "v2"]
    assert doc["steps"][0] == {
        "node": "v3",
        "input": "v1",
        "rule": "b",
        "local": 3.0,
        "upstream": 1.0,
        "contribution": 3.0,
        "total": 3.0,
    }
    assert doc["warnings"] == []


def test_json_writes_non_finite_numbers_as_null_with_a_warning(cli):
    r = cli("eval", "sqrt(x)", "--x", "0", "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)  # strict: json.loads would accept NaN, so check the text too
    assert "Infinity" not in r.stdout and "NaN" not in r.stdout
    assert doc["gradient"] == {"x": None}
    assert any("null" in w for w in doc["warnings"])


def test_tables_show_forward_backward_result_and_the_why_note(cli):
    r = cli("eval", "a*b", "--a", "2", "--b", "3")
    out = nfd(r.stdout)
    assert r.exit_code == 0
    for text in [
        "Forward pass",
        "f = a * b",
        "Backward pass",
        "∂f/∂a = b = 3",
        "ā = b·f̄ = 3·1 = 3",
        "Result",
        "not f̄/b",
    ]:
        assert nfd(text) in out, text
    assert not ANSI.search(out)


def test_fan_out_rows_say_the_contributions_add(cli):
    out = nfd(cli("eval", "d = a*b; e = a + b; f = d*e", "--a", "-2", "--b", "3").stdout)
    assert nfd("(contribution 2 of 2 to ā)") in out  # one word: a contribution, not a path
    assert nfd("ā = -6 + 3 = -3") in out
    assert nfd("b̄ = -6 - 2 = -8") in out
    assert "fan-out: a is used 2 times" in out


def test_ascii_notation(cli):
    out = cli("eval", "a*b", "--a", "2", "--b", "3", "--ascii").stdout
    # Adjoints grad_x, apart from partials dx/da (README "Words").
    assert "grad_a = b*grad_f = 3*1 = 3" in out
    assert "df/da" in out
    assert not re.search(r"[^\x00-\x7f]", out)


def test_grad_only(cli):
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--grad-only")
    assert r.stdout == "f = 6\n∂f/∂a = 3\n∂f/∂b = 2\n"
    doc = json.loads(cli("eval", "a*b", "--a", "2", "--b", "3", "--grad-only", "--json").stdout)
    assert set(doc) >= {"output", "value", "gradient", "warnings"} and "steps" not in doc


def test_long_tables_are_cut_unless_all(cli):
    src = " + ".join(f"x*{k}" for k in range(1, 301))
    out = cli("eval", src, "--x", "1").stdout
    assert "rows left out (--all shows them)" in out
    full = cli("eval", src, "--x", "1", "--all").stdout
    assert "left out" not in full
    assert len(full.splitlines()) > len(out.splitlines()) + 300


def test_program_from_file_and_stdin(cli, tmp_path):
    prog = tmp_path / "neuron.grad"
    prog.write_text("# a neuron\nn = w*x + b\ny = sigmoid(n)\n")
    r = cli("eval", "-f", str(prog), "--x=-1", "w=2", "b=3", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["output"] == "y"
    r = cli("eval", "-", "--json", "--x", "2", "--y", "3", input="x*y\n")
    assert grads(r) == {"x": 3.0, "y": 2.0}


def test_markup_in_user_text_is_printed_literally(cli):
    r = cli("eval", "[red]x[/red]")
    assert r.exit_code == 2
    assert "[red]" in r.stderr
    r = cli("eval", "smile = 2; smile*x", "--x", "1")
    assert "smile" in r.stdout


def test_warning_for_a_value_the_program_does_not_use(cli):
    r = cli("eval", "a*b", "--a", "1", "--b", "2", "--c", "3", "--grad-only")
    assert r.exit_code == 0
    assert "does not use 'c'" in r.stderr


@pytest.mark.parametrize(
    "args, code, words",
    [
        (
            ["eval", "a*(b+", "--a", "1", "--b", "2"],
            2,
            'expected a number, a name or "(" after "+"',
        ),
        (["eval", "sine(x)", "--x", "1"], 2, "did you mean 'sin'"),
        (["eval", "a*b", "--a", "1"], 2, "no value for the input b"),
        (["eval", "a*b", "--a", "two", "--b", "1"], 2, "not a number"),
        (["eval", "a*b", "--a", "nan", "--b", "1"], 2, "not a number"),
        (["eval", "a*b", "--a", "1", "--a", "2", "--b", "1"], 2, "two values"),
        (["eval", "a*b", "--a"], 2, "--a needs a value"),
        (["eval"], 2, "no program given"),
        (["eval", "", "--x", "1"], 2, "empty"),
        (["eval", "a*b", "b", "--a", "1"], 2, "unexpected argument"),
        (["eval", "-f", "/nonexistent/prog.grad"], 2, "no such file"),
        (["eval", "-f", "/tmp"], 2, "is a directory"),
        (["eval", "log(x)", "--x", "-1"], 1, "log is undefined for -1"),
        (["eval", "1/0"], 1, "division by zero"),
        (["eval", "q = x + y", "--output", "z", "--x", "1", "--y", "1"], 2, "no value named 'z'"),
    ],
)
def test_errors_have_messages_and_exit_codes(cli, args, code, words):
    r = cli(*args)
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert words in r.stderr
    assert r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""


def test_invalid_utf8_file(cli, tmp_path):
    bad = tmp_path / "bad.grad"
    bad.write_bytes(b"x * \xff\xfe")
    r = cli("eval", "-f", str(bad), "--x", "1")
    assert r.exit_code == 2 and "not UTF-8" in r.stderr


def test_help_and_version_document_exit_codes(cli):
    r = cli("eval", "--help")
    assert r.exit_code == 0 and "Exit codes" in r.stdout
    assert cli("--version").stdout.startswith("gradcli ")


def test_as_a_process_piped_output_has_no_colour():
    r = run_gradcli(
        "eval",
        "sigmoid(a*x + b*y + c)",
        "--a",
        "1",
        "--b",
        "2",
        "--c",
        "-3",
        "--x",
        "-1",
        "--y",
        "3",
        env={"FORCE_COLOR": "", "TERM": "xterm-256color"},
    )
    assert r.returncode == 0, r.stderr
    assert not ANSI.search(r.stdout)
    assert "∂f/∂v4 = f·(1-f)" in r.stdout or "∂f/∂v4 = f·(1−f)" in r.stdout


def test_as_a_process_with_an_ascii_only_output_encoding():
    r = run_gradcli("eval", "a*b", "--a", "2", "--b", "3", env={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0, r.stderr
    assert "grad_a = b*grad_f" in r.stdout


# --- found in review -------------------------------------------------------------------
def test_syntax_error_on_a_very_long_line_is_fast():
    src = "a" * 100_000 + "+)"
    r = run_gradcli("eval", src, timeout=60)  # the caret's context was quadratic once
    assert r.returncode == 2 and "unexpected" in r.stderr


def test_dividing_by_a_tiny_number_is_a_result_not_a_crash(cli):
    r = cli("eval", "a/b", "--a", "1", "--b", "1e-170", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["value"] == pytest.approx(1e170)
    assert doc["gradient"] == {"a": pytest.approx(1e170), "b": None}


def test_output_that_cannot_encode_a_name_does_not_crash():
    r = run_gradcli("eval", "θ*2", "θ=1", env={"PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0, r.stderr
    assert "\\u03b8" in r.stdout


def test_a_comment_does_not_assign_a_constant(cli):
    r = cli("eval", "y = e*a # note; e = 3", "--a", "1", "--json")
    assert json.loads(r.stdout)["value"] == pytest.approx(2.718281828459045)


def test_caret_at_end_of_input_ignores_a_trailing_comment(cli):
    r = cli("eval", "a*(b+ # comment")
    assert "column 6" in r.stderr and 'after "+"' in r.stderr


def test_user_names_never_clash_with_generated_ids(cli):
    doc = json.loads(
        cli("eval", "v3 = a*b + c", "--a", "2", "--b", "3", "--c", "1", "--json").stdout
    )
    names = [n["name"] for n in doc["nodes"]]
    ids = [n["id"] for n in doc["nodes"]]
    assert len(set(names)) == len(names) and len(set(ids)) == len(ids)
    assert doc["gradient"] == {"a": 3.0, "b": 2.0, "c": 1.0}


def test_programs_starting_with_minus_h_and_misspelt_options(cli):
    assert json.loads(cli("eval", "-h*2", "--h", "2", "--json").stdout)["value"] == -4.0
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--jsn")
    assert r.exit_code == 2 and "did you mean '--json'" in r.stderr
    r = cli("eval", "--", "-a", "--a", "2", "--json")
    assert r.exit_code == 2 and "put options before '--'" in r.stderr


def test_too_large_literal_message_shows_the_literal(cli):
    assert "the number 1e400 is too large" in cli("eval", "1e400*a", "--a", "1").stderr


def test_json_warnings_are_few_and_unique(cli):
    src = "y0 = sqrt(a)\n" + "\n".join(f"y{i} = y{i - 1} * 1.5" for i in range(1, 1000))
    doc = json.loads(cli("eval", src, "--a", "0", "--json").stdout)
    assert len(doc["warnings"]) < 10
    assert len(set(doc["warnings"])) == len(doc["warnings"])


def test_carets_in_crlf_files_and_under_wide_characters(cli, tmp_path):
    path = tmp_path / "crlf.grad"
    path.write_bytes(b"x = a\r\ny = x*+\r\n")
    r = cli("eval", "-f", str(path))
    assert "line 2, column 8" in r.stderr
    assert "  y = x*+\n         ^" in r.stderr
    r = cli("eval", "日本 +* 2")
    assert "  日本 +* 2\n        ^" in r.stderr  # two cells per wide character


def test_suggestions_ignore_case(cli):
    assert "did you mean 'sigmoid'" in cli("eval", "SIGMOID(a)", "--a", "1").stderr


def test_an_infinite_slope_is_shown_as_undefined(cli):
    assert "undefined (inf)" in cli("eval", "sqrt(a)", "--a", "0").stdout


def test_output_closed_early_stops_quietly_with_141(tmp_path):
    import subprocess
    import sys

    prog = tmp_path / "long.grad"
    prog.write_text(
        "x = a\n" + "\n".join(f"x = x + {i}" for i in range(2, 1500))
    )  # far more than a pipe buffers
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradcli", "eval", "-f", str(prog), "--a", "1", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    proc.wait(timeout=60)
    assert proc.returncode == 141
    assert b"Traceback" not in proc.stderr.read()
