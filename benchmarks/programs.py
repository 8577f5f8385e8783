"""One random straight-line program, written three ways: gradcli, micrograd and PyTorch.

16 inputs and N statements mixing + - * /, relu and constant powers — the operations
micrograd has — so all three compute the same function and must agree on its gradient.
"""

import random

N_INPUTS = 16
POOL = 256


def statements(n: int, seed: int = 0):
    """(target, op, a, b) tuples; op in add sub mul div relu pow."""
    rng = random.Random(seed)
    # A pool wider than the inputs keeps the graph from becoming one 100k-deep chain,
    # along which every gradient would underflow to 0.
    live = [f"x{i % N_INPUTS}" for i in range(POOL)]
    out = []
    for i in range(n):
        a, b = rng.sample(live, 2)  # two different values: a - a would collapse to 0
        op = rng.choice(["add", "sub", "mul", "div", "relu", "pow"])
        target = f"t{i}"
        out.append((target, op, a, b))
        live[rng.randrange(POOL)] = target
    return out, live


def input_values():
    return {f"x{i}": round(0.1 * (i + 1) - 0.75, 2) for i in range(N_INPUTS)}


def gradcli_program(n: int, seed: int = 0) -> str:
    stmts, live = statements(n, seed)
    form = {
        "add": "({a} + {b}) * 0.5",
        "sub": "({a} - {b}) * 0.5",
        "mul": "{a} * {b} + 0.25",
        "div": "{a} / (1 + {b}^2)",
        "relu": "relu({a}) - {b} * 0.5",
        "pow": "{a}^2 - 0.5",
    }
    lines = [f"{t} = " + form[op].format(a=a, b=b) for t, op, a, b in stmts]
    lines.append("out = " + " + ".join(sorted(set(live))))
    return "\n".join(lines) + "\n"


def micrograd_program(n: int, seed: int = 0) -> str:
    stmts, live = statements(n, seed)
    form = {
        "add": "({a} + {b}) * 0.5",
        "sub": "({a} - {b}) * 0.5",
        "mul": "{a} * {b} + 0.25",
        "div": "{a} / (1 + {b}**2)",
        "relu": "{a}.relu() - {b} * 0.5",
        "pow": "{a}**2 - 0.5",
    }
    head = [
        "import sys, threading",
        "from micrograd.engine import Value",
        "sys.setrecursionlimit(10**7)  # micrograd's topological sort recurses once per node",
        "def main():",
    ]
    body = [f"    {k} = Value({v!r})" for k, v in input_values().items()]
    body += [f"    {t} = " + form[op].format(a=a, b=b) for t, op, a, b in stmts]
    body += [
        "    out = " + " + ".join(sorted(set(live))),
        "    out.backward()",
        "    print(repr(out.data))",
    ]
    body += [f"    print('{k}', repr({k}.grad))" for k in input_values()]
    tail = [
        "threading.stack_size(1 << 29)  # deep recursion needs a deep C stack",
        "t = threading.Thread(target=main); t.start(); t.join()",
    ]
    return "\n".join(head + body + tail) + "\n"


def torch_program(n: int, seed: int = 0) -> str:
    stmts, live = statements(n, seed)
    form = {
        "add": "({a} + {b}) * 0.5",
        "sub": "({a} - {b}) * 0.5",
        "mul": "{a} * {b} + 0.25",
        "div": "{a} / (1 + {b}**2)",
        "relu": "torch.relu({a}) - {b} * 0.5",
        "pow": "{a}**2 - 0.5",
    }
    head = ["import torch", "def main():"]
    body = [
        f"    {k} = torch.tensor({v!r}, dtype=torch.float64, requires_grad=True)"
        for k, v in input_values().items()
    ]
    body += [f"    {t} = " + form[op].format(a=a, b=b) for t, op, a, b in stmts]
    body += [
        "    out = " + " + ".join(sorted(set(live))),
        "    out.backward()",
        "    print(repr(out.item()))",
    ]
    body += [
        f"    print('{k}', repr({k}.grad.item() if {k}.grad is not None else 0.0))"
        for k in input_values()
    ]
    return "\n".join(head + body + ["main()"]) + "\n"
