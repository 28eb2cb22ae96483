"""Where a receipt (`document:` metadata) lives.

A receipt resolves when its value is
  - a path relative to the ledger file that holds the entry (or absolute), or
  - the file name of a Document entry (what Fava writes after an upload), or
  - a file of that name inside one of the ledger's `option "documents"` folders.

Directory listings are cached per resolver so that 100k bookings cost one
listing per folder, not one stat per booking.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from beancount.core import data


def document_values(meta: Mapping[str, Any] | None) -> list[str]:
    """Every receipt named in metadata: any key that starts with `document`."""
    if not meta:
        return []
    # Called once per booking: a plain loop over the keys, no str() for what is already text
    # (a for-loop, not a list comprehension: on Python 3.11 that is a function call per booking).
    values = []
    for k, v in meta.items():
        if k[:8] == "document" and v:
            values.append(v if type(v) is str else str(v))
    return values


def documents_folders(options_map: Mapping[str, Any]) -> list[Path]:
    base = Path(options_map.get("filename") or ".").resolve().parent
    return [(base / folder).resolve() for folder in options_map.get("documents", [])]


class DocumentResolver:
    """Resolves receipts for one load of a ledger: a snapshot, so make a new one per load."""

    def __init__(self, entries: Iterable[data.Directive], options_map: Mapping[str, Any]):
        self._listings: dict[str, frozenset[str]] = {}
        self._entries = entries
        self._by_name_index: dict[str, str] | None = None  # Document entries by file name, when first asked
        self._plain: dict[str, str] | None = None  # a plain file name of the main ledger -> where it is
        self._folders = documents_folders(options_map)
        self._main_dir = str(Path(options_map.get("filename") or ".").resolve().parent)
        self._folder_index: dict[str, str] | None = None
        self._bases: dict[str, str] = {}  # the folder of each ledger file, computed once
        self._main_file = options_map.get("filename") or ""
        self._folder_strs = [str(folder) for folder in self._folders]

    @property
    def _by_name(self) -> dict[str, str]:
        if self._by_name_index is None:
            index: dict[str, str] = {}
            for entry in self._entries:
                if isinstance(entry, data.Document):
                    index.setdefault(os.path.basename(entry.filename), entry.filename)
            self._by_name_index = index
        return self._by_name_index

    def _plain_names(self) -> dict[str, str]:
        """Where a plain file name from the main ledger is: beside it, else the first documents folder.

        Names with a backslash or a leading dot are left out: `resolve` takes the long way for those.
        """
        index: dict[str, str] = {}
        for folder in [self._main_dir, *self._folder_strs]:
            for name in self._listing(folder):
                if "\\" not in name and name[0] != ".":
                    index.setdefault(name, folder + "/" + name)
        self._plain = index
        return index

    def plain_names(self) -> tuple[str, Mapping[str, str]]:
        """The main ledger file, and where a receipt named there by a plain file name is.

        A name found in this index resolves to what it maps to (`resolve` gives the same
        answer); a name not found takes `resolve`'s long way. For a rule that checks
        tens of thousands of receipts at once.
        """
        return self._main_file, self._plain_index()

    def _plain_index(self) -> dict[str, str]:
        return self._plain if self._plain is not None else self._plain_names()

    def _listing(self, folder: str) -> frozenset[str]:
        """The files (not folders) in a folder, listed once per resolver."""
        listing = self._listings.get(folder)
        if listing is None:
            try:
                with os.scandir(folder) as found:
                    listing = frozenset(e.name for e in found if e.is_file())
            except OSError:
                listing = frozenset()
            self._listings[folder] = listing
        return listing

    def _exists(self, path: str) -> bool:
        """Is `path` a file? One listing per folder, then no system call per receipt."""
        folder, name = os.path.split(path)
        return name in self._listing(folder)

    @staticmethod
    def _join(base: str, value: str) -> str:
        """os.path.normpath(os.path.join(base, value)), without the work for a plain file name."""
        if "/" not in value and os.sep not in value and value not in (".", ".."):
            return (base if base.endswith(os.sep) else base + os.sep) + value
        return os.path.normpath(os.path.join(base, value))

    def _in_documents_folders(self, name: str) -> str | None:
        if self._folder_index is None:
            index: dict[str, str] = {}
            for folder in self._folders:
                for root, _dirs, files in os.walk(folder):
                    for file in files:
                        index.setdefault(file, os.path.join(root, file))
            self._folder_index = index
        return self._folder_index.get(name)

    def resolve(self, value: str, meta: Mapping[str, Any] | None) -> str | None:
        """The file a `document:` value points at, or None when it points nowhere."""
        if not value:
            return None
        filename = (meta or {}).get("filename") or ""
        if filename == self._main_file:
            # The commonest receipt of all: a plain name beside the main ledger or in its
            # documents folder, answered from those folders' listings in one look-up.
            found = self._plain_index().get(value)
            if found is not None:
                return found
            if not value.startswith(("/", ".")) and "\\" not in value and "/." not in value:
                # A path below the main ledger's folder: the cached listings answer it without
                # path arithmetic per booking.
                head, _, name = value.rpartition("/")
                folder = self._main_dir + "/" + head if head else self._main_dir
                if name in self._listing(folder):
                    return folder + "/" + name
        return self._resolve(value, filename)

    def _base(self, filename: str) -> str:
        base = self._bases.get(filename)
        if base is None:
            base = self._bases[filename] = (
                os.path.dirname(os.path.abspath(filename)) if filename and not filename.startswith("<") else os.getcwd()
            )
        return base

    def _resolve(self, value: str, filename: str) -> str | None:
        base = self._base(filename)
        candidate = self._join(base, value)
        if self._exists(candidate):
            return candidate
        # A file included from a subfolder may still name its receipt relative to the main ledger.
        main_relative = self._join(self._main_dir, value)
        if main_relative != candidate and self._exists(main_relative):
            return main_relative
        name = os.path.basename(value)
        if name in self._by_name and os.path.isfile(self._by_name[name]):
            return self._by_name[name]
        for folder in self._folders:
            direct = self._join(str(folder), value)
            if self._exists(direct):
                return direct
        if os.sep not in value and "/" not in value:
            return self._in_documents_folders(name)
        return None


def bon_vingerafdrukken(entry: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """Every receipt an entry names (`document*:` on the entry and on its postings), with its metadata."""
    found = [(v, entry.meta) for v in document_values(entry.meta)]
    for posting in entry.postings:
        found.extend((v, posting.meta or entry.meta) for v in document_values(posting.meta))
    return found


class Vingerafdrukken:
    """The SHA-256 of the receipts an entry names, for the seal of an approval (`ledger.evaluatie.vier_ogen.zegel`).

    Only a sealed approval asks, so a ledger without seals reads no receipt; each file is
    read once per load. A receipt that resolves nowhere is `ontbreekt:<value>`, so removing
    it breaks the seal as changing it does.
    """

    def __init__(self, entries: Iterable[data.Directive], options_map: Mapping[str, Any]):
        self._entries = entries
        self._options_map = options_map
        self._resolver: DocumentResolver | None = None
        self._sha: dict[str, str] = {}

    def __call__(self, entry: data.Transaction) -> list[str]:
        if self._resolver is None:
            self._resolver = DocumentResolver(self._entries, self._options_map)
        result = []
        for value, meta in bon_vingerafdrukken(entry):
            path = self._resolver.resolve(value, meta)
            result.append(self._hash(path) if path else f"ontbreekt:{value}")
        return result

    def _hash(self, path: str) -> str:
        import hashlib

        known = self._sha.get(path)
        if known is None:
            digest = hashlib.sha256()
            try:
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                known = digest.hexdigest()
            except OSError:
                known = f"onleesbaar:{os.path.basename(path)}"
            self._sha[path] = known
        return known
