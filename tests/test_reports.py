"""Statements, overviews and their PDFs, read back with pypdf.

Real ledgers on disk, real beancount loads with `plugin "rules"`, real
WeasyPrint PDFs. Every figure the PDF shows is compared with the view.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from buurtbudget_admin.cli import main
from ledger.buurtbudget.money import format_eur, format_percentage
from reports.context import build_statement
from reports.labels import EN, NL
from reports.overview import build_overview
from reports.render import overview_html, render_overview, render_statement, statement_html
from reports.tier import accountability_tier
from tests.books import write_books

import rules

BODY = """
include "q2.beancount"

2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 4000.00 EUR
  status: "gekozen"
  indiener: "Bewonersgroep Kraaiennest"
2025-02-01 custom "plan" Expenses:Plannen:Groen "Groen in de straat" 2000.00 EUR

2025-03-10 * "Bouwmarkt Zuidoost" "Verf en hout voor de speeltuin"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   412.50 EUR
  Assets:Bank:Betaalrekening

2025-03-12 * "Tuincentrum" "Bloembollen"
  document: "bon.pdf"
  Expenses:Plannen:Groen:Materiaal   99.95 EUR
  Assets:Bank:Betaalrekening

2025-03-20 * "Bouwmarkt Zuidoost" "Retour verf"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   -12.50 EUR
  Assets:Bank:Betaalrekening

2025-04-01 * "Administratiekantoor" "Ondersteuning Q1"
  document: "bon.pdf"
  Expenses:Ondersteuning:Administratie   300.00 EUR
  Assets:Bank:Betaalrekening

2025-04-02 * "Slijter" "Drank"
  Expenses:Plannen:Speeltuin:Alcohol   50.00 EUR
  Assets:Bank:Betaalrekening
"""

Q2 = """
2025-05-15 * "Klusbedrijf De Buurt" "Hekwerk speeltuin"
  document: "bon.pdf"
  goedgekeurd-door: "Sanne"
  ingevoerd-door: "Henk"
  Expenses:Plannen:Speeltuin:Inhuur   1250.00 EUR
  Assets:Bank:Betaalrekening
"""

HOSTILE = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "<script>alert('plan')</script>" 4000.00 EUR
  indiener: "<b>vet</b> & <i>schuin</i>"

2025-03-10 * "{long}" "<script>alert(1)</script> verf"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   10.00 EUR
  Assets:Bank:Betaalrekening

2025-03-11 * "مؤسسة الحي" "שלום — Ünïcödé ✓ 漢字 \u202eevil\u202c {words}"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
  Assets:Bank:Betaalrekening
""".replace("{long}", "Zeer" + "Lang" * 500).replace("{words}", "heel lange omschrijving " * 60)


def _write(directory: Path, body: str = BODY, extra: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (extra or {}).items():
        (directory / name).write_text(text, encoding="utf-8")
    return write_books(directory, body)


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("books") / "testbuurt-2025", extra={"q2.beancount": Q2})


@pytest.fixture(scope="module")
def statement(ledger):
    return build_statement(ledger)


@pytest.fixture(scope="module")
def rendered(statement) -> tuple[bytes, int]:
    return render_statement(statement)


@pytest.fixture(scope="module")
def pages(rendered) -> list[str]:
    return _text(rendered[0])


def _page_with(pages: list[str], heading: str) -> str:
    found = [p for p in pages if p.lstrip().startswith(heading)]
    assert found, f"no page starts with {heading!r}"
    return _squash(found[0])


# --------------------------------------------------------------- tier


@pytest.mark.parametrize("award, tier", [
    ("0.00", 1), ("4999.99", 1), ("5000.00", 2), ("5000.01", 2), ("49999.99", 2), ("50000.00", 2),
    ("50000.01", 3), ("124999.99", 3), ("125000.00", 4), ("600000.00", 4),
])
def test_accountability_tier_boundaries(award, tier):
    assert accountability_tier(Decimal(award)).number == tier


# --------------------------------------------------------------- the statement's figures


def test_statement_date_is_the_last_entry_not_today(statement):
    assert statement.statement_date == datetime.date(2025, 5, 15)
    assert statement.view.peildatum == datetime.date(2025, 5, 15)


def test_summary_figures_equal_the_view(statement, pages):
    v = statement.view
    page = _page_with(pages, NL["summary"])
    expected = [
        (NL["awarded"], format_eur(v.award)),
        (NL["received"], format_eur(v.received)),
        (NL["spent"], format_eur(v.spent)),
        (NL["plan-costs"], format_eur(v.plan_costs)),
        (NL["support-costs"], format_eur(v.support_costs)),
        (NL["support-pct"], format_percentage(v.support_costs, v.award)),
        (NL["committed"], format_eur(v.committed)),
        (NL["open-claims"], format_eur(v.open_claims)),
        (NL["remaining"], format_eur(v.remaining)),
    ]
    for label, figure in expected:
        assert re.search(re.escape(label) + r" " + re.escape(figure) + r"(?![\d,])", page), (label, figure, page)
    assert f"{format_eur(v.ceiling)} ({NL['within-ceiling']})" in page
    # The period has not ended on the statement date: nothing to repay yet.
    assert not v.period_ended and f"{NL['to-repay']} {NL['not-ended']} 31 december 2025" in page
    assert f"{format_eur(v.spent)}" == "€ 2.099,95"  # 412.50 + 99.95 - 12.50 + 300 + 50 + 1250


def test_plan_figures_equal_the_view(statement, pages, rendered):
    page = _page_with(pages, NL["plans"])
    assert len(statement.view.plans) == 2
    for p in statement.view.plans:
        row = f"{p.titel} {p.status} {format_eur(p.budget)} {format_eur(p.costs)} " \
              f"{format_percentage(p.costs, p.budget)} {format_eur(p.remaining)}"
        assert row in page, (row, page)
        # Costs per category: the plan's categories on one line (wrapping), then its costs.
        categories = " · ".join(f"{category} {format_eur(amount)}" for category, amount in p.costs_by_category)
        assert f"{categories} {format_eur(p.costs)}" in page, (categories, page)
    # The chart is vector drawing inside the page, no image files.
    reader = PdfReader(io.BytesIO(rendered[0]))
    for page_obj in reader.pages:
        assert not page_obj.images


def test_annex_lists_every_booking_with_subtotals_per_plan(statement, pages):
    annex = _squash(" ".join(p for p in pages if NL["annex"] in p))
    v = statement.view
    assert len(v.cost_lines) == 6
    for line in v.cost_lines:
        assert f"{line.narration}" in annex and format_eur(line.amount) in annex
    for p in v.plans:
        assert f"{NL['subtotal']}: {p.titel} {format_eur(p.costs)}" in annex
    assert f"{NL['subtotal']}: {NL['support']} {format_eur(v.support_costs)}" in annex
    assert f"{NL['total']} {format_eur(v.spent)}" in annex
    assert "15 mei 2025" in annex and "bon.pdf" in annex
    # A signature block for both parties.
    tail = _squash(pages[-1])
    assert NL["sign-beheerder"] in tail and NL["sign-auditor"] in tail


def test_every_rule_has_a_verdict_with_dated_violations(statement, pages, ledger):
    page = _page_with(pages, NL["rules"])
    assert [r.code for r in statement.verdicts] == [rule.CODE for rule in rules.ALL_RULES]
    for verdict in statement.verdicts:
        outcome = NL["passed"] if verdict.passed else f"{NL['failed']} ({len(verdict.violations)})"
        assert f"{verdict.code} {verdict.title} {outcome}" in page
    failed = {r.code for r in statement.verdicts if not r.passed}
    assert failed == {"BB-CATEGORIE", "BB-BON"}
    lineno = ledger.read_text(encoding="utf-8").splitlines().index('2025-04-02 * "Slijter" "Drank"') + 1
    assert re.search(r"BB-CATEGORIE 2 april 2025 .*main\.beancount:" + str(lineno), page)
    assert re.search(r"BB-BON 2 april 2025 .*main\.beancount:" + str(lineno), page)
    assert "kader (standaard)" in page and "Materiaal, Activiteiten" in page


def test_tier_is_stated(statement, pages):
    page = _page_with(pages, NL["summary"])
    assert statement.tier.number == 2
    assert _squash(NL["tier-2"]) in page and NL["tier-note"] in page


# --------------------------------------------------------------- archival quality


def test_cover_hash_is_the_hash_of_the_sources(ledger, pages):
    main_file, q2, bon = ledger, ledger.parent / "q2.beancount", ledger.parent / "bon.pdf"
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (main_file, q2)}
    combined = hashlib.sha256("".join(f"{digests[n]}  {n}\n" for n in sorted(digests)).encode()).hexdigest()
    cover = re.sub(r"\s+", "", pages[0])
    for digest in digests.values():
        assert digest in cover
    assert combined in cover
    # Page 1: one hash over the sources and the receipts, as sha256sum prints them sorted by name.
    out = subprocess.run("sha256sum bon.pdf main.beancount q2.beancount | sha256sum", shell=True, cwd=ledger.parent,
                         capture_output=True, text=True, check=True).stdout
    everything = out.split()[0]
    assert everything in re.sub(r"\s+", "", pages[0])
    assert "buurtbudget verifieer" in pages[0] and "3 bestanden (2 bronbestanden, 1 bon(nen))" in _squash(pages[0])
    # The sources alone, with standard tools, as the cover explains.
    out = subprocess.run("sha256sum main.beancount q2.beancount | sha256sum", shell=True, cwd=ledger.parent,
                         capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == combined
    assert hashlib.sha256(bon.read_bytes()).hexdigest() != combined


def test_sources_receipts_and_manifest_are_attached(rendered, ledger):
    reader = PdfReader(io.BytesIO(rendered[0]))
    attachments = reader.attachments
    assert sorted(attachments) == ["bon.pdf", "main.beancount", "q2.beancount", "verantwoording.json"]
    assert attachments["main.beancount"][0] == ledger.read_bytes()
    assert attachments["q2.beancount"][0] == (ledger.parent / "q2.beancount").read_bytes()
    assert attachments["bon.pdf"][0] == (ledger.parent / "bon.pdf").read_bytes()
    # PDF/A-3: each embedded file says what it is (MIME type) and how it relates to the PDF, once.
    specs = [spec.get_object() for spec in reader.trailer["/Root"]["/AF"]]
    assert len(specs) == 4
    kinds = {str(spec["/UF"]): (spec["/AFRelationship"], spec["/EF"]["/F"].get_object()["/Subtype"]) for spec in specs}
    assert kinds == {
        "main.beancount": ("/Source", "/text/plain"),
        "q2.beancount": ("/Source", "/text/plain"),
        "bon.pdf": ("/Supplement", "/application/pdf"),
        "verantwoording.json": ("/Supplement", "/application/json"),
    }
    for spec in specs:
        if str(spec["/UF"]) != "verantwoording.json":
            content = attachments[str(spec["/UF"])][0]
            assert spec["/Desc"] == f"SHA-256 {hashlib.sha256(content).hexdigest()}"


def test_pdfa_3a_and_metadata(rendered, statement):
    reader = PdfReader(io.BytesIO(rendered[0]))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert xmp.pdfaid_part == "3" and xmp.pdfaid_conformance == "A"
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid" in raw
    assert reader.trailer["/Root"]["/OutputIntents"]  # sRGB output intent
    info = reader.metadata
    assert info.title == "Verantwoording buurtbudget: Buurtbudget Testbuurt 2025"
    assert info.author == "Stadsdeel West"
    assert "Testbuurt, West, 2025-01-01 – 2025-12-31" in info.subject
    assert info["/CreationDate"].startswith("D:20250515")  # the statement date, not the clock
    assert rendered[1] == len(reader.pages)


def test_two_renders_are_byte_identical(ledger, rendered, tmp_path):
    # A new load, a new render, and the files touched in between: the same bytes.
    os.utime(ledger, (1_000_000_000, 1_000_000_000))
    again, _ = render_statement(build_statement(ledger))
    assert again == rendered[0]
    # Another process with another hash seed, on a copy of the books elsewhere: the same bytes.
    import shutil
    import sys

    copy = tmp_path / "elders" / ledger.parent.name
    shutil.copytree(ledger.parent, copy)
    out = tmp_path / "elders.pdf"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "buurtbudget_admin", "report", str(copy), "-o", str(out)],
                   check=True, env=env, capture_output=True)
    assert out.read_bytes() == rendered[0]


# The subprocess reports which subsetting path WeasyPrint takes (it picks HarfBuzz-Subset when the
# library loads and is at least 4.1.0, else fontTools); "fonttools" switches the library off first.
_RENDER_IN_PROCESS = """
import sys
import weasyprint.pdf.fonts as fonts
if sys.argv[1] == "fonttools":
    fonts.harfbuzz_subset = None
used = "harfbuzz" if fonts.harfbuzz_subset and fonts.harfbuzz.hb_version_atleast(4, 1, 0) else "fonttools"
print("subset:", used, file=sys.stderr)
from buurtbudget_admin.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("backend", ["harfbuzz", "fonttools"])
def test_byte_identical_across_processes_time_and_font_backends(ledger, rendered, tmp_path, backend):
    """Two processes started seconds apart give the same bytes, on either font-subsetting path.

    fontTools stamps a subset with the current time unless SOURCE_DATE_EPOCH is set; the
    renderer sets it to the statement date while it writes.
    """
    import sys
    import time

    outputs = []
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    for n in range(2):
        if n:
            time.sleep(2.2)  # a later second: a clock in the bytes would show
        out = tmp_path / f"{backend}-{n}.pdf"
        r = subprocess.run([sys.executable, "-c", _RENDER_IN_PROCESS, backend, "report", str(ledger), "-o", str(out)],
                           env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert f"subset: {backend}" in r.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    if backend == "harfbuzz":
        assert outputs[0] == rendered[0]
    else:  # the other path really ran: its subsets differ from HarfBuzz's
        assert outputs[0] != rendered[0]


# --------------------------------------------------------------- the dossier


def _annotations(reader: PdfReader) -> list[tuple[int, dict]]:
    return [(n, a.get_object()) for n, page in enumerate(reader.pages) for a in (page.get("/Annots") or [])]


def test_annex_receipt_cells_open_their_embedded_file(rendered, statement, pages):
    reader = PdfReader(io.BytesIO(rendered[0]))
    attached = [(n, a) for n, a in _annotations(reader) if a["/Subtype"] == "/FileAttachment"]
    # Every booking with a receipt has one (bon.pdf: five bookings); each points at the embedded file.
    with_receipt = [l for l in statement.view.cost_lines if l.documents]
    assert len(with_receipt) == 5
    assert len(attached) >= len(with_receipt)
    annex_pages = {n for n, text in enumerate(pages) if NL["annex"] in text}
    embedded = {str(spec.get_object()["/UF"]): spec.get_object() for spec in reader.trailer["/Root"]["/AF"]}
    for n, annot in attached:
        assert n in annex_pages
        spec = annot["/FS"].get_object()
        assert str(spec["/UF"]) == "bon.pdf"
        assert spec.indirect_reference == embedded["bon.pdf"].indirect_reference  # stored once, not per link
        assert annot["/Contents"] == "Bon: bon.pdf" and annot["/F"] == 4 and "/AP" in annot
    # No link is left pointing at a URI of ours.
    for _n, annot in _annotations(reader):
        assert "/A" not in annot or "/URI" not in annot["/A"]


def test_tagged_structure_language_and_table_headers(rendered):
    reader = PdfReader(io.BytesIO(rendered[0]))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nl"
    assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 - pypdf's BooleanObject
    kinds: dict[str, int] = {}
    scopes: dict[str, int] = {}
    annot_parents = 0
    seen = set()
    stack = [root["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        obj = node.get_object() if hasattr(node, "get_object") else node
        if not isinstance(obj, dict) or id(obj) in seen:
            continue
        seen.add(id(obj))
        tag = obj.get("/S")
        if tag:
            kinds[tag] = kinds.get(tag, 0) + 1
            if tag == "/Figure":  # the chart's bars say what they show
                assert obj.get("/Alt"), obj
            if tag == "/TH":
                scopes[obj["/A"]["/Scope"]] = scopes.get(obj["/A"]["/Scope"], 0) + 1
            if tag == "/Annot":
                annot_parents += 1
        kids = obj.get("/K")
        if kids is not None:
            stack.extend(kids if isinstance(kids, list) else [kids])
    for tag in ("/Document", "/H1", "/H2", "/P", "/Table", "/THead", "/TBody", "/TR", "/TH", "/TD", "/Link", "/Annot",
                "/Figure"):
        assert kinds.get(tag), (tag, kinds)
    # Column headers in table heads, row headers in the label/value tables of page 1 and the summary.
    assert scopes.get("/Column", 0) >= 5 and scopes.get("/Row", 0) >= 10, scopes
    assert annot_parents >= 5  # each receipt's annotation is in the structure as an Annot


def test_english_statement_says_so_to_a_screen_reader(ledger):
    pdf, _ = render_statement(build_statement(ledger, taal="en"))
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    page = _squash(reader.pages[0].extract_text())
    assert f"{EN['rules-verdict']}: 2 {EN['violations-count']} (BB-CATEGORIE, BB-BON)" in page


def test_page_one_is_the_verdict(statement, pages):
    v = statement.view
    page = _squash(pages[0])
    for label, figure in [
        (NL["awarded"], format_eur(v.award)),
        (NL["received"], format_eur(v.received)),
        (NL["spent"], format_eur(v.spent)),
        (NL["plan-costs"], format_eur(v.plan_costs)),
        (NL["support-costs"], format_eur(v.support_costs)),
        (NL["support-pct"], format_percentage(v.support_costs, v.award)),
        (f"{NL['ceiling']} (8%)", format_eur(v.ceiling)),
        (NL["remaining"], format_eur(v.remaining)),
    ]:
        assert f"{label} {figure}" in page, (label, figure, page)
    # The verdict of the rules in one line, with the count and where they are listed.
    rules_page = next(n for n, text in enumerate(pages, start=1) if text.lstrip().startswith(NL["rules"]))
    assert (f"Regels: 2 overtreding(en) (BB-CATEGORIE, BB-BON); zie Toetsing aan de regels, pagina {rules_page}"
            in page)
    assert "Verantwoordingsniveau (richtlijn) € 5.000 t/m € 50.000" in page
    assert "15 mei 2025" in page and "Fase: uitvoering" in page and "Testbuurt · West" in page
    assert f"{NL['to-repay']} {NL['not-ended']} 31 december 2025" in page


def test_missing_receipts_are_listed_and_the_light_version_embeds_none(tmp_path):
    body = BODY.replace('2025-04-01 * "Administratiekantoor" "Ondersteuning Q1"\n  document: "bon.pdf"',
                        '2025-04-01 * "Administratiekantoor" "Ondersteuning Q1"\n  document: "weg/factuur-q1.pdf"')
    assert body != BODY
    path = _write(tmp_path / "testbuurt-2025", body, extra={"q2.beancount": Q2})
    statement = build_statement(path)
    assert [m.value for m in statement.receipts.missing] == ["weg/factuur-q1.pdf"]
    pdf, _ = render_statement(statement)
    texts = [_squash(t) for t in _text(pdf)]
    assert "1 bon(nen) ontbreken" in texts[0]
    receipts_page = next(t for t in texts if "Ontbrekende bonnen (1)" in t)
    assert "1 april 2025 Administratiekantoor · Ondersteuning Q1 weg/factuur-q1.pdf main.beancount:" in receipts_page
    assert any("weg/factuur-q1.pdf (ontbreekt)" in t for t in texts if NL["annex"] in t)
    assert any(r.code == "BB-BON" and "weg/factuur-q1.pdf" in x.message for r in statement.verdicts for x in r.violations)

    light = build_statement(path, bonnen=False)
    pdf, _ = render_statement(light)
    reader = PdfReader(io.BytesIO(pdf))
    assert sorted(reader.attachments) == ["main.beancount", "q2.beancount", "verantwoording.json"]
    assert not [a for _n, a in _annotations(reader) if a["/Subtype"] == "/FileAttachment"]
    assert "Lichte versie" in reader.pages[0].extract_text()


def test_page_one_reads_well_as_a_picture(rendered, tmp_path):
    """Page 1 drawn by poppler: an A4 page with ink in its upper half (the verdict) and white margins."""
    from PIL import Image

    pdf = tmp_path / "v.pdf"
    pdf.write_bytes(rendered[0])
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    width, height = image.size
    assert abs(height / width - 297 / 210) < 0.02
    dark = lambda box: image.crop(box).point(lambda px: 255 if px < 128 else 0).histogram()[255]
    assert dark((0, 0, width, height // 2)) > 2000  # title, verdict and figures
    assert dark((0, 0, width // 20, height)) == 0 and dark((width - width // 20, 0, width, height)) == 0


def test_page_header_footer_and_headings(pages):
    assert "Pagina 1 van" in pages[0]
    total = len(pages)
    for n, page in enumerate(pages[1:], start=2):
        assert f"Pagina {n} van {total}" in page
        assert "Testbuurt · West" in page  # the buurt's name in the running header


def test_repeated_table_header_and_unsplit_rows(tmp_path):
    # 150 bookings: the annex spans pages; every annex page repeats the column headers.
    lines = ['2025-02-01 custom "plan" Expenses:Plannen:Groen "Groen" 9000.00 EUR\n']
    for i in range(150):
        day = datetime.date(2025, 3, 1) + datetime.timedelta(days=i % 200)
        lines.append(f'{day} * "Tuincentrum {i}" "Plantjes {i}"\n  document: "bon.pdf"\n'
                     f'  Expenses:Plannen:Groen:Materiaal   {10 + i}.00 EUR\n  Assets:Bank:Betaalrekening\n')
    path = _write(tmp_path / "groot-2025", "\n".join(lines))
    statement = build_statement(path)
    pdf, count = render_statement(statement)
    texts = _text(pdf)
    annex_pages = [t for t in texts if "Plantjes" in t]
    assert len(annex_pages) >= 3
    header = f"{NL['date']} {NL['payee']} · {NL['description']} {NL['category']} {NL['amount']} {NL['receipt']}"
    for text in annex_pages:
        assert header in _squash(text)
    for text in annex_pages[1:]:  # a continued plan is named in the running header
        assert f"{NL['annex']} · Groen" in text
    # Each booking is on exactly one page: no row is split over two.
    for i in range(150):
        assert sum(f"Plantjes {i} " in _squash(t) + " " for t in annex_pages) == 1
    assert not _overflows(statement_html(statement))


# --------------------------------------------------------------- hostile text


def _overflows(html: str) -> list[str]:
    """Boxes whose right edge passes the page's right margin (a table that overflows the page)."""
    document = HTML(string=html).render()
    found = []

    def walk(box):
        yield box
        for child in getattr(box, "children", None) or []:
            if not isinstance(child, boxes.MarginBox):
                yield from walk(child)

    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        right = page_box.margin_width() - page_box.margin_right
        for box in walk(page_box):
            if box is page_box:
                continue
            if box.border_box_x() + box.border_width() > right + 0.5:
                found.append(f"page {number}: {type(box).__name__} {getattr(box, 'text', '')[:30]!r}")
    return found


def test_hostile_text_renders_as_text_without_breaking_the_layout(tmp_path):
    path = _write(tmp_path / "vijandig-2025", HOSTILE)
    statement = build_statement(path)
    html = statement_html(statement)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>vet</b>" not in html
    pdf, count = render_statement(statement)
    text = _squash(" ".join(_text(pdf)))
    assert "<script>alert(1)</script> verf" in text
    assert "<script>alert('plan')</script>" in text
    assert "<b>vet</b> & <i>schuin</i>" in text
    assert "Ünïcödé ✓" in text and "שלום" in text
    assert "[U+6F22][U+5B57]" in text  # no font here draws 漢字: named, never a .notdef box
    assert count <= 8, count
    assert not _overflows(html)
    # The payee of 2,004 characters is shortened in the table; the ledger itself is attached whole.
    assert PdfReader(io.BytesIO(pdf)).attachments["main.beancount"][0] == path.read_bytes()


# --------------------------------------------------------------- options


def test_english_labels(ledger):
    statement = build_statement(ledger, taal="en")
    pdf, _ = render_statement(statement)
    pages = _text(pdf)
    summary = _page_with(pages, EN["summary"])
    assert f"{EN['awarded']} {format_eur(statement.view.award)}" in summary
    assert "15 May 2025" in _squash(pages[0]) and "Page 1 of" in pages[0]
    assert PdfReader(io.BytesIO(pdf)).metadata.title.startswith(EN["statement"])


def test_tot_limits_the_statement_and_its_verdicts(ledger):
    statement = build_statement(ledger, tot=datetime.date(2025, 3, 31))
    v = statement.view
    assert statement.statement_date == datetime.date(2025, 3, 31)
    assert v.spent == Decimal("499.95") and len(v.cost_lines) == 3
    # The alcohol of 2 April is after the statement: no violation in it.
    assert all(r.passed for r in statement.verdicts), [x for r in statement.verdicts for x in r.violations]
    html = statement_html(statement)
    assert "31 maart 2025" in html and "Drank" not in html


def test_a_stadsdeel_brings_its_own_logo_and_colours(tmp_path):
    workspace = tmp_path / "werkruimte"
    path = _write(workspace / "testbuurt-2025")
    own = workspace / "sjablonen" / "West"
    own.mkdir(parents=True)
    (own / "kleuren.html").write_text('{% set hoofd = "#00aa55" %}{% set accent = "#000000" %}'
                                      '{% set licht = "#eeeeee" %}{% set budget = "#999999" %}'
                                      '{% set kosten = "#00aa55" %}{% set over = "#aa0000" %}'
                                      '{% set tekst = "#111111" %}', encoding="utf-8")
    (own / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                                  '<rect width="40" height="20" fill="#00aa55"/></svg>', encoding="utf-8")
    statement = build_statement(path)
    html = statement_html(statement)
    assert "#00aa55" in html and "#004699" not in html
    assert 'src="data:image/svg+xml;base64,' in html
    # --sjablonen comes first, before the stadsdeel's folder.
    first = tmp_path / "eigen"
    first.mkdir()
    (first / "huisstijl.css").write_text("h1 { letter-spacing: 1pt; }", encoding="utf-8")
    html = statement_html(statement, sjablonen=first)
    assert "letter-spacing: 1pt" in html and "#00aa55" in html
    # The compiled templates are kept per process; a file added to a folder later is still seen.
    (first / "kleuren.html").write_text('{% set hoofd = "#123456" %}{% set accent = "#000000" %}'
                                        '{% set licht = "#eeeeee" %}{% set budget = "#999999" %}'
                                        '{% set kosten = "#123456" %}{% set over = "#aa0000" %}'
                                        '{% set tekst = "#111111" %}', encoding="utf-8")
    html = statement_html(statement, sjablonen=first)
    assert "#123456" in html and "#00aa55" not in html
    pdf, _ = render_statement(statement, sjablonen=first)
    assert PdfReader(io.BytesIO(pdf)).xmp_metadata.pdfaid_part == "3"


# --------------------------------------------------------------- overview


def test_overview_of_a_workspace_in_parallel(tmp_path):
    workspace = tmp_path / "werkruimte"
    _write(workspace / "a-buurt-2025", extra={"q2.beancount": Q2})
    b_path = _write(workspace / "b-buurt-2025", BODY.replace('include "q2.beancount"', "")
                    .replace('"Slijter" "Drank"', '"Bakker" "Brood"\n  document: "bon.pdf"').replace("Alcohol", "Materiaal"))
    b_path.write_text(b_path.read_text(encoding="utf-8").replace('stadsdeel: "West"', 'stadsdeel: "Zuidoost"'),
                      encoding="utf-8")
    bad = workspace / "c-kapot-2025"
    bad.mkdir()
    (bad / "main.beancount").write_bytes(b"\x00\x01 geen ledger")
    sequential = build_overview(workspace, workers=1, progress=False)
    parallel = build_overview(workspace, workers=2, progress=False)
    assert sequential == parallel
    assert [r.folder for r in parallel.rows] == ["a-buurt-2025", "b-buurt-2025", "c-kapot-2025"]
    a, b, c = parallel.rows
    single = build_statement(workspace / "a-buurt-2025")
    assert (a.award, a.spent, a.support_costs, a.to_repay) == (
        single.view.award, single.view.spent, single.view.support_costs, single.view.to_repay)
    assert len(a.violations) == 2 and not b.violations
    assert c.error and "c-kapot-2025/main.beancount" in c.error and "binair" in c.error
    assert parallel.total_award == a.award + b.award
    pdf, _ = render_overview(parallel)
    text = _squash(" ".join(_text(pdf)))
    assert f"{NL['totals']} {format_eur(a.award + b.award)} {format_eur(a.spent + b.spent)}" in text
    assert "a-buurt-2025/main.beancount:68" in text.replace(" ", "") and NL["unreadable"] in text
    reader = PdfReader(io.BytesIO(pdf))
    assert sorted(reader.attachments) == ["a-buurt-2025/main.beancount", "a-buurt-2025/q2.beancount",
                                          "b-buurt-2025/main.beancount"]
    assert reader.xmp_metadata.pdfaid_part == "3"
    assert render_overview(parallel)[0] == pdf
    assert not _overflows(overview_html(parallel))
    only = build_overview(workspace, stadsdeel="Zuidoost", workers=1, progress=False)
    assert [r.folder for r in only.rows] == ["b-buurt-2025", "c-kapot-2025"]  # the unreadable one is never hidden


# --------------------------------------------------------------- commands


def test_report_commands(tmp_path, ledger, capsys):
    out = tmp_path / "uit" / "verantwoording.pdf"
    assert main(["report", str(ledger.parent), "-o", str(out), "--tot", "2025-12-31"]) == 0
    reader = PdfReader(out)
    assert reader.xmp_metadata.pdfaid_part == "3"
    assert "31 december 2025" in reader.pages[0].extract_text()
    said = capsys.readouterr().out
    assert "Verantwoording geschreven" in said and "2 overtreding(en)" in said
    # The period has ended on --tot 2026-01-31: what is unspent is to be repaid.
    statement = build_statement(ledger, tot=datetime.date(2026, 1, 31))
    assert statement.view.to_repay == statement.view.award - statement.view.spent
    html = statement_html(statement)
    assert re.search(re.escape(NL["to-repay"]) + r"</th>\s*<td[^>]*>" + re.escape(format_eur(statement.view.to_repay)), html)
    assert main(["report", str(ledger), "-o", str(out), "--taal", "fr"]) == 2
    assert main(["report", str(ledger), "-o", str(out), "--tot", "31-12-2025"]) == 2
    assert main(["report", str(tmp_path / "bestaat-niet"), "-o", str(out)]) == 2
    assert main(["report", str(ledger), "-o", str(tmp_path)]) == 2
    assert main(["report", str(ledger), "-o", str(out), "--sjablonen", str(tmp_path / "geen")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--taal 'fr' onbekend" in err and "bestand bestaat niet" in err
    assert main(["report-stadsdeel", str(tmp_path / "leeg"), "-o", str(out)]) == 2
    assert "geen map" in capsys.readouterr().err


# --------------------------------------------------------------- the demo workspace


def test_demo_statement_and_overview_render(tmp_path):
    from buurtbudget_admin.demo import write_demo_workspace

    workspace = tmp_path / "demo"
    ledgers = write_demo_workspace(workspace)
    baarsjes = next(p for p in ledgers if p.parent.name == "de-baarsjes-2025")
    statement = build_statement(baarsjes)
    assert statement.violation_count > 0  # the demo's deliberate violations
    pdf, count = render_statement(statement)
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.xmp_metadata.pdfaid_part == "3" and "main.beancount" in reader.attachments
    assert not _overflows(statement_html(statement))
    target = tmp_path / "baarsjes.pdf"
    target.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "20", "-png", "-f", "1", "-l", "1", str(target), str(tmp_path / "p")],
                   check=True)
    assert list(tmp_path.glob("p-*1.png"))
    out = tmp_path / "overzicht.pdf"
    assert main(["report-stadsdeel", str(workspace), "-o", str(out), "--werkers", "2"]) == 0
    text = _squash(" ".join(page.extract_text() for page in PdfReader(out).pages))
    for path in ledgers:
        assert path.parent.name in text
