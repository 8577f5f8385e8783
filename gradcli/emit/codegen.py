"""Emit an evaluated tape as a self-contained program, in the Hacker's guide's style.

The forward pass is one primitive per line; the backward pass is one line per chain-rule
term, `da += b * dx`, in the engine's order, each pointing at the forward line it comes
from. The local derivative in each line is the op registry's rule text (Op.rules), parsed
with gradcli's own parser and written out in the target language: there is no second
table of derivatives here, only how each op is spelled in Python and JavaScript.
"""
from __future__ import annotations

import json
import keyword
import unicodedata
from dataclasses import dataclass

from ..core.engine import Evaluation
from ..core.errors import UsageError
from ..core.notation import full
from ..core.ops import CONSTANTS, OPS, RULE_FUNCTIONS, Op
from ..core.tape import Tape

LANGS = ("python", "js")

# Precedence of an emitted expression, loosest first; a literal or a call is an atom.
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5
_INFIX = {"add": ("+", ADD), "sub": ("-", ADD), "mul": ("*", MUL), "div": ("/", MUL),
          "pow": ("**", POW)}


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


_PY_HELPERS = {
    "ln": ("def ln(x):",
           "    # as IEEE floats have it: ln 0 = -inf, and nan for a negative number",
           "    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)"),
    "sigmoid": ("def sigmoid(x):",
                "    if x >= 0:  # two branches so that exp never overflows",
                "        return 1 / (1 + math.exp(-x))",
                "    z = math.exp(x)",
                "    return z / (1 + z)"),
    "softplus": ("def softplus(x):",
                 "    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))"),
    "relu": ("def relu(x):",
             "    return x if x > 0 else 0.0"),
    "heaviside": ("def heaviside(x, at0):",
                  "    # the step function, with the value at 0 given (numpy.heaviside)",
                  "    return 1.0 if x > 0 else (at0 if x == 0 else 0.0)"),
    "sign": ("def sign(x):",
             "    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)"),
}

_JS_HELPERS = {
    "sigmoid": ("function sigmoid(x) {",
                "  if (x >= 0) return 1 / (1 + Math.exp(-x));  // so that exp never overflows",
                "  const z = Math.exp(x);",
                "  return z / (1 + z);",
                "}"),
    "softplus": ("function softplus(x) {",
                 "  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));",
                 "}"),
    "relu": ("function relu(x) {",
             "  return x > 0 ? x : 0;",
             "}"),
    "heaviside": ("function heaviside(x, at0) {",
                  "  // the step function, with the value at 0 given (numpy.heaviside)",
                  "  return x > 0 ? 1 : (x === 0 ? at0 : 0);",
                  "}"),
    "sign": ("function sign(x) {",
             "  return x > 0 ? 1 : (x < 0 ? -1 : 0);",
             "}"),
}

TARGETS = {
    "python": Target(
        "python", "#",
        {"log": "ln", "abs": "abs", "max": "max", "min": "min", "sigmoid": "sigmoid",
         "softplus": "softplus", "relu": "relu", "heaviside": "heaviside", "sign": "sign"},
        "math.{}", {"pi": "math.pi", "e": "math.e"}, _PY_HELPERS, ("import math",),
        "{} = {}", "{} = {}", "{} += {}", 'print({}, {})', "1.0", "0.0"),
    "js": Target(
        "js", "//",
        {"log": "Math.log", "sigmoid": "sigmoid", "softplus": "softplus", "relu": "relu",
         "heaviside": "heaviside", "sign": "sign"},
        "Math.{}", {"pi": "Math.PI", "e": "Math.E"}, _JS_HELPERS, ('"use strict";',),
        "const {} = {};", "let {} = {};", "{} += {};", "console.log({}, {});", "1", "0"),
}

# Names a generated program must not reuse for a value, in either language.
_JS_RESERVED = """break case catch class const continue debugger default delete do else enum
export extends false finally for function if implements import in instanceof interface let
new null package private protected public return static super switch this throw true try
typeof var void while with yield await arguments eval undefined NaN Infinity Math console
globalThis""".split()
RESERVED = (set(keyword.kwlist) | set(_JS_RESERVED) | set(RULE_FUNCTIONS) | set(OPS)
            | {"ln", "math", "print", "abs", "max", "min"} | set(CONSTANTS))


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
        return tape.step_id(i)
    return step.name if step.version == 1 else f"{step.name}_{step.version}"


def _literal(x: float) -> tuple:
    text = full(x)
    if text in ("inf", "-inf", "nan"):
        raise UsageError(f"a constant {text} cannot be written in generated code")
    return text, (UNARY if text.startswith("-") else ATOM)


def apply(op: Op, operands: list, target: Target) -> tuple:
    """`op` applied to operand expressions [(text, precedence)]: (text, precedence)."""
    if op.name == "copy":
        return operands[0]
    if op.name == "neg":
        text, prec = operands[0]
        if prec < UNARY or text.startswith("-"):
            text = f"({text})"
        return f"-{text}", UNARY
    if op.name in _INFIX:
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
        # A conditional expression, so the branch not taken is never evaluated.
        (ct, _), (at, _), (bt, _) = operands
        if target.name == "python":
            return f"({at} if {ct} else {bt})", ATOM
        return f"({ct} !== 0 ? {at} : {bt})", ATOM
    fn = target.functions.get(op.name, target.default.format(op.name))
    return f"{fn}({', '.join(t for t, _ in operands)})", ATOM


def _rule_nodes(template: str):
    """A rule text parsed with gradcli's parser: its flat, post-order node list."""
    from ..language.syntax import parse

    text = template.replace("{y}", "_y")
    for k in range(3):
        text = text.replace("{%d}" % k, f"_{k}")
    syntax = parse(text, functions=RULE_FUNCTIONS)
    if len(syntax.statements) != 1 or syntax.statements[0].kind != "bare":
        raise ValueError(f"the rule {template!r} is not one expression")
    return syntax.nodes, syntax.statements[0].root


_RULE_CACHE: dict = {}


def translate_rule(template: str, operands: list, result: tuple, target: Target) -> tuple:
    """A rule text (`{1}*{0}^({1}-1)`) as target code, with operand expressions filled in."""
    if template not in _RULE_CACHE:
        _RULE_CACHE[template] = _rule_nodes(template)
    nodes, root = _RULE_CACHE[template]
    out = [None] * len(nodes)
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
            out[n] = apply(node.payload, [out[k] for k in node.kids], target)
    return out[root]


def _used_helpers(ops: set, target: Target) -> list:
    names = {target.functions.get(name) for name in ops}
    return [h for h in target.helpers if h in names]


def generate(ev: Evaluation, lang: str = "python") -> str:
    if lang not in TARGETS:
        raise UsageError(f"unknown language {lang!r}", "choose one of: " + ", ".join(LANGS))
    target = TARGETS[lang]
    tape = ev.tape
    steps = tape.steps
    out = tape.output
    c = target.comment

    live = tape.live()  # the forward pass writes only what the output depends on

    names = _Names()
    expr: dict = {}  # step -> (text, precedence) as an operand
    # Every input gets a line and an adjoint, used or not (its gradient is then 0).
    order = [i for i in range(len(steps))
             if (live[i] or tape.is_input(i)) and not tape.is_const(i)]
    named_first = sorted(order, key=lambda i: steps[i].name is None)
    ident = {}
    for i in list(tape.inputs.values()) + named_first:
        if i not in ident:
            ident[i] = names.claim(_base_name(tape, i), tape.step_id(i))
    for i in range(len(steps)):
        if tape.is_const(i) and live[i]:
            step = steps[i]
            expr[i] = ((target.constants[step.text], ATOM) if step.text in target.constants
                       else _literal(step.const))
    for i, name in ident.items():
        expr[i] = (name, ATOM)

    ops_used = {steps[i].op.name for i in order}
    forward, tags, plain = [], {}, {}
    for i in order:
        if tape.is_input(i):
            continue
        tags[i] = len(tags) + 1
        text, _ = apply(steps[i].op, [expr[a] for a in steps[i].args], target)
        plain[i] = f"{ident[i]} = {text}"
        forward.append((target.const_decl.format(ident[i], text), f"({tags[i]})"))

    # The backward pass: one line per contribution the engine made, in its order.
    needs = {con.input for con in ev.contributions}
    adj_of = [i for i in order if i in needs or i == out or tape.is_input(i)]
    adj = {i: names.claim("d" + ident[i], f"dv{i + 1}") for i in adj_of}
    terms_into: dict = {}
    for con in ev.contributions:
        terms_into[con.input] = terms_into.get(con.input, 0) + 1
    backward = []
    for con in ev.contributions:
        step = steps[con.node]
        template = step.op.rules[con.position]
        ops_used.update(_rule_ops(template))
        local, prec = translate_rule(template, [expr[a] for a in step.args],
                                     expr[con.node], target)
        upstream = adj[con.node]
        if local == "1":
            term = upstream
        elif local == "-1":
            term = f"-{upstream}"
        else:
            term = f"{local if prec >= MUL else f'({local})'} * {upstream}"
        note = f"from ({tags[con.node]}) {plain[con.node]}"
        total = terms_into[con.input]
        if total > 1:
            note += f"  [term {con.count} of {total} into {adj[con.input]}]"
        backward.append((target.add_line.format(adj[con.input], term), note))

    lines = [f"{c} Generated by gradcli from this program:"]
    lines += [f"{c}   {line}" for line in tape.source.strip().splitlines()]
    lines += [f"{c} The forward pass computes one primitive per line. The backward pass runs",
              f"{c} the chain rule in reverse: d<name> holds the adjoint d{tape.output_name}/d<name>,",
              f"{c} and each line adds one local derivative times the adjoint above it (+=,",
              f"{c} so a value used twice collects two terms)."]
    for warning in ev.warnings:
        lines += [f"{c} gradcli warns: {part}" for part in warning.splitlines()]
    lines += list(target.head)
    for helper in _used_helpers(ops_used, target):
        lines += [""] + list(target.helpers[helper])
    lines += ["", f"{c} inputs"]
    for name, i in tape.inputs.items():
        lines.append(target.const_decl.format(ident[i], _input_literal(ev.inputs[name])))
    lines += ["", f"{c} forward pass"]
    lines += _aligned(forward, c)
    lines += ["", f"{c} backward pass: the output's adjoint is 1, every other starts at 0"]
    lines.append(target.let_decl.format(adj[out], target.one))
    lines += [target.let_decl.format(adj[i], target.zero) for i in adj_of if i != out]
    lines += _aligned(backward, c)
    lines += ["", f"{c} the output and its gradient"]
    out_name = tape.output_name
    lines.append(target.print_line.format(json.dumps(f"{out_name} ="), ident[out]))
    for name, i in tape.inputs.items():
        lines.append(target.print_line.format(json.dumps(f"d{out_name}/d{name} ="), adj[i]))
    return "\n".join(lines) + "\n"


def _rule_ops(template: str) -> set:
    if template not in _RULE_CACHE:
        _RULE_CACHE[template] = _rule_nodes(template)
    nodes, _ = _RULE_CACHE[template]
    return {n.payload.name for n in nodes if n.kind == "op"}


def _input_literal(x: float) -> str:
    text = repr(float(x))
    if text in ("inf", "-inf", "nan"):
        raise UsageError(f"the input value {text} cannot be written in generated code")
    return text


def _aligned(rows: list, comment: str) -> list:
    """Code with its comment in one column, so the tags line up."""
    if not rows:
        return []
    width = min(max(len(code) for code, _ in rows), 44)
    return [f"{code.ljust(width)}  {comment} {note}" for code, note in rows]
