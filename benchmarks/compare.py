"""gradcli against micrograd and PyTorch on the same programs, as whole processes.

    pip install -e '.[bench]'          # micrograd and torch (CPU)
    python benchmarks/compare.py [N ...]   (default 1000 10000 100000)

For each N, one random straight-line program (benchmarks/programs.py) is written as a
gradcli program, a micrograd script and a PyTorch float64 script. Each runs end to end in
its own process (parse or compile, forward, backward, print value and gradient; gradcli
with --grad-only). The runner checks that all three agree, then prints wall time, peak
memory and gradcli's ratios to each peer, all measured in this one run.
"""

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import programs  # noqa: E402  (found through the sys.path line above)

SIZES = [1_000, 10_000, 100_000]

# The floor for any lark-based tool: a bare LALR parse of the same file with the same
# grammar (tables from lark's cache), building lark's parse tree and nothing else.
LARK_PARSE = """
import sys
from lark import Lark
from gradcli.language.syntax import grammar_path
parser = Lark(grammar_path().read_text(), start="program", parser="lalr", cache=True)
tree = parser.parse(open(sys.argv[1]).read())
print(len(tree.children))
"""


def run(argv, cwd):
    """Wall seconds, peak RSS in MiB and stdout of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, text=True
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    # The child's own peak: RUSAGE_CHILDREN accumulates, so ask wait4-style via /proc is
    # gone by now; resource's maximum over children is what we need because each
    # measurement runs in a fresh runner subprocess (see measure_one).
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {err[-500:]}")
    return wall, out


def measure_one(kind: str, path: str, cwd: str) -> None:
    """Run in a fresh process so RUSAGE_CHILDREN's peak is this program's alone."""
    import resource

    if kind == "gradcli":
        args = [f"--{k}={v!r}" for k, v in programs.input_values().items()]
        argv = [sys.executable, "-m", "gradcli", "eval", "-f", path, "--grad-only", *args]
    elif kind == "lark":
        argv = [sys.executable, "-c", LARK_PARSE, path]
    else:
        argv = [sys.executable, path]
    wall, out = run(argv, cwd)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(repr((wall, peak, out)))


def measure(kind, path, cwd):
    proc = subprocess.run(
        [sys.executable, __file__, "--one", kind, path, cwd], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-800:])
    import ast

    return ast.literal_eval(proc.stdout.strip())


def parse_gradcli(out: str):
    lines = out.strip().splitlines()
    value = float(lines[0].split("=")[1])
    grads = {}
    for line in lines[1:]:
        left, right = line.split(" = ")
        grads[left.split("∂")[-1]] = float(right)
    return value, grads


def parse_peer(out: str):
    lines = out.strip().splitlines()
    value = float(lines[0])
    grads = {}
    for line in lines[1:]:
        name, v = line.split()
        grads[name] = float(v)
    return value, grads


def agree(a, b) -> bool:
    (va, ga), (vb, gb) = a, b

    def close(x, y):
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300)

    return close(va, vb) and set(ga) == set(gb) and all(close(ga[k], gb[k]) for k in ga)


def available(module: str) -> bool:
    return (
        subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode
        == 0
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        measure_one(*sys.argv[2:])
        return
    sizes = [int(a) for a in sys.argv[1:]] or SIZES
    peers = [p for p in ("micrograd", "torch") if available(p)]
    missing = {"micrograd", "torch"} - set(peers)
    if missing:
        print(f"not installed, skipped: {', '.join(sorted(missing))} (pip install -e '.[bench]')")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    header = f"{'N':>7} {'tool':>9} {'wall s':>8} {'peak MiB':>9} {'gradcli/tool time':>18} {'gradcli/tool mem':>17}"
    print(header)
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            files = {
                "gradcli": programs.gradcli_program(n),
                "micrograd": programs.micrograd_program(n),
                "torch": programs.torch_program(n),
            }
            results = {}
            lark_path = os.path.join(tmp, f"gradcli_{n}.grad")
            Path(lark_path).write_text(files["gradcli"])
            measure("lark", lark_path, tmp)  # once untimed, to fill lark's table cache
            lark_wall, lark_peak, _ = measure("lark", lark_path, tmp)
            for kind in ["gradcli"] + peers:
                path = os.path.join(tmp, f"{kind}_{n}" + (".grad" if kind == "gradcli" else ".py"))
                Path(path).write_text(files[kind])
                wall, peak, out = measure(kind, path, tmp)
                parsed = parse_gradcli(out) if kind == "gradcli" else parse_peer(out)
                results[kind] = (wall, peak, parsed)
            g_wall, g_peak, g_parsed = results["gradcli"]
            times[n] = g_wall
            for kind, (wall, peak, parsed) in results.items():
                if kind == "gradcli":
                    print(f"{n:>7} {kind:>9} {wall:>8.2f} {peak:>9.1f}")
                    print(
                        f"{n:>7} {'lark parse':>9} {lark_wall:>8.2f} {lark_peak:>9.1f} "
                        f"{g_wall / lark_wall:>17.2f}x {g_peak / lark_peak:>16.2f}x"
                        "   (bare lark parse of the same file: the floor)"
                    )
                    continue
                ok = "" if agree(g_parsed, parsed) else "   DISAGREES with gradcli"
                print(
                    f"{n:>7} {kind:>9} {wall:>8.2f} {peak:>9.1f} {g_wall / wall:>17.2f}x "
                    f"{g_peak / peak:>16.2f}x{ok}"
                )
    ns = sorted(times)
    for a, b in zip(ns, ns[1:]):
        print(
            f"gradcli growth {a} -> {b}: {times[b] / times[a]:.1f}x time for {b // a}x statements"
        )


if __name__ == "__main__":
    main()
