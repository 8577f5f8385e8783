"""Tensor mode's bad input, through the real command line: each mistake is a clear error with
the README's exit code (1: the program cannot be evaluated at these values, shapes included;
2: usage or syntax: a malformed program or value, an unreadable file), never a traceback
and never exit 3 (a bug). Also: values files, --seed, big inputs, and the scalar start-up
that must not import NumPy."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, run_gradcli

X23 = "[[1,2,3],[4,5,6]]"


def failed(r, code: int) -> str:
    """stderr of a run that must fail with `code`: gradcli's own error, nothing on stdout."""
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout and "internal error" not in r.stderr
    assert r.stdout == ""
    return r.stderr


def ok(r) -> dict:
    assert r.exit_code == 0, (r.stdout, r.stderr)
    return json.loads(r.stdout)


# --- The program: literals, subscripts, keywords, shapes ---------------------------------
def test_a_ragged_literal_is_a_syntax_error_with_a_caret(cli):
    err = failed(cli("eval", "sum([[1, 2], [3]] * x)", "--x", "2"), 2)
    assert err == (
        "error: a ragged array literal: this entry has shape (1,), the first had "
        "(2,) (every row needs the same length) (at line 1, column 14)\n"
        "  sum([[1, 2], [3]] * x)\n"
        "               ^\n"
    )
    err = failed(cli("eval", "sum([[1, 2], [3, 4, 5]])"), 2)
    assert "this entry has shape (3,), the first had (2,)" in err
    err = failed(cli("eval", "sum([1, [2, 3]])"), 2)
    assert "this entry has shape (2,), the first had ()" in err


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["sum(x[i])", "--x", "[1,2,3]", "--i", "[0.5, 1]"],
            "the value for i must be whole numbers (it is used as an index, a target or a size), "
            "and 0.5 is not",
        ),
        (
            ["sum(range(n) * x)", "--n", "1.5", "--x", "1"],
            "the value for n must be whole numbers (it is used as an index, a target or a size), "
            "and 1.5 is not",
        ),
        (
            ["cross_entropy(L, y)", "--L", X23, "--y", "[0, 2.5]"],
            "the value for y must be whole numbers",
        ),
    ],
)
def test_integer_data_given_a_fraction_is_a_usage_error(cli, args, words):
    err = failed(cli("eval", *args), 2)
    assert words in err


def test_a_fraction_written_as_an_index_names_the_step(cli):
    err = failed(cli("eval", "sum(x[1.5])", "--x", "[1,2,3]"), 1)
    assert err.startswith(
        "error: indices must be whole numbers, and 1.5 is not (step v1 = x[1.5], x (3,))\n"
    )


@pytest.mark.parametrize(
    "program, values, words",
    [
        (
            "sum(x[i])",
            ["--x", "[1,2,3]", "--i", "[0, 3]"],
            "index 3 is out of range for axis 0 of size 3 (shape (3,)) (step v1 = x[i], x (3,), i (2,))",
        ),
        (
            "sum(x[i])",
            ["--x", "[1,2,3]", "--i", "[0, -4]"],
            "index -4 is out of range for axis 0 of size 3 (shape (3,))",
        ),
        ("sum(x[5])", ["--x", "[1,2,3]"], "index 5 is out of range for axis 0 of size 3"),
        (
            "sum(X[:, j])",
            ["--X", X23, "--j", "[2, 3]"],
            "index 3 is out of range for axis 1 of size 3 (shape (2, 3))",
        ),
        ("sum(X[0, 1, 2])", ["--X", X23], "too many subscripts (3) for an array of shape (2, 3)"),
        (
            "cross_entropy(L, y)",
            ["--L", X23, "--y", "[0, 3]"],
            "cross_entropy's targets must lie in 0..2, and 3 does not",
        ),
        (
            "sum(onehot(y, 3))",
            ["--y", "[0, 3]"],
            "onehot's labels must lie in 0..2, and 3 does not",
        ),
    ],
)
def test_an_index_out_of_range_names_the_axis_and_the_step(cli, program, values, words):
    err = failed(cli("eval", program, *values), 1)
    assert words in err


@pytest.mark.parametrize(
    "program, words, column",
    [
        (
            "sum(x, axs=0)",
            "sum has no keyword 'axs'; it takes axis=, keepdims= (did you mean 'axis'?)",
            8,
        ),
        (
            "sum(x, axis=0, keepdim=true)",
            "sum has no keyword 'keepdim'; it takes axis=, keepdims= (did you mean 'keepdims'?)",
            16,
        ),
        ("sum(softmax(x, dim=0))", "softmax has no keyword 'dim'; it takes axis=", 16),
        ("sum(exp(x, axis=0))", "exp has no keyword 'axis'; it takes no keywords", 12),
        # A keyword's value of the wrong kind: true was read as axis 1, keepdims=2 as true.
        ("sum(x, axis=true)", "sum's keyword axis= takes a whole number, not true", 8),
        ("sum(x, axis=0.5)", "sum's keyword axis= takes a whole number, not 0.5", 8),
        ("sum(x, keepdims=2)", "sum's keyword keepdims= takes true or false, not 2", 8),
        (
            "max(x, axis=0, keepdims=none)",
            "max's keyword keepdims= takes true or false, not none",
            16,
        ),
        (
            "sum(softmax(x, axis=false))",
            "softmax's keyword axis= takes a whole number, not false",
            16,
        ),
    ],
)
def test_an_unknown_keyword_is_a_syntax_error_with_a_suggestion(cli, program, words, column):
    err = failed(cli("eval", program, "--x", "[1,2,3]"), 2)
    first, excerpt, caret = err.splitlines()[:3]
    assert first == f"error: {words} (at line 1, column {column})"
    assert caret.index("^") - 2 == column - 1 and excerpt == f"  {program}"


@pytest.mark.parametrize(
    "program, words",
    [
        (
            "sum(x, axis=1)",
            "axis 1 is out of range for an array of shape (3,) (axes run from -1 to "
            "0) (step f = sum(x, axis=1), x (3,))",
        ),
        ("sum(x, axis=-2)", "axis -2 is out of range for an array of shape (3,)"),
        ("sum(softmax(x, axis=3))", "axis 3 is out of range for an array of shape (3,)"),
        (
            "sum(sum(x), axis=0)",
            "axis 0 is out of range for an array of shape () (a number has no axes)",
        ),
    ],
)
def test_an_axis_out_of_range_names_the_axes_there_are(cli, program, words):
    err = failed(cli("eval", program, "--x", "[1,2,3]"), 1)
    assert words in err


@pytest.mark.parametrize(
    "program, shape", [("x * 2", "(3,)"), ("X @ X.T", "(2, 2)"), ("sum(X, axis=0)", "(3,)")]
)
def test_a_non_scalar_output_says_so_and_suggests_a_reduction(cli, program, shape):
    err = failed(cli("eval", program, "--x", "[1,2,3]", "--X", X23), 1)
    assert err.splitlines()[0] == (
        f"error: the output f has shape {shape}, but a gradient needs one number (as "
        "loss.backward() does): reduce it with sum(...) or mean(...)"
    )


def test_shapes_that_do_not_broadcast_name_both_shapes_and_the_step(cli):
    err = failed(cli("eval", "sum(x + y)", "--x", "[1,2,3]", "--y", "[1,2]"), 1)
    assert err.splitlines()[0] == (
        "error: the shapes do not broadcast: (3,) + (2,) (NumPy lines up the last axes; each "
        "pair of sizes must be equal or one of them 1) (step v1 = x + y, x (3,), y (2,))"
    )
    err = failed(cli("eval", "sum(X * c)", "--X", X23, "--c", "[[1],[2],[3]]"), 1)
    assert "(2, 3) * (3, 1)" in err


def test_an_inner_size_mismatch_in_a_matrix_product_is_said_as_the_issue_shows(cli):
    err = failed(cli("eval", "sum(X @ W)", "--X", X23, "--W", "[[1,0],[0,1]]"), 1)
    assert err == (
        "error: @ needs the inner sizes to agree: (2, 3) @ (2, 2) "
        "(step v1 = X @ W, X (2, 3), W (2, 2))\n"
        "  sum(X @ W)\n"
        "      ^\n"
    )
    # A named step in a longer program says its line and its name.
    err = failed(cli("eval", "Y = X @ W\nf = sum(Y)", "--X", X23, "--W", "[1, 2]"), 1)
    assert err.splitlines()[0] == (
        "error: @ needs the inner sizes to agree: (2, 3) @ (2,) "
        "(line 1, step Y = X @ W, X (2, 3), W (2,))"
    )
    err = failed(cli("eval", "sum(X @ 2)", "--X", X23), 1)
    assert "@ multiplies arrays; for a number use *: (2, 3) @ ()" in err


@pytest.mark.parametrize(
    "program, words",
    [
        (
            "max(x[1:])",
            "max over an empty array has no value (shape (0,)) (step f = max(v1), v1 (0,))",
        ),
        ("min(X[:, 3:])", "min over an empty array has no value (shape (2, 0))"),
        (
            "sum(max(X[:, 3:], axis=1))",
            "max over axis 1 has no value: that axis is empty (shape (2, 0))",
        ),
        ("mean(x[3:])", "mean over an empty array has no value (shape (0,))"),
        (
            "cross_entropy(X[:, 3:], y)",
            "cross_entropy needs at least one row and one class, not logits of shape (2, 0)",
        ),
        ("sum(range(n) * x)", "range's size must not be negative, not -1"),
    ],
)
def test_empty_arrays_that_have_no_value_are_errors(cli, program, words):
    """A reduction with no entries: NumPy raised ValueError (exit 3) for max and min and
    printed a RuntimeWarning for mean; range(-1) was silently empty."""
    err = failed(cli("eval", program, "--x", "[1]", "--X", X23, "--y", "[0, 0]", "--n", "-1"), 1)
    assert words in err


def test_empty_arrays_that_have_a_value_compute(cli):
    doc = ok(
        cli(
            "eval",
            "sum(softmax(X[:, 3:])) + sum(max(X[:, 3:], axis=0)) + sum(X[2:])",
            "--X",
            X23,
            "--json",
            "--grad-only",
        )
    )
    assert doc["value"] == 0 and doc["gradient"] == {"X": [[0, 0, 0], [0, 0, 0]]}


def test_a_constructor_in_a_program_says_where_it_belongs(cli):
    err = failed(cli("eval", "sum(x * randn(3))", "--x", "1"), 2)
    assert err.splitlines()[0] == (
        "error: randn(...) makes values for an input, not a step of a program (a program is a "
        "function of its inputs): use an input and give it the value randn(...) (at line 1, "
        "column 9)"
    )


# --- Values: given on the command line -------------------------------------------------
@pytest.mark.parametrize(
    "value, words",
    [
        (
            "randn(-1)",
            "the value for x cannot be computed: randn's sizes must not be negative, not (-1,)",
        ),
        ("randn(2, -3)", "randn's sizes must not be negative, not (2, -3)"),
        ("randn(1.5)", "randn's sizes must be whole numbers, and 1.5 is not"),
        (
            "randint(0, 3)",
            "randint(k, ...) draws whole numbers in 0..k-1, so k must be at least 1, not 0",
        ),
        ("randint(-2, 3)", "so k must be at least 1, not -2"),
        ("randn(3) * q", "the value for x is not a number: 'randn(3) * q'"),
        ("randn(3, axis=0)", "randn has no keyword 'axis'; it takes no keywords"),
        ("randn(2) / 0", "the value for x cannot be computed: division by zero"),
        ("[1, nan]", "an array literal holds numbers"),
        ("[[1, 2], [3]]", "a ragged array literal"),
        ("[1e999]", "the number 1e999 is too large for a float"),
        ("nan", "a value cannot use other names (nan)"),
    ],
)
def test_a_bad_value_is_a_usage_error(cli, value, words):
    err = failed(cli("eval", "sum(x)", "--x", value), 2)
    assert words in err


def test_a_value_that_uses_an_unknown_name_says_which(cli):
    err = failed(cli("eval", "sum(x)", "--x", "randn(3) * q"), 2)
    assert "a value cannot use other names (q)" in err


def test_a_value_too_big_for_memory_is_an_error(cli, monkeypatch):
    """NumPy's MemoryError was exit 3. Faked, so that no test allocates terabytes."""
    from gradcli.core import tensor_ops

    class Starved:
        def standard_normal(self, shape):
            raise MemoryError(
                f"Unable to allocate 7.28 TiB for an array with shape {shape} and data type float64"
            )

    monkeypatch.setattr(tensor_ops, "_rng", lambda: Starved())
    err = failed(cli("eval", "sum(x)", "--x", "randn(1000000, 1000000)"), 2)
    assert err.splitlines()[0] == (
        "error: the value for x cannot be computed: the result does not fit in memory (unable "
        "to allocate 7.28 TiB for an array with shape (1000000, 1000000) and data type "
        "float64) (step f = randn(1000000, 1000000))"
    )


# --- --seed -----------------------------------------------------------------------------
def _drawn(cli, *args) -> dict:
    return ok(cli("eval", *args, "--json"))["inputs"]


def test_the_same_seed_draws_the_same_numbers(cli):
    args = ("sum(W * W) + sum(b)", "--W", "randn(3, 2)", "--b", "rand(2)")
    first, again = _drawn(cli, *args, "--seed", "7"), _drawn(cli, *args, "--seed", "7")
    assert first == again
    other = _drawn(cli, *args, "--seed", "8")
    assert other["W"] != first["W"] and other["b"] != first["b"]
    assert _drawn(cli, *args) == _drawn(cli, *args, "--seed", "0")  # the default seed is 0
    assert np.shape(first["W"]) == (3, 2) and all(0 <= v < 1 for v in first["b"])


def test_a_values_draw_does_not_change_when_another_input_is_added_or_options_move(cli):
    alone = _drawn(cli, "sum(W)", "--W", "randn(4)", "--seed", "3")
    beside = _drawn(cli, "sum(W) + sum(V)", "--V", "randn(4)", "--W", "randn(4)", "--seed", "3")
    assert beside["W"] == alone["W"]
    assert beside["V"] != beside["W"]  # each input draws from its own generator


def test_randint_draws_integer_data(cli):
    inputs = _drawn(cli, "cross_entropy(L, y)", "--L", "randn(5, 4)", "--y", "randint(4, 5)")
    assert all(v == int(v) and 0 <= v < 4 for v in inputs["y"])


def test_a_negative_seed_is_a_usage_error(cli):
    err = failed(cli("eval", "sum(W)", "--W", "randn(2)", "--seed", "-1"), 2)
    assert "the seed for random values must be 0 or more, not -1" in err
    assert ok(cli("eval", "sum(W)", "--W", "[1, 2]", "--seed", "-1", "--json"))["value"] == 3


# --- Values files ------------------------------------------------------------------------
def _json(tmp_path, text, name="v.json"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_json_values_file_takes_whole_numbers_past_int64(cli, tmp_path):
    path = _json(tmp_path, '{"X": [1, 100000000000000000000000000000]}')
    assert ok(cli("eval", "sum(X)", "--values", path, "--json"))["value"] == 1e29 + 1


def test_a_json_values_file_gives_arrays_and_numbers(cli, tmp_path):
    path = _json(tmp_path, '{"X": [[1, 2], [3, 4]], "w": 2}')
    doc = ok(cli("eval", "sum(X * w)", "--values", path, "--json"))
    assert doc["value"] == 20 and doc["gradient"] == {"X": [[2, 2], [2, 2]], "w": 10}
    # The command line wins over the file.
    assert ok(cli("eval", "sum(X * w)", "--values", path, "--w", "1", "--json"))["value"] == 10


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"X": [1, 2,', "is not valid JSON (Expecting value"),
        ("[1, 2]", "must hold one JSON object of name -> number or nested list"),
        ('{"X": [1, "a"]}', "the value for 'X' is not a number or a nested list of numbers"),
        ('{"X": true}', "the value for 'X' is not a number or a nested list of numbers"),
        ('{"X": {"a": 1}}', "the value for 'X' is not a number or a nested list of numbers"),
        ('{"X": [1, NaN]}', "the value for X is not finite everywhere: [1, nan]"),
        ('{"X": [Infinity]}', "the value for X is not finite everywhere: [inf]"),
        ('{"X": [1e999]}', "the value for X is not finite everywhere: [inf]"),
        (
            '{"X": [[1, 2], [3]]}',
            "the value for 'X' is not a rectangular array (every row needs the same length)",
        ),
        ('{"X": [[1, 2], 3]}', "the value for 'X' is not a rectangular array"),
        ('{"X": [1, [true]]}', "the value for 'X' is not a rectangular array"),
        (
            '{"X": [[1, 2], ["a", "b"]]}',
            "the value for 'X' is not a number or a nested list of numbers",
        ),
        ('{"X": null}', "the value for 'X' is not a number or a nested list of numbers"),
    ],
)
def test_a_bad_json_values_file_is_a_usage_error(cli, tmp_path, text, words):
    err = failed(cli("eval", "sum(X)", "--values", _json(tmp_path, text)), 2)
    assert words in err


def test_a_values_file_that_is_missing_or_not_a_file_is_a_usage_error(cli, tmp_path):
    assert "no such file: " in failed(
        cli("eval", "sum(X)", "--values", str(tmp_path / "nope.json")), 2
    )
    (tmp_path / "d.json").mkdir()
    assert "is a directory, not a values file" in failed(
        cli("eval", "sum(X)", "--values", str(tmp_path / "d.json")), 2
    )
    assert "the file must be .json or .npz" in failed(
        cli("eval", "sum(X)", "--values", _json(tmp_path, "{}", "v.txt")), 2
    )
    path = tmp_path / "latin.json"
    path.write_bytes(b'{"X": "\xff"}')
    assert "is not valid JSON ('utf-8' codec can't decode" in failed(
        cli("eval", "sum(X)", "--values", str(path)), 2
    )


def test_names_the_program_does_not_use_are_a_warning_as_on_the_command_line(cli, tmp_path):
    path = _json(tmp_path, '{"X": [1, 2], "Xs": 3}')
    said = "the program does not use 'Xs': its value is ignored (did you mean 'X'?)"
    doc = ok(cli("eval", "sum(X)", "--values", path, "--json"))
    assert doc["value"] == 3 and doc["warnings"] == [said]
    r = cli("eval", "sum(X)", "--values", path, "--grad-only")
    assert r.exit_code == 0 and r.stderr == f"warning: {said}\n"
    r = cli("eval", "sum(X)", "--X", "[1, 2]", "--Xs", "3", "--grad-only")
    assert r.exit_code == 0 and r.stderr == f"warning: {said}\n"


def test_an_npz_values_file_gives_arrays(cli, tmp_path):
    path = tmp_path / "v.npz"
    np.savez(path, X=np.array([[1.0, 2.0], [3.0, 4.0]]), y=np.array([1, 0]))
    doc = ok(cli("eval", "sum(X[range(2), y])", "--values", str(path), "--json"))
    assert doc["value"] == 5 and doc["gradient"] == {"X": [[0, 1], [1, 0]]}


def _npz(tmp_path, **arrays):
    path = tmp_path / "v.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "make, words",
    [
        (
            lambda p: p.write_text("garbage"),
            "is not a .npz archive (a zip of arrays, as numpy.savez writes)",
        ),
        (lambda p: np.save(open(p, "wb"), np.ones(2)), "is not a .npz archive"),
        (
            lambda p: p.write_bytes(_npz(p.parent, X=np.ones(2)).read_bytes()[:40]),
            "is not a readable .npz archive",
        ),
        (
            lambda p: np.savez(open(p, "wb"), X=np.array([1, None], dtype=object)),
            "the value for 'X' holds Python objects, which gradcli does not load (only arrays of "
            "numbers)",
        ),
        (
            lambda p: np.savez(open(p, "wb"), X=np.array([1 + 2j])),
            "the value for 'X' is not an array of real numbers (its type is complex128)",
        ),
        (
            lambda p: np.savez(open(p, "wb"), X=np.array(["a"])),
            "the value for 'X' is not an array of real numbers (its type is <U1)",
        ),
        (
            lambda p: np.savez(open(p, "wb"), X=np.array([True])),
            "the value for 'X' is not an array of real numbers (its type is bool)",
        ),
        (
            lambda p: np.savez(open(p, "wb"), X=np.array([1e308 * 10])),
            "the value for X is not finite everywhere",
        ),
    ],
)
def test_a_bad_npz_values_file_is_a_usage_error(cli, tmp_path, make, words):
    """A lone .npy was exit 3; text had NumPy suggest unpickling it; a complex array lost
    its imaginary part with only a NumPy warning; a truncated archive was exit 3."""
    path = tmp_path / "bad.npz"
    with np.errstate(over="ignore"):
        make(path)
    err = failed(cli("eval", "sum(X)", "--values", str(path)), 2)
    assert words in err and "pickle" not in err


# --- Big inputs: they finish, with no recursion error (not timed) -------------------------
def test_a_1000_by_1000_matrix_product(tmp_path):
    proc = run_gradcli(
        "eval",
        "sum(tanh(A @ B))",
        "--A",
        "randn(1000, 1000)",
        "--B",
        "randn(1000, 1000) * 0.03",
        "--grad-only",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("f = ") and lines[1].startswith("∂f/∂A = [[")
    assert proc.stdout.count(",") >= 2 * (1000 * 1000 - 1)


def test_a_10000_statement_tensor_program(tmp_path):
    lines = ["h0 = x"]
    for k in range(1, 10000):
        lines.append(f"h{k} = h{k - 1} @ M" if k % 3 == 0 else f"h{k} = tanh(h{k - 1} * w + b)")
    lines.append("f = sum(h9999)")
    program = tmp_path / "long.grad"
    program.write_text("\n".join(lines))
    proc = run_gradcli(
        "eval",
        "-f",
        str(program),
        "--x",
        "randn(4)",
        "--w",
        "rand(4)",
        "--b",
        "randn(4)",
        "--M",
        "randn(4, 4) * 0.5",
        "--json",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert np.shape(doc["gradient"]["M"]) == (4, 4) and len(doc["nodes"]) > 10000


# --- Scalar start-up ---------------------------------------------------------------------
def test_a_scalar_program_does_not_import_numpy():
    """NumPy is imported only when a program has arrays (gradcli/core/arrays.py)."""

    def imports(*args):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "gradcli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return {
            line.rsplit("|", 1)[-1].strip()
            for line in proc.stderr.splitlines()
            if line.startswith("import time:")
        }

    for args in (
        ["eval", "a*b", "--a", "1", "--b", "2"],
        ["eval", "a*b", "--a", "1", "--b", "2", "--json"],
        ["eval", "a*b", "--a", "1", "--b", "2", "--grad-only"],
    ):
        modules = imports(*args)
        assert "gradcli.core.engine" in modules  # the check sees gradcli's own imports
        assert not {m for m in modules if m == "numpy" or m.startswith("numpy.")}, args
    # The check can fail: a program with arrays does import it.
    assert "numpy" in imports("eval", "sum(a*b)", "--a", "1", "--b", "2", "--grad-only")


@pytest.mark.parametrize(
    "program, words",
    [
        ("sum(x[1e20])", "indices must be whole numbers that fit in 64 bits, and 1e+20 does not"),
        ("sum(x[i])", "indices must be whole numbers that fit in 64 bits, and -1e+19 does not"),
        ("sum(reshape(x, 1e20, -1))", "reshape's sizes must be whole numbers that fit in 64 bits"),
    ],
)
def test_integers_past_64_bits_are_said_as_given(cli, program, words):
    """They were cast to int64 first, so the error named index -9223372036854775808."""
    err = failed(cli("eval", program, "--x", "[1,2,3]", "--i", "[-1e19]"), 1)
    assert words in err and "922337" not in err


# --- Found by the break-it review: limits NumPy has, and a keyword given twice ------------
def test_a_keyword_given_twice_is_a_syntax_error(cli):
    err = failed(cli("eval", "sum(x, axis=0, axis=1)", "--x", "[[1,2,3]]"), 2)
    assert "the keyword axis= is given twice" in err and "column 16" in err


@pytest.mark.parametrize("depth", [33, 65])
def test_too_many_axes_in_a_literal_is_a_syntax_error(cli, depth):
    program = "sum(" + "[" * depth + "1" + "]" * depth + " * x)"
    err = failed(cli("eval", program, "--x", "2"), 2)
    assert "an array literal has at most 32 axes" in err


def test_too_many_axes_in_a_value_is_a_usage_error(cli, tmp_path):
    deep = "[" * 65 + "1" + "]" * 65
    err = failed(cli("eval", "sum(x)", "--x", deep), 2)
    assert "the value for x" in err
    path = tmp_path / "deep.json"
    path.write_text('{"x": ' + "[" * 3000 + "1" + "]" * 3000 + "}")
    err = failed(cli("eval", "sum(x)", "--values", str(path)), 2)
    # Python's JSON reader refuses this depth on some builds and reads it on others.
    assert "nests its lists too deeply" in err or "has too many axes" in err
    path.write_text('{"x": ' + "[" * 40 + "1" + "]" * 40 + "}")
    err = failed(cli("eval", "sum(x * y)", "--values", str(path), "--y", "2"), 2)
    assert "the value for x has too many axes (40; at most 32)" in err


def test_broadcasting_past_32_axes_and_reshape_past_32_are_shape_errors(cli):
    ones = ", ".join(["1"] * 33)
    err = failed(cli("eval", f"sum(reshape(x, {ones}) * y)", "--x", "[2]", "--y", "3"), 1)
    assert "reshape makes at most 32 axes, not 33" in err
