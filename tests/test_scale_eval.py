"""eval's tables, eval --json and explain at scale (issue 14): the JSON document is written
a piece at a time with the same bytes as the whole document, the tables build only the rows
they show (and still say how many they left out), and explain's walkthrough of a
100,000-statement program builds only what it shows."""

import io
import json
import resource
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_gradcli
from rich.console import Console

from gradcli.core.engine import evaluate, no_cycle_collection
from gradcli.core.notation import Notation
from gradcli.core.tape import Tape
from gradcli.language.lower import compile_program
from gradcli.report import rows as rows_module
from gradcli.report.evaluation import json_pieces, to_dict
from gradcli.report.tensors import dumps as compact_dumps

sys.path.insert(0, str(ROOT / "benchmarks"))
from scale import program  # noqa: E402

VALUES = {f"x{i}": 0.1 * (i + 1) for i in range(16)}  # as benchmarks/scale.py sets them
VALUE_ARGS = [a for name, v in VALUES.items() for a in (f"--{name}", repr(v))]

# (program, values): numbers and arrays; fan-out, rebinding, a function defined and
# called, constants only, slopes that are not finite (written as null, with a warning),
# names and comments JSON must escape.
PROGRAMS = [
    ("x = a*b; f = 2*x + c", {"a": 2, "b": 3, "c": -1}),
    (
        'q = x + y\nf = q * q * z + sqrt(q)\ng = f + log(q) # é and "quotes"',
        {"x": 1, "y": 2, "z": -3},
    ),
    (
        "sig(t) = 1 / (1 + exp(-t))\nh = sig(w*x + b)\nloss = (h - y)^2",
        {"w": 0.5, "x": 2, "b": -1, "y": 1},
    ),
    ("r = relu(a - b)\nm = max(a, b)\nf = r*m + abs(a) + 1/b", {"a": 2, "b": 2}),
    ("f = sqrt(a) * b", {"a": 0, "b": 2}),
    ("f = a*b\nf = f + a\nf = f*f", {"a": 1.5, "b": -2}),
    ("f = 3", {}),
    ("a = 2\nf = a*b + 1", {"b": 4}),
    (program(300), VALUES),
]
TENSOR_PROGRAMS = [
    (
        "h = tanh(X @ W + b)\nloss = sum(h * h)",
        {"X": "[[1,2],[3,4],[5,6]]", "W": "[[0.1,-0.2],[0.3,0.4]]", "b": "[0.5,-0.5]"},
    ),
    ("p = softmax(z)\nl = cross_entropy(z, t)", {"z": "[[1,2,3],[0,0,1]]", "t": "[2, 0]"}),
    ("y = sqrt(x)\nf = sum(y * w)", {"x": "[0, 1, 4]", "w": "[1, 2, 3]"}),
]


def _evaluated(source: str, values: dict):
    from gradcli.language.values import value_of

    given = {k: value_of(k, v) if isinstance(v, str) else float(v) for k, v in values.items()}
    tape = compile_program(source, given)
    try:
        return evaluate(tape, given)
    except Exception as exc:  # a program whose values are out of range: not for this test
        pytest.skip(f"{source!r}: {exc}")


def _whole(ev, grad_only: bool) -> str:
    """The document as it was written before: built whole, then dumped whole."""
    doc = to_dict(ev, grad_only)
    if ev.tape.tensor:
        return compact_dumps(doc, indent=1)
    return json.dumps(doc, allow_nan=False, indent=1)


@pytest.mark.parametrize("grad_only", [False, True])
@pytest.mark.parametrize("source,values", PROGRAMS + TENSOR_PROGRAMS)
def test_streamed_json_is_the_whole_document_byte_for_byte(source, values, grad_only):
    ev = _evaluated(source, values)
    pieces = list(json_pieces(ev, grad_only))
    assert "".join(pieces) == _whole(ev, grad_only)
    if not grad_only and len(ev.tape.steps) > 100:
        assert len(pieces) > len(ev.tape.steps)  # written a node at a time, not whole


@pytest.mark.parametrize("source,values", [PROGRAMS[1], PROGRAMS[4], TENSOR_PROGRAMS[0]])
def test_eval_json_prints_the_streamed_document(source, values, tmp_path):
    path = tmp_path / "p.gc"
    path.write_text(source, encoding="utf-8")
    args = [a for k, v in values.items() for a in (f"--{k}", str(v))]
    r = run_gradcli("eval", "--json", "-f", str(path), *args)
    assert r.returncode == 0, r.stderr
    ev = _evaluated(source, values)
    assert r.stdout == _whole(ev, False) + "\n"


def _render(ev, limit=200, width=100) -> str:
    from gradcli.cli.render_eval import render

    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    render(ev, console, Notation(), limit)
    return console.file.getvalue()


@pytest.mark.parametrize("source,values", [PROGRAMS[8], PROGRAMS[2], (program(60), VALUES)])
def test_tables_show_the_rows_and_left_out_lines_of_the_full_lists(source, values, monkeypatch):
    """Rows built as they are read give the tables every list of rows gave: the same
    first and last rows, the same "N rows left out" line (the count of all of them)."""
    ev = _evaluated(source, values)
    forward = rows_module.forward_rows(ev)
    backward = rows_module.backward_rows(ev, Notation())
    assert isinstance(forward, rows_module.Rows) and isinstance(backward, rows_module.Rows)
    lazy = _render(ev)
    import gradcli.cli.render_eval as render_eval

    # The rows as whole lists, built before anything is drawn, as the tables used to.
    full_fwd = list(forward)
    full_bwd = list(backward)
    assert [forward[k] for k in range(len(forward))] == full_fwd
    monkeypatch.setattr(render_eval, "forward_rows", lambda ev, *a: list(full_fwd))
    monkeypatch.setattr(render_eval, "backward_rows", lambda ev, nt, *a: list(full_bwd))
    assert lazy == _render(ev)
    for rows in (full_fwd, full_bwd):
        if len(rows) > 200:
            assert f"{len(rows) - 200} rows left out (--all shows them)" in lazy
            assert rows[-1][2] in lazy and rows[99][2] in lazy and rows[100][2] not in lazy


@pytest.fixture(scope="module")
def big():
    """A 100,000-statement program (benchmarks/scale.py), evaluated with every step."""
    with no_cycle_collection():
        tape = compile_program(program(100_000), VALUES)
        return evaluate(tape, VALUES)


class _Counter:
    def __init__(self, monkeypatch):
        self.calls = {"backward_row": 0, "expression": 0}
        real_row = rows_module.backward_row
        real_expression = Tape.expression

        def backward_row(*args, **kw):
            self.calls["backward_row"] += 1
            return real_row(*args, **kw)

        def expression(tape, *args, **kw):
            self.calls["expression"] += 1
            return real_expression(tape, *args, **kw)

        import gradcli.tutor.walkthrough as walkthrough

        monkeypatch.setattr(rows_module, "backward_row", backward_row)
        monkeypatch.setattr(walkthrough, "backward_row", backward_row)
        monkeypatch.setattr(Tape, "expression", expression)


def test_tables_of_100000_statements_build_only_the_rows_shown(big, monkeypatch):
    count = _Counter(monkeypatch)
    built = rows_module.Rows.built
    text = _render(big)
    # 200 rows shown in each table, and the first row read once more for the layout.
    assert rows_module.Rows.built - built <= 2 * 201
    assert count.calls["backward_row"] <= 201
    assert count.calls["expression"] <= 201
    total = len(big.contributions)
    assert total > 50_000
    assert f"{total - 200} rows left out (--all shows them)" in text


def test_explain_of_100000_statements_builds_only_what_it_shows(big, monkeypatch):
    from gradcli.tutor.walkthrough import FORWARD_LIMIT, NODE_LIMIT, walk

    count = _Counter(monkeypatch)
    steps = walk(big, Notation())
    # One table row per term of the first NODE_LIMIT nodes (at most 2 each), then a
    # table of FORWARD_LIMIT rows; forward lines and node titles: a few per shown step.
    assert count.calls["backward_row"] <= 2 * NODE_LIMIT + FORWARD_LIMIT
    assert count.calls["expression"] <= 3 * FORWARD_LIMIT + 4 * NODE_LIMIT
    text = "\n".join(s.text() for s in steps)
    ops = sum(1 for step in big.tape.steps if step.args)
    assert f"… {ops - FORWARD_LIMIT} steps left out …" in text


def test_eval_json_of_20000_statements_runs_in_bounded_memory(tmp_path):
    """A safety bound: under an address-space limit that --grad-only runs in, the whole
    document (about 11 MB, 40,000 entries) is still written. Here --grad-only and the
    streamed --json each run within 80 MB of address space; the document built whole
    needed more than 130 MB. The limit, 120 MB, leaves the streamed one room to spare."""
    path = tmp_path / "p.gc"
    path.write_text(program(20_000))
    limit = 120 * 2**20

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    import subprocess

    runs = {}
    for flag in ("--grad-only", "--json"):
        runs[flag] = subprocess.run(
            [sys.executable, "-m", "gradcli", "eval", flag, "-f", str(path), *VALUE_ARGS],
            capture_output=True,
            text=True,
            preexec_fn=limited,
            timeout=120,
        )
        assert runs[flag].returncode == 0, runs[flag].stderr[-2000:]
    doc = json.loads(runs["--json"].stdout)
    assert len(doc["nodes"]) > 20_000 and doc["value"] == float(
        runs["--grad-only"].stdout.split(" = ")[1].splitlines()[0]
    )


def test_scale_benchmark_covers_every_command_that_takes_a_program():
    """benchmarks/commands.py measures every command that takes a program (issue 14)."""
    text = Path(ROOT / "benchmarks" / "commands.py").read_text()
    for label in (
        "eval --grad-only",
        "eval --json",
        "eval --check",
        "--mode forward",
        '"explain"',
        '"explain", "--json"',
        '"graph", "--json"',
        '"dot"',
        '"mermaid"',
        '"graph"]',
        '"python"',
        '"js"',
        '"numpy"',
    ):
        assert label in text, label
