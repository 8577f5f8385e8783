"""`gradcli code`: the generated programs run, and print what `gradcli eval --json` prints.

Every op in the registry gets a program (so a new op is covered with no change here),
every acceptance case too, and the kinks where PyTorch's conventions pick the derivative.
The Python runs in a subprocess; the JavaScript under node when node is installed.
"""

import functools
import json
import math
import os
import shutil
import subprocess
import sys

import pytest
from conftest import SHARED, Cli, acceptance_cases

from gradcli.core.ops import BINARY_SYMBOLS, FUNCTIONS, OPS
from gradcli.emit.codegen import ATOM, TARGETS, translate_rule

CASES = SHARED / "acceptance" / "cases.toml"
NODE = shutil.which("node")
LANGS = [
    "python",
    pytest.param("js", marks=pytest.mark.skipif(NODE is None, reason="node is not installed")),
]


_PY_HARNESS = r"""
import contextlib, io, json, sys
results = []
for code in json.load(sys.stdin):
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "<generated>", "exec"), {"__name__": "__main__"})
        results.append([buf.getvalue(), None])
    except Exception as exc:
        results.append([buf.getvalue(), repr(exc)])
sys.__stdout__.write(json.dumps(results))
"""

_JS_HARNESS = r"""
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const results = [];
  const log = console.log;
  for (const code of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
    const lines = [];
    // as console.log writes its arguments (String(-0) would be "0")
    console.log = (...args) => lines.push(require("util").format(...args));
    try { new Function(code)(); results.push([lines.join("\n"), null]); }
    catch (exc) { results.push([lines.join("\n"), String(exc)]); }
  }
  console.log = log;
  process.stdout.write(JSON.stringify(results));
});
"""


def run_programs(codes: list, lang: str) -> list:
    """Run many generated programs in one process (each in a fresh scope): their
    `name = value` lines as floats."""
    exe = [sys.executable, "-c", _PY_HARNESS] if lang == "python" else [NODE, "-e", _JS_HARNESS]
    proc = subprocess.run(exe, input=json.dumps(codes), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    results = []
    for (stdout, error), code in zip(json.loads(proc.stdout), codes):
        assert error is None, error + "\n" + code
        results.append(parse_printed(stdout))
    return results


def parse_printed(stdout: str) -> dict:
    printed = {}
    for line in stdout.splitlines():
        name, _, value = line.rpartition(" = ")
        printed[name] = float(value)
    return printed


def run_program(code: str, lang: str) -> dict:
    """Run one generated program as a script, as a user would."""
    exe = [sys.executable, "-"] if lang == "python" else [NODE, "-"]
    proc = subprocess.run(exe, input=code, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + "\n" + code
    return parse_printed(proc.stdout)


def close(got: float, want) -> bool:
    if want is None:  # JSON null: eval's value was inf or nan
        return not math.isfinite(got)
    return got == pytest.approx(want, rel=1e-9, abs=1e-12)


CLI = Cli()


def generate(program: str, values: dict, lang: str):
    """(the code `gradcli code` writes, what `gradcli eval --json` reports)."""
    args = [program] + [f"{k}={v!r}" for k, v in values.items()]
    ev = CLI("eval", "--json", *args)
    assert ev.exit_code == 0, ev.output
    gen = CLI("code", "--lang", lang, *args)
    assert gen.exit_code == 0, gen.output
    return gen.stdout, json.loads(ev.stdout)


def compare(printed: dict, want: dict, context) -> None:
    out = want["output"]
    assert close(printed[out], want["value"]), (context, printed, want)
    for name, g in want["gradient"].items():
        assert close(printed[f"d{out}/d{name}"], g), (context, name, printed, want)
    assert len(printed) == 1 + len(want["gradient"])


def check_all(cases: list, lang: str) -> list:
    """Generate, run and compare each (program, values); returns the code."""
    generated = [generate(program, values, lang) for program, values in cases]
    results = run_programs([code for code, _ in generated], lang)
    for (_code, want), printed, case in zip(generated, results, cases):
        compare(printed, want, case)
    return [code for code, _ in generated]


def check(program: str, values: dict, lang: str) -> str:
    return check_all([(program, values)], lang)[0]


def op_program(op) -> str:
    """A program that uses `op`, with x used twice so a fan-out is in the code too."""
    if op.name in ("input", "const"):
        return "2 * x + x"
    if op.name == "copy":
        return "c = x; f = c * c"
    if op.name == "neg":
        return "-x * x"
    symbol = next((s for s, o in BINARY_SYMBOLS.items() if o is op), None)
    if symbol:
        return f"(x {symbol} y) * x"
    name = next(n for n, o in FUNCTIONS.items() if o is op)
    args = ", ".join(["x", "y"][: op.arity])
    return f"{name}({args}) * x"


POINTS = [{"x": 0.7, "y": 1.3}, {"x": -0.6, "y": 2.0}, {"x": 2.5, "y": -1.5}]


def op_cases(op) -> list:
    """The op's program at every sample point where it is defined."""
    program = op_program(op)
    cases = []
    for p in POINTS:
        values = {k: v for k, v in p.items() if k in program}
        if (
            CLI("eval", "--json", program, *[f"{k}={v!r}" for k, v in values.items()]).exit_code
            == 0
        ):
            cases.append((program, values))
    return cases


@functools.cache
def every_op_run(lang: str) -> dict:
    """All ops' programs run in one process per language: op name -> error or None."""
    cases = {op.name: op_cases(op) for op in OPS.values()}
    flat = [(name, case) for name, cs in cases.items() for case in cs]
    generated = [generate(program, values, lang) for _, (program, values) in flat]
    results = run_programs([code for code, _ in generated], lang)
    outcome = {
        name: None if cases[name] else "no sample point where it is defined" for name in cases
    }
    for (name, case), (code, want), printed in zip(flat, generated, results):
        try:
            compare(printed, want, case)
        except AssertionError as exc:
            outcome[name] = f"{exc}\n{code}"
    return outcome


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("op", list(OPS.values()), ids=lambda op: op.name)
def test_generated_code_matches_eval_for_every_op(op, lang):
    problem = every_op_run(lang)[op.name]
    assert problem is None, f"{op.name}: {problem}"


@pytest.mark.parametrize("lang", LANGS)
def test_generated_code_keeps_pytorch_conventions_at_kinks(lang):
    check_all(
        [
            ("relu(x) * y", {"x": 0.0, "y": 3.0}),  # relu'(0) = 0
            ("abs(x) * y", {"x": 0.0, "y": 3.0}),  # abs'(0) = 0
            ("max(x, y) * x", {"x": 2.0, "y": 2.0}),  # a tie splits 0.5/0.5
            ("min(x, y) * x", {"x": 2.0, "y": 2.0}),
            ("x ^ y", {"x": 0.0, "y": 2.0}),  # d/dy x^y = 0 at x = 0
            ("x ^ y", {"x": -2.0, "y": 3.0}),  # d/dy x^y is nan for x < 0
            ("sigmoid(x) + softplus(y)", {"x": -800.0, "y": 800.0}),  # no overflow
        ],
        lang,
    )


@pytest.mark.parametrize("lang", LANGS)
def test_edge_shapes_of_programs(lang):
    check_all(
        [
            ("a = 2; f = 3*b", {"b": 0.5}),  # an input the output does not use: gradient 0
            ("2*3", {}),  # no inputs at all
            ("a", {"a": 1.5}),  # the output is an input
            ("c = a; c += 1; c *= c", {"a": 1.5}),  # rebound names
            ("pi*x + e^x", {"x": 3.0}),  # named constants
            ("x^-1 + -x^2 + 2^-x - -x + -(-x) + (-2)^x", {"x": 3.0}),  # signs and powers
            ("x - (y - x) - (x + y) / (x * y) / (x / y)", {"x": 3.0, "y": 2.0}),  # grouping
        ],
        lang,
    )


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
@pytest.mark.parametrize("lang", LANGS)
def test_generated_code_matches_eval_on_every_acceptance_case(lang):
    check_all(
        [
            (case["program"], {k: float(v) for k, v in case.get("inputs", {}).items()})
            for case in acceptance_cases()
        ],
        lang,
    )


def test_seed_example_reads_like_the_hackers_guide(cli):
    code = cli("code", "x = a*b; f = 2*x + c", "--a", "2", "--b", "3", "--c", "1").stdout
    lines = code.splitlines()
    forward = next(line for line in lines if line.startswith("x = a * b"))
    tag = forward.split("#")[1].strip()  # "(1)"
    assert any(line.startswith("da = b * dx") and f"from {tag} x = a * b" in line for line in lines)
    assert any(line.startswith("db = a * dx") for line in lines)
    # The backward pass comes after the forward pass, in reverse order.
    assert lines.index(forward) < next(
        k for k, line in enumerate(lines) if line.startswith("da = ")
    )


@pytest.mark.parametrize("lang", LANGS)
def test_fan_out_is_two_add_lines(lang):
    code = check("b = a + a; c = b * a", {"a": 3.0}, lang)
    lines = code.splitlines()
    # Three contributions, two from b = a + a, one from c = b * a: the first assigns
    # (`let` declares it in JavaScript), the later two add.
    firsts = [line for line in lines if line.startswith(("da = ", "let da = "))]
    adds = [line for line in lines if line.startswith("da += ")]
    assert len(firsts) == 1 and len(adds) == 2
    assert "contribution 3 of 3 to da" in code


@pytest.mark.parametrize("lang", LANGS)
def test_first_contribution_assigns_and_an_unused_input_is_zero_with_a_reason(lang):
    # makemore's backward pass: `da = ...` then `da += ...`; no adjoint starts at 0 and
    # adds, so d(a*a)/da at a = -0.0 is -0.0 + -0.0 = -0.0, as eval and PyTorch have it
    # (0.0 + -0.0 + -0.0 would be 0.0), and the comments say what the code does.
    code = check("y = q*2; f = a*a + c", {"q": 1.0, "a": -0.0, "c": 2.0}, lang)
    lines = code.splitlines()
    zero = "let dq = 0;  //" if lang == "js" else "dq = 0.0  #"
    assert f"{zero} no contribution reaches dq: f does not use q" in lines
    let = "let " if lang == "js" else ""
    assert "starts at 0" not in code
    assert "A value's first contribution is assigned (=) and each" in code
    firsts = [ln for ln in lines if ln.startswith(f"{let}da = ")]
    adds = [ln for ln in lines if ln.startswith("da += ")]
    assert len(firsts) == 1 and len(adds) == 1 and lines.index(firsts[0]) < lines.index(adds[0])
    printed = run_program(code, lang)
    assert printed["df/da"] == 0 and math.copysign(1.0, printed["df/da"]) == -1.0


@pytest.mark.parametrize("lang", LANGS)
def test_awkward_names_still_make_a_valid_program(lang):
    # Keywords of either language, a value named like another's adjoint, Greek letters,
    # a rebound name, and a function's name used as a variable.
    program = (
        "lambda = 2; var = 3; da = lambda * var; a = da + 1; σ = sigmoid(a * in);"
        " σ += da; sin = σ * 2; sin"
    )
    check(program, {"in": 0.5}, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_program_text_in_comments_cannot_escape_them(lang):
    # JavaScript ends a // comment at U+2028; Python at \r. Neither may run this, and the
    # program still runs as a script.
    for sep in ("\u2028", "\r", "\u2029", "\x85"):
        program = f"f = a*b  # done{sep}console.log('pwned'); print('pwned')"
        code = check(program, {"a": 2.0, "b": 3.0}, lang)
        assert "pwned" not in run_program(code, lang)


def test_json_form(cli):
    res = cli("code", "a*b", "--a", "2", "--b", "3", "--lang", "js", "--json")
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["lang"] == "js" and "let da = b * df;" in doc["code"]


def test_bad_language_and_missing_values_are_usage_errors(cli):
    res = cli("code", "a*b", "--a", "2", "--b", "3", "--lang", "cobol")
    assert res.exit_code == 2 and "cobol" in res.stderr
    res = cli("code", "a*b", "--a", "2")
    assert res.exit_code == 2 and "no value for the input b" in res.stderr


def test_output_file(cli, tmp_path):
    target = tmp_path / "grad.py"
    res = cli("code", "a*b", "a=2", "b=3", "-o", str(target))
    assert res.exit_code == 0 and res.stdout == ""
    assert run_program(target.read_text(encoding="utf-8"), "python")["df/da"] == 3.0


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.rules], ids=lambda op: op.name)
def test_every_rule_text_translates(op):
    # Each rule parses with gradcli's own parser and uses only its operands and result.
    operands = [(f"x{k}", ATOM) for k in range(op.arity)]
    for template in op.rules:
        for target in TARGETS.values():
            text, _ = translate_rule(template, operands, ("y", ATOM), target)
            assert text


def test_deep_program_generates_without_recursion(cli):
    n = 10_000
    program = "x0 = a\n" + "\n".join(f"x{i} = sin(x{i - 1}) + a" for i in range(1, n + 1))
    res = cli("code", program, "--a", "0.5")
    assert res.exit_code == 0, res.stderr
    # a fans out to every step, and x0: the first of its n + 1 contributions assigns
    assert res.stdout.count("\nda = ") == 1 and res.stdout.count("\nda += ") == n
    # Running 10,000 steps proves little more than 300 do, and costs seconds.
    check(program[: program.index("\nx301 =")], {"a": 0.5}, "python")


def test_code_language_follows_the_output_file_extension(cli, tmp_path):
    js = tmp_path / "prog.js"
    assert cli("code", "a*b", "a=1", "b=2", "-o", str(js)).exit_code == 0
    assert js.read_text().startswith("//")
    py = tmp_path / "prog.py"
    assert cli("code", "a*b", "a=1", "b=2", "-o", str(py)).exit_code == 0
    assert py.read_text().startswith("#")
    r = cli("code", "a*b", "a=1", "b=2", "-o", str(js), "--lang", "python")
    assert r.exit_code == 2 and "make the extension and --lang agree" in r.stderr


def _same(got: float, want: float) -> bool:
    """Equal to rounding when finite; nan only for nan, inf only for the same-signed inf."""
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if math.isinf(want) or math.isinf(got):
        return got == want
    return got == pytest.approx(want, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("lang", LANGS)
def test_generated_code_gives_inf_and_nan_where_eval_does(lang):
    from gradcli.core.engine import evaluate
    from gradcli.emit.codegen import generate as emit
    from gradcli.language.lower import compile_program

    cases = [
        ("pow(y, max(x, y))", {"x": 1.0, "y": -1.0}),  # nan above max: the other branch gets 0
        ("(-1)^(relu(a) + 2)", {"a": -2.0}),
        ("(-1)^(min(a, b) + 2)", {"a": -2.0, "b": -5.0}),
        ("a/b", {"a": 1.0, "b": 1e-200}),  # -a/b² overflows: -inf
        ("a/b", {"a": -1e-300, "b": -5e-324}),
        ("sqrt(relu(x))", {"x": -1.0}),  # 1/(2*0) = inf, routed to 0 by relu
        ("sqrt(x)", {"x": 0.0}),
        ("sqrt(x) * y", {"x": 0.0, "y": -2.0}),
        ("x^0.5", {"x": 0.0}),
        ("x^-1", {"x": 1e-200}),
        ("x^y", {"x": -2.0, "y": 3.0}),
        ("x^y", {"x": 0.0, "y": 0.5}),
        ("x^y", {"x": 0.0, "y": 0.0}),
        ("atan(x)", {"x": 1e200}),
        ("asin(x) + acos(x)", {"x": 1.0}),
        ("sqrt(max(-x, x)) + sqrt(min(x, -x))", {"x": 0.0}),  # ±0 picks the sign of inf
        ("3^35 + 1 - 3^35 + x", {"x": 1.0}),  # literals alone: floats, not exact integers
        ("log(x)/log(2) - log2(x)", {"x": 5e-324}),
    ]
    evs = [evaluate(compile_program(src, values), values) for src, values in cases]
    results = run_programs([emit(ev, lang) for ev in evs], lang)
    for (src, values), ev, printed in zip(cases, evs, results):
        out = ev.tape.output_name
        assert _same(printed[out], ev.value), (src, values, printed)
        for name, g in ev.gradient.items():
            assert _same(printed[f"d{out}/d{name}"], g), (src, values, name, printed, g)


def test_rule_helpers_are_emitted_only_when_called(cli):
    plain = cli("code", "x = a*b; f = 2*x + c", "a=2", "b=3", "c=1").stdout
    assert not any(h in plain for h in ("def fdiv", "def fpow", "def routed", "def "))
    code = cli("code", "a/b + relu(a)^2", "a=2", "b=3").stdout
    assert "def fdiv" in code and "def fpow" in code and "def routed" in code
    assert "db = fdiv(-v1, b) * dv1" in code and "da += fdiv(1.0, b) * dv1" in code
    # x^2's rule is where(2, 2*x^(2-1), 0): a literal condition is the branch it picks.
    # (In Python an integer literal not beside a float is written as a float: 2.0 - 1.0.)
    assert "2 * fpow(x, 2.0 - 1.0)" in cli("code", "x^2", "x=3").stdout
    js = cli("code", "x^2", "x=3", "--lang", "js").stdout
    assert "let dx = 2 * x ** (2 - 1) * df;" in js


# --- exactly eval's numbers: names, Unicode, integers, the sign of zero ---------------


def _identical(got: float, want: float, lang: str) -> bool:
    """eval's number exactly: nan for nan, the same inf, the same zero (+0 or -0); a
    finite number bit for bit in Python, and to JavaScript's Math library's last digit."""
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if got == 0 or want == 0:
        return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
    if lang == "js" and math.isfinite(want):
        return got == pytest.approx(want, rel=1e-15, abs=0)
    return got == want


def _emitted(program: str, values: dict, lang: str):
    """(the evaluation, the code generated from it), the code checked to encode in UTF-8."""
    from gradcli.core.engine import evaluate
    from gradcli.emit.codegen import generate as emit
    from gradcli.language.lower import compile_program

    ev = evaluate(compile_program(program, values), values)
    code = emit(ev, lang)
    code.encode("utf-8")  # what `gradcli code` writes, to a file or standard output
    return ev, code


def _assert_identical(printed: dict, ev, lang: str, context) -> None:
    out = ev.tape.output_name
    assert _identical(printed[out], ev.value, lang), (context, printed, ev.value)
    for name, g in ev.gradient.items():
        assert _identical(printed[f"d{out}/d{name}"], g, lang), (context, name, printed, g)
    assert len(printed) == 1 + len(ev.gradient), (context, printed)


def check_identical(cases: list, lang: str) -> list:
    """Generate, run (many programs in one process) and compare exactly with eval."""
    emitted = [_emitted(program, values, lang) for program, values in cases]
    results = run_programs([code for _, code in emitted], lang)
    for case, (ev, _), printed in zip(cases, emitted, results):
        _assert_identical(printed, ev, lang, case)
    return [code for _, code in emitted]


def run_script(code: str, lang: str) -> dict:
    """Run one generated program as `gradcli code ... | python3` (or node) does: the
    program as UTF-8 bytes on standard input, its output read as UTF-8."""
    exe = [sys.executable, "-"] if lang == "python" else [NODE, "-"]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run(exe, input=code.encode("utf-8"), capture_output=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace") + "\n" + code
    return parse_printed(proc.stdout.decode("utf-8"))


def test_every_python_builtin_name_is_reserved():
    import builtins

    from gradcli.emit.codegen import RESERVED

    assert set(dir(builtins)) | {"__debug__", "__builtins__"} <= RESERVED


@pytest.mark.parametrize("lang", LANGS)
def test_names_of_builtins_and_of_what_the_helpers_call_are_renamed(lang):
    codes = check_identical(
        [
            ("f = x^int", {"x": 2.0, "int": 3.0}),  # fpow calls float() and int()
            ("f = x^float", {"x": -2.0, "float": 3.0}),
            ("f = x^ValueError", {"x": 0.0, "ValueError": 0.5}),  # fpow's except clause
            ("f = x^OverflowError", {"x": 1e-200, "OverflowError": -1.5}),  # x^(c-1) overflows
            ("f = x^ZeroDivisionError", {"x": 0.0, "ZeroDivisionError": 2.0}),
            ("__debug__ * 2", {"__debug__": 3.0}),  # Python cannot assign __debug__
            (
                "__builtins__ * abs(x) + len - isinstance",
                {"__builtins__": 2.0, "x": -1.0, "len": 1.0, "isinstance": 0.5},
            ),
            (
                "Math * console + sigmoid(globalThis)",
                {"Math": 2.0, "console": 3.0, "globalThis": 0.0},
            ),
        ],
        lang,
    )
    if lang == "python":
        assert "int_ = 3.0" in codes[0] and "__debug___ = 3.0" in codes[5]


@pytest.mark.parametrize("lang", LANGS)
def test_names_beyond_the_basic_multilingual_plane_print_as_they_are(lang):
    # 𝑥 (U+1D465) is x to Python's identifiers (NFKC) but its own name in the labels.
    ev, code = _emitted("x² = x*x; f = x² + 𝑥", {"x": 2.0, "𝑥": 3.0}, lang)
    printed = run_script(code, lang)
    assert set(printed) == {"f", "df/dx", "df/d𝑥"}
    _assert_identical(printed, ev, lang, "x² = x*x; f = x² + 𝑥")


@pytest.mark.parametrize("lang", LANGS)
def test_any_text_in_a_comment_still_writes_utf8(lang):
    # A command line that is not UTF-8 reaches Python as lone surrogates (\udcff).
    ev, code = _emitted("f = a * b  # caf\udce9", {"a": 2.0, "b": 3.0}, lang)
    _assert_identical(run_script(code, lang), ev, lang, "surrogate in a comment")


@pytest.mark.parametrize("lang", LANGS)
def test_python_never_computes_with_exact_integers(lang):
    # Python's max returns the literal 3 itself, and 3 ** 35 is an exact integer; eval
    # computes in floats, where m^35 + 1 - m^35 is 0.
    check_identical(
        [
            ("m = max(3, x); f = m^35 + 1 - m^35", {"x": 1.0}),
            ("m = min(3, x); f = m^35 + 1 - m^35", {"x": 5.0}),
            ("m = max(x, 3); f = 1/m - (m - 1)/m^2 - 1/m^2", {"x": 1.0}),
            ("f = max(7, x)^20 - max(7, x)^20 * (1 + 1e-16)", {"x": 1.0}),
            ("f = 3^35 + 1 - 3^35 + max(relu(3), x)^35 - abs(-3)^35", {"x": 1.0}),
        ],
        lang,
    )


def test_every_value_and_adjoint_of_generated_python_is_a_float():
    # The rule in codegen.py: an integer literal stays an integer only beside a float in
    # + - * / **; so no step and no adjoint can be an int, whatever the op.
    programs = [op_program(op) for op in OPS.values()] + [
        "m = max(3, x); f = m^35 + 1 - m^35",
        "relu(2) * x + min(x, 1) + abs(-2)",
        "f = 2",
        "y = x; f = max(2, 3) + y",
        "x^2 + 2^x + (-2)^2 + x*0 + 0/x",
    ]
    harness = r"""
import contextlib, io, json, sys
bad = []
for code in json.load(sys.stdin):
    scope = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<generated>", "exec"), scope)
    bad += [(k, repr(v)) for k, v in scope.items() if type(v) is int]
print(json.dumps(bad))
"""
    from gradcli.core.engine import evaluate
    from gradcli.emit.codegen import generate as emit
    from gradcli.language.lower import compile_program

    codes = []
    for program in programs:
        values = {"x": 0.7, "y": 1.3} if "y" in program and "y =" not in program else {"x": 0.7}
        tape = compile_program(program, values)
        codes.append(emit(evaluate(tape, values), "python"))
    proc = subprocess.run(
        [sys.executable, "-c", harness],
        input=json.dumps(codes),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


@pytest.mark.parametrize("lang", LANGS)
def test_a_negative_zero_literal_keeps_its_sign(lang):
    check_identical(
        [
            ("-0.0 * 3", {}),  # -0.0
            ("-0", {}),  # -0.0
            ("-0 + x", {"x": -0.0}),  # -0.0 + -0.0 is -0.0; 0 + -0.0 would be 0.0
            ("x * -0", {"x": -2.0}),  # +0.0
            ("x * -0.0 + 0 * x", {"x": 2.0}),
            ("(-log(pi) * max(-0, (x - z)))", {"x": 1.0, "z": 1.0}),  # max keeps -0: f = +0
            ("min(x, -0) * -1", {"x": 0.0}),
            ("-(0) + x", {"x": -0.0}),
        ],
        lang,
    )


def test_fpow_is_ieee_pow():
    # The generated helper is ops.ieee_pow, guard for guard (|c| < 2^53 in the odd test).
    from gradcli.core.ops import ieee_pow
    from gradcli.emit.codegen import _PY_HELPERS

    scope: dict = {}
    exec("import math\n" + "\n".join(_PY_HELPERS["fpow"]), scope)
    fpow = scope["fpow"]
    big_odd = 3**35  # an odd integer beyond 2^53: as a float it is even
    xs = [
        0.0,
        -0.0,
        2.0,
        -2.0,
        0.5,
        -0.5,
        1e-300,
        -1e-300,
        1e300,
        -1e300,
        5e-324,
        -5e-324,
        math.inf,
        -math.inf,
        math.nan,
    ]
    cs = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        3.0,
        -3.0,
        2.0,
        -2.0,
        0.5,
        -0.5,
        1001.0,
        -1001.0,
        2.0**53,
        -(2.0**53),
        2.0**53 + 2,
        1e300,
        -1e300,
        math.inf,
        -math.inf,
        math.nan,
        3,
        -3,
        big_odd,
        -big_odd,
        2**53 + 1,
        -(2**53 + 1),
    ]
    for x in xs:
        for c in cs:
            want, got = ieee_pow(x, c), fpow(x, c)
            assert _identical(got, want, "python"), (x, c, got, want)


@pytest.mark.parametrize("lang", ["python", "js"])
@pytest.mark.parametrize("program", ["c = 3; c = 4", "x = 1; c = 3; c = 4", "c = 3; c = -0.0"])
def test_an_output_rebound_to_a_literal_gets_a_line(lang, program):
    """The output is a literal: it still needs a line of its own (it was a KeyError)."""
    ev = json.loads(CLI("eval", program, "--json").stdout)
    r = CLI("code", program, "--lang", lang)
    assert r.exit_code == 0, r.output
    printed = run_program(r.stdout, lang)
    assert printed[f"{ev['output']}"] == ev["value"]
    assert math.copysign(1, printed[ev["output"]]) == math.copysign(1, ev["value"])
    assert all(printed[f"d{ev['output']}/d{k}"] == g for k, g in ev["gradient"].items())
