"""Short lessons, one per idea. Each builds Steps from programs the engine evaluates.

Rules are the registry's (tape.rule / op.rules / op.kink); numbers are engine values,
forward passes or finite differences measured on the program. Nothing is typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.engine import Evaluation, evaluate
from ..core.errors import UnknownName, close_matches, quoted_or
from ..core.notation import Notation, added, assigns, fmt, product
from ..core.ops import OPS
from ..core.tape import fill
from ..language.lower import compile_program
from ..modes.forward_mode import tangent_trace
from .tensor_topics import TENSOR_TOPICS
from .walkthrough import (
    Step,
    central_difference,
    chain_lines,
    chain_of,
    count_paths,
    factor,
    in_words,
    num,
    output_at,
    substituted,
)


@dataclass(frozen=True)
class Topic:
    name: str
    summary: str
    build: Callable[[Notation], list]
    arrays: bool = False  # a lesson on arrays (tensor_topics.py): no quiz practises it yet


def run(source: str, values: dict) -> Evaluation:
    return evaluate(compile_program(source, tuple(values)), values)


def index(tape, name: str) -> int:
    return next(i for i, s in enumerate(tape.steps) if s.name == name)


def forward_lines(ev: Evaluation) -> list:
    tape = ev.tape
    return [
        f"{tape.label(i)} = {tape.expression(i)} = {substituted(tape, ev.values, i)}"
        f" = {fmt(ev.values[i])}"
        for i, s in enumerate(tape.steps)
        if s.args
    ]


def forward_step(title: str, ev: Evaluation, intro: str) -> Step:
    given = ", ".join(f"{n} = {fmt(v)}" for n, v in ev.inputs.items())
    return Step(title).say(intro, f"With {given}:").show(*forward_lines(ev))


def check_rows(ev: Evaluation, nt: Notation) -> list:
    """(input, engine gradient, central difference measured on the output) for every input."""
    tape = ev.tape
    return [
        (name, fmt(g), fmt(central_difference(tape, ev.inputs, name)))
        for name, g in ev.gradient.items()
    ]


def check_table(s: Step, ev: Evaluation, nt: Notation) -> Step:
    out = ev.tape.output_name
    return s.table(
        ("input", f"{nt.partial(out, '·')} by backprop", f"measured: ({out}(+h) − {out}(−h))/2h"),
        check_rows(ev, nt),
    )


def chains(s: Step, ev: Evaluation, nt: Notation) -> Step:
    paths = count_paths(ev.tape)
    for name in ev.tape.inputs:
        s.show(*chain_lines(chain_of(ev, name, nt, paths), ev.tape.output_label, nt))
    return s


# --- the topics ----------------------------------------------------------------------------
def add_topic(nt: Notation) -> list:
    ev = run("q = x + y\nf = q * z", {"x": -2.0, "y": 5.0, "z": -4.0})
    tape = ev.tape
    iq = index(tape, "q")
    qbar = ev.adjoints[iq]
    s1 = forward_step("Add: the forward pass", ev, "Karpathy's circuit: q = x + y feeds f = q·z.")
    s2 = Step("Add distributes the gradient")
    rules = [nt.math(tape.rule(iq, p)) for p in (0, 1)]
    s2.say(
        f"The add gate's rule (gradcli's): {nt.partial('q', 'x')} = {rules[0]}, "
        f"{nt.partial('q', 'y')} = {rules[1]}. {OPS['add'].about.capitalize()}.",
        f"{nt.bar('q')} = {fmt(qbar)} arrives (it is z), so both inputs receive it:",
    )
    s2.show(
        *[
            f"{nt.bar(tape.label(c.input))} {assigns(c.count)} "
            f"{factor(nt.math(tape.rule(iq, c.position)))}"
            f"{nt.times}{nt.bar('q')} = {product((fmt(c.local), fmt(c.upstream)), nt.times)} = "
            f"{fmt(c.contribution)}"
            for c in ev.contributions
            if c.node == iq
        ]
    )
    s2.say(
        f"Nudge x by h and q moves by exactly h, so f moves by {nt.bar('q')}·h: no scaling "
        "by the other input, unlike the multiply gate. Measured on f:"
    )
    check_table(s2, ev, nt)
    return [s1, s2]


def fan_out_topic(nt: Notation) -> list:
    ev = run("x = a * b\ny = a + c\nf = x * y", {"a": 2.0, "b": 3.0, "c": 1.0})
    tape = ev.tape
    ia = tape.inputs["a"]
    to_a = [c for c in ev.contributions if c.input == ia]
    s1 = forward_step(
        "Fan-out: a value used twice",
        ev,
        "a feeds both x = a·b and y = a + c, so there are two paths from a to f.",
    )
    s2 = Step("Each path contributes; the contributions add")
    for c in to_a:
        s2.show(
            f"via {tape.label(c.node)}: {nt.bar('a')} += "
            f"{factor(nt.math(tape.rule(c.node, c.position)))}{nt.times}"
            f"{nt.bar(tape.label(c.node))} = {product((fmt(c.local), fmt(c.upstream)), nt.times)} = "
            f"{fmt(c.contribution)}"
        )
    s2.say("As a sum over paths of products of local derivatives:")
    s2.show(*chain_lines(chain_of(ev, "a", nt), tape.output_label, nt))
    s2.say(
        f"Measured on f: {fmt(central_difference(tape, ev.inputs, 'a'))}. Nudging a moves "
        f"x AND y, and f feels both."
    )
    s3 = Step("The two classic slips")
    s3.say(
        f"Counting one path only gives {' or '.join(fmt(c.contribution) for c in to_a)}. "
        f"Writing `da = ...` instead of `da += ...` keeps only the contribution processed "
        f"last in the reverse sweep: {fmt(to_a[-1].contribution)}. Both are wrong: "
        f"{nt.bar('a')} = {fmt(ev.gradient['a'])}.",
        "This is why backprop code accumulates (+=) and zeroes gradients before each pass.",
    )
    return [s1, s2, s3]


def chain_topic(nt: Notation) -> list:
    source = "x1 = 3 * a\nx2 = sin(x1)\nx3 = x2 ^ 2\nf = exp(x3)"
    ev = run(source, {"a": 0.4})
    tape = ev.tape
    s1 = forward_step(
        "Chain: one path through many gates", ev, "A chain: each value feeds only the next one."
    )
    s2 = Step("Backward: multiply one local derivative per gate")
    s2.say(
        f"Reverse mode starts at {nt.bar('f')} = 1 and walks down; each gate multiplies "
        "what arrives by its own local derivative (gradcli's rule for that gate):"
    )
    rows = []
    for c in ev.contributions:
        rule = nt.math(tape.rule(c.node, c.position))
        rows.append(
            (
                f"{tape.label(c.node)} → {tape.label(c.input)}",
                f"{nt.partial(tape.label(c.node), tape.label(c.input))} = {rule}"
                + (f" = {fmt(c.local)}" if rule != fmt(c.local) else ""),
                f"{nt.bar(tape.label(c.input))} = {product((fmt(c.local), fmt(c.upstream)), nt.times)}"
                f" = {fmt(c.contribution)}",
            )
        )
    s2.table(("gate", "local derivative", "adjoint"), rows)
    s3 = Step("The whole chain is one product")
    s3.say("With one path, ∂f/∂a is the product of the local derivatives along it:")
    chains(s3, ev, nt)
    s3.say(f"Measured on f: {fmt(central_difference(tape, ev.inputs, 'a'))}.")
    depth = 50
    deep = run(
        "\n".join(["x0 = a"] + [f"x{k} = sigmoid(x{k - 1})" for k in range(1, depth + 1)]),
        {"a": 0.4},
    )
    s4 = Step(f"A deep chain: {depth} sigmoids")
    s4.say(
        f"x{depth} = σ(σ(…σ(a)…)), {depth} gates deep. The same iteration walks it (and a "
        "chain 10,000 gates deep): no recursion, one multiply per gate. Each sigmoid's "
        "local derivative is at most 1/4, so the product shrinks fast:"
    )
    s4.show(*chain_lines(chain_of(deep, "a", nt), deep.tape.output_label, nt))
    s4.say("This is the vanishing gradient: a long product of small local derivatives.")
    return [s1, s2, s3, s4]


def sigmoid_topic(nt: Notation) -> list:
    ev = run("q = w * x + b\nf = sigmoid(q)", {"w": 1.5, "x": 2.0, "b": -1.0})
    tape = ev.tape
    iq, i_f = index(tape, "q"), tape.output
    q, f = ev.values[iq], ev.value
    sig = tape.steps[i_f].op
    right = nt.math(tape.rule(i_f, 0))
    local = next(c.local for c in ev.contributions if c.node == i_f)
    # The slip: the output-form rule evaluated with the input instead of the output.
    slip_text = fill(sig.rules[0], ["q"], "q")
    slip = run(f"g = {slip_text}", {"q": q}).value
    twice = run(f"g = {fill(sig.rules[0], ['s'], 'sigmoid(s)')}", {"s": f}).value
    s1 = forward_step("Sigmoid: a neuron σ(w·x + b)", ev, "One neuron: q = w·x + b, f = σ(q).")
    s2 = Step("The local derivative is written with the output")
    s2.say(
        f"gradcli's rule for sigmoid: {nt.partial('f', 'q')} = {right}, i.e. "
        f"σ(q)·(1 − σ(q)), written with the output f = σ(q) = {fmt(f)}, not with q."
    )
    s2.show(
        f"{nt.partial('f', 'q')} = {right} = {fmt(f)}{nt.times}(1 − {num(f)}) = {fmt(local)}",
        f"measured on f: {fmt(central_difference(compile_program('f = sigmoid(q)', ('q',)), {'q': q}, 'q'))}",
    )
    s2.say(
        f"The slip (it was in the Hacker's guide itself): evaluating the formula with q "
        f"instead of f, σ'(q) = {nt.math(slip_text)}:"
    )
    s2.show(
        f"wrong: {nt.math(slip_text)} = {fmt(q)}{nt.times}(1 − {num(q)}) = {fmt(slip)}",
        f"right: {right} = {fmt(local)}",
    )
    s2.say(
        f"A slope of {fmt(slip)} for a function that only rises is impossible. The other "
        f"slip, applying σ twice (σ(f)·(1 − σ(f))), gives {fmt(twice)}."
    )
    s3 = Step("Into the weights")
    s3.say(
        f"{nt.bar('q')} = {fmt(ev.adjoints[iq])} arrives at the add and multiply gates, which "
        "distribute and swap it:"
    )
    chains(s3, ev, nt)
    check_table(s3, ev, nt)
    return [s1, s2, s3]


def max_relu_topic(nt: Notation) -> list:
    mx, relu = OPS["max"], OPS["relu"]
    assert mx.kink is not None and relu.kink is not None  # both have a convention at a kink
    s1 = Step("max routes the gradient")
    ev = run("f = max(a, b)", {"a": 3.0, "b": 1.0})
    s1.say(
        f"{mx.about.capitalize()}. Rules: "
        + "; ".join(
            f"{nt.partial('f', ev.tape.label(c.input))} = {nt.math(ev.tape.rule(c.node, c.position))}"
            f", that is {in_words(nt.math(ev.tape.rule(c.node, c.position)))[1:-1]}"
            for c in ev.contributions
        )
        + "."
    )
    s1.show(*forward_lines(ev))
    check_table(s1, ev, nt)
    s1.say("Nudging the smaller input does not change the max at all: it gets 0.")
    s2 = Step("relu: a max with 0, and its kink")
    tape = compile_program("f = relu(x)", ("x",))
    rows = []
    h = 1e-6
    for x in (2.0, -1.0, 0.0):
        e = evaluate(tape, {"x": x})
        right = (output_at(tape, {"x": x + h}) - output_at(tape, {"x": x})) / h
        left = (output_at(tape, {"x": x}) - output_at(tape, {"x": x - h})) / h
        rows.append((fmt(x), fmt(e.value), fmt(e.gradient["x"]), fmt(left), fmt(right)))
    rule = nt.math(fill(relu.rules[0], ["x"], "f"))
    s2.say(
        f"{relu.about.capitalize()}. Rule: {nt.partial('f', 'x')} = {rule}, that is "
        f"{in_words(rule)[1:-1]}."
    )
    s2.table(
        ("x", "relu(x)", "gradient (gradcli)", "slope from the left", "slope from the right"), rows
    )
    s2.say(
        f"At 0 the two slopes differ, so the derivative does not exist; a convention picks "
        f"one: {relu.kink(0.0)}."
    )
    s3 = Step("A tie in max")
    e = run("f = max(a, b)", {"a": 2.0, "b": 2.0})
    s3.say(f"When both inputs are equal: {mx.kink(2.0, 2.0)}.")
    s3.table(("input", "gradient (gradcli)"), [(n, fmt(g)) for n, g in e.gradient.items()])
    s3.say(
        "Any split that adds to 1 is a valid subgradient; gradcli follows PyTorch so "
        "its numbers match what your framework prints."
    )
    return [s1, s2, s3]


def division_topic(nt: Notation) -> list:
    ev = run("f = a / b", {"a": 1.0, "b": 2.0})
    tape = ev.tape
    s1 = Step("Division: d(1/x) = −1/x²")
    s1.say(f"gradcli's rules: {OPS['div'].about}. With a = 1 the second one is d(1/x)/dx = −1/x².")
    inv = compile_program("f = 1 / x", ("x",))
    rows = []
    for x in (0.5, 2.0, -4.0):
        e = evaluate(inv, {"x": x})
        c = e.contributions[0]
        rows.append(
            (
                fmt(x),
                fmt(e.value),
                f"{nt.math(inv.rule(c.node, c.position))} = {fmt(e.gradient['x'])}",
                fmt(central_difference(inv, {"x": x}, "x")),
            )
        )
    s1.table(("x", "1/x", "rule = value", "measured"), rows)
    s1.say("Always negative: a bigger x makes 1/x smaller. And steep near 0.")
    s2 = Step("Both inputs of a / b")
    s2.show(*forward_lines(ev))
    for c in ev.contributions:
        s2.show(
            f"{nt.partial('f', tape.label(c.input))} = {nt.math(tape.rule(c.node, c.position))}"
            f" = {fmt(c.local)}"
        )
    check_table(s2, ev, nt)
    s2.say(
        "A common slip is the quotient of derivatives, (u/v)' = u'/v'; the rules above are "
        "the product rule applied to u·(1/v)."
    )
    return [s1, s2]


def forward_vs_reverse_topic(nt: Notation) -> list:
    ev = run("q = x * y\nf = q + sin(x)", {"x": 2.0, "y": 3.0})
    tape = ev.tape
    dot = (lambda n: f"t{n}") if nt.ascii else (lambda n: f"{n}\u0307")
    s1 = forward_step(
        "Forward mode vs reverse mode",
        ev,
        "Two ways to get the same derivatives of the same program.",
    )
    passes = {n: tangent_trace(tape, ev.values, n) for n in tape.inputs}
    s2 = Step("Forward mode: one pass per input")
    s2.say(
        f"Forward mode carries a tangent {dot('v')} = ∂v/∂(chosen input) along with each "
        f"value: {dot('v')} = Σ ∂v/∂u · {dot('u')} over v's operands, with gradcli's "
        "partials. Seed the chosen input with 1, the others with 0."
    )
    for name, fm in passes.items():
        lines = [
            f"seed {dot(name)} = 1, " + ", ".join(f"{dot(o)} = 0" for o in tape.inputs if o != name)
        ]
        for i, step in enumerate(tape.steps):
            if not step.args:
                continue
            terms = fm.terms[i]
            if not terms:
                continue  # only literals: its tangent is 0
            sym = " + ".join(
                f"{factor(nt.math(tape.rule(i, t.position)))}{nt.times}{dot(tape.operand(t.input))}"
                for t in terms
            )
            val = added(product((fmt(t.local), fmt(t.tangent)), nt.times) for t in terms)
            lines.append(f"{dot(tape.label(i))} = {sym} = {val} = {fmt(fm.tangents[i])}")
        lines.append(f"→ {nt.partial('f', name)} = {fmt(fm.derivative)}")
        s2.show(*lines)
    s3 = Step("Reverse mode: one pass per output")
    s3.say(
        "Reverse mode seeds the output instead and gets every input's derivative in one "
        "backward pass:"
    )
    s3.show(
        *[
            f"{nt.bar(tape.label(c.input))} += {factor(nt.math(tape.rule(c.node, c.position)))}"
            f"{nt.times}{nt.bar(tape.label(c.node))} = {product((fmt(c.local), fmt(c.upstream)), nt.times)}"
            f" = {fmt(c.contribution)}"
            for c in ev.contributions
        ]
    )
    s3.table(
        ("input", "forward mode", "reverse mode"),
        [(n, fmt(passes[n].derivative), fmt(g)) for n, g in ev.gradient.items()],
    )
    s3.say(
        f"Same numbers. The trade-off: forward mode costs one pass per input "
        f"({len(tape.inputs)} here), reverse mode one pass per output (1 here). A neural "
        "network's loss has millions of inputs (weights) and one output, so backprop is "
        "reverse mode. Few inputs and many outputs favour forward mode."
    )
    return [s1, s2, s3]


def _multiply(nt: Notation) -> list:
    from .lesson import multiply_lesson

    return multiply_lesson(nt)


TOPICS = {
    t.name: t
    for t in (
        Topic("multiply", "x = a·b: why da = b·dx and not dx/b (the default lesson)", _multiply),
        Topic("add", "the add gate distributes the gradient", add_topic),
        Topic("fan-out", "a value used twice: its gradients add (+=)", fan_out_topic),
        Topic("chain", "a chain of gates: multiply one local derivative per gate", chain_topic),
        Topic("sigmoid", "a neuron σ(w·x + b), and the slip σ'(q) = q(1 − q)", sigmoid_topic),
        Topic("max-relu", "max and relu route the gradient; kinks and conventions", max_relu_topic),
        Topic("division", "d(1/x) = −1/x², and both inputs of a / b", division_topic),
        Topic(
            "forward-vs-reverse",
            "tangents vs adjoints on the same program; which is cheaper",
            forward_vs_reverse_topic,
        ),
        *(Topic(name, summary, build, arrays=True) for name, summary, build in TENSOR_TOPICS),
    )
}


# The quiz's names for the gates it asks about (gradcli quiz --topic), each read by explain
# as the lesson that teaches that gate: one list, so quiz and explain take the same names.
# tutor/quizgen.py derives its topics from it (a test checks both ways).
GATES = {
    "mul": "multiply",
    "sub": "add",
    "div": "division",
    "quotient": "division",
    "max": "max-relu",
    "relu": "max-relu",
    "neuron": "sigmoid",
    "tanh": "sigmoid",
    "exp": "chain",
    "pow": "chain",
}


def topic(name: str) -> Topic:
    if name in TOPICS:
        return TOPICS[name]
    if name in GATES:
        return TOPICS[GATES[name]]
    close = close_matches(name, list(TOPICS) + list(GATES))
    raise UnknownName(
        f"no topic named '{name}'" + (f"; did you mean {quoted_or(close)}?" if close else ""),
        "the topics are: " + ", ".join(TOPICS),
        name=name,
        kind="lesson",
        suggestions=close,
        known=list(TOPICS),
        parameter="topic",
    )
