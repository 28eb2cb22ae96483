"""The start page of /beheer/: each item of the work queue counted and linked to the section that resolves it.

A real workspace, the real service (`create_service`), logged in through the login form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from buurtbudget_admin.service.wsgi import create_service
from tests.service_workspace import claims_beside, session_client, user_workspace

SLUG, OTHER = "testbuurt-2025", "rivierenbuurt-2025"
PAGINA = f"/beheer/{SLUG}/extension/Buurtbudget/"

# Beside the test ledger: a claim Anja de Boer entered (waiting), a claim Henk Bakker entered
# under his login (waiting), one approved and unpaid, one in a batch at the bank; three bank lines
# the import could not match, one of which a later booking moved off Onverwerkt.
WERK = claims_beside(ingevoerd="Anja de Boer", goedgekeurd="Henk Bakker") + """
2025-07-01 ! "Buurtbewoner D" "Declaratie: gieter" ^decl-2025-013
  declarant: "Buurtbewoner D"
  iban: "NL91ABNA0417164300"
  ingevoerd-door: "henk"
  document: "documents/2025-05-02-bollen.pdf"
  Uitgaven:Plannen:Groen:Materiaal   8.00 EUR
  Passiva:Declaraties

2025-07-10 ! "Onbekend" "Onbekende bijschrijving"
  bank-ref: "B-0011"
  Activa:Bank:Betaalrekening   10.00 EUR
  Activa:Onverwerkt

2025-07-11 ! "Onbekend" "Onbekende afschrijving"
  bank-ref: "B-0012"
  Activa:Bank:Betaalrekening   -7.50 EUR
  Activa:Onverwerkt

2025-07-12 ! "Gemeente" "Terugstorting"
  bank-ref: "B-0013"
  Activa:Bank:Betaalrekening   3.00 EUR
  Activa:Onverwerkt

2025-07-20 * "Gemeente" "Terugstorting verwerkt"
  Activa:Onverwerkt   3.00 EUR
  Uitgaven:Plannen:Groen:Materiaal   -3.00 EUR
"""


@pytest.fixture(scope="module")
def dienst(tmp_path_factory):
    root = tmp_path_factory.mktemp("werkrij")
    workspace = user_workspace(root / "ws", WERK, (
        ("anja", "beheerder", (SLUG,), "geheim-anja-1", "Anja de Boer"),
        ("henk", "beheerder", (SLUG,), "geheim-henk-1", "Henk Bakker"),
        ("stadsdeel", "auditor", (), "geheim-audit-1", "Marieke de Graaf")))
    return create_service(workspace, cache_dir=root / "cache", check_interval=0.0)


def _kaart(page: str, slug: str) -> str:
    start = page.index(f'<li class="budget" id="bb-budget-{slug}">')
    end = page.find('<li class="budget"', start + 1)
    return page[start:end if end > 0 else len(page)]


def _taken(page: str, slug: str) -> dict[str, tuple[int, str | None]]:
    """data-taak -> (count, href of the item's own link or None when there is nothing to do)."""
    found = {}
    for m in re.finditer(r'<li data-taak="([a-z-]+)">(.*?)<span class="aantal[^"]*">(\d+)</span>',
                         _kaart(page, slug), re.S):
        href = re.match(r'<a href="([^"]+)">', m.group(2))
        found[m.group(1)] = (int(m.group(3)), href.group(1) if href else None)
    return found


def test_each_item_of_the_queue_counts_and_links_to_the_section_that_resolves_it(dienst):
    anja = session_client(dienst, "anja", "geheim-anja-1").get("/beheer/").get_data(as_text=True)
    taken = _taken(anja, SLUG)
    assert taken == {
        "overtredingen": (taken["overtredingen"][0], PAGINA + "#bb-oordeel"),
        "zonder-bon": (1, PAGINA + "#bb-bonnen"),
        # Anja entered ^decl-2025-010: only henk's ^decl-2025-013 is hers to approve.
        "beoordelen": (1, PAGINA + "#bb-wachtend"),
        "te-betalen": (1, PAGINA + "#bb-betalen"),
        "bij-de-bank": (1, PAGINA + "#bb-bank"),
        # Two of three bank lines still on Onverwerkt: the 3.00 was moved off by a booking.
        "onverwerkt": (2, PAGINA + "#bb-bank"),
    }
    assert taken["overtredingen"][0] >= 1
    assert f'href="{PAGINA}#bb-decl-decl-2025-013"' in anja
    assert "#bb-decl-decl-2025-010" not in anja
    assert "journal/?filter" not in anja


def test_two_beheerders_see_different_claims_for_a_claim_one_of_them_entered(dienst):
    anja = session_client(dienst, "anja", "geheim-anja-1").get("/beheer/").get_data(as_text=True)
    henk = session_client(dienst, "henk", "geheim-henk-1").get("/beheer/").get_data(as_text=True)
    # henk entered ^decl-2025-013 under his login, the books say "henk": still his own (one person, two names).
    assert _taken(henk, SLUG)["beoordelen"] == (1, PAGINA + "#bb-wachtend")
    assert f'href="{PAGINA}#bb-decl-decl-2025-010"' in henk and "#bb-decl-decl-2025-013" not in henk
    assert f'href="{PAGINA}#bb-decl-decl-2025-013"' in anja and "#bb-decl-decl-2025-010" not in anja


def test_the_four_eyes_predicate_takes_one_person_under_two_names():
    from ledger.evaluatie.vier_ogen import mag_goedkeuren

    assert not mag_goedkeuren(("Henk Bakker", "henk"), ingevoerd_door="henk")
    assert not mag_goedkeuren(("Henk Bakker", "henk"), ingevoerd_door="Anja", declarant="HENK BAKKER")
    assert mag_goedkeuren(("Henk Bakker", "henk"), ingevoerd_door="Anja de Boer", declarant="Bewoner")
    assert not mag_goedkeuren(("", "\u200b"), ingevoerd_door="Anja")  # no visible name is no one


def _dossier(page: str, slug: str) -> str:
    start = page.index(f'<li class="budget dossier" id="bb-dossier-{slug}"')
    end = page.find('<li class="budget', start + 1)
    return page[start:end if end > 0 else len(page)]


def test_the_auditor_sees_every_budget_with_its_phase_verdict_and_statement(dienst):
    auditor = session_client(dienst, "stadsdeel", "geheim-audit-1")
    page = auditor.get("/beheer/").get_data(as_text=True)
    assert "Ingelogd als <strong>Marieke de Graaf</strong>" in page
    assert 'data-taak="' not in page and "Declaraties die wachten" not in page  # not the beheerder's queue
    # Phase and verdict as the public overview computes them (one function: landing.card_of).
    from buurtbudget_admin.service.landing import card_of

    for slug in (SLUG, OTHER):
        card = card_of(dienst.state.snapshot(slug))
        kaart = _dossier(page, slug)
        assert f'data-fase="{card.fase}"' in kaart and card.fase in ("uitvoering", "verantwoording", "vastgesteld")
        assert f'<span class="aantal">{card.fase_label}</span>' in kaart
        telling = re.search(r'data-dossier="oordeel">.*?<span class="aantal[^"]*">([^<]+)</span>', kaart, re.S).group(1)
        assert telling == (f"{card.violations} overtreding{'en' if card.violations != 1 else ''}"
                           if card.violations else "in orde")
        pdf = f"/beheer/{slug}/extension/Buurtbudget/pdf"
        assert re.search(rf'<a class="bb-pdf" data-remote download href="{re.escape(pdf)}">', kaart)
    # Rivierenbuurt's plan is over budget: the verdict counts it.
    assert "in orde" not in _dossier(page, OTHER)
    # The statement opens for the auditor: a PDF.
    response = auditor.get(f"/beheer/{OTHER}/extension/Buurtbudget/pdf")
    assert response.status_code == 200 and response.get_data()[:5] == b"%PDF-"


def test_a_beheerder_keeps_the_queue_and_gets_no_auditor_dossiers(dienst):
    page = session_client(dienst, "anja", "geheim-anja-1").get("/beheer/").get_data(as_text=True)
    assert 'id="bb-dossier-' not in page and f'id="bb-budget-{SLUG}"' in page
