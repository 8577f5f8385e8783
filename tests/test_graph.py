"""`gradcli graph`: every number drawn is the engine's, every label is escaped, and deep
graphs draw without recursion. Rendering tests skip only when Graphviz's `dot` is absent."""

import json
import os
import re
import shutil
import subprocess

import pytest

from gradcli.core.engine import evaluate
from gradcli.core.notation import Notation, fmt
from gradcli.emit.graph import build_graph
from gradcli.emit.graphviz import _mermaid_text, to_dot, to_mermaid
from gradcli.language.lower import compile_program

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")

SEED = ["x = a*b; f = 2*x + c", "--a", "2", "--b", "3", "--c", "1"]
FAN_OUT = ["d = a*b; e = a + b; f = d*e", "--a", "2", "--b", "3"]


def engine(program: str, **values):
    tape = compile_program(program, values)
    return evaluate(tape, values)


def test_tree_shows_each_value_and_adjoint_from_the_engine(cli):
    res = cli("graph", *SEED)
    assert res.exit_code == 0, res.output
    ev = engine(SEED[0], a=2.0, b=3.0, c=1.0)
    lines = res.stdout.splitlines()
    assert lines[0].startswith("f = v1 + c")  # the first unnamed step is v1
    for name in ("a", "b", "c", "x", "f"):
        i = next(k for k in range(len(ev.tape.steps)) if ev.tape.label(k) == name)
        want = f"data {fmt(ev.values[i])} | grad {fmt(ev.adjoints[i])}"
        assert any(re.search(rf"\b{name}\b.*{re.escape(want)}", line) for line in lines), name


def test_tree_draws_a_reused_node_once_and_marks_its_sum(cli):
    res = cli("graph", *FAN_OUT)
    lines = res.stdout.splitlines()
    full = [line for line in lines if re.search(r"\ba\b\s+input", line)]
    reused = [line for line in lines if "↑ a" in line]
    assert len(full) == 1 and len(reused) == 1
    ev = engine(FAN_OUT[0], a=2.0, b=3.0)
    assert f"grad {fmt(ev.gradient['a'])} (Σ of 2 contributions)" in full[0]
    assert "sums 2 contributions" in reused[0]
    # ASCII mode uses no Unicode at all.
    ascii_out = cli("graph", *FAN_OUT, "--ascii").stdout
    assert ascii_out.isascii() and "^ a" in ascii_out and "(sum of 2 contributions)" in ascii_out


def test_json_nodes_and_edges_carry_the_engines_numbers(cli):
    doc = json.loads(cli("graph", *FAN_OUT, "--json").stdout)
    ev = engine(FAN_OUT[0], a=2.0, b=3.0)
    tape = ev.tape
    nodes = {n["id"]: n for n in doc["nodes"]}
    for i in range(len(tape.steps)):
        node = nodes[tape.step_id(i)]
        assert node["value"] == ev.values[i] and node["adjoint"] == ev.adjoints[i]
    locals_ = {(tape.step_id(c.input), tape.step_id(c.node)): c.local for c in ev.contributions}
    assert len(doc["edges"]) == len(locals_) == 6
    for e in doc["edges"]:
        assert e["local"] == locals_[(e["from"], e["to"])]
    assert nodes["v1"]["terms"] == 2 and doc["value"] == ev.value


def test_dot_records_and_edge_labels(cli):
    res = cli("graph", *SEED, "--format", "dot")
    assert res.exit_code == 0
    src = res.stdout
    ev = engine(SEED[0], a=2.0, b=3.0, c=1.0)
    assert "{ x = a * b | data 6 | grad 2 }" in src
    for c in ev.contributions:
        top, bottom = ev.tape.label(c.node), ev.tape.label(c.input)
        edge = f'{ev.tape.step_id(c.input)} -> {ev.tape.step_id(c.node)} [label="∂{top}/∂{bottom} = {fmt(c.local)}"]'
        assert edge in src
    assert "legend" in src and src.count("fillcolor=") >= 4
    assert "peripheries=2" in src  # the output stands out


def test_mermaid_flowchart(cli):
    res = cli("graph", *FAN_OUT, "-F", "mermaid")
    lines = res.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum("-->|" in line for line in lines) == 6
    assert any(line.strip().startswith("classDef input") for line in lines)


def hostile_graph():
    """A graph whose labels hold every character that means something in dot or Mermaid."""
    ev = engine("x = a*b; f = x + 1", a=2.0, b=3.0)
    graph = build_graph(ev)
    nasty = 'q"{}|<>\\#;[]()`*&\n]] --> x'
    for node in graph.nodes.values():
        node.label = nasty + node.label
        node.expression = nasty + node.expression
    return graph, nasty


def test_mermaid_escapes_user_text():
    graph, nasty = hostile_graph()
    text = to_mermaid(graph, Notation())
    for line in text.splitlines()[1:]:
        # Inside each quoted label only the escaped form appears.
        for label in re.findall(r'"([^"]*)"', line.replace("<br/>", " ")):
            assert not set(label) & set('"{}|<>[]`\n')
    assert _mermaid_text("σ·x") == "σ·x"  # Unicode stays readable


@needs_dot
def test_dot_escapes_user_text_and_still_renders():
    graph, nasty = hostile_graph()
    src = to_dot(graph, Notation())
    proc = subprocess.run([DOT, "-Tsvg"], input=src.encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    svg = proc.stdout.decode()
    assert "q&quot;{}|&lt;&gt;\\#;[]()`*&amp;" in svg or "q&quot;{}|&lt;&gt;" in svg


@needs_dot
def test_svg_and_png_render(cli, tmp_path):
    res = cli("graph", *SEED, "--format", "svg")
    assert res.exit_code == 0, res.stderr
    assert "<svg" in res.stdout and "data 13" in res.stdout
    target = tmp_path / "g.png"
    res = cli("graph", *SEED, "--format", "png", "-o", str(target))
    assert res.exit_code == 0 and res.stdout == ""
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_svg_without_graphviz_says_how_to_get_it(cli, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    res = cli("graph", *SEED, "--format", "svg")
    assert res.exit_code == 2
    assert "graphviz" in res.stderr.lower() and "--format dot" in res.stderr


def test_unknown_format_is_a_usage_error(cli):
    res = cli("graph", *SEED, "--format", "jpeg")
    assert res.exit_code == 2 and "jpeg" in res.stderr


def test_user_text_is_not_rich_markup(cli):
    # A name that looks like markup is printed as written.
    res = cli("graph", "red = a*b; f = red + 1", "--a", "2", "--b", "3")
    assert res.exit_code == 0 and "red = a * b" in res.stdout


@pytest.fixture(scope="module")
def deep_program():
    n = 10_000
    return "x0 = a\n" + "\n".join(f"x{i} = sin(x{i - 1}) + a" for i in range(1, n + 1))


@pytest.mark.parametrize(
    "form", [["--format", "tree"], ["--format", "dot"], ["--format", "mermaid"], ["--json"]]
)
def test_a_10000_step_chain_draws_without_recursion(cli, deep_program, form):
    res = cli("graph", deep_program, "--a", "0.5", *form)
    assert res.exit_code == 0, res.stderr
    if form[-1] == "tree":
        lines = res.stdout.splitlines()
        assert any("deeper than 40 levels" in line for line in lines)
        assert len(lines) < 200  # the depth limit keeps the staircase short
    elif form[-1] == "dot":
        assert res.stdout.count(" -> ") >= 2 * 10_000


@needs_dot
def test_the_file_extension_picks_the_format(cli, tmp_path):
    for ext, start in [
        (".svg", b"<?xml"),
        (".dot", b"digraph"),
        (".mmd", b"flowchart"),
        (".txt", b"f = v1 + c"),
    ]:
        target = tmp_path / f"g{ext}"
        assert cli("graph", *SEED, "-o", str(target)).exit_code == 0
        assert target.read_bytes().startswith(start), ext


def test_tree_guides_follow_the_shape():
    from gradcli.emit.graph import tree_lines

    rows = [(d, "intermediate", str(k), "") for k, d in enumerate([0, 1, 2, 3, 2, 1, 2])]
    prefixes = [p for p, _ in tree_lines(rows, ascii_only=False)]
    assert prefixes == ["", "├── ", "│   ├── ", "│   │   └── ", "│   └── ", "└── ", "    └── "]
    ascii_prefixes = [p for p, _ in tree_lines(rows, ascii_only=True)]
    assert ascii_prefixes[3] == "|   |   `-- "


def test_piped_tree_has_no_colour_codes():
    from conftest import run_gradcli

    proc = run_gradcli("graph", *FAN_OUT)
    assert proc.returncode == 0 and "\x1b" not in proc.stdout and "↑ a" in proc.stdout


def test_dot_killed_by_a_signal_says_the_graph_is_too_large(cli, tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nkill -9 $$\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ.get('PATH', '')}")
    r = cli("graph", "a*b", "a=1", "b=2", "--format", "svg", "-o", str(tmp_path / "g.svg"))
    assert r.exit_code == 1
    assert "killed by signal 9" in r.stderr and "--format dot" in r.stderr
