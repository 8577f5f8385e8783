"""`gradcli plot` on big programs: every sample swept at once on arrays
(gradcli/modes/plot_columns.py) gives the scalar passes' plot exactly (values, slopes,
gaps, poles, kinks, notes and JSON, every float to the bit), with far fewer passes."""

import dataclasses
import itertools
import json
import math
import random
import resource
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, run_gradcli

from gradcli.core.errors import GradcliError
from gradcli.core.ops import OPS
from gradcli.modes import plot, plot_columns

# Every program the plot tests draw, with what they give it.
EXISTING = [
    ("sin(x)*x + relu(x - 0.5)", {"x": 1}, None, (-3, 3), 200),
    ("sin(x)*x", {"x": 1}, None, (-3, 3), 200),
    ("a*b + sin(a)*b^2", {"a": 0.7, "b": -1.5}, "b", None, 200),
    ("relu(x)", {"x": 0}, None, (-1, 1), 200),
    ("log(x)", {"x": 0.5}, None, (-1, 1), 200),
    ("sqrt(x)", {"x": 1}, None, (-1, 2), 200),
    ("sqrt(x^2 - 1)", {"x": 2}, None, (-3, 3), 200),
    ("1/x", {"x": 0.5}, None, (-1, 1.3), 200),
    ("abs(x)", {"x": 0.5}, None, (-1, 1), 201),
    ("abs(x) + relu(x - 0.005)", {"x": 0.5}, None, (-1, 1), 201),
    ("x/abs(x)", {"x": 0.5}, None, (-1, 1.3), 200),
    ("tan(x)", {"x": 0}, None, (-3, 3), 200),
    ("tan(x) + relu(sin(5*x))", {"x": 0}, None, (-10, 10), 200),
    ("log(x^2)", {"x": 0.5}, None, (-1, 1), 201),
    ("log(x)", {"x": -2}, None, (-3, -1), 200),
    ("a*b + b^2", {"a": 1, "b": 3}, "a", (-2, 2), 200),
    ("a*b + b^2", {"a": 1, "b": 3}, "a", None, 200),
    ("x^2", {"x": 1}, None, (-3, 3), 200),
    ("sin(x)", {"x": 0}, None, (-3.141592653589793, 3.141592653589793), 5),
    ("x*1e307", {"x": 1}, None, (-10, 10), 200),
    ("x", {"x": 0}, None, None, 2),
    ("x^3", {"x": 1}, None, None, 200),
    ("x^2", {"x": 1000.1}, None, (1000.1, 1000.2), 20),
    ("relu(x) + 1/(x - 1) + log(x + 2)", {"x": 2}, None, (-3, 3), 200),
    ("x*abs(x)", {"x": 1}, None, None, 200),
    ("a = relu(x); f = a*a", {"x": 1}, None, None, 200),
    ("x*max(x, 0)", {"x": 1}, None, None, 200),
    ("max(x, 0.5*x)", {"x": 1}, None, None, 200),
    ("relu(x)*3", {"x": 1}, None, None, 200),
    ("f = a*b; f = f + 1", {"a": 1, "b": 2}, "a", None, 200),
]

# Each op at least once, with the places where plots break: gaps, poles, kinks, ties,
# infinite slopes, overflow.
PIECES = [
    "exp({a})",
    "log({a})",
    "log2({a} + 2)",
    "log10({a}*{a})",
    "sqrt({a})",
    "sin({a})",
    "cos({a})*{b}",
    "tan({a})",
    "asin({a})",
    "acos({a}/2)",
    "atan({a})",
    "sinh({a})",
    "cosh({a})",
    "tanh({a})",
    "sigmoid({a})",
    "softplus({a})",
    "relu({a})",
    "abs({a})",
    "max({a}, {b})",
    "min({a}, 0.5)",
    "{a}^2",
    "{a}^3",
    "{a}^0.5",
    "{a}^-1",
    "{a}^{b}",
    "{a}/{b}",
    "{a}/(1 + {b}^2)",
    "{a} + {b}",
    "{a} - {b}",
    "-{a}",
    "{a}*{b}*0.5",
    "{a}*1e200",
    "exp({a}*300)",
]


def random_program(seed: int, statements: int) -> str:
    rng = random.Random(seed)
    names = ["x", "y"]
    lines = []
    for k in range(statements):
        a, b = rng.choice(names), rng.choice(names)
        lines.append(f"t{k} = " + rng.choice(PIECES).format(a=a, b=b))
        names.append(f"t{k}")
        if len(names) > 6:
            names.pop(rng.randrange(len(names) - 1))
    lines.append("out = " + " + ".join(names[-3:]))
    return "\n".join(lines)


def both(source, given, along=None, span=None, points=200):
    """The plot from the sweep on arrays and from the scalar passes, each as its fields
    (repr: every float's every bit, nan and -0.0 included) or the error it raised."""
    span = None if span is None else tuple(float(v) for v in span)  # as --range gives it
    out = []
    for columns in (True, False):
        try:
            data = plot.sample(source, given, None, along, span, points, _columns=columns)
            out.append(repr(dataclasses.asdict(data)))
        except GradcliError as exc:  # the same error both ways
            out.append(f"{type(exc).__name__}: {exc}")
    return out


@pytest.mark.parametrize("source, given, along, span, points", EXISTING)
def test_every_plot_test_program_is_the_same_swept_on_arrays(source, given, along, span, points):
    on_arrays, scalar = both(source, given, along, span, points)
    assert on_arrays == scalar


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_are_the_same_swept_on_arrays(seed):
    rng = random.Random(1000 + seed)
    source = random_program(seed, rng.randrange(3, 25))
    given = {"x": rng.choice([0.5, 1.0, -0.3, 2.0]), "y": rng.choice([0.7, -1.2, 3.0])}
    lo = rng.choice([-3.0, -1.0, -0.25, 0.0])
    span = (min(lo, given["x"]), max(lo + rng.choice([1.0, 2.0, 6.0]), given["x"]))
    on_arrays, scalar = both(source, given, "x", span, rng.choice([7, 50, 200, 201]))
    assert on_arrays == scalar, source


def scale_program(n: int, seed: int = 0) -> str:
    """benchmarks/scale.py's program with kinks, poles and gaps along x."""
    rng = random.Random(seed)
    names = ["x"] + [f"x{i}" for i in range(1, 8)]
    lines = []
    for k in range(n):
        a, b = rng.choice(names), rng.choice(names)
        rhs = rng.choice(
            [
                f"{a} + {b}",
                f"{a} - {b}*0.5",
                f"{a} * {b} * 0.5",
                f"{a} / (1 + {b}^2)",
                f"relu({a} - 0.3)",
                f"({a})^2 * 0.1",
                f"tanh({a})",
                f"max({a}, {b})",
            ]
        )
        lines.append(f"t{k} = {rhs}")
        names[rng.randrange(len(names))] = f"t{k}"
    lines.append("out = " + " + ".join(names) + " + log(x + 1) + 1/(x - 0.7)")
    return "\n".join(lines)


GIVEN = {"x": 0.2, **{f"x{i}": 0.1 * i for i in range(1, 8)}}


def test_a_big_program_is_the_same_through_the_command_line(tmp_path):
    from gradcli.cli.render_plot import to_json
    from gradcli.core.notation import Notation

    source = scale_program(1500)
    prog = tmp_path / "big.gc"
    prog.write_text(source)
    args = [f"--{k}={v}" for k, v in GIVEN.items()]
    proc = run_gradcli("plot", "-f", str(prog), *args, "--along", "x", "--json")
    assert proc.returncode == 0, proc.stderr
    scalar = plot.sample(source, GIVEN, None, "x", None, 200, _columns=False)
    assert proc.stdout == to_json(scalar, Notation(ascii_only=False)) + "\n"
    doc = json.loads(proc.stdout)
    assert doc["poles"] and doc["undefined"] and doc["kinks"]  # it has all of them


def test_a_big_program_takes_a_handful_of_scalar_passes(monkeypatch):
    passes = []
    scalar_forward = plot.forward
    monkeypatch.setattr(plot, "forward", lambda *a: passes.append(1) or scalar_forward(*a))
    data = plot.sample(scale_program(1500), GIVEN, None, "x")
    # the sample in the gap where log(x + 1) is undefined, the tangent is not needed
    assert len(passes) <= 3, len(passes)
    assert data.poles and data.undefined and data.kinks and data.tangent


EDGES = [-2.0, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.5, 1.0, 2.0, 1.5, -1.5, 3.0, 1e308, -1e308]


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity))
def test_each_ops_kernel_on_columns_is_its_scalar_kernel_at_edge_points(name):
    # The kernels a plot's columns use: the op's own array kernels where they are the same
    # IEEE arithmetic, else its scalar kernels per element, without the domain check:
    # right only if the forward raises or is not finite wherever the domain says no.
    op = plot_columns.Columns.kernel_op(OPS[name])
    cases = list(itertools.product(EDGES, repeat=OPS[name].arity))
    columns = [np.array(c) for c in zip(*cases)]
    with np.errstate(all="ignore"):
        got = np.asarray(op.array_forward(*columns), dtype=float)
    defined = []
    for k, args in enumerate(cases):
        try:
            want = (
                None if OPS[name].domain and OPS[name].domain(*args) else OPS[name].forward(*args)
            )
        except (ValueError, ZeroDivisionError, OverflowError):
            want = None
        if want is None or not math.isfinite(want):
            assert not math.isfinite(got[k]), (name, args, got[k])
        else:
            assert repr(float(got[k])) == repr(float(want)), (name, args)
            defined.append(k)
    ys = got[defined]
    with np.errstate(all="ignore"):
        partials = op.array_partials(*[c[defined] for c in columns], ys)
    for k, at in enumerate(defined):
        want = OPS[name].partials(*cases[at], float(ys[k]))
        assert repr(tuple(float(np.broadcast_to(p, ys.shape)[k]) for p in partials)) == repr(
            tuple(float(w) for w in want)
        ), (name, cases[at])


def test_ten_thousand_statements_plot_within_bounded_cpu_time_and_memory(tmp_path):
    # benchmarks/scale.py's program of 10,000 statements along the input most of it
    # depends on: 200 samples on a kink, 7 kinks located between samples. The scalar
    # passes took 18 s of CPU time here, the sweep on arrays 4 to 5 s, and 1.1 to 1.4 s
    # once a sweep kept only what it reads and the bisections ran all together
    # (benchmarks/commands.py --only plot 10000).
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import program

    prog = tmp_path / "p10k.gc"
    prog.write_text(program(10_000))
    values = [f"--x{i}={0.1 * (i + 1):.1f}" for i in range(16)]
    limit = 2 * 1024**3

    def bounded():
        resource.setrlimit(resource.RLIMIT_CPU, (12, 12))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "gradcli", "plot", "-f", str(prog), *values, "--along", "x11"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        preexec_fn=bounded,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert "tangent at x11 = 1.2" in proc.stdout


def test_power_with_a_constant_exponent_on_arrays_is_math_pow_on_many_values():
    # A constant exponent is spread to a full array, so NumPy calls the C library's pow
    # for each element, as math.pow does (a one-element exponent takes fast paths: x*x
    # for 2, sqrt for 0.5, 1/x for -1, which round differently now and then). Checked
    # here for the forward value and the base's partial, at every width a sweep uses.
    if not plot_columns.POWER_IS_LIBM:
        pytest.skip("NumPy's power is not the C library's here: pow goes element by element")
    op = plot_columns._power_with_wide_exponent(OPS["pow"])
    rng = np.random.default_rng(14)
    xs = np.concatenate(
        [
            rng.standard_normal(40_000),
            rng.uniform(-10, 10, 40_000),
            np.exp(rng.uniform(-700, 700, 40_000)) * np.sign(rng.standard_normal(40_000)),
            np.array(EDGES + [5e-324, -5e-324, 1.7976931348623157e308, math.inf, math.nan]),
        ]
    )
    for c in [2.0, 3.0, 0.5, -1.0, -2.0, 1.5, 0.0, -0.0, -0.5, 4.0, 1.0, 7.0]:
        exponent = np.array([c])  # the exponent as a sweep holds a constant
        for x in [rng.choice(xs, size=width) for width in (1, 2, 3)] + [xs]:
            with np.errstate(all="ignore"):
                y = op.array_forward(x, exponent)
                dx, dc = op.array_partials(x, exponent, y, wanted=[True, False])
            assert dc is None
            for k, v in enumerate(x.tolist()):
                try:
                    want = OPS["pow"].forward(v, c)
                except (ValueError, ZeroDivisionError, OverflowError):
                    assert not math.isfinite(y[k]), (v, c)  # undefined there, both ways
                    continue
                assert repr(float(y[k])) == repr(want), (v, c)
                slope = OPS["pow"].partials(v, c, want)[0]
                assert repr(float(dx[k])) == repr(slope), (v, c)


def test_a_constant_exponent_is_swept_on_arrays_not_element_by_element():
    columns = plot_columns.Columns(*_columns_for("t = x^2 + x^0.5\nout = t^-1", {"x": 2.0}))
    pows = [step.op for step in columns.array_tape.steps if step.op.name == "pow"]
    assert len(pows) == 3
    if plot_columns.POWER_IS_LIBM:
        assert all(op.array[0].__qualname__.startswith("_power_with_wide") for op in pows)
    batch = columns.sweep([0.25, 1.0, 4.0], [], [], {}, 0)
    for x, y, slope in zip([0.25, 1.0, 4.0], batch.ys, batch.slopes):
        scalar = plot.sample("t = x^2 + x^0.5\nout = t^-1", {"x": x}, points=2, _columns=False)
        assert repr((y, slope)) == repr((scalar.tangent.y, scalar.tangent.slope))


def _columns_for(source, given, along="x"):
    from gradcli.core.engine import input_values
    from gradcli.language.lower import compile_program

    tape = compile_program(source, given)
    inputs, _ = input_values(tape, given)
    sampler = plot._Sampler(tape, inputs, along, None)
    return tape, inputs, sampler.slot, sampler.reach


def _pairs_from_scalars(name, xs, pairs):
    flags = []
    for k in range(pairs - 1):
        left = [float(x[0] if x.shape[0] == 1 else x[k]) for x in xs]
        right = [float(x[0] if x.shape[0] == 1 else x[k + 1]) for x in xs]
        flags.append(bool(plot._POLES[name](left, right)))
    return flags


@pytest.mark.parametrize("name", ["div", "pow", "tan"])
def test_poles_flagged_on_columns_are_the_scalar_tests_pairs(name):
    # Where a pole may lie between two neighbouring columns, on arrays (with the early
    # exits where nothing can change sign), is exactly where the scalar test says so.
    rng = np.random.default_rng(7)
    special = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1.5707963267948966]

    def operand(n):
        kind = rng.integers(4)
        if kind == 0:  # does not depend on the input: one element
            return np.array([rng.choice(special + [2.0, -3.0])])
        if kind == 1:  # one sign throughout
            return np.abs(rng.standard_normal(n)) * rng.choice([1.0, -1.0]) + 0.1
        if kind == 2:
            return rng.standard_normal(n)
        return rng.choice(np.array(special + [0.5, -0.5]), n)

    for _ in range(300):
        n = int(rng.integers(2, 12))
        pairs = int(rng.integers(2, n + 1))
        xs = [operand(n) for _ in range(1 if name == "tan" else 2)]
        if all(x.shape[0] == 1 for x in xs):
            xs[0] = rng.standard_normal(n)
        if name == "tan":  # the scalar test reads defined samples only: finite operands
            xs = [np.where(np.isfinite(x), x, 0.0) for x in xs]
        with np.errstate(all="ignore"):
            got = plot._POLE_COLUMNS[name](xs, pairs)
        got = [False] * (pairs - 1) if got is None else np.broadcast_to(got, (pairs - 1,)).tolist()
        assert got == _pairs_from_scalars(name, xs, pairs), (name, xs, pairs)


def _scale_program(n):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import program

    return program(n)


def test_along_an_input_most_of_the_program_depends_on_two_sweeps_do(monkeypatch):
    # benchmarks/scale.py's program of 10,000 statements along x11: its 200 samples (and
    # the tangent) in one sweep, then one sweep beside all the kinks found between them;
    # a sweep keeps only the values of the steps the output depends on. Each batch of
    # samples used to need its own sweeps beside its kinks, and a sweep kept every value.
    sweeps = []
    engine_sweep = plot_columns.reverse_sweep

    def counted(tape, values, **kw):
        columns = max(len(v) for v in values if v is not None)
        sweeps.append((columns, sum(v is not None and v.shape != (1,) for v in values)))
        return engine_sweep(tape, values, **kw)

    monkeypatch.setattr(plot_columns, "reverse_sweep", counted)
    given = {f"x{i}": 0.1 * (i + 1) for i in range(16)}
    source = _scale_program(10_000)
    data = plot.sample(source, given, along="x11", _columns=True)
    assert len(data.xs) == 200 and data.tangent
    columns = plot_columns.Columns(*_columns_for(source, given, "x11"))
    # 200 samples and the tangent's point; then each kink located and a point either side
    assert [width for width, _ in sweeps][:1] == [201] and len(sweeps) == 2, sweeps
    assert sweeps[1][0] % 3 == 0 and sweeps[1][0] > 0, sweeps
    assert all(kept <= columns.kept + 1 for _, kept in sweeps), (sweeps, columns.kept)
    assert columns.kept < 0.6 * sum(columns.reach)
    assert sum(columns.checked) < 0.6 * len(columns.plan)  # values checked for inf and nan


HIDING = [
    "relu({a}*1e300*1e300) + {b}",  # relu(-inf) = 0
    "{b}/({a}*1e300*1e300)",  # x/inf = 0
    "({a}*1e300*1e300)^-1",
    "({a}*1e300*1e300)^0",
    "tanh({a}*1e300*1e300)",
    "max({a}*1e300*1e300, 1)",
    "min({a}*1e300*1e300, 1)",
    "sqrt({a}) + 1",
    "log({a})*0",
    "abs({a}*1e300*1e300) - {b}",
    "-{a}*1e300*1e300*{b}",
    "({a}*1e300*1e300)^2",
    "{a}/{b}",
]


@pytest.mark.parametrize("seed", range(30))
def test_the_columns_found_undefined_are_those_where_any_value_is_not_finite(seed):
    # forward() checks only the values that could hide an entry that is not finite
    # (Columns.checked); checking every value finds the same undefined columns.
    rng = random.Random(seed)
    names, lines = ["x"], []
    for k in range(rng.randrange(2, 12)):
        # every step reads x or a step that does: none is undefined at every sample
        a, b = rng.choice(names), rng.choice(names + ["y"])
        lines.append(f"t{k} = " + rng.choice(HIDING + PIECES).format(a=a, b=b))
        names.append(f"t{k}")
    lines.append(f"out = {names[-1]} + y + x")
    columns = plot_columns.Columns(*_columns_for("\n".join(lines), {"x": 0.5, "y": 2.0}))
    assert not columns.undefined_everywhere
    xs = [-2.0, -1.0, -1e-300, -0.0, 0.0, 1e-300, 0.5, 1.0, 3.0, 1e10]
    found = columns.forward(xs).bad
    columns.checked = plot_columns._EVERY
    assert found == columns.forward(xs).bad, lines


def test_steps_the_plotted_input_does_not_reach_are_numbers_until_read():
    # Along x0, which a few steps read, the rest of a 3,000-statement program is computed
    # once on floats, as the scalar path computes it; only the values read by a step that
    # depends on x0 become arrays. The plot is the scalar path's.
    given = {f"x{i}": 0.1 * (i + 1) for i in range(16)}
    source = _scale_program(3000)
    tape, inputs, slot, reach = _columns_for(source, given, "x0")
    columns = plot_columns.Columns(tape, inputs, slot, reach)
    arrays = sum(v is not None for v in columns.constants)
    read = {a for _, _, args in columns.plan for a in args if not reach[a]}
    assert arrays <= len(read) + 1 < len(tape.steps) // 10
    on_arrays, scalar = both(source, given, "x0", None, 50)
    assert on_arrays == scalar


def _plot_peak(n: int, distinct: bool) -> tuple:
    """Peak traced memory (bytes) of plotting a chain of n powers on arrays, each with its
    own constant exponent (distinct) or all with one, and the kinks found."""
    import tracemalloc

    def e(k):
        return 1 + (-1) ** k * k * 1e-12 if distinct else 1 + 1e-12

    lines = ["t0 = x"] + [f"t{k} = t{k - 1}^{e(k)!r}" for k in range(1, n + 1)]
    src = "\n".join(lines + [f"out = abs(sin(t{n} * 300))"])
    tracemalloc.start()
    try:
        d = plot.sample(src, {"x": 1.0}, span=(0.0, 2.0), _columns=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, len(d.kinks)


def test_many_distinct_exponents_cost_no_more_memory_than_one():
    """A spread copy of each constant exponent was once kept for every sweep width, outside
    the sweep's budget: 300 distinct exponents took 2.2x the memory of one exponent (75 MB
    against 34 MB), 1 GB at 3,000 statements and 10,000 samples. Now about the same."""
    many, kinks_many = _plot_peak(300, True)
    one, kinks_one = _plot_peak(300, False)
    assert kinks_many == kinks_one > 100  # the same bisections either way
    assert many < 1.5 * one, (many, one)
