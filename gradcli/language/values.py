"""Values for inputs, from text: a number, an array literal, or a constant expression of
the language (`pi/2`, `-1/3`, `randn(64, 27) * 0.1`, `[[1, 2], [3, 4]]`), and from files
(`.json`: an object of name -> number or nested list; `.npz`: NumPy's archive).

A constant expression is compiled and run by the same parser and engine as a program,
with no inputs; randn, rand, zeros, ones and randint are allowed here only, drawing from
a generator seeded with (seed, the input's name).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ..core.errors import GradcliError, InvalidValue, UsageError

_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def value_of(name: str, text: str, seed: Optional[int] = None):
    """The value `text` gives input `name`: a float, or a NumPy array for an array."""
    if _NUMBER.fullmatch(text):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise UsageError(f"the value for {name} is too large for a float: {text[:30]!r}")
        return value
    return constant_value(name, text, seed)


def constant_value(name: str, text: str, seed: Optional[int]):
    from ..core.engine import forward, input_values
    from .lower import compile_program

    try:
        tape = compile_program(text, constructors=True)
    except GradcliError as exc:
        raise InvalidValue(
            f"the value for {name} is not a number: {_shown(text)}",
            f"{_WRITE} (here: {exc.message})",
            name=name,
            value=text,
        ) from None
    if tape.inputs:
        names = ", ".join(tape.inputs)
        raise InvalidValue(
            f"the value for {name} is not a number: {_shown(text)}",
            f"{_WRITE}; a value cannot use other names ({names})",
            name=name,
            value=text,
        )
    if seed is None:
        seed = 0
    if seed < 0 and draws(text):  # NumPy's generators take seeds of 0 and more
        raise UsageError(f"the seed for random values must be 0 or more, not {seed}")
    from ..core.tensor_ops import drawing

    values_given, _ = input_values(tape, {})
    with drawing(seed, name):
        try:
            values = forward(tape, values_given)
        except GradcliError as exc:
            raise InvalidValue(
                f"the value for {name} cannot be computed: {exc.message}", "", name=name, value=text
            ) from None
    value = values[tape.output]
    if getattr(value, "ndim", 1) == 0:
        return float(value)
    return value


_WRITE = (
    "write a number (2, -0.5, 1e-3), an array ([[1, 2], [3, 4]]) or a constant "
    "expression (-1/3, pi/2, randn(3, 2) * 0.1)"
)


def draws(text: str) -> bool:
    """Whether a value's text draws random numbers (so the seed matters)."""
    return bool(re.search(r"\b(randn|rand|randint)\s*\(", text))


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def read_values_file(path: str) -> dict:
    """name -> value from a .json or .npz file, or a UsageError that says what is wrong."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".json", ".npz"):
        raise UsageError(f"cannot read values from {path}: the file must be .json or .npz")
    from ..core.limits import VALUES_BYTES, read_file_at_most

    try:
        data = read_file_at_most(path, VALUES_BYTES, f"the values file {path}")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a values file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if suffix == ".json":
        return _json_values(path, data)
    return _npz_values(path, data)


def _json_values(path: str, data: bytes) -> dict:
    import json

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path} is not valid JSON ({exc})") from None
    except RecursionError:  # Python's JSON reader recurses once per bracket
        raise UsageError(f"{path} nests its lists too deeply to read") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{path} must hold one JSON object of name -> number or nested list")
    for name, value in doc.items():
        problem = _not_numeric(value)
        if problem:
            raise UsageError(f"{path}: the value for {name!r} {problem}")
    return doc


def _not_numeric(value) -> Optional[str]:
    """None for a number or a rectangular nested list of numbers (not booleans, not
    strings), checked by NumPy in one pass (a deep list does not recurse in Python); else
    what is wrong."""
    import numpy

    try:
        a = numpy.asarray(value)
    except (ValueError, TypeError) as exc:  # rows of different lengths, or too deep
        if "maximum" in str(exc):
            return "has too many axes (at most 32)"
        return "is not a rectangular array (every row needs the same length)"
    if a.dtype.kind in "iuf":
        return None
    if a.dtype.kind == "O" and all(type(v) in (int, float) for v in a.flat):
        return None  # whole numbers past int64 (10**30): numbers all the same
    return "is not a number or a nested list of numbers"


def _npz_values(path: str, data: bytes) -> dict:
    import io
    import zipfile

    import numpy

    # An .npz is a zip of .npy files. Anything else (a lone .npy, text) would reach
    # numpy.load's other branches: an array instead of an archive, or a hint to unpickle.
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise UsageError(f"{path} is not a .npz archive (a zip of arrays, as numpy.savez writes)")
    values = {}
    try:
        with numpy.load(io.BytesIO(data), allow_pickle=False) as archive:
            for name in archive.files:
                try:
                    values[name] = numpy.asarray(archive[name])
                except ValueError as exc:
                    if "allow_pickle" not in str(exc):
                        raise
                    raise UsageError(
                        f"{path}: the value for {name!r} holds Python objects, "
                        "which gradcli does not load (only arrays of numbers)"
                    ) from None
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{path} is not a readable .npz archive ({exc})") from None
    for name, value in values.items():
        if value.dtype.kind not in "iuf":  # complex, bool, strings, dates: not real numbers
            raise UsageError(
                f"{path}: the value for {name!r} is not an array of real numbers "
                f"(its type is {value.dtype})"
            )
    return values
