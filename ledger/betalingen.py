"""SEPA credit transfers (pain.001.001.03) for approved claims and invoices.

    xml = sepa_betaalbestand(view, uitvoerdatum)      # None: nothing to pay

Every claim (`^decl-...`) and invoice (`^fact-...`) that is approved and has no
payment yet becomes one transfer; the debtor is the header's `iban`; each
transfer's EndToEndId is the link's name, so the bank statement line that pays
it can be matched back (see `ledger.importers.common`). Built with sepaxml and
validated against the schema shipped in `ledger/schemas/`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ledger.view import Buurtbudget, Payable

SCHEMA = "pain.001.001.03"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / f"{SCHEMA}.xsd"


class BetaalFout(ValueError):
    """Why no payment file can be made (Dutch)."""


@dataclass(frozen=True, slots=True)
class Betaalopdracht:
    link: str
    naam: str
    iban: str
    bedrag: Decimal
    omschrijving: str
    payable: Payable


def te_betalen(view: Buurtbudget) -> list[Payable]:
    """Approved claims and invoices without a payment (rejected ones never)."""
    return [p for p in view.payables if p.status == "goedgekeurd" and p.link]


def _opdracht(p: Payable) -> Betaalopdracht | str:
    """The transfer for one payable, or why it cannot be paid by SEPA (Dutch, with file:line)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    where = f"{p.meta.get('filename')}:{p.meta.get('lineno')}"
    if not p.iban:
        return f"{where}: ^{p.link} heeft geen iban:-regel; waarheen moet het geld?"
    try:
        iban = str(IBAN(str(p.iban)).compact)
    except SchwiftyException as exc:
        return f"{where}: ^{p.link} heeft een ongeldig IBAN '{p.iban}' ({exc})"
    naam = str(p.declarant or p.payee or "onbekend")
    what = "Declaratie" if p.kind == "declaratie" else "Factuur"
    omschrijving = f"{what} {p.link}: {p.narration.removeprefix('Declaratie: ')}"[:140]
    return Betaalopdracht(p.link, naam, iban, p.amount, omschrijving, p)


def opdrachten(view: Buurtbudget) -> list[Betaalopdracht]:
    """The transfers that can be made: approved, unpaid, with a valid IBAN."""
    return [o for o in map(_opdracht, te_betalen(view)) if isinstance(o, Betaalopdracht)]


def niet_te_betalen(view: Buurtbudget) -> list[str]:
    """Approved, unpaid claims and invoices that no transfer can pay, each with the reason.

    One invoice without an IBAN (paid by hand, say) does not hold up every
    resident's claim: it is left out of the file and named.
    """
    return [o for o in map(_opdracht, te_betalen(view)) if isinstance(o, str)]


def sepa_betaalbestand(view: Buurtbudget, uitvoerdatum: datetime.date, *, valideren: bool = True) -> bytes | None:
    """The pain.001.001.03 XML for everything to pay, or None when there is nothing."""
    from sepaxml import SepaTransfer

    header = view.header
    if header is None:
        raise BetaalFout(f"{view.filename}: de ledger heeft geen geldige kop; geen betaalbestand mogelijk")
    lijst = opdrachten(view)
    if not lijst:
        return None
    if not header.iban:
        raise BetaalFout(
            f"{view.filename}: de kop (custom \"buurtbudget\") heeft geen iban:-regel; "
            "van welke rekening moet er betaald worden?"
        )
    config = {
        "name": (header.beheerder or view.title)[:70],
        "IBAN": header.iban,
        "batch": True,
        "currency": "EUR",
    }
    sepa = SepaTransfer(config, schema=SCHEMA, clean=True)
    for o in lijst:
        cents = int((o.bedrag * 100).to_integral_exact())
        sepa.add_payment({
            "name": o.naam,
            "IBAN": o.iban,
            "amount": cents,
            "execution_date": uitvoerdatum,
            "description": o.omschrijving,
            "endtoend_id": o.link,
        })
    xml = sepa.export(validate=False)
    if valideren:
        valideer(xml)
    return xml


def valideer(xml: bytes) -> None:
    """Validate against the shipped pain.001.001.03 XSD; raises BetaalFout with the reason."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
    doc = etree.fromstring(xml)
    if not schema.validate(doc):
        first = schema.error_log[0]
        raise BetaalFout(f"het betaalbestand voldoet niet aan {SCHEMA}: regel {first.line}: {first.message}")
