"""`gradcli eval`: evaluate a program and its gradient, showing every chain-rule step."""

from __future__ import annotations

import math
import sys
from typing import Optional

import typer

from ..app import (
    EXIT_CODES,
    FREE_ARGS,
    PROGRAM_USAGE,
    app,
    command_class,
    complete_mode,
    file_option,
    from_option,
    guarded,
    make_console,
    option_names,
    output_option,
    seed_option,
    short_help,
    stdout_unicode,
    values_option,
)

EVAL_HELP = """Evaluate a program and its gradient, showing every chain-rule step.

PROGRAM is an expression or statements separated by ";" or newlines, e.g.
"a*b", "q = x + y; f = q * z", "sigmoid(w*x + b)". Give input values as
--a 2, --a=2, --a -2 or a=2, before or after the program. Use NAME=VALUE for a
name that is also an option (json=2), -f FILE or - to read the program from a file or
standard input. A program that starts with "-f" (the file option) goes after "--", with
every option before the "--".
"""


def functions_help() -> list:
    """`eval --help`'s lists of the functions a program can call, read from the op tables
    (core/ops.py, core/tensor_ops.py), so a new op is listed when it is defined."""
    import re

    from ...core.ops import FUNCTIONS
    from ...core.tensor_ops import CONSTRUCTORS, TENSOR_CALLS

    def rows(table: dict, operands) -> list:
        names: dict = {}  # op -> every name that calls it, in table order
        for name, op in table.items():
            names.setdefault(op, []).append(name)
        out = []
        for op, called in names.items():
            args = operands(op)
            # "sum: every entry ...", "onehot(y, k): row i ...": the term already says it
            about = re.sub(
                rf"^(?:{'|'.join(map(re.escape, called))})(?:\([^)]*\))?: ", "", op.about
            )
            out.append((", ".join(f"{n}({args})" for n in dict.fromkeys(called)), about))
        return out

    def scalar(op) -> str:
        return "x" if op.arity == 1 else ", ".join("ab"[: op.arity])

    def array(op) -> str:
        first = {1: ["x"], 2: ["a", "b"]}.get(op.arity, ["x", "d1", "..."])
        if op.name == "onehot":
            first = ["y", "k"]
        elif op.name == "arange":
            first = ["n"]
        elif op.name == "cross_entropy":
            first = ["logits", "targets"]
        return ", ".join(first + [f"{k}={v}" for k, v in op.keywords])

    return [
        ("Functions (on numbers, and elementwise on arrays)", rows(FUNCTIONS, scalar)),
        ("Functions on arrays (also A @ B, A.T, x[i], x[:, j])", rows(TENSOR_CALLS, array)),
        (
            'In values only (--W "randn(64, 27) * 0.1")',
            [
                (op.about.split(":")[0], op.about.split(":", 1)[-1].strip())
                for op in CONSTRUCTORS.values()
            ],
        ),
    ]


@app.command(
    "eval",
    context_settings=FREE_ARGS,
    help=EVAL_HELP,
    epilog=EXIT_CODES,
    options_metavar=PROGRAM_USAGE,
    short_help=short_help(EVAL_HELP),
    cls=command_class(functions_help),
)
def eval_command(
    ctx: typer.Context,
    file: Optional[str] = file_option(),
    read_as: Optional[str] = from_option(),
    values_file: Optional[str] = values_option(),
    seed: Optional[int] = seed_option(),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else."),
    grad_only: bool = typer.Option(
        False, "--grad-only", help="Print only the output value and the gradient."
    ),
    all_rows: bool = typer.Option(False, "--all", help="Show every row of long tables."),
    output: Optional[str] = output_option(),
    ascii_only: bool = typer.Option(
        False, "--ascii", help="Plain ASCII notation (dx instead of x̄)."
    ),
    check: bool = typer.Option(
        False, "--check", help="Compare each partial with a central finite difference."
    ),
    mode: str = typer.Option(
        "reverse",
        "--mode",
        metavar="reverse|forward|both",
        autocompletion=complete_mode,
        help="Reverse mode (adjoints), forward mode (tangents), or both.",
    ),
    wrt: Optional[str] = typer.Option(
        None, "--wrt", metavar="NAME", help="The input forward mode differentiates by."
    ),
    symbolic: bool = typer.Option(
        False, "--symbolic", help="Show each partial as a formula (needs SymPy)."
    ),
) -> None:
    def run() -> None:
        from ...core.engine import evaluate, no_cycle_collection
        from ...language.lower import compile_program
        from ..arguments import read_invocation

        inv = read_invocation(list(ctx.args), file, option_names(ctx), values_file, seed, read_as)
        if check or symbolic or mode != "reverse" or wrt is not None:
            return run_study(inv)
        with no_cycle_collection():
            tape = compile_program(inv.source, inv.values, output, dialect=inv.dialect)
            ev = evaluate(tape, inv.values, record=not grad_only)
        if as_json:
            from itertools import chain

            from ...report.evaluation import json_pieces
            from ..streamout import write_pieces

            # written as made, never whole (JSON is ASCII: the same bytes in any encoding)
            write_pieces(chain(json_pieces(ev, grad_only), ("\n",)))
            return
        show(ev, grad_only, all_rows, ascii_only)

    def run_study(inv) -> None:
        from ...modes.study import study

        found = study(
            inv.source,
            inv.values,
            output,
            mode,
            wrt,
            check,
            symbolic,
            record=not grad_only,
            dialect=inv.dialect,
        )
        if as_json:
            from itertools import chain

            from ...report.modes import study_pieces
            from ..streamout import write_pieces

            # written as made, never whole (JSON is ASCII: the same bytes in any encoding)
            write_pieces(chain(study_pieces(found, grad_only), ("\n",)))
            if found.trace is not None and found.ev is not None:
                _mismatch_as_json(found)
            return
        show_study(found, grad_only, all_rows, ascii_only)

    guarded(run, ctx)


def _mismatch_as_json(found) -> None:
    """Forward and reverse mode disagreeing is a bug in gradcli: exit 3, and under --json
    a gradcli.error/1 document on stderr saying so, beside the "agreement" in the one on
    stdout (a bug, so not one of gradcli's errors: its kind is "ModesDisagree")."""
    from ...core.errors import EXIT_INTERNAL
    from ...core.notation import Notation
    from ...modes.forward_mode import compare
    from ..jsondoc import dumps, error_document
    from ..render_modes import agreement

    verdict = compare(found.trace, found.ev)
    if not verdict.is_bug:
        return
    _, sentence = agreement(found, Notation(ascii_only=True))
    doc = error_document(sentence, EXIT_INTERNAL)
    doc["kind"] = "ModesDisagree"
    doc["fields"] = {
        "wrt": found.trace.wrt,
        "forward": verdict.forward if math.isfinite(verdict.forward) else None,
        "reverse": verdict.reverse if math.isfinite(verdict.reverse) else None,
    }
    sys.stderr.write(dumps(doc) + "\n")
    raise typer.Exit(EXIT_INTERNAL)


def show(ev, grad_only: bool, all_rows: bool, ascii_only: bool) -> None:
    from ...core.notation import Notation, full, full_array

    nt = Notation(ascii_only=ascii_only or not stdout_unicode())
    if grad_only:
        # Plain lines, cheap to produce and to parse, for big programs and scripts.
        out = ev.tape.output_name
        lines = [f"{out} = {full(ev.value)}"]
        write = full_array if ev.tape.tensor else full
        lines += [f"{nt.partial(out, n)} = {write(g)}" for n, g in ev.gradient.items()]
        from ..outfile import write_text

        write_text("\n".join(lines) + "\n")
    else:
        from ..render_eval import render

        render(ev, make_console(), nt, None if all_rows else 200)
    for w in ev.warnings:
        sys.stderr.write("warning: " + nt.text(w) + "\n")


def show_study(found, grad_only: bool, all_rows: bool, ascii_only: bool) -> None:
    from ...core.notation import Notation
    from ..render_modes import render_study

    nt = Notation(ascii_only=ascii_only or not stdout_unicode())
    if found.ev is not None:
        found.ev.warnings = []  # said once, below, with the other modes' warnings
        show(found.ev, grad_only, all_rows, ascii_only)
    mismatch = render_study(found, make_console(), nt, grad_only, None if all_rows else 200)
    for w in found.warnings:
        sys.stderr.write("warning: " + nt.text(w) + "\n")
    if mismatch:
        # Forward and reverse mode disagreeing is a bug in gradcli: exit 3, as any other.
        sys.stderr.write("error: " + mismatch + "\n")
        raise typer.Exit(3)
