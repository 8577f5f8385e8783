"""Lower a parsed program to a tape: resolve names, find the inputs, pick the output.

Inputs are the free names plus names whose first binding is a plain signed literal
(`a = 2`, as Karpathy's `var a = 2`): the literal is the input's default. `pi` and `e`
are constants unless the program assigns them or the user gives them a value.
"""
from __future__ import annotations

from typing import Iterable, Optional

from .errors import SourceError, UsageError, suggest
from .ops import CONSTANTS, OPS
from .syntax import Syntax, parse
from .tape import Step, Tape

_INPUT, _CONST, _COPY = OPS["input"], OPS["const"], OPS["copy"]
OUTPUT_NAMES = ("f", "out", "result")


def compile_program(source: str, given: Iterable[str] = (), output: Optional[str] = None) -> Tape:
    """Parse and lower `source`. `given` names the values the user supplies."""
    return lower(parse(source), set(given), output)


def lower(syntax: Syntax, given: set, output: Optional[str] = None) -> Tape:
    tape = Tape(syntax.source)
    steps = tape.steps
    nodes = syntax.nodes
    assigned = {s.target for s in syntax.statements if s.target}
    env: dict = {}  # name -> step index of its current binding
    versions: dict = {}
    where = [0] * len(nodes)  # syntax node -> step index

    def new(op, args, name, start, end, const=None, text=None) -> int:
        version = 0
        if name is not None:
            version = versions[name] = versions.get(name, 0) + 1
        steps.append(Step(op, args, name, version, start, end, const, text))
        return len(steps) - 1

    def resolve(name, start, end) -> int:
        if name in env:
            return env[name]
        if name in CONSTANTS and name not in assigned and name not in given:
            return new(_CONST, (), None, start, end, CONSTANTS[name], name)
        i = env[name] = tape.inputs[name] = new(_INPUT, (), name, start, end)
        return i

    if not syntax.statements:
        raise UsageError("the program is empty: give an expression such as \"a*b\"")
    last = len(syntax.statements) - 1
    for k, stmt in enumerate(syntax.statements):
        root = nodes[stmt.root]
        if (stmt.kind == "assign" and root.kind == "num" and stmt.target not in env
                and stmt.target not in versions):
            # `a = 2`: an input with a default, not a constant.
            i = new(_INPUT, (), stmt.target, stmt.start, stmt.end, root.payload)
            env[stmt.target] = tape.inputs[stmt.target] = i
            continue
        first_new = len(steps)
        for n in range(stmt.first, stmt.root + 1):
            node = nodes[n]
            if node.kind == "num":
                where[n] = new(_CONST, (), None, node.start, node.end, node.payload,
                               syntax.source[node.start:node.end].replace(" ", ""))
            elif node.kind == "name":
                where[n] = resolve(node.payload, node.start, node.end)
            else:
                where[n] = new(node.payload, tuple(where[c] for c in node.kids), None,
                               node.start, node.end)
        value = where[stmt.root]
        if stmt.kind == "bare":
            if k == last:
                tape.output = value
            else:
                line = syntax.source.count("\n", 0, stmt.start) + 1
                tape.warnings.append(
                    f"line {line}: the value of this expression is not used "
                    "(only the last statement gives the output)")
            continue
        if stmt.kind == "augassign":
            target = resolve(stmt.target, stmt.start, stmt.start + len(stmt.target))
            value = new(stmt.aug, (target, value), None, stmt.start, stmt.end)
        if value >= first_new and steps[value].name is None:
            step = steps[value]
            step.name = stmt.target
            step.version = versions[stmt.target] = versions.get(stmt.target, 0) + 1
        else:
            # `c = a`: a copy, so that c has a step (and a row) of its own.
            value = new(_COPY, (value,), stmt.target, stmt.start, stmt.end)
        env[stmt.target] = value
        if k == last:
            tape.output = value

    _choose_output(tape, env, output)
    return tape


def _choose_output(tape: Tape, env: dict, output: Optional[str]) -> None:
    steps = tape.steps
    if output is not None:
        if output not in env:
            hint = suggest(output, env)
            raise UsageError(f"--output {output}: the program has no value named '{output}'"
                             + (f"; did you mean {hint}?" if hint else ""))
        tape.output = env[output]
    out = steps[tape.output]
    if out.name is not None:
        tape.output_name = out.name
        return
    used = set(env) | {s.name for s in steps if s.name}
    names = [n for n in OUTPUT_NAMES if n not in used]
    name = names[0] if names else next(f"f{i}" for i in range(1, len(steps) + 2)
                                       if f"f{i}" not in used)
    if out.op in (_INPUT, _CONST):
        # A bare constant or name as the output still gets a row of its own.
        steps.append(Step(_COPY, (tape.output,), name, 1, out.start, out.end, None, None))
        tape.output = len(steps) - 1
    else:
        out.name, out.version = name, 1
    tape.output_name = name
