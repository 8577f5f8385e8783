"""The command line: parse arguments, call the core, render. Nothing else lives here.

Exit codes: 0 success; 1 the program could not be evaluated at the values given (a
domain error: log of a negative number, division by zero, overflow); 2 a usage or syntax
error (malformed program, unknown function, missing or bad value, unreadable file);
3 an internal error, which is a bug in gradcli.
"""
from __future__ import annotations

import os
import re
import sys

import typer

from .. import __version__
from ..core.errors import EXIT_INTERNAL, GradcliError
from .typer_compat import install as _fast_typer_options

_fast_typer_options()  # typer >= 0.29 would import pydantic for every option (typer_compat.py)

EXIT_CODES = """Exit codes: 0 success; 1 the program cannot be evaluated at these values (log of a
negative number, division by zero, overflow); 2 usage or syntax error (malformed program,
unknown function, missing or malformed value, unreadable file); 3 internal error (a bug);
130 interrupted (Ctrl-C); 141 the output was closed early (as `| head` does)."""

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="gradcli: compute gradients by reverse-mode automatic differentiation, "
                       "and see every chain-rule step.\n\n" + EXIT_CODES)

# Commands that take a program and `--NAME VALUE` pairs read them from ctx.args themselves.
# No -h: a program such as "-h*2" must reach the command, not print help.
FREE_ARGS = {"allow_extra_args": True, "ignore_unknown_options": True,
             "help_option_names": ["--help"]}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """gradcli: gradients by reverse-mode automatic differentiation, step by step."""


# The options every program-taking command shares, declared once.
PROGRAM_USAGE = "[OPTIONS] PROGRAM [--NAME VALUE | NAME=VALUE]..."


def file_option():
    return typer.Option(None, "-f", "--file", metavar="FILE",
                        help="Read the program from FILE (- for standard input).")


def from_option():
    return typer.Option(None, "--from", metavar="auto|gradcli|python|js",
                        help="Read the program as code pasted from a tutorial: python "
                             "(micrograd, CS231n) or js (the Hacker's guide). Default: "
                             "from -f's extension (.py, .js), else auto (gradcli's own "
                             "language, else what the code looks like).")


def output_option():
    return typer.Option(None, "--output", metavar="NAME",
                        help="Differentiate NAME instead of the last value.")


def values_option():
    return typer.Option(None, "--values", metavar="FILE",
                        help="Read input values from FILE: .json (name -> number or nested "
                             "list) or .npz. Values on the command line win.")


def seed_option():
    return typer.Option(None, "--seed", metavar="N",
                        help="Seed for values drawn at random (randn, rand, randint); "
                             "default 0, so a run repeats.")


def option_names(ctx) -> list:
    """A command's long options, for read_invocation's hints."""
    return [o for p in ctx.command.params for o in getattr(p, "opts", ()) if o.startswith("--")]


def _fail(message: str, code: int) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def guarded(action) -> None:
    """Run a command's body: gradcli's own errors become a message and an exit code."""
    try:
        action()
    except GradcliError as exc:
        from .wording import cli_text

        _fail(f"error: {cli_text(exc)}", exc.exit_code)
    except KeyboardInterrupt:
        _fail("", 130)
    except BrokenPipeError:
        _closed_pipe()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug: say so without a traceback, unless asked for one
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        _fail(f"internal error (a bug in gradcli, please report it): {type(exc).__name__}: "
              f"{exc}\nset GRADCLI_DEBUG=1 to see the traceback", EXIT_INTERNAL)


EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, what the shell reports for `... | head -1`


def _closed_pipe() -> None:
    """The reader went away (`| head`): stop quietly with the shell's SIGPIPE status.
    stdout is pointed at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    raise typer.Exit(EXIT_CLOSED_PIPE)


def piped_width() -> int:
    """The width for output that is not a terminal (`gradcli explain | less`): COLUMNS
    when set, else the terminal the user is looking at (the controlling tty, or stderr's),
    else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        fd = None
    for probe in ([fd] if fd is not None else []) + [sys.stderr]:
        try:
            size = os.get_terminal_size(probe if isinstance(probe, int) else probe.fileno())
        except (OSError, ValueError, AttributeError):
            continue
        if size.columns > 0:
            if fd is not None:
                os.close(fd)
            return size.columns
    if fd is not None:
        os.close(fd)
    return 80


_TRAILING = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+(?=\n)")
_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def _strip_trailing(text: str) -> str:
    """No line ends in spaces; the style codes among those spaces are kept."""
    return _TRAILING.sub(lambda m: "".join(_STYLE.findall(m.group())), text)


def make_console(**options):
    """The stdout console: no markup or emoji from user text; when piped, as wide as the
    user's terminal; no line ends in spaces (rich pads every table line)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:  # rich's default exits 1, our evaluation error
            self.quiet = True
            _closed_pipe()

        def _render_buffer(self, buffer) -> str:
            return _strip_trailing(super()._render_buffer(buffer))

    if not sys.stdout.isatty():
        options.setdefault("width", piped_width())
    return _Console(highlight=False, emoji=False, markup=False, **options)


def stdout_unicode() -> bool:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding.startswith("utf")


def _load_commands() -> None:
    """Each module in gradcli/commands adds its command(s) to `app` when imported."""
    import importlib
    import pkgutil

    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}")


def main() -> None:
    # A terminal or pipe that cannot encode a name like θ gets \u03b8, not a crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and not (stream.encoding or "").lower().startswith("utf"):
            stream.reconfigure(errors="backslashreplace")
    app(prog_name="gradcli")


_load_commands()
