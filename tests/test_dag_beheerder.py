"""The administrator's day in Debian's Chromium, against a real `buurtbudget serve`, with two beheerders.

Anja logs in, books a cost with its receipt, enters a resident's claim, cannot approve it herself
(no button; a forged POST is refused and changes no byte), logs out. Piet logs in, approves it,
makes the payment batch and downloads its pain.001, uploads the bank statement that pays it, sees
the claim paid, downloads the statement PDF, logs out. After each write the ledger's text and the
git log (author, message) are checked. The page is looked at 390 px wide: every field of our forms
has a label and no form is wider than the phone.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import folder_digest, receipt as make_receipt
from tests.test_betalen_web import BASE, SLUG, _git, statement_paying, workspace_with_users

PHONE = {"width": 390, "height": 844}

# Every field of our forms (Fava's own filter bar is not ours) and whether it has a label.
UNLABELLED = """() => [...document.querySelectorAll('form[id^="bb-"], form[class*="bb-"]')]
  .flatMap(f => [...f.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea')])
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""
TOO_WIDE = """() => [...document.querySelectorAll('form[id^="bb-"], form[class*="bb-"]')]
  .filter(f => f.getBoundingClientRect().width > 390 || f.scrollWidth > f.clientWidth + 1)
  .map(f => f.id || f.className)"""


def _last_commit(workspace: Path) -> tuple[str, str]:
    author, _, subject = _git(workspace, "log", "-1", "--format=%an|%s").strip().partition("|")
    return author, subject


def _look_as_a_phone(page) -> None:
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(TOO_WIDE) == []


def _log_out(page, address: str) -> None:
    page.locator("#bb-uitloggen").click()
    page.wait_for_load_state()
    if "/beheer/uitloggen" in page.url:  # the confirmation page: its button ends the session
        with page.expect_navigation():
            page.get_by_role("button", name="Uitloggen").click()
    page.goto(f"{address}{BASE}")
    assert "/beheer/inloggen" in page.url  # the session is over


def _claim_for_mo(page, address: str, bon: Path) -> None:
    """Anja enters Mo Haddou's claim through the form, by its labels."""
    page.goto(address)
    form = page.locator("#bb-declaratie")
    form.get_by_label("Declarant (bewoner)").fill("Mo Haddou")
    form.get_by_label("IBAN van de declarant").fill("NL44RABO0123456789")
    form.get_by_label("Plan").select_option("Groen")
    form.get_by_label("Categorie").select_option("Materiaal")
    form.get_by_label("Bedrag").fill("88,40")
    form.get_by_label("Datum").fill("2025-07-01")
    form.get_by_label("Omschrijving").fill("Plantenbakken")
    form.get_by_label("Bon (PDF, JPEG of PNG)").set_input_files(str(bon))
    with page.expect_navigation():
        form.get_by_role("button", name="Indienen").click()


@pytest.mark.browser
def test_the_administrators_day_in_the_browser(tmp_path: Path) -> None:
    from playwright import sync_api as playwright

    from tests.service_workspace import Served, book_cost_in_browser, browser_login

    workspace = workspace_with_users(tmp_path)
    ledger = workspace / SLUG / "main.beancount"
    folder = ledger.parent
    bon = make_receipt(tmp_path)
    served = Served(workspace, tmp_path / "cache")
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                # -- Anja: a cost with its receipt --------------------------------------------------
                anja = browser_login(browser, served.address, {"username": "anja", "password": "geheim-anja"},
                                     viewport=PHONE)
                page = anja.new_page()
                page.goto(f"{served.address}{BASE}")
                _look_as_a_phone(page)
                head = _git(workspace, "rev-parse", "HEAD")
                book_cost_in_browser(page, bedrag="12,95", begunstigde="IJzerwaren Oost",
                                     omschrijving="Schroeven voor de bankjes", bon=bon)
                assert page.locator("h1").inner_text() == "Geboekt"
                text = ledger.read_text(encoding="utf-8")
                assert '"IJzerwaren Oost" "Schroeven voor de bankjes"' in text and "12.95 EUR" in text
                assert 'ingevoerd-door: "Anja de Boer"' in text
                assert _git(workspace, "rev-parse", "HEAD^") == head
                author, subject = _last_commit(workspace)
                assert author == "Anja de Boer" and "IJzerwaren Oost" in subject, subject

                # -- Anja: a claim for a resident -------------------------------------------------
                # another purchase, another receipt (the cost's receipt again would be a double claim)
                bon_mo = make_receipt(tmp_path, "bon-mo.pdf")
                _claim_for_mo(page, f"{served.address}{BASE}", bon_mo)
                assert page.locator("h1").inner_text() == "Ingediend"
                (claim,) = [c for c in read_ledger(ledger).view.payables if c.status == "ingediend"]
                link = claim.link
                assert claim.declarant == "Mo Haddou" and claim.amount == Decimal("88.40")
                author, subject = _last_commit(workspace)
                assert author == "Anja de Boer" and link in subject, subject

                # -- the same receipt again: refused beside the receipt, a confirmation offered ----
                before = (folder_digest(folder), _git(workspace, "rev-parse", "HEAD"))
                _claim_for_mo(page, f"{served.address}{BASE}", bon_mo)
                assert page.locator(".bb h1").inner_text() == "Niet ingediend"
                form = page.locator("#bb-declaratie")
                assert "deze bon is al ingediend" in form.locator("#bb-declaratie-bon-fout").inner_text()
                _look_as_a_phone(page)  # the confirmation's fields have their labels too
                assert form.get_by_label("Toch indienen").is_visible()
                assert form.get_by_label("Reden").is_visible() and form.get_by_label("Reden").get_attribute("required") is not None
                assert (folder_digest(folder), _git(workspace, "rev-parse", "HEAD")) == before

                # -- Anja cannot approve what she entered: no button, and a forged POST changes nothing
                page.goto(f"{served.address}{BASE}")
                item = page.locator(f"#bb-decl-{link}")
                assert item.count() == 1
                assert item.get_by_role("button", name="Goedkeuren").count() == 0
                token = page.locator('#bb-kosten input[name="csrf_token"]').get_attribute("value")
                before = (folder_digest(folder), _git(workspace, "rev-parse", "HEAD"))
                forged = page.request.post(f"{served.address}{BASE}goedkeuren",
                                           form={"csrf_token": token, "link": link},
                                           headers={"Origin": served.address})
                assert forged.status == 400 and "vier-ogen" in forged.text()
                assert (folder_digest(folder), _git(workspace, "rev-parse", "HEAD")) == before
                _log_out(page, served.address)
                anja.close()

                # -- Piet: approves it ------------------------------------------------------------
                piet = browser_login(browser, served.address, {"username": "piet", "password": "geheim-piet"},
                                     viewport=PHONE, accept_downloads=True)
                page = piet.new_page()
                page.goto(f"{served.address}{BASE}")
                _look_as_a_phone(page)
                with page.expect_navigation():
                    page.locator(f"#bb-decl-{link}").get_by_role("button", name="Goedkeuren").click()
                assert page.locator("h1").inner_text() == "Goedgekeurd"
                (claim,) = [c for c in read_ledger(ledger).view.payables if c.link == link]
                assert claim.status == "goedgekeurd"
                assert 'goedgekeurd-door: "Piet Jansen"' in ledger.read_text(encoding="utf-8")
                author, subject = _last_commit(workspace)
                assert author == "Piet Jansen" and link in subject, subject

                # -- Piet: the payment batch and its pain.001 -------------------------------------
                page.goto(f"{served.address}{BASE}")
                with page.expect_navigation():
                    page.locator("#bb-betaalopdracht").get_by_role("button", name="Betaalopdracht maken").click()
                assert page.locator("h1").inner_text() == "Betaalopdracht gemaakt"
                author, subject = _last_commit(workspace)
                assert author == "Piet Jansen", subject
                assert re.search(r'custom "betaalopdracht"', ledger.read_text(encoding="utf-8"))
                page.goto(f"{served.address}{BASE}")
                with page.expect_download() as info:
                    page.locator("a.bb-betaalbestand").first.click()
                pain = Path(info.value.path()).read_bytes()
                assert pain.startswith(b"<?xml") and f"<EndToEndId>{link}</EndToEndId>".encode() in pain

                # -- Piet: the bank statement that pays it ----------------------------------------
                statement = tmp_path / "afschrift-juli.xml"
                statement.write_bytes(statement_paying(ledger, link, Decimal("88.40"), datetime.date(2025, 7, 11)))
                page.locator("#bb-afschrift-bestand").set_input_files(str(statement))
                with page.expect_navigation():
                    page.locator("#bb-afschrift").get_by_role("button", name="Bekijken").click()
                assert "klopt met de ledger" in page.locator("#bb-afschrift-saldo").inner_text()
                with page.expect_navigation():
                    page.get_by_role("button", name="Bevestigen en inlezen").click()
                assert page.locator("h1").inner_text() == "Bankafschrift ingelezen"
                author, subject = _last_commit(workspace)
                assert author == "Piet Jansen" and subject.startswith("Import afschrift-juli.xml"), subject

                # -- the claim is paid, everywhere ------------------------------------------------
                (claim,) = [c for c in read_ledger(ledger).view.payables if c.link == link]
                assert claim.status == "betaald"
                page.goto(f"{served.address}/beheer/")
                queue = page.locator(f"#bb-budget-{SLUG}")
                assert queue.locator('[data-taak="te-betalen"] .aantal').inner_text().strip() == "0"
                assert queue.locator('[data-taak="bij-de-bank"] .aantal').inner_text().strip() == "0"

                # -- the statement PDF, then log out ----------------------------------------------
                page.goto(f"{served.address}{BASE}")
                with page.expect_download() as info:
                    page.locator("#bb-pdf").click()
                assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")
                _log_out(page, served.address)
                piet.close()
            finally:
                browser.close()
    finally:
        served.stop()
    assert _git(workspace, "status", "--porcelain", SLUG) == ""  # every write committed
    authors = _git(workspace, "log", "--format=%an").split("\n")
    assert authors[:5] == ["Piet Jansen", "Piet Jansen", "Piet Jansen", "Anja de Boer", "Anja de Boer"]
