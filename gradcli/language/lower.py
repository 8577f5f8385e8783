"""Lower a parsed program to a tape: resolve names, find the inputs, pick the output.

Inputs are the free names plus names whose first binding is a plain signed literal
(`a = 2`, as Karpathy's `var a = 2`): the literal is the input's default. `pi` and `e`
are constants unless the program assigns them or the user gives them a value.

Lowering runs statement by statement as the parser finishes each one, so the syntax
nodes of a 100,000-statement program never all exist at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Optional

from ..core.errors import UnknownName, UsageError, close_matches, quoted_or
from ..core.ops import CONSTANTS, OPS
from ..core.tape import Step, Tape
from ..core.warnings import Warnings
from .syntax import Statement, Syntax, parse

_INPUT, _CONST, _COPY = OPS["input"], OPS["const"], OPS["copy"]
OUTPUT_NAMES = ("f", "out", "result")


def compile_program(
    source: str,
    given: Iterable[str] = (),
    output: Optional[str] = None,
    constructors: bool = False,
    dialect: str = "gradcli",
) -> Tape:
    """Parse and lower `source`. `given` names the values the user supplies;
    `constructors` allows randn(...) and friends (values.py's constant expressions);
    `dialect` reads pasted code: "python", "js", or "auto" (see dialects.py)."""
    if dialect != "gradcli":
        from .dialects import compile_pasted

        return compile_pasted(source, set(given), output, dialect)
    lowerer = Lowerer(source, set(given))
    parse(source, on_statement=lowerer.statement, constructors=constructors)
    return lowerer.finish(output)


def lower(syntax: Syntax, given: set, output: Optional[str] = None) -> Tape:
    """Lower an already parsed program (all statements kept in `syntax`)."""
    lowerer = Lowerer(syntax.source, given)
    for stmt in syntax.statements:
        lowerer.statement(syntax, stmt)
    return lowerer.finish(output)


def assigned_constants(source: str) -> set:
    """Which of pi and e the program assigns. An assignment's target always opens a
    statement, so a scan of the text answers before the first statement is lowered."""
    names = "|".join(map(re.escape, CONSTANTS))
    code = re.sub(r"#[^\n]*", "", source)  # `# ...; e = 3` in a comment assigns nothing
    return set(re.findall(rf"(?:^|[;\n])[ \t\f\r]*({names})[ \t\f\r]*[-+*/]?=(?!=)", code))


class Lowerer:
    def __init__(self, source: str, given: set, assigned: Optional[set] = None):
        self.tape = Tape(source)
        self.given = given
        # Which of pi and e the program assigns; pasted code's front ends say it themselves.
        self.assigned = assigned_constants(source) if assigned is None else assigned
        self.env: dict = {}  # name -> step index of its current binding
        self.versions: dict = {}
        self.pending_bare: Optional[tuple] = None  # (step, line) of the latest bare expression
        # Unnamed constants are shared: a program that writes `0.5` 100,000 times needs
        # one step for it, not 100,000 (they receive no adjoint, so nothing is lost).
        self.literals: dict = {}  # (value, text) -> step index
        self.statements = 0
        self.notes = Warnings()
        self.defined: list = []  # the functions the program defines, by name
        self.pinned: Optional[int] = None  # the value pasted code calls .backward() on

    def new(self, op, args, name, start, end, const=None, text=None) -> int:
        version = 0
        if name is not None:
            version = self.versions[name] = self.versions.get(name, 0) + 1
        steps = self.tape.steps
        steps.append(Step(op, args, name, version, start, end, const, text))
        return len(steps) - 1

    def resolve(self, name: str, start: int, end: int) -> int:
        env = self.env
        if name in env:
            return env[name]
        if name in CONSTANTS and name not in self.assigned and name not in self.given:
            return self.literal(CONSTANTS[name], name, start, end)
        i = env[name] = self.tape.inputs[name] = self.new(_INPUT, (), name, start, end)
        return i

    def literal(self, value: float, text: str, start: int, end: int) -> int:
        key = (value, text)
        i = self.literals.get(key)
        if i is None:
            i = self.literals[key] = self.new(_CONST, (), None, start, end, value, text)
        return i

    def statement(self, syntax: Syntax, stmt: Statement) -> None:
        tape, env, nodes = self.tape, self.env, syntax.nodes
        if stmt.kind == "define":
            self.defined.append(stmt.target)
            return
        self.statements += 1
        if self.pending_bare is not None:
            self.notes.add(
                "the value of this expression is not used (only the last "
                "statement gives the output)",
                f"(line {self.pending_bare[1]})",
                unit="statements",
            )
            self.pending_bare = None
        root = nodes[stmt.root]
        if (
            stmt.kind == "assign"
            and root.kind in ("num", "arr")
            and stmt.target not in env
            and stmt.target not in self.versions
        ):
            # `a = 2`, `W = [[1, 2], [3, 4]]`: an input with a default, not a constant.
            default = root.payload if root.kind == "num" else self.array(root)
            i = self.new(_INPUT, (), stmt.target, stmt.start, stmt.end, default)
            env[stmt.target] = tape.inputs[stmt.target] = i
            tape.output = i
            return
        steps = tape.steps
        first_new = len(steps)
        where: dict = {}  # syntax node -> step index, for this statement's nodes
        source = syntax.source
        for n in range(stmt.first, stmt.root + 1):
            node = nodes[n]
            kind = node.kind
            if kind == "op":  # the common case, inlined: an unnamed step
                steps.append(
                    Step(
                        node.payload,
                        tuple([where[c] for c in node.kids]),
                        None,
                        0,
                        node.start,
                        node.end,
                        None,
                        None,
                    )
                )
                where[n] = len(steps) - 1
            elif kind == "name":
                where[n] = self.resolve(node.payload, node.start, node.end)
            elif kind == "opx":
                op, attrs = node.payload
                args = tuple([where[c] for c in node.kids])
                steps.append(Step(op, args, None, 0, node.start, node.end, None, None, attrs))
                where[n] = len(steps) - 1
                self.tape.tensor = self.tape.tensor or op.tensor
                for position in op.integer:
                    if position < len(args):
                        self.integer_data(args[position])
            elif kind == "used":
                continue  # read by its parent (a keyword's value, an array's entry)
            elif kind == "ucall":
                fn, text = node.payload
                where[n] = self.inline(
                    fn, [where[c] for c in node.kids], text, node.start, node.end, source
                )
            elif kind == "arr":
                text = source[node.start : node.end]
                key = ("array", text)
                if key not in self.literals:
                    self.literals[key] = self.new(
                        _CONST, (), None, node.start, node.end, self.array(node), text
                    )
                where[n] = self.literals[key]
            else:
                where[n] = self.literal(
                    node.payload,
                    source[node.start : node.end].replace(" ", ""),
                    node.start,
                    node.end,
                )
        value = where[stmt.root]
        if stmt.kind == "output":
            # `g.backward()`: g, as bound here, is the output, whatever follows.
            self.pinned = value
            return
        if stmt.kind == "bare":
            tape.output = value
            self.pending_bare = (value, tape.line_of(stmt.start))
            return
        if stmt.kind == "augassign":
            assert stmt.target is not None  # `x += 1` names what it adds to
            target = self.resolve(stmt.target, stmt.start, stmt.start + len(stmt.target))
            value = self.new(stmt.aug, (target, value), None, stmt.start, stmt.end)
        step = tape.steps[value]
        if value >= first_new and step.name is None:
            if step.op is _CONST:
                # Named now: no longer shared.
                del self.literals[
                    ("array", step.text)
                    if self.tape.tensor and hasattr(step.const, "shape")
                    else (step.const, step.text)
                ]
            step.name = stmt.target
            step.version = self.versions[stmt.target] = self.versions.get(stmt.target, 0) + 1
        else:
            # `c = a`: a copy, so that c has a step (and a row) of its own.
            value = self.new(_COPY, (value,), stmt.target, stmt.start, stmt.end)
        env[stmt.target] = value
        tape.output = value

    def inline(self, fn, args: list, text: str, start: int, end: int, source: str) -> int:
        """A call of a user function: its body's steps, written out with the parameters
        bound to the arguments' steps; each step remembers the call it came from (its
        `call`) and points at the call in the source. Returns the result's step."""
        steps = self.tape.steps
        local = [0] * len(fn.nodes)
        origins = fn.origins
        for j, node in enumerate(fn.nodes):
            kind = node.kind
            if kind == "op" or kind == "opx":
                op, attrs = (node.payload, None) if kind == "op" else node.payload
                operands = tuple([local[c] for c in node.kids])
                below = origins[j]
                steps.append(
                    Step(
                        op,
                        operands,
                        None,
                        0,
                        start,
                        end,
                        None,
                        None,
                        attrs,
                        text if below is None else f"{below} in {text}",
                    )
                )
                local[j] = len(steps) - 1
                if op.tensor:
                    self.tape.tensor = True
                    for position in op.integer:
                        if position < len(operands):
                            self.integer_data(operands[position])
            elif kind == "param":
                local[j] = args[node.payload]
            elif kind == "name":
                local[j] = self.resolve(node.payload, start, end)
            elif kind == "num":
                local[j] = self.literal(
                    node.payload,
                    source[node.start : node.end].replace(" ", ""),
                    node.start,
                    node.end,
                )
            elif kind == "arr":
                key = ("array", source[node.start : node.end])
                if key not in self.literals:
                    self.literals[key] = self.new(
                        _CONST, (), None, node.start, node.end, self.array(node), key[1]
                    )
                local[j] = self.literals[key]
        return local[fn.root]

    def array(self, node):
        """An array literal's value: float64, as every array in tensor mode."""
        import numpy

        shape, numbers = node.payload
        self.tape.tensor = True
        return numpy.array(numbers, dtype=float).reshape(shape)

    def integer_data(self, i: int) -> None:
        """Step i is used as an index, a target or a size: every input it is computed from
        is integer data, with no gradient (as PyTorch's integer tensors)."""
        steps, todo, seen = self.tape.steps, [i], set()
        while todo:
            j = todo.pop()
            if j in seen:
                continue
            seen.add(j)
            if steps[j].op is _INPUT:
                self.tape.integer_inputs.add(steps[j].name)
            todo.extend(steps[j].args)

    def finish(self, output: Optional[str] = None) -> Tape:
        if not self.statements:
            if self.defined:
                names = ", ".join(self.defined)
                raise UsageError(
                    f"the program only defines functions ({names}): add a "
                    f"statement that uses one, such as f = {self.defined[0]}(x)"
                )
            raise UsageError('the program is empty: give an expression such as "a*b"')
        if self.pinned is not None:
            self.tape.output = self.pinned
        self.tape.id_prefix = _free_prefix(set(self.versions) | set(self.tape.inputs))
        self.tape._numbers = None  # names given while lowering: number the unnamed anew
        _choose_output(self.tape, self.env, output)
        self.tape.warnings = self.notes.lines()
        return self.tape


def _free_prefix(names: set) -> str:
    """A letter for generated step ids that no user name of the form letter+digits uses."""
    taken = {m.group(1) for m in map(re.compile(r"([^\W\d_]+)\d+").fullmatch, names) if m}
    for prefix in ("v", "t", "u", "w", "s", "tmp"):
        if prefix not in taken:
            return prefix
    return "step"


def _choose_output(tape: Tape, env: dict, output: Optional[str]) -> None:
    steps = tape.steps
    if output is not None:
        if output not in env:
            close = close_matches(output, env)
            raise UnknownName(
                f"the program has no value named '{output}'"
                + (f"; did you mean {quoted_or(close)}?" if close else ""),
                name=output,
                kind="value",
                suggestions=close,
                known=list(env),
                parameter="output",
            )
        tape.output = env[output]
    out = steps[tape.output]
    if out.name is not None:
        tape.output_name = out.name
        return
    used = set(env) | {s.name for s in steps if s.name}
    names = [n for n in OUTPUT_NAMES if n not in used]
    name = (
        names[0]
        if names
        else next(f"f{i}" for i in range(1, len(steps) + 2) if f"f{i}" not in used)
    )
    if out.op in (_INPUT, _CONST):
        # A bare constant or name as the output still gets a row of its own.
        steps.append(Step(_COPY, (tape.output,), name, 1, out.start, out.end, None, None))
        tape.output = len(steps) - 1
    else:
        out.name, out.version = name, 1
    tape.output_name = name
