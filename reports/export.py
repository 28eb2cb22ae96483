"""The annex of a statement as CSV or XLSX, safe to open in a spreadsheet.

One row per booking (cost line), in the order of the PDF's annex (per plan,
then support, other costs and costs in another currency). Text that a
spreadsheet could take for a formula (a cell starting with `=`, `+`, `-`, `@`,
a tab or a carriage return) gets a leading apostrophe, so it stays text.
Amounts are numbers we write ourselves, never ledger text.

CSV: `;`-separated, UTF-8 with a byte-order mark and a decimal comma, the way
a Dutch spreadsheet opens it. XLSX: sheet "Boekingen" plus sheet "Per plan"
with the view's subtotals; dates are dates, amounts are numbers; the file is
the same bytes for the same books (no clock: the statement date is used).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.buurtbudget.money import format_number
from reports.context import Statement

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = ("datum", "begunstigde", "omschrijving", "plan", "plantitel", "categorie", "rekening",
           "bedrag", "valuta", "bon", "regel")


def neutralize(value: Any) -> str:
    """Text that cannot become a formula: a leading `'` before = + - @ tab CR."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True, slots=True)
class ExportRow:
    date: datetime.date
    payee: str
    narration: str
    plan: str
    plan_title: str
    category: str
    account: str
    amount: Decimal
    currency: str
    receipts: str
    location: str

    def texts(self) -> list[str]:
        """The text cells, neutralized."""
        return [neutralize(v) for v in (self.payee, self.narration, self.plan, self.plan_title,
                                        self.category, self.account)]


def export_rows(statement: Statement) -> list[ExportRow]:
    rows: list[ExportRow] = []
    base = statement.ledger_path.parent
    for group in statement.annex:
        for line in group.lines:
            meta = line.posting.meta or line.entry.meta or {}
            filename = str(meta.get("filename", ""))
            try:
                rel = Path(filename).resolve().relative_to(base).as_posix()
            except ValueError:
                rel = filename
            rows.append(ExportRow(
                date=line.date,
                payee=line.payee or "",
                narration=line.narration or "",
                plan=(line.plan or "").split(":")[-1] if line.plan else "",
                plan_title=group.title if line.plan else "",
                category=line.category or "",
                account=line.account,
                amount=line.amount,
                currency=line.currency,
                receipts=", ".join(line.documents),
                location=f"{rel}:{meta.get('lineno', '')}",
            ))
    return rows


def to_csv(statement: Statement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in export_rows(statement):
        payee, narration, plan, title, category, account = row.texts()
        writer.writerow([row.date.isoformat(), payee, narration, plan, title, category, account,
                         format_number(row.amount), row.currency, neutralize(row.receipts), neutralize(row.location)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(statement: Statement) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    view = statement.view
    stamp = datetime.datetime.combine(statement.statement_date, datetime.time())
    wb = Workbook()
    wb.properties.creator = "buurtbudget-admin"
    wb.properties.title = f"Bijlage {view.title}"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.lastModifiedBy = "buurtbudget-admin"
    bold = Font(bold=True)

    ws = wb.active
    ws.title = "Boekingen"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = bold
    for row in export_rows(statement):
        payee, narration, plan, title, category, account = row.texts()
        ws.append([row.date, payee, narration, plan, title, category, account, row.amount, row.currency,
                   neutralize(row.receipts), neutralize(row.location)])
        r = ws.max_row
        ws.cell(r, 1).number_format = "yyyy-mm-dd"
        ws.cell(r, 8).number_format = "#,##0.00"
        for c in (2, 3, 4, 5, 6, 7, 9, 10, 11):
            ws.cell(r, c).data_type = "s"  # text, never a formula
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJK", (11, 28, 40, 16, 28, 14, 40, 12, 7, 30, 22)):
        ws.column_dimensions[letter].width = width

    per_plan = wb.create_sheet("Per plan")
    per_plan.append(["plan", "plantitel", "status", "budget", "kosten"])
    for cell in per_plan[1]:
        cell.font = bold
    for plan in view.plans:
        per_plan.append([neutralize(plan.name), neutralize(plan.titel), neutralize(plan.status), plan.budget, plan.costs])
    per_plan.append(["Ondersteuning", "", "", None, view.support_costs])
    if view.other_costs:
        per_plan.append(["Overig", "", "", None, view.other_costs])
    per_plan.append(["Totaal besteed", "", "", None, view.spent])
    for r in range(2, per_plan.max_row + 1):
        for c in (4, 5):
            per_plan.cell(r, c).number_format = "#,##0.00"
    for letter, width in zip("ABCDE", (18, 36, 14, 14, 14)):
        per_plan.column_dimensions[letter].width = width

    raw = io.BytesIO()
    wb.save(raw)
    return _fixed_zip_times(raw.getvalue(), statement.statement_date)


def _fixed_zip_times(data: bytes, day: datetime.date) -> bytes:
    """The same archive with every member dated `day`, so the bytes do not depend on the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + f"{day.isoformat()}T00:00:00Z".encode() + rb"\g<2>", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def export_annex(statement: Statement, fmt: str) -> bytes:
    if fmt == "csv":
        return to_csv(statement)
    if fmt == "xlsx":
        return to_xlsx(statement)
    raise ValueError(f"onbekend formaat '{fmt}'; kies csv of xlsx")
