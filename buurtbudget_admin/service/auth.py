"""Who may do what: HTTP Basic login for /beheer, and the guard of the public view.

Beheer (`/beheer/<slug>/...`):
  - no or wrong credentials: 401 with a login prompt;
  - a beheerder of another buurtbudget: 403;
  - an auditor (or any user without write rights on this ledger) sending
    anything but GET/HEAD (every Fava write is PUT or DELETE): 403.

Public (`/buurt/<slug>/...`): only GET/HEAD, never a receipt or a statement
file, never the import pages; everything else is Fava over the redacted copy.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Callable, Iterable

from werkzeug.wrappers import Request, Response

from buurtbudget_admin.service.users import User, UserStore, UsersFileError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REALM = "Buurtbudget beheer"
USER_ENVIRON_KEY = "buurtbudget.gebruiker"
# The one write an auditor may do: record the vaststelling (buurtbudget_admin/fava_ext/vaststelling.py).
VASTSTELLING_PATH = "extension/Buurtbudget/vaststelling"

# Fava paths (after /<slug>/) that read files beside the ledger, or offer imports.
PUBLIC_REFUSED_PREFIXES = (
    "document/",
    "statement/",
    "import/",
    "api/extract",
    "api/imports",
    "extension/Buurtbudget/pdf",
)


def page(title: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    body = (
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p><a href=\"/\">Naar het overzicht van alle buurtbudgetten</a></p></body></html>"
    )
    return Response(body, status=status, headers=headers or {}, content_type="text/html; charset=utf-8")


def _credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    return (name, password) if sep else None


def _slug_of(path: str) -> tuple[str, str]:
    """`/k-buurt-2025/api/source` -> ("k-buurt-2025", "api/source"); repeated slashes count as one."""
    stripped = re.sub(r"/+", "/", path).lstrip("/")
    slug, _, rest = stripped.partition("/")
    return slug, rest


def unauthorized() -> Response:
    return page(
        "Inloggen nodig",
        "De beheeromgeving is alleen voor beheerders en auditors. Log in met uw gebruikersnaam en wachtwoord.",
        401,
        {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
    )


class BeheerAuth:
    """WSGI middleware in front of the beheer Fava."""

    def __init__(self, app: Callable, users: UserStore, known_slug: Callable[[str], bool]):
        self.app = app
        self.users = users
        self.known_slug = known_slug

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        credentials = _credentials(request)
        try:
            user = self.users.authenticate(*credentials) if credentials else None
        except UsersFileError as exc:
            return page("Gebruikersbestand onleesbaar", str(exc), 500)(environ, start_response)
        if user is None:
            return unauthorized()(environ, start_response)
        slug, rest = _slug_of(request.path)
        if slug == "static" or slug == "jump":
            return self.app(environ, start_response)
        if not slug:
            return page("Kies een buurtbudget", "Open /beheer/<slug>/ vanaf het overzicht.", 404)(
                environ, start_response)
        if not self.known_slug(slug):
            return page("Niet gevonden", f"Er is geen buurtbudget '{slug}' in deze werkruimte.", 404)(
                environ, start_response)
        if not user.may_read(slug):
            return page("Geen toegang", f"Gebruiker '{user.name}' is geen beheerder van '{slug}'.", 403)(
                environ, start_response)
        # The one write of an auditor: the vaststelling (the endpoint refuses everyone else).
        auditor_write = user.role == "auditor" and rest == VASTSTELLING_PATH
        if request.method not in READ_METHODS and not user.may_write(slug) and not auditor_write:
            return page(
                "Alleen lezen",
                f"Gebruiker '{user.name}' ({user.role}) mag deze boeken lezen maar niet wijzigen.",
                403,
            )(environ, start_response)
        environ[USER_ENVIRON_KEY] = user
        return self.app(environ, start_response)


class PublicGuard:
    """WSGI middleware in front of the public Fava: read-only, no files, fresh copies."""

    def __init__(self, app: Callable, ensure_copy: Callable[[str], object | None]):
        self.app = app
        self.ensure_copy = ensure_copy

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        if request.method not in READ_METHODS:
            return page("Alleen lezen", "De openbare weergave kan niets wijzigen.", 403)(environ, start_response)
        slug, rest = _slug_of(request.path)
        if slug == "static":
            return self.app(environ, start_response)
        if not slug or slug == "jump":
            return Response("", status=302, headers={"Location": "/"})(environ, start_response)
        if any(rest.startswith(prefix) for prefix in PUBLIC_REFUSED_PREFIXES):
            return page(
                "Niet openbaar",
                "Bonnen, bankafschriften en importbestanden zijn niet openbaar; de bedragen staan in de boekingen.",
                403,
            )(environ, start_response)
        if self.ensure_copy(slug) is None:
            return page("Niet gevonden", f"Er is geen buurtbudget '{slug}' in deze werkruimte.", 404)(
                environ, start_response)
        return self.app(environ, start_response)


def current_user(environ: dict) -> User | None:
    return environ.get(USER_ENVIRON_KEY)
