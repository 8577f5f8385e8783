"""Quiz questions and answers, without any printing: build, read an answer, judge it,
ask a whole quiz through a view.

A question is a program, its input values and what is asked ("grad a", "adjoint x",
"value x"). The right number comes from the engine; an answer is read with gradcli's own
grammar (so `3/4`, `2*3 - 1` and `sigmoid(2)` work, and nothing is passed to Python's
eval); a wrong answer is matched against the catalogue's predictions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Optional

from ..core.errors import GradcliError, UsageError
from .misconceptions import ASK_KINDS, BY_ID, Prediction, Situation, all_predictions, matches

# When a typed answer is right (README, "Practice: gradcli quiz"):
# - a plain number (6, -0.105, 1.0499e-1) is right when it is the exact value rounded to
#   the significant digits typed, at least MIN_DIGITS of them (0.1050 for 0.10499...), or
#   within EXACT_RELATIVE of it (5.9999999 for 6); an integer typed with fewer digits (0,
#   -2) is right only as the exact value itself;
# - arithmetic (12/2, 0.104994/(-1)) is judged as it always was: within RELATIVE_TOLERANCE,
#   exactly (1e-9) when the right answer is an integer;
# - a question with its own `tolerance` uses that (absolute) for every answer.
RELATIVE_TOLERANCE = 1e-3
EXACT_RELATIVE = 1e-6
FLOAT_NOISE = 1e-12  # absolute: an exact 0 computed as 1e-17
MIN_DIGITS = 4
_LITERAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
NOT_FOR_ARRAYS = "tensor quizzes are not supported yet"
ARRAYS_INSTEAD = (
    "a question asks for one number of a program on numbers; gradcli explain "
    "walks a program with arrays step by step, and has lessons on arrays"
)


class QuestionError(UsageError):
    """A question is malformed; `field` names the part at fault."""

    def __init__(self, field: str, message: str, detail: str = ""):
        super().__init__(message, detail)
        self.field = field


@dataclass
class Question:
    id: str
    source: str
    inputs: dict
    ask: str
    prompt: Optional[str] = None
    tolerance: Optional[float] = None  # absolute, when the question states one
    explain: Optional[str] = None
    level: Optional[int] = None
    topic: Optional[str] = None
    shape: Optional[str] = None  # the template a generated question was drawn from
    situation: Situation = field(init=False, repr=False)

    def __post_init__(self):
        from ..core.engine import evaluate, input_values
        from ..core.errors import MissingInputs
        from ..language.lower import compile_program

        self.kind, self.name = parse_ask(self.ask)
        try:
            tape = compile_program(self.source, self.inputs)
        except GradcliError as exc:
            raise QuestionError("program", exc.message, exc.detail) from None
        if tape.tensor:
            raise QuestionError(
                "program",
                f"{NOT_FOR_ARRAYS}: this program works on arrays ({_array_use(tape)})",
                ARRAYS_INSTEAD,
            )
        arrays = [n for n, v in self.inputs.items() if _is_array(v)]
        if arrays:
            raise QuestionError(
                "inputs", f"{NOT_FOR_ARRAYS}: the value of {arrays[0]} is an array", ARRAYS_INSTEAD
            )
        if self.kind == "grad" and self.name not in tape.inputs:
            listed = ", ".join(tape.inputs) or "none"
            raise QuestionError(
                "ask", f"'{self.name}' is not an input of the program (its inputs: {listed})"
            )
        labels = {tape.label(i): i for i in range(len(tape))}
        if self.name not in labels:
            known = ", ".join(lab for i, lab in enumerate(labels) if not tape.is_const(i))
            raise QuestionError(
                "ask", f"the program has no value named '{self.name}' (its values: {known})"
            )
        unused = [n for n in self.inputs if n not in tape.inputs]
        if unused:
            raise QuestionError("inputs", f"the program does not use {', '.join(unused)}")
        try:
            # eval's rule, from eval's function: the value given, else the program's
            # default (`c = 2` declares the input c with default 2).
            input_values(tape, self.inputs)
        except MissingInputs as exc:
            # Said here, in the quiz file's terms: its inputs table.
            missing = exc.names
            listed = ", ".join(missing)
            table = ", ".join(
                [f"{k} = {v}" for k, v in self.inputs.items()] + [f"{m} = VALUE" for m in missing]
            )
            raise QuestionError(
                "inputs",
                f"no value for the input{'s' if len(missing) > 1 else ''} {listed}",
                f"add {listed} to the question's inputs table: inputs = {{ {table} }}",
            ) from None
        try:
            ev = evaluate(tape, self.inputs)
        except GradcliError as exc:
            raise QuestionError(
                "inputs" if "no value" in exc.message else "program", exc.message, exc.detail
            ) from None
        self.situation = Situation(ev, self.kind, labels[self.name])
        if not math.isfinite(self.expected):
            raise QuestionError(
                "ask",
                f'the answer to "{self.ask}" is undefined at these '
                "inputs (an infinite or undefined derivative)",
            )

    @property
    def tape(self):
        return self.situation.tape

    @property
    def evaluation(self):
        return self.situation.ev

    @property
    def expected(self) -> float:
        return self.situation.correct

    def close(self, answer: float, expected: float) -> bool:
        """The rule for an answer written as arithmetic (and, looser than `agrees`, for
        recognising a mistake's number)."""
        if not math.isfinite(answer):
            return False
        if self.tolerance is not None:
            return abs(answer - expected) <= self.tolerance
        if expected.is_integer():
            return abs(answer - expected) <= 1e-9 * max(1.0, abs(expected))
        return abs(answer - expected) <= RELATIVE_TOLERANCE * abs(expected)

    def agrees(self, value: float, text: Optional[str], target: float) -> bool:
        """Whether an answer stands for the number `target`: `text` as typed (a plain
        number is held to the digits typed; None or arithmetic to `close`)."""
        if not math.isfinite(value):
            return False
        if self.tolerance is not None:
            return abs(value - target) <= self.tolerance
        digits = typed_digits(text) if text is not None else None
        if text is None or digits is None:
            return self.close(value, target)
        if abs(value - target) <= EXACT_RELATIVE * abs(target):
            return True
        if value == 0 and abs(target) <= FLOAT_NOISE:
            return True  # a typed 0 for an exact 0 that float arithmetic left as 1e-17
        return digits >= MIN_DIGITS and rounds_to(target, text, digits)

    def could_pass_for(self, a: float, b: float) -> bool:
        """Whether a learner who has the number `a` could type it so that it is taken for
        `b`: as arithmetic, or rounded to MIN_DIGITS or more significant digits."""
        if self.tolerance is not None:
            return abs(a - b) <= self.tolerance
        if self.close(a, b) or abs(a - b) <= max(EXACT_RELATIVE * abs(b), FLOAT_NOISE):
            return True
        return any(_rounded(a, n) == _rounded(b, n) for n in range(MIN_DIGITS, 9))


def typed_digits(text: str) -> Optional[int]:
    """The significant digits of an answer typed as a plain number ("0.1050" -> 4,
    "-2" -> 1, "12350" -> 4, "600" -> 1, "6.00e2" -> 3, "0" -> 0), or None when it is
    arithmetic or a name. An integer's trailing zeros are not significant: 12350 is
    12345.6 rounded to 4 digits."""
    t = text.strip()
    found = _LITERAL.fullmatch(t)
    if not found:
        return None
    written = found.group(1)
    digits = written.replace(".", "").lstrip("0")
    if "." not in written and not found.group(2):
        digits = digits.rstrip("0")
    return len(digits)


def _rounded(x: float, digits: int) -> str:
    return f"{x:.{max(digits, 1) - 1}e}"


def rounds_to(exact: float, text: str, digits: int) -> bool:
    """The exact value rounded to `digits` significant digits is the number typed."""
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(_rounded(exact, digits)) == Decimal(text.strip())
    except InvalidOperation:
        return False


def _is_array(value) -> bool:
    return hasattr(value, "shape") or isinstance(value, (list, tuple, dict))


def _array_use(tape) -> str:
    """What makes a program one on arrays, in its own words: an array literal (a named
    one first), else its first operation on arrays."""
    for step in tape.steps:
        if step.const is not None and _is_array(step.const):
            return f"{step.name} is an array" if step.name else "it has an array literal"
    for step in tape.steps:
        op = step.op
        if op.tensor:
            if op.symbol:
                return f"it uses {op.symbol}"
            if op.written:
                return f"it uses {op.written.format('x')}"
            if op.name == "index":
                return "it indexes an array"
            return f"it calls {op.call_name}"
    return "its values are arrays"


def parse_ask(ask: str) -> tuple:
    parts = ask.split() if isinstance(ask, str) else []
    if len(parts) != 2 or parts[0] not in ASK_KINDS:
        raise QuestionError(
            "ask", f'expected "value NAME", "grad NAME" or "adjoint NAME", got {ask!r}'
        )
    return parts[0], parts[1]


def read_number(text: str) -> float:
    """An answer: a number, a fraction or arithmetic, read by gradcli's own grammar."""
    from ..core.engine import evaluate
    from ..language.lower import compile_program

    text = text.strip()
    if not text:
        raise UsageError("an empty answer")
    tape = compile_program(text)
    if tape.tensor:
        raise UsageError("an answer is one number, not an array")
    if tape.inputs:
        raise UsageError(
            f"an answer is a number or arithmetic on numbers; '{next(iter(tape.inputs))}' is a name"
        )
    return evaluate(tape, {}, record=False).value


@dataclass
class Outcome:
    answer: Optional[str]  # what was typed; None when nothing was given
    value: Optional[float] = None
    correct: bool = False
    mistakes: list = field(default_factory=list)  # Predictions matched
    problem: Optional[str] = None  # why the answer could not be read
    # A plain number that is the right answer rounded to fewer than MIN_DIGITS significant
    # digits: how many it has (wrong, but the feedback says why).
    short_digits: Optional[int] = None
    skipped: bool = False  # the learner typed skip

    @property
    def misconception(self):
        """For reports: the id, a list of ids where several give this number, or None."""
        ids = [p.id for p in self.mistakes]
        if not ids:
            return None
        return ids[0] if len(ids) == 1 else ids


def judge(q: Question, answer: Optional[str]) -> Outcome:
    if answer is None:
        return Outcome(None)
    try:
        value = read_number(answer)
    except GradcliError as exc:
        return Outcome(answer, problem=exc.message)
    if q.agrees(value, answer, q.expected):
        return Outcome(answer, value, True)
    digits = typed_digits(answer)
    short = (
        digits
        if digits is not None
        and q.tolerance is None
        and 0 < digits < MIN_DIGITS
        and rounds_to(q.expected, answer, digits)
        else None
    )
    found: list = matches(value, q.situation, lambda v, p: q.agrees(v, answer, p) or q.close(v, p))
    return Outcome(answer, value, False, found, short_digits=short)


# --- questions where a mistake cannot be told apart ---------------------------------------
@dataclass
class Unfair:
    """A question on which a catalogued mistake passes for the right answer ("right"), or
    two different mistakes give numbers a learner's answer cannot tell apart ("ambiguous").
    `mistakes` are the Predictions (worded in quiztext.unfair_lines)."""

    kind: str
    mistakes: list
    correct: float


def _exempt(q: Question, p: Prediction) -> bool:
    """Slips that are no slip on this question whatever its values: forgetting the adjoint
    arriving at the output's own gate (it is the seed, 1 by definition), and passing the
    adjoint through a gate that routes it (relu, max, min), whose local derivative is 1
    on the branch taken."""
    node = _step(q, p.facts.get("node"))
    if node is None:
        return False
    if p.id == "missing-upstream" and node == q.tape.output:
        return True
    return p.id == "missing-local-derivative" and q.tape.steps[node].op.routes


def _step(q: Question, label) -> Optional[int]:
    if label is None:
        return None
    return next((i for i in range(len(q.tape)) if q.tape.label(i) == label), None)


def _group(mistake: str) -> frozenset:
    return frozenset((mistake, *BY_ID[mistake].same_number_as))


def unfairness(q: Question) -> list:
    """What makes q unfair: each mistake that passes for the right answer, then each pair
    of different mistakes (not catalogued as the same number seen two ways) whose
    numbers cannot be told apart. Empty when every mistake can be diagnosed."""
    preds = [p for p in all_predictions(q.situation) if not _exempt(q, p)]
    out, seen = [], set()
    wrong = []
    for p in preds:
        if q.could_pass_for(p.value, q.expected):
            if p.id not in seen:
                seen.add(p.id)
                out.append(Unfair("right", [p], q.expected))
        else:
            wrong.append(p)
    pairs = set()
    for k, j in _indistinct(q, wrong):
        p, other = wrong[k], wrong[j]
        if other.id == p.id or other.id in BY_ID[p.id].same_number_as:
            continue
        # A mistake and its catalogued twin (missing-fan-out-sum and overwrite-not-
        # accumulate) count as one: the pair is reported once.
        key = frozenset((_group(p.id), _group(other.id)))
        if key in pairs or p.id in seen and other.id in seen:
            continue
        pairs.add(key)
        out.append(Unfair("ambiguous", [p, other], q.expected))
    return out


# How far apart two numbers that could pass for each other can be, at most: `close`
# (RELATIVE_TOLERANCE, 1e-9 for an integer), EXACT_RELATIVE, FLOAT_NOISE, and the same
# MIN_DIGITS significant digits (a bin 1e-3 wide relative to its lowest number, so within
# 1.0005e-3 of the larger), each well inside this bound.
_NEAR_RELATIVE, _NEAR_ABSOLUTE = 2e-3, 1e-9


def _indistinct(q: Question, wrong: list) -> list:
    """Every (k, j), k < j, in order, whose numbers wrong[k] and wrong[j] could pass for
    each other (could_pass_for, either way), without comparing every pair: only the first
    of each mistake at each number is looked at (a later one with the same number and
    mistake makes a pair that comes later with the same key, so unfairness never
    reports it; the catalogue's twins go both ways, so which comes first does not
    matter), and only numbers near each other in sorted order are compared (a pair
    further apart than the bound above cannot pass for each other); numbers that are
    not finite pass only for the same one. So could_pass_for is tried on the pairs
    near each other alone, not on every pair (tests/test_quiz_unfair_scale.py counts)."""
    first: dict = {}
    for k, p in enumerate(wrong):
        first.setdefault((repr(p.value), p.id), k)  # repr: -0.0, nan, inf kept apart
    finite: list = []
    other: dict = {}
    for k in first.values():
        v = wrong[k].value
        if math.isfinite(v):
            finite.append((v, k))
        else:
            other.setdefault(repr(v), []).append(k)
    finite.sort()
    if q.tolerance is not None:
        relative, absolute = 0.0, q.tolerance
    else:
        relative, absolute = _NEAR_RELATIVE, _NEAR_ABSOLUTE
    found = []

    def compare(i: int, j: int) -> None:
        a, b = wrong[i].value, wrong[j].value
        if q.could_pass_for(a, b) or q.could_pass_for(b, a):
            found.append((min(i, j), max(i, j)))

    for n, (a, i) in enumerate(finite):
        for m in range(n + 1, len(finite)):
            b, j = finite[m]
            # b - a only grows faster than the bound as b grows: stop at the first too far.
            if b - a > relative * max(abs(a), abs(b)) + absolute:
                break
            compare(i, j)
    for group in other.values():
        for n, i in enumerate(group):
            for j in group[n + 1 :]:
                compare(i, j)
    found.sort()
    return found


def session(questions: list, next_line, view, title: str, interactive: bool, record=None) -> tuple:
    """Ask every question. Returns one Outcome per question answered or skipped, and why
    the quiz stopped early at the next question ("quit", "no answer") or None.

    `next_line()` gives the learner's next line, None at the end; `view` (the terminal's,
    in cli/commands/quiz.py; None for --json) shows the questions and what follows each
    line. `interactive`: someone is typing, so an empty or unreadable line is asked again
    rather than judged. `record(q, outcome, seconds)`, when given, is called once per
    question answered or skipped, before its feedback (tutor/progress.py keeps them):
    the one place where a question is complete."""
    import time

    outcomes: list = []
    if view:
        view.start(title, len(questions))
    for n, q in enumerate(questions, 1):
        if view:
            view.question(n, len(questions), q, first=n == 1)
        shown = time.monotonic()
        o, stopped = ask(q, next_line, view, interactive)
        if stopped:
            return outcomes, stopped
        outcomes.append(o)
        if record:
            record(q, o, time.monotonic() - shown)
        if view:
            if o.skipped:
                view.skipped(q)
            else:
                view.feedback(q, o)
    return outcomes, None


def ask(q: Question, next_line, view, interactive: bool) -> tuple:
    """One question, from its prompt to its answer (hints and unreadable lines in between):
    (Outcome, None) once it is answered or skipped (no answer), or (None, why) when the
    quiz stops here ("quit", "no answer"). The feedback is session's to show."""
    while True:
        if view:
            view.prompt()
        line = next_line()
        if line is None:
            if view:
                view.say("\n(end of input)" if interactive else "\n(no more answers)")
            return None, "no answer"
        text = line.strip()
        word = text.lower()
        if word in ("hint", "?"):
            if view:
                view.hint(q)
            continue
        if word in ("quit", "exit", "q"):
            return None, "quit"
        if word == "skip":
            return Outcome(None, skipped=True), None
        if not text and interactive:
            continue
        o = judge(q, text or None)
        if o.problem and interactive:
            if view:
                view.unreadable(o)
            continue
        return o, None


def score(outcomes: list) -> int:
    return sum(1 for o in outcomes if o is not None and o.correct)


def report(questions: list, outcomes: list) -> dict:
    """The --json document: one entry per question, unanswered ones with answer null."""
    rows = []
    for q, o in zip(questions, outcomes + [None] * (len(questions) - len(outcomes))):
        o = o or Outcome(None)
        rows.append(
            {
                "id": q.id,
                "ask": q.ask,
                "answer": o.answer,
                "expected": q.expected,
                "correct": o.correct,
                "misconception": o.misconception,
            }
        )
    return {"score": score(outcomes), "total": len(questions), "questions": rows}


__all__ = [
    "Question",
    "QuestionError",
    "Outcome",
    "Unfair",
    "judge",
    "read_number",
    "report",
    "score",
    "session",
    "unfairness",
    "Prediction",
]
