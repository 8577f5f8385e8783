"""Warnings as data: what a sweep noticed (a kink, an infinite slope, an unused value),
with one cap for all of them.

A 100,000-step program can hit relu'(0) thousands of times; one line per hit would bury
the result. Each kind of warning keeps its first few places and a count of the rest.
Callers read `lines()` (the CLI prints them, a Python caller may raise them as Python
warnings); nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Union

SHOWN = 3  # places kept per kind of warning


class Warnings:
    def __init__(self, shown: int = SHOWN):
        self.shown = shown
        self.by_kind: dict = {}  # kind -> [count, [places], what a place is called]

    def add(
        self, kind: str, where: Union[str, Callable[[], str], None] = None, unit: str = "steps"
    ) -> None:
        """One occurrence of `kind` at a place; `where` may be a callable, so a place is
        only worded when it will be shown. `unit` names the places in the count."""
        seen = self.by_kind.setdefault(kind, [0, [], unit])
        seen[0] += 1
        if seen[0] <= self.shown and where is not None:
            seen[1].append(where() if callable(where) else where)

    def lines(self) -> list:
        out = []
        for kind, (count, places, unit) in self.by_kind.items():
            out += [f"{kind} {place}" for place in places] or [kind]
            rest = count - max(len(places), 1)
            if rest > 0:
                out.append(f"{kind}: {rest} more {unit} like this")
        return out


class GradcliWarning(UserWarning):
    """The category of the warnings gradcli's Python API raises through Python's `warnings`
    module: one per line of `Warnings.lines()` (an input the program does not use, a kink
    where a convention decides the derivative, an undefined derivative). The command line
    prints the same lines to stderr instead."""
