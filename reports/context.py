"""From a ledger to the values its statement shows.

Every figure and every verdict comes from the ledger's one evaluation
(`rules.checking.check_ledger`: the view and the rules, up to `--tot`); nothing
here builds a view or sums postings. What
this module adds is arrangement: the statement date, the sources and their
hashes, the verdict of every rule with its violations' dates and lines, the
accountability tier and the annex grouped per plan (the subtotals are the
view's plan costs, support costs and other costs).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import rules
from ledger.schrijver.toch import Overschrijving, overschrijvingen
from ledger.schrijver.kaderwijziging import KaderWijziging, kaderwijzigingen
from ledger.evaluatie.signalen import Signaal
from ledger.evaluatie.vaststelling import Vaststellingen, terug_te_betalen, vaststellingen
from ledger.evaluatie.view import Buurtbudget, CostLine
from reports.labels import labels_for
from reports.receipts import Receipts, collect_receipts
from reports.sources import combined_sha256
from reports.sources import SourceFile, Sources, statement_sources
from reports.tier import Tier, accountability_tier
from rules.checking import Problem, RuleVerdict, Violation, check_ledger, rule_verdicts


@dataclass(frozen=True, slots=True)
class AnnexGroup:
    """A block of the annex: the bookings of one plan (or support, other, foreign) and its subtotal."""

    key: str
    title: str
    account: str | None
    lines: tuple[CostLine, ...]
    subtotal: Decimal | None  # the view's figure; None for costs in another currency


@dataclass(frozen=True)
class Statement:
    view: Buurtbudget
    statement_date: datetime.date
    taal: str
    ledger_path: Path
    sources: Sources
    verdicts: tuple[RuleVerdict, ...]
    other_problems: tuple[Violation, ...]
    tier: Tier
    annex: tuple[AnnexGroup, ...]
    receipts: Receipts = Receipts()
    vaststellingen: Vaststellingen = Vaststellingen()
    tot: datetime.date | None = None  # as asked (`--tot`); None: up to the last entry
    overschrijvingen: tuple[Overschrijving, ...] = ()  # every booking written anyway (`--toch`), with its reason

    @property
    def na_afsluiting(self) -> Decimal | None:
        """What the booked settlement and the unspent part now differ by (bookings after the settlement,
        written anyway); None when there is no settlement or no difference."""
        v = self.view
        if not v.settled or not v.period_ended or v.settled == v.unspent:
            return None
        return v.settled - v.unspent
    kaderwijzigingen: tuple[KaderWijziging, ...] = ()  # the kader changed after the ledger was made, and why
    # The signals about this ledger, computed across its workspace, places relative to the workspace.
    signalen: tuple[Signaal, ...] = ()
    signalen_fout: str | None = None  # why the signals could not be computed

    @property
    def labels(self) -> Mapping[str, str]:
        return labels_for(self.taal)

    @property
    def embedded(self) -> tuple[SourceFile, ...]:
        """Every file inside the PDF besides its manifest: the sources, then the receipts (when embedded)."""
        receipts = self.receipts.files if self.receipts.embedded else ()
        return tuple(sorted(self.sources.files + receipts, key=lambda f: f.name))

    @property
    def combined(self) -> str:
        """One SHA-256 over every embedded source and receipt (`sha256sum` lines sorted by name)."""
        return combined_sha256(self.embedded)

    @property
    def failed_codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.verdicts if not v.passed)

    @property
    def vastgesteld(self):
        """The latest decision (Vaststelling) or None."""
        return self.vaststellingen.latest

    @property
    def to_repay(self) -> Decimal | None:
        """What goes back to the city: received − vastgesteld once decided, else the view's unspent
        part after the period; None while the period runs (nothing to say yet)."""
        if self.vastgesteld is not None:
            return terug_te_betalen(self.view.received, self.vastgesteld.bedrag)
        if self.view.period_ended:
            return self.view.to_repay
        return None

    @property
    def violation_count(self) -> int:
        return sum(len(v.violations) for v in self.verdicts)

    @property
    def title(self) -> str:
        return f"{self.labels['statement']}: {self.view.title}"

    @property
    def author(self) -> str:
        header = self.view.header
        if header is None:
            return self.view.title
        return header.beheerder or f"{self.labels['stadsdeel']} {header.stadsdeel}"

    @property
    def subject(self) -> str:
        header = self.view.header
        where = f"{header.buurt}, {header.stadsdeel}, {header.begin.isoformat()} – {header.einde.isoformat()}" if header else self.view.title
        return f"{self.labels['statement']} {where}; {self.labels['statement-date'].lower()} {self.statement_date.isoformat()}"

    @property
    def keywords(self) -> list[str]:
        header = self.view.header
        words = ["buurtbudget", self.view.slug]
        if header:
            words += [header.stadsdeel, header.buurt]
        return words


class StatementError(Fout, ValueError):
    """A ledger no statement can be made of (e.g. it holds no entries at all)."""


def last_entry_date(entries: Iterable[Any]) -> datetime.date | None:
    return max((e.date for e in entries), default=None)


def _relative(filename: str, base: Path) -> str:
    if not filename or filename.startswith("<"):
        return filename or "<onbekend>"
    try:
        return Path(os.path.relpath(Path(filename).resolve(), base)).as_posix()
    except ValueError:  # another drive
        return filename


def _dates_by_line(entries: Iterable[Any]) -> dict[tuple[str, int], datetime.date]:
    index: dict[tuple[str, int], datetime.date] = {}
    resolved: dict[str, str] = {}
    for entry in entries:
        meta = entry.meta or {}
        filename, lineno = meta.get("filename"), meta.get("lineno")
        if filename and lineno:
            if filename not in resolved:
                resolved[filename] = filename if str(filename).startswith("<") else str(Path(filename).resolve())
            index.setdefault((resolved[filename], int(lineno)), entry.date)
    return index


def _violation(problem: Problem, base: Path, dates: Mapping[tuple[str, int], datetime.date]) -> Violation:
    key_file = problem.filename if problem.filename.startswith("<") else str(Path(problem.filename).resolve())
    location = _relative(problem.filename, base)
    if problem.lineno:
        location += f":{problem.lineno}"
    return Violation(problem.code, problem.message, problem.filename, problem.lineno, location,
                     dates.get((key_file, problem.lineno)))


def annex_groups(view: Buurtbudget, labels: Mapping[str, str]) -> tuple[AnnexGroup, ...]:
    """Every cost line once: per plan, then support, other costs and costs in another currency."""
    groups = [
        AnnexGroup(plan.account, plan.titel, plan.account, plan.lines, plan.costs)
        for plan in view.plans
    ]
    if view.support_lines:
        groups.append(AnnexGroup("ondersteuning", labels["support"], view.accounts.ondersteuning,
                                 view.support_lines, view.support_costs))
    foreign_ids = {id(line) for line in view.foreign_lines}
    other = tuple(l for l in view.cost_lines if l.kind == "overig" and id(l) not in foreign_ids)
    if other:
        groups.append(AnnexGroup("overig", labels["other"], None, other, view.other_costs))
    if view.foreign_lines:
        groups.append(AnnexGroup("valuta", labels["foreign"], None, view.foreign_lines, None))
    return tuple(groups)


def statement_signals(path: Path, tot: datetime.date | None = None, geladen=None,
                      ) -> tuple[tuple[Signaal, ...], str | None]:
    """The signals of the ledger at `path` across its workspace, each place relative to the workspace
    (the same books elsewhere give the same text); or why they could not be computed.

    `geladen`: the ledger as the statement loaded it, so it is not loaded a second time."""
    from dataclasses import replace

    from buurtbudget_admin import signalering
    from buurtbudget_admin.errors import UserError
    from ledger.evaluatie.loading import LedgerReadError

    try:
        gevonden, _ = signalering.van_ledger(path, tot, geladen)
    except (UserError, LedgerReadError) as exc:
        return (), str(exc)
    root = Path(path).resolve().parent.parent
    return tuple(replace(s, plekken=tuple(_relative_place(p, root) for p in s.plekken)) for s in gevonden), None


def _relative_place(plek: str, root: Path) -> str:
    bestand, _, regel = plek.rpartition(":")
    try:
        return f"{Path(bestand).relative_to(root).as_posix()}:{regel}"
    except ValueError:
        return plek


def build_statement(path: str | os.PathLike, *, tot: datetime.date | None = None, taal: str = "nl",
                    bonnen: bool = True, signalen: Sequence[Signaal] | None = None,
                    signalen_fout: str | None = None) -> Statement:
    """Load and check a ledger and arrange what its statement shows. No clock is read.

    `bonnen=False` makes the light version: the receipts are named, not read or embedded.
    `signalen`: the ledger's signals when the caller computed them (the overview, once for a
    whole workspace, or verifieer from the statement's manifest) and `signalen_fout` why they
    could not be; None computes them here, across the ledger's workspace.
    """
    labels = labels_for(taal)
    loaded, problems = check_ledger(path, tot=tot, peildatum=tot)
    statement_date = tot or last_entry_date(loaded.entries)
    if statement_date is None:
        raise StatementError(f"{loaded.path}: de ledger bevat nog geen enkele boeking of directive")
    # The statement is judged on its own date (the last entry's, or --tot), never on today's.
    view = loaded.view.op(statement_date)
    base = loaded.path.parent
    dates = _dates_by_line(loaded.entries)
    rule_codes = {rule.CODE for rule in rules.ALL_RULES}
    verdicts = rule_verdicts([_violation(p, base, dates) for p in problems if p.code in rule_codes])
    others = tuple(_violation(p, base, dates) for p in problems if p.code not in rule_codes)
    sources = statement_sources(loaded.path, loaded.source_files, loaded.options_map)
    receipts = collect_receipts(loaded.entries, loaded.options_map, loaded.path, statement_date, embed=bonnen,
                                exclude=[f.path for f in sources.files])
    return Statement(
        view=view,
        statement_date=statement_date,
        taal=taal,
        ledger_path=loaded.path,
        sources=sources,
        verdicts=verdicts,
        other_problems=others,
        tier=accountability_tier(view.award),
        annex=annex_groups(view, labels),
        receipts=receipts,
        vaststellingen=vaststellingen(loaded.entries, statement_date),
        tot=tot,
        overschrijvingen=tuple(o for o in overschrijvingen(loaded.entries) if o.datum <= statement_date),
        kaderwijzigingen=kaderwijzigingen(loaded.view.header_entry),
        **_signal_fields(loaded, signalen, signalen_fout, tot),
    )


def _signal_fields(loaded, signalen: Sequence[Signaal] | None, fout: str | None,
                   tot: datetime.date | None) -> dict[str, Any]:
    if signalen is not None:
        return {"signalen": tuple(signalen), "signalen_fout": fout}
    found, fout = statement_signals(loaded.path, tot, loaded)
    return {"signalen": found, "signalen_fout": fout}
