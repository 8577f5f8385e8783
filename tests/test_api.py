"""The Python API (gradcli/api.py): the same numbers and documents as the command line,
errors of one family in words without options, warnings through Python's warnings, tables
as HTML in a real Jupyter kernel, and an `import gradcli` that stays cheap."""

import dataclasses
import doctest
import io
import json
import math
import subprocess
import sys
import warnings
from html.parser import HTMLParser

import numpy as np
import pytest
from conftest import ROOT

import gradcli

SIGMOID = "sigmoid(w0*x0 + w1*x1 + w2)"
SIGMOID_VALUES = dict(w0=2, w1=-3, w2=-3, x0=-1, x1=-2)


def cli_values(values: dict) -> list:
    return [f"{name}={json.dumps(v) if isinstance(v, list) else v}" for name, v in values.items()]


# --- evaluate: the same numbers and the same JSON as `gradcli eval` ----------------------------
def test_evaluate_gives_the_value_the_gradient_and_the_steps():
    r = gradcli.evaluate(SIGMOID, **SIGMOID_VALUES)
    assert r.value == pytest.approx(1 / (1 + math.exp(-1)))
    s = r.value * (1 - r.value)  # sigmoid' at the pre-activation 1
    assert r.gradient == pytest.approx(
        {"w0": s * -1, "x0": s * 2, "w1": s * -2, "x1": s * -3, "w2": s}
    )
    assert list(r.gradient) == ["w0", "x0", "w1", "x1", "w2"]
    assert r.output == "f" and r.inputs == {k: float(v) for k, v in SIGMOID_VALUES.items()}
    first = r.steps[0]
    # v4: the fourth unnamed step, as the tables name it
    assert (first.node, first.input, first.rule) == ("f", "v4", "f*(1-f)")
    assert first.contribution == pytest.approx(first.local * first.upstream)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.total = 0


def test_the_must_hold_example():
    assert gradcli.evaluate("a*b", a=2, b=3).gradient == {"a": 3.0, "b": 2.0}


@pytest.mark.parametrize(
    "program, values",
    [
        (SIGMOID, SIGMOID_VALUES),
        ("q = x + y; f = q * z; f += x*x", dict(x=-2, y=5, z=-4)),
        ("sqrt(a) + b", dict(a=0, b=1)),  # an infinite slope: null in JSON, with a warning
        (
            "Y = X @ W + b; L = sum(Y * G)",
            dict(
                X=[[1, 2, 3], [4, 5, 6]],
                W=[[1, 0], [0, 1], [1, -1]],
                b=[0.5, -1],
                G=[[1, 2], [3, 4]],
            ),
        ),
        (
            "loss = cross_entropy(h @ W, y)",
            dict(h=[[1, 2], [0, -1], [3, 1]], W=[[1, 0, 2], [0, 1, 1]], y=[2, 0, 1]),
        ),
    ],
)
def test_to_json_is_the_document_eval_json_prints(cli, program, values):
    """Scalar and tensor mode: the same document, character for character."""
    printed = cli("eval", program, *cli_values(values), "--json")
    assert printed.exit_code == 0, printed.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gradcli.GradcliWarning)
        r = gradcli.evaluate(program, **values)
    assert json.loads(r.to_json()) == json.loads(printed.stdout)
    assert r.to_json() + "\n" == printed.stdout
    assert r.to_dict() == json.loads(printed.stdout)


def test_steps_are_the_json_steps_as_data():
    r = gradcli.evaluate("x = a*b; y = x + a; f = 2*y", a=2, b=3)
    doc = r.to_dict()
    label = {n["id"]: n["label"] for n in doc["nodes"]}
    assert len(r.steps) == len(doc["steps"]) == 5
    for step, row in zip(r.steps, doc["steps"]):
        assert (step.node, step.input) == (label[row["node"]], label[row["input"]])
        assert (step.rule, step.local, step.upstream, step.contribution, step.total) == (
            row["rule"],
            row["local"],
            row["upstream"],
            row["contribution"],
            row["total"],
        )
    assert [s.input for s in r.steps if s.input == "a"] == ["a", "a"]  # fan-out: two terms


def test_arrays_in_numpy_arrays_out():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    W = [[1, 0], [0, 1], [1, -1]]
    r = gradcli.evaluate("sum((X @ W) * G)", X=X, W=W, G=[[1, 2], [3, 4]])
    assert r.tensor and isinstance(r.value, float)
    G = np.array([[1, 2], [3, 4]])
    assert isinstance(r.gradient["X"], np.ndarray) and r.gradient["X"].shape == (2, 3)
    np.testing.assert_array_equal(r.gradient["X"], G @ np.array(W).T)
    np.testing.assert_array_equal(r.gradient["W"], X.T @ G)
    assert isinstance(r.steps[-1].total, np.ndarray)
    # A NumPy scalar is a number, not a 0-d array that would switch tensor mode on.
    assert not gradcli.evaluate("a*b", a=np.float64(2), b=np.int64(3)).tensor


def test_values_by_dict_for_names_keywords_cannot_carry():
    assert gradcli.evaluate("seed*2 + output", {"seed": 3, "output": 1}).value == 7
    assert gradcli.evaluate("θ*x", {"θ": 2}, x=5).gradient == {"θ": 5.0, "x": 2.0}
    drawn = gradcli.evaluate("sum(W)", W="randn(3, 2)", seed=1)
    again = gradcli.evaluate("sum(W)", W="randn(3, 2)", seed=1)
    assert drawn.inputs["W"].shape == (3, 2)
    np.testing.assert_array_equal(drawn.inputs["W"], again.inputs["W"])
    other = gradcli.evaluate("sum(W)", W="randn(3, 2)", seed=2)
    assert not np.array_equal(drawn.inputs["W"], other.inputs["W"])
    assert gradcli.evaluate("x = a*b; f = x + 1", a=2, b=3, output="x").value == 6
    with pytest.raises(gradcli.UsageError, match="two values given for a"):
        gradcli.evaluate("a*b", {"a": 1}, a=2, b=3)


# --- a value given is the value used -----------------------------------------------------------
def test_a_name_given_a_value_is_an_input_not_a_constant():
    r = gradcli.evaluate("e*x", e=2, x=3)
    assert r.value == 6 and r.gradient == {"e": 3.0, "x": 2.0}
    assert gradcli.evaluate("pi*r^2", pi=3, r=2).value == 12
    assert gradcli.evaluate("e*x", x=3).value == pytest.approx(3 * math.e)  # still Euler's


def test_the_engine_uses_a_value_given_for_a_constant_the_compiler_did_not_know_of():
    from gradcli.core.engine import evaluate
    from gradcli.language.lower import compile_program

    tape = compile_program("y = e*x; f = y + e")
    ev = evaluate(tape, {"e": 2, "x": 3})
    assert ev.value == 8 and ev.gradient == {"e": 4.0, "x": 2.0} and ev.warnings == []
    # The same tape, later without the value: e's default is the constant again.
    assert evaluate(tape, {"x": 3}).value == pytest.approx(4 * math.e)


# --- errors and warnings -------------------------------------------------------------------------
ERRORS = [
    (lambda: gradcli.evaluate("a*"), "SourceError"),
    (lambda: gradcli.evaluate("a*b", a=2), "MissingInputs"),
    (lambda: gradcli.evaluate("log(x)", x=-2), "DomainError"),
    (lambda: gradcli.evaluate("sum(X @ W)", X=[[1, 2, 3]], W=[[1, 2]]), "ShapeError"),
    (lambda: gradcli.evaluate("X @ W", X=[[1, 2]], W=[[1], [2]]), "ShapeError"),
    (lambda: gradcli.evaluate("a*b", a="zz", b=1), "InvalidValue"),
    (lambda: gradcli.evaluate("a*b", a=float("inf"), b=1), "InvalidValue"),
    (lambda: gradcli.evaluate("a*b", a=[[1, 2], [3]], b=1), "InvalidValue"),
    (lambda: gradcli.evaluate("sigmod(a)", a=1), "UnknownFunction"),
    (lambda: gradcli.evaluate("a*b", a=1, b=2, output="q"), "UnknownName"),
    (lambda: gradcli.evaluate("(b + a).relu()", a=1, b=2, read_as="gradcli"), "ForeignCode"),
    (lambda: gradcli.evaluate("for i in range(3): x = 1", read_as="python"), "ForeignCode"),
    (lambda: gradcli.evaluate("a*b", read_as="cobol"), "UsageError"),
    (lambda: gradcli.explain(topic="nope"), "UnknownName"),
    (lambda: gradcli.explain(q=1), "UsageError"),
    (lambda: gradcli.code("sum(X)", X=[1, 2], lang="js"), "UsageError"),
    (lambda: gradcli.code("a", a=1, lang="cobol"), "UsageError"),
    (lambda: gradcli.evaluate(42), "UsageError"),
]


@pytest.mark.parametrize("call, kind", ERRORS)
def test_errors_are_one_family_and_name_no_option(call, kind):
    with pytest.raises(gradcli.GradcliError) as info:
        call()
    assert type(info.value).__name__ == kind
    assert isinstance(info.value, getattr(gradcli, kind))
    assert "--" not in str(info.value), str(info.value)


def test_errors_carry_their_facts_as_fields():
    with pytest.raises(gradcli.MissingInputs) as missing:
        gradcli.evaluate("a*b*c", b=2)
    assert missing.value.names == ["a", "c"]
    with pytest.raises(gradcli.DomainError) as domain:
        gradcli.evaluate("y = x - 3; f = log(y)", x=1)
    assert (domain.value.step, domain.value.operation) == ("f", "log")
    assert domain.value.operands == {"y": -2.0}
    with pytest.raises(gradcli.ShapeError) as shape:
        gradcli.evaluate("sum(X @ W)", X=[[1, 2, 3]], W=[[1, 2]])
    assert shape.value.shapes == {"X": (1, 3), "W": (1, 2)}
    with pytest.raises(gradcli.SourceError) as source:
        gradcli.evaluate("a = 1\nf = a *")
    assert (source.value.line, source.value.column) == (2, 8)


def test_warnings_go_through_python_warnings_and_onto_the_result():
    with pytest.warns(gradcli.GradcliWarning, match="does not use 'c'") as caught:
        r = gradcli.evaluate("a*b", a=1, b=2, c=3)
    assert caught[0].filename == __file__  # the caller's line, not gradcli's
    assert r.warnings == ["the program does not use 'c': its value is ignored"]
    with pytest.warns(gradcli.GradcliWarning, match="relu"):
        assert gradcli.evaluate("relu(x)", x=0).warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say: nothing raised
        assert gradcli.evaluate("a*b", a=1, b=2).warnings == []


# --- the tables: HTML for Jupyter, rich tables for a console ---------------------------------
class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.cells, self.open = 0, [], []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        self.tables += tag == "table"
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag):
        assert self.open.pop() == tag  # well formed

    def handle_data(self, data):
        if self.open and self.open[-1] == "td":
            self.cells[-1] += data


def test_html_shows_the_three_tables_with_the_values_and_the_gradient():
    r = gradcli.evaluate("q = x + y; f = q * z", x=-2, y=5, z=-4)
    parsed = _Cells()
    parsed.feed(r._repr_html_())
    assert parsed.tables == 3 and not parsed.open
    for cell in ("q = x + y", "-12", "∂f/∂q = z = -4", "q̄ = z·f̄ = -4·1 = -4", "∂f/∂x", "3"):
        assert cell in parsed.cells, cell


def test_a_long_trace_is_cut_in_html_with_a_true_note():
    program = "; ".join(f"x{k} = x{k - 1} * 1.01" if k else "x0 = a" for k in range(300))
    r = gradcli.evaluate(program, a=1)
    page = r._repr_html_()
    assert "rows left out (the result&#x27;s steps and to_json() have every one)" in page
    assert len(r.steps) == len(r.to_dict()["steps"]) == 300 and "--all" not in page


def test_rich_console_gets_the_tables_in_its_own_notation():
    from rich.console import Console

    r = gradcli.evaluate("x = a*b; f = 2*x + c", a=2, b=3, c=1)
    console = Console(record=True, width=100, color_system=None, file=io.StringIO())
    console.print(r)
    text = console.export_text()
    assert "Forward pass" in text and "Backward pass" in text and "∂f/∂a" in text
    assert "b·x̄ = 3·2 = 6" in text
    # A console that cannot show ∂ and x̄ gets ASCII, adjoints apart from partials.
    ascii_file = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    plain = Console(record=True, width=100, color_system=None, file=ascii_file)
    plain.print(r)
    text = plain.export_text()
    assert "grad_a = b*grad_x = 3*2 = 6" in text and "∂" not in text


# --- explain, graph, code: the other commands ---------------------------------------------------
def test_explain_walks_a_program_as_the_command_does(cli):
    e = gradcli.explain("x = a*b; y = x + a; f = 2*y", a=2, b=3)
    printed = cli("explain", "x = a*b; y = x + a; f = 2*y", "--a", "2", "--b", "3", "--no-pause")
    assert printed.exit_code == 0
    assert len(e.steps) > 5
    for step in e.steps:
        assert step.title in printed.stdout
    assert "∂f/∂a = b·1·2 + 1·2" in e.text() and "<h4>" in e._repr_html_()
    assert "Why da = b * dx" in gradcli.explain().title
    assert gradcli.explain(a=5, b=7, c=0).steps[0].text() != gradcli.explain().steps[0].text()
    assert "fan-out" in gradcli.topics() and gradcli.explain(topic="fan-out").steps


def test_graph_and_code_are_what_the_commands_write(cli):
    dot = cli("graph", "x = a*b; f = x + a", "--a", "2", "--b", "3", "--format", "dot")
    assert gradcli.graph("x = a*b; f = x + a", a=2, b=3).to_dot() == dot.stdout
    mermaid = cli("graph", "a*b", "--a", "2", "--b", "3", "--format", "mermaid")
    assert gradcli.graph("a*b", a=2, b=3).to_mermaid() == mermaid.stdout
    for lang in ("python", "js"):
        written = cli("code", SIGMOID, *cli_values(SIGMOID_VALUES), "--lang", lang)
        assert gradcli.code(SIGMOID, **SIGMOID_VALUES, lang=lang) == written.stdout
    numpy_code = cli("code", "sum(X * 2)", "--X", "[1,2]")
    assert gradcli.code("sum(X * 2)", X=[1, 2]) == numpy_code.stdout
    assert "grad 3" in gradcli.graph("a*b", a=2, b=3).tree()


# --- import gradcli stays cheap -------------------------------------------------------------------
def test_import_gradcli_loads_no_heavy_library_until_a_function_is_used():
    code = (
        "import sys, gradcli\n"
        "heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & "
        "{'rich', 'lark', 'numpy', 'typer', 'gradcli.api'})\n"
        "print(heavy(), 'gradcli.api' in sys.modules)\n"
        "r = gradcli.evaluate('a*b', a=2, b=3)\n"
        "print(r.gradient, 'gradcli.language.syntax' in sys.modules, "
        "'gradcli.api' in sys.modules, "
        "'numpy' in sys.modules)\n"
        "print(set(gradcli.__all__) == {'__version__', *gradcli._LAZY}, "
        "all(hasattr(gradcli, n) for n in gradcli.__all__))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "[] False",
        "{'a': 3.0, 'b': 2.0} True True False",
        "True True",
    ]


def test_everything_public_has_a_docstring_and_type_hints():
    """Each name in __all__ has its own docstring (not one inherited from Exception), and
    every public function and method annotates its parameters and its return."""
    import inspect

    def hinted(f) -> bool:
        names = [p for p in inspect.signature(f).parameters if p != "self"]
        return "return" in f.__annotations__ and all(p in f.__annotations__ for p in names)

    missing = []
    for name in gradcli.__all__[1:]:  # after __version__
        obj = getattr(gradcli, name)
        own_doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
        if not own_doc:
            missing.append(f"{name}: no docstring")
        functions = (
            [(name, obj)]
            if inspect.isfunction(obj)
            else [
                (f"{name}.{m}", f)
                for m, f in vars(obj).items()
                if inspect.isfunction(f) and (not m.startswith("_") or m == "__init__")
            ]
        )
        missing += [f"{label}: not annotated" for label, f in functions if not hinted(f)]
        missing += [
            f"{label}: no docstring"
            for label, f in functions
            if not f.__doc__ and not label.endswith("__init__")
        ]
    assert not missing, missing


# --- the README's example ---------------------------------------------------------------------
def test_the_readme_python_example_runs_as_written():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API (notebooks)", 1)[1].split("\n## ", 1)[0]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    assert len(test.examples) >= 8
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out = io.StringIO()
    import builtins

    had = builtins.__dict__.copy()
    try:
        runner.run(test, out=out.write)
    finally:  # the interactive display sets builtins._: leave builtins as they were
        for name in set(builtins.__dict__) - set(had):
            delattr(builtins, name)
    assert runner.failures == 0, out.getvalue()


# --- a real Jupyter kernel --------------------------------------------------------------------
def test_a_jupyter_kernel_shows_the_result_as_html(tmp_path, monkeypatch):
    """A notebook run by nbclient in an IPython kernel on this interpreter (a kernelspec
    written here, so no other Python's `python3` kernel is picked up)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    for var, sub in (
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    spec = tmp_path / "kernels" / "gradcli-test"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "gradcli test",
                "language": "python",
            }
        )
    )
    km = KernelManager(
        kernel_name="gradcli-test",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]),
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import sys; print(sys.executable)"),
        nbformat.v4.new_code_cell('import gradcli; gradcli.evaluate("a*b", a=2, b=3)'),
    ]
    client = nbclient.NotebookClient(
        nb, km=km, timeout=60, resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()
    except RuntimeError as exc:  # the kernel did not start
        if "Kernel died" in str(exc) or "Kernel didn't respond" in str(exc):
            pytest.skip(f"the Jupyter kernel could not start: {exc}")
        raise
    assert nb.cells[0].outputs[0]["text"].strip() == sys.executable
    (result,) = [o for o in nb.cells[1].outputs if o["output_type"] == "execute_result"]
    page = result["data"]["text/html"]
    parsed = _Cells()
    parsed.feed(page)
    assert parsed.tables == 3
    for cell in (
        "a = 2  (input, given)",
        "f = a * b",
        "6",
        "∂f/∂a = b = 3",
        "∂f/∂a",
        "3",
        "∂f/∂b",
        "2",
    ):
        assert cell in parsed.cells, cell
    assert result["data"]["text/plain"].startswith("<gradcli.Result f = 6;")
