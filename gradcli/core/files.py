"""Files gradcli writes for the user: replaced whole or not at all.

The content goes to a new temporary file in the same folder, which replaces the target
only once it is whole and on disk: a full disk or a file-size limit leaves the old file as
it was. One writer for every command (`-o`, `--export`, `progress --export`); the layers
above call it, so it lives here, below them.
"""

from __future__ import annotations

import os
from typing import Union

from .errors import UsageError

# Every file this process has put in place, whole: a Ctrl-C that comes after one was
# renamed into place does not undo it, and the message says so (cli/app.py).
written: list = []


def write_file(path: str, data: Union[str, bytes]) -> None:
    """Replace the file at `path` with `data` (text as UTF-8) all at once, or not at all.

    The target's symlinks are followed (the file the link names is the one replaced, the
    link stays), its permission bits kept; a new file gets the usual ones (0666 less the
    umask)."""
    import stat
    import tempfile

    raw = data.encode("utf-8") if isinstance(data, str) else data
    target = os.path.realpath(path)
    folder = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder
        )
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        written.append(path)
    except BaseException as exc:  # Ctrl-C too: the temporary file never stays behind
        if not isinstance(exc, OSError) and not os.path.exists(tmp):
            # Ctrl-C as the rename returned (a signal is handled once the call is done):
            # the file is in place and whole, so it is not undone, only reported.
            if path not in written:
                written.append(path)
            raise
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if not isinstance(exc, OSError):
            raise
        kept = " (it is unchanged)" if os.path.exists(target) else ""
        raise UsageError(f"cannot write {path}{kept}: {exc.strerror}") from None
