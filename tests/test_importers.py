"""Bank statements of our own making (CAMT.053, MT940, CSV) through the beangulp importers and `import`."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data

from ledger.buurtbudget.accounts import Accounts
from ledger.importers import (
    AfschriftFout, Camt053Importer, CsvBankImporter, Mt940Importer, VreemdeRekening, importers_voor, kies_importer,
)
from ledger.importers.camt053 import parse_camt053
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import (
    FOREIGN_IBAN, IBAN, RESIDENT_IBAN, Line, bean_check, bean_errors, camt053, cli, digest, make_ledger, mt940, receipt,
)

D = datetime.date
ROOTS = Accounts(assets="Activa", liabilities="Passiva", equity="Vermogen", income="Inkomsten", expenses="Uitgaven")
BANK = "Activa:Bank:Betaalrekening"


def _approved_claim(ledger: Path, tmp: Path, bedrag: str = "64,20") -> None:
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-02", "--declarant", "Fatima",
            "--iban", RESIDENT_IBAN, "--bedrag", bedrag, "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "bollen", "--bon", str(receipt(tmp)))
    assert r.returncode == 0, r.stderr
    assert cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Ria").returncode == 0


LINES = [
    Line(D(2025, 5, 9), Decimal("-64.20"), "REF-0001", "Fatima", "Declaratie decl-2025-001", "decl-2025-001"),
    Line(D(2025, 5, 10), Decimal("25.00"), "REF-0002", "Jan Jansen", "Bijdrage buurtfeest"),
    Line(D(2025, 5, 12), Decimal("-3.50"), "REF-0003", "ABN AMRO", "Kosten betaalrekening"),
]


@pytest.mark.parametrize("fmt", ["camt053", "camt053v08", "mt940"])
def test_statement_imports_correctly_and_a_second_import_adds_nothing(tmp_path: Path, fmt: str) -> None:
    ledger = make_ledger(tmp_path / "b")
    _approved_claim(ledger, tmp_path)
    if fmt.startswith("camt"):
        statement = tmp_path / "afschrift.xml"
        statement.write_bytes(camt053(IBAN, LINES, Decimal("10000.00"), D(2025, 5, 12),
                                      version="001.08" if fmt.endswith("v08") else "001.02"))
    else:
        statement = tmp_path / "afschrift.sta"
        statement.write_text(mt940(IBAN, LINES, Decimal("10000.00"), D(2025, 5, 12)), encoding="utf-8")
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    loaded = read_ledger(ledger)
    assert loaded.view.payables[0].status == "betaald"
    refs = {e.meta.get("bank-ref"): e for e in loaded.entries if isinstance(e, data.Transaction) and e.meta.get("bank-ref")}
    assert set(refs) == {"START-0001", "REF-0001", "REF-0002", "REF-0003"}
    assert refs["REF-0001"].links == frozenset({"decl-2025-001"})
    assert [p.account for p in refs["REF-0002"].postings] == [BANK, "Activa:Onverwerkt"]
    assert refs["REF-0003"].postings[0].units.number == Decimal("-3.50")
    (balance,) = [e for e in loaded.entries if isinstance(e, data.Balance)]
    assert (balance.date, balance.amount.number) == (D(2025, 5, 13), Decimal("9957.30"))
    assert bean_errors(ledger) == []
    before = digest(ledger)
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0 and "niets nieuws" in r.stdout
    assert digest(ledger) == before
    assert bean_check(ledger).returncode == 0


def test_csv_statement_and_dedup_against_a_hand_typed_booking(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    # The bank costs were typed in by hand two days before the bank booked them: no bank-ref.
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write("\n2025-05-10 * \"ABN AMRO\" \"Bankkosten mei\"\n"
                     "  Uitgaven:Ondersteuning:Bankkosten   3.50 EUR\n"
                     f"  {BANK}   -3.50 EUR\n")
    statement = tmp_path / "afschrift.csv"
    statement.write_text(
        "rekening;datum;bedrag;tegenpartij;omschrijving;referentie;end-to-end-id;saldo\n"
        f"{IBAN};2025-05-12;-3,50;ABN AMRO;Kosten;C-1;;9996,50\n"
        f"{IBAN};13-05-2025;1.000,00;Gemeente;Voorschot;C-2;;10.996,50\n",
        encoding="utf-8")
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert 'bank-ref: "C-1"' not in text  # matched the hand-typed booking (same amount, within 3 days)
    assert 'bank-ref: "C-2"' in text and "2025-05-14 balance Activa:Bank:Betaalrekening" in text
    assert bean_errors(ledger) == []
    before = digest(ledger)
    assert cli("import", str(ledger), str(statement)).returncode == 0
    assert digest(ledger) == before


@pytest.mark.parametrize("fmt", ["camt053", "mt940", "csv"])
def test_statement_of_a_foreign_account_is_refused(tmp_path: Path, fmt: str) -> None:
    ledger = make_ledger(tmp_path / "b")
    statement = tmp_path / f"vreemd.{ {'camt053': 'xml', 'mt940': 'sta', 'csv': 'csv'}[fmt] }"
    if fmt == "camt053":
        statement.write_bytes(camt053(FOREIGN_IBAN, LINES[1:], Decimal("0"), D(2025, 5, 12)))
    elif fmt == "mt940":
        statement.write_text(mt940(FOREIGN_IBAN, LINES[1:], Decimal("0"), D(2025, 5, 12)), encoding="utf-8")
    else:
        statement.write_text(f"rekening,datum,bedrag\n{FOREIGN_IBAN},2025-05-10,25.00\n", encoding="utf-8")
    before = digest(ledger)
    r = cli("import", str(ledger), str(statement))
    assert r.returncode != 0
    assert FOREIGN_IBAN in r.stderr and IBAN in r.stderr and "niets geïmporteerd" in r.stderr
    assert digest(ledger) == before


def test_importers_are_beangulp_importers_usable_without_the_cli(tmp_path: Path) -> None:
    statement = tmp_path / "a.xml"
    # Extracted against an empty ledger: an opening balance of 0 is what that ledger says.
    statement.write_bytes(camt053(IBAN, LINES, Decimal("0.00"), D(2025, 5, 12)))
    importers = importers_voor(IBAN, BANK, ROOTS)
    importer = kies_importer(importers, str(statement))
    assert isinstance(importer, Camt053Importer) and importer.identify(str(statement))
    assert not Mt940Importer(IBAN, BANK, ROOTS).identify(str(statement))
    assert not CsvBankImporter(IBAN, BANK, ROOTS).identify(str(statement))
    assert importer.account(str(statement)) == BANK and importer.date(str(statement)) == D(2025, 5, 12)
    entries = importer.extract(str(statement), [])
    assert len([e for e in entries if isinstance(e, data.Transaction)]) == 3  # no claims known: all Onverwerkt
    assert all(e.flag == "!" for e in entries if isinstance(e, data.Transaction))
    with pytest.raises(VreemdeRekening):
        Camt053Importer(FOREIGN_IBAN, BANK, ROOTS).extract(str(statement), [])
    unknown = tmp_path / "x.txt"
    unknown.write_text("hallo\n", encoding="utf-8")
    with pytest.raises(AfschriftFout):
        kies_importer(importers, str(unknown))


def test_camt_batch_entry_with_several_transactions_is_split() -> None:
    xml = camt053(IBAN, LINES[:1], Decimal("100.00"), D(2025, 5, 9)).decode()
    tx = xml[xml.index("<TxDtls>"):xml.index("</TxDtls>") + len("</TxDtls>")]
    second = tx.replace("decl-2025-001", "decl-2025-002").replace("<Refs>", "<Refs>")
    amt = '<AmtDtls><TxAmt><Amt Ccy="EUR">{}</Amt></TxAmt></AmtDtls>'
    batch = xml.replace(tx, tx.replace("<Refs>", amt.format("60.00") + "<Refs>")
                        + second.replace("<Refs>", amt.format("4.20") + "<Refs>"))
    (statement,) = parse_camt053(batch.encode())
    assert [(l.bedrag, l.end_to_end_id, l.bank_ref) for l in statement.regels] == [
        (Decimal("-60.00"), "decl-2025-001", "REF-0001/1"), (Decimal("-4.20"), "decl-2025-002", "REF-0001/2"),
    ]


def test_camt_pending_entries_are_not_booked() -> None:
    xml = camt053(IBAN, LINES, Decimal("100.00"), D(2025, 5, 12)).decode()
    xml = xml.replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>", 1)
    (statement,) = parse_camt053(xml.encode())
    assert [l.bank_ref for l in statement.regels] == ["REF-0002", "REF-0003"]


def test_unreadable_statement_gets_a_dutch_error(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    bad = tmp_path / "kapot.xml"
    bad.write_text("<Document><BkToCstmrStmt><Stmt>", encoding="utf-8")
    before = digest(ledger)
    r = cli("import", str(ledger), str(bad))
    assert r.returncode != 0 and "geen geldige XML" in r.stderr and digest(ledger) == before
    r = cli("import", str(ledger), str(tmp_path / "weg.xml"))
    assert r.returncode != 0 and "bestaat niet" in r.stderr


def test_balance_mismatch_refuses_the_whole_import(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    statement = tmp_path / "a.xml"
    # The statement claims an opening balance the ledger does not have.
    statement.write_bytes(camt053(IBAN, LINES[1:2], Decimal("500.00"), D(2025, 5, 10)))
    before = digest(ledger)
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 1 and "saldocontrole klopt niet" in r.stderr and BANK in r.stderr
    assert digest(ledger) == before


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield


def test_a_bank_line_that_spells_directives_is_imported_as_text(tmp_path: Path) -> None:
    """A counterparty and a description are the bank's text: written by the one serializer, never a directive."""
    ledger = make_ledger(tmp_path / "b")
    naam = 'Evil "BV"\ninclude "/etc/passwd"\n2025-01-01 custom "fava-option" "import-config" "x.py"\\'
    omschrijving = 'x"\n2025-05-10 open Activa:Stiekem\n  iban: "NL91ABNA0417164300"'
    statement = tmp_path / "afschrift.xml"
    statement.write_bytes(camt053(IBAN, [Line(D(2025, 5, 10), Decimal("25.00"), "REF-9", naam, omschrijving)],
                                  Decimal("10000.00"), D(2025, 5, 10)))
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    loaded = read_ledger(ledger)
    assert len(loaded.options_map["include"]) == 1  # the ledger itself, nothing included
    [line] = [e for e in loaded.entries if isinstance(e, data.Transaction) and e.meta.get("bank-ref") == "REF-9"]
    assert "include" in line.payee and "Activa:Stiekem" in line.narration  # the text, as text
    assert not any(getattr(e, "account", "") == "Activa:Stiekem" for e in loaded.entries)
    assert not any(isinstance(e, data.Custom) and e.type == "fava-option" and e.values[0].value == "import-config"
                   for e in loaded.entries)
    assert bean_errors(ledger) == []
