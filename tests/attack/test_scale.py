"""Huge and deep inputs through every command (issue 14, "Every command at scale"):
10,000 nested parentheses, a long sum and a long chain of statements through eval, explain,
graph, code, quiz and plot, and a long export through progress --merge; where a command
refuses by design (a Graphviz picture over its edge limit, a quiz file over 1 MB) the
refusal and its message. Each run is a fresh process under an address-space limit
(harness.MEMORY_MB) and a safety timeout; its wall time and peak memory are printed in the
table at the end of the run, never asserted.

Sizes: CI runs a 2,000-term sum and 2,000 statements (twice Python's recursion limit of
1000, so anything recursive over them fails, and small enough for the minute);
GRADCLI_ATTACK_FULL=1 runs the issue's 100,000. All runs start at once (harness.WORKERS at
a time). The quiz's chain is 1,100
statements: the quiz checks each question's known mistakes when it loads the file, which
takes seconds per thousand steps (README "Performance")."""

import json
import math
from pathlib import Path

from attack import harness
from gradcli.emit.graphviz import MAX_EDGES

A, B = 1.0001, 0.5
VALUES = ["--a", str(A), "--b", str(B)]
TERMS = harness.size(2_000, 100_000)
STATEMENTS = harness.size(2_000, 100_000)
QUIZ_STATEMENTS = harness.size(1_100, 100_000)  # 100,000 is past the quiz file's 1 MB
ANSWERS = harness.size(10_000, 100_000)


def chain(n: int) -> str:
    return "\n".join(["x0 = a*b"] + [f"x{i} = x{i - 1}*a + b" for i in range(1, n)])


def chain_gradient(n: int) -> dict:
    """The chain's value and gradient, by forward mode in plain floats."""
    x, da, db = A * B, B, A
    for _ in range(1, n):
        x, da, db = x * A + B, da * A + x, db * A + 1
    return {"a": da, "b": db}


PROGRAMS = {
    "10,000 nested parentheses": ("(" * 10_000 + "a*b" + ")" * 10_000, {"a": B, "b": A}),
    f"a {TERMS:,}-term sum": ("+".join(["a*b"] * TERMS), {"a": TERMS * B, "b": TERMS * A}),
    f"{STATEMENTS:,} statements": (chain(STATEMENTS), chain_gradient(STATEMENTS)),
}
COMMANDS = [
    ["eval", "--grad-only"],
    ["eval", "--json"],
    ["eval"],
    ["explain", "--no-pause"],
    ["graph"],
    ["graph", "--json"],
    ["code"],
    ["plot", "--along", "a", "--points", "20"],
]


def close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-9)


def check(r) -> str:
    """What is wrong with a run that should succeed, in words; '' when nothing."""
    if r.timed_out:
        return "timed out"
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr[-300:]}"
    if "Traceback" in r.stderr or not r.stdout:
        return f"no output or a traceback: {r.stderr[-300:]}"
    return ""


def quiz_file(path: Path, program: str) -> str:
    path.write_text(
        'title = "big"\n\n[[question]]\nid = "big"\n'
        f'program = """\n{program}\n"""\ninputs = {{a = {A}, b = {B}}}\nask = "grad a"\n'
    )
    return str(path)


def test_every_command_takes_huge_and_deep_inputs(tmp_path):
    """Every command on every huge program, the quiz, progress and the refused picture: one
    batch of fresh processes, checked once all have ended."""
    jobs, checks = [], []

    def add(args, label, verdict):  # the slowest (the quiz) first, so none ends alone
        jobs.append(lambda: harness.run(args, label=label, fresh=True, detail=True))
        checks.append((label, verdict))

    for args, label, verdict in quiz_jobs(tmp_path) + progress_jobs(tmp_path):
        add(args, label, verdict)
    for n, (name, (text, gradient)) in enumerate(PROGRAMS.items()):
        program = tmp_path / f"program{n}.grad"
        program.write_text(text)
        for c in COMMANDS:
            verdict = check
            if c == ["eval", "--json"]:
                verdict = gradient_of(gradient)
            add([c[0], "-f", str(program), *VALUES, *c[1:]], f"{' '.join(c)}: {name}", verdict)
    program = tmp_path / "chain.grad"
    program.write_text(chain(STATEMENTS))
    svg = tmp_path / "g.svg"
    add(
        ["graph", "-f", str(program), *VALUES, "--format", "svg", "-o", str(svg)],
        f"graph --format svg: {STATEMENTS:,} statements",
        refused_picture(svg),
    )
    runs = harness.run_all(jobs)
    failures = {label: verdict(r) for (label, verdict), r in zip(checks, runs) if verdict(r)}
    assert not failures, failures


def gradient_of(gradient: dict):
    def verdict(r) -> str:
        problem = check(r)
        if problem:
            return problem
        got = json.loads(r.stdout)["gradient"]
        if got.keys() != gradient.keys() or not all(close(got[k], v) for k, v in gradient.items()):
            return f"gradient {got}, not {gradient}"
        return ""

    return verdict


def refused_picture(svg: Path):
    def verdict(r) -> str:
        if r.returncode != 1 or f"more than the {MAX_EDGES}" not in r.stderr:
            return f"exit {r.returncode}: {r.stderr[-300:]}"
        if "--format dot" not in r.stderr or svg.exists():
            return "no advice, or a picture anyway"
        return ""

    return verdict


def quiz_jobs(tmp_path) -> list:
    deep = quiz_file(tmp_path / "deep.toml", PROGRAMS["10,000 nested parentheses"][0])
    long = quiz_file(tmp_path / "long.toml", chain(QUIZ_STATEMENTS))
    (tmp_path / "wrong.txt").write_text("7\n")
    right = chain_gradient(QUIZ_STATEMENTS)["a"]
    (tmp_path / "right.txt").write_text(f"{right!r}\n")

    def scored(words):
        return lambda r: check(r) or ("" if words in r.stdout else r.stdout[-300:])

    def long_verdict(r) -> str:
        if Path(long).stat().st_size > 2**20:  # refused by design: past the quiz file's limit
            ok = r.returncode == 2 and "larger than the 1 MB" in r.stderr
            return "" if ok else f"exit {r.returncode}: {r.stderr[-300:]}"
        return scored("Score: 1 of 1")(r)

    return [
        (
            ["quiz", "--script", long, "--answers", str(tmp_path / "right.txt"), "--no-save"],
            f"quiz, the right answer: {QUIZ_STATEMENTS:,} statements",
            long_verdict,
        ),
        (
            ["quiz", "--script", deep, "--answers", str(tmp_path / "wrong.txt"), "--no-save"],
            "quiz, a wrong answer: 10,000 nested parentheses",
            scored("Score: 0 of 1"),
        ),
    ]


def progress_jobs(tmp_path) -> list:
    row = {
        "answered_at": "2026-11-30T06:41:57.416+00:00",
        "session": "s",
        "question_id": "mul",
        "program": "c = a*b",
        "inputs": {"a": 2.0, "b": 3.0},
        "ask": "grad a",
        "prompt": None,
        "level": None,
        "topic": None,
        "answer": "7",
        "value": 7.0,
        "expected": 3.0,
        "correct": False,
        "skipped": False,
        "misconceptions": [],
        "possible": ["wrong-operand"],
        "seconds": 0.01,
        "review": False,
    }
    answers = [dict(row, uid=f"{i:032x}", correct=i % 3 == 0) for i in range(ANSWERS)]
    export = tmp_path / "learner.json"
    export.write_text(json.dumps({"format": "gradcli-progress", "version": 2, "answers": answers}))
    return [
        (
            ["progress", "--merge", str(export)],
            f"progress --merge: {ANSWERS:,} answers",
            lambda r: check(r) or ("" if "learner" in r.stdout else r.stdout[-300:]),
        ),
        (
            ["progress", "--merge", str(export), "--json"],
            f"progress --merge --json: {ANSWERS:,} answers",
            lambda r: check(r) or ("" if str(ANSWERS) in r.stdout else r.stdout[-300:]),
        ),
    ]
