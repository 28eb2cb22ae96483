"""Claims through their whole life, from the command line, on real files, real git and real XML."""

from __future__ import annotations

import datetime
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from ledger.betalingen.batches import SCHEMA_PATH
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import (
    FOREIGN_IBAN, IBAN, RESIDENT_IBAN, Line, bean_check, bean_errors, camt053, cli, digest, make_ledger, receipt,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def _submit(ledger: Path, tmp: Path, bedrag: str = "64,20", declarant: str = "Fatima el Amrani",
            omschrijving: str = "bloembollen") -> subprocess.CompletedProcess:
    return cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-02", "--declarant", declarant,
               "--iban", RESIDENT_IBAN, "--bedrag", bedrag, "--plan", "Groen", "--categorie", "Materiaal",
               "--omschrijving", omschrijving, "--bon", str(receipt(tmp, "Bon Bollen.PDF")))


def test_claim_life_cycle_submit_approve_pay_import(tmp_path: Path) -> None:
    ws = tmp_path / "werkruimte"
    ledger = make_ledger(ws / "testbuurt")
    _git(ws, "init", "-q")
    _git(ws, "-c", "user.name=t", "-c", "user.email=t@t", "add", "testbuurt/main.beancount")
    _git(ws, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "begin")

    # Submit: flag !, private, link, receipt copied under a dated name.
    r = _submit(ledger, tmp_path)
    assert r.returncode == 0, r.stderr
    ingediend = (tmp_path / "Bon Bollen.PDF").read_bytes()
    text = ledger.read_text(encoding="utf-8")
    assert '2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001' in text
    assert "  prive: TRUE" in text and f'  iban: "{RESIDENT_IBAN}"' in text
    assert '  document: "documents/2025-05-02-bon-bollen.pdf"' in text
    assert (ws / "testbuurt/documents/2025-05-02-bon-bollen.pdf").read_bytes() == ingediend
    view = read_ledger(ledger).view
    assert [(p.link, p.status) for p in view.payables] == [("decl-2025-001", "ingediend")]
    assert _git(ws, "log", "-1", "--format=%an|%s").startswith("Henk|Declaratie ^decl-2025-001 ingediend")

    # Nothing approved yet: nothing to pay, no file.
    out = tmp_path / "betaling.xml"
    r = cli("betaal", str(ledger), "-o", str(out))
    assert r.returncode == 0 and "Niets te betalen" in r.stdout and not out.exists()

    # Four eyes: neither who entered it nor the declarant may approve.
    before = digest(ledger)
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Henk")
    assert r.returncode != 0 and "vier-ogenprincipe" in r.stderr and digest(ledger) == before
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Fatima el Amrani")
    assert r.returncode != 0 and "declarant" in r.stderr and digest(ledger) == before
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Ria")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert '2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001\n  goedgekeurd-door: "Ria"' in text
    assert _git(ws, "log", "-1", "--format=%an|%s") == "Ria|Declaratie ^decl-2025-001 goedgekeurd door Ria\n"
    assert read_ledger(ledger).view.payables[0].status == "goedgekeurd"

    # SEPA: one transfer, EndToEndId = the link, debtor = the header's IBAN, valid pain.001.001.03.
    r = cli("betaal", str(ledger), "-o", str(out), "--datum", "2025-05-08")
    assert r.returncode == 0, r.stderr
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(out))
    doc = etree.parse(str(out))
    assert doc.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
    assert [e.text for e in doc.findall(".//p:EndToEndId", NS)] == ["decl-2025-001"]
    assert doc.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=NS) == "64.20"
    assert doc.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == RESIDENT_IBAN
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "64.20"

    # The bank statement that carries out the transfer, plus a line nobody booked yet.
    statement = tmp_path / "afschrift.xml"
    statement.write_bytes(camt053(IBAN, [
        Line(datetime.date(2025, 5, 9), Decimal("-64.20"), "B-0001", "Fatima el Amrani", "Declaratie", "decl-2025-001"),
        Line(datetime.date(2025, 5, 10), Decimal("25.00"), "B-0002", "Jan", "Bijdrage koffie"),
    ], opening=Decimal("10000.00"), closing_date=datetime.date(2025, 5, 10)))
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert 'bank-ref: "B-0001"' in text and 'bank-ref: "B-0002"' in text
    assert "2025-05-11 balance Activa:Bank:Betaalrekening" in text and "9960.80 EUR" in text
    loaded = read_ledger(ledger)
    (claim,) = loaded.view.payables
    assert claim.status == "betaald" and claim.payments[0].links == frozenset({"decl-2025-001"})
    onverwerkt = [e for e in loaded.entries if any(p.account == "Activa:Onverwerkt" for p in getattr(e, "postings", ()))]
    assert len(onverwerkt) == 1 and onverwerkt[0].meta["bank-ref"] == "B-0002"
    assert bean_errors(ledger) == []

    # The same statement again adds nothing: the file stays byte-identical, no commit.
    commits = _git(ws, "rev-list", "--count", "HEAD")
    before = digest(ledger)
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0 and "niets nieuws" in r.stdout
    assert digest(ledger) == before and _git(ws, "rev-list", "--count", "HEAD") == commits

    # Paid: nothing left to pay.
    out.unlink()
    r = cli("betaal", str(ledger), "-o", str(out))
    assert "Niets te betalen" in r.stdout and not out.exists()
    r = cli("declaratie", "lijst", str(ledger))
    assert "decl-2025-001" in r.stdout and "betaald" in r.stdout
    assert bean_check(ledger).returncode == 0


def test_rejection_stays_in_the_ledger_and_is_never_paid(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    assert _submit(ledger, tmp_path).returncode == 0
    assert _submit(ledger, tmp_path, "12,00", "Piet", "koffie").returncode == 0
    r = cli("declaratie", "afwijzen", str(ledger), "decl-2025-002", "--reden", "geen bon van de koffie",
            "--datum", "2025-05-03", door="Ria")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert '^decl-2025-002' in text and "#afgewezen" in text and 'afgewezen-reden: "geen bon van de koffie"' in text
    view = read_ledger(ledger).view
    status = {p.link: (p.status, p.rejection) for p in view.payables}
    assert status == {"decl-2025-001": ("ingediend", None), "decl-2025-002": ("afgewezen", "geen bon van de koffie")}
    assert view.plan("Groen").costs == Decimal("64.20")  # the rejected claim costs nothing
    # A rejected claim cannot be approved, and is not in a payment file.
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-002", door="Ria")
    assert r.returncode != 0 and "afgewezen" in r.stderr
    assert cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Ria").returncode == 0
    out = tmp_path / "p.xml"
    assert cli("betaal", str(ledger), "-o", str(out)).returncode == 0
    assert [e.text for e in etree.parse(str(out)).findall(".//p:EndToEndId", NS)] == ["decl-2025-001"]
    r = cli("declaratie", "lijst", str(ledger), "--status", "afgewezen")
    assert "decl-2025-002" in r.stdout and "decl-2025-001" not in r.stdout
    assert bean_check(ledger).returncode == 0


BAD_INPUT = [
    ("ongeldig IBAN", dict(iban="NL00ABNA0123456789"), "IBAN"),
    ("negatief bedrag", dict(bedrag="-5,00"), "negatief"),
    ("nul", dict(bedrag="0,00"), "groter dan nul"),
    ("12,5,0", dict(bedrag="12,5,0"), "geen geldig bedrag"),
    ("onbekend plan", dict(plan="Zwembad"), "onbekend plan 'Zwembad'"),
    ("datum buiten periode", dict(datum="2026-01-05"), "buiten de periode"),
    ("geen bonbestand", dict(bon="bestaat-niet.pdf"), "bestaat niet"),
    ("verboden categorie", dict(categorie="Alcohol"), "wordt nooit vergoed"),
    ("te veel decimalen", dict(bedrag="0,125"), "meer dan twee decimalen"),
    ("dubbelzinnig bedrag", dict(bedrag="1.234"), "dubbelzinnig"),
    ("geen datum", dict(datum="5 mei"), "geen datum"),
]


@pytest.mark.parametrize("label,override,expected", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_claim_input_gets_a_dutch_error_and_leaves_the_ledger_alone(tmp_path, label, override, expected) -> None:
    ledger = make_ledger(tmp_path / "b")
    receipt(tmp_path)
    args = dict(datum="2025-05-02", declarant="Fatima", iban=RESIDENT_IBAN, bedrag="64,20", plan="Groen",
                categorie="Materiaal", omschrijving="bollen", bon=str(tmp_path / "bon.pdf"))
    args.update(override)
    before = digest(ledger)
    flat = [x for k, v in args.items() for x in (f"--{k}", v)]
    r = cli("declaratie", "indienen", str(ledger), *flat)
    assert r.returncode != 0
    assert expected in r.stderr, r.stderr
    assert r.stderr.startswith("fout:") and "Traceback" not in r.stderr
    assert digest(ledger) == before
    assert sorted(p.name for p in (tmp_path / "b/documents").iterdir()) == []


def test_bad_booking_input_and_four_eyes_threshold(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    bon = receipt(tmp_path)
    base = ["boek", str(ledger), "--datum", "2025-03-10", "--plan", "Speeltuin", "--categorie", "Materiaal",
            "--begunstigde", "Bouwmarkt", "--omschrijving", "Verf", "--bon", str(bon)]
    before = digest(ledger)
    for bedrag, expected in (("-1", "negatief"), ("0", "groter dan nul"), ("12,5,0", "geen geldig bedrag")):
        r = cli(*base, "--bedrag", bedrag)
        assert r.returncode != 0 and expected in r.stderr and digest(ledger) == before
    # 750 euro out of the bank without a second person: the rule refuses it, nothing written.
    r = cli(*base, "--bedrag", "750,00")
    assert r.returncode == 1 and "BB-VIER-OGEN" in r.stderr and "geweigerd" in r.stderr
    assert digest(ledger) == before and list((tmp_path / "b/documents").iterdir()) == []
    # Over the plan's budget: BB-PLAN refuses it.
    r = cli(*base, "--bedrag", "5.000,01", "--goedgekeurd-door", "Ria")
    assert r.returncode == 1 and "BB-PLAN" in r.stderr and digest(ledger) == before
    # With a second person it is booked; amounts in every spelling.
    assert cli(*base, "--bedrag", "1.234,56", "--goedgekeurd-door", "Ria").returncode == 0
    assert cli(*base, "--bedrag", "12.50").returncode == 0
    text = ledger.read_text(encoding="utf-8")
    assert "Uitgaven:Plannen:Speeltuin:Materiaal   1234.56 EUR" in text and "12.50 EUR" in text
    assert "2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR" in text
    assert text.count('document: "documents/2025-03-10-bon') == 2  # two copies, two names
    assert read_ledger(ledger).view.plan("Speeltuin").costs == Decimal("1247.06")
    assert bean_check(ledger).returncode == 0


def test_invoice_to_pay_later_goes_into_the_payment_file(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    bon = receipt(tmp_path)
    r = cli("boek", str(ledger), "--datum", "2025-04-01", "--bedrag", "300", "--plan", "Speeltuin",
            "--categorie", "Inhuur", "--begunstigde", "Hovenier BV", "--omschrijving", "Snoeien",
            "--bon", str(bon), "--factuur-iban", "NL20INGB0001234567")
    assert r.returncode == 0, r.stderr
    assert "^fact-2025-001" in ledger.read_text(encoding="utf-8")
    assert cli("declaratie", "goedkeuren", str(ledger), "fact-2025-001", door="Ria").returncode == 0
    out = tmp_path / "p.xml"
    assert cli("betaal", str(ledger), "-o", str(out)).returncode == 0
    doc = etree.parse(str(out))
    assert [e.text for e in doc.findall(".//p:EndToEndId", NS)] == ["fact-2025-001"]
    assert doc.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == FOREIGN_IBAN
    assert bean_check(ledger).returncode == 0


def test_missing_user_is_refused(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    before = digest(ledger)
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door=None)
    assert r.returncode != 0 and "--door" in r.stderr and digest(ledger) == before


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield
