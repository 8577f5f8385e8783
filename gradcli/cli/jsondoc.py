"""The one JSON style of every `--json` document (docs/json.md describes each).

Every document is an object whose first key is "schema", the document's name and version
("gradcli.eval/1"); it is written with an indent of 1, strict JSON (no NaN or Infinity),
ASCII only; arrays of numbers (tensor mode) keep one innermost row per line
(report/tensors.py `dumps`). Errors under --json are a "gradcli.error/1" document on
stderr, beside the exit status.
"""

from __future__ import annotations

import json
import math

INDENT = 1
VERSION = 1


def schema(name: str) -> str:
    """`gradcli.NAME/1`: the value of a document's "schema" key."""
    return f"gradcli.{name}/{VERSION}"


def document(name: str, doc: dict) -> dict:
    """doc with "schema" first (a "schema" already there is kept where it is)."""
    if "schema" in doc:
        return doc
    return {"schema": schema(name), **doc}


def dumps(doc: dict, arrays: bool = False) -> str:
    """The document as text in the one style; `arrays`: it holds tensor-mode arrays,
    written compactly, a row per line."""
    if arrays:
        from ..report.tensors import dumps as compact

        return compact(doc, indent=INDENT)
    return json.dumps(doc, allow_nan=False, indent=INDENT)


def _plain(value, depth: int = 0):
    """A field's value as JSON data: tuples as lists, a number that is not finite as
    null, anything else that JSON has no form for as its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 3:
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    try:
        return _plain(float(value), depth + 1)  # a NumPy number
    except (TypeError, ValueError):
        return str(value)


def error_document(text: str, code: int, exc: BaseException | None = None) -> dict:
    """The "gradcli.error/1" document: `text` as the command line words it (its first
    line the error, the rest the detail), the exit status, and for an exception its
    class's name and its fields (the facts gradcli's errors carry: docs/json.md)."""
    first, _, rest = text.partition("\n")
    doc = {"schema": schema("error"), "error": first, "detail": rest or None, "exit": code}
    if exc is not None:
        doc["kind"] = type(exc).__name__
        fields = {
            k: _plain(v)
            for k, v in vars(exc).items()
            if not k.startswith("_") and k not in ("message", "detail")
        }
        doc["fields"] = fields
    return doc


def error_text(text: str, code: int, exc: BaseException | None = None) -> str:
    return json.dumps(error_document(text, code, exc), indent=INDENT) + "\n"


def write_pieces(pieces) -> None:
    """A document given in pieces (report/jsonstream.py) to standard output, with its
    closing newline: gathered into chunks of outfile.CHUNK characters, each written and
    flushed as `write_text` writes, so a long document is never held whole."""
    from .outfile import CHUNK, write_text

    buffer, size = [], 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            write_text("".join(buffer))
            buffer, size = [], 0
    buffer.append("\n")
    write_text("".join(buffer))
