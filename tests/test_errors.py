"""Errors as data: the core raises errors with fields and flag-free messages; the command
line words them with its options (gradcli/cli/wording.py), exactly as it always has."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradcli.core import errors
from gradcli.core.engine import evaluate
from gradcli.core.errors import (
    EXIT_EVAL,
    EXIT_USAGE,
    DomainError,
    EvaluationError,
    GradcliError,
    InvalidValue,
    MissingDependency,
    MissingInputs,
    RenderError,
    SourceError,
    TooLarge,
    UnknownFunction,
    UnknownName,
    UsageError,
    WrtError,
)
from gradcli.language.lower import compile_program

PACKAGE = Path(__file__).resolve().parent.parent / "gradcli"
FUNCTIONS = (
    "abs, acos, arange, asin, atan, cos, cosh, cross_entropy, exp, ln, log, log10, "
    "log2, log_softmax, max, mean, min, onehot, pow, range, relu, reshape, sigmoid, "
    "sin, sinh, softmax, softplus, sqrt, sum, tan, tanh"
)


def raised(call, *args, **kwargs) -> GradcliError:
    with pytest.raises(GradcliError) as info:
        call(*args, **kwargs)
    exc = info.value
    assert "--" not in str(exc), str(exc)
    return exc


def run(source, **given):
    return evaluate(compile_program(source, given), given)


def study(source, given, **options):
    from gradcli.modes.study import study as run_study

    return run_study(source, given, **options)


# --- the core's errors: fields, and no command-line syntax --------------------------------
def test_missing_inputs_has_the_names():
    exc = raised(evaluate, compile_program("a*b"), {"a": 2})
    assert isinstance(exc, MissingInputs) and isinstance(exc, UsageError)
    assert exc.names == ["b"] and exc.suggestions == {} and exc.lookalikes == {}
    assert exc.exit_code == EXIT_USAGE
    assert (
        str(exc) == "no value for the input b\ngive it a value, or a default in the program (b = 1)"
    )


def test_missing_inputs_has_the_likely_misspellings():
    exc = raised(run, "alpha*x + pii", alpah=1, x=2)
    assert exc.names == ["alpha", "pii"]
    assert exc.suggestions == {"alpha": ["alpah"]} and exc.lookalikes == {"pii": ["pi"]}
    assert exc.message == "no value for the inputs alpha, pii"
    assert exc.hints() == [
        "a value was given for 'alpah'; did you mean 'alpha'?",
        "'pii' is not a known constant or function: did you mean 'pi'?",
    ]


def test_domain_error_has_the_step_and_its_operands():
    exc = raised(run, "log(x)", x=-1)
    assert isinstance(exc, DomainError) and isinstance(exc, EvaluationError)
    assert exc.exit_code == EXIT_EVAL
    assert (exc.step, exc.expression, exc.operation) == ("f", "log(x)", "log")
    assert exc.operands == {"x": -1.0}
    assert exc.problem == "log is undefined for -1 (it needs a positive number)"
    assert (exc.line, exc.column, exc.pos) == (1, 1, 0)
    assert exc.message == f"{exc.problem} (step f = log(x), x = -1)"
    assert exc.detail == "  log(x)\n  ^"


def test_domain_error_in_a_longer_program_has_its_line():
    exc = raised(run, "y = 1\nz = y - 1\nf = 2 * log(a*z)", a=2)
    assert exc.line == 3 and exc.column == 9 and exc.operation == "log"
    assert (exc.step, exc.expression, exc.operands) == ("v2", "log(v1)", {"v1": 0.0})
    assert "(line 3, step v2 = log(v1), v1 = a * z = 0)" in exc.message


@pytest.mark.parametrize(
    "source, given, operation, operands",
    [
        ("a / b", {"a": 1, "b": 0}, "div", {"a": 1.0, "b": 0.0}),
        ("x ^ 0.5", {"x": -4}, "pow", {"x": -4.0, "0.5": 0.5}),
        ("exp(x)", {"x": 1000}, "exp", {"x": 1000.0}),
    ],
)
def test_domain_errors_name_the_operation(source, given, operation, operands):
    exc = raised(run, source, **given)
    assert exc.operation == operation and exc.operands == operands


def test_the_gradient_check_still_reads_the_domain_error():
    from gradcli.modes.gradcheck import check_input

    tape = compile_program("sqrt(x)")
    ev = evaluate(tape, {"x": 0})
    found = check_input(tape, ev.inputs, ev.values, "x", 0.0)
    assert "sqrt is undefined for" in found.note


def test_unknown_function_is_a_source_error_and_an_unknown_name():
    exc = raised(compile_program, "2 + sigmod(x)")
    assert isinstance(exc, UnknownFunction)
    assert isinstance(exc, SourceError) and isinstance(exc, UnknownName)
    assert (exc.name, exc.kind, exc.suggestions) == ("sigmod", "function", ["sigmoid"])
    assert "relu" in exc.known and exc.parameter is None
    assert (exc.pos, exc.line, exc.column) == (4, 1, 5)
    assert str(exc) == (
        "unknown function 'sigmod' (at line 1, column 5)\n  2 + sigmod(x)\n"
        f"      ^\ndid you mean 'sigmoid'? Functions: {FUNCTIONS}."
    )


def test_unknown_output_is_an_unknown_name():
    exc = raised(compile_program, "q = x + y; f = q*z", output="qq")
    assert isinstance(exc, UnknownName)
    assert (exc.name, exc.kind, exc.parameter) == ("qq", "value", "output")
    assert exc.suggestions == ["q"] and set(exc.known) == {"x", "y", "z", "q", "f"}
    assert str(exc) == "the program has no value named 'qq'; did you mean 'q'?"


@pytest.mark.parametrize(
    "source, wrt, reason, inputs",
    [
        ("a*b", None, "several inputs", ["a", "b"]),
        ("a*b", "bb", "unknown input", ["a", "b"]),
        ("2*3", None, "no inputs", []),
        ("2*3", "x", "unknown input", []),
    ],
)
def test_wrt_errors_say_why(source, wrt, reason, inputs):
    exc = raised(study, source, {"a": 1, "b": 2} if "a" in source else {}, mode="forward", wrt=wrt)
    assert isinstance(exc, WrtError) and isinstance(exc, UsageError)
    assert (exc.reason, exc.wrt, exc.inputs) == (reason, wrt, inputs)
    if wrt == "bb":
        assert exc.suggestions == ["b"]
        assert str(exc) == (
            "the program has no input named 'bb' (did you mean 'b'?)\nits inputs are: a, b"
        )


def test_wrt_in_reverse_mode_is_a_wrt_error():
    exc = raised(study, "a*b", {"a": 1, "b": 2}, wrt="a")
    assert (exc.reason, exc.wrt, exc.mode) == ("reverse mode", "a", "reverse")


def test_unknown_mode_is_an_unknown_name():
    exc = raised(study, "a*b", {"a": 1, "b": 2}, mode="fowrard")
    assert (exc.name, exc.kind, exc.parameter) == ("fowrard", "mode", "mode")
    assert exc.suggestions == ["forward"] and exc.known == ["reverse", "forward", "both"]


def test_symbolic_limits_are_too_large():
    pytest.importorskip("sympy")
    long_program = "x = a\n" + "\n".join("x = x + 1" for _ in range(250))
    exc = raised(study, long_program, {"a": 1}, symbolic=True)
    assert isinstance(exc, TooLarge)
    assert (exc.what, exc.limit, exc.size, exc.unit) == ("symbolic", 200, 253, "steps")
    big_tree = "x = a\n" + "\n".join("x = sin(x)*x + a" for _ in range(14))
    exc = raised(study, big_tree, {"a": 1}, symbolic=True)
    assert (exc.limit, exc.unit) == (600, "operations") and exc.size > 600


def test_symbolic_without_sympy_is_a_missing_dependency(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    exc = raised(study, "a*b", {"a": 1, "b": 2}, symbolic=True)
    assert isinstance(exc, MissingDependency)
    assert (exc.dependency, exc.feature) == ("SymPy", "symbolic")
    assert exc.install == "pip install 'gradcli[symbolic]'"


def _render(fmt="svg"):
    from gradcli.emit import graphviz

    return graphviz.render("digraph g { a -> b; }", fmt)


def test_graphviz_missing_is_a_missing_dependency(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    exc = raised(_render, "png")
    assert isinstance(exc, MissingDependency) and exc.feature == "png"
    assert exc.dependency == "Graphviz's `dot` program"


@pytest.mark.parametrize(
    "returncode, stderr, reason",
    [(-9, b"", "killed"), (137, b"", "killed"), (1, b"Error: bad\n", "failed")],
)
def test_graphviz_failures_are_render_errors(monkeypatch, returncode, stderr, reason):
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(
        subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, returncode, b"", stderr)
    )
    exc = raised(_render)
    assert isinstance(exc, RenderError) and exc.exit_code == EXIT_EVAL
    assert (exc.format, exc.reason, exc.edges) == ("svg", reason, 1)
    assert exc.tool_message == stderr.decode().strip()


def test_graphviz_timeout_is_a_render_error(monkeypatch):
    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired("dot", 600)

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(subprocess, "run", slow)
    assert raised(_render).reason == "timeout"


def test_unknown_topics_are_unknown_names():
    from gradcli.tutor.quizgen import generate
    from gradcli.tutor.topics import topic

    exc = raised(topic, "sigmod")
    assert (exc.name, exc.kind, exc.parameter, exc.suggestions) == (
        "sigmod",
        "lesson",
        "topic",
        ["sigmoid"],
    )
    exc = raised(generate, 1, 2, 0, "multipy")
    assert (exc.name, exc.kind, exc.parameter) == ("multipy", "topic", "topic")
    assert "multiply" in exc.suggestions and "mul" in exc.known


def test_the_lesson_refuses_b_of_one_as_an_invalid_value():
    from gradcli.core.notation import Notation
    from gradcli.tutor.lesson import multiply_lesson

    exc = raised(multiply_lesson, Notation(), b=-1.0)
    assert isinstance(exc, InvalidValue)
    assert (exc.name, exc.value, exc.instead) == ("b", -1.0, 3.0)
    assert str(exc).endswith("could not show the difference; try b = 3")


def test_the_tree_cut_row_names_no_option():
    from gradcli.core.notation import Notation
    from gradcli.emit.graph import build_graph, tree_rows

    ev = run("x = sin(a) + a; y = sin(x) + a; f = sin(y) + a", a=1)
    cut = [row for row in tree_rows(build_graph(ev), Notation(), 1) if row[1] == "cut"]
    assert cut and all(row[3] == "deeper than 1 levels: not drawn" for row in cut)


# --- no message below the command line names an option ----------------------------------
FAMILY = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, GradcliError)
} | {"QuestionError"}


def _strings(node):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.lineno, sub.value


def test_no_error_raised_below_the_cli_names_an_option():
    """Every string in a raise, or in a call that builds one of gradcli's errors, in every
    module outside gradcli/cli: none holds `--` (an option is the command line's word)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if parts[0] == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            builds = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in FAMILY
            )
            if isinstance(node, ast.Raise) or builds:
                found += [
                    f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
                    for line, text in _strings(node)
                    if "--" in text
                ]
    assert not found, "\n".join(sorted(set(found)))


# Strings below gradcli/cli that hold `--` and are not an option in a message: drawing
# characters, and the tutor's prose that shows a command to type (not an error).
NOT_OPTIONS = {
    ("core/notation.py", "--"),  # an em dash written in ASCII
    ("emit/graph.py", "|-- "),
    ("emit/graph.py", "`-- "),  # the ASCII tree's guides
    ("emit/graphviz.py", ' -->|"'),  # a Mermaid edge
    # the lesson's last step and explain's walkthrough: commands to try next
    ("tutor/lesson.py", "--a "),
    ("tutor/lesson.py", " --b "),
    ("tutor/lesson.py", " --c "),
    ("tutor/lesson.py", "gradcli explain --list"),
    ("tutor/walkthrough.py", "--"),
    ("tutor/walkthrough.py", " --output "),
    ("tutor/walkthrough.py", " --from "),
    ("tutor/walkthrough.py", " rows (gradcli eval --all shows every row)."),
    ("tutor/tensor_walk.py", " --json"),
    ("tutor/tensor_walk.py", " --output "),
    ("language/from_js.py", "--"),  # JavaScript's decrement operator
}


def test_no_string_below_the_cli_names_an_option():
    """Wider than the scan above: advice built before the raise (`f"--{name} VALUE"`) is
    caught too. Docstrings are skipped; NOT_OPTIONS lists what is not an error's advice."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "--" in node.value
                and id(node) not in docstrings
                and (rel, node.value) not in NOT_OPTIONS
            ):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)


def test_the_scan_sees_an_option_in_a_message(tmp_path):
    tree = ast.parse('raise UsageError(f"--wrt {w}: no such input")')
    assert any("--" in text for _, text in _strings(tree))


# --- the command line: the same words as always, options included ------------------------
SEED = ["a*b", "a=1", "b=2"]
CLI_CASES = [
    (
        ["eval", "a*b", "--a", "2"],
        2,
        "error: no value for the input b\npass it as --b VALUE (or b=VALUE)\n",
    ),
    (
        ["graph", "a*b + c", "--b", "1"],
        2,
        "error: no value for the inputs a, c\npass them as --a VALUE --c VALUE (or a=VALUE)\n",
    ),
    (
        ["code", "alpha*x", "--alpah", "1", "--x", "2"],
        2,
        "error: no value for the input alpha\npass it as --alpha VALUE (or alpha=VALUE)\n"
        "a value was given for 'alpah'; did you mean 'alpha'?\n",
    ),
    (
        ["explain", "--no-pause", "pii * r^2", "--r", "1"],
        2,
        "error: no value for the input pii\npass it as --pii VALUE (or pii=VALUE)\n"
        "'pii' is not a known constant or function: did you mean 'pi'?\n",
    ),
    (
        ["eval", "--check", "a*sigmod + 1", "a=1"],
        2,
        "error: no value for the input sigmod\npass it as --sigmod VALUE (or sigmod=VALUE)\n"
        "'sigmod' is not a known constant or function: did you mean 'sigmoid'?\n",
    ),
    (
        ["eval", "log(a)", "--a", "-1"],
        1,
        "error: log is undefined for -1 (it needs a positive number) (step f = log(a), a = -1)\n"
        "  log(a)\n  ^\n",
    ),
    (
        ["eval", "--mode", "both", "--wrt", "a", "y = 1\nz = y - 1\nlog(a*z)", "--a", "2"],
        1,
        "error: log is undefined for 0 (it needs a positive number) (line 3, step f = log(v1), "
        "v1 = a * z = 0)\n  log(a*z)\n  ^\n",
    ),
    (
        ["eval", "a*b", "a=1", "b=2", "--output", "z"],
        2,
        "error: --output z: the program has no value named 'z'\n",
    ),
    (
        ["graph", "q = a + b; f = q*2", "a=1", "b=2", "--output", "qq"],
        2,
        "error: --output qq: the program has no value named 'qq'; did you mean 'q'?\n",
    ),
    (
        ["code", "sigmod(a)", "a=1"],
        2,
        "error: unknown function 'sigmod' (at line 1, column 1)\n  sigmod(a)\n  ^\n"
        f"did you mean 'sigmoid'? Functions: {FUNCTIONS}.\n",
    ),
    (
        ["eval", "a*b", "--a", "2", "--b", "3", "--mode", "forward"],
        2,
        "error: forward mode differentiates with respect to one input; the program has 2: a, b\n"
        "choose one with --wrt NAME, e.g. --wrt a\n",
    ),
    (
        ["eval", "a*b", "--a", "2", "--b", "3", "--mode", "forward", "--wrt", "bb"],
        2,
        "error: --wrt bb: the program has no input named 'bb' (did you mean 'b'?)\n"
        "its inputs are: a, b\n",
    ),
    (
        ["eval", "2*3", "--mode", "forward", "--wrt", "x"],
        2,
        "error: --wrt x: the program has no input named 'x'\nits inputs are: none\n",
    ),
    (
        ["eval", "2*3", "--mode", "forward"],
        2,
        "error: the program has no inputs, so there is nothing to differentiate with respect to\n",
    ),
    (
        ["eval", "a*b", "--a", "2", "--b", "3", "--wrt", "a"],
        2,
        "error: --wrt chooses the input for forward mode\nadd --mode forward (or --mode both)\n",
    ),
    (
        ["eval", "a*b", "--a", "2", "--b", "3", "--mode", "fowrard"],
        2,
        "error: unknown mode 'fowrard' (did you mean 'forward'?)\n"
        "choose --mode reverse, forward or both\n",
    ),
    (
        ["explain", "--topic", "sigmod"],
        2,
        "error: no topic named 'sigmod'; did you mean 'sigmoid'?\n"
        "gradcli explain --list shows the topics\n",
    ),
    (
        ["explain", "--b", "1"],
        2,
        "error: the lesson needs b other than 1 and -1 (got b = 1)\nwith b = ±1 the slip dx/b "
        "gives the same number as b·dx, so the lesson could not show the difference; try --b 3\n",
    ),
    (
        ["quiz", "--topic", "multipy"],
        2,
        "error: --topic multipy: no such topic\ntopics: add, chain, div, exp, fan-out, max, mul, "
        "neuron, pow, quotient, relu, sigmoid, sub, tanh; also explain's names: multiply (mul), "
        "max-relu (max+relu), division (div+quotient), forward-vs-reverse (chain)\n",
    ),
]


@pytest.mark.parametrize("args, code, stderr", CLI_CASES)
def test_the_command_line_words_are_unchanged(cli, args, code, stderr):
    r = cli(*args)
    assert (r.exit_code, r.stderr) == (code, stderr)


def test_symbolic_limits_on_the_command_line(cli):
    pytest.importorskip("sympy")
    check = "use --check to verify the gradient numerically"
    long_program = "x = a\n" + "\n".join("x = x + 1" for _ in range(250))
    r = cli("eval", long_program, "a=1", "--symbolic")
    assert (r.exit_code, r.stderr) == (
        2,
        (
            "error: --symbolic handles programs of up to 200 steps; this one has 253\n"
            f"SymPy would take too long on a formula this big; {check}\n"
        ),
    )
    big_tree = "x = a\n" + "\n".join("x = sin(x)*x + a" for _ in range(14))
    r = cli("eval", big_tree, "a=1", "--symbolic")
    assert (r.exit_code, r.stderr) == (
        2,
        (
            "error: --symbolic handles formulas of up to 600 operations; this program's, written "
            "out in full, has 98300\n"
            f"values used more than once are written out each time; {check}\n"
        ),
    )


def test_symbolic_without_sympy_on_the_command_line(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "--symbolic")
    assert (r.exit_code, r.stderr) == (
        2,
        "error: --symbolic needs SymPy, which is not "
        "installed\ninstall it with: pip install "
        "'gradcli[symbolic]'\n",
    )


def test_graphviz_errors_on_the_command_line(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    r = cli("graph", *SEED, "-o", str(tmp_path / "g.png"))
    assert (r.exit_code, r.stderr) == (
        2,
        (
            "error: --format png needs Graphviz's `dot` program, which is not on PATH\n"
            "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
            "graphviz), or use --format dot and render the file elsewhere\n"
        ),
    )
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired("dot", 600)

    monkeypatch.setattr(subprocess, "run", slow)
    r = cli("graph", *SEED, "--format", "svg")
    assert (r.exit_code, r.stderr) == (
        1,
        (
            "error: Graphviz took more than 60 s to lay out 2 edges\n"
            "use --format dot, or a smaller program\n"
        ),
    )
    for returncode, said, expected in [
        (
            -9,
            b"",
            "Graphviz's dot was killed by signal 9 while laying out 2 edges (within the "
            "limits gradcli gives it: 60 s and 2048 MB): the graph is probably too large "
            "for it\nuse --format dot (or mermaid, tree) for big "
            "programs",
        ),
        (
            1,
            b"Error: syntax error\n",
            "Graphviz's dot failed (within the limits gradcli "
            "gives it: 60 s and 2048 MB): Error: syntax error",
        ),
    ]:
        monkeypatch.setattr(
            subprocess,
            "run",
            lambda *a, rc=returncode, err=said, **k: subprocess.CompletedProcess(a, rc, b"", err),
        )
        r = cli("graph", *SEED, "--format", "png")
        assert (r.exit_code, r.stderr) == (1, f"error: {expected}\n")


def test_the_tree_cut_row_on_the_command_line(cli):
    program = "x0 = a\n" + "\n".join(f"x{i} = sin(x{i - 1}) + a" for i in range(1, 6))
    r = cli("graph", program, "a=1", "--depth", "2", "--ascii")
    assert r.exit_code == 0
    assert "`-- ...   deeper than 2 levels: not drawn (--depth N draws more)\n" in r.stdout


def test_an_error_without_wording_prints_as_it_is():
    from gradcli.cli.wording import cli_text

    assert cli_text(UsageError("two values given for a")) == "two values given for a"
    assert cli_text(WrtError("no inputs")) == str(WrtError("no inputs"))


@pytest.mark.parametrize(
    "value, words",
    [
        ("abc", "is not a number: 'abc'"),
        (True, "is not a number: True"),
        (float("inf"), "is not a finite number: inf"),
        (float("nan"), "is not a finite number: nan"),
        (10**400, "is not a finite number: 1000000000000000000000000000000000000..."),
    ],
)
def test_a_python_caller_gets_an_error_for_a_value_that_is_not_a_finite_number(value, words):
    from gradcli.core.engine import evaluate
    from gradcli.core.errors import InvalidValue
    from gradcli.language.lower import compile_program

    with pytest.raises(InvalidValue) as caught:
        evaluate(compile_program("x * 2"), {"x": value})
    assert caught.value.name == "x" and words in str(caught.value) and "--" not in str(caught.value)


def test_numbers_of_any_numeric_type_are_values():
    from fractions import Fraction

    import numpy as np

    from gradcli.core.engine import evaluate
    from gradcli.language.lower import compile_program

    for value in (2, 2.0, Fraction(2), np.float64(2), np.int64(2)):
        assert evaluate(compile_program("x * 3"), {"x": value}).gradient == {"x": 3.0}
