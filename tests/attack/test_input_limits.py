"""Big and deep inputs are refused with a message (exit 2), not read until memory runs out
(issue 14, "External engines and big inputs are bounded"). The limits (core/limits.py,
README "Limits"): a program 10 MB, a quiz or answers file 1 MB, a values file and a
progress export 100 MB; a quiz file's keys at most 1000 dots; numbers within what a float
holds. Each hostile file goes through every command that reads it."""

from pathlib import Path

from attack import harness

ATTACK = Path(__file__).resolve().parent / "data"


def gradcli(*args, stdin=None, tmp_path=None):
    env = {"GRADCLI_DB": str(tmp_path / "progress.sqlite3")} if tmp_path is not None else None
    return harness.run(args, stdin=stdin, env=env)


def sparse(path: Path, size: int) -> str:
    """A file of `size` zero bytes that takes no disk space."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return str(path)


QUIZ = str(ATTACK / "quiz.toml")
MB = 2**20


def hostile_files(folder: Path) -> dict:
    """Every hostile file by name: never-ending, huge, deep, with long numbers."""
    deep_lists = "[" * 100_000 + "]" * 100_000
    files = {
        "/dev/zero": "/dev/zero",
        "program 10 MB": sparse(folder / "big.gc", 10 * MB + 1),
        "values 100 MB": sparse(folder / "big.json", 100 * MB + 1),
        "quiz 1 MB": sparse(folder / "big.toml", MB + 1),
        "answers 1 MB": sparse(folder / "big.txt", MB + 1),
        "export 100 MB": sparse(folder / "export.json", 100 * MB + 1),
    }
    for name, text in {
        "nested.toml": "x = " + deep_lists + "\n",
        "digits.toml": (ATTACK / "bigint.toml").read_text().replace("9" * 400, "9" * 5000),
        "deep.json": deep_lists,
        "deep-objects.json": '{"a": ' * 100_000 + "1" + "}" * 100_000,
        # An answer 100,000 parentheses deep, and one of 400 digits: read, judged wrong.
        "deep-answer.txt": "(" * 100_000 + "1" + ")" * 100_000 + "\n",
        "bigint-answer.txt": "9" * 400 + "\n",
    }.items():
        (folder / name).write_text(text)
        files[name] = str(folder / name)
    return files


# (what, arguments with {file names}, exit status, words in stderr)
CASES = [
    (
        "program from /dev/zero",
        ["eval", "-f", "{/dev/zero}"],
        2,
        "the program file /dev/zero is larger than the 10 MB",
    ),
    (
        "quiz file from /dev/zero",
        ["quiz", "--script", "{/dev/zero}"],
        2,
        "the quiz file /dev/zero is larger than the 1 MB",
    ),
    (
        "quiz file from /dev/zero, checked",
        ["quiz", "--check-script", "{/dev/zero}"],
        2,
        "the quiz file /dev/zero is larger than the 1 MB",
    ),
    (
        "answers from /dev/zero",
        ["quiz", "--script", QUIZ, "--answers", "{/dev/zero}"],
        2,
        "the answers file /dev/zero is larger than the 1 MB",
    ),
    (
        "progress export from /dev/zero",
        ["progress", "--merge", "{/dev/zero}"],
        2,
        "the exported file /dev/zero is larger than the 100 MB",
    ),
    ("huge program", ["code", "-f", "{program 10 MB}"], 2, "larger than the 10 MB"),
    (
        "huge values file",
        ["eval", "a*2", "--values", "{values 100 MB}"],
        2,
        "larger than the 100 MB",
    ),
    ("huge quiz file", ["quiz", "--script", "{quiz 1 MB}"], 2, "larger than the 1 MB"),
    (
        "huge quiz file, checked",
        ["quiz", "--check-script", "{quiz 1 MB}"],
        2,
        "larger than the 1 MB",
    ),
    (
        "huge answers file",
        ["quiz", "--script", QUIZ, "--answers", "{answers 1 MB}"],
        2,
        "the answers file",
    ),
    (
        "huge progress export",
        ["progress", "--merge", "{export 100 MB}"],
        2,
        "larger than the 100 MB",
    ),
    ("deep quiz file", ["quiz", "--script", "{nested.toml}"], 2, "nest too deeply"),
    ("deep quiz file, checked", ["quiz", "--check-script", "{nested.toml}"], 2, "nest too deeply"),
    (
        "400-digit number in a quiz file",
        ["quiz", "--script", str(ATTACK / "bigint.toml")],
        2,
        "the value of a must be a finite number, got a whole number too large",
    ),
    (
        "400-digit number, checked",
        ["quiz", "--check-script", str(ATTACK / "bigint.toml")],
        2,
        "the value of a must be a finite number, got a whole number too large",
    ),
    (
        "5000-digit number in a quiz file",
        ["quiz", "--script", "{digits.toml}"],
        2,
        "more than the 4300 digits",
    ),
    (
        "deep progress export",
        ["progress", "--merge", "{deep.json}"],
        2,
        "nests its lists or objects too deeply to read",
    ),
    (
        "deep objects in a progress export",
        ["progress", "--merge", "{deep-objects.json}"],
        2,
        "nests its lists or objects too deeply to read",
    ),
    (
        "deep values file, eval",
        ["eval", "a*2", "--values", "{deep.json}"],
        2,
        "nests its lists too deeply",
    ),
    (
        "deep values file, explain",
        ["explain", "a*2", "--values", "{deep.json}"],
        2,
        "nests its lists too deeply",
    ),
    (
        "deep values file, graph",
        ["graph", "a*2", "--values", "{deep.json}"],
        2,
        "nests its lists too deeply",
    ),
    (
        "deep values file, code",
        ["code", "a*2", "--values", "{deep.json}"],
        2,
        "nests its lists too deeply",
    ),
    (
        "deep values file, plot",
        ["plot", "a*2", "--values", "{deep.json}"],
        2,
        "nests its lists too deeply",
    ),
    (
        "a deep answer",
        ["quiz", "--script", QUIZ, "--answers", "{deep-answer.txt}", "--no-save"],
        0,
        "Score: 0 of 1",
    ),
    (
        "a 400-digit answer",
        ["quiz", "--script", QUIZ, "--answers", "{bigint-answer.txt}", "--no-save"],
        0,
        "Score: 0 of 1",
    ),
]


def test_hostile_files_are_refused_with_a_message(tmp_path):
    """Each hostile file through each command that reads it: refused at its limit (exit 2)
    with a message naming it, or read and judged; never an internal error, never read
    until memory runs out (each run is under harness.MEMORY_MB of address space)."""
    files = hostile_files(tmp_path)

    def args(template):
        return [files[a[1:-1]] if a.startswith("{") else a for a in template]

    env = {"GRADCLI_DB": str(tmp_path / "progress.sqlite3")}
    runs = harness.run_all(
        [lambda c=c: harness.run(args(c[1]), env=env, label=c[0]) for c in CASES]
    )
    failures = {}
    for (what, _, status, words), r in zip(CASES, runs):
        if r.returncode != status or words not in r.stderr + r.stdout or r.timed_out:
            failures[what] = (r.returncode, (r.stderr or r.stdout)[-300:])
        elif "internal error" in r.stderr or "Traceback" in r.stderr:
            failures[what] = r.stderr[-300:]
    assert not failures, failures


def test_a_program_from_standard_input_that_never_ends_is_refused(tmp_path):
    with open("/dev/zero", "rb") as zero:
        r = gradcli("eval", "-f", "-", stdin=zero)
    assert r.returncode == 2, r.stderr
    assert "the program on standard input is larger than the 10 MB" in r.stderr


def test_a_quiz_file_of_long_dotted_keys_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "dotted.toml"
    path.write_text("a" + ".a" * 50_000 + " = 1\n")  # 100 KB: 47 s and 9.8 GB to parse
    for option in ("--script", "--check-script"):
        r = gradcli("quiz", option, str(path), tmp_path=tmp_path)
        assert r.returncode == 2, r.stderr
        assert "its keys hold 50000 dots, more than the 1000 gradcli reads" in r.stderr
    # A real course: many questions with decimal numbers (whose dots are not keys') and
    # dotted text in strings and comments is under every limit, and read.
    question = (
        '[[question]]\nid = "q{n}"  # see 1.2.3\nprogram = "c = a*b  # a.b.c.d"\n'
        'inputs = {{a = 1.5, b = -2.25e-1}}\nask = "grad a"\ntolerance = 0.001\n'
        "explain = '''a.b.c.d.e.f'''\n\n"
    )
    path = tmp_path / "course.toml"
    path.write_text(
        'title = "A course v1.2"\n\n' + "".join(question.format(n=n) for n in range(600))
    )
    r = gradcli(
        "quiz", "--script", str(path), "--answers", "/dev/null", "--no-save", tmp_path=tmp_path
    )
    assert "Question 1 of 600" in r.stdout, r.stderr
    assert "larger than" not in r.stderr and "dots" not in r.stderr, r.stderr
