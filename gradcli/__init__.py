"""gradcli: a gradient calculator and tutor for reverse-mode automatic differentiation.

The command line is `gradcli` (gradcli/cli/). From Python:

    >>> import gradcli
    >>> gradcli.evaluate("a*b", a=2, b=3).gradient
    {'a': 3.0, 'b': 2.0}

The API (gradcli/api.py) and the error family (gradcli/core/errors.py) are imported on
first use (PEP 562), so `import gradcli`, which every command-line run does, stays cheap:
it loads none of rich, lark or NumPy.
"""

__version__ = "0.1.0"

# name -> the module that defines it, imported when the name is first asked for.
_LAZY = {
    **dict.fromkeys(
        (
            "evaluate",
            "explain",
            "graph",
            "code",
            "topics",
            "Result",
            "BackwardStep",
            "Explanation",
            "GraphResult",
        ),
        "gradcli.api",
    ),
    **dict.fromkeys(
        (
            "GradcliError",
            "UsageError",
            "SourceError",
            "EvaluationError",
            "MissingInputs",
            "UnknownName",
            "UnknownFunction",
            "WrtError",
            "MissingDependency",
            "TooLarge",
            "SymbolicTimeout",
            "InvalidValue",
            "ForeignCode",
            "DomainError",
            "ShapeError",
            "RenderError",
        ),
        "gradcli.core.errors",
    ),
    "GradcliWarning": "gradcli.core.warnings",
}

__all__ = [
    "__version__",
    # the API
    "evaluate",
    "explain",
    "graph",
    "code",
    "topics",
    "Result",
    "BackwardStep",
    "Explanation",
    "GraphResult",
    # errors and warnings
    "GradcliError",
    "UsageError",
    "SourceError",
    "EvaluationError",
    "MissingInputs",
    "UnknownName",
    "UnknownFunction",
    "WrtError",
    "MissingDependency",
    "TooLarge",
    "SymbolicTimeout",
    "InvalidValue",
    "ForeignCode",
    "DomainError",
    "ShapeError",
    "RenderError",
    "GradcliWarning",
]

# Not `from typing import TYPE_CHECKING`: the typing module would be one more import on
# every command-line run. Type checkers read any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:  # for type checkers and editors: the names as if imported eagerly
    from typing import Any

    from .api import (
        BackwardStep,
        Explanation,
        GraphResult,
        Result,
        code,
        evaluate,
        explain,
        graph,
        topics,
    )
    from .core.errors import (
        DomainError,
        EvaluationError,
        ForeignCode,
        GradcliError,
        InvalidValue,
        MissingDependency,
        MissingInputs,
        RenderError,
        ShapeError,
        SourceError,
        SymbolicTimeout,
        TooLarge,
        UnknownFunction,
        UnknownName,
        UsageError,
        WrtError,
    )
    from .core.warnings import GradcliWarning


def __getattr__(name: str) -> "Any":
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # asked once: later lookups do not come here
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_LAZY))
