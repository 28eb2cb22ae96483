"""Public answers computed once per change of a ledger, then served from memory.

Every anonymous visitor of `/buurt/<slug>/...` sees the same redacted copy, so
the same request gets the same answer until that ledger changes. This WSGI
layer sits behind `PublicGuard` (the allow-list has decided already) and in
front of the public Fava. It keeps a complete answer (status, headers, body)
under the ledger's snapshot version (`WorkspaceState.snapshot`, which moves
on every reload after a change of the ledger's files, its rules file or the
day) and the request's path and query string. A new version drops the
ledger's older answers.

Only what is the same for everyone is kept: a GET without cookies or
credentials, answered 200 without `Set-Cookie`, at most `MAX_ENTRY` bytes;
in total at most `MAX_TOTAL` bytes, least recently used out first. Anything
else passes straight through.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable

MAX_ENTRY = 4 * 1024 * 1024
MAX_TOTAL = 96 * 1024 * 1024


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class PublicCache:
    """WSGI middleware: the public Fava's answers, kept per (ledger version, path, query)."""

    def __init__(self, app: Callable, version_of: Callable[[str], int | None]):
        self.app = app
        self.version_of = version_of
        self._answers: OrderedDict[tuple, _Answer] = OrderedDict()
        self._versions: dict[str, int] = {}
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0  # for the tests and the benchmark

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
                self.hits += 1
        if answer is not None:
            start_response(answer.status, list(answer.headers))
            return [answer.body]
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if self._keepable(captured, body):
            self._keep(key, _Answer(captured["status"], tuple(captured["headers"]), body))
        return [body]

    def _key(self, environ: dict) -> tuple | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_COOKIE") or environ.get("HTTP_AUTHORIZATION"):
            return None
        path = environ.get("PATH_INFO", "")
        slug = path.strip("/").split("/", 1)[0]
        if not slug or slug in ("static", "jump"):
            return None
        version = self.version_of(slug)
        if version is None:
            return None
        return (slug, version, environ.get("SCRIPT_NAME", ""), path, environ.get("QUERY_STRING", ""))

    @staticmethod
    def _keepable(captured: dict, body: bytes) -> bool:
        if not captured.get("status", "").startswith("200"):
            return False
        if any(name.lower() == "set-cookie" for name, _ in captured.get("headers", ())):
            return False
        return len(body) <= MAX_ENTRY

    def _keep(self, key: tuple, answer: _Answer) -> None:
        slug, version = key[0], key[1]
        with self._lock:
            if self._versions.get(slug, -1) < version:  # the ledger changed: its older answers go
                self._versions[slug] = version
                for old in [k for k in self._answers if k[0] == slug and k[1] < version]:
                    self._size -= len(self._answers.pop(old).body)
            elif self._versions[slug] > version:  # answered from a copy already replaced
                return
            previous = self._answers.pop(key, None)
            if previous is not None:
                self._size -= len(previous.body)
            self._answers[key] = answer
            self._size += len(answer.body)
            while self._size > MAX_TOTAL and self._answers:
                _, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped.body)
