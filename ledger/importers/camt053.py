"""CAMT.053 (ISO 20022 bank-to-customer statement), version .001.02 and later.

Parsed with lxml without caring for the namespace (every version has its own),
so `camt.053.001.02` from a Dutch bank and `camt.053.001.08` read the same.
One `Ntry` is one line; a batch entry with several `TxDtls` (a SEPA batch the
bank booked as one) becomes one line per transaction, each with its own
reference (`<entry ref>/<n>` unless the bank gave one per transaction).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from ledger.importers.common import AfschriftFout, Afschrift, BankImporter, Bankregel, fallback_ref


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


def _date(el, *path: str) -> datetime.date | None:
    node = _child(el, *path)
    if node is None:
        return None
    text = _text(node, "Dt") or _text(node, "DtTm")
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise AfschriftFout(f"ongeldige datum '{text}' in het CAMT.053-afschrift") from exc


def _amount(el) -> tuple[Decimal, str]:
    if el is None or el.text is None:
        raise AfschriftFout("een regel in het CAMT.053-afschrift heeft geen bedrag")
    try:
        return Decimal(el.text.strip()), el.get("Ccy") or "EUR"
    except InvalidOperation as exc:
        raise AfschriftFout(f"ongeldig bedrag '{el.text}' in het CAMT.053-afschrift") from exc


def _signed(value: Decimal, indicator: str | None) -> Decimal:
    return -value if (indicator or "").upper() == "DBIT" else value


def parse_camt053(raw: bytes, filename: str = "afschrift") -> list[Afschrift]:
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise AfschriftFout(f"{filename}: geen geldige XML ({exc})") from exc
    container = _child(root, "BkToCstmrStmt")
    if container is None:
        raise AfschriftFout(f"{filename}: geen CAMT.053-afschrift (BkToCstmrStmt ontbreekt)")
    result = []
    for stmt in _children(container, "Stmt"):
        iban = _text(stmt, "Acct", "Id", "IBAN")
        if not iban:
            raise AfschriftFout(f"{filename}: afschrift zonder IBAN (Acct/Id/IBAN)")
        closing, closing_date, currency = None, None, "EUR"
        for bal in _children(stmt, "Bal"):
            code = _text(bal, "Tp", "CdOrPrtry", "Cd")
            if code in ("CLBD",):
                value, currency = _amount(_child(bal, "Amt"))
                closing = _signed(value, _text(bal, "CdtDbtInd"))
                closing_date = _date(bal, "Dt")
        lines: list[Bankregel] = []
        for n, ntry in enumerate(_children(stmt, "Ntry")):
            value, ccy = _amount(_child(ntry, "Amt"))
            indicator = _text(ntry, "CdtDbtInd")
            datum = _date(ntry, "BookgDt") or _date(ntry, "ValDt")
            if datum is None:
                raise AfschriftFout(f"{filename}: regel {n + 1} heeft geen boekdatum")
            entry_ref = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
            extra = _text(ntry, "AddtlNtryInf") or ""
            details = [tx for d in _children(ntry, "NtryDtls") for tx in _children(d, "TxDtls")]
            if len(details) <= 1:
                tx = details[0] if details else None
                lines.append(_line(tx, datum, _signed(value, indicator), ccy, entry_ref, extra, n, indicator))
                continue
            for k, tx in enumerate(details):
                amt_el = _child(tx, "AmtDtls", "TxAmt", "Amt")
                if amt_el is None:  # lxml elements without children are falsy: compare with None
                    amt_el = _child(tx, "Amt")
                tx_value, tx_ccy = _amount(amt_el) if amt_el is not None else (value, ccy)
                tx_ind = _text(tx, "CdtDbtInd") or indicator
                ref = f"{entry_ref}/{k + 1}" if entry_ref else None
                lines.append(_line(tx, datum, _signed(tx_value, tx_ind), tx_ccy, ref, extra, n, tx_ind, k))
        result.append(Afschrift(iban, tuple(lines), closing, closing_date, currency))
    if not result:
        raise AfschriftFout(f"{filename}: het CAMT.053-bestand bevat geen afschrift (Stmt)")
    return result


def _line(tx, datum, bedrag, ccy, ref, extra, n, indicator, k=0) -> Bankregel:
    e2e = name = desc = None
    if tx is not None:
        e2e = _text(tx, "Refs", "EndToEndId")
        ref = _text(tx, "Refs", "AcctSvcrRef") if ref is None else ref
        party = "Cdtr" if (indicator or "").upper() == "DBIT" else "Dbtr"
        name = _text(tx, "RltdPties", party, "Nm") or _text(tx, "RltdPties", party, "Pty", "Nm")
        ustrd = [u.text.strip() for r in _children(tx, "RmtInf") for u in _children(r, "Ustrd") if u.text]
        desc = " ".join(ustrd) or None
    if e2e == "NOTPROVIDED":
        e2e = None
    omschrijving = desc or extra or ""
    bank_ref = ref or fallback_ref(datum, bedrag, name, omschrijving, e2e, n, k)
    return Bankregel(datum, bedrag, bank_ref, name, omschrijving, e2e, ccy)


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
        return Afschrift(statements[0].iban, tuple(l for s in statements for l in s.regels),
                         last.eindsaldo, last.eindsaldo_datum, last.valuta)
