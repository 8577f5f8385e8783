"""gradcli's tensor mode against PyTorch and hand-written NumPy on the makemore part 4 network.

    pip install -e '.[bench]'                        # torch (CPU)
    python benchmarks/tensor.py [--runs K] [--gradcli "COMMAND"]

Two sizes: the lecture's (batch 32, hidden 64) and a big one (batch 8192, hidden 512), each
a values file from examples/make_makemore4_batch.py. Three whole processes read the same
file, run the forward and the backward pass and print the loss and every parameter's
gradient:

    gradcli   COMMAND eval -f examples/makemore4.grad --values FILE --grad-only
    torch     python benchmarks/makemore4_torch.py FILE     (CPU, float64, loss.backward())
    numpy     python benchmarks/makemore4_numpy.py FILE     (the lecture's closed forms)

COMMAND defaults to `python -m gradcli`, run from the repository root, so this checkout's
gradcli. First each program runs once untimed, which warms the OS cache and gradcli's
parse tables and checks that all three agree: the loss and every gradient element within
1e-9 relative (gradcli here with --json added, whose format is documented). Then each runs
K times (default 3), interleaved so background load spreads evenly, every measurement in a
fresh runner process so that RUSAGE_CHILDREN's peak is that one program's. Printed: the
median wall time, the largest peak RSS, gradcli's ratios to each peer, and the targets of
issue 10, all measured in this one run.
"""

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROGRAM = ROOT / "examples" / "makemore4.grad"
sys.path.insert(0, str(ROOT / "examples"))
import make_makemore4_batch as batches  # noqa: E402  (found through the sys.path line above)

SIZES = [(32, 64), (8192, 512)]  # (batch, hidden)
# Agreement: |a - b| <= RTOL * |b| + ATOL per element. The floor is for b1's gradient, zero
# in exact arithmetic (batchnorm removes b1's effect) and rounding noise of order 1e-17 in
# each program's floats; every other entry is far above it. tests/test_tensor_reference.py
# uses the same rule.
RTOL, ATOL = 1e-9, 1e-12
# Issue 10's targets: (batch, peer, "time" or "memory", the largest gradcli/peer ratio).
TARGETS = [
    (32, "torch", "time", 0.5),
    (8192, "torch", "time", 1.0),
    (8192, "numpy", "time", 1.5),
    (8192, "numpy", "memory", 2.0),
]


def commands(gradcli: list, batch: str) -> dict:
    """Each tool's timed command line for one batch file."""
    return {
        "gradcli": [*gradcli, "eval", "-f", str(PROGRAM), "--values", batch, "--grad-only"],
        "torch": [sys.executable, str(HERE / "makemore4_torch.py"), batch],
        "numpy": [sys.executable, str(HERE / "makemore4_numpy.py"), batch],
    }


def run(argv: list) -> str:
    """Run one program from the repository root; its stdout, or an error with its stderr."""
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} failed ({proc.returncode}): {proc.stderr[-800:]}")
    return proc.stdout


def measure_one(argv: list) -> None:
    """Run in a fresh process so RUSAGE_CHILDREN's peak is this program's alone."""
    import resource

    start = time.perf_counter()
    run(argv)
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps([wall, peak_mib]))


def measure(argv: list) -> tuple:
    """(wall seconds, peak MiB) of one run of argv."""
    out = run([sys.executable, __file__, "--one", json.dumps(argv)])
    return tuple(json.loads(out))


def disagreement(a: dict, b: dict) -> str:
    """What differs between two {"value", "gradient"} results, or "" if they agree."""
    if not np.allclose(a["value"], b["value"], rtol=RTOL, atol=ATOL):
        return f"loss {a['value']!r} vs {b['value']!r}"
    if set(a["gradient"]) != set(b["gradient"]):
        return f"gradient names {sorted(a['gradient'])} vs {sorted(b['gradient'])}"
    for name in a["gradient"]:
        ga, gb = np.array(a["gradient"][name]), np.array(b["gradient"][name])
        if ga.shape != gb.shape:
            return f"∂/∂{name} shapes {ga.shape} vs {gb.shape}"
        if not np.allclose(ga, gb, rtol=RTOL, atol=ATOL):
            worst = np.abs(ga - gb).max()
            return f"∂/∂{name} differs by up to {worst:.3g} (absolute)"
    return ""


def check_agreement(argvs: dict) -> None:
    """Run each tool once (untimed) and require every pair of results to agree."""
    results = {}
    for tool, argv in argvs.items():
        if tool == "gradcli":
            argv = [*argv, "--json"]  # the same run, in the documented JSON format
        results[tool] = json.loads(run(argv))
    tools = list(results)
    for i, a in enumerate(tools):
        for b in tools[i + 1 :]:
            problem = disagreement(results[a], results[b])
            if problem:
                raise SystemExit(f"{a} and {b} disagree: {problem}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        measure_one(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description="gradcli vs PyTorch vs NumPy on makemore part 4")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per program (default 3)")
    parser.add_argument(
        "--gradcli",
        default=shlex.join([sys.executable, "-m", "gradcli"]),
        help="how to run gradcli (default: this python -m gradcli)",
    )
    args = parser.parse_args()
    gradcli = shlex.split(args.gradcli)

    tools = ["gradcli", "torch", "numpy"]
    if importlib.util.find_spec("torch") is None:
        tools.remove("torch")
        print("torch is not installed, skipped (pip install -e '.[bench]')")
    versions = ", ".join(f"{m} {importlib.metadata.version(m)}" for m in tools[1:])
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {versions}; "
        f"median wall time and largest peak of {args.runs} runs"
    )
    print(
        f"{'batch':>6} {'hidden':>6} {'tool':>8} {'wall s':>8} {'peak MiB':>9} "
        f"{'gradcli/tool time':>18} {'gradcli/tool mem':>17}"
    )
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, hidden in SIZES:
            batch = os.path.join(tmp, f"makemore4-{n}-{hidden}.json")
            Path(batch).write_text(batches.to_json(batches.batch(n, hidden)))
            argvs = {tool: argv for tool, argv in commands(gradcli, batch).items() if tool in tools}
            check_agreement(argvs)
            samples = {tool: [] for tool in tools}
            for _ in range(args.runs):
                for tool in tools:
                    samples[tool].append(measure(argvs[tool]))
            wall = {t: statistics.median(s[0] for s in samples[t]) for t in tools}
            peak = {t: max(s[1] for s in samples[t]) for t in tools}
            for tool in tools:
                line = f"{n:>6} {hidden:>6} {tool:>8} {wall[tool]:>8.2f} {peak[tool]:>9.1f}"
                if tool != "gradcli":
                    ratios[n, tool] = {
                        "time": wall["gradcli"] / wall[tool],
                        "memory": peak["gradcli"] / peak[tool],
                    }
                    line += (
                        f" {ratios[n, tool]['time']:>17.2f}x {ratios[n, tool]['memory']:>16.2f}x"
                    )
                print(line)
    print("all three agree on the loss and every gradient (1e-9 relative) at both sizes")
    print("targets (issue 10):")
    for n, peer, metric, bound in TARGETS:
        if (n, peer) in ratios:
            ratio = ratios[n, peer][metric]
            verdict = "met" if ratio <= bound else "MISSED"
            print(
                f"  batch {n:>4}: gradcli/{peer} {metric:<6} {ratio:5.2f}x <= {bound}x  {verdict}"
            )


if __name__ == "__main__":
    main()
