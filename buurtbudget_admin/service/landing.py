"""The landing page: "actuele stand van zaken per buurt", cached per change.

The page is rendered from the ledgers' snapshots (their views, computed once
per change) and kept as bytes; a request re-renders only when a ledger's
version or the date changed. While one thread re-renders, others get the page
they had.
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable

import jinja2
from werkzeug.wrappers import Request, Response

from buurtbudget_admin.service.state import Snapshot, WorkspaceState
from ledger.buurtbudget.header import FASE_NAMEN
from ledger.buurtbudget.money import bar_width, format_eur, format_percentage

TEMPLATES = Path(__file__).parent / "templates"

FASE_LABELS = FASE_NAMEN


@dataclass(frozen=True)
class PlanRow:
    titel: str
    budget: str
    costs: str
    percent: int  # 0..100 for the bar
    over: bool


@dataclass(frozen=True)
class Card:
    slug: str
    title: str
    buurt: str
    stadsdeel: str
    fase: str
    fase_label: str
    model: str
    award: str
    spent: str
    remaining: str
    support: str
    ceiling: str
    support_pct: str
    support_bar: int
    support_ok: bool
    plans: tuple[PlanRow, ...]
    violations: int
    unreadable: bool
    # Once the stadsdeel decided: the amount, and what goes back to the city (or is still to come).
    vastgesteld: str = ""
    terug_label: str = ""
    terug: str = ""


def aantal_overtredingen(snap: Snapshot) -> int:
    """The violations of a ledger as every page counts them: the rules' findings (BB-...)."""
    return sum(1 for p in snap.problems if p.code.startswith("BB-"))


def card_of(snap: Snapshot) -> Card:
    view = snap.view
    if view is None or view.header is None:
        return Card(snap.slug, snap.slug, snap.slug, (view.header.stadsdeel if view and view.header else "Onbekend"),
                    "onbekend", "Niet te lezen", "", "–", "–", "–", "–", "–", "–", 0, False, (), 0, True)
    header = view.header
    plans = tuple(
        PlanRow(p.titel, format_eur(p.budget), format_eur(p.costs), bar_width(p.costs, p.budget), p.over_budget)
        for p in view.plans
    )
    violations = aantal_overtredingen(snap)
    besluit, terug = view.vastgesteld, view.terug_na_vaststelling
    return Card(
        slug=snap.slug, title=header.naam, buurt=header.buurt, stadsdeel=header.stadsdeel,
        fase=view.fase, fase_label=FASE_LABELS.get(view.fase, view.fase), model=header.model_naam,
        award=format_eur(view.award), spent=format_eur(view.spent), remaining=format_eur(view.remaining),
        support=format_eur(view.support_costs), ceiling=format_eur(view.ceiling),
        support_pct=format_percentage(view.support_costs, view.award),
        support_bar=bar_width(view.support_costs, view.ceiling), support_ok=view.support_within_ceiling,
        plans=plans, violations=violations, unreadable=False,
        vastgesteld=format_eur(besluit.bedrag) if besluit else "",
        terug_label=("" if terug is None else "Terug te betalen aan de gemeente" if terug >= 0
                     else "Nog te ontvangen van de gemeente"),
        terug=format_eur(abs(terug)) if terug is not None else "",
    )


def group_by_stadsdeel(cards: Iterable[Card]) -> list[tuple[str, list[Card]]]:
    groups: dict[str, list[Card]] = {}
    for card in cards:
        groups.setdefault(card.stadsdeel, []).append(card)
    return [(name, sorted(groups[name], key=lambda c: c.title)) for name in sorted(groups)]


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_landing(snapshots: list[Snapshot], today: datetime.date) -> str:
    cards = [card_of(s) for s in snapshots]
    return _env.get_template("landing.html").render(
        groups=group_by_stadsdeel(cards), today=today, count=len(cards),
    )


class LandingPage:
    """WSGI app for `/` (and a 404 for anything else outside the views)."""

    def __init__(self, state: WorkspaceState, today: Callable[[], datetime.date] = datetime.date.today):
        self.state = state
        self.today = today
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._body: bytes = b""
        self._etag = ""
        self._checked = 0.0

    def _page(self) -> tuple[bytes, str]:
        have = self._key is not None
        now = time.monotonic()
        if have and now - self._checked < self.state.check_interval:
            return self._body, self._etag  # every ledger was looked at less than a check interval ago
        self._checked = now
        snapshots = self.state.snapshots(wait=not have)
        key = (self.today(), tuple((s.slug, s.version) for s in snapshots))
        if key == self._key:
            return self._body, self._etag
        if not self._lock.acquire(blocking=not have):
            return self._body, self._etag
        try:
            if key != self._key:
                body = render_landing(snapshots, key[0]).encode("utf-8")
                self._body, self._key = body, key
                self._etag = hashlib.sha256(body).hexdigest()[:20]
            return self._body, self._etag
        finally:
            self._lock.release()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        if request.path not in ("/", "/index.html"):
            from buurtbudget_admin.service.auth import page

            if request.path in ("/buurt", "/beheer"):
                return Response("", 302, {"Location": request.path + "/"})(environ, start_response)
            return page("Niet gevonden", "Deze pagina bestaat niet.", 404)(environ, start_response)
        if request.method not in ("GET", "HEAD"):
            from buurtbudget_admin.service.auth import page

            return page("Alleen lezen", "Het overzicht kan niets wijzigen.", 405)(environ, start_response)
        body, etag = self._page()
        response = Response(body, content_type="text/html; charset=utf-8")
        response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
        return response.make_conditional(request)(environ, start_response)
