"""MT940 (SWIFT customer statement, what many Dutch banks still export), read with `mt-940`.

The EndToEndId is taken from the `:86:` field's `/EREF/` part (the Dutch
structured form) or else from the `:61:` customer reference; the bank's
reference (`//...` in `:61:`) becomes `bank-ref:`. The counterparty's name is
`/NAME/`, the description `/REMI/`.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from ledger.importers.common import AfschriftFout, Afschrift, BankImporter, Bankregel, fallback_ref

_TAG = re.compile(r"/(EREF|NAME|REMI|IBAN|BIC|ORDP|BENM|CSID|MARF|TRTP)/")


def structured_86(text: str) -> dict[str, str]:
    """`/EREF/x//NAME/y/REMI/z/` -> {"EREF": "x", "NAME": "y", "REMI": "z"}."""
    flat = (text or "").replace("\n", "")
    result: dict[str, str] = {}
    matches = list(_TAG.finditer(flat))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(flat)
        result.setdefault(m.group(1), flat[m.end():end].strip("/ ").strip())
    return result


def _iban_of(account_identification: str | None) -> str:
    ident = (account_identification or "").strip()
    m = re.match(r"([A-Z]{2}\d{2}[A-Z0-9]{10,30}?)(?:EUR)?$", ident.replace(" ", ""))
    return m.group(1) if m else ident.split("/")[0]


def parse_mt940(filepath: str) -> Afschrift:
    import mt940 as mt940_lib

    try:
        statement = mt940_lib.parse(filepath)
    except Exception as exc:  # noqa: BLE001 - the library raises many kinds
        raise AfschriftFout(f"{filepath}: geen leesbaar MT940-bestand ({type(exc).__name__}: {exc})") from exc
    info = statement.data
    if "account_identification" not in info:
        raise AfschriftFout(f"{filepath}: geen MT940-afschrift (veld :25: met de rekening ontbreekt)")
    lines = []
    for n, tx in enumerate(statement):
        d = tx.data
        amount = Decimal(d["amount"].amount)
        datum = d.get("date")
        if datum is None:
            raise AfschriftFout(f"{filepath}: transactie {n + 1} heeft geen datum")
        datum = datetime.date(datum.year, datum.month, datum.day)
        details = d.get("transaction_details") or ""
        fields = structured_86(details)
        e2e = fields.get("EREF") or None
        customer = d.get("customer_reference")
        if not e2e and customer and customer.upper() not in ("NONREF", "NOTPROVIDED"):
            e2e = customer
        name = fields.get("NAME") or fields.get("BENM") or fields.get("ORDP") or None
        desc = fields.get("REMI") or (details if not fields else "") or ""
        bank_ref = d.get("bank_reference") or fallback_ref(datum, amount, details, n)
        lines.append(Bankregel(datum, amount, str(bank_ref), name, desc, e2e, d.get("currency") or "EUR"))
    closing = info.get("final_closing_balance") or info.get("intermediate_closing_balance")
    eind, eind_datum = None, None
    if closing is not None:
        eind = Decimal(closing.amount.amount)
        eind_datum = datetime.date(closing.date.year, closing.date.month, closing.date.day)
    return Afschrift(_iban_of(info.get("account_identification")), tuple(lines), eind, eind_datum)


class Mt940Importer(BankImporter):
    formaat = "mt940"

    def herken(self, filepath: str) -> bool:
        with open(filepath, "rb") as handle:
            head = handle.read(4096)
        return b":20:" in head and b":25:" in head and (b":60F:" in head or b":60M:" in head)

    def lees(self, filepath: str) -> Afschrift:
        return parse_mt940(filepath)
