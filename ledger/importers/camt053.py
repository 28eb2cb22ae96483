"""CAMT.053 (ISO 20022 bank-to-customer statement), version .001.02 and later.

Parsed with lxml without caring for the namespace (every version has its own),
so `camt.053.001.02` from a Dutch bank and `camt.053.001.08` read the same.
One `Ntry` is one line; a batch entry with several `TxDtls` (a SEPA batch the
bank booked as one) becomes one line per transaction, each with its own
reference (`<entry ref>/<n>` unless the bank gave one per transaction).

A returned payment is a credit whose transaction details carry `RtrInf` with
the reason (`Rsn/Cd`, e.g. `AC04`) and the original EndToEndId in `Refs`.
Amounts must be plain ISO amounts (`64.20`); a `NaN`, a third decimal or a
currency other than EUR is an error naming the file and line.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from lxml import etree

from ledger.importers.common import AfschriftFout, Afschrift, BankImporter, Bankregel, xml_amount


def _local(el) -> str:
    return etree.QName(el).localname


def _child(el, *path: str):
    """The first descendant along `path` of local names (namespace-agnostic), or None."""
    current = [el]
    for name in path:
        nxt = []
        for c in current:
            nxt.extend(ch for ch in c if isinstance(ch.tag, str) and _local(ch) == name)
        if not nxt:
            return None
        current = nxt
    return current[0]


def _children(el, name: str) -> list:
    return [ch for ch in el if isinstance(ch.tag, str) and _local(ch) == name]


def _text(el, *path: str) -> str | None:
    found = _child(el, *path) if path else el
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _date(el, *path: str, where: str = "") -> datetime.date | None:
    node = _child(el, *path)
    if node is None:
        return None
    text = _text(node, "Dt") or _text(node, "DtTm")
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise AfschriftFout(f"{where}: ongeldige datum '{text}' in het CAMT.053-afschrift") from exc


def _amount(el, where: str) -> tuple[Decimal, str]:
    if el is None or el.text is None:
        raise AfschriftFout(f"{where}: een regel in het CAMT.053-afschrift heeft geen bedrag")
    at = f"{where.rsplit(':', 1)[0]}:{el.sourceline}" if el.sourceline else where
    try:
        value = xml_amount(el.text)
    except AfschriftFout as exc:
        raise AfschriftFout(f"{at}: {exc}") from exc
    currency = (el.get("Ccy") or "EUR").strip().upper()
    return value, currency


def _signed(value: Decimal, indicator: str | None) -> Decimal:
    return -value if (indicator or "").upper() == "DBIT" else value


# libxml2's reasons, in Dutch (the rest: "onverwachte tekst").
_XML_FOUTEN = {
    "ERR_TAG_NAME_MISMATCH": "begin- en eindtag passen niet bij elkaar",
    "ERR_TAG_NOT_FINISHED": "het bestand houdt halverwege een element op",
    "ERR_DOCUMENT_END": "tekst na het einde van het document",
    "ERR_DOCUMENT_EMPTY": "het bestand is leeg",
    "ERR_INVALID_ENCODING": "tekens die niet in de codering van het bestand (UTF-8) passen",
    "ERR_INVALID_CHAR": "ongeldig teken",
    "ERR_UNDECLARED_ENTITY": "onbekende entiteit",
    "ERR_GT_REQUIRED": "'>' ontbreekt",
    "ERR_LT_REQUIRED": "'<' ontbreekt",
    "ERR_ATTRIBUTE_NOT_STARTED": "ongeldig attribuut",
    "ERR_NAME_REQUIRED": "naam van een element ontbreekt",
}


def parse_camt053(raw: bytes, filename: str = "afschrift") -> list[Afschrift]:
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        where = f"{filename}:{line}" if line else filename
        last = exc.error_log.last_error if exc.error_log else None
        reason = _XML_FOUTEN.get(last.type_name if last is not None else "", "onverwachte tekst")
        column = f", kolom {exc.offset + 1}" if exc.offset is not None else ""
        raise AfschriftFout(f"{where}: geen geldige XML ({reason}{column}); is het bestand afgebroken of "
                            "beschadigd? Download het afschrift opnieuw") from exc
    container = _child(root, "BkToCstmrStmt")
    if container is None:
        raise AfschriftFout(f"{filename}: geen CAMT.053-afschrift (BkToCstmrStmt ontbreekt)")
    result = []
    for stmt in _children(container, "Stmt"):
        at = f"{filename}:{stmt.sourceline}"
        iban = _text(stmt, "Acct", "Id", "IBAN")
        if not iban:
            raise AfschriftFout(f"{at}: afschrift zonder IBAN (Acct/Id/IBAN)")
        acct_ccy = (_text(stmt, "Acct", "Ccy") or "EUR").upper()
        closing, closing_date, currency, closing_line = None, None, acct_ccy, None
        for bal in _children(stmt, "Bal"):
            code = _text(bal, "Tp", "CdOrPrtry", "Cd")
            where = f"{filename}:{bal.sourceline}"
            if code in ("CLBD",):
                value, ccy = _amount(_child(bal, "Amt"), where)
                closing = _signed(value, _text(bal, "CdtDbtInd"))
                closing_date = _date(bal, "Dt", where=where)
                closing_line = bal.sourceline
                if ccy != "EUR":
                    currency = ccy
        lines: list[Bankregel] = []
        for n, ntry in enumerate(_children(stmt, "Ntry")):
            where = f"{filename}:{ntry.sourceline}"
            status = (_text(ntry, "Sts", "Cd") or _text(ntry, "Sts") or "BOOK").upper()
            if status != "BOOK":
                continue  # pending or informational: not (yet) on the account, not in the closing balance
            value, ccy = _amount(_child(ntry, "Amt"), where)
            indicator = _text(ntry, "CdtDbtInd")
            if (indicator or "").upper() not in ("CRDT", "DBIT"):
                raise AfschriftFout(f"{where}: regel {n + 1} zegt niet of het bij- of afschrijving is "
                                    f"(CdtDbtInd '{indicator or ''}')")
            datum = _date(ntry, "BookgDt", where=where) or _date(ntry, "ValDt", where=where)
            if datum is None:
                raise AfschriftFout(f"{where}: regel {n + 1} heeft geen boekdatum")
            entry_ref = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
            extra = _text(ntry, "AddtlNtryInf") or ""
            reversal = (_text(ntry, "RvslInd") or "").lower() == "true"
            details = [tx for d in _children(ntry, "NtryDtls") for tx in _children(d, "TxDtls")]
            if len(details) <= 1:
                tx = details[0] if details else None
                lines.append(_line(tx, datum, _signed(value, indicator), ccy, entry_ref, extra, indicator,
                                   ntry.sourceline, reversal))
                continue
            for k, tx in enumerate(details):
                amt_el = _child(tx, "AmtDtls", "TxAmt", "Amt")
                if amt_el is None:  # lxml elements without children are falsy: compare with None
                    amt_el = _child(tx, "Amt")
                tx_value, tx_ccy = _amount(amt_el, f"{filename}:{tx.sourceline}") if amt_el is not None else (value, ccy)
                tx_ind = _text(tx, "CdtDbtInd") or indicator
                ref = f"{entry_ref}/{k + 1}" if entry_ref else None
                lines.append(_line(tx, datum, _signed(tx_value, tx_ind), tx_ccy, ref, extra, tx_ind,
                                   tx.sourceline, reversal))
        result.append(Afschrift(iban, tuple(lines), closing, closing_date, currency, closing_line))
    if not result:
        raise AfschriftFout(f"{filename}: het CAMT.053-bestand bevat geen afschrift (Stmt)")
    return result


def _line(tx, datum, bedrag, ccy, ref, extra, indicator, sourceline, reversal=False) -> Bankregel:
    e2e = name = desc = tegen = None
    retour = None
    if tx is not None:
        e2e = _text(tx, "Refs", "EndToEndId")
        ref = _text(tx, "Refs", "AcctSvcrRef") if ref is None else ref
        party = "Cdtr" if (indicator or "").upper() == "DBIT" else "Dbtr"
        name = _text(tx, "RltdPties", party, "Nm") or _text(tx, "RltdPties", party, "Pty", "Nm")
        tegen = _text(tx, "RltdPties", f"{party}Acct", "Id", "IBAN")
        rtr = _child(tx, "RtrInf")
        if rtr is not None:
            retour = _text(rtr, "Rsn", "Cd") or _text(rtr, "Rsn", "Prtry") or ""
            # On a return the bank names the original creditor as the counter-party.
            name = name or _text(tx, "RltdPties", "Cdtr", "Nm")
            tegen = tegen or _text(tx, "RltdPties", "CdtrAcct", "Id", "IBAN")
        ustrd = [u.text.strip() for r in _children(tx, "RmtInf") for u in _children(r, "Ustrd") if u.text]
        desc = " ".join(ustrd) or None
    if retour is None and reversal and (indicator or "").upper() == "CRDT":
        retour = ""  # a reversed debit without a reason: still the money coming back
    if e2e == "NOTPROVIDED":
        e2e = None
    omschrijving = desc or extra or ""
    return Bankregel(datum, bedrag, ref or None, name, omschrijving, e2e, ccy, tegen, retour, sourceline)


class Camt053Importer(BankImporter):
    formaat = "camt053"

    def herken(self, filepath: str) -> bool:
        with open(filepath, "rb") as handle:
            head = handle.read(4096)
        return b"camt.053" in head or b"BkToCstmrStmt" in head

    def lees(self, filepath: str) -> Afschrift:
        with open(filepath, "rb") as handle:
            statements = parse_camt053(handle.read(), filepath)
        if len(statements) == 1:
            return statements[0]
        ibans = {s.iban for s in statements}
        if len(ibans) > 1:
            raise AfschriftFout(f"{filepath}: het bestand bevat afschriften van meer rekeningen ({', '.join(sorted(ibans))})")
        last = max(statements, key=lambda s: s.eindsaldo_datum or datetime.date.min)
        valuta = next((s.valuta for s in statements if s.valuta != "EUR"), last.valuta)
        return Afschrift(statements[0].iban, tuple(l for s in statements for l in s.regels),
                         last.eindsaldo, last.eindsaldo_datum, valuta, last.saldo_regel)
