"""Quiz files written by a teacher: TOML with one [[question]] table per question.

The whole file is checked before anything is asked: every question's fields, its program
(it must compile and evaluate at its inputs) and what it asks. An error names the file,
the question (its id, else its position) and the field.

    title = "Backprop basics"          # optional
    [[question]]
    id = "seed"
    program = "x = a * b\nf = 2 * x"
    inputs = { a = 2, b = 3 }
    ask = "grad a"                     # "value x", "grad a" or "adjoint x"
    prompt = "..."                     # optional: shown instead of the generated text
    tolerance = 0.01                   # optional: absolute
    explain = "..."                    # optional: shown after the answer
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UsageError
from ..core.visible import visible
from .quiz import Question, QuestionError, unfairness

FIELDS = {"id": str, "program": str, "inputs": dict, "ask": str, "prompt": str,
          "tolerance": (int, float), "explain": str}
REQUIRED = ("id", "program", "inputs", "ask")
TOP_LEVEL = {"title", "question"}


@dataclass
class Script:
    path: str
    title: str
    questions: list


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib


def load(path: str) -> Script:
    tomllib = _toml()
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the quiz file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    for key in data:
        if key not in TOP_LEVEL:
            raise UsageError(f"{path}: unknown top-level key '{key}'",
                             "a quiz file has an optional title and [[question]] tables")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise UsageError(f"{path}: 'title' must be a string")
    raw = data.get("question")
    if not isinstance(raw, list) or not raw:
        raise UsageError(f"{path}: no questions",
                         "write each one as a [[question]] table with id, program, inputs, ask")
    questions, seen = [], {}
    for n, entry in enumerate(raw, 1):
        questions.append(_question(path, n, entry, seen))
    return Script(visible(path, lines=False), visible(title, lines=False), questions)


def _question(path: str, n: int, entry, seen: dict) -> Question:
    where = f"question {n}"
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
        where += f" (id \"{entry['id']}\")"

    def fail(field: str, message: str, detail: str = ""):
        raise UsageError(f"{path}: {where}: field '{field}': {message}", detail) from None

    if not isinstance(entry, dict):
        raise UsageError(f"{path}: {where}: expected a [[question]] table")
    for key, value in entry.items():
        if key not in FIELDS:
            fail(key, "unknown field (known: " + ", ".join(FIELDS) + ")")
        kind = FIELDS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            wanted = {str: "a string", dict: "a table such as { a = 2, b = 3 }"}.get(
                kind, "a number")
            fail(key, f"must be {wanted}, got {type(value).__name__}")
    for key in REQUIRED:
        if key not in entry:
            fail(key, "missing")
    qid = entry["id"]
    if not qid.strip():
        fail("id", "must not be empty")
    if qid in seen:
        fail("id", f"\"{qid}\" is also the id of question {seen[qid]}")
    seen[qid] = n
    inputs = {}
    for name, value in entry["inputs"].items():
        if isinstance(value, (list, dict)):
            from .quiz import ARRAYS_INSTEAD, NOT_FOR_ARRAYS

            fail("inputs", f"{NOT_FOR_ARRAYS}: the value of {name} is an array", ARRAYS_INSTEAD)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            fail("inputs", f"the value of {name} must be a finite number, got {value!r}")
        inputs[name] = value
    tolerance = entry.get("tolerance")
    if tolerance is not None and not (tolerance > 0 and math.isfinite(tolerance)):
        fail("tolerance", f"must be a positive number, got {tolerance!r}")
    try:
        # The file's own words are shown as text, never obeyed (core/visible.py).
        prompt, explain = entry.get("prompt"), entry.get("explain")
        return Question(visible(qid, lines=False), entry["program"], inputs, entry["ask"],
                        None if prompt is None else visible(prompt),
                        tolerance, None if explain is None else visible(explain))
    except QuestionError as exc:
        fail(exc.field, exc.message, exc.detail)


def check(script: Script) -> list:
    """(position, question, Unfair) for each way a question of the file is unfair: a
    catalogued mistake passes for its right answer, or two mistakes cannot be told apart."""
    return [(n, q, u) for n, q in enumerate(script.questions, 1) for u in unfairness(q)]


def where(script: Script, n: int, q: Question) -> str:
    """How a report names a question: the file, its position and id."""
    return f"{script.path}: question {n} (id \"{q.id}\")"
