"""The attack suite (issue 14): gradcli as an attacker, or a teacher sharing quiz files,
would drive it. Run it alone with `.venv/bin/pytest -q tests/attack` (CI runs it first, as
a gate; the README gives its measured time); the whole suite runs it too. At the end of the
run a table lists each run's wall time and peak memory (tests/attack/harness.py measures
every process it starts; no test asserts a time, only safety bounds).

| attack | file |
|---|---|
| control characters (ESC, OSC, BEL, CR, U+2028, bidi overrides) through every output path of eval, explain, graph, code, quiz, progress and plot, at a real pseudo-terminal and piped; error excerpts; the explain pager | test_untrusted_text.py |
| commands and documents gradcli writes: Markdown export that cannot break out of its fences | test_export_safety.py |
| hostile quiz files and answers files (control characters, huge, deeply nested, 400-digit and 5000-digit integers, /dev/zero, dotted-key bombs), hostile progress exports and values files, programs from /dev/zero and sparse files past the limits | test_input_limits.py |
| hostile cache folders: a planted symlink, a predictable temporary name, a folder others can write to or another user owns, tampered or broken cache content, relative cache locations; through every command that parses | test_cache.py |
| full disks by file-size limits (RLIMIT_FSIZE) on every file gradcli writes (-o, --export, progress --export): an existing file survives whole; a command never writes over a file it reads | test_files_kept.py |
| closed stdin, stdout and stderr, /dev/full, a reader that left (141), on every command's output paths | test_streams.py |
| huge and deep inputs (10,000 nested parentheses, a long sum, a long chain of statements) through every command under an address-space limit, time and memory measured; refusals where a command refuses by design | test_scale.py |
| external engines: Graphviz's size refusal, time and memory limits, never outliving gradcli; SymPy's time budget, depth and literal limits | test_graphviz_limits.py, test_symbolic_limits.py |
| fuzzing the real CLI (grammar, text, bytes), pathological programs, numeric edges, no user text reaches eval or exec | test_hardening.py |
"""

import pytest

from attack import harness


@pytest.fixture(autouse=True)
def _name_the_runs(request):
    harness.current["test"] = request.node.name
    yield
    harness.current["test"] = ""


def pytest_terminal_summary(terminalreporter):
    rows = harness.MEASURED
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("attack suite: time and peak memory of each run")
    write(
        f"{len(rows)} gradcli processes, {sum(r.seconds for r in rows):.1f} s of wall time in all"
    )
    write(f"{'wall s':>7} {'peak MiB':>9} {'exit':>5}  test: run")
    by_test: dict = {}
    for r in rows:
        by_test.setdefault(r.test, []).append(r)
    for test, runs in by_test.items():
        for r in runs:
            if r.detail:
                write(f"{r.seconds:7.2f} {r.peak_mib:9.1f} {r.status:5d}  {test}: {r.label}")
        runs = [r for r in runs if not r.detail]
        if len(runs) > 6:  # a sweep: its total and its heaviest run
            worst = max(runs, key=lambda r: r.seconds)
            heaviest = max(r.peak_mib for r in runs)
            write(
                f"{sum(r.seconds for r in runs):7.2f} {heaviest:9.1f} {'':>5}  {test}: "
                f"{len(runs)} runs (slowest {worst.seconds:.2f} s: {worst.label})"
            )
            continue
        for r in runs:
            write(f"{r.seconds:7.2f} {r.peak_mib:9.1f} {r.status:5d}  {test}: {r.label}")
