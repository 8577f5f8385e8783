"""The tape: a program lowered to one primitive per step (a Wengert list).

Steps are in evaluation order, every step's operands come before it, and each step keeps
the source span it came from. Values and adjoints live outside the tape (see engine.py),
so one tape can be evaluated many times.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Optional

from .notation import fmt
from .ops import OPS, Op


@dataclass(eq=False, slots=True)
class Step:
    op: Op
    args: tuple
    name: Optional[str]  # the user's name, for a step the program named
    version: int  # 1 for a name's first binding, 2 for the next (`c += 1`), ...
    start: int
    end: int
    const: Any  # a literal's value, or an input's default (None, a float, or an array)
    text: Optional[str]  # how a constant is written: "pi", "2.5"
    # Keywords of the call (axis=0, keepdims=true) and, for a subscript, which of its
    # items are slices: what the op needs besides its operands' values.
    attrs: Optional[dict] = None
    # For a step written out from a call of a function the program defines: the call,
    # as written ("sig(a*x + b)"; "g(t + 1) in sig(a*x + b)" for a call inside its body).
    call: Optional[str] = None


@dataclass
class Tape:
    source: str
    steps: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict)  # input name -> step index, in first-use order
    output: int = -1
    output_name: str = "f"
    warnings: list = field(default_factory=list)
    # Unnamed steps are called v1, v2, ...; a program that names its own values v3 gets
    # another letter, so a generated name never equals a user's.
    id_prefix: str = "v"
    # Tensor mode: the program has arrays (literals or ops that exist only for arrays);
    # values given as arrays switch it on too (engine.input_values).
    tensor: bool = False
    # Inputs used as indices, targets or sizes: integer data, with no gradient.
    integer_inputs: set = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.steps)

    @cached_property
    def _newlines(self) -> list:
        return [k for k, ch in enumerate(self.source) if ch == "\n"]

    @cached_property
    def multiline(self) -> bool:
        return "\n" in self.source.strip()

    def line_of(self, pos: int) -> int:
        """The 1-based line of a source offset, in O(log n)."""
        return bisect.bisect_left(self._newlines, pos) + 1

    # --- how steps are called and written -------------------------------------------
    def step_id(self, i: int) -> str:
        return f"{self.id_prefix}{i + 1}"

    def label(self, i: int) -> str:
        """What a person calls step i: its name (primed when rebound); an unnamed step
        v1, v2, ... numbered consecutively among the unnamed steps a reader sees (an
        unnamed literal is written as its value, so it takes no number). The ids of
        step_id (JSON's `id`) count every step and are not names."""
        step = self.steps[i]
        if step.name is None and step.op is OPS["const"]:
            if step.text:
                return step.text
            return fmt(step.const) if not getattr(step.const, "ndim", 0) else self.step_id(i)
        if step.name is None:
            return f"{self.id_prefix}{self._unnamed_numbers()[i]}"
        if step.version == 1:
            return step.name
        return step.name + ("'" * (step.version - 1) if step.version <= 4 else f"'{step.version}")

    def _unnamed_numbers(self) -> dict:
        """step -> its number among the unnamed, non-literal steps; computed once per
        length of the tape (lowering names a step right after adding it, and resets this
        when it finishes)."""
        cached = getattr(self, "_numbers", None)
        if cached is not None and cached[0] == len(self.steps):
            return cached[1]
        numbers, k = {}, 0
        for j, s in enumerate(self.steps):
            if s.name is None and s.op is not OPS["const"]:
                k += 1
                numbers[j] = k
        self._numbers: Optional[tuple] = (len(self.steps), numbers)  # None: out of date
        return numbers

    @property
    def output_label(self) -> str:
        """What the tables call the output: its name, primed when the program rebinds it
        (`f = a*b; f = 3*f` outputs f', and f̄ is the first f's adjoint). Sentences that
        speak of the output beside the tables' rows use this, never a fixed `f`."""
        return self.label(self.output)

    def operand(self, i: int) -> str:
        """How step i appears as an operand: unnamed constants by their value."""
        step = self.steps[i]
        if step.op is OPS["const"] and step.name is None:
            text = step.text or fmt(step.const)
            return f"({text})" if text.startswith("-") else text
        return self.label(i)

    def expression(self, i: int, show=None) -> str:
        """The right-hand side of step i in gradcli syntax: `a * b`, `sigmoid(v3)`.
        `show(operand index)` writes the operands another way (their values, say)."""
        step = self.steps[i]
        op = step.op
        names = [(show or self.operand)(a) for a in step.args]
        if op.name in ("input", "const"):
            if step.text:
                return step.text
            if step.const is None or getattr(step.const, "ndim", 0) > 0:
                return "input"  # an array default (W = [[1, 2], [3, 4]]) has no one number
            return fmt(step.const)
        if op.name == "copy":
            return names[0]
        if op.name == "neg":
            return f"-{names[0]}"
        if op.symbol:
            return f" {op.symbol} ".join(names)
        if op.written:
            return op.written.format(*names)
        attrs = step.attrs or {}
        if op.tensor and show is None:
            # Inside brackets a negative literal needs no parentheses: reshape(x, n, -1).
            names = [
                n[1:-1] if n.startswith("(-") and self.is_const(a) else n
                for n, a in zip(names, step.args)
            ]
        if op.name == "index":
            return f"{names[0]}[{subscripts(attrs.get('spec', ()), names[1:])}]"
        given = [
            f"{k}={_keyword_text(attrs[k])}"
            for k, default in op.keywords
            if k in attrs and attrs[k] != default
        ]
        return f"{op.call_name}({', '.join(names + given)})"

    def is_input(self, i: int) -> bool:
        return self.steps[i].op is OPS["input"]

    def is_const(self, i: int) -> bool:
        return self.steps[i].op is OPS["const"]

    def rule(self, i: int, position: int) -> str:
        """The local partial ∂step/∂operand as text, with the operands' names filled in."""
        step = self.steps[i]
        return fill(step.op.rules[position], [self.operand(a) for a in step.args], self.label(i))

    def live(self) -> list:
        """Which steps the output depends on (itself included): what a pass must visit."""
        live = [False] * len(self.steps)
        live[self.output] = True
        for i in range(self.output, -1, -1):
            if live[i]:
                for a in self.steps[i].args:
                    live[a] = True
        return live


def _keyword_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def subscripts(spec, names) -> str:
    """`i, :, 1:3`: a subscript's items, operands by name and slices as written."""
    names = iter(names)
    items = []
    for item in spec:
        if item is None:
            items.append(next(names))
        else:
            start, stop = item
            items.append(f"{'' if start is None else start}:{'' if stop is None else stop}")
    return ", ".join(items)


def fill(template: str, operands: list, result: str) -> str:
    """A rule text with names (or values) put for {0}, {1} and {y}.

    `where(c, a, b)` on a literal condition is written as the branch it picks: x^2's rule
    reads `2*x^(2-1)`, not `where(2, 2*x^(2-1), 0)`; same value, fewer words."""
    cond, branches = _where_parts(template)
    if cond is not None and cond[1:-1].isdigit() and _is_number(operands[int(cond[1:-1])]):
        template = branches[0] if float(operands[int(cond[1:-1])].strip("()")) else branches[1]
    text = template.replace("{y}", result)
    for k, name in enumerate(operands):
        text = text.replace(f"{{{k}}}", name)
    return text


def _is_number(text: str) -> bool:
    try:
        float(text.strip("()"))
    except ValueError:
        return False
    return True


_WHERE_CACHE: dict = {}


def _where_parts(template: str):
    """`where({1}, A, B)` as ("{1}", (A, B)) when the whole template is one where; else None."""
    if template in _WHERE_CACHE:
        return _WHERE_CACHE[template]
    found: tuple = (None, None)
    if template.startswith("where(") and template.endswith(")"):
        parts, depth, start = [], 0, len("where(")
        for k in range(start, len(template) - 1):
            ch = template[k]
            depth += ch == "("
            depth -= ch == ")"
            if ch == "," and depth == 0:
                parts.append(template[start:k].strip())
                start = k + 1
        parts.append(template[start:-1].strip())
        if len(parts) == 3 and depth == 0:
            found = (parts[0], (parts[1], parts[2]))
    _WHERE_CACHE[template] = found
    return found
