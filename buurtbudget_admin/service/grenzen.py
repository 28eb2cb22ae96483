"""Bounds on what one request, one client and one redirect may ask of the service.

Fava is a tool for one user on their own computer; here anyone may send it
requests. What it would do without end is bounded here, in one place:

- `check_period`: Fava's `time`, `interval`, `filter`, `account` and
  `conversion` request arguments. A time filter is parsed as Fava parses it;
  a date Fava cannot read, a period outside `EARLIEST`..`LATEST`, or more than
  `MAX_PERIODS` intervals (a day interval over more than four years, a week
  interval over more than 28) is refused with 400 and a Dutch message before
  Fava computes anything (`1000 - 9000` by day took 18.7 s and 3 GB); a
  request for more than `CHILD_FROM_PERIODS` intervals runs in the query
  door's time-limited child process, like a query (`many_periods`).
- `BoundedParser`: the body of a request is refused by its `Content-Length`
  before it is read (413), and a chunked body as soon as it passes the limit.
  Only `/beheer/` with credentials (a session cookie or HTTP Basic) may send more than a few kilobytes.
- `bounded_channel`: at most `PER_CLIENT` open connections per client address;
  together with `SERVER_SETTINGS` (waitress's own limits) one client holding
  many half-open connections cannot keep the others out.
- `own_location` / `OwnRedirects`: every redirect goes to a path of this site,
  never to the host named in the request's Host header.
- `jump_location`: Fava's `jump` (back to the page one came from, with other
  arguments) only to a page of the same mount of this site.
"""

from __future__ import annotations

import datetime
import math
import posixpath
from typing import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fava.helpers import FavaAPIError

from ledger.buurtbudget.bonnen import BonFout, DEFAULT_MAX_MB, MB, max_bytes

# -- Fava's request arguments ----------------------------------------------------------------

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2200, 1, 1)
MAX_PERIODS = 1500  # intervals in one answer: four years of days, 28 of weeks, 125 of months
# More intervals than this and Fava's answer is computed in the query door's time-limited child:
# an account report costs per interval and per account (10,000 bookings: 0.1 s per day interval).
CHILD_FROM_PERIODS = 24
PERIOD_DAYS = {"day": 1, "week": 7, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
INTERVAL_NAMES = {"": "month", "day": "day", "daily": "day", "week": "week", "weekly": "week",
                  "month": "month", "monthly": "month", "quarter": "quarter", "quarterly": "quarter",
                  "year": "year", "yearly": "year"}
INTERVAL_DUTCH = {"day": "dag", "week": "week", "month": "maand", "quarter": "kwartaal", "year": "jaar"}
MAX_ARGUMENT = {"time": 100, "interval": 20, "conversion": 200, "account": 300, "filter": 1000}


class OutOfBounds(ValueError):
    """A request argument the service does not hand to Fava; the message is Dutch."""


def check_period(args: Mapping[str, str], parse_date: Callable[[str], tuple],
                 ledger_span: Callable[[], tuple[datetime.date, datetime.date] | None]) -> int:
    """The number of intervals asked for (0: none named); OutOfBounds if that or any argument is too much.

    `parse_date` is Fava's (with the ledger's fiscal year); `ledger_span` gives
    the first and last date of the ledger, the period Fava uses without a time filter.
    """
    for name, limit in MAX_ARGUMENT.items():
        if len(args.get(name, "")) > limit:
            raise OutOfBounds(f"Het argument '{name}' is te lang (hoogstens {limit} tekens).")
    raw_interval = args.get("interval", "").strip().lower()
    interval = INTERVAL_NAMES.get(raw_interval)
    if interval is None:
        raise OutOfBounds(f"Onbekende interval '{raw_interval[:20]}'; kies day, week, month, quarter of year.")
    time = args.get("time", "").strip()
    if time:
        try:
            begin, end = parse_date(time)
        except (ValueError, OverflowError, ArithmeticError, LookupError, FavaAPIError):
            begin = end = None
        if begin is None or end is None:
            raise OutOfBounds(f"Periode '{time[:40]}' niet te lezen; schrijf bijvoorbeeld 2025, 2025-03 "
                              "of 2025-01-01 - 2025-06-30.")
        if begin < EARLIEST or end > LATEST:
            raise OutOfBounds(f"Periode '{time[:40]}' valt buiten {EARLIEST.year}-{LATEST.year - 1}; "
                              "kies een periode binnen die jaren.")
        span = (begin, end)
    elif raw_interval:
        span = ledger_span()
    else:
        return 0
    if span is None:
        return 0
    periods = math.ceil(max((span[1] - span[0]).days, 1) / PERIOD_DAYS[interval])
    if periods > MAX_PERIODS:
        raise OutOfBounds(f"Te veel perioden: {periods} keer een {INTERVAL_DUTCH[interval]} "
                          f"(hoogstens {MAX_PERIODS}); kies een kortere periode of een grotere interval.")
    return periods


def many_periods() -> bool:
    """Whether the current request asks Fava for more intervals than it computes in the server itself."""
    from flask import g

    return getattr(g, "buurtbudget_perioden", 0) > CHILD_FROM_PERIODS


def install_period_check(app) -> None:
    """Refuse unbounded `time`/`interval`/... arguments on every page and API call of a Fava app (400)."""
    import json

    from flask import Response, g, request
    from fava.util.date import parse_date

    @app.before_request
    def _bounded_arguments():
        ledger = getattr(g, "ledger", None)
        if ledger is None or not request.args:
            return None

        def span():
            entries = ledger.all_entries
            return (entries[0].date, entries[-1].date) if entries else None

        try:
            g.buurtbudget_perioden = check_period(
                request.args, lambda text: parse_date(text, ledger.fava_options.fiscal_year_end), span)
        except OutOfBounds as exc:
            if request.blueprint == "json_api":
                return Response(json.dumps({"error": str(exc)}, ensure_ascii=False), status=400,
                                content_type="application/json")
            return Response(str(exc), status=400, content_type="text/plain; charset=utf-8")
        return None


# -- bodies and connections (waitress) ----------------------------------------------------------

ANONYMOUS_BODY = 4 * 1024  # nothing outside beheer takes a body; a little slack for odd clients
# A receipt of the one size limit (`ledger.buurtbudget.bonnen.max_bytes`, the command line's too) in its multipart form.
def _receipt_limit() -> int:
    try:
        return max_bytes()
    except BonFout:  # a bad setting is refused where a receipt is read, in Dutch; the door keeps the default
        return int(DEFAULT_MAX_MB * MB)


BEHEER_BODY = _receipt_limit() + MB
PER_CLIENT = 24  # open connections per client address (a browser opens 6 per site)
SERVER_SETTINGS = {
    "connection_limit": 400,  # all clients together; one client gets at most PER_CLIENT of them
    "channel_timeout": 30,  # an idle or half-open connection is closed after this many seconds
    "cleanup_interval": 5,
    "max_request_header_size": 64 * 1024,
    "max_request_body_size": BEHEER_BODY + 1,
    "asyncore_use_poll": True,  # more than 1024 descriptors, unlike select()
}


def body_limit(path: str, headers: Mapping[str, str]) -> int:
    """How many body bytes a request may send: only a (claimed) login to beheer, or a resident's claim
    form (its cookie `bb_indienen`, set by a valid link's form: service.indienen), sends a receipt."""
    if path.startswith("/indienen/") and "bb_indienen=" in headers.get("COOKIE", ""):
        return BEHEER_BODY  # the link itself is checked later; the app refuses beyond the receipt's limit
    if not path.startswith("/beheer/"):
        return ANONYMOUS_BODY
    # A session cookie of the login form (service.inloggen.COOKIE) or HTTP Basic: checked later.
    if "bb_sessie=" in headers.get("COOKIE", "") or headers.get("AUTHORIZATION", "").lower().startswith("basic "):
        return BEHEER_BODY
    return ANONYMOUS_BODY


def _parser_class():
    from waitress.parser import HTTPRequestParser
    from waitress.utilities import RequestEntityTooLarge

    class BoundedParser(HTTPRequestParser):
        """Waitress's parser, refusing a body by its Content-Length before reading it."""

        body_limit = ANONYMOUS_BODY

        def parse_header(self, header_plus):
            super().parse_header(header_plus)
            self.body_limit = body_limit(self.path or "", self.headers)

        def received(self, data):
            consumed = super().received(data)
            waitress_own = isinstance(self.error, RequestEntityTooLarge)  # its message is English
            if (self.error is None or waitress_own) and self.headers_finished and (
                    self.content_length > self.body_limit or self.body_bytes_received > self.body_limit):
                self.error = RequestEntityTooLarge(
                    f"Verzoek te groot: hoogstens {self.body_limit} bytes voor dit adres.")
                self.completed = True
            return consumed

    return BoundedParser


def bounded_channel(per_client: int | None = PER_CLIENT):
    """A waitress `channel_class` refusing a client's connection beyond `per_client` open ones (None: any)."""
    from waitress.channel import HTTPChannel

    class BoundedChannel(HTTPChannel):
        parser_class = _parser_class()

    def make(server, conn, addr, adj, map=None):  # noqa: A002 - waitress's keyword
        if per_client is None:
            return BoundedChannel(server, conn, addr, adj, map=map)
        client = addr[0] if isinstance(addr, tuple) else addr
        open_ = sum(1 for channel in (map or {}).values()
                    if isinstance(channel, HTTPChannel) and isinstance(channel.addr, tuple)
                    and channel.addr[0] == client)
        if open_ >= per_client:
            conn.close()  # the client's other connections keep working; this one ends at once
            return None
        return BoundedChannel(server, conn, addr, adj, map=map)

    return make


def create_server(app, *, host: str, port: int, threads: int, per_client: int | None = PER_CLIENT, **settings):
    """waitress.create_server with `SERVER_SETTINGS`, bounded bodies and per-client connections.

    `per_client=None`: no limit per address (behind a reverse proxy every client has the proxy's).
    """
    import waitress
    from waitress.server import BaseWSGIServer

    server = waitress.create_server(app, host=host, port=port, threads=threads,
                                    **{**SERVER_SETTINGS, **settings})
    channel = bounded_channel(per_client)
    listeners = [server] if isinstance(server, BaseWSGIServer) else [
        s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = channel
    return server


# -- redirects ------------------------------------------------------------------------------------

def own_location(location: str) -> str:
    """A redirect target as a path of this site: scheme and host dropped; anything else becomes '/'."""
    parts = urlsplit(location)
    path = parts.path
    if "\\" in location or path.startswith("//") or (parts.scheme and parts.scheme not in ("http", "https")):
        return "/"
    if parts.scheme or parts.netloc:
        if not path.startswith("/"):
            return "/"
    return urlunsplit(("", "", path, parts.query, parts.fragment)) or "/"


class OwnRedirects:
    """WSGI middleware: every Location header names a path of this site (never the Host header's)."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status, headers, exc_info=None):
            headers = [(name, own_location(value) if name.lower() == "location" else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, start)


def jump_location(referrer: str | None, host: str, mount: str, args) -> str | None:
    """Fava's jump (back to the referring page with `args` replaced), or None if that page is not ours.

    Only a page of the same mount (`/buurt/...` or `/beheer/...`) on this host, as a path.
    """
    if not referrer:
        return None
    parts = urlsplit(referrer)
    path = parts.path
    if (parts.scheme not in ("http", "https") or parts.netloc != host or not path.startswith(mount + "/")
            or "\\" in path or ".." in path.split("/") or posixpath.normpath(path).startswith("//")
            or path.startswith(mount + "/jump")):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in args]
    for key, values in args.lists():
        if values != [""]:
            query.extend((key, value) for value in values)
    return path + ("?" + urlencode(query) if query else "")
