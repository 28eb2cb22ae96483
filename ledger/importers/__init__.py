"""Bank-statement importers (beangulp): CAMT.053, MT940 and a simple CSV.

    importers = importers_voor(iban, bank_account, accounts, ledger_filename)
    importer = kies_importer(importers, "afschrift.xml")
    entries = importer.extract("afschrift.xml", existing_entries)

For Fava's import page, list `importers_voor(...)` in an import config.

May import `ledger.buurtbudget`, `ledger.evaluatie`, `ledger.schrijver` and
`ledger.betalingen`; nothing in `ledger/` imports it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.buurtbudget.accounts import Accounts
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


ZONDER_SALDO = ("het afschrift heeft geen eindsaldo: of alle regels er zijn, is niet gecontroleerd "
                "tegen de bank")


@dataclass(frozen=True)
class ImportVoorvertoning:
    """What importing a statement would write, read from the ledger as it is (nothing is written)."""

    bestand: str  # the statement's file name
    formaat: str
    rekening: str  # the ledger's bank account the lines are booked on
    regels_in_afschrift: int  # lines with an amount
    nieuw: tuple  # the new entries: transactions and the closing-balance assertion
    betalingen: tuple  # transactions that pay a claim or invoice (link, and `betaalopdracht:` when from a batch)
    retouren: tuple  # transactions that book a returned payment
    onverwerkt: tuple  # transactions on Onverwerkt: to be booked by hand
    eindsaldo: Decimal | None  # the bank's closing balance, checked against the ledger with these lines
    eindsaldo_datum: datetime.date | None
    wijziging: Any  # the write (`ledger.schrijver.schrijven.Wijziging`)

    @property
    def overgeslagen(self) -> int:
        """Lines already in the ledger (the same bank reference, or a hand-typed booking of that amount and date)."""
        return self.regels_in_afschrift - len(self.betalingen) - len(self.retouren) - len(self.onverwerkt)

    @property
    def batches(self) -> tuple[str, ...]:
        """The payment batches whose payments this statement shows."""
        from ledger.betalingen.batches import BATCH_META

        return tuple(dict.fromkeys(str(e.meta[BATCH_META]) for e in self.betalingen if e.meta.get(BATCH_META)))


def voorvertoning_import(stand, afschrift: str | Path, *, zonder_saldo: bool = False) -> ImportVoorvertoning:
    """Read a statement against the ledger of `stand`: the new lines, matches, returns and the balance check.

    Raises InvoerFout (Dutch, naming the file and line) for an unreadable statement, another
    account or currency, a closing balance that does not agree (its cause a SaldoFout), or a
    statement without closing balance unless `zonder_saldo`.
    """
    from beancount.core import data

    from ledger.schrijver.boekingen import InvoerFout, bank_account, opens_tekst
    from ledger.schrijver.schrijven import Wijziging

    afschrift = Path(afschrift)
    view = stand.view
    if view.header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop")
    # The writer's own view of these entries: the same verdicts (and receipts) as betaal and check.
    importers = importers_voor(view.header.iban, bank_account(stand), view.accounts, str(stand.pad), view)
    try:
        importer = kies_importer(importers, str(afschrift))
        # extract first: another account or currency is the clearer refusal.
        entries = importer.extract(str(afschrift), stand.entries)
        gelezen = importer.lees(str(afschrift))
        if gelezen.eindsaldo is None and not zonder_saldo:
            raise InvoerFout(f"{afschrift}: {ZONDER_SALDO}; er is niets geïmporteerd. Vraag de bank een afschrift "
                             "met eindsaldo, of importeer bewust zonder controle met --zonder-saldo")
    except AfschriftFout as exc:
        raise InvoerFout(str(exc)) from exc
    ongecontroleerd = gelezen.eindsaldo is None
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    paid = tuple(e for e in txns if e.links and "retour-reden" not in e.meta)
    returned = tuple(e for e in txns if e.links and "retour-reden" in e.meta)
    rest = tuple(e for e in txns if not e.links)
    saldo = sum(1 for e in entries if isinstance(e, data.Balance))
    if not entries:
        wijziging = Wijziging(f"Import {afschrift.name}: niets nieuws (alles staat al in de ledger)"
                              + (f" — LET OP: {ZONDER_SALDO}" if ongecontroleerd else ""))
    else:
        accounts = sorted({p.account for e in txns for p in e.postings})
        first = min(e.date for e in entries)
        wijziging = Wijziging(
            f"Import {afschrift.name} ({importer.formaat}): {len(txns)} regel(s), waarvan {len(paid)} "
            "betaling(en) van declaraties/facturen"
            + (f", {len(returned)} retour(en) (weer te betalen)" if returned else "")
            + (", eindsaldo gecontroleerd" if saldo else "")
            + (f" — LET OP: {ZONDER_SALDO} (--zonder-saldo)" if ongecontroleerd else ""),
            opens_tekst(stand, accounts, first) + entries_tekst(entries),
        )
    return ImportVoorvertoning(
        bestand=afschrift.name, formaat=importer.formaat, rekening=bank_account(stand),
        regels_in_afschrift=sum(1 for r in gelezen.regels if r.bedrag != 0),
        nieuw=tuple(entries), betalingen=paid, retouren=returned, onverwerkt=rest,
        eindsaldo=gelezen.eindsaldo, eindsaldo_datum=gelezen.eindsaldo_datum, wijziging=wijziging,
    )


def maak_import(stand, afschrift: str | Path, samenvatting: dict | None = None, *, zonder_saldo: bool = False):
    """The Wijziging that imports a statement into the ledger of `stand` (for `schrijven.schrijf`).

    `samenvatting`, when given, is filled with counts: regels, betalingen, onverwerkt, saldo, and
    `zonder_saldo` (1 when the statement had no closing balance and `zonder_saldo` allowed it).
    A statement without a closing balance (CAMT without CLBD, CSV without saldo) cannot be
    checked against the bank: refused, unless the caller says `zonder_saldo`; then the notice
    stays in the commit message.
    """
    from beancount.core import data

    voor = voorvertoning_import(stand, afschrift, zonder_saldo=zonder_saldo)
    if samenvatting is not None:
        samenvatting.update(
            regels=len(voor.betalingen) + len(voor.retouren) + len(voor.onverwerkt), betalingen=len(voor.betalingen),
            retouren=len(voor.retouren), onverwerkt=len(voor.onverwerkt),
            saldo=sum(1 for e in voor.nieuw if isinstance(e, data.Balance)), zonder_saldo=int(voor.eindsaldo is None))
    return voor.wijziging


__all__ = ["AfschriftFout", "BankImporter", "Camt053Importer", "CsvBankImporter", "Mt940Importer", "SaldoFout",
           "VreemdeRekening", "entries_tekst", "importers_voor", "kies_importer", "maak_import",
           "ImportVoorvertoning", "voorvertoning_import"]
