"""The attack suite, bounds: what one request, one client or one redirect may ask of `buurtbudget serve`.

A real server (waitress on loopback, subprocess) over a git workspace of real
ledgers, as in `test_aanval.py`; every refusal leaves every ledger, receipt and
`gebruikers.toml` byte-identical (`untouched`). Linux routes all of 127/8 to
loopback, so a test can be "another client" by sending from 127.0.0.2.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from urllib.parse import quote

import pytest

from buurtbudget_admin.service.grenzen import ANONYMOUS_BODY, BEHEER_BODY, MAX_PERIODS, PER_CLIENT
from tests.test_aanval import (  # noqa: F401 - fixtures
    ANJA, AUDITOR, SLUG, fingerprint, fresh_site, site, untouched,
)


def _get(site, path: str, *, source: str = "127.0.0.1", user=None, headers=None, timeout: float = 30):
    conn = http.client.HTTPConnection(site.host, site.port, timeout=timeout, source_address=(source, 0))
    sent = dict(headers or {})
    if user:
        sent["Authorization"] = "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()
    conn.request("GET", path, headers=sent)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _timed(site, path: str, **kw) -> tuple[int, float, bytes]:
    start = time.monotonic()
    status, _h, body = _get(site, path, **kw)
    return status, time.monotonic() - start, body


# -- 1. Fava's time / interval / filter arguments -------------------------------------------------

@pytest.mark.parametrize("arguments,says", [
    ("interval=day&time=1000 - 9000", "valt buiten"),  # 18.7 s and 3 GB before
    ("time=0001 - 9999", "valt buiten"),  # a 500 before (a date before year 1)
    ("time=2025-02-30", "niet te lezen"),  # a 500 before
    ("time=day%2B99999999", "niet te lezen"),
    ("interval=day&time=2020 - 2029", "Te veel perioden"),
    ("interval=week&time=1990 - 2040", "Te veel perioden"),
    ("time=1900 - 2199", "Te veel perioden"),  # Fava's default interval is a month
    ("interval=fortnight", "Onbekende interval"),
    ("filter=" + "a" * 1001, "te lang"),
])
def test_unbounded_periods_are_refused_before_fava_computes(site, untouched, arguments, says):
    for path, user in ((f"/buurt/{SLUG}/api/income_statement?{arguments}", None),
                       (f"/buurt/{SLUG}/api/balance_sheet?{arguments}", None),
                       (f"/beheer/{SLUG}/api/income_statement?{arguments}", ANJA),
                       (f"/beheer/{SLUG}/api/account_report?a=Uitgaven&{arguments}", AUDITOR)):
        status, took, body = _timed(site, path.replace(" ", "%20"), user=user)
        assert status == 400 and took < 2, (path, status, took, body[:200])
        assert says in json.loads(body)["error"], body
    status, _h, body = _get(site, f"/buurt/{SLUG}/income_statement/?{arguments}".replace(" ", "%20"))
    assert status == 400 and says in body.decode()


@pytest.mark.parametrize("arguments", [
    "interval=day&time=2024 - 2027", "interval=week&time=2000 - 2027", "time=2025&interval=day",
    "interval=month&time=1990 - 2100", "interval=year&time=1900 - 2199", "time=2025-Q2", "interval=day",
])
def test_bounded_periods_still_answer(site, untouched, arguments):
    status, _h, body = _get(site, f"/buurt/{SLUG}/api/income_statement?{arguments}".replace(" ", "%20"))
    assert status == 200, (arguments, body[:200])
    assert len(json.loads(body)["data"]["charts"][0]["data"]) <= MAX_PERIODS


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    """A served workspace with one generated ledger of 2,000 bookings (many accounts, one year)."""
    import importlib.util
    from pathlib import Path

    from tests.service_workspace import Served
    from tests.test_aanval import Site

    root = tmp_path_factory.mktemp("groot")
    spec = importlib.util.spec_from_file_location(
        "generate_ledger", Path(__file__).resolve().parents[1] / "bench" / "generate_ledger.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    with_rules, without = generator.write(2000, root / "ws" / "groot-2025", seed=7)
    with_rules.rename(root / "ws" / "groot-2025" / "main.beancount")
    without.unlink()
    served = Served(root / "ws", root / "cache")
    try:
        yield Site(served, root / "cache")
    finally:
        served.stop()


def test_many_intervals_run_under_the_query_time_limit(big_site):
    """Within the bounds an account report still costs per day and per account: it runs like a query."""
    site = big_site
    heavy = "/buurt/groot-2025/api/account_report?a=Uitgaven&r=balances&interval=day&time=2024-06%20-%202028-06"
    status, took, body = _timed(site, heavy)
    assert status == 408 and took < 8 and "langer dan" in json.loads(body)["error"], (status, took, body[:200])
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(_get(site, heavy)[0])) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    landing = [_timed(site, "/") for _ in range(10)]
    for thread in threads:
        thread.join()
    assert set(results) <= {408, 503} and all(status == 200 for status, _t, _b in landing)
    assert sorted(t for _s, t, _b in landing)[8] < 1.0
    status, _h, body = _get(site, "/buurt/groot-2025/api/account_report?a=Uitgaven&r=balances&time=2025")
    assert status == 200 and json.loads(body)["data"]["charts"]


def test_the_site_stays_up_while_unbounded_periods_are_asked_for(site, untouched):
    """The issue's attack: ten of these in parallel took `/` down."""
    stop = threading.Event()
    answers: list[int] = []

    def attacker() -> None:
        while not stop.is_set():
            answers.append(_get(site, f"/buurt/{SLUG}/api/income_statement?interval=day&time=1000%20-%209000")[0])

    threads = [threading.Thread(target=attacker) for _ in range(10)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        landing = [_timed(site, "/") for _ in range(10)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert all(status == 200 for status, _t, _b in landing)
    assert sorted(t for _s, t, _b in landing)[8] < 1.0
    assert answers and set(answers) == {400}


# -- 2. bodies -------------------------------------------------------------------------------------

def _send_head(site, head: str, first: bytes = b"", source: str = "127.0.0.1") -> tuple[bytes, float]:
    """Send a request's head (and `first` bytes of its body), then read what the server says at once."""
    sock = socket.create_connection((site.host, site.port), timeout=10, source_address=(source, 0))
    try:
        start = time.monotonic()
        sock.sendall(head.encode("latin-1") + first)
        answer = b""
        while True:  # the server answers and closes, without waiting for the body
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - start
    finally:
        sock.close()


def _basic(user) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


@pytest.mark.parametrize("method,path,extra", [
    ("POST", "/", ""),
    ("PUT", f"/buurt/{SLUG}/api/source", ""),
    ("PUT", f"/beheer/{SLUG}/api/source", ""),  # no credentials
    ("PUT", f"/beheer/{SLUG}/api/add_document", "Authorization: {anja}\r\n"),  # a login, but over its limit
])
def test_bodies_are_refused_by_content_length_before_they_are_read(site, untouched, method, path, extra):
    length = BEHEER_BODY + 1024 * 1024 if "Authorization" in extra else 1024 ** 3
    head = (f"{method} {path} HTTP/1.1\r\nHost: {site.host}:{site.port}\r\nOrigin: {site.address}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n"
            + extra.format(anja=_basic(ANJA)) + "\r\n")
    answer, took = _send_head(site, head, b"x" * 1000)  # the rest of the body is never sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert took < 5 and b"Verzoek te groot" in answer and b"Connection: close" in answer, (took, answer)


def test_a_chunked_body_is_cut_off_at_the_limit(site, untouched):
    sock = socket.create_connection((site.host, site.port), timeout=10)
    sent = 0
    try:
        sock.sendall(f"PUT /buurt/{SLUG}/api/source HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b"2000\r\n" + b"x" * 0x2000 + b"\r\n"
        answer = b""
        sock.settimeout(0.05)
        while sent < 64 * 1024 * 1024:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            try:
                got = sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            answer += got
            if not got or b"\r\n\r\n" in answer:
                break
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), (sent, answer[:200])
    # The server stopped after a few kilobytes; what was sent beyond sat in the kernel's buffers.
    assert sent < 16 * 1024 * 1024 and ANONYMOUS_BODY < 16 * 1024


def test_a_receipt_just_over_the_limit_is_read_and_refused_by_the_app(site, untouched):
    """Within the body limit for a login, the upload's own check still speaks (Dutch, 422): the one
    receipt limit of the command line (`ledger.buurtbudget.bonnen.max_bytes`, 20 MB), not a second one of the web."""
    from ledger.buurtbudget.bonnen import max_bytes
    from tests.test_aanval import _multipart

    body, kind = _multipart({"folder": "documents", "account": "Uitgaven:Plannen:Speeltuin:Materiaal"},
                            "groot.pdf", b"%PDF-1.4\n" + b"0" * (max_bytes() + 1000) + b"\n%%EOF\n")
    status, _h, answer = site.request("PUT", f"/beheer/{SLUG}/api/add_document", user=ANJA, body=body,
                                      headers={"Content-Type": kind})
    assert status == 422 and "te groot" in json.loads(answer)["error"], (status, answer[:300])


# -- 3. connections -------------------------------------------------------------------------------

def test_one_client_with_many_half_open_connections_does_not_starve_the_site(site, untouched):
    held: list[socket.socket] = []
    try:
        for _ in range(120):
            sock = socket.create_connection((site.host, site.port), timeout=5, source_address=("127.0.0.2", 0))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # the head never ends
            held.append(sock)
        time.sleep(0.5)
        landing = [_timed(site, "/") for _ in range(10)]
        assert all(status == 200 for status, _t, _b in landing)
        assert max(t for _s, t, _b in landing) < 2.0, landing
        # The server closed what that one client opened beyond its share.
        closed = 0
        for sock in held:
            sock.settimeout(0.01)
            try:
                closed += sock.recv(1) == b""
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed += 1
        assert closed >= 120 - PER_CLIENT, closed
        # The client's own first connections still work.
        held[0].sendall(b"\r\n")
        held[0].settimeout(10)
        assert held[0].recv(100).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()


# -- 4. logins ------------------------------------------------------------------------------------

def test_failed_logins_elsewhere_do_not_lock_the_real_user_out(fresh_site):
    site = fresh_site
    before = fingerprint(site.workspace)
    journal = f"/beheer/{SLUG}/journal/"
    assert _get(site, journal, user=ANJA)[0] == 200  # anja works from 127.0.0.1
    # An attacker at 127.0.0.2 guesses anja's password ten times: its own address is locked.
    statuses = [_get(site, journal, source="127.0.0.2", user=(ANJA[0], f"fout-{i}"))[0] for i in range(10)]
    assert statuses == [401] * 10
    status, headers, body = _get(site, journal, source="127.0.0.2", user=ANJA)
    assert status == 429 and int(headers["retry-after"]) > 60 and "Te veel" in body.decode()
    # Anja, where she logged in before, is not held up at all.
    assert _get(site, journal, user=ANJA)[0] == 200
    # From anywhere else, the name waits a short backoff (no 15 minutes): a third address...
    status, headers, _b = _get(site, journal, source="127.0.0.3", user=(ANJA[0], "nog-een-gok"))
    assert status == 429 and 1 <= int(headers["retry-after"]) <= 15, (status, headers)
    # ... and anja on a new address gets in once the backoff has passed.
    time.sleep(int(headers["retry-after"]))
    assert _get(site, journal, source="127.0.0.4", user=ANJA)[0] == 200
    assert fingerprint(site.workspace) == before


def test_the_name_backoff_grows_and_stays_short():
    from buurtbudget_admin.service.auth import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for i in range(10):
        assert throttle.blocked_for(f"10.0.0.{i}", "anja") == 0
        throttle.failed(f"10.0.0.{i}", "anja")
    waits = []
    for i in range(10, 20):  # a botnet, one guess per address
        waits.append(throttle.blocked_for(f"10.0.0.{i}", "anja"))
        now[0] += waits[-1]
        throttle.failed(f"10.0.0.{i}", "anja")
    assert waits == [1, 2, 4, 8, 15, 15, 15, 15, 15, 15]
    throttle.succeeded("10.1.1.1", "anja")
    assert throttle.blocked_for("10.1.1.1", "anja") == 0  # the real user's own address
    assert throttle.blocked_for("10.1.1.2", "anja") == 15  # another address waits, briefly
    assert throttle.blocked_for("10.1.1.2", "piet") == 0  # other names are not held up


# -- 5. redirects, jump, errors, downloads -------------------------------------------------------

def test_redirects_never_name_the_host_header(site, untouched):
    for path, user in ((f"/buurt/{SLUG}", None), (f"/buurt/{SLUG}/", None), (f"/beheer/{SLUG}", ANJA),
                       (f"/beheer/{SLUG}/", ANJA)):
        status, headers, _b = _get(site, path, user=user, headers={"Host": "evil.example"})
        assert status in (301, 302, 308), (path, status)
        assert headers["location"].startswith(f"/{path.split('/')[1]}/{SLUG}/"), headers["location"]
        assert "evil" not in headers["location"]


@pytest.mark.parametrize("referrer", [None, "http://evil.example/beheer/x/", "{site}/buurt/" + SLUG + "/journal/",
                                      "{site}/beheer/../buurt/" + SLUG + "/", "//evil.example/beheer/"])
def test_beheer_jump_goes_only_back_into_beheer(site, untouched, referrer):
    headers = {"Referer": referrer.format(site=site.address)} if referrer else {}
    status, answer, body = _get(site, "/beheer/jump?time=2025", user=ANJA, headers=headers)
    assert status == 400 and "location" not in answer, (referrer, status, answer)
    assert "Terugspringen niet mogelijk" in body.decode()


def test_beheer_jump_back_to_a_beheer_page(site, untouched):
    status, headers, _b = _get(site, "/beheer/jump?time=2025&filter=", user=ANJA,
                               headers={"Referer": f"{site.address}/beheer/{SLUG}/journal/?filter=x&conversion=units"})
    assert status == 302 and headers["location"] == f"/beheer/{SLUG}/journal/?conversion=units&time=2025"


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "html"])
def test_query_downloads_only_in_a_format_that_works(site, untouched, fmt):
    q = quote("SELECT date, narration")
    for path, user in ((f"/buurt/{SLUG}/download-query/query_result.{fmt}?query_string={q}", None),
                       (f"/beheer/{SLUG}/download-query/query_result.{fmt}?query_string={q}", ANJA)):
        status, _h, body = _get(site, path, user=user)
        assert status in (400, 404) and status != 500, (path, status)
        if fmt != "html":
            assert status == 400 and "alleen als CSV" in body.decode()
    status, _h, body = _get(site, f"/buurt/{SLUG}/download-query/query_result.csv?query_string={q}")
    assert status == 200 and b"Bankkosten" in body
    # Fava's query page offers the spreadsheet formats only when they work.
    status, _h, body = _get(site, f"/buurt/{SLUG}/query/")
    assert status == 200 and b'"have_excel":false' in body.replace(b" ", b"")


@pytest.mark.parametrize("location,own", [
    ("/buurt/x/journal/?time=2025", "/buurt/x/journal/?time=2025"),
    ("http://evil.example/buurt/x/", "/buurt/x/"),  # werkzeug's redirect, built from the Host header
    ("https://evil.example", "/"),
    ("//evil.example/buurt/", "/buurt/"),  # the host dropped, whatever the form
    ("/\\evil.example/", "/"),
    ("javascript:alert(1)", "/"),
    ("income_statement/", "income_statement/"),  # relative to the page: still this site
])
def test_a_location_is_always_a_path_of_this_site(location, own):
    from buurtbudget_admin.service.grenzen import own_location

    assert own_location(location) == own
