"""A beheerder attaches, replaces or removes the receipt of an existing booking in /beheer/.

The builders of `buurtbudget bon koppelen|vervangen|verwijderen`
(`ledger.schrijver.bonbeheer`), judged by the same policy (`buurtbudget_admin.bonbeleid`:
nothing approved or paid; the writer: no settled or decided period), written as
the person behind the login. The receipt is a new upload (judged by
`ledger.buurtbudget.bonnen.controleer_bon`) or one already in documents/ (to move a receipt
put on the wrong booking). A refusal is a Dutch page; the ledger stays
byte-identical.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from buurtbudget_admin.fava_ext.formulieren import may_book
from buurtbudget_admin.fava_ext.vaststelling import Uitkomst

PATH = "extension/Buurtbudget/bon"
ACTIES = ("koppelen", "vervangen", "verwijderen")
MAX_KEUZES = 300  # the select lists the newest bookings; older ones by file:line on the command line


@dataclass(frozen=True, slots=True)
class BonBoeking:
    ref: str  # a link, or file:line
    label: str  # date, payee, narration, amount
    document: str | None


@dataclass(frozen=True, slots=True)
class BonKeuzes:
    boekingen: tuple[BonBoeking, ...]
    bonnen: tuple[str, ...]  # `document:` values of the receipts in documents/


def keuzes(ledger_path: str, entries: Any, options_map: Mapping[str, Any]) -> BonKeuzes:
    from ledger.buurtbudget.accounts import Accounts
    from ledger.schrijver.bonbeheer import boekingen_met_bon
    from ledger.buurtbudget.money import format_eur

    map_ = Path(ledger_path).parent
    uitgaven = Accounts.from_options(options_map).expenses
    boekingen = []
    for ref, e in boekingen_met_bon(entries, map_, uitgaven)[:MAX_KEUZES]:
        bedrag = sum((p.units.number for p in e.postings
                      if p.units is not None and p.units.number is not None and p.units.number > 0
                      and (p.account == uitgaven or p.account.startswith(uitgaven + ":"))), start=0)
        label = f"{e.date.isoformat()} {e.payee or ''} — {e.narration} ({format_eur(bedrag)})".strip()
        boekingen.append(BonBoeking(ref, label, e.meta.get("document")))
    folders = options_map.get("documents") or ["documents"]
    folder = (map_ / folders[0]).resolve()
    bonnen = []
    if folder.is_dir() and map_.resolve() in (folder, *folder.parents):
        for pad in sorted(folder.rglob("*")):
            if pad.is_file() and not pad.is_symlink() and not pad.name.startswith("."):
                bonnen.append(pad.resolve().relative_to(map_.resolve()).as_posix())
    return BonKeuzes(tuple(boekingen), tuple(bonnen))


def beheer_bon(ledger_path: str, mode: str, user: Any, form: Mapping[str, str],
               bon_naam: str, bon_inhoud: bytes) -> Uitkomst:
    """Attach, replace or remove a receipt as the form says; never raises for what a user can get wrong."""
    from buurtbudget_admin.bonbeleid import bewaakt
    from buurtbudget_admin.valideren import valideer
    from ledger.schrijver.bonbeheer import maak_bon_koppeling, maak_bon_verwijdering, maak_bon_vervanging
    from ledger.buurtbudget.bonnen import BonFout, controleer_bon
    from ledger.buurtbudget.fouten import InvoerFout
    from ledger.schrijver.schrijven import SchrijfFout, Toch, WijzigingGeweigerd, schrijf
    from ledger.schrijver.vastleggen import GitFout
    from ledger.evaluatie.vier_ogen import NaamFout, vereis_zichtbaar
    from rules.checking import to_problem

    if not may_book(mode, user):
        return Uitkomst(403, "Geen toegang", "Alleen een ingelogde beheerder wijzigt bonnen.")
    actie = (form.get("actie") or "").strip()
    ref = (form.get("boeking") or "").strip()
    if actie not in ACTIES:
        return Uitkomst(400, "Niet gewijzigd", "actie: kies koppelen, vervangen of verwijderen.")
    if not ref:
        return Uitkomst(400, "Niet gewijzigd", "boeking: kies de boeking.")
    toch = None
    reden = (form.get("reden") or "").strip()
    if reden:
        try:
            toch = Toch(vereis_zichtbaar(reden, "reden"))
        except NaamFout as exc:
            return Uitkomst(400, "Niet gewijzigd", f"reden: {exc}")
    bestaand = (form.get("bestaande_bon") or "").strip()
    tmp = None
    try:
        if actie == "verwijderen":
            maak = lambda stand: maak_bon_verwijdering(stand, ref)  # noqa: E731
        else:
            if bon_inhoud:
                try:
                    _, extensie = controleer_bon(bon_inhoud, bon_naam or "de bon")
                except BonFout as exc:
                    return Uitkomst(400, "Niet gewijzigd", f"bon: {exc}")
                # The upload's own name (without folders) is what the dated file name is made of.
                map_ = Path(tempfile.mkdtemp(prefix="buurtbudget-upload-"))
                tmp = map_ / (Path(bon_naam).name if bon_naam and Path(bon_naam).name else f"bon{extensie}")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(bon_inhoud)
                bon, alleen_documents = tmp, False
            elif bestaand:
                bon, alleen_documents = Path(bestaand), True
            else:
                return Uitkomst(400, "Niet gewijzigd", "bon: kies een bestand of een bon uit de bonnenmap.")
            builder = maak_bon_koppeling if actie == "koppelen" else maak_bon_vervanging
            maak = lambda stand: builder(stand, ref, bon, alleen_documents=alleen_documents)  # noqa: E731
        result = schrijf(ledger_path, bewaakt(maak), door=user.persoon, valideer=valideer, toch=toch,
                         email=user.email)
    except InvoerFout as exc:
        return Uitkomst(400, "Niet gewijzigd", str(exc))
    except WijzigingGeweigerd as exc:
        lines = "; ".join(to_problem(f).format() for f in exc.fouten)
        hint = " Moet dit toch? Geef een reden." if exc.te_forceren else ""
        return Uitkomst(409, "Niet gewijzigd", f"de boeken zouden nieuwe fouten krijgen: {lines}.{hint}")
    except (SchrijfFout, GitFout) as exc:
        return Uitkomst(409, "Niet gewijzigd", str(exc))
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
            tmp.parent.rmdir()
    return Uitkomst(200, "Gewijzigd", result.omschrijving)
