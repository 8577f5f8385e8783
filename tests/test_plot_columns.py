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
    # passes took 18 s of CPU time here, the sweep on arrays 4 to 5 s.
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
