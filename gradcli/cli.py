"""The command line: parse arguments, call the core, render. Nothing else lives here.

Exit codes: 0 success; 1 the program could not be evaluated at the values given (a
domain error: log of a negative number, division by zero, overflow); 2 a usage or syntax
error (malformed program, unknown function, missing or bad value, unreadable file);
3 an internal error, which is a bug in gradcli.
"""
from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from . import __version__
from .errors import GradcliError

EXIT_CODES = """Exit codes: 0 success; 1 the program cannot be evaluated at these values (log of a
negative number, division by zero, overflow); 2 usage or syntax error (malformed program,
unknown function, missing or malformed value, unreadable file); 3 internal error (a bug)."""

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="gradcli: compute gradients by reverse-mode automatic differentiation, "
                       "and see every chain-rule step.\n\n" + EXIT_CODES)

_FREE_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True,
              "help_option_names": ["-h", "--help"]}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """gradcli: gradients by reverse-mode automatic differentiation, step by step."""


def _fail(message: str, code: int) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def guarded(action) -> None:
    """Run a command's body: gradcli's own errors become a message and an exit code."""
    try:
        action()
    except GradcliError as exc:
        _fail(f"error: {exc}", exc.exit_code)
    except (KeyboardInterrupt, BrokenPipeError):
        _fail("", 130)
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug: say so without a traceback, unless asked for one
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        _fail(f"internal error (a bug in gradcli, please report it): {type(exc).__name__}: "
              f"{exc}\nset GRADCLI_DEBUG=1 to see the traceback", 3)


def make_console(ascii_flag: bool = False):
    from rich.console import Console

    kwargs = {}
    if not sys.stdout.isatty() and "COLUMNS" not in os.environ:
        kwargs["width"] = 120  # piped: wide enough that rows rarely wrap
    console = Console(highlight=False, emoji=False, markup=False, **kwargs)
    return console


def stdout_unicode() -> bool:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding.startswith("utf")


EVAL_HELP = """Evaluate a program and its gradient, showing every chain-rule step.

PROGRAM is an expression or statements separated by ";" or newlines, e.g.
"a*b", "q = x + y; f = q * z", "sigmoid(w*x + b)". Give input values as
--a 2, --a=2, --a -2 or a=2, before or after the program. Use NAME=VALUE for a
name that is also an option (json=2), -f FILE or - to read the program from a file or
standard input, and put "--" before a program that starts with "-".
"""


@app.command("eval", context_settings=_FREE_ARGS, help=EVAL_HELP, epilog=EXIT_CODES,
             options_metavar="[OPTIONS] PROGRAM [--NAME VALUE | NAME=VALUE]...")
def eval_command(
    ctx: typer.Context,
    file: Optional[str] = typer.Option(None, "-f", "--file", metavar="FILE",
                                       help="Read the program from FILE (- for standard input)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document and nothing else."),
    grad_only: bool = typer.Option(False, "--grad-only",
                                   help="Print only the output value and the gradient."),
    all_rows: bool = typer.Option(False, "--all", help="Show every row of long tables."),
    output: Optional[str] = typer.Option(None, "--output", metavar="NAME",
                                         help="Differentiate NAME instead of the last value."),
    ascii_only: bool = typer.Option(False, "--ascii",
                                    help="Plain ASCII notation (dx instead of x̄)."),
) -> None:
    def run() -> None:
        from .arguments import read_invocation
        from .engine import evaluate, no_cycle_collection
        from .lower import compile_program

        inv = read_invocation(list(ctx.args), file)
        with no_cycle_collection():
            tape = compile_program(inv.source, inv.values, output)
            ev = evaluate(tape, inv.values, record=not grad_only)
        if as_json:
            from .report import to_json

            sys.stdout.write(to_json(ev, grad_only) + "\n")
            return
        show(ev, grad_only, all_rows, ascii_only)

    guarded(run)


def show(ev, grad_only: bool, all_rows: bool, ascii_only: bool) -> None:
    from .notation import Notation, full

    nt = Notation(ascii_only=ascii_only or not stdout_unicode())
    if grad_only:
        # Plain lines, cheap to produce and to parse, for big programs and scripts.
        out = ev.tape.output_name
        lines = [f"{out} = {full(ev.value)}"]
        lines += [f"{nt.partial(out, n)} = {full(g)}" for n, g in ev.gradient.items()]
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        from .render_eval import render

        render(ev, make_console(), nt, None if all_rows else 200)
    for w in ev.warnings:
        sys.stderr.write("warning: " + nt.text(w) + "\n")


def main() -> None:
    app(prog_name="gradcli")
