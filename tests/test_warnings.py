"""Warnings are data with one cap, wherever they come from: a big program says each kind
of warning a few times and counts the rest, in every mode."""

import json

from conftest import run_gradcli

RELUS = "; ".join(f"r{i} = relu(x + r{i - 1})" if i else "r0 = relu(x)" for i in range(500))


def _warnings(*args):
    r = run_gradcli(*args)
    assert r.returncode == 0, r.stderr
    return [line for line in r.stderr.splitlines() if line.startswith("warning:")]


def test_each_kind_of_warning_is_capped_in_every_mode():
    for extra in ([], ["--mode", "forward"], ["--mode", "both"], ["--check"]):
        lines = _warnings("eval", RELUS, "--x", "0", "--grad-only", *extra)
        assert 2 <= len(lines) <= 10, (extra, lines)
        assert any("497 more steps like this" in line for line in lines), (extra, lines)


def test_unused_expressions_are_counted_not_listed():
    program = "\n".join(f"a + {k}" for k in range(200)) + "\na * 2"
    lines = _warnings("eval", program, "--a", "1", "--grad-only")
    assert len(lines) == 4, lines
    assert lines[0].endswith("(line 1)") and "197 more statements like this" in lines[-1]


def test_the_cap_keeps_the_places_it_shows():
    from gradcli.core.warnings import Warnings

    w = Warnings(shown=2)
    for k in range(5):
        w.add("a kink", f"(step {k})")
    w.add("once", lambda: "(here)")
    assert w.lines() == [
        "a kink (step 0)",
        "a kink (step 1)",
        "a kink: 3 more steps like this",
        "once (here)",
    ]


def test_forward_mode_json_counts_its_nulls_once():
    program = "y0 = sqrt(x)\n" + "\n".join(f"y{i} = y{i - 1} * 1.5" for i in range(1, 1000))
    for extra in (["--mode", "forward"], ["--mode", "both", "--wrt", "x"]):
        r = run_gradcli("eval", program, "--x", "0", "--json", *extra)
        warnings = json.loads(r.stdout)["warnings"]
        assert len(warnings) <= 6, warnings
        assert any("numbers in tangents and forward_trace" in w for w in warnings), warnings


def test_a_thousand_infinite_slopes_are_one_kind_of_warning():
    program = " + ".join(f"sqrt(y*{i})" for i in range(1, 1000))
    lines = _warnings("eval", program, "--y", "0", "--grad-only")
    assert len(lines) <= 6 and any("996 more steps like this" in w for w in lines), lines
