"""New entries and edits: costs, claims, approvals, rejections, plans, settlement.

Builders make beancount entries (`kosten_entry`, `declaratie_entry`, ...) and
`ledger.buurtbudget.tekst` turns them into text; the `maak_...` functions read the ledger
under the writer's lock, check the input (Dutch `InvoerFout`) and return the
`Wijziging` for `ledger.schrijver.schrijven.schrijf`. Accounts come from the ledger's own
root names (`Accounts`); amounts are Decimal, always two decimals.

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-004
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "documents/2025-05-02-bollen.pdf"
      ingevoerd-door: "Henk"
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties   -64.20 EUR

An approval rewrites exactly the claim's own entry (found by its link in the
parsed ledger, see `ledger.schrijver.bewerken`). A rejection never deletes the claim: it
is a second transaction with the same link, tag `#afgewezen` and
`afgewezen-reden:`, that reverses the claim's postings (the view reads it as
the claim's rejection, not as a payment).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import InvoerFout  # noqa: F401 - raised here, imported from here by callers

import dataclasses
import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

from beancount.core import data

from ledger.buurtbudget import tekst
from ledger.buurtbudget.accounts import Accounts
from ledger.evaluatie.betaalopdrachten import wachtend
from ledger.schrijver.bewerken import BewerkingOnveilig, keur_goed
from ledger.buurtbudget.bonnen import Bon, BonFout, lees_bon, momentopname, ruim_op_met
from ledger.buurtbudget.kader import Kader
from ledger.buurtbudget.money import format_eur
from ledger.schrijver.schrijven import Stand
from ledger.buurtbudget.documents import Vingerafdrukken
from ledger.evaluatie.vier_ogen import ZEGEL, NaamFout, vereis_zichtbaar, zegel, zelfde_persoon
from ledger.evaluatie.signalen import gezien_entry
from ledger.evaluatie.view import Payable

CURRENCY = "EUR"


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
    """The receipts folder, inside the ledger's folder (a `documents` link that leads elsewhere is refused)."""
    folders = stand.options_map.get("documents") or ["documents"]
    folder = (stand.pad.parent / folders[0]).resolve()
    eigen = stand.pad.parent.resolve()
    if folder != eigen and eigen not in folder.parents:
        raise InvoerFout(f"de bonnenmap {stand.pad.parent / folders[0]} verwijst naar {folder}, buiten de map van "
                         f"de ledger ({eigen}); bonnen horen bij de boeken. Maak er een gewone map van en probeer "
                         "het opnieuw")
    return folder


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


def opens(stand: Stand, accounts: Sequence[str], datum: datetime.date) -> list[data.Open]:
    """`open` directives for the accounts a booking needs that are not open yet.

    Dated at the header's `begin` (or the booking's date when that is earlier).
    """
    already = open_accounts(stand.directieven)
    header = stand.structuur.header
    when = min(header.begin, datum) if header else datum
    return [tekst.open_(when, a, (CURRENCY,)) for a in dict.fromkeys(accounts) if a not in already]


def opens_tekst(stand: Stand, accounts: Sequence[str], datum: datetime.date) -> str:
    """The text of `opens(...)`, followed by a blank line when there is any."""
    found = opens(stand, accounts, datum)
    return "".join(tekst.entry(o) for o in found) + ("\n" if found else "")


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


def kosten_entry(k: Kosten) -> data.Transaction:
    # The seal of an approval stands right under it.
    meta = tekst.meta_van([*(m for m in k.meta if m[0] != ZEGEL), ("document", k.document),
                           ("ingevoerd-door", k.ingevoerd_door), ("goedgekeurd-door", k.goedgekeurd_door or None),
                           *(m for m in k.meta if m[0] == ZEGEL)])
    return tekst.transaction(
        k.datum, k.flag, k.begunstigde, k.omschrijving,
        [tekst.posting(k.rekening, k.bedrag, CURRENCY), tekst.posting(k.tegenrekening, -k.bedrag, CURRENCY)],
        meta_=meta, links=(k.link,) if k.link else (),
    )


def kosten_tekst(k: Kosten) -> str:
    return tekst.entry(kosten_entry(k))


def declaratie_entry(*, datum: datetime.date, declarant: str, iban: str, omschrijving: str, rekening: str,
                     bedrag_: Decimal, accounts: Accounts, link: str, document: str | None,
                     ingevoerd_door: str, uitnodiging: str | None = None,
                     extra_meta: Sequence[tuple[str, object]] = ()) -> data.Transaction:
    """`uitnodiging`: the invitation a claim came through (/indienen/<token>; its status page shows it).
    `extra_meta`: e.g. `dubbel-reden:`, why a claim that looks like another was entered anyway."""
    herkomst = (("uitnodiging", uitnodiging),) if uitnodiging else ()
    return kosten_entry(Kosten(
        datum=datum, begunstigde=declarant, omschrijving=f"Declaratie: {omschrijving}", rekening=rekening,
        bedrag=bedrag_, tegenrekening=accounts.declaraties, ingevoerd_door=ingevoerd_door, document=document,
        flag="!", link=link, meta=(("declarant", declarant), ("iban", iban), ("prive", True), *herkomst,
                                   *extra_meta),
    ))


def declaratie_tekst(**kwargs) -> str:
    return tekst.entry(declaratie_entry(**kwargs))


def afwijzing_entry(payable: Payable, *, datum: datetime.date, reden: str, door: str) -> data.Transaction:
    """A transaction with the claim's link that reverses its postings; the claim stays."""
    entry = payable.entry
    what = "declaratie" if payable.kind == "declaratie" else "factuur"
    meta = tekst.meta_van([("afgewezen-reden", reden), ("afgewezen-door", door),
                           ("prive", True if entry.meta.get("prive") else None)])
    postings = [tekst.posting(p.account, -p.units.number, p.units.currency) for p in entry.postings
                if p.units is not None and p.units.number is not None]
    return tekst.transaction(datum, "*", entry.payee or "", f"Afwijzing {what}: {entry.narration}", postings,
                             meta_=meta, tags=("afgewezen",), links=tuple(entry.links or ()))


def afwijzing_tekst(payable: Payable, *, datum: datetime.date, reden: str, door: str) -> str:
    return tekst.entry(afwijzing_entry(payable, datum=datum, reden=reden, door=door))


def plan_entry(*, datum: datetime.date, account: str, titel: str, budget: Decimal, status: str = "gekozen",
               indiener: str | None = None, meta: Sequence[tuple[str, object]] = ()) -> data.Custom:
    values = [tekst.custom_account(account), tekst.custom_waarde(titel),
              tekst.custom_waarde(tekst.eur(Decimal(budget).quantize(Decimal("0.01"))))]
    return tekst.custom(datum, "plan", values,
                        tekst.meta_van([("status", status), ("indiener", indiener), *meta]))


def plan_tekst(**kwargs) -> str:
    return tekst.entry(plan_entry(**kwargs))


def afsluiting_entry(*, datum: datetime.date, bedrag_: Decimal, accounts: Accounts, door: str,
                     tegenrekening: str) -> data.Transaction:
    """The settlement: what was not spent is owed back to the city."""
    return tekst.transaction(
        datum, "*", "Gemeente Amsterdam", "Afsluiting: niet besteed deel van de toekenning",
        [tekst.posting(tegenrekening, bedrag_, CURRENCY), tekst.posting(accounts.terugbetaling, -bedrag_, CURRENCY)],
        meta_={"ingevoerd-door": door}, tags=("afsluiting",),
    )


def afsluiting_tekst(**kwargs) -> str:
    return tekst.entry(afsluiting_entry(**kwargs))


def terugbetaling_tegenrekening(accounts: Accounts) -> str:
    """The settlement's other side: lowers the income, but is not part of the award itself."""
    return f"{accounts.income}:Terugbetaling"


# --------------------------------------------------------------------------- whole changes
# Builders for `schrijven.schrijf`: they read the ledger as it is under the lock,
# check the input against it (Dutch errors) and return the Wijziging.


def _een_regel(text: str) -> str:
    """Text for a one-line description (the commit message): every line break or control character a space."""
    return " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in str(text)).split())


def _zichtbaar(tekst: str, wat: str) -> str:
    """A name or reason as people see it; InvoerFout when it shows nothing (only invisible characters)."""
    try:
        return vereis_zichtbaar(tekst, wat)
    except NaamFout as exc:
        raise InvoerFout(str(exc)) from None


def check_iban(iban: str) -> str:
    """The IBAN without spaces, in capitals; InvoerFout (Dutch) when `ledger.buurtbudget.header.iban_fout` refuses it."""
    from ledger.buurtbudget.header import iban_fout

    why = iban_fout(iban)
    if why:
        raise VeldFout(f"IBAN '{iban}' is ongeldig ({why})", veld="iban")
    return iban.replace(" ", "").upper()


def _check_period(stand: Stand, datum: datetime.date) -> None:
    header = stand.structuur.header
    if header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop (custom \"buurtbudget\"); los dat eerst op")
    if not header.begin <= datum <= header.einde:
        raise VeldFout(
            f"datum {datum.isoformat()} ligt buiten de periode van dit buurtbudget "
            f"({header.begin.isoformat()} t/m {header.einde.isoformat()})", veld="datum"
        )


def controleer_vooraf(*, categorie: str, door: str, goedgekeurd_door: str | None = None) -> None:
    """What can be refused without opening the ledger (so a refusal touches no file, not even the lock).

    The forbidden categories are the kader's own: no rules file can allow them again.
    """
    if Kader().category_forbidden(categorie.strip()):
        raise VeldFout(f"categorie '{categorie.strip()}' wordt nooit vergoed volgens het kader, ook niet als "
                       "ondersteuning; boek deze kosten niet op het buurtbudget", veld="categorie")
    if goedgekeurd_door is not None and zelfde_persoon(goedgekeurd_door, door):
        raise InvoerFout(f"{goedgekeurd_door} voert deze boeking in en mag haar niet ook goedkeuren "
                         "(vier-ogenprincipe); laat een tweede persoon goedkeuren met --goedgekeurd-door")


def expense_account(stand: Stand, plan: str, categorie: str) -> str:
    """`Speeltuin` + `Materiaal` -> `Uitgaven:Plannen:Speeltuin:Materiaal`; `ondersteuning` -> support costs."""
    view, accounts = stand.structuur, stand.structuur.accounts
    categorie = categorie.strip()
    if view.kader.category_forbidden(categorie):  # also `alcohol`: say what is wrong, not how to spell it
        raise VeldFout(f"categorie '{categorie}' wordt nooit vergoed volgens het kader ({view.kader.bron}), "
                       "ook niet als ondersteuning; boek deze kosten niet op het buurtbudget", veld="categorie")
    if not re.fullmatch(r"[A-Z][A-Za-z0-9-]*", categorie or ""):
        raise VeldFout(f"categorie '{categorie}' is geen geldige naam (begin met een hoofdletter, bijv. Materiaal)",
                       veld="categorie")
    if plan.strip().casefold() in ("ondersteuning", accounts.ondersteuning.casefold()):
        return f"{accounts.ondersteuning}:{categorie}"
    found = view.plan(plan.strip())
    if found is None or not found.declared:
        known = ", ".join(p.name for p in view.plans if p.declared) or "(geen)"
        raise VeldFout(f"onbekend plan '{plan}'; gedeclareerde plannen: {known}", veld="plan")
    if not view.kader.category_allowed(categorie):
        allowed = ", ".join(view.kader.categorieen)
        raise VeldFout(f"categorie '{categorie}' is niet toegestaan ({view.kader.bron}); kies uit: {allowed}",
                       veld="categorie")
    return f"{found.account}:{categorie}"


@dataclass(frozen=True)
class _Bon:
    gelezen: Bon
    doel: Path


def _receipt(stand: Stand, datum: datetime.date, bon: Path | None) -> tuple[str | None, _Bon | None]:
    """The `document:` value and the checked receipt with its place in documents/ (nothing written yet)."""
    if bon is None:
        return None, None
    try:
        gelezen = lees_bon(bon)
    except BonFout as exc:
        raise VeldFout(str(exc), veld="bon") from None
    doel = document_naam(datum, gelezen.pad, documents_folder(stand), gelezen.extensie)
    return document_ref(stand, doel), _Bon(gelezen, doel)


def _met_bon(bon: _Bon | None, omschrijving: str, text: str):
    """The Wijziging; its receipt is copied from a private snapshot of the checked bytes."""
    from ledger.schrijver.schrijven import Wijziging

    if bon is None:
        return Wijziging(omschrijving, text)
    kopie = momentopname(bon.gelezen)
    wijziging = Wijziging(omschrijving, text, bestanden=((kopie, bon.doel),))
    ruim_op_met(wijziging, [kopie])
    return wijziging


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
    _check_period(stand, invoer.datum)
    if invoer.bedrag <= 0:
        raise VeldFout("het bedrag moet groter dan nul zijn", veld="bedrag")
    if invoer.goedgekeurd_door is not None and zelfde_persoon(invoer.goedgekeurd_door, invoer.door):
        raise InvoerFout(f"{invoer.goedgekeurd_door} voert deze boeking in en mag haar niet ook goedkeuren "
                         "(vier-ogenprincipe); laat een tweede persoon goedkeuren met --goedgekeurd-door")
    rekening = expense_account(stand, invoer.plan, invoer.categorie)
    document, bon = _receipt(stand, invoer.datum, invoer.bon)
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
    kosten = Kosten(
        datum=invoer.datum, begunstigde=invoer.begunstigde, omschrijving=invoer.omschrijving, rekening=rekening,
        bedrag=invoer.bedrag, tegenrekening=tegen, ingevoerd_door=invoer.door, document=document,
        goedgekeurd_door=invoer.goedgekeurd_door, flag=flag, link=link, meta=meta,
    )
    if link and invoer.goedgekeurd_door:
        # An invoice approved as it is booked is sealed like one approved later (`declaratie goedkeuren`).
        bonnen = [hashlib.sha256(bon.gelezen.inhoud).hexdigest()] if bon is not None else []
        kosten = dataclasses.replace(kosten, meta=(*meta, (ZEGEL, zegel(kosten_entry(kosten), bonnen))))
    text = opens_tekst(stand, [rekening, tegen], invoer.datum) + kosten_tekst(kosten)
    what = f"factuur ^{link}" if link else "kosten"
    return _met_bon(bon, f"Boek {what}: {_een_regel(invoer.begunstigde)} — {_een_regel(invoer.omschrijving)} "
                         f"{format_eur(invoer.bedrag)} op {rekening}", text)


class VeldFout(InvoerFout):
    """Input refused because of one field of the form (`veld`: "bon", "bedrag", "reden"), for a web
    form to show the message beside that field."""

    def __init__(self, message: str = "", *, veld: str, bestand: str | None = None, regel: int | None = None):
        super().__init__(message, bestand=bestand, regel=regel)
        self.veld = veld


class DubbeleDeclaratie(VeldFout):
    """A claim that doubles one already in the ledger (its receipt, or declarant, date and amount);
    `bestand`/`regel` and `link` are those of the existing claim or booking."""

    def __init__(self, message: str, *, veld: str, link: str | None, bestand: str | None, regel: int | None):
        super().__init__(message, veld=veld, bestand=bestand, regel=regel)
        self.link = link


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
    uitnodiging: str | None = None  # the invitation's id, when a resident files it through their link
    # A second claim that looks like one already there is refused, unless confirmed with a reason.
    toch: bool = False
    reden: str | None = None


def _plek_van(plek: str) -> tuple[str | None, int | None]:
    bestand, _, regel = plek.rpartition(":")
    return (bestand or None), (int(regel) if regel.isdigit() else None)


def _dubbel(stand: Stand, invoer: DeclaratieInvoer, omschrijving: str, bon: _Bon | None):
    """The first claim or booking this claim doubles, with why ("bon" or "bedrag"), or None.

    Judged by the signals' own predicate (`ledger.evaluatie.signalen.dubbel_met`: SIG-BON-DUBBEL by the
    receipt's SHA-256, SIG-DUBBEL by declarant, date and amount) over every claim, invoice and
    bank-paid cost of this ledger.
    """
    from ledger.evaluatie.signalen import Betaling, BonKenmerk, betalingen_van, bon_sha256, dubbel_met

    bonnen = ()
    if bon is not None:
        bonnen = (BonKenmerk(str(bon.gelezen.pad), hashlib.sha256(bon.gelezen.inhoud).hexdigest()),)
    slug_ = stand.pad.parent.name
    nieuw = Betaling(ledger=slug_, soort="declaratie", datum=invoer.datum, naam=invoer.declarant.strip(),
                     iban=invoer.iban, bedrag=invoer.bedrag, plan=None, link=None, ingevoerd_door=invoer.door,
                     goedgekeurd_door=None, plek="", bonnen=bonnen, omschrijving=omschrijving)
    bestaande = betalingen_van(slug_, stand.view, stand.entries, stand.options_map, {}, bon_sha256)
    found = dubbel_met(nieuw, bestaande)
    return found[0] if found else None


def _dubbel_fout(b, waarom: str) -> DubbeleDeclaratie:
    wat = f"^{b.link}" if b.link else "de boeking"
    van = f"{wat} ({b.naam or 'onbekend'}, {format_eur(b.bedrag)} op {b.datum.isoformat()}, {b.plek})"
    if waarom == "bon":
        reden = f"deze bon is al ingediend: hetzelfde bestand is de bon van {van}"
    else:
        reden = f"deze declaratie staat er al: dezelfde declarant, datum en hetzelfde bedrag als {van}"
    bestand, regel = _plek_van(b.plek)
    return DubbeleDeclaratie(
        f"{b.plek}: {reden}. Eén uitgave wordt maar één keer vergoed. Is dit echt een tweede declaratie? "
        "Bevestig dan met toch en een reden (--toch --reden \"waarom\"); de reden komt bij de declaratie te staan",
        veld=waarom, link=b.link, bestand=bestand, regel=regel)


def maak_declaratie(stand: Stand, invoer: DeclaratieInvoer):
    iban = check_iban(invoer.iban)
    if not invoer.declarant.strip():
        raise VeldFout("de naam van de declarant ontbreekt", veld="declarant")
    _zichtbaar(invoer.declarant, "de naam van de declarant (--declarant)")
    reden = None
    if invoer.toch:
        if not (invoer.reden or "").strip():
            raise VeldFout("toch vraagt om een reden: waarom is dit geen dubbele declaratie (--reden)?", veld="reden")
        try:
            reden = vereis_zichtbaar(invoer.reden, "de reden om toch in te dienen (--reden)")
        except NaamFout as exc:
            raise VeldFout(str(exc), veld="reden") from None
    _check_period(stand, invoer.datum)
    if invoer.bedrag <= 0:
        raise VeldFout("het bedrag moet groter dan nul zijn", veld="bedrag")
    rekening = expense_account(stand, invoer.plan, invoer.categorie)
    document, bon = _receipt(stand, invoer.datum, invoer.bon)
    accounts = stand.structuur.accounts
    omschrijving = f"Declaratie: {invoer.omschrijving}"
    dubbel = _dubbel(stand, invoer, omschrijving, bon)
    extra: tuple[tuple[str, object], ...] = ()
    if dubbel is not None:
        if reden is None:
            raise _dubbel_fout(*dubbel)
        bestaand, _waarom = dubbel
        extra = (("dubbel-van", f"^{bestaand.link}" if bestaand.link else bestaand.plek.rsplit("/", 1)[-1]),
                 ("dubbel-reden", _een_regel(reden)))
    link = next_link(stand.entries, "decl", invoer.datum.year)
    text = opens_tekst(stand, [rekening, accounts.declaraties], invoer.datum) + declaratie_tekst(
        datum=invoer.datum, declarant=invoer.declarant.strip(), iban=iban, omschrijving=invoer.omschrijving,
        rekening=rekening, bedrag_=invoer.bedrag, accounts=accounts, link=link, document=document,
        ingevoerd_door=invoer.door, uitnodiging=invoer.uitnodiging, extra_meta=extra,
    )
    return _met_bon(bon, f"Declaratie ^{link} ingediend: {format_eur(invoer.bedrag)} "
                         f"({_een_regel(invoer.omschrijving)})" + (" (bewust dubbel)" if extra else ""), text)


def find_payable(stand: Stand, link: str) -> Payable:
    link = link.strip().lstrip("^")
    for payable in stand.view_voor_link(link).payables:
        if payable.link == link:
            return payable
    known = ", ".join(p.link for p in stand.view.payables if p.link) or "(geen)"
    raise InvoerFout(f"geen declaratie of factuur met link ^{link} in {stand.pad}; bekend: {known}")


def _herschreven(edit):
    try:
        return edit()
    except BewerkingOnveilig as exc:
        raise InvoerFout(str(exc)) from None


def maak_goedkeuring(stand: Stand, link: str, door: str):
    from ledger.schrijver.schrijven import Wijziging

    payable = find_payable(stand, link)
    where = f"{payable.meta.get('filename')}:{payable.meta.get('lineno')}"
    if payable.status == "afgewezen":
        raise InvoerFout(f"{where}: ^{payable.link} is afgewezen ({payable.rejection}); goedkeuren kan niet meer")
    door = _zichtbaar(door, "wie goedkeurt (--door)")
    if payable.oordeel.gedeeld_met:
        raise InvoerFout(f"{where}: ^{payable.link} {payable.oordeel.fouten[-1]}; goedkeuren kan pas als de link "
                         "van één declaratie of factuur is")
    if payable.status in ("goedgekeurd", "betaald"):
        raise InvoerFout(f"{where}: ^{payable.link} is al goedgekeurd door {payable.approved_by}")
    # An approval that does not count (by the declarant or who entered it, or changed after it) is
    # replaced by this one, a second person's, with a new seal over what it approves now.
    if zelfde_persoon(door, payable.declarant):
        raise InvoerFout(f"{where}: {door} is de declarant van ^{payable.link} en mag die niet zelf goedkeuren")
    if zelfde_persoon(door, payable.entered_by):
        raise InvoerFout(f"{where}: {door} heeft ^{payable.link} ingevoerd en mag die niet ook goedkeuren "
                         "(vier-ogenprincipe)")
    # The seal: what is approved, receipts included, as the one predicate will check it later.
    verzegeld = zegel(payable.entry, Vingerafdrukken(stand.entries, stand.options_map)(payable.entry), door)
    return Wijziging(f"Declaratie ^{payable.link} goedgekeurd door {_een_regel(door)}" if payable.kind == "declaratie"
                     else f"Factuur ^{payable.link} goedgekeurd door {_een_regel(door)}",
                     vervang=(_herschreven(lambda: keur_goed(stand, payable.entry, door, verzegeld)),))


def maak_afwijzing(stand: Stand, link: str, reden: str, door: str, datum: datetime.date | None = None):
    from ledger.schrijver.schrijven import Wijziging

    payable = find_payable(stand, link)
    where = f"{payable.meta.get('filename')}:{payable.meta.get('lineno')}"
    if not reden.strip():
        raise VeldFout("geef een reden voor de afwijzing (--reden)", veld="reden")
    reden = _zichtbaar(reden, "de reden van de afwijzing (--reden)")
    door = _zichtbaar(door, "wie afwijst (--door)")
    if payable.status == "afgewezen":
        raise InvoerFout(f"{where}: ^{payable.link} is al afgewezen ({payable.rejection})")
    if payable.status == "betaald":
        raise InvoerFout(f"{where}: ^{payable.link} is al betaald; afwijzen kan niet meer")
    # A claim in a payment batch that is out at the bank will be paid all the same: cancel that first.
    msgid = wachtend(stand.entries, stand.view).get(payable.link)
    if msgid is not None:
        raise InvoerFout(f"{where}: ^{payable.link} staat in betaalopdracht {msgid}, die nog bij de bank ligt; "
                         f"trek die eerst in (buurtbudget betaal <ledger> --intrekken {msgid}) en wijs dan af")
    if datum is None:
        datum = datetime.date.today()
        header = stand.structuur.header
        if header is not None:
            datum = min(datum, header.einde)
        datum = max(datum, payable.date)
    if datum < payable.date:
        raise InvoerFout(f"de afwijzing ({datum.isoformat()}) kan niet vóór de declaratie ({payable.date.isoformat()}) liggen")
    _check_period(stand, datum)
    return Wijziging(f"Declaratie ^{payable.link} afgewezen door {_een_regel(door)}: {_een_regel(reden)}",
                     afwijzing_tekst(payable, datum=datum, reden=reden.strip(), door=door))


def gezien_wijziging(datum: datetime.date, sid: str, reden: str, door: str):
    """The writer's change that records a mark (after `gezien_bezwaar` said None): one directive appended."""
    from ledger.schrijver.schrijven import Wijziging

    return Wijziging(f"Signaal {sid} gezien door {door}", tekst.entry(gezien_entry(datum, sid, reden, door)))
