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
from ledger.bonnen import BonFout, lees_bon
from ledger.money import format_eur
from ledger.schrijven import Bewerking, Stand
from ledger.vier_ogen import zelfde_persoon
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


def document_naam(datum: datetime.date, origineel: Path, folder: Path, extensie: str | None = None) -> Path:
    """A free dated name for a receipt in the documents folder: `2025-03-10-bouwmarkt.pdf`.

    The extension is the one of the content (`extensie`) when known, so a PNG named `bon.pdf` stays a PNG.
    """
    stem = slug(origineel.stem)
    if stem.startswith(datum.isoformat()):
        stem = stem[len(datum.isoformat()):].strip("-") or "bon"
    ext = extensie or re.sub(r"[^a-z0-9.]", "", origineel.suffix.lower())
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
    already = open_accounts(stand.directieven)
    header = stand.structuur.header
    when = min(header.begin, datum) if header else datum
    lines = [f"{when.isoformat()} open {a} {CURRENCY}" for a in dict.fromkeys(accounts) if a not in already]
    return "\n".join(lines) + ("\n\n" if lines else "")


def bank_account(stand: Stand) -> str:
    """The budget's bank account: the first open account under `<Assets>:Bank`."""
    accounts = stand.structuur.accounts
    banks = sorted(a for a in open_accounts(stand.directieven) if accounts.is_bank(a) and a != accounts.bank)
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
    if isinstance(value, int):
        return str(value)
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


# --------------------------------------------------------------------------- whole changes
# Builders for `schrijven.schrijf`: they read the ledger as it is under the lock,
# check the input against it (Dutch errors) and return the Wijziging.


class InvoerFout(ValueError):
    """Input that does not fit this ledger (unknown plan, date outside the period, ...); Dutch."""


def check_iban(iban: str) -> str:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return str(IBAN(iban).compact)
    except SchwiftyException as exc:
        raise InvoerFout(f"IBAN '{iban}' is ongeldig ({exc})") from exc


def _check_period(stand: Stand, datum: datetime.date) -> None:
    header = stand.structuur.header
    if header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop (custom \"buurtbudget\"); los dat eerst op")
    if not header.begin <= datum <= header.einde:
        raise InvoerFout(
            f"datum {datum.isoformat()} ligt buiten de periode van dit buurtbudget "
            f"({header.begin.isoformat()} t/m {header.einde.isoformat()})"
        )


def expense_account(stand: Stand, plan: str, categorie: str) -> str:
    """`Speeltuin` + `Materiaal` -> `Uitgaven:Plannen:Speeltuin:Materiaal`; `ondersteuning` -> support costs."""
    view, accounts = stand.structuur, stand.structuur.accounts
    categorie = categorie.strip()
    if not re.fullmatch(r"[A-Z][A-Za-z0-9-]*", categorie or ""):
        raise InvoerFout(f"categorie '{categorie}' is geen geldige naam (begin met een hoofdletter, bijv. Materiaal)")
    if view.kader.category_forbidden(categorie):
        raise InvoerFout(f"categorie '{categorie}' wordt nooit vergoed volgens het kader ({view.kader.bron}), "
                         "ook niet als ondersteuning; boek deze kosten niet op het buurtbudget")
    if plan.strip().casefold() in ("ondersteuning", accounts.ondersteuning.casefold()):
        return f"{accounts.ondersteuning}:{categorie}"
    found = view.plan(plan.strip())
    if found is None or not found.declared:
        known = ", ".join(p.name for p in view.plans if p.declared) or "(geen)"
        raise InvoerFout(f"onbekend plan '{plan}'; gedeclareerde plannen: {known}")
    if not view.kader.category_allowed(categorie):
        allowed = ", ".join(view.kader.categorieen)
        raise InvoerFout(f"categorie '{categorie}' is niet toegestaan ({view.kader.bron}); kies uit: {allowed}")
    return f"{found.account}:{categorie}"


def _receipt(stand: Stand, datum: datetime.date, bon: Path | None) -> tuple[str | None, tuple[tuple[Path, Path], ...]]:
    if bon is None:
        return None, ()
    try:
        gelezen = lees_bon(bon)
    except BonFout as exc:
        raise InvoerFout(str(exc)) from None
    doel = document_naam(datum, gelezen.pad, documents_folder(stand), gelezen.extensie)
    return document_ref(stand, doel), ((bon, doel),)


@dataclass(frozen=True)
class KostenInvoer:
    datum: datetime.date
    bedrag: Decimal
    plan: str
    categorie: str
    begunstigde: str
    omschrijving: str
    door: str
    bon: Path | None = None
    goedgekeurd_door: str | None = None
    factuur_iban: str | None = None  # an invoice to pay later: ^fact-..., Crediteuren


def maak_kosten(stand: Stand, invoer: KostenInvoer):
    from ledger.schrijven import Wijziging

    _check_period(stand, invoer.datum)
    if invoer.bedrag <= 0:
        raise InvoerFout("het bedrag moet groter dan nul zijn")
    if invoer.goedgekeurd_door is not None and zelfde_persoon(invoer.goedgekeurd_door, invoer.door):
        raise InvoerFout(f"{invoer.goedgekeurd_door} voert deze boeking in en mag haar niet ook goedkeuren "
                         "(vier-ogenprincipe); laat een tweede persoon goedkeuren met --goedgekeurd-door")
    rekening = expense_account(stand, invoer.plan, invoer.categorie)
    document, files = _receipt(stand, invoer.datum, invoer.bon)
    accounts = stand.structuur.accounts
    link, meta, flag = None, (), "*"
    if invoer.factuur_iban:
        iban = check_iban(invoer.factuur_iban)
        link = next_link(stand.entries, "fact", invoer.datum.year)
        meta = (("iban", iban),)
        tegen = accounts.crediteuren
        flag = "*" if invoer.goedgekeurd_door else "!"
    else:
        tegen = bank_account(stand)
    text = opens_tekst(stand, [rekening, tegen], invoer.datum) + kosten_tekst(Kosten(
        datum=invoer.datum, begunstigde=invoer.begunstigde, omschrijving=invoer.omschrijving, rekening=rekening,
        bedrag=invoer.bedrag, tegenrekening=tegen, ingevoerd_door=invoer.door, document=document,
        goedgekeurd_door=invoer.goedgekeurd_door, flag=flag, link=link, meta=meta,
    ))
    what = f"factuur ^{link}" if link else "kosten"
    return Wijziging(
        f"Boek {what}: {invoer.begunstigde} — {invoer.omschrijving} {format_eur(invoer.bedrag)} op {rekening}",
        text, bestanden=files,
    )


@dataclass(frozen=True)
class DeclaratieInvoer:
    datum: datetime.date
    declarant: str
    iban: str
    bedrag: Decimal
    plan: str
    categorie: str
    omschrijving: str
    door: str
    bon: Path | None = None


def maak_declaratie(stand: Stand, invoer: DeclaratieInvoer):
    from ledger.schrijven import Wijziging

    iban = check_iban(invoer.iban)
    if not invoer.declarant.strip():
        raise InvoerFout("de naam van de declarant ontbreekt")
    _check_period(stand, invoer.datum)
    if invoer.bedrag <= 0:
        raise InvoerFout("het bedrag moet groter dan nul zijn")
    rekening = expense_account(stand, invoer.plan, invoer.categorie)
    document, files = _receipt(stand, invoer.datum, invoer.bon)
    accounts = stand.structuur.accounts
    link = next_link(stand.entries, "decl", invoer.datum.year)
    text = opens_tekst(stand, [rekening, accounts.declaraties], invoer.datum) + declaratie_tekst(
        datum=invoer.datum, declarant=invoer.declarant.strip(), iban=iban, omschrijving=invoer.omschrijving,
        rekening=rekening, bedrag_=invoer.bedrag, accounts=accounts, link=link, document=document,
        ingevoerd_door=invoer.door,
    )
    return Wijziging(f"Declaratie ^{link} ingediend: {format_eur(invoer.bedrag)} ({invoer.omschrijving})",
                     text, bestanden=files)


def find_payable(stand: Stand, link: str) -> Payable:
    link = link.strip().lstrip("^")
    for payable in stand.view_voor_link(link).payables:
        if payable.link == link:
            return payable
    known = ", ".join(p.link for p in stand.view.payables if p.link) or "(geen)"
    raise InvoerFout(f"geen declaratie of factuur met link ^{link} in {stand.pad}; bekend: {known}")


def maak_goedkeuring(stand: Stand, link: str, door: str):
    from ledger.schrijven import Wijziging

    payable = find_payable(stand, link)
    where = f"{payable.meta.get('filename')}:{payable.meta.get('lineno')}"
    if payable.status == "afgewezen":
        raise InvoerFout(f"{where}: ^{payable.link} is afgewezen ({payable.rejection}); goedkeuren kan niet meer")
    if payable.status in ("goedgekeurd", "betaald") or payable.approved_by:
        raise InvoerFout(f"{where}: ^{payable.link} is al goedgekeurd door {payable.approved_by}")
    if zelfde_persoon(door, payable.declarant):
        raise InvoerFout(f"{where}: {door} is de declarant van ^{payable.link} en mag die niet zelf goedkeuren")
    if zelfde_persoon(door, payable.entered_by):
        raise InvoerFout(f"{where}: {door} heeft ^{payable.link} ingevoerd en mag die niet ook goedkeuren "
                         "(vier-ogenprincipe)")
    return Wijziging(f"Declaratie ^{payable.link} goedgekeurd door {door}" if payable.kind == "declaratie"
                     else f"Factuur ^{payable.link} goedgekeurd door {door}",
                     bewerkingen=(goedkeuring_bewerking(stand, payable, door),))


def maak_afwijzing(stand: Stand, link: str, reden: str, door: str, datum: datetime.date | None = None):
    from ledger.schrijven import Wijziging

    payable = find_payable(stand, link)
    where = f"{payable.meta.get('filename')}:{payable.meta.get('lineno')}"
    if not reden.strip():
        raise InvoerFout("geef een reden voor de afwijzing (--reden)")
    if payable.status == "afgewezen":
        raise InvoerFout(f"{where}: ^{payable.link} is al afgewezen ({payable.rejection})")
    if payable.status == "betaald":
        raise InvoerFout(f"{where}: ^{payable.link} is al betaald; afwijzen kan niet meer")
    if datum is None:
        datum = datetime.date.today()
        header = stand.structuur.header
        if header is not None:
            datum = min(datum, header.einde)
        datum = max(datum, payable.date)
    if datum < payable.date:
        raise InvoerFout(f"de afwijzing ({datum.isoformat()}) kan niet vóór de declaratie ({payable.date.isoformat()}) liggen")
    _check_period(stand, datum)
    return Wijziging(f"Declaratie ^{payable.link} afgewezen door {door}: {reden.strip()}",
                     afwijzing_tekst(payable, datum=datum, reden=reden.strip(), door=door))
