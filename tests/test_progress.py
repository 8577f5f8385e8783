"""Quiz progress: the SQLite store, `gradcli progress`, `gradcli quiz --review`."""

import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import ExitStack, closing
from pathlib import Path

import pytest
from conftest import run_gradcli

from gradcli.tutor.misconceptions import predictions
from gradcli.tutor.progress import MIGRATIONS, Store, answer_row
from gradcli.tutor.quiz import judge
from gradcli.tutor.quizgen import generate
from gradcli.tutor.review import INTERVALS, cards

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
title = "test"
[[question]]
id = "da"
program = "x = a * b\\nf = 2 * x"
inputs = { a = 2, b = 3 }
ask = "grad a"

[[question]]
id = "db"
program = "x = a * b\\nf = 2 * x"
inputs = { a = 4, b = 3 }
ask = "grad b"

[[question]]
id = "fan"
program = "x = a * b\\ny = a + c\\nf = x * y"
inputs = { a = 2, b = 3, c = 1 }
ask = "grad a"
"""
# Right (2·b = 6); divided (x̄/a = 2/4); one fan-out path only (b·y = 9).
ANSWERS = "6\n2/4\n9\n"


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text(SCRIPT)
    return str(path)


def quiz(db, *args, input=ANSWERS, env=None):
    return run_gradcli("quiz", "--db", str(db), *args, input=input, env=env)


def progress_json(db, *args, env=None):
    result = run_gradcli("progress", "--db", str(db), "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def exported(db, tmp_path, name="out.json"):
    out = tmp_path / name
    result = run_gradcli("progress", "--db", str(db), "--export", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())["answers"]


# --- recording ------------------------------------------------------------------------------
def test_scripted_quiz_is_recorded_and_summarised(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    result = quiz(db, "--script", script, "--answers", "-", "--json")
    assert result.returncode == 0, result.stderr
    s = progress_json(db)
    assert (s["answers"], s["right"], len(s["sessions"])) == (3, 1, 1)
    # --review draws on generated questions' topics; a quiz file's questions have none.
    assert s["store"] == str(db) and s["suggest"] == f"gradcli quiz --db {db}"
    made = {m["misconception"]: m["made"] for m in s["misconceptions"]}
    assert made["divided-instead-of-multiplied"] == 1
    assert made["missing-fan-out-sum"] == 1
    rows = exported(db, tmp_path)
    assert [r["question_id"] for r in rows] == ["da", "db", "fan"]
    first, second = rows[0], rows[1]
    assert first["program"] == "x = a * b\nf = 2 * x" and first["inputs"] == {"a": 2, "b": 3}
    assert first["ask"] == "grad a" and first["answer"] == "6" and first["correct"] is True
    assert second["answer"] == "2/4" and second["correct"] is False and second["value"] == 0.5
    assert second["misconceptions"] == ["divided-instead-of-multiplied"]
    assert "divided-instead-of-multiplied" in second["possible"]
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in rows)
    assert all(r["answered_at"].startswith("20") for r in rows)

    # A generated quiz records its level and topic; a skip counts as not right.
    result = quiz(
        db, "--seed", "4", "--topic", "relu", "--count", "2", "--answers", "-", input="skip\n1\n"
    )
    assert result.returncode == 0, result.stderr
    s = progress_json(db)
    assert s["answers"] == 5 and len(s["sessions"]) == 2
    assert s["suggest"] == f"gradcli quiz --review --db {db}"
    relu = next(t for t in s["topics"] if t["topic"] == "relu")
    assert (relu["seen"], relu["recent_seen"]) == (2, 2)
    rows = exported(db, tmp_path)
    assert rows[3]["skipped"] is True and rows[3]["answer"] is None
    assert rows[3]["level"] == 2 and rows[3]["topic"] == "relu"


def test_interactive_answers_are_recorded(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    db = tmp_path / "p.sqlite3"
    first = generate(1, 2, seed=1)[0]
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="dumb")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", "quiz", "--seed", "1", "--count", "2", "--db", str(db)],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )
    child.expect("Question 1 of 2")
    child.expect("> ")
    child.sendline(repr(first.expected))
    child.expect("Question 2 of 2")
    child.expect("> ")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    s = progress_json(db)
    assert (s["answers"], s["right"]) == (1, 1)
    assert s["topics"][0]["topic"] == first.topic


def test_no_save_leaves_the_store_untouched(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    assert quiz(db, "--script", script, "--answers", "-", "--no-save").returncode == 0
    assert not db.exists()
    assert quiz(db, "--script", script, "--answers", "-").returncode == 0
    before = exported(db, tmp_path)
    assert quiz(db, "--script", script, "--answers", "-", "--no-save").returncode == 0
    assert exported(db, tmp_path) == before and len(before) == 3


def test_where_the_store_lives(tmp_path, script):
    env = {k: v for k, v in os.environ.items() if k != "GRADCLI_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    for args in (("quiz", "--script", script, "--answers", "-"),):
        result = subprocess.run(
            [sys.executable, "-m", "gradcli", *args],
            input=ANSWERS,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    default = tmp_path / "data" / "gradcli" / "progress.sqlite3"
    assert default.exists()
    # GRADCLI_DB wins over XDG_DATA_HOME, --db over both.
    env["GRADCLI_DB"] = str(tmp_path / "env.sqlite3")
    subprocess.run(
        [sys.executable, "-m", "gradcli", "quiz", "--script", script, "--answers", "-"],
        input="6\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    result = subprocess.run(
        [sys.executable, "-m", "gradcli", "progress", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert json.loads(result.stdout)["answers"] == 1
    assert json.loads(result.stdout)["suggest"] == "gradcli quiz"
    assert progress_json(default)["answers"] == 3


def test_schema_is_versioned_in_wal_mode_and_migrates(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    # A store made by the first migration only, with an answer in it.
    with closing(sqlite3.connect(db)) as con:
        con.execute(MIGRATIONS[0])
        con.execute(
            "INSERT INTO answers (uid, answered_at, session, program, inputs, ask, "
            "expected, correct, skipped, misconceptions, possible, review) VALUES "
            "('u1', '2026-01-01T00:00:00+00:00', 's0', 'f = a', '{\"a\": 1}', 'grad a', "
            "1, 1, 0, '[]', '[]', 0)"
        )
        con.execute("PRAGMA user_version = 1")
        con.commit()
    assert quiz(db, "--script", script, "--answers", "-").returncode == 0
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT count(*) FROM answers").fetchone()[0] == 4
        con.execute("PRAGMA user_version = 99")
        con.commit()
    result = run_gradcli("progress", "--db", str(db))
    assert result.returncode == 2
    assert "schema is version 99" in result.stderr and "newer gradcli" in result.stderr


# --- two writers, a locked store, a damaged one ------------------------------------------------
def test_two_quiz_sessions_at_once_lose_nothing(tmp_path):
    db = tmp_path / "p.sqlite3"
    answers = tmp_path / "answers.txt"
    answers.write_text("1\n" * 40)
    cmd = [
        sys.executable,
        "-m",
        "gradcli",
        "quiz",
        "--db",
        str(db),
        "--count",
        "40",
        "--answers",
        str(answers),
        "--json",
        "--level",
        "1",
    ]
    # A generous busy timeout: the claim is that nothing is lost, not how fast a loaded
    # machine gets the lock (a store locked past the timeout goes to the fallback file).
    env = {**os.environ, "GRADCLI_DB_TIMEOUT": "120"}
    procs = [
        subprocess.Popen(
            cmd + ["--seed", str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for seed in (1, 2)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert err == "", err  # nothing went to a fallback file
    s = progress_json(db)
    assert s["answers"] == 80
    assert sorted(x["total"] for x in s["sessions"]) == [40, 40]
    assert not list(tmp_path.glob("*.unsaved-*"))
    uids = [r["uid"] for r in exported(db, tmp_path)]
    assert len(set(uids)) == 80


WRITER = """
import sys, time
from contextlib import ExitStack, closing
from pathlib import Path
from gradcli.tutor.progress import Store, answer_row
from gradcli.tutor.quiz import judge
from gradcli.tutor.quizgen import generate
q = generate(1, 1, seed=1)[0]
rows = [answer_row(q, judge(q, "1"), 0.0, sys.argv[2]) for _ in range(150)]
with Store(sys.argv[1]) as store:
    Path(sys.argv[3]).touch()
    while not Path(sys.argv[4]).exists():
        time.sleep(0.01)
    for row in rows:
        store.insert([row])
"""


def test_two_writers_released_together_lose_nothing(tmp_path):
    """Both writers are open and waiting before either writes; then 150 transactions each."""
    db = tmp_path / "p.sqlite3"
    go = tmp_path / "go"
    env = {**os.environ, "GRADCLI_DB_TIMEOUT": "120"}  # a loaded machine: wait, do not fail
    with ExitStack() as stack:  # each writer's stderr pipe is closed at the end
        procs = [
            stack.enter_context(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WRITER,
                        str(db),
                        name,
                        str(tmp_path / f"ready-{name}"),
                        str(go),
                    ],
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
            for name in ("a", "b")
        ]
        for name in ("a", "b"):
            while not (tmp_path / f"ready-{name}").exists():
                assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs]
                time.sleep(0.02)
        go.touch()
        for p in procs:
            assert p.wait(timeout=300) == 0, p.stderr.read()
    with closing(sqlite3.connect(db)) as con:
        counts = dict(con.execute("SELECT session, count(*) FROM answers GROUP BY session"))
    assert counts == {"a": 150, "b": 150}


def test_a_locked_store_keeps_the_answers_and_takes_them_in_later(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    with Store(db):
        pass
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        try:
            result = quiz(
                db,
                "--script",
                script,
                "--answers",
                "-",
                "--json",
                env={"GRADCLI_DB_TIMEOUT": "0.2"},
            )
        finally:
            holder.execute("ROLLBACK")
    assert result.returncode == 0
    assert json.loads(result.stdout)["score"] == 1
    kept = list(tmp_path.glob("p.sqlite3.unsaved-*.jsonl"))
    assert len(kept) == 1
    assert "database is locked" in result.stderr
    assert f"the 3 answers of this quiz were kept in {kept[0]}" in result.stderr
    assert len(kept[0].read_text().splitlines()) == 3
    result = run_gradcli("progress", "--db", str(db), "--json")
    assert json.loads(result.stdout)["answers"] == 3
    assert f"added 3 answers kept in {kept[0]}" in result.stderr
    assert not kept[0].exists()


def test_a_damaged_store_says_so_and_keeps_the_answers(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    db.write_bytes(bytes(range(256)) * 40)
    result = quiz(db, "--script", script, "--answers", "-", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"cannot use the progress store {db}: file is not a database" in result.stderr
    kept = list(tmp_path.glob("p.sqlite3.unsaved-*.jsonl"))
    assert len(kept) == 1 and f"kept in {kept[0]}" in result.stderr
    assert [json.loads(line)["answer"] for line in kept[0].read_text().splitlines()] == [
        "6",
        "2/4",
        "9",
    ]
    result = run_gradcli("progress", "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: cannot use the progress store {db}: file is not a database"
    )
    assert "move it aside" in result.stderr
    # Moved aside: a new store starts and the kept answers go into it.
    db.rename(tmp_path / "damaged")
    s = progress_json(db)
    assert s["answers"] == 3 and s["right"] == 1
    assert not list(tmp_path.glob("p.sqlite3.unsaved-*"))


# --- progress: the summary at the terminal -------------------------------------------------------
def test_progress_text_chart_and_weakest_spots(tmp_path, script):
    db = tmp_path / "my store.sqlite3"
    assert quiz(db, "--script", script, "--answers", "-").returncode == 0
    assert quiz(db, "--script", script, "--answers", "-", input="6\n8\n15\n").returncode == 0
    result = run_gradcli(
        "progress", "--db", str(db), env={"PYTHONIOENCODING": "utf-8", "COLUMNS": "300"}
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Progress: 6 answers in 2 quiz sessions, 4 right" in out
    # One block per session: 1 of 3 right, then 3 of 3.
    assert "Accuracy per quiz session (oldest first): ▃█" in out
    assert "divided-instead-of-multiplied" in out
    assert "Weakest spots" in out
    assert "Practise them:\ngradcli quiz --db '" + str(db) + "'\n" in out
    result = run_gradcli("progress", "--db", str(db), "--ascii")
    assert "Accuracy per quiz session (oldest first): ,#" in result.stdout
    assert "█" not in result.stdout
    empty = run_gradcli("progress", "--db", str(tmp_path / "none.sqlite3"))
    assert empty.returncode == 0 and "No answers are recorded" in empty.stdout
    assert not (tmp_path / "none.sqlite3").exists()


def test_trend_compares_the_last_ten_with_the_ten_before(tmp_path):
    db = tmp_path / "p.sqlite3"
    qs = generate(1, 20, seed=5, topic="mul")
    # Ten wrong, then ten right: the trend is up by 100%.
    rows = [
        answer_row(q, judge(q, "0.123" if n < 10 else repr(q.expected)), 1.0, "s1")
        for n, q in enumerate(qs)
    ]
    with Store(db) as store:
        store.insert(rows)
    mul = next(t for t in progress_json(db)["topics"] if t["topic"] == "mul")
    assert (mul["recent_right"], mul["trend"], mul["trend_change"]) == (10, "up", 1.0)


def test_no_trend_against_fewer_than_ten_answers_before(tmp_path):
    """Found by the review: 8 of the last 10 against 0 of 1 was called 'up (+80%)'."""
    db = tmp_path / "p.sqlite3"
    qs = generate(1, 11, seed=5, topic="mul")
    with Store(db) as store:
        store.insert(
            [
                answer_row(q, judge(q, "0.123" if n < 3 else repr(q.expected)), 1.0, "s1")
                for n, q in enumerate(qs)
            ]
        )
    mul = next(t for t in progress_json(db)["topics"] if t["topic"] == "mul")
    assert (mul["seen"], mul["trend"], mul["trend_change"]) == (11, None, None)


def test_the_chart_legend_says_what_the_marks_mean(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    quiz(db, "--script", script, "--answers", "-", input="1\n1\n1\n")
    text = run_gradcli("progress", "--db", str(db), env={"COLUMNS": "80"}).stdout
    assert "lowest mark" not in text
    assert "is 0% right" in text and "is 100%" in text and "the last session: 0 of 3 right" in text


# --- export, merge, reset ------------------------------------------------------------------------
def test_export_csv_and_json(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    quiz(db, "--script", script, "--answers", "-")
    result = run_gradcli("progress", "--db", str(db), "--export", str(tmp_path / "a.csv"))
    assert result.returncode == 0 and "wrote 3 answers" in result.stderr
    with open(tmp_path / "a.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["answer"] for r in table] == ["6", "2/4", "9"]
    assert json.loads(table[1]["misconceptions"]) == ["divided-instead-of-multiplied"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    bad = run_gradcli("progress", "--db", str(db), "--export", str(tmp_path / "a.txt"))
    assert bad.returncode == 2 and "FILE.csv or FILE.json" in bad.stderr
    missing = run_gradcli("progress", "--db", str(db), "--export", str(tmp_path / "no" / "a.json"))
    assert missing.returncode == 2 and "cannot write" in missing.stderr


def test_a_teacher_merges_exports(tmp_path, script):
    for name, answers in (("ada", "6\n8\n15\n"), ("bob", "2/3\n2/4\n9\n")):
        db = tmp_path / f"{name}.sqlite3"
        quiz(db, "--script", script, "--answers", "-", input=answers)
        run_gradcli("progress", "--db", str(db), "--export", str(tmp_path / f"{name}.json"))
    files = [str(tmp_path / "ada.json"), str(tmp_path / "bob.json")]
    result = run_gradcli("progress", "--merge", *files, "--json")
    assert result.returncode == 0, result.stderr
    m = json.loads(result.stdout)
    assert [(lr["learner"], lr["answers"], lr["right"]) for lr in m["learners"]] == [
        ("ada", 3, 3),
        ("bob", 3, 0),
    ]
    made = {x["misconception"]: (x["made"], x["learners"]) for x in m["misconceptions"]}
    assert made["divided-instead-of-multiplied"] == (2, 1)
    text = run_gradcli("progress", "--merge", *files)
    assert text.returncode == 0
    assert (
        "ada" in text.stdout
        and "bob" in text.stdout
        and "2 learners, 6 answers, 3 right" in text.stdout
    )
    (tmp_path / "junk.json").write_text("[1, 2]")
    bad = run_gradcli("progress", "--merge", files[0], str(tmp_path / "junk.json"))
    assert bad.returncode == 2 and "is not a gradcli progress export" in bad.stderr
    twice = json.loads(run_gradcli("progress", "--merge", files[0], files[0], "--json").stdout)
    assert (twice["answers"], len(twice["learners"])) == (3, 1)  # one file, counted once


def test_a_csv_export_never_holds_a_live_formula(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    quiz(
        db, "--script", script, "--answers", "-", input='=HYPERLINK("http://x","y")\n-2\n@SUM(A1)\n'
    )
    run_gradcli("progress", "--db", str(db), "--export", str(tmp_path / "a.csv"))
    with open(tmp_path / "a.csv", newline="") as fh:
        answers = [r["answer"] for r in csv.DictReader(fh)]
    assert answers == ['\'=HYPERLINK("http://x","y")', "-2", "'@SUM(A1)"]


def test_a_folder_is_not_a_store(tmp_path):
    folder = tmp_path / "dd"
    folder.mkdir()
    result = run_gradcli("quiz", "--count", "1", "--answers", "-", "--db", str(folder), input="1\n")
    assert result.returncode == 2 and "that is a folder" in result.stderr
    assert list(folder.iterdir()) == []


def test_reset_asks_first(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    quiz(db, "--script", script, "--answers", "-")
    refused = run_gradcli("progress", "--db", str(db), "--reset")
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    assert progress_json(db)["answers"] == 3
    pexpect = pytest.importorskip("pexpect")
    for reply, left in (("n", 3), ("y", 0)):
        child = pexpect.spawn(
            sys.executable,
            ["-m", "gradcli", "progress", "--db", str(db), "--reset"],
            encoding="utf-8",
            timeout=30,
        )
        child.expect_exact(f"Delete the {left or 3} recorded answers in {db}? [y/N] ")
        child.sendline(reply)
        child.expect("Nothing was deleted" if reply == "n" else "Deleted the 3 recorded")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
        assert progress_json(db)["answers"] == left
    quiz(db, "--script", script, "--answers", "-")
    done = run_gradcli("progress", "--db", str(db), "--reset", "--yes")
    assert done.returncode == 0 and progress_json(db)["answers"] == 0


def test_a_damaged_store_can_be_reset(tmp_path):
    db = tmp_path / "p.sqlite3"
    db.write_bytes(b"not a database at all" * 100)
    done = run_gradcli("progress", "--db", str(db), "--reset", "--yes")
    assert done.returncode == 0 and f"Deleted the damaged store {db}" in done.stdout
    assert not db.exists()


# --- review --------------------------------------------------------------------------------------
def _seed_store(db):
    """mul answered right five times in one session; relu wrong twice, with the same
    mistake each time, in the next."""
    rows = [
        answer_row(q, judge(q, repr(q.expected)), 2.0, "s1")
        for q in generate(1, 5, seed=3, topic="mul")
    ]
    wrong = []
    for seed in range(200):
        q = generate(None, 1, seed=seed, topic="relu")[0]
        slip = [p for p in predictions(q.situation) if p.id == "relu-mask-by-gradient"]
        if slip:
            o = judge(q, repr(slip[0].value))
            if "relu-mask-by-gradient" in [p.id for p in o.mistakes]:
                wrong.append(answer_row(q, o, 3.0, "s2"))
        if len(wrong) == 2:
            break
    assert len(wrong) == 2
    with Store(db) as store:
        store.insert(rows + wrong)


def stored_rows(db) -> list:
    with Store(db) as store:
        return store.rows()


def test_review_asks_the_weak_topic_with_fresh_numbers(tmp_path):
    db = tmp_path / "p.sqlite3"
    _seed_store(db)
    deck = {c.topic: c for c in cards(stored_rows(db))}
    # mul: five right answers, box 5, due after 16 sessions; relu: wrong, box 1, due now.
    assert (deck["mul"].box, deck["mul"].due) == (5, False)
    assert (deck["relu"].box, deck["relu"].due) == (1, True)
    inputs = []
    for seed in ("1", "2"):
        result = quiz(
            db,
            "--review",
            "--count",
            "3",
            "--seed",
            seed,
            "--answers",
            "-",
            input="skip\nskip\nskip\n",
        )
        assert result.returncode == 0, result.stderr
        assert "Review: 3 questions on relu (box 1); due now." in result.stdout
        reviewed = [r for r in exported(db, tmp_path) if r["review"]][-3:]
        assert [r["topic"] for r in reviewed] == ["relu"] * 3
        # The mistake made twice is one the questions can show.
        assert all("relu-mask-by-gradient" in r["possible"] for r in reviewed)
        inputs.append([r["inputs"] for r in reviewed])
    assert inputs[0] != inputs[1]


def test_right_review_answers_put_the_topic_off(tmp_path):
    from gradcli.tutor.review import review_questions

    db = tmp_path / "p.sqlite3"
    _seed_store(db)
    questions, _ = review_questions(stored_rows(db), 3, seed=5)
    right = "".join(f"{q.expected!r}\n" for q in questions)
    result = quiz(
        db, "--review", "--count", "3", "--seed", "5", "--answers", "-", "--json", input=right
    )
    assert json.loads(result.stdout)["score"] == 3
    relu = next(c for c in cards(stored_rows(db)) if c.topic == "relu")
    # Box 1, then three right answers: box 4, due 8 sessions after this one.
    assert (relu.box, relu.due, relu.due_in) == (4, False, INTERVALS[4] - 1)
    result = quiz(db, "--review", "--count", "1", "--seed", "5", "--answers", "-", input="skip\n")
    assert (
        "Review: 1 question on relu (box 4); none is due yet, so the nearest to due."
        in result.stdout
    )


def test_a_right_answer_moves_a_card_later_and_a_wrong_one_sooner(tmp_path):
    q = generate(None, 1, seed=1, topic="relu")[0]
    right, wrong = judge(q, repr(q.expected)), judge(q, "0.123")

    def deck(*answers):
        return cards([answer_row(q, o, 1.0, f"s{n}") for n, o in enumerate(answers)])[0]

    assert (deck(right).box, deck(right).due_in) == (2, INTERVALS[2] - 1)
    assert (deck(right, right).box, deck(right, right).due_in) == (3, INTERVALS[3] - 1)
    assert (deck(right, right, wrong).box, deck(right, right, wrong).due_in) == (1, 0)


def test_review_errors(tmp_path, script):
    db = tmp_path / "p.sqlite3"
    result = quiz(db, "--review", "--answers", "-", input="")
    assert result.returncode == 2 and "nothing to review" in result.stderr
    result = quiz(db, "--review", "--script", script, "--answers", "-")
    assert result.returncode == 2 and "--script cannot be used with --review" in result.stderr


def test_sqlite_is_imported_only_by_the_commands_that_use_it():
    code = "import sys; from gradcli.cli.app import app; print('sqlite3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
