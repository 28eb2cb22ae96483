"""The annex as CSV and XLSX: every booking, the view's amounts, and no formulas from ledger text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from buurtbudget_admin.cli import main
from reports.context import build_statement
from reports.export import FORMULA_STARTS, neutralize, to_csv, to_xlsx
from tests.books import write_books

HOSTILE = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "=HYPERLINK(\\"http://x\\",\\"klik\\")" 4000.00 EUR

2025-03-10 * "=cmd|' /C calc'!A0" "+31 6 1234 5678 gebeld"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   412.50 EUR
  Assets:Bank:Betaalrekening

2025-03-11 * "@SUM(A1:A9)" "-2+3 verf"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   99.95 EUR
  Assets:Bank:Betaalrekening

2025-03-12 * "\\tTab BV" "\\rRegel"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   10.00 EUR
  Assets:Bank:Betaalrekening

2025-03-20 * "Gewone Winkel" "Retour verf"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   -12.50 EUR
  Assets:Bank:Betaalrekening

2025-04-01 * "Administratiekantoor" "Ondersteuning"
  document: "bon.pdf"
  Expenses:Ondersteuning:Administratie   300.00 EUR
  Assets:Bank:Betaalrekening
"""


@pytest.fixture(scope="module")
def statement(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export") / "vijandig-2025"
    directory.mkdir()
    return build_statement(write_books(directory, HOSTILE))


@pytest.mark.parametrize("text, safe", [
    ("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("gewoon", "gewoon"), ("", ""), ("a=b", "a=b"), (None, ""),
])
def test_neutralize(text, safe):
    assert neutralize(text) == safe


def _is_safe(cell: str) -> bool:
    return not cell.startswith(FORMULA_STARTS)


def test_csv_has_every_booking_and_no_formula(statement):
    raw = to_csv(statement)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    view = statement.view
    assert len(rows) == len(view.cost_lines) == 5
    for row in rows:
        for key in ("begunstigde", "omschrijving", "plan", "plantitel", "categorie", "rekening", "bon", "regel"):
            assert _is_safe(row[key]), (key, row[key])
    payees = {row["begunstigde"] for row in rows}
    assert {"'=cmd|' /C calc'!A0", "'@SUM(A1:A9)", "'\tTab BV"} <= payees
    assert "'-2+3 verf" in {row["omschrijving"] for row in rows}
    assert rows[0]["plantitel"].startswith("'=HYPERLINK(")
    amounts = [Decimal(row["bedrag"].replace(",", ".")) for row in rows]
    assert sum(amounts) == view.spent
    assert "-12,50" in {row["bedrag"] for row in rows}  # our own number; a refund stays a number
    assert rows[0]["regel"].startswith("main.beancount:")


def test_xlsx_has_no_formula_and_the_view_subtotals(statement, tmp_path):
    data = to_xlsx(statement)
    assert data == to_xlsx(statement)  # the same books, the same bytes
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["Boekingen"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert all(_is_safe(t) for t in texts)
    assert "'=cmd|' /C calc'!A0" in texts
    amounts = [Decimal(str(row[7])) for row in ws.iter_rows(min_row=2, values_only=True)]
    assert sum(amounts) == statement.view.spent
    per_plan = {row[0]: row for row in wb["Per plan"].iter_rows(min_row=2, values_only=True)}
    plan = statement.view.plans[0]
    assert Decimal(str(per_plan["Speeltuin"][4])) == plan.costs
    assert Decimal(str(per_plan["Totaal besteed"][4])) == statement.view.spent
    # The raw sheet XML has no <f> element at all.
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")


def test_export_command(statement, tmp_path, capsys):
    ledger = statement.ledger_path
    before = ledger.read_bytes()
    out = tmp_path / "bijlage.csv"
    assert main(["export", str(ledger), "--format", "csv", "-o", str(out)]) == 0
    assert out.read_bytes() == to_csv(statement)
    assert main(["export", str(ledger), "--format", "xlsx", "-o", str(tmp_path / "b.xlsx")]) == 0
    assert main(["export", str(ledger), "--format", "ods", "-o", str(tmp_path / "b.ods")]) == 2
    assert "--format 'ods' onbekend" in capsys.readouterr().err
    assert ledger.read_bytes() == before
