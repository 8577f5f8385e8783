"""Where a command's text or bytes go: standard output, or the file given with -o."""
from __future__ import annotations

import sys
from typing import Optional, Union

from ..core.errors import UsageError


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
        sys.stdout.write(data if isinstance(data, str) else data.decode("latin-1"))
        return
    sys.stdout.flush()
    buffer.write(raw)
    buffer.flush()
