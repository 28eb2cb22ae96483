"""What a web edit of a ledger's source may not do, judged on the entries it changes.

A beheerder is trusted with its own ledger's bookings: not with the kader, the
approvals, the payments or the auditor's decision. Every web write (the
editor's save, a slice edited or deleted, entries added, a receipt attached)
is judged by meaning: both texts are parsed and the entries compared as
written, wherever they stand (`ledger.schrijver.veranderd.volle_identiteit`), so
moving, re-indenting or commenting changes nothing. A change (an entry added,
altered or removed) is refused (`EditRefused`, Dutch, with the reason) when it
touches

- the header (`custom "buurtbudget"`: it sets the kader), the `plugin` lines
  or any `option` (the stadsdeel changes the kader with `buurtbudget kader
  wijzigen` or in its rules file);
- an approved or paid claim or invoice, or any booking under its link, or a
  booking that carries `goedgekeurd-door:` (`approved_or_paid`);
- the award (a booking on the award account: it sets the ceiling);
- a payment batch (`custom "betaalopdracht"`, or its withdrawal);
- anything the auditor recorded (`custom "vaststelling"`).

Besides, the web editor must not widen the beheerder's world or run code. A new
text is refused when it

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

Of those, only what the edit *adds* is judged, so a ledger that already has such
a line (written from the command line) stays editable elsewhere. A settled
period (`afsluiten`) is guarded by the writer itself.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from typing import Any, Mapping

from beancount.core import data
from beancount.parser import parser

from ledger.buurtbudget.accounts import Accounts
from ledger.schrijver.veranderd import verschil
from ledger.evaluatie.view import Buurtbudget
from ledger.evaluatie.vier_ogen import ZEGEL as SEAL_KEY

APPROVAL_KEY = "goedgekeurd-door"
ALLOWED_PLUGIN_PREFIXES = ("rules.", "beancount.plugins.")
FILE_OPTIONS = ("documents", "insert_pythonpath", "plugin_processing_mode")
REFUSED_FAVA_OPTIONS = frozenset({"import-config", "import-dirs", "default-file"})
OUR_EXTENSION = "buurtbudget_admin.fava_ext"
SOURCE_SUFFIXES = (".beancount", ".bean")
# Options the parser fills in from the text itself, not from an `option` line.
_DERIVED_OPTIONS = frozenset({"filename", "include", "dcontext", "input_hash", "commodities", "plugin"})
KADER_HINT = ("het kader wijzigt alleen het stadsdeel, met 'buurtbudget kader wijzigen' (met een reden) of in "
              "het regelbestand")


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


def approved_or_paid(view: Buurtbudget) -> dict[str, str]:
    """Each link of a claim or invoice that may no longer change, with why ("goedgekeurd", "betaald").

    The one place the editor asks the view; the state is the view's (`Payable`).
    """
    sealed: dict[str, str] = {}
    for payable in view.payables:
        if payable.link is None:
            continue
        if payable.paid:
            sealed[payable.link] = "betaald"
        elif payable.approved or payable.status in ("goedgekeurd", "betaald"):
            sealed[payable.link] = "goedgekeurd"
    return sealed


def _approved_here(entry: data.Transaction) -> bool:
    return APPROVAL_KEY in (entry.meta or {}) or any(APPROVAL_KEY in (p.meta or {}) for p in entry.postings)


def _what(entry: Any) -> str:
    if isinstance(entry, data.Transaction):
        return f"de boeking van {entry.date} \"{entry.narration}\""
    if isinstance(entry, data.Custom):
        return f"custom \"{entry.type}\" van {entry.date}"
    return f"de regel van {entry.date}"


def protected(entry: Any, sealed: Mapping[str, str], accounts: Accounts, *, bestaand: bool = True) -> str | None:
    """Why a web edit may not add, change or remove this entry; None when a beheerder may.

    `bestaand`: the entry as it stands in the ledger (removed or changed); else as the edit
    adds it (a typed approval on a new entry is refused by `check_edit` for what it is).
    """
    if isinstance(entry, data.Custom):
        if entry.type == "buurtbudget":
            return f"de kop (custom \"buurtbudget\") zet het kader en kan niet via de website worden gewijzigd; {KADER_HINT}"
        if entry.type == "vaststelling":
            return ("de vaststelling is van de controleur van het stadsdeel: toevoegen, wijzigen of verwijderen kan "
                    "niet via de beheeromgeving")
        if entry.type.startswith("betaalopdracht"):
            return ("een betaalopdracht kan niet in de editor worden gewijzigd; maak of trek hem in met "
                    "'buurtbudget betaal'")
        return None
    if not isinstance(entry, data.Transaction):
        return None
    for link in sorted(entry.links or ()):
        if link in sealed:
            return (f"^{link} is al {sealed[link]}; wat goedgekeurd (\"{APPROVAL_KEY}\") of betaald is, kan niet "
                    "meer worden gewijzigd")
    if bestaand and _approved_here(entry):
        return (f"de boeking is goedgekeurd (\"{APPROVAL_KEY}\"); wat goedgekeurd is, kan niet meer worden "
                "gewijzigd")
    award = accounts.toekenning
    if any(p.account == award or p.account.startswith(award + ":") for p in entry.postings):
        return f"de toekenning (een boeking op {award}) zet het plafond; {KADER_HINT}"
    return None


def _changed(old_entries: list, new_entries: list) -> tuple[list, list]:
    """The entries removed or altered (as they were) and added or altered (as they are), by meaning."""
    return verschil(new_entries, old_entries), verschil(old_entries, new_entries)


def _set_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in _DERIVED_OPTIONS}


def _view_of_text(text: str, path: Path) -> Buurtbudget:
    """The view of a text on its own (for a caller without the loaded ledger: the pure tests)."""
    from beancount import loader
    from ledger.evaluatie.view import build_view

    entries, _errors, options = loader.load_string(text)
    options["filename"] = str(path)
    return build_view(entries, options)


def check_edit(folder: Path, path: Path, old_text: str, new_text: str, *, view: Buurtbudget | None = None) -> None:
    """Raise EditRefused when `new_text` (replacing `old_text` of `path`) widens the world, approves, or
    changes what a beheerder may not change (see the module's docstring).

    `view` is the ledger's view before the edit (what is approved or paid); without one, the
    old text's own.
    """
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
    if list(new_options.get("plugin") or ()) != list(old_options.get("plugin") or ()):
        raise EditRefused(f"{where}: de plugin-regels kunnen niet via de website worden gewijzigd: ze bepalen "
                          f"welke regels en welk regelbestand gelden; {KADER_HINT}.")
    old_set, new_set = _set_options(old_options), _set_options(new_options)
    for key in sorted(set(old_set) | set(new_set)):
        if old_set.get(key) != new_set.get(key):
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

    removed, added = _changed(old_entries, new_entries)
    if removed or added:
        view = view if view is not None else _view_of_text(old_text, path)
        sealed = approved_or_paid(view)
        for entries, bestaand in ((removed, True), (added, False)):
            for entry in entries:
                why = protected(entry, sealed, view.accounts, bestaand=bestaand)
                if why:
                    raise EditRefused(f"{where}: {_what(entry)}: {why}.")

    if _approvals(new_entries) - _approvals(old_entries):
        raise EditRefused(
            f"{where}: \"{APPROVAL_KEY}\" kan niet in de editor worden getypt of gewijzigd; keur goed met "
            "'buurtbudget declaratie goedkeuren' (dan is wie goedkeurt de ingelogde persoon).")
