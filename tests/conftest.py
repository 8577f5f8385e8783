import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser from PyPI, a dependency there
    import tomli as tomllib

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from gradcli.cli.app import app

# A suite started as a shell's background job (`cmd &` without job control) inherits SIGINT
# ignored, and one started under nohup SIGHUP, and so would every gradcli it starts (which
# rightly keeps a signal its caller ignores): the tests that press Ctrl-C or hang up need
# them as a terminal delivers them. A Python handler is reset to the default at exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)

ROOT = Path(__file__).resolve().parent.parent
# Quizzes record every answer (gradcli progress): the tests' go to a store of their own,
# never to the store of whoever runs them.
_STORE_DIR = tempfile.mkdtemp(prefix="gradcli-tests-")
atexit.register(shutil.rmtree, _STORE_DIR, True)
os.environ["GRADCLI_DB"] = os.path.join(_STORE_DIR, "progress.sqlite3")
SHARED = ROOT.parent / "shared"
ACCEPTANCE_CASES = SHARED / "acceptance" / "cases.toml"


def acceptance_cases() -> list:
    """The worked examples of ../shared/acceptance; none when it is not beside the repository."""
    if not ACCEPTANCE_CASES.exists():
        return []
    return tomllib.loads(ACCEPTANCE_CASES.read_text(encoding="utf-8"))["case"]


# Hypothesis profiles. "ci", the default, makes every run see the same examples: the
# seed comes from each test's own code (derandomize), nothing is replayed from a local
# database, and nothing depends on timing (no deadline, no too-slow health check), so a
# run passes or fails the same on any machine and under any load. "explore" draws new
# examples on each run (or from --hypothesis-seed=N) and keeps failures in .hypothesis/
# to hunt for bugs; pin what it finds with @example. Pick one with HYPOTHESIS_PROFILE;
# GRADCLI_EXAMPLES=10 multiplies every property test's example count by ten.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore", deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
_SCALE = float(os.environ.get("GRADCLI_EXAMPLES", "1"))

# SymPy's time budget (modes/symbolic.py) is for users; a machine under load must not turn a
# slow symbolic test into a budget failure. tests/test_symbolic_limits.py sets its own.
os.environ.setdefault("GRADCLI_SYMBOLIC_SECONDS", "900")


def examples(n: int) -> int:
    """A property test's example count, scaled by GRADCLI_EXAMPLES."""
    return max(1, round(n * _SCALE))


class Cli:
    """Drive the real typer app in-process; stdout and stderr kept apart."""

    def __init__(self):
        # Wide enough that table rows never wrap, whatever terminal pytest runs in.
        self.runner = CliRunner(env={"COLUMNS": "200"})

    def __call__(self, *args, input=None):
        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cli():
    return Cli()


def run_gradcli(*args, input=None, cwd=None, env=None, timeout=120):
    """The CLI as a separate process, as a user runs it (piped, so no terminal)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )
