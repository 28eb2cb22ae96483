"""The Fava extension "Buurtbudget": plans, the support ceiling and the rules' verdict.

Declared in a ledger with

    2025-01-01 custom "fava-extension" "buurtbudget_admin.fava_ext"

(the service adds it to every ledger it serves). It reads the ledger's one
evaluation (`ledger.evaluatie`): the one the rules plugin made inside Fava's
load, or, for a ledger without `plugin "rules"`, one it makes itself once per
load; never per request, never a second view.

In the public view (`/buurt/...`) the verdict comes from `oordeel.json` beside
the redacted copy (the real ledger's verdict in public words); in beheer it is
the rules' errors of the real ledger. Only beheer shows the PDF button.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fava.beans.funcs import hash_entry
from fava.ext import FavaExtensionBase, extension_endpoint
from flask import current_app, request

from ledger.header import FASE_NAMEN
from ledger.money import format_eur, format_percentage
from ledger.evaluatie import Evaluatie, bewaarde
from ledger.view import Buurtbudget as BuurtbudgetView

FASE_LABELS = FASE_NAMEN
SCALE = Decimal("1.25")  # the gauge runs to 125% of the ceiling


@dataclass(frozen=True)
class Violation:
    message: str
    context_hash: str | None  # Fava's #context-<hash>
    filename: str | None
    lineno: int | None


@dataclass(frozen=True)
class RuleVerdict:
    code: str
    title: str
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class PlanBar:
    titel: str
    account: str
    budget: str
    costs: str
    percent: str
    width: int  # 0..100, of the widest of budget and costs
    budget_width: int
    over: bool
    declared: bool
    name: str = ""  # the plan's own page: ?plan=<name>
    remaining: str = ""  # "nog te besteden": budget minus costs (PlanView.remaining)


# A plan's `status:` (its latest `custom "plan"`) in a resident's words.
PLAN_STATUS = {
    "gekozen": "gekozen",
    "lopend": "lopend",
    "afgerond": "afgerond",
    "niet gedeclareerd": "niet vastgesteld",
}


@dataclass(frozen=True)
class PlanBoeking:
    """One cost line of a plan, as the plan page lists it (payee as the copy has it: "Bewoner")."""

    datum: str
    payee: str
    narration: str
    category: str
    amount: str
    context_hash: str
    postings: tuple[tuple[str, str], ...]  # the whole booking: (account, amount)
    details: tuple[tuple[str, str], ...]  # who entered and approved it, its links and tags


@dataclass(frozen=True)
class PlanPagina:
    """The figures of one plan's own page, all from the view's `PlanView`."""

    name: str
    titel: str
    indiener: str | None
    status: str
    over: bool
    declared: bool
    budget: str
    costs: str
    remaining: str
    percent: str
    categories: tuple[tuple[str, str], ...]
    bookings: tuple[PlanBoeking, ...]


@dataclass(frozen=True)
class Ondersteuning:
    """The support costs in plain words: how much, for whom, against the ceiling."""

    penvoerder: str | None  # the header's `beheerder:`
    award: str
    support: str
    pct: str  # of the award
    max_pct: str  # the ceiling, as a share of the award
    ceiling: str
    room: str  # left under the ceiling (0 when over)
    over_by: str | None  # above the ceiling, when so
    ok: bool


class Buurtbudget(FavaExtensionBase):
    """Budget per plan, the support ceiling and the verdict of the rules."""

    report_title = "Buurtbudget"

    def __init__(self, ledger: Any, config: str | None = None) -> None:
        super().__init__(ledger, config)
        self._evaluatie: Evaluatie | None = None
        self._own = False  # True: no rules plugin ran in the load, the evaluation is ours
        self._verdict: dict[str, tuple[RuleVerdict, ...]] = {}

    # -- per load ---------------------------------------------------------
    def after_load_file(self) -> None:
        self._evaluatie = None
        self._verdict = {}

    @property
    def evaluatie(self) -> Evaluatie:
        """The load's evaluation: the plugin's, or (no `plugin "rules"`) one of every rule, made here once."""
        if self._evaluatie is None:
            entries = self.ledger.all_entries
            found = bewaarde(self.ledger.options, entries)
            self._own = found is None
            if found is None:
                import rules
                from ledger.kader import regels_config, regels_van
                from rules.base import evaluate

                options = self.ledger.options
                found = evaluate(list(entries), options, regels_van(options), rules.ALL_RULES,
                                 datetime.date.today(), config=regels_config(options))
            self._evaluatie = found
        return self._evaluatie

    def overschrijvingen(self) -> tuple[Any, ...]:
        """Bookings written anyway (`--toch`), with their reasons: the list `check` and the statement show."""
        from ledger.toch import overschrijvingen

        return overschrijvingen(self.ledger.all_entries)

    @property
    def view(self) -> BuurtbudgetView:
        # Judged on today: a Fava that runs for days shows the phase of the day, not of the load.
        return self.evaluatie.view.op(datetime.date.today())

    # -- who is looking ---------------------------------------------------
    @property
    def mode(self) -> str:
        """"publiek", "beheer", or "fava" (a plain Fava outside the service)."""
        return current_app.config.get("BUURTBUDGET_MODE", "fava")

    @property
    def user(self) -> Any:
        return request.environ.get("buurtbudget.gebruiker")

    @property
    def logout_url(self) -> str | None:
        """In beheer: the service's logout address (under this mount), to forget the login."""
        if self.mode != "beheer" or self.user is None:
            return None
        return request.script_root + "/uitloggen"

    @property
    def may_download_pdf(self) -> bool:
        return self.mode != "publiek"

    # -- figures ----------------------------------------------------------
    def eur(self, amount: Decimal | None) -> str:
        return format_eur(amount)

    def fase_label(self) -> str:
        return FASE_LABELS.get(self.view.fase, self.view.fase)

    def plan_bars(self) -> list[PlanBar]:
        bars = []
        for plan in self.view.plans:
            budget = plan.budget or Decimal(0)
            top = max(budget, plan.costs, Decimal("0.01"))
            bars.append(PlanBar(
                titel=plan.titel, account=plan.account,
                budget=format_eur(plan.budget) if plan.declared else "niet vastgesteld",
                costs=format_eur(plan.costs),
                percent=format_percentage(plan.costs, budget) if budget else "–",
                width=max(0, min(100, int(plan.costs * 100 / top))),
                budget_width=max(0, min(100, int(budget * 100 / top))),
                over=plan.over_budget or not plan.declared,
                declared=plan.declared,
                name=plan.name,
                remaining=format_eur(plan.remaining) if plan.declared else "–",
            ))
        return bars

    def plans_remaining(self) -> str:
        """"Nog te besteden" over all plans: the sum of each plan's `remaining`."""
        return format_eur(sum((plan.remaining for plan in self.view.plans if plan.declared), Decimal(0)))

    def plan_status(self, status: str) -> str:
        return PLAN_STATUS.get(status, status)

    def plan_page(self) -> PlanPagina | None:
        """The plan asked for with `?plan=<name>` (None: the overview; a name not found: a page saying so)."""
        name = request.args.get("plan")
        if name is None:
            return None
        plan = self.view.plan(name)
        if plan is None:
            return PlanPagina(name, "", None, "", False, False, "", "", "", "", (), ())
        bookings = tuple(
            PlanBoeking(
                datum=line.date.strftime("%d-%m-%Y"), payee=line.payee or "", narration=line.narration,
                category=line.category or "(geen categorie)", amount=format_eur(line.amount),
                context_hash=hash_entry(line.entry),
                postings=tuple((posting.account, _amount(posting)) for posting in line.entry.postings),
                details=_details(line.entry),
            )
            for line in plan.lines
        )
        return PlanPagina(
            name=plan.name, titel=plan.titel, indiener=plan.indiener,
            status=self.plan_status(plan.status), over=plan.over_budget, declared=plan.declared,
            budget=format_eur(plan.budget) if plan.declared else "niet vastgesteld",
            costs=format_eur(plan.costs),
            remaining=format_eur(plan.remaining) if plan.declared else "–",
            percent=format_percentage(plan.costs, plan.budget) if plan.budget else "–",
            categories=tuple((category, format_eur(amount)) for category, amount in plan.costs_by_category),
            bookings=bookings,
        )

    def ondersteuning(self) -> Ondersteuning:
        view = self.view
        room = view.ceiling - view.support_costs
        return Ondersteuning(
            penvoerder=view.header.beheerder if view.header else None,
            award=format_eur(view.award),
            support=format_eur(view.support_costs),
            pct=format_percentage(view.support_costs, view.award),
            max_pct=_share(view.kader.ondersteuning_max),
            ceiling=format_eur(view.ceiling),
            room=format_eur(max(room, Decimal(0))),
            over_by=None if view.support_within_ceiling else format_eur(-room),
            ok=view.support_within_ceiling,
        )

    def gauge(self) -> dict[str, Any]:
        """The support costs against the ceiling, as a half circle (0..1.25 of the ceiling).

        The arc is drawn by the browser (SVG `pathLength` and a dash), so the
        figures stay Decimal up to a whole percentage of the scale.
        """
        view = self.view
        fraction = (view.support_costs / view.ceiling) if view.ceiling else Decimal(0)
        clamped = max(Decimal(0), min(fraction, SCALE))
        return {
            "filled": int((clamped * 100 / SCALE).to_integral_value()),  # 0..100 of the arc
            "limit_angle": int(180 - 180 / SCALE),  # the ceiling's place on the arc, in degrees
            "ok": view.support_within_ceiling,
            "support": format_eur(view.support_costs),
            "ceiling": format_eur(view.ceiling),
            "max_pct": _share(view.kader.ondersteuning_max),
            # The gauge's scale is a share of the award (0 up to 1.25 x the ceiling's share): one kind of %.
            "scale_pct": _share(view.kader.ondersteuning_max * SCALE),
            "pct": format_percentage(view.support_costs, view.award),
        }

    # -- verdict ----------------------------------------------------------
    def _entry_index(self) -> dict[tuple[str, int], Any]:
        index = {}
        for entry in self.ledger.all_entries:
            meta = entry.meta or {}
            if "filename" in meta and "lineno" in meta:
                index[(str(meta["filename"]), int(meta["lineno"]))] = entry
        return index

    def _public_verdict(self) -> tuple[RuleVerdict, ...]:
        import rules

        path = Path(self.ledger.beancount_file_path).with_name("oordeel.json")
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            items = []
        index = self._entry_index()
        filename = str(Path(self.ledger.beancount_file_path))
        found: dict[str, list[Violation]] = {}
        for item in items:
            entry = index.get((filename, item.get("regel"))) if item.get("regel") else None
            found.setdefault(item["code"], []).append(
                Violation(item["melding"], hash_entry(entry) if entry is not None else None, None, None)
            )
        return self._by_rule(found, rules)

    def _beheer_verdict(self) -> tuple[RuleVerdict, ...]:
        import rules
        from rules.checking import to_problem

        errors = list(self.ledger.load_errors)
        evaluatie = self.evaluatie
        if self._own:
            errors.extend(evaluatie.errors)  # no plugin in the load: the verdict is our evaluation's
        else:
            # `plugin "rules.plan"` alone: the other rules judge the same view here (no second view).
            from rules.base import judge

            missing = [rule for rule in rules.ALL_RULES if rule.CODE not in evaluatie.codes]
            if missing:
                errors.extend(judge(evaluatie.view, evaluatie.entries, self.ledger.options, missing))
        index = self._entry_index()
        found: dict[str, list[Violation]] = {}
        seen = set()
        for error in errors:
            problem = to_problem(error)
            if not problem.code.startswith("BB-") or problem in seen:
                continue
            seen.add(problem)
            entry = getattr(error, "entry", None)
            if entry is None or not hasattr(entry, "meta"):
                entry = index.get((problem.filename, problem.lineno))
            found.setdefault(problem.code, []).append(Violation(
                problem.message, hash_entry(entry) if entry is not None else None,
                problem.filename, problem.lineno,
            ))
        return self._by_rule(found, rules)

    @staticmethod
    def _by_rule(found: dict[str, list[Violation]], rules: Any) -> tuple[RuleVerdict, ...]:
        out = [RuleVerdict(rule.CODE, rule.TITLE, tuple(found.pop(rule.CODE, ()))) for rule in rules.ALL_RULES]
        for code, violations in sorted(found.items()):
            out.append(RuleVerdict(code, code, tuple(violations)))
        return tuple(out)

    def verdict(self) -> tuple[RuleVerdict, ...]:
        mode = "publiek" if self.mode == "publiek" else "beheer"
        if mode not in self._verdict:
            self._verdict[mode] = self._public_verdict() if mode == "publiek" else self._beheer_verdict()
        return self._verdict[mode]

    def violation_count(self) -> int:
        return sum(len(v.violations) for v in self.verdict())

    # -- the PDF statement ------------------------------------------------
    @extension_endpoint("pdf")
    def pdf(self) -> Any:
        from flask import Response

        if self.mode == "publiek":
            return Response("De verantwoording als PDF is alleen voor beheerders en auditors.", 403,
                            content_type="text/plain; charset=utf-8")
        renderer = _statement_renderer()
        if renderer is None:
            return Response(
                "De PDF-verantwoording is nog niet beschikbaar op deze server (de rapportmodule ontbreekt). "
                "Probeer het later opnieuw of gebruik 'buurtbudget rapport' op de opdrachtregel.",
                503, content_type="text/plain; charset=utf-8",
            )
        try:
            pdf_bytes = renderer(self.ledger.beancount_file_path)
        except Exception as exc:  # the ledger cannot be read or rendered: say so, in Dutch
            return Response(f"De verantwoording kon niet worden gemaakt: {exc}", 500,
                            content_type="text/plain; charset=utf-8")
        slug = Path(self.ledger.beancount_file_path).parent.name
        return Response(pdf_bytes, 200, content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="verantwoording-{slug}-{datetime.date.today().isoformat()}.pdf"',
        })


    # -- the vaststelling: an auditor records the decision ---------------
    @property
    def may_record_vaststelling(self) -> bool:
        from buurtbudget_admin.fava_ext.vaststelling import may_record

        return may_record(self.mode, self.user)

    @extension_endpoint("vaststelling", methods=["POST"])
    def vaststelling(self) -> Any:
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import vaststelling as v

        uitkomst = v.record(self.ledger.beancount_file_path, self.mode, self.user, request.form)
        back = url_for("extension_report", extension_name="Buurtbudget")
        return Response(v.page(uitkomst, back), uitkomst.status, content_type="text/html; charset=utf-8")

    @property
    def kosten_keuzes(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        from buurtbudget_admin.fava_ext import formulieren as f

        return f.keuzes(self.view, self.ledger.all_entries) if f.may_book(self.mode, self.user) else None

    @extension_endpoint("declaratie", methods=["POST"])
    def declaratie(self) -> Any:  # a claim entered for a resident: fava_ext/formulieren.py
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import formulieren as f, vaststelling as v

        bon = request.files.get("bon")
        uitkomst = f.dien_declaratie_in(self.ledger.beancount_file_path, self.mode, self.user, request.form,
                                        bon.filename if bon else "", bon.read() if bon else b"")
        back = url_for("extension_report", extension_name="Buurtbudget")
        return Response(v.page(uitkomst, back), uitkomst.status, content_type="text/html; charset=utf-8")

    def wachtende_declaraties(self) -> tuple[tuple[Any, bool], ...]:
        from buurtbudget_admin.fava_ext import formulieren as f

        return f.wachtende_declaraties(self.view, self.user) if f.may_book(self.mode, self.user) else ()

    @extension_endpoint("goedkeuren", methods=["POST"])
    def goedkeuren(self) -> Any:  # approve a claim: fava_ext/formulieren.py
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import formulieren as f, vaststelling as v

        uitkomst = f.keur_goed(self.ledger.beancount_file_path, self.mode, self.user, request.form)
        back = url_for("extension_report", extension_name="Buurtbudget")
        return Response(v.page(uitkomst, back), uitkomst.status, content_type="text/html; charset=utf-8")

    @extension_endpoint("kosten", methods=["POST"])
    def kosten(self) -> Any:  # a cost with its receipt: fava_ext/formulieren.py
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import formulieren as f, vaststelling as v

        bon = request.files.get("bon")
        uitkomst = f.boek_kosten(self.ledger.beancount_file_path, self.mode, self.user, request.form,
                                 bon.filename if bon else "", bon.read() if bon else b"")
        back = url_for("extension_report", extension_name="Buurtbudget")
        return Response(v.page(uitkomst, back), uitkomst.status, content_type="text/html; charset=utf-8")

    @property
    def bon_keuzes(self) -> Any:
        """The bookings and the receipts in documents/ for the receipt form; None unless a beheerder."""
        from buurtbudget_admin.fava_ext import bonbeheer as b, formulieren as f

        if not f.may_book(self.mode, self.user):
            return None
        return b.keuzes(self.ledger.beancount_file_path, self.ledger.all_entries, self.ledger.options)

    @extension_endpoint("bon", methods=["POST"])
    def bon(self) -> Any:  # attach, replace or remove a booking's receipt: fava_ext/bonbeheer.py
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import bonbeheer as b, vaststelling as v

        bon = request.files.get("bon")
        uitkomst = b.beheer_bon(self.ledger.beancount_file_path, self.mode, self.user, request.form,
                                bon.filename if bon else "", bon.read() if bon else b"")
        back = url_for("extension_report", extension_name="Buurtbudget")
        return Response(v.page(uitkomst, back), uitkomst.status, content_type="text/html; charset=utf-8")


# Metadata a booking shows on the plan page: the accountability itself (never receipts or accounts).
BOEKING_DETAILS = (("ingevoerd-door", "ingevoerd door"), ("goedgekeurd-door", "goedgekeurd door"),
                   ("declarant", "gedeclareerd door"), ("factuurnummer", "factuur"))


def _amount(posting: Any) -> str:
    units = posting.units
    if units is None or units.number is None:
        return ""
    return format_eur(units.number) if units.currency == "EUR" else f"{units.number} {units.currency}"


def _details(entry: Any) -> tuple[tuple[str, str], ...]:
    meta = entry.meta or {}
    found = [(label, str(meta[key])) for key, label in BOEKING_DETAILS if meta.get(key) not in (None, "")]
    if entry.links:
        found.append(("links", " ".join(f"^{link}" for link in sorted(entry.links))))
    if entry.tags:
        found.append(("tags", " ".join(f"#{tag}" for tag in sorted(entry.tags))))
    return tuple(found)


def _share(fraction: Decimal) -> str:
    """A kader's share as people write it: 0.08 -> `8%`, 0.075 -> `7,50%`."""
    return format_percentage(fraction, Decimal(1)).replace(",00%", "%")


def _statement_renderer():
    """A function ledger path -> PDF bytes from the `reports` package, or None when it has none (yet)."""
    try:
        from reports.context import build_statement
        from reports.render import render_statement
    except ImportError:
        return None

    def render(path: str) -> bytes:
        pdf, _pages = render_statement(build_statement(path))
        return bytes(pdf)

    return render
