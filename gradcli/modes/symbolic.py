"""Symbolic partials: the tape converted to SymPy, then differentiated by SymPy.

Each step becomes a SymPy expression of its operands' expressions, one step at a time in
evaluation order (no recursion over the program; SymPy shares the repeated subtrees).
The op is mapped by name to the SymPy function that computes the same value (FORWARD
below: forward functions only, no derivative rules). ∂f/∂x is then `sympy.diff` of the
output's expression, simplified. SymPy differentiates independently of the registry's
rules, so the tests that compare its formulas with the engine check those rules too.

SymPy is optional (`pip install 'gradcli[symbolic]'`) and slow on big expressions. SymPy
walks an expression as a tree, so a value used twice is walked twice and 40 steps of
`x = sin(x)*x + a` make a formula of 10^12 operations. Hence two limits, both checked on
the tape before SymPy sees it: at most MAX_STEPS steps, and at most MAX_TREE operations
in the output's formula written out in full. A derivative with more than SIMPLIFY_LIMIT
operations is shown without simplifying it (simplify() takes seconds from about 80).

Small formulas can still take SymPy minutes (nested sigmoids: 11 s at depth 12, 69 s at 15,
over 24 minutes at 25) or recurse past Python's limit (depth 50). So `formulas()`, what the
commands use, runs SymPy in a forked child process that is killed when its time budget
(BUDGET_SECONDS, or GRADCLI_SYMBOLIC_SECONDS) runs out, and hands back plain text and
numbers. Nothing here prints.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Optional

from ..core.errors import MissingDependency, SymbolicTimeout, TooLarge
from ..core.tape import Tape

MAX_STEPS = 200
MAX_TREE = 600
SIMPLIFY_LIMIT = 50
BUDGET_SECONDS = 60
# A decimal literal longer than this, or with a larger exponent, is taken at its float value
# (what the engine computes with): Rational("1e-999999") alone takes SymPy 10 s.
EXACT_LITERAL_DIGITS = 40
INSTALL_HINT = "pip install 'gradcli[symbolic]'"


def _sympy():
    try:
        import sympy
    except ImportError:
        raise MissingDependency(
            "symbolic partials need SymPy, which is not installed",
            f"install it with: {INSTALL_HINT}",
            dependency="SymPy",
            feature="symbolic",
            install=INSTALL_HINT,
        ) from None
    return sympy


def _forward_table(sp) -> dict:
    """Op name -> the SymPy function with the same value (the registry's `forward`)."""
    return {
        "copy": lambda a: a,
        "neg": lambda a: -a,
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": _power_function(sp),
        "exp": sp.exp,
        "log": sp.log,
        "log2": lambda a: sp.log(a, 2),
        "log10": lambda a: sp.log(a, 10),
        "sqrt": sp.sqrt,
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "asin": sp.asin,
        "acos": sp.acos,
        "atan": sp.atan,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "tanh": sp.tanh,
        "sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
        "relu": _relu_function(sp),
        "softplus": lambda a: sp.log(1 + sp.exp(a)),
        "abs": sp.Abs,
        "max": sp.Max,
        "min": sp.Min,
    }


def _power_function(sp):
    """a^b, except that a base SymPy reduces to 0 (`0^x`, `(x - x)^x`) with an exponent
    that varies is written as what it is where it is defined: 1 at b = 0, else 0 (b < 0 is
    outside the domain). SymPy keeps 0**b for b of unknown sign and differentiates it to
    0**b·log(0), nan everywhere; the registry (PyTorch) takes d/dc x^c = 0 at x = 0, and
    0 is also the derivative of the function, constant 0 for b > 0."""

    def power(a, b):
        if a.is_zero and not b.is_number:
            return sp.Piecewise((1, sp.Eq(b, 0)), (0, True))
        return a**b

    return power


_RELU = None


def _relu_function(sp):
    """relu as a SymPy function whose derivative is Heaviside(x, 0): relu'(0) = 0, the
    registry's (and PyTorch's) convention. Max(x, 0) would differentiate to Heaviside(x),
    which SymPy takes as 1/2 at 0."""
    global _RELU
    if _RELU is None:
        from sympy import Function  # imported already, by the caller

        class relu(Function):
            @classmethod
            def eval(cls, x):
                if x.is_number:
                    return sp.Max(x, 0)

            def fdiff(self, argindex=1):
                return sp.Heaviside(self.args[0], 0)

        _RELU = relu
    return _RELU


def covered_ops() -> set:
    return set(_forward_table(_sympy()))


@dataclass
class Partial:
    name: str
    expression: object  # a SymPy expression in the inputs
    simplified: bool


def _constant(sp, text: Optional[str], value: float):
    """A literal, exactly: 0.1 as 1/10, pi and e as themselves."""
    if text == "pi":
        return sp.pi
    if text == "e":
        return sp.E
    exact = text if text and _modest(text) else repr(value)
    try:
        return sp.Rational(exact)
    except (TypeError, ValueError):
        return sp.Float(value)


def _modest(text: str) -> bool:
    """A literal SymPy can take exactly at once: short, with an exponent a float can have."""
    if len(text) > EXACT_LITERAL_DIGITS:
        return False
    mantissa, _, exponent = text.lower().partition("e")
    try:
        return not exponent or abs(int(exponent)) <= 400
    except ValueError:
        return False


def to_sympy(tape: Tape) -> tuple:
    """(output expression, {input name: Symbol}) for the tape up to its output."""
    sp = _sympy()
    to_sympy_checks(tape)
    table = _forward_table(sp)
    symbols = {name: sp.Symbol(name, real=True) for name in tape.inputs}
    exprs = []
    for i, step in enumerate(tape.steps[: tape.output + 1]):
        if tape.is_input(i):
            exprs.append(symbols[step.name])
        elif tape.is_const(i):
            exprs.append(_constant(sp, step.text, step.const))
        else:
            exprs.append(table[step.op.name](*[exprs[a] for a in step.args]))
    return exprs[tape.output], symbols


def to_sympy_checks(tape: Tape) -> None:
    """The size limits, checked on the tape before SymPy sees it (TooLarge)."""
    check = "a gradient check verifies the gradient numerically"
    steps = tape.output + 1
    if steps > MAX_STEPS:
        raise TooLarge(
            f"symbolic partials handle programs of up to {MAX_STEPS} steps; this one has {steps}",
            f"SymPy would take too long on a formula this big; {check}",
            what="symbolic",
            limit=MAX_STEPS,
            size=steps,
            unit="steps",
        )
    size = tree_size(tape)
    if size > MAX_TREE:
        raise TooLarge(
            f"symbolic partials handle formulas of up to {MAX_TREE} operations; "
            f"this program's, written out in full, has "
            f"{size if size < 10**9 else 'over 10^9'}",
            f"values used more than once are written out each time; {check}",
            what="symbolic",
            limit=MAX_TREE,
            size=size,
            unit="operations",
        )


def tree_size(tape: Tape) -> int:
    """How many operations the output's formula has once every shared value is written out."""
    size: list[int] = []
    for step in tape.steps[: tape.output + 1]:
        size.append(1 + sum(size[a] for a in step.args))
    return size[tape.output]


def partials(tape: Tape, simplify: bool = True) -> list:
    """∂output/∂x as a SymPy expression for every input x, simplified where feasible."""
    sp = _sympy()
    out, symbols = to_sympy(tape)
    found = []
    for name, sym in symbols.items():
        d = sp.diff(out, sym)
        done = False
        if simplify and sp.count_ops(d) <= SIMPLIFY_LIMIT:
            shorter = sp.simplify(d)
            d = shorter if sp.count_ops(shorter) <= sp.count_ops(d) else d
            done = True
        found.append(Partial(name, d, done))
    return found


def evaluate_at(expression, symbols_values: dict) -> Optional[float]:
    """The formula's value at the inputs (None where SymPy finds it undefined or complex)."""
    sp = _sympy()
    subs = {sp.Symbol(n, real=True): sp.Float(v, 30) for n, v in symbols_values.items()}
    try:
        # Substituted first, then evaluated: evalf(subs=...) loses track of an exact zero,
        # and gave 1.8e75 for 1/sqrt(1 - x^2) at x = 1, where the formula is undefined.
        value = complex(expression.subs(subs).evalf(30))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        return None
    return value.real


def formula(expression) -> str:
    """A formula in gradcli's own syntax where it can be (`^` for powers, `e`, `pi`)."""
    from sympy.printing.str import StrPrinter

    class _Printer(StrPrinter):
        def _print_Exp1(self, expr):
            return "e"

        def _print_Pi(self, expr):
            return "pi"

        # gradcli's max, min and abs are lower-case, and max and min take two arguments.
        def _print_Max(self, expr):
            return self._nest("max", expr.args)

        def _print_Min(self, expr):
            return self._nest("min", expr.args)

        def _print_Abs(self, expr):
            return f"abs({self._print(expr.args[0])})"

        def _nest(self, name, args):
            text = self._print(args[-1])
            for a in reversed(args[:-1]):
                text = f"{name}({self._print(a)}, {text})"
            return text

    return _Printer().doprint(expression).replace("**", "^")


@dataclass(frozen=True)
class Formula:
    """A symbolic partial as plain data: ∂output/∂name written in gradcli's syntax, its
    value at the point (None where SymPy finds it undefined or complex), and whether it
    was simplified."""

    name: str
    formula: str
    value: Optional[float]
    simplified: bool


def _formulas_here(tape: Tape, names: list, at: dict) -> list:
    found = []
    for p in partials(tape):
        if p.name in names:
            found.append(
                Formula(p.name, formula(p.expression), evaluate_at(p.expression, at), p.simplified)
            )
    return found


def budget_seconds() -> int:
    from ..core.limits import env_limit

    return env_limit("GRADCLI_SYMBOLIC_SECONDS", BUDGET_SECONDS)


def formulas(tape: Tape, names: list, at: dict) -> list:
    """The partials ∂output/∂x for x in `names` as Formula data, with their values at the
    point `at`, computed by SymPy within the time budget: in a forked child process killed
    when the budget runs out (SymbolicTimeout), or here where fork does not exist."""
    _sympy()  # a missing SymPy is said before any child starts
    to_sympy_checks(tape)
    if not hasattr(os, "fork"):
        return _formulas_here(tape, names, at)
    seconds = budget_seconds()
    kind, payload = _in_child(lambda: _formulas_here(tape, names, at), seconds)
    if kind == "timeout":
        raise SymbolicTimeout(
            f"SymPy did not finish the symbolic partials within {seconds} s",
            "the formula is too hard for SymPy to differentiate and simplify in that "
            "time; a gradient check verifies the gradient numerically",
            seconds=seconds,
        )
    if kind == "ok":
        return payload
    if kind == "deep":
        raise TooLarge(
            "the formula nests too deeply for SymPy, which recurses over it",
            "a gradient check verifies the gradient numerically",
            what="symbolic",
            limit=sys.getrecursionlimit(),
            size=len(tape.steps),
            unit="levels",
        )
    raise RuntimeError(payload)


def _in_child(work, seconds: float) -> tuple:
    """(kind, payload) from `work()` run in a forked child: ("ok", its result), ("deep", "")
    for a RecursionError, ("error", text) for another exception, or ("timeout", "") when
    `seconds` pass first, the child then killed. The child leaves by os._exit, so it never
    flushes or closes anything the parent still holds (buffered output included)."""
    import pickle
    import select
    import signal
    import time

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_end)
            try:
                message = ("ok", work())
            except RecursionError:
                message = ("deep", "")
            except Exception as exc:  # handed to the parent, which raises it as a bug
                message = ("error", f"{type(exc).__name__}: {exc}")
            data = pickle.dumps(message)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                return ("timeout", "")
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        try:
            os.kill(pid, signal.SIGKILL)  # done or not, it has nothing more to give
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # the child died before writing a whole answer
        return ("error", "SymPy's process ended without an answer")
