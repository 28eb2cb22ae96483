"""The attack suite: every door of `buurtbudget serve`, tried as an outsider and as a beheerder would.

A real server (waitress on loopback, subprocess) over a git workspace of real
ledgers. Each refusal is asserted together with its proof of no harm: every
ledger file, receipt and `gebruikers.toml` is byte-identical afterwards
(`untouched`).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from buurtbudget_admin.service.users import add_user, users_path
from tests.books import BON_PDF
from tests.service_workspace import SECRETS, Served, form_login, git_workspace

SLUG = "testbuurt-2025"
OTHER = "rivierenbuurt-2025"
ANJA = ("anja", "geheim-anja-1")
PIET = ("piet", "geheim-piet-1")
AUDITOR = ("stadsdeel", "geheim-audit-1")
# Nested repetition over a long run of "a": 2**40 ways to fail (the text is a constant, so no
# narration of the ledger is needed; `narration ~ ...` on such a narration is the same).
CATASTROPHIC = "SELECT date WHERE '" + "a" * 40 + "' ~ '((a|a)+)+#'"


class Site:
    def __init__(self, served: Served, cache: Path):
        self.served = served
        self.address = served.address
        self.workspace = served.workspace
        self.cache = cache
        parts = urlsplit(self.address)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method: str, path: str, *, user: tuple[str, str] | None = None, body=None,
                headers: dict[str, str] | None = None, origin: str | None = "self", timeout: float = 60):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        sent = dict(headers or {})
        # A write needs a session from the login form (HTTP Basic is read-only); a read uses Basic.
        cookie = self.session(user) if user and method not in ("GET", "HEAD") else None
        if cookie:
            sent["Cookie"] = cookie
        elif user:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
        if origin == "self":
            sent.setdefault("Origin", self.address)
        elif origin:
            sent["Origin"] = origin
        data = None
        if body is not None and not isinstance(body, bytes):
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = body
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def session(self, user: tuple[str, str]) -> str | None:
        """A session cookie of this user from the login form (kept per user), or None (wrong password)."""
        sessions = self.__dict__.setdefault("_sessions", {})
        if user not in sessions:
            sessions[user] = form_login(self.address, *user)
        return sessions[user]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("aanval")
    workspace = git_workspace(root / "ws")
    add_user(users_path(workspace), ANJA[0], "beheerder", (SLUG,), ANJA[1])
    add_user(users_path(workspace), PIET[0], "beheerder", (OTHER,), PIET[1])
    add_user(users_path(workspace), AUDITOR[0], "auditor", (), AUDITOR[1])
    served = Served(workspace, root / "cache")
    try:
        yield Site(served, root / "cache")
    finally:
        served.stop()


def fingerprint(workspace: Path) -> dict[str, str]:
    """sha256 of every ledger file, receipt and the users file (git's own folder left out)."""
    out = {}
    for path in sorted(workspace.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(workspace).parts and not path.name.startswith("."):
            out[str(path.relative_to(workspace))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture()
def untouched(site):
    before = fingerprint(site.workspace)
    assert "gebruikers.toml" in before and f"{SLUG}/main.beancount" in before
    yield
    assert fingerprint(site.workspace) == before


def source_of(site: Site, slug: str = SLUG, user=ANJA) -> dict:
    status, _h, body = site.get(f"/beheer/{slug}/api/source", user=user)
    assert status == 200, body
    return json.loads(body)["data"]


def put_source(site: Site, new_text: str, user=ANJA, slug: str = SLUG):
    current = source_of(site, slug, user)
    return site.request("PUT", f"/beheer/{slug}/api/source", user=user,
                        body={"file_path": current["file_path"], "source": new_text,
                              "sha256sum": current["sha256sum"]})


# -- 1. the query door --------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    ".output {target}",
    ".output {target}\nSELECT date",
    "output {target}",
    ".run",
    "run nothing",
    ".set format csv",
    "help",
    ".explain SELECT date",
    "EXPLAIN SELECT date",
    "CREATE TABLE t (x str) USING \"csv:/etc/passwd\"",
    "CREATE TABLE t (x str) USING \"csv:{target}\"",
    "INSERT INTO t (x) VALUES ('a')",
    "SELECT * FROM \"csv:/etc/passwd\"",
])
def test_query_refuses_everything_but_a_read_statement(site, untouched, query):
    target = site.workspace / SLUG / "main.beancount"
    text = quote(query.format(target=target))
    for path, user in ((f"/buurt/{SLUG}/api/query?query_string={text}", None),
                       (f"/buurt/{SLUG}/download-query/query_result.csv?query_string={text}", None),
                       (f"/beheer/{SLUG}/api/query?query_string={text}", AUDITOR),
                       (f"/beheer/{SLUG}/download-query/query_result.csv?query_string={text}", ANJA)):
        status, _h, body = site.get(path, user=user)
        assert status == 400, (path, status, body[:200])
        assert b"passwd" not in body or b"Tabel" in body or b"SELECT" in body
    assert target.stat().st_size > 1000


def test_a_query_that_does_not_compile_is_the_request_s_fault_not_a_run(site, untouched):
    status, _h, body = site.get(f"/buurt/{SLUG}/api/query?query_string={quote('SELECT * FROM t')}")
    message = json.loads(body)["error"]
    assert status == 400 and message.startswith("Zoekopdracht niet uit te voeren") and "column" in message
    status, _h, body = site.get(f"/buurt/{SLUG}/download-query/query_result.csv?query_string={quote('SELECT dat')}")
    assert status == 400 and body.decode().startswith("Zoekopdracht niet uit te voeren")


def test_a_read_query_still_works_on_both_mounts(site, untouched):
    q = quote("SELECT date, narration WHERE account ~ 'Bankkosten'")
    status, _h, body = site.get(f"/buurt/{SLUG}/api/query?query_string={q}")
    assert status == 200 and b"Bankkosten" in body
    status, headers, body = site.get(f"/buurt/{SLUG}/download-query/query_result.csv?query_string={q}")
    assert status == 200 and headers["content-type"].startswith("text/csv") and b"Bankkosten" in body
    status, _h, body = site.get(f"/beheer/{SLUG}/api/query?query_string={quote('BALANCES')}", user=AUDITOR)
    assert status == 200 and b"Passiva:Declaraties" in body


def test_a_catastrophic_regex_is_killed_and_the_site_stays_fast(site, untouched):
    results: list[tuple[int, float]] = []

    def hostile():
        start = time.monotonic()
        status, _h, _b = site.get(f"/buurt/{SLUG}/api/query?query_string={quote(CATASTROPHIC)}", timeout=120)
        results.append((status, time.monotonic() - start))

    threads = [threading.Thread(target=hostile) for _ in range(12)]  # more than the server's 8 threads
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    landing = []
    for _ in range(10):
        start = time.monotonic()
        status, _h, _b = site.get("/")
        landing.append(time.monotonic() - start)
        assert status == 200
    for thread in threads:
        thread.join()
    # Two run at a time (3 s each, then killed); the others are told at once that the site is busy.
    statuses = [s for s, _t in results]
    assert len(statuses) == 12 and set(statuses) <= {408, 503} and 1 <= statuses.count(408) <= 6, statuses
    assert max(t for _s, t in results) < 15
    assert sorted(landing)[8] < 1.0  # `/` stays fast meanwhile
    # No child process is left running.
    children = subprocess.run(["ps", "--ppid", str(site.served.process.pid), "-o", "pid="],
                              capture_output=True, text=True).stdout.split()
    assert children == []


def test_a_catastrophic_filter_on_any_page_is_bounded_too(site, untouched):
    """Fava's `account` and `filter` arguments are regular expressions on every page and API call."""
    hostile = quote("(.+)+#")
    narration = quote('narration:"(.+)+#"')
    for path, user in ((f"/buurt/{SLUG}/api/journal?account={hostile}", None),
                       (f"/buurt/{SLUG}/api/income_statement?filter={narration}", None),
                       (f"/beheer/{SLUG}/api/journal?account={hostile}", ANJA)):
        start = time.monotonic()
        status, _h, body = site.get(path, user=user)
        assert status == 408, (path, status, body[:300])
        assert time.monotonic() - start < 10
        assert "langer dan" in json.loads(body)["error"]
    status, _h, body = site.get(f"/buurt/{SLUG}/api/journal?account=Uitgaven")
    assert status == 200 and b"Bankkosten" in body


# -- 2. the public allow-list, paths, mounts -------------------------------------------------------

@pytest.mark.parametrize("path,status", [
    ("api/source", 403), ("api/options", 403), ("api/documents", 403), ("api/imports", 403),
    ("api/extract?filename=x&importer=y", 403), ("editor/", 403), ("options/", 403), ("documents/", 403),
    ("import/", 403), ("errors/", 403), ("document/?filename=/etc/passwd", 403),
    ("statement/?entry_hash=x&key=document", 403), ("extension/Buurtbudget/pdf", 403),
    ("api/source_slice?entry_hash=x", 403), ("api/payee_accounts/../source", 403), ("nergens/", 404),
    ("api/nergens", 403), ("extension_js_module/Andere.js", 403), ("extension_js_module/Buurtbudget.jsx", 403),
])
def test_public_mount_is_an_allow_list(site, untouched, path, status):
    got, _h, body = site.get(f"/buurt/{SLUG}/{path}")
    assert got == status, (path, got)
    assert b"%PDF" not in body and b"root:" not in body


def test_public_writes_are_refused(site, untouched):
    for method, path in (("PUT", "api/source"), ("DELETE", "api/document?filename=x"), ("POST", "journal/"),
                         ("PUT", "api/add_entries"), ("PUT", "api/add_document")):
        status, _h, _b = site.request(method, f"/buurt/{SLUG}/{path}", body={})
        assert status == 403, (method, path)


def test_no_public_answer_names_a_server_path_or_a_secret(site, untouched):
    pages = ["", "income_statement/", "journal/", "query/", "extension/Buurtbudget/", "download-journal/",
             "api/errors", "api/journal", "api/journal_page?page=1&order=asc", "api/income_statement",
             "api/events", "api/statistics", "api/narrations", "api/account_report?a=Passiva:Declaraties",
             "api/query?query_string=" + quote("SELECT filename, lineno, location, narration"),
             "download-query/query_result.csv?query_string=" + quote("SELECT filename, narration"),
             "api/query?query_string=" + quote("PRINT")]
    server_paths = {str(site.workspace), str(site.cache), os.path.expanduser("~") + "/"}
    seen = 0
    for page in pages:
        status, headers, body = site.get(f"/buurt/{SLUG}/{page}")
        if status in (301, 302):
            status, headers, body = site.get(headers["location"])
        assert status == 200, (page, status)
        text = body.decode("utf-8", "replace")
        for path in server_paths:
            assert path not in text, (page, path)
        for secret in SECRETS:
            assert secret not in text, (page, secret)
        seen += text.count("main.beancount")
    assert seen > 0  # the file name is shown, relative


def test_each_mount_keeps_its_own_urls_whatever_was_visited_first(site, untouched):
    for first, second in (("beheer", "buurt"), ("buurt", "beheer"), ("beheer", "buurt")):
        for mount in (first, second):
            user = ANJA if mount == "beheer" else None
            status, headers, _b = site.get(f"/{mount}/{SLUG}/", user=user)
            location = urlsplit(headers["location"]).path
            assert status == 302 and location.startswith(f"/{mount}/{SLUG}/"), (mount, location)
            status, _h, body = site.get(f"/{mount}/{SLUG}/extension/Buurtbudget/", user=user)
            text = body.decode()
            assert status == 200
            other = "buurt" if mount == "beheer" else "beheer"
            assert f"/{mount}/static/" in text and f"/{other}/static/" not in text
            assert f'"/{other}/{SLUG}/' not in text


def test_jump_only_back_into_the_public_view(site, untouched):
    for referrer in ("http://evil.example/x", f"{site.address}/beheer/{SLUG}/journal/", None):
        status, headers, body = site.get("/buurt/jump?time=2025", headers={"Referer": referrer} if referrer else {})
        assert status == 400 and "location" not in headers and "Terugspringen" in body.decode(), referrer
    status, headers, _b = site.get("/buurt/jump?time=2025",
                                   headers={"Referer": f"{site.address}/buurt/{SLUG}/journal/"})
    assert status == 302 and headers["location"] == f"/buurt/{SLUG}/journal/?time=2025"


def test_security_headers_on_every_answer(site):
    for path, user in (("/", None), (f"/buurt/{SLUG}/journal/", None), (f"/beheer/{SLUG}/", None),
                       (f"/beheer/{SLUG}/journal/", ANJA), ("/nergens", None), (f"/buurt/{SLUG}/api/source", None)):
        _s, headers, _b = site.get(path, user=user)
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    _s, headers, _b = site.get(f"/beheer/{SLUG}/api/source", user=ANJA)
    assert headers["cache-control"] == "private, no-store"


# -- 3. beheer: its own folder, the editor's policy, the writer ------------------------------------

def test_a_beheerder_cannot_reach_another_ledger(site, untouched):
    status, _h, _b = site.get(f"/beheer/{OTHER}/journal/", user=ANJA)
    assert status == 403
    other = site.workspace / OTHER / "main.beancount"
    status, _h, body = site.get(f"/beheer/{SLUG}/api/source?filename={quote(str(other))}", user=ANJA)
    assert status == 422 and b"Zuid" not in body


@pytest.mark.parametrize("name", ["../gebruikers.toml", "/etc/passwd", "documents/../../gebruikers.toml",
                                  f"../{OTHER}/documents/hout.pdf", "documents/link-naar-buiten.pdf"])
def test_documents_resolve_inside_the_ledger_folder(site, untouched, name):
    link = site.workspace / SLUG / "documents" / "link-naar-buiten.pdf"
    if not link.is_symlink():
        link.symlink_to(site.workspace / "gebruikers.toml")
    try:
        target = name if name.startswith("/") else str(site.workspace / SLUG / name)
        for filename in (name, target):
            status, _h, body = site.get(f"/beheer/{SLUG}/document/?filename={quote(filename)}", user=ANJA)
            assert status in (403, 404), (filename, status)
            assert b"scrypt" not in body and b"root:" not in body and b"%PDF" not in body
    finally:
        link.unlink()


@pytest.mark.parametrize("addition,reason", [
    ('include "../rivierenbuurt-2025/main.beancount"\n', "include"),
    ('include "../gebruikers.toml"\n', "include"),
    ('include "/etc/passwd"\n', "include"),
    ('include "documents/2025-05-02-bollen.pdf"\n', "include"),
    ('include "*.beancount"\n', "include"),
    ('plugin "os"\n', "plugin"),
    ('plugin "buurtbudget_admin.demo"\n', "plugin"),
    ('option "documents" "/"\n', "documents"),
    ('option "insert_pythonpath" "TRUE"\n', "insert_pythonpath"),
    ('2025-01-01 custom "fava-option" "import-config" "documents/boos.py"\n', "import-config"),
    ('2025-01-01 custom "fava-option" "import-dirs" "/"\n', "import-dirs"),
    ('2025-01-01 custom "fava-option" "default-file" "../rivierenbuurt-2025/main.beancount"\n', "default-file"),
    ('2025-01-01 custom "fava-extension" "buurtbudget_admin.demo"\n', "fava-extension"),
    ('2025-06-30 document Activa:Bank:Betaalrekening "../gebruikers.toml"\n', "document"),
    ('2025-06-30 * "ING" "Bankkosten"\n  document: "/etc/passwd"\n  Uitgaven:Ondersteuning:Bankkosten   1.00 EUR\n'
     '  Activa:Bank:Betaalrekening\n', "document"),
])
def test_the_editor_refuses_what_widens_the_world_or_runs_code(site, untouched, addition, reason):
    source = source_of(site)
    status, _h, body = put_source(site, source["source"] + "\n" + addition)
    assert status == 422, (addition, status, body)
    message = json.loads(body)["error"]
    assert "geweigerd" in message.lower() and reason in message
    assert str(site.workspace) not in message


def test_the_editor_refuses_a_typed_approval(site, untouched):
    source = source_of(site)["source"]
    added = source.replace('  ingevoerd-door: "Henk"\n  goedgekeurd-door: "Anja"\n',
                           '  ingevoerd-door: "Henk"\n  goedgekeurd-door: "Piet"\n')
    assert added != source
    status, _h, body = put_source(site, added)
    assert status == 422 and "goedgekeurd-door" in json.loads(body)["error"]
    new_entry = ('\n2025-07-01 * "Bouwmarkt Noord" "Hout"\n  document: "documents/2025-03-10-bouwmarkt.pdf"\n'
                 '  goedgekeurd-door: "Anja"\n  Uitgaven:Plannen:Speeltuin:Materiaal   10.00 EUR\n'
                 '  Activa:Bank:Betaalrekening\n')
    status, _h, body = put_source(site, source + new_entry)
    assert status == 422 and "goedgekeurd-door" in json.loads(body)["error"]


@pytest.mark.parametrize("addition,expected", [
    ('\n2025-07-01 * "Slijterij" "Wijn"\n  document: "documents/2025-03-10-bouwmarkt.pdf"\n'
     '  Uitgaven:Plannen:Buurtfeest:Alcohol   20.00 EUR\n  Activa:Bank:Betaalrekening\n', "BB-"),
    ('\n2025-07-01 * "Kapot"\n  Uitgaven:Plannen:Buurtfeest:Catering   20.00 EUR\n  Activa:Bank:Betaalrekening   '
     '-19.00 EUR\n', "geweigerd"),
    ('\n2025-07-01 * "syntax" \n  dit is geen beancount\n', "geweigerd"),
])
def test_the_editor_refuses_a_violation_or_an_error_through_the_writer(site, untouched, addition, expected):
    source = source_of(site)
    status, _h, body = put_source(site, source["source"] + addition)
    assert status == 422, body
    message = json.loads(body)["error"]
    assert expected in message and str(site.workspace) not in message


def test_slice_edits_and_new_entries_go_through_the_writer(site, untouched):
    q = quote("SELECT id WHERE narration = 'Bankkosten'")
    status, _h, body = site.get(f"/beheer/{SLUG}/api/query?query_string={q}", user=ANJA)
    assert status == 200
    entry_hash = json.loads(body)["data"]["rows"][0][0]
    status, _h, body = site.get(f"/beheer/{SLUG}/api/source_slice?entry_hash={entry_hash}", user=ANJA)
    assert status == 200
    sliced = json.loads(body)["data"]
    bad = sliced["slice"].replace("Uitgaven:Ondersteuning:Bankkosten", "Uitgaven:Ondersteuning:Alcohol")
    status, _h, body = site.request("PUT", f"/beheer/{SLUG}/api/source_slice", user=ANJA,
                                    body={"entry_hash": entry_hash, "source": bad, "sha256sum": sliced["sha256sum"]})
    assert status == 422, body
    typed = sliced["slice"].replace('"Bankkosten"', '"Bankkosten"\n  goedgekeurd-door: "Anja"')
    status, _h, body = site.request("PUT", f"/beheer/{SLUG}/api/source_slice", user=ANJA,
                                    body={"entry_hash": entry_hash, "source": typed, "sha256sum": sliced["sha256sum"]})
    assert status == 422 and "goedgekeurd-door" in json.loads(body)["error"]
    entry = {"t": "Transaction", "date": "2025-07-02", "flag": "*", "payee": "Slijterij", "narration": "Bier",
             "tags": [], "links": [], "meta": {"document": "documents/2025-03-10-bouwmarkt.pdf"},
             "postings": [{"account": "Uitgaven:Plannen:Buurtfeest:Alcohol", "amount": "10.00 EUR"},
                          {"account": "Activa:Bank:Betaalrekening", "amount": ""}]}
    status, _h, body = site.request("PUT", f"/beheer/{SLUG}/api/add_entries", user=ANJA, body={"entries": [entry]})
    assert status == 422 and "BB-CATEGORIE" in json.loads(body)["error"], body


@pytest.mark.parametrize("path,method", [
    ("api/move?account=x&new_name=y&filename=z", "PUT"), ("api/document?filename=documents/hout.pdf", "DELETE"),
    ("api/upload_import_file", "PUT"), ("api/extract?filename=x&importer=y", "GET"), ("import/", "GET"),
])
def test_imports_and_moving_or_deleting_receipts_are_refused(site, untouched, path, method):
    status, _h, _b = site.request(method, f"/beheer/{SLUG}/{path}", user=ANJA, body={} if method != "GET" else None)
    assert status == 403


def _multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----grens7d93"
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("filename,content", [
    ("boos.py", b"import os\nos.system('id')\n"),
    ("boos.pdf", b"import os\nos.system('id')\n"),
    ("plaatje.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
    ("../../gebruikers.toml", b"%PDF-1.4\n"),
])
def test_uploads_take_receipts_only(site, untouched, filename, content):
    body, kind = _multipart({"folder": "documents", "account": "Uitgaven:Plannen:Speeltuin:Materiaal"},
                            filename, content)
    status, _h, answer = site.request("PUT", f"/beheer/{SLUG}/api/add_document", user=ANJA, body=body,
                                      headers={"Content-Type": kind})
    if filename == "../../gebruikers.toml":  # secure_filename makes it a harmless name; its content is no receipt
        assert status == 422
    else:  # not a receipt by its content: refused by the one receipt check (ledger.buurtbudget.bonnen.controleer_bon)
        assert status == 422, (filename, status, answer[:200])


@pytest.mark.parametrize("folder,account", [
    ("/", "Uitgaven:Plannen:Speeltuin:Materiaal"), ("..", "Uitgaven:Plannen:Speeltuin:Materiaal"),
    ("documents/../..", "Uitgaven:Plannen:Speeltuin:Materiaal"), ("documents", "Uitgaven:Bestaat:Niet"),
])
def test_uploads_land_only_in_the_ledger_s_documents_folder(site, untouched, folder, account):
    body, kind = _multipart({"folder": folder, "account": account}, "bon.pdf", BON_PDF)
    status, _h, answer = site.request("PUT", f"/beheer/{SLUG}/api/add_document", user=ANJA, body=body,
                                      headers={"Content-Type": kind})
    assert status == 422, (folder, status, answer[:200])
    assert "geweigerd" in json.loads(answer)["error"].lower()
    assert not list(site.workspace.parent.rglob("bon.pdf"))


def test_writes_check_origin(site, untouched):
    source = source_of(site)
    payload = {"file_path": source["file_path"], "source": source["source"] + "\n; x\n",
               "sha256sum": source["sha256sum"]}
    for origin in (None, "http://evil.example", "null"):
        status, _h, _b = site.request("PUT", f"/beheer/{SLUG}/api/source", user=ANJA, body=payload, origin=origin)
        assert status == 403, origin


def test_auditor_writes_nothing(site, untouched):
    source = source_of(site, user=AUDITOR)
    status, _h, body = site.request("PUT", f"/beheer/{SLUG}/api/source", user=AUDITOR,
                                    body={"file_path": source["file_path"], "source": "",
                                          "sha256sum": source["sha256sum"]})
    assert status == 403 and "Alleen lezen" in json.loads(body)["error"]


def test_logout_link_on_every_extension_page_leaves_favas_router(site):
    _s, _h, page = site.get(f"/beheer/{SLUG}/extension/Buurtbudget/", user=ANJA)
    # data-remote: Fava's page router leaves the link alone (it used to fetch it as a page: a JS error).
    assert 'id="bb-uitloggen" data-remote href="/beheer/uitloggen"' in page.decode()
    assert "ingelogd als anja" in page.decode()
    status, _headers, body = site.get("/beheer/uitloggen")
    assert status == 200 and "niet ingelogd" in body.decode()


def _git_log(workspace: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(workspace), "log", "--format=%an|%s"], capture_output=True, text=True)
    return out.stdout.splitlines()


def test_web_writes_are_commits_by_the_logged_in_user(site):
    """The ones that succeed: an editor save, a receipt upload on an entry, a new entry."""
    before = len(_git_log(site.workspace))
    source = source_of(site)
    status, _h, body = put_source(site, source["source"] + "\n; nagekeken door anja\n")
    assert status == 200, body
    log = _git_log(site.workspace)
    assert log[0].startswith("anja|Bewerkt in de editor")
    q = quote("SELECT id WHERE narration = 'Bankkosten'")
    entry_hash = json.loads(site.get(f"/beheer/{SLUG}/api/query?query_string={q}", user=ANJA)[2])["data"]["rows"][0][0]
    body, kind = _multipart({"folder": "documents", "account": "Uitgaven:Ondersteuning:Bankkosten",
                             "hash": entry_hash}, "afschrift.pdf", BON_PDF)
    status, _h, answer = site.request("PUT", f"/beheer/{SLUG}/api/add_document", user=ANJA, body=body,
                                      headers={"Content-Type": kind})
    assert status == 200, answer
    stored = list((site.workspace / SLUG / "documents").rglob("afschrift.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes().startswith(b"%PDF")
    assert 'document: "afschrift.pdf"' in (site.workspace / SLUG / "main.beancount").read_text(encoding="utf-8")
    log = _git_log(site.workspace)
    assert log[0].startswith("anja|document toegevoegd")
    assert len(log) == before + 2
    tracked = subprocess.run(["git", "-C", str(site.workspace), "ls-files"], capture_output=True, text=True).stdout
    assert "afschrift.pdf" in tracked
    # A new entry from Fava's form, then deleted again: two more commits by anja.
    entry = {"t": "Transaction", "date": "2025-07-03", "flag": "*", "payee": "ING", "narration": "Rente-kosten",
             "tags": [], "links": [], "meta": {},
             "postings": [{"account": "Uitgaven:Ondersteuning:Bankkosten", "amount": "1.50 EUR"},
                          {"account": "Activa:Bank:Betaalrekening", "amount": ""}]}
    status, _h, answer = site.request("PUT", f"/beheer/{SLUG}/api/add_entries", user=ANJA, body={"entries": [entry]})
    assert status == 200, answer
    assert _git_log(site.workspace)[0] == "anja|1 boeking(en) toegevoegd via de website"
    q = quote("SELECT id WHERE narration = 'Rente-kosten'")
    new_hash = json.loads(site.get(f"/beheer/{SLUG}/api/query?query_string={q}", user=ANJA)[2])["data"]["rows"][0][0]
    sliced = json.loads(site.get(f"/beheer/{SLUG}/api/source_slice?entry_hash={new_hash}", user=ANJA)[2])["data"]
    status, _h, answer = site.request(
        "DELETE", f"/beheer/{SLUG}/api/source_slice?entry_hash={new_hash}&sha256sum={sliced['sha256sum']}", user=ANJA)
    assert status == 200, answer
    assert _git_log(site.workspace)[0] == "anja|Boeking van 2025-07-03 verwijderd"
    assert "Rente-kosten" not in (site.workspace / SLUG / "main.beancount").read_text(encoding="utf-8")


# -- 4. logins ------------------------------------------------------------------------------------

@pytest.fixture()
def fresh_site(tmp_path):
    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), ANJA[0], "beheerder", (SLUG,), ANJA[1])
    served = Served(workspace, tmp_path / "cache")
    try:
        yield Site(served, tmp_path / "cache")
    finally:
        served.stop()


def test_logins_are_throttled_per_name_and_per_client(fresh_site):
    site = fresh_site
    before = fingerprint(site.workspace)
    statuses = [site.get(f"/beheer/{SLUG}/journal/", user=(ANJA[0], f"fout-{i}"))[0] for i in range(10)]
    assert statuses == [401] * 10
    status, headers, body = site.get(f"/beheer/{SLUG}/journal/", user=ANJA)
    assert status == 429 and int(headers["retry-after"]) > 60
    assert "Te veel" in body.decode()
    # The same client with another name is blocked too (per client).
    assert site.get(f"/beheer/{SLUG}/journal/", user=("iemand", "x" * 10))[0] == 429
    assert fingerprint(site.workspace) == before
    assert ("Let op: buurtbudget serve draait als root" in site.served.output) == (os.geteuid() == 0)


def test_unknown_and_known_names_cost_the_same_work(tmp_path):
    from buurtbudget_admin.service.users import UserStore

    path = tmp_path / "gebruikers.toml"
    add_user(path, "anja", "beheerder", ("*",), "geheim-anja-1")
    store = UserStore(path)
    store.authenticate("anja", "geheim-anja-1")

    def median(name: str) -> float:
        times = []
        for i in range(5):
            start = time.perf_counter()
            assert store.authenticate(name, f"fout-{i}") is None
            times.append(time.perf_counter() - start)
        return sorted(times)[2]

    known, unknown = median("anja"), median("onbekend")
    assert unknown > known * 0.5 and known > unknown * 0.5
    assert unknown > 0.01  # a real password hash ran (scrypt), not a dictionary miss
