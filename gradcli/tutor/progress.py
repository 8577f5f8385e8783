"""The learner's progress: every answered quiz question, kept in SQLite; summaries of it.

Nothing here prints. The store is one SQLite file (the standard library's sqlite3):
`$XDG_DATA_HOME/gradcli/progress.sqlite3` (default `~/.local/share/gradcli/`), or the
path in GRADCLI_DB, or the command line's `--db FILE`.

- The schema is versioned with `PRAGMA user_version`; MIGRATIONS is an ordered list and
  a store at version n gets the steps after n, in one transaction, when it is opened.
- WAL mode and a busy timeout (GRADCLI_DB_TIMEOUT seconds, default 10): two quiz
  sessions writing at once wait for each other's short transactions, one per answer.
- An answer that cannot be written (the file is damaged, locked past the timeout, or
  cannot be created) is kept in a fallback file beside the store,
  `<store>.unsaved-<time>-<pid>.jsonl`, one answer a line; the next time the store
  opens, those files are added to it (each answer carries a unique id, so an answer is
  never added twice) and removed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from ..core.errors import UsageError

STORE_NAME = "progress.sqlite3"
RECENT = 10  # "lately": the last RECENT answers on a topic, or chances at a mistake
TREND_STEP = 0.1  # a change of accuracy smaller than this between windows is "steady"
EXPORT_FORMAT = "gradcli-progress"

# Each answer as a row. The columns of the table, in order; JSON columns are lists/dicts.
COLUMNS = (
    "uid",
    "answered_at",
    "session",
    "question_id",
    "program",
    "inputs",
    "ask",
    "prompt",
    "level",
    "topic",
    "answer",
    "value",
    "expected",
    "correct",
    "skipped",
    "misconceptions",
    "possible",
    "seconds",
    "review",
)
JSON_COLUMNS = ("inputs", "misconceptions", "possible")
BOOL_COLUMNS = ("correct", "skipped", "review")

# The columns that need a word (SQL comments would start with two dashes, which this
# layer keeps for the command line's options):
#   uid: a random id: merging never adds a row twice
#   answered_at: UTC, ISO 8601
#   session: one quiz run
#   inputs: JSON: name -> number
#   ask: "grad a", "adjoint x", "value f"
#   topic: the generator's topic; NULL for a quiz file
#   answer: what was typed; NULL when skipped
#   misconceptions: JSON list: the mistakes the answer matched
#   possible: JSON list: the mistakes the question could show
#   seconds: from the question shown to the answer
#   review: asked by a review (tutor/review.py)
MIGRATIONS = [
    # 1: one row per answered (or skipped) question.
    """CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        answered_at TEXT NOT NULL,
        session TEXT NOT NULL,
        question_id TEXT,
        program TEXT NOT NULL,
        inputs TEXT NOT NULL,
        ask TEXT NOT NULL,
        prompt TEXT,
        level INTEGER,
        topic TEXT,
        answer TEXT,
        value REAL,
        expected REAL NOT NULL,
        correct INTEGER NOT NULL,
        skipped INTEGER NOT NULL,
        misconceptions TEXT NOT NULL,
        possible TEXT NOT NULL,
        seconds REAL,
        review INTEGER NOT NULL
    )""",
    "CREATE INDEX answers_topic ON answers(topic)",
]


class StoreError(UsageError):
    """The progress store cannot be used.

    path    the store
    reason  "damaged", "locked", "newer", "cannot open", "disk full"
    cause   the SQLite or OS message
    """

    def __init__(self, path, reason: str, cause: str):
        self.path, self.reason, self.cause = str(path), reason, cause
        advice = {
            "damaged": "the file is not a gradcli progress store (or it is damaged); move "
            "it aside and a new store is started",
            "locked": "another program holds the store locked; try again when it has finished",
            "newer": "it was written by a newer gradcli; upgrade gradcli to read it",
            "cannot open": "check that its folder exists and can be written",
            "disk full": "writing beside it failed (the disk is full, or a limit on file "
            "sizes was reached); the store is kept as it was: free some space and try again",
        }[reason]
        super().__init__(f"cannot use the progress store {path}: {cause}", advice)


def default_path(environ=None) -> Path:
    """GRADCLI_DB, else $XDG_DATA_HOME/gradcli/progress.sqlite3 (~/.local/share/...)."""
    env = os.environ if environ is None else environ
    if env.get("GRADCLI_DB"):
        return Path(env["GRADCLI_DB"]).expanduser()
    home = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(home) / "gradcli" / STORE_NAME


def busy_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("GRADCLI_DB_TIMEOUT", "10")))
    except ValueError:
        return 10.0


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _reason(exc: Exception) -> str:
    if isinstance(exc, _Newer):
        return "newer"
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if "unable to open" in text or isinstance(exc, OSError):
        return "cannot open"
    if "disk i/o error" in text or "disk is full" in text:  # SQLite's words for ENOSPC, EFBIG
        return "disk full"
    return "damaged"


# --- rows -------------------------------------------------------------------------------
def answer_row(q, outcome, seconds: Optional[float], session: str, review: bool = False) -> dict:
    """One answered question as a row (`q` a tutor.quiz.Question, `outcome` its Outcome)."""
    from .misconceptions import predictions

    try:
        possible = sorted({p.id for p in predictions(q.situation)})
    except Exception:  # a question the catalogue cannot redo still gets recorded
        possible = []
    found = [p.id for p in outcome.mistakes]
    return {
        "uid": uuid.uuid4().hex,
        "answered_at": now(),
        "session": session,
        "question_id": q.id,
        "program": q.source,
        "inputs": dict(q.inputs),
        "ask": q.ask,
        "prompt": q.prompt,
        "level": q.level,
        "topic": q.topic,
        "answer": outcome.answer,
        "value": outcome.value,
        "expected": q.expected,
        "correct": bool(outcome.correct),
        "skipped": outcome.answer is None,
        "misconceptions": found,
        "possible": possible,
        "seconds": None if seconds is None else round(seconds, 3),
        "review": bool(review),
    }


def _to_sql(row: dict) -> tuple:
    out = []
    for c in COLUMNS:
        v = row.get(c)
        if c in JSON_COLUMNS:
            v = json.dumps(v if v is not None else ([] if c != "inputs" else {}))
        elif c in BOOL_COLUMNS:
            v = int(bool(v))
        out.append(v)
    return tuple(out)


def _from_sql(values) -> dict:
    row = dict(zip(COLUMNS, values))
    for c in JSON_COLUMNS:
        row[c] = json.loads(row[c]) if row[c] else ([] if c != "inputs" else {})
    for c in BOOL_COLUMNS:
        row[c] = bool(row[c])
    return row


def check_row(row) -> dict:
    """A row read from an exported or fallback file, checked; raises ValueError."""
    if not isinstance(row, dict):
        raise ValueError("an answer is not an object")
    missing = [
        c
        for c in ("uid", "answered_at", "session", "program", "ask", "expected", "correct")
        if c not in row
    ]
    if missing:
        raise ValueError(f"an answer has no {', '.join(missing)}")
    out = {c: row.get(c) for c in COLUMNS}
    for c in JSON_COLUMNS:
        if out[c] is None:
            out[c] = {} if c == "inputs" else []
    for c in BOOL_COLUMNS:
        out[c] = bool(out[c])
    if not isinstance(out["misconceptions"], list) or not isinstance(out["possible"], list):
        raise ValueError("an answer's misconceptions are not a list")
    return out


# --- the store --------------------------------------------------------------------------
class Store:
    """An open store. Every write is its own short transaction. Use it in a `with`
    block (or call close()): its connection is closed when the block ends, however it
    ends, never left to the garbage collector."""

    def __init__(self, path, timeout: Optional[float] = None, create: bool = True):
        self.path = Path(path)
        self.merged: list = []  # (fallback file, answers added) taken in on opening
        timeout = busy_timeout() if timeout is None else timeout
        if not create and not self.path.exists():
            raise StoreError(self.path, "cannot open", "no such file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                self.path,
                "cannot open",
                f"cannot create its folder {self.path.parent}: {_cause(exc)}",
            ) from None
        try:
            self.db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(self.path, _reason(exc), _cause(exc)) from None
        try:
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._wal(timeout)
            self._migrate()
            self._merge_fallbacks()
        except BaseException as exc:  # a half-opened store is closed, whatever stopped it
            self.db.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(self.path, _reason(exc), _cause(exc)) from None
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _wal(self, timeout: float) -> None:
        """Switch to WAL mode (kept in the file: a no-op once done). Two processes creating
        the store at once race for the switch, and SQLite can answer the loser "database
        is locked" at once, without waiting on the busy timeout: so wait here."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise _Newer(version)
        if version == len(MIGRATIONS):
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: another process may have migrated meanwhile.
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for step in MIGRATIONS[version:]:
                self.db.execute(step)
            self.db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def insert(self, rows: list) -> int:
        """Add rows in one transaction (a row whose uid is there already is skipped)."""
        placeholders = ", ".join("?" for _ in COLUMNS)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            before = self.db.total_changes
            self.db.executemany(
                f"INSERT OR IGNORE INTO answers ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                [_to_sql(r) for r in rows],
            )
            added = self.db.total_changes - before
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return added

    def rows(self) -> list:
        cur = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM answers ORDER BY id")
        return [_from_sql(v) for v in cur.fetchall()]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM answers").fetchone()[0]

    def clear(self) -> int:
        n = self.count()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM answers")
        self.db.execute("COMMIT")
        return n

    def close(self) -> None:
        self.db.close()

    def _merge_fallbacks(self) -> None:
        for path in fallback_files(self.path):
            # Claim the file first, so two processes opening at once do not both take it.
            claimed = path.with_name(path.name + f".merging-{os.getpid()}")
            try:
                os.rename(path, claimed)
            except OSError:
                continue
            try:
                rows = read_jsonl(claimed)
                added = self.insert(rows)
            except BaseException:
                os.rename(claimed, path)
                raise
            os.unlink(claimed)
            self.merged.append((str(path), added))


class _Newer(sqlite3.DatabaseError):
    def __init__(self, version: int):
        super().__init__(
            f"its schema is version {version}; this gradcli reads up to version {len(MIGRATIONS)}"
        )


def _cause(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def open_store(path, create: bool = True) -> Store:
    return Store(path, create=create)


def fallback_files(store_path) -> list:
    store_path = Path(store_path)
    folder = store_path.parent
    if not folder.is_dir():
        return []
    return sorted(folder.glob(store_path.name + ".unsaved-*.jsonl"))


def read_jsonl(path) -> list:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(check_row(json.loads(line)))
            except ValueError:
                continue  # a line cut short when the process was killed: the rest are kept
    return rows


class Recorder:
    """Records each answer as it is given; what cannot go into the store goes into a
    fallback file, and `problem`/`fallback` say so afterwards. A `with` block (or
    close()) closes the store."""

    def __init__(self, path, review: bool = False):
        self.path = Path(path)
        self.review = review
        self.session = uuid.uuid4().hex
        self.store: Optional[Store] = None
        self.problem: Optional[StoreError] = None
        self.fallback: Optional[Path] = None
        self.fallback_merges = False  # True when the store's next opening takes it in
        self.saved = 0
        self.kept = 0
        self.merged: list = []
        try:
            self.store = open_store(self.path)
            self.merged = self.store.merged
        except StoreError as exc:
            self.problem = exc

    def record(self, q, outcome, seconds: Optional[float]) -> None:
        row = answer_row(q, outcome, seconds, self.session, self.review)
        if self.store is not None:
            try:
                self.store.insert([row])
                self.saved += 1
                return
            except sqlite3.Error as exc:
                self.problem = StoreError(self.path, _reason(exc), _cause(exc))
                self.store.close()
                self.store = None
        self._keep(row)

    def _keep(self, row: dict) -> None:
        if self.fallback is None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            name = f"{self.path.name}.unsaved-{stamp}-{os.getpid()}.jsonl"
            # Beside the store, where its next opening finds it; else the temporary folder.
            for folder in (self.path.parent, Path(tempfile.gettempdir())):
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    candidate = folder / name
                    with open(candidate, "a", encoding="utf-8"):
                        pass
                    self.fallback = candidate
                    self.fallback_merges = folder == self.path.parent
                    break
                except OSError:
                    continue
            if self.fallback is None:
                raise StoreError(self.path, "cannot open", "no folder to keep the answers in")
        with open(self.fallback, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.kept += 1

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- what the answers say -----------------------------------------------------------------
def _window(rows: list) -> dict:
    """Seen, right, the last RECENT and the RECENT before them, the trend."""
    recent = rows[-RECENT:]
    before = rows[-2 * RECENT : -RECENT]
    right_recent = sum(1 for r in recent if r["correct"])
    out: dict = {
        "seen": len(rows),
        "right": sum(1 for r in rows if r["correct"]),
        "recent_seen": len(recent),
        "recent_right": right_recent,
        "recent_accuracy": right_recent / len(recent) if recent else None,
        "trend": None,
        "trend_change": None,
    }
    if len(before) == RECENT:  # a trend against fewer answers would be noise
        change = right_recent / len(recent) - sum(1 for r in before if r["correct"]) / len(before)
        out["trend_change"] = round(change, 4)
        out["trend"] = (
            "up" if change >= TREND_STEP else "down" if change <= -TREND_STEP else "steady"
        )
    return out


def sessions(rows: list) -> list:
    """Each quiz run in the order it started: right and total."""
    order: dict = {}
    for r in rows:
        s = order.setdefault(
            r["session"],
            {"session": r["session"], "started": r["answered_at"], "right": 0, "total": 0},
        )
        s["total"] += 1
        s["right"] += int(bool(r["correct"]))
    return list(order.values())


def summary(rows: list) -> dict:
    """Per topic and per mistake: how often seen, how often right lately, the trend; the
    three weakest spots; accuracy per quiz session. Rows in the order they were answered."""
    by_topic: dict = {}
    for r in rows:
        by_topic.setdefault(r["topic"], []).append(r)
    topics = [dict(topic=t, **_window(rs)) for t, rs in by_topic.items()]
    topics.sort(key=lambda d: (d["topic"] is None, d["topic"] or ""))
    made: dict = {}
    chances: dict = {}
    for r in rows:
        for m in set(r["misconceptions"]):
            made[m] = made.get(m, 0) + 1
        for m in set(r["possible"]) | set(r["misconceptions"]):
            chances.setdefault(m, []).append(r)
    mistakes = []
    for m, n in made.items():
        w = _window(chances[m])
        mistakes.append(
            {
                "misconception": m,
                "made": n,
                "chances": w["seen"],
                "recent_chances": w["recent_seen"],
                "recent_right": w["recent_right"],
                "recent_accuracy": w["recent_accuracy"],
                "trend": w["trend"],
                "trend_change": w["trend_change"],
                "last_made": max(r["answered_at"] for r in chances[m] if m in r["misconceptions"]),
            }
        )
    mistakes.sort(key=lambda d: (-d["made"], d["misconception"]))
    spots = [
        {
            "kind": "topic",
            "name": t["topic"],
            "recent_right": t["recent_right"],
            "recent_seen": t["recent_seen"],
            "recent_accuracy": t["recent_accuracy"],
        }
        for t in topics
        if t["topic"] is not None
    ]
    spots += [
        {
            "kind": "misconception",
            "name": m["misconception"],
            "recent_right": m["recent_right"],
            "recent_seen": m["recent_chances"],
            "recent_accuracy": m["recent_accuracy"],
        }
        for m in mistakes
    ]
    weak = [s for s in spots if s["recent_accuracy"] is not None and s["recent_accuracy"] < 1]
    weak.sort(key=lambda s: (s["recent_accuracy"], -s["recent_seen"], s["kind"], s["name"]))
    return {
        "answers": len(rows),
        "right": sum(1 for r in rows if r["correct"]),
        "recent": RECENT,
        "sessions": sessions(rows),
        "topics": topics,
        "misconceptions": mistakes,
        "weakest": weak[:3],
    }


# --- export, import, merge ------------------------------------------------------------------
def export_text(rows: list, kind: str) -> str:
    if kind == "json":
        return (
            json.dumps(
                {"format": EXPORT_FORMAT, "version": len(MIGRATIONS), "answers": rows}, indent=1
            )
            + "\n"
        )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                _cell(json.dumps(r[c]) if c in JSON_COLUMNS else ("" if r[c] is None else r[c]))
                for c in COLUMNS
            ]
        )
    return buf.getvalue()


def _cell(value):
    """A CSV cell a spreadsheet shows as text: a learner's answer or a quiz file's text
    that starts like a formula (=, +, -, @, a tab or CR) gets a leading ' (OWASP's rule),
    so opening the file never runs =HYPERLINK(...). Numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
            return value  # -3.5 is a number, not a formula
        except ValueError:
            return "'" + value
    return value


def export_kind(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise UsageError(
            f"cannot tell the export format of {path}", "name the file FILE.csv or FILE.json"
        )
    return suffix[1:]


def load_export(path) -> list:
    """The answers in a file written by export (JSON); UsageError naming the file."""
    from ..core.limits import EXPORT_BYTES, read_file_at_most

    try:
        doc = json.loads(
            read_file_at_most(path, EXPORT_BYTES, f"the exported file {path}").decode("utf-8")
        )
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {_cause(exc)}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not JSON: {exc}") from None
    except RecursionError:  # Python's JSON reader recurses once per bracket
        raise UsageError(f"{path} nests its lists or objects too deeply to read") from None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != EXPORT_FORMAT
        or not isinstance(doc.get("answers"), list)
    ):
        raise UsageError(
            f"{path} is not a gradcli progress export",
            "expected a JSON file exported from a gradcli progress store",
        )
    try:
        return [check_row(r) for r in doc["answers"]]
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def merge(paths: list) -> dict:
    """A teacher's table: one row per learner (per file), and per topic over them all."""
    learners = []
    all_rows: list[dict] = []
    seen: set = set()
    stems = [Path(p).stem for p in paths]
    for path, stem in zip(paths, stems):
        # Each learner is named by the file; two files of one name by their paths.
        name = stem if stems.count(stem) == 1 else str(path)
        rows = [r for r in load_export(path) if r["uid"] not in seen]
        seen.update(r["uid"] for r in rows)  # a file given twice is counted once
        if not rows:
            continue
        s = summary(rows)
        recent = rows[-RECENT:]
        worst = s["weakest"][0] if s["weakest"] else None
        top = s["misconceptions"][0] if s["misconceptions"] else None
        learners.append(
            {
                "learner": name,
                "file": str(path),
                "answers": len(rows),
                "right": s["right"],
                "sessions": len(s["sessions"]),
                "recent_right": sum(1 for r in recent if r["correct"]),
                "recent_seen": len(recent),
                "weakest": None if worst is None else worst["name"],
                "weakest_kind": None if worst is None else worst["kind"],
                "top_misconception": None if top is None else top["misconception"],
                "top_misconception_made": 0 if top is None else top["made"],
            }
        )
        all_rows.extend(dict(r, learner=name) for r in rows)
    topics: dict = {}
    for r in all_rows:
        t = topics.setdefault(
            r["topic"], {"topic": r["topic"], "learners": set(), "answers": 0, "right": 0}
        )
        t["learners"].add(r["learner"])
        t["answers"] += 1
        t["right"] += int(bool(r["correct"]))
    topic_rows = [dict(t, learners=len(t["learners"])) for t in topics.values()]
    topic_rows.sort(key=lambda d: (d["topic"] is None, d["topic"] or ""))
    made: dict = {}
    for r in all_rows:
        for m in set(r["misconceptions"]):
            entry = made.setdefault(m, {"misconception": m, "made": 0, "learners": set()})
            entry["made"] += 1
            entry["learners"].add(r["learner"])
    mistakes = sorted(
        (dict(v, learners=len(v["learners"])) for v in made.values()),
        key=lambda d: (-d["made"], d["misconception"]),
    )
    return {
        "learners": learners,
        "topics": topic_rows,
        "misconceptions": mistakes,
        "answers": len(all_rows),
        "right": sum(1 for r in all_rows if r["correct"]),
    }


def remove_store(path) -> int:
    """Delete the store's files and its kept answers; how many files were removed."""
    path = Path(path)
    removed = 0
    for p in [path, Path(str(path) + "-wal"), Path(str(path) + "-shm"), *fallback_files(path)]:
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UsageError(f"cannot delete {p}: {_cause(exc)}") from None
    return removed


__all__ = [
    "Store",
    "StoreError",
    "Recorder",
    "answer_row",
    "default_path",
    "summary",
    "export_text",
    "load_export",
    "merge",
    "open_store",
    "fallback_files",
    "remove_store",
    "MIGRATIONS",
    "RECENT",
]
