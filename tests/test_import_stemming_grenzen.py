"""Imports and votes at their edges (issue 21, item 10): no statement unchecked unannounced,
plan names as plans, plans dated inside the budget's life.

Each refusal leaves the ledger byte-identical; each accepted write is committed with what it said.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

from ledger.evaluatie.loading import read_ledger
from ledger.importers.stemming import Kandidaat, UitslagFout, kies_plannen, lees_uitslag
from tests.dagelijks_helpers import IBAN, cli, folder_digest, gebruiker, make_ledger

import pytest


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def _repo(tmp_path: Path) -> Path:
    ledger = make_ledger(tmp_path / "ws" / "b")
    root = tmp_path / "ws"
    gebruiker(root, "Henk")  # the person the commands run as (tests.dagelijks_helpers.cli)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=Test", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    return ledger


CSV_ZONDER_SALDO = ("rekening;datum;bedrag;tegenpartij;omschrijving;referentie\n"
                    f"{IBAN};2025-03-02;-12,50;Bakker;Brood;R-0001\n")


def test_statement_without_closing_balance_is_refused_unless_said(tmp_path: Path):
    ledger = _repo(tmp_path)
    statement = tmp_path / "afschrift.csv"
    statement.write_text(CSV_ZONDER_SALDO, encoding="utf-8")
    before, head = folder_digest(ledger.parent.parent), _git(ledger.parent, "rev-parse", "HEAD")

    refused = cli("import", str(ledger), str(statement))
    assert refused.returncode != 0
    assert "geen eindsaldo" in refused.stderr and "--zonder-saldo" in refused.stderr
    assert str(statement) in refused.stderr and "Traceback" not in refused.stderr
    assert folder_digest(ledger.parent.parent) == before
    assert _git(ledger.parent, "rev-parse", "HEAD") == head

    done = cli("import", str(ledger), str(statement), "--zonder-saldo")
    assert done.returncode == 0, done.stderr
    assert "LET OP" in done.stdout and "geen eindsaldo" in done.stdout
    message = _git(ledger.parent, "log", "-1", "--format=%B")
    assert "LET OP" in message and "geen eindsaldo" in message
    assert 'bank-ref: "R-0001"' in ledger.read_text(encoding="utf-8")


def test_camt_statement_without_clbd_is_refused_unless_said(tmp_path: Path):
    import datetime
    import re

    from tests.dagelijks_helpers import Line, camt053

    ledger = _repo(tmp_path)
    xml = camt053(IBAN, [Line(datetime.date(2025, 3, 2), Decimal("-12.50"), "R-0002", "Bakker", "Brood")],
                  Decimal("10000.00"), datetime.date(2025, 3, 3)).decode()
    zonder = re.sub(r"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd>.*?</Bal>", "", xml)
    assert "CLBD" in xml and "CLBD" not in zonder
    statement = tmp_path / "afschrift.xml"
    statement.write_text(zonder, encoding="utf-8")
    before, head = folder_digest(ledger.parent.parent), _git(ledger.parent, "rev-parse", "HEAD")

    refused = cli("import", str(ledger), str(statement))
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "geen eindsaldo" in refused.stderr and "--zonder-saldo" in refused.stderr
    assert folder_digest(ledger.parent.parent) == before
    assert _git(ledger.parent, "rev-parse", "HEAD") == head
    assert _git(ledger.parent, "status", "--porcelain") == ""

    done = cli("import", str(ledger), str(statement), "--zonder-saldo")
    assert done.returncode == 0, done.stderr
    assert "LET OP" in done.stdout and "geen eindsaldo" in done.stdout
    assert "geen eindsaldo" in _git(ledger.parent, "log", "-1", "--format=%B")
    assert 'bank-ref: "R-0002"' in ledger.read_text(encoding="utf-8")
    assert _git(ledger.parent, "status", "--porcelain") == ""


def test_vote_names_match_plans_whatever_their_case_and_accents(tmp_path: Path):
    view = read_ledger(make_ledger(tmp_path / "b")).view  # Speeltuin and Groen are declared
    keuze = kies_plannen(view, [Kandidaat("SPEELTUIN", "S", Decimal("10"), 5, 2),
                                Kandidaat("Speeltuín", "S", Decimal("10"), 4, 3),
                                Kandidaat("Bankjes", "B", Decimal("10"), 3, 4)])
    assert [(k.kandidaat.plan, k.gekozen) for k in keuze.keuzes] == [
        ("SPEELTUIN", False), ("Speeltuín", False), ("Bankjes", True)]
    assert "al gedeclareerd in de ledger (Speeltuin)" in keuze.keuzes[0].reden


def test_one_plan_twice_in_a_vote_file_whatever_its_case(tmp_path: Path):
    uitslag = tmp_path / "u.csv"
    uitslag.write_text("plan,titel,bedrag,stemmen\nfeest,Feest,100,3\nFEEST,Feest,100,4\n", encoding="utf-8")
    with pytest.raises(UitslagFout, match=r"u\.csv:3: plan 'FEEST' staat er al op regel 2"):
        lees_uitslag(uitslag)


def test_vote_without_datum_after_the_period_is_refused(tmp_path: Path):
    ledger = _repo(tmp_path)  # the period ends 2025-12-31; today is later
    uitslag = tmp_path / "u.csv"
    uitslag.write_text("plan,titel,bedrag,stemmen\nbankjes,Bankjes,100,3\n", encoding="utf-8")
    before = folder_digest(ledger.parent.parent)
    refused = cli("plannen", "stemming", str(ledger), str(uitslag))
    assert refused.returncode != 0
    assert "buiten de looptijd" in refused.stderr and "--datum" in refused.stderr
    assert folder_digest(ledger.parent.parent) == before
    refused = cli("plannen", "stemming", str(ledger), str(uitslag), "--datum", "2026-01-05")
    assert refused.returncode != 0 and "buiten de looptijd" in refused.stderr
    assert folder_digest(ledger.parent.parent) == before
    done = cli("plannen", "stemming", str(ledger), str(uitslag), "--datum", "2025-03-01")
    assert done.returncode == 0, done.stderr
    assert '2025-03-01 custom "plan" Uitgaven:Plannen:Bankjes' in ledger.read_text(encoding="utf-8")
