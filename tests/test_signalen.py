"""Signals by planting: two ledgers with each pattern planted and near-misses beside them.

The test asserts exactly the planted signals (code and the bookings' lines),
run through the real `buurtbudget signalen --format json` over a workspace of
real files: receipts (PDFs with their own dates, a photo saved twice with
different metadata), a rules file with thresholds.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from tests.books import PLAN_ACCOUNTS, BASE_ACCOUNTS, standard

ACCOUNTS = BASE_ACCOUNTS + PLAN_ACCOUNTS
PENVOERDER = "Stichting Penvoering West"
PENVOERDER_IBAN = "NL44RABO0123456789"
EIGEN_IBAN = "NL91ABNA0417164300"  # the header's iban in tests/books.py


def _pdf(marker: str, created: str | None = None) -> bytes:
    info = f"/CreationDate (D:{created}000000)" if created else ""
    return f"%PDF-1.4\n% {marker}\n1 0 obj << {info} >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n".encode()


def _png(note: str) -> bytes:
    image = Image.new("RGB", (8, 8), (200, 30, 30))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", note)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def cost(date, payee, narration, amount, plan="Speeltuin", receipt=None, meta=(), category="Materiaal"):
    lines = [f'{date} * "{payee}" "{narration}"', f'  document: "{receipt or narration + ".pdf"}"',
             '  ingevoerd-door: "Henk Bakker"']
    if amount >= 500:
        lines.append('  goedgekeurd-door: "Joyce Sedney"')
    lines += [f'  {k}: "{v}"' for k, v in meta]
    lines += [f"  Expenses:Plannen:{plan}:{category}   {amount:.2f} EUR", "  Assets:Bank:Betaalrekening"]
    return "\n".join(lines) + "\n"


def claim(date, declarant, iban, narration, amount, link, receipt=None, approver="Joyce Sedney", meta=()):
    lines = [f'{date} * "{declarant}" "{narration}" ^{link}', f'  declarant: "{declarant}"', f'  iban: "{iban}"',
             "  prive: TRUE", f'  document: "{receipt or link + ".pdf"}"', '  ingevoerd-door: "Henk Bakker"',
             f'  goedgekeurd-door: "{approver}"']
    lines += [f'  {k}: "{v}"' for k, v in meta]
    lines += [f"  Expenses:Plannen:Groen:Materiaal   {amount:.2f} EUR", "  Liabilities:Declaraties"]
    return "\n".join(lines) + "\n"


def invoice(date, payee, iban, narration, amount, link):
    return (f'{date} * "{payee}" "{narration}" ^{link}\n  iban: "{iban}"\n  document: "{link}.pdf"\n'
            '  ingevoerd-door: "Henk Bakker"\n  goedgekeurd-door: "Joyce Sedney"\n'
            f"  Expenses:Ondersteuning:Administratie   {amount:.2f} EUR\n  Liabilities:Crediteuren\n")


PLANS = ('2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 6000.00 EUR\n  status: "gekozen"\n'
         '2025-02-01 custom "plan" Expenses:Plannen:Groen "Groen" 2000.00 EUR\n  status: "gekozen"\n'
         '2025-02-01 custom "plan" Expenses:Plannen:Buurtfeest "Buurtfeest" 2000.00 EUR\n  status: "gekozen"\n')

# Ledger A: the penvoerder's own ledger, where most patterns are planted.
LEDGER_A = [
    PLANS,
    invoice("2025-02-10", PENVOERDER, PENVOERDER_IBAN, "Handelingskosten februari", 300, "fact-2025-001"),
    # SIG-BON-DUBBEL (same bytes, two names) across two bookings:
    cost("2025-03-01", "Bouwmarkt Noord", "Hout speeltuin", 120, receipt="hout-a.pdf"),
    # SIG-BEDRAG (plan): six ordinary speeltuin costs and one far above them.
    *(cost(f"2025-03-{10 + i:02d}", f"Leverancier {i}", f"Speeltuin klein {i}", 100 + i) for i in range(6)),
    cost("2025-03-20", "Speeltoestellen BV", "Speeltuin groot toestel", 4000),
    # SIG-BEDRAG (round, just under the threshold):
    cost("2025-04-20", "Klusbedrijf Rond", "Rond bedrag", 480, plan="Buurtfeest", category="Catering"),
    # SIG-GESPLITST: three payments to one payee in five days, each under 500, together 600.
    cost("2025-05-01", "Drukkerij Snel", "Flyers deel 1", 200, plan="Buurtfeest", category="Catering"),
    cost("2025-05-03", "Drukkerij Snel", "Flyers deel 2", 200, plan="Buurtfeest", category="Catering"),
    cost("2025-05-05", "Drukkerij Snel", "Flyers deel 3", 200, plan="Buurtfeest", category="Catering"),
    # SIG-EIGEN-IBAN (budget's own account) for a claim:
    claim("2025-06-01", "Kees Visser", EIGEN_IBAN, "Declaratie: lampen", 45, "decl-2025-001"),
    # SIG-EIGEN-IBAN (the penvoerder's account) + SIG-IBAN-NAMEN (one IBAN, two names):
    claim("2025-06-02", "Jan Jansen", PENVOERDER_IBAN, "Declaratie: zaden", 35, "decl-2025-002"),
    # SIG-DUBBEL: the same claim twice (other receipt, same description):
    claim("2025-06-03", "Ria de Boer", "NL02ABNA0123456789", "Declaratie: potgrond", 25, "decl-2025-003"),
    claim("2025-06-03", "Ria de Boer", "NL02ABNA0123456789", "Declaratie: potgrond", 25, "decl-2025-004"),
    # SIG-NIEUWE-IBAN: Ria's next claim goes to another account, without a word.
    claim("2025-06-20", "Ria de Boer", "NL18RABO0300065264", "Declaratie: gieter", 15, "decl-2025-005"),
    # SIG-BON-DATUM: a receipt made 17 months before the booking.
    claim("2025-07-01", "Piet Hein", "NL20INGB0001234567", "Declaratie: oude bon", 18, "decl-2025-006",
          receipt="oud.pdf"),
    # SIG-BON-DUBBEL by image: one photo saved twice with different metadata.
    claim("2025-07-02", "Mo Ali", "NL39RABO0300065264", "Declaratie: foto 1", 12, "decl-2025-007",
          receipt="foto-1.png"),
    claim("2025-07-09", "Noor Ali", "NL56INGB0705001234", "Declaratie: foto 2", 14, "decl-2025-008",
          receipt="foto-2.png"),
    # Near-miss: two coffees of the same price on one day, at two places, each its own receipt.
    claim("2025-08-01", "Sanne Bakker", "NL71RABO0123456780", "Declaratie: koffie Cafe Noord", 3.5,
          "decl-2025-009"),
    claim("2025-08-01", "Sanne Bakker", "NL71RABO0123456780", "Declaratie: koffie Cafe Zuid", 3.5,
          "decl-2025-010"),
    # Near-miss: Sanne's IBAN changes once, with a note.
    claim("2025-09-01", "Sanne Bakker", "NL86INGB0002445588", "Declaratie: thee", 4.5, "decl-2025-011",
          meta=(("iban-wijziging", "nieuwe bank, brief van 20 augustus"),)),
]

# Ledger B: Joyce Sedney approves in A and declares here (SIG-ZELF); the receipt of A's hout is reused.
LEDGER_B = [
    PLANS,
    claim("2025-04-01", "Joyce Sedney", "NL12ABNA0555555555", "Declaratie: verf", 60, "decl-2025-001",
          approver="Henk Bakker"),
    cost("2025-04-02", "Bouwmarkt Noord", "Hout bankjes", 120, receipt="hout-b.pdf"),
]

RECEIPTS_A = {"hout-a.pdf": _pdf("hout", "20250301"), "oud.pdf": _pdf("oud", "20240201"),
              "foto-1.png": _png("eerste keer"), "foto-2.png": _png("tweede keer")}
RECEIPTS_B = {"hout-b.pdf": _pdf("hout", "20250301")}


def _write(folder: Path, bookings: list[str], receipts: dict[str, bytes], meta: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "documents").mkdir()
    text = standard(header_meta=meta, accounts=ACCOUNTS) + "\n" + "\n".join(bookings)
    (folder / "main.beancount").write_text(text, encoding="utf-8")
    import re

    for name in re.findall(r'document: "([^"]+)"', text):
        (folder / "documents" / name).write_bytes(receipts.get(name, _pdf(f"{folder.name}/{name}")))
    return folder / "main.beancount"


@pytest.fixture(scope="module")
def werkruimte(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("signalen")
    _write(root / "buurt-a", LEDGER_A, RECEIPTS_A, {"beheerder": PENVOERDER})
    _write(root / "buurt-b", LEDGER_B, RECEIPTS_B, {})
    return root


def _line(ledger: Path, marker: str) -> str:
    """file:line of the one booking whose first line holds `marker` (a narration or a link)."""
    lines = ledger.read_text(encoding="utf-8").splitlines()
    (n,) = [i + 1 for i, line in enumerate(lines) if marker in line and line[:1].isdigit()]
    return f"{ledger}:{n}"


def _approved_by(ledger: Path, name: str) -> list[str]:
    lines = ledger.read_text(encoding="utf-8").splitlines()
    start, found = 0, []
    for i, line in enumerate(lines):
        if line[:1].isdigit():
            start = i + 1
        elif line.strip() == f'goedgekeurd-door: "{name}"':
            found.append(f"{ledger}:{start}")
    return found


def _signalen(root: Path, *paths: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "buurtbudget_admin", "signalen", *map(str, paths or [root]),
                             "--format", "json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_exactly_the_planted_signals(werkruimte: Path):
    a, b = werkruimte / "buurt-a" / "main.beancount", werkruimte / "buurt-b" / "main.beancount"
    found = sorted((s["code"], tuple(s["plekken"])) for s in _signalen(werkruimte)["signalen"])
    expected = sorted([
        ("SIG-BON-DUBBEL", (_line(a, "Hout speeltuin"), _line(b, "Hout bankjes"))),
        ("SIG-BON-DUBBEL", (_line(a, "^decl-2025-007"), _line(a, "^decl-2025-008"))),
        ("SIG-BEDRAG", (_line(a, "Speeltuin groot toestel"),)),
        ("SIG-BEDRAG", (_line(a, "Rond bedrag"),)),
        ("SIG-GESPLITST", (_line(a, "Flyers deel 1"), _line(a, "Flyers deel 2"), _line(a, "Flyers deel 3"))),
        ("SIG-EIGEN-IBAN", (_line(a, "^decl-2025-001"),)),
        ("SIG-EIGEN-IBAN", (_line(a, "^decl-2025-002"),)),
        ("SIG-IBAN-NAMEN", (_line(a, "^fact-2025-001"), _line(a, "^decl-2025-002"))),
        ("SIG-DUBBEL", (_line(a, "^decl-2025-003"), _line(a, "^decl-2025-004"))),
        ("SIG-NIEUWE-IBAN", (_line(a, "^decl-2025-004"), _line(a, "^decl-2025-005"))),
        ("SIG-BON-DATUM", (_line(a, "^decl-2025-006"),)),
        # Joyce Sedney declares in buurt-b and approves in buurt-a: her claim and all her approvals there.
        ("SIG-ZELF", tuple(sorted([*_approved_by(a, "Joyce Sedney"), _line(b, "^decl-2025-001")],
                                  key=lambda p: (p.split("/")[-2], int(p.rsplit(":", 1)[1]))))),
    ])
    zelf_found = [(code, tuple(sorted(p))) for code, p in found if code == "SIG-ZELF"]
    zelf_expected = [(code, tuple(sorted(p))) for code, p in expected if code == "SIG-ZELF"]
    assert [f for f in found if f[0] != "SIG-ZELF"] == [e for e in expected if e[0] != "SIG-ZELF"]
    assert zelf_found == zelf_expected


def test_severity_and_explanation_are_dutch(werkruimte: Path):
    result = _signalen(werkruimte)
    by_code = {s["code"]: s for s in result["signalen"]}
    assert by_code["SIG-BON-DUBBEL"]["ernst"] == "hoog"
    assert by_code["SIG-EIGEN-IBAN"]["ernst"] == "hoog"
    assert by_code["SIG-GESPLITST"]["ernst"] == "midden"
    assert by_code["SIG-BON-DATUM"]["ernst"] == "laag"
    assert "eigen rekening van het buurtbudget" in " ".join(
        s["uitleg"] for s in result["signalen"] if s["code"] == "SIG-EIGEN-IBAN")
    assert by_code["SIG-DUBBEL"]["links"] == ["decl-2025-003", "decl-2025-004"]


def test_one_ledger_alone_has_no_cross_ledger_signals(werkruimte: Path):
    codes = {s["code"] for s in _signalen(werkruimte, werkruimte / "buurt-a")["signalen"]}
    assert "SIG-ZELF" not in codes
    assert codes >= {"SIG-BON-DUBBEL", "SIG-DUBBEL", "SIG-GESPLITST"}


def test_thresholds_come_from_the_rules_file(tmp_path: Path, werkruimte: Path):
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(werkruimte, root)
    # In three days two flyers (1 and 3 May) stay under 500; a bon may be 600 days old in West.
    (root / "regels.toml").write_text("[signalen]\nvenster-dagen = 3\n\n[signalen.West]\nbon-datum-dagen = 600\n",
                                      encoding="utf-8")
    codes = [s["code"] for s in _signalen(root)["signalen"]]
    assert "SIG-BON-DATUM" not in codes and "SIG-GESPLITST" not in codes
    assert "SIG-BON-DUBBEL" in codes  # the other signals stay
    (root / "regels.toml").write_text("[signalen]\nvenster-dagen = 4\n", encoding="utf-8")
    codes = [s["code"] for s in _signalen(root)["signalen"]]
    assert "SIG-BON-DATUM" in codes and codes.count("SIG-GESPLITST") == 1


def test_bad_thresholds_are_a_dutch_error(tmp_path: Path, werkruimte: Path):
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(werkruimte, root)
    (root / "regels.toml").write_text('[signalen]\nvenster-dagen = "twee weken"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "buurtbudget_admin", "signalen", str(root)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "venster-dagen" in result.stderr and "regels.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_signals_never_block_and_change_nothing(werkruimte: Path):
    before = {p: p.read_bytes() for p in werkruimte.rglob("*") if p.is_file()}
    _signalen(werkruimte)
    assert {p: p.read_bytes() for p in werkruimte.rglob("*") if p.is_file()} == before
