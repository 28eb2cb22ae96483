"""Files from /beheer/ in a real browser: a link to a file downloads it.

Fava's page router catches every in-page link and renders its answer as a
page; a file link must carry `data-remote` (the one attribute the router
honours), or the PDF's bytes end up as page text.
"""

from __future__ import annotations

import pytest

from tests.service_workspace import browser_login
from tests.test_browser import BEHEERDER, browser, server  # noqa: F401  (the shared fixtures)

pytestmark = pytest.mark.browser


def test_the_pdf_link_downloads_the_statement(server, browser):  # noqa: F811
    address, _ws, _out = server
    context = browser_login(browser, address, BEHEERDER, accept_downloads=True)
    page = context.new_page()
    # Entered through Fava's own navigation, so its router is active on the page.
    page.goto(f"{address}/beheer/de-baarsjes-2025/")
    page.wait_for_selector("body")
    page.goto(f"{address}/beheer/de-baarsjes-2025/extension/Buurtbudget/")
    link = page.locator("#bb-pdf")
    link.wait_for()
    before = page.url
    with page.expect_download(timeout=60_000) as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    # The page stayed where it was: the router did not render the bytes as a page.
    assert page.url == before
    assert "%PDF" not in page.inner_text("body")
    context.close()
