"""The graph as Graphviz and Mermaid text, and as SVG/PNG through Graphviz's `dot`.

Labels hold user text (names, literals), so every label is escaped for its format:
nothing the user wrote reaches the output unquoted.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys

from ..core.errors import MissingDependency, RenderError
from ..core.limits import env_limit
from ..core.notation import Notation, fmt
from .graph import Graph, record

# Fill colours: inputs blue, the output gold, intermediates white, constants grey.
COLOURS = {"input": "#dbeafe", "output": "#fde68a", "intermediate": "#ffffff", "const": "#f3f4f6"}
LEGEND = {
    "input": "input",
    "intermediate": "intermediate step",
    "output": "output",
    "const": "constant",
}


def _edge_label(graph: Graph, e, nt: Notation) -> str:
    if graph.tensor:
        # The term in matrix form, `X̄ += v3̄ @ Wᵀ`: an array has no one-number slope.
        return e.rule[nt.ascii] if e.rule else ""
    top, bottom = graph.nodes[e.target].label, graph.nodes[e.source].label
    return nt.partial(top, bottom) + " = " + fmt(e.local)


# --- Graphviz ---------------------------------------------------------------------------
def _dot_string(text: str) -> str:
    """A double-quoted dot string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _record_field(text: str) -> str:
    """Text inside a record label, where { } | < > and spaces at the ends are syntax."""
    out = []
    for ch in text:
        if ch in '{}|<>\\"':
            out.append("\\" + ch)
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def to_dot(graph: Graph, nt: Notation) -> str:
    return "".join(dot_lines(graph, nt))


def dot_lines(graph: Graph, nt: Notation):
    """to_dot's text line by line, each ending in a newline: a big graph is written as
    it is made."""
    yield "digraph gradcli {\n"
    yield "  rankdir=LR;\n"
    yield (
        '  node [shape=record, style=filled, fillcolor="#ffffff", fontname="Helvetica",'
        " fontsize=11];\n"
    )
    yield '  edge [fontname="Helvetica", fontsize=10, color="#555555"];\n'
    for i, node in graph.nodes.items():
        if node.kind == "const":
            label = _dot_string(node.expression)
            yield f'  {node.id} [label={label}, shape=ellipse, fillcolor="{COLOURS["const"]}"];\n'
            continue
        title = nt.text(graph.title(i))
        fields = [title] + [part.strip() for part in record(graph, i, nt).split("|")]
        label = "{ " + " | ".join(_record_field(f) for f in fields) + " }"
        extra = ", penwidth=2, peripheries=2" if node.kind == "output" else ""
        yield f'  {node.id} [label="{label}", fillcolor="{COLOURS[node.kind]}"{extra}];\n'
    for e in graph.edges:
        src, dst = graph.nodes[e.source], graph.nodes[e.target]
        if src.kind == "const" or (graph.tensor and e.rule is None):
            # A constant gets no adjoint (as in PyTorch), so its edge carries no derivative;
            # nor does integer data (an index, targets) in tensor mode.
            yield f"  {src.id} -> {dst.id} [style=dashed];\n"
        else:
            label = _dot_string(_edge_label(graph, e, nt))
            yield f"  {src.id} -> {dst.id} [label={label}];\n"
    # The legend: one small table, so it does not take more room than the graph.
    cells = "".join(f'<td bgcolor="{COLOURS[kind]}">{text}</td>' for kind, text in LEGEND.items())
    note = nt.text(
        "edge: the contribution sent back, in matrix form"
        if graph.tensor
        else "edge: local derivative ∂(step)/∂(operand)"
    )
    yield (
        '  legend [shape=plaintext, style="", label=<<table border="0" '
        'cellborder="1" cellspacing="2" cellpadding="3"><tr>'
        f'{cells}<td border="0">{html.escape(note, quote=False)}</td></tr></table>>];\n'
    )
    yield "}\n"


# --- Mermaid ----------------------------------------------------------------------------
_MERMAID_SAFE = set(" .,:=+-*/()'_")


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: ASCII punctuation that Mermaid could read as
    syntax (quotes, brackets, |, #, <, >) becomes an entity code."""
    return "".join(
        ch
        if ch.isalnum() or ch in _MERMAID_SAFE or (ord(ch) > 127 and ch.isprintable())
        else f"#{ord(ch)};"
        for ch in text
    )


def to_mermaid(graph: Graph, nt: Notation) -> str:
    return "".join(mermaid_lines(graph, nt))


def mermaid_lines(graph: Graph, nt: Notation):
    """to_mermaid's text line by line, each ending in a newline."""
    yield "flowchart LR\n"
    classes: dict = {}
    for i, node in graph.nodes.items():
        if node.kind == "const":
            yield f'  {node.id}(["{_mermaid_text(node.expression)}"])\n'
        else:
            title = _mermaid_text(nt.text(graph.title(i)))
            detail = _mermaid_text(record(graph, i, nt))
            yield f'  {node.id}["{title}<br/>{detail}"]\n'
        classes.setdefault(node.kind, []).append(node.id)
    for e in graph.edges:
        src, dst = graph.nodes[e.source], graph.nodes[e.target]
        if src.kind == "const" or (graph.tensor and e.rule is None):
            yield f"  {src.id} -.-> {dst.id}\n"
        else:
            label = _mermaid_text(_edge_label(graph, e, nt))
            yield f'  {src.id} -->|"{label}"| {dst.id}\n'
    yield "  subgraph legend [Legend]\n"
    for kind, text in LEGEND.items():
        yield f'    legend_{kind}["{text}"]\n'
        classes.setdefault(kind, []).append(f"legend_{kind}")
    yield "  end\n"
    for kind, colour in COLOURS.items():
        stroke = ",stroke-width:3px" if kind == "output" else ""
        yield f"  classDef {kind} fill:{colour},stroke:#333333{stroke}\n"
    for kind, ids in classes.items():
        # One `class` line per 50 nodes keeps lines short in big graphs.
        for k in range(0, len(ids), 50):
            yield f"  class {','.join(ids[k : k + 50])} {kind}\n"


# --- rendering with Graphviz -------------------------------------------------------------
# dot's layout time grows steeply with crossing edges (measured: a 30-statement chain where
# every step uses the same two inputs takes 12 s, 60 statements 216 s) and its memory
# without bound (24 GB on 3,000 statements), so it runs inside limits (README "Seeing the
# graph"): graphs over MAX_EDGES edges are refused before it starts; it gets DOT_SECONDS of
# wall and CPU time and DOT_MEMORY_MB of address space; and it dies with gradcli. The two
# environment variables are for an unusually big or small machine.
MAX_EDGES = 500
DOT_SECONDS = 60
DOT_MEMORY_MB = 2048


def _child_limits(seconds: int, memory_mb: int):
    """What the child runs between fork and exec (POSIX): its own limits, and on Linux a
    SIGKILL when its parent dies, however gradcli ends (SIGTERM, SIGKILL, a crash)."""
    import resource

    prctl = None
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            prctl = None
    memory = memory_mb * 1024 * 1024

    def limit() -> None:  # runs in the child: no imports, no allocation worth naming
        # CPU time as a backstop a little past the wall-clock limit, which acts first
        # (dot is one thread): the two never race to say why dot stopped.
        resource.setrlimit(resource.RLIMIT_CPU, (seconds + 5, seconds + 10))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if prctl is not None:
            prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL

    return limit


def render(dot_source: str, fmt_name: str) -> bytes:
    """SVG or PNG bytes from dot source, by running Graphviz's `dot` program (bounded)."""
    exe = shutil.which("dot")
    edges = dot_source.count("->")
    if exe is None:
        install = (
            "install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
            "install graphviz)"
        )
        raise MissingDependency(
            f"{fmt_name} output needs Graphviz's `dot` program, which is not on PATH",
            f"{install}, or write the graph as dot source and render it elsewhere",
            dependency="Graphviz's `dot` program",
            feature=fmt_name,
            install=install,
        )
    if edges > MAX_EDGES:
        raise RenderError(
            f"the graph has {edges} edges, more than the {MAX_EDGES} gradcli gives Graphviz "
            "to lay out as a picture",
            "write it as dot source or Mermaid, or read it as the text tree",
            format=fmt_name,
            reason="too big",
            edges=edges,
        )
    seconds = env_limit("GRADCLI_DOT_SECONDS", DOT_SECONDS)
    memory_mb = env_limit("GRADCLI_DOT_MEMORY_MB", DOT_MEMORY_MB)
    bounded = {"preexec_fn": _child_limits(seconds, memory_mb)} if os.name == "posix" else {}
    limits = f"{seconds} s and {memory_mb} MB"
    try:
        # run() kills dot on any exception here, Ctrl-C included.
        proc = subprocess.run(
            [exe, f"-T{fmt_name}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=seconds,
            **bounded,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"Graphviz took more than {seconds} s to lay out {edges} edges",
            "write the graph as dot source instead, or draw a smaller program",
            format=fmt_name,
            reason="timeout",
            edges=edges,
        ) from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()[:500]
        if (
            proc.returncode < 0
            or proc.returncode == 128 + 9
            or not message
            or ("out of memory" in message.lower() or "malloc" in message.lower())
        ):
            # Killed: by its CPU limit (SIGXCPU), or out of its memory.
            why = (
                f"was killed by signal {-proc.returncode}"
                if proc.returncode < 0
                else f"stopped with exit code {proc.returncode}"
            )
            raise RenderError(
                f"Graphviz's dot {why} while laying out {edges} edges (within the limits "
                f"gradcli gives it: {limits}): the graph is probably too large for it",
                "dot source, Mermaid or the text tree work for big programs",
                format=fmt_name,
                reason="killed",
                edges=edges,
                tool_message=message,
            )
        raise RenderError(
            f"Graphviz's dot failed (within the limits gradcli gives it: {limits}): {message}",
            format=fmt_name,
            reason="failed",
            edges=edges,
            tool_message=message,
        )
    return proc.stdout
