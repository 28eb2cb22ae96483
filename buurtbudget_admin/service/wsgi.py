"""One WSGI application over all ledgers of a workspace.

    /                 landing page: actuele stand van zaken per buurt
    /buurt/<slug>/    Fava, read-only, over the redacted public copy (an allow-list of pages)
    /beheer/          start page after the login (/beheer/inloggen, /beheer/uitloggen)
    /beheer/<slug>/   Fava over the real ledger, behind a login (gebruikers.toml)
    /beheer/controle/ the auditor's pages: check a dossier, the stadsdeel overview (`service.controle`)
    /indienen/<token> a resident's claim through an invitation (service.indienen)

    from buurtbudget_admin.service.wsgi import create_service
    application = create_service("/pad/naar/werkruimte")

Every answer carries the security headers (`auth.SecurityHeaders`); every redirect stays on this
site (`grenzen.OwnRedirects`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from buurtbudget_admin.service.controle import PREFIX as CONTROLE, Controle
from buurtbudget_admin.service.auth import BeheerAuth, LoginThrottle, PublicGuard, SecurityHeaders
from buurtbudget_admin.service.fava_apps import create_fava
from buurtbudget_admin.service.grenzen import OwnRedirects
from buurtbudget_admin.service.indienen import Indienen
from buurtbudget_admin.service.inloggen import Inloggen, sessie_sleutel
from buurtbudget_admin.service.landing import LandingPage
from buurtbudget_admin.service.public_cache import PublicCache
from buurtbudget_admin.service.queries import QueryDoor
from buurtbudget_admin.service.state import WorkspaceState
from buurtbudget_admin.service.users import UserStore, users_path


@dataclass
class Service:
    """The composed application and its parts (tests and the bench reach in here)."""

    state: WorkspaceState
    users: UserStore
    landing: LandingPage
    public_fava: object
    beheer_fava: object
    throttle: LoginThrottle
    app: object
    inloggen: Inloggen
    public_cache: PublicCache
    controle: Controle | None = None
    indienen: Indienen | None = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _public_hidden_paths(state: WorkspaceState):
    """The server paths cut out of public answers, longest first (the copy's own folder becomes '')."""
    from fava.context import g

    home = os.path.expanduser("~")
    fixed = [(str(state.public_root) + os.sep, ""), (str(state.public_root), "[openbaar]"),
             (str(state.cache_dir), "[cache]"), (str(state.workspace) + os.sep, ""),
             (str(state.workspace), "[werkruimte]")]
    if len(home) > 1:
        fixed.append((home, "~"))

    def hidden() -> list[tuple[str, str]]:
        slug = getattr(g, "beancount_file_slug", None)
        own = [(str(state.public_root / slug) + os.sep, "")] if slug else []
        return own + fixed

    return hidden


def create_service(workspace: str | Path, *, cache_dir: str | Path | None = None,
                   check_interval: float = 1.0, query_seconds: float = 3.0,
                   throttle: LoginThrottle | None = None) -> Service:
    workspace = Path(workspace).resolve()
    state = WorkspaceState(workspace, Path(cache_dir).resolve() if cache_dir else None,
                           check_interval=check_interval)
    users = UserStore(users_path(workspace))
    throttle = throttle or LoginThrottle()
    landing = LandingPage(state)
    public_fava = create_fava(state.public_path, read_only=True, mode="publiek",
                              query_door=QueryDoor(query_seconds, slots=2),
                              hidden_paths=_public_hidden_paths(state))
    beheer_fava = create_fava(state.ledger_path, read_only=False, mode="beheer",
                              query_door=QueryDoor(query_seconds, slots=2), session_key=sessie_sleutel(workspace))
    public_fava.config["BUURTBUDGET_STATE"] = state
    beheer_fava.config["BUURTBUDGET_STATE"] = state
    inloggen = Inloggen(state, users, throttle, workspace)

    def version_of(slug: str) -> int | None:
        snap = state.snapshot(slug, wait=False)
        return snap.version if snap is not None else None

    public_cache = PublicCache(public_fava, version_of)
    indienen = Indienen(state, workspace)
    app = SecurityHeaders(OwnRedirects(DispatcherMiddleware(landing, {
        "/buurt": PublicGuard(public_cache, state.public_path),
        "/beheer": BeheerAuth(beheer_fava, users, state.ledger_path, throttle, inloggen),
        CONTROLE: (controle := Controle(state, inloggen, workspace)),  # the longer prefix wins
        "/indienen": indienen,
    })))
    return Service(state, users, landing, public_fava, beheer_fava, throttle, app, inloggen, public_cache, controle,
                   indienen)
