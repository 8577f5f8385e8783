"""`gradcli explain`: the lesson's numbers, topics, walkthroughs, paging, output modes."""

import json
import math
import os
import re
import shlex
import sys

import pytest
from conftest import ROOT, SHARED, acceptance_cases, run_gradcli

from gradcli.core.engine import evaluate
from gradcli.core.notation import Notation, fmt
from gradcli.language.lower import compile_program
from gradcli.modes.forward_mode import tangent_trace
from gradcli.tutor.lesson import multiply_lesson
from gradcli.tutor.topics import TOPICS
from gradcli.tutor.walkthrough import PATH_LIMIT, chain_of, count_paths, num, walk

# This file is NFD-normalised: gradcli writes ā as a + combining macron.
ANSI = re.compile(r"\x1b\[")
CASES = SHARED / "acceptance" / "cases.toml"
UNI = Notation()


def lesson_text(**values):
    return [s.text() for s in multiply_lesson(UNI, **values)]


# --- the lesson: every number follows the values -----------------------------------------
@pytest.mark.parametrize(
    "a, b, c, k", [(2.0, 3.0, 1.0, 2.0), (-1.5, 4.0, 0.5, 3.0), (0.25, -5.0, 2.0, -1.5)]
)
def test_lesson_numbers_follow_the_values(a, b, c, k):
    # Independent arithmetic: f = k·(a·b) + c, so x̄ = k, ā = b·k, b̄ = a·k.
    x, f = a * b, k * a * b + c
    xbar, abar, bbar = k, b * k, a * k
    steps = lesson_text(a=a, b=b, c=c, k=k)
    assert len(steps) == 8
    forward, means, local, chain, wrong, books, general, nxt = steps
    assert f"So x = {fmt(a)}·{num(b)} = {fmt(x)}" in forward
    assert f"= {fmt(f)}." in forward
    assert f"x̄ = {fmt(xbar)}." in means
    assert f"∂x/∂a = b = {fmt(b)}" in local
    assert f"ā = {fmt(b)}·{num(xbar)} = {fmt(abar)}" in chain
    assert f"dx/b = {fmt(xbar)}/{num(b)} = {fmt(xbar / b)}" in wrong
    # The scaling table: doubling b doubles ā, halves dx/b.
    assert f"{fmt(2 * b)} | {fmt(2 * abar)} | {fmt(xbar / (2 * b))} |" in wrong
    # One convention for negative numbers: bare first, in parentheses after it.
    assert f"ā = b·x̄ = {fmt(b)}·{num(xbar)} = {fmt(abar)}" in books
    assert f"b̄ = a·x̄ = {fmt(a)}·{num(xbar)} = {fmt(bbar)}" in books
    assert f"ā = 2·a·x̄ = {fmt(2 * a * xbar)}" in general
    assert f"`da = b * dx`: {fmt(abar)} = {fmt(b)} * {num(xbar)}" in nxt


def test_lesson_measurements_agree_with_the_gradient():
    chain = lesson_text(a=1.25, b=-3.5)[3]
    measured = re.search(r"central difference .* = (\S+)", chain).group(1)
    assert float(measured) == pytest.approx(-3.5 * 2, rel=1e-6)


def test_lesson_covers_the_issue_steps_in_order():
    titles = [s.title for s in multiply_lesson(UNI)]
    for words, title in zip(
        [
            "forward",
            "dx",
            "local derivative",
            "chain rule",
            "not da = dx/b",
            "bookkeeping",
            "add, multiply, max, fan-out",
            "own expression",
        ],
        titles,
    ):
        assert words in title


def test_lesson_values_from_the_command_line(cli):
    r = cli("explain", "--a", "5", "b=7", "--no-pause")
    assert r.exit_code == 0, r.output
    assert "ā = 7·2 = 14" in r.stdout and "dx/b = 2/7" in r.stdout


@pytest.mark.parametrize("b", ["1", "-1"])
def test_lesson_refuses_b_where_the_slip_gives_the_right_number(cli, b):
    r = cli("explain", f"--b={b}", "--no-pause")
    assert r.exit_code == 2
    assert "the slip dx/b gives the same number" in r.stderr


def test_explain_output_option_needs_a_program(cli):
    r = cli("explain", "--output", "x")
    assert r.exit_code == 2 and "--output applies to a program" in r.stderr


def test_program_walk_suggests_an_eval_command_that_reproduces_it(cli):
    r = cli(
        "explain",
        "x = a*b; y = x + 1; f = y*y",
        "--a",
        "2",
        "--b",
        "0.1234567891",
        "--output",
        "x",
        "--no-pause",
    )
    assert (
        "This command shows the same numbers as tables:\n\n"
        "gradcli eval --output x 'x = a*b; y = x + 1; f = y*y' --a=2 --b=0.1234567891\n"
    ) in r.stdout


SUGGESTED = re.compile(
    r"^This command shows the same numbers as tables:\n\n(gradcli eval .*)$", re.M
)


@pytest.mark.parametrize(
    "program, values, output",
    [
        ("all*output", {"all": 2, "output": 3}, None),  # eval's --all and --output
        ("-f*x", {"f": 2, "x": 3}, None),  # -f is eval's file option
        ("-a*json + check", {"a": -1.5, "json": 1e-300, "check": 4}, None),
        ("json = a*b; f = json + help*mode", {"a": 2, "b": -0.0, "help": 3, "mode": 0.1}, "json"),
        ("mode=2", {}, None),  # the program looks like a value: it must come first
        ("c = 2; c += c*θ; c *= wrt", {"θ": 1.25, "wrt": -3}, None),  # a default, a Greek name
        # Comments that joining the lines must not keep; a program starting with --.
        (
            "--a*symbolic # starts with --\n\n  y = a - file # it's a comment\n",
            {"a": 2, "file": 5, "symbolic": 7},
            None,
        ),
        ("x = a/b\f+ 1 # one\r\nf = x*x\r\ngrad = f", {"a": 1, "b": 3}, "f"),  # \f, \r: spaces
    ],
)
def test_the_suggested_eval_command_runs_and_reproduces_the_walk(
    cli, tmp_path, program, values, output
):
    """The closing `gradcli eval ...` is run as a shell would split it."""
    path = tmp_path / "p.grad"
    path.write_text(program, encoding="utf-8")
    args = ["explain", "-f", str(path), "--no-pause"] + (["--output", output] if output else [])
    args += [f"{name}={v!r}" for name, v in values.items()]
    r = cli(*args)
    assert r.exit_code == 0, r.output
    command = SUGGESTED.search(r.stdout).group(1)
    words = shlex.split(command)
    assert words[:2] == ["gradcli", "eval"]
    ran = cli(*words[1:])
    assert ran.exit_code == 0, (command, ran.output)
    ran = cli("eval", "--json", *words[2:])
    assert ran.exit_code == 0, (command, ran.output)
    ev = evaluate(compile_program(program, values, output), values)
    doc = json.loads(ran.stdout)
    assert doc["output"] == ev.tape.output_name and doc["value"] == ev.value
    assert doc["gradient"] == ev.gradient
    assert all(
        math.copysign(1, doc["inputs"][n]) == math.copysign(1, v) for n, v in ev.inputs.items()
    )
    assert not ran.stderr  # no "does not use" or "computed by the program" warnings


def test_markdown_export_escapes_the_program_in_the_heading(cli, tmp_path):
    out = tmp_path / "e.md"
    r = cli("explain", "x = a*b*c # <b>hi</b>", "a=1", "b=2", "c=3", "--export", str(out))
    assert r.exit_code == 0
    heading = out.read_text().splitlines()[0]
    assert heading.startswith("# gradcli explain: x = a\\*b\\*c")
    assert "<b>" not in heading


def test_lesson_with_b_zero_does_not_divide(cli):
    r = cli("explain", "--b", "0", "--no-pause")
    assert r.exit_code == 0, r.output
    assert "not even defined" in r.stdout


# --- any program -------------------------------------------------------------------------
@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
@pytest.mark.parametrize("case", acceptance_cases(), ids=lambda c: c["id"])
def test_every_acceptance_case_walks_through(cli, case):
    args = ["explain", case["program"], "--no-pause"]
    for name, v in case.get("inputs", {}).items():
        args += [f"--{name}", repr(float(v))]
    r = cli(*args)
    assert r.exit_code == 0, (case["id"], r.output)
    assert "Forward pass" in r.stdout and "Result" in r.stdout
    for name in case.get("inputs", {}):
        assert f"The whole chain for {name}" in r.stdout


@pytest.mark.parametrize(
    "source, values",
    [
        ("a*b", {"a": 2, "b": 3}),
        ("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4}),
        ("d = a*b; e = a + b; f = d*e", {"a": 2, "b": 3}),
        ("b = a + a; c = b + b", {"a": 3}),
        ("sigmoid(a*x + b*y + c)", {"a": 1, "b": 2, "c": -3, "x": -1, "y": 3}),
        ("y = x*x*x; f = y/x + sin(y)", {"x": 0.7}),
    ],
)
def test_path_sums_and_forward_mode_agree_with_reverse_mode(source, values):
    ev = evaluate(compile_program(source, values), values)
    paths = count_paths(ev.tape)
    for name, g in ev.gradient.items():
        chain = chain_of(ev, name, UNI, paths)
        assert sum(chain.products) == pytest.approx(g, rel=1e-12, abs=1e-12)
        assert all(
            math.prod(v for _, v in t) == pytest.approx(p)
            for t, p in zip(chain.terms, chain.products)
        )
        fm = tangent_trace(ev.tape, ev.values, name)
        assert fm.derivative == pytest.approx(g, rel=1e-12, abs=1e-12)


def test_chain_lines_show_symbols_values_and_number(cli):
    r = cli(
        "explain", "x = a*b; v = 2*x; f = v + c", "--a", "2", "--b", "3", "--c", "1", "--no-pause"
    )
    assert r.exit_code == 0, r.output
    assert "∂f/∂a = b·2·1" in r.stdout and "= 3·2·1" in r.stdout
    assert "Local rule (mul)" in r.stdout and "x̄ = 2 arrives from v" in r.stdout


def chain_text(source, values, name="x", nt=UNI):
    ev = evaluate(compile_program(source, values), values)
    steps = walk(ev, nt)
    return ev, next(s for s in steps if s.title == f"The whole chain for {name}").text()


def test_infinite_slopes_the_sum_over_paths_is_not_said_to_equal_the_gradient(cli):
    # v = sqrt(x) at 0: slope inf. The paths give inf·2 and inf·(-1); inf + (-inf) is nan
    # in floats, while the sweep adds 2 + (-1) at v first and gives inf.
    r = cli("explain", "v = sqrt(x); f = 2*v - v", "--x", "0", "--no-pause")
    assert r.exit_code == 0, r.output
    block = r.stdout.split("The whole chain for x")[1].split("Result")[0]
    lines = [line.strip() for line in block.splitlines() if line.strip().startswith(("Σ", "="))]
    assert lines == [
        "Σ over paths = (1/(2·v))·2·1 + (1/(2·v))·(-1)",
        "= inf·2·1 + inf·(-1)",
        "= inf + (-inf)",
        "= nan",
    ]
    words = " ".join(block.split())
    assert "∂f/∂x =" not in words and "The backward pass computed the same number" not in words
    assert (
        "an infinite slope at step v = sqrt(x), where x = 0: 1/(2·v) = inf (the slope of "
        "sqrt is infinite at 0)"
    ) in words
    assert (
        "In IEEE float arithmetic inf + (-inf) = nan, so the sum over paths is not defined "
        "as a number: added as floats in the order shown it gives nan."
    ) in words
    assert (
        "The reverse sweep, which adds the contributions at each step before multiplying (the "
        "order PyTorch uses), gives x̄ = inf."
    ) in words
    ascii_out = cli("explain", "v = sqrt(x); f = 2*v - v", "--x", "0", "--ascii").stdout
    assert ascii_out.isascii()
    assert (
        "    sum over paths = (1/(2*v))*2*1 + (1/(2*v))*(-1)\n"
        "                   = inf*2*1 + inf*(-1)" in ascii_out
    )
    assert "inf + (-inf) = nan" in ascii_out and "gives grad_x = inf." in " ".join(
        ascii_out.split()
    )


def test_a_closed_gate_past_an_infinite_slope_is_named_and_nan_is_not_summed_to_inf():
    # relu(-u) at u = 0 is closed; u = sqrt(x) has slope inf at 0: path 1 is 0·inf = nan.
    ev, text = chain_text("u = sqrt(x); f = relu(-u) + u", {"x": 0.0})
    words = " ".join(text.split())
    assert "Σ over paths = " in words and "= nan + inf = nan" in words
    assert "= nan + inf = inf" not in words and "∂f/∂x =" not in words
    assert "path 1's product is 0·inf = nan" in words
    assert "gives x̄ = inf." in words and ev.gradient["x"] == math.inf
    # Where the gate is met after the infinite slope, the path carries exactly 0, as said.
    ev, text = chain_text("f = sqrt(relu(x - 1)) + x", {"x": 0.0})
    words = " ".join(text.split())
    assert "= 1·0·inf·1 + 1 = 0 + 1 = 1" in words
    assert (
        "Path 1 passes a closed gate at step v2 = relu(v1), where v1 = -1 (heaviside(v1, 0) "
        "= 0): as in PyTorch, which masks the contribution there rather than multiplying, it "
        "carries exactly 0, where multiplying its factors as shown, 1·0·inf·1, would give "
        "nan."
    ) in words
    assert "The backward pass computed the same number, x̄ = 1" in words


def test_cancelling_terms_say_what_the_sum_as_written_and_the_sweep_give():
    b = 0.999999999999
    ev, text = chain_text("v = x*3; f = v*a - v*b", {"x": 1.0, "a": 1.0, "b": b})
    as_written = 3.0 + 3.0 * -b  # the two paths' products, added in the order shown
    sweep = 3.0 * (1.0 - b)  # the sweep adds a·1 + b·(-1) at v, then multiplies by 3
    assert ev.gradient["x"] == sweep and fmt(as_written) != fmt(sweep)
    words = " ".join(text.split())
    assert "∂f/∂x =" not in words and "the same number" not in words
    assert (
        f"Σ over paths = 3·a·1 + 3·b·(-1) = 3·1·1 + 3·{b!r}·(-1) = 3 + ({-3.0 * b!r}) "
        f"= {as_written!r}"
    ) in words
    assert (
        f"The terms cancel: the largest is 3, and float rounding of a number that size "
        f"(about {fmt(math.ulp(3.0))}) shows in the digits of what is left. So the sum as "
        f"written gives {as_written!r} while the reverse sweep, which adds the contributions at "
        f"each step before multiplying (the order PyTorch uses), gives x̄ = {sweep!r}."
    ) in words


@pytest.mark.parametrize(
    "source, values",
    [
        ("d = a*b; e = a + b; f = d*e", {"a": 2, "b": 3}),
        ("y = x*x*x; f = y/x + sin(y)", {"x": 0.7}),
        ("q = x*y; w = sin(q)*x + q*exp(y); f = w*q + x/y - tanh(w)", {"x": 1.3, "y": -0.4}),
        ("v = sqrt(x); f = 2*v - v", {"x": 0.0}),
        ("v = sqrt(x); f = v + v", {"x": 0.0}),  # inf + inf = inf: the sum is the gradient
        ("u = sqrt(x); f = relu(-u) + u", {"x": 0.0}),
        ("v = x*3; f = v*a - v*b", {"x": 1.0, "a": 1.0, "b": 0.999999999999}),
        ("v = x*0.1; f = v*a - v*b", {"x": 1.0, "a": 1.0, "b": 0.999999999999}),
        ("v = x*3; f = v*a - v*b", {"x": 1.0, "a": 1.0, "b": 1.0}),  # exactly 0
    ],
)
def test_every_chain_says_the_sum_equals_the_gradient_only_when_it_does(source, values):
    """The products added as floats in the order shown (Python's sum here) print as the
    gradient wherever the lines end `= gradient`; elsewhere the lines end with that sum and
    the sweep's gradient is given in words."""
    ev = evaluate(compile_program(source, values), values)
    paths = count_paths(ev.tape)
    steps = {s.title: s.text() for s in walk(ev, UNI)}
    for name, g in ev.gradient.items():
        chain = chain_of(ev, name, UNI, paths)
        text = steps[f"The whole chain for {name}"]
        total = sum(chain.products, 0.0)
        last = [
            line
            for line in text.splitlines()
            if line.lstrip().startswith("= ") or "∂f/∂" in line or "Σ" in line
        ][-1].strip()
        if f"∂f/∂{name} = " in text:
            assert fmt(total) == fmt(g) or (math.isnan(total) and math.isnan(g)), (name, text)
            assert last.endswith(f"= {fmt(g)}") and "the same number" in text
        else:
            assert "Σ over paths = " in text and "the same number" not in text
            assert last.endswith(f"= {fmt(total)}") or last.endswith(f"= {total!r}"), last
            assert f"gives {UNI.bar(name)} = {fmt(g)}." in " ".join(
                text.split()
            ) or f"gives {UNI.bar(name)} = {g!r}." in " ".join(text.split())


def test_fan_out_node_shows_the_sum(cli):
    r = cli("explain", "b = a + a; c = b * b", "--a", "3", "--no-pause")
    assert r.exit_code == 0, r.output
    # b = 6, c = b²: two contributions of b·c̄ = 6 each arrive at b.
    assert "b̄ arrives as a sum: b is used 2 times" in r.stdout
    assert "b̄ = 6 + 6 = 12" in r.stdout


def test_many_paths_are_summarised_and_deep_programs_do_not_recurse():
    wide = "\n".join(["x0 = a"] + [f"x{i} = x{i - 1} + x{i - 1}" for i in range(1, 31)])
    ev = evaluate(compile_program(wide, ("a",)), {"a": 1.0})
    chain = chain_of(ev, "a", UNI)
    assert chain.terms == [] and chain.count == PATH_LIMIT + 1  # summarised: no paths listed
    assert chain.gradient == 2.0**30
    deep = "\n".join(["x0 = a"] + [f"x{i} = 1.001 * x{i - 1}" for i in range(1, 5001)])
    ev = evaluate(compile_program(deep, ("a",)), {"a": 1.0})
    steps = walk(ev, UNI)
    chain_step = next(s for s in steps if s.title == "The whole chain for a").text()
    assert "(5001 factors)" in chain_step and fmt(ev.gradient["a"]) in chain_step


def test_domain_errors_and_bad_programs_keep_their_exit_codes(cli):
    assert cli("explain", "log(x)", "--x", "-1", "--no-pause").exit_code == 1
    r = cli("explain", "a*", "--a", "1", "--no-pause")
    assert r.exit_code == 2 and "error:" in r.stderr


def test_program_from_a_file(cli, tmp_path):
    prog = tmp_path / "p.grad"
    prog.write_text("q = x + y\nf = q * z\n")
    r = cli("explain", "-f", str(prog), "--x", "-2", "--y", "5", "--z", "-4", "--no-pause")
    assert r.exit_code == 0, r.output
    assert "The whole chain for z" in r.stdout


# --- topics --------------------------------------------------------------------------------
def test_list_names_every_topic(cli):
    r = cli("explain", "--list")
    assert r.exit_code == 0
    for name in [
        "multiply",
        "add",
        "fan-out",
        "chain",
        "sigmoid",
        "max-relu",
        "division",
        "forward-vs-reverse",
    ]:
        assert re.search(rf"^{name}\s", r.stdout, re.M), name


@pytest.mark.parametrize("name", list(TOPICS))
def test_every_topic_runs(cli, name):
    r = cli("explain", "--topic", name, "--no-pause")
    assert r.exit_code == 0, r.output
    assert "(1/" in r.stdout


def test_unknown_topic_suggests_one(cli):
    r = cli("explain", "--topic", "sigmod")
    assert r.exit_code == 2
    assert "'sigmoid'" in r.stderr and "--list" in r.stderr


def test_sigmoid_topic_shows_the_slip_and_the_right_value():
    text = "\n".join(s.text() for s in TOPICS["sigmoid"].build(UNI))
    q = 1.5 * 2 - 1  # the topic's neuron: w = 1.5, x = 2, b = -1
    s = 1 / (1 + math.exp(-q))
    assert f"= {fmt(q * (1 - q))}" in text and f"= {fmt(s * (1 - s))}" in text


def test_max_relu_topic_uses_the_conventions():
    text = "\n".join(s.text() for s in TOPICS["max-relu"].build(UNI))
    assert "relu'(0) is taken as 0" in text
    assert "a | 0.5" in text and "b | 0.5" in text


def test_forward_vs_reverse_topic_states_the_trade_off():
    text = "\n".join(s.text() for s in TOPICS["forward-vs-reverse"].build(UNI))
    assert "one pass per input" in text and "one pass per output" in text
    x, y = 2.0, 3.0  # q = x·y, f = q + sin(x)
    assert f"→ ∂f/∂x = {fmt(y + math.cos(x))}" in text and f"→ ∂f/∂y = {fmt(x)}" in text


# --- output modes ------------------------------------------------------------------------
def test_piped_output_has_no_escape_codes_and_no_prompts():
    p = run_gradcli("explain")
    assert p.returncode == 0, p.stderr
    assert not ANSI.search(p.stdout) and "[Enter]" not in p.stdout
    assert "(1/8)" in p.stdout and "(8/8)" in p.stdout


def test_ascii_output_is_ascii(cli):
    for args in [
        ["explain", "--ascii"],
        ["explain", "d = a*b; f = sigmoid(d)", "--a", "1", "--b", "2", "--ascii"],
    ] + [["explain", "--topic", name, "--ascii"] for name in TOPICS]:
        r = cli(*args)
        assert r.exit_code == 0, r.output
        assert r.stdout.isascii(), [ch for ch in r.stdout if not ch.isascii()][:5]
    assert "grad_a = 3*2 = 6" in cli("explain", "--ascii").stdout


def test_ascii_chosen_automatically_for_a_non_utf8_output():
    p = run_gradcli("explain", "--topic", "sigmoid", env={"PYTHONIOENCODING": "ascii"})
    assert p.returncode == 0, p.stderr
    assert p.stdout.isascii() and "sigmoid" in p.stdout


@pytest.mark.parametrize("suffix", [".md", ".html", ".svg"])
def test_export_writes_every_step(cli, tmp_path, suffix):
    path = tmp_path / f"lesson{suffix}"
    r = cli("explain", "--export", str(path))
    assert r.exit_code == 0, r.output
    content = path.read_text(encoding="utf-8")
    if suffix == ".svg":  # rich writes each word as its own text element
        content = content.replace("&#160;", " ")
    for word in ["forward", "bookkeeping", "identity", "own", "expression"]:
        assert word in content, word
    if suffix == ".md":
        assert content.count("\n## ") == 8 and "| b |" in content


def test_export_to_an_unknown_type_is_a_usage_error(cli, tmp_path):
    r = cli("explain", "--export", str(tmp_path / "lesson.txt"))
    assert r.exit_code == 2 and ".md, .html or .svg" in r.stderr


# --- paging at a real terminal ----------------------------------------------------------
pexpect = pytest.importorskip("pexpect")


def spawn(*args, rows=50):
    # The terminal's own size decides the screens: no LINES/COLUMNS from the test runner.
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    return pexpect.spawn(
        sys.executable,
        ["-m", "gradcli", "explain", *args],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=20,
        dimensions=(rows, 120),
        env=env,
    )


def test_paging_next_back_and_quit():
    child = spawn()
    child.expect(r"\(1/8\)")
    child.expect(r"\[Enter\] next")
    child.send("\r")
    child.expect(r"What `dx` means.*\(2/8\)")
    child.expect(r"\[Enter\] next")
    child.send("b")
    child.expect(r"The forward pass.*\(1/8\)")
    child.expect(r"\[Enter\] next")
    child.send(" ")
    child.expect(r"\(2/8\)")
    child.expect(r"\[Enter\] next")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_paging_to_the_end_and_end_of_input():
    child = spawn("--topic", "division")
    for k in (1, 2):
        child.expect(rf"\({k}/2\)")
        child.expect(r"\[Enter\]")
        child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = spawn()
    child.expect(r"\[Enter\] next")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_a_step_taller_than_the_terminal_is_shown_a_screen_at_a_time():
    child = spawn(rows=12)
    child.expect(r"The forward pass: compute x, then f.*\(1/8\)")
    child.expect(r"\[Enter\] more")  # the rest of step 1 is on the next screen
    child.send("\r")
    child.expect(r"\[Enter\] (more|next)")
    child.send("b")
    child.expect(r"The forward pass: compute x, then f.*\(1/8\)")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_no_pause_at_a_terminal_prints_everything():
    child = spawn("--no-pause")
    child.expect(r"\(8/8\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "[Enter]" not in child.before


@pytest.mark.parametrize("program", ["f = 3", "3 + 4", "x = a*2; f = 3", "c = a; f = c"])
def test_degenerate_programs_walk_through(cli, program):
    r = cli("explain", program, "--a", "1", "--no-pause")
    assert r.exit_code == 0, r.output
    assert "Result" in r.stdout


def test_warnings_go_to_stderr(cli):
    r = cli("explain", "relu(x)*y", "--x", "0", "--y", "2", "--z", "1", "--no-pause")
    assert r.exit_code == 0, r.output
    assert "does not use 'z'" in r.stderr and "relu'(0) is taken as 0" in r.stdout
