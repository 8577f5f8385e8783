"""Short lessons on arrays: broadcasting, the matrix product, softmax with cross-entropy,
batchnorm and the embedding lookup. Each takes one small program, evaluates it with the
engine, walks through the one idea learners get stuck on there (tensor-notes.md, "What
students get stuck on"), and ends in the one-line closed form the tutorials arrive at.

Every number is the engine's: values and adjoints of the program, forward passes for the
measured slopes. Each closed form is written as a gradcli expression, evaluated by
gradcli's own forward pass with the engine's adjoints put in, and compared with the
engine's gradient before anything says it holds; a disagreement raises ClosedFormMismatch
instead of printing a false sentence (a bug, which tests/test_tensor_explain.py catches).
NumPy is reached through core.arrays' lazy proxy: listing the topics imports nothing.
"""

from __future__ import annotations

from ..core.arrays import broadcast_axes, np, shape_text
from ..core.engine import Evaluation, evaluate, forward, input_values
from ..core.notation import Notation, fmt, full
from ..language.lower import compile_program
from . import arraytext as at
from .tensor_walk import rule_text
from .walkthrough import Step

H = 1e-6  # the nudge for measured slopes


class ClosedFormMismatch(AssertionError):
    """A closed form disagreed with the engine: the topic would print a false claim."""


# --- helpers -------------------------------------------------------------------------------
def run(source: str, values: dict) -> Evaluation:
    return evaluate(compile_program(source, tuple(values)), values)


def where(ev: Evaluation, name: str) -> int:
    tape = ev.tape
    return next(i for i in range(len(tape.steps) - 1, -1, -1) if tape.steps[i].name == name)


def value(ev: Evaluation, name: str):
    return np.asarray(ev.values[where(ev, name)], dtype=float)


def adjoint(ev: Evaluation, name: str):
    """The engine's adjoint of a named value, with the value's shape."""
    i = where(ev, name)
    return np.broadcast_to(np.asarray(ev.adjoints[i], dtype=float), np.shape(ev.values[i])).copy()


def compute(expression: str, values: dict):
    """The value of a gradcli program's output on these values, by gradcli's forward pass
    (its output may be an array: no gradient is asked for)."""
    tape = compile_program(expression, tuple(values))
    inputs, _ = input_values(tape, values)
    return np.asarray(forward(tape, inputs)[tape.output], dtype=float)


def difference(a, b) -> float:
    return (
        float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))
        if np.size(a)
        else 0.0
    )


def agree(what: str, closed, engine) -> float:
    """The largest |closed − engine| entry; ClosedFormMismatch unless the two have the same
    shape and agree to float rounding."""
    closed, engine = np.asarray(closed, dtype=float), np.asarray(engine, dtype=float)
    if closed.shape != engine.shape:
        raise ClosedFormMismatch(
            f"{what}: shape {shape_text(closed.shape)}, but the engine's "
            f"has shape {shape_text(engine.shape)}"
        )
    scale = max(1.0, float(np.max(np.abs(engine))) if engine.size else 1.0)
    d = difference(closed, engine)
    if not d <= 1e-12 * scale:
        raise ClosedFormMismatch(f"{what}: differs from the engine's by {d!r}")
    return d


def checked(what: str, closed, engine) -> str:
    """A sentence that is true once `agree` has passed."""
    d = agree(what, closed, engine)
    exact = "exactly" if d == 0 else f"to float rounding (largest difference {fmt(d)})"
    return (
        f"Checked against the engine's gradient: the same shape, "
        f"{at.shape_of(engine)}, and the same numbers, {exact}."
    )


def measured(ev: Evaluation, name: str, entry: tuple) -> float:
    """∂output/∂name[entry] measured on the output: a central difference of two forward
    passes."""
    tape = ev.tape
    x = np.asarray(ev.inputs[name], dtype=float)
    up, down = x.copy(), x.copy()
    up[entry] += H
    down[entry] -= H
    hi = forward(tape, dict(ev.inputs, **{name: up}))[tape.output]
    lo = forward(tape, dict(ev.inputs, **{name: down}))[tape.output]
    return (float(hi) - float(lo)) / (2 * H)


def written_as(nt: Notation, name: str) -> str:
    """` (Ȳ written dY, as backprop code does)`, where the notation writes adjoints Ȳ."""
    code = f"d{name}"
    return (
        "" if nt.bar(name) == code else f" ({nt.bar(name)} written {code}, as backprop code does)"
    )


def index_text(entry) -> str:
    return "[" + ", ".join(str(int(k)) for k in entry) + "]"


def program_lines(ev: Evaluation) -> list:
    return [line for line in ev.tape.source.splitlines() if line.strip()]


def shapes_line(ev: Evaluation, name: str) -> list:
    """`Y = X + b    X (3, 2), b (2,) → (3, 2)` and the value below it."""
    tape = ev.tape
    i = where(ev, name)
    ops = ", ".join(
        f"{tape.operand(a)} {at.shape_of(ev.values[a])}"
        for a in dict.fromkeys(tape.steps[i].args)
        if not (tape.is_const(a) and tape.steps[a].name is None)
    )
    return [
        f"{tape.label(i)} = {tape.expression(i)}    {ops} → {at.shape_of(ev.values[i])}"
    ] + at.lines("  = ", ev.values[i])


def output_line(ev: Evaluation) -> str:
    """The program's last line with its value: `L = sum(Y * G) = 29`."""
    return f"{program_lines(ev)[-1].strip()} = {fmt(ev.value)}"


def inputs_line(ev: Evaluation) -> str:
    return "With " + ", ".join(f"{n} = {at.text(v)}" for n, v in ev.inputs.items()) + ":"


# --- broadcast -----------------------------------------------------------------------------
BROADCAST = "Y = X + b\nL = sum(Y * G)"
BROADCAST_VALUES = {"X": [[1, 2], [3, 4], [5, 6]], "b": [0.5, -1], "G": [[1, -1], [2, 0], [3, 1]]}


def broadcast_topic(nt: Notation) -> list:
    ev = run(BROADCAST, BROADCAST_VALUES)
    X, b, Y = value(ev, "X"), value(ev, "b"), value(ev, "Y")
    dY = adjoint(ev, "Y")
    db = ev.gradient["b"]
    n = X.shape[0]
    axes = broadcast_axes(b.shape, Y.shape)
    T = nt.times
    s1 = Step("Broadcasting: one bias for every row")
    s1.say(
        f"A bias b of shape {shape_text(b.shape)} is added to every row of X "
        f"{shape_text(X.shape)}. NumPy lines the shapes up from the last axis and repeats "
        f"b along axis {', '.join(map(str, axes))}, once per row:",
        inputs_line(ev),
    )
    s1.show(*shapes_line(ev, "Y"), output_line(ev))
    uses = ", ".join(f"Y[{k}, 0]" for k in range(n))
    s1.say(
        f"So b[0] is used {n} times ({uses}), and so is every entry of b: a value used "
        f"several times, one use per row."
    )

    s2 = Step("Backward: the adjoint of a broadcast is a sum")
    s2.say(f"{nt.bar('Y')} arrives (it is G, since L = sum(Y{T}G)):")
    s2.show(*at.lines(f"{nt.bar('Y')} = ", dY))
    s2.say(
        "Each use of b[j] sends back one entry of column j of "
        f"{nt.bar('Y')} (the add gate passes it unchanged), and what a value receives "
        "from its uses adds up:"
    )
    lines = []
    for j in range(b.shape[0]):
        terms = [float(dY[k, j]) for k in range(n)]
        total = sum(terms)
        agree(f"b̄[{j}] as a column sum", total, db[j])
        lines.append(
            f"{nt.bar('b')}[{j}] = "
            + " + ".join(f"{nt.bar('Y')}[{k}, {j}]" for k in range(n))
            + " = "
            + " + ".join(f"({fmt(t)})" if t < 0 else fmt(t) for t in terms)
            + f" = {fmt(total)}"
        )
    s2.show(*lines)
    s2.say(
        f"That is {nt.bar('b')} = sum({nt.bar('Y')}, axis=0) = {at.text(db)}, of shape "
        f"{shape_text(np.shape(db))}: b's own shape. X was not broadcast, so "
        f"{nt.bar('X')} = {nt.bar('Y')}, of X's shape {shape_text(X.shape)}."
    )
    mean = np.mean(dY, axis=0)
    slope = measured(ev, "b", (0,))
    s2.say(
        f"Averaging instead of summing (mean({nt.bar('Y')}, axis=0) = {at.text(mean)}) is "
        f"a bug a JavaScript tensor library once shipped: {n} times too small here. "
        f"Measured on L, nudging b[0] by ±{fmt(H)} moves L at the rate {fmt(slope)} per "
        f"unit: the sum, {fmt(float(db[0]))}."
    )

    ev1 = run(BROADCAST, dict(BROADCAST_VALUES, b=[BROADCAST_VALUES["b"]]))
    db1 = ev1.gradient["b"]
    kept = compute("db = sum(dY, axis=0, keepdims=true)", {"dY": dY})
    flat = compute("db = sum(dY, axis=0)", {"dY": dY})
    s3 = Step("(2,) or (1, 2): keepdims decides")
    s3.say(
        f"makemore's biases have shape (1, 64), not (64,). The same program with b of shape "
        f"{shape_text(value(ev1, 'b').shape)}, b = {at.text(value(ev1, 'b'))}: the engine's "
        f"{nt.bar('b')} has that shape too:"
    )
    s3.show(*at.lines(f"{nt.bar('b')} = ", db1))
    s3.show(
        f"sum({nt.bar('Y')}, axis=0)                  shape {shape_text(flat.shape)}",
        f"sum({nt.bar('Y')}, axis=0, keepdims=true)   shape {shape_text(kept.shape)}",
    )
    s3.say(
        f"A gradient has exactly its parameter's shape: for b of shape "
        f"{shape_text(np.shape(db1))} that is keepdims=true (keepdim=True in PyTorch)."
    )

    close = bool(np.allclose(db, db1))
    equal = bool(np.all(db == db1))
    c = [[1], [-2], [0.5]]
    evc = run("Y = X + c\nL = sum(Y * G)", dict(BROADCAST_VALUES, c=c))
    dc = evc.gradient["c"]
    wrong = np.sum(adjoint(evc, "Y"), axis=1)
    updated = np.asarray(c, dtype=float) - 0.1 * wrong
    s4 = Step("The allclose trap")
    s4.say(
        f"Compare the two gradients: np.allclose(db, db1), with db of shape "
        f"{shape_text(np.shape(db))} and db1 of shape {shape_text(np.shape(db1))}, returns "
        f"{close}; so does np.all(db == db1): {equal}. Both broadcast before they "
        f"compare, so they check the numbers and not the shape."
    )
    s4.say(
        f"Where that bites: a per-row bias c of shape {shape_text(np.shape(dc))}. Its "
        f"gradient summed without keepdims, sum({nt.bar('Y')}, axis=1), has shape "
        f"{shape_text(wrong.shape)}; the update c - 0.1*dc then has shape "
        f"{shape_text(updated.shape)}, and NumPy raises no error: c has silently become a "
        f"matrix. Check the shapes too: db.shape == b.shape."
    )
    s5 = Step("The closed form")
    forms = [
        ("db = sum(dY, axis=0)", "b", ev, db),
        ("db = sum(dY, axis=0, keepdims=true)", "b", ev1, db1),
        ("dc = sum(dY, axis=1, keepdims=true)", "c", evc, dc),
    ]
    s5.say(f"Each line evaluated by gradcli with the engine's {nt.bar('Y')}{written_as(nt, 'Y')}:")
    for text, name, e, engine in forms:
        closed = compute(text, {"dY": adjoint(e, "Y")})
        s5.show(
            f"{text}    for {name} of shape {shape_text(value(e, name).shape)}",
            *at.lines("  = ", closed),
        )
        s5.say(checked(text, closed, engine))
    s5.say(
        "In general (PyTorch's sum_to, gradcli's engine): the adjoint of a broadcast sums "
        "over the axes the broadcast added in front, and, keeping them, over the axes it "
        "stretched from size 1."
    )
    return [s1, s2, s3, s4, s5]


# --- matmul ----------------------------------------------------------------------------------
MATMUL = "Y = X @ W\nL = sum(Y * G)"
MATMUL_VALUES = {"X": [[1, 2, 3], [4, 5, 6]], "W": [[1, 0], [0, 1], [1, -1]], "G": [[1, 2], [3, 4]]}
MATMUL_TALL = {
    "X": [[1, 2, 3], [4, 5, 6], [0, 1, 0], [2, 0, 1]],
    "W": [[1, 0], [0, 1], [1, -1]],
    "G": [[1, 2], [3, 4], [0, 1], [-1, 2]],
}


def _candidates(nt: Notation, x, dy) -> list:
    """Every product of one of X, X.T with one of Ȳ, Ȳ.T, in either order: (text, left
    shape, right shape, result or None when the inner sizes differ)."""
    bar = nt.bar("Y")
    xs = [("X", x), ("X.T", x.T)]
    ys = [(bar, dy), (f"{bar}.T", dy.T)]
    out = []
    for left, right in [(a, b) for a in xs for b in ys] + [(b, a) for a in xs for b in ys]:
        (ln, lv), (rn, rv) = left, right
        result = lv @ rv if lv.shape[1] == rv.shape[0] else None
        out.append((f"{ln} @ {rn}", lv.shape, rv.shape, result))
    return out


def _fitting(cands: list, shape: tuple) -> list:
    return [c for c in cands if c[3] is not None and c[3].shape == shape]


def matmul_topic(nt: Notation) -> list:
    ev = run(MATMUL, MATMUL_VALUES)
    X, W, dY = value(ev, "X"), value(ev, "W"), adjoint(ev, "Y")
    dW, dX = ev.gradient["W"], ev.gradient["X"]
    T, bar = nt.times, nt.bar
    s1 = Step("The matrix product, forward")
    s1.say(inputs_line(ev))
    s1.show(*shapes_line(ev, "Y"), output_line(ev))
    s1.say(f"L = sum(Y{T}G), so the adjoint arriving at Y is G: {bar('Y')} = {at.text(dY)}.")

    cands = _candidates(nt, X, dY)
    fits = _fitting(cands, W.shape)
    s2 = Step(f"Dimension analysis: what has W's shape {shape_text(W.shape)}?")
    s2.say(
        f"{bar('W')} has the shape of W, {shape_text(W.shape)}. What is at hand: X "
        f"{shape_text(X.shape)} and {bar('Y')} {shape_text(dY.shape)}. Every product of one "
        f"of them (or its transpose) with the other:"
    )
    s2.table(
        ("product", "shapes", "result"),
        [
            (
                text,
                f"{shape_text(a)} @ {shape_text(b)}",
                shape_text(r.shape) if r is not None else "the inner sizes differ",
            )
            for text, a, b, r in cands
        ],
    )
    right = [c for c in fits if difference(c[3], dW) == 0]
    if len(right) != 1:
        raise ClosedFormMismatch(f"dW: {len(right)} of the fitting products equal the engine's")
    if len(fits) == 1:
        s2.say(f"Exactly one product has the shape {shape_text(W.shape)}: {fits[0][0]}.")
    else:
        square = dY.shape[0] == dY.shape[1]
        s2.say(
            f"{len(fits)} products have the shape {shape_text(W.shape)}: "
            f"{' and '.join(c[0] for c in fits)}."
            + (
                f" {bar('Y')} is square here {shape_text(dY.shape)}, so the shapes alone "
                f"cannot tell {bar('Y')} from {bar('Y')}.T; the numbers can:"
                if square
                else " The numbers tell them apart:"
            )
        )
        s2.show(*[line for c in fits for line in at.lines(f"{c[0]} = ", c[3])])
        s2.say(f"Only {right[0][0]} gives the engine's {bar('W')} = {at.text(dW)}.")
        tall = run(MATMUL, MATMUL_TALL)
        tX, tdY, tW = value(tall, "X"), adjoint(tall, "Y"), value(tall, "W")
        tfits = _fitting(_candidates(nt, tX, tdY), tW.shape)
        count = {1: "exactly one product fits", 2: "two products fit"}.get(
            len(tfits), f"{len(tfits)} products fit"
        )
        s2.say(
            f"With sizes that all differ the shapes decide alone: with {tX.shape[0]} rows "
            f"(X {shape_text(tX.shape)}, {bar('Y')} {shape_text(tdY.shape)}), {count}: "
            f"{', '.join(c[0] for c in tfits)}"
            + (
                f", the engine's {bar('W')}."
                if len(tfits) == 1 and difference(tfits[0][3], tall.gradient["W"]) == 0
                else "."
            )
        )

    s3 = Step(f"Why X.T @ {bar('Y')}: one entry")
    n = X.shape[0]
    terms = " + ".join(f"{fmt(float(X[k, 0]))}{T}{fmt(float(dY[k, 0]))}" for k in range(n))
    entry = float(sum(X[k, 0] * dY[k, 0] for k in range(n)))
    agree("dW[0, 0] from one entry", entry, dW[0, 0])
    slope = measured(ev, "W", (0, 0))
    s3.say(
        f"W[0, 0] multiplies X[k, 0] in Y[k, 0], for every row k of X. Nudge W[0, 0] and "
        f"each Y[k, 0] moves by X[k, 0] times the nudge, and L by that times "
        f"{bar('Y')}[k, 0]; the rows add up:"
    )
    s3.show(
        f"{bar('W')}[0, 0] = " + " + ".join(f"X[{k}, 0]{T}{bar('Y')}[{k}, 0]" for k in range(n)),
        f"        = {terms} = {fmt(entry)}",
    )
    s3.say(
        f"Row 0 of X.T times column 0 of {bar('Y')}: entry [0, 0] of X.T @ {bar('Y')}. "
        f"Measured on L, nudging W[0, 0] by ±{fmt(H)} moves L at the rate {fmt(slope)} "
        f"per unit."
    )
    i_y = where(ev, "Y")
    # `=` where this is the operand's one contribution, `+=` where it is one of several
    eq_x, eq_w = (
        "=" if sum(c.input == a for c in ev.contributions) == 1 else "+="
        for a in ev.tape.steps[i_y].args
    )
    s3.say(
        f"gradcli's rules for @, with this program's names: {bar('X')} {eq_x} "
        f"{rule_text(ev, i_y, 0, nt)} and {bar('W')} {eq_w} {rule_text(ev, i_y, 1, nt)}."
    )

    s4 = Step("The closed form")
    s4.say(f"Each line evaluated by gradcli with the engine's {bar('Y')}{written_as(nt, 'Y')}:")
    for text, engine in (("dW = X.T @ dY", dW), ("dX = dY @ W.T", dX)):
        closed = compute(text, {"X": X, "W": W, "dY": dY})
        s4.show(*at.lines(f"{text} = ", closed))
        s4.say(checked(text, closed, engine))
    s4.say(
        "Each is the arriving adjoint times the other operand, transposed, on the side "
        "that makes the shapes fit (CS231n: dW = dD @ X.T for D = W @ X)."
    )
    return [s1, s2, s3, s4]


# --- softmax and cross-entropy ----------------------------------------------------------------
def _cross_entropy_program(n: int) -> str:
    return "\n".join(
        [
            "logit_maxes = max(logits, axis=1, keepdims=true)",
            "norm_logits = logits - logit_maxes",
            "counts = exp(norm_logits)",
            "counts_sum = sum(counts, axis=1, keepdims=true)",
            "counts_sum_inv = counts_sum ^ -1",
            "probs = counts * counts_sum_inv",
            "logprobs = log(probs)",
            f"loss = -mean(logprobs[range({n}), y])",
        ]
    )


CE_VALUES = {"logits": [[1, 2, 3], [1, -1, 0]], "y": [2, 0]}


def softmax_cross_entropy_topic(nt: Notation) -> list:
    logits = np.asarray(CE_VALUES["logits"], dtype=float)
    n, k = logits.shape
    ev = run(_cross_entropy_program(n), CE_VALUES)
    fused = run("loss = cross_entropy(logits, y)", CE_VALUES)
    y = value(ev, "y").astype(int)
    probs = value(ev, "probs")
    dlogits = ev.gradient["logits"]
    bar = nt.bar
    s1 = Step("Cross-entropy, written out as in the lecture")
    s1.say(f"makemore's loss, one operation per line, on a batch of {n} rows and {k} classes:")
    s1.show(*program_lines(ev))
    s1.say(inputs_line(ev))
    s1.show(*at.lines("probs = ", probs))
    d = abs(ev.value - fused.value)
    if d > 1e-12:
        raise ClosedFormMismatch(f"the written-out loss differs from cross_entropy by {d!r}")
    same = (
        "the same number"
        if d == 0
        else f"equal but for the last digits (they differ by {fmt(d)}: the two add and "
        f"round in a different order)"
    )
    s1.say(
        f"loss = {full(ev.value)}; gradcli's cross_entropy(logits, y) (PyTorch's "
        f"F.cross_entropy) gives {full(fused.value)}: {same}."
    )

    dlogprobs = adjoint(ev, "logprobs")
    onehot = compute(f"t = onehot(y, {k})", {"y": y})
    agree("dlogprobs", dlogprobs, -onehot / n)
    maxes = adjoint(ev, "logit_maxes")
    s2 = Step("Backward through the written-out steps")
    s2.say(
        f"The mean over {n} rows, negated: {bar('logprobs')} is -1/{n} at each row's "
        f"target and 0 elsewhere:"
    )
    s2.show(*at.lines(f"{bar('logprobs')} = ", dlogprobs))
    s2.say(
        "From there the sweep runs back through log, the product with counts_sum_inv, "
        "the power, the sum, exp and the subtraction. logits reaches the loss twice: "
        "through norm_logits, and through logit_maxes, whose adjoint is"
    )
    s2.show(*at.lines(f"{bar('logit_maxes')} = ", maxes))
    if np.max(np.abs(maxes)) <= 1e-12:
        s2.say(
            "0 up to float rounding: subtracting a row's maximum changes no probability, "
            "which is why it is safe to do."
        )
    s2.say(f"The engine's {bar('logits')}, the sum of both paths:")
    s2.show(*at.lines(f"{bar('logits')} = ", dlogits))

    s3 = Step("The closed form: softmax minus onehot, over n")
    s3.say(
        f"softmax(logits) is probs, which the forward pass already has; onehot(y, {k}) is 1 "
        f"at each row's target:"
    )
    s3.show(*at.lines(f"onehot(y, {k}) = ", onehot))
    rows = np.sum(dlogits, axis=1)
    target = [float(dlogits[r, y[r]]) for r in range(n)]
    s3.say(
        f"So each row of {bar('logits')} is (probs - onehot)/{n}: the target's logit gets "
        f"(p - 1)/{n}, pushed up by gradient descent ("
        + ", ".join(fmt(t) for t in target)
        + f" here), every other logit p/{n}, pushed down. Each row sums to "
        + (
            "0"
            if np.max(np.abs(rows)) == 0
            else f"0 up to rounding (largest |row sum| {fmt(float(np.max(np.abs(rows))))})"
            if np.max(np.abs(rows)) <= 1e-12
            else f"{at.text(rows)}"
        )
        + ", as probabilities do after 1 is taken from one of them."
    )
    text = f"dlogits = (softmax(logits) - onehot(y, {k})) / {n}"
    closed = compute(text, {"logits": logits, "y": y})
    s3.show(*at.lines(f"{text} = ", closed))
    s3.say(
        checked(text, closed, dlogits) + " The fused cross_entropy op's gradient too: "
        f"largest difference {fmt(agree(text, closed, fused.gradient['logits']))}."
    )
    return [s1, s2, s3]


# --- batchnorm -------------------------------------------------------------------------------
def _batchnorm_program(n: int, divisor: str) -> str:
    return "\n".join(
        [
            f"bnmeani = sum(hprebn, axis=0, keepdims=true) / {n}",
            "bndiff = hprebn - bnmeani",
            "bndiff2 = bndiff ^ 2",
            f"bnvar = sum(bndiff2, axis=0, keepdims=true) / {divisor}",
            "bnvar_inv = (bnvar + 1e-5) ^ -0.5",
            "bnraw = bndiff * bnvar_inv",
            "hpreact = bngain * bnraw + bnbias",
            "h = tanh(hpreact)",
            "L = sum(h * G)",
        ]
    )


BN_VALUES = {
    "hprebn": [[1, 2, 0], [3, -1, 2], [0.5, 0, 1], [2, 1, -2]],
    "bngain": [[1.5, 0.5, 2]],
    "bnbias": [[0, 1, 0]],
    "G": [[1, 0, 2], [0, 1, -1], [2, 2, 0], [-1, 0, 1]],
}
BN_CLOSED = (
    "dhprebn = bngain*bnvar_inv/n * (n*dhpreact - sum(dhpreact, axis=0) "
    "- n/(n-1)*bnraw*sum(dhpreact*bnraw, axis=0))"
)


def batchnorm_topic(nt: Notation) -> list:
    n, features = np.shape(BN_VALUES["hprebn"])
    ev = run(_batchnorm_program(n, f"({n} - 1)"), BN_VALUES)
    bar = nt.bar
    dhpreact = adjoint(ev, "hpreact")
    dhprebn = ev.gradient["hprebn"]
    known = {
        "bngain": value(ev, "bngain"),
        "bnvar_inv": value(ev, "bnvar_inv"),
        "bnraw": value(ev, "bnraw"),
        "dhpreact": dhpreact,
        "n": float(n),
    }
    s1 = Step("Batchnorm, as in the lecture")
    s1.say(
        f"makemore's batchnorm over a batch of n = {n} rows and {features} features, then "
        f"tanh and a loss L = sum(h·G):"
    )
    s1.show(*program_lines(ev))
    s1.say(inputs_line(ev))
    bnvar = value(ev, "bnvar")
    biased = compute(f"v = sum(d ^ 2, axis=0, keepdims=true) / {n}", {"d": value(ev, "bndiff")})
    s1.show(*at.lines("bnvar = ", bnvar))
    s1.say(
        f"bnvar divides by n - 1 = {n - 1}, not n = {n}: Bessel's correction, the unbiased "
        f"estimate of the variance from {n} samples. Dividing by n would give "
        f"{at.text(biased)}. (PyTorch's BatchNorm1d divides by n when it normalises a "
        f"training batch and keeps n - 1 for its running estimate; the lecture uses n - 1.)"
    )

    tape = ev.tape
    i_h = tape.inputs["hprebn"]
    sends = [c for c in ev.contributions if c.input == i_h]
    via = {tape.label(c.node): c.contribution for c in sends}
    i_mean = next(c.node for c in sends if tape.steps[c.node].op.name == "sum")
    i_diff = next(c.node for c in sends if tape.steps[c.node].op.name == "sub")
    pre = "bngain*bnvar_inv/n * "
    direct_var = compute(
        f"t = {pre}(n*dhpreact - n/(n-1)*bnraw*sum(dhpreact*bnraw, axis=0))", known
    )
    mean_part = compute(f"t = {pre}(-sum(dhpreact, axis=0)) + 0*dhpreact", known)
    d1 = agree("the terms through bndiff", direct_var, via[tape.label(i_diff)])
    d2 = agree("the term through the mean", mean_part, via[tape.label(i_mean)])
    h = value(ev, "h")
    agree("dhpreact", compute("t = (1 - h^2) * G", {"h": h, "G": value(ev, "G")}), dhpreact)
    s2 = Step("Three ways from hprebn to the loss")
    s2.say(
        f"hprebn moves bnraw directly (through bndiff), through the mean bnmeani, and "
        f"through the variance bnvar. {bar('hpreact')} arrives from above (it is "
        f"(1 - h^2){nt.times}G):"
    )
    s2.show(*at.lines(f"{bar('hpreact')} = ", dhpreact))
    s2.say(
        f"The engine's sweep sends hprebn {len(sends)} contributions, from "
        f"{tape.label(i_diff)} = {tape.expression(i_diff)} and from the sum over axis 0 "
        f"inside bnmeani; in the lecture's terms{written_as(nt, 'hpreact')}:"
    )
    s2.show(
        "via bndiff (direct, and through bnvar):",
        f"  {pre}(n*dhpreact - n/(n-1)*bnraw*sum(dhpreact*bnraw, axis=0))",
        "via bnmeani:",
        f"  {pre}(-sum(dhpreact, axis=0))",
    )
    s2.say(
        f"Each checked against the engine's contribution: largest differences {fmt(d1)} "
        f"and {fmt(d2)}. Added, they are the closed form."
    )

    div = next(i for i, st in enumerate(tape.steps) if st.name == "bnvar")
    local = next(c.local for c in ev.contributions if c.node == div and c.position == 0)
    no_bessel = compute(BN_CLOSED.replace("n/(n-1)*", ""), known)
    off = difference(no_bessel, dhprebn)
    ev_n = run(_batchnorm_program(n, f"{n}"), BN_VALUES)
    known_n = {
        "bngain": value(ev_n, "bngain"),
        "bnvar_inv": value(ev_n, "bnvar_inv"),
        "bnraw": value(ev_n, "bnraw"),
        "dhpreact": adjoint(ev_n, "hpreact"),
        "n": float(n),
    }
    biased_form = BN_CLOSED.replace("n/(n-1)*", "")
    d_n = agree(
        "the closed form for a variance over n",
        compute(biased_form, known_n),
        ev_n.gradient["hprebn"],
    )
    s3 = Step("Bessel's n - 1 in the gradient")
    agree("the division's local derivative", np.max(local), 1 / (n - 1))
    s3.say(
        f"The variance path passes the division by n - 1 in bnvar: the local derivative "
        f"of a/b with respect to a is 1/b (gradcli's rule), here 1/({n} - 1) = "
        f"{fmt(float(np.max(local)))}. That 1/(n - 1) meets the 1/n in front of the closed "
        f"form as the n/(n - 1) of its last term."
    )
    if off <= 1e-12:
        raise ClosedFormMismatch("leaving out n/(n-1) did not change the closed form")
    s3.say(
        f"Leave the n/(n-1) out and the closed form misses the engine's "
        f"{bar('hprebn')} by up to {fmt(off)}. It is right only for the other program: "
        f"with bnvar = sum(...) / {n} (the biased variance) the engine's gradient matches "
        f"the closed form without n/(n-1) to {fmt(d_n)}."
    )

    s4 = Step("The closed form")
    s4.say(
        f"The lecture's one line, evaluated by gradcli with n = {n} and the engine's "
        f"bngain, bnvar_inv, bnraw and {bar('hpreact')}{written_as(nt, 'hpreact')}:"
    )
    closed = compute(BN_CLOSED, known)
    s4.show(BN_CLOSED, *at.lines("  = ", closed))
    s4.say(checked("dhprebn", closed, dhprebn))
    return [s1, s2, s3, s4]


# --- embedding -------------------------------------------------------------------------------
EMBEDDING = "emb = C[Xb]\nL = sum(emb * G)"
EMBEDDING_VALUES = {
    "C": [[1, 2], [3, 4], [5, 6], [7, 8]],
    "Xb": [[0, 2], [2, 3]],
    "G": [[[1, 1], [2, 0]], [[0, 3], [1, -1]]],
}


def embedding_topic(nt: Notation) -> list:
    ev = run(EMBEDDING, EMBEDDING_VALUES)
    C, Xb = value(ev, "C"), value(ev, "Xb").astype(int)
    demb = adjoint(ev, "emb")
    dC = ev.gradient["C"]
    bar = nt.bar
    positions = [tuple(int(v) for v in p) for p in np.ndindex(*Xb.shape)]
    s1 = Step("The lookup emb = C[Xb]")
    s1.say(
        f"An embedding table C {shape_text(C.shape)}, one row per token, and a batch "
        f"of indices Xb {shape_text(Xb.shape)} (in makemore, the characters of each context): emb = C[Xb] looks up one row of C per "
        f"index, so emb has shape {shape_text(value(ev, 'emb').shape)}.",
        inputs_line(ev),
    )
    s1.show(*[f"emb{index_text(p)} = C[{Xb[p]}] = {at.text(C[Xb[p]])}" for p in positions])
    counts = np.bincount(Xb.ravel(), minlength=C.shape[0])
    twice = [r for r in range(C.shape[0]) if counts[r] > 1]
    never = [r for r in range(C.shape[0]) if counts[r] == 0]
    said = []
    for r in twice:
        at_ = " and ".join(f"Xb{index_text(p)}" for p in positions if Xb[p] == r)
        said.append(f"row {r} is looked up {counts[r]} times ({at_})")
    if not twice:
        said.append("no row is looked up twice")
    if never:
        said.append(f"row{'s' if len(never) > 1 else ''} {', '.join(map(str, never))} never")
    text = "; ".join(said) + "."
    s1.say(text[0].upper() + text[1:])

    s2 = Step("Backward: scatter-add")
    s2.say(
        f"{bar('emb')} arrives (it is G here); each lookup sends its row of "
        f"{bar('emb')} back to the row of C it read, and a row read twice adds both:"
    )
    s2.show(*at.lines(f"{bar('emb')} = ", demb))
    loop = np.zeros(C.shape)
    lines = []
    for p in positions:
        loop[Xb[p]] += demb[p]
        lines.append(f"{bar('C')}[{Xb[p]}] += {bar('emb')}{index_text(p)} = {at.text(demb[p])}")
    s2.show(*lines)
    agree("dC by the loop", loop, dC)
    for r in twice:
        parts = [demb[p] for p in positions if Xb[p] == r]
        s2.say(
            f"Row {r} collects {len(parts)} contributions: {bar('C')}[{r}] = "
            + " + ".join(at.text(v) for v in parts)
            + f" = {at.text(dC[r])}."
        )
    for r in never:
        s2.say(f"Row {r} was never looked up: {bar('C')}[{r}] = {at.text(dC[r])}.")
    s2.say(f"The engine's {bar('C')}:")
    s2.show(*at.lines(f"{bar('C')} = ", dC))
    if twice:
        r = twice[0]
        entry = (r, int(np.argmax(np.abs(dC[r]))))
        s2.say(
            f"Measured on L, nudging C{index_text(entry)} by ±{fmt(H)} moves L at the rate "
            f"{fmt(measured(ev, 'C', entry))} per unit: both lookups feel it."
        )

    s3 = Step("The slip: one contribution instead of all")
    buffered = np.zeros(C.shape)
    buffered[Xb] += demb  # NumPy reads dC[Xb] once, adds, writes back: a repeat keeps one
    s3.say(
        "In NumPy, dC[Xb] += demb reads dC[Xb] once, adds demb and writes the result "
        "back, so at a repeated index one write replaces the other. Computed here:"
    )
    s3.show(*at.lines("dC[Xb] += demb  →  ", buffered))
    for r in twice:
        parts = [demb[p] for p in positions if Xb[p] == r]
        kept = [k for k, v in enumerate(parts) if np.array_equal(buffered[r], v)]
        if kept and not np.array_equal(buffered[r], dC[r]):
            s3.say(
                f"Row {r} kept only {at.text(parts[kept[0]])}, one of its {len(parts)} "
                f"contributions, instead of their sum {at.text(dC[r])}."
            )
    s3.say(
        "np.add.at(dC, Xb, demb) adds every contribution; in PyTorch, index_add_ does, or "
        "a loop over the batch as the lecture writes it."
    )

    s4 = Step("The closed form")
    s4.say(
        "Scatter-add: start from zeros of C's shape and add each lookup's adjoint to the "
        "row it read."
    )
    text = "for every position p of Xb:  dC[Xb[p]] += demb[p]"
    s4.show(text, *at.lines("  = ", loop))
    s4.say(checked(text, loop, dC))
    m, (rows, width) = Xb.size, C.shape
    matrix = f"dC = onehot(reshape(Xb, {m}), {rows}).T @ reshape(demb, {m}, {width})"
    by_matrix = compute(matrix, {"Xb": Xb, "demb": demb})
    s4.say(
        f"The same sum as one matrix product: row r of onehot(...).T has a 1 for every "
        f"lookup of row r, so multiplying it by the {m} rows of {bar('emb')} adds exactly "
        f"the rows that read r. Evaluated by gradcli"
        f"{written_as(nt, 'emb')}:"
    )
    s4.show(matrix, *at.lines("  = ", by_matrix))
    s4.say(checked(matrix, by_matrix, dC))
    return [s1, s2, s3, s4]


TENSOR_TOPICS = (
    (
        "broadcast",
        "a bias broadcast over the batch: db = sum(dY, axis=0); (64,) vs (1, 64)",
        broadcast_topic,
    ),
    ("matmul", "dW = X.T @ dY by dimension analysis, with the worked example", matmul_topic),
    (
        "softmax-cross-entropy",
        "dlogits = (softmax(logits) - onehot(y)) / n, step by step",
        softmax_cross_entropy_topic,
    ),
    ("batchnorm", "the batchnorm backward in one line, and Bessel's n - 1", batchnorm_topic),
    (
        "embedding",
        "C[Xb]: a row looked up twice collects both contributions (scatter-add)",
        embedding_topic,
    ),
)
