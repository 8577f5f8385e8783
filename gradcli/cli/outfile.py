"""Where a command's text or bytes go: standard output, or the file given with -o.

Standard output is written in chunks, each flushed, so a failure (a reader that closed the
pipe, a full disk) stops the writing at the chunk that failed, and surfaces inside the
command as BrokenPipeError or app.StreamError, never at the interpreter's exit."""
from __future__ import annotations

import sys
from typing import Optional, Union

from ..core.errors import UsageError

CHUNK = 1 << 16  # characters or bytes per write to standard output


def write_text(text: str) -> None:
    """`text` to standard output, chunk by chunk, each checked."""
    for at in range(0, len(text), CHUNK):
        sys.stdout.write(text[at:at + CHUNK])
        sys.stdout.flush()


def write_output(data: Union[str, bytes], path: Optional[str] = None) -> None:
    """Write to `path` (UTF-8 for text), else to stdout; generated text is always UTF-8."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path is not None and path != "-":
        try:
            with open(path, "wb") as fh:
                fh.write(raw)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        return
    if isinstance(data, bytes) and sys.stdout.isatty():
        raise UsageError("this format is binary and standard output is a terminal",
                         "write it to a file with -o FILE")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        write_text(data if isinstance(data, str) else data.decode("latin-1"))
        return
    sys.stdout.flush()
    for at in range(0, len(raw), CHUNK):
        buffer.write(raw[at:at + CHUNK])
        buffer.flush()
