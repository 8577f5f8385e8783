"""Write a batch of inputs for examples/makemore4.grad: the network's parameters and one
minibatch, as a JSON values file (`gradcli eval -f examples/makemore4.grad --values FILE`).

    python examples/make_makemore4_batch.py                       # examples/makemore4-batch.json
    python examples/make_makemore4_batch.py --n 8192 --hidden 512 -o big.json

Sizes and initialisation follow Karpathy's makemore part 4 ("Becoming a Backprop Ninja",
makemore_part4_backprop.ipynb): vocabulary 27, block 3, embedding 10, hidden 64, batch 32.
The lecture initialises every parameter to something non-trivial (small random biases, a
batchnorm gain that is not 1) so that a wrong backward pass cannot hide behind a zero or a
one; this does the same. The lecture draws its batch from the names dataset; there is no
dataset here, so Xb (the 3-character contexts) and Yb (the next characters) are uniform
random integers in 0..26 from the same fixed-seed NumPy generator. Only NumPy is needed,
and the same arguments always give the same file.
"""

import argparse
import json
from pathlib import Path

import numpy as np

VOCAB = 27  # '.' and a..z
BLOCK = 3  # characters of context
EMBED = 10  # embedding dimensions per character
SEED = 2147483647  # the lecture's torch.Generator seed, reused for NumPy's generator
DEFAULT_OUT = Path(__file__).resolve().parent / "makemore4-batch.json"


def batch(n: int = 32, hidden: int = 64, seed: int = SEED) -> dict:
    """Parameters drawn in the lecture's order and scaled as it scales them, then a batch."""
    rng = np.random.default_rng(seed)
    fan_in = EMBED * BLOCK
    values = {
        "C": rng.standard_normal((VOCAB, EMBED)),
        # Kaiming init for tanh: gain 5/3 over sqrt(fan_in).
        "W1": rng.standard_normal((fan_in, hidden)) * (5 / 3) / fan_in**0.5,
        "b1": rng.standard_normal(hidden)
        * 0.1,  # useless under batchnorm, kept as the lecture does
        "W2": rng.standard_normal((hidden, VOCAB)) * 0.1,
        "b2": rng.standard_normal(VOCAB) * 0.1,
        # Shape (1, hidden), as in the lecture: their gradients must keep that shape.
        "bngain": rng.standard_normal((1, hidden)) * 0.1 + 1.0,
        "bnbias": rng.standard_normal((1, hidden)) * 0.1,
        "Xb": rng.integers(0, VOCAB, size=(n, BLOCK)),
        "Yb": rng.integers(0, VOCAB, size=n),
    }
    return {"n": n, **{name: v.tolist() for name, v in values.items()}}


def to_json(values: dict) -> str:
    """One name per line and one matrix row per line: readable, and diffs stay small.
    Floats are written with Python's repr, which reads back as the same float64."""

    def dump(v):
        if isinstance(v, list) and v and isinstance(v[0], list):
            return "[\n  " + ",\n  ".join(json.dumps(row) for row in v) + "\n ]"
        return json.dumps(v)

    return "{\n" + ",\n".join(f" {json.dumps(k)}: {dump(v)}" for k, v in values.items()) + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units (default 64)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUT,
        help="where to write (default examples/makemore4-batch.json)",
    )
    args = parser.parse_args()
    args.output.write_text(to_json(batch(args.n, args.hidden, args.seed)))


if __name__ == "__main__":
    main()
