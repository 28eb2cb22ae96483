"""The login form, the session cookie, the logout and the start page, against a real `buurtbudget serve`.

Every request goes over a socket to waitress; other clients are other loopback addresses.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import http.client
import json
import re
import time
from urllib.parse import urlencode, urlsplit

import pytest

from tests.service_workspace import Served, claims_beside, user_workspace

SLUG, OTHER = "testbuurt-2025", "rivierenbuurt-2025"
ANJA = ("anja", "geheim-anja-1")
HENK = ("henk", "geheim-henk-1")
PIET = ("piet", "geheim-piet-1")
AUDITOR = ("stadsdeel", "geheim-audit-1")
GOK = ("gok", "geheim-gok-01")  # only the throttling test fails logins, under its own name

CLAIMS = claims_beside(ingevoerd="anja", goedgekeurd="henk")


class Site:
    def __init__(self, served: Served):
        self.served = served
        self.address = served.address
        parts = urlsplit(self.address)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method: str, path: str, *, cookie: str | None = None, basic: tuple[str, str] | None = None,
                form: dict | None = None, body: bytes | None = None, source: str | None = None,
                headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60,
                                          source_address=(source, 0) if source else None)
        sent = {"Origin": self.address, **(headers or {})}
        if cookie:
            sent["Cookie"] = cookie
        if basic:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        payload = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def form(self, path: str, cookie: str | None = None, source: str | None = None) -> tuple[str, str]:
        """(cookie, csrf token) of a page with a form, as a browser holds them."""
        status, headers, page = self.request("GET", path, cookie=cookie, source=source)
        assert status == 200, (path, status, page[:300])
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return (headers.get("set-cookie", "").split(";")[0] or cookie or ""), token

    def login(self, user: tuple[str, str], *, source: str | None = None, volgende: str | None = None):
        cookie, token = self.form("/beheer/inloggen", source=source)
        fields = {"csrf_token": token, "gebruikersnaam": user[0], "wachtwoord": user[1]}
        if volgende is not None:
            fields["volgende"] = volgende
        return self.request("POST", "/beheer/inloggen", cookie=cookie, form=fields, source=source)

    def session(self, user: tuple[str, str]) -> str:
        status, headers, body = self.login(user)
        assert status == 303, body[:300]
        return headers["set-cookie"].split(";")[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("inloggen")
    workspace = user_workspace(root / "ws", CLAIMS, (
        (ANJA[0], "beheerder", (SLUG,), ANJA[1], None), (HENK[0], "beheerder", (SLUG,), HENK[1], None),
        (PIET[0], "beheerder", (OTHER,), PIET[1], None), (AUDITOR[0], "auditor", (), AUDITOR[1], None),
        (GOK[0], "beheerder", (OTHER,), GOK[1], None)))
    served = Served(workspace, root / "cache")
    try:
        yield Site(served)
    finally:
        served.stop()


def test_the_login_form_is_dutch_labelled_and_runs_no_inline_script(site):
    status, headers, page = site.request("GET", "/beheer/inloggen")
    assert status == 200 and '<html lang="nl">' in page
    for field in ("gebruikersnaam", "wachtwoord"):
        assert re.search(rf'<label for="{field}">', page) and re.search(rf'<input[^>]*id="{field}"', page)
    assert 'autocomplete="current-password"' in page and 'type="password"' in page
    assert "<script" not in page and "onclick" not in page
    assert "script-src 'self'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "private, no-store"


def test_a_wrong_password_opens_nothing_and_the_right_one_sets_a_strict_cookie(site):
    status, headers, page = site.login((ANJA[0], "fout-wachtwoord"))
    assert status == 200 and "Gebruikersnaam of wachtwoord onjuist" in page
    stale = headers.get("set-cookie", "").split(";")[0]
    assert site.request("GET", "/beheer/", cookie=stale)[0] == 303  # the anonymous cookie is no login

    status, headers, _page = site.login(ANJA, volgende=f"/beheer/{SLUG}/journal/")
    assert status == 303 and headers["location"] == f"/beheer/{SLUG}/journal/"
    cookie = headers["set-cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0].startswith("bb_sessie=")
    assert "HttpOnly" in parts and "SameSite=Lax" in parts and "Path=/beheer" in parts
    expires = email.utils.parsedate_to_datetime(next(p for p in parts if p.startswith("Expires="))[8:])
    left = expires.timestamp() - time.time()
    assert 7.9 * 3600 < left <= 8 * 3600 + 5  # the session ends 8 hours after the login
    status, _h, journal = site.request("GET", f"/beheer/{SLUG}/journal/", cookie=parts[0])
    assert status == 200 and "Fatima el Amrani" in journal  # the real books


def test_login_goes_back_only_to_a_page_of_beheer(site):
    for volgende in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/beheer/../x", "/buurt/x/"):
        status, headers, _p = site.login(ANJA, volgende=volgende)
        assert status == 303 and headers["location"] == "/beheer/", volgende
    status, headers, _b = site.request("GET", f"/beheer/{SLUG}/income_statement/?time=2025")
    assert status == 303
    assert headers["location"] == f"/beheer/inloggen?volgende=/beheer/{SLUG}/income_statement/%3Ftime%3D2025"
    cookie, token = site.form(headers["location"])
    status, headers, _b = site.request("POST", "/beheer/inloggen", cookie=cookie, form={
        "csrf_token": token, "gebruikersnaam": ANJA[0], "wachtwoord": ANJA[1],
        "volgende": f"/beheer/{SLUG}/income_statement/?time=2025"})
    assert headers["location"] == f"/beheer/{SLUG}/income_statement/?time=2025"


def test_a_form_without_its_csrf_token_is_400(site):
    cookie, _token = site.form("/beheer/inloggen")
    status, _h, page = site.request("POST", "/beheer/inloggen", cookie=cookie,
                                    form={"gebruikersnaam": ANJA[0], "wachtwoord": ANJA[1]})
    assert status == 400 and "Formulier verlopen" in page
    status, _h, _p = site.request("POST", "/beheer/inloggen", cookie=cookie, form={
        "csrf_token": "vervalst", "gebruikersnaam": ANJA[0], "wachtwoord": ANJA[1]})
    assert status == 400
    session = site.session(ANJA)
    assert site.request("POST", "/beheer/uitloggen", cookie=session, form={})[0] == 400
    assert site.request("GET", "/beheer/", cookie=session)[0] == 200  # still logged in: nothing happened


def test_logout_ends_the_session_on_the_server(site):
    session = site.session(ANJA)
    assert site.request("GET", "/beheer/", cookie=session)[0] == 200
    status, _h, page = site.request("GET", "/beheer/uitloggen", cookie=session)
    assert status == 200 and "U bent ingelogd als anja" in page and 'name="csrf_token"' in page
    current, token = site.form("/beheer/uitloggen", cookie=session)  # the form's token joins the cookie
    status, headers, _p = site.request("POST", "/beheer/uitloggen", cookie=current, form={"csrf_token": token})
    assert status == 303 and headers["location"] == "/beheer/inloggen?uitgelogd=1"
    assert "U bent uitgelogd" in site.request("GET", headers["location"])[2]
    # The old cookies (as a copy kept by an attacker) open nothing any more.
    assert site.request("GET", "/beheer/", cookie=current)[0] == 303
    assert site.request("GET", "/beheer/", cookie=session)[0] == 303
    assert site.request("GET", f"/beheer/{SLUG}/journal/", cookie=session)[0] == 303
    assert site.request("GET", f"/beheer/{SLUG}/api/source", cookie=session)[0] == 401


def test_basic_auth_reads_for_scripts_and_never_writes(site):
    ledger = site.served.workspace / SLUG / "main.beancount"
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    status, _h, body = site.request("GET", f"/beheer/{SLUG}/api/source", basic=ANJA)
    assert status == 200
    source = json.loads(body)["data"]
    edit = json.dumps({"file_path": source["file_path"], "source": source["source"] + "\n; via basic\n",
                       "sha256sum": source["sha256sum"]}).encode()
    for method in ("PUT", "POST", "DELETE"):
        status, _h, answer = site.request(method, f"/beheer/{SLUG}/api/source", basic=ANJA, body=edit,
                                          headers={"Content-Type": "application/json"})
        assert status == 403 and "HTTP Basic" in answer, (method, status, answer[:200])
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
    assert site.request("GET", f"/beheer/{SLUG}/api/source", basic=(ANJA[0], "fout"))[0] == 401


def test_failed_form_logins_are_throttled_like_basic(site):
    source = "127.0.0.9"
    statuses = [site.login((GOK[0], f"fout-{i}"), source=source)[0] for i in range(10)]
    assert statuses == [200] * 10
    status, headers, page = site.login(GOK, source=source)  # the right password, too late
    assert status == 429 and int(headers["retry-after"]) > 60 and "Te veel mislukte inlogpogingen" in page
    # Basic from that client is held up too: one throttle for both doors.
    assert site.request("GET", f"/beheer/{OTHER}/journal/", basic=GOK, source=source)[0] == 429
    time.sleep(1.2)  # the name's backoff after 10 failures: 1 s, then another client may try
    assert site.login(GOK, source="127.0.0.10")[0] == 303


def _queue(page: str, slug: str) -> dict[str, int]:
    start = page.index(f'<li class="budget" id="bb-budget-{slug}">')
    end = page.find('<li class="budget"', start + 1)
    card = page[start:end if end > 0 else len(page)]
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r'data-taak="([a-z-]+)">.*?<span class="aantal[^"]*">(\d+)</span>', card, re.S)}


def test_the_start_page_lists_my_budgets_and_what_needs_doing(site):
    anja = site.request("GET", "/beheer/", cookie=site.session(ANJA))[2]
    assert "Ingelogd als <strong>anja</strong>" in anja
    assert f'id="bb-budget-{SLUG}"' in anja and f'id="bb-budget-{OTHER}"' not in anja
    assert _queue(anja, SLUG) == {"overtredingen": 2, "zonder-bon": 1, "beoordelen": 0, "te-betalen": 1,
                                  "bij-de-bank": 1, "onverwerkt": 0}
    # anja entered the waiting claim: never hers to approve; henk is the second person.
    henk = site.request("GET", "/beheer/", cookie=site.session(HENK))[2]
    assert _queue(henk, SLUG)["beoordelen"] == 1
    page = f"/beheer/{SLUG}/extension/Buurtbudget/"
    assert f'href="{page}#bb-wachtend"' in henk and f'href="{page}#bb-decl-decl-2025-010"' in henk
    assert f'href="{page}#bb-betalen"' in henk  # to pay
    assert f'href="{page}#bb-bank"' in henk  # at the bank
    assert f'href="{page}#bb-oordeel"' in henk
    # The auditor sees every budget, read-only.
    auditor = site.request("GET", "/beheer/", cookie=site.session(AUDITOR))[2]
    assert f'id="bb-dossier-{SLUG}"' in auditor and f'id="bb-dossier-{OTHER}"' in auditor
    assert "alleen lezen" in auditor and 'data-taak="' not in auditor  # dossiers, not the beheerder's queue
    # Each link opens with that session.
    cookie = site.session(HENK)
    for href in set(re.findall(r'href="(/beheer/[^"#]+)', henk)):
        status, _h, _b = site.request("GET", href.replace("&amp;", "&"), cookie=cookie)
        assert status == 200, href


def test_the_session_key_is_made_once_0600_outside_the_ledgers_and_out_of_git(site):
    import os
    import shutil
    import stat
    import subprocess

    from buurtbudget_admin.service.inloggen import sessie_sleutel

    workspace = site.served.workspace
    key = workspace / ".buurtbudget" / "sessie-sleutel"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 64
    assert sessie_sleutel(workspace) == key.read_bytes()  # made once, read afterwards
    assert not [p for p in workspace.rglob("sessie-sleutel") if (p.parent / "main.beancount").exists()]
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    status = subprocess.run(["git", "-C", str(workspace), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert "gebruikers.toml" in status and ".buurtbudget" not in status
    shutil.rmtree(workspace / ".git")
    assert os.path.isdir(workspace / SLUG)
