"""`gradcli quiz`: practice questions whose wrong answers are diagnosed."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Optional

import typer

from ..app import (
    EXIT_CODES,
    app,
    command_class,
    complete_quiz_topic,
    guarded,
    make_console,
    short_help,
    stdout_unicode,
)

QUIZ_HELP = """Practise backprop: questions on small programs, each asking one number.

A wrong answer is diagnosed: if it is what a known mistake gives (dividing by the local
derivative instead of multiplying, forgetting the adjoint from above, counting only one
path of a value used twice, ...) the mistake is named and explained with the question's
numbers, then the correct chain-rule steps are shown.

Answer with a number, a fraction (3/4) or arithmetic (2*3 - 1, sigmoid(2)); type hint
(or ?) for the local rule, skip to move on, quit to stop. --script FILE.toml runs a
teacher's questions; --answers FILE (or -) reads one answer per line instead of asking.

A plain number is right when it is the exact answer rounded to the significant digits
typed, at least 4 of them (0.1050 for 0.104994..., 12350 for 12345.6), or within a
relative 1e-6; an integer such as 0 or -2 is right only when the answer is that integer (0
also for an exact 0 that float rounding left within 1e-12). Arithmetic is right within
a relative 1e-3 (exactly, when the answer is an integer).

--check-script FILE.toml checks a quiz file without asking anything: it lists each
question on which a known mistake gives the right answer, or two mistakes give numbers
an answer cannot tell apart. Exit 0 when every question is fair, 1 when some are not
(each is listed with what to change), 2 when the file cannot be read. A --script run
prints the same list on stderr as warnings before the first question.
"""

# Written out, not imported from quizgen (which loads the engine): start-up time matters.
# A test checks it against quizgen.TOPICS and quizgen.ALIASES.
TOPICS_HELP = (
    "add, chain, div, exp, fan-out, max, mul, neuron, pow, quotient, relu, "
    "sigmoid, sub, tanh; or explain's lessons: multiply, division (div and "
    "quotient), max-relu (max and relu), forward-vs-reverse (chain). gradcli "
    "explain --topic takes the same names"
)

PROMPT = "> "
COMMANDS_LINE = "answer with a number, 3/4 or 2*3 - 1; or type hint, skip, quit"


@app.command(
    "quiz",
    help=QUIZ_HELP,
    epilog=EXIT_CODES,
    short_help=short_help(QUIZ_HELP),
    cls=command_class(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
def quiz_command(
    ctx: typer.Context,
    level: Optional[int] = typer.Option(
        None,
        "--level",
        min=1,
        max=3,
        help="1 one gate, 2 chains and functions, "
        "3 fan-out, neurons, deeper programs [default: 1].",
    ),
    count: int = typer.Option(5, "--count", min=1, max=100, help="How many questions."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Make the questions reproducible."),
    topic: Optional[str] = typer.Option(
        None,
        "--topic",
        metavar="NAME",
        autocompletion=complete_quiz_topic,
        help="Only questions on NAME: " + TOPICS_HELP + ".",
    ),
    script: Optional[str] = typer.Option(
        None, "--script", metavar="FILE.toml", help="Ask the questions in a quiz file."
    ),
    check_script: Optional[str] = typer.Option(
        None,
        "--check-script",
        metavar="FILE.toml",
        help="Check that no known mistake passes for a right answer in a quiz file, and "
        "that mistakes give numbers apart; ask nothing. Exit 0 fair, 1 unfair questions "
        "listed, 2 unreadable file.",
    ),
    answers: Optional[str] = typer.Option(
        None, "--answers", metavar="FILE", help="Read answers from FILE, one a line (- for stdin)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print only a JSON report of the run (or of --check-script)."
    ),
    pass_mark: Optional[float] = typer.Option(
        None,
        "--pass-mark",
        min=0,
        max=100,
        metavar="PERCENT",
        help="Exit 1 when the score is below PERCENT.",
    ),
    ascii_only: bool = typer.Option(False, "--ascii", help="Plain ASCII notation (dx, not x̄)."),
    review: bool = typer.Option(
        False,
        "--review",
        help="Questions on your weak topics, as flash cards are scheduled (see gradcli progress).",
    ),
    db: Optional[str] = typer.Option(
        None,
        "--db",
        metavar="FILE",
        help="The progress store [default: GRADCLI_DB, else "
        "$XDG_DATA_HOME/gradcli/progress.sqlite3].",
    ),
    no_save: bool = typer.Option(False, "--no-save", help="Do not record the answers."),
) -> None:
    outcome: dict = {}

    def run() -> None:
        from ...core.notation import Notation
        from ...tutor.quiz import report, score, session
        from . import progress

        nt = Notation(ascii_only or not stdout_unicode())
        if check_script is not None:
            outcome["unfair"] = _check(
                check_script, nt, script, level, seed, topic, answers, as_json, pass_mark
            )
            return
        if review:
            _no_review_with(script, level, topic)
            questions, title = progress.review_set(db, count, seed)
        else:
            questions, title = _questions(script, level, count, seed, topic, nt)
        reader = _reader(answers, echo=not as_json)
        view = (
            None
            if as_json
            else View(make_console(), nt, prompted=getattr(reader, "prompts", False))
        )
        with nullcontext() if no_save else progress.recording(db, review) as recorder:
            outcomes, stopped = session(
                questions,
                reader,
                view,
                title,
                interactive=answers is None and not as_json,
                record=recorder and recorder.record,
            )
        if view is None:  # --json
            from ..jsondoc import document, dumps

            sys.stdout.write(dumps(document("quiz", report(questions, outcomes))) + "\n")
        else:
            view.summary(questions, outcomes, stopped)
        outcome["percent"] = 100.0 * score(outcomes) / len(questions)

    guarded(run, ctx)
    if outcome.get("unfair"):
        raise typer.Exit(1)
    if pass_mark is not None and outcome.get("percent", 100.0) < pass_mark:
        raise typer.Exit(1)


def _check(path: str, nt, script, level, seed, topic, answers, as_json, pass_mark) -> int:
    """--check-script: each unfair question with what to change, on stdout. Returns how
    many problems were found."""
    from ...core.errors import UsageError
    from ...tutor.quizscript import check, load, where
    from ...tutor.quiztext import unfair_lines

    given = [
        name
        for name, v in (
            ("--script", script),
            ("--level", level),
            ("--seed", seed),
            ("--topic", topic),
            ("--answers", answers),
            ("--pass-mark", pass_mark),
        )
        if v is not None
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot be used with --check-script",
            "--check-script only checks the file; run it with --script",
        )
    loaded = load(path)
    found = check(loaded)
    if as_json:
        from ...tutor.quiztext import unfair_record
        from ..jsondoc import document, dumps

        problems = [{"question": n, "id": q.id, **unfair_record(q, u, nt)} for n, q, u in found]
        doc = {
            "file": path,
            "questions": len(loaded.questions),
            "unfair": len({n for n, _, _ in found}),
            "fair": not found,
            "problems": problems,
        }
        sys.stdout.write(dumps(document("quizcheck", doc)) + "\n")
        sys.stdout.flush()
        return len(found)
    from ...core.visible import visible

    out = _Visible(sys.stdout, visible)
    for n, q, u in found:
        lines = unfair_lines(q, u, nt)
        out.write(f"{where(loaded, n, q)}: {lines[0]}\n")
        for line in lines[1:]:
            out.write(line + "\n")
    total = len(loaded.questions)
    if found:
        bad = len({n for n, _, _ in found})
        out.write(f"{path}: {bad} of {total} question{'s' if total > 1 else ''} unfair\n")
    else:
        out.write(
            f"{path}: all {total} question{'s' if total > 1 else ''} fair: no known "
            "mistake gives a right answer, and the mistakes give numbers apart\n"
        )
    out.flush()
    return len(found)


def _no_review_with(script, level, topic) -> None:
    from ...core.errors import UsageError

    given = [
        name
        for name, v in (("--script", script), ("--level", level), ("--topic", topic))
        if v is not None
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot be used with --review",
            "--review chooses the topics from your recorded answers",
        )


def _questions(
    script: Optional[str],
    level: Optional[int],
    count: int,
    seed: Optional[int],
    topic: Optional[str],
    nt=None,
) -> tuple:
    """(questions, title): a teacher's quiz file, else generated questions. A quiz file's
    unfair questions are warned about on stderr first."""
    from ...core.errors import UsageError

    if script is not None:
        given = [
            name
            for name, v in (("--level", level), ("--seed", seed), ("--topic", topic))
            if v is not None
        ]
        if given:
            raise UsageError(f"{', '.join(given)} cannot be used with --script")
        from ...tutor.quizscript import check, load, where
        from ...tutor.quiztext import unfair_lines

        loaded = load(script)
        for n, q, u in check(loaded):
            lines = unfair_lines(q, u, nt)
            sys.stderr.write(f"warning: {where(loaded, n, q)}: {lines[0]}\n")
            for line in lines[1:]:
                sys.stderr.write(line + "\n")
        sys.stderr.flush()
        return loaded.questions, loaded.title
    from ...tutor.quizgen import generate

    if topic is not None:
        from ...tutor.quiz import NOT_FOR_ARRAYS
        from ...tutor.topics import TOPICS as LESSONS

        if topic in LESSONS and LESSONS[topic].arrays:
            raise UsageError(
                f"explain's lesson '{topic}' is on arrays, and {NOT_FOR_ARRAYS}",
                f"read it with gradcli explain --topic {topic}; gradcli quiz "
                f"--topic takes the lessons on numbers",
            )
    # A topic alone draws from every level; with neither, a quiz starts at level 1.
    return generate(level if level is not None or topic else 1, count, seed, topic), ""


class _Visible:
    """A stream whose text has its control characters made visible (core/visible.py)."""

    def __init__(self, stream, visible):
        self.stream, self.visible = stream, visible

    def write(self, text: str) -> int:
        return self.stream.write(self.visible(text))

    def __getattr__(self, name):  # flush and the rest: the stream's own
        return getattr(self.stream, name)


# --- where answers come from ------------------------------------------------------------
def _reader(answers: Optional[str], echo: bool):
    """A function returning the next line (without its newline), or None at the end.

    At a terminal the line is read with the standard library's readline where it exists
    (Linux, macOS): arrow keys edit the answer and up/down recall earlier answers of this
    session (kept in memory only, never written to a file). Such a reader shows the
    prompt itself (`prompts`), so readline can redraw the line."""
    if answers is None and echo and sys.stdin.isatty() and sys.stdout.isatty():
        try:
            import readline  # noqa: F401  (input() edits lines once it is loaded)

            editing = True
        except ImportError:  # Windows, or a Python built without it: plain lines
            editing = False
        if editing:

            def edited() -> Optional[str]:
                try:
                    return input(PROMPT)
                except EOFError:
                    sys.stdout.write("\n")
                    return None

            edited.prompts = True  # type: ignore[attr-defined]  # read with getattr(reader, ...)
            return edited
    if answers is None or answers == "-":
        stream = sys.stdin
    else:
        from ...core.errors import UsageError
        from ...core.limits import QUIZ_BYTES, read_file_at_most

        try:
            lines = (
                read_file_at_most(answers, QUIZ_BYTES, f"the answers file {answers}")
                .decode("utf-8")
                .splitlines()
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read the answers file {answers}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        it = iter(lines)
        stream = None

    def next_line() -> Optional[str]:
        if stream is None:
            line = next(it, None)
        else:
            # Read lines ourselves: rich's FloatPrompt with a stream loops forever at EOF.
            line = stream.readline()
            line = line.rstrip("\r\n") if line else None
        if echo and answers is not None and line is not None:
            from ...core.visible import visible

            sys.stdout.write(visible(line, lines=False) + "\n")
        return line

    return next_line


# --- what the learner sees --------------------------------------------------------------
class View:
    """The quiz at the terminal. Hints, verdicts and the tables' rows are worded in
    tutor/quiztext.py; here every line goes through the notation (ASCII or not) and the
    tables are drawn with rich."""

    def __init__(self, console, nt, prompted: bool = False):
        self.console, self.nt = console, nt
        self.prompted = prompted  # the reader shows the prompt (readline's input())

    def say(self, text: str = "") -> None:
        from rich.text import Text

        self.console.print(Text(self.nt.text(text)))

    def start(self, title: str, total: int) -> None:
        if title:
            self.say(title)
            self.say()

    def question(self, n: int, total: int, q, first: bool) -> None:
        from ...core.notation import fmt
        from ...tutor.quiztext import asked

        about = f"level {q.level}, {q.topic}" if q.level else q.id
        self.say(f"Question {n} of {total}  ({about})")
        from ...core.visible import visible

        for line in q.source.strip().split("\n"):  # a comment's CR or U+2028 is shown
            self.say("    " + visible(line.rstrip("\r")))
        if q.inputs:
            self.say("  with " + ", ".join(f"{k} = {fmt(float(v))}" for k, v in q.inputs.items()))
        self.say(q.prompt if q.prompt else asked(q, self.nt))
        if first:
            self.say(f"({COMMANDS_LINE})")

    def prompt(self) -> None:
        if self.prompted:
            return
        self.console.file.write(PROMPT)
        self.console.file.flush()

    def hint(self, q) -> None:
        from ...tutor.quiztext import hint_lines

        for line in hint_lines(q, self.nt):
            self.say(line)

    def skipped(self, q) -> None:
        from ...core.notation import fmt

        self.say(f"skipped: the answer was {fmt(q.expected)}")
        self.steps(q)
        self.say()

    def unreadable(self, o) -> None:
        self.say(f"could not read that answer: {o.problem}")
        self.say(f"({COMMANDS_LINE})")

    def feedback(self, q, o) -> None:
        from ...tutor.quiztext import verdict_lines

        for line in verdict_lines(q, o, self.nt):
            self.say(line)
        if not o.correct:
            self.steps(q)
        if q.explain:
            self.say(q.explain)
        self.say()

    def steps(self, q) -> None:
        """The correct steps: the rows `gradcli eval` shows."""
        from ...tutor.quiztext import steps_table

        nt = self.nt
        title, columns, rows = steps_table(q, nt)
        self._table(nt.text(title), columns, [[nt.text(cell) for cell in row] for row in rows])

    def summary(self, questions: list, outcomes: list, stopped=None) -> None:
        from ...tutor.quiz import score
        from ...tutor.quiztext import SCORE_COLUMNS, score_rows

        self._table("Score", SCORE_COLUMNS, score_rows(questions, outcomes, stopped, self.nt))
        self.say(f"Score: {score(outcomes)} of {len(questions)}")

    def _table(self, title: str, columns, rows) -> None:
        """Drawn as `gradcli eval` draws its tables; cells are text as given, not markup."""
        from ..fit import FitTable

        self.console.print(FitTable(columns, rows, title=title, ascii=self.nt.ascii))
