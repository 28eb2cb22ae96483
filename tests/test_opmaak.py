"""No markup from the books on any page we serve (issue 17, item 2), tried in Chromium.

A real `buurtbudget serve` over a ledger with markup in every text field
(`tests/markup_workspace.py`), one line of it read in from a bank statement
through the real `buurtbudget import`. Every page of the public view, the
beheer view (as the auditor, the one who sees every ledger) and the landing
page is loaded in Chromium; on each:

- no script of the books ran: no dialog opened, and the page saw no
  Content-Security-Policy violation (markup that reached the DOM would have
  tried: an `onerror`, `onload` or inline script is refused and reported);
- the Content-Security-Policy is on the answer, without 'unsafe-inline' scripts;
- the hostile text is on the page as text (`<img src=x …>` literally), and
  ordinary text (é, &, quotes) reads as itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect, sync_playwright

from buurtbudget_admin.service.users import add_user, users_path
from tests.dagelijks_helpers import cli
from tests.markup_workspace import (
    BANK_NARRATION, BANK_PAYEE, DOCUMENT_NAME, HEADER_NAME, PLAIN, SLUG, STATEMENT, TITLE, payload,
    write_markup_workspace,
)
from tests.service_workspace import Served, browser_login

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AUDITOR = {"username": "stadsdeel", "password": "opmaak-audit-2025"}
BEHEERDER = {"username": "anja", "password": "opmaak-beheer-2025"}
ACCOUNT = "Uitgaven:Plannen:Speeltuin:Materiaal"

# Record what the page itself saw: every CSP violation and every dialog's text.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("opmaak")
    workspace = root / "ws"
    ledger = write_markup_workspace(workspace)
    statement = root / "afschrift.csv"
    statement.write_text(STATEMENT, encoding="utf-8")
    done = cli("import", str(ledger.parent), str(statement))
    assert done.returncode == 0, done.stderr
    text = ledger.read_text(encoding="utf-8")
    assert f'"{BANK_PAYEE}"' in text and '"<script>alert(\'bank-narration\')</script>' in text
    add_user(users_path(workspace), AUDITOR["username"], "auditor", (), AUDITOR["password"])
    add_user(users_path(workspace), BEHEERDER["username"], "beheerder", (SLUG,), BEHEERDER["password"])
    served = Served(workspace, root / "cache")
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def script_src(policy: str) -> str:
    """The sources allowed for scripts (script-src, or default-src when there is none)."""
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in policy.split(";") if d.strip()}
    return directives.get("script-src") or directives.get("default-src") or ""


class Visit:
    def __init__(self, page, response):
        self.page = page
        self.response = response

    def text(self) -> str:
        """What a reader sees (rendered text of the visible page)."""
        return self.page.inner_text("body")

    def all_text(self) -> str:
        """All text of the page, including collapsed parts (a journal's metadata)."""
        return self.page.evaluate("document.documentElement.textContent")


def visit(context, url: str, wait_for: str | None = None, status: int = 200) -> Visit:
    page = context.new_page()
    page.set_default_timeout(90_000)  # the suite runs beside others on a busy machine
    dialogs: list[str] = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(WATCH)
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response and response.status)
    if wait_for:
        page.wait_for_selector(wait_for, state="attached")
    page.wait_for_load_state("networkidle")
    ran = page.evaluate("window.__csp")
    assert dialogs == [], f"{url}: script uit de boeken liep: {dialogs}"
    assert ran == [], f"{url}: opmaak uit de boeken kwam in de pagina: {ran}"
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert [h for h in hrefs if h.strip().lower().startswith("javascript:")] == [], url
    policy = response.headers.get("content-security-policy", "")
    assert script_src(policy), f"{url}: geen Content-Security-Policy voor scripts ({policy!r})"
    assert "'unsafe-inline'" not in script_src(policy) and "'unsafe-eval'" not in script_src(policy), policy
    assert "frame-ancestors 'none'" in policy
    return Visit(page, response)


def as_text(visit_: Visit, *texts: str, collapsed: tuple[str, ...] = ()) -> None:
    """Each text is on the page literally (markup and all), visible; `collapsed` ones anywhere in it."""
    shown = visit_.text()
    for text in texts:
        assert text in shown, (visit_.page.url, text)
    everything = visit_.all_text()
    for text in collapsed:
        assert text in everything, (visit_.page.url, text)


def as_copied(text: str) -> str:
    """The text as the public copy carries it today: its writer turns '"' into "'" in some fields."""
    return text.replace('"', "'")


# Path after /<view>/<slug>/, the element to wait for, what must read as text in the beheer view.
# The public view shows the same texts (`as_copied`) except the note, the event and metadata:
# the copy leaves metadata out, and the note and event are the copy's writer's to carry.
# The end of the payee as a rule's message quotes it (the message escapes the payee's own quotes).
RULE = f"klik-rule</a> {PLAIN}"
JOURNAL_TEXTS = (payload("payee"), payload("narration"), payload("query"), payload("plan"), HEADER_NAME,
                 payload("custom"), BANK_PAYEE, BANK_NARRATION)
FAVA_PAGES = [
    ("journal/", ".journal li.transaction", JOURNAL_TEXTS),
    ("income_statement/", "article svg", ()),
    ("balance_sheet/", "article svg", ()),
    ("trial_balance/", "article svg", ()),
    (f"account/{ACCOUNT}/", ".journal li.transaction", (payload("payee"), payload("narration"))),
    (f"account/{ACCOUNT}/?r=changes", "article svg", ()),
    (f"account/{ACCOUNT}/?r=balances", "article svg", ()),
    ("holdings/", "article", ()),
    ("query/", "article", ()),
    ("events/", "article p, article table", ()),
    ("query/?query_string=" + quote("SELECT payee, narration WHERE payee ~ 'img'"),
     "article table", (payload("payee"), payload("narration"), BANK_PAYEE)),
    ("commodities/", "article", ()),
    ("statistics/", "article", ()),
    # A rule's message quotes the payee (BB-BON: no receipt).
    ("extension/Buurtbudget/", ".bb-plan", (HEADER_NAME, payload("plan"), RULE)),
]
BEHEER_ONLY = [
    ("help/", "article", ()),
    ("documents/", "article", (DOCUMENT_NAME,)),
    ("errors/", "article table", (RULE,)),
    ("editor/", ".cm-content", ()),
    ("options/", "article", ()),
]
# What only the beheer view shows, beyond the texts above.
BEHEER_MORE = {
    "journal/": (payload("note"),),
    f"account/{ACCOUNT}/": (payload("note"),),
    "events/": (payload("event"), payload("event-type")),
}


def _ids(pages) -> list[str]:
    return [p[0].split("?query_string")[0] for p in pages]


@pytest.mark.parametrize("path,wait_for,texts", FAVA_PAGES, ids=_ids(FAVA_PAGES))
def test_public_pages_show_the_books_markup_as_text(site, browser, path, wait_for, texts):
    context = browser.new_context()
    try:
        seen = visit(context, f"{site.address}/buurt/{SLUG}/{path}", wait_for)
        shown = seen.text()
        missing = [t for t in texts if t not in shown and as_copied(t) not in shown]
        assert missing == [], seen.page.url
        # The ledger's title is in every Fava page's header and in its <title>.
        assert as_copied(TITLE) in seen.page.title() or TITLE in seen.page.title()
    finally:
        context.close()


@pytest.mark.parametrize("path,wait_for,texts", FAVA_PAGES + BEHEER_ONLY, ids=_ids(FAVA_PAGES + BEHEER_ONLY))
def test_beheer_pages_show_the_books_markup_as_text(site, browser, path, wait_for, texts):
    context = browser_login(browser, site.address, AUDITOR)
    try:
        seen = visit(context, f"{site.address}/beheer/{SLUG}/{path}", wait_for)
        as_text(seen, *texts, *BEHEER_MORE.get(path, ()))
        assert TITLE in seen.page.title()
        if path == "journal/":
            # Metadata (collapsed until opened) and receipts' file names, in the real ledger only.
            as_text(seen, collapsed=(payload("meta"), payload("posting-meta"), DOCUMENT_NAME))
            # The commodity's name is the title of every amount: an attribute value, whole.
            titles = seen.page.eval_on_selector_all("[title]", "els => els.map(e => e.getAttribute('title'))")
            assert payload("commodity") in titles
    finally:
        context.close()


def test_an_opened_entry_and_its_context_show_the_books_markup_as_text(site, browser):
    """A click opens an entry's metadata, a click on its date Fava's context view: still text."""
    context = browser_login(browser, site.address, BEHEERDER)
    try:
        seen = visit(context, f"{site.address}/beheer/{SLUG}/journal/", ".journal li.transaction")
        page = seen.page
        entry = page.locator(".journal > li.transaction", has_text="klik-payee")
        entry.locator(".indicators").first.click()
        page.wait_for_selector(".journal > li.show-full-entry")
        as_text(seen, payload("meta"), payload("posting-meta"), "javascript:alert('meta-url')")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")]  # the metadata value, the sidebar
        assert "https://www.amsterdam.nl/" in hrefs  # an ordinary sidebar link stays
        entry.locator(".datecell a").first.click()
        page.wait_for_selector("text=Context")
        page.wait_for_load_state("networkidle")
        # The context shows the entry's source (an editor's text) in a dialog.
        expect(page.locator("dialog")).to_contain_text("klik-narration</a>", timeout=30_000)
        expect(page.locator("dialog")).to_contain_text("<img src=x onerror=alert('payee-img')>")
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()


def test_a_slug_with_markup_in_the_address_is_text_in_the_refusal(site, browser):
    context = browser.new_context()
    try:
        slug = "<img src=x onerror=alert('slug')>"
        seen = visit(context, f"{site.address}/buurt/{quote(slug)}/journal/", "h1", status=404)
        assert slug in seen.text()
    finally:
        context.close()


def test_landing_page_shows_the_header_and_plan_as_text(site, browser):
    context = browser.new_context()
    try:
        seen = visit(context, f"{site.address}/", "article.kaart")
        as_text(seen, HEADER_NAME, payload("plan"))
    finally:
        context.close()


def test_ordinary_text_reads_as_itself(site, browser):
    """é, & and quotes from the books are shown as typed: not as entities, not eaten."""
    context = browser.new_context()
    try:
        seen = visit(context, f"{site.address}/buurt/{SLUG}/journal/", ".journal li.transaction")
        shown = seen.text()
        assert shown.count(PLAIN) + shown.count(as_copied(PLAIN)) >= 5
        assert "&amp;" not in shown and "&quot;" not in shown and "&#" not in shown
        assert "Café & co" in shown
    finally:
        context.close()


def test_every_answer_carries_the_policy(site):
    """Not only pages: refusals, API answers, static files and the login prompt carry it too."""
    import urllib.error
    import urllib.request

    for path in ("/", f"/buurt/{SLUG}/api/journal", f"/buurt/{SLUG}/editor/", f"/beheer/{SLUG}/journal/",
                 "/buurt/static/app.js", "/niets"):
        try:
            with urllib.request.urlopen(site.address + path, timeout=30) as response:
                headers = response.headers
        except urllib.error.HTTPError as refused:
            headers = refused.headers
        policy = headers.get("Content-Security-Policy", "")
        assert re.search(r"(^|;)\s*script-src 'self'", policy), (path, policy)
        assert "'unsafe-inline'" not in script_src(policy), (path, policy)
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy, (path, policy)
