"""How numbers, adjoints and partial derivatives are written, in Unicode or plain ASCII.

ASCII mode uses the tutorials' own notation (`dx` for the adjoint of x), so a learner
reading Karpathy's `da = b * dx` sees the same letters.
"""
from __future__ import annotations

import math

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


def full_array(a) -> str:
    """An array exactly, as one line of nested lists: [[1, 2.5], [3, -4]] (a number as full)."""
    import numpy

    a = numpy.asarray(a, dtype=float)
    items = [full(float(v)) for v in a.ravel().tolist()]
    if a.ndim == 0:
        return items[0]
    if a.size == 0:
        return "[]" * 1
    for d in reversed(a.shape[1:]):
        items = ["[" + ", ".join(items[k:k + d]) + "]" for k in range(0, len(items), d)]
    return "[" + ", ".join(items) + "]"


class Notation:
    def __init__(self, ascii_only: bool = False):
        self.ascii = ascii_only

    def bar(self, name: str) -> str:
        """The adjoint of `name`: x̄ = ∂f/∂x (dx in ASCII, as the tutorials write it)."""
        return f"d{name}" if self.ascii else f"{name}{MACRON}"

    def dot(self, name: str, wrt: str) -> str:
        """The tangent of `name`: v̇ = ∂v/∂wrt in forward mode (dv/dwrt in ASCII)."""
        if self.ascii:
            return f"d{name}/d{wrt}"
        # Baydin et al. write v̇3: the dot goes on the letters, before an index or prime.
        stem = name.rstrip("0123456789'")
        return f"{stem or name}{DOT}{name[len(stem):]}" if stem else f"{name}{DOT}"

    def partial(self, top: str, bottom: str) -> str:
        return f"d{top}/d{bottom}" if self.ascii else f"∂{top}/∂{bottom}"

    @property
    def times(self) -> str:
        return "*" if self.ascii else "·"

    def math(self, text: str) -> str:
        """Rule text in gradcli syntax, shown as a person writes it."""
        if self.ascii:
            return text
        return (text.replace("**", "^").replace("*", "·").replace(" - ", " − ")
                .replace("<=", "≤").replace(">=", "≥"))

    def text(self, text: str) -> str:
        """Prose written with Unicode symbols, folded to ASCII where needed."""
        if not self.ascii:
            return text
        for uni, asc in _ASCII_FOLD.items():
            text = text.replace(uni, asc)
        return text


_ASCII_FOLD = {
    "∂": "d", "·": "*", "−": "-", "≤": "<=", "≥": ">=", "σ": "sigmoid", "²": "^2",
    "ˣ": "^x", "±": "+/-", "→": "->", "←": "<-", "Σ": "sum", "…": "...", "×": "x",
    "—": "--", "–": "-", "’": "'", "“": '"', "”": '"', MACRON: "",
}
