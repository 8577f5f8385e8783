"""The lesson that answers "why `da = b * dx` and not `da = dx / b`?".

`x = a * b` sits inside `f = k*x + c`, so the adjoint arriving at x is not 1. Every
number below comes from the engine: the program is compiled and evaluated, nudges are
forward passes, rules come from the op registry. Change a, b, c or k and the text follows.
"""

from __future__ import annotations

from functools import cached_property

from ..core.engine import evaluate, forward
from ..core.errors import InvalidValue
from ..core.notation import Notation, assigns, fmt, product
from ..core.ops import OPS
from ..language.lower import compile_program
from ..report.rows import forward_rows
from .walkthrough import Step, central_difference, factor, in_words, num, output_at

LESSON_INPUTS = ("a", "b", "c")
NUDGES = (0.1, 0.01, 0.001)


def lesson_program(k: float) -> str:
    return f"x = a * b\nf = {num(k)} * x + c"


def multiply_lesson(
    nt: Notation, a: float = 2.0, b: float = 3.0, c: float = 1.0, k: float = 2.0
) -> list:
    if k == 0:
        raise InvalidValue(
            "the lesson needs k other than 0 (got k = 0)",
            "with f = 0·x + c the output does not depend on x, so no gradient reaches a or b",
            name="k",
            value=k,
            instead=2.0,
        )
    if b in (1.0, -1.0):
        raise InvalidValue(
            f"the lesson needs b other than 1 and -1 (got b = {fmt(b)})",
            "with b = ±1 the slip dx/b gives the same number as b·dx, so the lesson could "
            "not show the difference",
            name="b",
            value=b,
            instead=3.0,
        )
    lesson = _Lesson(nt, a, b, c, k)
    return [
        _forward_pass(lesson),
        _what_dx_means(lesson),
        _local_derivative(lesson),
        _chain_rule(lesson),
        _why_not_divide(lesson),
        _bookkeeping_identity(lesson),
        _same_rule_everywhere(lesson),
        _what_next(lesson),
    ]


class _Lesson:
    """What the steps share: the program evaluated once at a, b, c, the numbers the text
    quotes (x, f and their adjoints, the local derivative), and the notation's symbols."""

    def __init__(self, nt: Notation, a: float, b: float, c: float, k: float):
        self.nt, self.a, self.b, self.c, self.k = nt, a, b, c, k
        self.tape = tape = compile_program(lesson_program(k), ("a", "b", "c"))
        self.inputs = {"a": a, "b": b, "c": c}
        self.ev = ev = evaluate(tape, self.inputs)
        self.ix = ix = next(i for i, s in enumerate(tape.steps) if s.name == "x")
        ia, ib = tape.inputs["a"], tape.inputs["b"]
        self.x, self.f = ev.values[ix], ev.value
        self.xbar, self.abar, self.bbar = ev.adjoints[ix], ev.adjoints[ia], ev.adjoints[ib]
        to_a = next(c_ for c_ in ev.contributions if c_.node == ix and c_.input == ia)
        self.local_a = to_a.local  # ∂x/∂a from the registry
        self.rule_a, self.rule_b = nt.math(tape.rule(ix, 0)), nt.math(tape.rule(ix, 1))
        self.T = T = nt.times
        # x̄, or grad_x in ASCII: `dx` keeps its calculus meaning, a small change of x.
        self.adj = nt.bar
        self.d = nt.partial
        self.fsrc = f"f = {fmt(k)}{T}x + c"
        self.upper = compile_program(f"f = {num(k)} * x + c", ("x", "c"))  # f of x

    def x_at(self, **change) -> float:
        """x after a forward pass with some inputs changed: what a nudge does to x."""
        return forward(self.tape, dict(self.inputs, **change))[self.ix]

    @cached_property
    def fd(self) -> float:
        # ∂f/∂a measured on f. Steps 4 and 5 quote the same measurement; it is taken when
        # step 4 first asks, so an evaluation error still surfaces where it always did.
        return central_difference(self.tape, self.inputs, "a")


def _forward_pass(L: _Lesson) -> Step:
    """1. The numbers every later step refers to."""
    a, b, c, k, x, f, T = L.a, L.b, L.c, L.k, L.x, L.f, L.T
    s = Step("The forward pass: compute x, then f")
    s.say(
        f"Backprop code like `da = b * dx` lives inside a bigger computation. Take "
        f"a = {fmt(a)} and b = {fmt(b)}, let x = a{T}b feed {L.fsrc}, with c = {fmt(c)}."
    )
    s.table(("step", "operation", "value"), [(r[1], r[2], r[3]) for r in forward_rows(L.ev)])
    s.say(
        f"So x = {fmt(a)}{T}{num(b)} = {fmt(x)} and f = {fmt(k)}{T}{num(x)} + {num(c)} "
        f"= {fmt(f)}. The backward pass will ask: how much does f move when a moves?"
    )
    return s


def _what_dx_means(L: _Lesson) -> Step:
    """2. `dx` in backprop code is the adjoint ∂f/∂x, not a small change of x."""
    nt, c, x, f, xbar, adj, d = L.nt, L.c, L.x, L.f, L.xbar, L.adj, L.d
    s = Step("What `dx` means in backprop code")
    bar_word = (
        f"{adj('x')} (x̄, x with a bar, in print)" if nt.ascii else "x̄"
    ) + " (the tutorials' code writes it `dx`, micrograd's `x.grad`)"
    s.say(
        f"In `da = b * dx`, dx is NOT a small change in x. It is a gradient: the "
        f"adjoint {bar_word}, defined as {d('f', 'x')}: how much the final output f moves "
        f"per unit change of x.",
        f"Here {L.fsrc}, so each unit of x moves f by {fmt(xbar)}: "
        f"{adj('x')} = {fmt(xbar)}. Check: with x one unit larger, f would be "
        f"{fmt(output_at(L.upper, {'x': x + 1, 'c': c}))} instead of {fmt(f)}.",
    )
    s.table(
        ("", "tutorial (Karpathy)", "this lesson", "meaning", "here"),
        [
            ("adjoint of x", "dx", adj("x"), d("f", "x"), fmt(xbar)),
            ("adjoint of a", "da", adj("a"), d("f", "a"), "? (step 4)"),
            ("small change in a", "—", "da", "a nudge h", f"{fmt(NUDGES[-1])}, say"),
        ],
    )
    s.say(
        "The tutorial uses `dx` for a gradient; calculus uses dx for a small change. "
        "Mixing the two meanings is exactly what makes `dx/b` look plausible."
    )
    return s


def _local_derivative(L: _Lesson) -> Step:
    """3. ∂x/∂a from the registry, then measured by nudging a in forward passes."""
    a, x, T, d, rule_a = L.a, L.x, L.T, L.d, L.rule_a
    s = Step(f"The local derivative {d('x', 'a')} = {rule_a}")
    s.say(
        f"The multiply gate's rule (gradcli's, as its eval tables show it): "
        f"{d('x', 'a')} = {rule_a} "
        f"and {d('x', 'b')} = {L.rule_b}. In words: nudge a by h and x moves by "
        f"{rule_a}{T}h. Measured with a forward pass:"
    )
    rows = []
    for h in NUDGES:
        dx = L.x_at(a=a + h) - x
        rows.append((fmt(h), fmt(a + h), fmt(L.x_at(a=a + h)), fmt(dx), fmt(dx / h)))
    s.table(("h", "a + h", "x", "change in x", "change / h"), rows)
    s.say(
        f"The change is always {fmt(L.local_a)}{T}h: {d('x', 'a')} = {rule_a} = "
        f"{fmt(L.local_a)}. It is a rate (x per unit of a), not yet anything about f."
    )
    return s


def _chain_rule(L: _Lesson) -> Step:
    """4. ∂f/∂a three ways: the formula, the engine's numbers, a measurement on f."""
    a, b, f, xbar, abar = L.a, L.b, L.f, L.xbar, L.abar
    T, adj, d, rule_a = L.T, L.adj, L.d, L.rule_a
    h = NUDGES[-1]
    fd = L.fd
    s = Step(f"The chain rule: {adj('a')} = {rule_a}{T}{adj('x')}")
    s.say(
        f"Nudge a by h: x moves by {rule_a}{T}h, and each unit of x moves f by "
        f"{adj('x')}, so f moves by {adj('x')}{T}({rule_a}{T}h). Per unit of h that is "
        f"{d('f', 'a')} = {rule_a}{T}{adj('x')}."
    )
    df = output_at(L.tape, dict(L.inputs, a=a + h)) - f
    s.show(
        f"formula:       {adj('a')} = {d('x', 'a')}{T}{d('f', 'x')} = {rule_a}{T}{adj('x')}",
        f"numbers:       {adj('a')} = {product((fmt(L.local_a), fmt(xbar)), T)} = {fmt(abar)}",
        f"measured on f: a {fmt(a)} → {fmt(a + h)} moves f by {fmt(df)}; "
        f"{fmt(df)} / {fmt(h)} = {fmt(df / h)}",
        f"               central difference (f(a+h) − f(a−h))/2h = {fmt(fd)}",
    )
    s.say(
        f"All three agree: {d('f', 'a')} = {fmt(abar)}. That is `da = b * dx`: "
        f"{fmt(abar)} = {product((fmt(b), fmt(xbar)), ' * ')}."
    )
    return s


def _why_not_divide(L: _Lesson) -> Step:
    """5. The misconception da = dx/b, head on: what it computes, and why it is not ∂f/∂a."""
    a, b, x, xbar, abar, fd = L.a, L.b, L.x, L.xbar, L.abar, L.fd
    T, adj, d = L.T, L.adj, L.d
    s = Step("Why not da = dx/b?")
    s.say(
        f"The reasoning goes: {d('x', 'a')} = b, so dx = b{T}da, so da = dx/b. That treats "
        f"{d('x', 'a')} as a fraction to solve, and it swaps meanings midway: da there is a "
        f"small change in a (a differential), while backprop's da is the gradient "
        f"{adj('a')} = {d('f', 'a')} (a rate of f).",
        f"Same numbers, with the tutorial's dx = {adj('x')} = {fmt(xbar)}:",
    )
    # b = 0 is allowed (only ±1 is refused): then there is no slip's number to set beside
    # the gradient, and the point becomes that the gradient is ordinary anyway.
    if b != 0:
        wrong = xbar / b
        slip = f"dx/b = {fmt(xbar)}/{num(b)} = {fmt(wrong)}"
        right = f"b{T}dx = {product((fmt(b), fmt(xbar)), T)} = {fmt(abar)}"
        width = max(len(slip), len(right)) + 4
        s.show(
            slip.ljust(width) + "(the slip)",
            right.ljust(width) + "(backprop)",
            f"measured on f: {d('f', 'a')} = {fmt(fd)}",
        )
        moved = L.x_at(a=a + wrong) - x
        s.say(
            f"{fmt(wrong)} is not how fast f changes with a: the measurement says "
            f"{fmt(fd)}. What dx/b does answer is another question: how far must a move "
            f"to move x by dx = {fmt(xbar)} units? Moving a by {fmt(wrong)} moves x by "
            f"{fmt(moved)}. A distance to travel in a, not a rate of f."
        )
    else:
        s.say(
            f"With b = 0, dx/b is not even defined, yet {d('f', 'a')} = {fmt(abar)} is "
            f"perfectly ordinary: a has no influence on x when b = 0."
        )
    rows = _doubled_b_rows(L)
    s.say(
        "Scaling check: double b. Then each nudge of a moves x twice as far, so a's "
        "influence on f doubles. The gradient must grow with b; dx/b shrinks."
    )
    s.table(("b", f"{adj('a')} = b{T}{adj('x')} (engine)", "dx/b", "measured from f"), rows)
    return s


def _doubled_b_rows(L: _Lesson) -> list:
    """(b, engine's ∂f/∂a, dx/b, measured ∂f/∂a) at b and at 2b: the gradient doubles with
    b while the slip halves, which no rewording of dx/b can explain away."""
    b2 = 2 * L.b
    ev2 = evaluate(L.tape, dict(L.inputs, b=b2))
    rows = []
    for bb, e in ((L.b, L.ev), (b2, ev2)):
        x_bar = e.adjoints[L.ix]
        rows.append(
            (
                fmt(bb),
                fmt(e.gradient["a"]),
                fmt(x_bar / bb) if bb else "undefined",
                fmt(central_difference(L.tape, dict(L.inputs, b=bb), "a")),
            )
        )
    return rows


def _bookkeeping_identity(L: _Lesson) -> Step:
    """6. x̄·dx = ā·da + b̄·db: gradients and differentials kept apart, coefficients compared."""
    a, b, x, xbar, abar, bbar = L.a, L.b, L.x, L.xbar, L.abar, L.bbar
    T, adj = L.T, L.adj
    s = Step(f"The bookkeeping identity {adj('x')}{T}dx = {adj('a')}{T}da + {adj('b')}{T}db")
    s.say(
        f"Keep gradients ({adj('x')}, {adj('a')}, {adj('b')}) apart from differentials "
        f"(dx, da, db: small changes). A small change dx changes f by {adj('x')}{T}dx; "
        f"the same change of f, written through a and b, is {adj('a')}{T}da + "
        f"{adj('b')}{T}db. The product rule gives dx = b{T}da + a{T}db, so:"
    )
    s.show(
        f"{adj('x')}{T}dx = {adj('x')}{T}(b{T}da + a{T}db)"
        f" = ({adj('x')}{T}b){T}da + ({adj('x')}{T}a){T}db",
        f"compare coefficients of da:  {adj('a')} = b{T}{adj('x')} = {product((fmt(b), fmt(xbar)), T)}"
        f" = {fmt(abar)}",
        f"compare coefficients of db:  {adj('b')} = a{T}{adj('x')} = {product((fmt(a), fmt(xbar)), T)}"
        f" = {fmt(bbar)}",
    )
    da_, db_ = 0.001, 0.002
    dx_ = L.x_at(a=a + da_, b=b + db_) - x
    s.say(
        f"With numbers: da = {fmt(da_)}, db = {fmt(db_)} moves x by dx = {fmt(dx_)}; "
        f"{adj('x')}{T}dx = {fmt(xbar * dx_)} and {adj('a')}{T}da + {adj('b')}{T}db = "
        f"{fmt(abar * da_ + bbar * db_)} (equal up to the tiny da{T}db term)."
    )
    return s


def _same_rule_everywhere(L: _Lesson) -> Step:
    """7. Every gate multiplies the arriving adjoint by its local derivative; fan-out adds."""
    T, adj = L.T, L.adj
    s = Step("The same rule everywhere: add, multiply, max, fan-out")
    s.say(
        f"Every gate does the same thing: it multiplies the adjoint arriving from above "
        f"by its local derivative. With {adj('x')} = {fmt(L.xbar)} arriving:"
    )
    s.table(("gate", "what it does", "a gets", "b gets"), _gate_rows(L))
    fan = compile_program(f"x = a * a\nf = {num(L.k)} * x + c", ("a", "c"))
    fan_inputs = {"a": L.a, "c": L.c}
    efan = evaluate(fan, fan_inputs)
    fx = next(i for i, st in enumerate(fan.steps) if st.name == "x")
    lines = [
        f"{adj('a')} {assigns(ct.count)} {factor(L.nt.math(fan.rule(fx, ct.position)))}"
        f"{T}{adj('x')} = "
        f"{product((fmt(ct.local), fmt(ct.upstream)), T)} = {fmt(ct.contribution)}"
        for ct in efan.contributions
        if ct.node == fx
    ]
    s.say(
        f"When a value is used twice its gradients add. x = a{T}a: each use of a is "
        f"its own input of the multiply gate, each gets (the other one){T}{adj('x')}:"
    )
    s.show(
        *[f"{ln}" for ln in lines],
        f"{adj('a')} = {len(lines)}{T}a{T}{adj('x')} = {fmt(efan.gradient['a'])} "
        f"(measured from f: {fmt(central_difference(fan, fan_inputs, 'a'))})",
    )
    s.say(
        "The first contribution is the adjoint (=) and the second is added to it (+=). "
        "Written `da = a * dx` twice (= instead of +=), the second line would overwrite "
        "the first and lose half the gradient."
    )
    return s


def _gate_rows(L: _Lesson) -> list:
    """One row per gate (add, mul, max) in place of the lesson's multiply: what a and b
    get, each rule from the registry and each number from evaluating that program."""
    nt, T, adj = L.nt, L.T, L.adj
    rows = []
    for op_name, expr in (("add", "a + b"), ("mul", "a * b"), ("max", "max(a, b)")):
        g = compile_program(f"x = {expr}\nf = {num(L.k)} * x + c", ("a", "b", "c"))
        e = evaluate(g, L.inputs)
        gx = next(i for i, st in enumerate(g.steps) if st.name == "x")
        cells = []
        for ct in (ct for ct in e.contributions if ct.node == gx):
            name = g.label(ct.input)
            cells.append(
                f"{adj(name)} = {factor(in_words(nt.math(g.rule(gx, ct.position))))}{T}"
                f"{adj('x')} = {product((fmt(ct.local), fmt(ct.upstream)), T)} = "
                f"{fmt(e.adjoints[ct.input])}"
            )
        rows.append((f"x = {expr}", OPS[op_name].about, *cells))
    return rows


def _what_next(L: _Lesson) -> Step:
    """8. The answer in one sentence, and the commands that go further."""
    a, b, c, d = L.a, L.b, L.c, L.d
    s = Step("Try it on your own expression")
    s.say(
        "Answer to the question: `dx` is the gradient of the final output with respect "
        f"to x, and the chain rule multiplies it by the local derivative "
        f"{d('x', 'a')} = b. Hence `da = b * dx`: {fmt(L.abar)} = {product((fmt(b), fmt(L.xbar)), ' * ')}."
    )
    args = f"--a {fmt(a)} --b {fmt(b)} --c {fmt(c)}"
    one = lesson_program(L.k).replace("\n", "; ")
    s.say("Commands to go further:")
    s.run(  # each on a line of its own, so a narrow terminal never splits one
        "# every chain-rule step as tables",
        f'gradcli eval "{one}" {args}',
        "# this walk, for any program",
        f'gradcli explain "{one}" {args}',
        "# practise: compute a gradient yourself",
        "gradcli quiz",
        "# more lessons (add, fan-out, sigmoid...)",
        "gradcli explain --list",
    )
    return s
