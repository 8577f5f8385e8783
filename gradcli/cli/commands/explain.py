"""`gradcli explain`: the lesson, short topics, or any program walked step by step."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ..app import (
    EXIT_CODES,
    FREE_ARGS,
    app,
    command_class,
    complete_lesson,
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

EXPLAIN_HELP = """Walk through backpropagation step by step, with numbers.

With no PROGRAM: the lesson on x = a*b (why backprop writes da = b*dx and not dx/b);
give --a, --b, --c to change its numbers. With a PROGRAM (and values as for eval: --a 2,
a=2, -f FILE, -): its forward pass, then the backward pass one node at a time, then each
input's whole chain; on arrays, each value's shape, the rule each operation hands its
adjoint back by, and each input's gradient. At a terminal it pauses after each step:
Enter, space or n for the next, b to go back, q to quit.
"""


def topics_help() -> list:
    """`explain --help`'s list of the lessons, read from the tutor's topic table."""
    from ...tutor.topics import TOPICS

    return [("Topics (--topic NAME)", [(t.name, t.summary) for t in TOPICS.values()])]


@app.command(
    "explain",
    context_settings=FREE_ARGS,
    help=EXPLAIN_HELP,
    epilog=EXIT_CODES,
    options_metavar="[OPTIONS] [PROGRAM] [--NAME VALUE | NAME=VALUE]...",
    short_help=short_help(EXPLAIN_HELP),
    cls=command_class(topics_help),
)
def explain_command(
    ctx: typer.Context,
    file: Optional[str] = file_option(),
    read_as: Optional[str] = from_option(),
    topic: Optional[str] = typer.Option(
        None,
        "--topic",
        metavar="NAME",
        autocompletion=complete_lesson,
        help="Run one short lesson (see --list).",
    ),
    list_topics: bool = typer.Option(False, "--list", help="List the lessons and exit."),
    no_pause: bool = typer.Option(
        False, "--no-pause", help="Print every step at once (the default when piped)."
    ),
    ascii_only: bool = typer.Option(
        False, "--ascii", help="Plain ASCII notation (dx instead of x̄)."
    ),
    export: Optional[str] = typer.Option(
        None,
        "--export",
        metavar="FILE",
        help="Write the whole walkthrough to FILE.md, FILE.html or FILE.svg.",
    ),
    output: Optional[str] = output_option(),
    values_file: Optional[str] = values_option(),
    seed: Optional[int] = seed_option(),
    as_json: bool = typer.Option(
        False, "--json", help="Print the steps (or, with --list, the topics) as one JSON document."
    ),
) -> None:
    def run() -> None:
        from ...core.notation import Notation

        unicode_out = stdout_unicode()
        nt = Notation(ascii_only=ascii_only or not unicode_out)
        if as_json and export:
            from ...core.errors import UsageError

            raise UsageError(
                "--json and --export cannot be used together",
                "--json prints the steps; --export writes them to a file",
            )
        if list_topics and as_json:
            return _write_json(topics_document(nt))
        if list_topics:
            from ...tutor.topics import TOPICS

            width = max(map(len, TOPICS))
            for t in TOPICS.values():
                sys.stdout.write(f"{t.name:<{width}}  {nt.text(t.summary)}\n")
            return
        if export:
            from ..outfile import refuse_overwriting_inputs

            refuse_overwriting_inputs(export, (file, values_file), "--export")
        plain = export or as_json  # a file or JSON: Unicode unless --ascii
        heading, steps, warnings = build(
            list(ctx.args),
            file,
            topic,
            output,
            option_names(ctx),
            Notation(ascii_only=ascii_only) if plain else nt,
            eval_options(ctx),
            values_file,
            seed,
            read_as,
        )
        if as_json:  # the warnings are in the document, as eval --json's are
            return _write_json(
                steps_document(heading, steps, warnings, Notation(ascii_only=ascii_only))
            )
        for w in warnings:
            sys.stderr.write("warning: " + nt.text(w) + "\n")
        if export:
            from ..render_steps import export as write

            write(steps, export, Notation(ascii_only=ascii_only), heading)
            from ...core.visible import visible

            sys.stdout.write(f"wrote {visible(export)} ({len(steps)} steps)\n")
            return
        show(steps, nt, no_pause)

    guarded(run, ctx)


def build(
    args: list,
    file,
    topic_name,
    output,
    options,
    nt,
    eval_opts=None,
    values_file=None,
    seed=None,
    read_as=None,
) -> tuple:
    """(heading, steps, warnings) for what the command line asks for. `eval_opts`:
    `gradcli eval`'s options, for the command the walkthrough ends with."""
    from ...core.errors import UsageError

    if topic_name is not None:
        if args or file:
            raise UsageError("--topic takes no program", "give either --topic NAME or a program")
        from ...tutor.topics import topic

        t = topic(topic_name)
        return f"gradcli explain --topic {t.name}", t.build(nt), []
    lesson = lesson_values(args) if file is None else None
    if lesson is not None and output is not None:
        raise UsageError(
            "--output applies to a program, not to the lesson",
            'give a program: gradcli explain "x = a*b; f = 2*x" --output x',
        )
    if lesson is not None:
        from ...tutor.lesson import multiply_lesson

        return "Why da = b * dx, and not dx / b", multiply_lesson(nt, **lesson), []
    from ...core.engine import evaluate, no_cycle_collection
    from ...language.lower import compile_program
    from ...tutor.walkthrough import Origin, walk
    from ..arguments import read_invocation

    inv = read_invocation(args, file, options, values_file, seed, read_as)
    with no_cycle_collection():
        tape = compile_program(inv.source, inv.values, output, dialect=inv.dialect)
        ev = evaluate(tape, inv.values)
    return (
        f"gradcli explain: {_first_line(inv.source)}",
        # the closing command reads the program as this run did: from the same file, --from
        walk(
            ev,
            nt,
            output,
            eval_opts,
            Origin(None if file == "-" else file, read_as and inv.dialect),
        ),
        ev.warnings,
    )


def eval_options(ctx) -> Optional[list]:
    """Every option `gradcli eval` reads (`-f`, `--json`, ..., `--help`), asked of the eval
    command itself; None if it cannot be found (every value is then written name=value)."""
    root = ctx.find_root()
    get = getattr(root.command, "get_command", None)
    command = get(root, "eval") if get else None
    if command is None:
        return None
    own = type(ctx)(command, parent=root, **command.context_settings)
    return [
        o
        for p in command.get_params(own)
        for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))
    ]


def _first_line(source: str) -> str:
    line = source.strip().splitlines()[0] if source.strip() else ""
    return line if len(line) <= 60 else line[:57] + "..."


def lesson_values(args: list):
    """Values for the lesson when the arguments are only `--a 2` / `a=2` for a, b, c."""
    from ...tutor.lesson import LESSON_INPUTS
    from ..arguments import parse_number

    values, k = {}, 0
    while k < len(args):
        arg = args[k]
        if arg.startswith("--") and "=" not in arg and k + 1 < len(args):
            name, text, k = arg[2:], args[k + 1], k + 2
        elif "=" in arg:
            name, _, text = arg.lstrip("-").partition("=")
            k += 1
        else:
            return None
        if name not in LESSON_INPUTS:
            return None
        values[name] = parse_number(name, text)
    return values


def steps_document(heading: str, steps: list, warnings: list, nt) -> dict:
    """explain --json: the walkthrough's steps as data, each block as the screen shows it:
    a paragraph ("text"), formulas or code shown line by line ("lines"), a table."""
    from ...tutor.walkthrough import Lines, Table
    from ..jsondoc import document

    t = nt.text

    def block(b) -> dict:
        if isinstance(b, str):
            return {"type": "text", "text": t(b)}
        if isinstance(b, Lines):
            return {"type": "lines", "lines": [t(line) for line in b.lines]}
        if isinstance(b, Table):
            return {
                "type": "table",
                "columns": [t(c) for c in b.columns],
                "rows": [[t(cell) for cell in row] for row in b.rows],
            }
        raise TypeError(f"unknown block {type(b).__name__}")

    return document(
        "explain",
        {
            "title": t(heading),
            "steps": [{"title": t(s.title), "blocks": [block(b) for b in s.blocks]} for s in steps],
            "warnings": [t(w) for w in warnings],
        },
    )


def topics_document(nt) -> dict:
    """explain --list --json: every lesson, and the quiz's gate names each one teaches."""
    from ...tutor.topics import GATES, TOPICS
    from ..jsondoc import document

    return document(
        "explain-topics",
        {
            "topics": [
                {
                    "name": t.name,
                    "summary": nt.text(t.summary),
                    "arrays": t.arrays,
                    "also": [g for g, lesson in GATES.items() if lesson == t.name],
                }
                for t in TOPICS.values()
            ]
        },
    )


def _write_json(doc: dict) -> None:
    from ..jsondoc import dumps
    from ..outfile import write_text

    write_text(dumps(doc) + "\n")


def show(steps: list, nt, no_pause: bool) -> None:
    from ..pager import page
    from ..render_steps import print_all

    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not no_pause
    if interactive:
        page(steps, make_console(), nt)
    else:
        print_all(steps, make_console(no_color=True), nt)
