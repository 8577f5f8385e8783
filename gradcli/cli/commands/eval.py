"""`gradcli eval`: evaluate a program and its gradient, showing every chain-rule step."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from ..app import (
    EXIT_CODES,
    FREE_ARGS,
    PROGRAM_USAGE,
    app,
    file_option,
    from_option,
    guarded,
    make_console,
    option_names,
    output_option,
    seed_option,
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


@app.command("eval", context_settings=FREE_ARGS, help=EVAL_HELP, epilog=EXIT_CODES,
             options_metavar=PROGRAM_USAGE)
def eval_command(
    ctx: typer.Context,
    file: Optional[str] = file_option(),
    read_as: Optional[str] = from_option(),
    values_file: Optional[str] = values_option(),
    seed: Optional[int] = seed_option(),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else."),
    grad_only: bool = typer.Option(False, "--grad-only",
                                   help="Print only the output value and the gradient."),
    all_rows: bool = typer.Option(False, "--all", help="Show every row of long tables."),
    output: Optional[str] = output_option(),
    ascii_only: bool = typer.Option(False, "--ascii",
                                    help="Plain ASCII notation (dx instead of x̄)."),
    check: bool = typer.Option(False, "--check",
                               help="Compare each partial with a central finite difference."),
    mode: str = typer.Option("reverse", "--mode", metavar="reverse|forward|both",
                             help="Reverse mode (adjoints), forward mode (tangents), or both."),
    wrt: Optional[str] = typer.Option(None, "--wrt", metavar="NAME",
                                      help="The input forward mode differentiates by."),
    symbolic: bool = typer.Option(False, "--symbolic",
                                  help="Show each partial as a formula (needs SymPy)."),
) -> None:
    def run() -> None:
        from ...core.engine import evaluate, no_cycle_collection
        from ...language.lower import compile_program
        from ..arguments import read_invocation

        inv = read_invocation(list(ctx.args), file, option_names(ctx), values_file, seed,
                              read_as)
        if check or symbolic or mode != "reverse" or wrt is not None:
            return run_study(inv)
        with no_cycle_collection():
            tape = compile_program(inv.source, inv.values, output, dialect=inv.dialect)
            ev = evaluate(tape, inv.values, record=not grad_only)
        if as_json:
            from ...report.evaluation import to_json

            sys.stdout.write(to_json(ev, grad_only) + "\n")
            return
        show(ev, grad_only, all_rows, ascii_only)

    def run_study(inv) -> None:
        from ...modes.study import study

        found = study(inv.source, inv.values, output, mode, wrt, check, symbolic,
                      record=not grad_only, dialect=inv.dialect)
        if as_json:
            from ...report.modes import study_json

            sys.stdout.write(study_json(found, grad_only) + "\n")
            if found.trace is not None and found.ev is not None:
                from ...modes.forward_mode import compare

                if compare(found.trace, found.ev).is_bug:
                    raise typer.Exit(3)  # "agreement": "mismatch": a bug in gradcli
            return
        show_study(found, grad_only, all_rows, ascii_only)

    guarded(run)


def show(ev, grad_only: bool, all_rows: bool, ascii_only: bool) -> None:
    from ...core.notation import Notation, full, full_array

    nt = Notation(ascii_only=ascii_only or not stdout_unicode())
    if grad_only:
        # Plain lines, cheap to produce and to parse, for big programs and scripts.
        out = ev.tape.output_name
        lines = [f"{out} = {full(ev.value)}"]
        write = full_array if ev.tape.tensor else full
        lines += [f"{nt.partial(out, n)} = {write(g)}" for n, g in ev.gradient.items()]
        sys.stdout.write("\n".join(lines) + "\n")
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
