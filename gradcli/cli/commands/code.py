"""`gradcli code`: the program's forward and backward pass as a runnable program."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ..app import (
    EXIT_CODES,
    FREE_ARGS,
    PROGRAM_USAGE,
    app,
    command_class,
    complete_lang,
    file_option,
    from_option,
    guarded,
    option_names,
    output_option,
    seed_option,
    short_help,
    stdout_unicode,
    values_option,
)

CODE_HELP = """Write the program's forward and backward pass as a self-contained program.

Python and JavaScript (programs of numbers): the forward pass is one primitive per line;
the backward pass is one line per contribution, `da += b * dx`, each pointing at the
forward line it comes from. NumPy (any program, arrays included; the default for a
program with arrays): the forward pass is the program's statements and the backward pass
is written makemore style, `dW1 = embcat.T @ dhprebn`, `db1 = dhprebn.sum(0)`. The
program prints the output and its gradient (NumPy: exactly as `gradcli eval --grad-only`
does). Values are given as for `gradcli eval` (--a 2 or a=2) and become the program's
inputs.
"""


@app.command(
    "code",
    context_settings=FREE_ARGS,
    help=CODE_HELP,
    epilog=EXIT_CODES,
    options_metavar=PROGRAM_USAGE,
    short_help=short_help(CODE_HELP),
    cls=command_class(),
)
def code_command(
    ctx: typer.Context,
    lang: Optional[str] = typer.Option(
        None,
        "--lang",
        "-l",
        metavar="python|js|numpy",
        autocompletion=complete_lang,
        help="The language to write: python, js (JavaScript) or numpy. Default: numpy "
        "for a program with arrays, else from -o's extension (.py, .js), else python.",
    ),
    file: Optional[str] = file_option(),
    read_as: Optional[str] = from_option(),
    values_file: Optional[str] = values_option(),
    seed: Optional[int] = seed_option(),
    out_file: Optional[str] = typer.Option(
        None, "-o", "--out", metavar="FILE", help="Write the code to FILE instead of stdout."
    ),
    output: Optional[str] = output_option(),
    as_json: bool = typer.Option(
        False, "--json", help='Print {"schema": ..., "lang": ..., "code": ...} and nothing else.'
    ),
) -> None:
    def run() -> None:
        from ...core.engine import evaluate, no_cycle_collection
        from ...core.errors import UsageError
        from ...core.notation import Notation
        from ...emit.codegen import LANGS, generate
        from ...language.lower import compile_program
        from ..arguments import read_invocation
        from ..outfile import write_output

        language = _language(lang, out_file)
        if language not in LANGS:
            raise UsageError(f"--lang {lang}: unknown language", "choose python, js or numpy")
        from ..outfile import refuse_overwriting_inputs

        refuse_overwriting_inputs(out_file, (file, values_file), "-o")
        inv = read_invocation(list(ctx.args), file, option_names(ctx), values_file, seed, read_as)
        with no_cycle_collection():
            tape = compile_program(inv.source, inv.values, output, dialect=inv.dialect)
            ev = evaluate(tape, inv.values)
            if tape.tensor and language != "numpy":
                if lang is not None:
                    raise UsageError(_scalar_only(f"--lang {language}", ev), "use --lang numpy")
                if language == "js":
                    raise UsageError(
                        _scalar_only(f"-o {out_file} (JavaScript)", ev),
                        "write NumPy instead: -o FILE.py, or --lang numpy",
                    )
                language = "numpy"  # -o FILE.py, or no choice made: NumPy is Python too
            if as_json:
                from ..jsondoc import document, dumps

                code = generate(ev, language)
                text = dumps(document("code", {"lang": language, "code": code})) + "\n"
                write_output(text, out_file)
            else:
                from ...emit.codegen import generate_pieces
                from ..streamout import write_pieces

                write_pieces(generate_pieces(ev, language), out_file)
        nt = Notation(ascii_only=not stdout_unicode())
        for w in ev.warnings:
            sys.stderr.write("warning: " + nt.text(w) + "\n")

    guarded(run, ctx)


def _scalar_only(chosen: str, ev) -> str:
    """Why Python or JavaScript cannot be written: which value is an array."""
    import numpy

    from ...core.arrays import shape_text

    arrays = [f"{n} is {shape_text(numpy.shape(v))}" for n, v in ev.inputs.items() if numpy.ndim(v)]
    which = f" ({arrays[0]})" if arrays else ""
    return (
        f"{chosen} writes programs of numbers only, and this program has "
        f"arrays{which}: NumPy code handles them"
    )


_BY_EXTENSION = {".py": "python", ".js": "js", ".mjs": "js", ".cjs": "js"}


def _language(lang: Optional[str], out_file: Optional[str]) -> str:
    """--lang if given, else what -o's extension says; a mismatch is refused, since
    `-o prog.js` holding Python would only fail later, under node."""
    import os

    from ...core.errors import UsageError

    chosen = None if lang is None else lang.lower()
    if chosen in ("javascript", "node"):
        chosen = "js"
    implied = None
    if out_file and out_file != "-":
        implied = _BY_EXTENSION.get(os.path.splitext(out_file)[1].lower())
    same = chosen == implied or (chosen == "numpy" and implied == "python")
    if chosen and implied and not same:
        raise UsageError(
            f"-o {out_file} is a {implied} file name but --lang is {lang}",
            "make the extension and --lang agree",
        )
    return chosen or implied or "python"
