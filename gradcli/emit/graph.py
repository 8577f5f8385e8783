"""The computation graph of an evaluation: nodes with value and adjoint, edges with the
local derivative, as micrograd's draw_dot shows them; and its tree and JSON forms.

Nodes are the tape steps the output depends on, in tape order; an edge runs from an
operand to the step that uses it (one edge per use, so `a * a` has two). Every number
comes from the engine: values, adjoints, and the local derivatives it recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

from ..core.engine import Evaluation
from ..core.notation import Notation, contributions, fmt


@dataclass(slots=True)
class GraphNode:
    index: int  # the tape step
    id: str  # "v3"
    label: str  # "x", or "v3" for an unnamed step
    kind: str  # "input", "const", "intermediate" or "output"
    op: str
    expression: str  # "a * b"
    value: float
    adjoint: Optional[float]  # None for a constant: constants get no adjoint
    args: tuple  # operand steps
    terms: int  # how many chain-rule terms were summed into the adjoint


@dataclass(slots=True)
class GraphEdge:
    source: int  # the operand's step
    target: int  # the step using it
    position: int  # which operand
    local: Any  # ∂target/∂source: a float (tensor mode: an array, or None for a tensor op)
    # Tensor mode: the term in matrix form, {False: Unicode, True: ASCII}: `X̄ += v3̄ @ Wᵀ`.
    rule: Optional[dict] = None


@dataclass
class Graph:
    output: int
    output_name: str
    value: float
    nodes: dict = field(default_factory=dict)  # step -> GraphNode, in tape order
    edges: list = field(default_factory=list)
    tensor: bool = False  # values and adjoints are arrays (shown summarised)

    def title(self, i: int) -> str:
        """`x = a * b`, `a`, or a constant's own text."""
        node = self.nodes[i]
        if node.kind in ("input", "const"):
            return node.expression if node.kind == "const" else node.label
        return f"{node.label} = {node.expression}"


def build_graph(ev: Evaluation) -> Graph:
    tape = ev.tape
    steps = tape.steps
    out = tape.output
    live = tape.live()
    terms = [0] * len(steps)
    for c in ev.contributions:
        terms[c.input] += 1
    graph = Graph(out, tape.output_name, ev.value, tensor=tape.tensor)
    if tape.tensor:
        return _tensor_graph(ev, graph, live, terms)
    # Each (step, operand) sends at most one term: its local derivative, by position
    # (a list per position rather than a dict keyed by pairs: a tenth of the memory).
    local: list = []
    for c in ev.contributions:
        while len(local) <= c.position:
            local.append([None] * len(steps))
        local[c.position][c.node] = c.local
    for i, step in enumerate(steps):
        if not live[i]:
            continue
        if tape.is_input(i):
            kind = "input"
        elif tape.is_const(i):
            kind = "const"
        else:
            kind = "output" if i == out else "intermediate"
        graph.nodes[i] = GraphNode(
            i,
            tape.step_id(i),
            tape.label(i),
            kind,
            step.op.name,
            tape.expression(i),
            ev.values[i],
            None if kind == "const" else ev.adjoints[i],
            tuple(step.args),
            terms[i],
        )
        if step.args:
            xs = [ev.values[a] for a in step.args]
            partials = None
            for position, a in enumerate(step.args):
                d = local[position][i] if position < len(local) else None
                if d is None:
                    # No term was sent (the operand is a constant): ask the registry.
                    if partials is None:
                        partials = step.op.partials(*xs, ev.values[i])
                    d = partials[position]
                graph.edges.append(GraphEdge(a, i, position, d))
    return graph


def _tensor_graph(ev: Evaluation, graph: Graph, live: list, terms: list) -> Graph:
    """build_graph in tensor mode: the same nodes, with array values and adjoints (an
    adjoint never reached is zeros of the value's shape); each edge that carried a term
    has that term in matrix form, in both notations."""
    from ..core.arrays import np
    from ..report.tensor_rows import tensor_step

    tape = ev.tape
    found = {(c.node, c.position): c for c in ev.contributions}
    unicode, plain, code = Notation(), Notation(ascii_only=True), Notation(code=True)
    for i, step in enumerate(tape.steps):
        if not live[i]:
            continue
        kind = (
            "input"
            if tape.is_input(i)
            else "const"
            if tape.is_const(i)
            else "output"
            if i == graph.output
            else "intermediate"
        )
        value = np.asarray(ev.values[i], dtype=float)
        integer = kind == "input" and step.name in tape.integer_inputs
        adjoint = (
            None
            if kind == "const" or integer
            else np.broadcast_to(np.asarray(ev.adjoints[i], dtype=float), value.shape)
        )
        graph.nodes[i] = GraphNode(
            i,
            tape.step_id(i),
            tape.label(i),
            kind,
            step.op.name,
            tape.expression(i),
            value,
            adjoint,
            tuple(step.args),
            terms[i],
        )
        for position, a in enumerate(step.args):
            c = found.get((i, position))
            rule = None
            if c is not None:
                rule = {
                    False: tensor_step(ev, c, unicode).formula,
                    True: tensor_step(ev, c, plain).formula,
                    "code": tensor_step(ev, c, code).formula,
                }
            graph.edges.append(GraphEdge(a, i, position, None if c is None else c.local, rule))
    return graph


# --- JSON -------------------------------------------------------------------------------
def _number(x: Optional[float]):
    return x if x is None or math.isfinite(x) else None


def to_dict(graph: Graph, warnings: list) -> dict:
    if graph.tensor:
        return _tensor_dict(graph, warnings)
    return {
        "output": graph.output_name,
        "value": _number(graph.value),
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "op": n.op,
                "expression": n.expression,
                "value": _number(n.value),
                "adjoint": _number(n.adjoint),
                "terms": n.terms,
                "inputs": [graph.nodes[a].id for a in n.args],
            }
            for n in graph.nodes.values()
        ],
        "edges": [
            {
                "from": graph.nodes[e.source].id,
                "to": graph.nodes[e.target].id,
                "position": e.position,
                "local": _number(e.local),
                "derivative": f"d{graph.nodes[e.target].label}/d{graph.nodes[e.source].label}",
            }
            for e in graph.edges
        ],
        "warnings": list(warnings),
    }


def json_pieces(graph: Graph, warnings: list, schema: str):
    """The scalar graph's JSON document (schema first), piece by piece: exactly the text
    of `dumps(document("graph", to_dict(graph, warnings)))`, written without building the
    document, so a 100,000-step graph streams instead of living in memory three times over
    (as dicts, as the encoder's millions of fragments, as one string). `schema` is the
    document's "schema" value (cli/jsondoc.schema("graph")). Tensor mode, whose
    graphs are small and whose arrays have their own layout, goes through to_dict."""
    from json.encoder import encode_basestring_ascii as string

    nodes = graph.nodes
    yield (
        f'{{\n "schema": {string(schema)},\n "output": {string(graph.output_name)},'
        f'\n "value": {_json_number(graph.value)},\n "nodes": '
    )
    ids = {i: string(n.id) for i, n in nodes.items()}
    sep = "[\n  {"
    for n in nodes.values():
        inputs = "[\n    " + ",\n    ".join(ids[a] for a in n.args) + "\n   ]" if n.args else "[]"
        yield (
            f'{sep}\n   "id": {ids[n.index]},\n   "label": {string(n.label)},'
            f'\n   "kind": {string(n.kind)},\n   "op": {string(n.op)},'
            f'\n   "expression": {string(n.expression)},'
            f'\n   "value": {_json_number(n.value)},\n   "adjoint": {_json_number(n.adjoint)},'
            f'\n   "terms": {_json_number(n.terms)},\n   "inputs": {inputs}\n  }}'
        )
        sep = ",\n  {"
    yield '\n ],\n "edges": ' if nodes else '[],\n "edges": '
    sep = "[\n  {"
    for e in graph.edges:
        src, dst = nodes[e.source], nodes[e.target]
        derivative = string(f"d{dst.label}/d{src.label}")
        yield (
            f'{sep}\n   "from": {ids[e.source]},\n   "to": {ids[e.target]},'
            f'\n   "position": {_json_number(e.position)},\n   "local": {_json_number(e.local)},'
            f'\n   "derivative": {derivative}\n  }}'
        )
        sep = ",\n  {"
    yield '\n ],\n "warnings": ' if graph.edges else '[],\n "warnings": '
    if warnings:
        yield "[\n  " + ",\n  ".join(string(w) for w in warnings) + "\n ]\n}"
    else:
        yield "[]\n}"


def _json_number(x) -> str:
    """A number as json.dumps writes it, null where it is not finite (as _number)."""
    if x is None:
        return "null"
    if x is True or x is False:
        return "true" if x else "false"
    if isinstance(x, int):
        return int.__repr__(x)
    x = float(x)
    return float.__repr__(x) if math.isfinite(x) else "null"


def _tensor_dict(graph: Graph, warnings: list) -> dict:
    """to_dict in tensor mode: each node's shape, its value and adjoint as nested lists
    (null where not finite); each edge's local derivative where the op has one
    (elementwise ops) and its term in matrix form."""
    from ..core.arrays import np
    from ..report.evaluation import Nulls

    null = Nulls()
    doc = {
        "output": graph.output_name,
        "value": _number(graph.value),
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "op": n.op,
                "expression": n.expression,
                "shape": list(np.shape(n.value)),
                "value": null(n.value),
                "adjoint": null(n.adjoint),
                "terms": n.terms,
                "inputs": [graph.nodes[a].id for a in n.args],
            }
            for n in graph.nodes.values()
        ],
        "edges": [
            {
                "from": graph.nodes[e.source].id,
                "to": graph.nodes[e.target].id,
                "position": e.position,
                "local": null(e.local),
                "derivative": f"d{graph.nodes[e.target].label}/d{graph.nodes[e.source].label}",
                "rule": None if e.rule is None else e.rule["code"],
            }
            for e in graph.edges
        ],
        "warnings": list(warnings),
    }
    if null.count:
        doc["warnings"].append(
            f"{null.count} numbers in nodes and edges are infinite or "
            "undefined; written as null (JSON has no such number)"
        )
    return doc


# --- the tree ---------------------------------------------------------------------------
DEFAULT_DEPTH = 40


def record(graph: Graph, i: int, nt: Notation) -> str:
    """micrograd's `data | grad`, with a note when the adjoint is a sum. In tensor mode
    an array's shape comes first, and the value and adjoint are summarised (report/
    tensors.one_line: a few entries in full, else mean, min and max)."""
    node = graph.nodes[i]
    if graph.tensor:
        from ..report.tensors import one_line, shape_of

        shape = f"shape {shape_of(node.value)} | " if getattr(node.value, "ndim", 0) else ""
        if node.kind == "const":
            return f"{shape}data {one_line(node.value)}"
        if node.adjoint is None:  # an index or targets: integer data
            return f"{shape}data {one_line(node.value)} | integer data, no grad"
        text = f"{shape}data {one_line(node.value)} | grad {one_line(node.adjoint)}"
        if node.terms > 1:
            text += nt.text(f" (Σ of {contributions(node.terms)})")
        return text
    if node.kind == "const":
        return f"data {fmt(node.value)}"
    text = f"data {fmt(node.value)} | grad {fmt(node.adjoint)}"
    if node.terms > 1:
        text += nt.text(f" (Σ of {contributions(node.terms)})")
    return text


def tree_rows(graph: Graph, nt: Notation, max_depth: int = DEFAULT_DEPTH) -> list:
    """(depth, kind, title, detail) rows in drawing order, built without recursion.

    kind is a node kind, "reuse" for a node already drawn above, or "cut" where the
    depth limit stops the drawing.
    """
    rows = []
    drawn = set()
    stack = [(graph.output, 0)]
    while stack:
        i, depth = stack.pop()
        node = graph.nodes[i]
        if i in drawn and node.kind != "const":
            # A reference names what was drawn: the title above starts with the label.
            rows.append(
                (
                    depth,
                    "reuse",
                    node.label,
                    nt.text(f"drawn above; its grad sums {contributions(node.terms)}"),
                )
            )
            continue
        drawn.add(i)
        detail = record(graph, i, nt)
        if node.kind == "input":
            detail = "input, " + detail
        elif node.kind == "const":
            detail = "constant, " + detail
        rows.append((depth, node.kind, nt.text(graph.title(i)), detail))
        if node.args and depth == max_depth:
            rows.append(
                (
                    depth + 1,
                    "cut",
                    "…" if not nt.ascii else "...",
                    f"deeper than {max_depth} levels: not drawn",
                )
            )
            continue
        for a in reversed(node.args):
            stack.append((a, depth + 1))
    return rows


STYLES = {
    "input": "cyan",
    "const": "dim",
    "intermediate": "",
    "output": "bold yellow",
    "reuse": "magenta",
    "cut": "dim italic",
}
GUIDES = {False: ("├── ", "└── ", "│   ", "    "), True: ("|-- ", "`-- ", "|   ", "    ")}


def tree_lines(rows: list, ascii_only: bool) -> list:
    """(guide prefix, row) for each row: the tree's drawing, made in one pass.

    A row is the last child when no later sibling follows; `open_levels` remembers which
    ancestors still have siblings to come, which decides `│` or blank in the margin.
    """
    tee, elbow, pipe, blank = GUIDES[ascii_only]
    n = len(rows)
    last = [True] * n
    next_at_depth: dict = {}
    # Walking backwards: a row has a later sibling if a row of the same depth follows
    # it before any row of smaller depth does.
    for k in range(n - 1, -1, -1):
        depth = rows[k][0]
        last[k] = depth not in next_at_depth
        next_at_depth[depth] = k
        # Deeper rows after this one are its own descendants: no sibling of an earlier row.
        for d in [d for d in next_at_depth if d > depth]:
            del next_at_depth[d]
    out = []
    open_levels: list = []  # for each depth 1..d-1: does that ancestor have siblings below?
    for k, row in enumerate(rows):
        depth = row[0]
        if depth == 0:
            out.append(("", row))
            open_levels = []
            continue
        del open_levels[depth - 1 :]
        margin = "".join(pipe if more else blank for more in open_levels)
        out.append((margin + (elbow if last[k] else tee), row))
        open_levels.append(not last[k])
    return out
