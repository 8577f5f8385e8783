"""gradcli's Python API: the commands as functions, for scripts and notebooks.

    >>> import gradcli
    >>> r = gradcli.evaluate("a*b", a=2, b=3)
    >>> r.value, r.gradient
    (6.0, {'a': 3.0, 'b': 2.0})

`evaluate` returns a `Result`: the value, the gradient, the backward trace as data
(`steps`), the warnings, `to_json()` (the document `gradcli eval --json` prints) and, in
Jupyter or a rich console, the forward and backward tables. `explain`, `graph` and `code`
are the other commands. Errors are `GradcliError`s (gradcli/core/errors.py lists the
family and each one's fields); warnings are raised as `GradcliWarning`s through Python's
`warnings` module and listed on the result.

This module sits at the top, beside cli/: it calls the same layers the command line does
(language, core, report, emit, tutor), and builds its tables from the rows the command
line's tables are built from (report/rows.py). It never prints, and it imports rich only
when a rich console asks for the tables.
"""

from __future__ import annotations

import html
import warnings as _warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from .core.errors import UsageError
from .core.warnings import GradcliWarning

if TYPE_CHECKING:
    import numpy

    from .core.engine import Evaluation
    from .emit.graph import Graph as _Graph
    from .tutor.walkthrough import Step as _WalkStep

__all__ = [
    "evaluate",
    "explain",
    "graph",
    "code",
    "topics",
    "Result",
    "BackwardStep",
    "Explanation",
    "GraphResult",
]

#: A number, or (tensor mode) an array: a NumPy array or nested lists of numbers.
Value = Union[float, "numpy.ndarray"]
#: What an input may be given as: a number, nested lists, a NumPy array, or the text of a
#: constant expression ("pi/2", "randn(3, 2) * 0.1"), as on the command line.
GivenValue = Union[float, int, list, tuple, "numpy.ndarray", str]

ROW_LIMIT = 200  # the HTML and rich tables show this many rows; steps and to_json have all


# --- values --------------------------------------------------------------------------------
def _values(
    values: Optional[Mapping[str, GivenValue]], kw: Mapping[str, GivenValue], seed: Optional[int]
) -> dict:
    """The values given, as the engine takes them: a dict (for names that are not Python
    identifiers, or that clash with this function's own keywords) and keywords together."""
    given: dict = {}
    if values is not None:
        if not isinstance(values, Mapping):
            raise UsageError(
                f"values must be a mapping of input names to values, not {type(values).__name__}"
            )
        given.update(values)
    for name, value in kw.items():
        if name in given:
            raise UsageError(f"two values given for {name}")
        given[name] = value
    out = {}
    for name, value in given.items():
        if not isinstance(name, str):
            raise UsageError(f"an input's name must be a string, not {name!r}")
        if isinstance(value, str):  # "pi/2", "randn(3, 2)": read as the command line does
            from .language.values import value_of

            value = value_of(name, value, seed)
        elif getattr(value, "shape", None) == ():  # a NumPy scalar is a number
            value = value.item()
        out[name] = value
    return out


def _evaluation(
    program: str,
    values,
    kw,
    output: Optional[str],
    seed: Optional[int],
    read_as: str,
    record: bool = True,
) -> Evaluation:
    """Compile `program` knowing which names have values (so a name given a value is an
    input: `e` stops being Euler's number), then run both sweeps."""
    from .core.engine import evaluate as run
    from .core.engine import no_cycle_collection
    from .language.dialects import dialect_name
    from .language.lower import compile_program

    if not isinstance(program, str):
        raise UsageError(f"the program must be text (a str), not {type(program).__name__}")
    given = _values(values, kw, seed)
    with no_cycle_collection():
        tape = compile_program(program, given, output, dialect=dialect_name(read_as))
        return run(tape, given, record=record)


def _warn(lines: list, stacklevel: int = 3) -> None:
    for line in lines:
        _warnings.warn(line, GradcliWarning, stacklevel=stacklevel)


# --- evaluate --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackwardStep:
    """One chain-rule term of the backward pass: step `node` sends `local × upstream` to
    its operand `input`, whose adjoint becomes `total`.

    node, input   the steps' labels as the tables show them ("f", "q", "v3", "c'")
    rule          the local derivative's rule (scalar mode: "z"; tensor mode the matrix
                  form, "dW += X.T @ dY"), as in `gradcli eval --json`
    local         ∂node/∂input at these values (None for an op that is not elementwise)
    upstream      the node's adjoint ∂output/∂node
    contribution  local × upstream, the term sent
    total         the input's adjoint after adding this term
    In tensor mode the numbers are NumPy arrays.
    """

    node: str
    input: str
    rule: str
    local: Optional[Value]
    upstream: Value
    contribution: Value
    total: Value


class Result:
    """What `evaluate` found. Shown in Jupyter as the forward and backward tables (HTML),
    in a rich console as the same tables.

    value     the output's value (a float)
    gradient  input name -> ∂output/∂input (a float; a NumPy array of the input's shape in
              tensor mode, where integer data, such as indices, has none)
    inputs    input name -> the value used (given, or the program's default)
    output    the output's name
    steps     the backward trace, one BackwardStep per contribution (a line of the backward pass), in sweep order
    warnings  what the evaluation noticed (each also raised as a GradcliWarning)
    tensor    whether the program ran in tensor mode (arrays)
    """

    def __init__(self, ev: Evaluation) -> None:
        self._ev = ev
        self.value: float = ev.value
        self.gradient: dict[str, Value] = ev.gradient
        self.inputs: dict[str, Value] = dict(ev.inputs)
        self.output: str = ev.tape.output_name
        self.warnings: list[str] = list(ev.warnings)
        self.tensor: bool = ev.tape.tensor
        self._steps: Optional[list[BackwardStep]] = None

    @property
    def steps(self) -> list[BackwardStep]:
        """The backward trace as data: a list of BackwardStep."""
        if self._steps is None:
            self._steps = _backward_steps(self._ev)
        return self._steps

    @property
    def program(self) -> str:
        """The program's text."""
        return self._ev.tape.source

    def to_dict(self) -> dict[str, object]:
        """The document `gradcli eval --json` prints, as Python data."""
        from .report.evaluation import to_dict

        return to_dict(self._ev)

    def to_json(self) -> str:
        """The document `gradcli eval --json` prints for the same program and values."""
        from .report.evaluation import to_json

        return to_json(self._ev)

    def __repr__(self) -> str:
        grads = ", ".join(f"{name}: {_short(g)}" for name, g in list(self.gradient.items())[:8])
        more = ", ..." if len(self.gradient) > 8 else ""
        return f"<gradcli.Result {self.output} = {_short(self.value)}; gradient {{{grads}{more}}}>"

    def _repr_html_(self) -> str:
        """The forward pass, the backward pass and the result as HTML tables (Jupyter)."""
        return _html(_sections(self._ev, ascii_only=False))

    def __rich__(self):
        """The same tables for a rich console (`rich.print(r)`)."""
        return _RichTables(self._ev)


def _short(x) -> str:
    if hasattr(x, "shape") and getattr(x, "ndim", 0) > 0:
        return f"array{tuple(x.shape)}"
    from .core.notation import fmt

    return fmt(float(x))


def _backward_steps(ev: Evaluation) -> list[BackwardStep]:
    from .core.notation import Notation

    tape = ev.tape
    plain = Notation(ascii_only=True)  # the rule text `gradcli eval --json` writes
    if tape.tensor:
        from .report.tensor_rows import tensor_step

        def rule(c):
            return tensor_step(ev, c, plain).formula
    else:

        def rule(c):
            return plain.math(tape.rule(c.node, c.position))

    return [
        BackwardStep(
            tape.label(c.node),
            tape.label(c.input),
            rule(c),
            c.local,
            c.upstream,
            c.contribution,
            c.total,
        )
        for c in ev.contributions
    ]


def evaluate(
    program: str,
    values: Optional[Mapping[str, GivenValue]] = None,
    /,
    *,
    output: Optional[str] = None,
    seed: Optional[int] = None,
    read_as: str = "auto",
    **kw: GivenValue,
) -> Result:
    """Evaluate `program` and its gradient by reverse mode, as `gradcli eval` does.

    program  an expression or statements ("q = x + y; f = q * z"), or pasted Python or
             JavaScript (read_as "auto" tells which; "gradcli", "python", "js" choose)
    values   input name -> value, for names that are not Python identifiers or that are
             also keywords of this function (output, seed, read_as)
    **kw     input values by name: numbers; lists or NumPy arrays (tensor mode); or the
             text of a constant expression ("pi/2", "randn(3, 2) * 0.1")
    output   the value to differentiate (default: the program's output)
    seed     seeds values drawn at random ("randn(...)"; default 0)

    A name given a value is an input, always: `evaluate("e*x", e=2, x=3)` takes e = 2.
    Raises a GradcliError (SourceError, MissingInputs, DomainError, ...) when the program
    cannot be read or evaluated; warns with GradcliWarning.
    """
    result = Result(_evaluation(program, values, kw, output, seed, read_as))
    _warn(result.warnings)
    return result


# --- tables: one set of sections, drawn as HTML or as rich tables ----------------------------
@dataclass
class _Section:
    title: str
    columns: list
    rows: list
    notes: list
    arrays: tuple = ()  # columns holding arrays: kept as lines, never wrapped


def _sections(ev: Evaluation, ascii_only: bool, width: Optional[int] = None) -> list:
    """The eval tables as data, from report/rows.py (what the command line draws)."""
    from .core.notation import Notation
    from .report.rows import (
        backward_columns,
        backward_rows,
        fan_out_notes,
        forward_columns,
        forward_rows,
        result_columns,
        result_rows,
        rule_notes,
    )

    nt = Notation(ascii_only=ascii_only)
    tape = ev.tape
    tensor = tape.tensor
    out = tape.output_label
    seed = f"{nt.bar(out)} = {nt.partial(out, out)} = 1"
    backward_notes = [nt.text(n) for n in fan_out_notes(ev, nt) + rule_notes(ev, nt)]
    sections = [
        _Section(
            "Forward pass (one primitive per step)",
            forward_columns(ev),
            _limited(forward_rows(ev, width), ROW_LIMIT),
            [],
            (4,) if tensor else (),
        ),
        _Section(
            nt.text(f"Backward pass (reverse order, seeded with {seed})"),
            backward_columns(ev),
            _limited(backward_rows(ev, nt, width), ROW_LIMIT),
            backward_notes,
            (3,) if tensor else (),
        ),
        _Section(
            "Result", result_columns(ev), result_rows(ev, nt, width), [], (2,) if tensor else ()
        ),
    ]
    if not sections[1].rows:
        sections[1].notes.insert(0, "The output depends on no input, so every gradient is 0.")
    if tensor:
        sections[2].notes.append(
            "Arrays are shown to 6 significant digits; the result's "
            "gradient, steps and to_json() have every digit."
        )
    return sections


def _limited(rows: list, limit: int) -> list:
    if len(rows) <= limit:
        return rows
    head = limit // 2
    left_out = len(rows) - limit
    gap = (
        ("...",)
        + ("",) * (len(rows[0]) - 2)
        + (f"{left_out} rows left out (the result's steps and to_json() have every one)",)
    )
    return rows[:head] + [gap] + rows[-(limit - head) :]


def _html(sections: list) -> str:
    """Small HTML tables; every cell is the user's or computed text, escaped."""
    esc = html.escape
    parts = ['<div class="gradcli-result">']
    for s in sections:
        parts.append(f"<p><b>{esc(s.title)}</b></p>")
        if s.rows:
            parts.append(
                '<table class="gradcli-table"><thead><tr>'
                + "".join(f"<th>{esc(c)}</th>" for c in s.columns)
                + "</tr></thead><tbody>"
            )
            for row in s.rows:
                cells = []
                for k, cell in enumerate(row):
                    style = (
                        "white-space: pre; font-family: monospace; text-align: left"
                        if "\n" in cell or k in s.arrays
                        else "text-align: left"
                    )
                    cells.append(f'<td style="{style}">{esc(cell)}</td>')
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</tbody></table>")
        parts += [f"<p>{esc(n)}</p>" for n in s.notes]
    parts.append("</div>")
    return "\n".join(parts)


class _RichTables:
    """The sections as rich tables, drawn for the console that renders them: ASCII
    notation and boxes when it cannot show ∂ and x̄."""

    def __init__(self, ev: Evaluation) -> None:
        self._ev = ev

    def __rich_console__(self, console, options):
        from rich import box
        from rich.table import Table
        from rich.text import Text

        ascii_only = options.ascii_only
        for s in _sections(self._ev, ascii_only):
            if not s.rows:
                yield Text(s.title)
            elif s.arrays:  # tensor mode: array columns keep their lines whole
                table = Table(
                    title=Text(s.title),
                    title_justify="left",
                    box=box.ASCII if ascii_only else box.SIMPLE_HEAVY,
                )
                for k, name in enumerate(s.columns):
                    table.add_column(Text(name), no_wrap=k in s.arrays, overflow="fold")
                for row in s.rows:
                    table.add_row(*map(Text, row))
                yield table
            else:  # the command line's tables: words never broken, columns stacked when narrow
                from .cli.fit import FitTable

                yield FitTable(
                    s.columns,
                    s.rows,
                    title=s.title,
                    ascii=ascii_only,
                    fallbacks=_fallbacks(s.columns),
                )
            for note in s.notes:
                yield Text(("* " if ascii_only else "• ") + note)


def _fallbacks(columns: list) -> tuple:
    """The backward table narrows as the command line's does (cli/render_eval.py): the
    contribution under the rule, the running total under the sender, then without the
    upstream column. Other tables stack their columns by default."""
    if len(columns) == 6:
        return (
            ("stack", columns[4], columns[2]),
            ("stack", columns[5], columns[1]),
            ("drop", columns[3]),
        )
    return ()


# --- explain, graph, code --------------------------------------------------------------------
class Explanation:
    """A walkthrough, as `gradcli explain` shows it: a list of steps, each a title and
    blocks (paragraphs, formula lines, small tables).

    title  what is explained
    steps  the walkthrough's steps (gradcli.tutor.walkthrough.Step: .title, .blocks, .text())
    """

    def __init__(self, title: str, steps: list[_WalkStep]) -> None:
        self.title = title
        self.steps: list[_WalkStep] = steps

    def text(self) -> str:
        """Every step as plain text."""
        return "\n\n".join(f"{k}. {step.text()}" for k, step in enumerate(self.steps, 1))

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<gradcli.Explanation {self.title!r}: {len(self.steps)} steps>"

    def _repr_html_(self) -> str:
        from .tutor.walkthrough import Lines, Table

        esc = html.escape
        parts = [f"<h3>{esc(self.title)}</h3>"]
        for k, step in enumerate(self.steps, 1):
            parts.append(f"<h4>{k}. {esc(step.title)}</h4>")
            for b in step.blocks:
                if isinstance(b, str):
                    parts.append(f"<p>{esc(b)}</p>")
                elif isinstance(b, Lines):
                    parts.append("<pre>" + esc("\n".join(b.lines)) + "</pre>")
                elif isinstance(b, Table):
                    parts.append(
                        "<table><thead><tr>"
                        + "".join(f"<th>{esc(c)}</th>" for c in b.columns)
                        + "</tr></thead><tbody>"
                        + "".join(
                            "<tr>"
                            + "".join(
                                f'<td style="white-space: pre; text-align: left">{esc(c)}</td>'
                                for c in row
                            )
                            + "</tr>"
                            for row in b.rows
                        )
                        + "</tbody></table>"
                    )
        return "\n".join(parts)


def explain(
    program: Optional[str] = None,
    values: Optional[Mapping[str, GivenValue]] = None,
    /,
    *,
    topic: Optional[str] = None,
    output: Optional[str] = None,
    seed: Optional[int] = None,
    read_as: str = "auto",
    ascii: bool = False,
    **kw: GivenValue,
) -> Explanation:
    """A walkthrough, as `gradcli explain` gives it.

    explain()                         the lesson on x = a*b (why da = b*dx, not dx/b);
                                      a=, b=, c= change its numbers
    explain(topic="fan-out")          a short lesson (the topics: gradcli.topics())
    explain("x = a*b; f = 2*x", a=2, b=3)   any program, step by step
    ascii  plain ASCII notation (dx for x̄)
    """
    from .core.notation import Notation

    nt = Notation(ascii_only=ascii)
    if topic is not None:
        if program is not None or values or kw:
            raise UsageError(
                "a topic takes no program or values", "give either a topic or a program"
            )
        from .tutor.topics import topic as find

        t = find(topic)
        return Explanation(t.summary, t.build(nt))
    if program is None:
        from .tutor.lesson import LESSON_INPUTS, multiply_lesson

        given = _values(values, kw, seed)
        unknown = [n for n in given if n not in LESSON_INPUTS]
        if unknown or output is not None:
            raise UsageError(
                "the lesson takes values for "
                + ", ".join(LESSON_INPUTS)
                + " only"
                + (f", not {', '.join(unknown)}" if unknown else ""),
                "give a program to explain another computation",
            )
        numbers = {}
        for name, value in given.items():
            from .core.engine import _finite

            numbers[name] = _finite(name, value)
        return Explanation("Why da = b * dx, and not dx / b", multiply_lesson(nt, **numbers))
    from .tutor.walkthrough import walk

    ev = _evaluation(program, values, kw, output, seed, read_as)
    _warn(ev.warnings)
    return Explanation(
        program.strip().splitlines()[0] if program.strip() else program, walk(ev, nt, output)
    )


class GraphResult:
    """The computation graph, each node with its value and adjoint (`gradcli graph`).

    nodes, edges  the graph as data (gradcli.emit.graph's GraphNode and GraphEdge)
    """

    def __init__(self, graph: _Graph, warnings: list) -> None:
        self._graph = graph
        self.nodes: list = list(graph.nodes.values())  # GraphNode, in tape order
        self.edges: list = graph.edges
        self.warnings: list[str] = warnings

    def to_dot(self, ascii: bool = False) -> str:
        """Graphviz source, as `gradcli graph --format dot` writes it."""
        from .core.notation import Notation
        from .emit.graphviz import to_dot

        return to_dot(self._graph, Notation(ascii_only=ascii))

    def to_mermaid(self, ascii: bool = False) -> str:
        """A Mermaid flowchart, as `gradcli graph --format mermaid` writes it."""
        from .core.notation import Notation
        from .emit.graphviz import to_mermaid

        return to_mermaid(self._graph, Notation(ascii_only=ascii))

    def to_dict(self) -> dict:
        """The document `gradcli graph --json` prints, as Python data."""
        from .emit.graph import to_dict

        return to_dict(self._graph, self.warnings)

    def tree(self, depth: int = 40, ascii: bool = False) -> str:
        """The graph as a tree rooted at the output, at most `depth` levels deep."""
        from .core.notation import Notation
        from .emit.graph import tree_lines, tree_rows

        nt = Notation(ascii_only=ascii)
        lines = []
        for prefix, (_, kind, title, detail) in tree_lines(
            tree_rows(self._graph, nt, depth), ascii
        ):
            mark = ("^ " if ascii else "↑ ") if kind == "reuse" else ""
            lines.append(f"{prefix}{mark}{title}   {detail}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.tree()

    def __repr__(self) -> str:
        return f"<gradcli.GraphResult: {len(self.nodes)} nodes, {len(self.edges)} edges>"


def graph(
    program: str,
    values: Optional[Mapping[str, GivenValue]] = None,
    /,
    *,
    output: Optional[str] = None,
    seed: Optional[int] = None,
    read_as: str = "auto",
    **kw: GivenValue,
) -> GraphResult:
    """The computation graph of `program` at these values, as `gradcli graph` draws it:
    `.to_dot()`, `.to_mermaid()`, `.tree()`, `.to_dict()`."""
    from .emit.graph import build_graph

    ev = _evaluation(program, values, kw, output, seed, read_as)
    _warn(ev.warnings)
    return GraphResult(build_graph(ev), list(ev.warnings))


def code(
    program: str,
    values: Optional[Mapping[str, GivenValue]] = None,
    /,
    *,
    lang: Optional[str] = None,
    output: Optional[str] = None,
    seed: Optional[int] = None,
    read_as: str = "auto",
    **kw: GivenValue,
) -> str:
    """The forward and backward pass of `program` as a runnable program, as `gradcli code`
    writes it. lang: "python", "js" (programs of numbers) or "numpy" (any program; the
    default for one with arrays, else "python")."""
    from .emit.codegen import LANGS, generate

    chosen = None if lang is None else lang.lower()
    if chosen in ("javascript", "node"):
        chosen = "js"
    if chosen is not None and chosen not in LANGS:
        raise UsageError(f"unknown language {lang!r}", "choose python, js or numpy")
    ev = _evaluation(program, values, kw, output, seed, read_as)
    if chosen is None:
        chosen = "numpy" if ev.tape.tensor else "python"
    if ev.tape.tensor and chosen != "numpy":
        raise UsageError(
            f"{'Python' if chosen == 'python' else 'JavaScript'} code is written "
            "for programs of numbers only, and this program has arrays",
            "choose lang='numpy'",
        )
    _warn(ev.warnings)
    return generate(ev, chosen)


def topics() -> dict[str, str]:
    """The short lessons `explain(topic=...)` gives: name -> what it is about."""
    from .tutor.topics import TOPICS

    return {name: t.summary for name, t in TOPICS.items()}
