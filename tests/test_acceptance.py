"""The worked examples in ../shared/acceptance, through the real `gradcli eval --json`."""

import os
import subprocess
import sys

import pytest
from conftest import SHARED, acceptance_cases, run_gradcli

RUNNER = SHARED / "acceptance" / "run"
CASES = SHARED / "acceptance" / "cases.toml"


@pytest.mark.skipif(not RUNNER.exists(), reason="../shared/acceptance is not beside the repository")
def test_acceptance_runner_passes_every_case(tmp_path):
    env = dict(os.environ, GRADCLI=f"{sys.executable} -m gradcli")
    if sys.version_info < (3, 11):
        # The runner imports tomllib (3.11+); on 3.10 tomli, the same parser, stands in.
        (tmp_path / "tomllib.py").write_text("from tomli import *  # noqa: F401,F403\n")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, str(RUNNER)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].endswith(" 0 failed")


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
def test_every_acceptance_case_renders_tables_without_error():
    for case in acceptance_cases():
        args = ["eval", case["program"]]
        for name, v in case.get("inputs", {}).items():
            args += [f"--{name}", repr(float(v))]
        proc = run_gradcli(*args)
        assert proc.returncode == 0, (case["id"], proc.stderr)
        assert "Backward pass" in proc.stdout
