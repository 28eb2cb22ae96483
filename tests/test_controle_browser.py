"""The auditor's day in Debian's Chromium, against a real `buurtbudget serve`.

Log in, download a fresh dossier, upload it on /beheer/controle/ and read "in orde", download the
stadsdeel overview, record the vaststelling (with its confirmation) and see the phase "Vastgesteld".
"""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from buurtbudget_admin.service.users import add_user, users_path
from ledger.evaluatie.loading import load_entries
from ledger.evaluatie.vaststelling import vaststellingen
from tests.service_workspace import Served, book_cost_in_browser, browser_login, git_workspace
from tests.test_browser import browser, shot  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

SLUG = "testbuurt-2025"
AUDITOR = {"username": "stadsdeel", "password": "geheim-audit-1"}
BEHEERDER = {"username": "anja", "password": "geheim-anja-1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("controle-browser")
    workspace = git_workspace(root / "ws")
    add_user(users_path(workspace), AUDITOR["username"], "auditor", (), AUDITOR["password"], naam="Marieke de Graaf")
    add_user(users_path(workspace), BEHEERDER["username"], "beheerder", (SLUG,), BEHEERDER["password"],
             naam="Anja de Boer")
    served = Served(workspace, root / "cache")
    try:
        yield served, root
    finally:
        served.stop()


def test_the_auditors_day(site, browser):  # noqa: F811
    served, root = site
    address = served.address
    context = browser_login(browser, address, AUDITOR, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The controle page: every budget, a fresh dossier to download.
    page.goto(f"{address}/beheer/controle/")
    row = page.locator(f'#bb-controle-budgetten tr[data-slug="{SLUG}"]')
    expect(row).to_contain_text("Noord")
    with page.expect_download() as download:
        row.get_by_role("link", name="verantwoording nu (PDF)").click()
    dossier = root / "dossier.pdf"
    download.value.save_as(dossier)
    assert dossier.read_bytes().startswith(b"%PDF-")

    # Upload it, as if it came by e-mail: verifieer's verdict on the page, and it matches the live books.
    page.locator("#dossier").set_input_files(str(dossier))
    page.get_by_role("button", name="Controleren").click()
    verdict = page.locator("#bb-oordeel")
    expect(verdict).to_have_attribute("data-ok", "ja", timeout=120_000)
    expect(verdict).to_contain_text("de verantwoording is wat de ingesloten boeken zeggen")
    assert page.locator('#bb-controles li[data-ok="ja"]').count() == 9
    assert page.locator('#bb-controles li[data-ok="nee"]').count() == 0
    expect(page.locator("#bb-controles")).to_contain_text("in orde structuur")
    expect(page.locator("#bb-actueel")).to_have_attribute("data-gelijk", "ja")
    shot(page, "40-controle-oordeel")

    # The stadsdeel overview, titled by stadsdeel and date.
    page.goto(f"{address}/beheer/controle/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Stadsdeel Noord").click()
    assert download.value.suggested_filename.startswith("overzicht-noord-")
    overview = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    assert str(overview.metadata.title).startswith("Overzicht buurtbudgetten: Stadsdeel Noord, ")

    # The vaststelling: the open items are named, the confirmation is required, the full name recorded.
    page.goto(f"{address}/beheer/{SLUG}/extension/Buurtbudget/")
    form = page.locator("#bb-vaststelling")
    expect(form).to_contain_text("door Marieke de Graaf")
    expect(page.locator("#bb-vaststelling-open")).to_be_visible()
    form.get_by_label("bedrag", exact=True).fill("9.000,00")
    form.get_by_label("datum", exact=True).fill("2026-03-02")
    form.get_by_label("kenmerk", exact=True).fill("N-2026-0312")
    form.get_by_role("checkbox").check()
    shot(page, "41-vaststelling-formulier")
    with page.expect_navigation():
        form.get_by_role("button", name="Vastleggen").click()
    expect(page.locator("#bb-vaststelling-uitkomst")).to_contain_text("door Marieke de Graaf")
    ledger = served.workspace / SLUG / "main.beancount"
    assert vaststellingen(load_entries(ledger)[0]).latest.door == "Marieke de Graaf"

    # The phase has changed.
    page.goto(f"{address}/beheer/{SLUG}/extension/Buurtbudget/")
    expect(page.locator(".fase").first).to_have_text("Vastgesteld", timeout=30_000)
    expect(page.locator("#bb-vastgesteld")).to_contain_text("9.000,00")
    shot(page, "42-vastgesteld")
    assert not [e for e in errors if "Uncaught" in e], errors
    context.close()

    # A beheerder cannot book in the decided period any more: refused, in Dutch, no byte changed.
    from tests.dagelijks_helpers import folder_digest, receipt

    anja = browser_login(browser, address, BEHEERDER)
    page = anja.new_page()
    page.goto(f"{address}/beheer/{SLUG}/extension/Buurtbudget/")
    before = folder_digest(ledger.parent)
    book_cost_in_browser(page, bedrag="99,00", begunstigde="Bouwmarkt", omschrijving="Achteraf nog verf",
                         bon=receipt(root))
    refusal = " ".join(page.locator(".bb-formulierfout, .bb-veldfout").all_inner_texts())
    assert "BB-VASTSTELLING" in refusal and "vastgestelde periode" in refusal, refusal
    assert str(served.workspace) not in refusal and "main.beancount:" in refusal  # no server paths
    assert folder_digest(ledger.parent) == before
    anja.close()
