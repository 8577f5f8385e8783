"""`gradcli eval --check` on arrays: every entry of every input (a seeded sample of a big
one, said so) beside a central difference, with the scalar check's bands and kinks; and
forward mode and --symbolic, which are for programs of numbers only, saying so (exit 2)."""

import json

import numpy
import pytest
from conftest import Cli, run_gradcli

from gradcli.core.engine import evaluate
from gradcli.language.lower import compile_program
from gradcli.modes.gradcheck import SAMPLE, check_arrays, sample_entries, step_size

CLI = Cli()
X = "[[0.2, 0.5, 0.7], [0.3, 0.6, 0.9]]"


def check_doc(program: str, values: dict, *options) -> dict:
    r = CLI(
        "eval", program, *[f"{k}={v}" for k, v in values.items()], "--check", "--json", *options
    )
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def check_text(program: str, values: dict) -> tuple:
    r = CLI("eval", program, *[f"{k}={v}" for k, v in values.items()], "--check", "--grad-only")
    assert r.exit_code == 0, r.output
    return r.stdout, r.stderr


WORKED = [
    (
        "Y = X @ W; sum(Y * G)",
        {"X": "[[1,2,3],[4,5,6]]", "W": "[[1,0],[0,1],[1,-1]]", "G": "[[1,2],[3,4]]"},
    ),
    ("loss = cross_entropy(logits, targets)", {"logits": "[[1,2,3],[1,-1,0]]", "targets": "[2,0]"}),
    (
        "Y = C[Xb]; sum(Y * G)",
        {
            "C": "[[1,2],[3,4],[5,6],[7,8]]",
            "Xb": "[[0,2],[2,3]]",
            "G": "[[[1,1],[2,0]],[[0,3],[1,-1]]]",
        },
    ),
    ("sum(softmax(X, axis=0) * [[1, 2, 3], [4, 5, 6]]) + mean(tanh(X) @ X.T)", {"X": X}),
    ("sum((X + b) * X) * s", {"X": X, "b": "[[1], [2]]", "s": "0.5"}),
]


@pytest.mark.parametrize("program, values", WORKED)
def test_every_entry_is_checked_against_an_independent_difference(program, values):
    doc = check_doc(program, values)
    assert set(doc["check"]) == set(doc["gradient"])  # integer inputs (targets, Xb) get none
    tape = compile_program(program, values)
    inputs = {k: numpy.asarray(v, dtype=float) for k, v in doc["inputs"].items()}
    for name, c in doc["check"].items():
        grad = numpy.asarray(doc["gradient"][name], dtype=float)
        assert c["shape"] == list(grad.shape)
        assert c["entries_total"] == c["entries_checked"] == grad.size and not c["sampled"]
        assert [e["index"] for e in c["entries"]] == [list(i) for i in numpy.ndindex(grad.shape)]
        for e in c["entries"]:
            index = tuple(e["index"])
            assert e["analytic"] == grad[index]
            x = inputs[name][index]
            h = step_size(x)
            assert e["h"] == h
            up, down = inputs[name].copy(), inputs[name].copy()
            up[index], down[index] = x + h, x - h
            hi = evaluate(tape, {**inputs, name: up}, record=False).value
            lo = evaluate(tape, {**inputs, name: down}, record=False).value
            assert e["numeric"] == pytest.approx(
                (hi - lo) / (up[index] - down[index]), rel=1e-12, abs=1e-15
            )
            assert e["verdict"] == "good" and not e["near_kink"], (name, e)
        assert c["verdict"] == "good" and c["counts"] == {"good": grad.size}


def test_the_table_says_what_it_checked():
    out, err = check_text(*WORKED[0])
    assert "Gradient check (analytic vs central finite difference, entry by entry)" in out
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.strip().startswith("∂f/∂") and "=" not in line
    }
    assert rows["∂f/∂X"][1:3] == ["all", "6"] and rows["∂f/∂W"][1:3] == ["all", "6"]
    assert rows["∂f/∂X"][-1] == "good"
    assert "sampled" not in out and "drawn at random" not in out


def test_a_big_input_is_sampled_and_says_so():
    rng = numpy.random.default_rng(3)
    W = json.dumps(rng.standard_normal((20, 15)).round(3).tolist())
    b = json.dumps(rng.standard_normal(15).round(3).tolist())
    values = {"W": W, "b": b, "x": json.dumps(list(range(20)))}
    program = "sum(tanh(x @ W + b))"
    doc = check_doc(program, values)
    c = doc["check"]["W"]
    assert c["sampled"] and c["entries_total"] == 300 and c["entries_checked"] == SAMPLE
    indices = [tuple(e["index"]) for e in c["entries"]]
    assert len(set(indices)) == SAMPLE and indices == sorted(indices)
    assert check_doc(program, values)["check"]["W"]["entries"] == c["entries"]  # repeatable
    assert not doc["check"]["b"]["sampled"] and doc["check"]["b"]["entries_checked"] == 15
    assert all(e["verdict"] == "good" for e in c["entries"])
    grad = numpy.asarray(doc["gradient"]["W"])
    assert all(e["analytic"] == grad[tuple(e["index"])] for e in c["entries"])
    out, _ = check_text(program, values)
    assert "200 of 300" in out
    assert "W: 200 of its 300 entries checked, drawn at random" in out
    assert "b: " not in out.split("Gradient check")[1]  # b is checked in full: no line


def test_sampling_is_seeded_by_the_name():
    a, sampled = sample_entries("W", (30, 40))
    assert sampled and len(a) == SAMPLE and a == sample_entries("W", (30, 40))[0]
    assert a != sample_entries("V", (30, 40))[0]
    every, sampled = sample_entries("b", (200,))
    assert not sampled and every == [(k,) for k in range(200)]


def test_kinks_entry_by_entry():
    # relu at 0 (two entries), a tie of three in a max over all entries, a tie of two in a
    # max along an axis, and an entry within h of relu's kink.
    program = "sum(relu(X) * G) + max(M) + sum(max(P, axis=1)) + sum(relu(Z))"
    values = {
        "X": "[[0, -1, 2], [0.5, 0, -3]]",
        "G": "[[1, 2, 3], [4, 5, 6]]",
        "M": "[[1, 4, 4], [4, 0, 2]]",
        "P": "[[1, 3, 3], [0, 1, 2]]",
        "Z": "[1e-7, 2]",
    }
    doc = check_doc(program, values)
    entries = {
        name: {tuple(e["index"]): e for e in c["entries"]} for name, c in doc["check"].items()
    }
    for index, g in [((0, 0), 1), ((1, 1), 5)]:  # relu'(0) = 0 where the difference sees 1/2
        e = entries["X"][index]
        assert e["verdict"] == "wrong" and e["near_kink"]
        assert e["analytic"] == 0 and e["numeric"] == pytest.approx(g / 2)
        assert "relu'(0) is taken as 0" in e["kinks"][0]
    assert entries["X"][(0, 2)]["verdict"] == "good" and not entries["X"][(0, 2)]["near_kink"]
    assert entries["X"][(0, 1)]["verdict"] == "good"  # relu at -1: no kink there
    x = doc["check"]["X"]
    assert x["counts"] == {"differs at a kink": 2, "good": 4}
    assert x["worst"]["index"] in ([0, 0], [1, 1]) and x["verdict"] == "wrong" and x["near_kink"]
    for index in [(0, 1), (0, 2), (1, 0)]:  # a tie of three: 1/3 each; a nudge up sees 1/2
        e = entries["M"][index]
        assert e["analytic"] == pytest.approx(1 / 3) and e["near_kink"]
        assert e["verdict"] == "wrong" and "a tie in max over all entries" in e["kinks"][0]
    assert not entries["M"][(1, 2)]["near_kink"] and entries["M"][(1, 2)]["analytic"] == 0
    for index in [(0, 1), (0, 2)]:  # a tie of two: 1/2 each, which the difference agrees with
        e = entries["P"][index]
        assert e["analytic"] == 0.5 and e["verdict"] == "good" and e["near_kink"]
        assert "a tie in max over axis 1" in e["kinks"][0]
    assert not entries["P"][(1, 2)]["near_kink"]
    z = entries["Z"][(0,)]  # 1e-7 is within h = 1e-6 of relu's kink
    assert z["near_kink"] and "straddles two slopes of relu" in z["kinks"][0]
    assert not entries["Z"][(1,)]["near_kink"]
    warnings = doc["warnings"]
    assert any(
        w.startswith("entries of X sit at a kink: relu'(0)") and "X[0, 0]" in w for w in warnings
    )
    assert any("entries of M sit at a kink: a tie in max over all entries" in w for w in warnings)
    assert any(
        w.startswith("a kink lies within h of entries of Z") and "Z[0]" in w for w in warnings
    )
    out, err = check_text(program, values)
    assert "differs at a kink" in out
    assert "X: 2 differs at a kink, 4 good" in out
    assert "entries of X sit at a kink" in err


def test_a_wrong_gradient_is_found_and_shown_first():
    tape = compile_program("sum(relu(X) * X)", {"X"})
    ev = evaluate(tape, {"X": [[0.0, 2.0], [3.0, -1.0]]})
    bad = ev.gradient["X"].copy()
    bad[1, 0] *= 1.001  # suspicious, away from any kink, beside a kink at [0, 0]
    (c,) = check_arrays(tape, ev.inputs, ev.values, {"X": bad})
    assert c.worst.index == (1, 0) and c.verdict == "suspicious" and not c.near_kink
    # relu(x)·x at 0: the analytic 0 beside the difference's h/2 is called wrong, at a kink
    assert c.counts == {"differs at a kink": 1, "good": 2, "suspicious": 1}
    (c,) = check_arrays(tape, ev.inputs, ev.values, {"X": ev.gradient["X"]})
    assert c.worst.index == (0, 0) and c.near_kink and c.verdict == "wrong"
    assert c.counts == {"differs at a kink": 1, "good": 3}


def test_an_estimate_that_leaves_the_domain_is_unavailable():
    doc = check_doc("sum(sqrt(X))", {"X": "[[0, 1], [4, 9]]"})
    c = doc["check"]["X"]
    first = c["entries"][0]
    assert first["verdict"] == "unavailable" and first["numeric"] is None
    assert "the forward pass fails within h = 1e-06 of X[0, 0] = 0" in first["note"]
    assert all(e["verdict"] == "good" for e in c["entries"][1:])
    assert c["verdict"] == "unavailable" and c["worst"]["index"] == [0, 0]
    out, _ = check_text("sum(sqrt(X))", {"X": "[[0, 1], [4, 9]]"})
    assert "X: estimate unavailable at 1 entry, the first [0, 0]: the forward pass fails" in out


def test_json_is_strict_and_the_scalar_check_unchanged():
    r = CLI("eval", "sum(sqrt(X))", "X=[[0, 1], [4, 9]]", "--check", "--json")
    doc = json.loads(r.stdout)  # strict: no NaN or Infinity
    assert doc["check"]["X"]["entries"][0]["analytic"] is None
    assert any("infinite or undefined" in w for w in doc["warnings"])
    scalar = json.loads(CLI("eval", "a*b", "a=2", "b=3", "--check", "--json").stdout)
    assert set(scalar["check"]["a"]) == {
        "analytic",
        "numeric",
        "relative_error",
        "verdict",
        "near_kink",
        "h",
        "kinks",
        "note",
        "within_rounding",
    }


def test_a_number_among_arrays_is_one_entry():
    doc = check_doc("sum(X * s)", {"X": X, "s": "2"})
    c = doc["check"]["s"]
    assert c["shape"] == [] and c["entries_checked"] == 1 and c["entries"][0]["index"] == []
    assert c["verdict"] == "good"


@pytest.mark.parametrize(
    "options, what",
    [
        (["--mode", "forward", "--wrt", "X"], "forward mode is"),
        (["--mode", "both", "--wrt", "X"], "forward mode is"),
        (["--symbolic"], "symbolic partials are"),
        (["--symbolic", "--check"], "symbolic partials are"),
    ],
)
def test_forward_mode_and_symbolic_say_they_are_for_numbers_only(options, what):
    r = CLI("eval", "sum(X * 2)", f"X={X}", *options)
    assert r.exit_code == 2, r.output
    assert (
        f"error: {what} for programs of numbers only (for now), and this program has "
        "arrays (X is (2, 3))" in r.stderr
    )
    assert "the gradient check compares each entry" in r.stderr
    r = CLI(
        "eval", "x * 2", "x=[1, 2]", *options[:2] + (["--wrt", "x"] if "--wrt" in options else [])
    )
    assert r.exit_code == 2 and "x is (2,)" in r.stderr  # arrays from a value only
    r = CLI(
        "eval",
        "sum([1, 2] * a)",
        "a=2",
        *options[:2] + (["--wrt", "a"] if "--wrt" in options else []),
    )
    assert r.exit_code == 2 and "this program has arrays\n" in r.stderr  # from a literal


def test_nothing_tracebacks_as_a_process():
    r = run_gradcli("eval", "sum(X)", "--X", X, "--mode", "forward")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "internal error" not in r.stderr
    r = run_gradcli("eval", "sum(X)", "--X", X, "--check", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["check"]["X"]["verdict"] == "good"
