"""Untrusted text never reaches the terminal as control codes (issue 14).

The attack suite in tests/data/attack/ holds a program whose comments, a quiz file whose
title, id, prompt, explain and program, and an answers file whose line carry control
characters: a screen clear (ESC [2J), a window retitle (OSC ESC ]0;pwned BEL), BEL, CR,
U+2028 and a bidi override (U+202E). Option values, file names and misspelt option names
carry the same. Every output path is run at a real pseudo-terminal (pexpect), and the bytes
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

pexpect = pytest.importorskip("pexpect")

ATTACK = Path(__file__).resolve().parent / "data" / "attack"
HOSTILE = "\x1b[2J\x1b]0;pwned\x07 bell\x07 cr\r u2028\u2028 rlo\u202e end"
PROGRAM = str(ATTACK / "comments.gc")
QUIZ = str(ATTACK / "quiz.toml")
ANSWERS = str(ATTACK / "answers.txt")
INPUTS = ["--a", "2", "--b", "3"]


def hostile_name(tmp_path_factory=None) -> str:
    return "no\x1b[2Jfile\x1b]0;pwned\x07\u202e.gc"


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
    ("explain --export", ["explain", "a*b", *INPUTS, "--export",
                          "/nonexistent/" + HOSTILE + ".md"], True),
    ("eval -f missing file", ["eval", "-f", "/nonexistent/" + HOSTILE], True),
    ("eval --values", ["eval", "a*b", "--values", "/nonexistent/" + HOSTILE + ".json"], True),
    ("eval value", ["eval", "a*b", "--a", HOSTILE, "--b", "3"], True),
    ("eval misspelt option", ["eval", "a*b", *INPUTS, "--c" + HOSTILE, "4"], True),
    ("quiz misspelt option", ["quiz", "--scr" + HOSTILE], True),
    ("quiz --script missing", ["quiz", "--script", "/nonexistent/" + HOSTILE], True),
    ("quiz --answers missing", ["quiz", "--script", QUIZ, "--answers",
                                "/nonexistent/" + HOSTILE], True),
    ("progress --db", ["progress", "--db", "/nonexistent/" + HOSTILE], True),
]


def _env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    env["GRADCLI_DB"] = str(tmp_path / "progress.sqlite3")
    return env


def at_a_terminal(args, env) -> bytes:
    child = pexpect.spawn(sys.executable, ["-m", "gradcli", *args], cwd=str(ROOT),
                          timeout=30, dimensions=(50, 120), env=env)
    child.expect(pexpect.EOF)
    child.close()
    return child.before


def assert_shown_not_obeyed(data: bytes, shown: bool) -> None:
    text = data.decode("utf-8", "replace")
    assert re.sub(r"\x1b\[[0-9;]*m", "", text).count("\x1b") == 0, text  # only SGR
    assert "\x1b]" not in text and "\x1b[2J" not in text and "\x07" not in text, text
    assert "\r" not in text.replace("\r\n", ""), text  # the pty's CRLF only
    assert "\u2028" not in text and "\u202e" not in text, text
    assert "Traceback" not in text, text
    if shown:
        assert "\\x1b" in text, text


@pytest.mark.parametrize("name,args,shown", CASES, ids=[c[0] for c in CASES])
def test_hostile_text_is_shown_not_obeyed_at_a_terminal(tmp_path, name, args, shown):
    assert_shown_not_obeyed(at_a_terminal(args, _env(tmp_path)), shown)


def test_progress_shows_a_hostile_quiz_id_as_text(tmp_path):
    env = _env(tmp_path)
    at_a_terminal(["quiz", "--script", QUIZ, "--answers", ANSWERS], env)
    data = at_a_terminal(["progress"], env)
    assert_shown_not_obeyed(data, shown=False)
    assert b"Traceback" not in data


@pytest.mark.parametrize("name,args,shown", CASES, ids=[c[0] for c in CASES])
def test_hostile_text_piped_has_no_escape_at_all(tmp_path, name, args, shown):
    r = subprocess.run([sys.executable, "-m", "gradcli", *args], cwd=str(ROOT),
                       capture_output=True, env=_env(tmp_path), stdin=subprocess.DEVNULL)
    both = (r.stdout + r.stderr).decode("utf-8", "replace")
    assert "\x1b" not in both and "\x07" not in both and "\r" not in both, both
    assert "\u2028" not in both and "\u202e" not in both and "Traceback" not in both, both
    if shown:
        assert "\\x1b" in both, both
