"""`gradcli code --lang numpy`: the generated NumPy runs and prints exactly what
`gradcli eval --grad-only` prints, character for character.

Exact, not close: the generated code does the engine's arithmetic in the engine's order
(the same NumPy calls, `local * adjoint` summed back to shape, a reduction's ties split as
`(x == m) / count`), so in tensor mode there is no rounding to excuse. Every op gets a
program (a new op in the table fails test_every_op_has_a_case until it has one), so do
the worked examples of ../shared/tensor-notes.md, broadcasting each way, keepdims both
ways, repeated indices, ties, kinks, aliasing (+= after a term that is a view), awkward
names and a seeded set of random programs. The programs run in one Python process (each
in a fresh scope, stdout a UTF-8 stream, as at a terminal); makemore part 4 also runs as
a script, as a user runs it, in UTF-8 and in ASCII.
"""

import json
import math
import random
import subprocess
import sys

import pytest
from conftest import ROOT, Cli, run_gradcli

from gradcli.core.ops import BINARY_SYMBOLS, FUNCTIONS, OPS
from gradcli.core.tensor_ops import TENSOR_OPS
from gradcli.language.lower import compile_program

CLI = Cli()
EXAMPLES = ROOT / "examples"

_HARNESS = r"""
import contextlib, io, json, sys
results = []
for code in json.load(sys.stdin):
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<generated>", "exec"), {"__name__": "__main__"})
        error = None
    except Exception as exc:
        error = repr(exc)
    out.flush()
    results.append([raw.getvalue().decode("utf-8"), error])
sys.__stdout__.write(json.dumps(results))
"""


def _args(program: str, values: dict) -> list:
    return [program] + [f"{k}={v}" for k, v in values.items()]


def generate(program: str, values: dict, *options) -> tuple:
    """(the NumPy code, what `gradcli eval --grad-only` prints)."""
    ev = CLI("eval", "--grad-only", *options, *_args(program, values))
    assert ev.exit_code == 0, (program, ev.stderr)
    gen = CLI("code", "--lang", "numpy", *options, *_args(program, values))
    assert gen.exit_code == 0, (program, gen.stderr)
    return gen.stdout, ev.stdout


def run_all(codes: list) -> list:
    proc = subprocess.run(
        [sys.executable, "-c", _HARNESS],
        input=json.dumps(codes),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check_all(cases: list) -> list:
    """Generate and run every (program, values); each must print eval's lines exactly."""
    generated = [generate(program, values) for program, values in cases]
    results = run_all([code for code, _ in generated])
    problems = []
    for (program, values), (code, want), (got, error) in zip(cases, generated, results):
        if error is not None or got != want:
            problems.append(
                f"{program} {values}\nerror: {error}\nwant:\n{want}got:\n{got}\ncode:\n{code}"
            )
    assert not problems, f"{len(problems)} of {len(cases)} differ:\n\n" + "\n\n".join(problems[:3])
    return [code for code, _ in generated]


def check(program: str, values: dict) -> str:
    return check_all([(program, values)])[0]


X = "[[0.2, 0.5, 0.7], [0.3, 0.6, 0.9]]"  # inside every function's domain
G = "[[1, -2, 0.5], [3, 0.25, -1]]"
ROW = "[0.4, 0.5, 0.8]"
KEEP_ROW = "[[0.4, 0.5, 0.8]]"  # (1, 3)
COL = "[[0.3], [0.6]]"  # (2, 1)


def elementwise_cases() -> list:
    """Every elementwise op (every function, alias and operator) on arrays, with each
    operand broadcast in turn: (2, 3) with (3,), (3,) with (2, 3), (2, 1) with (1, 3)."""
    cases = []
    for name, op in sorted(FUNCTIONS.items()):
        if op.arity == 1:
            cases.append((f"sum({name}(X) * G)", {"X": X, "G": G}))
        else:
            cases += [
                (f"sum({name}(X, r) * G)", {"X": X, "r": ROW, "G": G}),
                (f"sum({name}(r, X) * G)", {"X": X, "r": ROW, "G": G}),
                (f"sum({name}(c, k) * G)", {"c": COL, "k": KEEP_ROW, "G": G}),
            ]
    for symbol in sorted(BINARY_SYMBOLS):
        cases += [
            (f"sum((X {symbol} r) * G)", {"X": X, "r": ROW, "G": G}),
            (f"sum((r {symbol} X) * G)", {"X": X, "r": ROW, "G": G}),
            (f"sum((c {symbol} k) * G)", {"c": COL, "k": KEEP_ROW, "G": G}),
        ]
    cases.append(("sum(-X * G)", {"X": X, "G": G}))
    return cases


# Each tensor op, each way it can be called; the names say which op each case is for.
TENSOR_CASES = [
    # matmul: 2-D, a vector on either side, two vectors, one value on both sides
    ("sum((A @ W) * H)", {"A": X, "W": "[[1, 0], [0, 1], [1, -1]]", "H": "[[1, 2], [3, 4]]"}),
    ("sum((v @ W) * h)", {"v": ROW, "W": "[[1, 0], [0, 1], [1, -1]]", "h": "[2, -3]"}),
    ("sum((W @ v) * h)", {"v": "[2, -3]", "W": "[[1, 0], [0, 1], [1, -1]]", "h": ROW}),
    ("v @ u", {"v": ROW, "u": "[1, -2, 3]"}),
    ("sum(X.T @ X)", {"X": X}),
    # transpose
    ("sum(X.T * H)", {"X": X, "H": "[[1, 2], [3, 4], [5, 6]]"}),
    # sum and mean: every axis, keepdims both ways, a negative axis
    ("s = sum(X, axis=1, keepdims=true); sum(s * c)", {"X": X, "c": COL}),
    ("s = sum(X, axis=1); sum(s * [2, -1])", {"X": X}),
    ("s = sum(X, axis=0); sum(s * r)", {"X": X, "r": ROW}),
    ("s = sum(X, axis=-1); sum(s * [2, -1])", {"X": X}),
    ("m = mean(X, axis=0, keepdims=true); sum(m * k)", {"X": X, "k": KEEP_ROW}),
    ("m = mean(X, axis=1); sum(m * [2, -1])", {"X": X}),
    ("mean(X * G)", {"X": X, "G": G}),
    # max and min over an axis, with ties (split equally, as torch.amax)
    ("max(X)", {"X": "[[1, 3, 3], [0, 3, 2]]"}),
    ("m = max(X, axis=1, keepdims=true); sum(m * c)", {"X": "[[1, 3, 3], [2, 2, 2]]", "c": COL}),
    ("m = max(X, axis=1); sum(m * [2, -1])", {"X": "[[1, 3, 3], [2, 2, 2]]"}),
    ("m = min(X, axis=0); sum(m * r)", {"X": "[[1, 3, 3], [1, 2, 5]]", "r": ROW}),
    (
        "m = min(X, axis=0, keepdims=true); sum(m * k)",
        {"X": "[[1, 3, 3], [1, 2, 5]]", "k": KEEP_ROW},
    ),
    # reshape, a -1 and a size computed from an integer input
    ("sum(reshape(X, 3, 2) * [[1, 2], [3, 4], [5, 6]])", {"X": X}),
    ("sum(reshape(X, -1) * [1, 2, 3, 4, 5, 6])", {"X": X}),
    ("sum(reshape(X, n / 2, -1) * G)", {"X": X, "G": G, "n": "4"}),
    # indexing: a lookup with a repeated index, picked rows, slices, numbers, literals
    (
        "sum(C[Xb] * T)",
        {
            "C": "[[1, 2], [3, 4], [5, 6], [7, 8]]",
            "Xb": "[[0, 2], [2, 3]]",
            "T": "[[[1, 1], [2, 0]], [[0, 3], [1, -1]]]",
        },
    ),
    ("-mean(L[range(n), y])", {"L": X, "n": "2", "y": "[2, 0]"}),
    ("sum(X[:, 1:3] * [[1, 2], [3, 4]])", {"X": X}),
    ("sum(X[1] * r) + X[0, 2] * 3", {"X": X, "r": ROW}),
    ("sum(X[i] * r) + sum(X[-1])", {"X": X, "r": ROW, "i": "0"}),
    ("sum(X[[0, 0, 1]] * [[1, 2, 3], [4, 5, 6], [7, 8, 9]])", {"X": X}),
    ("sum(X[n / 2 - 1] * r)", {"X": X, "r": ROW, "n": "2"}),
    # range, onehot
    ("sum(X * arange(3))", {"X": X}),
    ("sum(onehot(y, 3) * X)", {"X": X, "y": "[2, 0]"}),
    # softmax, log_softmax along either axis; cross_entropy on rows and on one row
    ("sum(softmax(X) * G)", {"X": X, "G": G}),
    ("sum(softmax(X, axis=0) * G)", {"X": X, "G": G}),
    ("sum(log_softmax(X) * G)", {"X": X, "G": G}),
    ("sum(log_softmax(X, axis=0) * G)", {"X": X, "G": G}),
    ("cross_entropy(X * 3, y)", {"X": X, "y": "[2, 0]"}),
    ("cross_entropy(v, t) * 2", {"v": ROW, "t": "1"}),
]

# ../shared/tensor-notes.md's worked examples, L = sum(Y * G), and what they must give.
WORKED = [
    (
        "Y = X @ W; sum(Y * G)",
        {"X": "[[1,2,3],[4,5,6]]", "W": "[[1,0],[0,1],[1,-1]]", "G": "[[1,2],[3,4]]"},
        {"X": [[1, 2, -1], [3, 4, -1]], "W": [[13, 18], [17, 24], [21, 30]]},
    ),
    (
        "loss = cross_entropy(logits, targets)",
        {"logits": "[[1,2,3],[1,-1,0]]", "targets": "[2,0]"},
        {
            "logits": [
                [0.0450152866, 0.1223642355, -0.1673795221],
                [-0.1673795221, 0.0450152866, 0.1223642355],
            ]
        },
    ),
    (
        "Y = C[Xb]; sum(Y * G)",
        {
            "C": "[[1,2],[3,4],[5,6],[7,8]]",
            "Xb": "[[0,2],[2,3]]",
            "G": "[[[1,1],[2,0]],[[0,3],[1,-1]]]",
        },
        {"C": [[1, 1], [0, 0], [2, 3], [1, -1]]},
    ),
]

KINKS = [
    ("sum(relu(X) * G)", {"X": "[[0, -1, 2], [0.5, 0, -3]]", "G": G}),  # relu'(0) = 0
    ("sum(abs(X) * G)", {"X": "[[0, -1, 2], [0.5, 0, -3]]", "G": G}),  # abs'(0) = 0
    ("sum(max(X, Y) * G)", {"X": "[[1, 2, 3], [4, 5, 6]]", "Y": "[[1, 0, 3], [5, 5, 0]]", "G": G}),
    ("sum(min(X, r) * G)", {"X": "[[1, 2, 3], [4, 5, 6]]", "r": "[1, 5, 3]", "G": G}),
    ("sum(X ^ c)", {"X": "[[0, 2, 3], [0, 1.5, 2]]", "c": "[0, 2, 0.5]"}),  # gates at c = 0
    ("sum(X ^ 0 + X ^ 2 + X ^ -1 + X ^ 0.5)", {"X": "[[1, 2, 3], [4, 5, 6]]"}),
    ("sum(pow(c, X))", {"X": "[[1, 2, 3], [4, 5, 6]]", "c": "[0, 2, 0.5]"}),  # d/dc at c = 0
    ("sum(sqrt(X))", {"X": "[[0, 1, 4], [9, 0, 2]]"}),  # an infinite slope: inf entries
    ("sum(sqrt(relu(X)))", {"X": "[[-1, 1, 4], [9, 0, 2]]"}),  # routed: 0, not 0*inf = nan
    ("sum(log(X) * 0)", {"X": "[[1, 2, 3], [4, 5, 6]]"}),
]

ALIASING = [
    ("sum(X + X)", {"X": X}),  # one step, both operands
    ("z = X * W; y = z + X; sum(y)", {"X": X, "W": G}),  # a pass-through term first, then +=
    (
        "sum(X * G) + sum(X.T * H)",
        {"X": X, "G": G, "H": "[[1, 2], [3, 4], [5, 6]]"},
    ),  # a view first
    ("a = X.T; sum(a @ X) + sum(a)", {"X": X}),
    ("c = X; c += X; c *= c; sum(c)", {"X": X}),  # rebound names
    ("s = X + 1; t = s.T; sum(t @ s) + sum(s)", {"X": X}),
    ("y = X * 2; z = y; sum(z * y)", {"X": X}),
    ("f = 1 * sum(X)", {"X": X}),
]

OTHER = [
    ("a = 2; sum(X * 3)", {"X": X, "b": "[1, 2]"}),  # b is unused: its gradient is zeros
    ("u = X * 5; sum(X * s) + s", {"X": X, "s": "0.5"}),  # a number among arrays; dead code
    ("np = X * 2; full = np + 1; partial = sum(full); partial", {"X": X}),  # the code's own names
    ("θ = X * 2; λ = sum(θ); λ", {"X": X}),
    ("sum = X * 2; max = sum + 1; mean(max)", {"X": X}),  # names of functions
    ("loss = sum(X * [[1, 2, 3], [4, 5, 6]] + [1, 2, 3])", {"X": X}),  # array literals
    (
        "y = tanh(X @ W + b); sum(y * y)",
        {
            "X": X,
            "W": "[[1, 0.5, -1, 0], [0.25, 1, 2, -1], [0, 0, 1, 3]] * 0.1",
            "b": "[1, 2, 3, 4] / 7",
        },
    ),  # values as expressions
    (
        "sum(A + B)",
        {"A": "[[[1, 2, 3]], [[4, 5, 6]]]", "B": "[[1], [2], [3], [4]]"},
    ),  # (2,1,3)+(4,1)
    ("sum((k + c) * G) + sum(k * c)", {"k": KEEP_ROW, "c": COL, "G": G}),
]


def test_every_op_has_a_case():
    """Each tensor op and each elementwise op occurs in some case's program."""
    seen = set()
    for program, values in (
        TENSOR_CASES
        + elementwise_cases()
        + KINKS
        + ALIASING
        + OTHER
        + [(p, v) for p, v, _ in WORKED]
    ):
        tape = compile_program(program, values)
        seen |= {step.op.name for step in tape.steps}
    missing = (set(TENSOR_OPS) | {op.name for op in OPS.values()}) - seen - {"input", "const"}
    assert not missing, f"no case uses {sorted(missing)}"


def test_tensor_ops_match_eval_exactly():
    check_all(TENSOR_CASES)


def test_elementwise_ops_with_broadcasting_match_eval_exactly():
    check_all(elementwise_cases())


def test_worked_examples_match_eval_and_the_notes():
    codes = check_all([(p, v) for p, v, _ in WORKED])
    for (program, values, want), code in zip(WORKED, codes):
        printed = dict(line.split(" = ", 1) for line in run_all([code])[0][0].splitlines())
        for name, grad in want.items():
            got = json.loads(printed[f"∂{program_output(program, values)}/∂{name}"])
            assert _close(got, grad, 1e-9), (name, got, grad)
    assert "np.add.at(dC, Xb, dY)" in codes[2] and "an index repeats" in codes[2]
    assert "dW = X.T @ dY" in codes[0] and "dX = dY @ W.T" in codes[0]


def program_output(program: str, values: dict) -> str:
    return compile_program(program, values).output_name


def _close(got, want, rel) -> bool:
    if isinstance(want, list):
        return len(got) == len(want) and all(_close(g, w, rel) for g, w in zip(got, want))
    return math.isclose(got, want, rel_tol=rel, abs_tol=1e-9)


def test_kinks_keep_pytorch_conventions_in_numpy():
    codes = check_all(KINKS)
    assert "routed(np.heaviside(X, 0.0), " in codes[0]  # relu'(0) = 0, and a branch not taken is 0
    assert "np.heaviside(X - Y, 0.5)" in codes[2]  # a tie splits 0.5/0.5
    assert "gated(c, " in codes[4]  # x^c's x-term is masked where c = 0


def test_aliasing_and_accumulation():
    codes = check_all(ALIASING)
    # A term that is the adjoint above itself (or a view of it) is copied before += adds to it.
    assert "dX = np.copy(dy)" in codes[1] and "dX += " in codes[1]
    assert "dX = np.copy(" in codes[2] and ".T)" in codes[2]


def test_names_values_and_dead_code():
    codes = check_all(OTHER)
    assert "da = np.zeros_like(a)" in codes[0]
    assert "\nu = " not in codes[1]  # the output does not depend on u: no line for it


def test_makemore_reads_like_the_lecture_and_runs_as_a_script(tmp_path):
    program = str(EXAMPLES / "makemore4.grad")
    values = str(EXAMPLES / "makemore4-batch.json")
    gen = CLI("code", "--lang", "numpy", "-f", program, "--values", values)
    assert gen.exit_code == 0, gen.stderr
    code = gen.stdout
    for line in [
        "emb = C[Xb]",
        "embcat = emb.reshape(n, -1)",
        "hprebn = embcat @ W1 + b1",
        "loss = -logprobs[np.arange(n), Yb].mean()",
        "dW1 = embcat.T @ dhprebn",
        "dembcat = dhprebn @ W1.T",
        "db1 = dhprebn.sum(0)",
        "dbngain = (bnraw * dhpreact).sum(0, keepdims=True)",
        "dhpreact = (1 - h ** 2) * dh",
        "dcounts += np.ones_like(counts) * dcounts_sum",
        "dlogits = np.copy(dnorm_logits)",
        "demb = dembcat.reshape(emb.shape)",
        "dC = np.zeros_like(C); np.add.at(dC, Xb, demb)",
    ]:
        assert any(written.startswith(line) for written in code.splitlines()), line
    script = tmp_path / "makemore4_backward.py"
    script.write_text(code, encoding="utf-8")
    for encoding, options in (("utf-8", []), ("ascii", ["--ascii"])):
        env = {"PYTHONIOENCODING": encoding}
        ran = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            env={**__import__("os").environ, **env},
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        ev = run_gradcli(
            "eval", "-f", program, "--values", values, "--grad-only", *options, env=env
        )
        assert ev.returncode == 0, ev.stderr
        assert ran.stdout == ev.stdout
        assert ("∂loss/∂W1 = " in ran.stdout) == (encoding == "utf-8")


# --- random programs -------------------------------------------------------------------
SHAPES = {"A": (2, 3), "B": (2, 3), "r": (3,), "k": (1, 3), "c": (2, 1), "s": (), "M": (3, 2)}
UNARY = ["exp", "tanh", "sigmoid", "relu", "sin", "softplus", "abs"]
BINARY = ["+", "-", "*", "/", "max", "min"]


def random_program(rng: random.Random) -> tuple:
    """A few statements over values of shapes (2,3), (3,), (1,3), (2,1), () and (3,2):
    elementwise ops with broadcasting, reductions, transposes and matrix products, named
    values used again and unnamed ones nested; the output a sum or a mean."""
    pool = [(name, shape) for name, shape in SHAPES.items()]
    lines = []

    def expr(depth):
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(pool)
        roll = rng.random()
        text, shape = expr(depth - 1)
        if roll < 0.3:
            return f"{rng.choice(UNARY)}({text})", shape
        if roll < 0.6:
            other, oshape = expr(depth - 1)
            try:
                out = _broadcast(shape, oshape)
            except ValueError:
                return text, shape
            op = rng.choice(BINARY)
            if op in ("max", "min"):
                return f"{op}({text}, {other})", out
            if op == "/":
                other = f"(exp({other}) + 1)"
            return f"({text} {op} {other})", out
        if roll < 0.75 and len(shape) == 2:
            axis = rng.choice([0, 1])
            keep = rng.random() < 0.5
            fn = rng.choice(["sum", "mean", "max"])
            out = (
                tuple(1 if k == axis else d for k, d in enumerate(shape))
                if keep
                else tuple(d for k, d in enumerate(shape) if k != axis)
            )
            return f"{fn}({text}, axis={axis}{', keepdims=true' if keep else ''})", out
        if roll < 0.85 and len(shape) == 2:
            return f"({text}).T", shape[::-1]
        if len(shape) == 2:
            partner = [(n, s) for n, s in pool if len(s) == 2 and s[0] == shape[1]]
            if partner:
                name, pshape = rng.choice(partner)
                return f"({text} @ {name})", (shape[0], pshape[1])
        return text, shape

    for k in range(rng.randint(1, 4)):
        text, shape = expr(3)
        name = f"t{k}"
        lines.append(f"{name} = {text}")
        pool.append((name, shape))
    text, _ = expr(2)
    lines.append(f"{rng.choice(['sum', 'mean'])}({text} * {rng.choice(['t0', 'A', 's'])})")
    return "\n".join(lines)


def _broadcast(a: tuple, b: tuple) -> tuple:
    import numpy

    return tuple(numpy.broadcast_shapes(a, b))


def random_values(rng: random.Random) -> dict:
    """Values of SHAPES's shapes: random numbers with a few zeros and ties (kinks)."""
    import numpy

    values = {}
    for name, shape in SHAPES.items():
        a = numpy.array(
            [
                rng.choice([0.0, 1.0, -0.5, round(rng.gauss(0, 1), 3)])
                for _ in range(int(numpy.prod(shape)))
            ]
        ).reshape(shape)
        values[name] = json.dumps(a.tolist())
    return values


def test_random_programs_match_eval_exactly():
    rng = random.Random(20260611)
    cases, tried = [], 0
    while len(cases) < 120:
        tried += 1
        program = random_program(rng)
        values = random_values(rng)
        tape = compile_program(program, values)
        values = {name: values[name] for name in tape.inputs}
        if CLI("eval", "--grad-only", *_args(program, values)).exit_code == 0:
            cases.append((program, values))
    assert tried < 2 * len(cases)  # most programs evaluate: the check is not vacuous
    check_all(cases)


# --- scalar programs, and the languages that are for numbers only ------------------------
def test_scalar_programs_as_numpy_agree_with_eval():
    """A program of numbers also runs as NumPy: the same lines to rounding. (Exactly, but
    for NumPy's own tanh and the like, which may differ from the C library's, that eval
    uses for numbers, in the last digit.)"""
    from test_codegen import POINTS, op_program

    cases = []
    for op in OPS.values():
        program = op_program(op)
        for point in POINTS:
            values = {k: repr(v) for k, v in point.items() if k in program}
            if CLI("eval", "--grad-only", *_args(program, values)).exit_code == 0:
                cases.append((program, values))
    cases += [
        ("relu(x) * y + abs(z) + max(x, w)", {"x": "0", "y": "3", "z": "0", "w": "0"}),
        ("sqrt(relu(x))", {"x": "-1"}),
        ("x ^ y", {"x": "0", "y": "2"}),
        ("sqrt(x)", {"x": "0"}),  # an infinite slope: inf, as eval says
        ("a = 2; f = 3*b", {"b": "0.5"}),
        ("2*3", {}),
        ("a", {"a": "1.5"}),
        ("c = a; c += 1; c *= c", {"a": "1.5"}),
        ("pi*x + e^x", {"x": "3"}),
        ("x^-1 + -x^2 + 2^-x - -x + -(-x) + (-2)^x", {"x": "3"}),
        ("x - (y - x) - (x + y) / (x * y) / (x / y)", {"x": "3", "y": "2"}),
    ]
    generated = [generate(p, v) for p, v in cases]
    results = run_all([code for code, _ in generated])
    exact = 0
    for (program, values), (code, want), (got, error) in zip(cases, generated, results):
        assert error is None, (program, error, code)
        exact += got == want
        wl, gl = want.splitlines(), got.splitlines()
        assert len(wl) == len(gl)
        for w, g in zip(wl, gl):
            wname, wvalue = w.split(" = ")
            gname, gvalue = g.split(" = ")
            assert wname == gname
            a, b = float(wvalue), float(gvalue)
            assert a == b or (a != a and b != b) or math.isclose(a, b, rel_tol=1e-12), (
                program,
                values,
                w,
                g,
            )
    assert exact >= len(cases) - 4, f"only {exact} of {len(cases)} print exactly eval's lines"


@pytest.mark.parametrize("lang", ["python", "js"])
def test_python_and_js_say_they_are_for_numbers_only(lang):
    r = CLI("code", "--lang", lang, "sum(X * 2)", "X=[[1, 2], [3, 4]]")
    assert r.exit_code == 2, r.output
    assert f"--lang {lang} writes programs of numbers only" in r.stderr
    assert "X is (2, 2)" in r.stderr and "--lang numpy" in r.stderr
    assert "Traceback" not in r.stderr


def test_language_defaults_for_arrays(tmp_path):
    r = CLI("code", "sum(X * 2)", "X=[[1, 2], [3, 4]]")
    assert r.exit_code == 0 and "import numpy as np" in r.stdout
    out = tmp_path / "grad.py"
    r = CLI("code", "sum(X * 2)", "X=[[1, 2], [3, 4]]", "-o", str(out))
    assert r.exit_code == 0 and "import numpy as np" in out.read_text(encoding="utf-8")
    r = CLI("code", "--lang", "numpy", "a*b", "a=2", "b=3", "-o", str(out))
    assert r.exit_code == 0 and "np.float64(2.0)" in out.read_text(encoding="utf-8")
    r = CLI("code", "--lang", "numpy", "a*b", "a=2", "b=3", "-o", str(tmp_path / "g.js"))
    assert r.exit_code == 2 and "make the extension and --lang agree" in r.stderr
    r = CLI("code", "sum(X * 2)", "X=[[1, 2], [3, 4]]", "-o", str(tmp_path / "g.js"))
    assert r.exit_code == 2 and "(JavaScript) writes programs of numbers only" in r.stderr
    assert not (tmp_path / "g.js").exists()


def test_generate_refuses_arrays_for_python_callers():
    from gradcli.core.engine import evaluate
    from gradcli.core.errors import UsageError
    from gradcli.emit.codegen import generate as emit

    tape = compile_program("sum(X)", {"X"})
    ev = evaluate(tape, {"X": [[1.0, 2.0]]})
    with pytest.raises(UsageError, match="programs of numbers only"):
        emit(ev, "python")
    assert "X.sum()" in emit(ev, "numpy")


def test_deep_and_long_programs_stay_valid_python():
    # Python refuses 200 nested brackets; a nest of 400 calls and a sum of 1,500 terms
    # (no names to break them) still give a program that runs and prints eval's lines.
    deep = "sum(" + "sin(" * 400 + "X" + ")" * 400 + ")"
    long = "sum(" + " + ".join(f"X * {k}" for k in range(1, 1501)) + ")"
    codes = check_all([(deep, {"X": X}), (long, {"X": X})])
    assert (
        max(len(line) for code in codes for line in code.splitlines() if not line.startswith("#"))
        < 200
    )


def test_json_form_names_numpy():
    r = CLI("code", "--json", "sum(X * 2)", "X=[[1, 2], [3, 4]]")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["lang"] == "numpy" and "dX = " in doc["code"]
