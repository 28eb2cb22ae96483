"""A simple CSV bank format, for banks that export neither CAMT.053 nor MT940.

The first row names the columns (order free, `;` or `,` as separator, UTF-8):

    rekening;datum;bedrag;tegenpartij;omschrijving;referentie;end-to-end-id;saldo
    NL91ABNA0417164300;2025-05-09;-64,20;Fatima el Amrani;Declaratie;REF0001;decl-2025-001;935,80

- `rekening` (required): the IBAN of the account the statement is of;
- `datum` (required): `JJJJ-MM-DD` or `DD-MM-JJJJ`;
- `bedrag` (required): negative is money out; `12,50`, `12.50` and `1.234,56` all work;
- `tegenpartij`, `omschrijving`, `end-to-end-id`: optional;
- `referentie`: the bank's own reference (becomes `bank-ref:`); without it a
  hash of the line is used;
- `saldo`: the balance after the line; the last line's becomes the closing
  balance (a `balance` assertion).
"""

from __future__ import annotations

import csv
import datetime
import io

from ledger.importers.common import AfschriftFout, Afschrift, BankImporter, Bankregel, fallback_ref, signed_amount

REQUIRED = ("rekening", "datum", "bedrag")


def _date(text: str, where: str) -> datetime.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise AfschriftFout(f"{where}: '{text}' is geen datum (JJJJ-MM-DD of DD-MM-JJJJ)")


def parse_csv(filepath: str) -> Afschrift:
    try:
        with open(filepath, encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise AfschriftFout(f"{filepath}: geen UTF-8-tekst") from exc
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise AfschriftFout(f"{filepath}:1: kolom(men) {', '.join(missing)} ontbreken (verwacht: {';'.join(REQUIRED)}, ...)")
    ibans, lines = set(), []
    saldo, saldo_datum = None, None
    for n, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        where = f"{filepath}:{n}"
        ibans.add("".join(row["rekening"].split()).upper())
        datum = _date(row["datum"], where)
        try:
            bedrag = signed_amount(row["bedrag"])
        except AfschriftFout as exc:
            raise AfschriftFout(f"{where}: {exc}") from exc
        e2e = row.get("end-to-end-id") or None
        ref = row.get("referentie") or fallback_ref(datum, bedrag, row.get("tegenpartij"), row.get("omschrijving"), e2e, n)
        lines.append(Bankregel(datum, bedrag, ref, row.get("tegenpartij") or None, row.get("omschrijving") or "", e2e))
        if row.get("saldo"):
            try:
                saldo, saldo_datum = signed_amount(row["saldo"]), datum
            except AfschriftFout as exc:
                raise AfschriftFout(f"{where}: saldo: {exc}") from exc
    if not ibans:
        raise AfschriftFout(f"{filepath}: het afschrift bevat geen regels")
    if len(ibans) > 1:
        raise AfschriftFout(f"{filepath}: het afschrift bevat regels van meer rekeningen ({', '.join(sorted(ibans))})")
    return Afschrift(ibans.pop(), tuple(lines), saldo, saldo_datum)


class CsvBankImporter(BankImporter):
    formaat = "csv"

    def herken(self, filepath: str) -> bool:
        if not filepath.lower().endswith((".csv", ".txt")):
            return False
        with open(filepath, encoding="utf-8-sig", errors="replace") as handle:
            first = handle.readline().lower()
        return all(col in first for col in REQUIRED)

    def lees(self, filepath: str) -> Afschrift:
        return parse_csv(filepath)
