"""Start-up time: gradcli's smallest commands against importing its three libraries.

    python benchmarks/startup.py [RUNS]      (default 21 runs each, interleaved)

Prints the median wall time of each command and its ratio to the baseline
`python -c "import typer, rich.table, lark"`, all measured in this run. Interleaving the
commands spreads any background load evenly over them.
"""
import statistics
import subprocess
import sys
import time

PY = sys.executable
COMMANDS = {
    "baseline: import typer, rich.table, lark": [PY, "-c", "import typer, rich.table, lark"],
    "gradcli eval a*b --a 2 --b 3": [PY, "-m", "gradcli", "eval", "a*b", "--a", "2", "--b", "3"],
    "gradcli eval a*b --a 2 --b 3 --json": [PY, "-m", "gradcli", "eval", "a*b", "--a", "2",
                                            "--b", "3", "--json"],
}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    for argv in COMMANDS.values():  # warm the OS cache and gradcli's parse-table cache
        subprocess.run(argv, capture_output=True, check=True)
    times = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times[next(iter(COMMANDS))])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{median * 1000:7.1f} ms  {median / base:5.2f}x  {name}")


if __name__ == "__main__":
    main()
