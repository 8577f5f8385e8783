"""--check-script's unfairness finds the mistakes whose numbers cannot be told apart
without comparing every pair of predictions: could_pass_for is tried on numbers near each
other in sorted order (and on each prediction against the right answer), a count that
grows with the predictions, not with their square. The findings are the ones the
pairwise comparison gives (the reference below, the code it replaced), in the same
order with the same predictions, so the text and JSON reports are the same."""

from __future__ import annotations

import random

import pytest
from test_quiz_scale import random_program

from gradcli.tutor.misconceptions import BY_ID, all_predictions
from gradcli.tutor.quiz import Question, Unfair, _exempt, _group, unfairness


def pairwise(q: Question) -> list:
    """The reference: every pair of wrong predictions compared, as before."""
    preds = [p for p in all_predictions(q.situation) if not _exempt(q, p)]
    out, seen, wrong = [], set(), []
    for p in preds:
        if q.could_pass_for(p.value, q.expected):
            if p.id not in seen:
                seen.add(p.id)
                out.append(Unfair("right", [p], q.expected))
        else:
            wrong.append(p)
    pairs = set()
    for k, p in enumerate(wrong):
        for other in wrong[k + 1 :]:
            if other.id == p.id or other.id in BY_ID[p.id].same_number_as:
                continue
            key = frozenset((_group(p.id), _group(other.id)))
            if key in pairs or p.id in seen and other.id in seen:
                continue
            if q.could_pass_for(p.value, other.value) or q.could_pass_for(other.value, p.value):
                pairs.add(key)
                out.append(Unfair("ambiguous", [p, other], q.expected))
    return out


def findings(found: list) -> list:
    return [
        (u.kind, [(p.id, repr(p.value), sorted(map(repr, p.facts.items()))) for p in u.mistakes])
        for u in found
    ]


@pytest.fixture
def calls(monkeypatch):
    """How many times could_pass_for is tried."""
    count = [0]
    real = Question.could_pass_for

    def counted(self, a, b):
        count[0] += 1
        return real(self, a, b)

    monkeypatch.setattr(Question, "could_pass_for", counted)
    return count


def test_the_catalogues_twins_go_both_ways():
    """unfairness keeps only the first prediction of each mistake at each number, which
    gives the pairwise findings only when a twin's twin is itself."""
    for mistake in BY_ID.values():
        for twin in mistake.same_number_as:
            assert mistake.id in BY_ID[twin].same_number_as, (mistake.id, twin)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("tolerance", [None, 0.05])
def test_the_findings_are_the_pairwise_ones(seed, tolerance):
    src, inputs, asks = random_program(random.Random(seed), 30)
    for ask in asks:
        try:
            q = Question("q", src, inputs, ask, tolerance=tolerance)
        except Exception:  # an input the program happens not to use
            continue
        assert findings(unfairness(q)) == findings(pairwise(q)), ask


@pytest.mark.parametrize("ask", ["grad a", "grad c"])
def test_the_comparisons_grow_with_the_predictions_not_their_square(calls, ask):
    """On this program the pairwise comparison tried could_pass_for 15,160 (grad a) and
    13,485 (grad c) times for 239 and 217 predictions; now at most two per prediction."""
    src, inputs, _ = random_program(random.Random(2), 40)
    q = Question("q", src, inputs, ask)
    n = len([p for p in all_predictions(q.situation) if not _exempt(q, p)])
    calls[0] = 0
    found = unfairness(q)
    assert found and calls[0] <= 2 * n, (calls[0], n)
    calls[0] = 0
    assert findings(pairwise(q)) == findings(found)
    assert calls[0] > 20 * n  # what the reference tries, for contrast


def test_a_ten_thousand_step_question_is_checked_with_linear_comparisons(calls):
    src, inputs, asks = random_program(random.Random(1), 10_000)
    q = Question("q", src, inputs, "grad b")
    n = len([p for p in all_predictions(q.situation) if not _exempt(q, p)])
    calls[0] = 0
    unfairness(q)
    assert calls[0] <= 2 * n, (calls[0], n)


def _owner_by_every_sweep(tape, i):
    """The reference for _first_named_user: the code it replaced, a sweep down the tape
    from every later named step."""
    from gradcli.tutor.quiztext import _computed_on_the_way

    return next(
        (
            k
            for k in range(i + 1, len(tape))
            if tape.steps[k].name is not None and _computed_on_the_way(tape, k)[i]
        ),
        None,
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_line_holding_an_unnamed_step_is_the_one_the_old_search_found(seed):
    from gradcli.language.lower import compile_program
    from gradcli.tutor.quiztext import _first_named_user

    src, inputs, _ = random_program(random.Random(seed), 40)
    tape = compile_program(src, inputs)
    checked = 0
    for i in range(len(tape)):
        if tape.steps[i].name is None and tape.steps[i].args:
            assert _first_named_user(tape, i) == _owner_by_every_sweep(tape, i), i
            checked += 1
    assert checked > 10


def test_a_question_is_worded_from_one_reading_of_its_tape(monkeypatch):
    """--check-script words each finding of a question from the same tape: how the learner
    sees each step (a sweep of the whole tape) is worked out once, not once a finding."""
    from gradcli.core.notation import Notation
    from gradcli.tutor import quiztext

    src, inputs, _ = random_program(random.Random(2), 40)
    q = Question("q", src, inputs, "grad a")
    found = unfairness(q)
    gated = [u for u in found if any("gate" in p.facts for p in u.mistakes)]
    assert len(gated) >= 2
    reads = [0]
    real = quiztext._seen

    def counted(tape):
        reads[0] += 1
        return real(tape)

    monkeypatch.setattr(quiztext, "_seen", counted)
    monkeypatch.setattr(quiztext, "_last_displayed", [None, None])
    lines = [quiztext.unfair_lines(q, u, Notation()) for u in found]
    assert reads[0] == 1 and any(" at " in line for ls in lines for line in ls)
