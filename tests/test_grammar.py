"""The language: what parses, how it groups, and that deep or long input never recurses."""

import math

import pytest
from lark import Lark

from gradcli.core.engine import evaluate
from gradcli.core.errors import GradcliError, SourceError
from gradcli.language.lower import compile_program
from gradcli.language.syntax import grammar_path, parse


def value(src, **given):
    tape = compile_program(src, given)
    return evaluate(tape, given).value


def test_grammar_has_no_conflicts():
    # strict=True makes any shift/reduce or lexer collision an error instead of a silent choice.
    Lark(grammar_path().read_text(), start="program", parser="lalr", strict=True)


def test_grammar_lives_beside_the_parser():
    assert grammar_path().parent.name == "language" and grammar_path().is_file()


@pytest.mark.parametrize(
    "src, expected",
    [
        ("2^3^2", 512.0),  # right-associative
        ("2**3**2", 512.0),
        ("-2^2", -4.0),  # unary minus looser than power
        ("2^-1", 0.5),
        ("-a^2", -9.0),
        ("2*3+4", 10.0),
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("8/4/2", 1.0),  # left-associative
        ("8-4-2", 2.0),
        ("--3", 3.0),
        ("+3", 3.0),
        ("a*-b", -6.0),
        (".5 + 1e-3 + 2.5 + 6.02E23", 0.5 + 1e-3 + 2.5 + 6.02e23),
        ("pi", math.pi),
        ("e", math.e),
        ("ln(e)", 1.0),
        ("log(e^2)", 2.0),
        ("pow(2, 10)", 1024.0),
        ("max(a, b) - min(a, b)", 1.0),
        ("3 # a comment", 3.0),
    ],
)
def test_precedence_and_literals(src, expected):
    assert value(src, a=3.0, b=2.0) == pytest.approx(expected)


def test_names_may_be_greek_and_have_digits_and_underscores():
    assert value("θ*α + w_0 + x1 + dLoss", θ=2, α=3, w_0=1, x1=1, dLoss=1) == 9.0


def test_statements_newlines_semicolons_comments_and_blank_lines():
    src = "# the neuron\n\n a = 2 ; b = 3\r\n\n x = a*b  # multiply\n\n"
    tape = compile_program(src)
    assert tape.output_name == "x"
    assert evaluate(tape).value == 6.0


def test_augmented_assignment_rebinds_to_a_new_node():
    tape = compile_program("c = 2; c += c + 1; c *= 3; c -= 1; c /= 2")
    ev = evaluate(tape)
    assert ev.value == 7.0
    assert ev.gradient == {"c": 3.0}
    labels = [tape.label(i) for i in range(len(tape)) if tape.steps[i].name == "c"]
    assert labels == ["c", "c'", "c''", "c'''", "c'5"]


def test_a_name_the_program_assigns_is_not_the_constant_e():
    tape = compile_program("c = a + b; d = b + 1; e = c * d")
    assert set(tape.inputs) == {"a", "b"}
    assert tape.output_name == "e"


def test_a_name_given_a_value_is_not_a_constant():
    tape = compile_program("pi * r", given={"pi", "r"})
    assert set(tape.inputs) == {"pi", "r"}


def test_literal_assignment_declares_an_input_with_a_default():
    tape = compile_program("a = 2.0; b = -3; f = a*b")
    assert {n: tape.steps[i].const for n, i in tape.inputs.items()} == {"a": 2.0, "b": -3.0}
    assert evaluate(tape, {"a": 5}).value == -15.0


def test_bare_final_expression_is_named_f_unless_f_is_taken():
    assert compile_program("a*b").output_name == "f"
    assert compile_program("f = 2; f*b").output_name == "out"


@pytest.mark.parametrize("src", ["", "\n\n", "# only a comment", ";;"])
def test_empty_program_is_an_error(src):
    with pytest.raises(GradcliError, match="empty"):
        compile_program(src)


@pytest.mark.parametrize(
    "src, column, words",
    [
        ("a*(b+", 6, 'expected a number, a name or "(" after "+"'),
        ("a +* b", 4, 'unexpected "*"'),
        ("2**", 4, "end of input"),
        ("sin(", 5, "end of input"),
        ("f(x", 4, '")"'),
        (")", 1, 'unexpected ")"'),
        ("a $ b", 3, 'unexpected "$"'),
        ("a b", 3, 'unexpected "b"'),
    ],
)
def test_syntax_errors_point_at_the_column(src, column, words):
    with pytest.raises(SourceError) as info:
        parse(src)
    err = info.value
    assert err.column == column
    assert words in err.message
    caret_line = err.detail.splitlines()[1]
    assert caret_line.index("^") - 2 == column - 1


def test_unknown_function_names_it_and_suggests():
    with pytest.raises(SourceError) as info:
        parse("1 + sigmod(x)")
    assert "unknown function 'sigmod'" in info.value.message
    assert "'sigmoid'" in info.value.detail
    assert info.value.column == 5


def test_wrong_number_of_arguments():
    with pytest.raises(
        SourceError,
        match=r"max takes 1 argument \(over an axis: max\(x, "
        r"axis=0\)\) or 2 \(elementwise: max\(a, b\)\), not 3",
    ):
        parse("max(1, 2, 3)")
    with pytest.raises(SourceError, match="atan has no keyword 'axis'; it takes no keywords"):
        parse("atan(1, axis=0)")
    with pytest.raises(SourceError, match="sin takes 1 argument, not 2"):
        parse("sin(1, 2)")


def test_huge_number_literal_is_an_error_not_inf():
    with pytest.raises(SourceError, match="too large"):
        parse("1e999 * x")


# --- scale: iterative all the way down ---------------------------------------------
def test_ten_thousand_nested_parentheses():
    depth = 10_000
    assert value("(" * depth + "a+1" + ")" * depth, a=1) == 2.0


def test_deep_nesting_of_unary_minus_and_functions():
    assert value("-" * 100_001 + "a", a=2) == -2.0
    tape = compile_program("sin(" * 5000 + "a" + ")" * 5000)
    ev = evaluate(tape, {"a": 0.1})
    assert math.isfinite(ev.gradient["a"])


def test_hundred_thousand_term_sum():
    n = 100_000
    src = " + ".join(f"x{i % 100}" for i in range(n))
    tape = compile_program(src)
    ev = evaluate(tape, {f"x{i}": 1.0 for i in range(100)}, record=False)
    assert ev.value == n
    assert ev.gradient["x7"] == n / 100


def test_power_chain_is_right_associative_at_depth():
    tape = compile_program("^".join(["1"] * 20_000))
    assert evaluate(tape).value == 1.0


def test_expected_words_fit_the_bracket_context():
    with pytest.raises(SourceError) as info:
        parse("2 = a")
    assert '")"' not in info.value.message and '","' not in info.value.message
    with pytest.raises(SourceError) as info:
        parse("max(a b)")
    assert '")"' in info.value.message and "end of the statement" not in info.value.message
