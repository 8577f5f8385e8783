"""JSON documents written a piece at a time, byte for byte as `json.dumps(doc, indent=1)`
(or report/tensors.py `dumps`, for documents holding arrays) writes the whole document.

A document with a list of 100,000 entries (eval's nodes and steps) need not exist as one
dict and one string: `document` yields its text entry by entry, and the entries of a
long list are made, written and forgotten one at a time. Flat records of numbers and
strings (the nodes and steps of a program on numbers) are written by `Record`, which
fills a template instead of walking the value as json's own (pure Python, once indented)
encoder does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii as _string
from typing import Any

INDENT = 1  # one space per level: the one style (docs/json.md)


class Items:
    """A list of a document given as an iterator: each item is encoded alone by
    `encode(item, depth)` (its text as at that depth, without the leading indent)."""

    def __init__(self, items: Iterable, encode: Callable[[Any, int], str]):
        self.items = items
        self.encode = encode


class Members:
    """An object of a document given as an iterator of (key, value) pairs, each value a
    str, a finite float, an int, a bool or None: written a member at a time."""

    def __init__(self, pairs: Iterable):
        self.pairs = pairs


def document(entries: Iterable, arrays: bool = False) -> Iterator[str]:
    """The text of a JSON object in pieces. `entries` yields (key, value) pairs in order;
    a value that is `Items` is written item by item, any other value as the whole
    document would write it (`arrays`: compact arrays, as report/tensors.py `dumps`).
    Entries are read as the text is written, so a later entry may depend on what an
    earlier list counted."""
    first = True
    for key, value in entries:
        yield "{\n" if first else ",\n"
        first = False
        if isinstance(value, Items):
            yield from _items(key, value)
        elif isinstance(value, Members):
            yield from _members(key, value)
        else:
            yield entry(key, value, arrays)
    yield "{}" if first else "\n}"


def entry(key: str, value, arrays: bool = False) -> str:
    """`"key": value` as a line (or lines) of a top-level object."""
    if arrays:
        from .tensors import dumps

        text = dumps({key: value}, indent=INDENT)
    else:
        text = json.dumps({key: value}, allow_nan=False, indent=INDENT)
    return text[2:-2]  # without the braces' lines: "{\n" ... "\n}"


def _items(key: str, value: Items) -> Iterator[str]:
    pad = " " * (2 * INDENT)
    opened = False
    for item in value.items:
        yield (f" {_string(key)}: [\n" if not opened else ",\n") + pad + value.encode(item, 2)
        opened = True
    yield f"\n{' ' * INDENT}]" if opened else f" {_string(key)}: []"


def _members(key: str, value: Members) -> Iterator[str]:
    pad = " " * (2 * INDENT)
    opened = False
    for k, v in value.pairs:
        yield (
            f" {_string(key)}: {{\n" if not opened else ",\n"
        ) + f"{pad}{_string(k)}: {_scalar(v)}"
        opened = True
    yield f"\n{' ' * INDENT}}}" if opened else f" {_string(key)}: {{}}"


def indented(text: str, depth: int) -> str:
    """A value's text written at the top level, as it reads `depth` levels down."""
    return text.replace("\n", "\n" + " " * (INDENT * depth))


def encode_arrays(item, depth: int) -> str:
    """An item holding arrays (tensor mode), as report/tensors.py `dumps` writes it."""
    from .tensors import dumps

    return indented(dumps(item, indent=INDENT), depth)


class Record:
    """Flat records with fixed keys, each given as a tuple of values in key order: str,
    int, float (finite), None, bool, or a list of those. The same text as json.dumps
    with indent=1, made by filling in the values."""

    def __init__(self, keys: tuple, depth: int):
        pad = " " * (INDENT * (depth + 1))
        self.keys = keys
        self.depth = depth
        self.pad = pad
        self.inner = pad + " " * INDENT
        self.prefixes = [f"{pad}{_string(k)}: " for k in keys]
        self.close = "\n" + " " * (INDENT * depth) + "}"

    def __call__(self, values: tuple, depth: int | None = None) -> str:
        assert depth in (None, self.depth)
        parts = []
        for prefix, v in zip(self.prefixes, values):
            t = type(v)
            if t is str:
                parts.append(prefix + _string(v))
            elif t is float and math.isfinite(v):
                parts.append(prefix + float.__repr__(v))
            elif t is list or t is tuple:
                if not v:
                    parts.append(prefix + "[]")
                else:
                    inner = self.inner
                    parts.append(
                        prefix
                        + "[\n"
                        + ",\n".join([inner + _scalar(x) for x in v])
                        + "\n"
                        + self.pad
                        + "]"
                    )
            else:
                parts.append(prefix + _scalar(v))
        return "{\n" + ",\n".join(parts) + self.close


def _scalar(v) -> str:
    t = type(v)
    if t is str:
        return _string(v)
    if v is None:
        return "null"
    if t is list or t is tuple or t is dict:
        raise TypeError("a record's lists hold numbers and strings, not lists or objects")
    if t is float:
        if not math.isfinite(v):
            raise ValueError("Out of range float values are not JSON compliant: " + repr(v))
        return float.__repr__(v)
    if t is int:
        return int.__repr__(v)  # as json's encoder writes an int
    return json.dumps(v, allow_nan=False)  # bool, a float subclass: as json writes it
