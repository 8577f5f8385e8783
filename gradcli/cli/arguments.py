"""The free-form part of a command line: the program and the input values.

typer hands over whatever it does not recognise; this module reads it. Values come as
`--a 2`, `--a=2`, `--a -2`, `--a=-1e-3` or `a=2`, in any order around the program.
A name that collides with a real option (`--json`, `--help`) is given as `json=2`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..core.errors import UsageError

_NAME = r"[^\W\d]\w*"
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_PAIR = re.compile(rf"({_NAME})=(.*)", re.S)
_OPTION_PAIR = re.compile(rf"--({_NAME})=(.*)", re.S)
_OPTION = re.compile(rf"--({_NAME})")
_IS_NUMBER = re.compile(rf"\s*{_NUMBER}\s*")
_IS_PAIR_LIKE = re.compile(rf"{_NAME}={_NUMBER}")


@dataclass
class Invocation:
    source: str = ""
    origin: str = "<expression>"
    values: dict = field(default_factory=dict)
    seed: int = 0  # for values drawn at random: randn(...), randint(...)
    # How to read the program: "auto", "gradcli", "python" or "js" (language/dialects.py).
    dialect: str = "auto"


def parse_number(name: str, text: str) -> float:
    if not _IS_NUMBER.fullmatch(text):
        raise UsageError(
            f"the value for {name} is not a number: {text!r}",
            "write it as 2, -0.5, 1e-3 (finite decimal numbers only)",
        )
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise UsageError(f"the value for {name} is too large for a float: {text[:30]!r}")
    return value


def read_invocation(
    args: list,
    file: Optional[str] = None,
    options=(),
    values_file: Optional[str] = None,
    seed: Optional[int] = None,
    dialect: Optional[str] = None,
) -> Invocation:
    """Split the leftover arguments into the program text and the values.

    `options` are the command's own long options: a value-less `--jsn` or a `--json`
    that arrived here (after `--`) is then explained instead of read as an input.
    `values_file` (.json or .npz) gives values too; one given on the command line wins.
    `seed` seeds values drawn at random (default 0, so a run repeats).
    `dialect` is --from: how to read the program; without it, -f's extension (.py, .js)
    decides, else "auto"."""
    from ..language.dialects import BY_EXTENSION, dialect_name

    inv = Invocation(seed=0 if seed is None else seed)
    if dialect is not None:
        inv.dialect = dialect_name(dialect)
    elif file is not None and file != "-":
        inv.dialect = BY_EXTENSION.get(Path(file).suffix.lower(), "auto")
    positional = []
    i = 0
    while i < len(args):
        arg = args[i]
        m = _OPTION_PAIR.fullmatch(arg)
        if m:
            _set_or_explain(inv, m.group(1), m.group(2), f"--{m.group(1)}", options)
        elif _OPTION.fullmatch(arg):
            name = arg[2:]
            value = args[i + 1] if i + 1 < len(args) else None
            if value is None or value.startswith("--"):
                _explain_option(arg, options)
            if value is None:
                raise UsageError(f"--{name} needs a value", f"write --{name} VALUE or {name}=VALUE")
            _set_or_explain(inv, name, value, arg, options)
            i += 1
        elif arg.startswith("--") and len(arg) > 2:
            _explain_option(arg.split("=")[0], options)
            raise UsageError(
                f"unknown option {arg.split('=')[0]!r}",
                "input values are written --NAME VALUE with NAME a valid name; "
                "see --help for the options",
            )
        else:
            positional.append(arg)
        i += 1
    # The program is the first positional argument, unless every one looks like `a=2`:
    # then the first is the program (`gradcli eval "x=3"`).
    if file is None:
        program_at = next(
            (k for k, a in enumerate(positional) if not _IS_PAIR_LIKE.fullmatch(a)), 0
        )
        if not positional:
            raise UsageError(
                "no program given",
                'give an expression: gradcli eval "a*b" --a 2 --b 3 '
                "(or -f FILE, or - to read standard input)",
            )
        program = positional.pop(program_at)
        if program == "-":
            inv.source, inv.origin = _read_stdin(), "<stdin>"
        else:
            inv.source = _utf8_argument(program, "the program")
    else:
        inv.source, inv.origin = read_program_file(file), file
    for arg in positional:
        m = _PAIR.fullmatch(arg)
        if not m:
            raise UsageError(
                f"unexpected argument {arg[:40]!r}",
                "values are written --NAME VALUE or NAME=VALUE; the program is given once",
            )
        _set(inv, m.group(1), m.group(2))
    if values_file is not None:
        from ..language.values import read_values_file

        for name, value in read_values_file(values_file).items():
            inv.values.setdefault(name, value)
    return inv


def _explain_option(arg: str, options, unreadable: bool = False) -> None:
    """`--json` after `--`, or a misspelt option: say so rather than read an input.
    `unreadable`: the value after `arg` is no input's value (`--o g.svg`, `--formt svg`),
    so `arg` is taken for an option whenever one is close: a misspelt long option
    (difflib over the command's own), or a short option written long (`--o` for `-o`)."""
    if arg in options:
        raise UsageError(
            f"{arg} came after '--', where options are not read",
            "put options before '--': everything after it is the program and its values",
        )
    from ..core.errors import suggest

    hint = None
    if unreadable and "-" + arg[2:] in options and len(arg) == 3:
        hint = f"'-{arg[2:]}'"
    elif len(arg) > 4:  # not for --a 2: an input
        hint = suggest(arg, [o for o in options if o.startswith("--")])
    if hint:
        raise UsageError(
            f"unknown option {arg}: did you mean {hint}?", "an input value is written --NAME VALUE"
        )


def _set_or_explain(inv: Invocation, name: str, text: str, arg: str, options) -> None:
    """An input's value; a value no input can have, after a name close to one of the
    command's options, is taken for that option misspelt."""
    try:
        _set(inv, name, text)
    except UsageError:
        if name not in inv.values:
            _explain_option(arg, options, unreadable=True)
        raise


def _set(inv: Invocation, name: str, text: str) -> None:
    if name in inv.values:
        raise UsageError(f"two values given for {name}")
    if _IS_NUMBER.fullmatch(text):
        inv.values[name] = parse_number(name, text)
    else:
        from ..language.values import value_of

        inv.values[name] = value_of(name, text, inv.seed)


def _utf8_argument(text: str, what: str) -> str:
    """A command-line argument as Python gives it: bytes that are not UTF-8 arrive as lone
    surrogates (U+DC80..U+DCFF), which no output can encode. Refused here, at the byte."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = len(text[: exc.start].encode("utf-8"))
        raise UsageError(
            f"{what} is not UTF-8 text (byte {at})", "give it as UTF-8 (or the bytes escaped)"
        ) from None
    return text


def _decode(data: bytes, origin: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{origin} is not UTF-8 text (byte {exc.start})") from None
    return text.lstrip("\ufeff")


def _read_stdin() -> str:
    if sys.stdin is None:
        raise UsageError("no standard input to read the program from")
    from ..core.limits import PROGRAM_BYTES, read_at_most

    return _decode(
        read_at_most(sys.stdin.buffer, PROGRAM_BYTES, "the program on standard input"),
        "standard input",
    )


def read_program_file(path: str) -> str:
    if path == "-":
        return _read_stdin()
    from ..core.limits import PROGRAM_BYTES, read_file_at_most

    try:
        data = read_file_at_most(path, PROGRAM_BYTES, f"the program file {path}")
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a program file") from None
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return _decode(data, path)
