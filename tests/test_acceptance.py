"""The worked examples in ../shared/acceptance, through the real `gradcli eval --json`."""
import os
import subprocess
import sys
import tomllib

import pytest

from conftest import SHARED, run_gradcli

RUNNER = SHARED / "acceptance" / "run"
CASES = SHARED / "acceptance" / "cases.toml"


@pytest.mark.skipif(not RUNNER.exists(), reason="../shared/acceptance is not beside the repository")
def test_acceptance_runner_passes_every_case():
    env = dict(os.environ, GRADCLI=f"{sys.executable} -m gradcli")
    proc = subprocess.run([sys.executable, str(RUNNER)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].endswith(" 0 failed")


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
def test_every_acceptance_case_renders_tables_without_error():
    for case in tomllib.loads(CASES.read_text())["case"]:
        args = ["eval", case["program"]]
        for name, v in case.get("inputs", {}).items():
            args += [f"--{name}", repr(float(v))]
        proc = run_gradcli(*args)
        assert proc.returncode == 0, (case["id"], proc.stderr)
        assert "Backward pass" in proc.stdout
