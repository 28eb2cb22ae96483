"""What a statement says about itself: the figures of page 1 and the list of its embedded files.

At render time the statement embeds a small JSON file (`MANIFEST_NAME`) with
the figures page 1 shows and the name, size and SHA-256 of every embedded
source and receipt. `buurtbudget verifieer` reads it back, recomputes every
hash and, from the embedded ledger, every figure, and compares all three:
the books, the manifest and the text of page 1.

The figures are language-independent text (`€ 1.234,56`, `3,5%`, ISO dates,
codes), so a statement in English is checked the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from ledger.buurtbudget.money import format_eur, format_fraction, format_percentage

MANIFEST_NAME = "verantwoording.json"
KIND = "buurtbudget-verantwoording"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of page 1: a stable key, and the text page 1 prints."""

    key: str
    text: str
    on_page: bool = True  # printed as such on page 1 (names and codes are, booleans are not)


def page_one(statement: Any) -> tuple[Figure, ...]:
    """The figures of page 1, in the order they are printed."""
    v = statement.view
    h = v.header
    figures = [
        Figure("datum", statement.statement_date.isoformat(), on_page=False),
        Figure("beheerder", (h.beheerder or "") if h else "", on_page=False),
        Figure("fase", v.fase, on_page=False),
        Figure("toekenning", format_eur(v.award)),
        Figure("ontvangen", format_eur(v.received)),
        Figure("besteed", format_eur(v.spent)),
        Figure("plannen", format_eur(v.plan_costs)),
        Figure("ondersteuning", format_eur(v.support_costs)),
        Figure("overig", format_eur(v.other_costs), on_page=bool(v.other_costs)),
        Figure("ondersteuning-pct", format_percentage(v.support_costs, v.award)),
        Figure("plafond-pct", format_fraction(v.kader.ondersteuning_max)),
        Figure("plafond", format_eur(v.ceiling)),
        Figure("binnen-plafond", "ja" if v.support_within_ceiling else "nee", on_page=False),
        Figure("resterend", format_eur(v.remaining)),
    ]
    repay = statement.to_repay
    figures.append(Figure("terug", format_eur(abs(repay)) if repay is not None else "", on_page=repay is not None))
    figures.append(Figure("terug-richting", "" if repay is None else ("terug" if repay >= 0 else "te-ontvangen"),
                          on_page=False))
    decided = statement.vastgesteld
    figures += [
        Figure("vastgesteld", format_eur(decided.bedrag) if decided else "", on_page=decided is not None),
        Figure("vastgesteld-op", decided.datum.isoformat() if decided else "", on_page=False),
        Figure("vastgesteld-door", decided.door if decided else "", on_page=decided is not None),
        Figure("vaststellingen", str(len(statement.vaststellingen.items)), on_page=False),
        Figure("niveau", str(statement.tier.number), on_page=False),
        Figure("overtredingen", str(statement.violation_count)),
        Figure("regels-niet-voldaan", " ".join(statement.failed_codes), on_page=False),
        Figure("bestanden", str(len(statement.embedded))),
        Figure("bonnen-ontbreken", str(len(statement.receipts.missing)), on_page=False),
        Figure("sha256-alles", statement.combined),
    ]
    return tuple(figures)


def manifest(statement: Any, weergave: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The manifest as a plain mapping (see `manifest_bytes`); `weergave` is `reports.weergave.Weergave.as_dict()`."""
    receipt_names = {f.name for f in statement.receipts.files}
    value = {
        "soort": KIND,
        "versie": VERSION,
        "ledger": _main_name(statement),
        # The ledger's folder: its name is the buurtbudget's slug (in the keywords); verifieer loads under it.
        "map": statement.ledger_path.resolve().parent.name,
        "tot": statement.tot.isoformat() if statement.tot else None,
        "datum": statement.statement_date.isoformat(),
        "taal": statement.taal,
        "bonnen-ingesloten": statement.receipts.embedded,
        "bestanden": [
            {"naam": f.name, "soort": "bon" if f.name in receipt_names else "bron", "bytes": f.size,
             "sha256": f.sha256}
            for f in statement.embedded
        ],
        # The light version names its receipts without embedding them: verifieer puts an empty
        # file in each place so the rules see the same books.
        "bonnen-niet-ingesloten": [] if statement.receipts.embedded else [f.name for f in statement.receipts.files],
        "sha256-alles": statement.combined,
        "cijfers": {f.key: f.text for f in page_one(statement)},
        # The signals look across the workspace, which is not embedded: verifieer takes them from here.
        "signalen": [x.as_dict() for x in getattr(statement, "signalen", ())],
        "signalen-fout": getattr(statement, "signalen_fout", None),
    }
    if weergave is not None:  # what else the bytes depend on: how strictly verifieer may compare them
        value["weergave"] = dict(weergave)
    return value


def _main_name(statement: Any) -> str:
    main = statement.ledger_path.resolve()
    for f in statement.sources.files:
        if f.path == main:
            return f.name
    return statement.ledger_path.name


def manifest_bytes(statement: Any, weergave: Mapping[str, str] | None = None) -> bytes:
    """Deterministic JSON (sorted keys, UTF-8): the same books give the same bytes."""
    return (json.dumps(manifest(statement, weergave), ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def read_manifest(content: bytes) -> Mapping[str, Any] | None:
    """The manifest, or None when these bytes are not one of ours."""
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or value.get("soort") != KIND:
        return None
    if not isinstance(value.get("bestanden"), list) or not isinstance(value.get("cijfers"), dict):
        return None
    return value
