"""Run lark's LALR(1) tables with a lean driver.

lark reads grammar/gradcli.lark, checks it and builds the LALR(1) parse table and the
terminal patterns; this module only *runs* them. lark's own driver is general (contextual
lexing, interactive parsing, tree building, positions on every token) and spends about
4 µs per token on that generality; a 100,000-statement program has ~1,000,000 tokens.
Here the lexer is one compiled regex made from lark's terminal definitions in lark's own
priority order, tokens are four-slot objects, and each rule's reduction is precomputed.

Semantics follow lark's tree-shaping rules as this grammar uses them: anonymous and
underscore terminals are dropped, `_rule`/`__helper` children are spliced into their
parent, a `?rule` with one child passes it through, and otherwise the callback named by the
alias (or the rule) is called with the remaining children.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain


class Tok:
    """A token, as reported in a parse error."""

    __slots__ = ("type", "value", "start_pos", "end_pos")

    def __init__(self, type_: str, value: str, start: int, end: int):
        self.type = type_
        self.value = value
        self.start_pos = start
        self.end_pos = end

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Tok({self.type}, {self.value!r}, {self.start_pos})"


class LexError(Exception):
    def __init__(self, pos: int, expected: set):
        self.pos = pos
        self.expected = expected


class ParseError(Exception):
    def __init__(self, token: Tok, expected: set):
        self.token = token
        self.expected = expected


class _End:
    """The end of the input, shaped like the lexer's matches."""

    lastgroup = "$END"

    def __init__(self, pos: int):
        self.pos = pos

    def start(self) -> int:
        return self.pos

    end = start

    def group(self) -> str:
        return ""


class _Splice(list):
    """Children of an inlined `_rule`, to be spliced into the parent's children."""


END = "$END"
_BAD = "_GRADCLI_NO_TERMINAL"


def table_spec(lark) -> dict:
    """What the driver needs from lark, as plain JSON-able data: terminal patterns in lark's
    lexing priority, the LALR(1) actions, and for each rule how lark would shape its result.
    Cached by the caller, so lark itself is imported only when the grammar changes."""
    table = lark.parser.parser.parser.parse_table
    start = lark.options.start[0]
    terminals = sorted(
        lark.terminals,
        key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
    )
    rules: list = []
    rule_ids: dict = {}
    states: dict = {}
    kept_terminals: set = set()  # terminals some rule passes to a callback
    for state, actions in table.states.items():
        row = {}
        for symbol, (action, arg) in actions.items():
            if action.name == "Shift":
                row[symbol] = [True, arg]
                continue
            if arg not in rule_ids:
                rule_ids[arg] = len(rules)
                keep = [
                    i for i, sym in enumerate(arg.expansion) if not (sym.is_term and sym.filter_out)
                ]
                kept_terminals.update(
                    arg.expansion[i].name for i in keep if arg.expansion[i].is_term
                )
                rules.append(
                    {
                        "origin": arg.origin.name,
                        "size": len(arg.expansion),
                        "keep": keep,
                        "splice": [
                            i
                            for i in keep
                            if not arg.expansion[i].is_term
                            and arg.expansion[i].name.startswith("_")
                        ],
                        "expand1": bool(arg.options.expand1),
                        "alias": arg.alias,
                    }
                )
            row[symbol] = [False, rule_ids[arg]]
        states[str(state)] = row
    return {
        "start_state": table.start_states[start],
        "end_state": table.end_states[start],
        "ignore": sorted(lark.lexer_conf.ignore),
        "terminals": [[t.name, t.pattern.to_regexp()] for t in terminals],
        "rules": rules,
        "states": states,
        "kept_terminals": sorted(kept_terminals),
    }


class Driver:
    def __init__(self, spec: dict, builder):
        self.start_state = spec["start_state"]
        self.end_state = spec["end_state"]
        self.ignore = set(spec["ignore"])
        # A last catch-all group turns "no terminal matches here" into a token, so the
        # scan can run in C with finditer and still stop at the first bad character.
        self.master = re.compile(
            "|".join(
                [f"(?P<{name}>{regexp})" for name, regexp in spec["terminals"]] + [f"(?P<{_BAD}>.)"]
            ),
            re.DOTALL,
        )
        self.terminal_names = {name for name, _ in spec["terminals"]} - self.ignore
        self.kept = set(spec["kept_terminals"])
        # For each state: terminal or nonterminal -> (True, next state) for a shift,
        # (False, (size, origin, reduce function)) for a reduction; reduce is None for a
        # unit rule such as `?sum: product`, which changes the state and not the value.
        reducers = []
        for rule in spec["rules"]:
            reduce = None if _passes_through(rule, builder) else _reducer(rule, builder)
            reducers.append((rule["size"], rule["origin"], reduce))
        self.states = {
            int(state): {
                symbol: (True, arg) if shift else (False, reducers[arg])
                for symbol, (shift, arg) in row.items()
            }
            for state, row in spec["states"].items()
        }
        self.units: dict = {}  # (state below, top state, lookahead) -> top after unit rules

    def _after_units(self, key: tuple) -> int:
        below, top, kind = key
        while True:
            action = self.states[top].get(kind)
            if action is None or action[0] or action[1][2] is not None:
                return top
            top = self.states[below][action[1][1]][1]
            if kind == END and top == self.end_state:
                return top

    def expected(self, state: int) -> set:
        return {s for s in self.states[state] if s in self.terminal_names or s == END}

    def parse(self, text: str, tokens=None):
        """Lex and parse in one loop. Tokens on the value stack are the lexer's own
        `re.Match` objects (group(), start(), end()): no token object is built.
        `tokens` replaces the lexer: objects shaped like its matches (lastgroup, group(),
        start(), end()), as pasted code's front ends make them from another language."""
        states_table = self.states
        end_state = self.end_state
        ignore = self.ignore
        state_stack = [self.start_state]
        values: list = []
        units = self.units
        kept = self.kept
        last = None  # the last real token: "unexpected end" puts its caret after it
        stream = self.master.finditer(text) if tokens is None else tokens
        for m in chain(stream, (_End(len(text)),)):
            kind = m.lastgroup
            if kind in ignore:
                continue
            if kind == END:
                m = _End(last.end() if last is not None else 0)
            else:
                last = m
            if kind == _BAD:
                raise LexError(m.start(), self.expected(state_stack[-1]))
            while True:
                action = states_table[state_stack[-1]].get(kind)
                if action is None:
                    raise ParseError(
                        Tok(kind, m.group(), m.start(), m.end()), self.expected(state_stack[-1])
                    )
                shift, arg = action
                if shift:
                    state_stack.append(arg)
                    # Punctuation no callback reads is not kept: 10 MB of "(" would
                    # otherwise hold ten million match objects.
                    values.append(m if kind in kept else None)
                    break
                size, origin, reduce = arg
                if reduce is None:
                    # A run of unit rules (atom → power → unary → product) only moves the
                    # top state; where it ends depends on the state below, the top and the
                    # lookahead, so it is worked out once per such triple.
                    key = (state_stack[-2], state_stack[-1], kind)
                    top = units.get(key)
                    if top is None:
                        top = units[key] = self._after_units(key)
                    state_stack[-1] = top
                    if kind == END and top == end_state:
                        return values[-1]
                    continue
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del state_stack[-size:]
                else:
                    children = []
                values.append(reduce(children))
                state_stack.append(states_table[state_stack[-1]][origin][1])
                if kind == END and state_stack[-1] == end_state:
                    return values[-1]
        raise AssertionError("the token stream ended without $END")


def _passes_through(rule: dict, builder) -> bool:
    """`?a: b` with no alias and no callback: the one child is the result."""
    return (
        rule["size"] == 1
        and rule["keep"] == [0]
        and not rule["splice"]
        and rule["expand1"]
        and rule["alias"] is None
        and not rule["origin"].startswith("_")
        and getattr(builder, rule["origin"], None) is None
    )


def _reducer(rule: dict, builder) -> Callable:
    """The function that turns a rule's popped values into its result, as lark would."""
    keep = rule["keep"]
    splice = set(rule["splice"])
    expand1 = rule["expand1"]
    alias = rule["alias"]
    name = alias or rule["origin"]
    inlined = rule["origin"].startswith("_")
    method = getattr(builder, name, None)

    if not splice and len(keep) == 1 and (expand1 or inlined) and method is None:
        only = keep[0]
        if inlined:
            return lambda children: _Splice([children[only]])
        return lambda children: children[only]

    if not splice and not inlined and not (expand1 and len(keep) == 1 and alias is None):
        if method is None:
            raise AssertionError(f"the grammar rule {name!r} has no callback")
        # The common case, specialised: pick the kept children and call.
        if keep == list(range(rule["size"])):
            return lambda children: method(*children)
        picked = tuple(keep)
        return lambda children: method(*[children[i] for i in picked])

    def reduce(children):
        kept = None
        for i in keep:
            child = children[i]
            if i in splice:
                if kept is None:
                    kept = child  # reuse the first spliced list: linear, not quadratic
                else:
                    kept.extend(child)
            else:
                if kept is None:
                    kept = _Splice()
                kept.append(child)
        if kept is None:
            kept = _Splice()
        if inlined:
            return kept if isinstance(kept, _Splice) else _Splice(kept)
        if expand1 and len(kept) == 1 and alias is None:
            return kept[0]
        if method is None:
            raise AssertionError(f"the grammar rule {name!r} has no callback")
        return method(*kept)

    return reduce
