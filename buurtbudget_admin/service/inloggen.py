"""Logging in to beheer: the login form, the logout and the start page, as one small Flask app.

    /beheer/inloggen    the form (GET), the login (POST; throttled like HTTP Basic)
    /beheer/uitloggen   a small confirm form (GET), the logout (POST)
    /beheer/            the start page: the budgets this user may open, with what needs doing

Sessions: Flask-Login over Flask's signed session cookie (`bb_sessie`, HttpOnly,
SameSite=Lax, path /beheer, at most `ABSOLUUT` old). The cookie names a random
session id; the sessions themselves live here, in the server (`Sessies`), so a
logout ends a session for good (a copied cookie opens nothing afterwards), a
session idle for `INACTIEF` ends, and a changed password or a removed user ends
every session of that login. A restart of the service logs everyone out.

Forms: Flask-WTF (CSRF token on every form; a POST without a valid one is 400),
the submitted data validated by pydantic. The signing key is made once per
workspace (`sessie_sleutel`), 0600, beside gebruikers.toml, never in a ledger folder.
"""

from __future__ import annotations

import datetime
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import flask
import flask_login
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from pydantic import BaseModel, ValidationError, field_validator
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from buurtbudget_admin.service.users import User, UserStore, UsersFileError, load_users
from ledger.schrijver.bestanden import atomic_write_bytes

TEMPLATES = Path(__file__).parent / "templates"
SLEUTEL_MAP = ".buurtbudget"
SLEUTEL_BESTAND = "sessie-sleutel"
COOKIE = "bb_sessie"
ABSOLUUT = datetime.timedelta(hours=8)  # a session ends 8 hours after the login, whatever happens
INACTIEF = datetime.timedelta(hours=2)  # ... or after 2 hours without a request
START, INLOGGEN, UITLOGGEN = "", "inloggen", "uitloggen"
PAGES = frozenset({START, INLOGGEN, UITLOGGEN})


def sessie_sleutel(workspace: Path) -> bytes:
    """The workspace's key that signs session cookies: made once (0600), read afterwards.

    It lies in `<werkruimte>/.buurtbudget/` beside gebruikers.toml: no ledger folder (those are
    folders with main.beancount, and `state.discover` skips dot-folders), never in git's way.
    """
    folder = Path(workspace) / SLEUTEL_MAP
    path = folder / SLEUTEL_BESTAND
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    folder.mkdir(mode=0o700, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # a workspace in git: the key never goes into a commit
        ignore.write_text("# De sleutel van de sessies van beheer: nooit in git.\n*\n", encoding="utf-8")
    key = secrets.token_hex(32).encode()
    atomic_write_bytes(path, key, modus=0o600)
    return key


def sessie_instellingen(key: bytes) -> dict:
    """Flask's session settings of beheer: the login app and the beheer Fava share one cookie.

    Fava's forms (the extension's) check their CSRF token against the token in this session
    (Flask-WTF), so both apps sign it with the same key and read it under the same name and path.
    """
    return dict(
        SECRET_KEY=key,
        SESSION_COOKIE_NAME=COOKIE,
        SESSION_COOKIE_PATH="/beheer",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("BUURTBUDGET_HTTPS") == "1",
        PERMANENT_SESSION_LIFETIME=ABSOLUUT,
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=int(ABSOLUUT.total_seconds()),
    )


@dataclass
class _Sessie:
    login: str
    wachtwoord_hash: str  # a changed password ends the session
    begin: float
    laatst: float


class Sessies:
    """The open sessions, in the server: begun at login, ended at logout or when they expire."""

    def __init__(self, absoluut: datetime.timedelta = ABSOLUUT, inactief: datetime.timedelta = INACTIEF,
                 clock: Callable[[], float] = time.monotonic):
        self.absoluut = absoluut.total_seconds()
        self.inactief = inactief.total_seconds()
        self.clock = clock
        self._lock = threading.Lock()
        self._open: dict[str, _Sessie] = {}

    def begin(self, user: User) -> str:
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            if len(self._open) > 10_000:  # bounded: forget expired sessions first
                for key in [k for k, s in self._open.items() if not self._levend(s, now)]:
                    del self._open[key]
            self._open[sid] = _Sessie(user.name, user.password_hash, now, now)
        return sid

    def _levend(self, sessie: _Sessie, now: float) -> bool:
        return now - sessie.begin < self.absoluut and now - sessie.laatst < self.inactief

    def login_van(self, sid: str, users: dict[str, User]) -> User | None:
        """The user of an open session (and the session touched), or None (and the session ended)."""
        now = self.clock()
        with self._lock:
            sessie = self._open.get(sid)
            if sessie is None:
                return None
            user = users.get(sessie.login)
            if not self._levend(sessie, now) or user is None or user.password_hash != sessie.wachtwoord_hash:
                del self._open[sid]
                return None
            sessie.laatst = now
            return user

    def beeindig(self, sid: str) -> None:
        with self._lock:
            self._open.pop(sid, None)


class Ingelogd(flask_login.UserMixin):
    """Flask-Login's user: a session id (what the cookie holds) and the user of gebruikers.toml."""

    def __init__(self, sid: str, user: User):
        self.sid = sid
        self.user = user

    def get_id(self) -> str:
        return self.sid


def weergavenaam(user: User) -> str:
    """The person behind the login (gebruikers.toml's `naam`), as the books record them."""
    return user.persoon


# -- what a form submits, validated --------------------------------------------------------------
_VOLGENDE = re.compile(r"/beheer/[A-Za-z0-9._~/%?=&+-]*")


def terug_naar(value: object) -> str:
    """Where a login goes afterwards: only a page of beheer on this site (no `//host`, no backslash,
    no scheme, no `..`); anything else is the start page."""
    text = value if isinstance(value, str) else ""
    if not _VOLGENDE.fullmatch(text) or "//" in text or "/../" in text or text.endswith("/.."):
        return "/beheer/"
    return text


class Inlog(BaseModel):
    gebruikersnaam: str
    wachtwoord: str
    volgende: str = "/beheer/"

    @field_validator("gebruikersnaam")
    @classmethod
    def _naam(cls, value: str) -> str:
        value = value.strip()
        if not 1 <= len(value) <= 64:
            raise ValueError("vul uw gebruikersnaam in")
        return value

    @field_validator("wachtwoord")
    @classmethod
    def _wachtwoord(cls, value: str) -> str:
        if not 1 <= len(value) <= 1024:
            raise ValueError("vul uw wachtwoord in")
        return value

    @field_validator("volgende", mode="before")
    @classmethod
    def _volgende(cls, value: object) -> str:
        return terug_naar(value)


class InlogFormulier(FlaskForm):
    gebruikersnaam = StringField("Gebruikersnaam", validators=[InputRequired(), Length(max=64)],
                                 render_kw={"autocomplete": "username", "autocapitalize": "none",
                                            "spellcheck": "false"})
    wachtwoord = PasswordField("Wachtwoord", validators=[InputRequired(), Length(max=1024)],
                               render_kw={"autocomplete": "current-password"})
    volgende = HiddenField()  # where to go after the login (validated by Inlog)
    inloggen = SubmitField("Inloggen")


class UitlogFormulier(FlaskForm):
    uitloggen = SubmitField("Uitloggen")


# -- the start page: what needs doing per budget ---------------------------------------------------
# The anchors of the Buurtbudget page where each item of the work queue is resolved. The sections
# that carry them are written down in docs/readme-service.md; a claim's own place is `bb-decl-<link>`.
ANKER_WACHTEND = "bb-wachtend"  # claims waiting for a second person (the approval forms)
ANKER_BETALEN = "bb-betalen"  # approved, to pay (the payment batch form)
ANKER_BANK = "bb-bank"  # batches at the bank and bank lines not matched (the statement upload)
ANKER_BONNEN = "bb-bonnen"  # bookings without a receipt (attach one)
ANKER_OORDEEL = "bb-oordeel"  # the rules' verdict
ANKER_SIGNALEN = "bb-signalen"  # the signals of the ledger (beheer only)


def anker_declaratie(link: str) -> str:
    """The anchor of one claim (or invoice) on the Buurtbudget page: `bb-decl-<link>`."""
    return f"bb-decl-{link}"


@dataclass(frozen=True)
class Taak:
    id: str
    tekst: str
    aantal: int
    href: str
    items: tuple[tuple[str, str], ...] = ()  # (label, href) of each thing to do, when the item lists them


@dataclass(frozen=True)
class Budget:
    slug: str
    titel: str
    href: str
    schrijven: bool
    fout: str | None
    taken: tuple[Taak, ...]


def namen_van(user: User) -> tuple[str, ...]:
    """The names one person goes by in the books: the full name (what writes record) and the login."""
    return (weergavenaam(user), user.name)


def taken_van(snap, user: User) -> tuple[Taak, ...]:
    """What needs doing in one ledger for this user, each item linked to the place on the ledger's
    Buurtbudget page that resolves it (the `ANKER_...` anchors)."""
    from urllib.parse import quote

    from buurtbudget_admin.service.landing import aantal_overtredingen
    from ledger.betalingen.batches import onverwerkte_regels, te_betalen, wachtend
    from ledger.evaluatie.vier_ogen import mag_goedkeuren

    pagina = f"/beheer/{snap.slug}/extension/Buurtbudget/"
    view = snap.view
    ik = namen_van(user)
    # Never the user's own: the one four-eyes predicate, under the login and the full name.
    beoordelen = [p for p in view.payables if p.status == "ingediend" and p.link
                  and mag_goedkeuren(ik, ingevoerd_door=p.entered_by, declarant=p.declarant)]
    betalen = te_betalen(view, snap.entries)
    opdrachten = set(wachtend(snap.entries, view).values())
    onverwerkt = onverwerkte_regels(snap.entries, view)
    per_declaratie = tuple((f"^{p.link} · {p.declarant or p.payee or ''}",
                            pagina + "#" + quote(anker_declaratie(p.link), safe="-_.~"))
                           for p in beoordelen)
    return (
        Taak("overtredingen", "Overtredingen van de regels", aantal_overtredingen(snap), pagina + "#" + ANKER_OORDEEL),
        Taak("zonder-bon", "Boekingen zonder bon", sum(1 for p in snap.problems if p.code == "BB-BON"),
             pagina + "#" + ANKER_BONNEN),
        Taak("beoordelen", "Declaraties die wachten op een tweede persoon", len(beoordelen),
             pagina + "#" + ANKER_WACHTEND, per_declaratie),
        Taak("te-betalen", "Goedgekeurd, nog te betalen", len(betalen), pagina + "#" + ANKER_BETALEN),
        Taak("bij-de-bank", "Betaalopdrachten die bij de bank liggen", len(opdrachten), pagina + "#" + ANKER_BANK),
        Taak("onverwerkt", "Bankregels die nog niet gekoppeld zijn (Onverwerkt)", len(onverwerkt),
             pagina + "#" + ANKER_BANK),
    )


def budgetten_van(state, user: User) -> list[Budget]:
    out = []
    for slug in state.slugs():
        if not user.may_read(slug):
            continue
        snap = state.snapshot(slug, wait=False)
        if snap is None:
            continue
        href = f"/beheer/{slug}/extension/Buurtbudget/"
        if snap.view is None:
            out.append(Budget(slug, slug, href, user.may_write(slug), snap.read_error or "niet te lezen", ()))
            continue
        header = snap.view.header
        titel = header.naam if header is not None else snap.view.title
        out.append(Budget(slug, titel, href, user.may_write(slug), None, taken_van(snap, user)))
    return out


@dataclass(frozen=True)
class Dossier:
    """A budget as the auditor's start page shows it: its phase, the rules' verdict and its statement."""

    slug: str
    titel: str
    href: str
    fase: str
    fase_label: str
    overtredingen: int
    pdf_href: str  # the statement PDF of today's books (the latest dossier)
    fout: str | None


def dossiers_van(state, user: User) -> list[Dossier]:
    """Every budget the auditor may read, with phase and verdict as the overview computes them (`card_of`)."""
    from buurtbudget_admin.service.landing import card_of

    out = []
    for slug in state.slugs():
        if not user.may_read(slug):
            continue
        snap = state.snapshot(slug, wait=False)
        if snap is None:
            continue
        href = f"/beheer/{slug}/extension/Buurtbudget/"
        card = card_of(snap)
        fout = (snap.read_error or "niet te lezen") if card.unreadable else None
        out.append(Dossier(slug, card.title, href, card.fase, card.fase_label, card.violations, href + "pdf", fout))
    return out


# -- the app -------------------------------------------------------------------------------------
class Inloggen:
    """The Flask app at /beheer/{,inloggen,uitloggen}, and the session lookup BeheerAuth asks."""

    def __init__(self, state, users: UserStore, throttle, workspace: Path, sessies: Sessies | None = None):
        self.state = state
        self.users = users
        self.throttle = throttle
        self.sessies = sessies or Sessies()
        self._users_lock = threading.Lock()
        self._users_stamp: tuple | None = None
        self._users: dict[str, User] = {}
        self.app = self._create(sessie_sleutel(workspace))

    def huidige_gebruikers(self) -> dict[str, User]:
        """gebruikers.toml as it is now (read again when it changed)."""
        try:
            st = self.users.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            return {}
        with self._users_lock:
            if stamp != self._users_stamp:
                self._users = load_users(self.users.path)
                self._users_stamp = stamp
            return self._users

    def gebruiker(self, environ: dict) -> User | None:
        """The user whose session cookie this request carries (None: no open session)."""
        if COOKIE not in environ.get("HTTP_COOKIE", ""):
            return None
        with self.app.request_context(environ):
            current = flask_login.current_user
            return current.user if current.is_authenticated else None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)

    def _create(self, key: bytes) -> flask.Flask:
        app = flask.Flask(__name__, template_folder=str(TEMPLATES))
        app.config.update(sessie_instellingen(key), MAX_CONTENT_LENGTH=16 * 1024)
        CSRFProtect(app)
        manager = flask_login.LoginManager(app)
        manager.session_protection = "basic"

        @manager.user_loader
        def laad(sid: str):
            try:
                user = self.sessies.login_van(sid, self.huidige_gebruikers())
            except UsersFileError:
                return None
            return Ingelogd(sid, user) if user is not None else None

        @manager.unauthorized_handler
        def niet_ingelogd():
            here = flask.request.script_root + flask.request.full_path.rstrip("?")
            return flask.redirect(flask.url_for("inloggen", volgende=here), 303)

        @app.errorhandler(CSRFError)
        def csrf_fout(exc):
            return flask.render_template(
                "beheer_melding.html", titel="Formulier verlopen",
                melding="Het formulier was verlopen of kwam niet van deze website (CSRF-controle). "
                        "Laad de pagina opnieuw en probeer het nog eens."), 400

        @app.errorhandler(404)
        def niet_gevonden(exc):
            return flask.render_template("beheer_melding.html", titel="Niet gevonden",
                                         melding="Deze pagina bestaat niet in de beheeromgeving."), 404

        @app.errorhandler(405)
        def niet_toegestaan(exc):
            return flask.render_template("beheer_melding.html", titel="Niet toegestaan",
                                         melding="Deze pagina kan dat niet."), 405

        @app.errorhandler(413)
        def te_groot(exc):
            return flask.render_template("beheer_melding.html", titel="Verzoek te groot",
                                         melding="Dit formulier is groter dan een inlog kan zijn."), 413

        @app.errorhandler(UsersFileError)
        def gebruikers_fout(exc):
            return flask.render_template("beheer_melding.html", titel="Gebruikersbestand onleesbaar",
                                         melding=str(exc)), 500

        @app.after_request
        def prive(response):
            response.headers.setdefault("Cache-Control", "private, no-store")
            return response

        @app.route("/inloggen", methods=["GET", "POST"], strict_slashes=False)
        def inloggen():
            form = InlogFormulier()
            if flask.request.method == "GET":
                form.volgende.data = terug_naar(flask.request.args.get("volgende"))
                melding = "U bent uitgelogd." if "uitgelogd" in flask.request.args else None
                return flask.render_template("beheer_inloggen.html", form=form, melding=melding, fout=None)
            # POST: Flask-WTF checked the CSRF token before we got here.
            try:
                inlog = Inlog.model_validate({"gebruikersnaam": flask.request.form.get("gebruikersnaam", ""),
                                              "wachtwoord": flask.request.form.get("wachtwoord", ""),
                                              "volgende": flask.request.form.get("volgende", "")})
            except ValidationError as exc:
                fout = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
                return flask.render_template("beheer_inloggen.html", form=form, melding=None, fout=fout), 400
            client, name_key = flask.request.remote_addr or "?", inlog.gebruikersnaam.lower()
            wait = self.throttle.blocked_for(client, name_key)
            if wait > 0:
                seconds = int(wait) + 1
                fout = f"Te veel mislukte inlogpogingen. Probeer het over {seconds} seconden opnieuw."
                return (flask.render_template("beheer_inloggen.html", form=form, melding=None, fout=fout), 429,
                        {"Retry-After": str(seconds)})
            user = self.users.authenticate(inlog.gebruikersnaam, inlog.wachtwoord)
            if user is None:
                self.throttle.failed(client, name_key)
                form.wachtwoord.data = ""
                return flask.render_template("beheer_inloggen.html", form=form, melding=None,
                                             fout="Gebruikersnaam of wachtwoord onjuist."), 200
            self.throttle.succeeded(client, name_key)
            # A new session, a new cookie: nothing of the anonymous session (fixation) carries over.
            flask.session.clear()
            flask.session.permanent = True
            flask_login.login_user(Ingelogd(self.sessies.begin(user), user))
            return flask.redirect(inlog.volgende, 303)

        @app.route("/uitloggen", methods=["GET", "POST"], strict_slashes=False)
        def uitloggen():
            form = UitlogFormulier()
            current = flask_login.current_user
            if flask.request.method == "POST":
                if current.is_authenticated:
                    self.sessies.beeindig(current.sid)
                flask_login.logout_user()
                flask.session.clear()
                return flask.redirect(flask.url_for("inloggen", uitgelogd=1), 303)
            return flask.render_template("beheer_uitloggen.html", form=form,
                                         ingelogd=current.is_authenticated,
                                         naam=weergavenaam(current.user) if current.is_authenticated else None)

        @app.route("/")
        @flask_login.login_required
        def start():
            user = flask_login.current_user.user
            if user.role == "auditor":  # the auditor decides on dossiers; the day's queue is the beheerder's
                return flask.render_template("beheer_start.html", naam=weergavenaam(user), user=user,
                                             dossiers=dossiers_van(self.state, user), budgetten=(),
                                             uitlog=UitlogFormulier())
            return flask.render_template("beheer_start.html", naam=weergavenaam(user), user=user,
                                         budgetten=budgetten_van(self.state, user), dossiers=None,
                                         uitlog=UitlogFormulier())

        return app
