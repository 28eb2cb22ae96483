"""The doors in front of the two Fava apps, and the headers on every answer.

Public (`/buurt/<slug>/...`): an allow-list. Only the read pages and read
endpoints residents need pass, only with GET/HEAD; the pages and endpoints
that show files, sources, options or imports answer 403, anything else 404.

Beheer (`/beheer/<slug>/...`): a session from the login form (`service.inloggen`:
`/beheer/inloggen`, `/beheer/uitloggen`, the start page `/beheer/`), or HTTP Basic for
scripts, read-only:
  - no session and no credentials: a page goes to the login form (303), the API gets 401;
  - HTTP Basic sending anything but GET/HEAD: 403;
  - wrong credentials: 401; after 10 failed
    attempts in 15 minutes from one client, 429 for that client (with
    Retry-After) whatever the password; one user name tried from anywhere gets
    a short, growing backoff (`LoginThrottle`); unknown names cost the same
    password hash as known ones;
  - a beheerder of another buurtbudget: 403;
  - a user without write rights on this ledger sending anything but GET/HEAD: 403;
  - a write (anything but GET/HEAD) whose Origin (or Referer) is not this
    site: 403;
  - `document/?filename=` resolves inside the ledger's own folder, or 403;
    the import endpoints, moving and deleting receipts: 403 (the command line
    imports bank statements; receipts are evidence and stay).
"""

from __future__ import annotations

import base64
import binascii
import html
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import quote, urlsplit

from werkzeug.wrappers import Request, Response

from buurtbudget_admin.service.grenzen import jump_location
from buurtbudget_admin.service.users import UserStore, UsersFileError

READ_METHODS = frozenset({"GET", "HEAD"})
REALM = "Buurtbudget beheer"
USER_ENVIRON_KEY = "buurtbudget.gebruiker"
LOGOUT_PATH = "uitloggen"
LOGIN_PATH = "inloggen"
LOGIN_PAGES = frozenset({"", LOGIN_PATH, LOGOUT_PATH})  # served by service.inloggen
# The one write an auditor may do: record the vaststelling (buurtbudget_admin/fava_ext/vaststelling.py).
VASTSTELLING_PATH = "extension/Buurtbudget/vaststelling"

# The second wall against markup from the books (the first: every page escapes it): no inline
# script, no handler attribute, no script from elsewhere. Fava's inline blocks are JSON
# (`type="application/json"`, never run); its editor compiles WebAssembly ('wasm-unsafe-eval'
# allows that and nothing else); its charts and our pages style inline.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
))
SECURITY_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)

# -- the public allow-list (paths after /<slug>/) ---------------------------
PUBLIC_PAGES = re.compile(
    r"(?:"
    r"|(?:income_statement|balance_sheet|trial_balance|journal|query|events|statistics|commodities|holdings)/"
    r"|holdings/by_(?:account|currency|cost_currency)/"
    r"|account/[^/]+/"
    r"|extension/Buurtbudget/"
    r"|extension_js_module/Buurtbudget\.js"
    r"|download-journal/"
    r"|download-query/query_result\.(?:csv|xlsx|ods)"
    r")"
)
PUBLIC_API = frozenset({
    "changed", "errors", "journal", "journal_page", "income_statement", "balance_sheet", "trial_balance",
    "account_report", "events", "statistics", "commodities", "query", "narrations", "payee_accounts",
    "payee_transaction", "narration_transaction", "context",
})
# Known Fava pages that are not for the public (403 with an explanation, not 404). Fava's help is
# its own manual, in English, about a bookkeeper's tool: nothing a resident needs.
PUBLIC_REFUSED = re.compile(
    r"(?:document/|statement/|import/|editor/|options/|documents/|errors/|help/|api/|extension/"
    r"|extension_js_module/)"
)

# -- beheer paths refused whatever the role ---------------------------------
BEHEER_REFUSED = re.compile(r"(?:import/|api/(?:upload_import_file|extract|imports|move|document)$)")


def page(title: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    body = (
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p><a href=\"/\">Naar het overzicht van alle buurtbudgetten</a></p></body></html>"
    )
    return Response(body, status=status, headers=headers or {}, content_type="text/html; charset=utf-8")


def _wants_json(rest: str) -> bool:
    return rest.startswith("api/")


def refusal(rest: str, title: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """A Dutch refusal, as JSON for Fava's API (its frontend shows `error`) or as a page."""
    if _wants_json(rest):
        import json

        return Response(json.dumps({"error": f"{title}: {message}"}, ensure_ascii=False), status=status,
                        headers=headers or {}, content_type="application/json")
    return page(title, message, status, headers)


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


def unauthorized(message: str | None = None) -> Response:
    return page(
        "Inloggen nodig",
        message or "De beheeromgeving is alleen voor beheerders en auditors. "
                   "Log in met uw gebruikersnaam en wachtwoord.",
        401,
        {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
    )


def same_origin(request: Request) -> bool:
    """Whether a write comes from a page of this site (Origin, or else Referer, names this host)."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed or claimed == "null":
        return False
    parts = urlsplit(claimed)
    # The host only: behind an HTTPS proxy the scheme seen here is http.
    return parts.scheme in ("http", "https") and parts.netloc == request.host


class LoginThrottle:
    """Failed logins: a lock per client, a short backoff per user name.

    - per client address: after `max_failures` failures in `window` seconds,
      that client gets 429 for `window` (whatever name or password it sends);
    - per user name, from all clients together: after `name_free` failures in
      the window, each next try waits 1, 2, 4, ... up to `name_backoff`
      seconds after the last failure. Guessing one password from many
      addresses stays slow, and the real user is never locked out for long;
      a client that logged in as that name before (within `known_for`) is
      not held up by the others' failures at all.
    """

    def __init__(self, max_failures: int = 10, window: float = 900.0, name_free: int = 10,
                 name_backoff: float = 15.0, known_for: float = 86400.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window = window
        self.name_free = name_free
        self.name_backoff = name_backoff
        self.known_for = known_for
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}
        self._known: dict[tuple[str, str], float] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, ()) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def blocked_for(self, client: str, name: str) -> float:
        """Seconds until this client may try to log in as `name` again (0: go ahead)."""
        now = self.clock()
        with self._lock:
            waits = [0.0]
            by_client = self._recent("client:" + client, now)
            if len(by_client) >= self.max_failures:
                waits.append(self.window - (now - by_client[-self.max_failures]))
            by_name = self._recent("naam:" + name, now)
            known = now - self._known.get((client, name), -self.known_for) < self.known_for
            if len(by_name) >= self.name_free and not known:
                backoff = min(self.name_backoff, 2.0 ** (len(by_name) - self.name_free))
                waits.append(backoff - (now - by_name[-1]))
        return max(waits)

    def failed(self, client: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > 100_000:  # a flood of names: forget the oldest half, stay bounded
                for key in list(self._failures)[:50_000]:
                    del self._failures[key]
            for key in ("client:" + client, "naam:" + name):
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, client: str, name: str) -> None:
        """This client knows the password: others' failures for the name no longer hold it up."""
        with self._lock:
            if len(self._known) > 100_000:
                for key in list(self._known)[:50_000]:
                    del self._known[key]
            self._known[(client, name)] = self.clock()


def _inside(base: Path, candidate: str) -> Path | None:
    """`candidate` (relative to base, or absolute) resolved with symlinks, if it stays inside base."""
    if not candidate or "\0" in candidate:
        return None
    root = base.resolve()
    target = (root / candidate).resolve()
    return target if target == root or root in target.parents else None


class BeheerAuth:
    """WSGI middleware in front of the beheer Fava."""

    def __init__(self, app: Callable, users: UserStore, ledger_path: Callable[[str], Path | None],
                 throttle: LoginThrottle | None = None, inloggen: Callable | None = None):
        self.app = app
        self.inloggen = inloggen  # service.inloggen.Inloggen: the login form, sessions, the start page
        self.users = users
        self.ledger_path = ledger_path
        self.throttle = throttle or LoginThrottle()

    def _login(self, request: Request):
        """(user, refusal): a user, or the response that refuses."""
        credentials = _credentials(request)
        if credentials is None:
            return None, unauthorized()
        name, password = credentials
        client, name_key = request.remote_addr or "?", name.strip().lower()
        wait = self.throttle.blocked_for(client, name_key)
        if wait > 0:
            seconds = int(wait) + 1
            return None, page("Te veel pogingen",
                              f"Te veel mislukte inlogpogingen. Probeer het over {seconds} seconden opnieuw.",
                              429, {"Retry-After": str(seconds)})
        user = self.users.authenticate(name, password)
        if user is None:
            self.throttle.failed(client, name_key)
            return None, unauthorized("Gebruikersnaam of wachtwoord onjuist.")
        self.throttle.succeeded(client, name_key)
        return user, None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        slug, rest = _slug_of(request.path)
        if self.inloggen is not None and slug in LOGIN_PAGES and not rest:
            return self.inloggen(environ, _private(start_response))
        if self.inloggen is None and slug == LOGOUT_PATH and not rest:
            return unauthorized("U bent uitgelogd. Sluit dit venster, of log opnieuw in.")(environ, start_response)
        try:
            user = self.inloggen.gebruiker(environ) if self.inloggen is not None else None
            via_basic = user is None
            if user is None and self.inloggen is not None and _credentials(request) is None:
                # No session, no Basic: a page goes to the login form, Fava's API gets a plain 401
                # (no Basic prompt popping up in the browser when a session expired).
                if request.method in READ_METHODS and not _wants_json(rest):
                    return to_login(request)(environ, start_response)
                return refusal(rest, "Inloggen nodig", "Log opnieuw in via /beheer/inloggen.", 401)(
                    environ, start_response)
            refused = None
            if user is None:
                user, refused = self._login(request)
        except UsersFileError as exc:
            return page("Gebruikersbestand onleesbaar", str(exc), 500)(environ, start_response)
        if refused is not None:
            return refused(environ, start_response)
        if via_basic and self.inloggen is not None and request.method not in READ_METHODS:
            return refusal(rest, "Alleen lezen met HTTP Basic",
                           "Een inlog via HTTP Basic (voor scripts) mag alleen lezen. "
                           "Log in via /beheer/inloggen om te wijzigen.", 403)(environ, start_response)
        writing = request.method not in READ_METHODS
        if writing and not same_origin(request):
            return refusal(rest, "Geweigerd", "Een wijziging moet van een pagina van deze website komen "
                           "(Origin ontbreekt of hoort bij een andere website).", 403)(environ, start_response)
        if slug == "static" or slug == "jump":
            if writing:
                return page("Niet toegestaan", "Deze pagina kan niets wijzigen.", 405)(environ, start_response)
            if slug == "jump":
                return jump(request)(environ, start_response)
            return self.app(environ, start_response)
        if not slug:  # only without the login app (with it, /beheer/ is the start page)
            return page("Kies een buurtbudget", "Open /beheer/<slug>/ vanaf het overzicht.", 404)(
                environ, start_response)
        ledger = self.ledger_path(slug)
        if ledger is None:
            return page("Niet gevonden", f"Er is geen buurtbudget '{slug}' in deze werkruimte.", 404)(
                environ, start_response)
        if not user.may_read(slug):
            return page("Geen toegang", f"Gebruiker '{user.name}' is geen beheerder van '{slug}'.", 403)(
                environ, start_response)
        # The one write of an auditor: the vaststelling (the endpoint refuses everyone else).
        auditor_write = user.role == "auditor" and rest == VASTSTELLING_PATH
        if writing and not user.may_write(slug) and not auditor_write:
            return refusal(rest, "Alleen lezen",
                           f"Gebruiker '{user.name}' ({user.role}) mag deze boeken lezen maar niet wijzigen.",
                           403)(environ, start_response)
        if BEHEER_REFUSED.fullmatch(rest):
            return refusal(rest, "Niet via de website",
                           "Een bankafschrift inlezen gaat met 'buurtbudget import'; bonnen verplaatsen of verwijderen kan niet "
                           "(een bon is bewijs).", 403)(environ, start_response)
        if rest == "document/" and _inside(ledger.parent, request.args.get("filename", "")) is None:
            return page("Geen toegang", "Dit bestand hoort niet bij dit buurtbudget.", 403)(environ, start_response)
        environ[USER_ENVIRON_KEY] = user
        return self.app(environ, _private(start_response))


def to_login(request: Request) -> Response:
    """303 to the login form, which comes back here afterwards."""
    back = quote(request.script_root + request.full_path.rstrip("?"), safe="/")
    return Response("", status=303, headers={"Location": f"{request.script_root}/{LOGIN_PATH}?volgende={back}"})


def jump(request: Request) -> Response:
    """Fava's jump (the same page with other arguments), answered here: only to a page of this mount."""
    location = jump_location(request.headers.get("Referer"), request.host, request.script_root, request.args)
    if location is None:
        return page("Terugspringen niet mogelijk", "Deze link werkt alleen vanaf een pagina van deze weergave "
                    "(de browser stuurde geen of een ander adres mee).", 400)
    return Response("", status=302, headers={"Location": location})


def _private(start_response: Callable) -> Callable:
    """Beheer's answers hold the real books: no browser or proxy keeps a copy."""

    def start(status, headers, exc_info=None):
        if not any(name.lower() == "cache-control" for name, _ in headers):
            headers = list(headers) + [("Cache-Control", "private, no-store")]
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return start


class PublicGuard:
    """WSGI middleware in front of the public Fava: an allow-list over the redacted copies."""

    def __init__(self, app: Callable, ensure_copy: Callable[[str], object | None]):
        self.app = app
        self.ensure_copy = ensure_copy

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        slug, rest = _slug_of(request.path)
        if request.method not in READ_METHODS:
            return refusal(rest, "Alleen lezen", "De openbare weergave kan niets wijzigen.", 403)(
                environ, start_response)
        if slug == "static" and rest and ".." not in rest:
            return self.app(environ, start_response)
        if slug == "jump" and not rest:
            return jump(request)(environ, start_response)
        if not slug or slug in ("static", "jump"):
            return Response("", status=302, headers={"Location": "/"})(environ, start_response)
        allowed = PUBLIC_PAGES.fullmatch(rest) or (rest.startswith("api/") and rest[4:] in PUBLIC_API)
        if not allowed:
            if PUBLIC_REFUSED.match(rest):
                return refusal(rest, "Niet openbaar",
                               "Bonnen, bronbestanden, instellingen en importbestanden zijn niet openbaar; "
                               "de bedragen staan in de boekingen.", 403)(environ, start_response)
            return page("Niet gevonden", "Deze pagina bestaat niet in de openbare weergave.", 404)(
                environ, start_response)
        if self.ensure_copy(slug) is None:
            return page("Niet gevonden", f"Er is geen buurtbudget '{slug}' in deze werkruimte.", 404)(
                environ, start_response)
        return self.app(environ, start_response)


class SecurityHeaders:
    """Anti-framing, the content security policy, nosniff and a referrer policy on every answer."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def with_headers(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            extra = [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present]
            return start_response(status, list(headers) + extra, exc_info) if exc_info else start_response(
                status, list(headers) + extra)

        return self.app(environ, with_headers)


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
