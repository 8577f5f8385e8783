"""A wrong quiz answer on a long program is diagnosed from the right sweep's state, not by
a whole reverse sweep per candidate slip, and the diagnosis is the one the whole sweeps
give: the same mistakes, the same numbers to the last bit, the same facts.

Situation._full_sweep is the way every predicted number was computed before (a whole
sweep from the seed for each slip); it is kept only as the reference these tests compare
with."""

import math
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from gradcli.core.ops import Op
from gradcli.tutor import misconceptions
from gradcli.tutor.misconceptions import Situation, all_predictions, predictions
from gradcli.tutor.quiz import Question, judge
from gradcli.tutor.quizgen import TEMPLATES, draw

QUIZZES = sorted((ROOT / "examples" / "quizzes").glob("*.toml"))

# Every kind of step a slip can be made at: products and sums (operand rules, a
# subtrahend), quotients (the quotient rule), powers with a variable exponent, rules
# written with the output (sigmoid, tanh, exp, sqrt), gates that route (relu, max), a
# value used twice in one step; each form keeps values bounded over long programs.
FORMS = (
    "tanh({a}) * {b}",
    "0.5 * ({a} + {b})",
    "0.5 * ({a} - {b})",
    "{a} / (1 + {b}^2)",
    "tanh({a})^2 - 0.5",
    "sigmoid({a}) * {b}",
    "tanh({a}) + {b}",
    "exp(tanh({a}))",
    "sqrt(1 + {a}^2)",
    "relu({a}) - tanh({b})",
    "max({a}, {b})",
    "{a} * {a} / (1 + {a}^2) + 0.5 * {b}",
    "(1.5 + sigmoid({a}))^tanh({b})",
)


def random_program(rng: random.Random, n: int) -> tuple:
    """(source, inputs, asks): a straight-line program of n statements with fan-out."""
    names = ["a", "b", "c", "d"]
    inputs = {x: round(rng.uniform(-2, 2), 2) or 0.5 for x in names}
    pool = list(names)
    lines = []
    for k in range(n):
        a, b = rng.choice(pool), rng.choice(pool)
        lines.append(f"t{k} = " + rng.choice(FORMS).format(a=a, b=b))
        pool.append(f"t{k}")
        if len(pool) > 8:
            pool.pop(rng.randrange(len(pool) - 1))
    lines.append("f = " + " + ".join(pool[-3:]))
    asks = [f"grad {x}" for x in names] + [
        f"adjoint t{rng.randrange(n)}",
        f"adjoint t{rng.randrange(n)}",
        f"value t{rng.randrange(n)}",
    ]
    return "\n".join(lines), inputs, asks


def _same_number(x: float, y: float) -> bool:
    return x == y and math.copysign(1, x) == math.copysign(1, y) or (x != x and y != y)


def _diagnoses(s: Situation) -> list:
    """Every prediction on s (those giving the right number too), then the wrong ones:
    (id, value, facts) each."""
    return [(p.id, p.value, p.facts) for p in all_predictions(s)] + [
        (p.id, p.value, p.facts) for p in predictions(s)
    ]


def assert_same_as_whole_sweeps(s: Situation, monkeypatch) -> None:
    fast = _diagnoses(s)
    with monkeypatch.context() as m:
        m.setattr(Situation, "sweep", Situation._full_sweep)
        slow = _diagnoses(s)
    assert len(fast) == len(slow)
    for (fid, fv, ff), (sid, sv, sf) in zip(fast, slow):
        assert (fid, ff) == (sid, sf)
        assert _same_number(fv, sv), (fid, fv, sv)


def _questions(source: str, inputs: dict, asks: list) -> list:
    out = []
    for k, ask in enumerate(asks):
        used = {x: v for x, v in inputs.items() if re.search(rf"\b{x}\b", source)}
        try:
            out.append(Question(f"q{k}", source, used, ask))
        except Exception:  # an ask the program cannot answer (undefined there): not a question
            continue
    return out


@pytest.mark.parametrize("seed", range(40))
def test_seeded_programs_are_diagnosed_as_whole_sweeps_diagnose_them(seed, monkeypatch):
    rng = random.Random(seed)
    source, inputs, asks = random_program(rng, rng.choice([3, 8, 20, 60, 150]))
    questions = _questions(source, inputs, asks)
    assert questions
    for q in questions:
        assert_same_as_whole_sweeps(q.situation, monkeypatch)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_generated_questions_are_diagnosed_as_whole_sweeps_diagnose_them(template, monkeypatch):
    for seed in range(4):
        for ask in template.asks:
            q = draw(template, random.Random(seed), "q", ask)
            assert_same_as_whole_sweeps(q.situation, monkeypatch)


@pytest.mark.parametrize("path", QUIZZES, ids=lambda p: p.name)
def test_quiz_files_are_diagnosed_as_whole_sweeps_diagnose_them(path, monkeypatch):
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    for item in doc["question"]:
        q = Question(item["id"], item["program"], item.get("inputs", {}), item["ask"])
        assert_same_as_whole_sweeps(q.situation, monkeypatch)


def long_question(n: int, ask: str) -> Question:
    """A question over the benchmark's random program of n statements (gradients stay
    alive along it: benchmarks/programs.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from programs import gradcli_program, input_values
    finally:
        sys.path.pop(0)
    return Question("long", gradcli_program(n), input_values(), ask)


@pytest.mark.parametrize("ask", ["grad x0", "grad x3"])
def test_a_long_program_is_diagnosed_without_a_sweep_per_slip(ask, monkeypatch):
    """Counted, not timed: the chain-rule terms computed while diagnosing a wrong answer
    stay within 40 sweeps' worth of the tape (about 20 here), where a whole sweep per
    candidate slip computed about 380; and the diagnosis is the whole sweeps' one."""
    q = long_question(1000, ask)
    per_sweep = len(q.evaluation.contributions)
    count = [0]
    term = Op.vjp_term

    def counted(self, *args):
        count[0] += 1
        return term(self, *args)

    monkeypatch.setattr(Op, "vjp_term", counted)
    wrong = repr(q.expected * 1.5 + 0.125)
    outcome = judge(q, wrong)
    assert count[0] <= 40 * per_sweep, (count[0], per_sweep)
    with monkeypatch.context() as m:
        m.setattr(Situation, "sweep", Situation._full_sweep)
        reference = judge(q, wrong)
    assert [(p.id, p.value, p.facts, p.also) for p in outcome.mistakes] == [
        (p.id, p.value, p.facts, p.also) for p in reference.mistakes
    ]
    # The slips it looked at are the ones the whole sweeps looked at.
    assert misconceptions.MAX_GATES == len(q.situation.path)


def write_long_quiz(path: Path, n: int, ask: str) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from programs import gradcli_program, input_values
    finally:
        sys.path.pop(0)
    inputs = ", ".join(f"{k} = {v!r}" for k, v in input_values().items())
    path.write_text(
        'title = "A long program"\n\n[[question]]\nid = "long"\n'
        f'program = """\n{gradcli_program(n).strip()}\n"""\n'
        f'inputs = {{ {inputs} }}\nask = "{ask}"\n',
        encoding="utf-8",
    )


def test_a_10000_step_quiz_answer_is_diagnosed_within_a_bound(tmp_path):
    """The CLI end to end on the issue's case, a wrong answer on a 10,000-statement
    program: a safety bound (several times what it takes, far under the minutes a sweep
    per slip took under load), under a memory limit."""
    quiz = tmp_path / "long.toml"
    write_long_quiz(quiz, 10_000, "grad x3")
    answers = tmp_path / "answers"
    answers.write_text("12345\n", encoding="utf-8")
    code = (
        "import resource, sys; "
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
        "sys.argv = ['gradcli', 'quiz', '--script', sys.argv[1], '--answers', sys.argv[2], "
        "'--no-save', '--json']; "
        "from gradcli.__main__ import run; run()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(quiz), str(answers)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 or proc.returncode == 0, proc.stderr[-2000:]
    assert '"12345"' in proc.stdout or "12345" in proc.stdout
