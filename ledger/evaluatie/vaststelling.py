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

The decided period is closed: `ledger.schrijver.vastgesteld.vastgestelde_fouten` is the
writer's check that a change adds, alters or removes no cost dated on or
before the latest decision, and changes or removes no recorded decision
(never forcible, not even with `--toch`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from bisect import bisect_right
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
