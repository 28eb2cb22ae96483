"""A beheerder books a cost with its receipt in /beheer/: the form's POST, through the safe writer.

The same builder as `buurtbudget boek` (`ledger.boekingen.maak_kosten`, which
also decides the four-eyes flag); the receipt is judged by
`ledger.bonnen.controleer_bon` before the ledger is opened and again by the
builder. Written as the person behind the login (gebruikers.toml). A refusal
is a Dutch message and leaves the ledger byte-identical.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

from buurtbudget_admin.fava_ext.vaststelling import Uitkomst

KOSTEN_PATH = "extension/Buurtbudget/kosten"


def may_book(mode: str, user: Any) -> bool:
    return mode == "beheer" and user is not None and getattr(user, "role", None) == "beheerder"


def boek_kosten(ledger_path: str, mode: str, user: Any, form: Mapping[str, str],
                bon_naam: str, bon_inhoud: bytes) -> Uitkomst:
    """Book the cost of the form; never raises for what a user can get wrong."""
    from buurtbudget_admin.valideren import valideer
    from ledger.boekingen import InvoerFout, KostenInvoer, controleer_vooraf, maak_kosten
    from ledger.bonnen import BonFout, controleer_bon
    from ledger.money import AmountError, parse_amount
    from ledger.schrijven import SchrijfFout, WijzigingGeweigerd, schrijf
    from ledger.vastleggen import GitFout
    from rules.checking import to_problem

    if not may_book(mode, user):
        return Uitkomst(403, "Geen toegang", "Alleen een ingelogde beheerder boekt kosten.")
    try:
        datum = datetime.date.fromisoformat((form.get("datum") or "").strip())
    except ValueError:
        return Uitkomst(400, "Niet geboekt", f"datum: '{form.get('datum', '')}' is geen datum; schrijf JJJJ-MM-DD.")
    try:
        bedrag = parse_amount((form.get("bedrag") or "").strip())
    except AmountError as exc:
        return Uitkomst(400, "Niet geboekt", f"bedrag: {exc}")
    velden = {k: (form.get(k) or "").strip() for k in ("plan", "categorie", "begunstigde", "omschrijving")}
    for naam, waarde in velden.items():
        if not waarde:
            return Uitkomst(400, "Niet geboekt", f"{naam}: vul dit veld in.")
    try:
        _, extensie = controleer_bon(bon_inhoud, bon_naam or "de bon")
    except BonFout as exc:
        return Uitkomst(400, "Niet geboekt", f"bon: {exc}")
    fd, tmp = tempfile.mkstemp(prefix=".bon-upload.", suffix=f".{extensie}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(bon_inhoud)
        controleer_vooraf(categorie=velden["categorie"], door=user.persoon, goedgekeurd_door=None)
        invoer = KostenInvoer(datum=datum, bedrag=bedrag, plan=velden["plan"], categorie=velden["categorie"],
                              begunstigde=velden["begunstigde"], omschrijving=velden["omschrijving"],
                              door=user.persoon, bon=Path(tmp))
        result = schrijf(ledger_path, lambda stand: maak_kosten(stand, invoer),
                         door=user.persoon, valideer=valideer, email=user.email)
    except InvoerFout as exc:
        return Uitkomst(400, "Niet geboekt", str(exc))
    except WijzigingGeweigerd as exc:
        lines = "; ".join(to_problem(f).format() for f in exc.fouten)
        return Uitkomst(409, "Niet geboekt", f"de boeken zouden nieuwe fouten krijgen: {lines}")
    except (SchrijfFout, GitFout) as exc:
        return Uitkomst(409, "Niet geboekt", str(exc))
    finally:
        Path(tmp).unlink(missing_ok=True)
    return Uitkomst(200, "Geboekt", result.omschrijving)


def keuzes(view: Any, entries: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The plans (last part of each plan's account) and the categories opened under them, for the selects."""
    from beancount.core.data import Open

    plannen = tuple(plan.account.rsplit(":", 1)[-1] for plan in view.plans)
    roots = tuple(plan.account + ":" for plan in view.plans)
    categorieen = sorted({e.account.rsplit(":", 1)[-1] for e in entries
                          if isinstance(e, Open) and e.account.startswith(roots)})
    return plannen, tuple(categorieen)


DECLARATIE_PATH = "extension/Buurtbudget/declaratie"


def dien_declaratie_in(ledger_path: str, mode: str, user: Any, form: Mapping[str, str],
                       bon_naam: str, bon_inhoud: bytes) -> Uitkomst:
    """A claim entered for a resident: the builder of `buurtbudget declaratie indienen` (its IBAN check)."""
    from buurtbudget_admin.valideren import valideer
    from ledger.boekingen import DeclaratieInvoer, InvoerFout, controleer_vooraf, maak_declaratie
    from ledger.bonnen import BonFout, controleer_bon
    from ledger.money import AmountError, parse_amount
    from ledger.schrijven import SchrijfFout, WijzigingGeweigerd, schrijf
    from ledger.vastleggen import GitFout
    from rules.checking import to_problem

    if not may_book(mode, user):
        return Uitkomst(403, "Geen toegang", "Alleen een ingelogde beheerder voert declaraties in.")
    try:
        datum = datetime.date.fromisoformat((form.get("datum") or "").strip())
    except ValueError:
        return Uitkomst(400, "Niet ingediend", f"datum: '{form.get('datum', '')}' is geen datum; schrijf JJJJ-MM-DD.")
    try:
        bedrag = parse_amount((form.get("bedrag") or "").strip())
    except AmountError as exc:
        return Uitkomst(400, "Niet ingediend", f"bedrag: {exc}")
    velden = {k: (form.get(k) or "").strip() for k in ("declarant", "iban", "plan", "categorie", "omschrijving")}
    for naam, waarde in velden.items():
        if not waarde:
            return Uitkomst(400, "Niet ingediend", f"{naam}: vul dit veld in.")
    try:
        _, extensie = controleer_bon(bon_inhoud, bon_naam or "de bon")
    except BonFout as exc:
        return Uitkomst(400, "Niet ingediend", f"bon: {exc}")
    fd, tmp = tempfile.mkstemp(prefix=".bon-upload.", suffix=f".{extensie}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(bon_inhoud)
        controleer_vooraf(categorie=velden["categorie"], door=user.persoon, goedgekeurd_door=None)
        invoer = DeclaratieInvoer(datum=datum, bedrag=bedrag, door=user.persoon, bon=Path(tmp), **velden)
        result = schrijf(ledger_path, lambda stand: maak_declaratie(stand, invoer),
                         door=user.persoon, valideer=valideer, email=user.email)
    except InvoerFout as exc:
        return Uitkomst(400, "Niet ingediend", str(exc))
    except WijzigingGeweigerd as exc:
        lines = "; ".join(to_problem(f).format() for f in exc.fouten)
        return Uitkomst(409, "Niet ingediend", f"de boeken zouden nieuwe fouten krijgen: {lines}")
    except (SchrijfFout, GitFout) as exc:
        return Uitkomst(409, "Niet ingediend", str(exc))
    finally:
        Path(tmp).unlink(missing_ok=True)
    return Uitkomst(200, "Ingediend", result.omschrijving)


def keur_goed(ledger_path: str, mode: str, user: Any, form: Mapping[str, str]) -> Uitkomst:
    """Approve a claim: the builder of `buurtbudget declaratie goedkeuren` (four eyes, the approval seal)."""
    from buurtbudget_admin.valideren import valideer
    from ledger.boekingen import InvoerFout, maak_goedkeuring
    from ledger.schrijven import SchrijfFout, WijzigingGeweigerd, schrijf
    from ledger.vastleggen import GitFout
    from rules.checking import to_problem

    if not may_book(mode, user):
        return Uitkomst(403, "Geen toegang", "Alleen een ingelogde beheerder keurt declaraties goed.")
    link = (form.get("link") or "").strip().lstrip("^")
    if not link:
        return Uitkomst(400, "Niet goedgekeurd", "link: welke declaratie (bijv. decl-2025-004)?")
    try:
        result = schrijf(ledger_path, lambda stand: maak_goedkeuring(stand, link, user.persoon),
                         door=user.persoon, valideer=valideer, email=user.email)
    except InvoerFout as exc:
        return Uitkomst(400, "Niet goedgekeurd", str(exc))
    except WijzigingGeweigerd as exc:
        lines = "; ".join(to_problem(f).format() for f in exc.fouten)
        return Uitkomst(409, "Niet goedgekeurd", f"de boeken zouden nieuwe fouten krijgen: {lines}")
    except (SchrijfFout, GitFout) as exc:
        return Uitkomst(409, "Niet goedgekeurd", str(exc))
    return Uitkomst(200, "Goedgekeurd", result.omschrijving)


def wachtende_declaraties(view: Any, user: Any) -> tuple[tuple[Any, bool], ...]:
    """Claims waiting for approval, each with whether this user may approve it (`vier_ogen.mag_goedkeuren`)."""
    from ledger.vier_ogen import mag_goedkeuren

    return tuple((p, mag_goedkeuren(user.persoon, ingevoerd_door=p.entered_by, declarant=p.declarant))
                 for p in view.payables if p.kind == "declaratie" and p.status == "ingediend")
