"""`gradcli quiz`: diagnosis of mistakes, generated questions, quiz files, the terminal."""

import json
import math
import os
import random
import sys
from pathlib import Path

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.core.errors import UsageError
from gradcli.core.notation import Notation, fmt
from gradcli.tutor.misconceptions import BY_ID, CATALOGUE, explain, predictions
from gradcli.tutor.quiz import Question, judge, read_number
from gradcli.tutor.quizgen import TEMPLATES, draw, generate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "quizzes").glob("*.toml"))


def ids(outcome):
    found = outcome.misconception
    return [] if found is None else [found] if isinstance(found, str) else found


# --- the catalogue's own worked examples (../shared/misconceptions.md), by hand ------------
SIG2 = 1 / (1 + math.exp(-2))
CASES = [
    ("divided-instead-of-multiplied", "x = a * b\nf = 2 * x", {"a": 2, "b": 3}, "grad a", 2 / 3),
    ("missing-upstream", "x = a^2\nf = 5 * x", {"a": 3}, "grad a", 6),
    (
        "missing-fan-out-sum",
        "x = a * b\ny = a + c\nf = x * y",
        {"a": 2, "b": 3, "c": 1},
        "grad a",
        9,
    ),
    (
        "missing-fan-out-sum",
        "x = a * b\ny = a + c\nf = x * y",
        {"a": 2, "b": 3, "c": 1},
        "grad a",
        6,
    ),
    ("overwrite-not-accumulate", "b = a + a", {"a": 3}, "grad a", 1),
    ("wrong-operand", "x = a * b\nf = 3 * x", {"a": 2, "b": 5}, "grad a", 6),
    ("sub-subtrahend-sign", "f = (a - b) * c", {"a": 5, "b": 2, "c": 3}, "grad b", 3),
    ("sub-subtrahend-sign", "f = a*c - a*d", {"a": 2, "c": 5, "d": 3}, "grad a", 8),
    ("sign-error", "f = a*c - a*d", {"a": 2, "c": 5, "d": 3}, "grad a", -2),
    ("sigmoid-of-wrong-value", "f = sigmoid(q)", {"q": 2}, "grad q", 2 * (1 - 2)),
    ("output-form-on-input", "f = tanh(q)", {"q": 1.5}, "grad q", 1 - 1.5**2),
    (
        "derivative-of-output",
        "f = sigmoid(q)",
        {"q": 2},
        "grad q",
        (1 / (1 + math.exp(-SIG2))) * (1 - 1 / (1 + math.exp(-SIG2))),
    ),
    ("missing-local-derivative", "f = 3 * sigmoid(q)", {"q": 2}, "grad q", 3),
    ("forward-value-instead-of-gradient", "x = a * b\nf = 2 * x", {"a": 2, "b": 3}, "grad a", 2),
    ("quotient-of-derivatives", "f = (x + y) / (x * z)", {"x": 2, "y": 1, "z": 3}, "grad x", 1 / 3),
    ("power-rule-on-exponent", "f = a ^ b", {"a": 2, "b": 3}, "grad b", 12),
    ("relu-mask-by-gradient", "r = relu(x)\nf = r * c", {"x": 3, "c": -2}, "grad x", 0),
    ("stale-grad", "f = a * b", {"a": 3, "b": 4}, "grad a", 8),
]


@pytest.mark.parametrize("mistake, program, inputs, ask, wrong", CASES)
def test_catalogue_examples_are_recognised(mistake, program, inputs, ask, wrong):
    q = Question("t", program, inputs, ask)
    outcome = judge(q, repr(wrong))
    assert not outcome.correct
    assert mistake in ids(outcome), (
        outcome.misconception,
        [(p.id, p.value) for p in predictions(q.situation)],
    )


def test_every_catalogue_id_has_a_worked_example():
    assert {c[0] for c in CASES} == {m.id for m in CATALOGUE}


def test_right_answers_and_answer_forms():
    q = Question("t", "x = a * b\nf = 2 * x", {"a": 2, "b": 3}, "grad a")
    for text in ("6", "6.0", "12/2", "2*3", "2 * 4 - 2", " 6 "):
        assert judge(q, text).correct, text
    assert not judge(q, "6.001").correct  # an integer answer is exact
    q = Question("t", "f = sigmoid(q)", {"q": 2}, "grad q")
    assert judge(q, "0.1050").correct  # the exact 0.10499... to the 4 digits typed
    assert not judge(q, "0.105").correct  # 3 significant digits are not enough
    assert judge(q, "0.105*1").correct  # arithmetic: relative 1e-3, as before
    assert judge(q, "sigmoid(2)*(1-sigmoid(2))").correct
    assert not judge(q, "0.1").correct
    assert read_number("3/4") == 0.75
    for bad in ("x", "__import__('os')", "", "2 +"):
        outcome = judge(q, bad)
        assert outcome.problem and not outcome.correct, bad


def test_stated_tolerance_is_absolute():
    q = Question("t", "f = sigmoid(q)", {"q": 2}, "grad q", tolerance=0.01)
    assert judge(q, "0.11").correct and not judge(q, "0.12").correct


# --- generated questions: every mistake stays recognisable ----------------------------------
TEMPLATE_ASKS = [(t, ask) for t in TEMPLATES for ask in t.asks]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEMPLATE_ASKS), st.integers(0, 10**6))
def test_each_predicted_mistake_is_recognised(template_ask, seed):
    template, ask = template_ask
    q = draw(template, random.Random(seed), "q", ask)
    assert not q.close(0.0, q.expected)
    for p in predictions(q.situation):
        outcome = judge(q, repr(p.value))
        assert not outcome.correct, p.id
        assert p.id in ids(outcome), (p.id, p.value, outcome.misconception)
        # Its explanation can be written out, and quotes the predicted number.
        for nt in (Notation(), Notation(ascii_only=True)):
            text = explain(p, q.situation, nt)
            assert fmt(p.value) in text or p.facts.get("input") == q.situation.asked, text
        # A mistake shares its number only with the mistakes declared to do so.
        for other in ids(outcome):
            assert other == p.id or other in BY_ID[p.id].same_number_as, (p.id, other)


@settings(max_examples=examples(15), deadline=None)
@given(st.sampled_from([1, 2, 3]), st.integers(0, 10**6))
def test_generated_quiz_at_every_level(level, seed):
    questions = generate(level, 3, seed)
    assert {q.level for q in questions} == {level}
    for q in questions:
        # The right number is the engine's (an independent finite difference checks it).
        if q.kind == "grad":
            h = 1e-6
            up = dict(q.inputs, **{q.name: q.inputs[q.name] + h})
            down = dict(q.inputs, **{q.name: q.inputs[q.name] - h})
            fd = (
                Question("u", q.source, up, q.ask).evaluation.value
                - Question("d", q.source, down, q.ask).evaluation.value
            ) / (2 * h)
            assert math.isclose(fd, q.expected, rel_tol=1e-5, abs_tol=1e-6)


def test_a_level_with_no_questions_says_which_levels_there_are():
    """Without a topic, the hint listed the levels of no topics at all: a TypeError, not
    this message (mypy found it)."""
    with pytest.raises(UsageError) as caught:
        generate(9, 1, seed=0)
    assert caught.value.message == "no questions at level 9"
    assert caught.value.detail == "the levels are " + ", ".join(
        sorted({str(t.level) for t in TEMPLATES})
    )


def test_every_catalogue_id_arises_in_generated_questions():
    seen = set()
    for t, ask in TEMPLATE_ASKS:
        for seed in range(3):
            seen |= {p.id for p in predictions(draw(t, random.Random(seed), "q", ask).situation)}
    assert seen == {m.id for m in CATALOGUE}


def test_seed_makes_a_run_reproducible(cli):
    first = cli("quiz", "--seed", "7", "--count", "3", "--level", "2", "--json", input="")
    again = cli("quiz", "--seed", "7", "--count", "3", "--level", "2", "--json", input="")
    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout


def test_topic_and_level_errors(cli):
    result = cli("quiz", "--topic", "nope")
    assert result.exit_code == 2 and "topics:" in result.stderr and "sigmoid" in result.stderr
    assert cli("quiz", "--level", "4").exit_code == 2
    result = cli("quiz", "--topic", "fan-out", "--count", "2", "--json", input="")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["questions"]) == 2


# --- scripted runs ----------------------------------------------------------------------------
SCRIPT = """
title = "test"
[[question]]
id = "da"
program = "x = a * b\\nf = 2 * x"
inputs = { a = 2, b = 3 }
ask = "grad a"

[[question]]
id = "db"
program = "x = a * b\\nf = 2 * x"
inputs = { a = 4, b = 3 }
ask = "grad b"

[[question]]
id = "fan"
program = "x = a * b\\ny = a + c\\nf = x * y"
inputs = { a = 2, b = 3, c = 1 }
ask = "grad a"

[[question]]
id = "val"
program = "x = a * b\\nf = 2 * x"
inputs = { a = 2, b = 3 }
ask = "value x"
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_text(SCRIPT)
    return str(path)


def test_scripted_json_report(cli, script, tmp_path):
    # Right (2·b = 6), divided (x̄/a = 2/4), one fan-out path only (b·y = 9), no answer.
    answers = tmp_path / "answers.txt"
    answers.write_text("6\n2/4\n9\n")
    result = cli("quiz", "--script", script, "--answers", str(answers), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "schema": "gradcli.quiz/1",
        "score": 1,
        "total": 4,
        "questions": [
            {
                "id": "da",
                "ask": "grad a",
                "answer": "6",
                "expected": 6.0,
                "correct": True,
                "misconception": None,
            },
            {
                "id": "db",
                "ask": "grad b",
                "answer": "2/4",
                "expected": 8.0,
                "correct": False,
                "misconception": "divided-instead-of-multiplied",
            },
            {
                "id": "fan",
                "ask": "grad a",
                "answer": "9",
                "expected": 15.0,
                "correct": False,
                "misconception": [
                    "missing-upstream",
                    "missing-fan-out-sum",
                    "overwrite-not-accumulate",
                ],
            },
            {
                "id": "val",
                "ask": "value x",
                "answer": None,
                "expected": 6.0,
                "correct": False,
                "misconception": None,
            },
        ],
    }


def test_answers_on_stdin_and_pass_mark(cli, script):
    args = ("quiz", "--script", script, "--answers", "-", "--json")
    result = cli(*args, "--pass-mark", "75", input="6\n8\n15\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["score"] == 3
    assert cli(*args, "--pass-mark", "76", input="6\n8\n15\n").exit_code == 1
    assert cli(*args, input="").exit_code == 0  # no pass mark: a finished quiz exits 0


def test_scripted_feedback_names_the_mistake(cli, script):
    result = cli("quiz", "--script", script, "--answers", "-", "--ascii", input="6\n2/4\nskip\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "> 2/4" in out  # answers from a file are echoed after the prompt
    assert "[divided-instead-of-multiplied]" in out
    assert "grad_b = grad_x/a = 2/4 = 0.5" in out  # the explanation uses the question's numbers
    assert "grad_b = a*grad_x = 4*2 = 8" in out  # and the eval rows follow
    assert "skipped: the answer was 15" in out
    assert "Score: 1 of 4" in out


MALFORMED = [
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 1, b = 2}\n',
        "question 1 (id \"a\"): field 'ask': missing",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 1, b = 2}\nask = "slope a"\n',
        "question 1 (id \"a\"): field 'ask'",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "x = a*b"\ninputs = {a = 1, b = 2}\nask = "grad x"\n',
        "field 'ask': 'x' is not an input",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*"\ninputs = {a = 1}\nask = "grad a"\n',
        "question 1 (id \"a\"): field 'program'",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 1}\nask = "grad a"\n',
        "field 'inputs': no value for the input b",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = 3\nask = "grad a"\n',
        "field 'inputs': must be a table",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "log(a)"\ninputs = {a = -1}\nask = "grad a"\n',
        "field 'program': log is undefined",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 1, b = 2}\nask = "grad a"\n'
        "tolrance = 0.1\n",
        "field 'tolrance': unknown field",
    ),
    (
        '[[question]]\nprogram = "a*b"\ninputs = {a = 1, b = 2}\nask = "grad a"\n',
        "question 1: field 'id': missing",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 3, b = 2}\nask = "grad a"\n'
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 3, b = 2}\nask = "grad b"\n',
        'question 2 (id "a"): field \'id\': "a" is also the id of question 1',
    ),
    (
        '[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 3, b = 2}\nask = "grad a"\n'
        "tolerance = -1\n",
        "field 'tolerance': must be a positive number",
    ),
    (
        '[[question]]\nid = "a"\nprogram = "sqrt(a)"\ninputs = {a = 0}\nask = "grad a"\n',
        "field 'ask': the answer to \"grad a\" is undefined",
    ),
    ('[[question]\nid = "a"\n', "not valid TOML"),
    ('title = "empty"\n', "no questions"),
]


@pytest.mark.parametrize("text, message", MALFORMED)
def test_malformed_scripts_are_named(cli, tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = cli("quiz", "--script", str(path), "--answers", "-", input="6\n")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: {path}: " in result.stderr
    assert message in result.stderr, result.stderr


def test_whole_file_is_checked_before_asking(cli, tmp_path):
    good = '[[question]]\nid = "q{n}"\nprogram = "a*b"\ninputs = {{a = 3, b = 2}}\nask = "grad a"\n'
    path = tmp_path / "late.toml"
    path.write_text(
        good.format(n=1)
        + good.format(n=2)
        + '[[question]]\nid = "q3"\nprogram = "a*b"\ninputs = {a = 3}\nask = "grad a"\n'
    )
    result = cli("quiz", "--script", str(path), "--answers", "-", input="2\n2\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert "question 3 (id \"q3\"): field 'inputs'" in result.stderr


def test_missing_script_file(cli, tmp_path):
    result = cli("quiz", "--script", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2 and "cannot read the quiz file" in result.stderr


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_quizzes_run(cli, path):
    from gradcli.tutor.quizscript import load

    questions = load(str(path)).questions
    assert questions
    right = "\n".join(repr(q.expected) for q in questions) + "\n"
    result = cli("quiz", "--script", str(path), "--answers", "-", "--json", input=right)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["score"] == report["total"] == len(questions)
    result = cli("quiz", "--script", str(path), "--answers", "-", input="")
    assert result.exit_code == 0 and "Score: 0 of" in result.stdout


def test_example_quizzes_exist():
    assert {p.name for p in EXAMPLES} >= {
        "seed-multiply.toml",
        "hackers-guide-neuron.toml",
        "fan-out.toml",
    }


# --- at a real terminal ---------------------------------------------------------------------
def _spawn(*args):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, COLUMNS="120", LINES="40", TERM="dumb")
    return pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", *args],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )


def test_interactive_wrong_answer_is_diagnosed_and_quit_shows_the_score():
    pexpect = pytest.importorskip("pexpect")
    first = generate(1, 2, seed=1)[0]
    wrong = predictions(first.situation)[0]
    child = _spawn("quiz", "--seed", "1", "--count", "2")
    child.expect("Question 1 of 2")
    child.expect("> ")
    child.sendline("hint")
    child.expect("hint: ")
    child.expect("> ")
    child.sendline("what")  # unreadable: asked again, not counted
    child.expect("could not read that answer")
    child.expect("> ")
    child.sendline(repr(wrong.value))
    child.expect_exact(f"[{wrong.id}]")
    child.expect("Question 2 of 2")
    child.expect("> ")
    child.sendline("quit")
    child.expect("Score: 0 of 2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")


def test_interactive_end_of_input_ends_cleanly():
    pexpect = pytest.importorskip("pexpect")
    child = _spawn("quiz", "--seed", "1", "--count", "2")
    child.expect("Question 1 of 2")
    child.expect("> ")
    child.sendeof()
    child.expect("end of input")
    child.expect("Score: 0 of 2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")


def test_hint_shows_the_registry_rule_for_each_use(cli):
    path = EXAMPLES[0].parent / "fan-out.toml"
    result = cli("quiz", "--script", str(path), "--answers", "-", "--ascii", input="?\n18\n")
    assert result.exit_code == 0, result.output
    assert "hint: x = a * b, so dx/da = b" in result.stdout
    assert "hint: y = a + c, so dy/da = 1" in result.stdout
    assert "one contribution per use" in result.stdout
    assert "right: grad_a = df/da = 18" in result.stdout


def test_option_errors(cli, script, tmp_path):
    result = cli("quiz", "--script", script, "--answers", str(tmp_path / "none.txt"))
    assert result.exit_code == 2 and "cannot read the answers file" in result.stderr
    result = cli("quiz", "--script", script, "--level", "2")
    assert result.exit_code == 2 and "--level cannot be used with --script" in result.stderr
    assert cli("quiz", "--pass-mark", "120").exit_code == 2


# --- a value used twice by one gate: the slip made on the whole gate ----------------------
WHOLE_GATE = [
    # x = a*a: ∂x/∂a = 2a = 6 without the upstream 5
    ("missing-upstream", "x = a*a\nf = 5*x", {"a": 3}, lambda a: 2 * a, "a + a"),
    # b = a + a: ∂b/∂a = 2 without the upstream 3
    ("missing-upstream", "b = a + a\nf = 3*b", {"a": 3}, lambda a: 1 + 1, "1 + 1"),
    # x = a*a: x̄ / (2a) instead of 2a·x̄
    ("divided-instead-of-multiplied", "x = a*a\nf = 5*x", {"a": 3}, lambda a: 5 / (2 * a), "a + a"),
]


@pytest.mark.parametrize("mistake, program, inputs, wrong, rule", WHOLE_GATE)
def test_slip_on_a_gate_using_a_value_twice(mistake, program, inputs, wrong, rule):
    q = Question("t", program, inputs, "grad a")
    outcome = judge(q, repr(wrong(inputs["a"])))
    assert ids(outcome) == [mistake], (
        outcome.misconception,
        [(p.id, p.value) for p in predictions(q.situation)],
    )
    text = explain(outcome.mistakes[0], q.situation, Notation(ascii_only=True))
    assert rule in text and fmt(q.expected) in text, text


def test_the_gate_of_the_asked_values_own_term_is_named_first():
    # b̄ = x̄/a = 1 (the seed's slip at x = a*b) and x̄ = 1/2 at f = 2*x both give 1.
    q = Question("t", "x = a*b\nf = 2*x", {"a": 2, "b": 3}, "grad b")
    gates = [
        p.facts["gate"]
        for p in predictions(q.situation)
        if p.id == "divided-instead-of-multiplied" and math.isclose(p.value, 1)
    ]
    assert sorted(gates) == ["f = 2 * x", "x = a * b"]
    outcome = judge(q, "1")
    assert ids(outcome) == ["divided-instead-of-multiplied"]
    text = explain(outcome.mistakes[0], q.situation, Notation(ascii_only=True))
    assert text.startswith("At x = a * b you divided"), text
    assert "The same mistake made at f = 2 * x gives this number too." in text


def test_hint_names_unnamed_steps_by_their_expression(cli):
    path = EXAMPLES[0].parent / "hackers-guide-neuron.toml"
    from gradcli.tutor.quizscript import load

    order = [q.id for q in load(str(path)).questions]
    before = "skip\n" * order.index("da")
    result = cli("quiz", "--script", str(path), "--answers", "-", "--ascii", input=before + "?\n")
    assert result.exit_code == 0, result.output
    hint = result.stdout.split("> ?", 1)[1].split("> ", 1)[0]
    assert "hint: d(a * x)/da = x" in hint, hint
    assert not any(f"v{k}" in hint for k in range(1, 20)), hint
    # The forward question's hint writes q as the program does.
    before = "skip\n" * order.index("forward")
    result = cli("quiz", "--script", str(path), "--answers", "-", input=before + "?\n")
    assert "hint: q = a * x + b * y + c; work forward from the inputs" in result.stdout


def test_missing_input_in_a_quiz_file_says_to_add_it(cli, tmp_path):
    path = tmp_path / "q.toml"
    path.write_text('[[question]]\nid = "a"\nprogram = "a*b"\ninputs = {a = 1}\nask = "grad a"\n')
    result = cli("quiz", "--script", str(path), "--answers", "-", input="")
    assert result.exit_code == 2
    assert "add b to the question's inputs table" in result.stderr, result.stderr
    assert "--b" not in result.stderr and "b=VALUE" not in result.stderr


def test_a_quiz_file_uses_the_programs_default_values_as_eval_does(cli, tmp_path):
    # `c = 2` declares the input c with default 2: eval needs a value only for x, and so
    # does a quiz file; a value given for c replaces the default in both.
    program = "c = 2; c += c*x; c *= c; c /= x"
    question = (
        '[[question]]\nid = "{id}"\nprogram = "' + program + '"\n'
        'inputs = {inputs}\nask = "grad {ask}"\n'
    )
    path = tmp_path / "q.toml"
    path.write_text(
        question.format(id="x", inputs="{ x = 1.5 }", ask="x")
        + question.format(id="c", inputs="{ x = 1.5 }", ask="c")
        + question.format(id="c3", inputs="{ x = 1.5, c = 3 }", ask="x")
    )
    result = cli("quiz", "--script", str(path), "--answers", "-", "--json", input="")
    assert result.exit_code == 0, result.output
    expected = [r["expected"] for r in json.loads(result.stdout)["questions"]]
    by_default = json.loads(cli("eval", program, "--x", "1.5", "--json").stdout)["gradient"]
    given = json.loads(cli("eval", program, "--x", "1.5", "c=3", "--json").stdout)["gradient"]
    assert expected == [by_default["x"], by_default["c"], given["x"]]
    assert by_default["x"] != given["x"]


@pytest.mark.parametrize("answers, stop", [("6\nquit\n", "(quit)"), ("6\n", "(no answer)")])
def test_score_table_marks_where_the_quiz_stopped(cli, script, answers, stop):
    result = cli("quiz", "--script", script, "--answers", "-", "--ascii", input=answers)
    assert result.exit_code == 0, result.output
    table = result.stdout.rsplit("your answer", 1)[1]
    rows = {
        qid: next(line for line in table.splitlines() if f" {qid}: " in line)
        for qid in ("da", "db", "fan", "val")
    }
    assert stop in rows["db"] and "(not reached)" not in rows["db"], rows
    assert "(not reached)" in rows["fan"] and "(not reached)" in rows["val"], rows
    assert "(" not in rows["da"], rows


def test_explain_topic_names_work_in_the_quiz(cli):
    from gradcli.cli.commands.quiz import TOPICS_HELP
    from gradcli.tutor.quizgen import ALIASES, TOPICS
    from gradcli.tutor.topics import TOPICS as LESSONS

    for name in LESSONS:  # every lesson name is a quiz topic or an alias of some
        if LESSONS[name].arrays:  # lessons on arrays have no quiz yet: test_tensor_explain.py
            continue
        assert name in TOPICS or name in ALIASES, name
    for name in list(TOPICS) + list(ALIASES):
        assert name in TOPICS_HELP, name
    for alias, topics in ALIASES.items():
        result = cli("quiz", "--topic", alias, "--count", "4", "--seed", "3", "--json", input="")
        assert result.exit_code == 0, (alias, result.output)
        assert len(json.loads(result.stdout)["questions"]) == 4
        for q in generate(None, 6, seed=3, topic=alias):
            assert q.topic in topics
    assert {q.topic for q in generate(None, 8, seed=1, topic="max-relu")} == {"max", "relu"}
    result = cli("quiz", "--topic", "multipy")
    assert result.exit_code == 2 and "multiply" in result.stderr


# --- generated quizzes ask all three kinds ----------------------------------------------------
def test_generated_quizzes_mix_values_adjoints_and_gradients():
    kinds = {level: {"value": 0, "adjoint": 0, "grad": 0} for level in (1, 2, 3)}
    for level in (1, 2, 3):
        for seed in range(30):
            for q in generate(level, 5, seed):
                kinds[level][q.kind] += 1
    for level, counts in kinds.items():
        total = sum(counts.values())
        assert max(counts, key=counts.get) == "grad", (level, counts)  # gradients lead
        if level in (1, 2):
            assert counts["value"] >= 0.1 * total, (level, counts)
        if level in (2, 3):
            assert counts["adjoint"] >= 0.1 * total, (level, counts)


def _nudged(q, h):
    """f with the asked step's value moved by h (its line rewritten as `x = (...) + h`)."""
    lines = q.source.splitlines()
    k = next(k for k, line in enumerate(lines) if line.startswith(q.name + " = "))
    lines[k] = f"{q.name} = ({lines[k].split(' = ', 1)[1]}) + {h!r}"
    return Question("n", "\n".join(lines), q.inputs, "value f").expected


@settings(max_examples=examples(20), deadline=None)
@given(st.sampled_from([1, 2, 3]), st.integers(0, 10**6))
def test_generated_values_and_adjoints_are_right(level, seed):
    for q in generate(level, 4, seed):
        if q.kind == "adjoint":  # a central difference on the asked step itself
            h = 1e-6
            fd = (_nudged(q, h) - _nudged(q, -h)) / (2 * h)
            assert math.isclose(fd, q.expected, rel_tol=1e-5, abs_tol=1e-6), q.source
        if q.kind == "value":
            assert judge(q, repr(q.expected)).correct
            assert "sign-error" in ids(judge(q, repr(-q.expected)))


def test_a_sign_slip_in_the_forward_pass_is_recognised():
    a, b, c, d = -2, 3, 4, 2
    q = Question("t", "x = a * b\ny = x + c\nf = y * d", dict(a=a, b=b, c=c, d=d), "value y")
    outcome = judge(q, repr(-(a * b) + c))  # x's sign dropped, then carried on
    assert ids(outcome) == ["sign-error"], outcome.misconception
    text = explain(outcome.mistakes[0], q.situation, Notation())
    assert "At x = a * b" in text and fmt(float(a * b + c)) in text, text
