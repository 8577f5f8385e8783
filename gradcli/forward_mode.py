"""Forward-mode differentiation: tangents pushed from the inputs towards the output.

A tangent u̇ is ∂u/∂(seeded input). Each step's tangent is Σ ∂v/∂u · u̇ over its operands,
using the same registry partials the reverse sweep uses: one table of rules, two sweeps.
"""
from __future__ import annotations

from dataclasses import dataclass

from .tape import Tape


@dataclass
class ForwardMode:
    seed: dict  # input name -> its tangent (1 for the input we differentiate by)
    tangents: list
    terms: list  # per step: [(operand index, local partial)]

    def derivative(self, tape: Tape) -> float:
        return self.tangents[tape.output]


def tangents(tape: Tape, values: list, seed: dict) -> ForwardMode:
    steps = tape.steps
    dot = [0.0] * len(steps)
    terms = [[] for _ in steps]
    for i, step in enumerate(steps):
        if not step.args:
            dot[i] = seed.get(step.name, 0.0) if tape.is_input(i) else 0.0
            continue
        partials = step.op.partials(*[values[a] for a in step.args], values[i])
        total = 0.0
        for a, local in zip(step.args, partials):
            terms[i].append((a, local))
            if dot[a]:  # skip zero tangents: inf·0 would turn a kink into nan
                total += local * dot[a]
        dot[i] = total
    return ForwardMode(dict(seed), dot, terms)
