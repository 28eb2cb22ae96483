"""The Buurtbudget view: every figure once, from the entries, made of pure folds.

The ledger of a year (`YEAR`) is read by several tests, each judging it on
another day; the other tests are ledgers in their docstring (`@books`).
"""

from __future__ import annotations

import datetime
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.buurtbudget.kader import Regelbestand
from ledger.evaluatie.view import build_view, view_of
from tests.books import books, load_books

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


def judged(result, peildatum=datetime.date(2025, 7, 1), tot=None):
    """The view of a loaded ledger, built by the pure function itself: no file, no clock."""
    return view_of(result.entries, result.options_map, Regelbestand.GEEN, peildatum, tot=tot)


def test_the_year_is_clean(year):
    assert year.errors == [], year.messages


def test_award_and_received(year):
    view = judged(year)
    assert view.award == D("10000.00")
    assert view.received == D("10000.00")
    assert view.beschikkingen == ("W-2025-001",)


def test_plans_latest_budget_and_net_costs(year):
    view = judged(year)
    speeltuin, groen = view.plan("Speeltuin"), view.plan("Expenses:Plannen:Groen")
    assert speeltuin.budget == D("4500.00") and speeltuin.titel == "Speeltuin opknappen (groter)"
    assert len(speeltuin.declarations) == 2
    assert speeltuin.costs == D("1300.00")  # 1200 + 300 - 200 refund
    assert dict(speeltuin.costs_by_category) == {"Inhuur": D("300.00"), "Materiaal": D("1000.00")}
    assert groen.costs == D("100.00")  # both claims, the open one counted
    assert speeltuin.indiener == "Bewonersgroep Kraaiennest"


def test_budget_as_of_a_date(year):
    view = judged(year, tot=datetime.date(2025, 4, 30))
    assert view.plan("Speeltuin").budget == D("4000.00")
    assert view.plan("Groen").costs == D("0")


def test_support_ceiling_remaining_unspent(year):
    view = judged(year)
    assert view.support_costs == D("412.50")
    assert view.ceiling == D("800.0000")
    assert view.support_within_ceiling
    assert view.spent == D("1812.50")
    assert view.remaining == D("8187.50")
    assert view.committed == D("5912.50")
    assert view.unspent == D("8187.50")
    assert view.to_repay == D("0")  # the period has not ended
    after = judged(year, datetime.date(2026, 1, 1))
    assert after.to_repay == D("8187.50") and after.fase == "verantwoording"


def test_claims_and_their_state(year):
    view = judged(year)
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
    assert judged(year, peildatum).fase == fase


@books()
def test_phase_closed_after_settlement(result):
    """
    2025-03-10 * "Bouwmarkt" "Hout"
      document: "bon.pdf"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Els"
      Expenses:Plannen:Speeltuin:Materiaal   1812.50 EUR
      Assets:Bank:Betaalrekening

    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 4000.00 EUR

    2025-01-01 open Income:Terugbetaling EUR

    2026-01-31 * "Gemeente Amsterdam" "Afrekening: terug te betalen"
      Income:Terugbetaling   8187.50 EUR
      Liabilities:Gemeente:Terugbetaling
    """
    assert result.errors == [], result.messages
    view = result.view.op(datetime.date(2026, 2, 1))
    assert view.settled == D("8187.50")
    assert view.award == D("10000.00")  # the award and its ceiling stay as granted
    assert view.ceiling == D("800.0000")
    assert view.fase == "afgesloten"


@books(roots="nl")
def test_dutch_roots_give_the_same_figures(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 4000.00 EUR

    2025-03-10 * "Bouwmarkt" "Hout"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   450.00 EUR
      Assets:Bank:Betaalrekening

    2025-06-30 * "ING" "Bankkosten"
      Expenses:Ondersteuning:Bankkosten   12.50 EUR
      Assets:Bank:Betaalrekening
    """
    assert result.errors == [], result.messages
    view = result.view
    assert view.accounts.expenses == "Uitgaven"
    assert view.plan("Uitgaven:Plannen:Speeltuin").costs == D("450.00")
    assert view.support_costs == D("12.50") and view.award == D("10000.00")
    assert view.bank_balance == D("9537.50")


@books()
def test_a_claim_approved_by_its_declarant_is_not_approved(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Groen "Groen" 500.00 EUR

    2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-004
      declarant: "Fatima el Amrani"
      document: "bon.pdf"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "fatima  EL amrani"
      Expenses:Plannen:Groen:Materiaal   64.20 EUR
      Liabilities:Declaraties

    2025-05-03 * "Piet Jansen" "Declaratie: potgrond" ^decl-2025-005
      declarant: "Piet Jansen"
      document: "bon.pdf"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Els"
      Expenses:Plannen:Groen:Materiaal   35.80 EUR
      Liabilities:Declaraties
    """
    claims = {p.link: p for p in result.view.payables}
    # One predicate (ledger.evaluatie.vier_ogen.beoordeel): the same person, whatever the spelling, is no
    # second pair of eyes, so the claim is not approved, its state says so and it says why.
    mine = claims["decl-2025-004"]
    assert not mine.approved and mine.status == "ingediend"
    assert mine.waarom == "is goedgekeurd door de declarant zelf (fatima  EL amrani)"
    assert claims["decl-2025-005"].approved and claims["decl-2025-005"].status == "goedgekeurd"
    assert claims["decl-2025-005"].waarom is None
    assert result.codes == ["BB-VIER-OGEN"]
    assert "decl-2025-004 is goedgekeurd door de declarant zelf" in result.messages[0]


def test_the_view_reads_no_file(year, tmp_path):
    opened: list[str] = []

    def hook(event, args):
        if event in ("open", "os.listdir", "os.scandir") and watching:
            opened.append(str(args[0]))

    watching = False
    sys.addaudithook(hook)
    watching = True
    try:
        judged(year)
    finally:
        watching = False
    assert opened == []


def test_build_view_is_view_of_at_the_edge(year):
    # The convenience reads the rules file (there is none here) and takes the day given.
    day = datetime.date(2025, 7, 1)
    assert build_view(year.entries, year.options_map, peildatum=day) == judged(year, day)


def test_view_is_immutable(year):
    import dataclasses

    view = judged(year)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.award = D("1")  # type: ignore[misc]


def test_cost_lines_are_made_once_and_shared(year):
    view = judged(year)
    lines = view.cost_lines
    assert [l.amount for l in lines] == [D("1200.00"), D("300.00"), D("-200.00"), D("64.20"), D("35.80"),
                                         D("400.00"), D("12.50")]
    assert view.cost_lines is lines  # built once, when first read
    speeltuin = view.plan("Speeltuin")
    assert all(any(l is m for m in lines) for l in speeltuin.lines)  # the annex compares by identity
    assert [l.category for l in speeltuin.lines] == ["Materiaal", "Inhuur", "Materiaal"]
    entries = view.cost_entries
    assert [len(e.lines) for e in entries] == [2, 1, 1, 1, 1, 1]
    assert entries[0].receipt_amount == D("1500.00") and entries[0].bank_out == D("1500.00")
    assert entries[-1].receipt_amount == D("0")  # bank costs need no receipt
    assert [l.account for l in view.support_lines] == ["Expenses:Ondersteuning:Administratie",
                                                        "Expenses:Ondersteuning:Bankkosten"]
    assert view.foreign_lines == ()


def test_a_single_cost_line_is_the_line_of_the_whole_column(year):
    """`line(j)` asked alone finds its transaction in `start`; the same line as when all are made."""
    one_by_one = judged(year).kosten
    alone = [one_by_one.line(j) for j in range(len(one_by_one.posting))]
    all_at_once = judged(year).kosten.lines
    assert alone == list(all_at_once)
    # The split booking's two lines belong to the one transaction; the payment books no cost line.
    assert [line.narration for line in alone] == [
        "Hout", "Hout", "Retour", "Declaratie: bloembollen", "Declaratie: potgrond", "Handelingskosten", "Bankkosten"]
    assert alone[0].entry is alone[1].entry and alone[1].entry is not alone[2].entry
