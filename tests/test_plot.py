"""`gradcli plot`: the derivative curve, the tangent line, gaps, --along, files and the
terminal picture, through the real command line."""

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import ROOT, run_gradcli


def plot_json(*args):
    proc = run_gradcli("plot", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def failed(proc, code):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc.stderr


# --- the derivative curve and the tangent ------------------------------------------------
def test_derivative_curve_matches_central_differences_away_from_kinks():
    def f(x):
        return math.sin(x) * x + max(x - 0.5, 0.0)

    doc = plot_json("sin(x)*x + relu(x - 0.5)", "--x", "1", "--range", "-3:3")
    assert doc["points"] == 200 and len(doc["x"]) == 200
    assert doc["x"][0] == -3 and doc["x"][-1] == 3
    kinks = [k["x"] for k in doc["kinks"]]
    assert len(kinks) == 1 and abs(kinks[0] - 0.5) < 1e-9
    checked = 0
    for x, y, slope in zip(doc["x"], doc["value"], doc["derivative"]):
        assert y == pytest.approx(f(x), rel=1e-12, abs=1e-12)
        h = 1e-6 * max(1.0, abs(x))
        if abs(x - 0.5) <= 2 * h:
            continue
        numeric = (f(x + h) - f(x - h)) / (2 * h)
        assert slope == pytest.approx(numeric, rel=1e-6, abs=1e-6), x
        checked += 1
    assert checked == 200
    # the derivative curve is broken at the kink, between the samples around 0.5; the
    # function's curve (continuous) is not
    i = max(k for k, x in enumerate(doc["x"]) if x < 0.5)
    assert doc["breaks"]["derivative"] == [i]
    assert doc["breaks"]["value"] == []


def gradient_from_eval(*args):
    proc = run_gradcli("eval", *args, "--grad-only")
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" = ") for line in proc.stdout.splitlines())
    return lines


def test_tangent_slope_is_evals_gradient():
    grads = gradient_from_eval("sin(x)*x", "--x", "1")
    doc = plot_json("sin(x)*x", "--x", "1", "--range", "-3:3")
    t = doc["tangent"]
    assert t["x"] == 1
    assert t["slope"] == float(grads["∂f/∂x"])
    assert t["value"] == float(grads["f"])
    for x, y in zip(doc["x"], t["line"]):
        assert y == pytest.approx(t["value"] + t["slope"] * (x - 1), rel=1e-12, abs=1e-12)
    # the terminal says the same number
    text = run_gradcli("plot", "sin(x)*x", "--x", "1", "--range", "-3:3").stdout
    assert f"slope ∂f/∂x = {float(grads['∂f/∂x']):.6g} (the gradient)" in text


def test_tangent_along_one_input_is_evals_partial():
    grads = gradient_from_eval("a*b + sin(a)*b^2", "--a", "0.7", "--b", "-1.5")
    doc = plot_json("a*b + sin(a)*b^2", "--a", "0.7", "--b", "-1.5", "--along", "b")
    assert doc["along"] == "b" and doc["fixed"] == {"a": 0.7}
    assert doc["tangent"]["slope"] == float(grads["∂f/∂b"])


def test_tangent_at_a_kink_uses_the_convention_and_says_so():
    proc = run_gradcli("plot", "relu(x)", "--x", "0", "--range", "-1:1")
    assert proc.returncode == 0, proc.stderr
    assert "slope ∂f/∂x = 0 (the gradient)" in proc.stdout
    assert "x = 0 sits at a kink: relu'(0) is taken as 0" in proc.stdout


# --- gaps -----------------------------------------------------------------------------------
def test_log_over_minus_one_to_one_reports_where_it_is_undefined():
    proc = run_gradcli("plot", "log(x)", "--x", "0.5", "--range", "-1:1")
    assert proc.returncode == 0, proc.stderr
    assert "undefined for x ≤ 0 in this range" in proc.stdout
    doc = plot_json("log(x)", "--x", "0.5", "--range", "-1:1")
    for x, y, d in zip(doc["x"], doc["value"], doc["derivative"]):
        assert (y is None) == (x <= 0) and (d is None) == (x <= 0)
    [region] = doc["undefined"]
    assert region["from"] == -1 and region["to"] == 0 and region["to_included"]


def test_sqrt_is_defined_at_zero_and_the_boundary_says_so():
    proc = run_gradcli("plot", "sqrt(x)", "--x", "1", "--range=-1:2", "--ascii")
    assert proc.returncode == 0, proc.stderr
    assert "undefined for x < 0 in this range" in proc.stdout


def test_a_hole_in_the_middle_is_an_interval():
    proc = run_gradcli("plot", "sqrt(x^2 - 1)", "--x", "2", "--range", "-3:3")
    assert "undefined for -1 < x < 1 (" in proc.stdout, proc.stdout


def test_a_pole_breaks_both_curves():
    doc = plot_json("1/x", "--x", "0.5", "--range", "-1:1.3")
    [pole] = doc["poles"]
    assert pole["x"] == 0 and pole["why"] == "division by zero"
    i = max(k for k, x in enumerate(doc["x"]) if x < 0)
    assert doc["breaks"]["value"] == [i] and doc["breaks"]["derivative"] == [i]
    assert all(v is not None for v in doc["value"])  # no sample is at 0


def test_a_sample_at_a_kink_is_a_point_of_its_own():
    doc = plot_json("abs(x)", "--x", "0.5", "--range", "-1:1", "--points", "201")
    k = doc["x"].index(0.0)
    assert doc["kinks"] == [
        {"x": 0, "why": "abs'(0) is taken as 0 (PyTorch's convention)", "exact": True}
    ]
    assert doc["breaks"]["derivative"] == [k - 1, k]


def test_a_kink_beside_a_sample_on_another_kink_is_found():
    doc = plot_json("abs(x) + relu(x - 0.005)", "--x", "0.5", "--range", "-1:1", "--points", "201")
    k = doc["x"].index(0.0)
    assert [(m["x"], m["exact"]) for m in doc["kinks"]] == [(0, True), (0.005, False)]
    assert doc["breaks"]["derivative"] == [k - 1, k]


def test_a_jump_where_a_kink_is_undefined_breaks_the_function_too():
    doc = plot_json("x/abs(x)", "--x", "0.5", "--range", "-1:1.3")
    i = max(k for k, x in enumerate(doc["x"]) if x < 0)
    assert doc["poles"] == [{"x": 0, "why": "division by zero"}] and doc["kinks"] == []
    assert doc["breaks"]["value"] == [i]


def test_tan_breaks_at_its_poles():
    doc = plot_json("tan(x)", "--x", "0", "--range", "-3:3")
    assert [round(p["x"], 6) for p in doc["poles"]] == [-1.570796, 1.570796]
    assert len(doc["breaks"]["value"]) == 2


def test_many_poles_and_kinks_are_counted_after_the_first_five():
    args = ("tan(x) + relu(sin(5*x))", "--x", "0", "--range", "-10:10")
    doc = plot_json(*args)
    assert len(doc["poles"]) == 6 and len(doc["kinks"]) == 31  # 2 per 2π/5, and x = 0
    notes = run_gradcli("plot", *args).stdout.replace("\n  ", " ")
    assert notes.count("(a pole of tan): the curves are broken there") == 5
    assert "and 1 more place where it is undefined (--json lists them)" in notes
    assert notes.count("(a kink of relu): the derivative curve is broken there") == 5
    assert "and 26 more kinks (--json lists them)" in notes


def test_a_single_undefined_sample_is_a_point():
    proc = run_gradcli("plot", "log(x^2)", "--x", "0.5", "--range", "-1:1", "--points", "201")
    assert "undefined at x = 0 (at x = 0: log is undefined for 0" in proc.stdout


def test_undefined_everywhere_is_an_evaluation_error():
    err = failed(run_gradcli("plot", "log(x)", "--x", "-2", "--range", "-3:-1"), 1)
    assert "undefined everywhere in this range" in err


# --- --along, the range, the points ------------------------------------------------------
def test_along_plots_a_slice_and_says_so():
    doc = plot_json("a*b + b^2", "--a", "1", "--b", "3", "--along", "a", "--range", "-2:2")
    assert doc["derivative"] == [3.0] * 200
    assert doc["value"] == pytest.approx([3 * a + 9 for a in doc["x"]])
    text = run_gradcli("plot", "a*b + b^2", "--a", "1", "--b", "3", "--along", "a").stdout
    assert "f along a, with b = 3 fixed, for a from -2 to 4" in text


def test_several_inputs_without_along_name_them():
    err = failed(run_gradcli("plot", "a*b + c", "--a", "1", "--b", "3", "--c", "0"), 2)
    assert "the program has 3 inputs: a, b, c" in err and "--along" in err
    err = failed(run_gradcli("plot", "a*b", "--a", "1", "--b", "3", "--along", "bb"), 2)
    assert "no input named 'bb'" in err and "its inputs are: a, b" in err


@pytest.mark.parametrize(
    "args",
    [("--range", "-3:3"), ("--range=-3:3",), ("--range", "-3 : 3"), ("x=1", "--range", "-3:3")],
)
def test_range_with_a_negative_start(args):
    extra = () if "x=1" in args else ("--x", "1")
    doc = plot_json("x^2", *extra, *args)
    assert doc["range"] == [-3, 3] and doc["x"][0] == -3


def test_range_of_constant_expressions():
    doc = plot_json("sin(x)", "--x", "0", "--range", "-pi:pi", "--points", "5")
    assert doc["x"] == pytest.approx([-math.pi, -math.pi / 2, 0, math.pi / 2, math.pi])


@pytest.mark.parametrize(
    "bad, words",
    [
        ("3:-3", "the start must be less than the end"),
        ("-3", "write it as START:END"),
        ("a:3", "not a number"),
        ("1:2:3", "write it as START:END"),
        ("-1e308:1e308", "too wide for a float"),
    ],
)
def test_bad_ranges_are_usage_errors(bad, words):
    assert words in failed(run_gradcli("plot", "x", "--x", "0", f"--range={bad}"), 2)


def test_values_too_far_apart_to_draw_are_an_error_not_a_crash():
    err = failed(run_gradcli("plot", "x*1e307", "--x", "1", "--range", "-10:10"), 1)
    assert "further apart than a float can hold" in err
    doc = plot_json("x*1e307", "--x", "1", "--range", "-10:10")  # the numbers still are
    assert doc["value"][0] == -1e308 and doc["tangent"]["line"][0] == -1e308


def test_a_point_outside_the_range_is_refused_with_a_range_that_fits():
    err = failed(run_gradcli("plot", "x^2", "--x", "5", "--range", "-3:3"), 2)
    assert "the point x = 5 is outside the range -3:3" in err and "--range=-3:5" in err


def test_points_limit():
    assert "between 2 and 10,000" in failed(
        run_gradcli("plot", "x", "--x", "0", "--points", "10001"), 2
    )
    assert len(plot_json("x", "--x", "0", "--points", "2")["x"]) == 2


def test_tensor_programs_are_refused():
    err = failed(run_gradcli("plot", "sum(W*W)", "--W", "[1, 2]"), 2)
    assert "numbers only" in err


# --- files ----------------------------------------------------------------------------------
def test_svg_is_written_and_is_xml(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "slope.svg"
    proc = run_gradcli("plot", "sin(x)*x", "--x", "1", "--range", "-3:3", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert os.listdir(tmp_path) == ["slope.svg"]  # the temporary file was renamed over it
    assert "slope ∂f/∂x = 1.38177" in proc.stderr  # the notes, off stdout


def test_files_get_the_permissions_open_would_give(tmp_path):
    out = tmp_path / "samples.json"
    proc = run_gradcli("plot", "x^2", "--x", "1", "--json", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert json.loads(out.read_text())["tangent"]["slope"] == 2
    assert os.listdir(tmp_path) == ["samples.json"]
    out.chmod(0o640)  # an existing file keeps its own
    assert run_gradcli("plot", "x^3", "--x", "1", "--json", "-o", str(out)).returncode == 0
    assert out.stat().st_mode & 0o777 == 0o640
    assert json.loads(out.read_text())["tangent"]["slope"] == 3


def test_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "slope.png"
    proc = run_gradcli("plot", "log(x)", "--x", "1", "--range", "-1:2", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_svg_without_matplotlib_says_how_to_get_it(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    result = cli("plot", "x^2", "--x", "1", "-o", str(tmp_path / "p.svg"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: -o {tmp_path / 'p.svg'}: an SVG plot needs matplotlib, which is not installed",
        "install it with: pip install 'gradcli[plot]' (the terminal plot needs nothing "
        "more: leave out -o)",
    ]
    assert not list(tmp_path.iterdir())


def test_other_extensions_are_refused(tmp_path):
    err = failed(run_gradcli("plot", "x", "--x", "0", "-o", str(tmp_path / "p.txt")), 2)
    assert ".svg or .png" in err


# --- the terminal ---------------------------------------------------------------------------
_ANSI = re.compile(r"\x1b\[")


@pytest.mark.parametrize("columns", ["80", "60"])
def test_piped_picture_fits_and_has_no_colour_codes(columns):
    proc = run_gradcli(
        "plot",
        "relu(x) + 1/(x - 1) + log(x + 2)",
        "--x",
        "2",
        "--range",
        "-3:3",
        env={"COLUMNS": columns},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) > 30
    assert max(len(line) for line in lines) <= int(columns)
    assert not _ANSI.search(proc.stdout)
    notes = proc.stdout.replace("\n  ", " ")  # the notes are wrapped to the width
    assert "undefined at x ≈ 1 (division by zero): the curves are broken there" in notes
    assert "kink at x ≈ 0 (a kink of relu)" in notes
    assert "undefined for x ≤ -2 in this range" in notes


def test_ascii_picture_is_ascii():
    proc = run_gradcli("plot", "x^3", "--x", "1", "--ascii", env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.isascii(), [c for c in proc.stdout if not c.isascii()][:5]


def at_a_tty(**extra):
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"COLUMNS": "80", "TERM": "xterm", **extra})
    child = pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", "plot", "sin(x)*x", "--x", "1"],
        cwd=str(ROOT),
        dimensions=(40, 80),
        encoding="utf-8",
        env=env,
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def test_terminal_picture_is_coloured_and_fits_at_a_tty():
    text = at_a_tty()
    assert _ANSI.search(text)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert max(len(line) for line in plain.replace("\r", "").split("\n")) <= 80


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"NO_COLOR": "1"}])
def test_a_terminal_without_colour_gets_none(env):
    text = at_a_tty(**env)
    assert "tangent at x = 1" in text and not _ANSI.search(text)


def test_only_plot_imports_the_plotting_libraries():
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

    def loaded(modules, package):
        # a package really loaded brings its submodules (plot hides numpy from plotille,
        # whose `import numpy` then fails at once: a line for "numpy", none for "numpy.*")
        return any(m.startswith(package + ".") for m in modules)

    modules = imports("eval", "a*b", "--a", "1", "--b", "2")
    assert "gradcli.core.engine" in modules
    assert not any(loaded(modules, p) for p in ("plotille", "matplotlib", "numpy"))
    plotted = imports("plot", "x^2", "--x", "1")
    assert loaded(plotted, "plotille")
    assert not loaded(plotted, "matplotlib") and not loaded(plotted, "numpy")


@pytest.mark.parametrize(
    "span, expected",
    [
        ("-3:3", ["-3", "-1.85", "-0.692", "0.462", "1.62", "2.77"]),
        (
            "1000.1:1000.2",
            ["1000.1", "1000.1167", "1000.1333", "1000.15", "1000.1667", "1000.1833", "1000.2"],
        ),
    ],
)
def test_tick_labels_have_the_digits_the_span_needs(span, expected):
    lo = float(span.split(":")[0])
    proc = run_gradcli(
        "plot",
        "x^2",
        "--x",
        str(lo),
        "--range",
        span,
        "--points",
        "20",
        env={"COLUMNS": "72" if span == "-3:3" else "80"},
    )
    assert proc.returncode == 0, proc.stderr
    ticks = [line for line in proc.stdout.splitlines() if line.startswith("           | ")]
    assert ticks and ticks[0].split()[1:] == expected


def test_the_program_file_is_not_written_over(tmp_path):
    prog = tmp_path / "prog.grad"
    prog.write_text("x^2\n")
    err = failed(run_gradcli("plot", "-f", str(prog), "--x", "1", "--json", "-o", str(prog)), 2)
    assert "that is the file this command reads" in err
    assert prog.read_text() == "x^2\n"


def test_a_lone_h_is_help():
    proc = run_gradcli("plot", "-h")
    assert proc.returncode == 0 and "--range START:END" in proc.stdout


def test_the_summary_in_gradcli_help_is_whole():
    out = " ".join(run_gradcli("--help", env={"COLUMNS": "80"}).stdout.split())
    assert "plot Plot a program along one input, with its derivative and a tangent line." in out


# Found by the break-it review.
@pytest.mark.parametrize("program", ["x*abs(x)", "a = relu(x); f = a*a", "x*max(x, 0)"])
def test_a_kink_the_program_smooths_over_does_not_break_the_derivative(program):
    d = plot_json(program, "--x", "1")
    assert d["kinks"] == [] and d["breaks"]["derivative"] == []


@pytest.mark.parametrize(
    "program, op", [("abs(x)", "abs"), ("relu(x)*3", "relu"), ("max(x, 0.5*x)", "max")]
)
def test_a_real_kink_still_breaks_the_derivative(program, op):
    d = plot_json(program, "--x", "1")
    assert [k["why"] for k in d["kinks"]] == [f"a kink of {op}"]
    assert d["breaks"]["derivative"]


def test_a_rebound_output_is_named_as_the_tables_name_it():
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradcli",
            "plot",
            "f = a*b; f = f + 1",
            "--a",
            "1",
            "--b",
            "2",
            "--along",
            "a",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert p.returncode == 0, p.stderr
    assert "f' = 3, slope ∂f'/∂a = 2" in p.stdout
