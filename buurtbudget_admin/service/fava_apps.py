"""Fava's own application, one per kind of view, over the ledgers of a workspace.

Fava addresses a ledger as `/<bfile>/...` where bfile is a slug of its title;
here bfile is the folder name (the buurtbudget's slug), so `/buurt/<slug>/`
and `/beheer/<slug>/` are Fava's own URLs under a prefix. Ledgers are loaded
lazily, one at a time, and every ledger carries the Buurtbudget extension
(even when its file does not declare it).

Two Fava apps live in one process, and Fava keeps one process-wide cache of
built URLs (`fava.application._cached_url_for`, keyed by endpoint and values
only). Whichever mount built a URL first would then hand it to the other: the
public view redirected into `/beheer/...` and loaded its assets from there.
The cache is replaced by one keyed by the app and its mount point too.

The public app's answers name no server path: the copy's folder, the cache
and the workspace are cut out of every text answer (`main.beancount` stays).

Fava trusts its one user's ledger: its journal rows (`_journal_table.html`,
also the account page's) render payee, narration, note, query name and custom
values with autoescape off. We serve ledgers written by several people and read
from banks to the public, so both apps read Fava's templates through
`EscapingLoader`, which turns every `{% autoescape false %}` into `true`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from functools import lru_cache
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import fava.application as fava_application
from fava._ctx_globals_class import Context as FavaContext
from fava.application import create_app
from fava.core import FavaLedger
from fava.core.extensions import ExtensionModule
from fava.ext import find_extensions
from flask import Flask, current_app, has_request_context, request
from flask import url_for as flask_url_for
from jinja2 import BaseLoader, Environment

from buurtbudget_admin.service.fava_layout import DutchLayoutLoader
from buurtbudget_admin.service.fava_nl import install_dutch
from buurtbudget_admin.service.grenzen import install_period_check
from buurtbudget_admin.service.queries import QueryDoor
from ledger.buurtbudget.money import LOCALE

EXTENSION_MODULE = "buurtbudget_admin.fava_ext"


@lru_cache(4096)
def _url_for_in(_app_id: int, _mount: str, endpoint: str, **values: str) -> str:
    return flask_url_for(endpoint, **values)


def _url_for_per_mount(endpoint: str, **values: str) -> str:
    mount = request.script_root if has_request_context() else ""
    return _url_for_in(id(current_app._get_current_object()), mount, endpoint, **values)


fava_application._cached_url_for = _url_for_per_mount


_AUTOESCAPE_OFF = re.compile(r"\{%(-?)\s*autoescape\s+false\s*(-?)%\}", re.IGNORECASE)


class EscapingLoader(BaseLoader):
    """A template loader whose templates never switch escaping off (see the module's docstring).

    Fava's own markup inside such a block comes from its macros and stays markup;
    what is escaped now is the text of the entries.
    """

    def __init__(self, inner: BaseLoader):
        self.inner = inner

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.inner.get_source(environment, template)
        return _AUTOESCAPE_OFF.sub(r"{%\1 autoescape true \2%}", source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def safe_link(url: object) -> bool:
    """A link from the books may go to a page of ours or to a web address, never run script."""
    if not isinstance(url, str):
        return False
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    # Without a scheme: a path of ours ('//host' and backslashes would lead elsewhere).
    return scheme in ("http", "https") or (scheme == "" and not url.startswith("//") and "\\" not in url)


class _WithBuurtbudgetExtension(ExtensionModule):
    """Fava's extension module, plus the Buurtbudget extension when the file does not ask for it."""

    def load_file(self) -> None:
        super().load_file()
        classes, errors = find_extensions(Path(self.ledger.beancount_file_path).parent, EXTENSION_MODULE)
        self.errors.extend(errors)
        for cls in classes:
            if cls not in self._loaded_extensions:
                self._loaded_extensions.add(cls)
                ext = cls(self.ledger, None)
                self._instances[ext.name] = ext


class ServiceLedger(FavaLedger):
    """A FavaLedger with the poll watcher (no thread per ledger) and the extension."""

    def __init__(self, path: str) -> None:
        super().__init__(path, poll_watcher=True)

    def load_file(self) -> None:
        if not isinstance(self.extensions, _WithBuurtbudgetExtension):
            self.extensions = _WithBuurtbudgetExtension(self)
        super().load_file()
        if self.fava_options.locale is None:
            # A ledger from before `init` wrote its locale still shows money as the Netherlands writes it
            # (35.000,00, not 35000.00); Fava sets this option itself for `render_commas` the same way.
            self.fava_options.locale = LOCALE
            self.format_decimal.load_file()
        # Fava's sidebar puts a `custom "fava-sidebar-link"` URL in an href as written.
        self.misc.sidebar_links = [(label, url) for label, url in self.misc.sidebar_links if safe_link(url)]

    def statement_path(self, entry_hash: str, metadata_key: str) -> str:
        """Fava's statement lookup, but only a file inside the ledger's own folder."""
        from buurtbudget_admin.service.editpolicy import inside
        from fava.core import StatementNotFoundError

        found = super().statement_path(entry_hash, metadata_key)
        if not inside(Path(self.beancount_file_path).parent, Path(found)):
            raise StatementNotFoundError
        return found


class BeheerLedger(ServiceLedger):
    """The real ledger: every write through the safe writer (see `webwrite`)."""

    def __init__(self, path: str) -> None:
        from buurtbudget_admin.service.webwrite import SafeFileModule

        self._safe_file_module = SafeFileModule
        super().__init__(path)

    def load_file(self) -> None:
        if not isinstance(self.file, self._safe_file_module):
            self.file = self._safe_file_module(self)
        super().load_file()


class SlugLedgers:
    """Fava's ledger loader, by the workspace's folder slugs, loading each ledger on first use."""

    def __init__(self, resolve: Callable[[str], Path | None], kind: type[FavaLedger] = ServiceLedger):
        self._resolve = resolve
        self._kind = kind
        self._lock = threading.Lock()
        self._ledgers: dict[str, tuple[Path, FavaLedger]] = {}

    def __getitem__(self, slug: str) -> FavaLedger:
        path = self._resolve(slug)
        if path is None:
            with self._lock:
                self._ledgers.pop(slug, None)
            raise KeyError(slug)
        found = self._ledgers.get(slug)
        if found is not None and found[0] == path:
            return found[1]
        with self._lock:
            found = self._ledgers.get(slug)
            if found is None or found[0] != path:
                found = (path, self._kind(str(path)))
                self._ledgers[slug] = found
            return found[1]

    def loaded(self) -> dict[str, FavaLedger]:
        return {slug: ledger for slug, (_path, ledger) in self._ledgers.items()}

    # What Fava's application asks of its loader.
    @property
    def ledgers(self) -> list[FavaLedger]:
        return list(self.loaded().values())

    def items(self):
        # No ledger switcher: the landing page lists the buurtbudgetten, and a
        # beheerder of one buurt need not see the others.
        return {}.items()


def _path_scrubber(hidden: Callable[[], list[tuple[str, str]]]):
    """An after_request hook replacing server paths in text answers ((path, replacement), longest first)."""

    def scrub(response):
        if request.endpoint == "static":
            return response
        kind = (response.mimetype or "").split("/")[0]
        if kind not in ("text", "application") or response.mimetype in ("application/pdf",):
            return response
        response.direct_passthrough = False
        body = response.get_data()
        changed = body
        for path, replacement in hidden():
            for variant in {path, json.dumps(path)[1:-1]}:
                changed = changed.replace(variant.encode("utf-8"), replacement.encode("utf-8"))
        if changed is not body and changed != body:
            response.set_data(changed)
        return response

    return scrub


class _FlaskWtfContext(FavaContext):
    """Fava's `g` (a plain class) with the `in` and `get` of Flask's own `g`, which Flask-WTF's token cache uses."""

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    def get(self, name: str, default: object = None) -> object:
        return self.__dict__.get(name, default)


def install_csrf(app: Flask, session_key: bytes) -> None:
    """Flask-WTF's CSRF check on every POST to an extension endpoint (the forms of /beheer/).

    The token lives in the session cookie of the login app (`inloggen.sessie_instellingen`: the same
    key, name and path), so a form rendered here carries a token of that session. Fava's own JSON
    API (PUT/DELETE with a JSON body, also HTTP Basic scripts) is not a form and keeps its checks.
    A POST without a valid token is a 400 with a Dutch message, before the extension reads anything.
    """
    from flask import Response
    from flask_wtf.csrf import CSRFError, CSRFProtect

    from buurtbudget_admin.service.inloggen import sessie_instellingen

    app.config.update(sessie_instellingen(session_key), WTF_CSRF_CHECK_DEFAULT=False)
    app.app_ctx_globals_class = _FlaskWtfContext
    csrf = CSRFProtect(app)

    @app.before_request
    def _csrf_on_forms() -> None:
        if request.method == "POST" and request.endpoint == "extension_endpoint":
            csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_refused(_exc: CSRFError) -> Response:
        return Response(
            '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Formulier verlopen</title>'
            "</head><body><h1>Formulier verlopen</h1><p id=\"bb-csrf\">Het formulier was verlopen of kwam niet "
            "van deze website (CSRF-controle); er is niets veranderd. Laad de pagina opnieuw en probeer het "
            "nog eens.</p></body></html>",
            400, content_type="text/html; charset=utf-8")


def create_fava(resolve: Callable[[str], Path | None], *, read_only: bool, mode: str,
                query_door: QueryDoor | None = None,
                hidden_paths: Callable[[], list[tuple[str, str]]] | None = None,
                session_key: bytes | None = None) -> Flask:
    """Fava's app with our loader; `mode` is "publiek" or "beheer" (read by the extension).

    `session_key` (beheer): the workspace's `sessie_sleutel`, shared with the login app for the
    CSRF tokens of the forms; without one (a beheer app on its own) a key of this process.
    """
    app = create_app([], read_only=read_only, poll_watcher=True)
    # Before any template is compiled; the extension's templates (an overlay) read through it too.
    app.jinja_loader = EscapingLoader(DutchLayoutLoader(app.jinja_loader, public=mode == "publiek"))
    install_dutch(app)
    app.config["LEDGERS"] = SlugLedgers(resolve, ServiceLedger if mode == "publiek" else BeheerLedger)
    app.config["BUURTBUDGET_MODE"] = mode
    install_period_check(app)
    (query_door or QueryDoor()).install(app)
    if mode != "publiek":
        from buurtbudget_admin.service.webwrite import install_upload, upload_limit

        install_upload(app)
        app.config["MAX_CONTENT_LENGTH"] = upload_limit() + 1024 * 1024
        install_csrf(app, session_key or secrets.token_hex(32).encode())
    if hidden_paths is not None:
        app.after_request(_path_scrubber(hidden_paths))
    return app
