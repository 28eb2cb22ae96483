"""One overview for all buurtbudgetten of a workspace (or of one stadsdeel in it).

Each ledger is loaded, checked and summarised in a worker process
(`concurrent.futures.ProcessPoolExecutor`, one worker per core by default);
the summary carries only the view's figures, the verdicts and the source files,
never the entries. The rows come back in the order of the folders, whatever
order the workers finish in, so the PDF is the same bytes for the same books.
"""

from __future__ import annotations

import datetime
import gc
import os
import posixpath
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

from ledger.evaluatie.loading import LedgerReadError
from ledger.buurtbudget.money import format_percentage
from ledger.evaluatie.signalen import Signaal
from reports.context import StatementError, _relative_place, build_statement
from rules.checking import Violation
from reports.labels import labels_for
from reports.sources import SourceFile

ZERO = Decimal("0")


@dataclass(frozen=True)
class OverviewRow:
    folder: str  # relative to the workspace: k-buurt-2025
    title: str
    stadsdeel: str | None
    buurt: str | None
    award: Decimal
    spent: Decimal
    support_costs: Decimal
    support_within_ceiling: bool
    to_repay: Decimal
    period_ended: bool
    statement_date: datetime.date | None
    violations: tuple[Violation, ...]
    sources: tuple[SourceFile, ...]
    combined_hash: str
    error: str | None = None  # the ledger could not be read at all
    signalen: tuple[Signaal, ...] = ()  # the signals about this budget, across the workspace

    def signalen_van(self, ernst: str) -> tuple[Signaal, ...]:
        return tuple(x for x in self.signalen if x.ernst == ernst)

    @property
    def support_pct(self) -> str:
        return format_percentage(self.support_costs, self.award)


@dataclass(frozen=True)
class Overview:
    workspace: Path
    stadsdeel: str | None
    taal: str
    statement_date: datetime.date
    rows: tuple[OverviewRow, ...]
    signalen_fout: str | None = None  # why the signals could not be computed

    @property
    def readable(self) -> tuple[OverviewRow, ...]:
        return tuple(r for r in self.rows if r.error is None)

    @property
    def total_award(self) -> Decimal:
        return sum((r.award for r in self.readable), ZERO)

    @property
    def total_spent(self) -> Decimal:
        return sum((r.spent for r in self.readable), ZERO)

    @property
    def total_support(self) -> Decimal:
        return sum((r.support_costs for r in self.readable), ZERO)

    @property
    def total_to_repay(self) -> Decimal:
        return sum((r.to_repay for r in self.readable), ZERO)

    @property
    def total_violations(self) -> int:
        return sum(len(r.violations) for r in self.rows)

    @property
    def sources(self) -> tuple[SourceFile, ...]:
        # A workspace's regels.toml is a source of every ledger: attached once.
        return tuple({f.name: f for r in self.rows for f in r.sources}.values())

    @property
    def stadsdelen(self) -> tuple[str, ...]:
        """The stadsdelen of the budgets, as their ledgers' headers spell them (the asked one, if any)."""
        found: dict[str, str] = {}
        for r in self.readable:
            if r.stadsdeel:
                found.setdefault(r.stadsdeel.casefold(), r.stadsdeel)
        if self.stadsdeel:
            return (found.get(self.stadsdeel.casefold(), self.stadsdeel),)
        return tuple(sorted(found.values(), key=str.casefold))

    @property
    def where(self) -> str:
        """`Stadsdeel Noord`, `Stadsdelen Noord, Zuid`: never the name of the folder on a server."""
        labels = labels_for(self.taal)
        names = self.stadsdelen
        if not names:
            return labels["stadsdeel"] + " –"
        return f"{labels['stadsdeel' if len(names) == 1 else 'stadsdelen']} {', '.join(names)}"

    @property
    def title(self) -> str:
        """`Overzicht buurtbudgetten: Stadsdeel Noord, 30 juni 2025`: by stadsdeel and date."""
        from reports.render import format_datum

        labels = labels_for(self.taal)
        return f"{labels['overview']}: {self.where}, {format_datum(self.statement_date, self.taal)}"


def find_ledgers(workspace: str | os.PathLike) -> list[Path]:
    """Every buurtbudget of a workspace: `<workspace>/<slug>/main.beancount`, sorted by folder."""
    root = Path(workspace)
    if not root.is_dir():
        raise LedgerReadError(root, "is geen map (verwacht een werkruimte met buurtbudget-mappen)")
    return sorted(p for p in root.glob("*/main.beancount") if p.is_file())


def summarize(path: str, workspace: str, tot: datetime.date | None, taal: str) -> OverviewRow:
    """One ledger's row (runs in a worker process)."""
    folder = Path(os.path.relpath(Path(path).parent, workspace)).as_posix()
    try:
        # The overview embeds no receipts; its signals are computed once for the workspace (`_signals`).
        statement = build_statement(path, tot=tot, taal=taal, bonnen=False, signalen=())
    except (LedgerReadError, StatementError) as exc:
        message = exc.message if isinstance(exc, LedgerReadError) else str(exc)
        where = f"{folder}/main.beancount" + (f":{exc.lineno}" if getattr(exc, "lineno", 0) else "")
        return OverviewRow(folder, folder, None, None, ZERO, ZERO, ZERO, True, ZERO, False, None, (), (), "",
                           error=f"{where}: {message}")
    view = statement.view
    header = view.header
    violations = tuple(x for verdict in statement.verdicts for x in verdict.violations) + statement.other_problems
    sources = tuple(replace(f, name=posixpath.normpath(f"{folder}/{f.name}")) for f in statement.sources.files)
    violations = tuple(replace(x, location=f"{folder}/{x.location}") for x in violations)
    return OverviewRow(
        folder=folder, title=view.title,
        stadsdeel=header.stadsdeel if header else None, buurt=header.buurt if header else None,
        award=view.award, spent=view.spent, support_costs=view.support_costs,
        support_within_ceiling=view.support_within_ceiling,
        to_repay=statement.to_repay if statement.to_repay is not None else view.to_repay,
        period_ended=view.period_ended, statement_date=statement.statement_date,
        violations=violations, sources=sources, combined_hash=statement.sources.combined,
    )


def _run(paths: Sequence[Path], workspace: Path, tot: datetime.date | None, taal: str, workers: int,
         advance: Callable[[], None]) -> list[OverviewRow]:
    args = [(str(p), str(workspace), tot, taal) for p in paths]
    if workers <= 1 or len(paths) <= 1:
        rows = []
        for a in args:
            rows.append(summarize(*a))
            advance()
        return rows
    results: dict[int, OverviewRow] = {}
    # Forked workers share the parent's memory until they write to it; keep the
    # collector from touching (and so copying) every inherited object.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(summarize, *a): i for i, a in enumerate(args)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                advance()
    finally:
        gc.unfreeze()
    return [results[i] for i in range(len(args))]


def build_overview(workspace: str | os.PathLike, *, stadsdeel: str | None = None, tot: datetime.date | None = None,
                   taal: str = "nl", workers: int | None = None, progress: bool | None = None) -> Overview:
    """Summarise every ledger of the workspace, in parallel; a rich progress bar on a terminal."""
    labels_for(taal)  # an unknown language fails before any work
    root = Path(workspace).resolve()
    paths = find_ledgers(root)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    show = sys.stdout.isatty() if progress is None else progress
    if show and paths:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("buurtbudgetten"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      transient=True) as bar:
            task = bar.add_task("", total=len(paths))
            rows = _run(paths, root, tot, taal, workers, lambda: bar.advance(task))
    else:
        rows = _run(paths, root, tot, taal, workers, lambda: None)
    if stadsdeel:
        wanted = stadsdeel.casefold()
        rows = [r for r in rows if r.error is not None or (r.stadsdeel or "").casefold() == wanted]
    dates = [r.statement_date for r in rows if r.statement_date]
    statement_date = tot or (max(dates) if dates else None)
    if statement_date is None:
        raise StatementError(f"{root}: geen leesbare buurtbudgetten gevonden (verwacht <map>/main.beancount)")
    per_budget, fout = _signals(root, paths, tot)
    rows = [replace(r, signalen=per_budget.get(r.folder, ())) for r in rows]
    return Overview(root, stadsdeel, taal, statement_date, tuple(rows), signalen_fout=fout)


def _signals(root: Path, paths: Sequence[Path], tot: datetime.date | None) -> tuple[dict[str, tuple[Signaal, ...]], str | None]:
    """Every budget's signals, computed once across the workspace (places relative to it)."""
    from buurtbudget_admin import signalering
    from buurtbudget_admin.errors import UserError

    if not paths:
        return {}, None
    try:
        gevonden, _betalingen, _kenmerken = signalering.bereken([root], tot)
    except (UserError, LedgerReadError) as exc:
        return {}, str(exc)
    gevonden = [replace(x, plekken=tuple(_relative_place(p, root) for p in x.plekken)) for x in gevonden]
    per_budget: dict[str, tuple[Signaal, ...]] = {}
    for path in paths:
        slug = path.parent.name
        per_budget[Path(os.path.relpath(path.parent, root)).as_posix()] = tuple(x for x in gevonden if slug in x.ledgers)
    return per_budget, None
