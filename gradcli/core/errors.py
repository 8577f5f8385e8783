"""The one family of errors gradcli raises; the command line catches it once.

Every error has
  message    its first line: a sentence (starting in lower case, as it follows "error: ")
             that names no command-line option, so a Python caller reads the same words
  detail     more lines: a source excerpt with a caret, advice, hints (may be "")
  exit_code  the command line's exit status for it
and str(exc) is the message and the detail, one per line.

The subclasses below also carry the facts as fields, so a caller can act on an error
without reading its text. The command line words them for its own syntax (`--b VALUE`,
`--wrt NAME`) in gradcli/cli/wording.py; nothing below gradcli/cli mentions an option.

    GradcliError
    ├── UsageError            the call or the command line was malformed (exit 2)
    │   ├── MissingInputs     inputs without a value: names, suggestions, lookalikes
    │   ├── UnknownName       a name that is not there: name, kind, suggestions, known, parameter
    │   │   └── UnknownFunction   ... in the program text (also a SourceError)
    │   ├── WrtError          forward mode's input: reason, wrt, inputs, suggestions, mode
    │   ├── MissingDependency an optional program or package is absent: dependency, feature
    │   ├── TooLarge          a size limit was passed: what, limit, size, unit
    │   ├── SymbolicTimeout   SymPy did not finish within its time budget: seconds
    │   └── InvalidValue      a value that cannot be used here: name, value, instead
    ├── SourceError           the program text is malformed: pos, line, column (exit 2)
    │   └── ForeignCode       code of another language pasted in (Python, JavaScript):
    │                         construct, dialect (the language it would read as, or None)
    └── EvaluationError       well formed, but not computable at these values (exit 1)
        ├── DomainError       a step's value is undefined: problem, step, expression,
        │                     operation, operands, line, column, pos
        ├── ShapeError        tensor mode: shapes that do not fit, an index out of range,
        │                     an output that is not one number: problem, step,
        │                     expression, operation, shapes, line, column, pos
        └── RenderError       Graphviz could not draw the graph: format, reason, edges

Exit codes: 0 success; 1 the program could not be evaluated (a domain error such as log
of a negative number) or drawn; 2 the call, command or program was malformed (usage,
syntax, unknown function, missing or bad value, unreadable file); 3 an internal error,
any exception outside this family, which is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Optional

EXIT_OK = 0
EXIT_EVAL = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class GradcliError(Exception):
    """Every error gradcli raises for a reason of the user's (the family is drawn in this
    module's docstring): a bad program, value or call, or a program that cannot be
    evaluated at the values given. Any other exception is a bug in gradcli.

    message    the first line, a sentence naming no command-line option
    detail     more lines (a source excerpt with a caret, advice), or ""
    exit_code  the command line's exit status for it (1 or 2)
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # more lines: a source excerpt with a caret, a hint

    def __str__(self) -> str:
        return self.message + (("\n" + self.detail) if self.detail else "")


class UsageError(GradcliError):
    """The call or the command line was malformed: a bad value, a missing input, an
    unreadable file."""


class SourceError(GradcliError):
    """The program text is malformed; carries the position to point at.

    pos is the offset in the source, line and column its 1-based position; hint is the
    advice below the excerpt ("" if none)."""

    def __init__(self, message: str, source: str, pos: int, hint: str = "") -> None:
        self.pos = pos
        self.line, self.column = line_col(source, pos)
        self.hint = hint
        excerpt = caret_excerpt(source, pos)
        detail = excerpt + (("\n" + hint) if hint else "")
        where = f"line {self.line}, column {self.column}"
        super().__init__(f"{message} (at {where})", detail)


class ForeignCode(SourceError):
    """Code from a tutorial that this reading does not take: `x.relu()` or `Math.exp` in
    gradcli's language, a loop or a class in pasted Python, a condition in JavaScript.
    The message says what to write instead.

    construct  what was found, in a word or two ("method call", "for loop")
    dialect    "python" or "js" when reading the text as that language would take it, or
               None (the text is already read as pasted code, or no reading would)
    """

    def __init__(
        self,
        message: str,
        source: str,
        pos: int,
        hint: str = "",
        *,
        construct: str,
        dialect: Optional[str] = None,
    ) -> None:
        self.construct, self.dialect = construct, dialect
        super().__init__(message, source, pos, hint)


class EvaluationError(GradcliError):
    """The program is well formed, but a value is undefined for the inputs given."""

    exit_code = EXIT_EVAL


# --- structured errors --------------------------------------------------------------------
class MissingInputs(UsageError):
    """Inputs that have no value (given, or a default in the program).

    names        the inputs without a value, in the program's order
    suggestions  name -> the given names that look like it (a value given for `alpah`
                 was perhaps meant for `alpha`)
    lookalikes   name -> constants or functions it looks like (`pii` for pi)
    """

    def __init__(
        self,
        names: Sequence[str],
        suggestions: Optional[Mapping] = None,
        lookalikes: Optional[Mapping] = None,
    ) -> None:
        self.names = list(names)
        self.suggestions = {n: list(v) for n, v in (suggestions or {}).items() if v}
        self.lookalikes = {n: list(v) for n, v in (lookalikes or {}).items() if v}
        several = len(self.names) > 1
        advice = (
            f"give {'them values' if several else 'it a value'}, or "
            f"{'defaults' if several else 'a default'} in the program "
            f"({self.names[0]} = 1)"
        )
        super().__init__(
            f"no value for the {'inputs' if several else 'input'} {', '.join(self.names)}",
            "\n".join([advice] + self.hints()),
        )

    def hints(self) -> list:
        """Lines on likely misspellings, one per finding."""
        out = []
        for name in self.names:
            if name in self.suggestions:
                out.append(
                    f"a value was given for {quoted_or(self.suggestions[name])}; "
                    f"did you mean '{name}'?"
                )
            if name in self.lookalikes:
                # `pii*r` or `sigmod + 1`: perhaps a misspelt constant or function.
                out.append(
                    f"'{name}' is not a known constant or function: did you mean "
                    f"{quoted_or(self.lookalikes[name])}?"
                )
        return out


class UnknownName(UsageError):
    """A name that is not there.

    name         what was asked for
    kind         what it should have named: "value", "mode", "function", "topic", "lesson"
    suggestions  close names that are there (may be empty)
    known        every name that is there
    parameter    the argument that carried the name ("output", "mode", "topic"), or None
                 when the name was in the program text
    """

    def __init__(
        self,
        message: str,
        detail: str = "",
        *,
        name: str,
        kind: str,
        suggestions: Sequence[str] = (),
        known: Iterable[str] = (),
        parameter: Optional[str] = None,
    ) -> None:
        self._fields(name, kind, suggestions, known, parameter)
        super().__init__(message, detail)

    def _fields(self, name, kind, suggestions, known, parameter) -> None:
        self.name, self.kind, self.parameter = name, kind, parameter
        self.suggestions, self.known = list(suggestions), list(known)


class UnknownFunction(UnknownName, SourceError):
    """A call of a function gradcli does not have: an UnknownName (kind "function") at a
    place in the program text (a SourceError)."""

    def __init__(self, name: str, source: str, pos: int, known: Iterable[str]) -> None:
        known = sorted(known)
        suggestions = close_matches(name, known)
        self._fields(name, "function", suggestions, known, None)
        hint = (
            (f"did you mean {quoted_or(suggestions)}? " if suggestions else "")
            + "Functions: "
            + ", ".join(known)
            + "."
        )
        SourceError.__init__(self, f"unknown function '{name}'", source, pos, hint)


class WrtError(UsageError):
    """Forward mode differentiates with respect to one input, and it cannot be chosen.

    reason       "no inputs", "several inputs" (none was chosen), "unknown input" (the
                 one chosen is not an input) or "reverse mode" (one was chosen, but the
                 mode has no use for it)
    wrt          the input chosen, or None
    inputs       the program's inputs (empty for "reverse mode": not looked at)
    suggestions  inputs close to wrt
    mode         the mode asked for, when known
    """

    def __init__(
        self,
        reason: str,
        inputs: Sequence[str] = (),
        wrt: Optional[str] = None,
        mode: Optional[str] = None,
    ) -> None:
        self.reason, self.wrt, self.inputs, self.mode = reason, wrt, list(inputs), mode
        self.suggestions = close_matches(wrt, self.inputs) if wrt is not None else []
        names = ", ".join(self.inputs)
        if reason == "no inputs":
            message = (
                "the program has no inputs, so there is nothing to differentiate with respect to"
            )
            detail = ""
        elif reason == "several inputs":
            message = (
                "forward mode differentiates with respect to one input; the program "
                f"has {len(self.inputs)}: {names}"
            )
            detail = f"choose the one to differentiate with respect to, e.g. {self.inputs[0]}"
        elif reason == "unknown input":
            message = f"the program has no input named '{wrt}'" + (
                f" (did you mean {quoted_or(self.suggestions)}?)" if self.suggestions else ""
            )
            detail = "its inputs are: " + (names or "none")
        elif reason == "reverse mode":
            message = (
                f"only forward mode differentiates with respect to one chosen input "
                f"({wrt}); the mode is {mode}"
            )
            detail = "choose forward mode (or both)"
        else:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(message, detail)


class MissingDependency(UsageError):
    """An optional package or program that a feature needs is not there.

    dependency  what is missing ("SymPy", "Graphviz's `dot` program")
    feature     what needs it ("symbolic" partials, "svg" or "png" output)
    install     how to get it
    """

    def __init__(
        self, message: str, detail: str = "", *, dependency: str, feature: str, install: str
    ) -> None:
        self.dependency, self.feature, self.install = dependency, feature, install
        super().__init__(message, detail)


class SymbolicTimeout(UsageError):
    """SymPy did not finish within its time budget.

    seconds  the budget
    """

    def __init__(self, message: str, detail: str = "", *, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(message, detail)


class TooLarge(UsageError):
    """A feature's size limit was passed.

    what   the feature ("symbolic")
    limit  the most it handles, in `unit`s ("steps", "operations")
    size   how many there are
    """

    def __init__(
        self, message: str, detail: str = "", *, what: str, limit: int, size: int, unit: str
    ) -> None:
        self.what, self.limit, self.size, self.unit = what, limit, size, unit
        super().__init__(message, detail)


class InvalidValue(UsageError):
    """A value that cannot be used here.

    name     what the value is for
    value    the value given (a number, or the text typed for it)
    why      why it cannot be used
    instead  a value that would work, or None
    """

    def __init__(
        self,
        message: str,
        why: str,
        *,
        name: str,
        value: float | str,
        instead: Optional[float] = None,
    ) -> None:
        self.name, self.value, self.why, self.instead = name, value, why, instead
        detail = why + (f"; try {name} = {instead:g}" if instead is not None else "")
        super().__init__(message, detail)


class DomainError(EvaluationError):
    """A step's value is undefined at these inputs: log of a negative number, a division
    by zero, an overflow.

    problem     what is wrong, in words ("division by zero")
    step        the step's label ("f", "v3", "x'")
    expression  its right-hand side ("log(v3)")
    operation   the op's name ("log", "div")
    operands    each operand as written in the expression -> its value
    line, column, pos   where the step is in the source (1-based line and column; the
                message names the line only for a program of several lines)
    """

    def __init__(
        self,
        problem: str,
        where: str,
        excerpt: str,
        *,
        step: str,
        expression: str,
        operation: str,
        operands: Mapping[str, float],
        line: int,
        column: int,
        pos: int,
    ) -> None:
        self.problem, self.step, self.expression = problem, step, expression
        self.operation, self.operands = operation, dict(operands)
        self.line, self.column, self.pos = line, column, pos
        super().__init__(f"{problem} {where}", excerpt)


class ShapeError(EvaluationError):
    """Tensor mode: a step's operands do not fit (shapes that do not broadcast, a matrix
    product whose inner sizes differ, an index out of range), or the output is not one
    number. Shapes come from the values given, so this is exit 1, as a domain error.

    problem     what is wrong, in words, with the shapes
    step        the step's label ("v5", "logits"), or None for the output check
    expression  its right-hand side ("X @ W")
    operation   the op's name ("matmul")
    shapes      each operand as written in the expression -> its shape (a tuple)
    line, column, pos   where the step is in the source
    """

    def __init__(
        self,
        problem: str,
        where: str,
        excerpt: str,
        *,
        step: Optional[str],
        expression: str,
        operation: str,
        shapes: Mapping[str, tuple],
        line: int,
        column: int,
        pos: int,
    ) -> None:
        self.problem, self.step, self.expression = problem, step, expression
        self.operation, self.shapes = operation, dict(shapes)
        self.line, self.column, self.pos = line, column, pos
        super().__init__(f"{problem} {where}".strip(), excerpt)


class RenderError(EvaluationError):
    """Graphviz could not draw the graph.

    format        the picture asked for ("svg", "png")
    reason        "too big" (refused before Graphviz started), "timeout", "killed" (by a
                  signal or its limits: usually out of time or memory) or "failed"
    edges         how many edges the graph has
    tool_message  what Graphviz said ("" if nothing)
    """

    def __init__(
        self,
        message: str,
        detail: str = "",
        *,
        format: str,
        reason: str,
        edges: int,
        tool_message: str = "",
    ) -> None:
        self.format, self.reason, self.edges = format, reason, edges
        self.tool_message = tool_message
        super().__init__(message, detail)


# --- helpers ---------------------------------------------------------------------------------
def line_col(source: str, pos: int) -> tuple[int, int]:
    pos = max(0, min(pos, len(source)))
    line = source.count("\n", 0, pos) + 1
    start = source.rfind("\n", 0, pos) + 1
    return line, pos - start + 1


def caret_excerpt(source: str, pos: int, width: int = 72) -> str:
    """The offending line (a window of it if long) with a caret under `pos`."""
    pos = max(0, min(pos, len(source)))
    start = source.rfind("\n", 0, pos) + 1
    end = source.find("\n", pos)
    end = len(source) if end < 0 else end
    line = source[start:end].rstrip("\r")  # a CRLF file's line ends before its \r
    col = pos - start
    lo = max(0, col - width // 2)
    hi = min(len(line), lo + width)
    # A control character (a comment's ESC, a tab, U+202E) is shown as its escape
    # (core/visible.py), never obeyed; the caret stays under the character it points at.
    pieces = [_shown(ch) for ch in line[lo:hi]]
    shown = "".join(pieces)
    prefix = "..." if lo > 0 else ""
    suffix = "..." if hi < len(line) else ""
    # The caret goes under the character: wide (CJK) characters take two cells.
    pad = len(prefix) + sum(_cells(ch) for piece in pieces[: col - lo] for ch in piece)
    return f"  {prefix}{shown}{suffix}\n  {' ' * pad}^"


def _shown(ch: str) -> str:
    """A character of an excerpt as printed: a tab a space, a control character its
    escape (`\\x1b`), another character that prints nothing a `?`."""
    if ch.isprintable():
        return ch
    if ch == "\t":
        return " "
    from .visible import visible  # only for an excerpt that holds one

    escaped = visible(ch, lines=False)
    return escaped if escaped != ch else "?"


def _cells(ch: str) -> int:
    import unicodedata

    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def close_matches(name: str, candidates: Iterable[str]) -> list:
    """Up to two close candidates, ignoring case (SIGMOID -> sigmoid), never the name itself."""
    by_lower: dict = {}
    for c in sorted(set(candidates)):
        if c != name:
            by_lower.setdefault(c.lower(), c)
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=2, cutoff=0.6)
    return [by_lower[c] for c in found]


def quoted_or(names: Sequence[str]) -> str:
    """'a' or 'b'."""
    return " or ".join(f"'{n}'" for n in names)


def suggest(name: str, candidates: Iterable[str]) -> Optional[str]:
    """close_matches as text, "'a' or 'b'", or None when nothing is close."""
    return quoted_or(close_matches(name, candidates)) or None
