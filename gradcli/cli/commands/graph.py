"""`gradcli graph`: the computation graph with every value and adjoint, as a tree,
Graphviz, Mermaid, SVG or PNG."""

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

FORMATS = ("tree", "dot", "mermaid", "svg", "png")


def complete_format(incomplete: str) -> list:
    """graph --format: the formats it draws (FORMATS, the list it checks against)."""
    return [(f, "") for f in FORMATS if f.startswith(incomplete or "")]


GRAPH_HELP = """Draw the computation graph, each node with its value and its adjoint (grad).

tree (the default) prints the graph rooted at the output; a value used twice is drawn
once and referred to where it is used again, and its grad is the sum of the contributions it
received. dot prints Graphviz source, mermaid a flowchart for Markdown, svg and png a
picture rendered by Graphviz's `dot` program. Edges carry the local derivative.
Values are given as for `gradcli eval`.
"""


@app.command(
    "graph",
    context_settings=FREE_ARGS,
    help=GRAPH_HELP,
    epilog=EXIT_CODES,
    options_metavar=PROGRAM_USAGE,
    short_help=short_help(GRAPH_HELP),
    cls=command_class(),
)
def graph_command(
    ctx: typer.Context,
    fmt_name: Optional[str] = typer.Option(
        None,
        "--format",
        "-F",
        metavar="|".join(FORMATS),
        autocompletion=complete_format,
        help="tree (the default), dot, mermaid, svg or png; with -o, the file's extension "
        "picks it (.dot .gv .mmd .svg .png).",
    ),
    out_file: Optional[str] = typer.Option(
        None, "-o", "--out", metavar="FILE", help="Write to FILE instead of standard output."
    ),
    file: Optional[str] = file_option(),
    read_as: Optional[str] = from_option(),
    values_file: Optional[str] = values_option(),
    seed: Optional[int] = seed_option(),
    output: Optional[str] = output_option(),
    depth: int = typer.Option(
        40, "--depth", metavar="N", min=1, help="tree: draw at most N levels below the output."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the nodes and edges as one JSON document."
    ),
    ascii_only: bool = typer.Option(
        False, "--ascii", help="Plain ASCII notation (dx/da instead of ∂x/∂a)."
    ),
) -> None:
    def run() -> None:
        from ...core.engine import evaluate, no_cycle_collection
        from ...core.errors import UsageError
        from ...core.notation import Notation
        from ...emit.graph import build_graph
        from ...language.lower import compile_program
        from ..arguments import read_invocation
        from ..outfile import write_output

        name = (fmt_name or _format_of(out_file)).lower()
        if name not in FORMATS:
            raise UsageError(
                f"--format {fmt_name}: unknown format", "choose one of: " + ", ".join(FORMATS)
            )
        from ..outfile import refuse_overwriting_inputs

        refuse_overwriting_inputs(out_file, (file, values_file), "-o")
        inv = read_invocation(list(ctx.args), file, option_names(ctx), values_file, seed, read_as)
        with no_cycle_collection():
            tape = compile_program(inv.source, inv.values, output, dialect=inv.dialect)
            ev = evaluate(tape, inv.values)
            graph = build_graph(ev)
        to_terminal = out_file in (None, "-")
        nt = Notation(ascii_only=ascii_only or (to_terminal and not stdout_unicode()))
        if as_json:
            if not graph.tensor:
                # Streamed: the same text as the tensor branch's dumps, never held whole.
                from ...emit.graph import json_pieces
                from ..jsondoc import schema
                from ..streamout import write_pieces

                pieces = json_pieces(graph, ev.warnings, schema("graph"))
                write_pieces(_then(pieces, "\n"), out_file)
                return
            from ...emit.graph import to_dict
            from ..jsondoc import document, dumps

            # tensor mode: arrays compact, a row per line
            text = dumps(document("graph", to_dict(graph, ev.warnings)), arrays=graph.tensor)
            write_output(text + "\n", out_file)
            return
        _write_graph(graph, name, nt, depth, out_file)
        for w in ev.warnings:
            sys.stderr.write("warning: " + nt.text(w) + "\n")

    guarded(run, ctx)


def _then(pieces, last: str):
    yield from pieces
    yield last


EXTENSIONS = {
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".svg": "svg",
    ".png": "png",
}


def _format_of(out_file: Optional[str]) -> str:
    from pathlib import PurePath

    if out_file in (None, "-"):
        return "tree"
    return EXTENSIONS.get(PurePath(out_file).suffix.lower(), "tree")


def _write_graph(graph, name: str, nt, depth: int, out_file: Optional[str]) -> None:
    """The graph in format `name` (not json), to out_file or standard output."""
    if name == "tree":
        _print_tree(graph, nt, depth, out_file)
        return
    from ...emit import graphviz
    from ..outfile import write_output
    from ..streamout import write_pieces

    if name == "mermaid":
        write_pieces(graphviz.mermaid_lines(graph, nt), out_file)
    elif name == "dot":
        write_pieces(graphviz.dot_lines(graph, nt), out_file)
    else:
        write_output(graphviz.render(graphviz.to_dot(graph, nt), name), out_file)


def _print_tree(graph, nt, depth: int, out_file: Optional[str]) -> None:
    from ..render_graph import tree_text

    lines = tree_text(graph, nt, depth)
    if out_file in (None, "-"):
        console = make_console()
        for line in lines:
            console.print(line)
        return
    from ..outfile import write_output

    write_output("".join(line.plain + "\n" for line in lines), out_file)
