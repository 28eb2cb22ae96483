"""Four eyes in one place: how names compare, and whether a claim or invoice may be paid.

**Names** are compared as people read them, not as they were typed
(`naam_sleutel`): Unicode-normalised (NFKC), invisible characters removed
(format characters such as U+200B, U+2060, U+00AD, U+180E, and the other
default-ignorable code points), white space collapsed, case folded, and
look-alike letters mapped to one skeleton (Unicode TR39 confusables, from the
`confusable-homoglyphs` tables). `"Henk  Bakker"`, `"henk bakker"`,
`"Henk\\u00a0Bakker"`, Cyrillic `"Неnk Bakker"` and `"Hen\\u00adk Bakker"` are
one person; so are `"Fatıma"` and `"Fatima"`. Spaces do not tell two people
apart either (`"Henk\\u200bBakker"` is Henk Bakker).

**Whether a payable may be paid** is `beoordeel`, the one predicate that
BB-VIER-OGEN (`rules/vier_ogen.py`), the view's `Payable.status` and
`Payable.approved` (so `betaal`, the importers' matching, the extension, the
landing page and the reports) all read:

- a claim needs flag `*` and `goedgekeurd-door:` naming a second person:
  neither its declarant nor who entered it (`ingevoerd-door:`);
- an invoice likewise, except that below `vier-ogen-vanaf` flag `*` suffices
  (as a direct bank payment below the threshold needs no approval);
- an approval that carries a seal (`goedkeuring-sha256:`, written by
  `buurtbudget declaratie goedkeuren`) counts only while the sealed content is
  unchanged (`zegel`); an approval without a seal (older or hand-written
  ledgers) counts as before, as the ledger contract says;
- a link belongs to one payable: two claims or invoices under one link are
  never paid.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import functools
import hashlib
import json
import os
import re
import unicodedata
from decimal import Decimal
from typing import Any, Callable, Iterable, NamedTuple, Sequence

GOEDKEURDER = "goedgekeurd-door"
ZEGEL = "goedkeuring-sha256"
ZEGEL_VERSIE = 1

_WHITE = re.compile(r"\s+")

# Default-ignorable code points that are not format characters (category Cf is removed as a
# whole): combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian free
# variation selectors, variation selectors. They show nothing, so a name is the same without them.
_IGNORABLE = frozenset([
    0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0,
    *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0),
])
_BLANK = frozenset([0x2800])  # BRAILLE PATTERN BLANK: looks like a space, so it is one


class NaamFout(Fout, ValueError):
    """A name, reason or identity that shows nothing (Dutch message)."""


def _onzichtbaar(c: str) -> bool:
    o = ord(c)
    if o in _IGNORABLE:
        return True
    cat = unicodedata.category(c)
    # Format characters (U+200B, U+2060, U+00AD, U+180E, U+FEFF, bidi marks, tags) and control
    # characters other than white space (which is collapsed, not removed).
    return cat == "Cf" or (cat == "Cc" and not c.isspace()) or cat == "Cn" and 0xE0000 <= o <= 0xE0FFF


def zichtbaar(tekst: object) -> str:
    """The text as people see it: invisible characters removed, white space collapsed and trimmed."""
    if tekst is None:
        return ""
    tekst = unicodedata.normalize("NFKC", tekst if type(tekst) is str else str(tekst))
    if not tekst.isascii():
        tekst = "".join(" " if ord(c) in _BLANK else c for c in tekst if not _onzichtbaar(c))
    elif not tekst.isprintable():
        tekst = "".join(c for c in tekst if not _onzichtbaar(c))
    return _WHITE.sub(" ", tekst).strip()


def vereis_zichtbaar(tekst: object, wat: str) -> str:
    """`tekst` with its invisible characters removed, or NaamFout when nothing is left.

    For every name, reason or identity a person gives (`--door`, `BUURTBUDGET_GEBRUIKER`,
    `--reden`, `--goedgekeurd-door`): an invisible git author or an empty reason is no one's.
    """
    gezien = zichtbaar(tekst)
    if not gezien:
        raise NaamFout(f"{wat} is leeg of bestaat alleen uit onzichtbare tekens; geef een leesbare tekst")
    return gezien


# --------------------------------------------------------------------------- skeletons (TR39)


@functools.lru_cache(maxsize=1)
def _skelet_tabel() -> dict[int, str]:
    """Each character that looks like another, to that one's skeleton, as `str.translate` takes it.

    Made once per process, when the first name with such a character is keyed. The package's
    table holds the pairs of Unicode's confusables.txt in both directions: a source (a
    character mapped to its prototype) has exactly one entry; a prototype has one per source.
    A pair that only knows each other is one class either way (the smaller code point stands
    for it). Case is folded here too, per character: a capital that looks like a Latin capital
    (Cyrillic Н) becomes that Latin letter's small form, the rest are folded first.
    """
    from confusable_homoglyphs.confusables import confusables_data as paren

    def schoon(tekst: str) -> str:
        return tekst.replace("\u200e", "").replace("\u200f", "")

    proto: dict[str, str] = {}
    for bron, doelen in paren.items():
        bron = schoon(bron)
        if len(bron) != 1 or len(doelen) != 1:
            continue
        doel = schoon(doelen[0]["c"])
        if not doel or doel == bron:
            continue
        terug = paren.get(doelen[0]["c"]) or paren.get(doel) or ()
        if len(doel) == 1 and len(terug) == 1 and schoon(terug[0]["c"]) == bron and bron < doel:
            continue  # a pair that only knows each other: the larger one maps to the smaller
        proto[bron] = doel

    def p(tekst: str) -> str:
        return "".join(proto.get(c, c) for c in tekst)

    def ascii_vouw(tekst: str) -> str:
        # Folded case and look-alikes meet in one Latin class: capital I is l's look-alike and i's
        # capital, so i, l, 1 and | are one letter for a name.
        return tekst.replace("l", "i")

    tabel: dict[int, str] = {}
    tekens = set(proto) | {c.upper() for c in proto if len(c.upper()) == 1} | {"l", "L"}
    for c in tekens:
        eerst_vouwen = p(p(c.casefold()).casefold())
        eerst_skelet = p(p(c).casefold())
        gekozen = eerst_skelet if (not eerst_vouwen.isascii() and eerst_skelet.isascii()) else eerst_vouwen
        gekozen = ascii_vouw(unicodedata.normalize("NFC", gekozen))
        if gekozen != c:
            tabel[ord(c)] = gekozen
    return tabel


# The part of `_skelet_tabel` that an ASCII name (case folded) meets, so that such a name is keyed
# without loading Unicode's tables (most names, and the plugin's hot path). A test keeps it equal
# to the table made from the package.
_ASCII_TABEL = {ord("\""): "''", ord("%"): "º/₀", ord("0"): "o", ord("1"): "i", ord("`"): "'", ord("l"): "i",
                ord("m"): "rn", ord("|"): "i"}


def naam_sleutel(naam: object) -> str:
    """The form in which two names are compared (see the module's docstring); "" for no name."""
    if naam is None:
        return ""
    return _sleutel(naam if type(naam) is str else str(naam))


@functools.lru_cache(maxsize=4096)
def _sleutel(tekst: str) -> str:
    # A ledger names the same few people thousands of times: each spelling is keyed once.
    gezien = zichtbaar(tekst)
    if not gezien:
        return ""
    if gezien.isascii():
        vorm = gezien.casefold().translate(_ASCII_TABEL)
    else:
        vorm = unicodedata.normalize("NFD", gezien).translate(_skelet_tabel()).casefold()
    return _WHITE.sub(" ", unicodedata.normalize("NFKC", vorm)).strip()


@functools.lru_cache(maxsize=4096)
def _persoon(naam: object) -> str:
    """Who a name is: its key without spaces ("Henk\u200bBakker" is Henk Bakker). Cached: the hot path."""
    return naam_sleutel(naam).replace(" ", "")


def persoon_sleutel(naam: object) -> str:
    """Who a name is, as people read it with its spaces aside: the key `zelfde_persoon` compares
    ('Henk\u200bBakker' and 'Henk Bakker' are one person). '' for no name."""
    if naam is None:
        return ""
    try:
        return _persoon(naam)
    except TypeError:  # an unhashable value in the metadata: keyed by its text
        return _persoon(str(naam))


def zelfde_persoon(a: object, b: object) -> bool:
    """Both names given and, compared as names (spaces aside), equal."""
    ka = persoon_sleutel(a)
    return bool(ka) and ka == persoon_sleutel(b)


def goedkeuring(goedkeurder: object, *, declarant: object = None, ingevoerd_door: object = None
                ) -> tuple[bool, str | None]:
    """Whether anyone approved, and whether that was the declarant (`"declarant"`) or who entered
    the item (`"invoerder"`); None when a second person approved. Each name keyed once."""
    sleutel = persoon_sleutel(goedkeurder)
    if not sleutel:
        return False, None
    if sleutel == persoon_sleutel(declarant):
        return True, "declarant"
    if sleutel == persoon_sleutel(ingevoerd_door):
        return True, "invoerder"
    return True, None


def mag_goedkeuren(goedkeurder: object, *, ingevoerd_door: object, declarant: object = None) -> bool:
    """A second person: a name, and neither who entered the item nor its declarant.

    `goedkeurder` may be a tuple of the names of one person (a login and its full name, as
    gebruikers.toml gives them): a second person only under every one of them, so the login
    `henk` is not a second person for a claim Henk Bakker entered, nor the reverse.
    """
    if isinstance(goedkeurder, tuple):
        namen = [n for n in goedkeurder if persoon_sleutel(n)]
        return bool(namen) and all(mag_goedkeuren(n, ingevoerd_door=ingevoerd_door, declarant=declarant)
                                   for n in namen)
    return goedkeuring(goedkeurder, declarant=declarant, ingevoerd_door=ingevoerd_door) == (True, None)


# --------------------------------------------------------------------------- the seal of an approval


def _bedrag(number: Any) -> str:
    """`64.20` and `64.2` are one amount: the plain decimal without trailing zeros."""
    if not isinstance(number, Decimal):
        return ""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def zegel_inhoud(entry: Any, bonnen: Sequence[str], goedkeurder: object = None) -> str:
    """The canonical text an approval seals (version 1), documented in docs/ledger-conventions.md (the contract).

    A JSON object with sorted keys, no spaces, UTF-8: `versie`, the approver, the payee, the
    declarant, the IBAN (spaces out, capitals), every posting as [account, amount, currency]
    (sorted; the accounts carry plan and category, the amounts the total) and the SHA-256 of
    each receipt the entry names (sorted). `bonnen` comes from the caller, who read the files.
    """
    meta = entry.meta or {}
    if goedkeurder is None:
        goedkeurder = meta.get(GOEDKEURDER)
    iban = meta.get("iban")
    postings = sorted(
        [p.account, _bedrag(p.units.number) if p.units is not None else "",
         (p.units.currency or "") if p.units is not None else ""]
        for p in entry.postings
    )
    inhoud = {
        "versie": ZEGEL_VERSIE,
        "goedgekeurd-door": "" if goedkeurder is None else str(goedkeurder),
        "begunstigde": entry.payee or "",
        "declarant": "" if meta.get("declarant") is None else str(meta.get("declarant")),
        "iban": "" if iban is None else re.sub(r"\s+", "", str(iban)).upper(),
        "boekingen": postings,
        "bonnen": sorted(bonnen),
    }
    return json.dumps(inhoud, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def zegel(entry: Any, bonnen: Sequence[str], goedkeurder: object = None) -> str:
    """The seal of an approval: SHA-256 (hex) of `zegel_inhoud`."""
    return hashlib.sha256(zegel_inhoud(entry, bonnen, goedkeurder).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- may this be paid


class Oordeel(NamedTuple):
    """The four-eyes verdict on one claim or invoice: what every reader of its state reads."""

    betaalbaar: bool  # approved by a second person, its sealed content unchanged, its link its own
    fouten: tuple[str, ...]  # what is wrong with its approval or its link (Dutch, after "declaratie ^x ")
    goedgekeurd: bool = False  # approved at all (flag `*`, an approver where one is needed), faults aside
    gedeeld_met: tuple[Any, ...] = ()  # the other claims or invoices under one of its links

    @property
    def reden(self) -> str | None:
        """Why it is not paid although it may look approved: the first fault, if any."""
        return self.fouten[0] if self.fouten else None


def beoordeel(entry: Any, *, factuur: bool, bedrag: Decimal, drempel: Decimal,
              gedeeld_met: Sequence[Any] = (), bonnen: Callable[[Any], Sequence[str]] | None = None) -> Oordeel:
    """May this claim (`factuur=False`) or invoice be paid? The one predicate; see the module docstring.

    `gedeeld_met`: the other payables under one of its links. `bonnen(entry)` gives the
    SHA-256 of its receipts; it is asked only when the approval carries a seal.
    """
    meta = entry.meta
    goedkeurder = meta.get(GOEDKEURDER)
    heeft, fout = goedkeuring(goedkeurder, declarant=meta.get("declarant"), ingevoerd_door=meta.get("ingevoerd-door"))
    if fout is None and not gedeeld_met and (not heeft or ZEGEL not in meta):  # the common case: nothing wrong
        if entry.flag != "!" and (heeft or (factuur and bedrag < drempel)):
            return _BETAALBAAR
        return _WACHT
    fouten: list[str] = []
    if fout == "declarant":
        fouten.append(f"is goedgekeurd door de declarant zelf ({goedkeurder})")
    elif fout == "invoerder":
        fouten.append(f"is goedgekeurd door wie hem invoerde ({goedkeurder})")
    if heeft and ZEGEL in meta:
        verwacht = zegel(entry, bonnen(entry) if bonnen is not None else ())
        if str(meta[ZEGEL]).strip().lower() != verwacht:
            fouten.append(f"is gewijzigd na goedkeuring door {goedkeurder}: bedrag, IBAN, declarant, begunstigde, "
                          "plan, categorie of bon klopt niet meer met wat is goedgekeurd; laat een tweede persoon opnieuw "
                          "goedkeuren (buurtbudget declaratie goedkeuren)")
    if gedeeld_met:
        # By file name and line: the verdict is public (oordeel.json), the server's paths are not.
        waar = ", ".join(f"{os.path.basename(str(m.meta.get('filename')))}:{m.meta.get('lineno')}"
                         for m in gedeeld_met)
        fouten.append(f"deelt zijn link met een andere declaratie of factuur ({waar}); één link hoort bij één "
                      "betaling, geen van beide wordt betaald tot de links verschillen")
    nodig = not factuur or bedrag >= drempel
    goedgekeurd = entry.flag != "!" and (heeft or not nodig)
    return Oordeel(goedgekeurd and not fouten, tuple(fouten), goedgekeurd, tuple(gedeeld_met))


_BETAALBAAR = Oordeel(True, (), True, ())
_WACHT = Oordeel(False, (), False, ())


def gedeelde_links(payables: Iterable[tuple[Any, Any]]) -> dict[int, tuple[Any, ...]]:
    """id(entry) -> the other payable entries that share one of its links (only those that share).

    `payables` yields (entry, anything) pairs, an entry possibly twice (two liability postings).
    """
    entries = [entry for entry, _ in payables]
    eerste: dict[str, Any] = {}
    gedeeld: set[str] = set()
    for entry in entries:  # one look-up per link: a shared link is rare
        for link in entry.links or ():
            if eerste.setdefault(link, entry) is not entry:
                gedeeld.add(link)
    if not gedeeld:
        return {}
    per_link: dict[str, dict[int, Any]] = {link: {} for link in gedeeld}
    for entry in entries:
        for link in entry.links or ():
            if link in per_link:
                per_link[link][id(entry)] = entry
    result: dict[int, dict[int, Any]] = {}
    for sharing in per_link.values():
        for key in sharing:
            others = result.setdefault(key, {})
            others.update((k, e) for k, e in sharing.items() if k != key)
    # In the ledger's order, never in the order of a link set (hash order changes between runs).
    return {key: tuple(sorted(others.values(), key=_plek)) for key, others in result.items()}


def _plek(entry: Any) -> tuple:
    meta = entry.meta or {}
    return (str(meta.get("filename") or ""), meta.get("lineno") or 0)
