"""The parse table's cache: a JSON file per grammar, trusted only when it checks out.

Loading the cached table takes ~1 ms; importing lark and building it takes ~100 ms, so
every run reads this cache. What it holds is run as the parser (token regexes, the LALR
states), so it is used only when all of these hold, and is otherwise treated as absent:
- the folder is the user's own and no one else can write to it (another user's file is
  never read, and a planted symlink or file is never written through);
- the file carries the grammar it was built from, equal to today's grammar, and a digest
  of its whole content that matches (an edited regex or a missing table is a cache that
  does not check out: rebuilt, never used);
- the table builds a parser (the caller rebuilds when it does not).
New files are written to a fresh temporary file in the folder (`mkstemp`: O_EXCL, a name no
one can predict, never following a symlink) and renamed over the old one, so a concurrent
reader sees a whole table or none.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Optional

FORMAT = "gradcli-lalr-3"  # bump when the table's shape or this file's layout changes


def _digest(text: str) -> str:
    # blake2b from the interpreter's builtin module: `import hashlib` costs ~5 ms of
    # start-up (it loads OpenSSL), and this runs on every invocation.
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - an interpreter without the builtin module
        from hashlib import blake2b
    return blake2b(text.encode("utf-8"), digest_size=32).hexdigest()


def cache_dir() -> Optional[Path]:
    """The folder for cached tables, or None when there is no safe place to name.

    GRADCLI_CACHE_DIR wins; else the platform's user cache folder (platformdirs:
    `$XDG_CACHE_HOME/gradcli` or `~/.cache/gradcli` on Linux, ~/Library/Caches/gradcli
    on macOS, %LOCALAPPDATA%\\gradcli\\Cache on Windows). A relative path (a relative
    XDG_CACHE_HOME, an empty HOME) would put the cache wherever the user happens to
    run gradcli: no cache then.
    """
    explicit = os.environ.get("GRADCLI_CACHE_DIR")
    if explicit:
        path = Path(explicit)
    else:
        if not os.path.isabs(os.environ.get("XDG_CACHE_HOME") or "/"):
            return None  # the XDG spec: a relative XDG_CACHE_HOME is invalid, ignore it
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir("gradcli", appauthor=False))
    return path if path.is_absolute() else None


def _safe_folder(folder: Path, create: bool) -> bool:
    """The folder is a real directory owned by this user that no one else can write to.
    When `create`: made with mode 0700 if missing, and the user's own folder that others
    could write to (an older gradcli under umask 002) is closed to them first — files
    others left in it are still refused, by their owner, when read."""
    if create:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False  # a symlink or a file where the folder should be
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if shared and create:
        try:
            os.chmod(
                folder,
                stat.S_IMODE(info.st_mode) & ~(stat.S_IWGRP | stat.S_IWOTH),
                follow_symlinks=False,
            )
            return True
        except (OSError, NotImplementedError):
            return False
    return not shared


def _file_name(grammar: str) -> str:
    import zlib

    # The name only tells grammars apart; the digest inside is what is trusted.
    return f"parser-{FORMAT}-{zlib.crc32(grammar.encode('utf-8')):08x}-{len(grammar)}.json"


def load(grammar: str) -> Optional[dict]:
    """The cached table for this grammar, or None when there is none that checks out."""
    folder = cache_dir()
    if folder is None or not _safe_folder(folder, create=False):
        return None
    path = folder / _file_name(grammar)
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags)
        with os.fdopen(fd, encoding="utf-8") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or (
                hasattr(os, "getuid") and info.st_uid != os.getuid()
            ):
                return None
            digest, _, body = f.read().partition("\n")
        if digest != _digest(body):
            return None
        table = json.loads(body)
        if not isinstance(table, dict) or table.get("grammar") != grammar:
            return None
        return table
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(grammar: str, table: dict) -> None:
    """Cache the table (which carries its grammar) if there is a safe folder; else nothing:
    a read-only or shared home still works, only slower."""
    folder = cache_dir()
    if folder is None or not _safe_folder(folder, create=True):
        return
    import tempfile  # only when writing: ~2 ms of start-up otherwise

    body = json.dumps(table)
    text = _digest(body) + "\n" + body  # line 1: the digest of the rest
    try:
        fd, tmp = tempfile.mkstemp(prefix=".parser-", suffix=".tmp", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, folder / _file_name(grammar))  # atomic; replaces a symlink itself
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
