"""Every connection to the progress store is closed when its work ends, however it ends.

Python 3.13 warns (ResourceWarning: unclosed database) for a SQLite connection left to
the garbage collector; the suite turns that warning into an error (pyproject's
filterwarnings). Here each connection the store opens is watched, and must be closed
deterministically: at the end of a `with` block, when an opening is stopped half-way
(Ctrl-C while kept answers are merged), and by every command that opens one, whatever
way the command ends.
"""

from __future__ import annotations

import sqlite3
import sys

import pytest

from gradcli.tutor import progress
from gradcli.tutor.progress import Recorder, Store

SCRIPT = """
title = "t"
[[question]]
id = "da"
program = "x = a * b\\nf = 2 * x"
inputs = { a = 2, b = 3 }
ask = "grad a"
"""


@pytest.fixture
def opened(monkeypatch):
    """Every connection the store opens from now on; `.closed` says whether it was."""
    made = []
    connect = sqlite3.connect

    class Watched(sqlite3.Connection):
        closed = False

        def close(self):
            self.closed = True
            super().close()

    def watched(*args, **kwargs):
        con = connect(*args, factory=Watched, **kwargs)
        made.append(con)
        return con

    monkeypatch.setattr(progress.sqlite3, "connect", watched)
    return made


def test_a_store_in_a_with_block_is_closed_at_its_end(tmp_path, opened):
    with Store(tmp_path / "p.sqlite3") as store:
        assert store.count() == 0
    with pytest.raises(RuntimeError), Store(tmp_path / "p.sqlite3"):
        raise RuntimeError("the block failed")
    assert len(opened) == 2 and all(con.closed for con in opened)
    with pytest.raises(sqlite3.ProgrammingError):
        store.count()  # closed, not merely forgotten


def test_a_recorder_in_a_with_block_is_closed_at_its_end(tmp_path, opened):
    with Recorder(tmp_path / "p.sqlite3") as recorder:
        assert recorder.store is not None
    assert len(opened) == 1 and opened[0].closed


def test_an_opening_stopped_half_way_closes_its_connection(tmp_path, opened, monkeypatch):
    """Ctrl-C while answers kept in a fallback file are taken in: not a sqlite3 error,
    and the connection was left open."""
    db = tmp_path / "p.sqlite3"
    (tmp_path / "p.sqlite3.unsaved-1.jsonl").write_text("{}\n")

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(progress, "read_jsonl", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Store(db)
    assert len(opened) == 1 and opened[0].closed
    assert (tmp_path / "p.sqlite3.unsaved-1.jsonl").exists()  # kept for the next opening


def test_every_command_closes_the_store_it_opened(cli, tmp_path, opened, monkeypatch):
    db = str(tmp_path / "p.sqlite3")
    script = tmp_path / "q.toml"
    script.write_text(SCRIPT)
    runs = [
        (["quiz", "--db", db, "--script", str(script), "--answers", "-"], "6\n", 0),
        (["progress", "--db", db], None, 0),
        (["progress", "--db", db, "--json"], None, 0),
        (["progress", "--db", db, "--export", str(tmp_path / "a.json")], None, 0),
        (["quiz", "--db", db, "--review", "--answers", "-"], "skip\n", 2),  # nothing to review
        (["progress", "--db", db, "--reset"], None, 2),  # no terminal to ask
        (["progress", "--db", db, "--reset", "--yes"], None, 0),
    ]
    for args, answers, code in runs:
        before = len(opened)
        r = cli(*args, input=answers)
        assert r.exit_code == code, (args, r.output)
        assert len(opened) > before, args
        assert all(con.closed for con in opened), args


def test_ctrl_c_during_a_quiz_closes_the_store(cli, tmp_path, opened, monkeypatch):
    script = tmp_path / "q.toml"
    script.write_text(SCRIPT)

    def interrupted(self, q, outcome, seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(Recorder, "record", interrupted)
    r = cli(
        "quiz",
        "--db",
        str(tmp_path / "p.sqlite3"),
        "--script",
        str(script),
        "--answers",
        "-",
        input="6\n",
    )
    assert r.exit_code == 130, r.output
    assert len(opened) == 1 and opened[0].closed


def test_ctrl_c_at_the_reset_question_closes_the_store(tmp_path, opened, monkeypatch):
    """`progress --reset` asks at a terminal; Ctrl-C there leaves nothing open."""
    from gradcli.cli.commands.progress import _reset

    db = tmp_path / "p.sqlite3"
    Store(db).close()

    class Terminal:
        def isatty(self):
            return True

        def readline(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(sys, "stdin", Terminal())
    with pytest.raises(KeyboardInterrupt):
        _reset(db, yes=False)
    assert len(opened) == 2 and all(con.closed for con in opened)
