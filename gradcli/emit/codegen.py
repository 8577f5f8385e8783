"""Emit an evaluated tape as a self-contained program, in the Hacker's guide's style.

The forward pass is one primitive per line; the backward pass is one line per chain-rule
term, in the engine's order, the first into an adjoint assigning it (`da = b * dx`) and
each later one adding to it (`da += a * dx`), as the engine and PyTorch sum them, each pointing at the forward line it comes
from. The local derivative in each line is the op registry's rule text (Op.rules), parsed
with gradcli's own parser and written out in the target language: there is no second
table of derivatives here, only how each op is spelled in Python and JavaScript.

The program computes what `gradcli eval` computes (the same numbers to rounding: Python's
forward pass bit for bit, a rule text's y^2 may round apart from the engine's y*y, and
JavaScript's Math library from Python's in the last digit), and the same inf and nan:
  - local derivatives are IEEE float arithmetic, as the engine's (ops.ieee_div, ieee_pow):
    1/0 is inf and 0^-1 is inf, where Python raises, so the Python backward pass writes
    `/` and `^` with two helpers, fdiv and fpow (JavaScript's own `/` and `**` are IEEE);
  - where the op contract has a gate (Op.gates), a term is exactly 0 even when the adjoint
    arriving is inf or nan: relu, max and min route the gradient, so their terms are
    `routed(local, dv)`; pow's x-term is `gated(c, ...)` (0 at c = 0, as PyTorch masks it);
  - the forward pass is written plainly: the engine has refused any value that is not a
    finite number, so it never reaches a division by zero. Every number is a float, as
    the engine's are: Python would compute with exact integers wherever an integer
    literal is not beside a float (`3 ** 35`, `max(3, x)` returning the 3 itself), so
    there it is written as a float (see _python_floats); a literal -0 is written -0.0,
    with its sign. JavaScript's Math.max(-0, 0) is +0 where the engine's max gives the
    first, so the JavaScript defines max and min as the engine has them.
"""

from __future__ import annotations

import builtins
import json
import keyword
import math
import re
import unicodedata
from dataclasses import dataclass
from itertools import chain

from ..core.engine import Evaluation
from ..core.errors import UsageError
from ..core.notation import contribution_of, full
from ..core.ops import CONSTANTS, OPS, RULE_FUNCTIONS, Op
from ..core.tape import Tape

LANGS = ("python", "js", "numpy")
SCALAR_LANGS = ("python", "js")

# Precedence of an emitted expression, loosest first; a literal or a call is an atom.
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5
_INFIX = {
    "add": ("+", ADD),
    "sub": ("-", ADD),
    "mul": ("*", MUL),
    "div": ("/", MUL),
    "pow": ("**", POW),
}


@dataclass(frozen=True)
class Target:
    name: str
    comment: str
    functions: dict  # op name -> callable's name, where it differs from the default
    default: str  # "math.{}": how other functions are called
    constants: dict  # "pi" -> "math.pi"
    helpers: dict  # helper name -> its definition, emitted only when used
    head: tuple  # lines before the helpers
    const_decl: str  # "{} = {}" / "const {} = {};"
    let_decl: str
    add_line: str  # "{} += {}" / "{} += {};"
    print_line: str
    one: str  # how the seed 1 and the zero start are written
    zero: str
    # How a local derivative spells an infix op where the language's own operator is not
    # IEEE arithmetic: "div" -> "fdiv" (Python raises at 1/0).
    ieee: dict
    # Integer literals are exact integers (Python), not floats: where one could flow into
    # arithmetic it is written as a float (_python_floats), so it rounds as the engine does.
    exact_ints: bool


_PY_HELPERS = {
    "ln": (
        "def ln(x):",
        "    # as IEEE floats have it: ln 0 = -inf, and nan for a negative number",
        "    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)",
    ),
    "sigmoid": (
        "def sigmoid(x):",
        "    if x >= 0:  # two branches so that exp never overflows",
        "        return 1 / (1 + math.exp(-x))",
        "    z = math.exp(x)",
        "    return z / (1 + z)",
    ),
    "softplus": (
        "def softplus(x):",
        "    # PyTorch's softplus: x itself above 20 (its threshold), else ln(1 + e^x)",
        "    return x if x > 20 else math.log1p(math.exp(x))",
    ),
    "relu": (
        "def relu(x):",
        "    return x if x >= 0 else 0.0  # relu(-0.0) is -0.0, as in PyTorch",
    ),
    "heaviside": (
        "def heaviside(x, at0):",
        "    # the step function, with the value at 0 given (numpy.heaviside)",
        "    return 1.0 if x > 0 else (at0 if x == 0 else 0.0)",
    ),
    "sign": ("def sign(x):", "    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)"),
    "fdiv": (
        "def fdiv(a, b):",
        "    # a / b as IEEE floats have it: Python raises at b = 0, floats give ±inf or nan",
        "    if b != 0:",
        "        return a / b",
        "    if a == 0 or a != a:",
        "        return math.nan",
        "    return math.copysign(math.inf, a) * math.copysign(1.0, b)",
    ),
    "fpow": (
        "def fpow(x, c):",
        "    # x ** c as IEEE floats have it: Python raises where floats give ±inf or nan",
        "    odd = float(c).is_integer() and abs(c) < 2.0 ** 53 and int(c) % 2 == 1",
        "    try:",
        "        return math.pow(x, c)",
        "    except (ValueError, ZeroDivisionError):",
        "        # 0 to a negative power, or a negative base to a fraction",
        "        if x == 0:",
        "            return math.copysign(math.inf, x) if odd else math.inf",
        "        return math.nan",
        "    except OverflowError:",
        "        return -math.inf if x < 0 and odd else math.inf",
    ),
    "gated": (
        "def gated(gate, term):",
        "    # PyTorch masks here: the term is exactly 0 where the gate is 0 (x^c's x-term",
        "    # at c = 0), even when the adjoint above is inf or nan (0 * nan would be nan)",
        "    return 0.0 if gate == 0 else term",
    ),
    "routed": (
        "def routed(local, upstream):",
        "    # relu, max and min route the gradient: a branch not taken gets exactly 0,",
        "    # even when the adjoint above is inf or nan (0 * nan would be nan)",
        "    return 0.0 if local == 0 else local * upstream",
    ),
}

_JS_HELPERS = {
    "sigmoid": (
        "function sigmoid(x) {",
        "  if (x >= 0) return 1 / (1 + Math.exp(-x));  // so that exp never overflows",
        "  const z = Math.exp(x);",
        "  return z / (1 + z);",
        "}",
    ),
    "softplus": (
        "function softplus(x) {",
        "  // PyTorch's softplus: x itself above 20 (its threshold), else ln(1 + e^x)",
        "  return x > 20 ? x : Math.log1p(Math.exp(x));",
        "}",
    ),
    "relu": (
        "function relu(x) {",
        "  return x >= 0 ? x : 0;  // relu(-0) is -0, as in PyTorch",
        "}",
    ),
    "max": (
        "function max(a, b) {",
        "  return b > a ? b : a;  // of 0 and -0 the first, where Math.max says 0",
        "}",
    ),
    "min": (
        "function min(a, b) {",
        "  return b < a ? b : a;  // of 0 and -0 the first, where Math.min says -0",
        "}",
    ),
    "heaviside": (
        "function heaviside(x, at0) {",
        "  // the step function, with the value at 0 given (numpy.heaviside)",
        "  return x > 0 ? 1 : (x === 0 ? at0 : 0);",
        "}",
    ),
    "sign": ("function sign(x) {", "  return x > 0 ? 1 : (x < 0 ? -1 : 0);", "}"),
    "gated": (
        "function gated(gate, term) {",
        "  // PyTorch masks here: the term is exactly 0 where the gate is 0 (x^c's x-term",
        "  // at c = 0), even when the adjoint above is inf or nan (0 * NaN would be NaN)",
        "  return gate === 0 ? 0 : term;",
        "}",
    ),
    "routed": (
        "function routed(local, upstream) {",
        "  // relu, max and min route the gradient: a branch not taken gets exactly 0,",
        "  // even when the adjoint above is inf or nan (0 * NaN would be NaN)",
        "  return local === 0 ? 0 : local * upstream;",
        "}",
    ),
}

TARGETS = {
    "python": Target(
        "python",
        "#",
        {
            "log": "ln",
            "abs": "abs",
            "max": "max",
            "min": "min",
            "sigmoid": "sigmoid",
            "softplus": "softplus",
            "relu": "relu",
            "heaviside": "heaviside",
            "sign": "sign",
        },
        "math.{}",
        {"pi": "math.pi", "e": "math.e"},
        _PY_HELPERS,
        ("import math",),
        "{} = {}",
        "{} = {}",
        "{} += {}",
        "print({}, {})",
        "1.0",
        "0.0",
        {"div": "fdiv", "pow": "fpow"},
        True,
    ),
    "js": Target(
        "js",
        "//",
        {
            "log": "Math.log",
            "max": "max",
            "min": "min",
            "sigmoid": "sigmoid",
            "softplus": "softplus",
            "relu": "relu",
            "heaviside": "heaviside",
            "sign": "sign",
        },
        "Math.{}",
        {"pi": "Math.PI", "e": "Math.E"},
        _JS_HELPERS,
        ('"use strict";',),
        "const {} = {};",
        "let {} = {};",
        "{} += {};",
        "console.log({}, {});",
        "1",
        "0",
        {},
        False,
    ),
}

# Names a generated program must not reuse for a value, in either language: keywords,
# what the helpers and the program call (math, Math, console, float, int, ValueError, ...),
# and every Python builtin (a value named `int` would shadow the one fpow calls), with
# __debug__ (which Python cannot assign) and __builtins__.
_JS_RESERVED = """break case catch class const continue debugger default delete do else enum
export extends false finally for function if implements import in instanceof interface let
new null package private protected public return static super switch this throw true try
typeof var void while with yield await arguments eval undefined NaN Infinity Math console
globalThis""".split()
RESERVED = (
    set(keyword.kwlist)
    | set(_JS_RESERVED)
    | set(RULE_FUNCTIONS)
    | set(OPS)
    | {"ln", "math", "print", "abs", "max", "min"}
    | set(CONSTANTS)
    | set(_PY_HELPERS)
    | set(_JS_HELPERS)
    | set(dir(builtins))
    | {"__debug__", "__builtins__"}
)


def _ident_key(name: str) -> str:
    # Python reads identifiers NFKC-normalised: two spellings may be one variable.
    return unicodedata.normalize("NFKC", name)


class _Names:
    """Unique, valid identifiers for the tape's values and their adjoints."""

    def __init__(self):
        self.taken = {_ident_key(r) for r in RESERVED}

    def claim(self, want: str, fallback: str) -> str:
        if not want.isidentifier():
            want = fallback
        name = want
        while _ident_key(name) in self.taken:
            name += "_"
        self.taken.add(_ident_key(name))
        return name


def _base_name(tape: Tape, i: int) -> str:
    step = tape.steps[i]
    if step.name is None:
        return tape.label(i)  # v1, v2, ...: the name the tables give it
    return step.name if step.version == 1 else f"{step.name}_{step.version}"


def _literal(x: float) -> tuple:
    # -0.0 as the tape holds it (`-0`, `-0.0`): full() writes it "0", and Python's -0 is 0.
    text = "-0.0" if x == 0 and math.copysign(1.0, x) < 0 else full(x)
    if text in ("inf", "-inf", "nan"):
        raise UsageError(f"a constant {text} cannot be written in generated code")
    return text, (UNARY if text.startswith("-") else ATOM)


_NUMBER = re.compile(r"-?\d[\d.]*(?:e[-+]?\d+)?")


def _literal_value(text: str):
    """The number an emitted literal stands for (`2`, `-0.5`, `1e+200`), else None."""
    return float(text) if _NUMBER.fullmatch(text) else None


def _float_literal(operand: tuple) -> tuple:
    """An integer literal (`3`) written as a float (`3.0`); anything else as it is."""
    text, prec = operand
    if _literal_value(text) is not None and not any(ch in text for ch in ".e"):
        return f"{text}.0", prec
    return operand


def _python_floats(operands: list, infix: bool) -> list:
    """Python's operands, so that no integer reaches its arithmetic.

    The rule: an integer literal stays as written only as one operand of + - * / ** whose
    other operand is not a literal; everywhere else (both operands literals, a function's
    argument, negation, a copy, where's branches) it is written as a float. Then every
    expression that is not a bare literal is a float, by induction: inputs are floats;
    beside a float, an integer literal (below 1e15 as full() writes it, so exact) is
    converted to the same float the engine holds; and every function the program calls,
    math's and the helpers', returns a float given floats. max(3, x) is max(3.0, x), which
    can return 3.0 but never the int 3, whose ** 35 would be exact."""
    if infix and sum(_literal_value(t) is not None for t, _ in operands) == 1:
        return operands
    return [_float_literal(o) for o in operands]


def apply(op: Op, operands: list, target: Target, rule: bool = False) -> tuple:
    """`op` applied to operand expressions [(text, precedence)]: (text, precedence).
    `rule`: the expression is a local derivative, where `/` and `^` must be IEEE."""
    helper = target.ieee.get(op.name) if rule and op.name in _INFIX else None
    if helper and op.name == "div" and _literal_value(operands[1][0]):
        helper = None  # A literal divisor other than 0 cannot raise: `/` stays.
    if target.exact_ints:
        operands = _python_floats(operands, op.name in _INFIX and not helper)
    if op.name == "copy":
        return operands[0]
    if op.name == "neg":
        text, prec = operands[0]
        if prec < UNARY or text.startswith("-"):
            text = f"({text})"
        return f"-{text}", UNARY
    if op.name in _INFIX:
        if helper:
            return f"{helper}({operands[0][0]}, {operands[1][0]})", ATOM
        sym, prec = _INFIX[op.name]
        (lt, lp), (rt, rp) = operands
        if prec == POW:
            # Python and JavaScript both refuse or misread `-a ** b`: the base is an atom.
            lt = lt if lp == ATOM else f"({lt})"
            rt = rt if rp >= UNARY else f"({rt})"
        else:
            # Same grouping as the tape, so floats round as the engine's do.
            lt = lt if lp >= prec else f"({lt})"
            rt = rt if rp > prec else f"({rt})"
        return f"{lt} {sym} {rt}", prec
    if op.name == "where":
        (ct, _), then, other = operands
        picked = _literal_value(ct)
        if picked is not None:
            # On a literal, the branch it picks (as the tables show it: tape.fill).
            return then if picked else other
        if target.name == "numpy":  # element by element: both branches are computed
            return f"np.where({ct}, {then[0]}, {other[0]})", ATOM
        # A conditional expression, so the branch not taken is never evaluated.
        if target.name == "python":
            return f"({then[0]} if {ct} else {other[0]})", ATOM
        return f"({ct} !== 0 ? {then[0]} : {other[0]})", ATOM
    fn = target.functions.get(op.name, target.default.format(op.name))
    return f"{fn}({', '.join(t for t, _ in operands)})", ATOM


def _rule_nodes(template: str):
    """A rule text parsed with gradcli's parser: its flat, post-order node list."""
    if template in _RULE_CACHE:
        return _RULE_CACHE[template]
    from ..language.syntax import parse

    text = template.replace("{y}", "_y")
    for k in range(3):
        text = text.replace(f"{{{k}}}", f"_{k}")
    syntax = parse(text, functions=RULE_FUNCTIONS)
    if len(syntax.statements) != 1 or syntax.statements[0].kind != "bare":
        raise ValueError(f"the rule {template!r} is not one expression")
    _RULE_CACHE[template] = syntax.nodes, syntax.statements[0].root
    return _RULE_CACHE[template]


_RULE_CACHE: dict = {}


def translate_rule(template: str, operands: list, result: tuple, target: Target) -> tuple:
    """A rule text (`{1}*{0}^({1}-1)`) as target code, with operand expressions filled in."""
    nodes, root = _rule_nodes(template)
    out: list = [None] * len(nodes)
    for n, node in enumerate(nodes):  # post-order: every node's kids come before it
        if node.kind == "num":
            out[n] = _literal(node.payload)
        elif node.kind == "name":
            name = node.payload
            if name == "_y":
                out[n] = result
            elif name.startswith("_") and name[1:].isdigit():
                out[n] = operands[int(name[1:])]
            elif name in CONSTANTS:
                out[n] = (target.constants[name], ATOM)
            else:
                raise ValueError(f"the rule {template!r} uses the unknown name {name!r}")
        else:
            out[n] = apply(node.payload, [out[k] for k in node.kids], target, rule=True)
    return out[root]


@dataclass
class _Program:
    """What every part of the generated program refers to: identifiers and operands."""

    ev: Evaluation
    target: Target
    names: _Names
    order: list  # the steps that get a line, in evaluation order
    ident: dict  # step -> identifier
    expr: dict  # step -> (text, precedence) as an operand: its identifier or its literal

    @property
    def tape(self) -> Tape:
        return self.ev.tape


def _layout(ev: Evaluation, target: Target) -> _Program:
    """Name the values the program computes; literals are written in place."""
    tape = ev.tape
    steps = tape.steps
    live = tape.live()  # the forward pass writes only what the output depends on
    # Every input gets a line and an adjoint, used or not (its gradient is then 0).
    # The output always gets a line, even when it is a literal (`c = 3; c = 4`).
    order = [
        i
        for i in range(len(steps))
        if (live[i] or tape.is_input(i)) and (not tape.is_const(i) or i == tape.output)
    ]
    names = _Names()
    ident: dict = {}
    named_first = sorted(order, key=lambda i: steps[i].name is None)
    for i in list(tape.inputs.values()) + named_first:
        if i not in ident:
            ident[i] = names.claim(_base_name(tape, i), tape.step_id(i))
    expr: dict = {}
    for i in range(len(steps)):
        if tape.is_const(i) and live[i]:
            expr[i] = _constant(steps[i], target)
    for i, name in ident.items():
        expr[i] = (name, ATOM)
    return _Program(ev, target, names, order, ident, expr)


def _constant(step, target: Target) -> tuple:
    if step.text in target.constants:
        return target.constants[step.text], ATOM
    return _literal(step.const)


def _forward(p: _Program) -> tuple:
    """One line per step: rows (code, "(tag)"), each step's tag, and its line as a note."""
    tape, target = p.tape, p.target
    rows: list = []
    tags: dict = {}
    plain: dict = {}
    for i in p.order:
        if tape.is_input(i):
            continue
        if tape.is_const(i):  # the output is a literal: a float, as the engine's value
            text, _ = _float_literal(_constant(tape.steps[i], target))
        else:
            operands = [p.expr[a] for a in tape.steps[i].args]
            text, _ = apply(tape.steps[i].op, operands, target)
        tags[i] = len(tags) + 1
        plain[i] = f"{p.ident[i]} = {text}"
        rows.append((target.const_decl.format(p.ident[i], text), f"({tags[i]})"))
    return rows, tags, plain


def _adjoints(p: _Program) -> dict:
    """step -> the name of its adjoint, for every step a term flows into or out of."""
    tape = p.tape
    needs = {con.input for con in p.ev.contributions}
    return {
        i: p.names.claim("d" + p.ident[i], f"dv{i + 1}")
        for i in p.order
        if i in needs or i == tape.output or tape.is_input(i)
    }


def _term(p: _Program, con, upstream: str) -> str:
    """One chain-rule term, local derivative × upstream adjoint, as the engine forms it."""
    step = p.tape.steps[con.node]
    template = step.op.rules[con.position]
    local, prec = translate_rule(
        template, [p.expr[a] for a in step.args], p.expr[con.node], p.target
    )
    kind = step.op.gates[con.position] if step.op.gates else None
    if kind == "local":
        return f"routed({local}, {upstream})"
    if kind is not None:
        gate = p.expr[step.args[kind]]
        if not p.tape.is_const(step.args[kind]):
            return f"gated({gate[0]}, {_product(local, prec, upstream)})"
        if p.tape.steps[step.args[kind]].const == 0:
            return p.target.zero  # the gate is shut for good: x^0's x-term is exactly 0
    return _product(local, prec, upstream)


def _product(local: str, prec: int, upstream: str) -> str:
    if local == "1":
        return upstream
    if local == "-1":
        return f"-{upstream}"
    return f"{local if prec >= MUL else f'({local})'} * {upstream}"


def _backward(p: _Program, adj: dict) -> list:
    """The code of one line per contribution the engine made, in its order: an adjoint's
    first contribution assigns it (`da = b * dv2`, so a lone -0.0 stays -0.0, as in the
    engine and PyTorch) and each later one adds to it (`da += ...`)."""
    first, add, term = p.target.let_decl, p.target.add_line, _term
    return [
        (first if con.count == 1 else add).format(adj[con.input], term(p, con, adj[con.node]))
        for con in p.ev.contributions
    ]


def _backward_notes(p: _Program, adj: dict, tags: dict, plain: dict):
    """The note beside each of _backward's lines, in the same order (made as they are
    written, not kept)."""
    contributions = p.ev.contributions
    terms_into: dict = {}
    for con in contributions:
        terms_into[con.input] = terms_into.get(con.input, 0) + 1
    for con in contributions:
        note = f"from ({tags[con.node]}) {plain[con.node]}"
        total = terms_into[con.input]
        if total > 1:
            note += f"  [{contribution_of(con.count, total, adj[con.input])}]"
        yield note


def _header(ev: Evaluation, c: str, out: str) -> list:
    """`out`: the output's name in the code (f_2 where the program rebinds f, whose first
    value keeps the name f and its adjoint df)."""
    tape = ev.tape
    lines = [f"{c} Generated by gradcli from this program:"]
    lines += [f"{c}   {_utf8(line)}" for line in tape.source.strip().splitlines()]
    lines += [
        f"{c} The forward pass computes one primitive per line. The backward pass runs",
        f"{c} the chain rule in reverse: d<name> holds the adjoint d{out}/d<name>,",
        f"{c} and each line is one contribution, a local derivative times the",
        f"{c} adjoint above it. A value's first contribution is assigned (=) and each",
        f"{c} later one added (+=), as PyTorch sums them, so a value used twice",
        f"{c} collects both.",
    ]
    for warning in ev.warnings:
        lines += [f"{c} gradcli warns: {_utf8(part)}" for part in warning.splitlines()]
    return lines


def _utf8(text: str) -> str:
    """Comment text that encodes in UTF-8 and that a terminal only shows: a command line
    that is not UTF-8 reaches Python as lone surrogates, written as their escapes
    (\\udce9), and control characters (ESC, CR, U+2028, bidi overrides) as theirs
    (core/visible.py), so neither `cat` of the file nor an editor runs or reorders them."""
    from ..core.visible import visible

    return visible(text, lines=False)


def _string(text: str) -> str:
    """A string literal, the same in Python and JavaScript, for any name: JSON's escapes
    mean the same in both, and the characters themselves are written as they are (ASCII
    escapes would split a name beyond the BMP, 𝑥, into a surrogate pair, which is
    JavaScript's spelling of it but two lone surrogates to Python)."""
    return json.dumps(text, ensure_ascii=False)


def _helpers(code, target: Target) -> list:
    """The definitions of the helpers that the code (an iterable of lines) calls, in the
    table's order."""
    # Helper names are reserved, so a call can only be the helper's. One pattern for all
    # of them, one scan of each line: no two names can match at one place (each match
    # ends in its own `(`), so this finds every helper that some line calls.
    called = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, target.helpers)) + r")\(")
    found: set = set()
    for text in code:
        if "(" in text:
            found.update(called.findall(text))
    lines = []
    for name, definition in target.helpers.items():
        if name in found:
            lines += [""] + list(definition)
    return lines


def generate(ev: Evaluation, lang: str = "python") -> str:
    if lang == "numpy":
        from .numpy_code import generate_numpy

        return generate_numpy(ev)
    return "".join(generate_pieces(ev, lang))


def generate_pieces(ev: Evaluation, lang: str = "python"):
    """generate()'s text in pieces, each ending in a newline: a big program's code is
    written as it is made. Every check that can refuse the program (a constant that
    cannot be written) runs before the first piece is given out."""
    if lang == "numpy":
        from .numpy_code import numpy_pieces

        yield from numpy_pieces(ev)
        return
    if lang not in TARGETS:
        raise UsageError(f"unknown language {lang!r}", "choose one of: " + ", ".join(LANGS))
    if ev.tape.tensor:
        raise UsageError(
            f"{_LANG_NAMES[lang]} code is written for programs of numbers only, "
            "and this program has arrays",
            "NumPy code (the numpy language) handles arrays",
        )
    target = TARGETS[lang]
    c = target.comment
    p = _layout(ev, target)
    tape = ev.tape
    forward, tags, plain = _forward(p)
    adj = _adjoints(p)
    backward = _backward(p, adj)
    out, out_name = tape.output, tape.output_name
    inputs = [
        target.const_decl.format(p.ident[i], _input_literal(ev.inputs[name]))
        for name, i in tape.inputs.items()
    ]
    helpers = _helpers(chain((code for code, _ in forward), backward), target)
    # Each pass's comments in a column of their own, as far right as its longest line
    # (at most COMMENT_COLUMN).
    forward_width = _width(code for code, _ in forward)
    backward_width = _width(backward)

    lines = _header(ev, c, p.ident[out]) + list(target.head) + helpers
    lines += ["", f"{c} inputs"] + inputs + ["", f"{c} forward pass"]
    yield "".join(line + "\n" for line in lines)
    yield from _aligned(forward, c, forward_width)
    lines = ["", f"{c} backward pass: the output's adjoint is 1"]
    lines.append(target.let_decl.format(adj[out], target.one))
    reached = {con.input for con in ev.contributions}
    for i, name in adj.items():
        if i != out and i not in reached:  # an input the output does not use
            code = target.let_decl.format(name, target.zero)
            why = f"no contribution reaches {name}: {p.ident[out]} does not use {p.ident[i]}"
            lines.append(f"{code}  {c} {why}")
    yield "".join(line + "\n" for line in lines)
    notes = _backward_notes(p, adj, tags, plain)
    yield from _aligned(zip(backward, notes), c, backward_width)
    lines = ["", f"{c} the output and its gradient"]
    lines.append(target.print_line.format(_string(f"{out_name} ="), p.ident[out]))
    lines += [
        target.print_line.format(_string(f"d{out_name}/d{name} ="), adj[i])
        for name, i in tape.inputs.items()
    ]
    yield "".join(line + "\n" for line in lines)


_LANG_NAMES = {"python": "Python", "js": "JavaScript"}


def _input_literal(x: float) -> str:
    text = repr(float(x))
    if text in ("inf", "-inf", "nan"):
        raise UsageError(f"the input value {text} cannot be written in generated code")
    return text


def _width(codes) -> int:
    """Where the comments start: after the longest code line, at most COMMENT_COLUMN."""
    width = 0
    for code in codes:
        if len(code) > width:
            width = len(code)
            if width >= COMMENT_COLUMN:
                return COMMENT_COLUMN
    return width


COMMENT_COLUMN = 44


def _aligned(rows, comment: str, width: int):
    """Code lines, each with its comment at `width`, so the tags line up."""
    for code, note in rows:
        yield f"{code.ljust(width)}  {comment} {note}\n"
