"""What every bank-statement importer shares: the statement model and the booking rules.

A format module (camt053, mt940, csv_bank) only turns a file into an
`Afschrift` (account IBAN, lines, closing balance). `BankImporter.extract`
then decides, for the ledger it is given:

- a statement of another account than the header's `iban` is refused
  (`VreemdeRekening`);
- a line is skipped when the ledger already has it: the same `bank-ref:`, or
  (for bookings typed in by hand) a posting on the bank account with the same
  amount within 3 days that carries no `bank-ref:` (each such posting matches
  one line at most);
- a debit whose EndToEndId is the link of an approved, unpaid claim or invoice
  of the same amount is booked as its payment, with that link;
- every other line goes to `<Assets>:Onverwerkt` for the administrator;
- the closing balance becomes a `balance` assertion dated the day *after* the
  closing date (beancount checks balances at the start of the day).

The importers are beangulp `Importer`s, so Fava's import page can use them too.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import beangulp
from beancount.core import amount as bc_amount
from beancount.core import data

from ledger.accounts import Accounts
from ledger.view import Payable, build_view

CURRENCY = "EUR"
DEDUP_DAYS = 3


class AfschriftFout(ValueError):
    """A statement that cannot be read (Dutch message)."""


class VreemdeRekening(AfschriftFout):
    """A statement of another account than this buurtbudget's."""


@dataclass(frozen=True, slots=True)
class Bankregel:
    datum: datetime.date
    bedrag: Decimal  # positive: money in; negative: money out
    bank_ref: str
    tegenpartij: str | None = None
    omschrijving: str = ""
    end_to_end_id: str | None = None
    valuta: str = CURRENCY


@dataclass(frozen=True, slots=True)
class Afschrift:
    iban: str
    regels: tuple[Bankregel, ...]
    eindsaldo: Decimal | None = None
    eindsaldo_datum: datetime.date | None = None
    valuta: str = CURRENCY


def compact_iban(text: str) -> str:
    return "".join(str(text).split()).upper()


def fallback_ref(*parts: object) -> str:
    """A stable reference for a line whose bank gave none: a hash of what the line says."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
    return f"h-{digest}"


def _options(accounts: Accounts, filename: str | None) -> dict:
    return {
        "name_assets": accounts.assets, "name_liabilities": accounts.liabilities,
        "name_equity": accounts.equity, "name_income": accounts.income,
        "name_expenses": accounts.expenses, "filename": filename or "<import>",
    }


class BankImporter(beangulp.Importer):
    """Base class: subclasses implement `herken(path)` and `lees(path) -> Afschrift`."""

    formaat = "bank"

    def __init__(self, iban: str | None, account: str, accounts: Accounts, ledger_filename: str | None = None):
        self.iban = compact_iban(iban) if iban else None
        self._account = account
        self.accounts = accounts
        self.ledger_filename = ledger_filename

    # -- what a format provides
    def herken(self, filepath: str) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def lees(self, filepath: str) -> Afschrift:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- beangulp's interface
    @property
    def name(self) -> str:
        return f"buurtbudget.{self.formaat}"

    def identify(self, filepath: str) -> bool:
        try:
            return self.herken(filepath)
        except Exception:  # noqa: BLE001 - a file we cannot even sniff is not ours
            return False

    def account(self, filepath: str) -> str:
        return self._account

    def date(self, filepath: str) -> datetime.date | None:
        try:
            return self.lees(filepath).eindsaldo_datum
        except AfschriftFout:
            return None

    def filename(self, filepath: str) -> str | None:
        return f"afschrift-{self.formaat}{Path(filepath).suffix.lower()}"

    def deduplicate(self, entries: data.Entries, existing: data.Entries) -> None:
        """Nothing to do: `extract` already leaves out what the ledger has (bank-ref, amount and date)."""

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        afschrift = self.lees(filepath)
        self.check_rekening(afschrift, filepath)
        return boek_afschrift(afschrift, existing, account=self._account, accounts=self.accounts,
                              ledger_filename=self.ledger_filename, bron=Path(filepath).name)

    def check_rekening(self, afschrift: Afschrift, filepath: str) -> None:
        if self.iban is None:
            raise VreemdeRekening(
                "de kop van dit buurtbudget heeft geen iban:-regel; een afschrift kan niet worden gecontroleerd"
            )
        if compact_iban(afschrift.iban) != self.iban:
            raise VreemdeRekening(
                f"{filepath}: dit afschrift is van rekening {compact_iban(afschrift.iban)}, maar dit buurtbudget "
                f"heeft rekening {self.iban}; er is niets geïmporteerd"
            )


def _existing_refs(existing: Iterable[data.Directive]) -> set[str]:
    refs = set()
    for e in existing:
        ref = e.meta.get("bank-ref") if e.meta else None
        if ref:
            refs.add(str(ref))
    return refs


def boek_afschrift(afschrift: Afschrift, existing: Sequence[data.Directive], *, account: str, accounts: Accounts,
                   ledger_filename: str | None = None, bron: str = "afschrift") -> list[data.Directive]:
    """The new entries for a statement: payments, unprocessed lines, the closing balance."""
    existing = list(existing)
    refs = _existing_refs(existing)
    view = build_view(existing, _options(accounts, ledger_filename))
    open_payables: dict[str, Payable] = {p.link: p for p in view.payables if p.link and p.status == "goedgekeurd"}

    # Hand-typed bookings on the bank account (no bank-ref): candidates for the amount-and-date match.
    manual: dict[Decimal, list[tuple[datetime.date, int]]] = {}  # amount -> (date, id): one lookup per line
    count = 0
    for e in existing:
        if isinstance(e, data.Transaction) and not e.meta.get("bank-ref"):
            for p in e.postings:
                if p.account == account and p.units is not None and p.units.number is not None:
                    manual.setdefault(p.units.number, []).append((e.date, count))
                    count += 1
    used: set[int] = set()

    def matches_manual(line: Bankregel) -> bool:
        for date, idx in manual.get(line.bedrag, ()):
            if idx not in used and abs((date - line.datum).days) <= DEDUP_DAYS:
                used.add(idx)
                return True
        return False

    new: list[data.Directive] = []
    for i, line in enumerate(afschrift.regels):
        if line.bank_ref in refs or line.bedrag == 0:
            continue
        if matches_manual(line):
            continue
        refs.add(line.bank_ref)
        meta = data.new_metadata(ledger_filename or "<import>", 0)
        meta["bank-ref"] = line.bank_ref
        payable = open_payables.get(line.end_to_end_id or "") if line.bedrag < 0 else None
        if payable is not None and payable.amount == -line.bedrag:
            del open_payables[payable.link]
            liability = accounts.declaraties if payable.kind == "declaratie" else accounts.crediteuren
            what = "declaratie" if payable.kind == "declaratie" else "factuur"
            postings = [
                data.Posting(liability, bc_amount.Amount(payable.amount, CURRENCY), None, None, None, None),
                data.Posting(account, bc_amount.Amount(line.bedrag, CURRENCY), None, None, None, None),
            ]
            new.append(data.Transaction(meta, line.datum, "*", payable.payee, f"Uitbetaling {what}",
                                        data.EMPTY_SET, frozenset({payable.link}), postings))
            continue
        if line.end_to_end_id and line.end_to_end_id not in ("NOTPROVIDED",):
            meta["end-to-end-id"] = line.end_to_end_id
        postings = [
            data.Posting(account, bc_amount.Amount(line.bedrag, CURRENCY), None, None, None, None),
            data.Posting(accounts.onverwerkt, bc_amount.Amount(-line.bedrag, CURRENCY), None, None, None, None),
        ]
        new.append(data.Transaction(meta, line.datum, "!", line.tegenpartij, line.omschrijving or f"Bankregel uit {bron}",
                                    data.EMPTY_SET, data.EMPTY_SET, postings))

    if afschrift.eindsaldo is not None and afschrift.eindsaldo_datum is not None:
        when = afschrift.eindsaldo_datum + datetime.timedelta(days=1)
        already = any(isinstance(e, data.Balance) and e.account == account and e.date == when for e in existing)
        if not already:
            meta = data.new_metadata(ledger_filename or "<import>", 0)
            new.append(data.Balance(meta, when, account, bc_amount.Amount(afschrift.eindsaldo, CURRENCY), None, None))
    return new


def entries_tekst(entries: Sequence[data.Directive]) -> str:
    """Beancount text for imported entries (metadata without file and line)."""
    from beancount.parser import printer

    parts = []
    for e in entries:
        clean = {k: v for k, v in e.meta.items() if k not in ("filename", "lineno")}
        parts.append(printer.format_entry(e._replace(meta=clean)))
    return "\n".join(parts)


def signed_amount(text: str) -> Decimal:
    """`-12,50` / `12.50` / `1.234,56` -> Decimal with its sign (bank files may carry zero lines too)."""
    from ledger.money import AmountError, parse_amount

    raw = str(text).strip()
    negative = raw.startswith("-")
    raw = raw.lstrip("-+").strip()
    if raw.strip("0.,") == "":
        return Decimal("0.00")
    try:
        value = parse_amount(raw)
    except AmountError as exc:
        raise AfschriftFout(str(exc)) from exc
    return -value if negative else value
