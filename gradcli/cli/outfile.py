"""Where a command's text or bytes go: standard output, or the file given with -o.

Standard output is written in chunks, each flushed, so a failure (a reader that closed the
pipe, a full disk) stops the writing at the chunk that failed, and surfaces inside the
command as BrokenPipeError or app.StreamError, never at the interpreter's exit.

A file is never left half-written: the content goes to a new temporary file in the same
folder, which replaces the target only once it is whole and on disk (a full disk or a
file-size limit leaves the old file as it was). A file that is one of the command's own
inputs (`code -f prog.py -o prog.py`) is refused before anything runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Optional, Union

from ..core.errors import UsageError
from ..core.files import write_file  # noqa: F401 (the commands' one way to write a file)

CHUNK = 1 << 16  # characters or bytes per write to standard output


def write_text(text: str) -> None:
    """`text` to standard output, chunk by chunk, each checked."""
    for at in range(0, len(text), CHUNK):
        sys.stdout.write(text[at : at + CHUNK])
        sys.stdout.flush()


def write_output(data: Union[str, bytes], path: Optional[str] = None) -> None:
    """Write to `path` (UTF-8 for text), else to stdout; generated text is always UTF-8."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path is not None and path != "-":
        write_file(path, raw)
        return
    if isinstance(data, bytes) and sys.stdout.isatty():
        raise UsageError(
            "this format is binary and standard output is a terminal",
            "write it to a file with -o FILE",
        )
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        write_text(data if isinstance(data, str) else data.decode("latin-1"))
        return
    sys.stdout.flush()
    for at in range(0, len(raw), CHUNK):
        buffer.write(raw[at : at + CHUNK])
        buffer.flush()


def refuse_overwriting_inputs(
    out: Optional[str], inputs: Iterable[Optional[str]], option: str = "-o"
) -> None:
    """Refuse an output file that is one of the files the command reads."""
    if out in (None, "-") or not os.path.exists(out):
        return
    for given in inputs:
        if given in (None, "-") or not os.path.exists(given):
            continue
        try:
            same = os.path.samefile(out, given)
        except OSError:
            continue
        if same:
            raise UsageError(
                f"{option} {out}: that is the file this command reads "
                f"({given}); writing it would destroy it",
                "write to another file",
            )
