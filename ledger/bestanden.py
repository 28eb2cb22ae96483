"""The file primitives of the writer: one lock per ledger, atomic replacement.

A crash at any moment leaves each file with either its old or its new bytes
(temp file in the same folder, fsync, rename, fsync the folder).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def ledger_lock(pad: Path):
    """Exclusive lock on the ledger itself (blocking); released when the block ends or the process dies.

    The lock is taken on the ledger file, not on a lock file beside it, so a
    refused write leaves the ledger's folder exactly as it was. A writer replaces
    the file (a new inode), so a waiter that got the lock on the old inode lets
    go and locks the file that is there now.
    """
    while True:
        fd = os.open(pad, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(pad)
            except FileNotFoundError:
                current = None
            held = os.fstat(fd)
            if current is not None and (current.st_ino, current.st_dev) == (held.st_ino, held.st_dev):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced while we waited: lock the new file
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tmp_prefix(pad: Path) -> str:
    return f".{pad.name}."


def _write_tmp(pad: Path, inhoud: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix(pad), suffix=".tmp", dir=pad.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(inhoud)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, pad.stat().st_mode & 0o777 if pad.exists() else 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write_bytes(pad: Path, inhoud: bytes) -> None:
    """Temp file in the same folder, fsync, rename over the target, fsync the folder."""
    atomic_write_many({pad: inhoud})


def atomic_write_many(inhoud: dict[Path, bytes]) -> None:
    """Several files: every temp file is complete and synced before the first rename.

    Each file is atomic on its own; between two renames a reader may see one
    file new and another old (they are renamed in a fixed order, the main
    ledger last, so an include is never referred to before it exists).
    """
    tmps: list[tuple[str, Path]] = []
    try:
        for pad, raw in inhoud.items():
            tmps.append((_write_tmp(pad, raw), pad))
        for tmp, pad in tmps:
            os.replace(tmp, pad)
    except BaseException:
        for tmp, _ in tmps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for folder in {pad.parent for pad in inhoud}:
        fsync_dir(folder)


def copy_atomic(bron: Path, doel: Path) -> None:
    doel.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{doel.name}.", suffix=".tmp", dir=doel.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(bron, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, doel)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(doel.parent)


def clean_stale_tmp(paden: list[Path]) -> None:
    """Temp files of a writer that was killed (the caller holds the lock, so none is in use)."""
    for pad in paden:
        try:
            names = os.listdir(pad.parent)
        except OSError:
            continue
        prefix = tmp_prefix(pad)
        for name in names:
            if name.startswith(prefix) and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(pad.parent / name)
