"""Bank-statement importers (beangulp): CAMT.053, MT940 and a simple CSV.

    importers = importers_voor(iban, bank_account, accounts, ledger_filename)
    importer = kies_importer(importers, "afschrift.xml")
    entries = importer.extract("afschrift.xml", existing_entries)

For Fava's import page, list `importers_voor(...)` in an import config.
"""

from __future__ import annotations

from ledger.accounts import Accounts
from ledger.importers.camt053 import Camt053Importer
from ledger.importers.common import AfschriftFout, BankImporter, VreemdeRekening, entries_tekst
from ledger.importers.csv_bank import CsvBankImporter
from ledger.importers.mt940 import Mt940Importer


def importers_voor(iban: str | None, account: str, accounts: Accounts,
                   ledger_filename: str | None = None) -> list[BankImporter]:
    return [cls(iban, account, accounts, ledger_filename) for cls in (Camt053Importer, Mt940Importer, CsvBankImporter)]


def kies_importer(importers: list[BankImporter], filepath: str) -> BankImporter:
    for importer in importers:
        if importer.identify(filepath):
            return importer
    raise AfschriftFout(f"{filepath}: onbekend afschriftformaat (verwacht CAMT.053-XML, MT940 of CSV met kolommen "
                        "rekening;datum;bedrag)")


__all__ = ["AfschriftFout", "BankImporter", "Camt053Importer", "CsvBankImporter", "Mt940Importer",
           "VreemdeRekening", "entries_tekst", "importers_voor", "kies_importer"]
