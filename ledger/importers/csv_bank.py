"""A simple CSV bank format, for banks that export neither CAMT.053 nor MT940.

The first row names the columns (order free, `;` or `,` as separator, UTF-8):

    rekening;datum;bedrag;tegenpartij;tegenrekening;omschrijving;referentie;end-to-end-id;retour-reden;saldo
    NL91ABNA0417164300;2025-05-09;-64,20;Fatima el Amrani;NL02ABNA0123456789;Declaratie;REF0001;decl-2025-001;;935,80

- `rekening` (required): the IBAN of the account the statement is of;
- `datum` (required): `JJJJ-MM-DD` or `DD-MM-JJJJ`;
- `bedrag` (required): negative is money out; `12,50`, `12.50` and `1.234,56`
  work; more than two decimals or `1.234` (ambiguous) are refused;
- `valuta` (optional): must be `EUR` when present;
- `tegenpartij`, `tegenrekening`, `omschrijving`, `end-to-end-id`: optional;
- `referentie`: the bank's own reference (becomes `bank-ref:`); without it the
  line is known by its date, amount, counter-account and text (counted);
- `retour-reden`: filled in (e.g. `AC04`) when the line is a payment the bank
  returned; its `end-to-end-id` names the claim or invoice;
- `saldo`: the balance after the line; the latest line's (the last row, or
  the first when the export is newest first) becomes the closing balance,
  compared with the ledger.

Every row must have exactly as many fields as the header.
"""

from __future__ import annotations

import csv
import datetime
import io

from ledger.importers.common import AfschriftFout, Afschrift, decode_utf8, BankImporter, Bankregel, signed_amount

REQUIRED = ("rekening", "datum", "bedrag")
KNOWN = REQUIRED + ("valuta", "tegenpartij", "tegenrekening", "omschrijving", "referentie", "end-to-end-id",
                    "retour-reden", "saldo")

ADVIES_UTF8 = "sla het afschrift op als UTF-8 (CSV UTF-8) en probeer het opnieuw"


def _date(text: str, where: str) -> datetime.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise AfschriftFout(f"{where}: '{text}' is geen datum (JJJJ-MM-DD of DD-MM-JJJJ)")


def parse_csv(filepath: str) -> Afschrift:
    with open(filepath, "rb") as handle:
        text = decode_utf8(handle.read(), filepath, ADVIES_UTF8)
    if "\x00" in text:
        raise AfschriftFout(f"{filepath}: het bestand bevat NUL-tekens (UTF-16 of binair?); sla het op als UTF-8")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise AfschriftFout(f"{filepath}: het bestand is leeg") from None
    except csv.Error as exc:
        raise AfschriftFout(f"{filepath}:1: kopregel onleesbaar ({exc})") from exc
    columns = [c.strip().lower() for c in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise AfschriftFout(f"{filepath}:1: kolom(men) {', '.join(missing)} ontbreken (verwacht: {';'.join(REQUIRED)}, ...)")
    doubled = sorted({c for c in columns if c and columns.count(c) > 1})
    if doubled:
        raise AfschriftFout(f"{filepath}:1: kolom(men) {', '.join(doubled)} staan er meer dan eens in")
    ibans, lines = set(), []
    saldi: list[tuple[datetime.date, object, int]] = []  # (date, balance after the line, line)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise AfschriftFout(f"{filepath}:{start}: regel onleesbaar ({exc}); is het bestand afgebroken?") from exc
        where = f"{filepath}:{start}"
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(columns):
            raise AfschriftFout(f"{where}: regel heeft {len(fields)} velden, de kopregel {len(columns)}; "
                                "controleer scheidingstekens en aanhalingstekens (of is het bestand afgebroken?)")
        row = {c: f.strip() for c, f in zip(columns, fields)}
        if not row["rekening"]:
            raise AfschriftFout(f"{where}: rekening ontbreekt")
        ibans.add("".join(row["rekening"].split()).upper())
        datum = _date(row["datum"], where)
        try:
            bedrag = signed_amount(row["bedrag"])
        except AfschriftFout as exc:
            raise AfschriftFout(f"{where}: {exc}") from exc
        valuta = (row.get("valuta") or "EUR").upper()
        e2e = row.get("end-to-end-id") or None
        retour = row.get("retour-reden") or None
        lines.append(Bankregel(datum, bedrag, row.get("referentie") or None, row.get("tegenpartij") or None,
                               row.get("omschrijving") or "", e2e, valuta, row.get("tegenrekening") or None,
                               retour, start))
        if row.get("saldo"):
            try:
                saldi.append((datum, signed_amount(row["saldo"]), start))
            except AfschriftFout as exc:
                raise AfschriftFout(f"{where}: saldo: {exc}") from exc
    if not ibans:
        raise AfschriftFout(f"{filepath}: het afschrift bevat geen regels")
    if len(ibans) > 1:
        raise AfschriftFout(f"{filepath}: het afschrift bevat regels van meer rekeningen ({', '.join(sorted(ibans))})")
    saldo, saldo_datum, saldo_regel = None, None, None
    if saldi:
        # Many banks export newest first: the closing balance is that of the latest line, in file order.
        newest_first = lines[0].datum > lines[-1].datum
        saldo_datum, saldo, saldo_regel = saldi[0] if newest_first else saldi[-1]
    return Afschrift(ibans.pop(), tuple(lines), saldo, saldo_datum, "EUR", saldo_regel)


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
