"""Readable at 80 columns and in a pipe (issue 11).

At any width from 60 up, a table never breaks a number, a rule or a name inside itself:
every word of every line drawn narrow is a word of the same output drawn wide, and every
number is one the wide table prints. No line is wider than the terminal or ends in
spaces; piped output is as wide as COLUMNS, else the user's terminal, else 80; the pager
never starts a screen with a table row cut from its header.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

ROOT = Path(__file__).resolve().parent.parent

LECTURE = ["eval", "a = 2.0; b = -3.0; c = 10.0; e = a*b; d = e + c; f = -2.0; L = d * f"]
MICROGRAD = [
    "eval",
    "a = -4; b = 2; c = a + b; d = a * b + b**3; c += c + 1; "
    "c += 1 + c + (-a); d += d * 2 + relu(b + a); d += 3 * d + relu(b - a); "
    "e = c - d; f = e**2; g = f / 2.0; g += 10.0 / f",
]
TENSOR = [
    "eval",
    "Y = X @ W + b; L = sum(Y * G)",
    "--X",
    "[[1,2,3],[4,5,6]]",
    "--W",
    "[[1,0],[0,1],[1,-1]]",
    "--b",
    "[0.5,-1]",
    "--G",
    "[[1,2],[3,4]]",
]
COMMANDS = {
    "lecture": LECTURE,
    "micrograd": MICROGRAD,
    "micrograd-both": MICROGRAD + ["--mode", "both", "--wrt", "a"],
    "micrograd-check": MICROGRAD + ["--check"],
    "lecture-check": LECTURE + ["--check", "--mode", "both", "--wrt", "a"],
    "tensor": TENSOR,
    "explain": ["explain", "--no-pause"],
}
WIDTHS = [60, 80, 100, 120]
NUMBER = re.compile(r"(?<![\w.'̄])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])")
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def run(args, width=None, env=None, tty_free=True):
    full = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if width:
        full["COLUMNS"] = str(width)
    full.update(env or {})
    # A new session has no controlling terminal: the width comes from COLUMNS or is 80.
    r = subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env=full,
        timeout=120,
        start_new_session=tty_free,
        stdin=subprocess.DEVNULL,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def is_rule(line: str) -> bool:
    s = line.strip()
    return bool(s) and set(s) <= set("━-+|")


_wide: dict = {}


def wide(name):
    if name not in _wide:
        _wide[name] = run(COMMANDS[name], 400)
    return _wide[name]


def check_lines(name, text, width):
    whole = wide(name)
    words = set(whole.split())
    numbers = set(NUMBER.findall(whole))
    for line in text.split("\n"):
        assert cell_len(line) <= width, f"{width}: too wide: {line!r}"
        assert line == line.rstrip(), f"{width}: trailing spaces: {line!r}"
        for word in line.split():
            if name == "tensor" or is_rule(word):  # arrays are summarised to fit
                continue
            assert word in words, f"{width}: {word!r} is cut out of a longer word: {line!r}"
        for number in NUMBER.findall(line):
            assert number in numbers, f"{width}: {number!r} is not a printed value: {line!r}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_piped_with_columns_keeps_words_whole(name, width):
    out = run(COMMANDS[name], width)
    check_lines(name, out, width)


def test_the_lecture_example_at_80_columns_keeps_a_row_short():
    """Each backward row of micrograd's README example takes at most 3 lines at 80."""
    out = run(MICROGRAD, 80)
    back = out.split("Backward pass", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in back.split("\n") if re.match(r"  \d+ ", line)]
    body = [line for line in back.split("\n")[3:] if line.strip()]
    assert rows and len(body) <= 3 * len(rows)


def test_piped_without_columns_is_80_wide():
    for name in ("micrograd", "explain"):
        out = run(COMMANDS[name])
        longest = max(cell_len(line) for line in out.split("\n"))
        assert 70 < longest <= 80, longest
        check_lines(name, out, 80)


# --- at a real terminal -----------------------------------------------------------------
pexpect = pytest.importorskip("pexpect")


def spawn(args, width, rows=50, program=None):
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    env["NO_COLOR"] = "1"
    argv = list(args) if program else ["-m", "gradcli", *args]
    return pexpect.spawn(
        program or sys.executable,
        argv,
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=30,
        dimensions=(rows, width),
        env=env,
    )


def screen_text(raw: str) -> str:
    return ESCAPE.sub("", raw).replace("\r\n", "\n").replace("\r", "")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["lecture", "micrograd", "micrograd-both", "tensor"])
def test_at_a_terminal_words_stay_whole(name, width):
    child = spawn(COMMANDS[name], width)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    check_lines(name, screen_text(child.before), width)


def pages(width, rows, args=()):
    child = spawn(["explain", *args], width, rows)
    shown = []
    while True:
        k = child.expect([r"\[Enter\] (?:more|next|finish)[^\n]*?quit", pexpect.EOF])
        if k == 1:
            break
        shown.append(screen_text(child.before))
        child.send("\r")
    child.close()
    assert child.exitstatus == 0 and shown
    return shown


@pytest.mark.parametrize("width,rows", [(80, 12), (80, 24), (60, 14), (120, 10)])
def test_pager_never_starts_a_screen_with_a_row_without_its_header(width, rows):
    for screen in pages(width, rows):
        lines = [line for line in screen.split("\n") if line.strip()]
        assert all(cell_len(line) <= width for line in lines)
        assert all(line == line.rstrip() for line in lines)
        if not lines or not lines[0].startswith("  ") or lines[0].startswith("    "):
            continue  # prose, or an indented block of formulas
        # a table's first line on the screen: its header, ended by the rule
        assert any(is_rule(line) for line in lines[:4]), "\n".join(lines)


@pytest.mark.parametrize("width", [66, 100])
def test_piped_at_a_terminal_fits_the_terminal(width):
    """`gradcli explain | cat` typed at a terminal: laid out for that terminal."""
    child = spawn(
        [
            "-c",
            f"{sys.executable} -m gradcli explain | cat; "
            f"{sys.executable} -m gradcli {' '.join(map(repr, MICROGRAD))} | cat",
        ],
        width,
        program="sh",
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    text = screen_text(child.before)
    longest = max(cell_len(line) for line in text.split("\n"))
    assert width - 12 < longest <= width, longest
    assert all(line == line.rstrip() for line in text.split("\n"))
