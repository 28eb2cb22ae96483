"""The Fava extension "Buurtbudget": plans, the support ceiling and the rules' verdict.

Declared in a ledger with

    2025-01-01 custom "fava-extension" "buurtbudget_admin.fava_ext"

(the service adds it to every ledger it serves). It reads the ledger's one
evaluation (`ledger.evaluatie.resultaat`): the one the rules plugin made inside Fava's
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

from ledger.buurtbudget.header import FASE_NAMEN
from ledger.buurtbudget.money import bar_width, format_eur, format_percentage
from ledger.evaluatie.resultaat import Evaluatie, bewaarde
from ledger.evaluatie.view import Buurtbudget as BuurtbudgetView
from rules.checking import RuleVerdict, Violation, rule_verdicts

FASE_LABELS = FASE_NAMEN
SCALE = Decimal("1.25")  # the gauge runs to 125% of the ceiling


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
    has_js_module = True  # Buurtbudget.js: names for what Fava's frontend draws without one

    def __init__(self, ledger: Any, config: str | None = None) -> None:
        super().__init__(ledger, config)
        self._evaluatie: Evaluatie | None = None
        self._own = False  # True: no rules plugin ran in the load, the evaluation is ours
        self._verdict: dict[str, tuple[RuleVerdict, ...]] = {}
        self._signalen: tuple[tuple, tuple[Any, ...]] | None = None  # (what it was made from, the signals)

    # -- per load ---------------------------------------------------------
    def after_load_file(self) -> None:
        self._evaluatie = None
        self._verdict = {}
        self._signalen = None

    @property
    def evaluatie(self) -> Evaluatie:
        """The load's evaluation: the plugin's, or (no `plugin "rules"`) one of every rule, made here once."""
        if self._evaluatie is None:
            entries = self.ledger.all_entries
            found = bewaarde(self.ledger.options, entries)
            self._own = found is None
            if found is None:
                import rules
                from ledger.buurtbudget.kader import regels_config, regels_van
                from rules.base import evaluate

                options = self.ledger.options
                found = evaluate(list(entries), options, regels_van(options), rules.ALL_RULES,
                                 datetime.date.today(), config=regels_config(options))
            self._evaluatie = found
        return self._evaluatie

    def overschrijvingen(self) -> tuple[Any, ...]:
        """Bookings written anyway (`--toch`), with their reasons: the list `check` and the statement show."""
        from ledger.schrijver.toch import overschrijvingen

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
                width=bar_width(plan.costs, top),
                budget_width=bar_width(budget, top),
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
        path = Path(self.ledger.beancount_file_path).with_name("oordeel.json")
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            items = []
        index = self._entry_index()
        filename = str(Path(self.ledger.beancount_file_path))
        found: list[Violation] = []
        for item in items:
            entry = index.get((filename, item.get("regel"))) if item.get("regel") else None
            found.append(Violation(item["code"], item["melding"],
                                   context_hash=hash_entry(entry) if entry is not None else None))
        return rule_verdicts(found, andere=True)

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
        found: list[Violation] = []
        seen = set()
        for error in errors:
            problem = to_problem(error)
            if not problem.code.startswith("BB-") or problem in seen:
                continue
            seen.add(problem)
            entry = getattr(error, "entry", None)
            if entry is None or not hasattr(entry, "meta"):
                entry = index.get((problem.filename, problem.lineno))
            found.append(Violation(problem.code, problem.message, problem.filename, problem.lineno,
                                   context_hash=hash_entry(entry) if entry is not None else None))
        return rule_verdicts(found, andere=True)

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

    @property
    def vaststelling_open(self) -> Any:  # what the vaststelling form names before the confirmation
        from buurtbudget_admin.fava_ext.vaststelling import openstaand

        return openstaand(self.view, self.ledger.all_entries, self.violation_count())

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

    def wachtende_declaraties(self) -> tuple[tuple[Any, bool], ...]:
        from buurtbudget_admin.fava_ext import formulieren as f

        return f.wachtende(self.view, self.user) if f.may_book(self.mode, self.user) else ()

    def formulier(self, naam: str) -> Any:
        """An empty form of `formulieren.SOORTEN` for the page."""
        from buurtbudget_admin.fava_ext import formulieren as f

        return f.SOORTEN[naam].formulier(formdata=None)

    def _formulier_post(self, naam: str) -> Any:
        """The POST of one form: the pipeline (`formulieren.verwerk`); a refusal shows the form again."""
        from flask import Response, render_template, url_for
        from markupsafe import Markup

        from buurtbudget_admin.fava_ext import formulieren as f, vaststelling as v

        soort = f.SOORTEN[naam]
        bon = request.files.get("bon")
        uitslag = f.verwerk(soort, self.ledger.beancount_file_path, self.mode, self.user, request.form,
                            (bon.filename or "", bon.read()) if bon else None)
        back = url_for("extension_report", extension_name="Buurtbudget")
        if uitslag.status in (200, 403):
            page = v.page(v.Uitkomst(uitslag.status, uitslag.titel, uitslag.bericht), back)
            return Response(page, uitslag.status, content_type="text/html; charset=utf-8")
        form = soort.formulier()  # bound to the request: the values entered stay in the fields
        content = self.jinja_env.get_template("BuurtbudgetFormulier.html").render(
            extension=self, ledger=self.ledger, soort=naam, form=form, uitslag=uitslag)
        html = render_template("_layout.html", content=Markup(content), page_title=uitslag.titel)  # noqa: S704
        return Response(html, uitslag.status, content_type="text/html; charset=utf-8")

    @extension_endpoint("kosten", methods=["POST"])
    def kosten(self) -> Any:  # a cost with its receipt
        return self._formulier_post("kosten")

    @extension_endpoint("declaratie", methods=["POST"])
    def declaratie(self) -> Any:  # a claim entered for a resident
        return self._formulier_post("declaratie")

    @extension_endpoint("goedkeuren", methods=["POST"])
    def goedkeuren(self) -> Any:  # a second person approves a claim or invoice
        return self._formulier_post("goedkeuren")

    @extension_endpoint("afwijzen", methods=["POST"])
    def afwijzen(self) -> Any:  # a second person rejects it, with a reason
        return self._formulier_post("afwijzen")

    # -- paying and the bank: fava_ext/betalen.py ---------------------------
    def betaal_overzicht(self) -> Any:
        """The batch a click would make now and the batches still out; None for anyone but a beheerder."""
        from buurtbudget_admin.fava_ext import betalen as b, formulieren as f

        if not f.may_book(self.mode, self.user):
            return None
        return b.overzicht(self.view, self.ledger.all_entries, self.signalen_van)

    def _betaal_pagina(self, pagina: Any) -> Any:
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import betalen as b

        back = url_for("extension_report", extension_name="Buurtbudget")
        return Response(b.html_pagina(pagina, back, self.logout_url), pagina.status,
                        content_type="text/html; charset=utf-8")

    def _download(self, download: Any) -> Any:
        from flask import Response

        headers = {"X-Content-Type-Options": "nosniff"}
        if download.bestandsnaam:
            headers["Content-Disposition"] = f'attachment; filename="{download.bestandsnaam}"'
        return Response(download.inhoud, download.status, content_type=download.content_type, headers=headers)

    def _base(self) -> str:
        from flask import url_for

        return url_for("extension_report", extension_name="Buurtbudget")

    @extension_endpoint("betaalopdracht", methods=["POST"])
    def betaalopdracht(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        return self._betaal_pagina(b.maak_opdracht(self.ledger.beancount_file_path, self.mode, self.user,
                                                   request.form, self._base()))

    @extension_endpoint("betaalbestand")
    def betaalbestand(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        return self._download(b.betaalbestand(self.ledger.beancount_file_path, self.mode, self.user,
                                              request.args.get("msgid", "")))

    @extension_endpoint("intrekken", methods=["POST"])
    def intrekken(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        return self._betaal_pagina(b.trek_in(self.ledger.beancount_file_path, self.mode, self.user, request.form))

    @extension_endpoint("afschrift", methods=["POST"])
    def afschrift(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        upload = request.files.get("afschrift")
        # One byte over the limit is enough to refuse: never read a hostile upload whole.
        inhoud = upload.stream.read(b.AFSCHRIFT_MAX + 1) if upload else b""
        csrf = current_app.jinja_env.globals.get("csrf_token")
        return self._betaal_pagina(b.afschrift_voorvertoning(
            self.ledger.beancount_file_path, self.mode, self.user, upload.filename if upload else "", inhoud,
            self._base(), csrf() if callable(csrf) else ""))

    @extension_endpoint("afschrift-bevestigen", methods=["POST"])
    def afschrift_bevestigen(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        return self._betaal_pagina(b.afschrift_bevestigen(self.ledger.beancount_file_path, self.mode, self.user,
                                                          request.form))

    @extension_endpoint("afsluiten", methods=["POST"])
    def afsluiten(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        return self._betaal_pagina(b.sluit_af(self.ledger.beancount_file_path, self.mode, self.user, request.form))

    @extension_endpoint("export")
    def export(self) -> Any:
        from buurtbudget_admin.fava_ext import betalen as b

        return self._download(b.export(self.ledger.beancount_file_path, self.mode, self.user,
                                       request.args.get("formaat", "")))


    # -- signals: where people decide (beheer only, never the public view) ----------------------
    def _slug(self) -> str:
        return Path(self.ledger.beancount_file_path).parent.name

    def alle_signalen(self) -> tuple[Any, ...]:
        """The signals that involve this ledger, with their marks, computed across the workspace.

        Beheer only (the public copy has no names, and signals name people and IBANs): () elsewhere.
        Made once per load from this load's evaluation and the service's snapshots of the other
        ledgers (never a second load of any of them); again only when one of them changed.
        """
        if self.mode != "beheer":
            return ()
        state = current_app.config.get("BUURTBUDGET_STATE")
        slug = self._slug()
        anderen = [] if state is None else [snap for snap in (state.snapshot(other, wait=False)
                                                              for other in state.slugs() if other != slug)
                                            if snap is not None and snap.view is not None]
        sleutel = (id(self.evaluatie), tuple((snap.slug, snap.version) for snap in anderen))
        bewaard = self._signalen
        if bewaard is None or bewaard[0] != sleutel:
            bewaard = (sleutel, self._bereken_signalen(slug, anderen))
            self._signalen = bewaard
        return bewaard[1]

    def _bereken_signalen(self, slug: str, anderen: list[Any]) -> tuple[Any, ...]:
        from buurtbudget_admin.errors import UserError
        from buurtbudget_admin.signalering import drempels_uit
        from ledger.buurtbudget.kader import regels_van
        from ledger.evaluatie.signalen import betalingen_van, gezien_van, kenmerken_van, met_gezien, signalen_van

        ledgers = [(slug, self.evaluatie.view, self.ledger.all_entries, self.ledger.options)]
        ledgers += [(snap.slug, snap.view, snap.entries, snap.options) for snap in anderen]
        betalingen, kenmerken, drempels, markeringen = [], [], {}, []
        cache: dict = {}
        for naam, view, entries, options in ledgers:
            betalingen += betalingen_van(naam, view, entries, options, cache)
            kenmerken.append(kenmerken_van(naam, view))
            markeringen += gezien_van(naam, entries)
            regels = regels_van(options)
            try:
                drempels[naam] = drempels_uit(regels.data, regels.path, getattr(view.header, "stadsdeel", None))
            except UserError:
                drempels[naam] = drempels_uit({}, regels.path, None)  # the rules' own error says what is wrong
        gevonden = met_gezien(signalen_van(betalingen, kenmerken, drempels), markeringen)
        return tuple(s for s in gevonden if slug in s.ledgers)

    def signalen_van(self, link: str) -> tuple[Any, ...]:
        """The signals of one claim or invoice (by its link): what the approval and payment forms show."""
        link = (link or "").lstrip("^")
        return tuple(s for s in self.alle_signalen() if link in s.links)

    def gezien_bezwaar(self, signaal: Any) -> str | None:
        """Why the logged-in user may not mark this signal gezien (Dutch), or None when they may."""
        from buurtbudget_admin.fava_ext.formulieren import may_book
        from ledger.evaluatie.signalen import gezien_bezwaar

        if not may_book(self.mode, self.user):
            return "alleen een ingelogde beheerder van dit buurtbudget markeert een signaal als gezien"
        return gezien_bezwaar(signaal, self._slug(), (self.user.persoon, self.user.name))

    @extension_endpoint("signaal_gezien", methods=["POST"])
    def signaal_gezien(self) -> Any:  # mark a signal gezien, with a reason: the CLI's check and builder
        from flask import Response, url_for

        from buurtbudget_admin.fava_ext import vaststelling as v

        uitkomst = self._markeer_gezien(request.form)
        back = url_for("extension_report", extension_name="Buurtbudget") + "#bb-signalen"
        return Response(v.page(uitkomst, back), uitkomst.status, content_type="text/html; charset=utf-8")

    def _markeer_gezien(self, form: Any) -> Any:
        from buurtbudget_admin.fava_ext.formulieren import may_book, melding
        from buurtbudget_admin.fava_ext.vaststelling import Uitkomst
        from buurtbudget_admin.valideren import valideer
        from ledger.buurtbudget.fouten import Fout
        from ledger.schrijver.schrijven import schrijf
        from ledger.schrijver.boekingen import gezien_wijziging
        from ledger.evaluatie.vier_ogen import NaamFout, vereis_zichtbaar

        if not may_book(self.mode, self.user):
            return Uitkomst(403, "Geen toegang", "Alleen een ingelogde beheerder markeert een signaal als gezien.")
        sid = (form.get("signaal") or "").strip()
        try:
            reden = vereis_zichtbaar(form.get("reden") or "", "reden")
        except NaamFout as exc:
            return Uitkomst(400, "Niet gemarkeerd", f"{exc}: zeg waarom dit signaal mag blijven staan.")
        match = [s for s in self.alle_signalen() if s.id == sid]
        if not match:
            return Uitkomst(404, "Niet gemarkeerd", f"signaal '{sid}' staat niet bij dit buurtbudget; "
                                                    "er is niets gewijzigd.")
        bezwaar = self.gezien_bezwaar(match[0])
        if bezwaar:
            return Uitkomst(403, "Niet gemarkeerd", f"{bezwaar}; er is niets gewijzigd.")
        user, datum = self.user, datetime.date.today()
        try:
            result = schrijf(self.ledger.beancount_file_path,
                             lambda _stand: gezien_wijziging(datum, sid, reden, user.persoon),
                             door=user.persoon, valideer=valideer, email=user.email)
        except Fout as exc:
            status, tekst = melding(exc, self.ledger.beancount_file_path)
            return Uitkomst(status, "Niet gemarkeerd", tekst)
        return Uitkomst(200, "Gezien", result.omschrijving)

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

    # -- invitations of initiatiefnemers (beheer only): the workspace's file, never the books --------
    def _werkruimte(self) -> Any:
        from buurtbudget_admin.fava_ext import formulieren as f

        return f.werkruimte_van(self.ledger.beancount_file_path, self.view)

    def uitnodig_plannen(self) -> tuple[str, ...]:
        """The plans an initiatiefnemer can be invited for: their names, as `view.plan` finds them."""
        return tuple(plan.name for plan in self.view.plans)

    def uitnodigingen(self) -> tuple[Any, ...]:
        """This ledger's invitations for the logged-in beheerder; () for anyone else."""
        from buurtbudget_admin.fava_ext import formulieren as f

        return f.uitnodigingen_van(self._werkruimte()) if f.may_book(self.mode, self.user) else ()

    def verlopen(self, uitnodiging: Any) -> bool:
        return uitnodiging.verloopt <= datetime.datetime.now(datetime.timezone.utc)

    def _uitnodiging_post(self, naam: str) -> Any:
        from flask import Response, render_template, url_for
        from markupsafe import Markup

        from buurtbudget_admin.fava_ext import formulieren as f, vaststelling as v

        soort = f.SOORTEN[naam]
        uitslag = f.verwerk_buiten_boeken(soort, self._werkruimte(), self.mode, self.user, request.form)
        back = url_for("extension_report", extension_name="Buurtbudget") + "#bb-uitnodigen"
        if uitslag.status == 200 and naam == "uitnodiging_intrekken":
            u = uitslag.resultaat
            uitslag = f.UitslagMet(200, uitslag.titel, f"De uitnodiging van {u.naam} is ingetrokken: "
                                                        "de link werkt niet meer.")
        if uitslag.status == 403 or naam == "uitnodiging_intrekken":
            page = v.page(v.Uitkomst(uitslag.status, uitslag.titel, uitslag.bericht), back)
            return Response(page, uitslag.status, content_type="text/html; charset=utf-8")
        link = None
        if uitslag.status == 200:  # the personal link, this once: only its hash is kept
            u, token = uitslag.resultaat
            link = request.host_url.rstrip("/") + "/indienen/" + token
        content = self.jinja_env.get_template("BuurtbudgetUitnodiging.html").render(
            extension=self, ledger=self.ledger, form=soort.formulier(), uitslag=uitslag, link=link,
            uitnodiging=uitslag.resultaat[0] if link else None, back=back)
        html = render_template("_layout.html", content=Markup(content), page_title=uitslag.titel)  # noqa: S704
        response = Response(html, uitslag.status, content_type="text/html; charset=utf-8")
        response.headers["Cache-Control"] = "no-store"  # the link is shown once: no copy in a cache
        return response

    @extension_endpoint("uitnodigen", methods=["POST"])
    def uitnodigen(self) -> Any:  # invite an initiatiefnemer: `uitnodigingen.nodig_uit`, as the CLI
        return self._uitnodiging_post("uitnodigen")

    @extension_endpoint("uitnodiging_intrekken", methods=["POST"])
    def uitnodiging_intrekken(self) -> Any:  # revoke one: `uitnodigingen.trek_in`, as the CLI
        return self._uitnodiging_post("uitnodiging_intrekken")


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
