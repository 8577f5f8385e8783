"""Text made piece by piece (a 100,000-step graph as JSON, generated code) written as it is
made: to standard output in chunks of about outfile.CHUNK characters, each encoded and
flushed as write_output flushes its chunks (so a closed pipe or a full disk stops the
writing at the chunk that failed); to a file given with -o, whole, through write_output,
which replaces the file only once the content is complete.

The bytes are exactly those of write_output("".join(pieces), path); only the whole
document is never held at once on the way to standard output."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Optional

from .outfile import CHUNK, write_output


def write_pieces(pieces: Iterable[str], path: Optional[str] = None) -> None:
    if path is not None and path != "-":
        write_output("".join(pieces), path)
        return
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
    held: list = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= CHUNK:
            _write("".join(held), buffer)
            held, size = [], 0
    if held:
        _write("".join(held), buffer)


def _write(text: str, buffer) -> None:
    if buffer is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    buffer.write(text.encode("utf-8"))
    buffer.flush()
