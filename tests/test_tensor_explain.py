"""`gradcli explain` on arrays: the five lessons, walkthroughs of programs with arrays, and
the quiz's refusal of arrays.

Numbers are read back out of what the CLI prints and compared with evaluate() and with the
PyTorch float64 results of ../shared/tensor-notes.md's worked examples (copied here);
every name a sentence mentions must be one the program has. This file is NFD-normalised,
as test_explain.py is: gradcli writes Ȳ as Y and a combining macron.
"""

import json
import re
import shlex
import subprocess
import sys
import unicodedata

import numpy as np
import pytest
from conftest import ROOT, run_gradcli

from gradcli.core.engine import evaluate
from gradcli.core.errors import UsageError
from gradcli.core.notation import Notation
from gradcli.language.lower import compile_program
from gradcli.tutor import tensor_topics
from gradcli.tutor.quiz import Question, QuestionError
from gradcli.tutor.quizgen import generate
from gradcli.tutor.tensor_topics import ClosedFormMismatch
from gradcli.tutor.topics import TOPICS

ARRAY_TOPICS = ["broadcast", "matmul", "softmax-cross-entropy", "batchnorm", "embedding"]
BAR = "\u0304"

# ../shared/tensor-notes.md, "Worked examples" (PyTorch float64).
MATMUL = (
    "Y = X @ W\nL = sum(Y * G)",
    {"X": [[1, 2, 3], [4, 5, 6]], "W": [[1, 0], [0, 1], [1, -1]], "G": [[1, 2], [3, 4]]},
)
MATMUL_DX = [[1, 2, -1], [3, 4, -1]]
MATMUL_DW = [[13, 18], [17, 24], [21, 30]]
CE = ("loss = cross_entropy(logits, y)", {"logits": [[1, 2, 3], [1, -1, 0]], "y": [2, 0]})
CE_LOSS = 0.4076059644443804
CE_DLOGITS = [
    [0.0450152866, 0.1223642355, -0.1673795221],
    [-0.1673795221, 0.0450152866, 0.1223642355],
]
EMBEDDING = (
    "emb = C[Xb]\nL = sum(emb * G)",
    {
        "C": [[1, 2], [3, 4], [5, 6], [7, 8]],
        "Xb": [[0, 2], [2, 3]],
        "G": [[[1, 1], [2, 0]], [[0, 3], [1, -1]]],
    },
)
EMBEDDING_DC = [[1, 1], [0, 0], [2, 3], [1, -1]]
BROADCAST = (
    "h = X @ W + b\nL = sum(tanh(h) * G) + sum(c * h)",
    {
        "X": [[1, 2], [0, -1], [3, 1]],
        "W": [[0.5, -1, 2], [1, 0, -0.5]],
        "b": [[0.1, 0.2, -0.3]],
        "c": [[1], [2], [-1]],
        "G": [[1, 0, 2], [-1, 1, 0], [0, 2, 1]],
    },
)


# --- reading the text ------------------------------------------------------------------------
def flat(text: str) -> str:
    """The output with every run of blank space one space: wrapped lines joined."""
    return " ".join(text.split())


def array_after(text: str, head: str, start: int = 0):
    """The array (or number) printed right after the first `head` followed by one."""
    found = re.compile(re.escape(head) + r"(?=[\[\d-])").search(text, start)
    assert found, f"no numbers after {head!r}"
    k = found.end()
    if text[k] != "[":
        return float(re.match(r"-?\d+(\.\d+)?(e[+-]?\d+)?", text[k:]).group(0))
    depth = 0
    for j in range(k, len(text)):
        depth += (text[j] == "[") - (text[j] == "]")
        if depth == 0:
            return np.array(json.loads(text[k : j + 1]), dtype=float)
    raise AssertionError(f"unbalanced array after {head!r}")


def close(printed, exact) -> bool:
    """Printed numbers (six significant digits) against exact ones."""
    return np.shape(printed) == np.shape(exact) and np.allclose(
        printed, exact, rtol=5e-6, atol=1e-12
    )


def names_of(*programs) -> set:
    """Every name a program has: inputs, named values and the step ids it shows (v3)."""
    names = set()
    for source, values in programs:
        tape = compile_program(source, tuple(values))
        names |= {tape.label(i) for i in range(len(tape.steps))}
    return names


def mentioned(text: str) -> set:
    """Names the text uses as program names: adjoints x̄, ∂f/∂x, step ids v12."""
    found = set(re.findall(r"(\w+)" + BAR, text))
    for top, bottom in re.findall(r"∂(\w+)/∂(\w+)", text):
        found |= {top, bottom}
    found |= set(re.findall(r"\bv\d+\b", text))
    return found - {"v"}  # v̄ is the walkthrough's generic value


def width(line: str) -> int:
    return sum(1 for ch in line if not unicodedata.combining(ch))


@pytest.fixture(scope="module")
def lessons():
    """Each lesson as the piped CLI prints it at 80 columns."""
    out = {}
    for name in ARRAY_TOPICS:
        p = run_gradcli("explain", "--topic", name, env={"COLUMNS": "80"})
        assert p.returncode == 0, (name, p.stderr)
        out[name] = p.stdout
    return out


# --- the lessons -----------------------------------------------------------------------------
def test_list_shows_the_lessons_on_arrays(cli):
    r = cli("explain", "--list")
    assert r.exit_code == 0, r.output
    for name in ARRAY_TOPICS:
        line = re.search(rf"^{re.escape(name)}\s+(.+)$", r.stdout, re.M)
        assert line and len(line.group(1)) > 20, name
        assert TOPICS[name].arrays
    assert "dW = X.T @ dY" in r.stdout and "(softmax(logits) - onehot(y)) / n" in r.stdout


@pytest.mark.parametrize("name", ARRAY_TOPICS)
def test_each_lesson_renders_piped_at_80_columns(lessons, name):
    text = lessons[name]
    assert "Traceback" not in text and "internal error" not in text
    assert "\x1b[" not in text and "[Enter]" not in text
    steps = re.findall(r"\((\d+)/(\d+)\)$", text, re.M)
    assert steps and steps[-1][0] == steps[-1][1] and steps[0][0] == "1"
    assert max(width(line) for line in text.splitlines()) <= 80
    assert "Checked against the engine's gradient: the same shape" in text


@pytest.mark.parametrize(
    "name, closed",
    [
        ("broadcast", "db = sum(dY, axis=0)"),
        ("broadcast", "db = sum(dY, axis=0, keepdims=true)"),
        ("matmul", "dW = X.T @ dY"),
        ("matmul", "dX = dY @ W.T"),
        ("softmax-cross-entropy", "dlogits = (softmax(logits) - onehot(y, 3)) / 2"),
        (
            "batchnorm",
            "dhprebn = bngain*bnvar_inv/n * (n*dhpreact - sum(dhpreact, axis=0) - "
            "n/(n-1)*bnraw*sum(dhpreact*bnraw, axis=0))",
        ),
        ("embedding", "dC[Xb[p]] += demb[p]"),
    ],
)
def test_each_lesson_ends_in_its_closed_form(lessons, name, closed):
    text = flat(lessons[name])
    last = text[text.rindex("The closed form") :]
    assert closed in last


def lesson_text(name: str, ascii_only=False) -> str:
    return "\n".join(s.text() for s in TOPICS[name].build(Notation(ascii_only)))


def test_matmul_lesson_numbers(lessons):
    text = flat(lessons["matmul"])
    source, values = MATMUL
    ev = evaluate(compile_program(source, tuple(values)), values)
    for printed, engine, torch in [
        (array_after(text, "dW = X.T @ dY = "), ev.gradient["W"], MATMUL_DW),
        (array_after(text, "dX = dY @ W.T = "), ev.gradient["X"], MATMUL_DX),
    ]:
        assert close(printed, engine) and close(printed, torch)
    assert close(array_after(text, "Ȳ = "), values["G"])
    assert f"= {ev.value:g}" in text
    # Dimension analysis, recomputed: which of the eight products has W's shape.
    X, dY = np.array(values["X"], float), np.array(values["G"], float)
    fits = []
    for a_name, a in (("X", X), ("X.T", X.T)):
        for b_name, b in (("Ȳ", dY), ("Ȳ.T", dY.T)):
            for left, right in (((a_name, a), (b_name, b)), ((b_name, b), (a_name, a))):
                if left[1].shape[1] == right[1].shape[0] and (left[1] @ right[1]).shape == (3, 2):
                    fits.append(f"{left[0]} @ {right[0]}")
    assert sorted(fits) == ["X.T @ Ȳ", "X.T @ Ȳ.T"]  # Ȳ is square: two fit
    assert "2 products have the shape (3, 2): X.T @ Ȳ and X.T @ Ȳ.T" in text
    assert close(array_after(text, "X.T @ Ȳ.T = "), X.T @ dY.T)
    assert "exactly one product fits: X.T @ Ȳ" in text
    assert "W̄[0, 0] = X[0, 0]·Ȳ[0, 0] + X[1, 0]·Ȳ[1, 0] = 1·1 + 4·3 = 13" in text
    assert "X̄ = Ȳ @ W.T and W̄ = X.T @ Ȳ" in text


def test_softmax_cross_entropy_lesson_numbers(lessons):
    text = flat(lessons["softmax-cross-entropy"])
    source, values = CE
    fused = evaluate(compile_program(source, tuple(values)), values)
    assert fused.value == CE_LOSS
    assert f"gives {CE_LOSS!r}" in text
    written = float(re.search(r"loss = (\S+);", text).group(1))
    assert abs(written - CE_LOSS) < 1e-15
    closed = array_after(text, "dlogits = (softmax(logits) - onehot(y, 3)) / 2 = ")
    assert close(closed, fused.gradient["logits"]) and close(closed, CE_DLOGITS)
    logits = np.array(values["logits"], float)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert close(array_after(text, "probs = "), p)
    assert close(array_after(text, "onehot(y, 3) = "), [[0, 0, 1], [1, 0, 0]])
    assert close(array_after(text, "logprobs̄ = "), [[0, 0, -0.5], [-0.5, 0, 0]])
    maxes = array_after(text, "logit_maxes̄ = ")
    assert np.max(np.abs(maxes)) < 1e-15 and "0 up to float rounding" in text


def batchnorm_reference(h, gain, bias, G, bessel=True):
    """The lecture's batchnorm, tanh and loss in NumPy, and its gradient with respect to
    the input by central differences: an oracle that shares no code with gradcli."""
    n = h.shape[0]

    def loss(x):
        mean = x.mean(axis=0, keepdims=True)
        var = ((x - mean) ** 2).sum(axis=0, keepdims=True) / (n - 1 if bessel else n)
        raw = (x - mean) * (var + 1e-5) ** -0.5
        return float(np.sum(np.tanh(gain * raw + bias) * G))

    grad = np.zeros_like(h)
    for idx in np.ndindex(*h.shape):
        up, down = h.copy(), h.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        grad[idx] = (loss(up) - loss(down)) / 2e-6
    return grad


def test_batchnorm_lesson_numbers(lessons):
    text = flat(lessons["batchnorm"])
    v = {k: np.array(x, float) for k, x in tensor_topics.BN_VALUES.items()}
    reference = batchnorm_reference(v["hprebn"], v["bngain"], v["bnbias"], v["G"])
    closed = array_after(text, "n/(n-1)*bnraw*sum(dhpreact*bnraw, axis=0)) = ")
    assert np.allclose(closed, reference, rtol=1e-5, atol=1e-7)
    source = tensor_topics._batchnorm_program(4, "(4 - 1)")
    ev = evaluate(compile_program(source, tuple(v)), v)
    assert close(closed, ev.gradient["hprebn"])
    n = v["hprebn"].shape[0]
    assert close(array_after(text, "bnvar = "), v["hprebn"].var(axis=0, ddof=1)[None])
    assert close(array_after(text, "Dividing by n would give "), v["hprebn"].var(axis=0)[None])
    assert f"1/({n} - 1) = 0.333333" in text
    # Without n/(n-1) the closed form is wrong by as much as the lesson says.
    missed = float(re.search(r"misses the engine's hprebn̄ by up to (\S+)\.", text).group(1))
    biased = batchnorm_reference(v["hprebn"], v["bngain"], v["bnbias"], v["G"], bessel=False)
    assert missed > 0.01 and not np.allclose(reference, biased, atol=1e-3)


def test_broadcast_lesson_numbers(lessons):
    text = flat(lessons["broadcast"])
    G = np.array(tensor_topics.BROADCAST_VALUES["G"], float)
    assert close(array_after(text, "That is b̄ = sum(Ȳ, axis=0) = "), G.sum(axis=0))
    assert close(array_after(text, "has that shape too: b̄ = "), G.sum(axis=0, keepdims=True))
    assert "b̄[0] = Ȳ[0, 0] + Ȳ[1, 0] + Ȳ[2, 0] = 1 + 2 + 3 = 6" in text
    assert close(array_after(text, "mean(Ȳ, axis=0) = "), G.mean(axis=0))
    assert "3 times too small" in text and "at the rate 6 per unit" in text
    # The claims about NumPy, recomputed.
    db, db1 = G.sum(axis=0), G.sum(axis=0, keepdims=True)
    assert f"returns {np.allclose(db, db1)}" in text and np.allclose(db, db1)
    wrong = G.sum(axis=1)
    c = np.array([[1], [-2], [0.5]])
    assert (c - 0.1 * wrong).shape == (3, 3) and "has shape (3, 3)" in text
    assert close(
        array_after(text, "dc = sum(dY, axis=1, keepdims=true) for c of shape (3, 1) = "),
        G.sum(axis=1, keepdims=True),
    )


def test_embedding_lesson_numbers(lessons):
    text = flat(lessons["embedding"])
    source, values = EMBEDDING
    ev = evaluate(compile_program(source, tuple(values)), values)
    assert close(array_after(text, "The engine's C̄: C̄ = "), EMBEDDING_DC)
    assert close(ev.gradient["C"], EMBEDDING_DC)
    assert "C̄[2] = [2, 0] + [0, 3] = [2, 3]" in text
    assert "Row 2 is looked up 2 times (Xb[0, 1] and Xb[1, 0]); row 1 never." in text
    slip = np.zeros((4, 2))
    slip[np.array(values["Xb"])] += np.array(values["G"], float)  # NumPy's buffered +=
    assert close(array_after(text, "dC[Xb] += demb → "), slip)
    assert "Row 2 kept only [0, 3]" in text and slip[2].tolist() == [0, 3]


def test_lessons_name_only_their_own_values(lessons):
    own = {
        "broadcast": names_of(
            (tensor_topics.BROADCAST, tensor_topics.BROADCAST_VALUES),
            ("Y = X + c\nL = sum(Y * G)", dict(tensor_topics.BROADCAST_VALUES, c=[[1]])),
        ),
        "matmul": names_of((tensor_topics.MATMUL, tensor_topics.MATMUL_VALUES)),
        "softmax-cross-entropy": names_of(
            (tensor_topics._cross_entropy_program(2), tensor_topics.CE_VALUES)
        ),
        "batchnorm": names_of((tensor_topics._batchnorm_program(4, "3"), tensor_topics.BN_VALUES)),
        "embedding": names_of((tensor_topics.EMBEDDING, tensor_topics.EMBEDDING_VALUES)),
    }
    ids = {n for names in own.values() for n in names if re.fullmatch(r"v\d+", n)}
    # Names of three letters or more from the other lessons' programs; "loss" is also an
    # English word (batchnorm's "a loss L = ...").
    everyone = {n for names in own.values() for n in names if len(n) >= 3} - ids - {"loss"}
    for name, text in lessons.items():
        used = mentioned(text)
        assert used <= own[name] - ids, (name, used - own[name])
        for other in everyone - own[name]:
            assert not re.search(rf"\b{re.escape(other)}\b", text), (name, other)


def test_lessons_in_ascii_are_ascii(cli):
    for name in ARRAY_TOPICS:
        r = cli("explain", "--topic", name, "--ascii")
        assert r.exit_code == 0, r.output
        assert r.stdout.isascii(), (name, [ch for ch in r.stdout if not ch.isascii()][:5])
    assert "dW = X.T @ dY = [[13, 18], [17, 24], [21, 30]]" in flat(
        cli("explain", "--topic", "matmul", "--ascii").stdout
    )


@pytest.mark.parametrize("name", ARRAY_TOPICS)
def test_a_closed_form_that_disagrees_is_never_printed(cli, monkeypatch, name):
    """The check can fail: a closed form computed wrong stops the lesson before it prints."""
    real = tensor_topics.compute
    monkeypatch.setattr(tensor_topics, "compute", lambda text, values: real(text, values) * 1.001)
    with pytest.raises(ClosedFormMismatch):
        TOPICS[name].build(Notation())
    r = cli("explain", "--topic", name, "--no-pause")
    assert r.exit_code != 0 and "Checked against" not in r.stdout
    assert "Traceback" not in r.output


def test_a_loop_that_assigns_instead_of_adding_is_caught(monkeypatch):
    """The embedding lesson's own loop is checked too: a scatter that keeps one term fails."""
    real = tensor_topics.agree

    def strict(what, closed, engine):
        if what == "dC by the loop":
            closed = np.array(closed)
            closed[2] = [0, 3]  # the slip: the second lookup overwrote the first
        return real(what, closed, engine)

    monkeypatch.setattr(tensor_topics, "agree", strict)
    with pytest.raises(ClosedFormMismatch):
        TOPICS["embedding"].build(Notation())


# --- explain PROGRAM on arrays ----------------------------------------------------------------
def walk(source, values, *options, columns="80"):
    args = ["explain", source, "--no-pause", *options]
    for name, v in values.items():
        args += [f"--{name}", json.dumps(v)]
    p = run_gradcli(*args, env={"COLUMNS": columns})
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stdout + p.stderr and "internal error" not in p.stderr
    return p.stdout


@pytest.mark.parametrize(
    "program",
    [MATMUL, CE, EMBEDDING, BROADCAST],
    ids=["matmul", "cross-entropy", "embedding", "broadcast"],
)
def test_walkthrough_numbers_are_the_engines(program):
    source, values = program
    ev = evaluate(compile_program(source, tuple(values)), values)
    text = walk(source, values)
    # Every line fits, but the closing command, which is never wrapped or cut.
    assert max(width(line) for line in text.splitlines() if not line.startswith("gradcli ")) <= 80
    words = flat(text)
    assert f"So {ev.tape.output_name} = {ev.value:.6g}." in words
    grads = words[words.index("The gradient of each input") :]
    nt = Notation()
    for name, g in ev.gradient.items():
        assert close(array_after(grads, f"{nt.bar(name)} = "), g), name
        assert f"{nt.partial(ev.tape.output_name, name)} has the shape of {name}, " in grads
        assert "the same to within the measurement's accuracy" in grads
    for name in ev.tape.integer_inputs:
        assert (
            f"{name} is integer data (used as an index, a target or a size): it gets no "
            f"gradient." in grads
        )
    assert close(array_after(words, "So " + ev.tape.output_name + " = "), ev.value)


@pytest.mark.parametrize(
    "program",
    [MATMUL, CE, EMBEDDING, BROADCAST],
    ids=["matmul", "cross-entropy", "embedding", "broadcast"],
)
def test_walkthrough_names_only_what_the_program_has(program):
    source, values = program
    text = walk(source, values)
    tape = compile_program(source, tuple(values))
    labels = {tape.label(i) for i in range(len(tape.steps))}
    assert mentioned(text) <= labels, mentioned(text) - labels
    for title in re.findall(r"^Backward: (\S+) = ", text, re.M):
        assert title in labels
    assert "The whole chain" not in text  # path products are the scalar walk's


def test_walkthrough_says_where_a_broadcast_is_summed_back():
    source, values = BROADCAST
    words = flat(walk(source, values))
    assert "b (1, 3) is repeated along axis 0 to (3, 3)" in words
    assert "b̄ = sum(h̄, axis=0, keepdims=true)" in words
    assert "c (3, 1) is repeated along axis 1 to (3, 3)" in words
    assert (
        "b (1, 3) was repeated along axis 0 to make h (3, 3), so each of its entries fed "
        "several entries of h and collects their contributions: the contribution is "
        "summed over axis 0, back to the shape of b."
    ) in words
    assert "h is used 2 times (v5, v2)" in words and "h has now received 2 contributions" in words
    ev = evaluate(compile_program(source, tuple(values)), values)
    assert close(array_after(words, "b̄ = sum(h̄, axis=0, keepdims=true) = "), ev.gradient["b"])


def test_walkthrough_of_a_lookup_names_the_rows_picked_twice():
    source, values = EMBEDDING
    words = flat(walk(source, values))
    assert "1 row of C was picked more than once (C[2], 2 times)" in words
    assert (
        "C̄ = scatter-add emb̄ into zeros of C's shape = [[1, 1], [0, 0], [2, 3], [1, -1]]" in words
    )


def test_walkthrough_rules_carry_this_programs_numbers():
    source, values = CE
    words = flat(walk(source, values))
    assert "logits̄ = (softmax(logits) − onehot(y)) / 2 · loss̄" in words
    text = flat(walk("m = mean(X, axis=1)\nL = sum(m * m)", {"X": [[1, 2, 3], [4, 5, 7]]}))
    assert "X̄ = m̄/3" in text
    assert (
        "m averaged X (2, 3) along axis 1, 3 entries at a time, so m̄, of shape (2,), is "
        "repeated along axis 1 to the shape of X and divided by 3."
    ) in text


def test_the_suggested_command_reproduces_the_walk(cli):
    source, values = CE
    text = walk(source, values, columns="200")
    command = re.search(
        r"^This command gives the same numbers:\n\n(gradcli eval --json .*)$", text, re.M
    ).group(1)
    words = shlex.split(command)
    r = cli(*words[1:])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    ev = evaluate(compile_program(source, tuple(values)), values)
    assert doc["value"] == ev.value and np.array_equal(
        doc["gradient"]["logits"], ev.gradient["logits"]
    )


def test_a_big_program_is_summarised_and_walks_through():
    p = run_gradcli(
        "explain",
        "-f",
        str(ROOT / "examples" / "makemore4.grad"),
        "--values",
        str(ROOT / "examples" / "makemore4-batch.json"),
        env={"COLUMNS": "80"},
    )
    assert p.returncode == 0, p.stderr
    words = flat(p.stdout)
    assert "2048 entries of shape (32, 64): mean" in words
    assert "rows of C were picked more than once" in words
    assert "n is integer data" in words and "Yb is integer data" in words
    assert words.count("the same to within the measurement's accuracy") == 7
    assert "Traceback" not in p.stdout + p.stderr


def test_walkthrough_of_arrays_in_ascii_is_ascii(cli):
    source, values = MATMUL
    args = ["explain", source, "--ascii"] + [f"{k}={json.dumps(v)}" for k, v in values.items()]
    r = cli(*args)
    assert r.exit_code == 0, r.output
    assert r.stdout.isascii()
    assert "grad_W = X.T @ grad_Y" in flat(r.stdout)


def test_shape_errors_in_explain_are_errors_not_tracebacks(cli):
    r = cli("explain", "Y = X @ W; L = sum(Y)", "--X", "[[1,2,3],[4,5,6]]", "--W", "[[1,2],[3,4]]")
    assert r.exit_code == 1 and "@ needs the inner sizes to agree" in r.stderr
    r = cli("explain", "Y = X * 2", "--X", "[1, 2]")
    assert r.exit_code == 1 and "a gradient needs one number" in r.stderr


def test_scalar_programs_and_lessons_do_not_import_numpy():
    for args in (
        ["explain", "a*b", "--a", "1", "--b", "2"],
        ["explain", "--list"],
        ["explain", "--topic", "add"],
    ):
        p = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "gradcli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert p.returncode == 0, p.stderr
        assert not re.search(r"\|\s+numpy\s*$", p.stderr, re.M), args


# --- the quiz refuses arrays -------------------------------------------------------------------
@pytest.mark.parametrize(
    "program, inputs, said",
    [
        (
            "f = sum(W * 2)",
            "{ W = [1, 2] }",
            "field 'inputs': tensor quizzes are not supported yet: the value of W is an array",
        ),
        (
            "W = [1, 2]\\nf = sum(W * a)",
            "{ a = 2 }",
            "this program works on arrays (W is an array)",
        ),
        ("f = sum(a * [1, 2])", "{ a = 2 }", "works on arrays (it has an array literal)"),
        ("f = sum(a)", "{ a = 2 }", "works on arrays (it calls sum)"),
        ("f = a @ b", "{ a = 2, b = 3 }", "works on arrays (it uses @)"),
    ],
)
def test_quiz_files_with_arrays_are_a_clear_error(cli, tmp_path, program, inputs, said):
    path = tmp_path / "q.toml"
    path.write_text(
        f'[[question]]\nid = "t"\nprogram = "{program}"\ninputs = {inputs}\nask = "value f"\n',
        encoding="utf-8",
    )
    r = cli("quiz", "--script", str(path), "--answers", "-", input="1\n")
    assert r.exit_code == 2, r.output
    assert said in r.stderr and "tensor quizzes are not supported yet" in r.stderr
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_quiz_questions_built_in_python_refuse_arrays():
    with pytest.raises(QuestionError, match="tensor quizzes are not supported yet") as exc:
        Question("t", "f = a * b", {"a": np.array([1.0, 2.0]), "b": 3.0}, "grad a")
    assert exc.value.field == "inputs"
    with pytest.raises(QuestionError, match="works on arrays"):
        Question("t", "f = max(a)", {"a": 2.0}, "value f")


def test_an_array_answer_is_not_read_as_a_number(cli):
    r = cli(
        "quiz",
        "--script",
        str(ROOT / "examples" / "quizzes" / "seed-multiply.toml"),
        "--answers",
        "-",
        input="[6, 6]\n",
    )
    assert r.exit_code == 0, r.output
    assert "an answer is one number, not an array" in r.stdout


@pytest.mark.parametrize("name", ARRAY_TOPICS)
def test_quiz_on_a_lesson_about_arrays_says_so(cli, name):
    r = cli("quiz", "--topic", name)
    assert r.exit_code == 2
    assert f"explain's lesson '{name}' is on arrays" in r.stderr
    assert f"gradcli explain --topic {name}" in r.stderr
    with pytest.raises(UsageError, match="tensor quizzes are not supported yet"):
        generate(None, 3, seed=1, topic=name)
