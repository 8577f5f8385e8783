"""Keep start-up fast on typer 0.29 and later without pinning typer below it.

typer 0.29 converts every option's value through a pydantic TypeAdapter, so each run
imports pydantic and builds a validator per option: 40-90 ms before gradcli does anything,
for options that are plain strings and integers. Every option gradcli declares is a `str`,
`int`, `float` or `bool` (or `Optional` of one). For those this module gives typer the
conversion click always did (`int("3")`, `min=` and `max=` checked, with click's words
when it fails), by handing
typer's parameter a runtime converter of typer's own base class before typer builds the
pydantic one. Anything else — a parser, a choice, a range, a path — is left to typer.

On typer before 0.29 (click's types, no pydantic) and on a typer whose internals differ,
`install()` changes nothing: start-up is slower there, never wrong.
"""

from __future__ import annotations

import types
import typing

_WORDS = {str: "str", int: "int", float: "float", bool: "boolean"}  # typer 0.28's words
_BOOLEANS = {
    "1": True,
    "true": True,
    "t": True,
    "yes": True,
    "y": True,
    "on": True,
    "0": False,
    "false": False,
    "f": False,
    "no": False,
    "n": False,
    "off": False,
}


def _convert(kind: type, value: object) -> object:
    """click's conversion of a command-line value to str, int, float or bool."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        return _BOOLEANS[str(value).strip().lower()]
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    return kind(value)


def _out_of_range(value: object, info: object) -> str:
    """click's words for a number outside an option's `min=`/`max=` ("" when inside)."""
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    if (low is None or value >= low) and (high is None or value <= high):
        return ""
    if high is None:
        bounds = f"x>={low}"
    elif low is None:
        bounds = f"x<={high}"
    else:
        bounds = f"{low}<=x<={high}"
    return f"{value} is not in the range {bounds}."


def _plain(annotation: object) -> type | None:
    """str, int or float, from `X` or `Optional[X]`; None for anything else."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, getattr(types, "UnionType", None)):
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) != 1:
            return None
        annotation = kinds[0]
    return annotation if annotation in _WORDS else None


def install() -> bool:
    """Give typer ≥ 0.29 pydantic-free conversion for plain options; True when installed."""
    try:
        from typer import _coercion, core
        from typer._click.exceptions import BadParameter
    except ImportError:
        return False  # typer < 0.29: click converts, no pydantic
    parameter = getattr(core, "_TyperParameter", None)
    base = getattr(_coercion, "RuntimeParam", None)
    original = getattr(parameter, "get_runtime_param", None)
    if (
        parameter is None
        or base is None
        or original is None
        or getattr(original, "_gradcli", False)
    ):
        return False

    class PlainRuntimeParam(base):  # type: ignore[misc, valid-type]
        """Converts a command-line string to str, int, float or bool, as click does."""

        def _coerce_value(self, value, param, ctx):
            try:
                converted = _convert(self.annotation, value)
            except (KeyError, TypeError, ValueError):
                raise BadParameter(
                    f"{value!r} is not a valid {_WORDS[self.annotation]}.", ctx=ctx, param=param
                ) from None
            problem = _out_of_range(converted, self.parameter_info)
            if problem:
                raise BadParameter(problem, ctx=ctx, param=param)
            return converted

    def get_runtime_param(self):
        if getattr(self, "_runtime_param", None) is None:
            descriptor = self.type_descriptor
            info = descriptor.parameter_info
            kind = _plain(descriptor.annotation)
            if (
                kind is not None
                and getattr(info, "parser", None) is None
                and not getattr(info, "clamp", False)
                and descriptor.file_annotation is None
            ):
                self._runtime_param = PlainRuntimeParam(parameter_info=info, annotation=kind)
        return original(self)

    get_runtime_param._gradcli = True  # type: ignore[attr-defined]
    parameter.get_runtime_param = get_runtime_param
    return True
