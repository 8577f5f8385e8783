"""Files a user keeps are never lost or half-written (issue 14): -o and --export replace a
file only when the new content is whole; a command never writes over a file it reads."""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

BIG = "\n".join(["x0 = a*b"] + [f"x{i} = sin(x{i - 1})*a + b" for i in range(1, 400)])


def gradcli(*args, fsize=None, cwd=None):
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        preexec_fn=limit if fsize else None,
        timeout=120,
    )


def leftovers(folder: Path, keep: set) -> set:
    return {p.name for p in folder.iterdir()} - keep


@pytest.mark.parametrize(
    "command",
    [
        ["code", "--lang", "python", "-o", "{out}"],
        ["graph", "--format", "dot", "-o", "{out}"],
        ["explain", "--export", "{out}", "--no-pause"],
    ],
)
def test_a_file_size_limit_leaves_the_old_file_whole(tmp_path, command):
    program = tmp_path / "big.grad"
    program.write_text(BIG)
    suffix = ".md" if "explain" in command else ".txt"
    out = tmp_path / f"kept{suffix}"
    old = b"precious\n" * 20000  # 180 KB, written before the limit applies
    out.write_bytes(old)
    args = [a.replace("{out}", str(out)) for a in command]
    p = gradcli(args[0], "-f", str(program), "--a", "1.01", "--b", "0.5", *args[1:], fsize=50_000)
    assert p.returncode != 0, "the new content is over the limit: the write must fail"
    assert "cannot write" in p.stderr and "unchanged" in p.stderr, p.stderr
    assert "Traceback" not in p.stderr
    assert out.read_bytes() == old
    assert leftovers(tmp_path, {"big.grad", out.name}) == set(), "no temporary file left"


def test_a_new_file_is_written_whole_with_the_usual_permissions(tmp_path):
    out = tmp_path / "new.py"
    p = gradcli("code", "x = a*b", "--a", "2", "--b", "3", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "def " in out.read_text() or "a = 2" in out.read_text()
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert leftovers(tmp_path, {"new.py"}) == set()


def test_a_replaced_file_keeps_its_permissions_and_its_symlink(tmp_path):
    real = tmp_path / "real.dot"
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    p = gradcli("graph", "a*b", "--a", "2", "--b", "3", "-o", str(link))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink()
    assert real.read_text().startswith("digraph")
    assert real.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "command, option",
    [
        (["code", "-f", "{prog}", "-o", "{prog}"], "-o"),
        (["graph", "-f", "{prog}", "--format", "dot", "-o", "{prog}"], "-o"),
        (["explain", "-f", "{prog}", "--export", "{prog}"], "--export"),
        (["code", "-f", "{prog}", "--values", "{vals}", "-o", "{vals}"], "-o"),
    ],
)
def test_a_command_never_writes_over_a_file_it_reads(tmp_path, command, option):
    prog = tmp_path / "prog.md"
    prog.write_text("x = a*b\nf = x + 1\n")
    vals = tmp_path / "vals.json"
    vals.write_text('{"a": 1, "b": 2}')
    args = [a.replace("{prog}", str(prog)).replace("{vals}", str(vals)) for a in command]
    if "--values" not in args:
        args += ["--a", "1", "--b", "2"]
    before = (prog.read_bytes(), vals.read_bytes())
    p = gradcli(*args)
    assert p.returncode == 2
    assert f"{option} " in p.stderr and "that is the file this command reads" in p.stderr
    assert (prog.read_bytes(), vals.read_bytes()) == before


def test_the_same_file_by_another_name_is_refused_too(tmp_path):
    prog = tmp_path / "prog.grad"
    prog.write_text("x = a*b\n")
    p = (
        gradcli(
            "code",
            "-f",
            "prog.grad",
            "--a",
            "1",
            "--b",
            "2",
            "-o",
            "./sub/../prog.grad",
            cwd=tmp_path,
        )
        if (tmp_path / "sub").mkdir() is None
        else None
    )
    assert p.returncode == 2
    assert prog.read_text() == "x = a*b\n"
