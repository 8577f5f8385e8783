"""`gradcli plot`: a program of one input over a range, its derivative and the tangent
line at the given point, in the terminal, as SVG or PNG, or as JSON."""

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
    short_help,
    stdout_unicode,
    values_option,
)

PLOT_HELP = """Plot a program along one input, with its derivative and a tangent line.

Over a range of one input: the program's value, its derivative (the reverse sweep's
gradient at every sample) and the tangent line at the given point, whose slope is the
gradient gradcli eval gives there.

gradcli plot "sin(x)*x" --x 1 --range -3:3 draws in the terminal; -o FILE.svg or .png
writes a picture (needs matplotlib: pip install 'gradcli[plot]'); --json prints the
samples. For a program of several inputs, --along NAME puts NAME on the x axis and keeps
the others at the values given. Where the program is undefined the curves have gaps and
a note says where; at a kink (relu, abs, max, min) the derivative curve is broken.
"""


@app.command(
    "plot",
    context_settings=FREE_ARGS,
    help=PLOT_HELP,
    epilog=EXIT_CODES,
    options_metavar=PROGRAM_USAGE,
    short_help=short_help(PLOT_HELP),
    cls=command_class(),
)
def plot_command(
    ctx: typer.Context,
    span: Optional[str] = typer.Option(
        None,
        "--range",
        metavar="START:END",
        help="The x axis, e.g. -3:3 or -pi:pi (--range=-3:3 works too). Default: the "
        "point ± 3. The point must lie inside it.",
    ),
    points: int = typer.Option(
        200, "--points", metavar="N", help="How many samples, 2 to 10,000 (default 200)."
    ),
    along: Optional[str] = typer.Option(
        None,
        "--along",
        metavar="NAME",
        help="The input on the x axis (for a program of several inputs).",
    ),
    out_file: Optional[str] = typer.Option(
        None,
        "-o",
        "--out",
        metavar="FILE",
        help="Write an .svg or .png picture (or, with --json, the JSON) to FILE.",
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the samples, derivative, tangent and gaps as one JSON document.",
    ),
    file: Optional[str] = file_option(),
    read_as: Optional[str] = from_option(),
    values_file: Optional[str] = values_option(),
    output: Optional[str] = output_option(),
    ascii_only: bool = typer.Option(
        False,
        "--ascii",
        help="Plain ASCII: dots and stars instead of braille, df/dx instead of ∂f/∂x.",
    ),
) -> None:
    def run() -> None:
        from ...core.errors import EvaluationError, UsageError
        from ...core.notation import Notation, fmt
        from ...modes.plot import MAX_POINTS, MIN_POINTS, AxisError, OutsideRange, sample
        from .. import render_plot
        from ..arguments import read_invocation
        from ..outfile import refuse_overwriting_inputs, write_file, write_text

        kind = None
        if out_file not in (None, "-") and not as_json:
            kind = render_plot.picture_format(out_file)
            if kind is None:
                raise UsageError(
                    f"-o {out_file}: a plot is written as .svg or .png",
                    "name the file FILE.svg or FILE.png (or add --json for the samples as JSON)",
                )
        refuse_overwriting_inputs(out_file, [file, values_file])
        inv = read_invocation(list(ctx.args), file, option_names(ctx), values_file, None, read_as)
        if not MIN_POINTS <= points <= MAX_POINTS:
            raise UsageError(f"--points {points}: give between {MIN_POINTS} and {MAX_POINTS:,}")
        ends = parse_range(span) if span is not None else None
        try:
            data = sample(inv.source, inv.values, output, along, ends, points, dialect=inv.dialect)
        except AxisError as exc:
            if exc.reason == "several inputs":
                raise UsageError(
                    exc.message,
                    f"choose it with --along NAME (e.g. --along "
                    f"{exc.inputs[0]}); the others stay at the values given",
                ) from None
            if exc.reason == "unknown input":
                raise UsageError(f"--along {exc.name}: {exc.message}", exc.detail) from None
            raise
        except OutsideRange as exc:
            low, high = (fmt(v) for v in exc.fits)
            raise UsageError(
                exc.message,
                f"widen the range to include it (--range={low}:{high}) or give a point inside it",
            ) from None
        if all(y is None for y in data.ys):
            raise EvaluationError(
                f"the program is undefined everywhere in this range ({data.undefined[0].why})",
                "choose a range where it is defined",
            )
        to_terminal = out_file in (None, "-") and not as_json
        unicode = not ascii_only and (not to_terminal or stdout_unicode())
        nt = Notation(ascii_only=not unicode)
        if as_json:
            text = render_plot.to_json(data, nt) + "\n"
            if out_file in (None, "-"):
                write_text(text)
            else:
                write_file(out_file, text)
        elif kind is not None and out_file is not None:  # (kind is read from out_file)
            write_file(out_file, render_plot.picture(data, nt, out_file, kind))
            for line in render_plot.notes(data, nt, unicode):
                sys.stderr.write(line + "\n")
        else:
            console = make_console()
            # colour as rich decides for the tables: at a terminal that has it (not with
            # NO_COLOR or TERM=dumb), or piped with FORCE_COLOR
            color = (
                console.is_terminal and console.color_system is not None and not console.no_color
            )
            picture = render_plot.terminal_text(data, nt, console.width, color, unicode)
            import textwrap

            write_text(
                picture
                + "\n"
                + "".join(
                    textwrap.fill(
                        line, console.width, subsequent_indent="  ", break_on_hyphens=False
                    )
                    + "\n"
                    for line in render_plot.notes(data, nt, unicode)
                )
            )
        for w in data.warnings:
            sys.stderr.write("warning: " + nt.text(w) + "\n")

    guarded(run, ctx)


def parse_range(text: str) -> tuple:
    """`-3:3`, `0:2*pi`: the two ends, each a number or a constant expression."""
    import math

    from ...core.errors import GradcliError, UsageError
    from ...language.values import value_of

    parts = text.split(":")
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        raise UsageError(
            f"--range {text}: write it as START:END", "for example --range -3:3 or --range=-pi:pi"
        )
    ends = []
    for which, part in zip(("start", "end"), parts):
        try:
            value = value_of(f"the range's {which}", part.strip())
        except GradcliError:
            value = None
        if not isinstance(value, float):
            raise UsageError(
                f"--range {text}: the {which}, {part.strip()!r}, is not a number",
                "write each end as a number or a constant expression: -3:3, -pi:pi, 0:2*pi",
            )
        ends.append(value)
    if not ends[0] < ends[1]:
        raise UsageError(f"--range {text}: the start must be less than the end")
    if not math.isfinite(ends[1] - ends[0]):
        raise UsageError(f"--range {text}: too wide for a float (its width overflows)")
    return ends[0], ends[1]
