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
import re
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

from ..core.errors import UsageError
from ..core.limits import QUIZ_BYTES, read_file_at_most
from ..core.visible import visible
from .quiz import Question, QuestionError, unfairness

FIELDS: dict[str, Any] = {  # each field's type (or types), for isinstance
    "id": str,
    "program": str,
    "inputs": dict,
    "ask": str,
    "prompt": str,
    "tolerance": (int, float),
    "explain": str,
}
REQUIRED = ("id", "program", "inputs", "ask")
TOP_LEVEL = {"title", "question"}


@dataclass
class Script:
    path: str
    title: str
    questions: list


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    return tomllib


# The TOML reader's work grows with the square of a dotted key's length (a.a.a...: 47 s
# for 100 KB). A quiz file has no dotted keys; more than this many dots in keys is refused
# before the file is parsed.
KEY_DOTS = 1000
# What the dots in keys are counted without: strings, comments and decimal numbers (1.5,
# -2.25e-1), so the dots left are those of dotted keys (and of malformed text).
_NOT_KEYS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'|#[^\n]*"
    r"|(?<![\w.])[+-]?\d[\d_]*\.\d[\d_]*(?:[eE][+-]?\d+)?(?![\w.])",
    re.S,
)


def _check_keys(path: str, text: str) -> None:
    dots = _NOT_KEYS.sub(" ", text).count(".")
    if dots > KEY_DOTS:
        raise UsageError(
            f"{path}: its keys hold {dots} dots, more than the {KEY_DOTS} gradcli reads",
            "a quiz file's keys are plain words: id, program, "
            "inputs, ask, prompt, tolerance, explain",
        )


def load(path: str) -> Script:
    tomllib = _toml()
    try:
        text = read_file_at_most(path, QUIZ_BYTES, f"the quiz file {path}").decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the quiz file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    _check_keys(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    except ValueError:  # an integer past Python's 4300 digits for int(str)
        raise UsageError(
            f"{path}: a number in it has more than the 4300 digits gradcli reads"
        ) from None
    except RecursionError:  # the TOML reader recurses once per nested [ or {
        raise UsageError(f"{path}: its lists or tables nest too deeply to read") from None
    for key in data:
        if key not in TOP_LEVEL:
            raise UsageError(
                f"{path}: unknown top-level key '{key}'",
                "a quiz file has an optional title and [[question]] tables",
            )
    title = data.get("title", "")
    if not isinstance(title, str):
        raise UsageError(f"{path}: 'title' must be a string")
    raw = data.get("question")
    if not isinstance(raw, list) or not raw:
        raise UsageError(
            f"{path}: no questions",
            "write each one as a [[question]] table with id, program, inputs, ask",
        )
    questions: list = []
    seen: dict = {}
    for n, entry in enumerate(raw, 1):
        questions.append(_question(path, n, entry, seen))
    return Script(visible(path, lines=False), visible(title, lines=False), questions)


def _question(path: str, n: int, entry, seen: dict) -> Question:
    where = f"question {n}"
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
        where += f' (id "{entry["id"]}")'

    def fail(field: str, message: str, detail: str = "") -> NoReturn:
        raise UsageError(f"{path}: {where}: field '{field}': {message}", detail) from None

    if not isinstance(entry, dict):
        raise UsageError(f"{path}: {where}: expected a [[question]] table")
    for key, value in entry.items():
        if key not in FIELDS:
            fail(key, "unknown field (known: " + ", ".join(FIELDS) + ")")
        kind = FIELDS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            wanted = {str: "a string", dict: "a table such as { a = 2, b = 3 }"}.get(
                kind, "a number"
            )
            fail(key, f"must be {wanted}, got {type(value).__name__}")
    for key in REQUIRED:
        if key not in entry:
            fail(key, "missing")
    qid = entry["id"]
    if not qid.strip():
        fail("id", "must not be empty")
    if qid in seen:
        fail("id", f'"{qid}" is also the id of question {seen[qid]}')
    seen[qid] = n
    inputs = {}
    for name, value in entry["inputs"].items():
        if isinstance(value, (list, dict)):
            from .quiz import ARRAYS_INSTEAD, NOT_FOR_ARRAYS

            fail("inputs", f"{NOT_FOR_ARRAYS}: the value of {name} is an array", ARRAYS_INSTEAD)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
            fail("inputs", f"the value of {name} must be a finite number, got {_short(value)}")
        inputs[name] = value
    tolerance = entry.get("tolerance")
    if tolerance is not None and not (tolerance > 0 and _finite(tolerance)):
        fail("tolerance", f"must be a positive number, got {_short(tolerance)}")
    try:
        # The file's own words are shown as text, never obeyed (core/visible.py).
        prompt, explain = entry.get("prompt"), entry.get("explain")
        return Question(
            visible(qid, lines=False),
            entry["program"],
            inputs,
            entry["ask"],
            None if prompt is None else visible(prompt),
            tolerance,
            None if explain is None else visible(explain),
        )
    except QuestionError as exc:
        fail(exc.field, exc.message, exc.detail)


def _short(value) -> str:
    """A value as a message quotes it: a whole number too big for a float is named so."""
    if isinstance(value, int) and not isinstance(value, bool) and not _finite(value):
        return "a whole number too large for a float (more than 308 digits)"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _finite(value) -> bool:
    """A finite number a float can hold: a 400-digit integer is not one."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def check(script: Script) -> list:
    """(position, question, Unfair) for each way a question of the file is unfair: a
    catalogued mistake passes for its right answer, or two mistakes cannot be told apart."""
    return [(n, q, u) for n, q in enumerate(script.questions, 1) for u in unfairness(q)]


def where(script: Script, n: int, q: Question) -> str:
    """How a report names a question: the file, its position and id."""
    return f'{script.path}: question {n} (id "{q.id}")'
