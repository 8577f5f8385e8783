"""gradcli's errors in the command line's words.

The core and the layers above it raise errors that name no option: their fields say what
went wrong (see gradcli/core/errors.py). Here the command line adds its own advice, the
options that fix it: `--b VALUE`, `--wrt NAME`, `--format dot`. What a command prints
after "error: " is `cli_text(exc)`; an error with no wording here prints as str(exc).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from ..core.errors import (
    ForeignCode,
    GradcliError,
    InvalidValue,
    MissingDependency,
    MissingInputs,
    RenderError,
    SymbolicTimeout,
    TooLarge,
    UnknownName,
    WrtError,
)


def cli_text(exc: GradcliError) -> str:
    for klass in type(exc).__mro__:
        word = _WORDING.get(klass)
        if word is not None:
            text = word(exc)
            if text is not None:
                return text
    return str(exc)


def _lines(*lines) -> str:
    return "\n".join(line for line in lines if line)


def missing_inputs(exc: MissingInputs) -> str:
    names = exc.names
    example = " ".join(f"--{m} VALUE" for m in names)
    them = "them" if len(names) > 1 else "it"
    return _lines(exc.message, f"pass {them} as {example} (or {names[0]}=VALUE)", *exc.hints())


def wrt_error(exc: WrtError) -> Optional[str]:
    if exc.reason == "several inputs":
        return _lines(exc.message, f"choose one with --wrt NAME, e.g. --wrt {exc.inputs[0]}")
    if exc.reason == "unknown input":
        return _lines(f"--wrt {exc.wrt}: {exc.message}", exc.detail)
    if exc.reason == "reverse mode":
        return _lines(
            "--wrt chooses the input for forward mode", "add --mode forward (or --mode both)"
        )
    return None


def unknown_name(exc: UnknownName) -> Optional[str]:
    if exc.parameter == "output":
        return _lines(f"--output {exc.name}: {exc.message}", exc.detail)
    if exc.parameter == "mode":
        return _lines(
            exc.message, "choose --mode " + ", ".join(exc.known[:-1]) + " or " + exc.known[-1]
        )
    if exc.parameter == "topic" and exc.kind == "topic":  # the quiz's topics
        return _lines(f"--topic {exc.name}: no such topic", exc.detail)
    if exc.parameter == "topic" and exc.kind == "lesson":  # explain's topics
        return _lines(exc.message, "gradcli explain --list shows the topics")
    return None


def missing_dependency(exc: MissingDependency) -> Optional[str]:
    if exc.feature == "symbolic":
        return _lines(f"--symbolic needs {exc.dependency}, which is not installed", exc.detail)
    if exc.feature in ("svg", "png"):
        return _lines(
            f"--format {exc.feature} needs {exc.dependency}, which is not on PATH",
            f"{exc.install}, or use --format dot and render the file elsewhere",
        )
    return None


def symbolic_timeout(exc: SymbolicTimeout) -> str:
    return _lines(
        f"--symbolic: {exc.message}",
        "use --check to verify the gradient numerically, or give SymPy more time "
        "with GRADCLI_SYMBOLIC_SECONDS",
    )


def too_large(exc: TooLarge) -> Optional[str]:
    if exc.what != "symbolic":
        return None
    check = "use --check to verify the gradient numerically"
    if exc.unit == "levels":
        return _lines("--symbolic: " + exc.message, check)
    if exc.unit == "steps":
        return _lines(
            f"--symbolic handles programs of up to {exc.limit} steps; this one has {exc.size}",
            f"SymPy would take too long on a formula this big; {check}",
        )
    return _lines(
        f"--symbolic handles formulas of up to {exc.limit} operations; this "
        f"program's, written out in full, has {size_text(exc.size)}",
        f"values used more than once are written out each time; {check}",
    )


def size_text(size: int) -> str:
    return str(size) if size < 10**9 else "over 10^9"


def render_error(exc: RenderError) -> Optional[str]:
    if exc.reason == "timeout":
        return _lines(exc.message, "use --format dot, or a smaller program")
    if exc.reason == "killed":
        return _lines(exc.message, "use --format dot (or mermaid, tree) for big programs")
    if exc.reason == "too big":
        return _lines(
            exc.message,
            "use --format dot (or mermaid), or the text tree "
            "(--format tree) with a smaller --depth",
        )
    return None


def invalid_value(exc: InvalidValue) -> Optional[str]:
    if exc.instead is None:
        return None
    return _lines(exc.message, f"{exc.why}; try --{exc.name} {exc.instead:g}")


_DIALECT_WORDS = {"python": "Python", "js": "JavaScript"}


def foreign_code(exc: ForeignCode) -> Optional[str]:
    if exc.dialect is None:
        return None
    return _lines(
        str(exc),
        f"or paste the code as it is and read it as "
        f"{_DIALECT_WORDS[exc.dialect]}: --from {exc.dialect}",
    )


# What each error class says on the command line; None: its own str(exc) says it.
_WORDING: dict[type, Callable[[Any], Optional[str]]] = {
    ForeignCode: foreign_code,
    MissingInputs: missing_inputs,
    WrtError: wrt_error,
    UnknownName: unknown_name,
    MissingDependency: missing_dependency,
    TooLarge: too_large,
    SymbolicTimeout: symbolic_timeout,
    RenderError: render_error,
    InvalidValue: invalid_value,
}
