"""The whole claim cycle and the bank import from the command line, on the demo workspace."""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from ledger.betalingen.batches import SCHEMA_PATH
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import Line, bean_check, camt053, cli, digest, receipt

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def test_claim_cycle_and_import_on_the_demo_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    assert cli("demo", str(ws), door=None).returncode == 0
    ledger = ws / "k-buurt-2025"
    assert bean_check(ledger / "main.beancount").returncode == 0
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-06-02", "--declarant", "Fatima el Amrani",
            "--iban", "NL02ABNA0123456789", "--bedrag", "64,20", "--plan", "Moestuin", "--categorie", "Materiaal",
            "--omschrijving", "bloembollen", "--bon", str(receipt(tmp_path)), door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    waiting = [p.link for p in read_ledger(ledger).view.payables if p.status == "ingediend"]
    assert "decl-2025-017" in waiting
    for link in waiting:
        r = cli("declaratie", "goedkeuren", str(ledger), link, door="Joyce Sedney")
        assert r.returncode == 0, r.stderr
    out = tmp_path / "betaling.xml"
    assert cli("betaal", str(ledger), "-o", str(out), "--datum", "2025-12-30").returncode == 0
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(out))
    doc = etree.parse(str(out))
    transfers = [(tx.findtext(".//p:EndToEndId", namespaces=NS), Decimal(tx.findtext(".//p:InstdAmt", namespaces=NS)),
                  tx.findtext(".//p:Cdtr/p:Nm", namespaces=NS)) for tx in doc.findall(".//p:CdtTrfTxInf", NS)]
    assert sorted(t[0] for t in transfers) == sorted(waiting)
    view = read_ledger(ledger).view
    day = datetime.date(2025, 12, 31)
    lines = [Line(day, -amount, f"DEMO-{i}", name, "Uitbetaling", e2e) for i, (e2e, amount, name) in enumerate(transfers)]
    lines.append(Line(day, Decimal("-12.50"), "DEMO-X", "ING", "Kosten"))
    statement = tmp_path / "afschrift.xml"
    statement.write_bytes(camt053(view.header.iban, lines, view.bank_balance, day))
    r = cli("import", str(ledger), str(statement), door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    assert all(p.status == "betaald" for p in read_ledger(ledger).view.payables if p.link in waiting)
    before = digest(ledger / "main.beancount")
    assert cli("import", str(ledger), str(statement), door="Henk Bakker").returncode == 0
    assert digest(ledger / "main.beancount") == before
    assert bean_check(ledger / "main.beancount").returncode == 0
    assert cli("check", str(ledger), door=None).returncode == 0
    # The demo's de-baarsjes-2025 holds deliberate faults; no test leaves an invalid ledger behind.
    shutil.rmtree(ws / "de-baarsjes-2025")


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield


def test_the_demo_is_a_workspace_its_users_can_write_even_inside_a_repository_that_ignores_it(tmp_path: Path) -> None:
    """As `scripts/opzetten.sh` makes it: demo-werkruimte/ inside the project, which .gitignore lists."""
    import re
    import subprocess

    from buurtbudget_admin.service.users import UserStore, load_users, users_path

    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".gitignore").write_text("/demo-werkruimte/\n", encoding="utf-8")
    ws = project / "demo-werkruimte"
    r = cli("demo", str(ws), door=None)
    assert r.returncode == 0, r.stderr
    passwords = dict(re.findall(r"^  (\w+) \([^)]*\): (\S+)$", r.stdout, re.M))
    assert set(passwords) == {"henk", "joyce", "stadsdeel"}
    users = load_users(users_path(ws))
    assert {(u.name, u.persoon, u.role, u.ledgers) for u in users.values()} == {
        ("henk", "Henk Bakker", "beheerder", ("*",)), ("joyce", "Joyce Sedney", "beheerder", ("*",)),
        ("stadsdeel", "Marieke de Graaf", "auditor", ())}
    store = UserStore(users_path(ws))
    assert all(store.authenticate(login, pw) is not None for login, pw in passwords.items())
    assert not any(pw in users_path(ws).read_text(encoding="utf-8") for pw in passwords.values())

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ws), *args], capture_output=True, text=True, check=True).stdout

    assert git("rev-parse", "--show-toplevel").strip() == str(ws.resolve())
    assert git("status", "--porcelain") == ""  # everything committed; gebruikers.toml kept out
    assert "gebruikers.toml" not in git("ls-files")
    r = cli("boek", str(ws / "k-buurt-2025"), "--datum", "2025-06-03", "--bedrag", "12,50", "--plan", "Moestuin",
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Touw",
            "--bon", str(receipt(tmp_path)), door="joyce", gebruikers=False)
    assert r.returncode == 0, r.stderr
    assert git("log", "-1", "--format=%an|%s").strip().startswith("Joyce Sedney|")
    assert git("status", "--porcelain") == ""
    assert 'ingevoerd-door: "Joyce Sedney"' in (ws / "k-buurt-2025" / "main.beancount").read_text(encoding="utf-8")
    shutil.rmtree(ws / "de-baarsjes-2025")  # its deliberate faults; no test leaves an invalid ledger
