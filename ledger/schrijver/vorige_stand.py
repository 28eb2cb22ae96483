"""The last full load of a ledger, kept in memory for the next write's "before".

Every write judges a change by two full loads (`ledger.schrijver.schrijven`): the ledger
as it is and the ledger with the change. In a process that writes more than
once — `buurtbudget serve` answering forms, an import of many lines — the
"after" of one write is the "before" of the next. This module keeps that load
(entries, errors, the validator's findings) under a fingerprint of everything
a load reads, and gives it back only while that fingerprint is unchanged:

- the bytes of every source file (main and includes), and what every include
  pattern matches now;
- the rules file that applies (`ledger.buurtbudget.kader.find_rules_file`) and its bytes;
- name, size, modification time and inode of every file in the ledger's folder
  and its documents folders (receipts: BB-BON asks whether they exist);
- today's date (rules judge periods against it) and the validator. The code
  is the process's own: a record never outlives the code that made it.

A ledger whose receipts may lie elsewhere (an absolute `document:` path, or one
that climbs out with `..`) is never kept: its fingerprint would not cover them.
Nothing is written to disk and nothing is unpickled; the process's memory is the
only place. `tests/test_vorige_stand.py` proves by a differential property test
that a write with this record gives the same verdict as a write without it.
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ledger.evaluatie.bronnen import Bronnen
from ledger.buurtbudget.documents import document_values, documents_folders

_SKIP_DIRS = {".git", ".buurtbudget", "__pycache__"}


@dataclass(frozen=True)
class _Record:
    vingerafdruk: bytes
    bronnen: Bronnen
    fouten: tuple


_RECORDS: dict[tuple[Path, str], _Record] = {}
_LOCK = threading.Lock()


def _naam(valideer: Callable | None) -> str:
    if valideer is None:
        return "-"
    return f"{getattr(valideer, '__module__', '?')}.{getattr(valideer, '__qualname__', repr(valideer))}"


def _listing(folder: Path, digest: Any) -> None:
    """Name, size, mtime and inode of every file below `folder` (git's and our own bookkeeping left out)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode("utf-8", "surrogateescape"))


def _elsewhere(value: str) -> bool:
    return value.startswith(("/", "\\")) or "/../" in "/" + value.replace("\\", "/") + "/"


def _receipts_elsewhere(bronnen: Bronnen) -> bool:
    for entry in bronnen.entries:
        if any(_elsewhere(v) for v in document_values(getattr(entry, "meta", None))):
            return True
        for posting in getattr(entry, "postings", None) or ():
            if posting.meta and any(_elsewhere(v) for v in document_values(posting.meta)):
                return True
    return False


def vingerafdruk(hoofd: Path, bronnen: Bronnen, valideer: Callable | None, *, nieuw: bool = True) -> bytes | None:
    """The fingerprint of everything `bronnen` was read from, as it is on disk now; None if not coverable.

    `nieuw=False`: `bronnen` is a kept record, whose receipts were found inside when it was kept.
    """
    from ledger.buurtbudget.kader import RulesFileError, find_rules_file, regels_config

    digest = hashlib.sha256()
    digest.update(f"{_naam(valideer)}\0{datetime.date.today().isoformat()}\n".encode())
    for path in bronnen.bytes_:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        digest.update(f"{path}\0{len(raw)}\0".encode("utf-8", "surrogateescape"))
        digest.update(hashlib.sha256(raw).digest())
    for folder, include, found in bronnen.includes:
        pattern = include if os.path.isabs(include) else os.path.join(folder, include)
        digest.update(f"{pattern}\0{'|'.join(sorted(glob.glob(pattern, recursive=True)))}\n"
                      .encode("utf-8", "surrogateescape"))
        if tuple(sorted(glob.glob(pattern, recursive=True))) != tuple(found):
            return None  # a file appeared or went: a fresh load, not a record
    try:
        rules = find_rules_file(hoofd, regels_config(bronnen.options_map))
    except RulesFileError as exc:
        digest.update(f"regels-fout\0{exc}\n".encode("utf-8", "surrogateescape"))
    else:
        if rules is not None:
            digest.update(f"regels\0{rules}\0".encode("utf-8", "surrogateescape"))
            try:
                digest.update(hashlib.sha256(rules.read_bytes()).digest())
            except OSError:
                return None
    if nieuw and _receipts_elsewhere(bronnen):
        return None
    for folder in dict.fromkeys([hoofd.parent, *documents_folders(bronnen.options_map)]):
        _listing(Path(folder), digest)
    return digest.digest()


def haal(hoofd: Path, valideer: Callable | None) -> tuple[Bronnen, list] | None:
    """The kept load of `hoofd`, if everything it was read from is unchanged; else None."""
    with _LOCK:
        record = _RECORDS.get((hoofd, _naam(valideer)))
    if record is None:
        return None
    if vingerafdruk(hoofd, record.bronnen, valideer, nieuw=False) != record.vingerafdruk:
        with _LOCK:
            _RECORDS.pop((hoofd, _naam(valideer)), None)
        return None
    return record.bronnen, list(record.fouten)


def bewaar(hoofd: Path, valideer: Callable | None, bronnen: Bronnen, fouten: list) -> None:
    """Keep this load of `hoofd` as it is on disk now (call it after the files are written)."""
    afdruk = vingerafdruk(hoofd, bronnen, valideer)
    with _LOCK:
        if afdruk is None:
            _RECORDS.pop((hoofd, _naam(valideer)), None)
        else:
            _RECORDS[(hoofd, _naam(valideer))] = _Record(afdruk, bronnen, tuple(fouten))


def vergeet(hoofd: Path | None = None) -> None:
    """Forget the kept load of one ledger (or of all): the next write loads afresh."""
    with _LOCK:
        for key in [k for k in _RECORDS if hoofd is None or k[0] == hoofd]:
            del _RECORDS[key]


# A switch for the differential test and the benchmark: the same write, with and without the record.
AAN = os.environ.get("BUURTBUDGET_ZONDER_VORIGE_STAND") != "1"
