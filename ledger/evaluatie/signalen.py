"""Signals: what is allowed one booking at a time and suspicious together.

The rules judge what a kader forbids. A treasurer who takes money does it
with bookings that each pass: a second claim with the same photo, a payment
to his own account under a resident's name, an invoice split in three under
the four-eyes threshold. Signals look at the whole chain (claim, receipt,
approval, payment) across every ledger of a workspace and say what a person
should look at. They are warnings, never violations: they block nothing.

    betalingen = [*betalingen_van(loaded_a), *betalingen_van(loaded_b)]
    signalen = signalen_van(betalingen, kenmerken, drempels)

`betalingen_van` reads a loaded ledger (the view its load made) into
`Betaling`s: every claim and invoice, and every cost paid from the bank.
`signalen_van` is pure. Reading receipts (their SHA-256, the decoded image,
the date inside the file) is `bon_kenmerk`, at the edge.

| code | ernst | what |
| --- | --- | --- |
| `SIG-BON-DUBBEL` | hoog | the same receipt (SHA-256, or the same decoded image) under two bookings |
| `SIG-EIGEN-IBAN` | hoog | a claim or invoice paid to the budget's own IBAN, to the penvoerder's, or to an IBAN of who entered or approved it |
| `SIG-ZELF` | hoog | one person declarant in one ledger and approver in another, or an approver approving a claim paid to their own IBAN |
| `SIG-IBAN-NAMEN` | midden | one IBAN under different names, or one name paid to three or more IBANs or back and forth |
| `SIG-NIEUWE-IBAN` | midden | a payee paid to a different IBAN than before, without `iban-wijziging:` saying why |
| `SIG-GESPLITST` | midden (laag when spread over more than half the window) | payments to one payee within `venster-dagen` each under the four-eyes threshold, together at or above it |
| `SIG-DUBBEL` | midden | two claims or invoices with the same payee, date and amount (not when each has its own receipt and its own description: two coffees at two places) |
| `SIG-BEDRAG` | laag | an amount far above the usual of its plan or payee (above median + `bedrag-factor` x MAD and at least `bedrag-veelvoud` x the median, in a group of more than `bedrag-minimum-aantal`), or a round amount just under the four-eyes threshold |
| `SIG-BON-DATUM` | laag | a receipt whose own date (PDF or EXIF) lies more than `bon-datum-dagen` before the booking or after its payment |

Names are compared by `ledger.evaluatie.vier_ogen.naam_sleutel`, the one comparison
key of a person; IBANs without spaces, in capitals.

Each signal has an ID (`signaal_id`: its code and what its bookings are, no
line numbers). `custom "signaal-gezien" "<id>"` with `reden:` and `door:` marks
it as seen (`gezien_entry`, `gezien_van`); `met_gezien` attaches the marks that
count, `markeer_bezwaar` is the one policy of who may mark.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import os
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from ledger.buurtbudget.money import format_eur
from ledger.evaluatie.vier_ogen import naam_sleutel

ERNST_VOLGORDE = {"hoog": 0, "midden": 1, "laag": 2}


@dataclass(frozen=True, slots=True)
class Drempels:
    """The signals' thresholds; a stadsdeel sets them in `regels.toml` (`[signalen]`)."""

    venster_dagen: int = 14  # SIG-GESPLITST: payments to one payee within this many days
    bedrag_factor: Decimal = Decimal("5")  # SIG-BEDRAG: above median + factor x MAD (scaled) ...
    bedrag_veelvoud: Decimal = Decimal("3")  # ... and at least this many times the median
    bedrag_minimum_aantal: int = 5  # SIG-BEDRAG: a usual needs at least this many amounts
    rond_marge: Decimal = Decimal("0.10")  # SIG-BEDRAG: round amounts within 10% under the threshold
    bon_datum_dagen: int = 60  # SIG-BON-DATUM

    @classmethod
    def uit(cls, values: Mapping[str, Any] | None) -> "Drempels":
        """From a `[signalen]` table (keys with dashes); unknown keys or bad values are a ValueError (Dutch)."""
        if not values:
            return cls()
        known = {"venster-dagen": "venster_dagen", "bedrag-factor": "bedrag_factor",
                 "bedrag-veelvoud": "bedrag_veelvoud",
                 "bedrag-minimum-aantal": "bedrag_minimum_aantal", "rond-marge": "rond_marge",
                 "bon-datum-dagen": "bon_datum_dagen"}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"onbekende sleutel(s) in [signalen]: {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            name = known[key]
            try:
                if name in ("bedrag_factor", "bedrag_veelvoud", "rond_marge"):
                    number = Decimal(str(value))
                    if not number.is_finite() or number < 0:
                        raise ValueError
                    kwargs[name] = number
                else:
                    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                        raise ValueError
                    kwargs[name] = value
            except (ValueError, ArithmeticError):
                raise ValueError(f"[signalen] {key} = {value!r} is geen geldige waarde") from None
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class BonKenmerk:
    """What a receipt file says about itself: its SHA-256, the hash of its decoded image, its own date."""

    pad: str
    sha256: str
    beeld: str | None = None  # SHA-256 of the decoded pixels of a JPEG or PNG
    datum: datetime.date | None = None  # the PDF's CreationDate or the photo's EXIF date


@dataclass(frozen=True, slots=True)
class Betaling:
    """Money that goes, or is owed, to someone: a claim, an invoice or a cost paid from the bank."""

    ledger: str  # the ledger's slug (its folder name)
    soort: str  # "declaratie" | "factuur" | "kosten"
    datum: datetime.date
    naam: str | None  # the declarant, else the payee
    iban: str | None
    bedrag: Decimal
    plan: str | None
    link: str | None
    ingevoerd_door: str | None
    goedgekeurd_door: str | None
    plek: str  # file:line
    bonnen: tuple[BonKenmerk, ...] = ()
    betaald_op: datetime.date | None = None
    iban_wijziging: bool = False  # `iban-wijziging:` says why the IBAN changed
    vier_ogen_vanaf: Decimal = Decimal("500.00")
    omschrijving: str = ""
    # Comparison keys, made once: every signal compares them many times.
    sleutel: str = field(default="", compare=False)
    iban_k: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sleutel", naam_sleutel(self.naam))
        object.__setattr__(self, "iban_k", iban_sleutel(self.iban))


@dataclass(frozen=True, slots=True)
class LedgerKenmerken:
    """What a ledger says about its own people and accounts."""

    ledger: str
    iban: str | None  # the budget's own account
    penvoerder: str | None  # the header's `beheerder`


@dataclass(frozen=True, slots=True)
class Gezien:
    """A `custom "signaal-gezien"` directive: someone looked at a signal and says why it may stand."""

    id: str
    door: str
    reden: str
    ledger: str
    datum: datetime.date
    plek: str

    @classmethod
    def uit(cls, sid: str, data: Mapping[str, Any]) -> "Gezien":
        """The mark of signal `sid` from its `as_dict` (a statement's manifest); ValueError when malformed."""
        return cls(sid, str(data["door"]), str(data["reden"]), str(data["ledger"]),
                   datetime.date.fromisoformat(str(data["datum"])), str(data["plek"]))

    def as_dict(self) -> dict[str, Any]:
        return {"door": self.door, "reden": self.reden, "ledger": self.ledger, "datum": self.datum.isoformat(),
                "plek": self.plek}

    def format(self) -> str:
        return f"gezien door {self.door}: {self.reden}"


@dataclass(frozen=True, slots=True)
class Signaal:
    code: str
    ernst: str  # "hoog" | "midden" | "laag"
    uitleg: str  # Dutch: what was seen and why it matters
    plekken: tuple[str, ...]  # file:line of each booking involved
    links: tuple[str, ...] = ()
    ledgers: tuple[str, ...] = ()
    id: str = ""  # stable across line shifts: see `signaal_id`
    betrokkenen: tuple[str, ...] = field(default=(), compare=False)  # name keys of everyone in its bookings
    gezien: tuple[Gezien, ...] = ()

    @classmethod
    def uit(cls, data: Mapping[str, Any]) -> "Signaal":
        """A signal from its `as_dict` (a statement's manifest); ValueError when malformed."""
        try:
            sid = str(data["id"])
            return cls(str(data["code"]), str(data["ernst"]), str(data["uitleg"]),
                       tuple(map(str, data["plekken"])), tuple(map(str, data.get("links") or ())),
                       tuple(map(str, data.get("ledgers") or ())), sid,
                       gezien=tuple(Gezien.uit(sid, g) for g in data.get("gezien") or ()))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"geen signaal: {exc}") from None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "ernst": self.ernst, "uitleg": self.uitleg,
                "plekken": list(self.plekken), "links": list(self.links), "ledgers": list(self.ledgers),
                "gezien": [g.as_dict() for g in self.gezien]}

    def format(self) -> str:
        waar = ", ".join(self.plekken)
        regel = f"{self.code} {self.id} [{self.ernst}] {self.uitleg} ({waar})"
        return "\n".join([regel, *(f"  {g.format()}" for g in self.gezien)])


def iban_sleutel(iban: object) -> str | None:
    """An IBAN as compared: without spaces, in capitals."""
    if not iban:
        return None
    return _iban_sleutel(iban if type(iban) is str else str(iban))


@functools.lru_cache(maxsize=8192)
def _iban_sleutel(tekst: str) -> str | None:
    return "".join(tekst.split()).upper() or None


def signaal_id(code: str, betalingen: Iterable[Betaling]) -> str:
    """A signal's ID: its code and what its bookings are (ledger, kind, link, date, amount, name, IBAN).

    No line numbers, so it survives a booking added above; a signal that gains a booking is a new
    signal (the new booking was not seen), and gets a new ID.
    """
    delen = sorted(f"{b.ledger}|{b.soort}|{b.link or ''}|{b.datum.isoformat()}|{b.bedrag}|{b.sleutel}|{b.iban_k or ''}"
                   for b in betalingen)
    digest = hashlib.sha256("\n".join([code, *delen]).encode("utf-8")).hexdigest()
    return f"{code.removeprefix('SIG-').lower()}-{digest[:8]}"


def _signaal(code: str, ernst: str, uitleg: str, betalingen: Sequence[Betaling],
             ook_betrokken: Iterable[str | None] = ()) -> Signaal:
    """`ook_betrokken`: people the signal concerns beyond those its bookings name (whose account it is)."""
    ordered = sorted({id(b): b for b in betalingen}.values(), key=lambda b: (b.datum, b.ledger, b.plek))
    personen = {naam_sleutel(n) for b in ordered for n in (b.naam, b.ingevoerd_door, b.goedgekeurd_door)}
    personen |= {naam_sleutel(n) for n in ook_betrokken}
    return Signaal(code, ernst, uitleg, tuple(b.plek for b in ordered),
                   tuple(sorted({b.link for b in ordered if b.link})), tuple(sorted({b.ledger for b in ordered})),
                   id=signaal_id(code, ordered), betrokkenen=tuple(sorted(personen - {""})))


@functools.lru_cache(maxsize=8192)
def _eur(bedrag: Decimal) -> str:
    # Babel's formatting is the one money-as-text; a workspace repeats few amounts, so format each once.
    return format_eur(bedrag)


def _wie(b: Betaling) -> str:
    return f"{b.naam or 'onbekend'} ({_eur(b.bedrag)} op {b.datum.isoformat()}, {b.ledger})"


def _opsomming(groep: Sequence[Betaling], hoeveel: int = 5) -> str:
    """The first few of a group by name, then how many more (the bookings' places are all in `plekken`)."""
    namen = "; ".join(_wie(b) for b in groep[:hoeveel])
    return namen + (f" en {len(groep) - hoeveel} meer" if len(groep) > hoeveel else "")


# --- the signals, one function each ---------------------------------------------------------------

def bon_sleutels(bonnen: Iterable[BonKenmerk]) -> set[tuple[str, str]]:
    """What makes two receipts one: the same bytes (SHA-256) or the same decoded image."""
    found: set[tuple[str, str]] = set()
    for bon in bonnen:
        found.add(("sha256", bon.sha256))
        if bon.beeld:
            found.add(("beeld", bon.beeld))
    return found


def dubbel_sleutel(b: Betaling) -> tuple | None:
    """What makes two claims or invoices one paid twice: payee, date and amount (costs have none)."""
    if b.soort == "kosten" or not b.sleutel:
        return None
    return (b.sleutel, b.datum, b.bedrag)


def dubbel_met(nieuw: Betaling, bestaande: Iterable[Betaling]) -> list[tuple[Betaling, str]]:
    """The payments `nieuw` doubles, each with why: "bon" (SIG-BON-DUBBEL: one of its receipts is
    theirs) or "bedrag" (SIG-DUBBEL: the same payee, date and amount, not two purchases).

    The signals' own predicate for one new payment, so that what `maak_declaratie` refuses is
    exactly what the signals would report afterwards.
    """
    eigen_bonnen, eigen_sleutel = bon_sleutels(nieuw.bonnen), dubbel_sleutel(nieuw)
    found = []
    for b in bestaande:
        if eigen_bonnen & bon_sleutels(b.bonnen):
            found.append((b, "bon"))
        elif eigen_sleutel is not None and dubbel_sleutel(b) == eigen_sleutel and not twee_aankopen(nieuw, b):
            found.append((b, "bedrag"))
    return found


def bon_dubbel(betalingen: Sequence[Betaling]) -> list[Signaal]:
    per_hash: dict[tuple[str, str], list[Betaling]] = defaultdict(list)
    for b in betalingen:
        for key in bon_sleutels(b.bonnen):
            per_hash[key].append(b)
    signalen, reported = [], set()
    for (soort, _), groep in sorted(per_hash.items(), key=lambda kv: kv[1][0].plek):
        plekken = frozenset(b.plek for b in groep)
        if len(plekken) < 2 or plekken in reported:
            continue
        reported.add(plekken)
        hoe = "hetzelfde bestand" if soort == "sha256" else "dezelfde foto (na het uitpakken van het beeld)"
        signalen.append(_signaal(
            "SIG-BON-DUBBEL", "hoog",
            f"{hoe} is de bon van {len(plekken)} boekingen: {_opsomming(groep)}. "
            "Eén bon kan maar één keer worden vergoed.", groep))
    return signalen


def _ibans_per_persoon(betalingen: Sequence[Betaling]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = defaultdict(set)
    for b in betalingen:
        iban = b.iban_k
        if iban and b.sleutel:
            known[b.sleutel].add(iban)
    return known


def eigen_iban(betalingen: Sequence[Betaling], kenmerken: Mapping[str, LedgerKenmerken],
               bekende_ibans: Mapping[str, set[str]]) -> list[Signaal]:
    signalen = []
    for b in betalingen:
        iban = b.iban_k
        if not iban or b.soort == "kosten":
            continue
        k = kenmerken.get(b.ledger)
        redenen, eigenaars = [], []
        if k is not None and iban == iban_sleutel(k.iban):
            redenen.append("de eigen rekening van het buurtbudget")
        if k is not None and k.penvoerder and naam_sleutel(k.penvoerder) != b.sleutel \
                and iban in bekende_ibans.get(naam_sleutel(k.penvoerder), ()):
            redenen.append(f"de rekening van de penvoerder ({k.penvoerder})")
            eigenaars.append(k.penvoerder)
        for rol, wie in (("invoerder", b.ingevoerd_door), ("goedkeurder", b.goedgekeurd_door)):
            sleutel = naam_sleutel(wie)
            if sleutel and sleutel != b.sleutel and iban in bekende_ibans.get(sleutel, ()):
                redenen.append(f"een rekening van de {rol} {wie}")
        if redenen:
            signalen.append(_signaal(
                "SIG-EIGEN-IBAN", "hoog",
                f"{_wie(b)} wordt betaald op {iban}: {', '.join(redenen)}. Geld van de buurt hoort niet "
                "op de rekening van wie het beheert of goedkeurt.", [b], eigenaars))
    return signalen


def zelf(betalingen: Sequence[Betaling], bekende_ibans: Mapping[str, set[str]]) -> list[Signaal]:
    signalen = []
    declarant_in: dict[str, list[Betaling]] = defaultdict(list)
    goedkeurder_in: dict[str, list[Betaling]] = defaultdict(list)
    for b in betalingen:
        if b.soort == "declaratie" and b.sleutel:
            declarant_in[b.sleutel].append(b)
        if b.goedgekeurd_door and naam_sleutel(b.goedgekeurd_door):
            goedkeurder_in[naam_sleutel(b.goedgekeurd_door)].append(b)
    for persoon in sorted(set(declarant_in) & set(goedkeurder_in)):
        eigen = declarant_in[persoon]
        goedgekeurd = [g for g in goedkeurder_in[persoon] if g.ledger not in {d.ledger for d in eigen}]
        if not goedgekeurd:
            continue
        naam = eigen[0].naam
        signalen.append(_signaal(
            "SIG-ZELF", "hoog",
            f"{naam} declareert in {', '.join(sorted({d.ledger for d in eigen}))} en keurt goed in "
            f"{', '.join(sorted({g.ledger for g in goedgekeurd}))}. Wie elders geld ontvangt, kan daar "
            "afspraken over goedkeuren maken.", [*eigen, *goedgekeurd]))
    for b in betalingen:
        iban, wie = b.iban_k, naam_sleutel(b.goedgekeurd_door)
        if b.soort == "declaratie" and iban and wie and wie != b.sleutel and iban in bekende_ibans.get(wie, ()):
            signalen.append(_signaal(
                "SIG-ZELF", "hoog",
                f"{b.goedgekeurd_door} keurde de declaratie van {_wie(b)} goed, die wordt betaald op een "
                f"rekening ({iban}) waarop ook {b.goedgekeurd_door} zelf geld ontving.", [b]))
    return signalen


def iban_namen(betalingen: Sequence[Betaling]) -> list[Signaal]:
    signalen = []
    per_iban: dict[str, list[Betaling]] = defaultdict(list)
    per_naam: dict[str, list[Betaling]] = defaultdict(list)
    for b in betalingen:
        iban = b.iban_k
        if iban and b.sleutel:
            per_iban[iban].append(b)
            per_naam[b.sleutel].append(b)
    for iban, groep in sorted(per_iban.items()):
        namen = sorted({b.naam or "" for b in groep if b.sleutel}, key=naam_sleutel)
        if len({b.sleutel for b in groep}) > 1:
            signalen.append(_signaal(
                "SIG-IBAN-NAMEN", "midden",
                f"rekening {iban} ontvangt onder {len(namen)} namen: {', '.join(namen)}. Eén rekening "
                "hoort bij één begunstigde; anders kan iemand onder andermans naam geld ontvangen.", groep))
    for sleutel, groep in sorted(per_naam.items()):
        reeks = [b.iban_k for b in sorted(groep, key=lambda b: (b.datum, b.plek))]
        wissels = sum(1 for a, b in zip(reeks, reeks[1:]) if a != b)
        if len(set(reeks)) >= 3 or wissels > len(set(reeks)) - 1:
            signalen.append(_signaal(
                "SIG-IBAN-NAMEN", "midden",
                f"{groep[0].naam} wordt betaald op {len(set(reeks))} rekeningen ({', '.join(sorted(set(reeks)))})"
                f"{', heen en terug' if wissels > len(set(reeks)) - 1 else ''}.", groep))
    return signalen


def nieuwe_iban(betalingen: Sequence[Betaling]) -> list[Signaal]:
    signalen = []
    per_naam: dict[str, list[Betaling]] = defaultdict(list)
    for b in betalingen:
        if b.iban_k and b.sleutel:
            per_naam[b.sleutel].append(b)
    for _sleutel, groep in sorted(per_naam.items()):
        groep = sorted(groep, key=lambda b: (b.datum, b.plek))
        for vorige, b in zip(groep, groep[1:]):
            if b.iban_k != vorige.iban_k and not b.iban_wijziging:
                signalen.append(_signaal(
                    "SIG-NIEUWE-IBAN", "midden",
                    f"{_wie(b)} wordt betaald op {b.iban_k}, eerder op {vorige.iban_k} "
                    f"({vorige.datum.isoformat()}). Een nieuwe rekening zonder uitleg (iban-wijziging:) "
                    "is hoe een betaling wordt omgeleid.", [vorige, b]))
    return signalen


def gesplitst(betalingen: Sequence[Betaling], drempels: Drempels) -> list[Signaal]:
    signalen = []
    per_begunstigde: dict[tuple[str, str], list[Betaling]] = defaultdict(list)
    for b in betalingen:
        if b.sleutel and b.bedrag > 0:
            per_begunstigde[(b.ledger, b.sleutel)].append(b)
    venster = datetime.timedelta(days=drempels.venster_dagen)
    for _key, groep in sorted(per_begunstigde.items()):
        groep = sorted(groep, key=lambda b: (b.datum, b.plek))
        drempel = groep[-1].vier_ogen_vanaf
        # A payment at or above the threshold had its four eyes: runs of payments under it are the candidates.
        runs, run = [], []
        for b in groep:
            if b.bedrag < drempel:
                run.append(b)
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        for run in runs:
            start, som, gemeld_tot = 0, Decimal(0), -1
            for eind, b in enumerate(run):
                som += b.bedrag
                while b.datum - run[start].datum > venster:
                    som -= run[start].bedrag
                    start += 1
                if eind > start and som >= drempel and start > gemeld_tot:
                    gemeld_tot = eind
                    deel = run[start:eind + 1]
                    # Pieces within half the window look like one purchase cut up; spread wider, less so.
                    dicht = (deel[-1].datum - deel[0].datum) * 2 <= venster
                    signalen.append(_signaal(
                        "SIG-GESPLITST", "midden" if dicht else "laag",
                        f"{len(deel)} betalingen aan {deel[0].naam} binnen {drempels.venster_dagen} dagen, elk "
                        f"onder de vier-ogengrens van {_eur(drempel)}, samen {_eur(som)}. Zo ontloopt een "
                        "betaling de tweede handtekening.", deel))
    return signalen


def twee_aankopen(a: Betaling, b: Betaling) -> bool:
    """Two purchases, not one twice: each with its own receipt and its own description."""
    bonnen_a, bonnen_b = bon_sleutels(a.bonnen), bon_sleutels(b.bonnen)
    return bool(bonnen_a) and bool(bonnen_b) and not (bonnen_a & bonnen_b) \
        and naam_sleutel(a.omschrijving) != naam_sleutel(b.omschrijving)


def dubbel(betalingen: Sequence[Betaling]) -> list[Signaal]:
    per_sleutel: dict[tuple, list[Betaling]] = defaultdict(list)
    for b in betalingen:
        sleutel = dubbel_sleutel(b)
        if sleutel is not None:
            per_sleutel[sleutel].append(b)
    signalen = []
    for _key, groep in sorted(per_sleutel.items(), key=lambda kv: kv[1][0].plek):
        paren = [(a, b) for i, a in enumerate(groep) for b in groep[i + 1:] if not twee_aankopen(a, b)]
        if paren:
            betrokken = list(dict.fromkeys(x for paar in paren for x in paar))
            signalen.append(_signaal(
                "SIG-DUBBEL", "midden",
                f"{len(betrokken)} keer {_wie(betrokken[0])}: dezelfde begunstigde, datum en bedrag. "
                "Twee keer indienen is de eenvoudigste manier om twee keer betaald te worden.", betrokken))
    return signalen


def _mad_grens(bedragen: list[Decimal], drempels: Drempels) -> Decimal | None:
    if len(bedragen) < drempels.bedrag_minimum_aantal:
        return None
    mediaan = statistics.median(bedragen)
    mad = statistics.median([abs(x - mediaan) for x in bedragen])
    # 1.4826 x MAD estimates a standard deviation. A tight usual (ten costs of about € 100) would
    # make € 120 an outlier: "far above" also asks for a multiple of the median.
    spreiding = mad * Decimal("1.4826")
    return max(mediaan + drempels.bedrag_factor * spreiding, mediaan * drempels.bedrag_veelvoud)


def bedrag(betalingen: Sequence[Betaling], drempels: Drempels) -> list[Signaal]:
    signalen = []
    groepen: dict[tuple[str, str, str], list[Betaling]] = defaultdict(list)
    for b in betalingen:
        if b.bedrag <= 0:
            continue
        if b.plan:
            groepen[("plan", b.ledger, b.plan)].append(b)
        if b.sleutel:
            groepen[("begunstigde", "", b.sleutel)].append(b)
    gemeld: set[str] = set()
    for (soort, _ledger, naam), groep in sorted(groepen.items()):
        # Median and MAD over the whole group, once: robust, so the outlier itself barely moves them.
        if len(groep) <= drempels.bedrag_minimum_aantal:
            continue
        bedragen = [x.bedrag for x in groep]
        grens = _mad_grens(bedragen, drempels)
        mediaan = statistics.median(bedragen)
        for b in groep:
            if grens is not None and b.bedrag > grens and b.plek not in gemeld:
                gemeld.add(b.plek)
                wat = f"het plan {naam.rsplit(':', 1)[-1]}" if soort == "plan" else f"begunstigde {b.naam}"
                signalen.append(_signaal(
                    "SIG-BEDRAG", "laag",
                    f"{_wie(b)} is veel hoger dan gebruikelijk voor {wat} (mediaan {_eur(mediaan)}).", [b]))
    for b in betalingen:
        drempel = b.vier_ogen_vanaf
        rond = b.bedrag == b.bedrag.to_integral_value() and b.bedrag % 5 == 0
        if rond and drempel * (1 - drempels.rond_marge) <= b.bedrag < drempel and b.plek not in gemeld:
            gemeld.add(b.plek)
            signalen.append(_signaal(
                "SIG-BEDRAG", "laag",
                f"{_wie(b)}: een rond bedrag net onder de vier-ogengrens van {_eur(drempel)}.", [b]))
    return signalen


def bon_datum(betalingen: Sequence[Betaling], drempels: Drempels) -> list[Signaal]:
    signalen = []
    marge = datetime.timedelta(days=drempels.bon_datum_dagen)
    for b in betalingen:
        for bon in b.bonnen:
            if bon.datum is None:
                continue
            betaald = b.betaald_op or b.datum
            if bon.datum < b.datum - marge:
                hoe = f"{(b.datum - bon.datum).days} dagen vóór de boeking"
            elif bon.datum > betaald + marge:
                hoe = f"{(bon.datum - betaald).days} dagen na de betaling"
            else:
                continue
            signalen.append(_signaal(
                "SIG-BON-DATUM", "laag",
                f"de bon {Path(bon.pad).name} van {_wie(b)} is gemaakt op {bon.datum.isoformat()}, {hoe}. "
                "Een oude bon kan al eerder vergoed zijn.", [b]))
    return signalen


def signalen_van(betalingen: Iterable[Betaling], kenmerken: Iterable[LedgerKenmerken],
                 drempels: Drempels | Mapping[str, Drempels] = Drempels()) -> list[Signaal]:
    """Every signal over these payments, most serious first. Pure.

    `drempels` is one set, or one per ledger slug (a stadsdeel's thresholds); signals that compare
    ledgers use the thresholds of the ledger the signal is about.
    """
    betalingen = list(betalingen)
    per_ledger = {k.ledger: k for k in kenmerken}
    if isinstance(drempels, Drempels):
        voor = lambda _ledger: drempels  # noqa: E731
    else:
        voor = lambda ledger: drempels.get(ledger, Drempels())  # noqa: E731
    bekende_ibans = _ibans_per_persoon(betalingen)
    per_drempels: dict[Drempels, list[Betaling]] = defaultdict(list)
    for b in betalingen:
        per_drempels[voor(b.ledger)].append(b)
    signalen = [*bon_dubbel(betalingen), *eigen_iban(betalingen, per_ledger, bekende_ibans),
                *zelf(betalingen, bekende_ibans), *iban_namen(betalingen), *nieuwe_iban(betalingen),
                *dubbel(betalingen)]
    for d, groep in per_drempels.items():
        signalen += [*gesplitst(groep, d), *bedrag(groep, d), *bon_datum(groep, d)]
    return sorted(signalen, key=lambda s: (ERNST_VOLGORDE[s.ernst], s.code, s.plekken))


# --- reading a ledger and its receipts (the edge) ---------------------------------------------------

_PDF_DATE = re.compile(rb"/CreationDate\s*\(D:(\d{4})(\d{2})(\d{2})")
_XMP_DATE = re.compile(rb"<xmp:CreateDate>(\d{4})-(\d{2})-(\d{2})")


def _pdf_datum(raw: bytes) -> datetime.date | None:
    found = _PDF_DATE.search(raw) or _XMP_DATE.search(raw)
    if not found:
        return None
    try:
        return datetime.date(*(int(x) for x in found.groups()))
    except ValueError:
        return None


def _beeld(raw: bytes) -> tuple[str | None, datetime.date | None]:
    """The hash of a photo's decoded pixels and its EXIF date (Pillow reads both)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as image:
            exif = image.getexif()
            stamp = None
            try:
                stamp = exif.get_ifd(0x8769).get(36867)  # DateTimeOriginal
            except (KeyError, AttributeError, TypeError):
                stamp = None
            stamp = stamp or exif.get(306)  # DateTime
            pixels = image.convert("RGB")
            digest = hashlib.sha256(f"{pixels.size}".encode() + pixels.tobytes()).hexdigest()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None, None
    datum = None
    if isinstance(stamp, str):
        found = re.match(r"(\d{4}):(\d{2}):(\d{2})", stamp)
        if found:
            try:
                datum = datetime.date(*(int(x) for x in found.groups()))
            except ValueError:
                datum = None
    return digest, datum


def bon_kenmerk(pad: str, cache: dict[str, BonKenmerk] | None = None) -> BonKenmerk | None:
    """Read a receipt file once: None when it cannot be read (BB-BON says so already)."""
    if cache is not None and pad in cache:
        return cache[pad]
    try:
        raw = Path(pad).read_bytes()
    except OSError:
        return None
    beeld, datum = None, None
    if raw.startswith(b"%PDF-"):
        datum = _pdf_datum(raw)
    elif raw.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        beeld, datum = _beeld(raw)
    kenmerk = BonKenmerk(pad, hashlib.sha256(raw).hexdigest(), beeld, datum)
    if cache is not None:
        cache[pad] = kenmerk
    return kenmerk


_SHA_PER_BESTAND: dict[tuple, str] = {}


def bon_sha256(pad: str, cache: dict[str, BonKenmerk] | None = None) -> BonKenmerk | None:
    """A receipt by its bytes alone (no image decoded): what a write compares, many times over.

    Remembered per file as it is on disk (size, mtime, inode), so the web service reads a
    ledger's receipts once, not once per claim entered.
    """
    try:
        st = os.stat(pad)
    except OSError:
        return None
    key = (pad, st.st_size, st.st_mtime_ns, st.st_ino)
    digest = _SHA_PER_BESTAND.get(key)
    if digest is None:
        try:
            with open(pad, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None
        if len(_SHA_PER_BESTAND) > 100_000:
            _SHA_PER_BESTAND.clear()
        _SHA_PER_BESTAND[key] = digest
    return BonKenmerk(pad, digest)


def _plek(meta: Mapping[str, Any]) -> str:
    return f"{meta.get('filename')}:{meta.get('lineno')}"


def betalingen_van(slug: str, view: Any, entries: Sequence[Any], options_map: Mapping[str, Any],
                   cache: dict[str, BonKenmerk] | None = None,
                   lees: Callable[[str, dict[str, BonKenmerk] | None], BonKenmerk | None] = bon_kenmerk,
                   ) -> list[Betaling]:
    """The claims, invoices and bank-paid costs of one loaded ledger (its view), with their receipts.

    `lees` reads a receipt: `bon_kenmerk` (bytes, image, date) for the signals, `bon_sha256`
    (bytes only) where a write asks whether a receipt is already there.
    """
    from ledger.buurtbudget.documents import DocumentResolver, document_values

    resolver = DocumentResolver(entries, options_map)
    drempel = view.kader.vier_ogen_vanaf

    # Each cost transaction's plan, as the view's fold classified its accounts (no second
    # classification), read from its columns: no CostEntry objects are made for this.
    kosten = view.kosten
    classes = kosten.classes
    plan_per_entry: dict[int, str | None] = {}
    index_per_entry: dict[int, int] = {}
    for i, tx in enumerate(kosten.tx):
        index_per_entry[id(tx)] = i
        plan_per_entry[id(tx)] = next((classes[p.account].plan for p in kosten.cost_postings(i)
                                       if classes[p.account].plan), None)

    def bonnen(entry) -> tuple[BonKenmerk, ...]:
        values = document_values(entry.meta)
        i = index_per_entry.get(id(entry))
        if i is not None and i in kosten.posting_meta:  # a cost posting with metadata of its own (rare)
            for posting in kosten.cost_postings(i):
                values += document_values(posting.meta)
        found = []
        for value in (dict.fromkeys(values) if len(values) > 1 else values):
            pad = resolver.resolve(value, entry.meta)
            kenmerk = lees(pad, cache) if pad else None
            if kenmerk is not None:
                found.append(kenmerk)
        return tuple(found)

    def plan_van(entry) -> str | None:
        return plan_per_entry.get(id(entry))

    result: list[Betaling] = []
    payable_entries = set()
    for p in view.payables:
        if p.status == "afgewezen":
            continue
        payable_entries.add(id(p.entry))
        result.append(Betaling(
            ledger=slug, soort=p.kind, datum=p.date, naam=p.declarant or p.payee, iban=p.iban,
            bedrag=p.amount, plan=plan_van(p.entry), link=p.link, ingevoerd_door=p.entered_by,
            goedgekeurd_door=p.approved_by, plek=_plek(p.entry.meta), bonnen=bonnen(p.entry),
            betaald_op=min((t.date for t in p.payments), default=None),
            iban_wijziging=bool(p.entry.meta.get("iban-wijziging")), vier_ogen_vanaf=drempel,
            omschrijving=p.narration))
    for entry, flow in zip(kosten.tx, kosten.flow):
        if flow >= 0 or id(entry) in payable_entries:
            continue
        meta = entry.meta
        result.append(Betaling(
            ledger=slug, soort="kosten", datum=entry.date, naam=entry.payee, iban=meta.get("iban"),
            bedrag=-flow, plan=plan_per_entry[id(entry)],
            link=min(entry.links) if entry.links else None,
            ingevoerd_door=meta.get("ingevoerd-door"), goedgekeurd_door=meta.get("goedgekeurd-door"),
            plek=_plek(meta), bonnen=bonnen(entry), betaald_op=entry.date,
            iban_wijziging=bool(meta.get("iban-wijziging")), vier_ogen_vanaf=drempel,
            omschrijving=entry.narration))
    return result


def kenmerken_van(slug: str, view: Any) -> LedgerKenmerken:
    header = view.header
    return LedgerKenmerken(slug, getattr(header, "iban", None), getattr(header, "beheerder", None))


# --- marking a signal "gezien" ------------------------------------------------------------------

GEZIEN = "signaal-gezien"


def gezien_van(slug: str, entries: Iterable[Any]) -> list[Gezien]:
    """The `custom "signaal-gezien" "<id>"` directives of one loaded ledger (one without a reason is none)."""
    from beancount.core import data

    found = []
    for e in entries:
        if not isinstance(e, data.Custom) or e.type != GEZIEN or not e.values:
            continue
        sid, reden, door = e.values[0].value, e.meta.get("reden"), e.meta.get("door")
        if isinstance(sid, str) and isinstance(reden, str) and reden.strip() and isinstance(door, str):
            found.append(Gezien(sid, door, reden.strip(), slug, e.date, _plek(e.meta)))
    return found


def met_gezien(signalen: Iterable[Signaal], markeringen: Iterable[Gezien]) -> list[Signaal]:
    """Each signal with the marks of its ID. A mark counts only from a ledger the signal involves
    (a ledger cannot dismiss another's signal) and not by someone it concerns (a hand-edited mark)."""
    per_id: dict[str, list[Gezien]] = defaultdict(list)
    for g in markeringen:
        per_id[g.id].append(g)
    result = []
    for s in signalen:
        geldig = tuple(sorted((g for g in per_id.get(s.id, ()) if g.ledger in s.ledgers
                               and naam_sleutel(g.door) not in s.betrokkenen),
                              key=lambda g: (g.datum, g.ledger, g.plek)))
        result.append(replace(s, gezien=geldig) if geldig else s)
    return result


def markeer_bezwaar(signaal: Signaal, slug: str, door: str) -> str | None:
    """Why `door` may not mark this signal gezien in ledger `slug` (Dutch), or None when they may."""
    if slug not in signaal.ledgers:
        return (f"signaal {signaal.id} gaat niet over deze ledger ({slug}) maar over "
                f"{', '.join(signaal.ledgers)}; markeer het daar")
    if naam_sleutel(door) in signaal.betrokkenen:
        return (f"{door} komt voor in de boekingen van signaal {signaal.id} (als declarant, begunstigde, "
                "invoerder of goedkeurder) en mag het daarom niet als gezien markeren; vraag iemand anders")
    return None


def gezien_entry(datum: datetime.date, sid: str, reden: str, door: str):
    """The directive that records a mark (text by `ledger.buurtbudget.tekst`, the one serializer)."""
    from ledger.buurtbudget import tekst

    return tekst.custom(datum, GEZIEN, [tekst.custom_waarde(sid)],
                        tekst.meta_van([("reden", reden), ("door", door)]))


def gezien_bezwaar(signaal: Signaal, slug: str, namen: str | tuple[str, ...]) -> str | None:
    """Why this person (one name, or the names of one person: full name and login) may not mark this
    signal gezien in ledger `slug` (Dutch), or None. The one check of the CLI and the web form."""
    namen = (namen,) if isinstance(namen, str) else namen
    for naam in namen:
        bezwaar = markeer_bezwaar(signaal, slug, naam)
        if bezwaar:
            return bezwaar
    sleutels = {naam_sleutel(n) for n in namen} - {""}
    if any(naam_sleutel(g.door) in sleutels for g in signaal.gezien):
        return f"signaal {signaal.id} is al als gezien gemarkeerd door {namen[0]}"
    return None
