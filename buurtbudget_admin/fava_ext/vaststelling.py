"""The auditor records the vaststelling in /beheer/: the form's POST, through the safe writer.

Only a logged-in auditor in the beheer Fava may (a beheerder keeps the books,
the stadsdeel decides); the auditor's full name (gebruikers.toml) is the `door`. The same checks as
`buurtbudget vaststellen` (`ledger.schrijver.vaststellen.maak_vaststelling`); the form
shows what is still open (claims, violations) and asks for a confirmation
(`bevestig=ja`). A refusal is a Dutch page and leaves the ledger byte-identical.
"""

from __future__ import annotations

import datetime
import html
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

PATH = "extension/Buurtbudget/vaststelling"  # after /beheer/<slug>/: the one write an auditor may do


@dataclass(frozen=True, slots=True)
class Uitkomst:
    status: int
    titel: str
    bericht: str


@dataclass(frozen=True, slots=True)
class Openstaand:
    """What is still open when the auditor decides: the form names it before the confirmation."""

    declaraties: int  # claims and invoices submitted or approved, not yet paid
    declaraties_bedrag: Decimal
    te_betalen: int  # ... of which approved and not in a payment batch
    opdrachten_bij_bank: int  # payment batches sent and not yet booked as paid
    overtredingen: int

    @property
    def leeg(self) -> bool:
        return not (self.declaraties or self.opdrachten_bij_bank or self.overtredingen)


def openstaand(view: Any, entries: Any, overtredingen: int) -> Openstaand:
    """The open items of a ledger, by the same predicates as the start page and the payment forms."""
    from ledger.betalingen.batches import te_betalen, wachtend

    open_claims = [p for p in view.payables if p.status in ("ingediend", "goedgekeurd")]
    return Openstaand(len(open_claims), view.open_claims, len(te_betalen(view, entries)),
                      len(set(wachtend(entries, view).values())), overtredingen)


def may_record(mode: str, user: Any) -> bool:
    return mode == "beheer" and user is not None and getattr(user, "role", None) == "auditor"


def record(ledger_path: str, mode: str, user: Any, form: Mapping[str, str]) -> Uitkomst:
    """Record the decision of the form; never raises for what a user can get wrong."""
    from buurtbudget_admin.fava_ext.formulieren import melding
    from buurtbudget_admin.valideren import valideer
    from ledger.buurtbudget.fouten import Fout
    from ledger.buurtbudget.money import AmountError, parse_amount
    from ledger.schrijver.schrijven import schrijf
    from ledger.schrijver.vaststellen import maak_vaststelling

    if not may_record(mode, user):
        return Uitkomst(403, "Geen toegang", "Alleen een auditor van het stadsdeel legt de vaststelling vast.")
    try:
        datum = datetime.date.fromisoformat((form.get("datum") or "").strip())
    except ValueError:
        return Uitkomst(400, "Niet vastgelegd", f"'{form.get('datum', '')}' is geen datum; schrijf JJJJ-MM-DD.")
    try:
        bedrag = parse_amount((form.get("bedrag") or "").strip())
    except AmountError as exc:
        return Uitkomst(400, "Niet vastgelegd", f"bedrag: {exc}")
    kenmerk = (form.get("kenmerk") or "").strip() or None
    if (form.get("bevestig") or "") != "ja":  # the decision closes the period: never by one stray click
        return Uitkomst(400, "Niet vastgelegd", "Bevestig de vaststelling (het vinkje): daarmee is de periode "
                                                "tot en met de datum gesloten.")
    try:
        # Recorded as the person behind the login (gebruikers.toml), never the login itself.
        result = schrijf(ledger_path, lambda stand: maak_vaststelling(stand, datum, bedrag, user.persoon, kenmerk),
                         door=user.persoon, valideer=valideer, email=user.email)
    except Fout as exc:
        status, tekst = melding(exc, ledger_path)
        return Uitkomst(status, "Niet vastgelegd", tekst)
    return Uitkomst(200, "Vastgelegd", result.omschrijving)


def page(uitkomst: Uitkomst, back: str) -> str:
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        f"<title>{html.escape(uitkomst.titel)}</title></head><body>"
        f'<h1>{html.escape(uitkomst.titel)}</h1><p id="bb-vaststelling-uitkomst">{html.escape(uitkomst.bericht)}</p>'
        f'<p><a href="{html.escape(back)}">Terug naar het buurtbudget</a></p></body></html>'
    )
