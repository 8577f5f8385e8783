"""How numbers, adjoints and partial derivatives are written, in Unicode or plain ASCII,
and the words every command uses for the same ideas (GLOSSARY).

Unicode writes the adjoint of x as x̄ and a partial derivative as ∂x/∂a. ASCII writes the
adjoint `grad_x` and a partial `dx/da`, never `dx` alone: beside `dx/da = b`, a bare `dx`
meaning the adjoint would be the very ambiguity the lesson warns about.
"""

from __future__ import annotations

import math
import re

MACRON = "\u0304"
DOT = "\u0307"


def fmt(x: float) -> str:
    """A number as a person writes it: 6 not 6.0, six significant digits."""
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def full(x: float) -> str:
    """A number exactly (shortest round-trip form), still without a trailing .0."""
    if x != x or math.isinf(x):
        return fmt(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def full_array(a, signed_zero: bool = False) -> str:
    """An array exactly, as one line of nested lists: [[1, 2.5], [3, -4]] (a number as full);
    with `signed_zero`, -0.0 as -0 (as the command line reads it back), else as 0."""
    import numpy

    a = numpy.asarray(a, dtype=float)
    items = [
        "-0" if signed_zero and v == 0 and math.copysign(1.0, v) < 0 else full(v)
        for v in a.ravel().tolist()
    ]
    if a.ndim == 0:
        return items[0]
    if a.size == 0:
        return "[]" * 1
    for d in reversed(a.shape[1:]):
        items = ["[" + ", ".join(items[k : k + d]) + "]" for k in range(0, len(items), d)]
    return "[" + ", ".join(items) + "]"


# --- words ------------------------------------------------------------------------------
# One word per idea, in every command (README "Words"). A *path* is a route through the
# graph from an input to the output; a *contribution* is one chain-rule term, one line
# of backprop code (the first into an adjoint `=`, each later one `+=`): a local
# derivative times the adjoint arriving from above.
GLOSSARY = (
    (
        "adjoint",
        "x̄ (ASCII grad_x; the tutorials' code writes dx, micrograd x.grad) = "
        "∂f/∂x: how much the output f moves per unit change of x",
    ),
    (
        "local derivative",
        "∂x/∂a: how much one step's result x moves per unit of its operand a; one step's own rule",
    ),
    (
        "contribution",
        "one chain-rule term, local derivative times the adjoint arriving "
        "from above: one line of backprop code, the first into an adjoint assigned "
        "(ā = b·x̄), each later one added (ā += ...)",
    ),
    (
        "path",
        "a route through the graph from an input to the output; ∂f/∂a is the sum "
        "over the paths of the products of the local derivatives along each",
    ),
    ("fan-out", "a value used more than once: its adjoint is the sum of one contribution per use"),
)


def contribution_of(k: int, total: int, adjoint: str) -> str:
    """Which of the contributions to one adjoint this is: `contribution 2 of 3 to ā`."""
    return f"contribution {k} of {total} to {adjoint}"


def assigns(count: int) -> str:
    """How contribution number `count` reaches its adjoint, as backprop code and PyTorch
    have it: the first is the adjoint (`=`, so a lone -0.0 stays -0.0), each later one is
    added to it (`+=`)."""
    return "=" if count == 1 else "+="


def contributions(n: int) -> str:
    return "1 contribution" if n == 1 else f"{n} contributions"


def product(numbers, times: str = "·") -> str:
    """Numbers (as text) multiplied, one convention everywhere: a negative factor after
    the first is parenthesised, `-3·(-2)`, the first never is."""
    return times.join(f"({n})" if k and n.startswith("-") else n for k, n in enumerate(numbers))


_NUMBER = r"-(?:inf|nan|[0-9.]+(?:e[-+]?[0-9]+)?)"
_LEADING = re.compile(rf"\(({_NUMBER})\)")
_BARE_LEADING = re.compile(_NUMBER)


def bare_start(text: str) -> str:
    """`(-3)·2` → `-3·2`: a negative number that begins an expression needs no brackets."""
    m = _LEADING.match(text)
    return m.group(1) + text[m.end() :] if m else text


def added(terms) -> str:
    """Terms (as text) joined with +, by the same convention as `product`: a negative
    number is parenthesised unless it begins the whole expression, `-4·1 + (-3)·2`."""
    out = []
    for k, t in enumerate(terms):
        t = bare_start(t)
        m = _BARE_LEADING.match(t) if k else None
        out.append(f"({m.group(0)}){t[m.end() :]}" if m else t)
    return " + ".join(out)


class Notation:
    def __init__(self, ascii_only: bool = False, code: bool = False):
        """`code`: ASCII as backprop code writes it, `dW += X.T @ dY` (JSON's rule texts,
        read by programs beside the generated NumPy), not the learner's `grad_W`."""
        self.ascii = ascii_only or code
        self.code = code

    def bar(self, name: str) -> str:
        """The adjoint of `name`: x̄ = ∂f/∂x (grad_x in ASCII, apart from partials dx/da)."""
        if self.code:
            return f"d{name}"
        return f"grad_{name}" if self.ascii else f"{name}{MACRON}"

    def legend(self, out: str, node: str, inp: str) -> str:
        """What the ASCII symbols mean, said with the program's own names: its output
        `out` and one step `node` with an operand `inp`."""
        return (
            f"ASCII notation: {self.bar(inp)} is an adjoint, d{out}/d{inp}: how much "
            f"{out} moves per unit change of {inp} (backprop code calls it d{inp}); "
            f"d{node}/d{inp} is a local derivative, the rate of one step alone: "
            f"{node} per unit of {inp}."
        )

    def product(self, *numbers: float) -> str:
        """`-3·(-2)`: numbers multiplied, a negative factor after the first in parentheses."""
        return product([fmt(x) for x in numbers], self.times)

    def dot(self, name: str, wrt: str) -> str:
        """The tangent of `name`: v̇ = ∂v/∂wrt in forward mode (dv/dwrt in ASCII)."""
        if self.ascii:
            return f"d{name}/d{wrt}"
        # Baydin et al. write v̇3: the dot goes on the letters, before an index or prime.
        stem = name.rstrip("0123456789'")
        return f"{stem or name}{DOT}{name[len(stem) :]}" if stem else f"{name}{DOT}"

    def partial(self, top: str, bottom: str) -> str:
        return f"d{top}/d{bottom}" if self.ascii else f"∂{top}/∂{bottom}"

    @property
    def times(self) -> str:
        return "*" if self.ascii else "·"

    def math(self, text: str) -> str:
        """Rule text in gradcli syntax, shown as a person writes it."""
        if self.ascii:
            return text
        return (
            text.replace("**", "^")
            .replace("*", "·")
            .replace(" - ", " − ")
            .replace("<=", "≤")
            .replace(">=", "≥")
        )

    def text(self, text: str) -> str:
        """Prose written with Unicode symbols, folded to ASCII where needed."""
        if not self.ascii:
            return text
        for uni, asc in _ASCII_FOLD.items():
            text = text.replace(uni, asc)
        return text


_ASCII_FOLD = {
    "∂": "d",
    "·": "*",
    "−": "-",
    "≤": "<=",
    "≥": ">=",
    "σ": "sigmoid",
    "²": "^2",
    "ˣ": "^x",
    "±": "+/-",
    "→": "->",
    "←": "<-",
    "Σ": "sum",
    "…": "...",
    "×": "x",
    "—": "--",
    "–": "-",
    "½": "1/2",
    "’": "'",
    "“": '"',
    "”": '"',
    MACRON: "",
}
