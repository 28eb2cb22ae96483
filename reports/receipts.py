"""The receipts a statement embeds: every file a booking of its period points at.

A receipt is `document:` metadata (on a transaction or a posting) or a Fava
`document` entry, resolved the way BB-BON resolves it (`ledger.buurtbudget.documents`).
Each file is embedded once, named by its path relative to the ledger's folder
(`documents/2025-03-10-bouwmarkt.pdf`), so the annex can link a booking's
receipt cell to it and `buurtbudget verifieer` can put it back where the
ledger expects it. A value that resolves to no file is listed as missing (it
is a BB-BON violation as well, when it belongs to a cost).
"""

from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from beancount.core import data

from ledger.buurtbudget.documents import DocumentResolver, document_values
from reports.sources import SourceFile


@dataclass(frozen=True, slots=True)
class MissingReceipt:
    """A receipt named in the books that is not there."""

    value: str  # what the ledger says: document: "..."
    date: datetime.date
    location: str  # main.beancount:42
    text: str  # payee · narration of the booking


@dataclass(frozen=True)
class Receipts:
    """The receipts of a statement: the files (embedded unless `embedded` is False) and the missing ones."""

    files: tuple[SourceFile, ...] = ()
    missing: tuple[MissingReceipt, ...] = ()
    embedded: bool = True
    # (file of the entry, value written in it) -> name of the embedded file
    names: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def name_for(self, meta: Mapping[str, Any] | None, value: str) -> str | None:
        """The attachment a `document:` value of an entry resolves to (None: missing)."""
        return self.names.get(((meta or {}).get("filename") or "", value))


def _relative_name(path: str, base: Path) -> str:
    return Path(os.path.relpath(path, base)).as_posix()


def _location(meta: Mapping[str, Any] | None, base: Path) -> str:
    filename = (meta or {}).get("filename") or "<onbekend>"
    if not filename.startswith("<"):
        filename = _relative_name(os.path.abspath(filename), base)
    lineno = (meta or {}).get("lineno")
    return f"{filename}:{lineno}" if lineno else filename


def _references(entries: Iterable[Any], tot: datetime.date) -> Iterable[tuple[Any, str]]:
    """(entry, value) for every receipt named by an entry dated on or before `tot`."""
    for entry in entries:
        if entry.date > tot:
            continue
        kind = type(entry)
        if kind is data.Transaction:
            values = document_values(entry.meta)
            for posting in entry.postings:
                values += [v for v in document_values(posting.meta) if v not in values]
            for value in dict.fromkeys(values):
                yield entry, value
        elif kind is data.Document:
            yield entry, entry.filename


def collect_receipts(entries: list[Any], options_map: Mapping[str, Any], ledger_file: Path,
                     tot: datetime.date, *, embed: bool = True,
                     exclude: Iterable[Path] = ()) -> Receipts:
    """Resolve, read and hash every receipt of the bookings up to `tot` (read nothing when not `embed`)."""
    base = Path(ledger_file).resolve().parent
    resolver = DocumentResolver(entries, options_map)
    skip = {Path(p).resolve() for p in exclude}
    names: dict[tuple[str, str], str] = {}
    found: dict[Path, str] = {}
    missing: list[MissingReceipt] = []
    for entry, value in _references(entries, tot):
        meta = entry.meta or {}
        if type(entry) is data.Document and os.path.isabs(value):
            path = value if os.path.isfile(value) else None
        else:
            path = resolver.resolve(value, meta)
        if path is None:
            text = " · ".join(t for t in (getattr(entry, "payee", None), getattr(entry, "narration", None)) if t)
            missing.append(MissingReceipt(value, entry.date, _location(meta, base), text or value))
            continue
        resolved = Path(path).resolve()
        if resolved in skip:  # a source file named as receipt is embedded as source already
            name = _relative_name(str(resolved), base)
        else:
            name = found.setdefault(resolved, _relative_name(str(resolved), base))
        names[(meta.get("filename") or "", value)] = name
    files: list[SourceFile] = []
    if embed:
        for path, name in found.items():
            content = path.read_bytes()
            files.append(SourceFile(name, path, hashlib.sha256(content).hexdigest(), len(content), content))
    else:
        files = [SourceFile(name, path, "", path.stat().st_size, b"") for path, name in found.items()]
    files.sort(key=lambda f: f.name)
    return Receipts(tuple(files), tuple(missing), embed, names)
