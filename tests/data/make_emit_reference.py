"""Write tests/data/emit_reference.json: what `gradcli graph` and `gradcli code` print for a
set of programs (scalar and tensor), exit status and both streams, byte for byte.

Made with the code as it was before graph and code streamed their output: commit 927257b
with branch `numbers` (2243c45) on it, whose softplus and relu helpers the generated code
carries, so tests/test_emit_stream.py holds today's output to those bytes:

    PYTHONPATH=<a checkout of 2243c45> python tests/data/make_emit_reference.py

Since branch `zero` an adjoint's first contribution is assigned (`da = b * dx`; in
JavaScript `let da = ...`; in a tensor graph's edge labels `W̄ = ...`) instead of added to
a 0 declared first, and the generated code's header says so: the reference was written
again from that branch, after checking that every byte that changed was one of those lines.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emit_cases import CASES, COMMANDS, run  # noqa: E402

import gradcli  # noqa: E402

print("from", gradcli.__file__)
out = {}
for name, (program, values, kind) in CASES.items():
    for command in COMMANDS[kind]:
        out[f"{name} | {' '.join(command)}"] = run(command, program, values)
path = Path(__file__).resolve().parent / "emit_reference.json"
path.write_text(json.dumps(out, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
print(len(out), "outputs written to", path)
