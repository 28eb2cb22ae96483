"""Logging in, the start page and logging out in Debian's Chromium, on the demo workspace.

Desktop and a 390-px phone: the form, the start page, a budget, "Uitloggen" from Fava's page,
and afterwards the old session opens nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.test_browser import AUDITOR, BEHEERDER, browser, server, shot  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

# Every visible form field must have a label: a <label for>, an enclosing label, or aria-label(ledby).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby')
                && !((el.type === 'submit' || el.tagName === 'BUTTON') && (el.value || el.textContent).trim()))
  .map(el => el.outerHTML)"""


def unlabelled(page) -> list[str]:
    return page.evaluate(UNLABELLED)


@pytest.mark.parametrize("viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "390px"])
def test_log_in_see_the_start_page_open_a_budget_and_log_out(server, browser, viewport):  # noqa: F811
    address, _ws, _out = server
    name = "telefoon" if viewport else "desktop"
    context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{address}/beheer/")
    assert urlsplit(page.url).path == "/beheer/inloggen"
    assert page.get_attribute("html", "lang") == "nl"
    assert unlabelled(page) == []
    if viewport:  # nothing wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"20-inloggen-{name}")
    page.get_by_label("Gebruikersnaam").fill(BEHEERDER["username"])
    page.get_by_label("Wachtwoord").fill(BEHEERDER["password"])
    page.get_by_role("button", name="Inloggen").click()

    page.wait_for_url(f"{address}/beheer/")
    expect(page.locator("#bb-wie")).to_contain_text(BEHEERDER["username"])
    card = page.locator("#bb-budget-de-baarsjes-2025")
    expect(card).to_be_visible()
    assert page.locator(".budget").count() == 1  # a beheerder of one budget sees that one
    assert int(card.locator("li[data-taak='overtredingen'] .aantal").inner_text()) == 5
    assert unlabelled(page) == []
    if viewport:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"21-start-{name}")

    card.get_by_role("link", name="Overtredingen van de regels").click()
    page.wait_for_selector("#bb-oordeel")
    assert "/beheer/de-baarsjes-2025/extension/Buurtbudget/" in page.url
    shot(page, f"22-budget-{name}")

    # Uitloggen from Fava's page: a real page (not Fava's router), with a confirm button.
    page.locator("#bb-uitloggen").click()
    page.wait_for_url(f"{address}/beheer/uitloggen")
    assert unlabelled(page) == []
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(f"{address}/beheer/inloggen?uitgelogd=1")
    expect(page.locator("#bb-melding")).to_contain_text("U bent uitgelogd")
    shot(page, f"23-uitgelogd-{name}")

    page.goto(f"{address}/beheer/de-baarsjes-2025/extension/Buurtbudget/")
    assert urlsplit(page.url).path == "/beheer/inloggen"  # the session is over
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
    context.close()


def test_the_start_page_logs_out_too_and_an_auditor_sees_every_budget(server, browser):  # noqa: F811
    address, _ws, _out = server
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{address}/beheer/inloggen")
    page.get_by_label("Gebruikersnaam").fill(AUDITOR["username"])
    page.get_by_label("Wachtwoord").fill(AUDITOR["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{address}/beheer/")
    assert page.locator(".budget").count() == 3
    expect(page.locator("#bb-dossier-k-buurt-2025 .rol")).to_contain_text("alleen lezen")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["bb_sessie"]["httpOnly"] and cookies["bb_sessie"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # no script can read the session
    page.locator("header").get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(f"{address}/beheer/inloggen?uitgelogd=1")
    page.goto(f"{address}/beheer/")
    assert urlsplit(page.url).path == "/beheer/inloggen"
    context.close()
