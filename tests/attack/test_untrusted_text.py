"""Untrusted text never reaches the terminal as control codes (issue 14).

The attack files in tests/attack/data/ hold a program whose comments, a quiz file whose
title, id, prompt, explain and program, and an answers file whose line carry control
characters: a screen clear (ESC [2J), a window retitle (OSC ESC ]0;pwned BEL), BEL, CR,
U+2028 and a bidi override (U+202E). Option values, file names and misspelt option names
carry the same. Every output path is run at a real pseudo-terminal of its own, and the bytes
the terminal receives are checked: no escape sequence but rich's own colours (SGR,
ESC [ ... m), no BEL, no CR but the pty's CRLF, no U+2028 or U+202E, and the visible escape
(`\\x1b`) is there instead. Piped, the output holds no ESC at all."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from attack import harness

pexpect = pytest.importorskip("pexpect")

ATTACK = Path(__file__).resolve().parent / "data"
HOSTILE = "\x1b[2J\x1b]0;pwned\x07 bell\x07 cr\r u2028\u2028 rlo\u202e end"
PROGRAM = str(ATTACK / "comments.gc")
QUIZ = str(ATTACK / "quiz.toml")
ANSWERS = str(ATTACK / "answers.txt")
VALUES = str(ATTACK / "values.json")  # a and b, and a value for a name the program lacks
INPUTS = ["--a", "2", "--b", "3"]


# (name, arguments, whether the escape must be shown): every path that prints user text.
CASES = [
    ("eval, comments", ["eval", "-f", PROGRAM, *INPUTS], False),
    ("explain, comments", ["explain", "-f", PROGRAM, "--no-pause", *INPUTS], True),
    ("code, comments", ["code", "-f", PROGRAM, *INPUTS], True),
    ("code numpy, comments", ["code", "-l", "numpy", "-f", PROGRAM, *INPUTS], True),
    ("graph, comments", ["graph", "-f", PROGRAM, *INPUTS], False),
    ("quiz file and answers", ["quiz", "--script", QUIZ, "--answers", ANSWERS], True),
    ("quiz --check-script", ["quiz", "--check-script", QUIZ], True),
    ("eval --output", ["eval", "a*b", *INPUTS, "--output", HOSTILE], True),
    ("eval --wrt", ["eval", "a*b", *INPUTS, "--mode", "forward", "--wrt", HOSTILE], True),
    ("code --lang", ["code", "a*b", *INPUTS, "--lang", HOSTILE], True),
    ("graph -F", ["graph", "a*b", *INPUTS, "-F", HOSTILE], True),
    ("explain --topic", ["explain", "--topic", HOSTILE], True),
    ("quiz --topic", ["quiz", "--topic", HOSTILE], True),
    ("graph -o", ["graph", "a*b", *INPUTS, "-o", "/nonexistent/" + HOSTILE + ".svg"], True),
    (
        "explain --export",
        ["explain", "a*b", *INPUTS, "--export", "/nonexistent/" + HOSTILE + ".md"],
        True,
    ),
    ("eval -f missing file", ["eval", "-f", "/nonexistent/" + HOSTILE], True),
    ("eval --values", ["eval", "a*b", "--values", "/nonexistent/" + HOSTILE + ".json"], True),
    ("eval value", ["eval", "a*b", "--a", HOSTILE, "--b", "3"], True),
    ("eval misspelt option", ["eval", "a*b", *INPUTS, "--c" + HOSTILE, "4"], True),
    ("quiz misspelt option", ["quiz", "--scr" + HOSTILE], True),
    ("misspelt command", ["ev" + HOSTILE], True),
    ("quiz --script missing", ["quiz", "--script", "/nonexistent/" + HOSTILE], True),
    (
        "quiz --answers missing",
        ["quiz", "--script", QUIZ, "--answers", "/nonexistent/" + HOSTILE],
        True,
    ),
    ("progress --db", ["progress", "--db", "/nonexistent/" + HOSTILE], True),
    ("progress --export", ["progress", "--export", "/nonexistent/" + HOSTILE + ".csv"], True),
    ("code -o", ["code", "a*b", *INPUTS, "-o", "/nonexistent/" + HOSTILE + ".py"], True),
    ("graph mermaid, comments", ["graph", "-f", PROGRAM, *INPUTS, "-F", "mermaid"], False),
    ("eval --values, a hostile name", ["eval", "a*b", "--values", VALUES], True),
    (
        "explain --values, a hostile name",
        ["explain", "a*b", "--values", VALUES, "--no-pause"],
        True,
    ),
    ("plot, comments", ["plot", "-f", PROGRAM, *INPUTS, "--along", "a"], False),
    ("plot --along", ["plot", "a*b", *INPUTS, "--along", HOSTILE], True),
    ("plot --range", ["plot", "a*b", *INPUTS, "--along", "a", "--range", HOSTILE], True),
    (
        "plot -o",
        ["plot", "a*b", *INPUTS, "--along", "a", "-o", "/nonexistent/" + HOSTILE],
        True,
    ),
    ("plot --values, a hostile name", ["plot", "a*b", "--values", VALUES, "--along", "a"], True),
]


def _env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    env["GRADCLI_DB"] = str(tmp_path / "progress.sqlite3")
    return env


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """CASES, and a teacher's table of learners' files, one with a hostile name; the
    environment they run in (no COLUMNS, a progress store of their own)."""
    tmp_path = tmp_path_factory.mktemp("sweep")
    env = _env(tmp_path)
    export = tmp_path / "exported.json"
    named = str(tmp_path / ("named" + HOSTILE.replace("\r", "")))
    harness.run_all(
        [
            lambda: harness.run(["quiz", "--script", QUIZ, "--answers", ANSWERS], env=env),
            lambda: harness.run(
                ["quiz", "--script", QUIZ, "--answers", ANSWERS, "--db", named + "-kept.sqlite3"],
                env=env,
            ),
        ]
    )
    r = harness.run(["progress", "--export", str(export)], env=env)
    assert r.returncode == 0, r.stderr
    hostile = tmp_path / ("learner" + HOSTILE.replace("\r", "") + ".json")
    hostile.write_bytes(export.read_bytes())
    return env, CASES + [
        ("progress --merge", ["progress", "--merge", str(hostile)], True),
        ("explain --export, written", ["explain", "a*b", *INPUTS, "--export", named + ".md"], True),
        (
            "progress --reset, no store",
            ["progress", "--reset", "--yes", "--db", named + ".sqlite3"],
            True,
        ),
        (
            "progress --reset, a store",
            ["progress", "--reset", "--yes", "--db", named + "-kept.sqlite3"],
            True,
        ),
    ]


def problems(text: str, shown: bool) -> list:
    """What is wrong with what a terminal received: each control code that got through."""
    found = []
    if re.sub(r"\x1b\[[0-9;]*m", "", text).count("\x1b"):
        found.append("an escape sequence other than a colour")
    for code, name in (
        ("\x1b]", "OSC"),
        ("\x1b[2J", "a screen clear"),
        ("\x07", "BEL"),
        ("\u2028", "U+2028"),
        ("\u202e", "U+202E"),
        ("Traceback", "a traceback"),
        ("internal error", "an internal error"),
    ):
        if code in text:
            found.append(name)
    if "\r" in text.replace("\r\n", ""):
        found.append("a CR")
    if shown and "\\x1b" not in text:
        found.append("no visible \\x1b")
    return found


def test_every_output_path_shows_hostile_text_at_a_terminal(sweep):
    """The sweep: every path's bytes at a pty hold rich's colours and nothing else."""
    env, cases = sweep
    runs = harness.run_all(
        [
            lambda args=args, name=name: harness.at_a_terminal(args, env=env, label=name)
            for name, args, _ in cases
        ]
    )
    failures = {}
    for (name, _, shown), r in zip(cases, runs):
        text = r.stdout.decode("utf-8", "replace")
        if problems(text, shown) or r.timed_out:
            failures[name] = (problems(text, shown), text[-400:])
    assert not failures, failures


def test_every_output_path_piped_has_no_escape_at_all(sweep):
    env, cases = sweep
    runs = harness.run_all(
        [
            lambda args=args, name=name: harness.run(args, env=env, label=name, text=False)
            for name, args, _ in cases
        ]
    )
    failures = {}
    for (name, _, shown), r in zip(cases, runs):
        both = (r.stdout + r.stderr).decode("utf-8", "replace")
        found = problems(both, shown) + (["ESC"] if "\x1b" in both else [])
        if found or r.timed_out:
            failures[name] = (found, both[-400:])
    assert not failures, failures


def test_explain_and_quiz_show_a_comment_whole_on_its_line(tmp_path):
    """A comment's CR and U+2028 neither end its line nor vanish: the line is shown with
    each control character as its escape."""
    from gradcli.core.visible import visible

    comment = visible("# " + HOSTILE)
    assert "\n" not in comment and "\\x0d" in comment and "\\u2028" in comment
    for args in (
        ["explain", "-f", PROGRAM, "--no-pause", *INPUTS],
        ["quiz", "--script", QUIZ, "--answers", ANSWERS],
    ):
        r = subprocess.run(
            [sys.executable, "-m", "gradcli", *args],
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            env=dict(_env(tmp_path), COLUMNS="200"),
        )
        assert any(line.strip() == comment for line in r.stdout.splitlines()), r.stdout


def test_generated_code_keeps_each_comment_on_one_commented_line(tmp_path):
    """`code`'s header repeats the program: a comment's U+2028 or CR must not start a
    line of code (JavaScript ends a line at U+2028), and ESC is written as its escape."""
    for lang in ("python", "js", "numpy"):
        r = subprocess.run(
            [sys.executable, "-m", "gradcli", "code", "-l", lang, "-f", PROGRAM, *INPUTS],
            cwd=str(ROOT),
            capture_output=True,
            env=_env(tmp_path),
        )
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode("utf-8")
        assert "\x1b" not in out and "\u2028" not in out and "\r" not in out, out
        assert "\\x1b[2J\\x1b]0;pwned\\x07" in out, out


def test_an_error_excerpt_shows_a_control_character_as_its_escape(tmp_path):
    """The caret excerpt of a syntax error shows the line's ESC as `\\x1b` (not `?`, which
    hides what is there) with the caret under it; a later error's caret stays in place."""

    def excerpt(program):
        r = subprocess.run(
            [sys.executable, "-m", "gradcli", "eval", program, *INPUTS],
            cwd=str(ROOT),
            capture_output=True,
            text=True,
            env=_env(tmp_path),
        )
        assert r.returncode == 2, r.stderr
        line, caret = r.stderr.splitlines()[1:3]
        return line, caret.index("^")

    line, at = excerpt("c = \x1b[2J a*b")
    assert line == "  c = \\x1b[2J a*b" and at == line.index("\\x1b")
    line, at = excerpt("c = a\x0c +* b")  # a form feed is blank space to the grammar
    assert line == "  c = a\\x0c +* b" and at == line.index("*")


def test_the_explain_pager_shows_hostile_comments_as_text(tmp_path):
    """The pager clears the screen itself between steps (its own ESC [2J ESC [H); the
    program's comments reach the terminal only as their escapes."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", "explain", "-f", PROGRAM, *INPUTS],
        cwd=str(ROOT),
        timeout=30,
        dimensions=(50, 120),
        env=_env(tmp_path),
    )
    received = b""
    while True:
        index = child.expect([rb"\[Enter\] (?:next|more|finish)", pexpect.EOF])
        received += child.before + (child.after if index == 0 else b"")
        if index == 1:
            break
        child.send("\r")
    child.close()
    text = received.decode("utf-8", "replace")
    own = text.replace("\x1b[2J\x1b[H", "")  # the pager's own clear, and colours
    assert re.sub(r"\x1b\[[0-9;]*m", "", own).count("\x1b") == 0, text
    assert "\x07" not in text and "\u2028" not in text and "\u202e" not in text, text
    assert "# \\x1b[2J\\x1b]0;pwned\\x07 bell\\x07 cr\\x0d u2028\\u2028 rlo\\u202e end" in text
    assert child.exitstatus == 0, text
