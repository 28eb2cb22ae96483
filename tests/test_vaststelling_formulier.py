"""The vaststelling form in beheer names what is still open before the auditor decides, and asks to confirm.

A real workspace with open claims (one waiting for a second person, one approved and unpaid, one in a
payment batch at the bank) and a violation, served by the real service, posted through the login form.
"""

from __future__ import annotations

import re

import pytest

from buurtbudget_admin.service.wsgi import create_service
from ledger.evaluatie.loading import load_entries
from ledger.evaluatie.vaststelling import vaststellingen
from tests.dagelijks_helpers import digest
from tests.service_workspace import claims_beside, post_form, session_client, user_workspace

SLUG = "testbuurt-2025"
BASE = f"/beheer/{SLUG}/extension/Buurtbudget/"
AUDITOR = ("stadsdeel", "geheim-audit-1")
ANJA = ("anja", "geheim-anja-1")
FORM = {"bedrag": "9.000,00", "datum": "2026-03-02", "kenmerk": "N-2026-0312", "bevestig": "ja"}

CLAIMS = claims_beside(ingevoerd="Anja de Boer", goedgekeurd="Henk Visser")


@pytest.fixture()
def site(tmp_path):
    workspace = user_workspace(tmp_path / "ws", CLAIMS, ((AUDITOR[0], "auditor", (), AUDITOR[1], "Marieke de Graaf"),
                                                        (ANJA[0], "beheerder", (SLUG,), ANJA[1], "Anja de Boer")))
    ledger = workspace / SLUG / "main.beancount"
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    return service, ledger


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:li|p|div)>', html, re.S)
    assert found, f"{element_id} ontbreekt"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_form_names_open_claims_batches_and_violations(site):
    service, _ledger = site
    html = session_client(service, *AUDITOR).get(BASE).get_data(as_text=True)
    assert "(door Marieke de Graaf)" in html
    assert _text(html, "bb-open-declaraties") == \
        "3 declaratie(s) en facturen, samen € 40,00, waarvan 1 goedgekeurd en nog niet betaald"
    assert _text(html, "bb-open-opdrachten") == "1 betaalopdracht(en) bij de bank, nog niet als betaald geboekt"
    violations = re.search(r"de regels melden (\d+) overtreding", html)
    assert violations and int(violations.group(1)) >= 1
    assert re.search(r'<input type="checkbox" name="bevestig" value="ja" required', html)
    assert 'id="bb-naar-controle" data-remote href="/beheer/controle/"' in html


def test_without_confirmation_nothing_is_recorded(site):
    service, ledger = site
    auditor = session_client(service, *AUDITOR)
    before = digest(ledger)
    response = post_form(auditor, BASE + "vaststelling", {k: v for k, v in FORM.items() if k != "bevestig"})
    assert response.status_code == 400 and "Bevestig de vaststelling" in response.get_data(as_text=True)
    response = post_form(auditor, BASE + "vaststelling", {**FORM, "bevestig": "nee"})
    assert response.status_code == 400
    assert digest(ledger) == before


def test_with_confirmation_recorded_with_the_full_name(site):
    service, ledger = site
    response = post_form(session_client(service, *AUDITOR), BASE + "vaststelling", FORM)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "door Marieke de Graaf" in response.get_data(as_text=True)
    latest = vaststellingen(load_entries(ledger)[0]).latest
    assert latest.door == "Marieke de Graaf" and str(latest.bedrag) == "9000.00"
    assert 'door: "stadsdeel"' not in ledger.read_text(encoding="utf-8")


def test_a_beheerder_cannot_record_it(site):
    service, ledger = site
    anja = session_client(service, *ANJA)
    assert 'id="bb-vaststelling"' not in anja.get(BASE).get_data(as_text=True)
    before = digest(ledger)
    response = post_form(anja, BASE + "vaststelling", FORM)
    assert response.status_code == 403 and "Alleen een auditor" in response.get_data(as_text=True)
    assert digest(ledger) == before
