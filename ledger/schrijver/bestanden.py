"""The file primitives of the writer: one lock per ledger, atomic replacement.

A crash at any moment leaves each file with either its old or its new bytes
(temp file in the same folder, fsync, rename, fsync the folder). That a write
of several files and its commit is all or nothing is `ledger.schrijver.intentie`'s job.

`stap(naam)` marks every step that touches the disk or git (each write, fsync,
rename, link, unlink and git call). The fault-injection tests set
`BUURTBUDGET_FOUTSTAP=N:soort` in a child process to make step N fail:
`kill` (SIGKILL, as a power loss between two steps), `midden` (a git step is
started and killed halfway, with the writer), `enospc` (from step N on every
step that needs space fails: a full disk) or `erofs` (from step N on every
step fails: the disk went read-only). Unset, a step costs one dictionary look-up.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import tempfile
from pathlib import Path

FOUTSTAP_ENV = "BUURTBUDGET_FOUTSTAP"
_stappen = 0
gedaan: list[str] = []  # the steps taken, with `0:tel`


def stap(naam: str, *, ruimte: bool = True, schrijft: bool = True) -> bool:
    """One step of a write (`ruimte`: it needs free space; `schrijft`: it changes the disk at all).

    True: the caller must die halfway (`midden`).
    """
    spec = os.environ.get(FOUTSTAP_ENV)
    if not spec:
        return False
    global _stappen
    _stappen += 1
    nummer, _, soort = spec.partition(":")
    n = int(nummer)
    if soort == "tel":
        gedaan.append(naam)
        return False
    if not schrijft:
        ruimte = False
        if soort == "erofs":
            return False
    if soort in ("kill", "midden") and _stappen == n:
        if soort == "midden" and naam.startswith("git "):
            return True
        os.kill(os.getpid(), signal.SIGKILL)
    if soort == "enospc" and _stappen >= n and ruimte:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), naam)
    if soort == "erofs" and _stappen >= n:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), naam)
    return False


@contextlib.contextmanager
def ledger_lock(pad: Path):
    """Exclusive lock of a ledger (blocking); released when the block ends or the process dies.

    The lock is taken on the ledger's folder, not on a lock file beside it (a
    refused write leaves the folder exactly as it was), and not on the ledger
    file itself: a writer replaces that file (a new inode) and still has its
    commit to make, so a lock on the file would let the next writer in — and
    see the write in progress as one to recover — before the first is done.
    """
    fd = os.open(Path(pad).parent if str(Path(pad).parent) else ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    stap(f"fsync {folder.name}/")
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tmp_prefix(pad: Path) -> str:
    return f".{pad.name}."


def _write_tmp(pad: Path, inhoud: bytes, modus: int | None = None) -> str:
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix(pad), suffix=".tmp", dir=pad.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            stap(f"schrijf {pad.name}")
            handle.write(inhoud)
            handle.flush()
            stap(f"fsync {pad.name}")
            os.fsync(handle.fileno())
        if modus is not None:  # a secret (users file, session key): never readable by others, not even briefly
            os.chmod(tmp, modus)
        else:
            with contextlib.suppress(OSError):
                os.chmod(tmp, pad.stat().st_mode & 0o777 if pad.exists() else 0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write_bytes(pad: Path, inhoud: bytes, *, modus: int | None = None) -> None:
    """Temp file in the same folder, fsync, rename over the target, fsync the folder.

    `modus`: the file's permissions (0o600 for a secret); without it a file keeps its own, a new one 0o644.
    The one atomic write of the project: ledgers, the users file, the session key, the public copy.
    """
    if modus is None:
        atomic_write_many({pad: inhoud})
        return
    tmp = klaar_naast(pad, inhoud, modus=modus)
    zet_op_plek(tmp, pad)


def klaar_naast(pad: Path, inhoud: bytes, *, modus: int | None = None) -> Path:
    """The first half of an atomic write: `inhoud` complete and synced in a temp file beside `pad`;
    `zet_op_plek` finishes it."""
    return Path(_write_tmp(pad, inhoud, modus))


def zet_op_plek(tmp: Path, pad: Path) -> None:
    """The second half: rename the temp file over `pad` and sync the folder."""
    try:
        stap(f"rename {pad.name}", ruimte=False)
        os.replace(tmp, pad)
    except BaseException:
        verwijder_stil(tmp)
        raise
    fsync_dir(pad.parent)


def verwijder_stil(tmp: Path) -> None:
    """A temp file that is no longer wanted; gone already is fine."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)


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
            stap(f"rename {pad.name}", ruimte=False)
            os.replace(tmp, pad)
    except BaseException:
        for tmp, _ in tmps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for folder in {pad.parent for pad in inhoud}:
        fsync_dir(folder)


def copy_atomic(bron: Path, doel: Path) -> None:
    """Copy `bron` in as `doel`, which must not exist (FileExistsError): a receipt is never overwritten."""
    doel.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix(doel), suffix=".tmp", dir=doel.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(bron, "rb") as src:
            stap(f"schrijf {doel.name}")
            shutil.copyfileobj(src, out)
            out.flush()
            stap(f"fsync {doel.name}")
            os.fsync(out.fileno())
        stap(f"link {doel.name}", ruimte=False)
        os.link(tmp, doel)  # unlike a rename, a link never replaces a file that appeared meanwhile
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
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
