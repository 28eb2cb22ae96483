"""Forcing a change (`--toch --reden`): the reason and who gave it, written on the entries it changes.

    2025-06-01 * "Bouwmarkt" "Nog meer tegels"
      toch-reden: "lekkage, spoed"
      toch-door: "Ria"
      ...

The violation stays in the ledger and in every check; the metadata says why
it was written anyway. An entry forced again gets `toch-reden-2:` (the first
reason stays).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ledger.buurtbudget import tekst


@dataclass(frozen=True, slots=True)
class Overschrijving:
    """One entry written anyway: its reason and who gave it, where it stands."""

    datum: datetime.date
    omschrijving: str  # payee — narration, or the directive's type
    reden: str
    door: str
    bestand: str
    regel: int


_TOCH_REDEN = re.compile(r"toch-reden(-\d+)?")


def overschrijvingen(entries: Iterable[Any]) -> tuple[Overschrijving, ...]:
    """Every reason written by `--toch` in these entries, in ledger order: the one list that `check`,
    the statement and the Fava extension show, so a forced booking never disappears from view."""
    found = []
    for e in entries:
        meta = e.meta
        if not meta:
            continue
        for key in meta:
            m = _TOCH_REDEN.fullmatch(key) if key[:10] == "toch-reden" else None
            if m is None:
                continue
            door = meta.get("toch-door" + (m.group(1) or ""))
            payee, narration = getattr(e, "payee", None), getattr(e, "narration", None)
            what = " — ".join(t for t in (payee, narration) if t) or getattr(e, "type", type(e).__name__)
            found.append(Overschrijving(e.date, str(what), str(meta[key]), str(door or "onbekend"),
                                        str(meta.get("filename", "")), int(meta.get("lineno") or 0)))
    return tuple(sorted(found, key=lambda o: (o.datum, o.bestand, o.regel)))


@dataclass(frozen=True)
class Toch:
    """Force a change that adds a rule violation (or touches a closed period), with the reason."""

    reden: str


def _een_regel(text: str) -> str:
    """The reason as one line: runs of whitespace (line breaks, tabs) become one space."""
    return " ".join(text.split())


def _regel(key: str, value: str) -> str:
    """One `  key: "value"` line under an entry's first line, quoted as every ledger text is (`ledger.buurtbudget.tekst`)."""
    return tekst.meta_line(key, value).rstrip("\n")


def _toch_sleutels(meta: dict) -> tuple[str, str]:
    """`toch-reden`/`toch-door`, or `-2`, `-3`... when the entry was forced before (that reason stays)."""
    n = 1
    while f"toch-reden{'' if n == 1 else f'-{n}'}" in meta:
        n += 1
    achter = "" if n == 1 else f"-{n}"
    return f"toch-reden{achter}", f"toch-door{achter}"


def markeer(inhoud: dict[Path, bytes], entries: list, toch: Toch, door: str) -> dict[Path, bytes]:
    """Add `toch-reden:` and `toch-door:` under the first line of each entry the change adds or changes."""
    per_file: dict[Path, dict[int, tuple[str, str]]] = {}
    for e in entries:
        naam = Path(str(e.meta.get("filename", ""))).resolve()
        if naam in inhoud and isinstance(e.meta.get("lineno"), int):
            per_file.setdefault(naam, {})[e.meta["lineno"]] = _toch_sleutels(e.meta)
    nieuw = dict(inhoud)
    for naam, regels_met_sleutels in per_file.items():
        lines = nieuw[naam].decode("utf-8", "surrogateescape").split("\n")
        for n in sorted(regels_met_sleutels, reverse=True):
            reden, wie = regels_met_sleutels[n]
            lines[n:n] = [_regel(reden, _een_regel(toch.reden)), _regel(wie, door)]
        nieuw[naam] = "\n".join(lines).encode("utf-8", "surrogateescape")
    return nieuw


def aantal_redenen(entries: list, bestanden: dict[Path, bytes]) -> int:
    namen = {str(n) for n in bestanden}
    return sum(1 for e in entries if str(Path(str(e.meta.get("filename", ""))).resolve()) in namen
               for k in e.meta if k.startswith("toch-reden"))
