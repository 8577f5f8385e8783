"""`gradcli code`: the generated programs run, and print what `gradcli eval --json` prints.

Every op in the registry gets a program (so a new op is covered with no change here),
every acceptance case too, and the kinks where PyTorch's conventions pick the derivative.
The Python runs in a subprocess; the JavaScript under node when node is installed.
"""
import functools
import json
import math
import shutil
import subprocess
import sys

import pytest

from conftest import SHARED, Cli, acceptance_cases
from gradcli.emit.codegen import translate_rule, TARGETS, ATOM
from gradcli.core.ops import BINARY_SYMBOLS, FUNCTIONS, OPS

CASES = SHARED / "acceptance" / "cases.toml"
NODE = shutil.which("node")
LANGS = ["python", pytest.param("js", marks=pytest.mark.skipif(
    NODE is None, reason="node is not installed"))]


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
    console.log = (...args) => lines.push(args.map(String).join(" "));
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
    exe = ([sys.executable, "-c", _PY_HARNESS] if lang == "python"
           else [NODE, "-e", _JS_HARNESS])
    proc = subprocess.run(exe, input=json.dumps(codes), capture_output=True, text=True,
                          timeout=120)
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
    for (code, want), printed, case in zip(generated, results, cases):
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
    args = ", ".join(["x", "y"][:op.arity])
    return f"{name}({args}) * x"


POINTS = [{"x": 0.7, "y": 1.3}, {"x": -0.6, "y": 2.0}, {"x": 2.5, "y": -1.5}]


def op_cases(op) -> list:
    """The op's program at every sample point where it is defined."""
    program = op_program(op)
    cases = []
    for p in POINTS:
        values = {k: v for k, v in p.items() if k in program}
        if CLI("eval", "--json", program, *[f"{k}={v!r}" for k, v in values.items()]).exit_code == 0:
            cases.append((program, values))
    return cases


@functools.lru_cache(maxsize=None)
def every_op_run(lang: str) -> dict:
    """All ops' programs run in one process per language: op name -> error or None."""
    cases = {op.name: op_cases(op) for op in OPS.values()}
    flat = [(name, case) for name, cs in cases.items() for case in cs]
    generated = [generate(program, values, lang) for _, (program, values) in flat]
    results = run_programs([code for code, _ in generated], lang)
    outcome = {name: None if cases[name] else "no sample point where it is defined"
               for name in cases}
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
    check_all([
        ("relu(x) * y", {"x": 0.0, "y": 3.0}),  # relu'(0) = 0
        ("abs(x) * y", {"x": 0.0, "y": 3.0}),  # abs'(0) = 0
        ("max(x, y) * x", {"x": 2.0, "y": 2.0}),  # a tie splits 0.5/0.5
        ("min(x, y) * x", {"x": 2.0, "y": 2.0}),
        ("x ^ y", {"x": 0.0, "y": 2.0}),  # d/dy x^y = 0 at x = 0
        ("x ^ y", {"x": -2.0, "y": 3.0}),  # d/dy x^y is nan for x < 0
        ("sigmoid(x) + softplus(y)", {"x": -800.0, "y": 800.0}),  # no overflow
    ], lang)


@pytest.mark.parametrize("lang", LANGS)
def test_edge_shapes_of_programs(lang):
    check_all([
        ("a = 2; f = 3*b", {"b": 0.5}),  # an input the output does not use: gradient 0
        ("2*3", {}),  # no inputs at all
        ("a", {"a": 1.5}),  # the output is an input
        ("c = a; c += 1; c *= c", {"a": 1.5}),  # rebound names
        ("pi*x + e^x", {"x": 3.0}),  # named constants
        ("x^-1 + -x^2 + 2^-x - -x + -(-x) + (-2)^x", {"x": 3.0}),  # signs and powers
        ("x - (y - x) - (x + y) / (x * y) / (x / y)", {"x": 3.0, "y": 2.0}),  # grouping
    ], lang)


@pytest.mark.skipif(not CASES.exists(), reason="../shared/acceptance is not beside the repository")
@pytest.mark.parametrize("lang", LANGS)
def test_generated_code_matches_eval_on_every_acceptance_case(lang):
    check_all([(case["program"], {k: float(v) for k, v in case.get("inputs", {}).items()})
               for case in acceptance_cases()], lang)


def test_seed_example_reads_like_the_hackers_guide(cli):
    code = cli("code", "x = a*b; f = 2*x + c", "--a", "2", "--b", "3", "--c", "1").stdout
    lines = code.splitlines()
    forward = next(line for line in lines if line.startswith("x = a * b"))
    tag = forward.split("#")[1].strip()  # "(1)"
    assert any(line.startswith("da += b * dx") and f"from {tag} x = a * b" in line
               for line in lines)
    assert any(line.startswith("db += a * dx") for line in lines)
    # The backward pass comes after the forward pass, in reverse order.
    assert lines.index(forward) < next(k for k, l in enumerate(lines) if l.startswith("da +="))


@pytest.mark.parametrize("lang", LANGS)
def test_fan_out_is_two_add_lines(lang):
    code = check("b = a + a; c = b * a", {"a": 3.0}, lang)
    adds = [line for line in code.splitlines() if line.startswith("da += ")]
    assert len(adds) == 3  # two from b = a + a, one from c = b * a
    assert "term 3 of 3 into da" in code


@pytest.mark.parametrize("lang", LANGS)
def test_awkward_names_still_make_a_valid_program(lang):
    # Keywords of either language, a value named like another's adjoint, Greek letters,
    # a rebound name, and a function's name used as a variable.
    program = ("lambda = 2; var = 3; da = lambda * var; a = da + 1; σ = sigmoid(a * in);"
               " σ += da; sin = σ * 2; sin")
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
    assert doc["lang"] == "js" and "da += b * df;" in doc["code"]


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


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.rules],
                         ids=lambda op: op.name)
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
    assert res.stdout.count("da += ") == n + 1  # a fans out to every step, and x0
    # Running 10,000 steps proves little more than 300 do, and costs seconds.
    check(program[:program.index("\nx301 =")], {"a": 0.5}, "python")


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
        ("sqrt(x)", {"x": 0.0}), ("sqrt(x) * y", {"x": 0.0, "y": -2.0}),
        ("x^0.5", {"x": 0.0}), ("x^-1", {"x": 1e-200}), ("x^y", {"x": -2.0, "y": 3.0}),
        ("x^y", {"x": 0.0, "y": 0.5}), ("x^y", {"x": 0.0, "y": 0.0}),
        ("atan(x)", {"x": 1e200}), ("asin(x) + acos(x)", {"x": 1.0}),
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
    assert "db += fdiv(-v3, b) * dv3" in code and "da += fdiv(1, b) * dv3" in code
    # x^2's rule is where(2, 2*x^(2-1), 0): a literal condition is the branch it picks.
    assert "2 * fpow(x, 2 - 1)" in cli("code", "x^2", "x=3").stdout
    js = cli("code", "x^2", "x=3", "--lang", "js").stdout
    assert "dx += 2 * x ** (2 - 1) * df;" in js
