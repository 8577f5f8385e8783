"""Start-up time: gradcli's smallest commands against importing its three libraries.

    python benchmarks/startup.py [RUNS] [--python PY ...]

Prints the median wall time of each command and its ratio to the baseline
`python -c "import typer, rich.table, lark"` of the same environment, all measured in this
run (default 21 runs each, interleaved: interleaving spreads any background load evenly),
and the same for CPU time (user + system of the child), which other work on the machine
disturbs less than wall time.
With --python, each interpreter given (a virtual environment's bin/python with gradcli
installed) is measured in turn, so two typer lines can be compared side by side:

    python3 -m venv /tmp/t28 && /tmp/t28/bin/pip install -e . 'typer<0.29'
    python3 -m venv /tmp/t29 && /tmp/t29/bin/pip install -e . 'typer>=0.29'
    python benchmarks/startup.py --python /tmp/t28/bin/python /tmp/t29/bin/python
"""

import resource
import statistics
import subprocess
import sys
import time


def commands(py: str) -> dict[str, list[str]]:
    return {
        "baseline: import typer, rich.table, lark": [py, "-c", "import typer, rich.table, lark"],
        "gradcli eval a*b --a 2 --b 3": [
            py,
            "-m",
            "gradcli",
            "eval",
            "a*b",
            "--a",
            "2",
            "--b",
            "3",
        ],
        "gradcli eval a*b --a 2 --b 3 --json": [
            py,
            "-m",
            "gradcli",
            "eval",
            "a*b",
            "--a",
            "2",
            "--b",
            "3",
            "--json",
        ],
    }


def versions(py: str) -> str:
    code = (
        "import importlib.metadata as m, platform; "
        "print('Python', platform.python_version(), '· typer', m.version('typer'), "
        "'· rich', m.version('rich'), '· lark', m.version('lark'))"
    )
    return subprocess.run(
        [py, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def measure(py: str, runs: int) -> None:
    argvs = commands(py)
    for argv in argvs.values():  # warm the OS cache and gradcli's parse-table cache
        subprocess.run(argv, capture_output=True, check=True)
    wall: dict[str, list[float]] = {name: [] for name in argvs}
    cpu: dict[str, list[float]] = {name: [] for name in argvs}
    for _ in range(runs):
        for name, argv in argvs.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True)
            wall[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    first = next(iter(argvs))
    base_wall, base_cpu = statistics.median(wall[first]), statistics.median(cpu[first])
    print(versions(py))
    print("   wall ms  ratio    cpu ms  ratio")
    for name in argvs:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"{w * 1000:9.1f}  {w / base_wall:5.2f}x {c * 1000:8.1f}  {c / base_cpu:5.2f}x  {name}"
        )


def main() -> None:
    args = sys.argv[1:]
    pythons = [sys.executable]
    if "--python" in args:
        at = args.index("--python")
        pythons = args[at + 1 :]
        args = args[:at]
        if not pythons:
            sys.exit("--python needs at least one interpreter")
    runs = int(args[0]) if args else 21
    for i, py in enumerate(pythons):
        if i:
            print()
        measure(py, runs)


if __name__ == "__main__":
    main()
