"""User-defined functions: `sig(t) = 1 / (1 + exp(-t))`, then `f = sig(a*x + b)`.

A definition is kept as its body's syntax nodes, with the parameters as "param" nodes.
A body that calls an earlier function gets that function's nodes spliced in when it is
defined, so every stored body is flat: lowering a call is one loop over its nodes, with
the parameters bound to the arguments' steps (lower.py). Nothing here recurses, so
calls nested in calls nested in calls cost a loop each, whatever the depth.

Names in a body other than its parameters are the program's: they mean what they mean
where the function is called (Python's rule for a module's globals).
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from ..core.errors import SourceError, line_col

# The most syntax nodes one function may hold once the calls in its body are spliced in:
# inlining doubles a body per nested call of a function that calls another twice.
MAX_BODY = 2_000_000
# A call's label in the tables: its source text, shortened past this many characters.
CALL_TEXT = 40


class Function(NamedTuple):
    name: str
    params: tuple  # the parameter names
    nodes: tuple  # syntax nodes, kids indexing this tuple; "param" nodes carry the index
    origins: tuple  # per node: None, or the call inside the body it came from ("g(t + 1)")
    root: int  # the node whose value the function returns
    line: int  # where it is defined (1-based)

    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"

    def arguments(self, n: int) -> str:
        """`takes 1 argument (t)` for an arity error."""
        many = "1 argument" if len(self.params) == 1 else f"{len(self.params)} arguments"
        return f"{self.name} takes {many} ({', '.join(self.params)}), not {n}"


def define_function(
    nodes: list, functions: dict, source: str, nametok, params: list, first: int, root: int, builtin
) -> Function:
    """The Function that statement nodes[first..root] defines: `NAME(params) = body`.
    `params` are the head's argument nodes (each must be a plain name); `builtin(name)`
    says whether a name is gradcli's own function."""
    from .syntax import Node  # the syntax module imports this one

    name = nametok.group()
    start = nametok.start()
    if builtin(name):
        raise SourceError(
            f"'{name}' is one of gradcli's functions: a function you define needs another name",
            source,
            start,
            f"e.g. my_{name}({_param_list(nodes, params)}) = ...",
        )
    if name in functions:
        raise SourceError(
            f"{name} is already defined (line {functions[name].line}); a function is defined once",
            source,
            start,
            "give the new one another name",
        )
    names = []
    for p in params:
        if not isinstance(p, int):  # a keyword: sig(t=1) = ...
            raise SourceError(
                "a function's parameters are names, without defaults: sig(t) = 1 / (1 + exp(-t))",
                source,
                p.pos,
            )
        node = nodes[p]
        if node.kind != "name":
            raise SourceError(
                "a function's parameters are names: sig(t) = 1 / (1 + exp(-t))", source, node.start
            )
        if node.payload in names:
            raise SourceError(f"the parameter {node.payload} is named twice", source, node.start)
        names.append(node.payload)
    position = {n: k for k, n in enumerate(names)}
    head = set(params)
    out: list = []
    origins: list = []
    where: dict = {}  # statement node index -> index in out
    for n in range(first, root + 1):
        if n in head:
            continue
        node = nodes[n]
        kind = node.kind
        if kind == "name" and node.payload in position:
            where[n] = len(out)
            out.append(Node("param", position[node.payload], (), node.start, node.end))
            origins.append(None)
        elif kind == "ucall":
            inner, text = node.payload
            args = [where[k] for k in node.kids]
            if len(out) + len(inner.nodes) > MAX_BODY:
                raise SourceError(
                    f"{name} is too large once the functions it calls are "
                    f"written out (more than {MAX_BODY:,} steps)",
                    source,
                    node.start,
                )
            mine = [0] * len(inner.nodes)
            for j, b in enumerate(inner.nodes):
                if b.kind == "param":
                    mine[j] = args[b.payload]
                    continue
                mine[j] = len(out)
                out.append(b._replace(kids=tuple([mine[k] for k in b.kids])) if b.kids else b)
                below = inner.origins[j]
                origins.append(text if below is None else f"{below} in {text}")
            where[n] = mine[inner.root]
        else:
            where[n] = len(out)
            out.append(
                node._replace(kids=tuple([where[k] for k in node.kids])) if node.kids else node
            )
            origins.append(None)
    line, _ = line_col(source, start)
    return Function(name, tuple(names), tuple(out), tuple(origins), where[root], line)


def _param_list(nodes, params) -> str:
    return ", ".join(
        nodes[p].payload if isinstance(p, int) and nodes[p].kind == "name" else "x" for p in params
    )


def call_text(source: str, start: int, last_end: int) -> str:
    """The text of a call that starts at `start` and whose last argument ends at
    `last_end`, for the tables' "from sig(a*x + b)": closing brackets that follow are
    counted back in, whitespace runs become one space, long texts are shortened."""
    if last_end - start > 4 * CALL_TEXT:
        name = re.match(r"[^\W\d]\w*", source[start : start + 100])
        return f"{name.group() if name else '?'}(…)"
    text = source[start:last_end]
    missing = text.count("(") - text.count(")")
    end = last_end
    while missing > 0 and end < len(source) and source[end] in " \t)":
        if source[end] == ")":
            missing -= 1
        end += 1
    text = re.sub(r"\s+", " ", source[start:end])
    if len(text) > CALL_TEXT:
        text = text[: CALL_TEXT - 2].rstrip() + "…)"
    return text


def definition_line(source: str, name: str, after: int = 0) -> Optional[int]:
    """The line of a definition of `name` (gradcli's `name(...) =`) at or after offset
    `after`, or None: for "defined below its first use"."""
    m = re.compile(rf"(?:^|[;\n])[ \t]*{re.escape(name)}[ \t]*\([^()\n;]*\)[ \t]*=(?!=)").search(
        source, after
    )
    if m is None:
        return None
    at = m.start() + (1 if source[m.start()] in ";\n" else 0)
    return source.count("\n", 0, at) + 1


def defining(source: str, pos: int) -> Optional[str]:
    """The function whose definition (gradcli's `name(...) = body`) holds offset pos."""
    start = max(source.rfind("\n", 0, pos), source.rfind(";", 0, pos)) + 1
    m = re.match(r"[ \t]*([^\W\d]\w*)[ \t]*\([^()\n;]*\)[ \t]*=(?!=)", source[start:pos])
    return m.group(1) if m else None
