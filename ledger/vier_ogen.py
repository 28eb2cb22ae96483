"""The four-eyes predicates: one place for the view, the rule and the writer.

Names are compared as people are, not as they were typed: Unicode-normalised
(NFKC, so a non-breaking space or a composed é is the same as its plain form),
case-folded, and with every run of white space collapsed to one space.
`"Henk  Bakker"`, `"henk bakker"` and `"Henk\u00a0Bakker"` are one person.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_WHITE = re.compile(r"\s+")


def naam_sleutel(naam: object) -> str:
    """The form in which two names are compared: NFKC, case-folded, white space collapsed."""
    if naam is None:
        return ""
    return _sleutel(naam if type(naam) is str else str(naam))


@functools.lru_cache(maxsize=4096)
def _sleutel(tekst: str) -> str:
    # A ledger names the same few people thousands of times: each spelling is normalised once.
    return _WHITE.sub(" ", unicodedata.normalize("NFKC", tekst)).strip().casefold()


def zelfde_persoon(a: object, b: object) -> bool:
    """Both names given and, compared as names, equal."""
    ka, kb = naam_sleutel(a), naam_sleutel(b)
    return bool(ka) and ka == kb


def goedkeuring(goedkeurder: object, *, declarant: object = None, ingevoerd_door: object = None
                ) -> tuple[bool, str | None]:
    """Whether anyone approved, and whether that was the declarant (`"declarant"`) or who entered
    the item (`"invoerder"`); None when a second person approved. Each name normalised once."""
    sleutel = naam_sleutel(goedkeurder)
    if not sleutel:
        return False, None
    if sleutel == naam_sleutel(declarant):
        return True, "declarant"
    if sleutel == naam_sleutel(ingevoerd_door):
        return True, "invoerder"
    return True, None


def mag_goedkeuren(goedkeurder: object, *, ingevoerd_door: object, declarant: object = None) -> bool:
    """A second person: a name, and neither who entered the item nor its declarant."""
    return goedkeuring(goedkeurder, declarant=declarant, ingevoerd_door=ingevoerd_door) == (True, None)
