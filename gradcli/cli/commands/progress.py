"""`gradcli progress`: what the recorded quiz answers say; export, reset, a teacher's merge.
Also the quiz's side of the store (recording, --review), imported by `gradcli quiz`."""

from __future__ import annotations

import shlex
import sys
from contextlib import contextmanager
from typing import Optional

import typer

from ..app import EXIT_CODES, app, command_class, guarded, make_console, short_help, stdout_unicode

PROGRESS_HELP = """Your quiz progress: weak spots, trends and what to practise next.

Per topic and per mistake: how often seen, how often right in the last 10, the trend;
accuracy per quiz session as a small chart; your three weakest spots.

Every answered quiz question is recorded (unless gradcli quiz --no-save) in
$XDG_DATA_HOME/gradcli/progress.sqlite3 (default ~/.local/share/gradcli/), or in
GRADCLI_DB, or in --db FILE. --export FILE.csv|FILE.json writes the answers out;
--reset deletes them (asks first; --yes for scripts); --merge A.json B.json ... makes a
teacher's table of several learners' exported JSON files.
"""


def db_option():
    return typer.Option(
        None,
        "--db",
        metavar="FILE",
        help="The progress store [default: GRADCLI_DB, else "
        "$XDG_DATA_HOME/gradcli/progress.sqlite3].",
    )


def store_path(db: Optional[str]):
    from pathlib import Path

    from ...core.errors import UsageError
    from ...tutor.progress import default_path

    path = Path(db).expanduser() if db else default_path()
    if path.is_dir():  # never a store: say so before a quiz starts, not after it
        where = f"--db {db}" if db else f"the progress store {path}"
        raise UsageError(
            f"{where}: that is a folder", f"give a file name, e.g. {path / 'progress.sqlite3'}"
        )
    return path


def review_command(db: Optional[str]) -> str:
    return "gradcli quiz --review" + (f" --db {shlex.quote(db)}" if db else "")


@app.command(
    "progress",
    help=PROGRESS_HELP,
    epilog=EXIT_CODES,
    short_help=short_help(PROGRESS_HELP),
    cls=command_class(),
    context_settings={"help_option_names": ["-h", "--help"]},
)
def progress_command(
    ctx: typer.Context,
    files: Optional[list[str]] = typer.Argument(
        None, metavar="[FILE.json]...", help="With --merge: exported files."
    ),
    db: Optional[str] = db_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ascii_only: bool = typer.Option(False, "--ascii", help="Plain ASCII chart and tables."),
    export: Optional[str] = typer.Option(
        None, "--export", metavar="FILE.csv|FILE.json", help="Write every recorded answer to FILE."
    ),
    reset: bool = typer.Option(False, "--reset", help="Delete every recorded answer."),
    yes: bool = typer.Option(False, "--yes", help="With --reset: do not ask."),
    merge: bool = typer.Option(
        False, "--merge", help="Summarise exported JSON files of several learners."
    ),
) -> None:
    def run() -> None:
        from ...core.errors import UsageError

        actions = [
            name
            for name, on in (
                ("--export", export is not None),
                ("--reset", reset),
                ("--merge", merge),
            )
            if on
        ]
        if len(actions) > 1:
            raise UsageError(f"{' and '.join(actions)} cannot be used together")
        if files and not merge:
            raise UsageError(
                f"unexpected argument {files[0]!r}", "files are read with --merge A.json B.json"
            )
        if yes and not reset:
            raise UsageError("--yes goes with --reset")
        ascii = ascii_only or not stdout_unicode()
        if merge:
            return _merge(files or [], as_json, ascii)
        path = store_path(db)
        if reset:
            return _reset(path, yes)
        rows = _read(path)
        if export is not None:
            from ...tutor.progress import export_kind, export_text
            from ..outfile import write_file

            write_file(export, export_text(rows, export_kind(export)))
            sys.stderr.write(f"wrote {len(rows)} answers to {export}\n")
            return
        from ...tutor.progress import summary

        s = summary(rows)
        # --review draws on the generator's topics; answers to quiz files have none.
        suggest = (
            review_command(db)
            if any(t["topic"] for t in s["topics"])
            else "gradcli quiz" + (f" --db {shlex.quote(db)}" if db else "")
        )
        if as_json:
            from ..jsondoc import document, dumps

            sys.stdout.write(
                dumps(document("progress", dict(s, store=str(path), suggest=suggest))) + "\n"
            )
            return
        from ..render_progress import render_summary

        render_summary(make_console(), s, str(path), suggest, ascii)

    guarded(run, ctx)


def _read(path) -> list:
    """The recorded answers; none when there is no store yet (nothing is created)."""
    from ...tutor.progress import fallback_files, open_store

    if not path.exists() and not fallback_files(path):
        return []
    with open_store(path) as store:
        _say_merged(store.merged)
        return store.rows()


def _say_merged(merged: list) -> None:
    for name, added in merged:
        sys.stderr.write(
            f"added {added} answers kept in {name} earlier (the store could not "
            f"be written then); that file is removed\n"
        )


def _reset(path, yes: bool) -> None:
    from ...tutor.progress import StoreError, fallback_files, open_store

    kept = fallback_files(path)
    store = None
    if path.exists():
        try:
            store = open_store(path)
        except StoreError as exc:
            if exc.reason != "damaged":
                raise
    if store is None:
        return _reset_store(path, None, kept, yes)
    with store:  # closed however the question ends: no, Ctrl-C, a closed stdin
        return _reset_store(path, store, kept, yes)


def _reset_store(path, store, kept: list, yes: bool) -> None:
    from ...core.errors import UsageError
    from ...core.visible import visible
    from ...tutor.progress import remove_store

    shown = visible(str(path))  # a file's name is shown, never obeyed
    what = (
        f"the {store.count()} recorded answers in {shown}"
        if store is not None
        else f"the damaged store {shown}"
        if path.exists()
        else f"nothing in {shown}"
    )
    if kept:
        what += (
            f" and {len(kept)} file{'s' if len(kept) > 1 else ''} of answers kept "
            f"when the store could not be written"
        )
    if store is None and not path.exists() and not kept:
        sys.stdout.write(f"There is no progress store at {shown}; nothing to delete.\n")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "--reset deletes every recorded answer, and there is no terminal to ask",
                "add --yes to delete them without asking",
            )
        sys.stdout.write(f"Delete {what}? [y/N] ")
        sys.stdout.flush()
        reply = sys.stdin.readline().strip().lower()
        if reply not in ("y", "yes"):
            sys.stdout.write("Nothing was deleted.\n")
            return
    if store is not None:
        # Rows are deleted rather than the file, so a quiz writing now keeps its answers.
        store.clear()
        store.close()
        for p in kept:
            p.unlink()
    else:
        remove_store(path)
    sys.stdout.write(f"Deleted {what}.\n")


def _merge(files: list, as_json: bool, ascii: bool) -> None:
    from ...core.errors import UsageError
    from ...tutor.progress import merge

    if not files:
        raise UsageError("--merge needs the exported files: gradcli progress --merge A.json B.json")
    m = merge(files)
    if as_json:
        from ..jsondoc import document, dumps

        sys.stdout.write(dumps(document("progress-merge", m)) + "\n")
        return
    from ..render_progress import render_merge

    render_merge(make_console(), m, ascii)


# --- the quiz's side --------------------------------------------------------------------
@contextmanager
def recording(db: Optional[str], review: bool):
    """The quiz's recorder, for a `with` block: its store is closed when the quiz ends,
    however it ends; then, if answers could not be written there, says why and where
    they are."""
    from ...tutor.progress import Recorder

    with Recorder(store_path(db), review=review) as recorder:
        try:
            _say_merged(recorder.merged)
            yield recorder
        finally:
            recorder.close()
            _say_problem(recorder)


def _say_problem(recorder) -> None:
    if recorder.problem is None:
        return
    exc = recorder.problem
    lines = [f"warning: {exc.message}"]
    if recorder.kept:
        n = recorder.kept
        lines.append(
            f"the {n} answer{'s' if n > 1 else ''} of this quiz {'were' if n > 1 else 'was'} "
            f"kept in {recorder.fallback}"
        )
        they = "they are" if n > 1 else "it is"
        if recorder.fallback_merges:
            lines.append(f"{they} added to the store the next time it opens")
        else:
            lines.append(
                f"move that file beside the store, as "
                f"{recorder.path.name}.unsaved-NAME.jsonl, and {they} added to it "
                f"the next time it opens"
            )
    lines.append(exc.detail)
    sys.stderr.write("\n".join(line for line in lines if line) + "\n")


def review_set(db: Optional[str], count: int, seed: Optional[int]) -> tuple:
    """(questions, title) for quiz --review."""
    from ...core.errors import UsageError
    from ...tutor.review import INTERVALS, review_questions

    path = store_path(db)
    rows = _read(path)
    questions, deck = review_questions(rows, count, seed)
    if not questions:
        raise UsageError(
            f"nothing to review: {path} has no answers to generated quiz questions yet",
            "take a quiz first: gradcli quiz" + (f" --db {shlex.quote(db)}" if db else ""),
        )
    asked = {q.topic for q in questions}
    cards = ", ".join(f"{c.topic} (box {c.box})" for c in deck if c.topic in asked)
    due = [c for c in deck if c.due]
    when = "due now" if due else "none is due yet, so the nearest to due"
    title = (
        f"Review: {len(questions)} question{'s' if len(questions) > 1 else ''} on "
        f"{cards}; {when}. A right answer moves a topic up a box, a wrong one back to "
        f"box 1; a topic in box {', '.join(str(k) for k in INTERVALS)} comes back after "
        f"{', '.join(str(v) for v in INTERVALS.values())} quiz sessions."
    )
    return questions, title
