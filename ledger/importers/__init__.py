"""Bank-statement importers (beangulp): CAMT.053, MT940 and a simple CSV.

    importers = importers_voor(iban, bank_account, accounts, ledger_filename)
    importer = kies_importer(importers, "afschrift.xml")
    entries = importer.extract("afschrift.xml", existing_entries)

For Fava's import page, list `importers_voor(...)` in an import config.
"""

from __future__ import annotations

from pathlib import Path

from ledger.accounts import Accounts
from ledger.importers.camt053 import Camt053Importer
from ledger.importers.common import AfschriftFout, BankImporter, SaldoFout, VreemdeRekening, entries_tekst
from ledger.importers.csv_bank import CsvBankImporter
from ledger.importers.mt940 import Mt940Importer


def importers_voor(iban: str | None, account: str, accounts: Accounts,
                   ledger_filename: str | None = None, view=None) -> list[BankImporter]:
    return [cls(iban, account, accounts, ledger_filename, view)
            for cls in (Camt053Importer, Mt940Importer, CsvBankImporter)]


def kies_importer(importers: list[BankImporter], filepath: str) -> BankImporter:
    for importer in importers:
        if importer.identify(filepath):
            return importer
    try:
        with open(filepath, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise AfschriftFout(f"{filepath}: kan het afschrift niet lezen ({exc.strerror or exc})") from exc
    if not head.strip():
        raise AfschriftFout(f"{filepath}: het bestand is leeg; download het afschrift opnieuw")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise AfschriftFout(f"{filepath}:1: het bestand is geen UTF-8-tekst (UTF-16 of binair); "
                            "sla het afschrift op als UTF-8 en probeer het opnieuw")
    raise AfschriftFout(f"{filepath}: onbekend afschriftformaat (verwacht CAMT.053-XML, MT940 of CSV met kolommen "
                        "rekening;datum;bedrag)")


def maak_import(stand, afschrift: str | Path, samenvatting: dict | None = None):
    """The Wijziging that imports a statement into the ledger of `stand` (for `schrijven.schrijf`).

    `samenvatting`, when given, is filled with counts: regels, betalingen, onverwerkt, saldo.
    """
    from beancount.core import data

    from ledger.boekingen import InvoerFout, bank_account, opens_tekst
    from ledger.schrijven import Wijziging

    afschrift = Path(afschrift)
    view = stand.view
    if view.header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop")
    # The writer's own view of these entries: the same verdicts (and receipts) as betaal and check.
    importers = importers_voor(view.header.iban, bank_account(stand), view.accounts, str(stand.pad), view)
    try:
        importer = kies_importer(importers, str(afschrift))
        entries = importer.extract(str(afschrift), stand.entries)
    except AfschriftFout as exc:
        raise InvoerFout(str(exc)) from exc
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    paid = [e for e in txns if e.links and "retour-reden" not in e.meta]
    returned = [e for e in txns if e.links and "retour-reden" in e.meta]
    counts = dict(regels=len(txns), betalingen=len(paid), retouren=len(returned),
                  onverwerkt=len(txns) - len(paid) - len(returned),
                  saldo=sum(1 for e in entries if isinstance(e, data.Balance)))
    if samenvatting is not None:
        samenvatting.update(counts)
    if not entries:
        return Wijziging(f"Import {afschrift.name}: niets nieuws (alles staat al in de ledger)")
    accounts = sorted({p.account for e in txns for p in e.postings})
    first = min(e.date for e in entries)
    text = opens_tekst(stand, accounts, first) + entries_tekst(entries)
    return Wijziging(
        f"Import {afschrift.name} ({importer.formaat}): {len(txns)} regel(s), waarvan {len(paid)} "
        "betaling(en) van declaraties/facturen"
        + (f", {len(returned)} retour(en) (weer te betalen)" if returned else "")
        + (", eindsaldo gecontroleerd" if counts["saldo"] else ""),
        text,
    )


__all__ = ["AfschriftFout", "BankImporter", "Camt053Importer", "CsvBankImporter", "Mt940Importer", "SaldoFout",
           "VreemdeRekening", "entries_tekst", "importers_voor", "kies_importer", "maak_import"]
