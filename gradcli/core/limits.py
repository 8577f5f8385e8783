"""How much input gradcli reads: generous for real courses, bounded for `/dev/zero`.

A program, a quiz file or a values file is read up to its limit and no further, so a
device that never ends (`-f /dev/zero`) or a file of gigabytes is refused with a message
(exit 2) instead of reading until memory runs out. README "Limits" lists the same numbers.
"""

from __future__ import annotations

import os
from typing import BinaryIO

from .errors import TooLarge

MB = 1 << 20
PROGRAM_BYTES = 10 * MB  # a program: about 200,000 statements
QUIZ_BYTES = 1 * MB  # a quiz file: thousands of questions
VALUES_BYTES = 100 * MB  # a values file (.json, .npz): arrays of millions of numbers
EXPORT_BYTES = 100 * MB  # a learner's exported answers (progress --merge): hundreds of thousands


def read_at_most(stream: BinaryIO, limit: int, what: str) -> bytes:
    """The whole of `stream`, or TooLarge when it holds more than `limit` bytes; at most
    limit + 1 bytes are ever read."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(1 << 20, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise TooLarge(
        f"{what} is larger than the {limit // MB} MB gradcli reads",
        what="input",
        limit=limit,
        size=size,
        unit="bytes",
    )


def read_file_at_most(path: str, limit: int, what: str) -> bytes:
    """The bytes of the file at `path` (see read_at_most); OSError as open() raises it."""
    with open(path, "rb") as fh:
        return read_at_most(fh, limit, what)


def env_limit(name: str, default: int) -> int:
    """A limit a user may change through the environment (GRADCLI_DOT_SECONDS, ...): a
    positive whole number, else `default` (unset, empty, not a number, or not positive)."""
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default
