"""A resident on a phone: open the invitation's link, fill the claim with a photo, see its status.

Real `buurtbudget serve` over a git workspace, Debian's Chromium through Playwright at 390 px,
axe-core (the npm package) injected on each page: no serious or critical violation, no sideways
scrolling. The photo the phone sends carries GPS EXIF; the file the ledger stores has none.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from buurtbudget_admin import uitnodigingen
from tests.service_workspace import Served, git_workspace
from tests.test_browser import ARTIFACTS, browser  # noqa: F401  (fixture)
from tests.test_indienen import NAAM, SLUG, foto_met_gps
from tests.test_publiek_browser import PHONE, _axe


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("indienen")
    ws = git_workspace(root / "ws")
    _u, token = uitnodigingen.nodig_uit(ws, SLUG, ("Speeltuin",), NAAM, 14, "Henk")
    server = Served(ws, root / "cache")
    try:
        yield server, ws, token
    finally:
        server.stop()


def _fits(page, where: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{where}: {widths[0]} px breed in een venster van {widths[1]} px"


def test_een_bewoner_dient_met_de_telefoon_een_declaratie_in(served, browser, tmp_path):  # noqa: F811
    server, ws, token = served
    foto = tmp_path / "IMG_2031.jpg"
    foto.write_bytes(foto_met_gps(640, 480))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{server.address}/indienen/{token}")
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.get_by_label("Uw naam").input_value() == NAAM
    _fits(page, "formulier")
    _axe(page, "formulier")

    # First a mistake: the error stands beside its field, and what was typed stays.
    page.get_by_label("Bedrag in euro").fill("12,505")
    page.get_by_label("Datum van de bon").fill("2025-06-15")
    page.get_by_label("Wat hebt u gekocht?").fill("Verf voor de bankjes")
    page.get_by_label("Soort kosten").select_option("Materiaal")
    page.get_by_label("Uw rekeningnummer (IBAN)").fill("NL91 ABNA 0417 1643 00")
    page.get_by_label("Foto of PDF van de bon").set_input_files(str(foto))
    with page.expect_navigation():
        page.get_by_role("button", name="Declaratie indienen").click()
    assert "dubbelzinnig" in page.locator("#fout-bedrag").inner_text()
    assert page.get_by_label("Wat hebt u gekocht?").input_value() == "Verf voor de bankjes"
    _fits(page, "formulier met fout")
    _axe(page, "formulier met fout")

    page.get_by_label("Bedrag in euro").fill("12,50")
    page.get_by_label("Foto of PDF van de bon").set_input_files(str(foto))  # a file input is never refilled
    with page.expect_navigation():
        page.get_by_role("button", name="Declaratie indienen").click()
    assert re.search(r"/indienen/[^/]+/status\?nieuw=decl-2025-\d+$", page.url), page.url
    assert "Uw declaratie van € 12,50 is ontvangen" in page.inner_text("main")
    assert "Ingediend, wacht op beoordeling" in page.inner_text(".declaraties")
    _fits(page, "status")
    _axe(page, "status")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "30-telefoon-declaratie-status.png"), full_page=True)
    context.close()

    tekst = (ws / SLUG / "main.beancount").read_text(encoding="utf-8")
    document = re.findall(r'document: "(documents/2025-06-15-declaratie[^"]*)"', tekst)[-1]
    opgeslagen = (ws / SLUG / document).read_bytes()
    assert dict(Image.open(io.BytesIO(opgeslagen)).getexif()) == {} and b"Exif" not in opgeslagen
    assert Image.open(io.BytesIO(opgeslagen)).size == (480, 640)
