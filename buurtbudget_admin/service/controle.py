"""The auditor's pages in beheer: check a dossier received by e-mail, download what the stadsdeel needs.

    /beheer/controle/            every budget with its phase and a fresh dossier; the upload form
    /beheer/controle/verifieer   POST a dossier (PDF): `buurtbudget verifieer`'s verdict, and whether
                                 it still matches the live books of its ledger (`reports.actueel`)
    /beheer/controle/overzicht   the stadsdeel overview PDF (`buurtbudget report-stadsdeel`), as a download;
                                 `?stadsdeel=Noord` for one stadsdeel

A small Flask app of its own, mounted beside the login (`service.inloggen`): it
reads the same session cookie with the same key, so the login of /beheer/ is
the login here, and its forms carry the same CSRF token (Flask-WTF). Only an
auditor (gebruikers.toml) may use it; a beheerder gets 403. The uploaded file
is hostile: it is read into a private temporary folder, never kept, and
whatever is wrong with it is a Dutch verdict, never a traceback.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import flask
import flask_login
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SubmitField

from buurtbudget_admin.service.auth import same_origin
from buurtbudget_admin.service.inloggen import Ingelogd, Inloggen
from buurtbudget_admin.service.users import User, UsersFileError

if TYPE_CHECKING:
    from reports.actueel import Actueel

TEMPLATES = Path(__file__).parent / "templates"
PREFIX = "/beheer/controle"
MAX_DOSSIER = 64 * 1024 * 1024  # a dossier with every receipt: tens of MB at most
TEGELIJK = 2  # verifications at a time (each renders a statement anew): the server stays responsive

log = logging.getLogger(__name__)


class UploadFormulier(FlaskForm):
    dossier = FileField("Verantwoording (PDF)", validators=[FileRequired("kies een PDF-bestand")],
                        render_kw={"accept": "application/pdf,.pdf"})
    controleren = SubmitField("Controleren")


@dataclass(frozen=True, slots=True)
class Regel:
    """One line of the verdict as the page shows it."""

    naam: str
    ok: bool
    bericht: str


@dataclass(frozen=True)
class Oordeel:
    """What the page shows for one uploaded file: the verdict, or the reason it is no statement."""

    bestand: str
    ok: bool
    samenvatting: str
    regels: tuple[Regel, ...] = ()
    actueel: "Actueel | None" = None  # beside the live books of its ledger
    actueel_fout: str | None = None


def _bestandsnaam(name: str | None) -> str:
    """The uploaded file's name as shown: the last part, printable, short."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return (base or "dossier.pdf")[:120]


# verifieer loads the embedded books in a temporary folder: its path is no business of the page.
_TIJDELIJK = re.compile(re.escape(tempfile.gettempdir().rstrip("/")) + r"/buurtbudget-[^/\s]+/(?:map\d+/)*")


def beoordeel(data: bytes, naam: str, state, user: User) -> Oordeel:
    """`buurtbudget verifieer` over these bytes, and the live books of the ledger the statement names."""
    from reports.verify import NotAStatement, samenvatting, verify

    with tempfile.TemporaryDirectory(prefix="buurtbudget-controle-") as tmp:
        path = Path(tmp) / "dossier.pdf"
        path.write_bytes(data)

        def shown(text: str) -> str:  # the server's temporary paths never reach the page
            return _TIJDELIJK.sub("", text.replace(str(path), naam))

        try:
            result = verify(path)
        except NotAStatement as exc:
            return Oordeel(naam, False, shown(str(exc)))
        except Exception as exc:  # noqa: BLE001 - a hostile file must end in a verdict, never a traceback
            log.exception("controle van %s", naam)
            return Oordeel(naam, False, f"{naam}: de controle kon niet worden afgerond ({type(exc).__name__}); "
                                        "deze verantwoording is niet goedgekeurd.")
        regels = tuple(Regel(c.name, c.ok, shown(c.message)) for c in result.checks)
        actueel, actueel_fout = _actueel(result.opened, state, user)
        return Oordeel(naam, result.ok, samenvatting(result, naam), regels, actueel, actueel_fout)


def _actueel(opened, state, user: User):
    """(reports.actueel.Actueel, None) or (None, the reason there is nothing to compare with)."""
    from reports.actueel import NietTeVergelijken, vergelijk

    manifest = getattr(opened, "manifest", None)
    if manifest is None:
        return None, "de verantwoording noemt haar buurtbudget niet leesbaar; niet te vergelijken met de boeken"
    slug = manifest.get("map")
    if not isinstance(slug, str) or slug not in state.slugs():
        return None, "het buurtbudget van deze verantwoording staat niet in deze werkruimte"
    if not user.may_read(slug):
        return None, "u mag de boeken van dit buurtbudget niet lezen"
    ledger = state.ledger_path(slug)
    if ledger is None:
        return None, "het buurtbudget van deze verantwoording staat niet in deze werkruimte"
    try:
        return vergelijk(manifest, opened.files, ledger), None
    except NietTeVergelijken as exc:
        return None, str(exc).replace(str(state.workspace) + "/", "").replace(str(state.workspace), "de werkruimte")
    except Exception as exc:  # noqa: BLE001 - the statement's embedded sources are hostile
        log.exception("vergelijking met %s", slug)
        return None, f"niet te vergelijken met de huidige boeken ({type(exc).__name__})"


@dataclass(frozen=True)
class BudgetRegel:
    slug: str
    titel: str
    stadsdeel: str
    fase: str
    overtredingen: int | None
    dossier: str  # a fresh statement (the extension's PDF endpoint)


def stadsdelen(rows: list[BudgetRegel]) -> tuple[str, ...]:
    """The stadsdelen of the workspace, as the ledgers' headers spell them (one per name, any case)."""
    found: dict[str, str] = {}
    for r in rows:
        if r.stadsdeel:
            found.setdefault(r.stadsdeel.casefold(), r.stadsdeel)
    return tuple(sorted(found.values(), key=str.casefold))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "stadsdeel"


def overzicht_pdf(workspace: Path, stadsdeel: str | None) -> tuple[bytes, str]:
    """The overview PDF (as `report-stadsdeel` writes it) and its file name: by stadsdeel and date."""
    from reports.overview import build_overview
    from reports.render import render_overview

    overview = build_overview(workspace, stadsdeel=stadsdeel, workers=1, progress=False)
    pdf, _pages = render_overview(overview)
    where = "-".join(_slug(s) for s in overview.stadsdelen) if overview.stadsdelen else "stadsdelen"
    return bytes(pdf), f"overzicht-{where[:120]}-{overview.statement_date.isoformat()}.pdf"


def budgetten(state) -> list[BudgetRegel]:
    from buurtbudget_admin.service.landing import FASE_LABELS, aantal_overtredingen

    out = []
    for slug in state.slugs():
        snap = state.snapshot(slug, wait=False)
        href = f"/beheer/{slug}/extension/Buurtbudget/pdf"
        if snap is None or snap.view is None:
            out.append(BudgetRegel(slug, slug, "", "niet te lezen", None, href))
            continue
        header = snap.view.header
        out.append(BudgetRegel(slug, header.naam if header else snap.view.title, header.stadsdeel if header else "",
                                FASE_LABELS.get(snap.view.fase, snap.view.fase), aantal_overtredingen(snap), href))
    return out


class Controle:
    """The Flask app at /beheer/controle/, sharing the login's session (`Inloggen`)."""

    def __init__(self, state, inloggen: Inloggen, workspace: Path):
        self.state = state
        self.inloggen = inloggen
        self.workspace = Path(workspace)
        self._bezig = threading.BoundedSemaphore(TEGELIJK)
        self.app = self._create()

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)

    def _create(self) -> flask.Flask:
        app = flask.Flask(__name__, template_folder=str(TEMPLATES))
        shared = self.inloggen.app.config
        # The login's cookie, key and CSRF settings: one session for all of /beheer/.
        app.config.update({key: shared[key] for key in (
            "SECRET_KEY", "SESSION_COOKIE_NAME", "SESSION_COOKIE_PATH", "SESSION_COOKIE_HTTPONLY",
            "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_SECURE", "PERMANENT_SESSION_LIFETIME",
            "SESSION_REFRESH_EACH_REQUEST", "WTF_CSRF_TIME_LIMIT")})
        app.config["MAX_CONTENT_LENGTH"] = MAX_DOSSIER
        manager = flask_login.LoginManager(app)
        manager.session_protection = "basic"

        @manager.user_loader
        def laad(sid: str):
            try:
                user = self.inloggen.sessies.login_van(sid, self.inloggen.huidige_gebruikers())
            except UsersFileError:
                return None
            return Ingelogd(sid, user) if user is not None else None

        @manager.unauthorized_handler
        def niet_ingelogd():
            here = flask.request.script_root + flask.request.path
            return flask.redirect(f"/beheer/inloggen?volgende={here}", 303)

        def melding(titel: str, tekst: str, status: int):
            return flask.render_template("controle_melding.html", titel=titel, melding=tekst), status

        @app.errorhandler(CSRFError)
        def csrf_fout(exc):
            return melding("Formulier verlopen", "Het formulier was verlopen of kwam niet van deze website "
                                                 "(CSRF-controle). Laad de pagina opnieuw en probeer het nog eens.", 400)

        @app.errorhandler(RequestEntityTooLarge)
        def te_groot(exc):
            limit = app.config["MAX_CONTENT_LENGTH"]
            size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} kB"
            return melding("Bestand te groot", f"Een verantwoording mag hoogstens {size} zijn; dit bestand is groter.",
                           413)

        @app.errorhandler(404)
        def niet_gevonden(exc):
            return melding("Niet gevonden", "Deze pagina bestaat niet.", 404)

        @app.errorhandler(405)
        def niet_toegestaan(exc):
            return melding("Niet toegestaan", "Deze pagina kan dat niet.", 405)

        @app.errorhandler(UsersFileError)
        def gebruikers_fout(exc):
            return melding("Gebruikersbestand onleesbaar", str(exc), 500)

        @app.before_request
        def alleen_auditor():
            if flask.request.method not in ("GET", "HEAD") and not same_origin(flask.request):
                return melding("Geweigerd", "Een formulier moet van een pagina van deze website komen.", 403)
            current = flask_login.current_user
            if not current.is_authenticated:
                return manager.unauthorized()
            if current.user.role != "auditor":
                return melding("Geen toegang", f"Gebruiker '{current.user.name}' ({current.user.role}) is geen "
                                               "auditor van het stadsdeel; alleen een auditor controleert dossiers.", 403)
            return None

        CSRFProtect(app)  # after the login and role check: anyone else is refused before the form is read

        @app.after_request
        def prive(response):
            response.headers.setdefault("Cache-Control", "private, no-store")
            return response

        @app.route("/")
        def start():
            user = flask_login.current_user.user
            rows = budgetten(self.state)
            return flask.render_template("controle_start.html", naam=user.persoon, budgetten=rows,
                                         stadsdelen=stadsdelen(rows), form=UploadFormulier())

        @app.route("/overzicht")
        def overzicht():
            from reports.context import StatementError

            asked = flask.request.args.get("stadsdeel") or None
            known = {s.casefold(): s for s in stadsdelen(budgetten(self.state))}
            if asked is not None and asked.casefold() not in known:
                return melding("Niet gevonden", "Geen buurtbudgetten van dit stadsdeel in deze werkruimte.", 404)
            if not self._bezig.acquire(timeout=60):
                return melding("Even geduld", "Er worden nu te veel PDF's tegelijk gemaakt; "
                                              "probeer het over een minuut opnieuw.", 503)
            try:
                pdf, name = overzicht_pdf(self.workspace, known.get(asked.casefold()) if asked else None)
            except StatementError as exc:
                return melding("Geen overzicht", str(exc).replace(str(self.workspace), "de werkruimte"), 409)
            finally:
                self._bezig.release()
            return flask.Response(pdf, 200, content_type="application/pdf",
                                  headers={"Content-Disposition": f'attachment; filename="{name}"'})

        @app.route("/verifieer", methods=["POST"])
        def verifieer():
            user = flask_login.current_user.user
            form = UploadFormulier()
            if not form.validate_on_submit():
                fouten = "; ".join(e for errors in form.errors.values() for e in errors)
                rows = budgetten(self.state)
                return flask.render_template("controle_start.html", naam=user.persoon, budgetten=rows,
                                             stadsdelen=stadsdelen(rows), form=form, fout=fouten), 400
            upload = form.dossier.data
            naam = _bestandsnaam(upload.filename)
            data = upload.read(MAX_DOSSIER + 1)
            if len(data) > MAX_DOSSIER:
                raise RequestEntityTooLarge()
            if not self._bezig.acquire(timeout=60):
                return melding("Even geduld", "Er worden nu te veel verantwoordingen tegelijk gecontroleerd; "
                                              "probeer het over een minuut opnieuw.", 503)
            try:
                oordeel = beoordeel(data, naam, self.state, user)
            finally:
                self._bezig.release()
            return flask.render_template("controle_oordeel.html", naam=user.persoon, oordeel=oordeel,
                                         form=UploadFormulier())

        return app
