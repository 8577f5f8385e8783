"""Graphviz is bounded (issue 14): a graph over the documented size is refused before `dot`
starts, `dot` gets limited time and memory, and it never outlives gradcli."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradcli.emit import graphviz

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def fan_out_chain(n: int) -> str:
    """Every step uses the same two inputs: crossing edges, slow for dot to lay out
    (measured: 30 statements ~12 s)."""
    return "\n".join(["x0 = a*b"] + [f"x{i} = x{i - 1}*a + b" for i in range(1, n)])


def run(program_file: Path, out: Path, env=None, **kw):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gradcli",
            "graph",
            "-f",
            str(program_file),
            "--a",
            "1.01",
            "--b",
            "0.5",
            "-o",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        **kw,
    )


def children_named(pid: int, name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if comm == name and ppid == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def wait_for_dot(proc) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = children_named(proc.pid, "dot")
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("dot never started")


def wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_graph_over_the_documented_size_is_refused_before_dot_starts(tmp_path):
    n = graphviz.MAX_EDGES + 1
    program = tmp_path / "long.grad"
    program.write_text("\n".join(["x0 = sin(a)"] + [f"x{i} = sin(x{i - 1})" for i in range(1, n)]))
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradcli",
            "graph",
            "-f",
            str(program),
            "--a",
            "1",
            "-o",
            str(tmp_path / "g.svg"),
            "--format",
            "svg",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": "/nonexistent:" + os.environ["PATH"]},
    )
    assert p.returncode == 1
    assert f"has {n} edges, more than the {graphviz.MAX_EDGES}" in p.stderr
    assert "--format dot" in p.stderr and "--depth" in p.stderr
    assert not (tmp_path / "g.svg").exists()
    # The README documents the same number.
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"{graphviz.MAX_EDGES} edges" in readme


def test_dot_gets_a_time_limit(tmp_path):
    program = tmp_path / "p.grad"
    program.write_text(fan_out_chain(40))
    start = time.monotonic()
    proc = run(program, tmp_path / "g.svg", env={"GRADCLI_DOT_SECONDS": "1"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Graphviz took more than 1 s" in err
    assert time.monotonic() - start < 30
    assert not (tmp_path / "g.svg").exists()


def test_dot_gets_a_memory_limit(tmp_path):
    """1 MB of address space: dot cannot even load its libraries, on any build."""
    program = tmp_path / "p.grad"
    program.write_text(fan_out_chain(3))
    proc = run(program, tmp_path / "g.svg", env={"GRADCLI_DOT_MEMORY_MB": "1"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "within the limits gradcli gives it: 60 s and 1 MB" in err
    assert "Traceback" not in err
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    "sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, None), (signal.SIGKILL, -signal.SIGKILL)]
)
def test_dot_never_outlives_gradcli(tmp_path, sig, status):
    program = tmp_path / "p.grad"
    program.write_text(fan_out_chain(40))
    proc = run(program, tmp_path / "g.svg")
    dot = wait_for_dot(proc)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    if status is not None:
        assert proc.returncode == status
    assert wait_gone(dot), "dot is still running after gradcli ended"
    assert not (tmp_path / "g.svg").exists()
