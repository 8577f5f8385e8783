"""The catalogue of backprop mistakes, each with a predictor of the number it produces.

A wrong quiz answer is diagnosed by redoing the question's computation the way a learner
who makes mistake M would, and comparing. The redo transforms the engine's own work: the
reverse sweep below is the engine's sweep with a hook that replaces one chain-rule term
(a "gate slip": divide instead of multiply, drop the upstream adjoint, use the output form
of a rule on the input, ...), drops paths, or assigns instead of adding. Local partials
always come from the op registry (`Op.partials`, `Op.rules`); nothing here restates a
derivative rule.

Each entry of CATALOGUE is (id, title, explanation template, predictor). A predictor
returns Predictions: the wrong number and the facts (names, numbers) its explanation needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from ..core.engine import Evaluation, needs_grad, reforward, reverse_sweep
from ..core.errors import EvaluationError, GradcliError
from ..core.notation import Notation, fmt
from ..core.tape import Tape, fill

ASK_KINDS = ("value", "grad", "adjoint")
MAX_GATES = 200
_OPERAND_RULE = re.compile(r"\{(\d)\}")


@dataclass
class Prediction:
    id: str
    value: float
    facts: dict = field(default_factory=dict)
    also: list = field(default_factory=list)  # other gates where this slip gives the number


@dataclass(frozen=True)
class Misconception:
    id: str
    title: str
    explain: str  # a template over the prediction's facts; {bar_...} names are adjoints
    predict: Callable[[Situation], list]
    # Mistakes that give this one's number on every question of some shape (the same
    # computation seen two ways): an exact tie with them is reported, not redrawn.
    same_number_as: tuple = ()


class Situation:
    """One question: an evaluated tape, what is asked (kind, step), the right number."""

    def __init__(self, ev: Evaluation, kind: str, target: int):
        self.ev, self.tape, self.kind, self.target = ev, ev.tape, kind, target
        self.values = ev.values
        self.correct = ev.values[target] if kind == "value" else ev.adjoints[target]
        steps = self.tape.steps
        self.needs = needs_grad(self.tape)
        # Which steps the asked one feeds into: only chain-rule terms between those and
        # the asked step can change its adjoint.
        self.above = [False] * len(steps)
        self.above[target] = True
        for i in range(target + 1, len(steps)):
            self.above[i] = any(self.above[a] for a in steps[i].args)
        path = [c for c in ev.contributions if self.above[c.input] and self.above[c.node]]
        # Each gate slip costs a sweep: on a big program, look at the gates nearest the
        # asked step (the sweep records them last), where a learner's slip is likeliest.
        self.path = path[-MAX_GATES:]
        # Set by unchanged_slips() only: gate slips that leave their term as it was (dx/b
        # with b = -1) are then predicted too, so a quiz can tell they hide the mistake.
        self.keep_unchanged = False
        # The right sweep, stopped where slips are redone from (see _before): the state
        # just before the highest step asked for so far, and a cursor walked down from it.
        self._top: Optional[tuple] = None
        self._cursor: Optional[tuple] = None
        # Only steps the asked one feeds into send terms that reach it (a step that sends
        # a term to one of those is one of those): the sweeps below skip every other
        # step, which changes no addition into the asked step's adjoint, nor their order.
        self._relevant = [n and a for n, a in zip(self.needs, self.above)]

    def label(self, i: int) -> str:
        return self.tape.label(i)

    @property
    def asked(self) -> str:
        return self.label(self.target)

    def sweep(
        self, override: Optional[dict] = None, accumulate: bool = True, seed: Optional[int] = None
    ) -> float:
        """The asked step's adjoint from the engine's reverse sweep, some terms replaced.

        `override` maps (step, operand position) to a function (local, upstream) -> term:
        a learner's slip is a substitute rule passed to the one sweep, not a copy of it.
        """

        if not override or not accumulate or seed is not None:
            adjoints = reverse_sweep(
                self.tape,
                self.values,
                seed=seed,
                stop=self.target,
                needs=self._relevant,
                substitute=self._substitute(override),
                accumulate=accumulate,
            )
            return adjoints[self.target]

        # The terms sent by the steps above the highest slipped one are the right sweep's,
        # and so is everything it has added up by then: start there, from a copy of the
        # right sweep's lists, and redo only the steps from the slip down to the asked one
        # (the same additions in the same order as a whole sweep: the same number, to the
        # last bit). A slip next to the asked step costs a few steps, not the whole tape.
        top = max(i for i, _ in override)
        adjoints, reached = self._before(top)
        adjoints = reverse_sweep(
            self.tape,
            self.values,
            seed=top,
            stop=self.target,
            needs=self._relevant,
            substitute=self._substitute(override),
            resume=(list(adjoints), list(reached)),
        )
        return adjoints[self.target]

    def _before(self, i: int) -> tuple:
        """(adjoints, reached) of the right sweep just before it handles step i (so after
        every step above i): the lists themselves, to be copied, not changed."""
        if self._top is None or i > self._top[0]:
            # The right sweep from its start, seeded as reverse_sweep seeds it.
            n, out = len(self.tape), self.tape.output
            adjoints, reached = [0.0] * n, [False] * n
            adjoints[out], reached[out] = 1.0, True
            reverse_sweep(
                self.tape,
                self.values,
                seed=out,
                stop=i + 1,
                needs=self._relevant,
                resume=(adjoints, reached),
            )
            self._top = (i, adjoints, reached)
            self._cursor = None
        if self._cursor is None or self._cursor[0] < i:
            at, adjoints, reached = self._top
            self._cursor = (at, list(adjoints), list(reached))
        at, adjoints, reached = self._cursor
        if at > i:
            reverse_sweep(
                self.tape,
                self.values,
                seed=at,
                stop=i + 1,
                needs=self._relevant,
                resume=(adjoints, reached),
            )
            self._cursor = (i, adjoints, reached)
        return adjoints, reached

    @staticmethod
    def _substitute(override: Optional[dict]):
        """The sweep's substitute hook for `override`, or None for no slip."""
        if not override:
            return None

        def slipped(i, position, local, upstream, term):
            slip = override.get((i, position))
            return slip(local, upstream) if slip else term

        return slipped

    def _full_sweep(
        self, override: Optional[dict] = None, accumulate: bool = True, seed: Optional[int] = None
    ) -> float:
        """sweep() as a whole sweep from the seed, every time: the way every number was
        computed before slips were redone from the right sweep's state (tests compare)."""
        slips = override or {}

        def slipped(i, position, local, upstream, term):
            slip = slips.get((i, position))
            return slip(local, upstream) if slip else term

        adjoints = reverse_sweep(
            self.tape,
            self.values,
            seed=seed,
            stop=self.target,
            needs=self.needs,
            substitute=slipped if override else None,
            accumulate=accumulate,
        )
        return adjoints[self.target]


# --- gate slips: one chain-rule term computed wrongly ------------------------------------
def _operand_rule(op, pos) -> Optional[int]:
    """k when the registry's rule for operand `pos` is just operand k (mul: ā = b·x̄)."""
    m = _OPERAND_RULE.fullmatch(op.rules[pos]) if pos < len(op.rules) else None
    return int(m.group(1)) if m and int(m.group(1)) != pos else None


def _output_form(op) -> bool:
    """A one-input op whose rule is written with its output: exp, tanh, sigmoid, sqrt."""
    return op.arity == 1 and op.is_function and "{y}" in op.rules[0]


@lru_cache(maxsize=64)
def _rule_tape(rule: str) -> Tape:
    from ..language.lower import compile_program

    return compile_program(fill(rule, ["u"], "u"), ["u"])


def _rule_on_input(op, x: float) -> Optional[float]:
    """The rule written with the output (σ(1−σ)) evaluated with the input put for σ."""
    from ..core.engine import evaluate

    try:
        return evaluate(_rule_tape(op.rules[0]), {"u": x}, record=False).value
    except GradcliError:
        return None


def _derivative_at_output(op, y: float) -> Optional[float]:
    """The local derivative formula applied at the gate's output: σ'(σ(q))."""
    try:
        if op.domain and op.domain(y):
            return None
        return op.partials(y, op.forward(y))[0]
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def _gate_slip(applies, wrong_local=None, wrong_term=None, whole=True):
    """A predictor for a slip at one gate on the path to the asked step.

    `applies(op, pos)` says where the slip can happen; `wrong_local(op, pos, xs, y)` gives
    the local derivative the learner uses, or `wrong_term(local, upstream, xs, pos)` the
    term. One prediction per gate term where the slip changes the answer; and where a gate
    uses the same value more than once (x = a*a, b = a + a), also the slip made on the
    gate as a whole: with its local derivative for that value, the sum over its uses
    (∂(a*a)/∂a = 2a), as a learner who sees x = a² would. `whole=False` for slips that
    only make sense between two different operands.
    """

    def predict(s: Situation) -> list:
        out: list = []
        if s.kind == "value":
            return out
        uses: dict = {}
        for c in s.path:
            step = s.tape.steps[c.node]
            uses.setdefault((c.node, c.input), []).append(c)
            if not applies(step.op, c.position):
                continue
            xs = [s.values[a] for a in step.args]
            term, local = _slipped(
                step.op,
                c.position,
                xs,
                s.values[c.node],
                c.local,
                c.upstream,
                wrong_local,
                wrong_term,
            )
            if term is None or (term == c.contribution and not s.keep_unchanged):
                continue
            value = s.sweep({(c.node, c.position): lambda _l, _u, t=term: t})
            out.append(_gate_facts(s, [c], value, term, local))
        for (node, _), cs in uses.items():
            step = s.tape.steps[node]
            if not whole or len(cs) < 2 or not all(applies(step.op, c.position) for c in cs):
                continue
            xs = [s.values[a] for a in step.args]
            total_local = sum(c.local for c in cs)
            term, local = _slipped(
                step.op,
                cs[0].position,
                xs,
                s.values[node],
                total_local,
                cs[0].upstream,
                wrong_local,
                wrong_term,
            )
            if term is None or (
                _same(term, sum(c.contribution for c in cs)) and not s.keep_unchanged
            ):
                continue
            # The whole term goes through the first use; the others send nothing.
            override = {
                (c.node, c.position): (lambda _l, _u, t=term if k == 0 else 0.0: t)
                for k, c in enumerate(cs)
            }
            out.append(_gate_facts(s, cs, s.sweep(override), term, local))
        return out

    return predict


def _slipped(op, pos, xs, y, local, upstream, wrong_local, wrong_term):
    """The wrong term (and the wrong local derivative, if that is the slip), or None."""
    if wrong_local is not None:
        wrong = wrong_local(op, pos, xs, y)
        if wrong is None or not math.isfinite(wrong):
            return None, None
        return wrong * upstream, wrong
    term = wrong_term(local, upstream, xs, pos)
    if term is None or not math.isfinite(term):
        return None, None
    return term, None


def _gate_facts(s: Situation, cs: list, value: float, term: float, local) -> dict:
    """Names and numbers for an explanation of a slip at the terms `cs` of one gate."""
    tape = s.tape
    c = cs[0]
    args = tape.steps[c.node].args
    total_local = sum(t.local for t in cs)
    rule = " + ".join(tape.rule(t.node, t.position) for t in cs)
    if len(cs) > 1:
        # The value is both operands: the local derivative is the sum of the rules.
        other, rule = f"({rule})", rule
    else:
        other = tape.operand(args[1 - c.position]) if len(args) == 2 else ""
    facts = {
        "gate": f"{tape.label(c.node)} = {tape.expression(c.node)}",
        "node": tape.label(c.node),
        "input": tape.label(c.input),
        "operand": tape.operand(c.input),
        "other": other,
        "rule": rule,
        "local": fmt(total_local),
        "local_p": _paren(total_local),
        "upstream": fmt(c.upstream),
        "upstream_p": _paren(c.upstream),
        "own": fmt(s.values[c.input]),
        "right_term": fmt(sum(t.contribution for t in cs)),
        "wrong_term": fmt(term),
        "wrong_local": fmt(local) if local is not None else "",
        "x": fmt(s.values[args[0]]),
        "y": fmt(s.values[c.node]),
    }
    return {"value": value, "facts": facts}


# --- whole-sweep mistakes -----------------------------------------------------------------
def _fan_in(s: Situation) -> dict:
    """Steps on the path whose adjoint is a sum of several terms: step -> its terms."""
    terms: dict = {}
    for c in s.path:
        terms.setdefault(c.input, []).append(c)
    return {i: cs for i, cs in terms.items() if len(cs) > 1}


def _one_path(s: Situation) -> list:
    out: list = []
    if s.kind == "value":
        return out
    for i, cs in _fan_in(s).items():
        for keep in cs:
            drop = {(c.node, c.position): (lambda _l, _u: 0.0) for c in cs if c is not keep}
            value = s.sweep(drop)
            out.append(
                {
                    "value": value,
                    "facts": {
                        "node": s.label(i),
                        "uses": str(len(cs)),
                        "kept": s.label(keep.node),
                        "kept_term": fmt(keep.contribution),
                        "terms": " + ".join(fmt(c.contribution) for c in cs).replace("+ -", "- "),
                        "sum": fmt(s.ev.adjoints[i]),
                    },
                }
            )
    return out


def _overwrite(s: Situation) -> list:
    fans = _fan_in(s)
    if s.kind == "value" or not fans:
        return []
    i, cs = next(iter(fans.items()))
    last = cs[-1]  # the engine's order is the sweep's order: the last term processed
    return [
        {
            "value": s.sweep(accumulate=False),
            "facts": {
                "node": s.label(i),
                "kept": s.label(last.node),
                "kept_term": fmt(last.contribution),
                "terms": " + ".join(fmt(c.contribution) for c in cs).replace("+ -", "- "),
                "sum": fmt(s.ev.adjoints[i]),
            },
        }
    ]


_SIGN_ADVICE = {
    "grad": "Check each local derivative's sign (a subtraction or a negative input flips it).",
    "value": "Check the sign at each step of the forward pass (a negative factor, the order "
    "of a subtraction).",
}


def _negated(s: Situation) -> list:
    advice = _SIGN_ADVICE["value" if s.kind == "value" else "grad"]
    out = [
        {
            "value": -s.correct,
            "facts": {"lead": "Your answer is the right one negated:", "advice": advice},
        }
    ]
    return out + (_forward_sign_slips(s) if s.kind == "value" else [])


def _forward_sign_slips(s: Situation) -> list:
    """A value question: one earlier step's value negated (a - b done as b - a, a sign
    dropped in a product), and the forward pass carried on from there to the asked step."""
    steps, target = s.tape.steps, s.target
    below = [False] * len(steps)  # the steps the asked one is computed from
    below[target] = True
    for i in range(target, -1, -1):
        if below[i]:
            for a in steps[i].args:
                below[a] = True
    out = []
    # Like the gate slips, only the steps nearest the asked one on a big program: each
    # costs a forward pass from there.
    nearest = [j for j in range(target - 1, -1, -1) if below[j] and steps[j].args]
    for j in nearest[:MAX_GATES]:
        if s.values[j] == 0:
            continue
        slipped = list(s.values)
        slipped[j] = -slipped[j]
        try:
            values = reforward(s.tape, slipped, j, target, below)
        except EvaluationError:
            continue  # the slipped value leaves the domain: no number to predict
        gate = f"{s.label(j)} = {s.tape.expression(j)}"
        out.append(
            {
                "value": values[target],
                "facts": {
                    "gate": gate,
                    "lead": f"At {gate} the sign went wrong ({fmt(values[j])} instead of "
                    f"{fmt(s.values[j])}), and carried on to {s.asked} that gives "
                    f"{fmt(values[target])}:",
                    "advice": "Check the sign at that step (a negative factor, the order of a "
                    "subtraction).",
                },
            }
        )
    return out


def _stale(s: Situation) -> list:
    return [] if s.kind == "value" else [{"value": 2 * s.correct, "facts": {}}]


def _forward_value(s: Situation) -> list:
    if s.kind == "value":
        return []
    return [{"value": s.values[s.target], "facts": {}}]


def _quotient(s: Situation) -> list:
    """(u/v)' taken as u'/v' at a division on the path."""
    out: list = []
    if s.kind == "value":
        return out
    seen = set()
    for c in s.path:
        step = s.tape.steps[c.node]
        if step.op.name != "div" or c.node in seen:
            continue
        seen.add(c.node)
        u, v = step.args
        du = s.sweep(seed=u) if s.above[u] else 0.0
        dv = s.sweep(seed=v) if s.above[v] else 0.0
        if du == 0 or dv == 0:
            continue
        ybar = s.ev.adjoints[c.node]
        through = s.sweep(seed=c.node)
        value = s.correct - ybar * through + ybar * du / dv
        out.append(
            {
                "value": value,
                "facts": {
                    "gate": f"{s.label(c.node)} = {s.tape.expression(c.node)}",
                    "u": s.tape.operand(u),
                    "v": s.tape.operand(v),
                    "du": fmt(du),
                    "dv_p": _paren(dv),
                    "ratio": fmt(du / dv),
                    "right": fmt(through),
                },
            }
        )
    return out


def _relu_mask(local, upstream, xs, pos):
    return upstream if upstream > 0 else 0.0


def _divide(local, upstream, xs, pos):
    return upstream / local if local else None


def _wrong_operand(local, upstream, xs, pos):
    return xs[pos] * upstream


def _missing_upstream(local, upstream, xs, pos):
    return local


def _missing_local(local, upstream, xs, pos):
    return upstream


def _flip(local, upstream, xs, pos):
    return -local * upstream


def _power_rule(op, pos, xs, y):
    return op.partials(*xs, y)[0]


def _output_form_on_input(op, pos, xs, y):
    return _rule_on_input(op, xs[0])


def _derivative_of_output(op, pos, xs, y):
    return _derivative_at_output(op, y)


def _is(name):
    return lambda op, pos: op.name == name


# --- the catalogue --------------------------------------------------------------------------
# Explanations are filled with the prediction's facts (see _gate_facts) plus `asked`,
# `predicted`, `correct`, `out` (the program's output, as the tables name it: L, f') and
# {bar_X} for the adjoint of fact X.
CATALOGUE = (
    Misconception(
        "divided-instead-of-multiplied",
        "divided by the local derivative instead of multiplying",
        "At {gate} you divided: {bar_input} = {bar_node}/{other} = {upstream}/{local_p} = "
        "{wrong_term}. The chain rule multiplies the local derivative ∂{node}/∂{input} = "
        "{rule_is} by the adjoint arriving from above: {bar_input} = {other}·{bar_node} = "
        "{local}·{upstream_p} = {right_term}. {bar_node} is ∂{out}/∂{node}, a rate, not a small "
        "change you can solve for.",
        _gate_slip(lambda op, pos: _operand_rule(op, pos) is not None, wrong_term=_divide),
    ),
    Misconception(
        "missing-upstream",
        "used the local derivative without the arriving adjoint",
        "At {gate} you used only the local derivative ∂{node}/∂{input} = {rule_is}, "
        "but the gradient arriving from above is {bar_node} = {upstream}: {bar_input} gets "
        "{local}·{upstream_p} = {right_term}, not {wrong_term}.",
        _gate_slip(lambda op, pos: True, wrong_term=_missing_upstream),
        same_number_as=("missing-local-derivative",),
    ),
    Misconception(
        "missing-fan-out-sum",
        "counted only one path of a value used more than once",
        "{node} is used {uses} times, so {bar_node} is the sum of {uses} contributions: "
        "{terms} = {sum}. Counting only the one through {kept} ({kept_term}) gives "
        "{bar_asked} = {predicted} instead of {correct}.",
        _one_path,
        same_number_as=("overwrite-not-accumulate",),
    ),
    Misconception(
        "overwrite-not-accumulate",
        "assigned the gradient (=) instead of adding (+=)",
        "{node} receives several contributions ({terms}); writing {bar_node} = ... instead of "
        "{bar_node} += ... keeps only the last one processed, from {kept} ({kept_term}), "
        "instead of the sum {sum}: {bar_asked} = {predicted} instead of {correct}.",
        _overwrite,
        same_number_as=("missing-fan-out-sum",),
    ),
    Misconception(
        "wrong-operand",
        "multiplied by the input's own value instead of the other input",
        "At {gate} the local derivative ∂{node}/∂{input} is the OTHER input, {rule_is}, so "
        "{bar_input} gets {other}·{bar_node} = {local}·{upstream_p} = {right_term}. Multiplying "
        "by {operand} = {own} itself gives {wrong_term}.",
        _gate_slip(
            lambda op, pos: _operand_rule(op, pos) is not None,
            wrong_term=_wrong_operand,
            whole=False,
        ),
    ),
    Misconception(
        "sign-error",
        "a sign flipped",
        "{lead} the answer is {correct}, not {predicted}. {advice}",
        _negated,
        same_number_as=("sub-subtrahend-sign",),
    ),
    Misconception(
        "sub-subtrahend-sign",
        "gave the subtracted input +x̄ instead of −x̄",
        "At {gate}, {operand} is subtracted, so ∂{node}/∂{input} = {rule_is} and "
        "{bar_input} gets {local}·{bar_node} = {right_term}, not +{bar_node} = {wrong_term}.",
        _gate_slip(
            lambda op, pos: op.rules[pos] == "-1" if pos < len(op.rules) else False,
            wrong_term=_flip,
        ),
        same_number_as=("sign-error",),
    ),
    Misconception(
        "sigmoid-of-wrong-value",
        "evaluated σ(1−σ) with the sigmoid's input",
        "At {gate} the rule {rule} is written with the OUTPUT {node} = σ({operand}) = {y}; "
        "putting the input {operand} = {x} in its place gives {wrong_local} instead of "
        "{local}, so {bar_input} = {wrong_term} instead of {right_term}.",
        _gate_slip(_is("sigmoid"), wrong_local=_output_form_on_input),
    ),
    Misconception(
        "output-form-on-input",
        "evaluated a rule written with the output using the input",
        "At {gate} the rule {rule} is written with the OUTPUT {node} = {y}; putting the "
        "input {operand} = {x} in its place gives {wrong_local} instead of {local}, so "
        "{bar_input} = {wrong_term} instead of {right_term}.",
        _gate_slip(
            lambda op, pos: _output_form(op) and op.name != "sigmoid",
            wrong_local=_output_form_on_input,
        ),
    ),
    Misconception(
        "derivative-of-output",
        "applied the derivative formula to the output",
        "At {gate} the local derivative is {rule_is}, computed from {operand} = {x}. "
        "Applying the derivative formula to the output {node} = {y} instead gives "
        "{wrong_local}, so {bar_input} = {wrong_term} instead of {right_term}.",
        _gate_slip(lambda op, pos: _output_form(op), wrong_local=_derivative_of_output),
    ),
    Misconception(
        "missing-local-derivative",
        "passed the adjoint through without the local derivative",
        "At {gate} you passed {bar_node} = {upstream} through unchanged; it must be multiplied "
        "by the local derivative ∂{node}/∂{input} = {rule_is}: {bar_input} gets "
        "{right_term}, not {wrong_term}.",
        _gate_slip(lambda op, pos: op.arity == 1 and op.is_function, wrong_term=_missing_local),
        same_number_as=("missing-upstream",),
    ),
    Misconception(
        "forward-value-instead-of-gradient",
        "gave the forward value instead of the gradient",
        "{predicted} is the VALUE of {asked}; the question asks for {bar_asked} = "
        "∂{out}/∂{asked}, how much {out} changes per unit change of {asked}.",
        _forward_value,
    ),
    Misconception(
        "quotient-of-derivatives",
        "took (u/v)' as u'/v'",
        "At {gate} you divided the derivatives: (∂{u}/∂{asked}) / (∂{v}/∂{asked}) = "
        "{du}/{dv_p} = {ratio}. The quotient rule gives ∂({u}/{v})/∂{asked} = "
        "u'/v − u·v'/v² = {right} here.",
        _quotient,
    ),
    Misconception(
        "power-rule-on-exponent",
        "used the power rule for the exponent",
        "At {gate} the exponent {operand} is a variable: ∂{node}/∂{operand} = {rule_is}, "
        "not the power rule's {wrong_local}, so {bar_input} = {right_term}, not {wrong_term}.",
        _gate_slip(lambda op, pos: op.name == "pow" and pos == 1, wrong_local=_power_rule),
    ),
    Misconception(
        "relu-mask-by-gradient",
        "zeroed the gradient by its own sign instead of the input's",
        "At {gate} relu passes the gradient where its INPUT {operand} = {x} is positive, "
        "whatever the sign of {bar_node} = {upstream}: {bar_input} gets {right_term}, not "
        "{wrong_term}.",
        _gate_slip(_is("relu"), wrong_term=_relu_mask),
    ),
    Misconception(
        "stale-grad",
        "the gradient counted twice (not reset between backward passes)",
        "{predicted} is twice the answer {correct}: a gradient left from a previous backward "
        "pass was added again. Gradients must be reset to 0 before each pass.",
        _stale,
    ),
)

BY_ID = {m.id: m for m in CATALOGUE}


def predictions(s: Situation) -> list:
    """Every catalogued mistake's number on this question, except those giving the right one."""
    out = []
    for m in CATALOGUE:
        for p in m.predict(s):
            if math.isfinite(p["value"]) and not _same(p["value"], s.correct):
                out.append(Prediction(m.id, p["value"], p["facts"]))
    return out


def all_predictions(s: Situation) -> list:
    """Every catalogued mistake's number on this question, those giving the right number
    included, and a gate slip that leaves its term unchanged (dx/b where b = -1: dividing
    by -1 is multiplying by it) included too: what a quiz checks to see that no mistake
    passes for the right answer. A gate slip's facts name its gate's step ("node")."""
    s.keep_unchanged = True
    try:
        out = []
        for m in CATALOGUE:
            for p in m.predict(s):
                if math.isfinite(p["value"]):
                    out.append(Prediction(m.id, p["value"], p["facts"]))
        return out
    finally:
        s.keep_unchanged = False


def _paren(x: float) -> str:
    return f"({fmt(x)})" if x < 0 else fmt(x)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def matches(value: float, s: Situation, close: Callable[[float, float], bool]) -> list:
    """The predictions an answer matches: one per id, catalogue order.

    When one slip gives the number at several gates, the one named is the gate that sends
    the asked value its own local derivative (where a learner works out that value's
    term), else the first; the other gates are listed in `also`.
    """
    found: dict = {}
    for p in predictions(s):
        if close(value, p.value):
            found.setdefault(p.id, []).append(p)
    out = []
    for same in found.values():
        own = [p for p in same if p.facts.get("input") == s.asked]
        best = own[0] if own else same[0]
        gates = [p.facts["gate"] for p in same if p is not best and "gate" in p.facts]
        best.also = [
            g for k, g in enumerate(gates) if g not in gates[:k] and g != best.facts.get("gate")
        ]
        out.append(best)
    return out


def explain(p: Prediction, s: Situation, nt: Notation) -> str:
    facts = dict(
        p.facts,
        asked=s.asked,
        predicted=fmt(p.value),
        correct=fmt(s.correct),
        out=s.tape.output_label,
    )
    if "rule" in facts:
        facts["rule"] = nt.math(facts["rule"])
        # "∂x/∂b = a = 3", but "∂f/∂x = 3", not "3 = 3"
        same = facts["rule"] == facts["local"]
        facts["rule_is"] = facts["rule"] if same else f"{facts['rule']} = {facts['local']}"
    for key in list(facts):
        facts["bar_" + key] = nt.bar(facts[key])
    text = BY_ID[p.id].explain.format(**facts)
    if "input" in p.facts and p.facts["input"] != s.asked:
        # The slip happened above the asked step: say where it leads.
        text += (
            " Carried on down to {asked}, that slip gives {bar_asked} = {predicted} "
            "instead of {correct}."
        ).format(**facts)
    if p.also:
        text += " The same mistake made at " + " or at ".join(p.also) + " gives this number too."
    return nt.text(text)
