"""explain's closing suggestion, `gradcli eval ...` (which shows the same numbers as tables), run
through a real shell (`bash -c`) exactly as printed, gives the explain run's value and
gradient, and runs nothing that the program's text says.

The program is given as it came: `-f FILE` for a file; its own text as one quoted word
when it is one plain line (comments kept: quoted, they run nothing); otherwise
`-f program.grad` (.py, .js, .txt as it was read), and the sentence says to save the
program there: joining the lines, as explain once did, let a comment (`//` in pasted
JavaScript) swallow the statements after it and broke pasted Python's blocks.
"""

import json
import math
import re
import shutil
import subprocess
import sys

import pytest
from conftest import run_gradcli

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")

SUGGESTION = re.compile(
    r"^(?:With the program saved as (\S+), this|This) command "
    r"(?:shows the same numbers as tables|gives the same numbers):\n\n(gradcli eval .*)$",
    re.M,
)

JS_SWALLOWED = "var x = a * b; // the product $(touch {m}) `touch {m}`\nvar f = x + a;\n"
PY_BLOCK = (
    "import math\n"
    "def sig(t):\n"
    "    return 1 / (1 + math.exp(-t))  # the 'sigmoid', \"quoted\"\n"
    "f = sig(a*b)\n"
)
# (program, how it is given: "inline" on the command line, "stdin", or "file" NAME, values)
CASES = [
    ("a*b # $(touch {m}) `touch {m}`", "inline", None, {"a": 2, "b": 3}),
    ("-a*b # it's $(touch {m})", "inline", None, {"a": 2, "b": -0.0}),
    ("x = a*b  # first $(touch {m})\nf = x + a  # `touch {m}`", "inline", None, {"a": 2, "b": 3}),
    ("x = a*b  # first\r\nf = x\f+ a\n", "stdin", None, {"a": 1.5, "b": 3}),
    (JS_SWALLOWED, "inline", None, {"a": 2, "b": 3}),
    (JS_SWALLOWED, "stdin", None, {"a": 2, "b": 3}),
    (JS_SWALLOWED, "file", "p $(touch {m}) 'q'.js", {"a": 2, "b": 3}),
    (PY_BLOCK, "inline", None, {"a": 0.5, "b": -3}),
    (PY_BLOCK, "file", "sig.py", {"a": 0.5, "b": -3}),
    ("s = x*x  # squares\nf = sum(s)", "inline", None, {"x": "[1.5, -2]"}),
]


def _args(values: dict) -> list:
    return [f"{k}={'-0' if v == 0 and math.copysign(1, v) < 0 else v}" for k, v in values.items()]


def _numbers(stdout: str) -> tuple:
    doc = json.loads(stdout)
    return doc["value"], doc["gradient"]


@pytest.mark.parametrize(
    "program, given, name, values", CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(CASES)]
)
def test_the_suggested_command_reproduces_the_explain_run_and_runs_nothing(
    tmp_path, program, given, name, values
):
    work = tmp_path / "work"
    work.mkdir()
    marker = work / "ran"  # `touch ran` in the folder gradcli and the shell run in
    program = program.format(m=marker.name)
    stdin = None
    if given == "inline":
        source = ["--", program] if program.startswith("-") else [program]
    elif given == "stdin":
        source, stdin = ["-"], program
    else:
        path = work / name.format(m=marker.name)
        path.write_text(program, encoding="utf-8")
        source = ["-f", path.name]
    args = source + _args(values)
    r = run_gradcli("explain", "--no-pause", *args, input=stdin, cwd=work, env={"COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    found = SUGGESTION.search(r.stdout)
    assert found, r.stdout[-600:]
    save_as, command = found.groups()
    # What explain computed: eval on the same arguments.
    want = run_gradcli("eval", "--json", *args, input=stdin, cwd=work)
    assert want.returncode == 0, want.stderr

    if given == "file":
        assert save_as is None and "-f" in command
    elif "\n" in program.strip() or "'" in program:
        # Many lines, or quotes inside: read from a file the sentence names.
        assert save_as is not None and f"-f {save_as}" in command
        (work / save_as).write_text(program, encoding="utf-8")
    else:
        assert save_as is None and program.strip().split("#")[0].strip() in command
    if " --json" not in command:
        command = command.replace("gradcli eval", "gradcli eval --json", 1)
    ran = subprocess.run(
        ["bash", "-c", f'gradcli() {{ "{sys.executable}" -m gradcli "$@"; }}\n{command}'],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=120,
    )
    assert ran.returncode == 0, (command, ran.stderr)
    assert _numbers(ran.stdout) == _numbers(want.stdout), command
    assert not marker.exists(), "a comment or a file name ran a command"
