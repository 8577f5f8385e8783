"""One JSON style (issue 12): every --json document, on stdout or (for an error) on
stderr, starts with a "schema" key naming it and its version, is written with an indent of
1 (tensor arrays compact, a row per line), and every key it carries is described in
docs/json.md, section by section."""

import json
import os
import re
from pathlib import Path

import pytest
from conftest import ROOT, run_gradcli

from gradcli.report.tensors import dumps as compact_dumps

DOCS = ROOT / "docs" / "json.md"
QUIZ = ROOT / "examples" / "quizzes" / "seed-multiply.toml"


def documented() -> dict:
    """schema -> the key paths its section of docs/json.md describes: `nodes[].id` for a
    key of each object of a list, `gradient.*` for a map whose keys are names."""
    sections, current = {}, None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## `(gradcli\.[a-z-]+/\d+)`", line)
        if heading:
            current = sections.setdefault(heading.group(1), set())
            continue
        row = re.match(r"^\| `([^`]+)` \|", line)
        if row and current is not None:
            current.add(row.group(1))
    return sections


def key_paths(doc, known: set) -> set:
    """Every key path of a document, as documented() writes them; a map documented as
    `PATH.*` stands for its entries. Walked with a stack, not recursion."""
    found, stack = set(), [("", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            named = f"{path}.*" if path else "*"
            for k, v in value.items():
                sub = named if named in known else (f"{path}.{k}" if path else k)
                found.add(sub)
                stack.append((sub, v))
        elif isinstance(value, list):
            stack += [(f"{path}[]", v) for v in value if isinstance(v, dict)]
    return found


UNFAIR_QUIZ = """
title = "a neuron at x = -1"

[[question]]
id = "da"
program = "q = a*x + b*y + c\\nf = sigmoid(q)"
inputs = { a = 1, b = 2, c = -3, x = -1, y = 3 }
ask = "grad a"
"""


def programs(tmp_path) -> list:
    """(what, args, stream, tensor): representative runs of every command that prints
    data, their warnings and their errors."""
    db = str(tmp_path / "progress.sqlite3")
    answers = tmp_path / "answers.txt"
    answers.write_text("6\n2/4\nskip\n")
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"W": [[1, 2], [3, 4]], "x": [1, -1]}))
    tensor = ["sum(tanh(W @ x))", "--values", str(values)]
    # A quiz file with a question on which dividing by x = -1 passes for the right answer,
    # and wrong-operand and sign-error give the same number (the neuron quiz as it was).
    unfair = tmp_path / "unfair.toml"
    unfair.write_text(UNFAIR_QUIZ)
    return [
        (
            "eval scalar",
            ["eval", "sigmoid(w*x + b)", "--w", "2", "--x", "-1", "--b", "0.5", "--json"],
            "out",
            False,
        ),
        (
            "eval grad-only",
            ["eval", "a*b", "--a", "2", "--b", "3", "--grad-only", "--json"],
            "out",
            False,
        ),
        ("eval warnings", ["eval", "sqrt(a) + b", "--a", "0", "--b", "1", "--json"], "out", False),
        ("eval tensor", ["eval", *tensor, "--json"], "out", True),
        (
            "eval both modes",
            [
                "eval",
                "x*y + sin(x)",
                "--x",
                "1",
                "--y",
                "2",
                "--mode",
                "both",
                "--wrt",
                "x",
                "--json",
            ],
            "out",
            False,
        ),
        (
            "eval forward",
            ["eval", "x*y", "--x", "1", "--y", "2", "--mode", "forward", "--wrt", "y", "--json"],
            "out",
            False,
        ),
        (
            "eval check",
            ["eval", "relu(a)*b", "--a", "0", "--b", "2", "--check", "--json"],
            "out",
            False,
        ),
        ("eval tensor check", ["eval", *tensor, "--check", "--json"], "out", True),
        ("graph scalar", ["graph", "x*x + y", "--x", "3", "--y", "1", "--json"], "out", False),
        ("graph tensor", ["graph", *tensor, "--json"], "out", True),
        ("code", ["code", "a*b + c", "--a", "1", "--b", "2", "--c", "3", "--json"], "out", False),
        ("explain lesson", ["explain", "--json"], "out", False),
        (
            "explain program",
            ["explain", "log(a*b)", "--a", "2", "--b", "3", "--json"],
            "out",
            False,
        ),
        ("explain warnings", ["explain", "sqrt(a)", "--a", "0", "--json"], "out", False),
        ("explain topic", ["explain", "--topic", "fan-out", "--json"], "out", False),
        ("explain list", ["explain", "--list", "--json"], "out", False),
        (
            "quiz",
            ["quiz", "--script", str(QUIZ), "--answers", str(answers), "--db", db, "--json"],
            "out",
            False,
        ),
        ("progress", ["progress", "--db", db, "--json"], "out", False),
        # errors: gradcli's own, with their fields, and click's bad option values
        ("error missing input", ["eval", "a*b", "--a", "1", "--json"], "err", False),
        ("error domain", ["eval", "log(a)", "--a", "-1", "--json"], "err", False),
        ("error syntax", ["graph", "a*", "--json"], "err", False),
        ("error unknown function", ["eval", "sigmod(a)", "--a", "1", "--json"], "err", False),
        (
            "error shape",
            ["eval", "sum(W @ y)", "--values", str(values), "--y", "[1, 2, 3]", "--json"],
            "err",
            False,
        ),
        (
            "error wrt",
            ["eval", "a*b", "--a", "1", "--b", "2", "--mode", "forward", "--json"],
            "err",
            False,
        ),
        ("error unknown topic", ["explain", "--topic", "chian", "--json"], "err", False),
        ("quiz check fair", ["quiz", "--check-script", str(QUIZ), "--json"], "out", False),
        ("quiz check unfair", ["quiz", "--check-script", str(unfair), "--json"], "out", False),
        ("error quiz topic", ["quiz", "--topic", "nope", "--json", "--no-save"], "err", False),
        ("error bad value", ["quiz", "--count", "many", "--json"], "err", False),
        ("error out of range", ["graph", "a", "--a", "1", "--depth", "0", "--json"], "err", False),
        ("error value", ["code", "a*b", "--a", "x1", "--json"], "err", False),
        (
            "error lang",
            ["code", "a*b", "--a", "1", "--b", "2", "--lang", "rust", "--json"],
            "err",
            False,
        ),
        ("error progress", ["progress", "--db", db, "--yes", "--json"], "err", False),
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("json")
    out = []
    for what, args, stream, tensor in programs(tmp_path):
        result = run_gradcli(*args)
        text = result.stdout if stream == "out" else result.stderr
        out.append((what, args, result, text, tensor))
    # A teacher's merge of two exported files.
    db = str(tmp_path / "progress.sqlite3")
    files = []
    for name in ("ada", "bob"):
        path = str(tmp_path / f"{name}.json")
        assert run_gradcli("progress", "--db", db, "--export", path).returncode == 0
        files.append(path)
    merge = run_gradcli("progress", "--merge", *files, "--json")
    out.append(("progress merge", ["progress", "--merge"], merge, merge.stdout, False))
    return out


def test_every_document_has_the_schema_first_and_one_indentation(runs):
    seen = set()
    for what, args, result, text, tensor in runs:
        expect_error = what.startswith("error")
        if what == "quiz check unfair":  # a finding, not an error: exit 1, the report on stdout
            assert result.returncode == 1, (what, result.stderr)
        else:
            assert (result.returncode != 0) == expect_error, (what, result.stderr)
        doc = json.loads(text)  # the whole stream is one document, nothing else
        assert list(doc)[0] == "schema", what
        assert re.fullmatch(r"gradcli\.[a-z-]+/1", doc["schema"]), (what, doc["schema"])
        seen.add(doc["schema"])
        # indent 1; tensor arrays one innermost row per line (report/tensors.py dumps)
        styled = compact_dumps(doc, indent=1) if tensor else json.dumps(doc, indent=1)
        assert text == styled + "\n", what
        if expect_error:
            assert doc["schema"] == "gradcli.error/1"
            assert doc["exit"] == result.returncode, what
            assert result.stdout == "", what
        else:
            assert result.stderr == "", (what, result.stderr)  # warnings are in the document
    assert seen == {
        "gradcli.eval/1",
        "gradcli.graph/1",
        "gradcli.code/1",
        "gradcli.explain/1",
        "gradcli.explain-topics/1",
        "gradcli.quiz/1",
        "gradcli.quizcheck/1",
        "gradcli.progress/1",
        "gradcli.progress-merge/1",
        "gradcli.error/1",
    }


def test_every_key_is_documented(runs):
    sections = documented()
    for what, args, result, text, tensor in runs:
        doc = json.loads(text)
        known = sections.get(doc["schema"])
        assert known is not None, f"docs/json.md has no section for {doc['schema']}"
        missing = key_paths(doc, known) - known
        assert not missing, f"{what}: {sorted(missing)} not in docs/json.md"


def test_the_docs_describe_no_key_that_is_never_written(runs):
    """Each documented path is one some representative run writes, so the docs cannot
    drift into describing keys that are gone."""
    sections = documented()
    written: dict = {}
    for what, args, result, text, tensor in runs:
        doc = json.loads(text)
        written.setdefault(doc["schema"], set()).update(key_paths(doc, sections[doc["schema"]]))
    # Keys that only rare runs write (SymPy, Graphviz, an internal error) are listed in
    # the docs as such, under "Written only when"; the rest must all have been seen.
    rare = {
        "symbolic",
        "symbolic.*",
        "symbolic.*.formula",
        "symbolic.*.value",
        "symbolic.*.formula_value",
        "symbolic.*.simplified",
    }
    for schema, paths in sections.items():
        unseen = {
            p for p in paths - written.get(schema, set()) - rare if not p.startswith("fields.")
        }
        assert not unseen, f"{schema}: {sorted(unseen)} documented but never written"


def test_error_fields_say_what_went_wrong(runs):
    by_what = {what: json.loads(text) for what, args, result, text, tensor in runs}
    missing = by_what["error missing input"]
    assert missing["kind"] == "MissingInputs" and missing["fields"]["names"] == ["b"]
    assert missing["error"] == "no value for the input b"
    assert missing["detail"] == "pass it as --b VALUE (or b=VALUE)"
    domain = by_what["error domain"]
    assert domain["exit"] == 1 and domain["kind"] == "DomainError"
    assert domain["fields"]["operation"] == "log" and domain["fields"]["operands"] == {"a": -1.0}
    bad = by_what["error bad value"]
    assert bad["kind"] == "BadParameter" and bad["fields"] == {"option": "--count"}
    assert "'many' is not a valid int" in bad["error"] and bad["exit"] == 2
    function = by_what["error unknown function"]
    assert function["fields"]["suggestions"] == ["sigmoid"]


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "a*b", "--a", "1"],
        ["eval", "json*b", "json=2"],  # the input json: --json stays the option
        ["eval", "log(a)", "--a", "-1"],
        ["graph", "a +", "--a", "1"],
        ["explain", "--topic", "chian"],
    ],
)
def test_a_json_error_says_what_the_text_error_says(args):
    text = run_gradcli(*args)
    doc = json.loads(run_gradcli(*args, "--json").stderr)
    assert text.returncode == doc["exit"] != 0
    said = "error: " + doc["error"] + ("\n" + doc["detail"] if doc["detail"] else "")
    assert text.stderr == said + "\n"


def test_a_bad_option_value_is_json_only_under_json():
    text = run_gradcli("quiz", "--count", "many")
    doc = json.loads(run_gradcli("quiz", "--count", "many", "--json").stderr)
    assert text.returncode == doc["exit"] == 2
    assert text.stderr.startswith("Usage:") and doc["error"] in text.stderr


def test_an_internal_error_under_json_is_json(tmp_path):
    # A bug is simulated by a sitecustomize that breaks the engine's evaluate.
    (tmp_path / "sitecustomize.py").write_text(
        "import gradcli.core.engine as e\n"
        "def broken(*a, **k):\n    raise ZeroDivisionError('simulated bug')\n"
        "e.evaluate = broken\n"
    )
    result = run_gradcli(
        "eval",
        "a*b",
        "--a",
        "1",
        "--b",
        "2",
        "--json",
        env={
            "PYTHONPATH": os.pathsep.join(
                [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]
            )
        },
    )
    assert result.returncode == 3, result.stderr
    doc = json.loads(result.stderr)
    assert list(doc)[0] == "schema" and doc["schema"] == "gradcli.error/1"
    assert doc["exit"] == 3 and doc["kind"] == "ZeroDivisionError"
    assert doc["error"].startswith("internal error (a bug in gradcli, please report it)")
    assert "GRADCLI_DEBUG" in doc["detail"]


def test_explain_json_holds_the_steps_the_screen_shows():
    shown = run_gradcli("explain", "x = a*b; f = x + a", "--a", "2", "--b", "3", "--no-pause")
    doc = json.loads(
        run_gradcli("explain", "x = a*b; f = x + a", "--a", "2", "--b", "3", "--json").stdout
    )
    assert doc["title"] == "gradcli explain: x = a*b; f = x + a"
    assert len(doc["steps"]) >= 3
    for k, step in enumerate(doc["steps"], 1):
        assert f"{step['title']}  ({k}/{len(doc['steps'])})" in shown.stdout
        for block in step["blocks"]:
            assert block["type"] in ("text", "lines", "table")
            if block["type"] == "lines":
                for line in block["lines"]:
                    assert line.strip() in shown.stdout
            if block["type"] == "table":
                assert all(len(row) == len(block["columns"]) for row in block["rows"])
    kinds = {b["type"] for s in doc["steps"] for b in s["blocks"]}
    assert kinds == {"text", "lines", "table"}


def test_explain_json_and_export_together_are_refused(tmp_path):
    result = run_gradcli("explain", "--json", "--export", str(tmp_path / "x.md"))
    assert result.returncode == 2
    assert json.loads(result.stderr)["error"] == "--json and --export cannot be used together"
    assert not (tmp_path / "x.md").exists()


def test_explain_list_json_is_the_topic_table():
    from gradcli.tutor.topics import GATES, TOPICS

    doc = json.loads(run_gradcli("explain", "--list", "--json").stdout)
    assert [t["name"] for t in doc["topics"]] == list(TOPICS)
    for t in doc["topics"]:
        assert t["summary"] == TOPICS[t["name"]].summary
        assert t["also"] == [g for g, lesson in GATES.items() if lesson == t["name"]]


def test_api_to_json_carries_the_same_schema():
    import gradcli

    doc = json.loads(gradcli.evaluate("a*b", a=2, b=3).to_json())
    assert list(doc)[:2] == ["schema", "output"] and doc["schema"] == "gradcli.eval/1"


def test_docs_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/json.md)" in readme
    assert Path(DOCS).exists()


def test_check_script_json_says_what_the_text_report_says(tmp_path):
    quiz = tmp_path / "unfair.toml"
    quiz.write_text(UNFAIR_QUIZ)
    text = run_gradcli("quiz", "--check-script", str(quiz))
    result = run_gradcli("quiz", "--check-script", str(quiz), "--json")
    assert result.returncode == text.returncode == 1 and result.stderr == ""
    doc = json.loads(result.stdout)
    assert (doc["questions"], doc["unfair"], doc["fair"]) == (1, 1, False)
    kinds = {p["kind"]: p for p in doc["problems"]}
    assert set(kinds) == {"passes", "indistinct"}
    passes = kinds["passes"]
    assert [m["id"] for m in passes["mistakes"]] == ["divided-instead-of-multiplied"]
    # dividing by x = -1 gives the right answer itself: a~ = -0.10499...
    assert passes["mistakes"][0]["value"] == pytest.approx(passes["expected"])
    assert passes["expected"] == pytest.approx(-0.1049935854)
    assert {m["id"] for m in kinds["indistinct"]["mistakes"]} == {"wrong-operand", "sign-error"}
    for p in doc["problems"]:  # the same sentences as the text report
        assert p["message"] in text.stdout and p["change"] in text.stdout
        assert (p["question"], p["id"]) == (1, "da")


INTERRUPT_IN_COMMAND = """
import os, signal, sys

class _Interrupt:
    # Ctrl-C arrives once the command runs: quiz imports its engine inside the command's
    # body, and the signal is sent by the process to itself, so it arrives there every time.
    def find_spec(self, name, path=None, target=None):
        if name == "gradcli.tutor.quiz":
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, _Interrupt())
"""


@pytest.mark.parametrize("as_json", [True, False])
def test_ctrl_c_under_json_is_an_error_document(tmp_path, as_json):
    (tmp_path / "sitecustomize.py").write_text(INTERRUPT_IN_COMMAND)
    args = ["quiz", "--count", "1", "--answers", "-", "--no-save"] + ["--json"] * as_json
    r = run_gradcli(*args, input="", cwd=ROOT, env={"PYTHONPATH": str(tmp_path)})
    assert r.returncode == 130 and r.stdout == "", r.stderr
    if as_json:
        doc = json.loads(r.stderr)
        assert doc["schema"] == "gradcli.error/1"
        assert (doc["error"], doc["exit"], doc["kind"]) == ("interrupted", 130, "KeyboardInterrupt")
    else:
        assert r.stderr.strip() == "" and "Traceback" not in r.stderr
