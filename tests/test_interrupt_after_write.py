"""Ctrl-C delivered just after a file written with -o or --export was renamed into place.

The rename is the moment the file is complete: a Ctrl-C after it no longer loses the
file, so gradcli exits 130 (interrupted) and says the file was written whole, never that
it was not (or nothing, which a user reads as "lost"). A sitecustomize hook sends SIGINT
to the process itself as the rename returns, so the signal is handled there every time
(as tests/test_json_style.py's Ctrl-C test does); a Ctrl-C before the rename keeps the
old file and no temporary one (tests/attack/test_files_kept.py).
"""

from __future__ import annotations

import json

import pytest
from conftest import run_gradcli

INTERRUPT_AFTER_RENAME = """
import os, signal

_replace = os.replace

def replace(src, dst, *args, **kwargs):
    _replace(src, dst, *args, **kwargs)
    if os.path.basename(str(dst)).startswith("out."):
        os.kill(os.getpid(), signal.SIGINT)  # handled as the rename returns

os.replace = replace
"""

RUNS = [
    ["code", "a*b + sin(a)", "--a", "1", "--b", "2", "-o", "out.py"],
    ["explain", "a*b + sin(a)", "--a", "1", "--b", "2", "--export", "out.md"],
    ["graph", "a*b", "--a", "1", "--b", "2", "-o", "out.dot"],
]


@pytest.mark.parametrize("args", RUNS, ids=lambda a: a[0])
def test_ctrl_c_after_the_rename_says_the_file_is_complete(tmp_path, args):
    plain, hooked = tmp_path / "plain", tmp_path / "hooked"
    plain.mkdir()
    hooked.mkdir()
    (tmp_path / "sitecustomize.py").write_text(INTERRUPT_AFTER_RENAME)
    want = run_gradcli(*args, cwd=plain)
    assert want.returncode == 0, want.stderr
    r = run_gradcli(*args, cwd=hooked, env={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 130, r.stderr
    name = args[-1]
    assert (hooked / name).read_bytes() == (plain / name).read_bytes()
    assert sorted(p.name for p in hooked.iterdir()) == [name]  # no temporary file left
    assert (
        r.stderr == f"interrupted: {name} was written whole before the interrupt; it is complete\n"
    )
    assert "Traceback" not in r.stderr


def test_ctrl_c_after_the_rename_under_json(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(INTERRUPT_AFTER_RENAME)
    args = ["graph", "a*b", "--a", "1", "--b", "2", "-o", "out.dot", "--json"]
    r = run_gradcli(*args, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 130 and r.stdout == "", r.stderr
    doc = json.loads(r.stderr)
    assert (doc["error"], doc["exit"]) == ("interrupted", 130)
    assert doc["detail"] == "out.dot was written whole before the interrupt; it is complete"
    written = json.loads((tmp_path / "out.dot").read_text())  # --json: the document, whole
    assert written["schema"] == "gradcli.graph/1" and written["value"] == 2.0


def test_a_write_interrupted_before_the_rename_reports_no_file(tmp_path, monkeypatch):
    """Ctrl-C while the temporary file is synced: nothing is put in place, nothing is
    reported as written."""
    from gradcli.core import files

    monkeypatch.setattr(files, "written", [])

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_file(str(tmp_path / "out.py"), b"x\n")
    assert files.written == [] and list(tmp_path.iterdir()) == []
