"""What every bank-statement importer shares: the statement model and the booking rules.

A format module (camt053, mt940, csv_bank) only turns a file into an
`Afschrift` (account IBAN, lines, closing balance). `BankImporter.extract`
then decides, for the ledger it is given:

- a statement of another account than the header's `iban` is refused
  (`VreemdeRekening`);
- a statement or line in another currency than EUR is refused (file and line);
- a line is skipped when the ledger already has it: the same `bank-ref:`, or
  (for bookings typed in by hand) a posting on the bank account with the same
  amount within 3 days that carries no `bank-ref:` (each such posting matches
  one line at most);
- a line without the bank's own reference gets `h-<hash>-<n>`: the hash of its
  date, amount, counter-account and text, and `n` counting the equal lines of
  this statement, so two identical coffees on one day stay two, the same
  export imported twice adds nothing and an overlapping export adds only the
  lines the ledger lacks;
- a debit whose EndToEndId is the link of an approved, unpaid claim or invoice
  of the same amount is booked as its payment, with that link (and the batch
  it carries out, `betaalopdracht:`);
- a credit that the bank marks as a return (CAMT `RtrInf`, MT940 `RTI`/`/RTRN/`,
  CSV column `retour-reden`) whose EndToEndId is a paid claim or invoice of the
  same amount is booked as its return: same link, money back on the bank, the
  debt back on the liability, `retour-reden:` in the metadata (`ledger.evaluatie.retouren`);
- every other line goes to `<Assets>:Onverwerkt` for the administrator;
- the closing balance is compared with the ledger's balance of the bank
  account at that date (with the new lines): a difference refuses the whole
  import, even when every line was already there; otherwise it becomes a
  `balance` assertion dated the day *after* the closing date (beancount checks
  balances at the start of the day).

The importers are beangulp `Importer`s, so Fava's import page can use them too.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import beangulp
from beancount.core import amount as bc_amount
from beancount.core import data

from ledger.buurtbudget.accounts import Accounts
from ledger.evaluatie.view import Buurtbudget, Payable, build_view

CURRENCY = "EUR"
DEDUP_DAYS = 3


class AfschriftFout(Fout, ValueError):
    """A statement that cannot be read (Dutch message)."""


def decode_utf8(raw: bytes, filepath: str, advies: str) -> str:
    """A statement's text (a BOM allowed); anything else a Dutch error naming file, line and what to do."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AfschriftFout(f"{filepath}:{line}: het bestand is geen UTF-8-tekst (byte {exc.start}); {advies}") from exc


class VreemdeRekening(AfschriftFout):
    """A statement of another account than this buurtbudget's."""


class SaldoFout(AfschriftFout):
    """The statement's closing balance is not the ledger's balance of the bank account."""


@dataclass(frozen=True, slots=True)
class Bankregel:
    datum: datetime.date
    bedrag: Decimal  # positive: money in; negative: money out
    bank_ref: str | None  # the bank's own reference; None: it gave none (a counted hash is used)
    tegenpartij: str | None = None
    omschrijving: str = ""
    end_to_end_id: str | None = None
    valuta: str = CURRENCY
    tegenrekening: str | None = None  # the counter-party's IBAN
    retour_reden: str | None = None  # a returned payment: the bank's reason code ("" when it gave none)
    regel: int | None = None  # line in the statement file


@dataclass(frozen=True, slots=True)
class Afschrift:
    iban: str
    regels: tuple[Bankregel, ...]
    eindsaldo: Decimal | None = None
    eindsaldo_datum: datetime.date | None = None
    valuta: str = CURRENCY
    saldo_regel: int | None = None  # line of the closing balance in the file


def compact_iban(text: str) -> str:
    return "".join(str(text).split()).upper()


def _key_hash(line: Bankregel) -> str:
    """What a line without a bank reference is: date, amount, counter-account (or name) and text."""
    tegen = compact_iban(line.tegenrekening) if line.tegenrekening else " ".join((line.tegenpartij or "").split())
    parts = (line.datum.isoformat(), f"{line.bedrag:.2f}", tegen, " ".join(line.omschrijving.split()),
             line.end_to_end_id or "")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def met_referenties(regels: Sequence[Bankregel]) -> list[Bankregel]:
    """Every line with a reference: the bank's, or `h-<hash>-<n>` counting equal lines in this statement."""
    seen: Counter[str] = Counter()
    out = []
    for line in regels:
        if line.bank_ref:
            out.append(line)
            continue
        digest = _key_hash(line)
        seen[digest] += 1
        out.append(replace(line, bank_ref=f"h-{digest}-{seen[digest]}"))
    return out


def waar(bestand: str, regel: int | None) -> str:
    return f"{bestand}:{regel}" if regel else bestand


def _options(accounts: Accounts, filename: str | None) -> dict:
    return {
        "name_assets": accounts.assets, "name_liabilities": accounts.liabilities,
        "name_equity": accounts.equity, "name_income": accounts.income,
        "name_expenses": accounts.expenses, "filename": filename or "<import>",
    }


class BankImporter(beangulp.Importer):
    """Base class: subclasses implement `herken(path)` and `lees(path) -> Afschrift`."""

    formaat = "bank"

    def __init__(self, iban: str | None, account: str, accounts: Accounts, ledger_filename: str | None = None,
                 view: Buurtbudget | None = None):
        self.iban = compact_iban(iban) if iban else None
        self._account = account
        self.accounts = accounts
        self.ledger_filename = ledger_filename
        self.view = view  # the ledger's own view, when the caller has it (the writer's load)

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

    def lees_veilig(self, filepath: str) -> Afschrift:
        """`lees`, with every failure of a malformed file as a Dutch AfschriftFout naming the file."""
        try:
            return self.lees(filepath)
        except AfschriftFout:
            raise
        except UnicodeDecodeError as exc:
            raise AfschriftFout(f"{filepath}: het bestand is geen UTF-8-tekst (byte {exc.start}); "
                                "sla het afschrift op als UTF-8 of download het opnieuw") from exc
        except OSError as exc:
            raise AfschriftFout(f"{filepath}: kan het afschrift niet lezen ({exc.strerror or exc})") from exc
        except Exception as exc:  # noqa: BLE001 - a malformed file must never end in a traceback
            raise AfschriftFout(f"{filepath}: onleesbaar {self.formaat}-afschrift ({type(exc).__name__}: {exc}); "
                                "download het afschrift opnieuw bij de bank") from exc

    def extract(self, filepath: str, existing: data.Entries) -> data.Entries:
        afschrift = self.lees_veilig(filepath)
        self.check_rekening(afschrift, filepath)
        check_valuta(afschrift, filepath)
        return boek_afschrift(afschrift, existing, account=self._account, accounts=self.accounts,
                              ledger_filename=self.ledger_filename, bron=Path(filepath).name, bestand=filepath,
                              view=self.view)

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


def check_valuta(afschrift: Afschrift, bestand: str) -> None:
    """A buurtbudget is kept in euros: a statement or a line in another currency is refused."""
    if (afschrift.valuta or CURRENCY).upper() != CURRENCY:
        raise AfschriftFout(f"{waar(bestand, afschrift.saldo_regel)}: het afschrift is in {afschrift.valuta}, niet in "
                            "euro; een buurtbudget wordt in euro bijgehouden. Er is niets geïmporteerd")
    for line in afschrift.regels:
        if (line.valuta or CURRENCY).upper() != CURRENCY:
            raise AfschriftFout(
                f"{waar(bestand, line.regel)}: regel van {line.datum.isoformat()} ({line.bedrag} {line.valuta}) is niet "
                "in euro; boek die met de hand in euro. Er is niets geïmporteerd")


def _existing_refs(existing: Iterable[data.Directive]) -> set[str]:
    refs = set()
    for e in existing:
        ref = e.meta.get("bank-ref") if e.meta else None
        if ref:
            refs.add(str(ref))
    return refs


def saldo_op(entries: Iterable[data.Directive], account: str, datum: datetime.date) -> Decimal:
    """The EUR balance of `account` (and its sub-accounts, like a `balance` assertion) at the end of `datum`."""
    total = Decimal(0)
    prefix = account + ":"
    for e in entries:
        if type(e) is not data.Transaction or e.date > datum:
            continue
        for p in e.postings:
            if (p.account == account or p.account.startswith(prefix)) and p.units is not None \
                    and p.units.number is not None and p.units.currency == CURRENCY:
                total += p.units.number
    return total


def _eur(value: Decimal) -> str:
    from ledger.buurtbudget.money import format_eur

    return format_eur(value)


def _posting(account: str, number: Decimal) -> data.Posting:
    return data.Posting(account, bc_amount.Amount(number, CURRENCY), None, None, None, None)


def boek_afschrift(afschrift: Afschrift, existing: Sequence[data.Directive], *, account: str, accounts: Accounts,
                   ledger_filename: str | None = None, bron: str = "afschrift",
                   bestand: str | None = None, view: Buurtbudget | None = None) -> list[data.Directive]:
    """The new entries for a statement: payments, returns, unprocessed lines, the closing balance.

    A debit pays a claim or invoice only when the one predicate allows its payment (its state
    `goedgekeurd`, `ledger.evaluatie.vier_ogen.beoordeel`, as `betaal` and BB-VIER-OGEN read it). `view`:
    the view of `existing` with the ledger's own options (receipts for sealed approvals), when
    the caller has it; otherwise one is built from the entries.

    Raises SaldoFout when the closing balance is not what the ledger (with the new lines) says.
    """
    from ledger.betalingen.batches import BATCH_META, batch_voor_betaling, batches, uitgevoerd
    from ledger.evaluatie.retouren import reden_tekst

    bestand = bestand or bron
    existing = list(existing)
    refs = _existing_refs(existing)
    if view is None:
        view = build_view(existing, _options(accounts, ledger_filename))
    open_payables: dict[str, Payable] = {p.link: p for p in view.payables
                                         if p.link and p.status == "goedgekeurd" and p.approved}
    paid_payables: dict[str, Payable] = {p.link: p for p in view.payables if p.link and p.status == "betaald"}
    alle_batches = batches(existing)
    batches_taken = uitgevoerd(view)  # (MsgId, link) carried out, growing with this statement's payments

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
    for line in met_referenties(afschrift.regels):
        if line.bank_ref in refs or line.bedrag == 0:
            continue
        if matches_manual(line):
            continue
        refs.add(line.bank_ref)
        meta = data.new_metadata(ledger_filename or "<import>", 0)
        meta["bank-ref"] = line.bank_ref
        e2e = line.end_to_end_id or ""
        payable = open_payables.get(e2e) if line.bedrag < 0 and line.retour_reden is None else None
        if payable is not None and payable.amount == -line.bedrag:
            del open_payables[payable.link]
            paid_payables[payable.link] = payable
            liability = accounts.declaraties if payable.kind == "declaratie" else accounts.crediteuren
            what = "declaratie" if payable.kind == "declaratie" else "factuur"
            msgid = batch_voor_betaling(alle_batches, batches_taken, payable.link)
            if msgid:
                batches_taken.add((msgid, payable.link))
                meta[BATCH_META] = msgid
            new.append(data.Transaction(meta, line.datum, "*", payable.payee, f"Uitbetaling {what}",
                                        data.EMPTY_SET, frozenset({payable.link}),
                                        [_posting(liability, payable.amount), _posting(account, line.bedrag)]))
            continue
        returned = None
        if line.bedrag > 0 and line.retour_reden is not None:
            # The original EndToEndId, or else a paid link named in the text (some banks drop the reference).
            returned = paid_payables.get(e2e) or next(
                (p for link, p in paid_payables.items() if re.search(rf"(?<![\w-]){re.escape(link)}(?![\w-])",
                                                                       line.omschrijving)), None)
        if returned is not None and returned.amount == line.bedrag:
            del paid_payables[returned.link]
            open_payables[returned.link] = returned
            liability = accounts.declaraties if returned.kind == "declaratie" else accounts.crediteuren
            what = "declaratie" if returned.kind == "declaratie" else "factuur"
            meta["retour-reden"] = line.retour_reden or "onbekend"
            new.append(data.Transaction(meta, line.datum, "*", returned.payee,
                                        f"Retour uitbetaling {what}: {reden_tekst(line.retour_reden)}",
                                        data.EMPTY_SET, frozenset({returned.link}),
                                        [_posting(liability, -returned.amount), _posting(account, line.bedrag)]))
            continue
        if e2e and e2e not in ("NOTPROVIDED",):
            meta["end-to-end-id"] = e2e
        if line.retour_reden is not None:
            meta["retour-reden"] = line.retour_reden or "onbekend"
        postings = [_posting(account, line.bedrag), _posting(accounts.onverwerkt, -line.bedrag)]
        new.append(data.Transaction(meta, line.datum, "!", line.tegenpartij, line.omschrijving or f"Bankregel uit {bron}",
                                    data.EMPTY_SET, data.EMPTY_SET, postings))

    if afschrift.eindsaldo is not None and afschrift.eindsaldo_datum is not None:
        when = afschrift.eindsaldo_datum
        ledger_saldo = saldo_op(existing + new, account, when)
        if ledger_saldo != afschrift.eindsaldo:
            verschil = afschrift.eindsaldo - ledger_saldo
            raise SaldoFout(
                f"{waar(bestand, afschrift.saldo_regel)}: saldocontrole klopt niet: volgens het afschrift is het saldo "
                f"van {account} op {when.isoformat()} {_eur(afschrift.eindsaldo)}, volgens de ledger (met dit afschrift) "
                f"{_eur(ledger_saldo)} (verschil {_eur(verschil)}). Er is niets geïmporteerd. Zoek de ontbrekende of "
                "dubbele boeking (of een eerder afschrift dat nog niet is ingelezen) en probeer het opnieuw"
            )
        assert_date = when + datetime.timedelta(days=1)
        already = any(isinstance(e, data.Balance) and e.account == account and e.date == assert_date
                      and e.amount.number == afschrift.eindsaldo for e in existing)
        if not already:
            meta = data.new_metadata(ledger_filename or "<import>", 0)
            new.append(data.Balance(meta, assert_date, account, bc_amount.Amount(afschrift.eindsaldo, CURRENCY),
                                    None, None))
    return new


def entries_tekst(entries: Sequence[data.Directive]) -> str:
    """Beancount text for imported entries, by the one serializer (a bank's text is escaped, never a directive)."""
    from ledger.buurtbudget import tekst

    return tekst.entries(entries)


_PLAIN = re.compile(r"\d+")
_ONE_SEP = re.compile(r"\d+[.,]\d{1,2}")
_NL_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d{1,2})?")
_EN_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d{1,2})?")


def signed_amount(text: str) -> Decimal:
    """A bank file's amount with its sign: `-12,50`, `12.50`, `1.234,56`, `1,234.56`, `+25` -> Decimal.

    Strict, because a bank line must never be read two ways: more than two
    decimals (`0,125`), a lone separator before three digits (`1.234`: a
    thousand or one?), `NaN`, exponents and anything else is an AfschriftFout.
    """
    raw = "".join(str(text).split()).replace("\u00a0", "")
    sign = Decimal(1)
    if raw[:1] in "+-" and raw:
        sign = Decimal(-1) if raw[0] == "-" else Decimal(1)
        raw = raw[1:]
    elif raw[-1:] == "-":  # some banks put the minus behind the number
        sign, raw = Decimal(-1), raw[:-1]
    if _PLAIN.fullmatch(raw):
        value = Decimal(raw)
    elif _ONE_SEP.fullmatch(raw):
        value = Decimal(raw.replace(",", "."))
    elif re.fullmatch(r"[1-9]\d{0,2}[.,]\d{3}", raw):
        raise AfschriftFout(f"bedrag '{text}' kan op twee manieren gelezen worden (duizendtal of decimalen?); "
                            "schrijf 1234,00 of 1.234,00")
    elif _NL_THOUSANDS.fullmatch(raw):
        value = Decimal(raw.replace(".", "").replace(",", "."))
    elif _EN_THOUSANDS.fullmatch(raw):
        value = Decimal(raw.replace(",", ""))
    elif re.fullmatch(r"\d+[.,]\d{3,}", raw):
        raise AfschriftFout(f"bedrag '{text}' heeft meer dan twee decimalen; een bankbedrag is in hele centen")
    else:
        raise AfschriftFout(f"'{text}' is geen bedrag (verwacht bijvoorbeeld -12,50 of 1.234,56)")
    return (sign * value).quantize(Decimal("0.01"))


def xml_amount(text: str | None) -> Decimal:
    """An ISO 20022 amount (`64.20`, never signed, at most two decimals for EUR)."""
    raw = (text or "").strip()
    if not re.fullmatch(r"\d+(?:\.\d{1,2})?", raw):
        raise AfschriftFout(f"ongeldig bedrag '{raw}' (verwacht bijvoorbeeld 64.20)")
    return Decimal(raw).quantize(Decimal("0.01"))
