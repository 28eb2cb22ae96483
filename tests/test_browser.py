"""The service in a real browser: Debian's chromium through Playwright, on the demo workspace.

The server is the real `buurtbudget serve` (waitress) in a subprocess on a free
loopback port. Screenshots of every page go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from buurtbudget_admin.demo import write_demo_workspace
from buurtbudget_admin.service.users import add_user, users_path
from ledger.publiek.redact import IBAN_PATTERN
from tests.service_workspace import browser_login

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SLUGS = ("k-buurt-2025", "geuzenveld-2025", "de-baarsjes-2025")
BEHEERDER = {"username": "marieke", "password": "demo-beheer-2025"}
AUDITOR = {"username": "stadsdeel", "password": "demo-audit-2025"}


def _secrets(workspace: Path) -> set[str]:
    found: set[str] = set()
    for slug in SLUGS:
        text = (workspace / slug / "main.beancount").read_text(encoding="utf-8")
        values = set(re.findall(r'(?:declarant|iban|document): "([^"]+)"', text))
        found |= values | {v.rsplit("/", 1)[-1] for v in values}
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    workspace = root / "demo"
    write_demo_workspace(workspace)
    add_user(users_path(workspace), BEHEERDER["username"], "beheerder", ("de-baarsjes-2025",), BEHEERDER["password"])
    add_user(users_path(workspace), AUDITOR["username"], "auditor", (), AUDITOR["password"])
    process = subprocess.Popen(
        [sys.executable, "-m", "buurtbudget_admin", "serve", str(workspace), "--host", "127.0.0.1",
         "--port", "0", "--cache", str(root / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    address = None
    deadline = time.monotonic() + 90
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.match(r"Open (http://\S+) in uw browser", line)
        if match:
            address = match.group(1).rstrip("/")
            break
    if address is None:
        process.kill()
        raise AssertionError("de server startte niet:\n" + "".join(lines))
    try:
        yield address, workspace, "".join(lines)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_serve_prints_the_address_and_loads_the_demo(server):
    address, _ws, output = server
    assert f"Overzicht per buurt:  {address}/" in output
    assert "de-baarsjes-2025: 5 overtreding(en)" in output
    assert "Wachtwoorden" not in output  # the users file existed: no new passwords


def test_landing_page_lists_the_three_buurtbudgetten(server, browser):
    address, _ws, _out = server
    page = browser.new_page()
    response = page.goto(address + "/")
    assert response.status == 200
    cards = page.locator("article.kaart")
    assert cards.count() == 3
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.slug)")) == sorted(SLUGS)
    text = page.inner_text("body")
    assert "actuele stand van zaken per buurt" in text.lower()
    assert "€ 50.000,00" in text and "€ 60.000,00" in text and "€ 35.000,00" in text
    for card in cards.all():
        assert re.search(r"Uitgegeven\s+€ [\d.]+,\d\d", card.inner_text())
    assert page.locator("h2.stadsdeel").count() >= 1
    shot(page, "01-overzicht")
    page.close()


def test_public_view_shows_plan_bars_and_nothing_private(server, browser):
    address, workspace, _out = server
    secrets = _secrets(workspace)
    assert len(secrets) > 50
    context = browser.new_context()
    page = context.new_page()
    bodies: list[tuple[str, str]] = []

    def keep(response):
        if "/buurt/" in response.url and response.request.resource_type in ("fetch", "xhr", "document"):
            try:
                bodies.append((response.url, response.text()))
            except Exception:  # redirects have no body
                pass

    page.on("response", keep)
    slug = "de-baarsjes-2025"
    page.goto(f"{address}/buurt/{slug}/")  # the default page is the extension
    page.wait_for_selector(".bb-plan")
    assert page.locator(".bb-plan").count() == 5
    assert page.locator("#bb-gauge").is_visible()
    assert page.locator("#bb-pdf").count() == 0
    assert "5 overtredingen gevonden" in page.inner_text("#bb-oordeel-samenvatting")
    shot(page, "02-openbaar-extensie")
    texts = [page.inner_text("body")]
    for name, path in (("03-openbaar-journaal", "journal/"), ("04-openbaar-resultaat", "income_statement/"),
                       ("05-openbaar-documenten", "documents/"), ("06-openbaar-editor", "editor/")):
        page.goto(f"{address}/buurt/{slug}/{path}")
        page.wait_for_load_state("networkidle")
        shot(page, name)
        texts.append(page.inner_text("body"))
    page.goto(f"{address}/buurt/{slug}/query/?query_string=" +
              "SELECT date, payee, narration, entry_meta('iban'), entry_meta('document') WHERE account ~ 'Declaraties'")
    page.wait_for_load_state("networkidle")
    shot(page, "07-openbaar-query")
    texts.append(page.inner_text("body"))
    assert "Bewoner" in texts[1]  # the journal shows the claims, without names
    for other in SLUGS:
        if other == slug:
            continue
        for path in ("extension/Buurtbudget/", "journal/"):
            page.goto(f"{address}/buurt/{other}/{path}")
            page.wait_for_load_state("networkidle")
            texts.append(page.inner_text("body"))
        assert page.locator("a", has_text="Buurtbudget").count() >= 1
    assert not any(IBAN_PATTERN.search(text) for text in texts)
    everything = "\n".join(texts + [b for _u, b in bodies])
    assert len(bodies) >= 5
    leaks = sorted(s for s in secrets if s in everything or json.dumps(s)[1:-1] in everything)
    assert leaks == []
    context.close()


def test_public_api_refuses_a_write(server, browser):
    address, workspace, _out = server
    real = workspace / "k-buurt-2025" / "main.beancount"
    before = real.read_bytes()
    page = browser.new_page()
    page.goto(f"{address}/buurt/k-buurt-2025/")
    status = page.evaluate("""async () => {
        const r = await fetch('api/source', {method: 'PUT', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({file_path: 'main.beancount', source: '', sha256sum: ''})});
        return r.status;
    }""")
    assert status == 403
    assert real.read_bytes() == before
    page.close()


def test_beheer_asks_for_a_login_and_shows_the_violations(server, browser):
    address, _ws, _out = server
    anonymous = browser.new_context()
    page = anonymous.new_page()
    # No session: the page goes to the login form (no Basic prompt), and after it back to the page.
    page.goto(f"{address}/beheer/de-baarsjes-2025/extension/Buurtbudget/")
    assert urlsplit(page.url).path == "/beheer/inloggen"
    shot(page, "08-beheer-zonder-login")
    page.get_by_label("Gebruikersnaam").fill("marieke")
    page.get_by_label("Wachtwoord").fill("fout")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.locator("#bb-fout")).to_contain_text("Gebruikersnaam of wachtwoord onjuist")
    assert urlsplit(page.url).path == "/beheer/inloggen"
    anonymous.close()

    context = browser_login(browser, address, BEHEERDER)
    page = context.new_page()
    response = page.goto(f"{address}/beheer/de-baarsjes-2025/extension/Buurtbudget/")
    assert response.status == 200
    page.wait_for_selector("#bb-oordeel")
    assert "5 overtredingen gevonden" in page.inner_text("#bb-oordeel-samenvatting")
    for code in ("BB-CATEGORIE", "BB-PLAN", "BB-BON", "BB-VIER-OGEN"):
        assert "✗" in page.inner_text(f"#bb-oordeel li[data-code='{code}']")
    assert "✓" in page.inner_text("#bb-oordeel li[data-code='BB-ONDERSTEUNING']")
    assert page.locator("#bb-pdf").is_visible()
    page.locator("#bb-oordeel").scroll_into_view_if_needed()
    shot(page, "09-beheer-extensie")
    # A violation's link opens the entry in Fava's context view.
    page.locator("#bb-oordeel li[data-code='BB-PLAN'] a", has_text="bekijk de boeking").first.click()
    page.wait_for_selector("text=Context")
    # (not wait_for_function: its string predicate is an eval, which the service's CSP refuses)
    expect(page.locator("body")).not_to_contain_text("Loading entry slice", timeout=30_000)
    assert "Beweegclub" in page.inner_text("body")
    shot(page, "10-beheer-boeking")
    assert page.goto(f"{address}/beheer/k-buurt-2025/").status == 403
    context.close()


def test_auditor_reads_but_cannot_write(server, browser):
    address, workspace, _out = server
    real = workspace / "geuzenveld-2025" / "main.beancount"
    before = real.read_bytes()
    context = browser_login(browser, address, AUDITOR)
    page = context.new_page()
    for slug in SLUGS:
        assert page.goto(f"{address}/beheer/{slug}/extension/Buurtbudget/").status == 200
    page.goto(f"{address}/beheer/geuzenveld-2025/journal/")
    page.wait_for_load_state("networkidle")
    shot(page, "11-auditor-journaal")
    result = page.evaluate("""async () => {
        const got = await (await fetch('../api/source')).json();
        const r = await fetch('../api/source', {method: 'PUT', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({file_path: got.data.file_path, source: got.data.source + '\\n; auditor\\n',
                                  sha256sum: got.data.sha256sum})});
        return [got.data.source.length, r.status, await r.text()];
    }""")
    length, status, text = result
    assert length > 1000 and status == 403 and "Alleen lezen" in text
    assert real.read_bytes() == before
    context.close()


def test_first_start_prints_passwords_that_open_beheer(tmp_path):
    """The README's first command: serve a fresh demo workspace, log in with what it printed."""
    import base64
    import urllib.error
    import urllib.request

    workspace = tmp_path / "demo"
    write_demo_workspace(workspace)
    process = subprocess.Popen(
        [sys.executable, "-m", "buurtbudget_admin", "serve", str(workspace), "--port", "0",
         "--cache", str(tmp_path / "cache")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Open "):
                break
        output = "".join(lines)
        address = re.search(r"Open (http://\S+) in uw browser", output).group(1)
        passwords = dict(re.findall(r"^  (beheerder|auditor) \(\w+\): (\S+)$", output, re.M))
        assert set(passwords) == {"beheerder", "auditor"}
        assert (workspace / "gebruikers.toml").exists()
        assert passwords["beheerder"] not in (workspace / "gebruikers.toml").read_text(encoding="utf-8")

        def status(path: str, user: str | None = None, password: str | None = None, method: str = "GET") -> int:
            request = urllib.request.Request(address + path, method=method, data=b"{}" if method != "GET" else None)
            if user:
                token = base64.b64encode(f"{user}:{password}".encode()).decode()
                request.add_header("Authorization", "Basic " + token)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        assert status("") == 200
        assert status("buurt/k-buurt-2025/extension/Buurtbudget/") == 200
        assert status("beheer/k-buurt-2025/api/source") == 401
        assert status("beheer/k-buurt-2025/extension/Buurtbudget/", "beheerder", passwords["beheerder"]) == 200
        assert status("beheer/geuzenveld-2025/extension/Buurtbudget/", "auditor", passwords["auditor"]) == 200
        assert status("beheer/geuzenveld-2025/api/source", "auditor", passwords["auditor"], "PUT") == 403
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_beheer_first_then_the_public_view_works_for_a_resident(tmp_path, browser):
    """Issue 8: after a beheerder opened /beheer/<slug>/, the public view must not redirect or load assets there."""
    from tests.service_workspace import Served

    workspace = tmp_path / "demo"
    write_demo_workspace(workspace)
    add_user(users_path(workspace), BEHEERDER["username"], "beheerder", ("de-baarsjes-2025",), BEHEERDER["password"])
    served = Served(workspace, tmp_path / "cache")
    slug = "de-baarsjes-2025"
    try:
        address = served.address
        beheer = browser_login(browser, address, BEHEERDER)
        page = beheer.new_page()
        assert page.goto(f"{address}/beheer/{slug}/").status == 200
        page.wait_for_load_state("networkidle")
        assert f"/beheer/{slug}/" in page.url
        beheer.close()

        anonymous = browser.new_context()
        seen: list[tuple[str, int]] = []
        page = anonymous.new_page()
        page.on("response", lambda r: seen.append((r.url, r.status)))
        response = page.goto(f"{address}/buurt/{slug}/")
        assert response.status == 200
        page.wait_for_selector(".bb-plan")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{address}/buurt/{slug}/extension/Buurtbudget/"
        assert page.locator(".bb-plan").count() == 5
        # Fava's own script ran (its sidebar is drawn) and every asset came from the public mount.
        assert page.locator("aside").count() >= 1 and "Buurtbudget" in page.inner_text("aside")
        paths = [urlsplit(url).path for url, _status in seen]
        assert any(p.startswith("/buurt/static/") for p in paths)
        assert not [p for p in paths if p.startswith("/beheer")]
        assert not [(u, s) for u, s in seen if s in (401, 403)]
        shot(page, "12-openbaar-na-beheer")
        anonymous.close()

        # And the other way round: the beheer view stays in beheer after the public one.
        beheer = browser_login(browser, address, BEHEERDER)
        page = beheer.new_page()
        seen.clear()
        page.on("response", lambda r: seen.append((r.url, r.status)))
        assert page.goto(f"{address}/beheer/{slug}/extension/Buurtbudget/").status == 200
        page.wait_for_selector("#bb-pdf")
        page.wait_for_load_state("networkidle")
        paths = [urlsplit(url).path for url, _status in seen]
        assert any(p.startswith("/beheer/static/") for p in paths)
        assert not [p for p in paths if p.startswith("/buurt")]
        beheer.close()
    finally:
        served.stop()


def test_a_refused_edit_shows_the_dutch_reason_in_fava_and_changes_nothing(server, browser):
    address, workspace, _out = server
    real = workspace / "de-baarsjes-2025" / "main.beancount"
    users = workspace / "gebruikers.toml"
    before = (real.read_bytes(), users.read_bytes())
    context = browser_login(browser, address, BEHEERDER)
    page = context.new_page()
    assert page.goto(f"{address}/beheer/de-baarsjes-2025/editor/").status == 200
    page.wait_for_selector(".cm-content")
    page.click(".cm-content")
    page.keyboard.press("Control+End")
    page.keyboard.type('\ninclude "../gebruikers.toml"\n')
    page.keyboard.press("Control+s")
    notice = page.wait_for_selector(".notifications li.error", timeout=30_000)
    text = notice.inner_text()
    assert "Wijziging geweigerd" in text and "include" in text and "gebruikers.toml" in text
    assert str(workspace) not in text
    shot(page, "13-beheer-editor-geweigerd")
    assert (real.read_bytes(), users.read_bytes()) == before
    context.close()


def test_a_beheerder_invites_an_initiatiefnemer_and_the_link_opens_the_claim_form(server, browser):
    """The invitation form of /beheer/ driven in the browser: the personal link appears once and works."""
    from tests.test_publiek_browser import _axe

    address, _ws, _out = server
    context = browser_login(browser, address, BEHEERDER)
    page = context.new_page()
    page.goto(f"{address}/beheer/de-baarsjes-2025/extension/Buurtbudget/")
    form = page.locator("#bb-uitnodigen-formulier")
    form.get_by_label("Volledige naam van de initiatiefnemer").fill("Fatima el Amrani")
    plans = form.locator("#bb-uitnodigen-plannen")
    plans.get_by_label("RepairCafe").check()
    plans.get_by_label("Kunstlab").check()
    form.get_by_label("Geldig (dagen)").fill("7")
    with page.expect_navigation():
        form.get_by_role("button", name="Uitnodigen").click()
    expect(page.locator("#bb-uitnodiging-uitkomst")).to_contain_text("Fatima el Amrani is uitgenodigd voor")
    assert "niet nog eens getoond" in page.inner_text("body")
    link = page.locator("#bb-uitnodiging-link")
    href = link.get_attribute("href")
    assert href == link.inner_text() and re.fullmatch(rf"{re.escape(address)}/indienen/[A-Za-z0-9_-]{{40,}}", href)
    _axe(page, "uitnodiging")
    shot(page, "30-beheer-uitnodiging")
    page.goto(f"{address}/beheer/de-baarsjes-2025/extension/Buurtbudget/")
    assert href not in page.content()  # shown once: the list names the invitation, never its link
    assert "Fatima el Amrani" in page.inner_text("#bb-uitnodigingen")
    context.close()

    # The link works for the resident, without a login: the claim form for the invited plans only.
    resident = browser.new_context()
    page = resident.new_page()
    response = page.goto(href)
    assert response.status == 200
    plans = page.locator("select#plan option").evaluate_all("els => els.map(e => e.value)")
    assert sorted(p for p in plans if p) == ["Kunstlab", "RepairCafe"], plans
    _axe(page, "indienen via de uitnodiging")
    resident.close()
