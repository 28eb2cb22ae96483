"""Every web write of the beheer Fava goes through `ledger.schrijver.schrijven` (lock, rules, atomic write, git).

Fava writes a ledger's files itself (no lock, no validation, no commit). The
beheer ledgers get `SafeFileModule` instead of Fava's file module: each of its
writes (the editor's save, an entry slice edited or deleted, entries added,
a receipt attached) computes the complete new text of the one source file it
touches, lets `editpolicy.check_edit` judge it, and hands it to the safe
writer with the logged-in user's person (full name, e-mail: gebruikers.toml)
as author and the rules as validator; a transaction added through Fava's
form records that person as `ingevoerd-door`, whatever was typed. A
refusal is a Fava API error with the Dutch reason (Fava shows it), and the file
stays byte-identical. Reads of a source file resolve inside the ledger's folder.

The text a web write adds (entries from the "add" form, a `document:` line) is
written by `ledger.buurtbudget.tekst`, never pasted: a value that beancount would read as
something else (a quote and a line break in a comment, a currency or flag that
is not one) is escaped or refused, never written.

Receipt uploads (`put_add_document`) are replaced too: a receipt as
`ledger.buurtbudget.bonnen.controleer_bon` decides (the command line's test, and its size
limit), never over an existing file, saved inside the ledger's documents
folder and committed by the same writer.
"""

from __future__ import annotations

import os
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Sequence

from beancount.core.data import Transaction
from fava.beans.funcs import get_position
from fava.core.documents import filepath_in_document_folder
from fava.core.file import FileModule, _incomplete_sortkey, find_entry_lines, find_insert_position
from fava.helpers import FavaAPIError
from fava.json_api import FavaJSONAPIError, json_success
from fava.util import next_key
from flask import Flask, g, request
from werkzeug.utils import secure_filename

from buurtbudget_admin.service.auth import USER_ENVIRON_KEY
from buurtbudget_admin.service.editpolicy import EditRefused, check_edit, inside
from buurtbudget_admin.valideren import valideer
from ledger.buurtbudget import tekst
from ledger.buurtbudget.bonnen import BonFout, controleer_bon, max_bytes
from ledger.schrijver.schrijven import GitFout, SchrijfFout, WijzigingGeweigerd, Wijziging, schrijf

RECEIPT_SUFFIXES = {".pdf": (".pdf",), ".jpg": (".jpg", ".jpeg"), ".png": (".png",)}  # the names a kind may have


class WebEditRefused(FavaJSONAPIError):
    """A web write the service refused; Fava's frontend shows the message."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


def _sha256_str(text: str) -> str:
    from hashlib import sha256

    return sha256(text.encode("utf-8")).hexdigest()


def upload_limit() -> int:
    """The largest receipt, as on the command line (`ledger.buurtbudget.bonnen.max_bytes`; 20 MB when its setting is wrong)."""
    try:
        return max_bytes()
    except BonFout:
        return max_bytes({})


def receipt_kind(content: bytes, filename: str) -> str | None:
    """The Dutch reason a file is not a receipt, or None when it is one (`controleer_bon`, and a matching name)."""
    try:
        _kind, extension = controleer_bon(content, f"'{filename}'")
    except BonFout as exc:
        return str(exc)
    suffixes = RECEIPT_SUFFIXES[extension]
    if Path(filename).suffix.lower() not in suffixes:
        return f"de naam '{filename}' past niet bij de inhoud (verwacht {' of '.join(suffixes)})"
    return None


class SafeFileModule(FileModule):
    """Fava's file module, with every write through the safe writer."""

    # -- where the ledger's world ends -------------------------------------
    @property
    def folder(self) -> Path:
        return Path(self.ledger.beancount_file_path).resolve().parent

    def _source_path(self, path: Path) -> Path:
        if not inside(self.folder, path) or str(path) not in self.ledger.options["include"]:
            raise WebEditRefused(f"{Path(path).name}: dit bestand hoort niet bij dit buurtbudget.")
        return Path(path)

    def get_source(self, path: Path) -> tuple[str, str]:
        return super().get_source(self._source_path(Path(path)))

    # -- the one way out ----------------------------------------------------
    def _user(self):
        """The logged-in user: its person (full name, e-mail) is the author of the write."""
        user = request.environ.get(USER_ENVIRON_KEY)
        if user is None:
            raise WebEditRefused("Niet ingelogd: wijzigen kan alleen in de beheeromgeving.")
        return user

    def _write(self, path: Path, new_text: str, omschrijving: str,
               bestanden: Sequence[tuple[Path, Path]] = (), *, basis: str | None = None) -> None:
        """Write `new_text` over `path`, made from `basis` (the text the edit started from)."""
        path = Path(path)
        old_text = self._source_path(path).read_text(encoding="utf-8") if basis is None else basis
        self._write_all(((path, old_text, new_text),), omschrijving, bestanden)

    def _write_all(self, changes: Sequence[tuple[Path, str, str]], omschrijving: str,
                   bestanden: Sequence[tuple[Path, Path]] = ()) -> None:
        """One safe write of several (path, basis, new text): judged, validated and committed together."""
        changes = tuple((self._source_path(Path(p)), old, new) for p, old, new in changes)
        wijziging = Wijziging(omschrijving=omschrijving, vervang=tuple((p, new) for p, _old, new in changes),
                              bestanden=tuple(bestanden))

        def maak(stand) -> Wijziging:
            # Under the writer's lock: each file is still the one this edit was made on, and the
            # edit is judged by what it changes in the ledger as loaded now (`editpolicy`).
            for path, old_text, _new in changes:
                if path.read_text(encoding="utf-8") != old_text:
                    raise SchrijfFout(f"{path.name} is intussen gewijzigd; laad de pagina opnieuw.")
            view = _view_before(stand)
            for path, old_text, new_text in changes:
                check_edit(self.folder, path, old_text, new_text, view=view)
            return wijziging

        try:
            user = self._user()
            schrijf(self.ledger.beancount_file_path, maak, door=user.persoon, valideer=valideer, email=user.email)
        except EditRefused as exc:
            raise WebEditRefused(f"Wijziging geweigerd: {exc}") from None
        except (WijzigingGeweigerd, SchrijfFout, GitFout) as exc:
            raise WebEditRefused(_refusal_text(exc, self.folder)) from None
        for path, _old, _new in changes:
            self.ledger.watcher.notify(path)
        self.ledger.load_file()

    # -- Fava's writes, as whole new texts ------------------------------------
    def set_source(self, path: Path, source: str, sha256sum: str) -> str:
        with self._lock:
            text, original = self.get_source(Path(path))
            if original != sha256sum:
                raise FavaAPIError(f"{Path(path).name} is intussen gewijzigd; laad de pagina opnieuw.")
            self._write(Path(path), source, f"Bewerkt in de editor: {Path(path).name}", basis=text)
            return _sha256_str(source)

    def _entry_lines(self, entry_hash: str, sha256sum: str) -> tuple[Path, list[str], int, int, str]:
        entry = self.ledger.get_entry(entry_hash)
        filename, lineno = get_position(entry)
        path = self._source_path(Path(filename))
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)  # basis: "".join(lines)
        first = lineno - 1
        entry_lines = find_entry_lines(lines, first)
        if _sha256_str("".join(entry_lines).rstrip("\n")) != sha256sum:
            raise FavaAPIError(f"{path.name} is intussen gewijzigd; laad de pagina opnieuw.")
        return path, lines, first, len(entry_lines), entry.date.isoformat()

    def save_entry_slice(self, entry_hash: str, source_slice: str, sha256sum: str) -> str:
        with self._lock:
            path, lines, first, count, day = self._entry_lines(entry_hash, sha256sum)
            new = [*lines[:first], source_slice + "\n", *lines[first + count:]]
            self._write(path, "".join(new), f"Boeking van {day} bewerkt", basis="".join(lines))
            return _sha256_str(source_slice)

    def delete_entry_slice(self, entry_hash: str, sha256sum: str) -> None:
        with self._lock:
            path, lines, first, count, day = self._entry_lines(entry_hash, sha256sum)
            last = first + count
            while last < len(lines) and not lines[last].strip():
                last += 1
            self._write(path, "".join(lines[:first] + lines[last:]), f"Boeking van {day} verwijderd",
                        basis="".join(lines))

    def insert_metadata(self, entry_hash: str, basekey: str, value: str,
                        bestanden: Sequence[tuple[Path, Path]] = ()) -> None:
        with self._lock:
            self.ledger.changed()
            entry = self.ledger.get_entry(entry_hash)
            key = next_key(basekey, entry.meta)
            filename, lineno = get_position(entry)
            path = self._source_path(Path(filename))
            basis = path.read_text(encoding="utf-8")
            lines = basis.splitlines(keepends=True)
            try:
                line = tekst.meta_line(key, value, " " * self.ledger.fava_options.indent)
            except ValueError as exc:
                raise WebEditRefused(f"Niet opgeslagen: {exc}.") from None
            lines.insert(lineno, line)
            self._write(path, "".join(lines), f"{key} toegevoegd aan de boeking van {entry.date.isoformat()}",
                        bestanden, basis=basis)

    def insert_entries(self, entries: Sequence) -> None:
        with self._lock:
            self.ledger.changed()
            options = self.ledger.fava_options
            default = self.ledger.beancount_file_path  # never fava's default-file: it could point anywhere
            texts: dict[Path, list[str]] = {}
            bases: dict[Path, str] = {}
            person = self._user().persoon
            for entry in sorted(entries, key=_incomplete_sortkey):
                if isinstance(entry, Transaction):  # who entered it is the session's person, never a typed name
                    entry = entry._replace(meta={**entry.meta, "ingevoerd-door": person})
                filename, lineno = find_insert_position(entry, options.insert_entry, default)
                path = self._source_path(Path(filename))
                if path not in texts:
                    bases[path] = path.read_text(encoding="utf-8")
                    texts[path] = bases[path].splitlines(keepends=True)
                try:
                    content = tekst.entry(entry)
                except ValueError as exc:
                    raise WebEditRefused(f"Niet opgeslagen: {exc}.") from None
                if lineno is None:
                    texts[path] += ["\n", content]
                else:
                    texts[path].insert(lineno, content + "\n")
            self._write_all([(path, bases[path], "".join(lines)) for path, lines in texts.items()],
                            f"{len(entries)} boeking(en) toegevoegd via de website")


def _view_before(stand):
    """The view of the ledger as the writer loaded it: the rules plugin's own, else one built here."""
    from ledger.evaluatie.resultaat import bewaarde

    found = bewaarde(stand.options_map, stand.entries)
    return found.view if found is not None else stand.view


def _refusal_text(exc: Exception, folder: Path) -> str:
    """The writer's Dutch refusal, with file names relative to the ledger's folder."""
    text = str(exc)
    return text.replace(str(folder) + os.sep, "")


def install_upload(app: Flask) -> None:
    """Replace Fava's receipt upload by one that takes receipts only."""

    def put_add_document():
        ledger = g.ledger
        files: SafeFileModule = ledger.file
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise WebEditRefused("Geen bestand ontvangen.")
        folder_option = request.form.get("folder", "")
        account = request.form.get("account", "")
        try:
            limit = max_bytes()
        except BonFout as exc:
            raise WebEditRefused(f"Upload geweigerd: {exc}") from None
        head = upload.stream.read(limit + 1)  # one byte more: too large is refused by `controleer_bon`
        name = secure_filename(upload.filename) or "bon"
        reason = receipt_kind(head, name)
        if reason:
            raise WebEditRefused(f"Upload geweigerd: {reason}.")
        try:
            target = filepath_in_document_folder(folder_option, account, name, ledger)
        except FavaAPIError as exc:
            raise WebEditRefused(f"Upload geweigerd: {exc.message}") from None
        if not inside(files.folder, target):
            raise WebEditRefused("Upload geweigerd: de documentenmap ligt buiten de map van dit buurtbudget.")
        if target.exists():
            raise WebEditRefused(f"Er is al een bestand {target.name}; kies een andere naam.")
        entry_hash = request.form.get("hash")
        with tempfile.TemporaryDirectory(prefix="bon-") as tmp:
            staged = Path(tmp) / name
            staged.write_bytes(head)
            if entry_hash:
                files.insert_metadata(entry_hash, "document", target.name, bestanden=((staged, target),))
            else:
                files._write(Path(ledger.beancount_file_path),
                             Path(ledger.beancount_file_path).read_text(encoding="utf-8"),
                             f"Bon {target.name} toegevoegd", bestanden=((staged, target),))
        return json_success(f"Bon opgeslagen als {target.relative_to(files.folder)}")

    app.view_functions["json_api.put_add_document"] = put_add_document
