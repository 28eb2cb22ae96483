"""`buurtbudget betaal`: an invoice without IBAN does not hold up the residents' claims."""

from __future__ import annotations

import getpass
from pathlib import Path

from lxml import etree

from ledger.betalingen.batches import valideer
from tests.books import write_books
from tests.dagelijks_helpers import gebruiker
from tests.test_cli import assert_no_traceback, buurtbudget

BOOKS = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

2025-04-02 * "Houthandel" "Factuur vlonder" ^fact-2025-001
  document: "bon.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Els"
  Expenses:Plannen:Speeltuin:Materiaal   750.00 EUR
  Liabilities:Crediteuren

2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-004
  declarant: "Fatima el Amrani"
  iban: "NL02ABNA0123456789"
  prive: TRUE
  document: "bon.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Els"
  Expenses:Plannen:Speeltuin:Materiaal   64.20 EUR
  Liabilities:Declaraties
"""


def test_claims_are_paid_and_the_invoice_without_iban_is_named(tmp_path: Path):
    ledger = write_books(tmp_path / "testbuurt-2025", BOOKS)
    before = ledger.read_text(encoding="utf-8")
    out = tmp_path / "betaling.xml"
    # No --door and no BUURTBUDGET_GEBRUIKER: the system login, a login of gebruikers.toml, made the batch.
    gebruiker(tmp_path, "Systeem Beheerder", login=getpass.getuser())
    proc = buurtbudget("betaal", ledger, "-o", out, "--datum", "2025-05-08")
    assert proc.returncode == 0, proc.stderr
    xml = out.read_bytes()
    valideer(xml)
    assert b"<EndToEndId>decl-2025-004</EndToEndId>" in xml
    assert b"fact-2025-001" not in xml
    assert "^fact-2025-001 heeft geen iban" in proc.stderr and f"{ledger}:" in proc.stderr
    # Only the batch was added to the ledger: it names the claim it pays, not the invoice.
    added = ledger.read_text(encoding="utf-8").removeprefix(before)
    msgid = etree.fromstring(xml).findtext(".//{*}GrpHdr/{*}MsgId")
    assert msgid.startswith("BB-20250508-001-")
    assert added.strip().startswith(f'2025-05-08 custom "betaalopdracht" "{msgid}"')
    assert 'links: "decl-2025-004"' in added and "fact-2025-001" not in added
    assert 'door: "Systeem Beheerder"' in added
    assert_no_traceback(proc)


def test_only_unpayable_items_writes_no_file(tmp_path: Path):
    ledger = write_books(tmp_path / "testbuurt-2025", BOOKS.split("2025-05-02")[0])
    out = tmp_path / "betaling.xml"
    before = ledger.read_bytes()
    proc = buurtbudget("betaal", ledger, "-o", out, "--datum", "2025-05-08", "--door", gebruiker(tmp_path, "Henk"))
    assert proc.returncode == 2
    assert "geen bestand geschreven" in proc.stderr
    assert not out.exists() and ledger.read_bytes() == before
