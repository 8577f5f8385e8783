"""The shell around the commands: help, version, signals and widths (closed and failing
standard streams are in the attack suite, tests/attack/test_streams.py).

Most tests run gradcli as a separate process, as a user does: closed and failing streams,
signals and start-up only exist there. Terminal behaviour is checked at a real
pseudo-terminal (pexpect)."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_gradcli

import gradcli

COMMANDS = ("eval", "graph", "code", "explain")  # quiz has no program: -h was always help
SCRIPT = Path(sys.executable).parent / "gradcli"  # the installed console script


def words(text: str) -> str:
    """Help text with its line wrapping undone."""
    return " ".join(text.split())


def gradcli_argv(*args) -> list:
    return [sys.executable, "-m", "gradcli", *args]


# --- -h, --help, --version ----------------------------------------------------------------
@pytest.mark.parametrize("command", COMMANDS)
def test_a_lone_minus_h_is_help_for_every_command(cli, command):
    r = cli(command, "-h")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Usage: ") and f" {command} [OPTIONS]" in r.stdout.split("\n")[0]


def test_minus_h_is_help_at_the_top_level_and_after_a_program(cli):
    r = cli("-h")
    assert r.exit_code == 0 and "Commands:" in r.stdout
    r = cli("eval", "a*b", "--a", "2", "--b", "3", "-h")
    assert r.exit_code == 0 and " eval [OPTIONS]" in r.stdout.split("\n")[0]
    # A program starting with -h, an input named h, and -h after "--" are not help.
    assert json.loads(cli("eval", "-h*2", "--h", "2", "--json").stdout)["value"] == -4.0
    assert json.loads(cli("eval", "h*3", "--h", "2", "--json").stdout)["value"] == 6.0
    assert json.loads(cli("eval", "--json", "--", "-h", "--h", "2").stdout)["value"] == -2.0
    r = cli("eval", "a*2", "--a", "-h")  # an input's value: read (and refused) as a value
    assert r.exit_code == 2 and "Usage" not in r.stdout and "'-h'" in r.stderr


def test_version_long_and_short():
    for flag in ("--version", "-V"):
        r = run_gradcli(flag)
        assert r.returncode == 0 and r.stdout == f"gradcli {gradcli.__version__}\n", flag


def test_top_level_help_shows_each_command_summary_whole():
    from typer.main import get_command

    from gradcli.cli.app import app

    out = words(run_gradcli("--help", env={"COLUMNS": "80"}).stdout.split("Commands:")[1])
    group = get_command(app)
    for name, command in group.commands.items():
        first = command.help.strip().split("\n")[0]
        assert first in out, name
    assert "..." not in out


def test_eval_help_lists_the_functions_of_the_op_tables(cli):
    from gradcli.core.ops import FUNCTIONS
    from gradcli.core.tensor_ops import CONSTRUCTORS, TENSOR_CALLS

    out = cli("eval", "--help").stdout
    for name in (*FUNCTIONS, *TENSOR_CALLS, *CONSTRUCTORS):
        assert re.search(rf"(^|[ ,]){re.escape(name)}\(", out, re.M), name
    for op in FUNCTIONS.values():
        assert words(op.about) in words(out), op.name


def test_explain_help_lists_the_topics(cli):
    from gradcli.tutor.topics import TOPICS

    out = words(cli("explain", "--help").stdout)
    for t in TOPICS.values():
        assert f"{t.name} {words(t.summary)}" in out, t.name


# --- misspelt options ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "command, args, hint",
    [
        ("graph", ["--output", "g.svg"], "use -o/--out g.svg"),
        ("code", ["--output", "c.py"], "use -o/--out c.py"),
        ("explain", ["--output", "walk.md"], "use --export walk.md"),
        ("eval", ["--output", "out.json"], "redirect it: > out.json"),
        ("graph", ["--o", "g.svg"], "did you mean '-o'?"),
        ("graph", ["--formt", "svg"], "did you mean '--format'"),
        ("graph", ["--fromat=svg"], "did you mean '--format'"),
        ("code", ["--language", "js"], "did you mean '--lang'?"),
        ("graph", ["--outfile", "g.svg"], "'--out'"),
    ],
)
def test_an_option_that_is_not_there_suggests_the_real_one(cli, command, args, hint):
    r = cli(command, "a*b", "--a", "2", "--b", "3", *args)
    assert r.exit_code == 2, r.stdout
    assert hint in r.stderr
    assert "no value named" not in r.stderr.split("\n")[0] or "--output names" in r.stderr
    # --o 2 and --dept 3 are values a program may use; only an unreadable value is a slip.
    r = cli("eval", "o*dept", "--o", "2", "--dept", "3", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["value"] == 6.0


# --- Ctrl-C while starting ----------------------------------------------------------------
INTERRUPT_AT_IMPORT = """
import os, signal, sys

class _Interrupt:
    # Ctrl-C arrives while gradcli imports typer: the signal is sent by the process to
    # itself, so it is delivered there, at that import, every time.
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, _Interrupt())
"""


@pytest.mark.parametrize("entry", ["module", "script"])
def test_ctrl_c_while_starting_exits_130_quietly(tmp_path, entry):
    (tmp_path / "sitecustomize.py").write_text(INTERRUPT_AT_IMPORT)
    if entry == "script":
        if not SCRIPT.exists():
            pytest.skip("no console script beside the interpreter")
        argv = [str(SCRIPT), "eval", "a*b", "--a", "1", "--b", "2"]
    else:
        argv = gradcli_argv("eval", "a*b", "--a", "1", "--b", "2")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    r = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert r.returncode == 130, r.stderr
    assert r.stderr == "" and r.stdout == ""


# --- the pager and signals ----------------------------------------------------------------
pexpect = pytest.importorskip("pexpect")


def spawn(args, rows=50, env=None):
    base = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    return pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", *args],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        dimensions=(rows, 100),
        env=dict(base, **(env or {})),
    )


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_during_the_pager_restores_the_terminal(name):
    import termios

    number = getattr(signal, name)
    child = spawn(["explain"])
    child.expect(r"\[Enter\] next")
    # The pager reads keys in cbreak mode: no echo while it waits (the pty's settings,
    # read from the test's side).
    assert not termios.tcgetattr(child.child_fd)[3] & termios.ECHO
    child.kill(number)
    child.expect(pexpect.EOF)
    lflag = termios.tcgetattr(child.child_fd)[3]
    child.close()
    assert lflag & termios.ECHO and lflag & termios.ICANON
    assert child.exitstatus == 128 + number, (child.exitstatus, child.signalstatus)


def test_without_termios_the_pager_prints_every_step(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['termios'] = None  # as on Windows: import termios fails\n"
    )
    child = spawn(["explain"], env={"PYTHONPATH": str(tmp_path)})
    child.expect(r"\(8/8\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "[Enter]" not in child.before and "Traceback" not in child.before


# --- widths -------------------------------------------------------------------------------
@pytest.mark.parametrize("columns", ["0", "1", "12"])
def test_a_tiny_columns_at_a_terminal_is_the_minimum_width(columns):
    from gradcli.cli.fit import MIN_WIDTH

    child = spawn(["eval", "a*b", "--a", "1", "--b", "2", "--check"], env={"COLUMNS": columns})
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    assert "Forward pass (one primitive per step)" in out and "Result" in out
    assert max(len(line.rstrip("\r")) for line in out.split("\n")) <= MIN_WIDTH + 10


@pytest.mark.parametrize("columns", ["0", "5"])
def test_a_tiny_columns_when_piped_is_the_minimum_width(columns):
    r = run_gradcli("eval", "a*b", "--a", "1", "--b", "2", env={"COLUMNS": columns})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert "Forward pass (one primitive per step)" in lines
    assert any(re.search(r"^\s*3\s+f\s+f = a \* b\b", line) for line in lines)


# --- text that is not UTF-8 ---------------------------------------------------------------
@pytest.mark.parametrize(
    "args", [["code", "-o", "{dir}/out.py"], ["explain", "--export", "{dir}/walk.md"], ["eval"]]
)
def test_a_program_argument_that_is_not_utf8_is_refused_at_its_byte(tmp_path, args):
    argv = [a.replace("{dir}", str(tmp_path)) for a in args]
    r = subprocess.run(
        [sys.executable, "-m", "gradcli", *argv, b"a*b # \xff", "--a", "1", "--b", "2"],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode == 2, err
    assert "the program is not UTF-8 text (byte 6)" in err
    assert not (tmp_path / "out.py").exists() and not (tmp_path / "walk.md").exists()
