"""The Buurtbudget view: every figure once, from the entries."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.view import build_view
from tests.books import load_books

D = Decimal

YEAR = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 4000.00 EUR
  status: "gekozen"
  indiener: "Bewonersgroep Kraaiennest"
2025-02-01 custom "plan" Expenses:Plannen:Groen "Geveltuinen" 1000.00 EUR
2025-05-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen (groter)" 4500.00 EUR

2025-03-10 * "Bouwmarkt" "Hout"
  document: "bon.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Els"
  Expenses:Plannen:Speeltuin:Materiaal   1200.00 EUR
  Expenses:Plannen:Speeltuin:Inhuur   300.00 EUR
  Assets:Bank:Betaalrekening

2025-03-20 * "Bouwmarkt" "Retour"
  Expenses:Plannen:Speeltuin:Materiaal   -200.00 EUR
  Assets:Bank:Betaalrekening

2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
  declarant: "Fatima el Amrani"
  prive: TRUE
  document: "bon.pdf"
  ingevoerd-door: "Henk"
  Expenses:Plannen:Groen:Materiaal   64.20 EUR
  Liabilities:Declaraties

2025-05-03 * "Piet Jansen" "Declaratie: potgrond" ^decl-2025-002
  declarant: "Piet Jansen"
  prive: TRUE
  document: "bon.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Els"
  Expenses:Plannen:Groen:Materiaal   35.80 EUR
  Liabilities:Declaraties

2025-05-10 * "Piet Jansen" "Uitbetaling declaratie" ^decl-2025-002
  Liabilities:Declaraties   35.80 EUR
  Assets:Bank:Betaalrekening

2025-06-30 * "Administratiekantoor" "Handelingskosten"
  document: "bon.pdf"
  Expenses:Ondersteuning:Administratie   400.00 EUR
  Assets:Bank:Betaalrekening

2025-06-30 * "ING" "Bankkosten"
  Expenses:Ondersteuning:Bankkosten   12.50 EUR
  Assets:Bank:Betaalrekening
"""


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    return load_books(tmp_path_factory.mktemp("jaar"), YEAR)


def test_the_year_is_clean(year):
    assert year.errors == [], year.messages


def test_award_and_received(year):
    view = build_view(year.entries, year.options_map, peildatum=datetime.date(2025, 7, 1))
    assert view.award == D("10000.00")
    assert view.received == D("10000.00")
    assert view.beschikkingen == ("W-2025-001",)


def test_plans_latest_budget_and_net_costs(year):
    view = build_view(year.entries, year.options_map)
    speeltuin, groen = view.plan("Speeltuin"), view.plan("Expenses:Plannen:Groen")
    assert speeltuin.budget == D("4500.00") and speeltuin.titel == "Speeltuin opknappen (groter)"
    assert len(speeltuin.declarations) == 2
    assert speeltuin.costs == D("1300.00")  # 1200 + 300 - 200 refund
    assert dict(speeltuin.costs_by_category) == {"Inhuur": D("300.00"), "Materiaal": D("1000.00")}
    assert groen.costs == D("100.00")  # both claims, the open one counted
    assert speeltuin.indiener == "Bewonersgroep Kraaiennest"


def test_budget_as_of_a_date(year):
    view = build_view(year.entries, year.options_map, tot=datetime.date(2025, 4, 30))
    assert view.plan("Speeltuin").budget == D("4000.00")
    assert view.plan("Groen").costs == D("0")


def test_support_ceiling_remaining_unspent(year):
    view = build_view(year.entries, year.options_map, peildatum=datetime.date(2025, 7, 1))
    assert view.support_costs == D("412.50")
    assert view.ceiling == D("800.0000")
    assert view.support_within_ceiling
    assert view.spent == D("1812.50")
    assert view.remaining == D("8187.50")
    assert view.committed == D("5912.50")
    assert view.unspent == D("8187.50")
    assert view.to_repay == D("0")  # the period has not ended
    after = build_view(year.entries, year.options_map, peildatum=datetime.date(2026, 1, 1))
    assert after.to_repay == D("8187.50") and after.fase == "verantwoording"


def test_claims_and_their_state(year):
    view = build_view(year.entries, year.options_map)
    claims = {p.link: p for p in view.payables}
    assert claims["decl-2025-001"].status == "ingediend" and not claims["decl-2025-001"].approved
    assert claims["decl-2025-002"].status == "betaald" and claims["decl-2025-002"].approved
    assert view.open_claims == D("64.20")


@pytest.mark.parametrize(
    "peildatum, fase",
    [(datetime.date(2024, 12, 31), "ideeen"), (datetime.date(2025, 1, 1), "uitvoering"),
     (datetime.date(2025, 12, 31), "uitvoering"), (datetime.date(2026, 1, 1), "verantwoording")],
)
def test_phase_follows_the_dates(year, peildatum, fase):
    assert build_view(year.entries, year.options_map, peildatum=peildatum).fase == fase


def test_phase_closed_after_settlement(tmp_path: Path):
    result = load_books(tmp_path, YEAR + """
2026-01-31 * "Gemeente Amsterdam" "Afrekening: terug te betalen"
  Income:Buurtbudget   8187.50 EUR
  Liabilities:Gemeente:Terugbetaling
""")
    view = build_view(result.entries, result.options_map, peildatum=datetime.date(2026, 2, 1))
    assert view.settled == D("8187.50")
    assert view.fase == "afgesloten"


def test_view_is_immutable(year):
    view = build_view(year.entries, year.options_map)
    with pytest.raises(Exception):
        view.award = D("1")  # type: ignore[misc]
