"""Tables for `gradcli eval --mode forward|both`, `--check` and `--symbolic`.

Rows are plain strings first (tests reuse them), cells are `Text`, never markup.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.text import Text

from ..core.notation import Notation, fmt, full
from ..modes.forward_mode import AGREE, FLOAT_EDGE, ROUNDING, TangentTrace, compare
from ..modes.gradcheck import BANDS, KINK_NOTE, KINK_VERDICT
from ..modes.study import Study
from ..report.rows import Rows, shown_steps, tangent_rule
from .render_eval import _add_rows, _table


def forward_trace_rows(trace: TangentTrace, nt: Notation) -> Rows:
    """(step, operation, value, tangent rule, tangent) for every step up to the output
    but the unnamed literals, numbered without gaps: Rows built as they are read (a table
    of a 100,000-step program shows 200 of them)."""
    tape = trace.tape
    shown = [i for i in shown_steps(tape) if i <= tape.output]

    def row(k: int) -> tuple:
        i = shown[k]
        label = tape.label(i)
        operation = (
            f"{label} = {fmt(trace.values[i])}"
            if tape.is_input(i)
            else f"{label} = {tape.expression(i)}"
        )
        return (
            str(k + 1),
            operation,
            fmt(trace.values[i]),
            tangent_rule(trace, i, nt),
            fmt(trace.tangents[i]),
        )

    return Rows(len(shown), row)


def cost_line(tape, nt: Notation) -> str:
    n = len(tape.inputs)
    return nt.text(
        f"cost: forward mode needs one pass per input ({n}), reverse mode one per "
        "output (1); reverse wins with more inputs."
    )


def render_forward(trace: TangentTrace, console: Console, nt: Notation, limit) -> None:
    tape, wrt = trace.tape, trace.wrt
    title = (
        f"Forward mode (tangents {nt.dot('v', wrt)} = {nt.partial('v', wrt)}, "
        f"seeded with {nt.dot(wrt, wrt)} = 1)"
    )
    table = _table(
        nt.text(title), ["step", "operation", "value", "tangent (forward-mode rule)", "tangent"], nt
    )
    _add_rows(table, forward_trace_rows(trace, nt), limit)
    console.print(table)
    out = tape.output_label
    # The output by its row's name: f' where the program rebinds f (ḟ is the first f's).
    console.print(Text(f"{nt.partial(out, wrt)} = {nt.dot(out, wrt)} = {full(trace.derivative)}"))
    console.print(Text(cost_line(tape, nt)))
    console.print()


def agreement(study: Study, nt: Notation, out: str | None = None) -> tuple:
    """(a bug?, the sentence saying so) for --mode both. `out`: the output's name as the
    tables above call it (f' where f is rebound), else the program's (f)."""
    trace, out = study.trace, out or study.tape.output_name
    assert trace is not None  # (called for --mode both only)
    wrt = trace.wrt
    found = compare(trace, study.ev)
    fwd, rev = full(found.forward), full(found.reverse)
    what = nt.partial(out, wrt)
    if found.verdict == AGREE:
        text = (
            f"forward and reverse mode agree: {what} = {fwd} (tangent "
            f"{nt.dot(study.tape.output_label, wrt)}) = {rev} (adjoint {nt.bar(wrt)})"
        )
    elif found.verdict == ROUNDING:
        text = (
            f"forward mode gives {what} = {fwd} and reverse mode {rev}: they differ by "
            f"float rounding only. The terms summed reach {fmt(found.scale)}, and a sum "
            "of floats is exact only to the rounding of its largest term, so neither "
            "number's digits can be trusted here (not a bug: both modes add the same "
            "terms in another order)."
        )
    elif found.verdict == FLOAT_EDGE:
        text = (
            f"forward mode gives {what} = {fwd} and reverse mode {rev}: an infinite "
            "slope or a number too large for a float lies on the way, where 0·inf and "
            "inf − inf depend on the order of multiplying (forward mode multiplies from "
            "the input up, reverse mode from the output down). Neither is a reliable "
            "derivative at this point; this is not a bug in gradcli."
        )
    else:
        text = (
            f"MISMATCH: forward mode gives {what} = {fwd} but reverse mode gives {rev}. "
            "This is a bug in gradcli; please report it."
        )
    return found.is_bug, nt.text(text)


# --- the gradient check -----------------------------------------------------------------
def legend() -> str:
    bounds = " ".join(f"{name} < 1e{round(math.log10(bound))} ≤" for bound, name, _ in BANDS[:-1])
    return f"bands of |a − n|/max(|a|, |n|): {bounds} {BANDS[-1][1]}; h = 1e-6·max(1, |x|)"


def _verdict(c, short: bool = False) -> str:
    verdict = c.verdict
    if c.near_kink and verdict not in ("good", "unavailable"):
        verdict = KINK_VERDICT
    elif c.near_kink:
        verdict += " (near a kink)"
    if c.within_rounding:
        verdict += "*" if short else " (the difference is below the estimate's rounding error)"
    return verdict


def rounding_line(out: str) -> str:
    """Under an array check with a good* verdict; `out` is the program's output."""
    return (
        f"good*: |a − n| is below the estimate's own rounding error (about ε·|{out}|/h), "
        "so good whatever the ratio"
    )


def check_rows(study: Study, nt: Notation, out: str | None = None) -> list:
    if study.tape.tensor:
        return array_check_rows(study, nt, out)
    out = out or study.tape.output_name
    rows = []
    assert study.checks is not None  # (called for --check only)
    for c in study.checks:
        rows.append(
            (
                nt.partial(out, c.name),
                _digits(c.analytic),
                "unavailable" if c.numeric is None else _digits(c.numeric),
                "-" if c.relative_error is None else f"{c.relative_error:.1e}",
                _verdict(c),
            )
        )
    return rows


ARRAY_CHECK_COLUMNS = ["", "entries", "entry", "analytic", "numeric", "relative error", "verdict"]
ENTRY_LINE = (
    "each row shows the input's entry that most deserves a look: a verdict other "
    "than good away from a kink first, then at a kink, then the largest error"
)


def array_check_rows(study: Study, nt: Notation, out: str | None = None) -> list:
    """One row per input of a tensor program: how many entries were checked, and the
    entry that most deserves a look (a verdict other than good away from a kink, else at a
    kink, else the largest relative error), with its numbers."""
    out = out or study.tape.output_name
    rows = []
    assert study.checks is not None  # (called for --check only)
    for c in study.checks:
        w = c.worst
        # "200 of 1920": a sample (said under the table); "all 6": every entry
        checked = (
            f"{len(c.entries)} of {c.total}"
            if c.sampled
            else ("all " + str(c.total) if c.total > 1 else "1")
        )
        rows.append(
            (
                nt.partial(out, c.name),
                checked,
                "[" + ", ".join(map(str, w.index)) + "]" if w.index else "-",
                _digits(w.analytic),
                "unavailable" if w.numeric is None else _digits(w.numeric),
                "-" if w.relative_error is None else f"{w.relative_error:.1e}",
                _verdict(w, short=True),
            )
        )
    return rows


def array_check_lines(study: Study) -> list:
    """Under the table: each input's verdicts counted where not all are good, which
    inputs were sampled and how, and why an estimate was unavailable."""
    from ..modes.gradcheck import SAMPLE_SEED

    lines = [ENTRY_LINE]
    assert study.checks is not None  # (called for --check only)
    if any(c.worst.within_rounding for c in study.checks):
        lines.append(rounding_line(study.tape.output_name))
    for c in study.checks:
        counts = c.counts
        if set(counts) != {"good"}:
            lines.append(f"{c.name}: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
        if c.sampled:
            lines.append(
                f"{c.name}: {len(c.entries)} of its {c.total} entries checked, "
                f"drawn at random (seed {SAMPLE_SEED} and the name: the same "
                "entries every run)"
            )
        if c.note:
            lines.append(f"{c.name}: estimate unavailable {c.note}")
    return lines


def _digits(x: float) -> str:
    # Ten digits: enough to see where a finite difference parts from the analytic value.
    return fmt(x) if x != x or math.isinf(x) or x.is_integer() else f"{x:.10g}"


def _titled(title: str, columns: list, nt: Notation):
    table = _table(title, columns, nt)
    table.min_width = len(title) + 2  # a short table would wrap its title
    return table


def render_check(study: Study, console: Console, nt: Notation, out: str | None = None) -> None:
    assert study.checks is not None  # (called for --check only)
    if study.tape.tensor:
        table = _titled(
            "Gradient check (analytic vs central finite difference, entry by entry)",
            ARRAY_CHECK_COLUMNS,
            nt,
        )
        lines = [legend() + " (x: the entry nudged)"] + array_check_lines(study)
        if any(KINK_VERDICT in v for c in study.checks for v in c.counts):
            lines.append(KINK_NOTE)
    else:
        table = _titled(
            "Gradient check (analytic vs central finite difference)",
            ["", "analytic", "numeric", "relative error", "verdict"],
            nt,
        )
        lines = [legend()] + [
            f"{c.name}: estimate unavailable: {c.note}" for c in study.checks if c.note
        ]
        if any(_verdict(c) == KINK_VERDICT for c in study.checks):
            lines.append(KINK_NOTE)
    _add_rows(table, check_rows(study, nt, out), None)
    console.print(table)
    for line in lines:
        console.print(Text(("* " if nt.ascii else "• ") + nt.text(line)))
    console.print()


# --- symbolic partials ------------------------------------------------------------------
def symbolic_rows(study: Study, nt: Notation, out: str | None = None) -> list:
    out = out or study.tape.output_name
    rows = []
    assert study.partials is not None  # (called for --symbolic only)
    for p in study.partials:
        value = study.analytic[p.name]
        at = p.value
        shown = fmt(value)
        if at is None or not _close(at, value):
            shown += f"  (the formula gives {'undefined' if at is None else fmt(at)} here)"
        text = nt.math(p.formula)
        if not p.simplified:
            text += "  (not simplified: too large)"
        rows.append((nt.partial(out, p.name), text, shown))
    return rows


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def render_symbolic(study: Study, console: Console, nt: Notation, out: str | None = None) -> None:
    table = _titled("Symbolic partials (SymPy, from the tape)", ["", "formula", "value"], nt)
    _add_rows(table, symbolic_rows(study, nt, out), None)
    console.print(table)
    console.print()


# --- all of it, after the reverse-mode tables -------------------------------------------
def render_study(study: Study, console: Console, nt: Notation, grad_only: bool, limit):
    """The forward trace, the agreement, the check and the formulas; a mismatch's sentence."""
    mismatch = None
    trace = study.trace
    # Beside the tables, the output as their rows call it (f' where f is rebound); beside
    # --grad-only's lines, as those do (f).
    named = study.tape.output_name if grad_only else study.tape.output_label
    if trace is not None:
        if grad_only:
            out = study.tape.output_name
            if study.ev is None:
                console.print(Text(f"{out} = {full(study.value)}"))
            console.print(
                Text(f"{nt.partial(out, trace.wrt)} = {full(trace.derivative)} (forward mode)")
            )
        else:
            render_forward(trace, console, nt, limit)
        if study.ev is not None:
            bug, sentence = agreement(study, nt, named)
            console.print(Text(sentence))
            console.print()
            mismatch = sentence if bug else None
    if study.checks is not None:
        render_check(study, console, nt, named)
    if study.partials is not None:
        render_symbolic(study, console, nt, named)
    return mismatch
