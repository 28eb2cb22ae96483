"""The text of new entries: costs, claims, approvals, rejections, payments, settlement.

Every function here is pure: it returns beancount text (or a line edit) for
`ledger.schrijven.schrijf` to validate and write. Accounts come from the
ledger's own root names (`Accounts`); amounts are Decimal, always two decimals.

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-004
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "documents/2025-05-02-bollen.pdf"
      ingevoerd-door: "Henk"
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties

A rejection never deletes the claim: it is a second transaction with the same
link, tag `#afgewezen` and `afgewezen-reden:`, that reverses the claim's
postings (the view reads it as the claim's rejection, not as a payment).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from beancount.core import data

from ledger.accounts import Accounts
from ledger.schrijven import Bewerking, Stand
from ledger.view import Payable

CURRENCY = "EUR"
_DATE_FLAG = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(!|\*|txn)\s+")


def quote(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def bedrag(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(Decimal('0.01')):.2f}"


def slug(text: str) -> str:
    """`Bon Bouwmarkt (maart).PDF` -> `bon-bouwmarkt-maart`."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", norm.casefold()).strip("-") or "bon"


def document_naam(datum: datetime.date, origineel: Path, folder: Path) -> Path:
    """A free dated name for a receipt in the documents folder: `2025-03-10-bouwmarkt.pdf`."""
    stem = slug(origineel.stem)
    if stem.startswith(datum.isoformat()):
        stem = stem[len(datum.isoformat()):].strip("-") or "bon"
    ext = re.sub(r"[^a-z0-9.]", "", origineel.suffix.lower())
    base = f"{datum.isoformat()}-{stem}"
    candidate = folder / f"{base}{ext}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{base}-{n}{ext}"
        n += 1
    return candidate


def documents_folder(stand: Stand) -> Path:
    folders = stand.options_map.get("documents") or ["documents"]
    return (stand.pad.parent / folders[0]).resolve()


def document_ref(stand: Stand, doel: Path) -> str:
    """The `document:` value: relative to the ledger file, e.g. `documents/2025-03-10-bon.pdf`."""
    return Path(doel).resolve().relative_to(stand.pad.parent.resolve()).as_posix()


# --------------------------------------------------------------------------- accounts


def open_accounts(entries: Iterable[data.Directive]) -> set[str]:
    opened, closed = set(), set()
    for e in entries:
        if isinstance(e, data.Open):
            opened.add(e.account)
        elif isinstance(e, data.Close):
            closed.add(e.account)
    return opened - closed


def opens_tekst(stand: Stand, accounts: Sequence[str], datum: datetime.date) -> str:
    """`open` directives for the accounts a booking needs that are not open yet.

    Dated at the header's `begin` (or the booking's date when that is earlier).
    """
    already = open_accounts(stand.entries)
    header = stand.view.header
    when = min(header.begin, datum) if header else datum
    lines = [f"{when.isoformat()} open {a} {CURRENCY}" for a in dict.fromkeys(accounts) if a not in already]
    return "\n".join(lines) + ("\n\n" if lines else "")


def bank_account(stand: Stand) -> str:
    """The budget's bank account: the first open account under `<Assets>:Bank`."""
    accounts = stand.view.accounts
    banks = sorted(a for a in open_accounts(stand.entries) if accounts.is_bank(a) and a != accounts.bank)
    return banks[0] if banks else f"{accounts.bank}:Betaalrekening"


def next_link(entries: Iterable[data.Directive], prefix: str, year: int) -> str:
    """The next free `decl-2025-NNN` (or `fact-...`)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d+)$")
    highest = 0
    for e in entries:
        for link in getattr(e, "links", None) or ():
            m = pattern.match(link)
            if m:
                highest = max(highest, int(m.group(1)))
    return f"{prefix}-{year}-{highest + 1:03d}"


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Kosten:
    """One cost: what `boek` and `declaratie indienen` write."""

    datum: datetime.date
    begunstigde: str
    omschrijving: str
    rekening: str  # the expense account
    bedrag: Decimal
    tegenrekening: str  # bank, Declaraties or Crediteuren
    ingevoerd_door: str
    document: str | None = None
    goedgekeurd_door: str | None = None
    flag: str = "*"
    link: str | None = None
    meta: tuple[tuple[str, object], ...] = ()


def _meta_value(value: object) -> str:
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, Decimal):
        return bedrag(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return quote(value)


def kosten_tekst(k: Kosten) -> str:
    head = f"{k.datum.isoformat()} {k.flag} {quote(k.begunstigde)} {quote(k.omschrijving)}"
    if k.link:
        head += f" ^{k.link}"
    lines = [head]
    for key, value in k.meta:
        lines.append(f"  {key}: {_meta_value(value)}")
    if k.document:
        lines.append(f"  document: {quote(k.document)}")
    lines.append(f"  ingevoerd-door: {quote(k.ingevoerd_door)}")
    if k.goedgekeurd_door:
        lines.append(f"  goedgekeurd-door: {quote(k.goedgekeurd_door)}")
    lines.append(f"  {k.rekening}   {bedrag(k.bedrag)} {CURRENCY}")
    lines.append(f"  {k.tegenrekening}   {bedrag(-k.bedrag)} {CURRENCY}")
    return "\n".join(lines) + "\n"


def declaratie_tekst(*, datum: datetime.date, declarant: str, iban: str, omschrijving: str, rekening: str,
                     bedrag_: Decimal, accounts: Accounts, link: str, document: str | None,
                     ingevoerd_door: str) -> str:
    return kosten_tekst(Kosten(
        datum=datum, begunstigde=declarant, omschrijving=f"Declaratie: {omschrijving}", rekening=rekening,
        bedrag=bedrag_, tegenrekening=accounts.declaraties, ingevoerd_door=ingevoerd_door, document=document,
        flag="!", link=link, meta=(("declarant", declarant), ("iban", iban), ("prive", True)),
    ))


def entry_lines(stand: Stand, entry: data.Transaction) -> tuple[int, int]:
    """First and last line (1-based) of a transaction in the ledger text, from its metadata."""
    if entry.meta.get("filename") != str(stand.pad):
        raise ValueError(
            f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}: deze boeking staat in een ander "
            "bestand dan de ledger; pas hem daar aan"
        )
    start = int(entry.meta["lineno"])
    lines = stand.regels
    end = start
    while end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip():
        end += 1
    return start, end


def goedkeuring_bewerking(stand: Stand, payable: Payable, door: str) -> Bewerking:
    """Flag `!` -> `*` and add `goedgekeurd-door:` right under the transaction's first line."""
    start, _ = entry_lines(stand, payable.entry)
    header = stand.regels[start - 1]
    m = _DATE_FLAG.match(header)
    if not m:
        raise ValueError(f"{stand.pad}:{start}: regel lijkt geen boeking: {header!r}")
    new_header = f"{m.group(1)} * " + header[m.end():]
    nieuw = f"{new_header}\n  goedgekeurd-door: {quote(door)}"
    return Bewerking(start, start, header, nieuw)


def afwijzing_tekst(payable: Payable, *, datum: datetime.date, reden: str, door: str) -> str:
    """A transaction with the claim's link that reverses its postings; the claim stays."""
    entry = payable.entry
    what = "declaratie" if payable.kind == "declaratie" else "factuur"
    links = " ".join(f"^{l}" for l in sorted(entry.links or ()))
    lines = [f"{datum.isoformat()} * {quote(entry.payee or '')} {quote('Afwijzing ' + what + ': ' + entry.narration)} "
             f"{links} #afgewezen".replace("  ", " ")]
    lines.append(f"  afgewezen-reden: {quote(reden)}")
    lines.append(f"  afgewezen-door: {quote(door)}")
    if entry.meta.get("prive"):
        lines.append("  prive: TRUE")
    for p in entry.postings:
        if p.units is None or p.units.number is None:
            continue
        lines.append(f"  {p.account}   {bedrag(-p.units.number)} {p.units.currency}")
    return "\n".join(lines) + "\n"


def betaling_tekst(payable: Payable, *, datum: datetime.date, bank: str, accounts: Accounts,
                   bank_ref: str | None = None) -> str:
    """The payment of a claim or invoice: liability debited, bank credited, same link."""
    liability = accounts.declaraties if payable.kind == "declaratie" else accounts.crediteuren
    what = "declaratie" if payable.kind == "declaratie" else "factuur"
    lines = [f"{datum.isoformat()} * {quote(payable.payee or '')} {quote('Uitbetaling ' + what)} ^{payable.link}"]
    if bank_ref:
        lines.append(f"  bank-ref: {quote(bank_ref)}")
    lines.append(f"  {liability}   {bedrag(payable.amount)} {CURRENCY}")
    lines.append(f"  {bank}   {bedrag(-payable.amount)} {CURRENCY}")
    return "\n".join(lines) + "\n"


def plan_tekst(*, datum: datetime.date, account: str, titel: str, budget: Decimal, status: str = "gekozen",
               indiener: str | None = None, meta: Sequence[tuple[str, object]] = ()) -> str:
    lines = [f"{datum.isoformat()} custom \"plan\" {account} {quote(titel)} {bedrag(budget)} {CURRENCY}",
             f"  status: {quote(status)}"]
    if indiener:
        lines.append(f"  indiener: {quote(indiener)}")
    for key, value in meta:
        lines.append(f"  {key}: {_meta_value(value)}")
    return "\n".join(lines) + "\n"


def afsluiting_tekst(*, datum: datetime.date, bedrag_: Decimal, accounts: Accounts, door: str,
                     tegenrekening: str) -> str:
    """The settlement: what was not spent is owed back to the city."""
    return "\n".join([
        f'{datum.isoformat()} * "Gemeente Amsterdam" "Afsluiting: niet besteed deel van de toekenning" #afsluiting',
        f"  ingevoerd-door: {quote(door)}",
        f"  {tegenrekening}   {bedrag(bedrag_)} {CURRENCY}",
        f"  {accounts.terugbetaling}   {bedrag(-bedrag_)} {CURRENCY}",
    ]) + "\n"


def terugbetaling_tegenrekening(accounts: Accounts) -> str:
    """The settlement's other side: lowers the income, but is not part of the award itself."""
    return f"{accounts.income}:Terugbetaling"
