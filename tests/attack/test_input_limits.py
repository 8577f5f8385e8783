"""Big and deep inputs are refused with a message (exit 2), not read until memory runs out
(issue 14, "External engines and big inputs are bounded"). The limits (core/limits.py,
README "Limits"): a program 10 MB, a quiz or answers file 1 MB, a values file 100 MB; a
quiz file's keys at most 1000 dots; numbers within what a float holds."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

ATTACK = Path(__file__).resolve().parent / "data"


def gradcli(*args, stdin=subprocess.DEVNULL, tmp_path=None):
    env = None
    if tmp_path is not None:
        import os

        env = dict(os.environ, GRADCLI_DB=str(tmp_path / "progress.sqlite3"))
    # The timeout only stops a run that would never end; no assertion depends on speed.
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        stdin=stdin,
        timeout=120,
        env=env,
    )


def sparse(path: Path, size: int) -> str:
    """A file of `size` zero bytes that takes no disk space."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return str(path)


@pytest.mark.parametrize(
    "args,what",
    [
        (["eval", "-f", "/dev/zero"], "the program file /dev/zero is larger than the 10 MB"),
        (["quiz", "--script", "/dev/zero"], "the quiz file /dev/zero is larger than the 1 MB"),
        (
            ["quiz", "--check-script", "/dev/zero"],
            "the quiz file /dev/zero is larger than the 1 MB",
        ),
        (
            ["quiz", "--script", str(ATTACK / "quiz.toml"), "--answers", "/dev/zero"],
            "the answers file /dev/zero is larger than the 1 MB",
        ),
    ],
)
def test_a_file_that_never_ends_is_refused(tmp_path, args, what):
    r = gradcli(*args, tmp_path=tmp_path)
    assert r.returncode == 2 and what in r.stderr, r.stderr


def test_a_program_from_standard_input_that_never_ends_is_refused(tmp_path):
    with open("/dev/zero", "rb") as zero:
        r = gradcli("eval", "-f", "-", stdin=zero)
    assert r.returncode == 2, r.stderr
    assert "the program on standard input is larger than the 10 MB" in r.stderr


def test_huge_program_and_values_files_are_refused(tmp_path):
    r = gradcli("code", "-f", sparse(tmp_path / "big.gc", 10 * 2**20 + 1))
    assert r.returncode == 2 and "larger than the 10 MB" in r.stderr, r.stderr
    r = gradcli("eval", "a*2", "--values", sparse(tmp_path / "big.json", 100 * 2**20 + 1))
    assert r.returncode == 2 and "the values file" in r.stderr, r.stderr
    assert "larger than the 100 MB" in r.stderr, r.stderr


def test_a_deeply_nested_quiz_file_is_refused(tmp_path):
    path = tmp_path / "nested.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    r = gradcli("quiz", "--script", str(path), tmp_path=tmp_path)
    assert r.returncode == 2 and "nest too deeply" in r.stderr, r.stderr


def test_numbers_too_big_for_a_float_are_refused(tmp_path):
    r = gradcli("quiz", "--script", str(ATTACK / "bigint.toml"), tmp_path=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "the value of a must be a finite number, got a whole number too large" in r.stderr
    path = tmp_path / "digits.toml"
    path.write_text((ATTACK / "bigint.toml").read_text().replace("9" * 400, "9" * 5000))
    r = gradcli("quiz", "--script", str(path), tmp_path=tmp_path)
    assert r.returncode == 2 and "more than the 4300 digits" in r.stderr, r.stderr


def test_a_quiz_file_of_long_dotted_keys_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "dotted.toml"
    path.write_text("a" + ".a" * 50_000 + " = 1\n")  # 100 KB: 47 s and 9.8 GB to parse
    r = gradcli("quiz", "--script", str(path), tmp_path=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "its keys hold 50000 dots, more than the 1000 gradcli reads" in r.stderr
    # A real course: many questions with decimal numbers (whose dots are not keys') and
    # dotted text in strings and comments is under every limit, and read.
    question = (
        '[[question]]\nid = "q{n}"  # see 1.2.3\nprogram = "c = a*b  # a.b.c.d"\n'
        'inputs = {{a = 1.5, b = -2.25e-1}}\nask = "grad a"\ntolerance = 0.001\n'
        "explain = '''a.b.c.d.e.f'''\n\n"
    )
    path = tmp_path / "course.toml"
    path.write_text(
        'title = "A course v1.2"\n\n' + "".join(question.format(n=n) for n in range(600))
    )
    r = gradcli(
        "quiz", "--script", str(path), "--answers", "/dev/null", "--no-save", tmp_path=tmp_path
    )
    assert "Question 1 of 600" in r.stdout, r.stderr
    assert "larger than" not in r.stderr and "dots" not in r.stderr, r.stderr
