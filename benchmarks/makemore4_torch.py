"""The makemore part 4 network in PyTorch (CPU, float64): a peer in benchmarks/tensor.py.

    python benchmarks/makemore4_torch.py BATCH.json

BATCH.json is a values file from examples/make_makemore4_batch.py. The forward pass is the
lecture's, step by step, the same steps as examples/makemore4.grad (torch.amax for the row
maximum, as the language's max reduction); then loss.backward(). Prints one JSON document
{"value": loss, "gradient": {parameter: nested list}}, the keys of `gradcli eval --json`.
"""

import json
import sys

import torch

PARAMETERS = ["C", "W1", "b1", "bngain", "bnbias", "W2", "b2"]


def main() -> None:
    with open(sys.argv[1]) as f:
        values = json.load(f)
    n = values["n"]
    Xb, Yb = torch.tensor(values["Xb"]), torch.tensor(values["Yb"])
    p = {k: torch.tensor(values[k], dtype=torch.float64, requires_grad=True) for k in PARAMETERS}

    emb = p["C"][Xb]
    embcat = emb.view(n, -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    bnmeani = hprebn.sum(0, keepdim=True) / n
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = bndiff2.sum(0, keepdim=True) / (n - 1)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = p["bngain"] * bnraw + p["bnbias"]
    h = torch.tanh(hpreact)
    logits = h @ p["W2"] + p["b2"]
    logit_maxes = torch.amax(logits, 1, keepdim=True)
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    loss.backward()

    gradient = {k: t.grad.tolist() for k, t in p.items()}
    print(json.dumps({"value": loss.item(), "gradient": gradient}))


if __name__ == "__main__":
    main()
