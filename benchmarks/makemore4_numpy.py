"""The makemore part 4 network in hand-written NumPy: a peer in benchmarks/tensor.py.

    python benchmarks/makemore4_numpy.py BATCH.json

BATCH.json is a values file from examples/make_makemore4_batch.py. The forward pass is the
lecture's; the backward pass is written by hand the way the lecture ends up writing it
(its Exercises 2 and 3): cross-entropy and batchnorm each in one closed form instead of
step by step, and the embedding's gradient scatter-added with np.add.at. This is the
fastest straightforward way to get these gradients in NumPy, which is what gradcli is
measured against. Prints one JSON document {"value": loss, "gradient": {parameter: nested
list}}, the keys of `gradcli eval --json`.
"""

import json
import sys

import numpy as np


def forward_backward(values: dict):
    n = values["n"]
    Xb, Yb = np.array(values["Xb"]), np.array(values["Yb"])
    C, W1, b1, W2, b2, bngain, bnbias = (
        np.array(values[k], dtype=np.float64)
        for k in ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
    )
    rows = np.arange(n)

    # Forward.
    emb = C[Xb]
    embcat = emb.reshape(n, -1)
    hprebn = embcat @ W1 + b1
    bndiff = hprebn - hprebn.sum(0, keepdims=True) / n
    bnvar = (bndiff**2).sum(0, keepdims=True) / (n - 1)  # Bessel's n-1, as the lecture
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    h = np.tanh(bngain * bnraw + bnbias)
    logits = h @ W2 + b2
    counts = np.exp(logits - logits.max(1, keepdims=True))
    probs = counts * counts.sum(1, keepdims=True) ** -1
    loss = -np.log(probs[rows, Yb]).mean()

    # Backward. Softmax and cross-entropy together: dlogits = (softmax - onehot(Yb)) / n.
    dlogits = probs  # in place: probs is not needed after this
    dlogits[rows, Yb] -= 1
    dlogits /= n
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdims=True)
    dbnbias = dhpreact.sum(0, keepdims=True)
    # Batchnorm in one expression, Bessel's correction included (the lecture's Exercise 3).
    dhprebn = (
        bngain
        * bnvar_inv
        / n
        * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    )
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    # A character that occurs more than once in the batch collects every contribution.
    dC = np.zeros_like(C)
    np.add.at(dC, Xb, dembcat.reshape(emb.shape))
    gradient = {
        "C": dC,
        "W1": dW1,
        "b1": db1,
        "bngain": dbngain,
        "bnbias": dbnbias,
        "W2": dW2,
        "b2": db2,
    }
    return loss, gradient


def main() -> None:
    with open(sys.argv[1]) as f:
        values = json.load(f)
    loss, gradient = forward_backward(values)
    print(
        json.dumps({"value": float(loss), "gradient": {k: g.tolist() for k, g in gradient.items()}})
    )


if __name__ == "__main__":
    main()
