"""A command gradcli suggests is printed whole, on a line of its own, at any width.

explain's closing `gradcli eval ...`, the lesson's commands to go further and progress's
`gradcli quiz --db '...'` are pasted by the reader: wrapped at a narrow terminal (inside
its quotes, even) a command cannot be pasted. Each is printed on a line of its own, never
wrapped or cut (a long one runs past the width), piped with any COLUMNS and at a
terminal, and it runs as printed.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import sys
from pathlib import Path

import pytest
from conftest import run_gradcli

ROOT = Path(__file__).resolve().parent.parent
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")

# The brief's example, and a program whose command is longer than a narrow terminal,
# with spaces inside its quotes (where a wrap made it unpasteable).
PROGRAMS = [
    ("a*b + sin(a)", ["--a", "2", "--b", "3"]),
    (
        "x = a*b + sin(a) # a comment with several words in it; y = x*x",
        ["--a", "2", "--b", "0.1234567891"],
    ),
]
CLOSING = re.compile(r"^This command shows the same numbers as tables:\n\n(gradcli eval .*)$", re.M)


def expected_command(program: str, values: list) -> str:
    """The command explain suggests, as a 400-column pipe prints it."""
    r = run_gradcli("explain", program, *values, "--no-pause", env={"COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    return CLOSING.search(r.stdout).group(1)


@pytest.mark.parametrize("program, values", PROGRAMS)
@pytest.mark.parametrize("columns", ["40", "60", "80"])
def test_explains_closing_command_is_one_whole_line_when_piped(program, values, columns):
    command = expected_command(program, values)
    assert shlex.split(command)[2] == program  # the program whole, in one quoted word
    r = run_gradcli("explain", program, *values, "--no-pause", env={"COLUMNS": columns})
    assert r.returncode == 0, r.stderr
    assert command + "\n" in r.stdout.split("tables:\n\n", 1)[1]
    assert (command + "\n") in r.stdout.splitlines(keepends=True)
    ran = run_gradcli(*shlex.split(command)[1:])  # and it runs as printed
    assert ran.returncode == 0, ran.stderr


pexpect = pytest.importorskip("pexpect")


@pytest.mark.parametrize("program, values", PROGRAMS)
def test_explains_closing_command_is_one_whole_line_at_a_terminal(program, values):
    """At a 60-column pty, paging: the command arrives as one line the terminal folds."""
    command = expected_command(program, values)
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    env["NO_COLOR"] = "1"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", "explain", program, *values],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 60),
        env=env,
    )
    last = ""
    while child.expect([r"\[Enter\] (next|more|finish)", pexpect.EOF]) == 0:
        last = child.before
        if child.match.group(1) == "finish":
            break
        child.send(" ")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    lines = ESCAPE.sub("", last).replace("\r\n", "\n").split("\n")
    assert "This command shows the same numbers as tables:" in lines
    assert command in lines, lines[-8:]


def test_the_lessons_commands_are_whole_lines_at_40_columns():
    wide = run_gradcli("explain", "--no-pause", env={"COLUMNS": "400"}).stdout
    narrow = run_gradcli("explain", "--no-pause", env={"COLUMNS": "40"}).stdout
    commands = [line for line in wide.splitlines() if line.startswith("gradcli ")]
    assert len(commands) == 4 and any(len(c) > 40 for c in commands)
    for command in commands:
        assert command in narrow.splitlines(), command
        if '"' in command:
            assert run_gradcli(*shlex.split(command)[1:]).returncode == 0, command


def test_progress_suggests_its_quiz_command_whole_with_a_long_store_path(tmp_path):
    folder = tmp_path / "a folder name with several words" / "and another one"
    folder.mkdir(parents=True)
    db = str(folder / "progress.sqlite3")
    r = run_gradcli("progress", "--db", db, env={"COLUMNS": "40"})
    assert r.returncode == 0, r.stderr
    assert f"gradcli quiz --db {shlex.quote(db)}" in r.stdout.splitlines()


def test_exports_keep_the_command_whole(tmp_path):
    program, values = PROGRAMS[1]
    command = expected_command(program, values)
    md, page = tmp_path / "e.md", tmp_path / "e.html"
    for out in (md, page):
        r = run_gradcli("explain", program, *values, "--export", str(out))
        assert r.returncode == 0, r.stderr
    text = md.read_text(encoding="utf-8")
    assert f"```sh\n{command}\n```" in text  # code, not Markdown prose with escapes
    shown = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    assert command in shown.splitlines()


def test_the_pager_counts_a_command_by_the_rows_the_terminal_folds_it_into():
    """A 130-character command at a 60-column terminal takes 3 rows: after 3 lines of text
    a screen of 5 rows (4 and the keys' line) has no room for it, and it goes on the next
    screen instead of pushing the first lines off the top."""
    from gradcli.cli.pager import paginate

    command = "gradcli eval '" + "a*b + " * 19 + "a' --a=2 --b=3"
    assert 120 < len(command) <= 180
    text = ["Result", "", "This command shows the same numbers as tables:"]
    step = [([], [[line] for line in text]), ([], [[command]])]
    assert paginate(step, 5, 60) == [text, [command]]
    assert paginate(step, 5, 200) == [text + [command]]  # where it fits on one row
