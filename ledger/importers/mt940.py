"""MT940 (SWIFT customer statement, what many Dutch banks still export), read with `mt-940`.

The EndToEndId is taken from the `:86:` field's `/EREF/` part (the Dutch
structured form) or else from the `:61:` customer reference; the bank's
reference (`//...` in `:61:`) becomes `bank-ref:`. The counterparty's name is
`/NAME/`, its account `/IBAN/`, the description `/REMI/`.

A returned payment is a credit `:61:` line with transaction type `RTI`
(`NRTI`/`SRTI`), or status `RD` (reversal of a debit), or a `:86:` with
`/RTRN/<reason>/`; the reason code comes from `/RTRN/`.

The file must be UTF-8 (SWIFT text is plain ASCII); the statement's currency
(from `:60F:`) must be EUR. The library's own logging and printing are kept
off the terminal: a user sees our Dutch message, with the file and line.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
import re
from decimal import Decimal

from ledger.importers.common import AfschriftFout, Afschrift, decode_utf8, BankImporter, Bankregel

_TAG = re.compile(r"/(EREF|NAME|REMI|IBAN|BIC|ORDP|BENM|CSID|MARF|TRTP|RTRN|CNTP|PREF|ISDT|SVCL)/")
_FIELD = re.compile(r"^:(\d{2}[A-Z]?):", re.M)

ADVIES_UTF8 = "download het MT940-afschrift opnieuw of sla het op als UTF-8"


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


def _field_lines(text: str, tag: str) -> list[int]:
    """The 1-based line of every `:tag:` field, in order."""
    return [text.count("\n", 0, m.start()) + 1 for m in _FIELD.finditer(text) if m.group(1) == tag]


def _line_of(text: str, fragment: str) -> int | None:
    fragment = (fragment or "").strip().splitlines()[0] if (fragment or "").strip() else ""
    pos = text.find(fragment) if fragment else -1
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


@contextlib.contextmanager
def _stil():
    """Keep the library quiet: no log records (its debug/error lines) and nothing printed."""
    log = logging.getLogger("mt940")
    saved = (log.level, log.propagate, log.disabled, list(log.handlers))
    log.handlers = [logging.NullHandler()]
    log.setLevel(logging.CRITICAL + 1)
    log.propagate = False
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        log.level, log.propagate, log.disabled = saved[0], saved[1], saved[2]
        log.handlers = saved[3]


def _date(value) -> datetime.date:
    return datetime.date(value.year, value.month, value.day)


def parse_mt940(filepath: str) -> Afschrift:
    import mt940 as mt940_lib

    with open(filepath, "rb") as handle:
        text = decode_utf8(handle.read(), filepath, ADVIES_UTF8).replace("\r\n", "\n")
    try:
        with _stil():
            statement = mt940_lib.parse(io.StringIO(text))
    except Exception as exc:  # noqa: BLE001 - the library raises many kinds
        value = exc.args[2] if isinstance(exc, RuntimeError) and len(exc.args) > 2 else ""
        line = _line_of(text, str(value)) if value else None
        where = f"{filepath}:{line}" if line else filepath
        raise AfschriftFout(f"{where}: geen leesbaar MT940-bestand (veld {str(value)[:60]!r} klopt niet); "
                            "is het bestand afgebroken of beschadigd? Download het afschrift opnieuw") from exc
    info = statement.data
    if "account_identification" not in info:
        raise AfschriftFout(f"{filepath}: geen MT940-afschrift (veld :25: met de rekening ontbreekt)")
    lines_61 = _field_lines(text, "61")
    transactions = list(statement)
    if len(transactions) != len(lines_61):
        raise AfschriftFout(f"{filepath}: {len(lines_61)} transactieregels (:61:) maar {len(transactions)} gelezen; "
                            "is het bestand afgebroken of beschadigd?")
    opening = next((_field_lines(text, t) for t in ("60F", "60M") if _field_lines(text, t)), [None])[0]
    valuta = (statement.currency or "EUR").upper()
    lines = []
    for n, tx in enumerate(transactions):
        d = tx.data
        regel = lines_61[n]
        where = f"{filepath}:{regel}"
        datum = d.get("date")
        if datum is None:
            raise AfschriftFout(f"{where}: transactie {n + 1} heeft geen datum")
        datum = _date(datum)
        status = str(d.get("status") or "").upper()
        amount = abs(Decimal(d["amount"].amount))
        if amount != amount.quantize(Decimal("0.01")):
            raise AfschriftFout(f"{where}: bedrag {amount} heeft meer dan twee decimalen")
        # Sign from the mark, whatever the library's options: D and RC take money out; C and RD bring it in.
        amount = -amount if status in ("D", "RC") else amount
        details = d.get("transaction_details") or ""
        fields = structured_86(details)
        e2e = fields.get("EREF") or None
        customer = (d.get("customer_reference") or "").strip()
        if not e2e and customer and customer.upper() not in ("NONREF", "NOTPROVIDED"):
            e2e = customer
        if e2e and e2e.upper() in ("NOTPROVIDED", "NONREF"):
            e2e = None
        name = fields.get("NAME") or fields.get("BENM") or fields.get("ORDP") or None
        tegen = fields.get("IBAN") or fields.get("CNTP", "").split("/")[0] or None
        desc = fields.get("REMI") or (details if not fields else "") or ""
        kind = str(d.get("id") or "").upper()
        retour = None
        if amount > 0 and ("RTRN" in fields or kind.endswith("RTI") or status == "RD"):
            retour = fields.get("RTRN", "").split("/")[0].strip()
        currency = (d.get("currency") or valuta or "EUR").upper()
        bank_ref = (d.get("bank_reference") or "").strip() or None
        lines.append(Bankregel(datum, amount, bank_ref, name, desc, e2e, currency, tegen, retour, regel))
    closing = info.get("final_closing_balance") or info.get("intermediate_closing_balance")
    eind, eind_datum, eind_regel = None, None, None
    if closing is not None:
        eind = Decimal(closing.amount.amount)
        eind_datum = _date(closing.date)
        closing_ccy = (closing.amount.currency or valuta).upper()
        if closing_ccy != "EUR":
            valuta = closing_ccy
        eind_regel = next((_field_lines(text, t)[-1] for t in ("62F", "62M") if _field_lines(text, t)), None)
    elif lines:
        raise AfschriftFout(f"{filepath}: het eindsaldo (:62F:) ontbreekt; is het bestand afgebroken? "
                            "Download het afschrift opnieuw")
    return Afschrift(_iban_of(info.get("account_identification")), tuple(lines), eind, eind_datum, valuta,
                     eind_regel if valuta == "EUR" else opening)


class Mt940Importer(BankImporter):
    formaat = "mt940"

    def herken(self, filepath: str) -> bool:
        with open(filepath, "rb") as handle:
            head = handle.read(4096)
        return b":20:" in head and b":25:" in head and (b":60F:" in head or b":60M:" in head)

    def lees(self, filepath: str) -> Afschrift:
        return parse_mt940(filepath)
