"""`gradcli plot`'s output: the notes in words, the picture in the terminal (plotille),
the SVG or PNG (matplotlib, an optional extra) and the JSON document, all from
modes/plot.py's PlotData. Imported only by the plot command, so neither library is
loaded by any other command. Files are written by cli/outfile.py (whole or not at all)."""

from __future__ import annotations

import math
import os
import sys
from contextlib import contextmanager
from typing import Optional

from ..core.errors import EvaluationError, MissingDependency
from ..core.notation import fmt

PICTURES = (".svg", ".png")
_SHOWN = 5  # poles and kinks named one by one in the notes; the rest are counted


def notes(data, nt, unicode: bool = True) -> list:
    """The plot's facts in sentences: what is drawn, the tangent, gaps and why."""
    le, ge = ("≤", "≥") if unicode else ("<=", ">=")
    approx = "≈" if unicode else "~"
    x, out = data.along, data.output
    fixed = ", ".join(f"{n} = {fmt(v)}" for n, v in data.fixed.items())
    lines = [
        f"{out} along {x}"
        + (f", with {fixed} fixed" if fixed else "")
        + f", for {x} from {fmt(data.start)} to {fmt(data.end)} "
        f"({len(data.xs)} samples)"
    ]
    t = data.tangent
    partial = nt.partial(out, x)
    if t is not None:
        lines.append(
            f"tangent at {x} = {fmt(t.x)}: {out} = {fmt(t.y)}, slope {partial} = "
            f"{fmt(t.slope)} (the gradient)"
        )
        if t.kink:
            lines.append(f"  {x} = {fmt(t.x)} sits at a kink: {nt.text(t.kink)}")
    else:
        lines.append(f"no tangent line: {data.no_tangent}")
    for r in data.undefined:
        if r.start == r.end:
            where = f"at {x} = {fmt(r.start)}"
        elif r.at_start and r.at_end:
            where = "everywhere in this range"
        elif r.at_start:
            where = f"for {x} {le if r.end_included else '<'} {fmt(r.end)} in this range"
        elif r.at_end:
            where = f"for {x} {ge if r.start_included else '>'} {fmt(r.start)} in this range"
        else:
            where = (
                f"for {fmt(r.start)} {le if r.start_included else '<'} {x} "
                f"{le if r.end_included else '<'} {fmt(r.end)}"
            )
        lines.append(f"undefined {where} ({r.why}): a gap in the curves")
    for p in data.poles[:_SHOWN]:
        lines.append(f"undefined at {x} {approx} {fmt(p.x)} ({p.why}): the curves are broken there")
    if len(data.poles) > _SHOWN:
        more = len(data.poles) - _SHOWN
        lines.append(
            f"  and {more} more {'place' if more == 1 else 'places'} where it is "
            "undefined (--json lists them)"
        )
    for k in data.kinks[:_SHOWN]:
        at = f"{x} = {fmt(k.x)}" if k.exact else f"{x} {approx} {fmt(k.x)}"
        lines.append(f"kink at {at} ({nt.text(k.why)}): the derivative curve is broken there")
    if len(data.kinks) > _SHOWN:
        more = len(data.kinks) - _SHOWN
        lines.append(f"  and {more} more {'kink' if more == 1 else 'kinks'} (--json lists them)")
    if data.infinite_slopes:
        shown = ", ".join(fmt(v) for v in data.infinite_slopes[:3])
        rest = f" and {len(data.infinite_slopes) - 3} more" if len(data.infinite_slopes) > 3 else ""
        lines.append(
            f"the derivative is not a finite number at {x} = {shown}{rest}: a gap "
            "in the derivative curve"
        )
    return lines


# --- the terminal ----------------------------------------------------------------------------
_AXIS = 13  # plotille's y labels and the " | " after them
_ROWS = 12  # each panel's height in lines


def terminal_text(data, nt, width: int, color: bool, unicode: bool) -> str:
    """Two panels, the function with its tangent and the derivative, `width` columns
    wide at most; colour codes only when `color`."""
    with _without_numpy():
        return _panels(data, nt, width, color, unicode)


@contextmanager
def _without_numpy():
    """plotille imports NumPy, when it can, every time a Figure is made (to read NumPy
    dates; about 100-300 ms), and takes its absence in its stride: our samples are
    floats, so NumPy is hidden from it unless something has loaded it already."""
    hide = "numpy" not in sys.modules
    if hide:
        # None in sys.modules makes `import numpy` raise ImportError meanwhile.
        sys.modules["numpy"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if hide and sys.modules.get("numpy", 0) is None:
            del sys.modules["numpy"]


def _panels(data, nt, width: int, color: bool, unicode: bool) -> str:
    import plotille

    out, x = data.output, data.along
    # the y labels, and the x axis's arrow and "(x)" after the canvas
    canvas = max(20, width - _AXIS - len(x[:8]) - 6)
    t = data.tangent
    mark = "●" if unicode else "o"
    dot = "·" if unicode else "."
    line_key = "⠤⠤" if unicode else "**"
    top = _figure(plotille, canvas, color, x, out, unicode)
    top.set_x_limits(data.start, data.end)
    ys = [y for y in data.ys if y is not None]
    low, high = _limits(ys + ([t.y] if t else []))
    top.set_y_limits(low, high)
    if t is not None:
        # A marker hides the braille in its cell: where the tangent falls in the curve's
        # cell (near the point, where it touches), the curve is drawn instead.
        def row(y):
            return math.floor((y - low) / (high - low) * _ROWS)

        inside = [
            (v, t.at(v))
            for v, y in zip(data.xs, data.ys)
            if low <= t.at(v) <= high and (y is None or row(t.at(v)) != row(y))
        ]
        if inside:
            top.scatter([p[0] for p in inside], [p[1] for p in inside], lc="yellow", marker=dot)
    _curve(top, data.segments("function"), "cyan", unicode)
    if t is not None:
        top.scatter([t.x], [t.y], lc="red", marker=mark)
    bottom = _figure(plotille, canvas, color, x, nt.partial(out, x), unicode)
    bottom.set_x_limits(data.start, data.end)
    slopes = [s for s in data.slopes if s is not None]
    low, high = _limits(slopes + ([t.slope] if t else []))
    bottom.set_y_limits(low, high)
    _curve(bottom, data.segments("derivative"), "magenta", unicode)
    if t is not None:
        bottom.scatter([t.x], [t.slope], lc="red", marker=mark)
    first = f"{line_key} {out}"
    if t is not None:
        first += (
            f"   {dot * 2} tangent at {x} = {fmt(t.x)}, slope {fmt(t.slope)}   {mark} the point"
        )
    second = f"{line_key} {nt.partial(out, x)}, from the reverse sweep at every sample"
    if t is not None:
        second += f"   {mark} {fmt(t.slope)} at {x} = {fmt(t.x)}"
    text = (
        _show(top, unicode)
        + "\n"
        + _fit(first, width)
        + "\n\n"
        + _show(bottom, unicode)
        + "\n"
        + _fit(second, width)
        + "\n"
    )
    return text


def _fit(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def _figure(plotille, canvas: int, color: bool, x: str, y: str, unicode: bool):
    fig = plotille.Figure()
    fig.width, fig.height = canvas, _ROWS
    fig.with_colors = color
    fig.color_mode = "names"
    fig.origin = unicode  # the axes through 0 are drawn in braille
    fig.x_label, fig.y_label = x[:8], y[:8]
    fig.register_label_formatter(float, _label)
    fig.register_label_formatter(int, _label)
    return fig


def _label(value, chars: int, delta, left: bool = False) -> str:
    """A tick label with as many digits as the axis's span needs: 3 significant digits
    over -3..3, more for 1000.1..1000.2."""
    value = float(value)
    scale = max(abs(value), abs(float(delta or 0)))
    digits = 3
    if delta and scale:
        digits = max(3, min(15, math.ceil(math.log10(scale / abs(float(delta)))) + 3))
    text = f"{value:.{digits}g}"
    if abs(value) < 1e-12 * scale:
        text = "0"
    if len(text) > chars:
        text = f"{value:.{max(1, chars - 6)}g}"[:chars]
    return text.ljust(chars) if left else text.rjust(chars)


def _limits(values: list) -> tuple:
    if not values:
        return -1.0, 1.0
    low, high = min(values), max(values)
    if not math.isfinite(high - low):
        raise EvaluationError(
            f"the values run from {fmt(low)} to {fmt(high)}, further apart "
            "than a float can hold: the plot cannot be drawn",
            "narrow the range, or use --json for the numbers",
        )
    pad = (high - low) * 0.05 or max(1.0, abs(low) * 0.1)
    padded = low - pad, high + pad
    return padded if math.isfinite(padded[1] - padded[0]) else (low, high)


def _curve(fig, runs: list, colour: str, unicode: bool) -> None:
    for run in runs:
        xs, ys = [p[0] for p in run], [p[1] for p in run]
        if len(run) == 1 or not unicode:
            fig.scatter(xs, ys, lc=colour, marker=None if unicode else "*")
        else:
            fig.plot(xs, ys, lc=colour)


def _show(fig, unicode: bool) -> str:
    text = fig.show(legend=False)
    # plotille fills the canvas with the blank braille cell: a plain space reads the same
    # and copies cleanly; and no line ends in spaces.
    text = text.replace("\u2800", " ")
    if not unicode:
        text = text.replace("⠀", " ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


# --- files --------------------------------------------------------------------------------
def picture_format(path: str) -> Optional[str]:
    ext = os.path.splitext(path)[1].lower()
    return ext[1:] if ext in PICTURES else None


def picture(data, nt, path: str, kind: str) -> bytes:
    """The two panels as SVG or PNG, drawn by matplotlib (for the file `path`)."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependency(
            f"-o {path}: an {kind.upper()} plot needs matplotlib, which is not installed",
            "install it with: pip install 'gradcli[plot]' (the terminal plot needs "
            "nothing more: leave out -o)",
            dependency="matplotlib",
            feature=f"plot {kind}",
            install="pip install 'gradcli[plot]'",
        ) from None
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    out, x = data.output, data.along
    t = data.tangent
    fig = Figure(figsize=(7, 6.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    for k, run in enumerate(data.segments("function")):
        top.plot(
            [p[0] for p in run],
            [p[1] for p in run],
            color="C0",
            marker="." if len(run) == 1 else None,
            label=out if k == 0 else None,
        )
    ys = [y for y in data.ys if y is not None]
    if t is not None:
        low, high = _limits(ys + [t.y])
        top.plot(
            [data.start, data.end],
            [t.at(data.start), t.at(data.end)],
            color="C1",
            linestyle="--",
            label=f"tangent at {x} = {fmt(t.x)}, slope {fmt(t.slope)}",
        )
        top.plot([t.x], [t.y], "o", color="C3")
        top.set_ylim(low, high)
    for k, run in enumerate(data.segments("derivative")):
        bottom.plot(
            [p[0] for p in run],
            [p[1] for p in run],
            color="C2",
            marker="." if len(run) == 1 else None,
            label=nt.partial(out, x) if k == 0 else None,
        )
    if t is not None:
        bottom.plot([t.x], [t.slope], "o", color="C3")
    for r in data.undefined:
        for ax in (top, bottom):
            ax.axvspan(r.start, r.end, color="0.9", label=None)
    top.set_title(notes(data, nt)[0], fontsize=9)
    top.set_ylabel(out)
    bottom.set_ylabel(nt.partial(out, x))
    bottom.set_xlabel(x)
    for ax in (top, bottom):
        ax.set_xlim(data.start, data.end)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, metadata={"Date": None} if kind == "svg" else {})
    return buffer.getvalue()


def to_json(data, nt) -> str:
    import json

    def number(v):
        return v if v is not None and math.isfinite(v) else None

    t = data.tangent
    doc = {
        "output": data.output,
        "along": data.along,
        "fixed": data.fixed,
        "range": [data.start, data.end],
        "points": len(data.xs),
        "x": data.xs,
        "value": [number(v) for v in data.ys],
        "derivative": [number(v) for v in data.slopes],
        "tangent": None
        if t is None
        else {
            "x": t.x,
            "value": t.y,
            "slope": t.slope,
            "kink": t.kink,
            "line": [number(t.at(v)) for v in data.xs],
        },
        "no_tangent": data.no_tangent,
        # sample i is not joined to sample i + 1 (a pole, a kink), besides the gaps (null)
        "breaks": {
            "value": sorted(data.function_breaks),
            "derivative": sorted(
                data.derivative_breaks
                | {i for k in data.kink_samples for i in (k - 1, k) if i >= 0}
            ),
        },
        "undefined": [
            {
                "from": r.start,
                "to": r.end,
                "from_included": r.start_included,
                "to_included": r.end_included,
                "why": r.why,
            }
            for r in data.undefined
        ],
        "poles": [{"x": p.x, "why": p.why} for p in data.poles],
        "kinks": [{"x": k.x, "why": k.why, "exact": k.exact} for k in data.kinks],
        "notes": notes(data, nt),
        "warnings": data.warnings,
    }
    return json.dumps(doc, indent=1, allow_nan=False)
