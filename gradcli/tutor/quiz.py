"""Quiz questions and answers, without any printing: build, read an answer, judge it,
ask a whole quiz through a view.

A question is a program, its input values and what is asked ("grad a", "adjoint x",
"value x"). The right number comes from the engine; an answer is read with gradcli's own
grammar (so `3/4`, `2*3 - 1` and `sigmoid(2)` work, and nothing is passed to Python's
eval); a wrong answer is matched against the catalogue's predictions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from ..core.errors import GradcliError, UsageError
from .misconceptions import ASK_KINDS, Prediction, Situation, matches

RELATIVE_TOLERANCE = 1e-3
NOT_FOR_ARRAYS = "tensor quizzes are not supported yet"
ARRAYS_INSTEAD = ("a question asks for one number of a program on numbers; gradcli explain "
                  "walks a program with arrays step by step, and has lessons on arrays")


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
            raise QuestionError("program", f"{NOT_FOR_ARRAYS}: this program works on arrays "
                                           f"({_array_use(tape)})", ARRAYS_INSTEAD)
        arrays = [n for n, v in self.inputs.items() if _is_array(v)]
        if arrays:
            raise QuestionError("inputs", f"{NOT_FOR_ARRAYS}: the value of {arrays[0]} is an "
                                          f"array", ARRAYS_INSTEAD)
        if self.kind == "grad" and self.name not in tape.inputs:
            listed = ", ".join(tape.inputs) or "none"
            raise QuestionError("ask", f"'{self.name}' is not an input of the program "
                                       f"(its inputs: {listed})")
        labels = {tape.label(i): i for i in range(len(tape))}
        if self.name not in labels:
            known = ", ".join(lab for i, lab in enumerate(labels) if not tape.is_const(i))
            raise QuestionError("ask", f"the program has no value named '{self.name}' "
                                       f"(its values: {known})")
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
            table = ", ".join([f"{k} = {v}" for k, v in self.inputs.items()]
                              + [f"{m} = VALUE" for m in missing])
            raise QuestionError("inputs", f"no value for the input{'s' if len(missing) > 1 else ''} "
                                          f"{listed}",
                                f"add {listed} to the question's inputs table: "
                                f"inputs = {{ {table} }}")
        try:
            ev = evaluate(tape, self.inputs)
        except GradcliError as exc:
            raise QuestionError("inputs" if "no value" in exc.message else "program",
                                exc.message, exc.detail) from None
        self.situation = Situation(ev, self.kind, labels[self.name])
        if not math.isfinite(self.expected):
            raise QuestionError("ask", f"the answer to \"{self.ask}\" is undefined at these "
                                       "inputs (an infinite or undefined derivative)")

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
        if not math.isfinite(answer):
            return False
        if self.tolerance is not None:
            return abs(answer - expected) <= self.tolerance
        if expected.is_integer():
            return abs(answer - expected) <= 1e-9 * max(1.0, abs(expected))
        return abs(answer - expected) <= RELATIVE_TOLERANCE * abs(expected)


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
        raise QuestionError("ask", f"expected \"value NAME\", \"grad NAME\" or \"adjoint NAME\", "
                                   f"got {ask!r}")
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
        raise UsageError(f"an answer is a number or arithmetic on numbers; "
                         f"'{next(iter(tape.inputs))}' is a name")
    return evaluate(tape, {}, record=False).value


@dataclass
class Outcome:
    answer: Optional[str]  # what was typed; None when nothing was given
    value: Optional[float] = None
    correct: bool = False
    mistakes: list = field(default_factory=list)  # Predictions matched
    problem: Optional[str] = None  # why the answer could not be read

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
    if q.close(value, q.expected):
        return Outcome(answer, value, True)
    found: list = matches(value, q.situation, q.close)
    return Outcome(answer, value, False, found)


def session(questions: list, next_line, view, title: str, interactive: bool,
            record=None) -> tuple:
    """Ask every question. Returns one Outcome per question answered or skipped, and why
    the quiz stopped early at the next question ("quit", "no answer") or None.

    `next_line()` gives the learner's next line, None at the end; `view` (the terminal's,
    in cli/commands/quiz.py; None for --json) shows the questions and what follows each
    line. `interactive`: someone is typing, so an empty or unreadable line is asked again
    rather than judged. `record(q, outcome, seconds)`, when given, is called once per
    question answered or skipped (tutor/progress.py keeps them)."""
    import time

    outcomes: list = []
    if view:
        view.start(title, len(questions))
    for n, q in enumerate(questions, 1):
        if view:
            view.question(n, len(questions), q, first=n == 1)
        shown = time.monotonic()
        while True:
            if view:
                view.prompt()
            line = next_line()
            if line is None:
                if view:
                    view.say("\n(end of input)" if interactive else "\n(no more answers)")
                return outcomes, "no answer"
            text = line.strip()
            word = text.lower()
            if word in ("hint", "?"):
                if view:
                    view.hint(q)
                continue
            if word in ("quit", "exit", "q"):
                return outcomes, "quit"
            if word == "skip":
                outcomes.append(Outcome(None))
                if record:
                    record(q, outcomes[-1], time.monotonic() - shown)
                if view:
                    view.skipped(q)
                break
            if not text and interactive:
                continue
            o = judge(q, text or None)
            if o.problem and interactive:
                if view:
                    view.unreadable(o)
                continue
            outcomes.append(o)
            if record:
                record(q, o, time.monotonic() - shown)
            if view:
                view.feedback(q, o)
            break
    return outcomes, None


def score(outcomes: list) -> int:
    return sum(1 for o in outcomes if o is not None and o.correct)


def report(questions: list, outcomes: list) -> dict:
    """The --json document: one entry per question, unanswered ones with answer null."""
    rows = []
    for q, o in zip(questions, outcomes + [None] * (len(questions) - len(outcomes))):
        o = o or Outcome(None)
        rows.append({"id": q.id, "ask": q.ask, "answer": o.answer, "expected": q.expected,
                     "correct": o.correct, "misconception": o.misconception})
    return {"score": score(outcomes), "total": len(questions), "questions": rows}


__all__ = ["Question", "QuestionError", "Outcome", "judge", "read_number", "report",
           "score", "session", "Prediction"]
