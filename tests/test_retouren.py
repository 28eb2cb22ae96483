"""Batches and returns as books: what is paid, what waits in a batch, what is owed again."""

from __future__ import annotations

from decimal import Decimal

from ledger.betalingen.batches import batches, nieuwe_msgid, te_betalen, wachtend
from ledger.evaluatie.retouren import betaalstatus, reden_tekst
from ledger.evaluatie.view import build_view
from tests.books import Result, books

def _view(result: Result):
    return build_view(result.entries, result.options_map)


@books()
def test_a_return_makes_the_claim_owed_again(result: Result) -> None:
    """
    2025-02-01 custom "plan" Expenses:Plannen:Groen "Groen" 3000.00 EUR

    2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "bon.pdf"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Els"
      Expenses:Plannen:Groen:Materiaal   64.20 EUR
      Liabilities:Declaraties

    2025-05-08 custom "betaalopdracht" "BB-20250508-001"
      links: "decl-2025-001"
      aantal: 1
      totaal: 64.20 EUR
      door: "Henk"

    2025-05-09 * "Fatima el Amrani" "Uitbetaling declaratie" ^decl-2025-001
      bank-ref: "B-1"
      betaalopdracht: "BB-20250508-001"
      Liabilities:Declaraties   64.20 EUR
      Assets:Bank:Betaalrekening

    2025-05-14 * "Fatima el Amrani" "Retour uitbetaling declaratie: AC04 rekening opgeheven" ^decl-2025-001
      bank-ref: "R-1"
      retour-reden: "AC04"
      Liabilities:Declaraties   -64.20 EUR
      Assets:Bank:Betaalrekening
    """
    assert result.errors == []
    view = _view(result)
    (claim,) = view.payables
    assert claim.status == "goedgekeurd" and len(claim.payments) == 1 and len(claim.returns) == 1
    assert claim.returns[0].meta["retour-reden"] == "AC04"
    assert view.open_claims == Decimal("64.20") and view.bank_balance == Decimal("10000.00")
    assert view.plan("Groen").costs == Decimal("64.20")  # the costs stay: only the payment came back
    # The batch was carried out (its payment names it), so the claim waits in no batch: payable again.
    assert wachtend(result.entries, view) == {}
    assert [p.link for p in te_betalen(view, result.entries)] == ["decl-2025-001"]


@books()
def test_an_item_waits_in_its_batch_until_paid_or_cancelled(result: Result) -> None:
    """
    2025-02-01 custom "plan" Expenses:Plannen:Groen "Groen" 3000.00 EUR

    2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      document: "bon.pdf"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Els"
      Expenses:Plannen:Groen:Materiaal   64.20 EUR
      Liabilities:Declaraties

    2025-05-03 * "Piet" "Declaratie: koffie" ^decl-2025-002
      declarant: "Piet"
      iban: "NL02ABNA0123456789"
      document: "bon.pdf"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Els"
      Expenses:Plannen:Groen:Materiaal   12.00 EUR
      Liabilities:Declaraties

    2025-05-08 custom "betaalopdracht" "BB-20250508-001"
      links: "decl-2025-001 decl-2025-002"
      aantal: 2
      totaal: 76.20 EUR
      door: "Henk"

    2025-05-09 custom "betaalopdracht-ingetrokken" "BB-20250508-001"
      door: "Henk"

    2025-05-10 custom "betaalopdracht" "BB-20250510-002"
      links: "decl-2025-002"
      aantal: 1
      totaal: 12.00 EUR
      door: "Henk"
    """
    assert result.errors == []
    view = _view(result)
    assert [(b.msgid, b.links, b.ingetrokken) for b in batches(result.entries)] == [
        ("BB-20250508-001", ("decl-2025-001", "decl-2025-002"), True),
        ("BB-20250510-002", ("decl-2025-002",), False),
    ]
    assert wachtend(result.entries, view) == {"decl-2025-002": "BB-20250510-002"}
    assert [p.link for p in te_betalen(view, result.entries)] == ["decl-2025-001"]


def test_status_counts_payments_against_returns() -> None:
    kw = dict(afgewezen=False, goedgekeurd=True)
    assert betaalstatus(betalingen=1, retouren=0, **kw) == "betaald"
    assert betaalstatus(betalingen=1, retouren=1, **kw) == "goedgekeurd"
    assert betaalstatus(betalingen=2, retouren=1, **kw) == "betaald"
    assert betaalstatus(betalingen=0, retouren=0, afgewezen=False, goedgekeurd=False) == "ingediend"
    assert betaalstatus(betalingen=1, retouren=0, afgewezen=True, goedgekeurd=True) == "afgewezen"
    assert reden_tekst("ac04") == "AC04 rekening opgeheven" and reden_tekst("ZZ99") == "ZZ99"
    assert reden_tekst("") == "reden onbekend"


def test_two_ledgers_never_share_a_msgid() -> None:
    import datetime

    day = datetime.date(2025, 5, 8)
    a = nieuwe_msgid([], day, "Buurtbudget K-buurt 2025|NL91ABNA0417164300")
    b = nieuwe_msgid([], day, "Buurtbudget Geuzenveld 2025|NL91ABNA0417164300")
    assert a.startswith("BB-20250508-001-") and b.startswith("BB-20250508-001-") and a != b
    assert len(a) <= 35 and a == nieuwe_msgid([], day, "Buurtbudget K-buurt 2025|NL91ABNA0417164300")
