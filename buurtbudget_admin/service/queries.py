"""The query door: only read statements, each under a hard time limit in a process that is killed.

Fava hands a query string to beanquery's shell, which also knows dot-commands
(`.output FILE` truncates any file the server may write), `CREATE TABLE ...
USING "csv:/path"` (tells whether a file exists), `INSERT`, `.run`, `.set`.
Here a query string is parsed first and accepted only when it is one
`SELECT`, `BALANCES`, `JOURNAL` or `PRINT` over the ledger's own tables.

An accepted query still may cost without end (Python's regular expressions
backtrack: `narration ~ '((a|a)+)+#'`), and `re` holds the GIL while it
matches, so a thread cannot bound it. Fava's `filter` and `account` request
arguments are regular expressions too (matched against payees, narrations and
account names on any page or API call), so every read request that carries
one is bounded the same way, as is every request for many intervals
(`grenzen.many_periods`). Fava's own view therefore runs in a
forked child process (it shares the loaded ledger, copy-on-write) with a
lower priority, a CPU limit and a wall-clock limit; past the limit the child
is killed. Only a few children run at once per mount; a request that finds
no free slot within 0.2 seconds gets 503 (waiting longer would hold more of
the server's threads). The answer comes back over a pipe as
JSON (status, headers, body), never as a pickle.

Forking a threaded server has one known hazard: a lock another thread held at
that moment stays locked in the child. The child only runs the view and
serialises its answer (no logging, no ledger loading); should it still block,
it is killed at the limit like any slow query, and the server is untouched.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import resource
import select
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

from beanquery import parser as bql
from beanquery.parser import ast
from fava.core.query_shell import FavaShellError
from flask import Flask, Response, request

from buurtbudget_admin.service.grenzen import many_periods

READ_STATEMENTS = (ast.Select, ast.Balances, ast.Journal, ast.Print)
READ_KEYWORDS = ("select", "balances", "journal", "print")
# The tables of beanquery's `beancount:` source; nothing attached from a file.
LEDGER_TABLES = frozenset({"", "transactions", "prices", "balances", "notes", "events", "documents",
                           "accounts", "commodities", "entries", "postings"})
MAX_QUERY_LENGTH = 4000
MAX_ANSWER_BYTES = 32 * 1024 * 1024
QUERY_ENDPOINTS = ("json_api.get_query", "download_query")
SLOT_WAIT = 0.2  # seconds a bounded request waits for a free slot before it is told the site is busy
REGEX_ARGUMENTS = ("filter", "account")  # Fava compiles these as regular expressions
# XLSX and ODS need pyexcel, which Fava leaves optional and which is not installed: Fava's
# query page then offers CSV only, and a typed .xlsx/.ods address is refused (400), not a 500.
DOWNLOAD_FORMATS = ("csv",)


class QueryRefused(ValueError):
    """A query the service does not run; the message is Dutch."""


def check_query(text: str) -> None:
    """Raise QueryRefused unless `text` is one read statement over the ledger's tables."""
    query = (text or "").strip()
    if not query:
        raise QueryRefused("Lege zoekopdracht.")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryRefused(f"Zoekopdracht te lang (hoogstens {MAX_QUERY_LENGTH} tekens).")
    first = query.split(None, 1)[0].lower()
    if first not in READ_KEYWORDS:
        raise QueryRefused(
            "Alleen lezende zoekopdrachten (SELECT, BALANCES, JOURNAL, PRINT) zijn toegestaan; "
            f"'{query.split(None, 1)[0][:40]}' niet (geen opdrachten met een punt, geen CREATE of INSERT).")
    try:
        statement = bql.parse(query)
    except Exception as exc:  # tatsu's and beanquery's parse errors: the query is not BQL
        raise QueryRefused(f"Zoekopdracht niet te lezen: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(statement, READ_STATEMENTS):
        raise QueryRefused("Alleen SELECT, BALANCES, JOURNAL en PRINT zijn toegestaan.")
    info = statement.parseinfo
    if info is not None and query[info.endpos:].strip(" \t\r\n;"):
        raise QueryRefused("Eén zoekopdracht tegelijk: na de ';' mag niets meer komen.")
    for node in ast.walk(statement):
        if isinstance(node, (ast.CreateTable, ast.Insert)):
            raise QueryRefused("CREATE en INSERT zijn niet toegestaan.")
        if isinstance(node, ast.Table) and node.name not in LEDGER_TABLES:
            raise QueryRefused(f"Tabel '{str(node.name)[:60]}' bestaat hier niet; alleen de tabellen van de ledger.")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class QueryTimeout(Exception):
    pass


def _child_limits(seconds: float) -> None:
    os.nice(19)  # the server's own threads (the landing page, the other pages) go first
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            size = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        room = size + 1024 * 1024 * 1024  # a query may use up to 1 GB more than the server has
        resource.setrlimit(resource.RLIMIT_AS, (room, room))
    except (OSError, ValueError):
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class _FrozenWhileForked:
    """gc.freeze() while any child lives: the parent's collector then leaves the pages it shares alone.

    A full collection writes to every object's header; with a child alive each
    such page would be copied (copy-on-write). Objects made later are collected
    as usual; the frozen ones go back to the collector when the last child ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._children = 0

    def __enter__(self) -> None:
        with self._lock:
            if self._children == 0:
                gc.freeze()
            self._children += 1

    def __exit__(self, *_exc) -> None:
        with self._lock:
            self._children -= 1
            if self._children == 0:
                gc.unfreeze()


_frozen = _FrozenWhileForked()


def run_in_child(work: Callable[[], Answer], seconds: float) -> Answer:
    """`work()` in a forked child, killed after `seconds`; its Answer read back as JSON."""
    with _frozen:
        return _run_in_child(work, seconds)


def _run_in_child(work: Callable[[], Answer], seconds: float) -> Answer:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write, leave without running any parent cleanup
        code = 0
        try:
            os.close(read_fd)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _child_limits(seconds)
            answer = work()
            payload = json.dumps({"status": answer.status, "headers": list(answer.headers),
                                  "body": base64.b64encode(answer.body).decode("ascii")}).encode("ascii")
            _write_all(write_fd, payload)
        except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code paths
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout()
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                raise QueryTimeout()
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER_BYTES * 2:
                raise QueryTimeout()
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError("de zoekopdracht stopte zonder antwoord")
    decoded = json.loads(b"".join(chunks))
    return Answer(int(decoded["status"]), tuple((str(k), str(v)) for k, v in decoded["headers"]),
                  base64.b64decode(decoded["body"]))


class QueryDoor:
    """Wraps the views of one Fava app: queries checked, then run bounded; regex filters run bounded.

    Only reads (GET/HEAD) ever run in a child: a write never forks.
    """

    def __init__(self, seconds: float = 3.0, slots: int = 2):
        self.seconds = seconds
        self._slots = threading.BoundedSemaphore(slots)

    def install(self, app: Flask) -> None:
        for endpoint, view in list(app.view_functions.items()):
            if endpoint != "static":
                app.view_functions[endpoint] = self._wrap(app, view, endpoint)

    def _refusal(self, endpoint: str, message: str, status: int) -> Response:
        if endpoint.startswith("json_api."):
            response = Response(json.dumps({"error": message}), status=status, content_type="application/json")
        else:
            response = Response(message, status=status, content_type="text/plain; charset=utf-8")
        return response

    def _wrap(self, app: Flask, view: Callable, endpoint: str) -> Callable:
        door = self

        def bounded(**kwargs):
            if endpoint in QUERY_ENDPOINTS:
                if kwargs.get("result_format", "csv") not in DOWNLOAD_FORMATS:
                    return door._refusal(endpoint, "Downloaden kan alleen als CSV (query_result.csv).", 400)
                try:
                    check_query(request.args.get("query_string", ""))
                except QueryRefused as exc:
                    return door._refusal(endpoint, str(exc), 400)
            elif request.method not in ("GET", "HEAD") or not (
                    any(request.args.get(k) for k in REGEX_ARGUMENTS) or many_periods()):
                return view(**kwargs)

            def work() -> Answer:
                try:
                    result = view(**kwargs)
                except FavaShellError as exc:  # the query does not compile: the request's fault, not ours
                    result = door._refusal(endpoint, f"Zoekopdracht niet uit te voeren: {exc.message[:300]}", 400)
                except Exception as exc:  # noqa: BLE001 - Fava's own handlers turn its errors into answers
                    result = app.handle_user_exception(exc)
                response = app.make_response(result)
                response.direct_passthrough = False
                body = response.get_data()
                if len(body) > MAX_ANSWER_BYTES:
                    return Answer(413, (("Content-Type", "text/plain; charset=utf-8"),),
                                  "Het resultaat is te groot; beperk de zoekopdracht.".encode())
                return Answer(response.status_code, tuple(response.headers.items()), body)

            # A short wait only: a request waiting for a slot holds one of waitress's threads.
            if not door._slots.acquire(timeout=min(SLOT_WAIT, door.seconds)):
                return door._refusal(endpoint, "Er lopen al te veel zoekopdrachten; probeer het zo opnieuw.", 503)
            try:
                answer = run_in_child(work, door.seconds)
            except QueryTimeout:
                return door._refusal(
                    endpoint, f"Dit verzoek duurde langer dan {door.seconds:g} seconden en is gestopt "
                    "(een zoekopdracht of filter die te veel werk vraagt).", 408)
            except (RuntimeError, ValueError, KeyError, OSError):
                return door._refusal(endpoint, "De zoekopdracht kon niet worden uitgevoerd.", 500)
            finally:
                door._slots.release()
            headers = [(k, v) for k, v in answer.headers if k.lower() not in ("content-length",)]
            return Response(answer.body, status=answer.status, headers=headers)

        bounded.__name__ = getattr(view, "__name__", endpoint)
        return bounded
