"""Issue 11, "Quiz fairness": unfair questions are reported, answers are judged to the
precision typed, generated quizzes vary, and the answer prompt edits lines."""

import os
import re
import sys
from pathlib import Path

import pytest

from gradcli.core.notation import Notation
from gradcli.tutor.quiz import Question, judge
from gradcli.tutor.quizgen import generate
from gradcli.tutor.quiztext import verdict_lines

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "quizzes").glob("*.toml"))

NEURON = """title = "neuron"
[[question]]
id = "da"
program = "q = a*x + b*y + c\\nf = sigmoid(q)"
inputs = { a = 1, b = 2, c = -3, x = -1, y = 3 }
ask = "grad a"
"""


# --- 1. unfair questions ----------------------------------------------------------------
def test_a_mistake_giving_the_right_answer_is_reported(cli, tmp_path):
    path = tmp_path / "neuron.toml"
    path.write_text(NEURON)
    result = cli("quiz", "--check-script", str(path))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert 'question 1 (id "da")' in out
    assert "divided-instead-of-multiplied" in out and "-0.104994" in out
    assert "give x a value other than 1 and -1" in out  # what to change
    # A normal run warns on stderr before the first question, then runs.
    run = cli("quiz", "--script", str(path), "--answers", "-", input="0.104994/(-1)\n")
    assert run.exit_code == 0, run.output
    assert "warning:" in run.stderr and "divided-instead-of-multiplied" in run.stderr
    assert "warning" not in run.stdout


def test_two_mistakes_with_one_number_are_reported(cli, tmp_path):
    # b = a + a, f = 3*b at a = 3: the wrong operand at f = 3*b (b's own value, 6) and a
    # gradient counted twice both give 12.
    path = tmp_path / "self.toml"
    path.write_text(
        '[[question]]\nid = "self"\nprogram = "b = a + a\\nf = 3 * b"\n'
        'inputs = { a = 3 }\nask = "grad a"\n'
    )
    result = cli("quiz", "--check-script", str(path))
    assert result.exit_code == 1, result.output
    assert "wrong-operand (12) and stale-grad (12)" in result.stdout, result.stdout


def test_a_fair_file_passes_and_check_takes_no_run_options(cli, tmp_path):
    path = tmp_path / "fair.toml"
    path.write_text(
        '[[question]]\nid = "m"\nprogram = "x = a * b\\ny = x + c\\nf = 2 * y"\n'
        'inputs = { a = 2, b = 3, c = 1 }\nask = "grad a"\n'
    )
    result = cli("quiz", "--check-script", str(path))
    assert result.exit_code == 0, result.output
    assert "all 1 question fair" in result.stdout
    bad = cli("quiz", "--check-script", str(path), "--seed", "1")
    assert bad.exit_code == 2 and "--seed cannot be used with --check-script" in bad.stderr
    missing = cli("quiz", "--check-script", str(tmp_path / "none.toml"))
    assert missing.exit_code == 2 and "cannot read the quiz file" in missing.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_shipped_quiz_is_fair(cli, path):
    result = cli("quiz", "--check-script", str(path))
    assert result.exit_code == 0, result.stdout
    assert "fair" in result.stdout


@pytest.mark.parametrize("level", [1, 2, 3])
def test_generated_questions_are_never_unfair(level):
    from gradcli.tutor.quiz import unfairness

    for seed in range(40):
        for q in generate(level, 3, seed):
            assert unfairness(q) == [], (q.source, q.inputs, q.ask)
    for q in generate(None, 10, 5, topic="fan-out"):
        assert unfairness(q) == []


# --- 2. precision -------------------------------------------------------------------------
def test_an_answer_is_right_to_the_precision_typed():
    q = Question("t", "x = a * b\nf = 2 * x", {"a": 2, "b": 3}, "grad a")  # 6
    for right in ("5.9999999", "6", "6.000", "6.0000001", "12/2"):
        assert judge(q, right).correct, right
    for wrong in ("6.001", "5.99", "6.0001", "5.9999"):
        assert not judge(q, wrong).correct, wrong
    q = Question("t", "f = sigmoid(q)", {"q": 2}, "grad q")  # 0.104993585...
    for right in ("0.1050", "0.10499", "0.104994", "1.04994e-1", "0.1049936"):
        assert judge(q, right).correct, right
    for wrong in ("0.1", "0.105", "0.1049", "0.104995", "0.1049934"):
        assert not judge(q, wrong).correct, wrong
    zero = Question("t", "r = relu(x)\nf = 3 * r", {"x": -2}, "grad x")
    assert judge(zero, "0").correct and not judge(zero, "0.001").correct
    neg = Question("t", "f = a - b", {"a": 1, "b": 3}, "value f")
    assert judge(neg, "-2").correct and not judge(neg, "-2.001").correct


def test_a_wrong_verdict_never_prints_equal_numbers():
    q = Question("t", "f = sigmoid(q)", {"q": 2}, "grad q")  # 0.104993585...
    for answer in ("0.10499449", "0.1049934", "0.104995"):
        o = judge(q, answer)
        assert not o.correct
        first = verdict_lines(q, o, Notation())[0]
        said, right = first.split("you answered ")[1].split("; ")
        typed = said.split(" = ")[-1]
        assert typed != right.split(" = ")[-1], first
    o = judge(q, "0.105")  # right to 3 digits: says why it is not accepted
    lines = verdict_lines(q, o, Notation())
    assert any("at least 4" in line and "0.1050" in line for line in lines), lines


# --- 4. line editing at a real terminal -------------------------------------------------------
def test_the_answer_prompt_edits_lines_and_recalls_history():
    pexpect = pytest.importorskip("pexpect")
    pytest.importorskip("readline")
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="dumb")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", "quiz", "--script", "examples/quizzes/seed-multiply.toml"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )
    child.expect("Question 1 of 4")
    child.expect("> ")
    child.send("12")
    child.send("\x1b[D")  # left arrow
    child.send("3\r")
    child.expect(r"you answered (\S+);")
    assert child.match.group(1) == "132"
    child.expect("Question 2 of 4")
    child.expect("> ")
    child.send("\x1b[A\r")  # up arrow: the previous answer again
    child.expect(r"you answered (\S+);")
    assert child.match.group(1) == "132"
    child.expect("> ")
    child.sendline("quit")
    child.expect("Score: 0 of 4")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "unexpected character" not in (child.before or "")


# --- 3. variety ------------------------------------------------------------------------------
def _used_twice(q) -> bool:
    """An input or step of the program that is an operand more than once (fan-out)."""
    uses = {}
    for step in q.tape.steps:
        for a in step.args:
            if not q.tape.is_const(a):
                uses[a] = uses.get(a, 0) + 1
    return any(n > 1 for n in uses.values())


def test_generated_quizzes_use_many_program_shapes():
    shapes = {}
    for level in (1, 2, 3):
        seen = {q.shape for seed in range(8) for q in generate(level, 5, seed)}
        shapes[level] = seen
        assert len(seen) >= {1: 7, 2: 10, 3: 8}[level], (level, sorted(seen))
    assert len(set().union(*shapes.values())) >= 25, shapes
    # The programs themselves differ, not only their names.
    sources = {
        re.sub(r"\d+", "k", q.source)
        for level in (1, 2, 3)
        for seed in range(8)
        for q in generate(level, 5, seed)
    }
    assert len(sources) >= 25, sorted(sources)


def test_the_same_seed_gives_the_same_quiz():
    for level in (1, 2, 3):
        first = [(q.shape, q.source, q.inputs, q.ask) for q in generate(level, 6, 42)]
        again = [(q.shape, q.source, q.inputs, q.ask) for q in generate(level, 6, 42)]
        assert first == again
        assert len({shape for shape, *_ in first}) >= 4, first


def test_fan_out_topic_always_uses_a_value_twice():
    sources = set()
    for seed in range(15):
        for q in generate(None, 4, seed, topic="fan-out"):
            assert _used_twice(q), q.source
            sources.add(re.sub(r"\d+", "k", q.source))
    assert len(sources) >= 4, sorted(sources)  # several fan-out programs, not one or two


# --- quiz and explain take the same topic names -------------------------------------------------
def test_quiz_and_explain_accept_the_same_topic_names(cli):
    from gradcli.tutor.quizgen import ALIASES, TOPICS
    from gradcli.tutor.topics import TOPICS as LESSONS

    quiz_names = set(TOPICS) | set(ALIASES)
    lessons = {name for name, t in LESSONS.items() if not t.arrays}
    assert lessons <= quiz_names
    for name in sorted(quiz_names):
        shown = cli("explain", "--topic", name)
        assert shown.exit_code == 0, (name, shown.output)
        asked = cli("quiz", "--topic", name, "--count", "1", "--seed", "2", "--json", input="")
        assert asked.exit_code == 0, (name, asked.output)


# --- one place where an answered question is complete ------------------------------------------
def test_each_completed_question_is_reported_once():
    from gradcli.tutor.quiz import session

    questions = generate(1, 3, 4)
    lines = iter(["hint", "skip", "12345", "quit"])
    seen = []
    outcomes, stopped = session(
        questions,
        lambda: next(lines, None),
        None,
        "",
        False,
        record=lambda q, o, seconds: seen.append((q.id, o.answer)),
    )
    assert stopped == "quit"
    assert seen == [("q1", None), ("q2", "12345")]
    assert [o.answer for o in outcomes] == [None, "12345"]


# Found by the break-it review: an integer's trailing zeros, and an absolute 1e-12 that let
# any tiny answer (a sign error included) pass.
@pytest.mark.parametrize(
    "text, digits",
    [("12350", 4), ("600", 1), ("6.00e2", 3), ("0.1050", 4), ("-2", 1), ("0", 0), ("1235.0", 5)],
)
def test_an_integers_trailing_zeros_are_not_significant(text, digits):
    from gradcli.tutor.quiz import typed_digits

    assert typed_digits(text) == digits


@pytest.mark.parametrize(
    "b, typed, right",
    [
        (12345.6, "12350", True),  # what the feedback suggests must be marked right
        (12345.6, "12300", False),  # 3 digits
        (123456789012.0, "123500000000", True),
        (5e-13, "-5e-13", False),  # a sign error on a tiny value
        (5e-13, "5e-13", True),
    ],
)
def test_big_and_tiny_answers_are_judged_by_the_rule_as_written(b, typed, right):
    from gradcli.tutor.quiz import Question, judge

    q = Question("t", "f = a*b", {"a": 2, "b": b}, "grad a")
    assert judge(q, typed).correct is right


def test_a_tiny_answer_is_not_zero_and_zero_is_right_for_float_noise():
    from gradcli.tutor.quiz import Question, judge

    exact_zero = Question("z", "f = a*b - b*a", {"a": 2, "b": 3}, "grad a")
    assert judge(exact_zero, "0").correct
    assert not judge(exact_zero, "1e-100").correct
    assert not judge(exact_zero, "5e-324").correct
    noise = Question("n", "f = (a*0.1 + 0.2 - 0.3) * b", {"a": 1, "b": 1}, "grad b")
    assert abs(noise.expected) < 1e-12 and noise.expected != 0
    assert judge(noise, "0").correct
