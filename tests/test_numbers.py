"""Messages never contradict themselves (issue 14): where six digits would show a number
the op accepts, the message shows every digit."""

import subprocess
import sys

import pytest


def error_of(program: str, *values: str) -> str:
    p = subprocess.run(
        [sys.executable, "-m", "gradcli", "eval", program, *values], capture_output=True, text=True
    )
    assert p.returncode == 1, p.stderr
    return p.stderr.splitlines()[0]


@pytest.mark.parametrize(
    "program, values, shown",
    [
        ("asin(a)", ["--a", "1.0000000000000002"], "undefined for 1.0000000000000002"),
        ("acos(a)", ["--a=-1.0000000000000002"], "undefined for -1.0000000000000002"),
        ("log(a)", ["--a=-1e-300"], "undefined for -1e-300"),
        (
            "pow(a, b)",
            ["--a=-8", "--b", "2.0000000000000004"],
            "non-integer power 2.0000000000000004",
        ),
    ],
)
def test_a_domain_error_shows_the_digits_that_make_it_one(program, values, shown):
    line = error_of(program, *values)
    assert shown in line
    value = shown.split()[-1]
    assert f"= {value}" in line  # the operand in the step's context too


def test_short_numbers_stay_short_where_they_tell_the_truth():
    line = error_of("sqrt(a)", "--a=-0.1234567891")
    assert "undefined for -0.123457" in line
    assert "a = -0.123457" in line
    assert error_of("a^b", "--a=-8", "--b", "2.5").count("2.5") == 2
