"""What a web edit of a ledger's source may not do, judged on the old and the new text.

A beheerder's world is its own ledger's folder, and the web editor must not
widen it or run code. A new text is refused (`EditRefused`, Dutch) when it

- includes a file outside the ledger's folder (after `..` and symlinks), or
  anything but a `.beancount`/`.bean` file;
- adds a `plugin` other than `rules`, `rules.*` or `beancount.plugins.*`;
- changes an option that moves files or code (`documents`, `insert_pythonpath`,
  `plugin_processing_mode`);
- adds a `custom "fava-option"` for `import-config`, `import-dirs` or
  `default-file`, or a `custom "fava-extension"` other than ours;
- adds a `document` directive or `document*:` metadata naming a file outside
  the ledger's folder (Fava would serve it as a receipt);
- adds or changes a `goedgekeurd-door:` or its seal `goedkeuring-sha256:`
  (approvals go through `buurtbudget declaratie goedkeuren`, where the approver
  is the one logged in; without its seal an approval would count unchecked).

Only what the edit *adds* is judged, so a ledger that already has such a line
(written from the command line) stays editable elsewhere.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from beancount.core import data
from beancount.parser import parser

from ledger.vier_ogen import ZEGEL as SEAL_KEY

APPROVAL_KEY = "goedgekeurd-door"
ALLOWED_PLUGIN_PREFIXES = ("rules.", "beancount.plugins.")
FILE_OPTIONS = ("documents", "insert_pythonpath", "plugin_processing_mode")
REFUSED_FAVA_OPTIONS = frozenset({"import-config", "import-dirs", "default-file"})
OUR_EXTENSION = "buurtbudget_admin.fava_ext"
SOURCE_SUFFIXES = (".beancount", ".bean")


class EditRefused(ValueError):
    """A web edit the service does not write; the message is Dutch."""


def inside(folder: Path, path: Path) -> bool:
    root = Path(folder).resolve()
    target = Path(path).resolve()
    return target == root or root in target.parents


def _parse(text: str, filename: str):
    entries, errors, options = parser.parse_string(text, report_filename=filename)
    return entries, errors, options


def _plugin_ok(name: str) -> bool:
    return name == "rules" or name.startswith(ALLOWED_PLUGIN_PREFIXES)


def _customs(entries: list) -> Counter:
    found: Counter = Counter()
    for entry in entries:
        if isinstance(entry, data.Custom) and entry.type in ("fava-option", "fava-extension") and entry.values:
            found[(entry.type, str(entry.values[0].value))] += 1
    return found


def _approvals(entries: list) -> Counter:
    """Each approval with what it approves: the entry's date, payee, links and postings."""
    found: Counter = Counter()
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        postings = tuple((p.account, str(p.units) if p.units else "") for p in entry.postings)
        key = (entry.date, entry.payee, tuple(sorted(entry.links or ())), postings)
        if APPROVAL_KEY in (entry.meta or {}):
            # With its seal: removing or changing the seal of an approval is changing the approval.
            found[(key, str(entry.meta[APPROVAL_KEY]), str(entry.meta.get(SEAL_KEY, "")))] += 1
        for posting in entry.postings:
            if APPROVAL_KEY in (posting.meta or {}):
                found[(key, posting.account, str(posting.meta[APPROVAL_KEY]))] += 1
    return found


def _outside_documents(entries: list, base: Path, folder: Path) -> Counter:
    """Receipt paths (document directives, `document*:` metadata) that resolve outside the folder."""
    found: Counter = Counter()

    def judge(value: object) -> None:
        if isinstance(value, str) and value.strip() and not inside(folder, base / value):
            found[os.path.relpath(base / value, base)] += 1  # as the editor shows it, never the server's path

    for entry in entries:
        if isinstance(entry, data.Document):
            judge(entry.filename)
        for key, value in (entry.meta or {}).items():
            if key.startswith("document"):
                judge(value)
        for posting in getattr(entry, "postings", None) or ():
            for key, value in (posting.meta or {}).items():
                if key.startswith("document"):
                    judge(value)
    return found


def check_edit(folder: Path, path: Path, old_text: str, new_text: str) -> None:
    """Raise EditRefused when `new_text` (replacing `old_text` of `path`) widens the world or approves."""
    folder = Path(folder)
    path = Path(path)
    where = path.name
    if not inside(folder, path):
        raise EditRefused(f"{where}: dit bestand hoort niet bij dit buurtbudget.")
    old_entries, _old_errors, old_options = _parse(old_text, str(path))
    new_entries, _new_errors, new_options = _parse(new_text, str(path))

    for include in new_options.get("include") or ():
        target = (path.parent / include)
        if (not inside(folder, target) or not str(include).endswith(SOURCE_SUFFIXES)
                or any(c in str(include) for c in "*?[")):
            raise EditRefused(
                f"{where}: include \"{include}\" is niet toegestaan: alleen .beancount-bestanden in de map "
                "van dit buurtbudget.")

    old_plugins = Counter(name for name, _cfg in old_options.get("plugin") or ())
    for name, _cfg in new_options.get("plugin") or ():
        if not _plugin_ok(name) and old_plugins[name] <= 0:
            raise EditRefused(f"{where}: plugin \"{name}\" is niet toegestaan: alleen \"rules\", \"rules.*\" "
                              "en beancounts eigen \"beancount.plugins.*\".")
        old_plugins[name] -= 1

    for key in FILE_OPTIONS:
        if new_options.get(key) != old_options.get(key):
            raise EditRefused(f"{where}: option \"{key}\" kan niet via de website worden gewijzigd.")

    added_customs = _customs(new_entries) - _customs(old_entries)
    for kind, value in added_customs:
        if kind == "fava-option" and value in REFUSED_FAVA_OPTIONS:
            raise EditRefused(f"{where}: custom \"fava-option\" \"{value}\" is niet toegestaan via de website "
                              "(het wijst naar bestanden of code buiten de boeken).")
        if kind == "fava-extension" and value != OUR_EXTENSION:
            raise EditRefused(f"{where}: custom \"fava-extension\" \"{value}\" is niet toegestaan: "
                              "een extensie is code die op de server draait.")

    outside = _outside_documents(new_entries, path.parent, folder) - _outside_documents(old_entries, path.parent,
                                                                                         folder)
    if outside:
        raise EditRefused(f"{where}: document \"{next(iter(outside))}\" ligt buiten de map van dit buurtbudget.")

    if _approvals(new_entries) - _approvals(old_entries):
        raise EditRefused(
            f"{where}: \"{APPROVAL_KEY}\" kan niet in de editor worden getypt of gewijzigd; keur goed met "
            "'buurtbudget declaratie goedkeuren' (dan is wie goedkeurt de ingelogde persoon).")
