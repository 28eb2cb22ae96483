"""No markup from the books on the site's own beheer pages either (issue 17, item 2), in Chromium.

`tests/test_opmaak.py` loads every Fava page, the public view and the landing page over a ledger
with markup in every text field; here, over the same real `buurtbudget serve`, the pages that are
ours alone: the start page after the login (the work queue, per ledger) for the beheerder and the
auditor, and the auditor's controle page (every budget by its header name). The same checks:
no dialog, no CSP violation, the policy without 'unsafe-inline' scripts, the hostile text as text.
"""

from __future__ import annotations

import pytest

from tests.markup_workspace import HEADER_NAME
from tests.service_workspace import browser_login
from tests.test_opmaak import AUDITOR, BEHEERDER, browser, site, visit  # noqa: F401 - the shared fixtures

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("who,path,wait_for", [
    ("beheerder", "/beheer/", "main"),
    ("auditor", "/beheer/", "main"),
    ("auditor", "/beheer/controle/", "table"),
], ids=["startpagina-beheerder", "startpagina-auditor", "controle"])
def test_our_own_beheer_pages_show_the_books_markup_as_text(site, browser, who, path, wait_for):  # noqa: F811
    context = browser_login(browser, site.address, AUDITOR if who == "auditor" else BEHEERDER)
    try:
        seen = visit(context, f"{site.address}{path}", wait_for)
        assert HEADER_NAME in seen.text(), (path, seen.text()[:2000])
    finally:
        context.close()
