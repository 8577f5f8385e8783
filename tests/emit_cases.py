"""The programs and commands whose `graph` and `code` output tests/test_emit_stream.py
holds to the bytes recorded in tests/data/emit_reference.json (made by
tests/data/make_emit_reference.py)."""

import os
import sys
from pathlib import Path

from typer.testing import CliRunner

from gradcli.cli.app import app

_SCALE_VALUES = {f"x{i}": 0.1 * (i + 1) for i in range(16)}
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
try:
    from scale import program as scale_program
finally:
    sys.path.pop(0)
_SCALE = scale_program(60)

# name -> (program, values, "scalar" or "tensor")
CASES = {
    "product": ("x = a*b; f = 2*x + c", {"a": 2, "b": 3, "c": 1}, "scalar"),
    "fan-out": ("d = a*b; e = a + b; f = d*e", {"a": 2, "b": 3}, "scalar"),
    "neuron": (
        "f = sigmoid(a*x + b*y + c)",
        {"a": 1, "b": 2, "c": -3, "x": -1, "y": 3},
        "scalar",
    ),
    "names": ('π2 = α*β\nf = π2 + log(α)  # note <b>"x"|{} [red]', {"α": 2, "β": 3}, "scalar"),
    "undefined": ("f = sqrt(a) + a", {"a": 0}, "scalar"),
    "rebound": ("f = a*b; f = 3*f", {"a": 2, "b": -1.5}, "scalar"),
    "unused": ("f = 3 + a", {"a": 1, "b": 2}, "scalar"),
    "gates": (
        "f = relu(a) + max(a, b) + a^b + a/b + abs(a) - tanh(b)*exp(a)",
        {"a": 1.5, "b": 0.5},
        "scalar",
    ),
    "kink": ("f = relu(a) * b", {"a": 0, "b": 2}, "scalar"),
    "literal": ("c = 3; c = 4", {}, "scalar"),
    "constants": ("f = pi * a + e", {"a": 2}, "scalar"),
    "scale": (_SCALE, _SCALE_VALUES, "scalar"),
    "layer": (
        "h = tanh(W @ x + b); f = sum(h * h)",
        {"W": "[[0.1,0.2],[0.3,-0.4]]", "x": "[1.0,-2.0]", "b": "[0.5,0.25]"},
        "tensor",
    ),
    "rows": ("f = sum(relu(X) * 2 + X)", {"X": "[[1, -2], [3, 4], [0, 5]]"}, "tensor"),
}

_GRAPH = [
    ["graph", "--json"],
    ["graph", "-F", "dot"],
    ["graph", "-F", "mermaid"],
    ["graph"],
    ["graph", "--ascii"],
    ["graph", "--depth", "2"],
    ["graph", "-F", "dot", "--ascii"],
]
COMMANDS = {
    "scalar": _GRAPH
    + [
        ["code"],
        ["code", "--lang", "js"],
        ["code", "--lang", "numpy"],
        ["code", "--json"],
        ["code", "--lang", "js", "--json"],
        ["graph", "--json", "--output", "f"],
    ],
    "tensor": _GRAPH + [["code"], ["code", "--lang", "python"], ["code", "--json"]],
}


def run(command: list, program: str, values: dict) -> dict:
    """The command on the program, in-process, piped (no terminal), 200 columns wide."""
    runner = CliRunner(env={"COLUMNS": "200"})
    args = list(command) + [program] + [f"{k}={v}" for k, v in values.items()]
    os.environ.pop("NO_COLOR", None)
    res = runner.invoke(app, args, catch_exceptions=False)
    return {
        "exit": res.exit_code,
        "stdout": res.stdout_bytes.decode("utf-8", "surrogateescape"),
        "stderr": res.stderr_bytes.decode("utf-8", "surrogateescape"),
    }
