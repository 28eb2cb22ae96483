"""Attack: text a beheerder saves becomes a directive of the public copy, or of the ledger itself.

Reproduces issue 17's critical finding against a real `buurtbudget serve`: a
beheerder of one ledger saves, through the editor, an event whose description
holds a quote, line breaks, an `include` of the other ledger, `include
"/etc/passwd"` and a `custom "fava-option" "import-config"`. Afterwards every
anonymous answer about the first ledger is still private: nothing of the other
ledger, no server file, no secret; the event is shown as the text it is. Then
the web writes that add text (a document attached by name, entries from Fava's
form) with the same kind of text: escaped or refused, never a directive.
"""

from __future__ import annotations

import json
import os
import time
from urllib.parse import quote

import pytest
from beancount.parser import parser

from buurtbudget_admin.service.state import PUBLIC_FAVA_OPTIONS
from buurtbudget_admin.service.users import add_user, users_path
from tests.service_workspace import SECRETS, Served, git_workspace
from tests.test_aanval import ANJA, OTHER, SLUG, Site, fingerprint, put_source

# What only the other ledger holds (its title, its plan, its supplier, its receipt).
OTHER_ONLY = ("Rivierenbuurt", "Bankjes in het park", "Houthandel", "Hout voor bankjes", "hout.pdf")
PUBLIC_PAGES = ["", "income_statement/", "balance_sheet/", "journal/", "events/", "query/", "statistics/",
                "extension/Buurtbudget/", "download-journal/", "api/errors", "api/journal",
                "api/journal_page?page=1&order=asc", "api/income_statement", "api/balance_sheet", "api/events",
                "api/statistics", "api/narrations", "api/payee_accounts?payee=x",
                "api/query?query_string=" + quote("SELECT date, account, narration, payee, position"),
                "api/query?query_string=" + quote("SELECT filename, lineno, location, narration"),
                "download-query/query_result.csv?query_string=" + quote("SELECT date, payee, narration, position"),
                "api/query?query_string=" + quote("PRINT")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("publiek")
    workspace = git_workspace(root / "ws")
    add_user(users_path(workspace), ANJA[0], "beheerder", (SLUG,), ANJA[1])
    served = Served(workspace, root / "cache")
    try:
        yield Site(served, root / "cache")
    finally:
        served.stop()


def _public_events(site: Site) -> list[dict]:
    status, _h, body = site.get(f"/buurt/{SLUG}/api/events")
    assert status == 200, body
    return json.loads(body)["data"]


def _wait_for(site: Site, predicate, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"de openbare kopie toonde niet op tijd: {what}")


def _assert_private(site: Site) -> int:
    """Every public page of the attacked ledger: 200, no other-ledger text, no secret, no server file."""
    server = (str(site.workspace), str(site.cache))
    shown = 0
    for page in PUBLIC_PAGES:
        for _try in range(3):  # 408: the service's time limit, hit when the test machine is busy
            status, headers, body = site.get(f"/buurt/{SLUG}/{page}")
            if status != 408:
                break
        if status in (301, 302):
            status, headers, body = site.get(headers["location"])
        assert status == 200, (page, status, body[:300])
        text = body.decode("utf-8", "replace")
        for secret in SECRETS + OTHER_ONLY + server:
            assert secret not in text, (page, secret)
        assert "root:x:0:0" not in text
        shown += text.count("Bankkosten")
    return shown


def test_an_event_that_spells_directives_stays_an_event_and_the_public_view_stays_private(site):
    copy = site.cache / "publiek" / SLUG / "main.beancount"
    # From where the public copy lies, to the other ledger's real books.
    other = os.path.relpath(site.workspace / OTHER / "main.beancount", copy.parent)
    # What the beheerder types in the editor: a string that runs over several lines (beancount allows it).
    description = (f'x"\ninclude "../{OTHER}/main.beancount"\ninclude "{other}"\ninclude "/etc/passwd"\n'
                   f'2025-01-01 custom "fava-option" "import-config" "documents/polyglot.pdf"\n'
                   f'2025-01-01 event "a" "y')
    typed = description.replace("\\", "\\\\").replace('"', '\\"')
    other_before = fingerprint(site.workspace / OTHER)
    status, _h, body = put_source(site, (site.workspace / SLUG / "main.beancount").read_text(encoding="utf-8")
                                  + f'\n2025-07-01 event "info" "{typed}"\n'
                                  + '\n2025-07-02 event "vergadering" "De \\"gewone\\" vergadering"\n')
    assert status == 200, body
    _wait_for(site, lambda: any(e["type"] == "vergadering" for e in _public_events(site)), "the new events")

    events = {e["type"]: e["description"] for e in _public_events(site)}
    assert events["info"] == description and events["vergadering"] == 'De "gewone" vergadering'
    assert _assert_private(site) > 0
    status, _h, body = site.get(f"/buurt/{SLUG}/api/errors")
    assert status == 200 and json.loads(body)["data"] == []
    # The copy Fava serves: no include, plugin or option beyond ours, one fava-option per public setting.
    entries, errors, options = parser.parse_string(copy.read_text(encoding="utf-8"))
    assert errors == [] and options["include"] == [] and options["plugin"] == []
    assert sorted(e.values[0].value for e in entries if getattr(e, "type", None) == "fava-option") == \
        sorted(name for name, _value in PUBLIC_FAVA_OPTIONS)
    assert fingerprint(site.workspace / OTHER) == other_before


def test_a_document_name_attached_through_the_api_is_escaped_not_a_directive(site):
    q = quote("SELECT id WHERE narration = 'Bankkosten'")
    status, _h, body = site.get(f"/beheer/{SLUG}/api/query?query_string={q}", user=ANJA)
    assert status == 200, body
    entry_hash = json.loads(body)["data"]["rows"][0][0]
    name = 'afschrift.pdf"\ninclude "/etc/passwd"\n2025-01-01 custom "fava-option" "import-config" "x'
    status, _h, body = site.request("PUT", f"/beheer/{SLUG}/api/attach_document", user=ANJA,
                                    body={"filename": name, "entry_hash": entry_hash})
    ledger = (site.workspace / SLUG / "main.beancount").read_text(encoding="utf-8")
    entries, errors, options = parser.parse_string(ledger)
    assert options["include"] == [] and not [e for e in entries if getattr(e, "type", None) == "fava-option"
                                             and e.values[0].value == "import-config"]
    if status == 200:  # stored, as one metadata value
        [bank] = [e for e in entries if getattr(e, "narration", None) == "Bankkosten"]
        assert bank.meta["document"] == name
    else:
        assert status == 422, body
    assert _assert_private(site) > 0


@pytest.mark.parametrize("entry", [
    {"t": "Note", "date": "2025-07-04", "account": "Activa:Bank:Betaalrekening", "meta": {},
     "comment": "regel\ninclude \\\"/etc/passwd\\\"\n2025-01-01 open Activa:Stiekem"},
    {"t": "Balance", "date": "2025-07-04", "account": "Activa:Bank:Betaalrekening", "meta": {},
     "amount": {"number": "1.00", "currency": 'EUR\ninclude "/etc/passwd"'}},
    {"t": "Transaction", "date": "2025-07-04", "flag": '*\ninclude "/etc/passwd"\n2025-07-04 *', "payee": "ING",
     "narration": "Rente", "tags": [], "links": [], "meta": {},
     "postings": [{"account": "Uitgaven:Ondersteuning:Bankkosten", "amount": "1.50 EUR"},
                  {"account": "Activa:Bank:Betaalrekening", "amount": ""}]},
    {"t": "Transaction", "date": "2025-07-04", "flag": "*", "payee": "ING", "narration": "Rente", "tags": [],
     "links": [], "meta": {'x"\ninclude "/etc/passwd"\nk': "v"},
     "postings": [{"account": "Uitgaven:Ondersteuning:Bankkosten", "amount": "1.50 EUR"},
                  {"account": "Activa:Bank:Betaalrekening", "amount": ""}]},
])
def test_an_added_entry_cannot_smuggle_a_directive(site, entry):
    before = fingerprint(site.workspace)
    status, _h, body = site.request("PUT", f"/beheer/{SLUG}/api/add_entries", user=ANJA, body={"entries": [entry]})
    ledger = (site.workspace / SLUG / "main.beancount").read_text(encoding="utf-8")
    entries, errors, options = parser.parse_string(ledger)
    assert options["include"] == [] and "Activa:Stiekem" not in {getattr(e, "account", "") for e in entries}
    if status == 200:  # a note's text is stored as text, one directive
        [note] = [e for e in entries if type(e).__name__ == "Note" and e.date.isoformat() == "2025-07-04"]
        assert "include" in note.comment and "\n" in note.comment
    else:
        assert status == 422, body
        assert "geen geldige" in json.loads(body)["error"] or "niet" in json.loads(body)["error"]
        assert fingerprint(site.workspace) == before
