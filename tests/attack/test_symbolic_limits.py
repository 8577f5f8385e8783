"""SymPy is bounded (issue 14): a time budget it cannot outlive, a nesting depth that is an
error rather than a crash, and literals SymPy would take forever to make exact."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("sympy")

# Three tanh layers: SymPy takes minutes on it (measured: over 5 on this project's machine).
SLOW = "tanh(tanh(tanh(x*a + b)*a + b)*a + b)"


def gradcli(*args, env=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def processes_running(marker: str) -> list:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_sympy_stops_when_its_budget_runs_out_and_leaves_nothing_running():
    marker = SLOW + " + 0*x"  # a program text no other process has in its command line
    start = time.monotonic()
    p = gradcli(
        "eval",
        marker,
        "--x",
        "0.5",
        "--a",
        "1.1",
        "--b",
        "0.2",
        "--symbolic",
        env={"GRADCLI_SYMBOLIC_SECONDS": "2"},
    )
    assert p.returncode == 2, p.stderr
    assert "SymPy did not finish the symbolic partials within 2 s" in p.stderr
    assert "--check" in p.stderr and "GRADCLI_SYMBOLIC_SECONDS" in p.stderr
    assert "Traceback" not in p.stderr
    assert time.monotonic() - start < 60
    if sys.platform.startswith("linux"):
        assert processes_running(marker) == []


def test_a_formula_too_deep_for_sympy_is_an_error_not_a_crash():
    program = "x"
    for _ in range(50):
        program = f"sigmoid({program})"
    p = gradcli("eval", program, "--x", "0.5", "--symbolic")
    assert p.returncode == 2, p.stderr
    assert "nests too deeply for SymPy" in p.stderr
    assert "operations" not in p.stderr  # not the size limit's words
    assert "Traceback" not in p.stderr


def test_extreme_literals_are_taken_at_their_float_values():
    start = time.monotonic()
    p = gradcli(
        "eval",
        "a*1e-999999 + 1e-99999999*b + 2e-400*a",
        "--a",
        "1",
        "--b",
        "2",
        "--symbolic",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - start < 60
    doc = json.loads(p.stdout)
    assert doc["gradient"] == {"a": 0.0, "b": 0.0}
    assert {name: s["formula_value"] for name, s in doc["symbolic"].items()} == {"a": 0.0, "b": 0.0}


def test_ordinary_literals_stay_exact():
    p = gradcli("eval", "0.1*a + 1e-5*b", "--a", "1", "--b", "2", "--symbolic", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["symbolic"]["a"]["formula"] == "1/10"
    assert doc["symbolic"]["b"]["formula"] == "1/100000"
