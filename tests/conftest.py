import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradcli.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


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
    return subprocess.run([sys.executable, "-m", "gradcli", *args], input=input,
                          capture_output=True, text=True, cwd=cwd, env=full_env,
                          timeout=timeout)
