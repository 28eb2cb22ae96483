"""What a change changes: the entries it adds or alters, and whether it touches a settled period.

Entries are compared by what is written (date, payee, narration, links,
postings, flag, tags, metadata), never by where (file, line): an edit further
up moves every line below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount.core import data

from ledger.buurtbudget.accounts import Accounts
from ledger.evaluatie.bronnen import Bronnen
from ledger.schrijver.oordeel import entry_identiteit, meer_in

def volle_identiteit(entry: Any) -> tuple:
    """An entry as written, without where it is: an approval (flag, metadata) changes it."""
    meta = tuple(sorted((k, str(v)) for k, v in (entry.meta or {}).items() if k not in ("filename", "lineno")))
    extra = ()
    if isinstance(entry, data.Transaction):
        extra = (entry.flag, tuple(sorted(entry.tags or ())),
                 tuple(tuple(sorted((k, str(v)) for k, v in (p.meta or {}).items()
                                    if k not in ("filename", "lineno"))) for p in entry.postings))
    return (type(entry).__name__, entry_identiteit(entry), meta, extra)


def verschil(voor: list, na: list) -> list:
    """The entries of `na` that `voor` lacks, as a multiset of full identities."""
    return meer_in(voor, na, volle_identiteit)


def _gebied(oud: str, nieuw: str) -> tuple[int, int, int]:
    """The lines that differ: (lines in the common start, end of the changed part in `oud`, in `nieuw`)."""
    a, b = oud.split("\n"), nieuw.split("\n")
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return start, len(a) - end, len(b) - end


def _in_gebied(entries: list, bestand: Path, van: int, tot: int) -> list:
    """The entries of `bestand` whose lines (header to the next entry) touch lines van+1..tot."""
    naam = str(bestand)
    eigen = sorted((e for e in entries if e.meta.get("filename") == naam and isinstance(e.meta.get("lineno"), int)),
                   key=lambda e: e.meta["lineno"])
    gevonden = []
    for k, e in enumerate(eigen):
        begin = e.meta["lineno"]
        einde = eigen[k + 1].meta["lineno"] - 1 if k + 1 < len(eigen) else 10**9
        if begin <= max(tot, van + 1) and einde >= van + 1:
            gevonden.append(e)
    return gevonden


def nieuw_in_bestanden(voor: Bronnen, na: Bronnen, inhoud: dict[Path, bytes]) -> list:
    """The entries the change adds or changes.

    Candidates are the entries of a changed file whose lines touch its changed
    lines (one unchanged line either side included); each is looked for among
    the entries of that file before (same type and date first, so only a few
    are compared in full). A candidate found unchanged is not new.
    """
    erbij: list = []
    for bestand in inhoud:
        naam = next((n for n in na.bytes_ if Path(n).resolve() == bestand), bestand)
        oud = voor.bytes_.get(naam, b"").decode("utf-8", "surrogateescape")
        van, _, tot_nieuw = _gebied(oud, inhoud[bestand].decode("utf-8", "surrogateescape"))
        kandidaten = _in_gebied(na.entries, naam, max(van - 1, 0), tot_nieuw + 1)
        per_dag: dict[tuple, list] = {}
        for e in voor.entries:
            if e.meta.get("filename") == str(naam):
                per_dag.setdefault((type(e), getattr(e, "date", None)), []).append(e)
        per_soort_en_dag: dict[tuple, list] = {}
        for e in kandidaten:
            per_soort_en_dag.setdefault((type(e), getattr(e, "date", None)), []).append(e)
        nieuw = {id(e) for sleutel, groep in per_soort_en_dag.items()
                 for e in meer_in(per_dag.get(sleutel, ()), groep, volle_identiteit)}
        erbij.extend(e for e in kandidaten if id(e) in nieuw)  # in the file's order
    return erbij


@dataclass(frozen=True)
class GeslotenPeriode:
    """The writer's own refusal: a change to a period that was settled (`afsluiten`)."""

    source: dict
    message: str
    entry: Any
    code: str = "BB-AFGESLOTEN"


def _afsluiting(entries: list, options_map: dict) -> Any:
    """The settlement booked by `afsluiten` (a posting on the repayment account), or None."""
    terug = Accounts.from_options(options_map).terugbetaling
    for e in entries:
        if type(e) is data.Transaction and any(p.account == terug for p in e.postings):
            return e
    return None


def gesloten_fouten(voor: Bronnen, na: Bronnen) -> list:
    settlement = _afsluiting(voor.entries, voor.options_map)
    if settlement is None:
        return []
    oud = [e for e in voor.entries if e.date <= settlement.date]
    nieuw = [e for e in na.entries if e.date <= settlement.date]
    erbij, weg = verschil(oud, nieuw), verschil(nieuw, oud)
    where = f"{settlement.meta.get('filename')}:{settlement.meta.get('lineno')}"
    fouten = []
    for e, wat in [(e, "toegevoegd of gewijzigd") for e in erbij] + [(e, "verwijderd of gewijzigd") for e in weg]:
        fouten.append(GeslotenPeriode(
            {"filename": e.meta.get("filename", "<onbekend>"), "lineno": e.meta.get("lineno", 0)},
            f"BB-AFGESLOTEN de periode tot en met {settlement.date.isoformat()} is afgesloten ({where}); "
            f"deze wijziging heeft een {type(e).__name__.lower()} van {e.date.isoformat()} {wat}",
            e))
    return fouten


def te_forceren(fout: Any) -> bool:
    """A rule's violation or the closed period: `toch` may force these, never beancount's own errors
    nor one marked `definitief` (a change to the costs of a decided period)."""
    if getattr(fout, "definitief", False):
        return False
    return isinstance(fout, GeslotenPeriode) or str(getattr(fout, "code", None) or "").startswith("BB-")
