"""Files a user keeps are never lost or half-written (issue 14): -o and --export replace a
file only when the new content is whole; a command never writes over a file it reads."""

import os
import resource
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from attack import harness

BIG = "\n".join(["x0 = a*b"] + [f"x{i} = sin(x{i - 1})*a + b" for i in range(1, 400)])
VALUES = ["--a", "1.01", "--b", "0.5"]
QUIZ = str(Path(__file__).resolve().parent / "data" / "plain_quiz.toml")


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


# (what, arguments, the file's suffix, the file-size limit): every file gradcli writes.
WRITERS = [
    ("code -o", ["code", "-f", "{prog}", *VALUES, "--lang", "python", "-o", "{out}"], ".py"),
    ("code --json -o", ["code", "-f", "{prog}", *VALUES, "--json", "-o", "{out}"], ".json"),
    ("graph -o dot", ["graph", "-f", "{prog}", *VALUES, "--format", "dot", "-o", "{out}"], ".dot"),
    ("graph -o svg", ["graph", "-f", "{small}", *VALUES, "--format", "svg", "-o", "{out}"], ".svg"),
    ("explain --export", ["explain", "-f", "{prog}", *VALUES, "--export", "{out}"], ".md"),
    ("plot -o svg", ["plot", "-f", "{small}", *VALUES, "--along", "a", "-o", "{out}"], ".svg"),
    (
        "plot --json -o",
        ["plot", "-f", "{small}", *VALUES, "--along", "a", "--json", "-o", "{out}"],
        ".json",
    ),
    ("progress --export csv", ["progress", "--export", "{out}"], ".csv"),
    ("progress --export json", ["progress", "--export", "{out}"], ".json"),
]
# Bytes: under every new file above; for progress, over the store's own files (SQLite's
# 32 KB shared-memory file beside it), so the export is what fails.
LIMIT, STORE_LIMIT = 2_000, 40_000


def store_of(path: Path, answers: int) -> dict:
    """A progress store holding `answers` answers (one real quiz answer, copied), all in
    the store's own file: its environment."""
    env = {"GRADCLI_DB": str(path)}
    r = harness.run(["quiz", "--script", QUIZ, "--answers", "/dev/stdin"], input="7\n", env=env)
    assert r.returncode in (0, 1), r.stderr
    # sqlite3's own `with` commits but does not close: closing() does.
    with closing(sqlite3.connect(path)) as db, db:
        columns = [c[1] for c in db.execute("PRAGMA table_info(answers)") if c[1] != "id"]
        (row,) = db.execute(f"SELECT {', '.join(columns)} FROM answers").fetchall()
        uid = columns.index("uid")
        db.executemany(
            f"INSERT INTO answers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[:uid] + (f"{i:032x}",) + row[uid + 1 :] for i in range(answers - 1)],
        )
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return env


def test_a_file_size_limit_leaves_the_old_file_whole_on_every_writer(tmp_path):
    """A full disk, made by a file-size limit (RLIMIT_FSIZE) on the run: each command's
    new content is over the limit, so the write fails; the old file, 180 KB written
    before, is whole, and no temporary file is left."""
    prog = tmp_path / "big.grad"
    prog.write_text(BIG)
    small = tmp_path / "small.grad"
    small.write_text("x = a*b\nf = sin(x) + b\n")
    env = store_of(tmp_path / "progress.sqlite3", 300)
    copies = tmp_path / "copies"  # a store for each export, so no two runs share one
    copies.mkdir()
    old = b"precious\n" * 20000  # 180 KB, written before the limit applies
    jobs, outs = [], []
    for n, (what, command, suffix) in enumerate(WRITERS):
        out = tmp_path / f"kept{n}{suffix}"
        out.write_bytes(old)
        outs.append(out)
        args = [
            a.replace("{prog}", str(prog)).replace("{small}", str(small)).replace("{out}", str(out))
            for a in command
        ]
        jobs.append(
            lambda args=args, what=what: harness.run(args, env=env, fsize=LIMIT, label=what)
        )
    runs = harness.run_all(jobs)
    failures = {}
    for (what, _, _), out, r in zip(WRITERS, outs, runs):
        if "the disk is full, or a limit on file sizes" in r.stderr:
            pass  # SQLite's own temporary files met the limit first: said so, as it is
        elif r.returncode == 0 or "cannot write" not in r.stderr or "unchanged" not in r.stderr:
            failures[what] = (r.returncode, r.stderr[-300:])
        if "Traceback" in r.stderr or out.read_bytes() != old:
            failures[what] = "a traceback, or the old file changed"
    assert not failures, failures
    kept = {"big.grad", "small.grad", "copies", "progress.sqlite3", "progress.sqlite3-wal"}
    kept |= {"progress.sqlite3-shm"} | {o.name for o in outs}
    assert leftovers(tmp_path, kept) == set(), "no temporary file left"


def test_a_full_disk_never_calls_the_progress_store_damaged(tmp_path):
    """A file-size limit too small for SQLite's files beside the store: the store cannot be
    opened, and gradcli says why, not that the store is damaged and should be moved aside
    (nor does --reset remove it as a damaged store)."""
    store = tmp_path / "progress.sqlite3"
    env = {"GRADCLI_DB": str(store)}
    for answer in ("7\n", "3\n"):  # a store as gradcli leaves it
        r = harness.run(
            ["quiz", "--script", QUIZ, "--answers", "/dev/stdin"], input=answer, env=env
        )
        assert r.returncode in (0, 1), r.stderr
    before = store.read_bytes()
    runs = harness.run_all(
        [
            lambda args=args: harness.run(args, env=env, fsize=2_000)
            for args in (
                ["progress", "--export", str(tmp_path / "out.json")],
                ["progress"],
                ["progress", "--reset", "--yes"],
            )
        ]
    )
    for r in runs:
        assert r.returncode == 2, r.stderr
        assert "the disk is full, or a limit on file sizes was reached" in r.stderr, r.stderr
        assert "damaged" not in r.stderr and "aside" not in r.stderr, r.stderr
    assert store.read_bytes() == before


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


def test_ctrl_c_while_writing_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    """Ctrl-C between the temporary file and the rename (here: while it is synced) keeps
    the old file whole and removes the temporary one."""
    from gradcli.core import files

    target = tmp_path / "kept.py"
    target.write_text("old contents\n")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_file(str(target), b"new contents\n")
    assert target.read_text() == "old contents\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.py"]
