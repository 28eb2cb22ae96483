"""Does a statement still match the live books of its ledger, and what changed since it was made?

`buurtbudget verifieer` judges a statement against the books it carries. An
auditor who receives it by e-mail also wants to know whether those are still
the books of the buurtbudget: `vergelijk` compares the embedded sources with
the ledger's sources now (byte for byte, by SHA-256), the bookings in them
(added, changed, removed) and the figures of page 1 then and now.

The statement is hostile input: nothing in it is loaded with plugins here, its
sources are only parsed (beancount's parser) to count bookings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

# The figures of page 1 an auditor compares, in this order (keys of `reports.dossier.page_one`).
CIJFERS = (
    ("toekenning", "Toegekend"),
    ("ontvangen", "Ontvangen van de gemeente"),
    ("besteed", "Uitgegeven"),
    ("plannen", "Kosten van de plannen"),
    ("ondersteuning", "Ondersteuning"),
    ("resterend", "Nog te besteden"),
    ("terug", "Terug te betalen of nog te ontvangen"),
    ("vastgesteld", "Vastgesteld"),
    ("overtredingen", "Overtredingen van de regels"),
    ("fase", "Fase"),
)


@dataclass(frozen=True, slots=True)
class Cijfer:
    sleutel: str
    omschrijving: str
    dossier: str
    nu: str

    @property
    def gelijk(self) -> bool:
        return self.dossier == self.nu


@dataclass(frozen=True)
class Actueel:
    """The statement beside the live books of the ledger it names."""

    slug: str
    datum: str  # the statement's date (ISO), as its manifest says
    bronnen_gewijzigd: tuple[str, ...]  # source files changed, added or gone since (names in the ledger's folder)
    toegevoegd: int  # bookings (transactions) in the books now and not in the statement
    gewijzigd: int  # ... of the same date, payee and description, but different
    verwijderd: int  # ... in the statement and no longer in the books
    cijfers: tuple[Cijfer, ...]

    @property
    def gelijk(self) -> bool:
        return not self.bronnen_gewijzigd and all(c.gelijk for c in self.cijfers)


class NietTeVergelijken(Exception):
    """The statement cannot be compared with the live books (Dutch message)."""


def _booking_key(entry: Any) -> tuple:
    """What a booking says, without where it stands in the file (filename, line)."""
    def meta(m: Mapping[str, Any] | None) -> tuple:
        return tuple(sorted((k, str(v)) for k, v in (m or {}).items() if k not in ("filename", "lineno")))

    postings = tuple(sorted(
        (p.account, str(p.units), str(p.cost), str(p.price), p.flag or "", meta(p.meta)) for p in entry.postings))
    return (entry.date, entry.flag, entry.payee or "", entry.narration or "", tuple(sorted(entry.tags or ())),
            tuple(sorted(entry.links or ())), meta(entry.meta), postings)


def _bookings(sources: Mapping[str, bytes]) -> Counter:
    """Every transaction in these beancount sources (parsed only: no plugin, no include followed)."""
    from beancount.core.data import Transaction
    from beancount.parser import parser

    found: Counter = Counter()
    for name, content in sources.items():
        if not name.endswith(".beancount"):
            continue
        entries, _errors, _options = parser.parse_string(content.decode("utf-8", "replace"), report_filename=name)
        found.update(_booking_key(e) for e in entries if isinstance(e, Transaction))
    return found


def _changes(then: Counter, now: Counter) -> tuple[int, int, int]:
    """(added, changed, removed): a booking gone and one come with the same date, payee and description changed."""
    gone, come = then - now, now - then
    by_head = Counter(k[:4] for k in gone.elements())
    changed = 0
    for key in come.elements():
        if by_head[key[:4]] > 0:
            by_head[key[:4]] -= 1
            changed += 1
    return sum(come.values()) - changed, changed, sum(gone.values()) - changed


def vergelijk(manifest: Mapping[str, Any], files: Mapping[str, list[bytes]], ledger: Path) -> Actueel:
    """The statement (its manifest and embedded files, as `reports.verify.open_statement` reads them) beside
    the books of `ledger` now. Raises NietTeVergelijken when the live books cannot be read."""
    from ledger.evaluatie.loading import LedgerReadError
    from reports.context import StatementError, build_statement
    from reports.dossier import page_one

    try:
        # No signals: they look across the workspace and are no figure of page 1.
        statement = build_statement(ledger, signalen=(), signalen_fout=None)
    except (LedgerReadError, StatementError, ValueError, OSError) as exc:
        raise NietTeVergelijken(f"de huidige boeken van {ledger.parent.name} zijn niet te lezen: {exc}") from exc
    then = {str(f.get("naam")): str(f.get("sha256")) for f in manifest.get("bestanden") or []
            if isinstance(f, dict) and f.get("soort") == "bron"}
    now = {f.name: f.sha256 for f in statement.sources.files}
    changed = tuple(sorted(n for n in set(then) | set(now) if then.get(n) != now.get(n)))
    embedded = {n: files[n][0] for n in then if files.get(n)}
    added, altered, removed = _changes(_bookings(embedded), _bookings({f.name: f.content for f in statement.sources.files}))
    stated = manifest.get("cijfers") or {}
    live = {f.key: f.text for f in page_one(statement)}
    from ledger.buurtbudget.header import FASE_NAMEN

    def shown(key: str, text: str) -> str:  # a phase by its name, as every page shows it
        return FASE_NAMEN.get(text, text) if key == "fase" else text

    cijfers = tuple(Cijfer(key, label, shown(key, str(stated.get(key, ""))), shown(key, live.get(key, "")))
                    for key, label in CIJFERS if stated.get(key) or live.get(key))
    return Actueel(ledger.parent.name, str(manifest.get("datum") or ""), changed, added, altered, removed, cijfers)
