"""The command line: parse arguments, call the core, render. Nothing else lives here.

Exit codes: 0 success; 1 the program could not be evaluated at the values given (a
domain error: log of a negative number, division by zero, overflow); 2 a usage or syntax
error (malformed program, unknown function, missing or bad value, unreadable file);
3 an internal error, which is a bug in gradcli; 130 interrupted; 141 the reader closed the
output pipe. Standard input or output that is closed or fails (a full disk) is an I/O error:
exit 1, said on stderr; a closed stderr never changes a run's exit status.
"""

from __future__ import annotations

import errno
import io
import os
import re
import signal
import sys

import typer
from typer.core import TyperCommand

from .. import __version__
from ..core.errors import EXIT_INTERNAL, GradcliError
from .typer_compat import install as _fast_typer_options

try:  # typer >= 0.28 carries its own click
    from typer._click.exceptions import ClickException
    from typer._click.exceptions import UsageError as _ClickUsageError
except ImportError:  # pragma: no cover (older typer, on click): the same two classes there
    from click.exceptions import ClickException  # type: ignore[no-redef]
    from click.exceptions import UsageError as _ClickUsageError  # type: ignore[no-redef]

_fast_typer_options()  # typer >= 0.29 would import pydantic for every option (typer_compat.py)

EXIT_CODES = """Exit codes: 0 success; 1 the program cannot be evaluated at these values (log of a
negative number, division by zero, overflow), or standard input or output is closed or
failed (a full disk); 2 usage or syntax error (malformed program, unknown function, missing
or malformed value, unreadable file); 3 internal error (a bug); 130 interrupted (Ctrl-C);
141 the output was closed early (as `| head` does); 128+N stopped by signal N (SIGTERM,
SIGHUP)."""

# add_completion: --install-completion and --show-completion (typer's), and the values the
# options complete to (`complete_*` below). typer imports its completion machinery
# (shellingham included) on every run whether or not this is on; measured in the README.
app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="gradcli: compute gradients by reverse-mode automatic differentiation, "
    "and see every chain-rule step.\n\n" + EXIT_CODES,
)

# Commands that take a program and `--NAME VALUE` pairs read them from ctx.args themselves.
# -h is not a click option there (click would read "-h*2" as -h): Command turns a lone
# -h into --help where it is not an option's value and not after "--".
FREE_ARGS = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "help_option_names": ["--help"],
}


def _lone_h_is_help(command, args: list) -> list:
    """`-h` alone means --help, unless it is an option's value (`--a -h`, `-f -h`) or comes
    after `--`, where it is the program (`gradcli eval -- -h --h 2`). A program that starts
    with -h (`-h*2`) is not a lone -h; an input named h is given as `--h 2`."""
    takes_value = {
        o
        for p in command.params
        if not getattr(p, "is_flag", True)
        for o in (*p.opts, *p.secondary_opts)
    }
    known = {
        o
        for p in command.params
        for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))
    }
    out, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "-h":
            out.append("--help")
        elif arg in takes_value or (
            arg.startswith("--") and "=" not in arg and arg not in known and len(arg) > 2
        ):
            out.extend(args[i : i + 2])  # the option and its value
            i += 1
        else:
            out.append(arg)
        i += 1
    return out


class Command(TyperCommand):
    """A gradcli command: a lone -h is help (see _lone_h_is_help), and the help can end
    with lists drawn from gradcli's own tables (`more_help`, called only for --help)."""

    more_help = None  # a function returning [(section title, [(term, text), ...]), ...]

    def parse_args(self, ctx, args):
        if "-h" not in ctx.help_option_names:
            args = _lone_h_is_help(self, list(args))
        given = list(args)  # click's parser consumes the list it is given
        given = given[: given.index("--")] if "--" in given else given
        try:
            return super().parse_args(ctx, args)
        except _ClickUsageError as exc:
            if "--json" not in given:
                from ..core.visible import visible

                exc.message = visible(exc.message)  # it echoes a misspelt option
                raise
            # A bad option value under --json: the error as JSON too, exit 2 as click's.
            from .jsondoc import error_document

            doc = error_document(exc.format_message(), exc.exit_code)
            doc["detail"] = f"Try '{ctx.command_path} --help' for help."
            doc["kind"] = type(exc).__name__
            param = getattr(exc, "param", None)
            doc["fields"] = {"option": getattr(param, "opts", [None])[0] if param else None}
            import json

            sys.stderr.write(json.dumps(doc, indent=1) + "\n")
            raise typer.Exit(exc.exit_code) from None
        except ClickException as exc:  # click's own message echoes what the user typed
            from ..core.visible import visible

            exc.message = visible(exc.message)
            raise

    def format_epilog(self, ctx, formatter) -> None:
        if self.more_help is not None:
            for title, rows in type(self).more_help():
                with formatter.section(title):
                    formatter.write_dl(rows)
        super().format_epilog(ctx, formatter)


def command_class(more_help=None) -> type:
    """The `cls` for app.command: Command, with `more_help` for this command's --help."""
    return type("Command", (Command,), {"more_help": staticmethod(more_help)} if more_help else {})


def short_help(text: str) -> str:
    """A command's one-line summary for `gradcli --help`: its help's first line, whole."""
    return text.strip().split("\n", 1)[0]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """gradcli: gradients by reverse-mode automatic differentiation, step by step."""


# --- shell completion ---------------------------------------------------------------
# The values an option completes to, read from the tables that define them (never a
# copy), imported only when the shell asks: a normal run calls none of these.
def _starting(items, incomplete: str) -> list:
    """The (value, help) items whose value starts with what is typed so far."""
    return [item for item in items if item[0].startswith(incomplete or "")]


def complete_from(incomplete: str) -> list:
    """--from: how to read the program (language/dialects.py)."""
    from ..language.dialects import DIALECTS

    return _starting([(d, "") for d in DIALECTS], incomplete)


def complete_lang(incomplete: str) -> list:
    """code --lang: the languages code is written in (emit/codegen.py)."""
    from ..emit.codegen import LANGS

    return _starting([(lang, "") for lang in LANGS], incomplete)


def complete_mode(incomplete: str) -> list:
    """eval --mode (modes/forward_mode.py)."""
    from ..modes.forward_mode import MODES

    return _starting([(m, "") for m in MODES], incomplete)


def complete_lesson(incomplete: str) -> list:
    """explain --topic: the lessons, and the quiz's gate names each one teaches
    (tutor/topics.py TOPICS and GATES)."""
    from ..tutor.topics import GATES, TOPICS

    items = [(t.name, t.summary) for t in TOPICS.values()]
    items += [(gate, f"the lesson {lesson}") for gate, lesson in GATES.items()]
    return _starting(items, incomplete)


def complete_quiz_topic(incomplete: str) -> list:
    """quiz --topic: the quiz's topics, and explain's lessons on numbers
    (tutor/quizgen.py TOPICS and ALIASES, drawn from tutor/topics.py)."""
    from ..tutor.quizgen import ALIASES, TOPICS

    items = [(t, "") for t in TOPICS]
    items += [
        (lesson, "the lesson's gates: " + ", ".join(gates)) for lesson, gates in ALIASES.items()
    ]
    return _starting(items, incomplete)


# The options every program-taking command shares, declared once.
PROGRAM_USAGE = "[OPTIONS] PROGRAM [--NAME VALUE | NAME=VALUE]..."


def file_option():
    return typer.Option(
        None,
        "-f",
        "--file",
        metavar="FILE",
        help="Read the program from FILE (- for standard input).",
    )


def from_option():
    return typer.Option(
        None,
        "--from",
        metavar="auto|gradcli|python|js",
        autocompletion=complete_from,
        help="Read the program as code pasted from a tutorial: python "
        "(micrograd, CS231n) or js (the Hacker's guide). Default: "
        "from -f's extension (.py, .js), else auto (gradcli's own "
        "language, else what the code looks like).",
    )


def output_option():
    return typer.Option(
        None, "--output", metavar="NAME", help="Differentiate NAME instead of the last value."
    )


def values_option():
    return typer.Option(
        None,
        "--values",
        metavar="FILE",
        help="Read input values from FILE: .json (name -> number or nested "
        "list) or .npz. Values on the command line win.",
    )


def seed_option():
    return typer.Option(
        None,
        "--seed",
        metavar="N",
        help="Seed for values drawn at random (randn, rand, randint); default 0, so a run repeats.",
    )


def option_names(ctx) -> list:
    """A command's options, long and short, for read_invocation's hints."""
    return [o for p in ctx.command.params for o in getattr(p, "opts", ()) if o.startswith("-")]


def _file_for_output(exc, ctx):
    """`graph --output g.svg`: --output names a value, and g.svg cannot be one. The error
    then names the option that writes a file (-o/--out, --export), or a redirection."""
    from ..core.errors import UnknownName, UsageError

    name = getattr(exc, "name", "")
    if not (
        isinstance(exc, UnknownName)
        and exc.parameter == "output"
        and re.search(r"[./\\]", name)
        and ctx is not None
    ):
        return None
    writers = ["/".join(p.opts) for p in ctx.command.params if p.name in ("out_file", "export")]
    if writers:
        fix = f"to write {name}, use {' or '.join(w + ' ' + name for w in writers)}"
    else:
        fix = f"to save the output, redirect it: > {name}"
    return UsageError(
        f"--output {name}: --output names the value to differentiate, and "
        f"the program has no value named '{name}'",
        fix,
    )


def _fail(message: str, code: int, as_json: bool = False, exc=None) -> None:
    """The one place gradcli's errors are printed (under --json as a gradcli.error/1
    document): what the user gave (a value, a file's name, a misspelt option) is echoed
    with its control characters made visible (JSON escapes them itself)."""
    if as_json:
        from .jsondoc import error_text

        sys.stderr.write(error_text(message, code, exc))
    else:
        from ..core.visible import visible

        sys.stderr.write(visible(message.rstrip("\n")) + "\n")
    raise typer.Exit(code)


def _written_before() -> str:
    """The files written whole before a Ctrl-C, as a sentence ("" for none)."""
    from ..core.files import written

    if not written:
        return ""
    many = len(written) > 1
    return (
        f"{', '.join(written)} {'were' if many else 'was'} written whole before the "
        f"interrupt; {'they are' if many else 'it is'} complete"
    )


def wants_json(ctx) -> bool:
    """The command was given --json (its errors are then JSON too)."""
    return bool(ctx is not None and getattr(ctx, "params", {}).get("as_json"))


def guarded(action, ctx=None) -> None:
    """Run a command's body: gradcli's own errors become a message and an exit code.
    `ctx`, the command's context, lets an error name the command's own options, and says
    whether --json was given (errors are then a JSON document on stderr)."""
    if getattr(signal.getsignal(signal.SIGINT), "gradcli_startup", False):
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the command's own now
    as_json = wants_json(ctx)
    try:
        action()
        if sys.stdout is not None:
            sys.stdout.flush()  # a write error surfaces here, not at the interpreter's exit
    except GradcliError as exc:
        from .wording import cli_text

        exc = _file_for_output(exc, ctx) or exc
        if as_json:
            _fail(cli_text(exc), exc.exit_code, True, exc)
        _fail(f"error: {cli_text(exc)}", exc.exit_code)
    except KeyboardInterrupt as exc:
        # Under --json a program reading stderr is told why the document never came; a
        # file already put in place whole (-o, --export) stays, and the message says so.
        kept = _written_before()
        if as_json:
            _fail("interrupted" + (f"\n{kept}" if kept else ""), 130, True, exc)
        _fail(f"interrupted: {kept}" if kept else "", 130)
    except BrokenPipeError:
        _closed_pipe()
    except StreamError as exc:
        raise typer.Exit(stream_failed(exc, as_json)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug: say so without a traceback, unless asked for one
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        text = (
            f"internal error (a bug in gradcli, please report it): {type(exc).__name__}: "
            f"{exc}\nset GRADCLI_DEBUG=1 to see the traceback"
        )
        _fail(text, EXIT_INTERNAL, as_json, exc if as_json else None)


EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, what the shell reports for `... | head -1`
EXIT_IO = 1  # standard input or output closed or failing: the run could not be shown


def _discard_output() -> None:
    """Point stdout at /dev/null: what is still buffered cannot fail again at exit."""
    _Output.gone = True
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _closed_pipe() -> None:
    """The reader went away (`| head`): stop quietly with the shell's SIGPIPE status."""
    _discard_output()
    raise typer.Exit(EXIT_CLOSED_PIPE)


# --- standard streams ------------------------------------------------------------------
# The rule (README, "Exit codes"): standard output or input that is closed, or that fails
# (a full disk, a hung-up terminal), is an I/O error: exit 1, with a message on stderr
# when stderr can take one. A reader that closed the pipe is 141 on every output path.
# stderr never changes the status: a closed or full stderr loses its messages, no more.
class StreamError(OSError):
    """Standard input or output cannot be used; `what` says which, strerror why."""

    def __init__(self, code, reason: str, what: str):
        super().__init__(code, reason)
        self.what = what


class ReaderGone(BrokenPipeError):
    """EPIPE on stdout. No errno, so typer does not turn it into exit 1: gradcli's own
    handlers make it 141, whichever path wrote."""


class _Output(io.FileIO):
    """stdout's file descriptor, with its failures named as output failures."""

    gone = False  # after a failure: drop what is left instead of failing again at exit
    closed_at_start = False

    def write(self, data) -> int:
        if _Output.gone:
            return len(data)
        if self.closed_at_start:
            raise StreamError(errno.EBADF, "standard output is closed", "output")
        try:
            return super().write(data)
        except BrokenPipeError:
            raise ReaderGone("the reader closed the pipe") from None
        except OSError as exc:
            raise StreamError(exc.errno, exc.strerror or str(exc), "output") from None


class _VisibleErrors(io.TextIOWrapper):
    """stderr's text: every message (an error, a warning, click's usage errors) has its
    control characters made visible on the way out; colour codes (SGR) are kept."""

    def write(self, text) -> int:
        from ..core.visible import visible_keeping_styles

        super().write(visible_keeping_styles(text))
        return len(text)


class _Errors(io.FileIO):
    """stderr's file descriptor: a message that cannot be written is dropped."""

    def write(self, data) -> int:
        try:
            return super().write(data)
        except OSError:
            return len(data)


class _Input(io.FileIO):
    """stdin, closed when gradcli started: reading it is an I/O error."""

    def readinto(self, buffer):
        raise StreamError(errno.EBADF, "it is closed", "input")

    def readall(self):
        raise StreamError(errno.EBADF, "it is closed", "input")

    def read(self, size: int | None = -1):
        raise StreamError(errno.EBADF, "it is closed", "input")


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _standard_streams() -> None:
    """Checked standard streams for the real command line. A closed descriptor is first
    filled with /dev/null, so no file gradcli opens can take its number."""
    closed = [fd for fd in (0, 1, 2) if not _is_open(fd)]
    for fd in closed:
        devnull = os.open(os.devnull, os.O_RDWR)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)

    def text(stream, raw, buffered, wrapper=io.TextIOWrapper):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        return wrapper(
            buffered, encoding=encoding, errors="backslashreplace", line_buffering=raw.isatty()
        )

    if 0 in closed:
        sys.stdin = io.TextIOWrapper(
            io.BufferedReader(_Input(0, "rb", closefd=False)), encoding="utf-8"
        )
    out = _Output(1, "wb", closefd=False)
    out.closed_at_start = 1 in closed
    sys.stdout = text(sys.stdout, out, io.BufferedWriter(out))
    err = _Errors(2, "wb", closefd=False)
    sys.stderr = text(sys.stderr, err, io.BufferedWriter(err), _VisibleErrors)
    sys.stderr.reconfigure(line_buffering=True, write_through=True)


def stream_failed(exc: StreamError, as_json: bool = False) -> int:
    """Say that standard input or output failed; the exit status for it."""
    if exc.what == "output":
        _discard_output()
        message = f"cannot write the output: {exc.strerror}"
    else:
        message = f"cannot read standard input: {exc.strerror}"
    if as_json:
        from .jsondoc import error_text

        sys.stderr.write(error_text(message, EXIT_IO, exc))
    else:
        sys.stderr.write("error: " + message + "\n")
    return EXIT_IO


def _columns_env():
    """COLUMNS as a number, or None when it is unset or not a number."""
    columns = os.environ.get("COLUMNS", "").strip()
    return int(columns) if columns.isdigit() else None


def piped_width() -> int:
    """The width for output that is not a terminal (`gradcli explain | less`): COLUMNS
    when set, else the terminal the user is looking at (the controlling tty, or stderr's),
    else 80; never less than fit.MIN_WIDTH."""
    from .fit import MIN_WIDTH

    columns = _columns_env()
    if columns is not None:
        return max(MIN_WIDTH, columns)
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        fd = None
    try:
        for probe in ([fd] if fd is not None else []) + [sys.stderr]:
            try:
                size = os.get_terminal_size(probe if isinstance(probe, int) else probe.fileno())
            except (OSError, ValueError, AttributeError):
                continue
            if size.columns > 0:
                return max(MIN_WIDTH, size.columns)
    finally:
        if fd is not None:
            os.close(fd)
    return 80


def terminal_width():
    """The width at a terminal: None (rich follows the terminal) unless COLUMNS or the
    terminal is narrower than fit.MIN_WIDTH, which is then used instead."""
    from .fit import MIN_WIDTH

    columns = _columns_env()
    if columns is None:
        try:
            columns = os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return None
    return None if columns >= MIN_WIDTH else MIN_WIDTH


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
            # Every printed text, user text included (a comment, a quiz title), has its
            # control characters made visible; rich's own codes are in styles and controls.
            from rich.segment import Segment

            from ..core.visible import visible

            buffer = [s if s.control else Segment(visible(s.text), s.style) for s in buffer]
            return _strip_trailing(super()._render_buffer(buffer))

    if not sys.stdout.isatty():
        options.setdefault("width", piped_width())
    elif terminal_width() is not None:
        options.setdefault("width", terminal_width())
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
    from ..__main__ import quiet_start

    quiet_start()  # already done by the entry point; here for those who call main() directly
    _standard_streams()
    code: int | str | None  # what sys.exit takes
    try:
        app(prog_name="gradcli")
        code = 0
    except SystemExit as exc:
        code = exc.code
    except StreamError as exc:  # from typer's own output: help, --version
        code = stream_failed(exc)
    except BrokenPipeError:
        _discard_output()
        code = EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        code = 130
    try:
        sys.stdout.flush()
    except StreamError as exc:
        code = stream_failed(exc) if code in (0, None) else code
    except BrokenPipeError:
        _discard_output()
        code = EXIT_CLOSED_PIPE if code in (0, None) else code
    sys.exit(code)


_load_commands()
