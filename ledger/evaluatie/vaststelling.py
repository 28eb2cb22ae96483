"""The stadsdeel's final decision on the subsidy (vaststelling, Awb 4:46), as the books record it.

    2026-03-02 custom "vaststelling" 23500.00 EUR
      door: "Jan de Wit"
      kenmerk: "N-2026-0312"
      kosten: 23412.50 EUR
      digest: "sha256:9c1e…"

`door` is the auditor's full name (gebruikers.toml), `kosten` the costs of
the books up to the decision's date (`kosten_tot`), and `digest` the SHA-256
of the decision's own content (`digest_van`: date, amount, the header's
period and name, the auditor, the kenmerk, the costs and the decision it
corrects). BB-VASTSTELLING flags a decision whose digest no longer matches
(changed afterwards) or that has none, and costs that differ from `kosten`.

A later `vaststelling` replaces an earlier one (a correction, naming it with
`corrigeert:`, the earlier digest): the latest by date holds and the earlier
ones stay named; a correction is never dated before what it corrects. What
the city reclaims is what was received minus the vastgesteld amount; negative
means the city still owes the budget. `vaststellingen(entries)` is pure: it
reads the directives and says what is wrong with each one that cannot be
read, with its `meta` (file and line).

The decided period is closed: `vastgestelde_fouten(voor, na)` is the
writer's check that a change adds, alters or removes no cost dated on or
before the latest decision, and changes or removes no recorded decision
(never forcible, not even with `--toch`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from beancount.core import data
from beancount.core.amount import Amount

from ledger.buurtbudget.header import DirectiveError

TYPE = "vaststelling"
CURRENCY = "EUR"
DIGEST_VORM = "buurtbudget-vaststelling/1"  # the first element of what the digest covers; bump on change


@dataclass(frozen=True, slots=True)
class Vaststelling:
    """One recorded decision: on `datum`, `door` set the subsidy at `bedrag` (EUR)."""

    datum: datetime.date
    bedrag: Decimal
    door: str
    kenmerk: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    kosten: Decimal | None = None  # the costs up to `datum` when it was recorded
    digest: str | None = None  # "sha256:<hex>" of its content (`digest_van`)
    corrigeert: str | None = None  # the digest of the decision it corrects


@dataclass(frozen=True, slots=True)
class Vaststellingen:
    """Every readable decision in date order (then file order), and what could not be read."""

    items: tuple[Vaststelling, ...] = ()
    errors: tuple[DirectiveError, ...] = ()

    @property
    def latest(self) -> Vaststelling | None:
        return self.items[-1] if self.items else None

    @property
    def earlier(self) -> tuple[Vaststelling, ...]:
        return self.items[:-1]


def parse_vaststelling(entry: data.Custom) -> Vaststelling | DirectiveError:
    """`custom "vaststelling" BEDRAG EUR` with `door:` (and optionally `kenmerk:`) -> Vaststelling."""
    values = [v.value for v in (entry.values or [])]
    amount = values[0] if values else None
    if not isinstance(amount, Amount) or amount.number is None:
        return DirectiveError(entry.meta, 'vaststelling zonder bedrag: schrijf custom "vaststelling" 23500.00 EUR')
    if amount.currency != CURRENCY:
        return DirectiveError(entry.meta, f"vaststelling in {amount.currency}; verwacht {CURRENCY}")
    if amount.number < 0:
        return DirectiveError(entry.meta, f"vaststelling met een negatief bedrag ({amount.number})")
    if len(values) > 1:
        return DirectiveError(entry.meta, "vaststelling: na het bedrag hoort niets meer op de regel")
    door = entry.meta.get("door")
    if not isinstance(door, str) or not door.strip():
        return DirectiveError(entry.meta, "vaststelling zonder 'door:' (wie van het stadsdeel heeft vastgesteld)")
    kenmerk = entry.meta.get("kenmerk")
    if kenmerk is not None and not isinstance(kenmerk, str):
        return DirectiveError(entry.meta, "vaststelling: 'kenmerk:' moet tekst zijn (tussen aanhalingstekens)")
    kosten = entry.meta.get("kosten")
    if kosten is not None and (not isinstance(kosten, Amount) or kosten.currency != CURRENCY
                               or kosten.number is None):
        return DirectiveError(entry.meta, "vaststelling: 'kosten:' moet een bedrag in EUR zijn (kosten: 123.45 EUR)")
    digest, corrigeert = entry.meta.get("digest"), entry.meta.get("corrigeert")
    if not all(v is None or isinstance(v, str) for v in (digest, corrigeert)):
        return DirectiveError(entry.meta, "vaststelling: 'digest:' en 'corrigeert:' moeten tekst zijn")
    return Vaststelling(entry.date, amount.number, door.strip(), (kenmerk or "").strip() or None, entry.meta,
                        kosten=kosten.number if kosten is not None else None, digest=digest, corrigeert=corrigeert)


def vaststellingen(entries: Iterable[Any], tot: datetime.date | None = None) -> Vaststellingen:
    """The decisions among `entries` (up to and including `tot`), oldest first."""
    items: list[Vaststelling] = []
    errors: list[DirectiveError] = []
    for entry in entries:
        if type(entry) is not data.Custom or entry.type != TYPE:
            continue
        if tot is not None and entry.date > tot:
            continue
        parsed = parse_vaststelling(entry)
        (errors if isinstance(parsed, DirectiveError) else items).append(parsed)
    # Beancount sorts entries by date and then by file position: keep that order, stably by date.
    items.sort(key=lambda v: v.datum)
    return Vaststellingen(tuple(items), tuple(errors))


def kosten_tot(kosten: Any, datum: datetime.date) -> Decimal:
    """The EUR costs of the books dated on or before `datum`: what a decision on that date was based on.

    `kosten` is the view's cost columns (`view.kosten`, in date order); the one
    sum the writer records (`kosten:`) and BB-VASTSTELLING recomputes.
    """
    total = Decimal(0)
    for i in range(bisect_right(kosten.tx, datum, key=lambda e: e.date)):
        for posting in kosten.cost_postings(i):
            if posting.units.currency == CURRENCY:
                total += posting.units.number
    return total


def ledger_naam(header: Any) -> list[str]:
    """What names a ledger inside a digest: the header's name, stadsdeel and buurt."""
    return [str(header.naam), str(header.stadsdeel), str(header.buurt)] if header is not None else []


def digest_van(datum: datetime.date, bedrag: Decimal, header: Any, door: str, kenmerk: str | None,
               kosten: Decimal, corrigeert: str | None) -> str:
    """"sha256:<hex>" of a decision's content, as a JSON list (UTF-8, no spaces):

        ["buurtbudget-vaststelling/1", DATUM, "BEDRAG EUR", BEGIN, EINDE,
         [NAAM, STADSDEEL, BUURT], DOOR, KENMERK, "KOSTEN EUR", CORRIGEERT]

    dates ISO, amounts with two decimals, an absent kenmerk or correction "".
    The period and names come from the ledger's header, so a decision copied
    into another ledger, or left after its period changed, no longer matches.
    """
    content = [
        DIGEST_VORM, datum.isoformat(), f"{Decimal(bedrag):.2f} {CURRENCY}",
        header.begin.isoformat() if header is not None else "", header.einde.isoformat() if header is not None else "",
        ledger_naam(header), door, kenmerk or "", f"{Decimal(kosten):.2f} {CURRENCY}", corrigeert or "",
    ]
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_klopt(v: Vaststelling, header: Any) -> bool:
    """Whether a recorded decision still has the content its digest was made of."""
    if v.digest is None or v.kosten is None:
        return False
    return v.digest == digest_van(v.datum, v.bedrag, header, v.door, v.kenmerk, v.kosten, v.corrigeert)


def terug_te_betalen(received: Decimal, vastgesteld: Decimal) -> Decimal:
    """What the city reclaims after the decision: received minus vastgesteld (negative: still to pay)."""
    return Decimal(received) - Decimal(vastgesteld)


# --------------------------------------------------------------------------- recording a decision

# The phases in order; a decision is taken once the books are being accounted for.
_FASE_VOLGORDE = ("ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten", "vastgesteld")


def _een_regel(value: str, what: str) -> str:
    """The text, stripped; empty text, line breaks or control characters are refused (Dutch), not mangled."""
    text = value.strip()
    if not text:
        raise ValueError(f"{what} is leeg")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError(f"{what} bevat een regeleinde of stuurteken; schrijf het op één regel")
    return text


def vaststelling_entry(datum: datetime.date, bedrag: Decimal, door: str, kenmerk: str | None = None, *,
                       kosten: Decimal | None = None, header: Any = None,
                       corrigeert: str | None = None) -> data.Custom:
    """The `custom "vaststelling"` directive; ValueError (Dutch) for text or an amount it cannot hold.

    The amount is written with two decimals and never rounded: one that is not
    in whole cents is refused. With `kosten` (and the ledger's `header`) it
    carries the costs and its digest, as `maak_vaststelling` records it.
    """
    from ledger.buurtbudget import tekst  # the writer's serializer: the rules plugin, which only reads, never imports it

    number = Decimal(tekst.bedrag(Decimal(bedrag)))
    door = _een_regel(door, "--door")
    kenmerk = _een_regel(kenmerk, "--kenmerk") if kenmerk is not None and kenmerk.strip() else None
    pairs: list[tuple[str, Any]] = [("door", door), ("kenmerk", kenmerk)]
    if kosten is not None:
        kosten = Decimal(tekst.bedrag(Decimal(kosten)))
        pairs += [("corrigeert", corrigeert), ("kosten", Amount(kosten, CURRENCY)),
                  ("digest", digest_van(datum, number, header, door, kenmerk, kosten, corrigeert))]
    meta = tekst.meta_van(pairs)
    return tekst.custom(datum, TYPE, [tekst.custom_waarde(Amount(number, CURRENCY))], meta)


def vaststelling_tekst(datum: datetime.date, bedrag: Decimal, door: str, kenmerk: str | None = None,
                       **digest: Any) -> str:
    """The directive as ledger text (appended by the safe writer); `digest`: see `vaststelling_entry`."""
    from ledger.buurtbudget import tekst

    return tekst.entry(vaststelling_entry(datum, bedrag, door, kenmerk, **digest))


def maak_vaststelling(stand: Any, datum: datetime.date, bedrag: Decimal, door: str,
                      kenmerk: str | None = None) -> Any:
    """The `Wijziging` that records a decision; refusals are `InvoerFout`s in Dutch (nothing written).

    Only once the books are being accounted for (phase `verantwoording` or
    later on `datum`), never more than the award, and a correction never
    dated before the decision it corrects. `door` is the auditor's full
    name: who may decide is the caller's question (the role in gebruikers.toml).
    """
    from ledger.schrijver.boekingen import InvoerFout
    from ledger.buurtbudget.money import format_eur
    from ledger.schrijver.schrijven import Wijziging
    from ledger.evaluatie.view import build_view

    view = build_view(stand.entries, stand.options_map, tot=datum, peildatum=datum)
    if view.header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop; vaststellen kan niet")
    fase = view.fase
    if fase not in _FASE_VOLGORDE or _FASE_VOLGORDE.index(fase) < _FASE_VOLGORDE.index("verantwoording"):
        raise InvoerFout(
            f"vaststellen kan pas in de fase verantwoording of later; op {datum.isoformat()} is de fase "
            f"'{fase}' (de periode loopt tot en met {view.header.einde.isoformat()})"
        )
    bedrag = Decimal(bedrag)
    if bedrag < 0:
        raise InvoerFout(f"--bedrag {format_eur(bedrag)} is negatief")
    if bedrag != bedrag.quantize(Decimal("0.01")):
        raise InvoerFout(f"--bedrag {bedrag} heeft meer dan twee decimalen")
    if bedrag > view.award:
        raise InvoerFout(f"--bedrag {format_eur(bedrag)} is hoger dan de toekenning {format_eur(view.award)}")
    eerder = vaststellingen(stand.entries).latest
    if eerder is not None and datum < eerder.datum:
        raise InvoerFout(
            f"een correctie moet gedateerd zijn op of na de vaststelling die ze corrigeert "
            f"({eerder.datum.isoformat()}, {format_eur(eerder.bedrag)} door {eerder.door}); "
            f"{datum.isoformat()} ligt ervoor en zou niets veranderen")
    kosten = kosten_tot(view.kosten, datum)
    corrigeert = (eerder.digest or f"{eerder.datum.isoformat()} {eerder.bedrag:.2f} {CURRENCY}") if eerder else None
    try:
        text = vaststelling_tekst(datum, bedrag, door, kenmerk, kosten=kosten, header=view.header,
                                  corrigeert=corrigeert)
    except ValueError as exc:
        raise InvoerFout(str(exc)) from exc
    soort = "Correctie van de vaststelling" if eerder is not None else "Vaststelling"
    return Wijziging(
        f"{soort} op {datum.isoformat()} door {door.strip()}: {format_eur(bedrag)} "
        f"(toekenning {format_eur(view.award)}, ontvangen {format_eur(view.received)}, "
        f"kosten tot en met die dag {format_eur(kosten)})",
        text,
    )


# --------------------------------------------------------------------------- the decided period, for the writer


@dataclass(frozen=True)
class VastgesteldePeriode:
    """The writer's refusal: a change to the costs of a decided period. Never forcible (`definitief`)."""

    source: dict
    message: str
    entry: Any
    definitief: bool = True
    code: str = "BB-VASTSTELLING"


def _kosten_identiteiten(entries: Iterable[Any], tot: datetime.date, is_kosten) -> Counter:
    from ledger.schrijver.oordeel import entry_identiteit

    return Counter(
        entry_identiteit(e) for e in entries
        if type(e) is data.Transaction and e.date <= tot and any(is_kosten(p.account) for p in e.postings)
    )


def _besluiten_blijven(voor: list, na: list) -> list[VastgesteldePeriode]:
    """A recorded decision is never changed or removed by a write: a correction is a new one."""
    from ledger.schrijver.veranderd import volle_identiteit

    def besluiten(entries: list) -> list:
        return [e for e in entries if type(e) is data.Custom and e.type == TYPE]

    rest = Counter(volle_identiteit(e) for e in besluiten(na))
    fouten = []
    for e in besluiten(voor):
        key = volle_identiteit(e)
        if rest[key] > 0:
            rest[key] -= 1
            continue
        fouten.append(VastgesteldePeriode(
            {"filename": e.meta.get("filename", "<onbekend>"), "lineno": e.meta.get("lineno", 0)},
            f"BB-VASTSTELLING de vaststelling van {e.date.isoformat()} kan niet worden gewijzigd of verwijderd; "
            "een correctie is een nieuwe vaststelling door het stadsdeel (buurtbudget vaststellen)",
            e))
    return fouten


def vastgestelde_fouten(voor: Any, na: Any) -> list[VastgesteldePeriode]:
    """The costs dated on or before the latest decision that a change adds, alters or removes.

    `voor` and `na` are the writer's two loads (`entries`, `options_map`). A
    cost is compared as written (date, payee, narration, links, postings), not
    by its metadata, so approving or paying a claim of the period stays possible.
    """
    from ledger.buurtbudget.accounts import Accounts

    besluit = vaststellingen(voor.entries).latest
    if besluit is None:
        return []
    fouten = _besluiten_blijven(voor.entries, na.entries)
    is_kosten = Accounts.from_options(voor.options_map).is_expense
    oud = _kosten_identiteiten(voor.entries, besluit.datum, is_kosten)
    nieuw = _kosten_identiteiten(na.entries, besluit.datum, is_kosten)
    where = f"{besluit.meta.get('filename')}:{besluit.meta.get('lineno')}"
    for wat, verschil, entries in (("toegevoegd of gewijzigd", nieuw - oud, na.entries),
                                   ("verwijderd of gewijzigd", oud - nieuw, voor.entries)):
        if not verschil:
            continue
        from ledger.schrijver.oordeel import entry_identiteit

        for e in entries:
            if type(e) is data.Transaction and verschil.get(entry_identiteit(e), 0) > 0:
                verschil[entry_identiteit(e)] -= 1
                fouten.append(VastgesteldePeriode(
                    {"filename": e.meta.get("filename", "<onbekend>"), "lineno": e.meta.get("lineno", 0)},
                    f"BB-VASTSTELLING de kosten tot en met {besluit.datum.isoformat()} zijn vastgesteld door "
                    f"{besluit.door} ({where}); deze wijziging heeft kosten van {e.date.isoformat()} "
                    f"({e.payee or e.narration}) {wat}. Dat kan niet meer, ook niet met --toch; "
                    "alleen het stadsdeel kan een nieuwe vaststelling doen",
                    e))
    return fouten
