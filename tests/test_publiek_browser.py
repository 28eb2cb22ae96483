"""A resident's path on a phone, in Debian's chromium: landing -> buurt -> plan -> a booking.

The real `buurtbudget serve` over the demo workspace (the `server` fixture of
tests/test_browser.py), under the service's real content security policy.
axe-core (package.json; `npm ci`) is evaluated in the page through Playwright:
`page.evaluate` runs through the DevTools protocol, which the page's CSP does
not govern, so the CSP stays on (no `bypass_csp`) while axe checks the page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ledger.evaluatie.loading import read_ledger
from ledger.buurtbudget.money import format_eur
from tests.test_browser import ARTIFACTS, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("BUURTBUDGET_AXE_JS") or ROOT / "node_modules" / "axe-core" / "axe.min.js")
SLUG = "de-baarsjes-2025"
PLAN = "RepairCafe"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Every text with an amount in euros, with where it is drawn; then whether the viewport or a
# clipping ancestor (overflow other than visible) cuts it.
_AMOUNTS_CUT = r"""() => {
  const W = document.documentElement.clientWidth;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = [], cut = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!/€\s?-?[\d.]+,\d\d/.test(node.textContent)) continue;
    const el = node.parentElement;
    if (!el || el.closest('details:not([open])') || el.closest('svg')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width === 0) continue;  // not shown (a closed menu)
    seen.push(node.textContent.trim());
    let ok = r.left >= -0.5 && r.right <= W + 0.5;
    for (let a = el; a && ok && a !== document.documentElement; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX !== 'visible' || style.textOverflow === 'ellipsis') {
        const q = a.getBoundingClientRect();
        ok = r.left >= q.left - 0.5 && r.right <= q.right + 0.5;
      }
    }
    if (!ok) cut.push(node.textContent.trim());
  }
  return {seen, cut};
}"""


def _fits(page, where: str) -> list[str]:
    """The page scrolls not sideways and cuts no amount; returns the amounts it saw."""
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{where}: {widths[0]} px breed in een venster van {widths[1]} px"
    found = page.evaluate(_AMOUNTS_CUT)
    assert found["cut"] == [], f"{where}: afgesneden bedragen {found['cut']}"
    return found["seen"]


def _axe(page, where: str) -> None:
    if not AXE.is_file():
        pytest.fail(f"axe-core ontbreekt ({AXE}): voer `npm ci` uit in de map van het project")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    assert violations == [], f"{where}: {violations}"


def _contrast(rgb: str) -> float:
    """Contrast of a computed `rgb(r, g, b)` against white (WCAG 2 relative luminance)."""
    channels = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_a_resident_on_a_phone_goes_from_the_landing_page_to_a_booking(server, browser):  # noqa: F811
    address, workspace, _out = server
    plan = read_ledger(workspace / SLUG / "main.beancount").view.plan(PLAN)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(address + "/")
    assert page.evaluate("document.documentElement.lang") == "nl"
    amounts = _fits(page, "overzicht")
    assert "€ 60.000,00" in amounts and len(amounts) > 30

    page.locator(f'article[data-slug="{SLUG}"] a', has_text="Bekijk de boeken").click()
    page.wait_for_selector(".bb-plan")
    assert page.evaluate("document.documentElement.lang") == "nl"
    amounts = _fits(page, "Buurtbudget-pagina")
    assert format_eur(plan.remaining) in amounts  # "nog te besteden" of the plan
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "20-telefoon-buurtbudget.png"), full_page=True)

    page.locator("a.bb-plan-link", has_text=plan.titel).click()
    page.wait_for_selector("#bbp-titel")
    assert page.url.endswith(f"?plan={PLAN}")
    assert page.inner_text("#bbp-titel") == plan.titel
    assert page.inner_text("#bbp-status") == "gekozen"
    assert page.inner_text("#bbp-budget") == format_eur(plan.budget)
    assert page.inner_text("#bbp-uitgegeven").startswith(format_eur(plan.costs))
    assert page.inner_text("#bbp-nog") == format_eur(plan.remaining)
    categories = page.locator("#bbp-categorieen tr").all_inner_texts()[1:]
    assert [tuple(row.split("\t")) for row in categories] == [
        (name, format_eur(amount)) for name, amount in plan.costs_by_category]
    bookings = page.locator(".bbp-boeking")
    assert bookings.count() == len(plan.lines) > 5
    assert bookings.locator(".boeking-kop .bedrag").all_inner_texts() == [format_eur(x.amount) for x in plan.lines]
    # A claim by a resident: on the real books a name, on the public page "Bewoner".
    private = [i for i, line in enumerate(plan.lines) if line.entry.meta.get("declarant")]
    assert private
    for i in private:
        assert " · Bewoner" in bookings.nth(i).locator(".boeking-kop").inner_text()
        assert str(plan.lines[i].entry.meta["declarant"]) not in page.inner_text("body")
    _fits(page, "planpagina")

    first = bookings.nth(private[0])
    first.locator("summary").click()
    detail = first.locator("details")
    assert detail.get_attribute("open") is not None
    rows = detail.locator("table.posten tr").all_inner_texts()[1:]
    assert [tuple(row.split("\t")) for row in rows] == [
        (p.account, format_eur(p.units.number)) for p in plan.lines[private[0]].entry.postings]
    assert "gedeclareerd door\tBewoner" in detail.locator("dl").inner_text().replace("\n", "\t")
    _fits(page, "planpagina met een geopende boeking")
    page.screenshot(path=str(ARTIFACTS / "21-telefoon-plan.png"), full_page=True)
    context.close()


def test_the_public_sidebar_offers_only_pages_that_open(server, browser):  # noqa: F811
    address, _ws, _out = server
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{address}/buurt/{SLUG}/extension/Buurtbudget/")
    page.wait_for_selector("aside a")
    links = page.locator("aside a[href]")
    shown = [links.nth(i).get_attribute("href") for i in range(links.count()) if links.nth(i).is_visible()]
    pages = sorted({href.split("?")[0] for href in shown if href.startswith("/buurt/")})
    assert len(pages) >= 8, pages
    for name in ("documents", "editor", "import", "options", "errors", "help"):
        assert not any(f"/{name}/" in href for href in pages), (name, pages)
    assert context.request.get(f"{address}/buurt/{SLUG}/help/").status == 403  # Fava's English manual
    for href in pages:
        assert context.request.get(address + href).status == 200, href
    text = page.inner_text("aside")
    for label in ("Documenten", "Editor", "Importeren", "Import", "Opties"):
        assert label not in text.split("\n"), label
    context.close()


def _public_pages(context, address: str) -> list[tuple[str, str]]:
    """Every page a resident can open: the overview, then per buurt each page of the public sidebar
    (Fava's own pages and the Buurtbudget page), each plan page, an account page and the holdings by account."""
    page = context.new_page()
    page.goto(address + "/")
    slugs = sorted(set(re.findall(r"/buurt/([^/]+)/", " ".join(
        page.locator("a[href^='/buurt/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")))))
    assert len(slugs) == 3, slugs
    found = [("overzicht", "/")]
    for slug in slugs:
        page.goto(f"{address}/buurt/{slug}/extension/Buurtbudget/")
        page.wait_for_selector("aside a")
        links = page.locator("aside a[href], a.bb-plan-link")
        hrefs = {links.nth(i).get_attribute("href") for i in range(links.count()) if links.nth(i).is_visible()}
        hrefs = {h for h in hrefs if h.startswith(f"/buurt/{slug}/") and (h.split("?")[0] == h or "?plan=" in h)}
        hrefs |= {f"/buurt/{slug}/account/Uitgaven/", f"/buurt/{slug}/holdings/by_account/"}
        found += [(h.removeprefix("/buurt/"), h) for h in sorted(hrefs)]
    page.close()
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["telefoon", "scherm"])
def test_axe_finds_nothing_serious_on_any_public_page(server, browser, viewport):  # noqa: F811
    address, _ws, _out = server
    context = browser.new_context(viewport=viewport)
    pages = _public_pages(context, address)
    names = {where.split("/", 1)[-1].split("?")[0] for where, _ in pages}
    assert {"journal/", "income_statement/", "balance_sheet/", "query/", "statistics/",
            "extension/Buurtbudget/"} <= names, names
    assert "help/" not in names  # Fava's own manual, in English: not offered to the public
    assert sum("?plan=" in where for where, _ in pages) >= 10
    page = context.new_page()
    for where, path in pages:
        response = page.goto(address + path)
        assert response.status == 200, where
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == "nl", where
        _axe(page, where)
        # The green and red status texts themselves, whatever axe samples.
        for selector in (".goed", ".fout", ".oordeel.goed", ".oordeel.let-op", "#bb-oordeel-samenvatting"):
            for color in page.locator(selector).evaluate_all("els => els.map(e => getComputedStyle(e).color)"):
                assert _contrast(color) >= 4.5, (where, selector, color)
        if viewport is PHONE and ("extension/Buurtbudget/" in path or path == "/"):
            _fits(page, where)  # overview, Buurtbudget page and plan pages: issue 20's phone pages
    context.close()


def test_favas_own_pages_show_dutch_numbers(server, browser):  # noqa: F811
    """Issue 20 line 3: `35.000,00`, not `35000.00` ("Netto Winst −8919.54" meant nothing to a resident)."""
    address, workspace, _out = server
    view = read_ledger(workspace / SLUG / "main.beancount").view
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{address}/buurt/{SLUG}/income_statement/")
    page.wait_for_load_state("networkidle")
    text = page.locator("article").inner_text()
    award = view.award  # the award is the one income: its amount in Dutch, with thousands separated
    dutch = f"{award:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    assert dutch in text, (dutch, text[:600])
    assert not re.search(r"\b\d{4,}\.\d\d\b", text), re.findall(r"\b\d{4,}\.\d\d\b", text)[:5]
    context.close()


def test_the_journal_shows_its_amounts_by_default_and_keeps_a_visitors_choice(server, browser):  # noqa: F811
    """Issue 20 line 3: amounts in the journal without pressing "Postings" first."""
    address, _ws, _out = server
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{address}/buurt/{SLUG}/journal/")
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("ol.journal.show-postings .postings", state="visible")
    amounts = page.locator("ol.journal .postings .num").all_inner_texts()
    # Shown, and Dutch ("10,60 EUR", not Fava's own "10.60 EUR": `fava_nl.zoals_geschreven`).
    assert sum(bool(re.fullmatch(r"-?\d{1,3}(?:\.\d{3})*,\d\d EUR", a.strip())) for a in amounts) > 20, amounts[:5]
    page.locator('button[data-key="p"]').click()  # the visitor turns them off: that stays so
    assert page.locator("ol.journal.show-postings").count() == 0
    page.reload()
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("ol.journal")
    assert page.locator("ol.journal.show-postings").count() == 0
    context.close()


# English as Fava's frontend would write a number or a label whatever its `locale` and `language` say.
_ENGLISH_NUMBER = re.compile(r"\d\.\d\d EUR|\d,\d{3}\.\d\d|\d\.\d\d(?![\d,])|\d\.\d+k\b|\d\.\d\d%")
_ENGLISH_WORDS = ("Stacked Bars", "Single Bars", "Netto Winst", "Net Profit", "Other", "Go to account",
                  "Filter by tag", "Account Balance", "Net Worth", "Transaction", "Earnings", "Jan 2025",
                  "February", "Oct 2025")


def _dutch(amount) -> str:
    """An amount as Fava's `locale nl_NL` writes it: `35.000,00`."""
    from babel.numbers import format_decimal

    return format_decimal(amount, format="#,##0.00", locale="nl_NL")


def _shown_text(page) -> str:
    """What the page shows, the charts' labels and placeholders included."""
    page.wait_for_load_state("networkidle")
    return page.evaluate("""() => [document.body.innerText,
        ...Array.from(document.querySelectorAll('svg text'), t => t.textContent),
        ...Array.from(document.querySelectorAll('[placeholder]'), e => e.getAttribute('placeholder'))].join('\\n')""")


def _no_english(text: str, where: str) -> None:
    assert not _ENGLISH_NUMBER.search(text), (where, _ENGLISH_NUMBER.findall(text)[:5])
    lines = set(text.split("\n"))
    for word in _ENGLISH_WORDS:
        assert word not in text if " " in word else word not in lines, (where, word)


def test_favas_pages_say_amounts_labels_and_dates_in_dutch(server, browser):  # noqa: F811
    """Issue 20 line 3: every amount of Fava's own public pages `1.234,56`, no English label or month."""
    address, workspace, _out = server
    view = read_ledger(workspace / SLUG / "main.beancount").view
    award = _dutch(view.award)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    base = f"{address}/buurt/{SLUG}/"

    page.goto(base + "journal/")
    page.wait_for_selector("ol.journal.show-postings .postings", state="visible")
    text = _shown_text(page)
    _no_english(text, "journal")
    postings = page.locator("ol.journal .postings .num").all_inner_texts()
    assert f"{award} EUR" in [p.strip() for p in postings], postings[:10]  # the award's posting, with its dot
    # Fava's entry types above the journal, in Dutch.
    buttons = page.locator("form button[data-key]").all_inner_texts()
    assert {"Opening", "Transactie", "Saldocontrole", "Notitie"} <= set(buttons), buttons

    page.goto(base + "account/Uitgaven/")
    page.wait_for_selector("svg g.tick text")
    page.wait_for_selector("ol.journal .postings .num")
    text = _shown_text(page)
    _no_english(text, "rekening Uitgaven")
    assert _dutch(view.spent) in text  # the balance of Uitgaven, with its thousands dot
    ticks = page.locator("svg g.tick text").all_text_contents()
    assert "maart" in ticks and any(re.fullmatch(r"\d{1,2}\.000", t) for t in ticks), ticks

    page.goto(base + "income_statement/")
    page.wait_for_selector("svg g.tick text")
    text = _shown_text(page)
    _no_english(text, "winst- en verliesrekening")
    assert award in text and "Saldo" in text.split("\n")
    assert _dutch(view.award - view.spent) in text  # the saldo: what is left of the grant, positive
    for label in ("Gestapelde staven", "Losse staven", "Overig"):
        assert label in text, label
    ticks = page.locator("svg g.tick text").all_text_contents()
    assert {"jan 2025", "mrt 2025", "okt 2025", "35.000"} <= set(ticks), ticks
    # A bar's tooltip (January: the award): its amount and its month in Dutch.
    page.locator("svg g.stacks rect").first.hover()
    tooltip = page.locator(".tooltip").inner_text()
    assert f"{award} EUR" in tooltip and "jan 2025" in tooltip, tooltip

    page.goto(base + "balance_sheet/")
    page.wait_for_selector("svg g.tick text")
    text = _shown_text(page)
    _no_english(text, "balans")
    assert "Resultaat" in text and "Nettovermogen" in text  # beancount's own Earnings:Current, Net Worth
    context.close()
