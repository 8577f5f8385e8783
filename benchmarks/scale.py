"""How gradcli's cost grows with the program: parse, lower, forward and backward times and
peak memory for straight-line programs of 1k, 10k and 100k statements.

    python benchmarks/scale.py [N ...]

Each size runs in a fresh process so its peak memory (ru_maxrss) is its own.
"""

import json
import random
import resource
import subprocess
import sys
import time

SIZES = [1_000, 10_000, 100_000]


def program(n: int, seed: int = 0) -> str:
    """A random straight-line program over 16 inputs mixing + - * / relu and powers."""
    rng = random.Random(seed)
    names = [f"x{i}" for i in range(16)]
    lines = []
    for i in range(n):
        a, b = rng.choice(names), rng.choice(names)
        kind = rng.randrange(6)
        if kind == 0:
            rhs = f"{a} + {b}"
        elif kind == 1:
            rhs = f"{a} - {b}"
        elif kind == 2:
            rhs = f"{a} * {b} * 0.5"
        elif kind == 3:
            rhs = f"{a} / (1 + {b}^2)"
        elif kind == 4:
            rhs = f"relu({a})"
        else:
            rhs = f"({a})^2 * 0.1"
        name = f"t{i}"
        lines.append(f"{name} = {rhs}")
        names[rng.randrange(16)] = name  # keep the graph connected and deep
    lines.append("out = " + " + ".join(names))
    return "\n".join(lines)


def measure(n: int) -> dict:
    from gradcli.core.engine import Evaluation, backward, forward, input_values, no_cycle_collection
    from gradcli.language.lower import compile_program
    from gradcli.language.syntax import parse

    src = program(n)
    given = {f"x{i}": 0.1 * (i + 1) for i in range(16)}
    parse("warm = up")  # build (or load) the parser tables outside the timings
    with no_cycle_collection():  # as the CLI runs it
        # Parsing alone, then parsing with lowering as the CLI does it (statement by
        # statement, so both are timed together); lowering's cost is the difference.
        t0 = time.perf_counter()
        parse(src, on_statement=lambda syntax, stmt: None)
        parse_only = time.perf_counter() - t0
        t0 = time.perf_counter()
        tape = compile_program(src)
        compiled = time.perf_counter() - t0
        t0 = time.perf_counter()
        inputs, _ = input_values(tape, given)
        values = forward(tape, inputs)
        fwd = time.perf_counter() - t0
        t0 = time.perf_counter()
        backward(Evaluation(tape, inputs, values, []), record=True)
        bwd = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "n": n,
        "steps": len(tape),
        "parse": parse_only,
        "lower": compiled - parse_only,
        "forward": fwd,
        "backward": bwd,
        "peak_mib": peak_kib / 1024,
    }


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or SIZES
    print(
        f"{'statements':>10} {'steps':>8} {'parse s':>8} {'lower s':>8} {'forward s':>9} "
        f"{'backward s':>10} {'total s':>8} {'peak MiB':>9}"
    )
    rows = []
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout)
        rows.append(r)
        total = r["parse"] + r["lower"] + r["forward"] + r["backward"]
        print(
            f"{n:>10} {r['steps']:>8} {r['parse']:>8.3f} {r['lower']:>8.3f} "
            f"{r['forward']:>9.3f} {r['backward']:>10.3f} {total:>8.3f} {r['peak_mib']:>9.1f}"
        )
    if len(rows) > 1:
        a, b = rows[-2], rows[-1]
        ta = a["parse"] + a["lower"] + a["forward"] + a["backward"]
        tb = b["parse"] + b["lower"] + b["forward"] + b["backward"]
        print(f"growth {b['n'] // a['n']}x statements -> {tb / ta:.1f}x time")


if __name__ == "__main__":
    main()
