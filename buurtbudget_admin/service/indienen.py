"""A resident's claim from the phone: `/indienen/<token>` and `/indienen/<token>/status`, one small Flask app.

The token is an invitation's (`buurtbudget_admin.uitnodigingen`): a beheerder invited this person
for one or more plans of one buurtbudget. An unknown, expired or revoked token answers 404 before
anything else happens (no form, no CSRF check, nothing read from the ledger).

    GET  /indienen/<token>          the form: amount, date, description, plan, category, IBAN, name, receipt
    POST /indienen/<token>          the claim, through the writer, as submitted (`!`): the beheerder's
                                    four eyes decide; `ingevoerd-door` and git author: the invited person
    GET  /indienen/<token>/status   the claims filed through this invitation (`uitnodiging: "<id>"`)

Forms: Flask-WTF's CSRF token (a cookie `bb_indienen`, path /indienen), the values checked by pydantic,
each refusal shown beside its field; the ledger stays byte-identical. A photo is re-encoded without its
EXIF (`ledger.buurtbudget.bonnen.zonder_metadata`); a PDF is kept. Limits: the receipt's size (`ledger.buurtbudget.bonnen`'s one
limit) and `PER_UUR` submitted forms per link per hour (`auth.LoginThrottle`, keyed by the invitation).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import flask
from flask_wtf.csrf import CSRFError, CSRFProtect
from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator

from buurtbudget_admin.errors import UserError
from buurtbudget_admin.service.auth import LoginThrottle
from buurtbudget_admin.service.inloggen import TEMPLATES, sessie_sleutel
from buurtbudget_admin.service.webwrite import upload_limit
from buurtbudget_admin.uitnodigingen import Uitnodiging, zoek
from buurtbudget_admin.valideren import valideer
from ledger.schrijver.boekingen import DeclaratieInvoer, DubbeleDeclaratie, check_iban, maak_declaratie
from ledger.buurtbudget.bonnen import BonFout, MB, zonder_metadata
from ledger.buurtbudget.fouten import Fout
from ledger.buurtbudget.money import format_eur, format_mb, parse_amount
from ledger.schrijver.schrijven import WijzigingGeweigerd, schrijf
from ledger.evaluatie.vier_ogen import NaamFout, vereis_zichtbaar

COOKIE = "bb_indienen"
PER_UUR = 10  # submitted forms per link per hour: a resident files a few claims, a script is stopped
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
STATUS_TEKST = {"ingediend": "Ingediend, wacht op beoordeling", "goedgekeurd": "Goedgekeurd, wordt betaald",
                "afgewezen": "Afgewezen", "betaald": "Betaald"}


def link_throttle() -> LoginThrottle:
    """The rate per link: `PER_UUR` forms an hour for one invitation (the 'client' is the invitation)."""
    return LoginThrottle(max_failures=PER_UUR, window=3600.0, name_free=10**9)


# -- what the form submits, validated ----------------------------------------------------------
class Claim(BaseModel):
    """The form's values; the context holds what this invitation allows (`plannen`, `categorieen`, period)."""

    bedrag: Decimal
    datum: datetime.date
    omschrijving: str
    plan: str
    categorie: str
    iban: str
    naam: str

    @field_validator("bedrag", mode="before")
    @classmethod
    def _bedrag(cls, value: object) -> Decimal:
        return parse_amount(str(value or ""))  # AmountError is a ValueError: pydantic shows its Dutch text

    @field_validator("datum", mode="before")
    @classmethod
    def _datum(cls, value: object, info: ValidationInfo) -> datetime.date:
        try:
            datum = datetime.date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ValueError("kies de datum van de bon") from None
        context = info.context or {}
        if datum > context.get("vandaag", datetime.date.today()):
            raise ValueError("deze datum ligt in de toekomst; kies de datum van de bon")
        begin, einde = context.get("begin"), context.get("einde")
        if begin and einde and not begin <= datum <= einde:
            raise ValueError(f"de datum ligt buiten de periode van dit buurtbudget ({begin:%d-%m-%Y} "
                             f"t/m {einde:%d-%m-%Y})")
        return datum

    @field_validator("omschrijving", "naam", mode="before")
    @classmethod
    def _tekst(cls, value: object, info: ValidationInfo) -> str:
        text = " ".join(str(value or "").split())
        wat = "een omschrijving" if info.field_name == "omschrijving" else "uw naam"
        if not text:
            raise ValueError(f"vul {wat} in")
        if len(text) > (200 if info.field_name == "omschrijving" else 100):
            raise ValueError(f"{wat} is te lang (hoogstens {200 if info.field_name == 'omschrijving' else 100} tekens)")
        try:
            return vereis_zichtbaar(text, wat)
        except NaamFout as exc:
            raise ValueError(str(exc)) from None

    @field_validator("plan", "categorie", mode="before")
    @classmethod
    def _keuze(cls, value: object, info: ValidationInfo) -> str:
        text = str(value or "").strip()
        keuzes = (info.context or {}).get("plannen" if info.field_name == "plan" else "categorieen", ())
        if text not in keuzes:
            raise ValueError("kies een plan uit de lijst" if info.field_name == "plan"
                             else "kies een categorie uit de lijst")
        return text

    @field_validator("iban", mode="before")
    @classmethod
    def _iban(cls, value: object) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValueError("vul het rekeningnummer (IBAN) in waarop u het geld terugkrijgt")
        try:
            return check_iban(text)
        except Fout as exc:
            raise ValueError(str(exc)) from None


def _fouten(exc: ValidationError) -> dict[str, str]:
    uit: dict[str, str] = {}
    for e in exc.errors():
        veld = str(e["loc"][0]) if e["loc"] else "algemeen"
        uit.setdefault(veld, str(e["msg"]).removeprefix("Value error, "))
    return uit


# -- the resident's claims ---------------------------------------------------------------------
@dataclass(frozen=True)
class EigenDeclaratie:
    link: str
    datum: datetime.date
    omschrijving: str
    bedrag: str
    status: str
    status_tekst: str
    reden: str | None


def eigen_declaraties(view, uitnodiging: Uitnodiging) -> list[EigenDeclaratie]:
    """The claims filed through this invitation (their `uitnodiging:` is its id), newest first; status
    and rejection from the one evaluation (`view.payables`). Nothing of any other claim."""
    uit = []
    for p in view.payables:
        if p.kind != "declaratie" or p.meta.get("uitnodiging") != uitnodiging.id:
            continue
        uit.append(EigenDeclaratie(p.link or "", p.date, p.narration.removeprefix("Declaratie: "),
                                   format_eur(p.amount), p.status, STATUS_TEKST.get(p.status, p.status),
                                   p.rejection if p.status == "afgewezen" else None))
    return sorted(uit, key=lambda d: (d.datum, d.link), reverse=True)


class Indienen:
    """The Flask app mounted at /indienen."""

    def __init__(self, state, workspace: Path, throttle: LoginThrottle | None = None):
        self.state = state
        self.workspace = Path(workspace)
        self.throttle = throttle or link_throttle()
        # Its own key, derived from the workspace's: a cookie of beheer means nothing here.
        self.app = self._create(hmac.new(sessie_sleutel(self.workspace), b"indienen", hashlib.sha256).digest())

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)

    def uitnodiging(self, token: str) -> Uitnodiging | None:
        """The valid invitation of `token` for a buurtbudget that exists, or None (then: 404)."""
        if not _TOKEN.fullmatch(token or ""):
            return None
        try:
            u = zoek(self.workspace, token)
        except UserError:
            return None
        if u is None or not u.geldig(datetime.datetime.now(datetime.timezone.utc)):
            return None
        return u if self.state.ledger_path(u.ledger) is not None else None

    def _zonder_paden(self, text: str) -> str:
        """A message without the server's folders (a resident sees it)."""
        for base in (str(self.workspace) + os.sep, str(self.workspace)):
            text = text.replace(base, "")
        return text

    def _create(self, key: bytes) -> flask.Flask:
        app = flask.Flask(__name__, template_folder=str(TEMPLATES))
        limiet = upload_limit()
        limiet_mb = format_mb(limiet).removesuffix(" MB").removesuffix(",0")  # 20 / 2,5
        app.config.update(
            SECRET_KEY=key,
            SESSION_COOKIE_NAME=COOKIE,
            SESSION_COOKIE_PATH="/indienen",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=os.environ.get("BUURTBUDGET_HTTPS") == "1",
            WTF_CSRF_TIME_LIMIT=4 * 3600,
            MAX_CONTENT_LENGTH=limiet + 64 * 1024,  # the receipt and the form's few fields
        )

        def melding(titel: str, tekst: str, status: int, headers: dict | None = None):
            return flask.render_template("indienen_melding.html", titel=titel, melding=tekst), status, headers or {}

        # Before the CSRF check: an unknown link is a 404 whatever is sent to it.
        @app.before_request
        def alleen_met_uitnodiging():
            token = (flask.request.view_args or {}).get("token")
            if token is None:
                return None  # no route: the 404 handler answers
            u = self.uitnodiging(token)
            if u is None:
                return melding("Link niet gevonden",
                               "Deze link bestaat niet, is verlopen of is ingetrokken. Vraag de beheerder van "
                               "het buurtbudget om een nieuwe link.", 404)
            flask.g.uitnodiging = u
            return None

        CSRFProtect(app)

        @app.errorhandler(CSRFError)
        def csrf_fout(exc):
            return melding("Formulier verlopen", "Het formulier was verlopen of kwam niet van deze website. "
                           "Open uw link opnieuw en vul het formulier nog eens in.", 400)

        @app.errorhandler(404)
        def niet_gevonden(exc):
            return melding("Link niet gevonden", "Deze pagina bestaat niet. Gebruik de link die u van de "
                           "beheerder van het buurtbudget kreeg.", 404)

        @app.errorhandler(405)
        def niet_toegestaan(exc):
            return melding("Niet toegestaan", "Deze pagina kan dat niet.", 405)

        @app.errorhandler(413)
        def te_groot(exc):
            return melding("Bon te groot", f"De bon is te groot: hoogstens {limiet_mb} MB. Maak een foto "
                           "met een lagere resolutie of verklein de PDF, en probeer het opnieuw. Er is niets "
                           "opgeslagen.", 413)

        @app.errorhandler(500)
        def interne_fout(exc):
            return melding("Er ging iets mis", "Uw declaratie kon niet worden verwerkt; er is niets opgeslagen. "
                           "Probeer het later opnieuw of neem contact op met de beheerder.", 500)

        @app.after_request
        def prive(response):
            response.headers.setdefault("Cache-Control", "private, no-store")
            response.headers.setdefault("X-Robots-Tag", "noindex")
            return response

        def context(u: Uitnodiging, snap) -> dict:
            view = snap.view
            header = view.header
            plannen = sorted((p for p in view.plans if p.declared and p.name in u.plannen),
                             key=lambda p: u.plannen.index(p.name))  # as the beheerder listed them
            return {
                "plannen": [(p.name, getattr(p, "titel", None) or p.name) for p in plannen],
                "categorieen": list(view.kader.categorieen),
                "begin": header.begin if header is not None else None,
                "einde": header.einde if header is not None else None,
                "titel": header.naam if header is not None else view.title,
            }

        def formulier(u: Uitnodiging, ctx: dict, waarden: dict, fouten: dict, status: int = 200):
            return flask.render_template(
                "indienen_formulier.html", u=u, ctx=ctx, waarden=waarden, fouten=fouten,
                limiet_mb=limiet_mb, per_uur=PER_UUR), status

        def snapshot(u: Uitnodiging):
            snap = self.state.snapshot(u.ledger)
            if snap is None or snap.view is None:
                return None
            return snap

        @app.route("/<token>", methods=["GET", "POST"])
        def indienen(token: str):
            u: Uitnodiging = flask.g.uitnodiging
            snap = snapshot(u)
            if snap is None:
                return melding("Tijdelijk niet beschikbaar", "De administratie van dit buurtbudget is nu niet te "
                               "lezen. Probeer het later opnieuw.", 503)
            ctx = context(u, snap)
            if flask.request.method == "GET":
                eerste = ctx["plannen"][0][0] if len(ctx["plannen"]) == 1 else ""
                return formulier(u, ctx, {"naam": u.naam, "plan": eerste,
                                          "datum": datetime.date.today().isoformat()}, {})
            wacht = self.throttle.blocked_for(u.id, u.id)
            if wacht > 0:
                minuten = int(wacht // 60) + 1
                return melding("Even wachten", f"Via deze link zijn in het afgelopen uur al {PER_UUR} formulieren "
                               f"verstuurd. Probeer het over {minuten} minuten opnieuw; er is niets opgeslagen.",
                               429, {"Retry-After": str(int(wacht) + 1)})
            self.throttle.failed(u.id, u.id)  # every submitted form counts, accepted or not
            form = flask.request.form
            waarden = {k: form.get(k, "") for k in ("bedrag", "datum", "omschrijving", "plan", "categorie",
                                                      "iban", "naam")}
            fouten: dict[str, str] = {}
            try:
                claim = Claim.model_validate(waarden, context={**ctx, "plannen": [n for n, _ in ctx["plannen"]],
                                                               "vandaag": datetime.date.today()})
            except ValidationError as exc:
                claim, fouten = None, _fouten(exc)
            bon = flask.request.files.get("bon")
            inhoud = bon.read(limiet + 1) if bon is not None else b""
            schoon = None
            if not inhoud:
                fouten["bon"] = "voeg een foto of PDF van de bon toe"
            else:
                try:
                    _soort, extensie, schoon = zonder_metadata(inhoud, "de bon", limiet)
                except BonFout as exc:
                    fouten["bon"] = str(exc)
            if fouten or claim is None or schoon is None:
                return formulier(u, ctx, waarden, fouten, 400)
            map_ = Path(tempfile.mkdtemp(prefix="buurtbudget-indienen-"))
            try:
                pad = map_ / f"declaratie{extensie}"
                fd = os.open(pad, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(schoon)
                invoer = DeclaratieInvoer(datum=claim.datum, declarant=claim.naam, iban=claim.iban,
                                          bedrag=claim.bedrag, plan=claim.plan, categorie=claim.categorie,
                                          omschrijving=claim.omschrijving, door=u.naam, bon=pad,
                                          uitnodiging=u.id)
                resultaat = schrijf(self.state.ledger_path(u.ledger), lambda stand: maak_declaratie(stand, invoer),
                                    door=u.naam, valideer=valideer)
            except WijzigingGeweigerd as exc:
                codes = sorted({str(getattr(f, "code", "")) for f in exc.fouten} - {""})
                fouten["algemeen"] = ("Deze declaratie past niet binnen de regels van het buurtbudget"
                                      + (f" ({', '.join(codes)})" if codes else "")
                                      + "; er is niets opgeslagen. Neem contact op met de beheerder.")
                return formulier(u, ctx, waarden, fouten, 422)
            except DubbeleDeclaratie:
                # Whose claim it doubles (a name, an amount, a place in the books) is not the resident's
                # to read, and confirming a double is the beheerder's (`--toch` is no word for a phone).
                fouten["algemeen"] = ("Deze declaratie of deze bon is al ingediend: één uitgave wordt maar één "
                                      "keer vergoed. Er is niets opgeslagen. Is dit echt een tweede uitgave? "
                                      "Neem dan contact op met de beheerder.")
                return formulier(u, ctx, waarden, fouten, 422)
            except Fout as exc:
                fouten["algemeen"] = self._zonder_paden(str(exc)) + "; er is niets opgeslagen."
                return formulier(u, ctx, waarden, fouten, 422)
            finally:
                shutil.rmtree(map_, ignore_errors=True)
            nieuw = re.search(r"\^(\S+)", resultaat.omschrijving)
            return flask.redirect(flask.url_for("status", token=token, nieuw=nieuw.group(1) if nieuw else None), 303)

        @app.route("/<token>/status")
        def status(token: str):
            u: Uitnodiging = flask.g.uitnodiging
            snap = snapshot(u)
            if snap is None:
                return melding("Tijdelijk niet beschikbaar", "De administratie van dit buurtbudget is nu niet te "
                               "lezen. Probeer het later opnieuw.", 503)
            nieuw = flask.request.args.get("nieuw", "")
            eigen = eigen_declaraties(snap.view, u)
            if nieuw and not any(d.link == nieuw for d in eigen):
                time.sleep(self.state.check_interval)  # just written: the next look sees the changed files
                snap = snapshot(u) or snap
                eigen = eigen_declaraties(snap.view, u)
            ontvangen = next((d for d in eigen if d.link == nieuw), None)
            return flask.render_template("indienen_status.html", u=u, ctx=context(u, snap), declaraties=eigen,
                                         ontvangen=ontvangen)

        return app
