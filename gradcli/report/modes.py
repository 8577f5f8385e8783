"""The JSON document of `gradcli eval` with --mode forward|both, --check, --symbolic."""

from __future__ import annotations

import json

from ..core.notation import Notation
from ..modes.forward_mode import AGREE, compare
from ..modes.gradcheck import SAMPLE_SEED, ArrayCheck
from ..modes.study import Study
from .evaluation import SCHEMA, _Nulls, _number


def study_dict(study: Study, grad_only: bool = False) -> dict:
    """The document as Python data: _study_entries' pairs, each list and the tangents
    read whole (as evaluation.to_dict reads evaluation._entries)."""
    from .jsonstream import Items, Members, Record

    doc = {}
    for key, value in _study_entries(study, grad_only):
        if isinstance(value, Items):
            encode = value.encode
            if isinstance(encode, Record):
                value = [dict(zip(encode.keys, v)) for v in value.items]
            else:
                value = list(value.items)
        elif isinstance(value, Members):
            value = dict(value.pairs)
        doc[key] = value
    return doc


def _check_dict(c, what: str, warnings: list) -> dict:
    """One input's check: a number's (Check), or an array's, entry by entry (ArrayCheck):
    its shape, how many entries were checked (all, or a seeded sample), the verdicts
    counted, the entry that most deserves a look, and every entry checked."""
    if not isinstance(c, ArrayCheck):
        return _entry_dict(c, what, warnings)
    worst = c.worst
    return {
        "shape": list(c.shape),
        "entries_total": c.total,
        "entries_checked": len(c.entries),
        "sampled": c.sampled,
        "sample_seed": SAMPLE_SEED if c.sampled else None,
        "verdict": worst.verdict,
        "near_kink": worst.near_kink,
        "counts": c.counts,
        "worst": {
            "index": list(worst.index),
            **_entry_dict(worst, f"{what}{list(worst.index)}", warnings),
        },
        "entries": [
            {"index": list(e.index), **_entry_dict(e, f"{what}{list(e.index)}", warnings)}
            for e in c.entries
        ],
        "kinks": c.kinks,
    }


def _entry_dict(c, what: str, warnings: list) -> dict:
    return {
        "analytic": _number(c.analytic, what, warnings),
        "numeric": None if c.numeric is None else _number(c.numeric, "an estimate", warnings),
        "relative_error": c.relative_error,
        "verdict": c.verdict,
        "near_kink": c.near_kink,
        "h": c.h,
        "kinks": c.kinks,
        "note": c.note,
        "within_rounding": c.within_rounding,
    }


FORWARD_TRACE_KEYS = ("id", "label", "expression", "value", "rule", "tangent")


def study_pieces(study: Study, grad_only: bool = False):
    """study_json's text in pieces, a node, a step or a tangent at a time, for a program
    on numbers (`gradcli eval --json` with --mode, --check or --symbolic writes them as
    they come, so a 100,000-step program's document never exists whole); a program with
    arrays gets study_json's text whole."""
    if study.tape.tensor:
        return iter([study_json(study, grad_only)])
    from .jsonstream import document

    return document(_study_entries(study, grad_only))


def _study_entries(study: Study, grad_only: bool):
    """study_dict's (key, value) pairs in order, its long lists and its tangents as
    iterators (jsonstream's Items and Members), "warnings" last, after them."""
    from .evaluation import NODE_KEYS, STEP_KEYS, _entries
    from .jsonstream import Items, Members, Record, encode_arrays

    tape = study.tape
    plain = Notation(ascii_only=True)
    if study.ev is not None:
        warnings: list = []
        for key, value in _entries(study.ev, grad_only):
            if key in ("nodes", "steps"):  # tuples in key order, or dicts of arrays
                keys = NODE_KEYS if key == "nodes" else STEP_KEYS
                yield key, Items(value, encode_arrays if tape.tensor else Record(keys, 2))
            elif key == "warnings":  # the last: the lists above are written by now
                warnings = value
            else:
                yield key, value
        warnings += [w for w in study.warnings if w not in warnings]
    else:
        warnings = list(study.warnings)
        yield "schema", SCHEMA
        yield "output", tape.output_name
        yield "value", _number(study.value, "the output value", warnings)
        yield "inputs", dict(study.inputs)
    out = tape.output_name
    trace = study.trace
    if trace is not None:
        from .rows import tangent_rule

        yield "mode", study.mode
        yield "wrt", trace.wrt
        yield "derivative", _number(trace.derivative, f"d{out}/d{trace.wrt}", warnings)
        null = _Nulls()  # one warning for all the traces' non-finite numbers, not one each
        ids = tape.step_id
        yield (
            "tangents",
            Members((ids(i), null(t)) for i, t in enumerate(trace.tangents[: tape.output + 1])),
        )
        if not grad_only:
            rows = (
                (
                    ids(i),
                    tape.label(i),
                    tape.expression(i),
                    null(trace.values[i]),
                    tangent_rule(trace, i, plain),
                    null(trace.tangents[i]),
                )
                for i in range(tape.output + 1)
                if not (tape.is_const(i) and tape.steps[i].name is None)
            )
            yield "forward_trace", Items(rows, Record(FORWARD_TRACE_KEYS, 2))
        if null.count:
            warnings.append(
                f"{null.count} numbers in tangents and forward_trace are infinite "
                "or undefined; written as null (JSON has no such number)"
            )
        if study.ev is not None:
            found = compare(trace, study.ev)
            yield "agree", found.verdict == AGREE
            # agree, rounding (apart by float rounding only), float-edge (an infinite slope
            # or an overflow on the way) or mismatch (a bug; the command exits 3)
            yield "agreement", found.verdict
    if study.checks is not None:
        yield (
            "check",
            {c.name: _check_dict(c, f"d{out}/d{c.name}", warnings) for c in study.checks},
        )
    if study.partials is not None:
        yield (
            "symbolic",
            {
                p.name: {
                    "formula": p.formula,
                    "value": _number(study.analytic[p.name], f"d{out}/d{p.name}", warnings),
                    "formula_value": p.value,
                    "simplified": p.simplified,
                }
                for p in study.partials
            },
        )
    yield "warnings", list(dict.fromkeys(warnings))  # each warning once, in order


def study_json(study: Study, grad_only: bool = False) -> str:
    doc = study_dict(study, grad_only)
    if study.tape.tensor:
        from .tensors import dumps

        # Arrays compact, each innermost row on one line, as eval --json writes them.
        return dumps(doc, indent=1)
    return json.dumps(doc, allow_nan=False, indent=1)
