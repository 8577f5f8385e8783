"""Code pasted from the tutorials, as the learner copies it, and functions the program
defines (`sig(t) = 1 / (1 + exp(-t))`). Through the real command line where it matters:
`gradcli eval -f FILE.py`, `-f FILE.js`, `--from`, a program on standard input."""

import json
import math
import re

import pytest
from conftest import examples, run_gradcli
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.core.engine import evaluate
from gradcli.core.errors import ForeignCode, GradcliError, SourceError, UsageError
from gradcli.language.lower import compile_program

# karpathy/micrograd's README, "Example usage", as it is.
MICROGRAD_README = """\
from micrograd.engine import Value

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f'{g.data:.4f}') # prints 24.7041, the outcome of this forward pass
g.backward()
print(f'{a.grad:.4f}') # prints 138.8338, i.e. the numerical value of dg/da
print(f'{b.grad:.4f}') # prints 645.5773, i.e. the numerical value of dg/db
"""

# The Hacker's guide's neuron, "Becoming a Backprop Ninja", with sig defined as the guide
# defines it in its sigmoid gate.
NEURON_JS = """\
var sig = function(x) { return 1 / (1 + Math.exp(-x)); };
var a = 1, b = 2, c = -3, x = -1, y = 3;

// forward pass
var q = a*x + b*y + c;
var f = sig(q); // sig is the sigmoid function
"""
NEURON_JS_MATH_EXP = """\
/* the same neuron, the sigmoid written out */
var a = 1, b = 2, c = -3, x = -1, y = 3;
var q = a*x + b*y + c;
var f = 1 / (1 + Math.exp(-q));
"""

# CS231n, "Backpropagation, Intuitions": the 2-D neuron with a sigmoid.
CS231N_NEURON = """\
import math
w = [2,-3,-3] # assume some random weights and data
x = [-1, -2]

# forward pass
dot = w[0]*x[0] + w[1]*x[1] + w[2]
f = 1.0 / (1 + math.exp(-dot)) # sigmoid function
"""
# ... and its staged f(x, y) = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2).
CS231N_STAGED = """\
import math

def sigmoid(x):
    return 1.0 / (1 + math.exp(-x))

x = 3 # example values
y = -4

# forward pass
sigy = 1.0 / (1 + math.exp(-y)) # sigmoid in numerator   #(1)
num = x + sigy # numerator                               #(2)
sigx = sigmoid(x) # sigmoid in denominator #(3)
xpy = x + y                                              #(4)
xpysqr = xpy**2                                          #(5)
den = sigx + xpysqr # denominator                        #(6)
invden = 1.0 / den                                       #(7)
f = num * invden # done!                                 #(8)
"""


def run(source, dialect="auto", **given):
    tape = compile_program(source, given, dialect=dialect)
    return tape, evaluate(tape, given)


def json_of(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# --- micrograd --------------------------------------------------------------------------------
def test_the_micrograd_readme_example_pasted_verbatim_gives_its_numbers(cli, tmp_path):
    path = tmp_path / "example.py"
    path.write_text(MICROGRAD_README)
    doc = json_of(cli("eval", "-f", str(path), "--json"))
    assert doc["output"] == "g"
    assert f"{doc['value']:.4f}" == "24.7041"
    assert f"{doc['gradient']['a']:.4f}" == "138.8338"
    assert f"{doc['gradient']['b']:.4f}" == "645.5773"
    assert set(doc["gradient"]) == {"a", "b"}


def test_the_micrograd_example_reads_the_same_every_way_it_is_given(cli, tmp_path):
    """As a .py file, as text with --from python, on standard input and as one argument
    (both read by auto), in a separate process as a user runs it."""
    txt = tmp_path / "example.txt"
    txt.write_text(MICROGRAD_README)
    expected = json_of(cli("eval", "--from", "python", "-f", str(txt), "--json"))
    assert f"{expected['value']:.4f}" == "24.7041"
    assert json_of(cli("eval", "-f", str(txt), "--json")) == expected
    assert json_of(cli("eval", "-", "--json", input=MICROGRAD_README)) == expected
    assert json_of(cli("eval", MICROGRAD_README, "--json")) == expected
    proc = run_gradcli("eval", "-f", str(txt), "--grad-only")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "g = 24.70408163265306"
    assert proc.stderr == ""


def test_the_micrograd_example_equals_gradcli_s_own_program_bit_for_bit():
    own = """a = -4.0; b = 2.0; c = a + b; d = a * b + b^3; c += c + 1; c += 1 + c + (-a)
d += d * 2 + relu(b + a); d += 3 * d + relu(b - a); e = c - d; f = e^2; g = f / 2.0
g += 10.0 / f"""
    _, pasted = run(MICROGRAD_README, "python")
    _, written = run(own)
    assert pasted.value == written.value and pasted.gradient == written.gradient


def test_values_given_on_the_command_line_replace_value_defaults(cli, tmp_path):
    path = tmp_path / "example.py"
    path.write_text(MICROGRAD_README)
    doc = json_of(cli("eval", "-f", str(path), "--a", "-4", "--json"))
    assert f"{doc['value']:.4f}" == "24.7041"
    assert doc["inputs"]["a"] == -4.0


def test_backward_makes_its_value_the_output_whatever_follows():
    src = (
        "from micrograd.engine import Value\nx = Value(3.0)\ny = x * x\ny.backward()\n"
        "z = y * 10\nprint(x.grad)\nx.grad\ny.data\n"
    )
    tape, ev = run(src, "python")
    assert tape.output_name == "y" and ev.value == 9.0 and ev.gradient == {"x": 6.0}
    # A value rebound after backward() does not move the output.
    tape, ev = run("a = Value(2.0)\nb = a * 3\nb.backward()\nb = b * 100\n", "python")
    assert ev.value == 6.0 and ev.gradient == {"a": 3.0}
    # --output still chooses.
    tape = compile_program(src, (), "z", dialect="python")
    assert evaluate(tape, {}).value == 90.0


def test_the_micrograd_lecture_s_neuron_with_labels_and_a_manual_seed():
    src = """import math
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
e = (2*n).exp()
o = (e - 1) / (e + 1)
o.label = 'o'
o.grad = 1.0
o.backward()
"""
    _, ev = run(src, "python")
    assert ev.value == pytest.approx(0.7071067811865476, rel=1e-12)
    assert ev.gradient["x1"] == pytest.approx(-1.5, rel=1e-9)
    assert ev.gradient["w1"] == pytest.approx(1.0, rel=1e-9)
    assert ev.gradient["x2"] == pytest.approx(0.5, rel=1e-9)
    assert ev.gradient["w2"] == 0.0


def test_method_calls_and_module_functions_are_gradcli_s_functions():
    src = (
        "import numpy as np\nx = Value(0.5)\ny = x.tanh() + x.exp() + (x + 1).log() + "
        "x.relu() + x.sigmoid() + np.tanh(x) + math.sqrt(x) + x**2 + np.maximum(x, 0.2)"
    )
    _, pasted = run(src, "python")
    _, own = run(
        "x = 0.5\ny = tanh(x) + exp(x) + log(x + 1) + relu(x) + sigmoid(x) + "
        "tanh(x) + sqrt(x) + x^2 + max(x, 0.2)"
    )
    assert pasted.value == own.value and pasted.gradient == own.gradient


# --- the Hacker's guide ------------------------------------------------------------------------
def _same(a, b):
    assert a.value == b.value and a.gradient == b.gradient


def test_the_hackers_guide_neuron_in_javascript(cli, tmp_path):
    path = tmp_path / "neuron.js"
    path.write_text(NEURON_JS)
    doc = json_of(cli("eval", "-f", str(path), "--json"))
    assert doc["value"] == pytest.approx(0.8807970779778823, rel=1e-15)
    # The guide's gradient: dq = f(1 - f), da = x dq, dx = a dq, ...
    f = doc["value"]
    dq = f * (1 - f)
    for name, factor in {"a": -1, "b": 3, "c": 1, "x": 1, "y": 2}.items():
        assert doc["gradient"][name] == pytest.approx(factor * dq, rel=1e-12), name


def test_every_way_of_writing_the_neuron_gives_the_same_numbers_exactly():
    forms = [
        NEURON_JS,
        NEURON_JS_MATH_EXP,
        "function sig(x) {\n  return 1 / (1 + Math.exp(-x));\n}\n" + NEURON_JS.split("\n", 1)[1],
        "const sig = (x) => 1 / (1 + Math.exp(-x));\n" + NEURON_JS.split("\n", 1)[1],
        "let sig = x => { var e = Math.exp(-x); return 1 / (1 + e); }\n"
        + NEURON_JS.split("\n", 1)[1],
        # gradcli's own definition among the pasted lines
        "sig(t) = 1 / (1 + exp(-t))\n" + NEURON_JS.split("\n", 1)[1],
        # and gradcli's language throughout
        "sig(t) = 1 / (1 + exp(-t))\na = 1; b = 2; c = -3; x = -1; y = 3\n"
        "q = a*x + b*y + c\nf = sig(q)",
    ]
    results = [run(src)[1] for src in forms]
    for ev in results[1:]:
        _same(results[0], ev)


def test_javascript_statements_end_where_javascript_ends_them():
    src = (
        "var a = 2\nvar b = a *\n  3      // the line goes on after an operator\n"
        "var c = (a\n  + b)\nvar d = c\n  - 1   // and before one\nd"
    )
    _, ev = run(src, "js")
    assert ev.value == 2 + 6 - 1
    _, ev = run("var x = 1; /* a\nlong\ncomment */ var y = x * 3;", "js")
    assert ev.value == 3.0


def test_javascript_constants_and_console_log():
    _, ev = run("var r = 2;\nvar area = Math.PI * Math.pow(r, 2);\nconsole.log(area);", "js")
    assert ev.value == math.pi * 4
    _, ev = run("var e = 3; var f = e * Math.E", "js")  # e declared: a variable
    assert ev.value == 3 * math.e


# --- CS231n ------------------------------------------------------------------------------------
def test_cs231n_sigmoid_neuron_in_python(cli, tmp_path):
    path = tmp_path / "neuron.py"
    path.write_text(CS231N_NEURON)
    doc = json_of(cli("eval", "-f", str(path), "--json"))
    w, x = [2, -3, -3], [-1, -2]
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    f = 1.0 / (1 + math.exp(-dot))
    ddot = (1 - f) * f  # the notes' backward pass
    assert doc["value"] == pytest.approx(f, rel=1e-15)
    assert doc["gradient"]["x"] == pytest.approx([w[0] * ddot, w[1] * ddot], rel=1e-12)
    assert doc["gradient"]["w"] == pytest.approx([x[0] * ddot, x[1] * ddot, ddot], rel=1e-12)


def test_cs231n_staged_example_with_its_own_sigmoid():
    tape, ev = run(CS231N_STAGED)
    x, y = 3.0, -4.0

    def sig(v):
        return 1.0 / (1 + math.exp(-v))

    assert ev.value == pytest.approx((x + sig(y)) / (sig(x) + (x + y) ** 2), rel=1e-15)
    # The pasted def sigmoid replaces gradcli's sigmoid: its steps are the pasted formula.
    assert {tape.steps[i].call for i in range(len(tape)) if tape.steps[i].call} == {"sigmoid(x)"}


# --- what is not supported says what to write ----------------------------------------------
ERRORS = [
    # gradcli's own language, given tutorial code
    ("gradcli", "y = (b + a).relu()", "write relu(b + a)", 12),
    ("gradcli", "y = x.tanh()", "write tanh(x)", 6),
    ("gradcli", "y = Math.exp(x)", "write exp(...)", 5),
    ("gradcli", "y = math.exp(x)", "write exp(...)", 5),
    ("gradcli", "var x = a * b;", "without 'var'", 1),
    ("gradcli", "x = a * b // the product", "comments start with #", 11),
    ("gradcli", "x = a * b\ng.backward()", "leave this line out", 2),
    ("gradcli", "a = Value(-4.0)", "write -4.0", 5),
    ("gradcli", "print(x)", "leave this line out", 1),
    ("gradcli", "from micrograd.engine import Value\nx = 2", "needs no imports", 1),
    # pasted Python
    ("python", "for i in range(3):\n    x = x * 2", "write each step out", 1),
    ("python", "y = x if x > 0 else 0", "write relu(x)", 5),
    ("python", "if x > 0:\n    y = x", "write relu(x)", 1),
    ("python", "class Value:\n    pass", "paste the code that uses the values", 1),
    ("python", "x = Value(2.0)\ny = x.data * 3", "write x to compute with the value", 5),
    ("python", "x = Value(2.0)\nx.data += -0.01 * x.grad", "paste the code up to .backward()", 1),
    ("python", "y = a ^ 2", "a power is written a ** b", 5),
    ("python", "y = a // 2", "write /", 5),
    ("python", "f = lambda t: t * 2", "def f(x): return", 5),
    ("python", "y = [v * 2 for v in xs]", "write each step out", 5),
    ("python", "y = x.foo()", "not a method gradcli knows", 5),
    ("python", "y = math.floor(x)", "not a function gradcli has", 5),
    ("python", "y = 'two'", "not text", 5),
    ("python", "def f(x):\n    return f(x - 1)\ny = f(2)", "cannot be recursive", 12),
    ("python", "y = f(2)\ndef f(x):\n    return x", "define a function before", 5),
    ("python", "x = (", "not valid Python", None),
    # pasted JavaScript
    ("js", "var y = a > 0 ? a : 0;", "write relu(a)", 11),
    ("js", "var da = a === x ? 1.0 * dx : 0.0;", "gradcli computes itself", 12),
    ("js", "if (a > 0) { y = a; }", "write relu(a)", 1),
    ("js", "for (var i = 0; i < 3; i++) { x = x * 2; }", "write each step of the loop out", 1),
    ("js", "var u = new Unit(1.0, 0.0);", "instead of Unit objects", 9),
    ("js", "var y = a.value * 2;", "write var a = 1.0; and use a", 9),
    ("js", "var y = a ^ 2;", "a ** b or Math.pow(a, b)", 11),
    ("js", "var y = 'two';", "not text", 9),
    ("js", "x++;", "write x += 1", 2),
    ("js", "var y = Math.floor(x);", "not a function gradcli has", 9),
    ("js", "var y = 1; /* open", "never closed", 12),
]


@pytest.mark.parametrize(
    "dialect, code, says, column",
    ERRORS,
    ids=[f"{d}:{c.splitlines()[0][:30]}" for d, c, _, _ in ERRORS],
)
def test_unsupported_code_says_what_to_write_instead(cli, dialect, code, says, column):
    result = cli("eval", "--from", dialect, code, "--a", "1", "--b", "2", "--x", "3")
    assert result.exit_code == 2, result.stdout
    err = result.stderr
    assert err.startswith("error: ") and says in err, err
    assert "unexpected token" not in err
    assert "\n  " in err and re.search(r"^ +\^$", err, re.M), err  # a caret under the code
    if column is not None:
        assert f"column {column})" in err, err


def test_gradcli_s_language_points_to_the_reading_that_takes_the_code(cli):
    err = cli("eval", "--from", "gradcli", "y = (b + a).relu()", "--a", "1", "--b", "2").stderr
    assert "--from python" in err
    err = cli("eval", "--from", "gradcli", "var y = a;", "--a", "1").stderr
    assert "--from js" in err


def test_auto_keeps_gradcli_s_meaning_for_gradcli_programs():
    # `^` is a power in gradcli (XOR in Python), `#` a comment in both.
    _, ev = run("x = 2 ^ 3  # a power")
    assert ev.value == 8.0
    _, ev = run("e = (a+b)*(b+1)", a=1.0, b=2.0)
    assert ev.value == 9.0


def test_auto_keeps_gradcli_s_error_for_text_that_looks_like_neither():
    with pytest.raises(SourceError) as exc:
        compile_program("x = a * ", dialect="auto")
    assert "unexpected end of input" in exc.value.message


def test_an_unknown_language_is_a_usage_error(cli):
    result = cli("eval", "--from", "ruby", "a*b", "--a", "1", "--b", "2")
    assert result.exit_code == 2 and "choose auto, gradcli, python or js" in result.stderr


# --- nothing pasted is ever run ----------------------------------------------------------------
@pytest.mark.parametrize(
    "dialect, code",
    [
        ("python", "import os; os.system('touch {marker}')"),
        ("python", "import os\nx = Value(2.0)\ny = x * 2\nos.system('touch {marker}')"),
        ("python", "__import__('os').system('touch {marker}')"),
        ("python", "x = Value(2.0)\ny = x * eval(\"__import__('os').system('touch {marker}')\")"),
        ("js", "require('child_process').execSync('touch {marker}');"),
        ("auto", "import os; os.system('touch {marker}')"),
    ],
)
def test_pasted_code_is_never_executed(tmp_path, dialect, code):
    marker = tmp_path / "marker"
    path = tmp_path / "paste.txt"
    path.write_text(code.format(marker=marker))
    proc = run_gradcli("eval", "--from", dialect, "-f", str(path), "--grad-only")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ")
    assert not marker.exists()


# --- functions the program defines -------------------------------------------------------------
def test_a_call_equals_the_program_written_out_exactly():
    tape, ev = run("sig(t) = 1 / (1 + exp(-t))\nf = sig(a*x + b)", a=0.7, x=-1.3, b=0.2)
    _, own = run("f = 1 / (1 + exp(-(a*x + b)))", a=0.7, x=-1.3, b=0.2)
    _same(ev, own)
    ops = [s.op.name for s in tape.steps if s.call]
    assert ops == ["neg", "exp", "add", "div"]


def test_the_forward_table_shows_which_call_each_step_came_from(cli):
    out = cli(
        "eval", "sig(t) = 1 / (1 + exp(-t)); f = sig(a*x + b)", "--a", "1", "--x", "3", "--b", "2"
    ).stdout
    assert "from call" in out
    rows = [line for line in out.splitlines() if "sig(a*x + b)" in line]
    assert len(rows) == 4  # -t, exp, 1 + ..., 1 / ...
    assert any("f = 1 / " in row for row in rows)
    assert not any("v3 = a * x" in row and "sig(" in row for row in out.splitlines())


def test_functions_call_earlier_functions_and_the_label_shows_both_calls():
    src = "sq(u) = u * u\nnorm(p, q) = sqrt(sq(p) + sq(q))\nf = norm(a, b + 1)"
    tape, ev = run(src, a=3.0, b=3.0)
    _, own = run("f = sqrt(a * a + (b + 1) * (b + 1))", a=3.0, b=3.0)
    _same(ev, own)
    calls = [s.call for s in tape.steps if s.call]
    assert "sq(p) in norm(a, b + 1)" in calls and "norm(a, b + 1)" in calls


def test_parameters_shadow_program_names_and_other_names_are_the_program_s():
    src = "t = 100\nw = 2\nlin(t) = w * t\nf = lin(a) + t"
    _, ev = run(src, a=5.0)
    assert ev.value == 2 * 5 + 100
    # A name the body uses means what it means where the function is called.
    _, ev = run("w = 2\nlin(x) = w * x\nw = 10\nf = lin(a)", a=1.0)
    assert ev.value == 10.0


@pytest.mark.parametrize(
    "src, says",
    [
        ("f(x) = f(x - 1)\ny = f(2)", "f calls itself: a function cannot be recursive"),
        ("y = g(2)\ng(x) = x", "g is defined after this use (on line 2)"),
        ("y = undefined_fn(2)", "unknown function 'undefined_fn'"),
        ("sig(t) = t\ny = sig(1, 2)", "sig takes 1 argument (t), not 2"),
        ("h(p, q) = p * q\ny = h(1)", "h takes 2 arguments (p, q), not 1"),
        ("sig(t) = t\nsig(u) = u\ny = sig(1)", "sig is already defined (line 1)"),
        ("exp(t) = t\ny = exp(1)", "'exp' is one of gradcli's functions"),
        ("k(2) = 3", "a function's parameters are names"),
        ("k(t, t) = t", "the parameter t is named twice"),
        ("k(t) = t", "the program only defines functions (k)"),
    ],
)
def test_user_function_errors(cli, src, says):
    result = cli("eval", src)
    assert result.exit_code == 2
    assert says in result.stderr, result.stderr


def test_inlining_never_recurses():
    # Each function calls the one before: the last one writes out 600 calls deep.
    lines = ["f0(x) = x + 1"] + [f"f{k}(x) = f{k - 1}(x) * 1" for k in range(1, 600)]
    tape, ev = run("\n".join(lines) + "\ny = f599(a)", a=1.0)
    assert ev.value == 2.0 and ev.gradient == {"a": 1.0}
    # Calls nested in calls, 2,000 deep.
    tape, ev = run("inc(x) = x + 1\ny = " + "inc(" * 2000 + "a" + ")" * 2000, a=0.0)
    assert ev.value == 2000.0


def test_a_long_program_of_calls_stays_linear():
    n = 100_000
    src = "sig(t) = 1 / (1 + exp(-t))\nx0 = 0.5\n" + "\n".join(
        f"x{k} = sig(x{k - 1})" for k in range(1, n + 1)
    )
    tape = compile_program(src)
    assert sum(1 for s in tape.steps if s.call) == 4 * n
    ev = evaluate(tape, {}, record=False)
    assert 0.6 < ev.value < 0.7


def test_pasted_definitions_of_a_builtin_replace_it_only_in_pasted_code():
    tape, _ = run("def relu(x):\n    return max(x, 0.0)\ny = relu(a)", "python", a=2.0)
    assert any(s.call == "relu(a)" for s in tape.steps)
    with pytest.raises(SourceError):
        compile_program("relu(x) = max(x, 0)\ny = relu(a)", ("a",))


def test_a_python_function_with_local_names():
    src = (
        "def neuron(x, w, b):\n    '''one neuron'''\n    z = w * x + b\n    return "
        "math.tanh(z) + z\ny = neuron(a, 2.0, -1.0)"
    )
    _, ev = run(src, "python", a=0.3)
    _, own = run("z = 2.0 * a + -1.0\ny = tanh(z) + z", a=0.3)
    _same(ev, own)


def test_explain_graph_and_code_read_pasted_code_too(cli, tmp_path):
    path = tmp_path / "neuron.js"
    path.write_text(NEURON_JS)
    for command in (["graph"], ["code"], ["explain", "--no-pause"]):
        result = cli(*command, "-f", str(path))
        assert result.exit_code == 0, (command, result.stderr)
    result = cli("eval", "-f", str(path), "--check")
    assert result.exit_code == 0, result.stderr


def test_usage_errors_name_what_is_missing():
    with pytest.raises(UsageError):
        compile_program("import math\nprint(1)", dialect="python")


def test_foreign_code_errors_carry_the_construct():
    with pytest.raises(ForeignCode) as exc:
        compile_program("for i in range(2):\n    pass", dialect="python")
    assert exc.value.construct == "loop"


# --- any text: a result or gradcli's own error ---------------------------------------------

PIECES = [
    "var ",
    "let ",
    "a",
    "b",
    "x",
    " = ",
    "1",
    "2.5",
    ";",
    "\n",
    "  ",
    "(",
    ")",
    "[",
    "]",
    ",",
    "+",
    "-",
    "*",
    "/",
    "**",
    "^",
    "//",
    "/*",
    "*/",
    "#",
    "Math.exp(",
    "math.exp(",
    "np.",
    ".relu()",
    ".backward()",
    ".data",
    ".grad",
    "Value(",
    "print(",
    "f'{a:.2f}'",
    "'s'",
    "def f(t):\n    return ",
    "function g(t) { return ",
    "}",
    "{",
    "=>",
    "?",
    ":",
    "==",
    "import os",
    "sig(t) = ",
    "sig(",
    "return ",
    "if ",
    "for ",
    "++",
    "%",
    "\\d",
    "θ",
    "$",
    "`",
    "\x00",
]


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=20).map("".join),
    st.sampled_from(["auto", "python", "js"]),
)
def test_any_pasted_text_gives_a_result_or_gradcli_s_own_error(text, dialect):
    try:
        tape = compile_program(text, dialect=dialect)
    except GradcliError:
        return
    given_values = {name: 0.5 for name in tape.inputs}
    try:
        evaluate(tape, given_values)
    except GradcliError:
        pass
