"""Generated quiz questions: templates, and values drawn so that mistakes stay apart.

A template is a small program with named inputs and a few things to ask. Values are
drawn at random, then the question is rejected and redrawn unless every catalogued
mistake gives a number clearly different from the right answer and from every other
mistake (see ../shared/misconceptions.md, "How to choose values"): otherwise a wrong
answer could not be diagnosed, or a mistake would be marked right.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Optional

from ..core.errors import GradcliError, UnknownName, UsageError, close_matches, quoted_or
from .misconceptions import BY_ID, predictions
from .quiz import Question, unfairness

MAX_DRAWS = 400
SEPARATION = 0.05  # relative and absolute

ANY = (-4, -3, -2, 2, 3, 4, -2.5, -1.5, 1.5, 2.5)
SMALL = (-2, -1.5, 1.5, 2, -0.2, 0.2, 0.4, -0.4)
SCALE = (2, 3, 4, 5)
BIG_SCALE = (10, 20, 30)  # sigmoid slopes are small: scaled up, mistakes differ by > 0.05


@dataclass(frozen=True)
class Template:
    name: str
    level: int
    topic: str
    source: str  # {k}, {K}: a positive constant, drawn from SCALE, BIG_SCALE
    asks: tuple
    pools: dict  # input name -> values to draw from (default ANY)


T = Template
TEMPLATES = (
    # Level 1: one gate, its output scaled by a constant so the arriving adjoint is not 1.
    T("mul", 1, "mul", "x = a * b\nf = {k} * x", ("grad a", "grad b", "value x", "value f"), {}),
    T("add", 1, "add", "x = a + b\nf = {k} * x", ("grad a", "grad b", "value x", "value f"), {}),
    T("sub", 1, "sub", "x = a - b\nf = {k} * x", ("grad a", "grad b", "value x", "value f"), {}),
    T(
        "div",
        1,
        "div",
        "x = a / b\nf = {k} * x",
        ("grad a", "grad b", "value x", "value f"),
        {"b": (-4, -2, 2, 4, 2.5, -2.5)},
    ),
    # ... or by another input, so the arriving adjoint is a value of the program.
    T("mul-by-input", 1, "mul", "x = a * b\nf = x * c", ("grad a", "grad b", "value x"), {}),
    T("mul-over", 1, "mul", "x = a * b\nf = x / {k}", ("grad a", "grad b", "value x"), {}),
    T("sub-over", 1, "sub", "x = a - b\nf = x / {k}", ("grad a", "grad b", "value x"), {}),
    T(
        "div-by-input",
        1,
        "div",
        "x = a / b\nf = x * c",
        ("grad a", "grad b", "value x"),
        {"b": (-4, -2, 2, 4, 2.5, -2.5)},
    ),
    T("square", 1, "pow", "x = a ^ 2\nf = {k} * x", ("grad a", "value x"), {}),
    # Level 2: chains of two or three gates, unary functions.
    # (An adjoint is asked where it is not simply a forward value: in x = a*b, y = x + c,
    # f = y*d, x̄ = d; after exp or relu it is f or c again.)
    T(
        "chain",
        2,
        "chain",
        "x = a * b\ny = x + c\nf = y * d",
        ("grad a", "grad b", "value y", "value f"),
        {},
    ),
    T("chain-mul", 2, "chain", "x = a * b\ny = x * c\nf = y * d", ("adjoint x", "value y"), {}),
    T("chain-add", 2, "chain", "x = a + b\ny = x * c\nf = {k} * y", ("adjoint x",), {}),
    T(
        "sigmoid",
        2,
        "sigmoid",
        "q = a * b\ns = sigmoid(q)\nf = {K} * s",
        ("grad b", "value s"),
        {"a": (2, -2, 3, -3, 4, -4), "b": (0.4, -0.4, 0.6, -0.6, 0.75, -0.75)},
    ),
    T(
        "tanh",
        2,
        "tanh",
        "q = a + b\nt = tanh(q)\nf = t * c",
        ("grad a", "adjoint q", "value t"),
        {},
    ),
    T(
        "exp",
        2,
        "exp",
        "q = a * b\ny = exp(q)\nf = y * c",
        ("grad a", "grad b", "value y"),
        {"a": SMALL, "b": SMALL},
    ),
    T("relu", 2, "relu", "q = a * b\nr = relu(q)\nf = r * c", ("grad a", "grad b", "value f"), {}),
    T(
        "max",
        2,
        "max",
        "p = a * b\nm = max(p, c)\nf = {k} * m",
        ("grad a", "grad b", "value f"),
        {},
    ),
    T(
        "pow",
        2,
        "pow",
        "y = a ^ b\nf = {k} * y",
        ("grad a", "grad b", "value y"),
        {"a": (2, 3), "b": (2, 3)},
    ),
    T(
        "sigmoid-affine",
        2,
        "sigmoid",
        "q = a * b + c\ns = sigmoid(q)\nf = {K} * s",
        ("grad b", "value s"),
        {"a": (2, -2, 3, -3, 4, -4), "b": (0.4, -0.4, 0.6, -0.6), "c": (0.4, -0.4, 0.6, -0.6)},
    ),
    T(
        "tanh-of-product",
        2,
        "tanh",
        "q = a * b\nt = tanh(q)\nf = {k} * t",
        ("grad a", "grad b", "value t"),
        {"b": (0.4, -0.4, 0.6, -0.6, 0.75, -0.75)},
    ),
    T(
        "exp-affine",
        2,
        "exp",
        "q = a * b + c\ny = exp(q)\nf = {k} * y",
        ("grad a", "value y"),
        {"a": SMALL, "b": SMALL, "c": SMALL},
    ),
    T("squared-error", 2, "chain", "e = p - y\nf = e ^ 2", ("grad p", "grad y", "value e"), {}),
    T(
        "scaled-error",
        2,
        "chain",
        "p = w * x\ne = p - y\nf = e ^ 2",
        ("grad w", "grad x", "adjoint p", "value e"),
        {},
    ),
    T("rebound", 2, "chain", "x = a * b\nx += c\nf = {k} * x", ("grad a", "grad c"), {}),
    # Level 3: fan-out, neurons, deeper programs.
    T("fan-out", 3, "fan-out", "x = a * b\ny = a + c\nf = x * y", ("grad a",), {}),
    T(
        "fan-out-sub",
        3,
        "fan-out",
        "p = a * c\nq = a * d\ng = p - q\nf = {k} * g",
        ("grad a", "adjoint p", "adjoint q"),
        {},
    ),
    T(
        "neuron",
        3,
        "neuron",
        "z = w0*x0 + w1*x1 + b\nf = sigmoid(z)",
        ("grad w0", "grad x0", "grad w1", "grad b"),
        {name: SMALL + (1.5, 2.5) for name in ("w0", "x0", "w1", "x1", "b")},
    ),
    T(
        "two-layer",
        3,
        "neuron",
        "h = relu(w0*x + b0)\nf = sigmoid(w1*h + b1)",
        ("grad w0", "grad x", "grad b0", "adjoint h"),
        {
            "w0": (2, -2, 1.5, -1.5),
            "x": (1.5, 2, -1.5, -2, 3),
            "b0": (-2, -1.5),
            "w1": (-2, -1.5, -2.5, -3, -4),
            "b1": (1.5, 2, 2.5, 3, 4, 5, 6),
        },
    ),
    T(
        "quotient",
        3,
        "quotient",
        "u = x + y\nv = x * z\nf = u / v",
        ("grad x", "grad z"),
        {"z": (2, 3, 4, -2, -3)},
    ),
    T("fan-out-sum", 3, "fan-out", "x = a * b\ny = x + a\nf = y * c", ("grad a",), {}),
    T("fan-out-rebound", 3, "fan-out", "x = a * b\nx += a\nf = {k} * x", ("grad a",), {}),
    T(
        "neuron-three",
        3,
        "neuron",
        "z = w0*x0 + w1*x1 + w2*x2 + b\nf = sigmoid(z)",
        ("grad w0", "grad x1", "grad w2", "grad b"),
        {name: SMALL + (1.5, 2.5) for name in ("w0", "x0", "w1", "x1", "w2", "x2", "b")},
    ),
    T(
        "tanh-neuron",
        3,
        "neuron",
        "z = w0*x0 + w1*x1 + b\nf = {k} * tanh(z)",
        ("grad w0", "grad x1", "grad b"),
        {name: SMALL + (1.5, 2.5) for name in ("w0", "x0", "w1", "x1", "b")},
    ),
    T(
        "softmax-of-two",
        3,
        "quotient",
        "ea = exp(a)\neb = exp(b)\np = ea / (ea + eb)\nf = {K} * p",
        ("grad b",),
        {"a": SMALL, "b": SMALL},
    ),
)
TOPICS = sorted({t.topic for t in TEMPLATES})
# How often each kind of question is asked, by level (among the kinds a template offers):
# forward values while programs are small, intermediate adjoints once there are chains,
# input gradients most of the time.
KIND_WEIGHTS = {
    1: {"grad": 0.7, "value": 0.3},
    2: {"grad": 0.55, "adjoint": 0.25, "value": 0.2},
    3: {"grad": 0.7, "adjoint": 0.3},
}


# explain's lessons as quiz topics: each lesson practises the gates topics.GATES sends to
# it (the one list of names both commands take). forward-vs-reverse has no quiz of its own
# (every question is reverse mode): it practises the chain its lesson differentiates both
# ways; a lesson that is also a gate topic (add, chain, sigmoid, fan-out) is that topic.
def _lesson_aliases() -> dict:
    from .topics import GATES
    from .topics import TOPICS as LESSONS

    out = {}
    for lesson, t in LESSONS.items():
        if t.arrays or lesson in TOPICS:
            continue
        gates = tuple(g for g in TOPICS if GATES.get(g) == lesson)
        out[lesson] = gates or PRACTISED_BY[lesson]
    return out


PRACTISED_BY = {"forward-vs-reverse": ("chain",)}


ALIASES = _lesson_aliases()


def topic_names(topic: str) -> tuple:
    """The template topics a --topic NAME selects."""
    if topic in TOPICS:
        return (topic,)
    if topic in ALIASES:
        return ALIASES[topic]
    from .quiz import NOT_FOR_ARRAYS
    from .topics import TOPICS as LESSONS

    if topic in LESSONS and LESSONS[topic].arrays:
        raise UsageError(
            f"explain's lesson '{topic}' is on arrays, and {NOT_FOR_ARRAYS}",
            "the quiz's topics: " + ", ".join(TOPICS),
        )
    known = list(TOPICS) + list(ALIASES)
    close = close_matches(topic, known)
    raise UnknownName(
        f"no quiz topic named '{topic}'" + (f"; did you mean {quoted_or(close)}?" if close else ""),
        "topics: "
        + ", ".join(TOPICS)
        + "; also explain's names: "
        + ", ".join(f"{a} ({'+'.join(ts)})" for a, ts in ALIASES.items()),
        name=topic,
        kind="topic",
        suggestions=close,
        known=known,
        parameter="topic",
    )


def generate(level: Optional[int] = 1, count: int = 5, seed=None, topic=None) -> list:
    """`count` questions at `level` (all levels when topic is given and level is None)."""
    topics = None if topic is None else topic_names(topic)
    pool = [
        t
        for t in TEMPLATES
        if (topics is None or t.topic in topics) and (level is None or t.level == level)
    ]
    if not pool:
        levels = sorted({str(t.level) for t in TEMPLATES if topics is None or t.topic in topics})
        raise UsageError(
            f"no questions on {topic} at level {level}"
            if topic
            else f"no questions at level {level}",
            (f"{topic} is at level " if topic else "the levels are ") + ", ".join(levels),
        )
    rng = random.Random(seed)
    weights = _kind_weights(pool)
    kinds = list(weights)
    queues: dict = {k: [] for k in kinds}  # per kind, the templates still to come
    out = []
    for n in range(1, count + 1):
        # The kind first, by the level's weights; then the templates asking that kind in
        # turn (shuffled rounds), so the topics stay mixed within each kind.
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        if not queues[kind]:
            queues[kind] = [t for t in pool if any(a.split()[0] == kind for a in t.asks)]
            rng.shuffle(queues[kind])
        t = queues[kind].pop()
        ask = rng.choice([a for a in t.asks if a.split()[0] == kind])
        out.append(draw(t, rng, f"q{n}", ask))
    return out


def _kind_weights(pool: list) -> dict:
    """Kind -> weight for the pool's levels (averaged), over the kinds the pool asks."""
    offered = {a.split()[0] for t in pool for a in t.asks}
    levels = sorted({t.level for t in pool})
    weights = {
        k: sum(KIND_WEIGHTS[lv].get(k, 0.0) for lv in levels) / len(levels)
        for k in ("grad", "adjoint", "value")
        if k in offered
    }
    weights = {k: w for k, w in weights.items() if w > 0}
    return weights or {k: 1.0 for k in sorted(offered)}


def draw(t: Template, rng: random.Random, qid: str, ask=None) -> Question:
    """Values for template t that keep the mistakes apart; a bounded number of tries."""
    # The ask is chosen once, before the values: redrawing values must not favour the asks
    # whose mistakes separate most easily.
    ask = ask or choose_ask(t, rng)
    for _ in range(MAX_DRAWS):
        source = t.source.replace("{k}", str(rng.choice(SCALE))).replace(
            "{K}", str(rng.choice(BIG_SCALE))
        )
        names = _input_names(t)
        inputs = {n: float(rng.choice(t.pools.get(n, ANY))) for n in names}
        inputs = {n: int(v) if v.is_integer() else v for n, v in inputs.items()}
        try:
            q = Question(qid, source, inputs, ask, level=t.level, topic=t.topic, shape=t.name)
        except GradcliError:
            continue
        if workable(q) and distinguishable(q) and not unfairness(q):
            return q
    raise GradcliError(
        f"could not draw values for the '{t.name}' question that keep every "
        f"mistake distinguishable ({MAX_DRAWS} tries); this is a bug in its "
        "template"
    )


def choose_ask(t: Template, rng: random.Random) -> str:
    """A kind by the level's weights (among those t offers), then one of t's asks of it."""
    by_kind: dict = {}
    for ask in t.asks:
        by_kind.setdefault(ask.split()[0], []).append(ask)
    kinds = [k for k in KIND_WEIGHTS[t.level] if k in by_kind] or list(by_kind)
    weights = [KIND_WEIGHTS[t.level].get(k, 1.0) for k in kinds]
    kind = rng.choices(kinds, weights)[0]
    return rng.choice(by_kind[kind])


def _input_names(t: Template) -> list:
    from ..language.lower import compile_program

    return list(compile_program(t.source.replace("{k}", "2").replace("{K}", "2")).inputs)


# --- what makes values workable and mistakes distinguishable ------------------------------
def _near(a: float, b: float) -> bool:
    return abs(a - b) <= SEPARATION or abs(a - b) <= SEPARATION * max(abs(a), abs(b))


_AWKWARD = (0.0, 1.0, -1.0, 0.5, -0.5)


def workable(q: Question) -> bool:
    s = q.situation
    tape, values, adjoints = s.tape, s.values, s.ev.adjoints
    if any(_near(v, w) for v in q.inputs.values() for w in _AWKWARD):
        return False
    if _near(s.correct, 0):
        return False
    opposite_relu = None
    for i, step in enumerate(tape.steps):
        xs = [values[a] for a in step.args]
        op = step.op.name
        if len(xs) == 2 and abs(xs[0]) == abs(xs[1]):
            return False  # equal operands: a·a hides the wrong-operand slip
        if op == "mul" and any(_near(xs[0] * xs[1], w) for w in (1.0, -1.0)):
            return False
        if op in ("sigmoid", "tanh") and not 1 < abs(xs[0]) <= 3:
            return False
        if op == "exp" and abs(xs[0]) > 2.5:
            return False
        if op in ("relu", "abs") and abs(xs[0]) < 0.5:
            return False
        if op in ("max", "min") and abs(xs[0] - xs[1]) < 1:
            return False
        if op == "div" and abs(xs[1]) < 1.5:
            return False
        if op == "relu":
            opposite_relu = opposite_relu or xs[0] * adjoints[i] < 0
        if (
            s.above[i]
            and i != tape.output
            and s.needs[i]
            and any(_near(adjoints[i], w) for w in (0.0, 1.0, -1.0))
        ):
            return False  # an arriving adjoint of 0 or ±1 hides missing-upstream
    if opposite_relu is False:
        return False
    # Two gates from the output keeps the arriving adjoint from being the output's 1; a
    # forward value has no adjoint.
    return q.kind == "value" or _gates_to_output(q) >= 2


def _gates_to_output(q: Question) -> int:
    """The fewest gates between the asked step and the output."""
    tape = q.tape
    dist = {q.situation.target: 0}
    for i, step in enumerate(tape.steps):
        ds = [dist[a] for a in step.args if a in dist]
        if ds:
            dist[i] = min(ds) + 1
    return dist.get(tape.output, 0)


def distinguishable(q: Question) -> bool:
    """Every mistake's number apart from the answer, the forward values and each other."""
    s = q.situation
    preds = predictions(s)
    forwards = [v for i, v in enumerate(s.values) if not s.tape.is_const(i) and i != s.target]
    if any(_near(s.correct, v) for v in forwards):
        return False
    for k, p in enumerate(preds):
        if _near(p.value, s.correct):
            return False
        for other in preds[k + 1 :]:
            if other.id == p.id or not _near(p.value, other.value):
                continue
            tie = other.id in BY_ID[p.id].same_number_as and math.isclose(
                p.value, other.value, rel_tol=1e-9, abs_tol=1e-12
            )
            if not tie:
                return False
    return True
