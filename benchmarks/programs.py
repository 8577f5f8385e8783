"""One random straight-line program, written three ways: gradcli, micrograd and PyTorch.

16 inputs and N statements mixing + - * /, relu and constant powers — the operations
micrograd has — so all three compute the same function and must agree on its gradient.
"""
import random

N_INPUTS = 16


def statements(n: int, seed: int = 0):
    """(target, op, a, b) tuples; op in add sub mul div relu pow."""
    rng = random.Random(seed)
    live = [f"x{i}" for i in range(N_INPUTS)]
    out = []
    for i in range(n):
        a, b = rng.choice(live), rng.choice(live)
        op = rng.choice(["add", "sub", "mul", "div", "relu", "pow"])
        target = f"t{i}"
        out.append((target, op, a, b))
        live[rng.randrange(N_INPUTS)] = target  # keep the graph connected and deep
    return out, live


def input_values():
    return {f"x{i}": round(0.1 * (i + 1) - 0.75, 2) for i in range(N_INPUTS)}


def gradcli_program(n: int, seed: int = 0) -> str:
    stmts, live = statements(n, seed)
    form = {"add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b} * 0.5",
            "div": "{a} / (1 + {b}^2)", "relu": "relu({a})", "pow": "{a}^2 * 0.1"}
    lines = [f"{t} = " + form[op].format(a=a, b=b) for t, op, a, b in stmts]
    lines.append("out = " + " + ".join(live))
    return "\n".join(lines) + "\n"


def micrograd_program(n: int, seed: int = 0) -> str:
    stmts, live = statements(n, seed)
    form = {"add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b} * 0.5",
            "div": "{a} / (1 + {b}**2)", "relu": "{a}.relu()", "pow": "{a}**2 * 0.1"}
    head = [
        "import sys, threading",
        "from micrograd.engine import Value",
        "sys.setrecursionlimit(10**7)  # micrograd's topological sort recurses once per node",
        "def main():",
    ]
    body = [f"    {k} = Value({v!r})" for k, v in input_values().items()]
    body += [f"    {t} = " + form[op].format(a=a, b=b) for t, op, a, b in stmts]
    body += ["    out = " + " + ".join(live), "    out.backward()",
             "    print(repr(out.data))"]
    body += [f"    print('{k}', repr({k}.grad))" for k in input_values()]
    tail = ["threading.stack_size(1 << 29)  # deep recursion needs a deep C stack",
            "t = threading.Thread(target=main); t.start(); t.join()"]
    return "\n".join(head + body + tail) + "\n"


def torch_program(n: int, seed: int = 0) -> str:
    stmts, live = statements(n, seed)
    form = {"add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b} * 0.5",
            "div": "{a} / (1 + {b}**2)", "relu": "torch.relu({a})", "pow": "{a}**2 * 0.1"}
    head = ["import torch", "def main():"]
    body = [f"    {k} = torch.tensor({v!r}, dtype=torch.float64, requires_grad=True)"
            for k, v in input_values().items()]
    body += [f"    {t} = " + form[op].format(a=a, b=b) for t, op, a, b in stmts]
    body += ["    out = " + " + ".join(live), "    out.backward()",
             "    print(repr(out.item()))"]
    body += [f"    print('{k}', repr({k}.grad.item()))" for k in input_values()]
    return "\n".join(head + body + ["main()"]) + "\n"
