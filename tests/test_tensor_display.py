"""What `gradcli eval` and `gradcli graph` show for tensor programs: the words and the
numbers of the tables, the JSON, the graph; at 80 and 120 columns.

The tables are read back the way a person reads them: columns found from the header,
each cell's lines joined, an array cell parsed as the nested list it prints. Numbers are
compared with the engine's own evaluation (and, for the worked examples of
../shared/tensor-notes.md, with their PyTorch results); sentences are checked against
shapes and values worked out here, independently of the code that writes them.
"""

import itertools
import json
import re
import unicodedata

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli.app import app
from gradcli.core.engine import evaluate
from gradcli.language.lower import compile_program

MATMUL = [
    "Y = X @ W; L = sum(Y * G)",
    "--X",
    "[[1,2,3],[4,5,6]]",
    "--W",
    "[[1,0],[0,1],[1,-1]]",
    "--G",
    "[[1,2],[3,4]]",
]
CROSS_ENTROPY = [
    "loss = cross_entropy(logits, y)",
    "--logits",
    "[[1,2,3],[1,-1,0]]",
    "--y",
    "[2,0]",
]
EMBEDDING = [
    "Y = C[Xb]; L = sum(Y * G)",
    "--C",
    "[[1,2],[3,4],[5,6],[7,8]]",
    "--Xb",
    "[[0,2],[2,3]]",
    "--G",
    "[[[1,1],[2,0]],[[0,3],[1,-1]]]",
]
BIAS = [
    "Y = X @ W + b; L = sum(Y * G)",
    "--X",
    "[[1,2,3],[4,5,6]]",
    "--W",
    "[[1,0],[0,1],[1,-1]]",
    "--b",
    "[0.5,-1]",
    "--G",
    "[[1,2],[3,4]]",
]
KEEPDIMS_BIAS = [
    "Y = X @ W + b; L = sum(Y * G)",
    "--X",
    "[[1,2,3],[4,5,6]]",
    "--W",
    "[[1,0],[0,1],[1,-1]]",
    "--b",
    "[[0.5,-1]]",
    "--G",
    "[[1,2],[3,4]]",
]
# max over rows with a tie in row 0, a keepdims sum, a mean, a mean over axis 1 without
# keepdims (its adjoint needs a reshape), a lookup that picks row 1 three times.
REDUCTIONS = [
    "m = max(X, axis=1, keepdims=true); s = sum(X, axis=0, keepdims=true); "
    "r = mean(X, axis=1); e = E[i]; "
    "L = sum(m * P) + sum(s * Q) + sum(r * R) + sum(e * e)",
    "--X",
    "[[1,3,3],[2,0,1]]",
    "--P",
    "[[1],[2]]",
    "--Q",
    "[[1,-1,2]]",
    "--R",
    "[3,-1]",
    "--E",
    "[[1,2],[3,4],[5,6]]",
    "--i",
    "[1,0,1,1]",
]
VECTORS = [
    "a = v @ M; b = M @ u; s = v @ w; L = sum(a * a) + sum(b) + s",
    "--v",
    "[1,2]",
    "--M",
    "[[1,2,3],[4,5,6]]",
    "--u",
    "[1,0,-1]",
    "--w",
    "[3,4]",
]
BIG = [
    "h = tanh(X @ W + b); L = mean(h * h)",
    "--X",
    str((np.arange(80.0).reshape(10, 8) / 40 - 1).tolist()),
    "--W",
    str((np.arange(40.0).reshape(8, 5) / 20 - 1).tolist()),
    "--b",
    str([0.1, -0.2, 0.3, -0.4, 0.5]),
]
ALL_PROGRAMS = [MATMUL, CROSS_ENTROPY, EMBEDDING, BIAS, KEEPDIMS_BIAS, REDUCTIONS, VECTORS, BIG]


# --- running the CLI and the engine ------------------------------------------------------
def run(args, columns=200, *options):
    runner = CliRunner(env={"COLUMNS": str(columns)})
    result = runner.invoke(app, ["eval", *args, *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return unicodedata.normalize("NFC", result.stdout)


def engine(args):
    program, rest = args[0], args[1:]
    values = {rest[k].lstrip("-"): json.loads(rest[k + 1]) for k in range(0, len(rest), 2)}
    tape = compile_program(program, values)
    return evaluate(tape, values)


def labelled(ev, label):
    tape = ev.tape
    return next(i for i in range(len(tape.steps)) if tape.label(i) == label)


def bar(name):
    return unicodedata.normalize("NFC", name + "\u0304")


# --- reading a table back ---------------------------------------------------------------
def width(line):
    return sum(0 if unicodedata.combining(ch) else 1 for ch in line.rstrip())


def cut(line, start, end):
    """The characters of `line` between display columns start and end (a combining mark
    belongs to the letter before it)."""
    line = unicodedata.normalize("NFD", line)
    out, col = [], 0
    for ch in line:
        if unicodedata.combining(ch):
            if start <= col - 1 < end:
                out.append(ch)
            continue
        if start <= col < end:
            out.append(ch)
        col += 1
    return unicodedata.normalize("NFC", "".join(out))


def table(text, title, columns):
    """The rows of the table titled `title`, each a list of cells (lines joined by \\n).
    `columns` are the first words of the column headers, in order."""
    lines = text.split("\n")
    top = next(k for k, line in enumerate(lines) if line.startswith(title))
    rule = next(
        k
        for k in range(top, len(lines))
        if set(lines[k].strip()) <= set("━-+|") and lines[k].strip()
    )
    header = lines[top + 1 : rule]
    starts = []
    for name in columns:
        found = [
            m.start()
            for line in header
            for m in [re.search(rf"(?<!\S){re.escape(name)}", line)]
            if m
        ]
        assert found, (name, header)
        starts.append(min(found))
    starts.append(10**6)
    rows = []
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        cells = [cut(line, starts[k], starts[k + 1]).strip() for k in range(len(columns))]
        if cells[0]:
            rows.append([[c] if c else [] for c in cells])
        else:
            for k, c in enumerate(cells):
                if c:
                    rows[-1][k].append(c)
    return [["\n".join(c) for c in row] for row in rows]


def prose(cell):
    return " ".join(cell.split())


def parse_array(lines):
    """A cell's array back as numbers: a nested list, a number, or a summary
    (mean, min, max, corner label, corner)."""
    text = " ".join(lines)
    if text.startswith("mean"):
        m = re.match(r"mean (\S+), min (\S+), max (\S+) corner (\[[^\]]*\]): (.*)$", text)
        assert m, text
        return {
            "mean": float(m[1]),
            "min": float(m[2]),
            "max": float(m[3]),
            "where": m[4],
            "corner": json.loads(m[5]),
        }
    return json.loads(text)


def term_and_total(cell):
    """The contribution cell: the term's array, and the running total's when shown."""
    lines = cell.split("\n")
    k = next(j for j, line in enumerate(lines) if " = this" in line or " = sum of" in line)
    # The label may wrap at a narrow width: it ends at "contribution" or at its colon.
    end = next(j for j in range(k, len(lines)) if lines[j].endswith(("contribution", ":")))
    label = " ".join(lines[k : end + 1])
    term = parse_array(lines[:k])
    total = parse_array(lines[end + 1 :]) if "sum of" in label else None
    return term, total, label


def same(shown, value, rtol=1e-5):
    """A printed array (or summary) agrees with the engine's value."""
    value = np.asarray(value, dtype=float)
    if isinstance(shown, dict):
        assert shown["mean"] == pytest.approx(value.mean(), rel=rtol, abs=1e-12)
        assert shown["min"] == pytest.approx(value.min(), rel=rtol)
        assert shown["max"] == pytest.approx(value.max(), rel=rtol)
        index = tuple(
            slice(None, int(p[1:])) if p.startswith(":") else int(p)
            for p in shown["where"][1:-1].split(", ")
        )
        np.testing.assert_allclose(shown["corner"], value[index], rtol=rtol, atol=1e-12)
        return
    np.testing.assert_allclose(np.asarray(shown, dtype=float), value, rtol=rtol, atol=1e-12)
    assert np.shape(shown) == value.shape


BACKWARD = "Backward pass"
BACKWARD_COLUMNS = ["#", "sends", "chain", "contribution,"]
FORWARD_COLUMNS = ["step", "name", "operation", "shape", "value"]


def backward(text):
    return table(text, BACKWARD, BACKWARD_COLUMNS)


def row_for(rows, formula_start):
    found = [r for r in rows if prose(r[2]).startswith(formula_start)]
    assert found, (formula_start, [r[2].split("\n")[0] for r in rows])
    return found[0]


# --- the worked examples -----------------------------------------------------------------
def test_matmul_rows_in_matrix_form_with_shapes_and_dimension_analysis():
    text = run(MATMUL)
    ev = engine(MATMUL)
    rows = backward(text)
    Y = bar("Y")
    w_row = row_for(rows, f"{bar('W')} = Xᵀ @ {Y}")
    x_row = row_for(rows, f"{bar('X')} = {Y} @ Wᵀ")
    assert w_row[1] == "Y → W" and x_row[1] == "Y → X"
    assert "(3, 2) ← (2, 3)ᵀ @ (2, 2)" in w_row[2]
    assert "(2, 3) ← (2, 2) @ (3, 2)ᵀ" in x_row[2]
    assert f"{bar('W')} must have W's shape (3, 2)" in prose(w_row[2])
    assert f"Xᵀ (3, 2) @ {Y} (2, 2)" in prose(w_row[2])
    # Ȳ is square here, so a second product has W's shape too: the row must say so.
    assert f"so does Xᵀ @ {Y}ᵀ" in prose(w_row[2])
    assert "the index form does" in prose(w_row[2])
    # The numbers: the engine's, and PyTorch's (tensor-notes.md, worked example 1).
    for row, name, torch in (
        (w_row, "W", [[13, 18], [17, 24], [21, 30]]),
        (x_row, "X", [[1, 2, -1], [3, 4, -1]]),
    ):
        term, total, label = term_and_total(row[3])
        same(term, ev.gradient[name])
        same(term, torch)
        assert total is None and label == f"{bar(name)} = this contribution"


def _products(p, q):
    """Every product of two matrices of shapes p and q, either order, either transposed:
    (text, shape) with "T" marking a transpose."""
    out = []
    for (a, sa), (b, sb) in itertools.permutations([("P", p), ("Q", q)]):
        for ta, tb in itertools.product((False, True), repeat=2):
            la, lb = (sa[::-1] if ta else sa), (sb[::-1] if tb else sb)
            if la[1] == lb[0]:
                out.append((f"{a}{'T' * ta} @ {b}{'T' * tb}", (la[0], lb[1])))
    return out


@pytest.mark.parametrize(
    "x_shape,w_shape", [((2, 3), (3, 4)), ((4, 3), (3, 4)), ((3, 3), (3, 3)), ((5, 2), (2, 3))]
)
def test_the_one_product_claim_is_checked_by_brute_force(x_shape, w_shape):
    X = (np.arange(np.prod(x_shape)).reshape(x_shape) % 5 - 2).tolist()
    W = (np.arange(np.prod(w_shape)).reshape(w_shape) % 3 - 1).tolist()
    args = ["Y = X @ W; L = sum(Y * Y)", "--X", json.dumps(X), "--W", json.dumps(W)]
    rows = backward(run(args))
    y_shape = (x_shape[0], w_shape[1])
    for name, own, other in (("W", w_shape, x_shape), ("X", x_shape, w_shape)):
        row = row_for(rows, f"{bar(name)} = ")
        fits = [t for t, s in _products(y_shape, other) if s == own]
        said = prose(row[2])
        assert f"{bar(name)} must have {name}'s shape ({own[0]}, {own[1]})" in said
        if len(fits) == 1:
            assert "is the one product" in said and "so do" not in said
        else:
            assert "shapes alone do not decide" in said
            assert "is the one product" not in said


def test_cross_entropy_row_gives_the_closed_form_with_n():
    text = run(CROSS_ENTROPY)
    ev = engine(CROSS_ENTROPY)
    row = row_for(backward(text), f"{bar('logits')} = (softmax(logits) - onehot(y)) / n")
    assert "(2, 3) ← (2, 3), n = 2" in row[2]
    assert "mean over the n = 2 rows" in prose(row[2])
    term, _, _ = term_and_total(row[3])
    same(term, ev.gradient["logits"])
    same(
        term,
        [[0.0450152866, 0.1223642355, -0.1673795221], [-0.1673795221, 0.0450152866, 0.1223642355]],
    )
    assert ev.value == pytest.approx(0.4076059644443804, rel=1e-12)


def test_embedding_scatter_add_calls_out_the_repeated_row():
    text = run(EMBEDDING)
    ev = engine(EMBEDDING)
    row = row_for(backward(text), f"{bar('C')} = scatter-add {bar('Y')}")
    said = prose(row[2])
    assert "(4, 2) ← (2, 2, 2) at [Xb]" in row[2]
    # Xb = [[0, 2], [2, 3]]: row 2 twice, rows 0 and 3 once, row 1 never.
    assert "row 2 of C was picked twice: its adjoint adds both contributions" in said
    assert "row 0 of C was picked" not in said and "row 3 of C was picked" not in said
    assert "row 1 of C was never picked" in said
    term, _, _ = term_and_total(row[3])
    same(term, [[1, 1], [0, 0], [2, 3], [1, -1]])
    same(term, ev.gradient["C"])


# --- broadcasting, reductions, lookups ----------------------------------------------------
def test_broadcast_bias_row_names_the_operand_its_shape_and_the_sum():
    text = run(BIAS)
    ev = engine(BIAS)
    row = row_for(backward(text), f"{bar('b')} = sum(")
    assert prose(row[2]).startswith(f"{bar('b')} = sum({bar('Y')}, axis=0)")
    assert "b (2,) was broadcast to (2, 2)" in prose(row[2])
    assert "the adjoint of a broadcast is a sum" in prose(row[2])
    term, _, _ = term_and_total(row[3])
    same(term, ev.gradient["b"])
    same(term, np.asarray(json.loads(BIAS[-1])).sum(axis=0))  # Ȳ = G, summed over rows
    notes = text[text.index("•") :]
    assert "a mean would divide it by 2" in prose(notes)
    assert f"{bar('b')} (2,) like b" in prose(notes)


def test_keepdims_bias_sums_with_keepdims():
    text = run(KEEPDIMS_BIAS)
    ev = engine(KEEPDIMS_BIAS)
    row = row_for(backward(text), f"{bar('b')} = sum(")
    said = prose(row[2])
    assert said.startswith(f"{bar('b')} = sum({bar('Y')}, axis=0, keepdims=true)")
    assert "b (1, 2) was broadcast to (2, 2) (stretched from size 1 along axis 0)" in said
    term, _, _ = term_and_total(row[3])
    same(term, ev.gradient["b"])
    assert np.shape(term) == (1, 2)


def test_reductions_keepdims_mean_max_tie_and_repeated_lookup():
    text = run(REDUCTIONS)
    ev = engine(REDUCTIONS)
    rows = backward(text)
    X = np.array(json.loads(REDUCTIONS[2]))
    # max over axis 1 with a tie in row 0 (3 and 3).
    row = row_for(rows, f"{bar('X')} += {bar('m')} where X is the maximum")
    said = prose(row[2])
    ties = [r for r in range(2) if (X[r] == X[r].max()).sum() > 1]
    assert ties == [0]
    assert "a tie: in 1 of 2 rows the maximum is reached more than once" in said
    assert "X[0, 1] and X[0, 2] both equal 3, so each receives 1/2" in said
    term, _, _ = term_and_total(row[3])
    P = np.array(json.loads(REDUCTIONS[4]))
    want = np.where(X == X.max(axis=1, keepdims=True), P, 0.0)
    want /= (X == X.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)
    same(term, want)
    # sum over axis 0 with keepdims: the adjoint broadcasts straight back.
    row = row_for(rows, f"{bar('X')} += {bar('s')}")
    assert "kept axis 0 as size 1 (keepdims=true)" in prose(row[2])
    term, _, _ = term_and_total(row[3])
    same(term, np.broadcast_to(json.loads(REDUCTIONS[6]), X.shape))
    # mean over axis 1 without keepdims: reshaped back, and 1/n with n = 3.
    row = row_for(rows, f"{bar('X')} = reshape({bar('r')}, 2, 1) / n")
    assert "n = 3" in row[2] and "1/3" in prose(row[2])
    term, _, _ = term_and_total(row[3])
    same(term, np.broadcast_to(np.array(json.loads(REDUCTIONS[8]))[:, None] / 3, X.shape))
    # The running total of X̄ adds the three terms.
    last = [
        r
        for r in rows
        if r[1].startswith("m → X") or r[1].startswith("s → X") or r[1].startswith("r → X")
    ][-1]
    _, total, label = term_and_total(last[3])
    assert label == f"{bar('X')} = sum of 3 contributions:"
    same(total, ev.gradient["X"])
    # The lookup E[i] with i = [1, 0, 1, 1]: row 1 three times, row 2 never.
    row = row_for(rows, f"{bar('E')} = scatter-add")
    said = prose(row[2])
    assert "row 1 of E was picked 3 times: its adjoint adds all 3 contributions" in said
    assert "row 2 of E was never picked" in said
    assert "row 0 of E was picked" not in said
    # e is used twice (e * e): the fan-out note names its two rows, and they are right.
    e_rows = [k for k, r in enumerate(rows, 1) if r[1].startswith("v") and "→ e" in r[1]]
    assert len(e_rows) == 2
    assert (
        f"fan-out: e is used 2 times (by {rows[e_rows[0] - 1][1].split(' ')[0]}), so "
        f"{bar('e')} is the sum of its 2 contributions, rows {e_rows[0]} and "
        f"{e_rows[1]}"
    ) in prose(text)
    doc = json.loads(run(REDUCTIONS, 200, "--json"))
    for name in ("X", "E", "P", "Q", "R"):
        np.testing.assert_array_equal(doc["gradient"][name], ev.gradient[name])


def test_vector_matmul_says_what_numpy_does():
    text = run(VECTORS)
    ev = engine(VECTORS)
    rows = backward(text)
    row = row_for(rows, f"{bar('M')} += outer(v, {bar('a')})")
    assert "v (2,) is 1-D: NumPy's @ reads it as a row (1, 2)" in prose(row[2])
    row = row_for(rows, f"{bar('M')} = outer({bar('b')}, u)")
    assert "u (3,) is 1-D: NumPy's @ reads it as a column (3, 1)" in prose(row[2])
    row = row_for(rows, f"{bar('u')} = Mᵀ @ {bar('b')}")
    term, _, _ = term_and_total(row[3])
    same(term, ev.gradient["u"])
    row = row_for(rows, f"{bar('w')} = {bar('s')} * v")
    assert "dot product" in prose(row[2])
    same(term_and_total(row[3])[0], ev.gradient["w"])


# --- every number, summaries, widths --------------------------------------------------------
@pytest.mark.parametrize("args", ALL_PROGRAMS, ids=lambda a: a[0][:30])
@pytest.mark.parametrize("columns", [80, 120])
def test_tables_fit_the_width_and_every_number_reads_back(args, columns):
    text = run(args, columns)
    ev = engine(args)
    tape = ev.tape
    assert max(width(line) for line in text.split("\n")) <= columns
    forward = table(text, "Forward pass", FORWARD_COLUMNS)
    assert len(forward) == sum(
        1 for i, s in enumerate(tape.steps) if not (tape.is_const(i) and s.name is None)
    )
    for row in forward:
        i = labelled(ev, row[1])
        assert row[3] == str(tuple(np.shape(ev.values[i])))
        same(parse_array(row[4].split("\n")), ev.values[i])
    rows = backward(text)
    assert len(rows) == len(ev.contributions)
    for row, c in zip(rows, ev.contributions):
        assert (
            row[1].split("\n")[0].replace(" ", "") == f"{tape.label(c.node)}→{tape.label(c.input)}"
        )
        term, total, _ = term_and_total(row[3])
        same(term, c.contribution)
        if c.count > 1:
            same(total, c.total)
    result = {r[0]: r for r in table(text, "Result", ["", "shape", "value"])}
    for name, g in ev.gradient.items():
        row = result[f"∂{tape.output_name}/∂{name}"]
        assert row[1] == str(tuple(np.shape(g)))
        same(parse_array(row[2].split("\n")), g)


def test_big_arrays_are_summarised_and_all_shows_every_entry():
    text = run(BIG, 120)
    ev = engine(BIG)
    X = np.asarray(ev.values[labelled(ev, "X")])
    forward = table(text, "Forward pass", FORWARD_COLUMNS)
    x_cell = next(r for r in forward if r[1] == "X")[4]
    assert x_cell.startswith("mean") and "corner [:2, :3]:" in x_cell
    shown = parse_array(x_cell.split("\n"))
    same(shown, X)
    assert len(re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", x_cell)) < 20
    full = run(BIG, 120, "--all")
    x_cell = next(r for r in table(full, "Forward pass", FORWARD_COLUMNS) if r[1] == "X")[4]
    same(parse_array(x_cell.split("\n")), X)  # all 80 entries, in their rows
    # --all at 80 columns: rows wrap between entries, never inside one.
    narrow = run(BIG, 80, "--all")
    assert max(width(line) for line in narrow.split("\n")) <= 80
    x_cell = next(r for r in table(narrow, "Forward pass", FORWARD_COLUMNS) if r[1] == "X")[4]
    same(parse_array(x_cell.split("\n")), X)
    for row, c in zip(backward(narrow), ev.contributions):
        same(term_and_total(row[3])[0], c.contribution)


def test_small_means_at_most_36_entries_2d_and_6_rows():
    args = [
        "L = sum(A) + sum(B) + sum(C) + sum(D)",
        "--A",
        str(np.ones((6, 6)).tolist()),
        "--B",
        str(np.ones((7, 2)).tolist()),
        "--C",
        str(list(range(36))),
        "--D",
        str(np.ones((2, 2, 2)).tolist()),
    ]
    forward = {r[1]: r[4] for r in table(run(args), "Forward pass", FORWARD_COLUMNS)}
    assert forward["A"].startswith("[[") and forward["C"].startswith("[0, 1")
    assert forward["B"].startswith("mean") and forward["D"].startswith("mean")


# --- notes ------------------------------------------------------------------------------
def test_notes_are_the_tensor_ones_and_only_where_they_apply():
    text = prose(run(MATMUL))
    assert (f"why {bar('W')} = Xᵀ @ {bar('Y')} in that order: W[k, j] enters every Y[i, j]") in text
    assert (
        "every adjoint has the shape of its value: X̄ (2, 3) like X, W̄ (3, 2) like W"
        in unicodedata.normalize("NFC", text)
    )
    assert "fan-out" not in text  # nothing is used twice
    assert "broadcast is a sum, not a mean" not in text  # nothing is broadcast
    # No scalar note with its scalar words (∂f/∂q as one number) for a tensor program.
    assert "nudging q by h" not in text
    ce = run(CROSS_ENTROPY)
    notes = [line for line in ce.splitlines() if line.startswith("•")]
    assert len(notes) == 1 and notes[0].startswith("• every adjoint has the shape")


def test_mul_note_is_said_entry_by_entry():
    text = prose(run(BIAS))
    ev = engine(BIAS)
    tape = ev.tape
    v = tape.label(next(i for i, s in enumerate(tape.steps) if s.op.name == "mul"))
    assert (
        f"why {bar('Y')} = G * {bar(v)} and not {bar(v)} / G: nudging one entry "
        f"of Y by ε moves the same entry of {v} by the matching entry of G times ε"
    ) in text


# --- JSON -------------------------------------------------------------------------------
def _strict(text):
    def refuse(name):
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("args", [MATMUL, EMBEDDING, REDUCTIONS, BIG], ids=lambda a: a[0][:30])
def test_json_nodes_and_steps_carry_shapes_rules_and_the_engines_arrays(args):
    out = run(args, 200, "--json")
    doc = _strict(out)
    ev = engine(args)
    tape = ev.tape
    for i, node in enumerate(doc["nodes"]):
        shape = tuple(np.shape(ev.values[i]))
        assert tuple(node["shape"]) == shape
        assert np.shape(node["value"]) == shape
        np.testing.assert_array_equal(np.asarray(node["value"], dtype=float), ev.values[i])
        if tape.is_input(i) and tape.steps[i].name in tape.integer_inputs:
            assert node["adjoint"] is None
        else:
            np.testing.assert_array_equal(
                np.asarray(node["adjoint"], dtype=float), np.broadcast_to(ev.adjoints[i], shape)
            )
    assert len(doc["steps"]) == len(ev.contributions)
    for step, c in zip(doc["steps"], ev.contributions):
        assert step["node_shape"] == list(np.shape(ev.values[c.node]))
        assert step["input_shape"] == list(np.shape(ev.values[c.input]))
        # the first contribution is the adjoint (=), each later one is added (+=)
        eq = "=" if c.count == 1 else "+="
        assert step["rule"].startswith(f"d{tape.label(c.input)} {eq} ")
        assert step["shapes"].startswith(str(tuple(np.shape(ev.values[c.input]))) + " <- ")
        assert step["why"] and all(isinstance(s, str) for s in step["why"])
        np.testing.assert_array_equal(np.asarray(step["contribution"], dtype=float), c.contribution)
        np.testing.assert_array_equal(np.asarray(step["total"], dtype=float), c.total)
    for name, g in ev.gradient.items():
        np.testing.assert_array_equal(np.asarray(doc["gradient"][name], dtype=float), g)
    # Compact: one line per innermost row, never a line for one number of an array.
    lone = [line for line in out.splitlines() if re.fullmatch(r"\s*(-?[0-9.e+-]+|null),?", line)]
    assert not lone
    assert "[1.0, 2.0, 3.0]" in run(MATMUL, 200, "--json")


def test_json_matmul_rule_is_the_matrix_form_in_ascii():
    doc = _strict(run(MATMUL, 200, "--json"))
    rules = {s["rule"] for s in doc["steps"]}
    assert {"dW = X.T @ dY", "dX = dY @ W.T"} <= rules
    w = next(s for s in doc["steps"] if s["rule"] == "dW = X.T @ dY")
    assert w["shapes"] == "(3, 2) <- (2, 3).T @ (2, 2)"


def test_json_non_finite_numbers_are_null_with_a_warning():
    out = run(["L = sum(sqrt(X))", "--X", "[[0, 4]]"], 200, "--json")
    doc = _strict(out)
    assert doc["gradient"]["X"] == [[None, 0.25]]
    assert any("null" in w for w in doc["warnings"])


# --- ASCII and the scalar tables -------------------------------------------------------------
def test_ascii_tables_use_the_tutorials_letters():
    text = run(MATMUL, 120, "--ascii")
    assert text.isascii()
    assert "grad_W = X.T @ grad_Y" in text and "(3, 2) <- (2, 3).T @ (2, 2)" in text
    assert "sum over i of X[i, k]*grad_Y[i, j]" in prose(text)


def test_scalar_tables_have_no_shape_column(cli):
    out = cli("eval", "a*b", "--a", "2", "--b", "3").stdout
    header = next(line for line in out.splitlines() if "operation" in line)
    assert "shape" not in header
    assert "local derivative" in out


# --- graph ------------------------------------------------------------------------------
def graph(args, *options):
    runner = CliRunner(env={"COLUMNS": "200"})
    result = runner.invoke(app, ["graph", *args, *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return unicodedata.normalize("NFC", result.stdout)


def test_graph_shows_shapes_and_summaries():
    tree = graph(EMBEDDING)
    ev = engine(EMBEDDING)
    c_line = next(line for line in tree.splitlines() if re.search(r"\bC\s+input", line))
    C = np.asarray(ev.values[labelled(ev, "C")])
    assert "shape (4, 2)" in c_line and f"mean {C.mean():g}" in c_line
    xb_line = next(line for line in tree.splitlines() if re.search(r"\bXb\s+input", line))
    assert "integer data, no grad" in xb_line and "[[0, 2], [2, 3]]" in xb_line
    dot = graph(EMBEDDING, "-F", "dot")
    assert "shape (4, 2)" in dot and "C̄ = scatter-add Ȳ" in dot
    mermaid = graph(EMBEDDING, "-F", "mermaid")
    assert "shape (4, 2)" in mermaid and "v2 -.-> v3" in mermaid  # Xb: no term
    big = graph(BIG)
    x_line = next(line for line in big.splitlines() if re.search(r"\bX\s+input", line))
    assert "shape (10, 8)" in x_line and "mean" in x_line and "[[" not in x_line


def test_graph_json_carries_shapes_and_arrays():
    doc = _strict(graph(MATMUL, "--json"))
    ev = engine(MATMUL)
    nodes = {n["label"]: n for n in doc["nodes"]}
    assert nodes["W"]["shape"] == [3, 2]
    np.testing.assert_array_equal(nodes["W"]["adjoint"], ev.gradient["W"])
    rules = {e["rule"] for e in doc["edges"]}
    assert "dW = X.T @ dY" in rules
