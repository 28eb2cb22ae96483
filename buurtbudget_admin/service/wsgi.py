"""One WSGI application over all ledgers of a workspace.

    /                 landing page: actuele stand van zaken per buurt
    /buurt/<slug>/    Fava, read-only, over the redacted public copy
    /beheer/<slug>/   Fava over the real ledger, behind a login (gebruikers.toml)

    from buurtbudget_admin.service.wsgi import create_service
    application = create_service("/pad/naar/werkruimte")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from buurtbudget_admin.service.auth import BeheerAuth, PublicGuard
from buurtbudget_admin.service.fava_apps import create_fava
from buurtbudget_admin.service.landing import LandingPage
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
    app: DispatcherMiddleware

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def create_service(workspace: str | Path, *, cache_dir: str | Path | None = None,
                   check_interval: float = 1.0) -> Service:
    workspace = Path(workspace).resolve()
    state = WorkspaceState(workspace, Path(cache_dir) if cache_dir else None, check_interval=check_interval)
    users = UserStore(users_path(workspace))
    landing = LandingPage(state)
    public_fava = create_fava(state.public_path, read_only=True, mode="publiek")
    beheer_fava = create_fava(state.ledger_path, read_only=False, mode="beheer")
    public_fava.config["BUURTBUDGET_STATE"] = state
    beheer_fava.config["BUURTBUDGET_STATE"] = state
    app = DispatcherMiddleware(landing, {
        "/buurt": PublicGuard(public_fava, state.public_path),
        "/beheer": BeheerAuth(beheer_fava, users, lambda slug: state.ledger_path(slug) is not None),
    })
    return Service(state, users, landing, public_fava, beheer_fava, app)
