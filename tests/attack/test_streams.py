"""Closed and failing standard streams on every command's output paths (issue 14, README
"Exit codes"): stdout closed (`>&-`) or failing (`> /dev/full`) is an I/O error, exit 1
with a message; a reader that left the pipe gives 141; stdin closed is an error only where
it is read; a closed or failing stderr never changes the exit status. Every case is a
process of its own, started as the shell would leave it; all of a test's cases run at once
(tests/attack/harness.py)."""

import json
import os
from pathlib import Path

import pytest

from attack import harness

QUIZ = str(Path(__file__).resolve().parent / "data" / "plain_quiz.toml")
AB = ["--a", "1", "--b", "2"]
OUTPUT_PATHS = [
    ["eval", "a*b", *AB],
    ["eval", "a*b", *AB, "--json"],
    ["eval", "a*b", *AB, "--grad-only"],
    ["eval", "a*b", *AB, "--check", "--json"],
    ["eval", "sum(W @ x)", "--W", "randn(30, 30)", "--x", "randn(30)", "--json"],
    ["graph", "a*b", *AB],
    ["graph", "a*b", *AB, "--json"],
    ["graph", "a*b", *AB, "-F", "dot"],
    ["code", "a*b", *AB],
    ["code", "a*b", *AB, "--json"],
    ["explain"],
    ["explain", "a*b", *AB, "--no-pause"],
    ["explain", "--list"],
    ["quiz", "--answers", "-", "--count", "1", "--seed", "1"],
    ["quiz", "--answers", "-", "--count", "1", "--seed", "1", "--json"],
    ["quiz", "--check-script", QUIZ],
    ["progress"],
    ["progress", "--json"],
    ["plot", "a*b", *AB, "--along", "a"],
    ["plot", "a*b", *AB, "--along", "a", "--json"],
    ["--help"],
    ["eval", "--help"],
    ["--version"],
]
IDS = [" ".join(args) for args in OUTPUT_PATHS]


def every_path(**kw) -> list:
    """Each output path run once, all at once, with the same streams."""
    return harness.run_all(
        [lambda args=args: harness.run(args, input="skip\n", **kw) for args in OUTPUT_PATHS]
    )


def wrong(runs, check) -> dict:
    """The paths whose run fails `check` (a function of the args and result: a problem
    in words, or None), each with its problem and stderr."""
    found = {}
    for args, r in zip(OUTPUT_PATHS, runs):
        problem = "timed out" if r.timed_out else check(args, r)
        if problem:
            found[" ".join(args)] = (problem, r.returncode, str(r.stderr)[-300:])
    return found


def an_io_error(reason: str):
    def check(args, r):
        if r.returncode != 1:
            return f"exit {r.returncode}, not 1"
        if "--json" in args:  # the error as a gradcli.error/1 document (docs/json.md)
            expected = {
                "schema": "gradcli.error/1",
                "error": f"cannot write the output: {reason}",
                "detail": None,
                "exit": 1,
                "kind": "StreamError",
                "fields": {"what": "output"},
            }
            try:
                return None if json.loads(r.stderr) == expected else "another error document"
            except ValueError:
                return "not a JSON error document"
        if r.stderr != f"error: cannot write the output: {reason}\n":
            return "another message"
        return None

    return check


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_stdout_is_an_io_error_on_every_path():
    with open("/dev/full", "w") as full:
        runs = every_path(stdout=full)
    assert not wrong(runs, an_io_error("No space left on device"))


def test_a_closed_stdout_is_an_io_error_on_every_path():
    runs = every_path(close="1")
    assert not wrong(runs, an_io_error("standard output is closed"))


def test_a_reader_that_closed_the_pipe_gives_141_on_every_path():
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before gradcli writes: no race
    try:
        runs = every_path(stdout=write_end)
    finally:
        os.close(write_end)

    def check(args, r):
        if r.returncode != 141:
            return f"exit {r.returncode}, not 141"
        return "a message" if r.stderr else None

    assert not wrong(runs, check)


def test_closed_stdin_fails_only_where_it_is_read():
    reads = [
        ["eval", "-"],
        ["eval", "-f", "-", *AB],
        ["explain", "-f", "-", *AB, "--no-pause"],
        ["code", "-f", "-", *AB],
        ["graph", "-f", "-", *AB],
        ["plot", "-f", "-", *AB, "--along", "a"],
        ["quiz"],
        ["quiz", "--script", QUIZ, "--answers", "-"],
    ]
    ignores = [
        ["explain"],  # the lesson reads nothing: printed whole
        ["eval", "a*b", *AB],
        ["code", "a*b", *AB],
        ["graph", "a*b", *AB],
        ["plot", "a*b", *AB, "--along", "a"],
        ["progress"],
        ["quiz", "--script", QUIZ, "--answers", "/dev/null"],
    ]
    runs = harness.run_all(
        [lambda args=args: harness.run(args, close="0") for args in reads + ignores]
    )
    failures = {}
    for args, r in zip(reads + ignores, runs):
        if args in reads:
            ok = r.returncode == 1 and (
                "error: cannot read standard input: it is closed" in r.stderr
            )
        else:
            ok = r.returncode == 0 and r.stdout and "standard input" not in r.stderr
        if not ok or "internal error" in r.stderr or "Traceback" in r.stderr:
            failures[" ".join(args)] = (r.returncode, r.stderr[-300:])
    assert not failures, failures
    assert "(8/8)" in runs[len(reads)].stdout


WARNS = [  # each prints a warning: c is not used
    ["eval", "a*b", *AB, "--c", "3", "--grad-only"],
    ["explain", "a*b", *AB, "--c", "3", "--no-pause"],
    ["code", "a*b", *AB, "--c", "3"],
    ["graph", "a*b", *AB, "--c", "3"],
    ["plot", "a*b", *AB, "--c", "3", "--along", "a"],
]
FAILS = [["eval", "log(a)", "--a", "-1"], ["explain", "log(a)", "--a", "-1", "--no-pause"]]


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full"])
def test_a_closed_or_full_stderr_does_not_change_the_exit_status(redirect):
    if "full" in redirect and not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    full = open("/dev/full", "w") if "full" in redirect else None
    try:
        how = {"stderr": full} if full else {"close": "2"}
        runs = harness.run_all(
            [lambda args=args: harness.run(args, **how) for args in WARNS + FAILS]
            + [lambda args=args: harness.run(args) for args in WARNS]
        )
    finally:
        if full:
            full.close()
    silenced, shown = runs[: len(WARNS + FAILS)], runs[len(WARNS + FAILS) :]
    failures = {}
    for args, r, seen in zip(WARNS, silenced, shown):
        # A warning that could not be shown: the same output, the same status.
        if not (r.returncode == 0 and seen.returncode == 0 and "warning" in seen.stderr):
            failures[" ".join(args)] = (r.returncode, seen.returncode, seen.stderr[-200:])
        elif r.stdout != seen.stdout:
            failures[" ".join(args)] = "the output changed"
    for args, r in zip(FAILS, silenced[len(WARNS) :]):
        if r.returncode != 1 or r.stdout:  # an error keeps its status
            failures[" ".join(args)] = (r.returncode, r.stdout[-200:])
    assert not failures, failures
