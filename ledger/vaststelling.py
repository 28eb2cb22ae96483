"""The stadsdeel's final decision on the subsidy (vaststelling, Awb 4:46), as the books record it.

    2026-03-02 custom "vaststelling" 23500.00 EUR
      door: "J. de Wit (stadsdeel Noord)"
      kenmerk: "N-2026-0312"

A later `vaststelling` replaces an earlier one (a correction): the latest holds
and the earlier ones stay named. What the city reclaims is what was received
minus the vastgesteld amount; negative means the city still owes the budget.
`vaststellingen(entries)` is pure: it reads the directives and says what is
wrong with each one that cannot be read, with its `meta` (file and line).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from beancount.core import data
from beancount.core.amount import Amount

from ledger.header import DirectiveError

TYPE = "vaststelling"
CURRENCY = "EUR"


@dataclass(frozen=True, slots=True)
class Vaststelling:
    """One recorded decision: on `datum`, `door` set the subsidy at `bedrag` (EUR)."""

    datum: datetime.date
    bedrag: Decimal
    door: str
    kenmerk: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


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
    return Vaststelling(entry.date, amount.number, door.strip(), (kenmerk or "").strip() or None, entry.meta)


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


def terug_te_betalen(received: Decimal, vastgesteld: Decimal) -> Decimal:
    """What the city reclaims after the decision: received minus vastgesteld (negative: still to pay)."""
    return Decimal(received) - Decimal(vastgesteld)


# --------------------------------------------------------------------------- recording a decision

# The phases in order; a decision is taken once the books are being accounted for.
_FASE_VOLGORDE = ("ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten")


def _een_regel(value: str, what: str) -> str:
    """The text, stripped; empty text, line breaks or control characters are refused (Dutch), not mangled."""
    text = value.strip()
    if not text:
        raise ValueError(f"{what} is leeg")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError(f"{what} bevat een regeleinde of stuurteken; schrijf het op één regel")
    return text


def vaststelling_entry(datum: datetime.date, bedrag: Decimal, door: str, kenmerk: str | None = None) -> data.Custom:
    """The `custom "vaststelling"` directive; ValueError (Dutch) for text or an amount it cannot hold.

    The amount is written with two decimals and never rounded: one that is not
    in whole cents is refused.
    """
    from ledger import tekst  # the writer's serializer: the rules plugin, which only reads, never imports it

    number = Decimal(tekst.bedrag(Decimal(bedrag)))
    meta = tekst.meta_van([
        ("door", _een_regel(door, "--door")),
        ("kenmerk", _een_regel(kenmerk, "--kenmerk") if kenmerk is not None and kenmerk.strip() else None),
    ])
    return tekst.custom(datum, TYPE, [tekst.custom_waarde(Amount(number, CURRENCY))], meta)


def vaststelling_tekst(datum: datetime.date, bedrag: Decimal, door: str, kenmerk: str | None = None) -> str:
    """The directive as ledger text (appended by the safe writer)."""
    from ledger import tekst

    return tekst.entry(vaststelling_entry(datum, bedrag, door, kenmerk))


def maak_vaststelling(stand: Any, datum: datetime.date, bedrag: Decimal, door: str,
                      kenmerk: str | None = None) -> Any:
    """The `Wijziging` that records a decision; refusals are `InvoerFout`s in Dutch (nothing written).

    Only once the books are being accounted for (phase `verantwoording` or
    later on `datum`), and never more than the award.
    """
    from ledger.boekingen import InvoerFout
    from ledger.money import format_eur
    from ledger.schrijven import Wijziging
    from ledger.view import build_view

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
    try:
        text = vaststelling_tekst(datum, bedrag, door, kenmerk)
    except ValueError as exc:
        raise InvoerFout(str(exc)) from exc
    eerder = vaststellingen(stand.entries).latest
    soort = "Correctie van de vaststelling" if eerder is not None else "Vaststelling"
    return Wijziging(
        f"{soort} op {datum.isoformat()} door {door.strip()}: {format_eur(bedrag)} "
        f"(toekenning {format_eur(view.award)}, ontvangen {format_eur(view.received)})",
        text,
    )
