"""Every command that takes a program, at scale: wall time and peak memory of each, beside
`eval --grad-only` on the same program (issue 14's target: within 2.5x its time and 3x its
peak memory; image rendering is left out).

    python benchmarks/commands.py [N ...]        # default: 10000 100000
    python benchmarks/commands.py --only graph,plot 100000   # those commands (and the base)

The program is benchmarks/scale.py's `program(N)`, written to a file and given with
`-f FILE`, with the inputs x0..x15 that scale.py gives. Each command runs in a fresh
process started by a wrapper process of its own (`--one`), which drains its output from a
pipe (or from a pseudo-terminal, for "at a terminal") and reports the wall time and the
child's CPU time and peak resident memory (RUSAGE_CHILDREN: the wrapper has no other
child), so each figure is that command's alone. On a shared machine the wall time grows
with the load; the CPU time much less. A command that refuses a program this big
by design (exit status 1 or 2 with a message) is listed as refused, with its message.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale import program  # noqa: E402

SIZES = [10_000, 100_000]
BASE = "eval --grad-only"
# (label, arguments after `gradcli`, at a terminal)
COMMANDS = [
    (BASE, ["eval", "--grad-only"], False),
    ("eval (tables, piped)", ["eval"], False),
    ("eval (tables, at a terminal)", ["eval"], True),
    ("eval --json", ["eval", "--json"], False),
    ("eval --json --grad-only", ["eval", "--json", "--grad-only"], False),
    ("eval --check", ["eval", "--check"], False),
    ("eval --mode forward --wrt x0", ["eval", "--mode", "forward", "--wrt", "x0"], False),
    ("eval --mode both --wrt x0", ["eval", "--mode", "both", "--wrt", "x0"], False),
    ("eval --symbolic", ["eval", "--symbolic"], False),
    ("explain", ["explain"], False),
    ("explain --json", ["explain", "--json"], False),
    ("graph (tree)", ["graph"], False),
    ("graph --json", ["graph", "--json"], False),
    ("graph -F dot", ["graph", "-F", "dot"], False),
    ("graph -F mermaid", ["graph", "-F", "mermaid"], False),
    ("graph -F svg", ["graph", "-F", "svg"], False),
    ("code --lang python", ["code", "--lang", "python"], False),
    ("code --lang js", ["code", "--lang", "js"], False),
    ("code --lang numpy", ["code", "--lang", "numpy"], False),
    ("code --json", ["code", "--json"], False),
    # x0 reaches a few steps of the program and none of its output; x11 about 43% of them
    ("plot --json --along x0", ["plot", "--json", "--along", "x0"], False),
    ("plot --json --along x11", ["plot", "--json", "--along", "x11"], False),
]


def values() -> list:
    """The inputs x0..x15 as benchmarks/scale.py sets them."""
    return [a for i in range(16) for a in (f"--x{i}", repr(0.1 * (i + 1)))]


def one(args: list, terminal: bool) -> dict:
    """Run `gradcli ARGS` (this wrapper's only child), drain its output, and report."""
    command = [sys.executable, "-m", "gradcli", *args]
    start = time.perf_counter()
    if terminal:
        import fcntl
        import pty
        import struct
        import termios

        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE
        )
        os.close(slave)
        size = 0
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            size += len(chunk)
        os.close(master)
        err = child.stderr.read()
        child.wait()
    else:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        size = 0
        while chunk := child.stdout.read(1 << 16):
            size += len(chunk)
        err = child.stderr.read()
        child.wait()
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss
    message = [
        line
        for line in err.decode("utf-8", "replace").splitlines()
        if not line.startswith("warning:")
    ]
    return {
        "seconds": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": peak_kib / 1024,
        "exit": child.returncode,
        "bytes": size,
        "message": " ".join(message)[:200],
    }


def measure(path: str, label: str, args: list, terminal: bool) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", json.dumps([args + ["-f", path, *values()], terminal])],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        args, terminal = json.loads(sys.argv[2])
        print(json.dumps(one(args, terminal)))
        return
    argv, only = sys.argv[1:], None
    if argv[:1] == ["--only"]:
        only, argv = argv[1].split(","), argv[2:]
    commands = [c for c in COMMANDS if only is None or c[0] == BASE or any(w in c[0] for w in only)]
    sizes = [int(a.replace("_", "")) for a in argv] or SIZES
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, f"program{n}.gc")
            Path(path).write_text(program(n))
            print(f"\n{n:,} statements (benchmarks/scale.py's program({n}))")
            print(
                f"{'command':<32} {'time s':>8} {'x time':>7} {'cpu s':>7} {'x cpu':>6}"
                f" {'peak MiB':>9} {'x mem':>6}"
                f" {'exit':>4}  output"
            )
            base = None
            for label, args, terminal in commands:
                r = measure(path, label, args, terminal)
                if label == BASE:
                    base = r
                if r["exit"] in (1, 2):
                    print(f"{label:<32} refused (exit {r['exit']}): {r['message']}")
                    continue
                print(
                    f"{label:<32} {r['seconds']:>8.2f} {r['seconds'] / base['seconds']:>7.2f}"
                    f" {r['cpu']:>7.2f} {r['cpu'] / base['cpu']:>6.2f}"
                    f" {r['peak_mib']:>9.1f} {r['peak_mib'] / base['peak_mib']:>6.2f}"
                    f" {r['exit']:>4}  {r['bytes']:,} bytes"
                    + ("" if r["exit"] == 0 else f"  {r['message']}")
                )
                sys.stdout.flush()


if __name__ == "__main__":
    main()
