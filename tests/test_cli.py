"""`buurtbudget init` and `buurtbudget check` as a user runs them: real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.books import write_books

BIN = Path(sys.executable).parent


def buurtbudget(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "buurtbudget_admin", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=120,
    )


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "File \"" not in proc.stderr


CLEAN = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

2025-03-10 * "Bouwmarkt" "Hout"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   412.50 EUR
  Assets:Bank:Betaalrekening
"""

FAULTY = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 100.00 EUR

2025-03-10 * "Bouwmarkt" "Hout"
  Expenses:Plannen:Speeltuin:Materiaal   412.50 EUR
  Assets:Bank:Betaalrekening

2025-03-11 * "Bouwmarkt" "Scheef"
  Expenses:Plannen:Speeltuin:Materiaal   10.00 EUR
  Assets:Bank:Betaalrekening   -9.00 EUR

2025-03-12 * "Bouwmarkt" "Onbekende rekening"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Gereedschap   10.00 EUR
  Assets:Bank:Betaalrekening
"""


def test_check_clean_ledger_exits_0(tmp_path: Path):
    path = write_books(tmp_path, CLEAN)
    proc = buurtbudget("check", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "1 ledger(s) gecontroleerd: geen problemen"


def test_check_violations_exit_1_and_print_file_line_code(tmp_path: Path):
    path = write_books(tmp_path, FAULTY)
    proc = buurtbudget("check", path)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    problems, summary = lines[:-1], lines[-1]
    for line in problems:
        filename, lineno, rest = line.split(":", 2)
        assert filename == str(path)
        assert int(lineno) > 0
        assert rest.startswith(" BB-") or rest.startswith(" BC-")
    codes = {line.split(": ", 1)[1].split(" ", 1)[0] for line in problems}
    assert {"BB-PLAN", "BB-BON", "BC-VALIDATIE"} <= codes  # unbalanced and unopened account too
    assert any("niet in evenwicht" in line for line in problems)
    assert any("niet geopend" in line for line in problems)
    assert summary.startswith("1 ledger(s) gecontroleerd:")
    assert_no_traceback(proc)


def test_check_json(tmp_path: Path):
    path = write_books(tmp_path, FAULTY)
    proc = buurtbudget("check", "--format", "json", path)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    problems = report["ledgers"][0]["problemen"]
    assert {p["code"] for p in problems} >= {"BB-PLAN", "BB-BON"}
    assert all(p["bestand"] == str(path) and p["regel"] > 0 for p in problems)
    assert report["status"] == 1


def test_check_unreadable_file_exits_2(tmp_path: Path):
    proc = buurtbudget("check", tmp_path / "bestaat-niet.beancount")
    assert proc.returncode == 2
    assert "bestand bestaat niet" in proc.stdout
    assert_no_traceback(proc)


def test_check_binary_file_is_not_beancount(tmp_path: Path):
    path = tmp_path / "foto.beancount"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    proc = buurtbudget("check", path)
    assert proc.returncode == 2
    assert "geen tekstbestand" in proc.stdout
    assert_no_traceback(proc)


def test_check_text_that_is_not_beancount(tmp_path: Path):
    path = tmp_path / "boodschappen.txt"
    path.write_text("melk\nbrood\n<html>kaas</html>\n", encoding="utf-8")
    proc = buurtbudget("check", path)
    assert proc.returncode == 2
    assert "is geen beancount-ledger" in proc.stdout
    assert_no_traceback(proc)


def test_check_several_ledgers_worst_status_wins(tmp_path: Path):
    clean = write_books(tmp_path / "a", CLEAN)
    faulty = write_books(tmp_path / "b", FAULTY)
    assert buurtbudget("check", clean, faulty).returncode == 1
    assert buurtbudget("check", clean, faulty, tmp_path / "c.beancount").returncode == 2


def test_check_accepts_a_buurtbudget_folder(tmp_path: Path):
    write_books(tmp_path, CLEAN)
    assert buurtbudget("check", tmp_path).returncode == 0


@pytest.mark.parametrize(
    "body, expected",
    [
        ("", "geen kop"),
        ('2025-01-01 custom "buurtbudget" "X"\n  stadsdeel: "West"\n  buurt: "B"\n  model: "B"\n'
         "  begin: 2025-12-31\n  einde: 2025-01-01\n", "ligt vóór begin"),
        ('2025-01-01 custom "buurtbudget" "X"\n  stadsdeel: "West"\n  buurt: "B"\n  model: "Z"\n'
         "  begin: 2025-01-01\n  einde: 2025-12-31\n", "onbekend model 'Z'"),
    ],
    ids=["no-header", "einde-before-begin", "unknown-model"],
)
def test_bad_header_gives_a_clear_error(tmp_path: Path, body: str, expected: str):
    path = write_books(tmp_path, 'option "operating_currency" "EUR"\nplugin "rules"\n' + body, prefix=None)
    before = path.read_bytes()
    proc = buurtbudget("check", path)
    assert proc.returncode == 1
    assert f"{path}:" in proc.stdout and "BB-HEADER" in proc.stdout and expected in proc.stdout
    assert path.read_bytes() == before
    assert_no_traceback(proc)


def test_non_eur_cost_gives_a_clear_error(tmp_path: Path):
    path = write_books(tmp_path, """
    2025-01-01 open Assets:Bank:Dollar USD
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

    2025-04-01 * "Webshop" "Spelmateriaal"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   30.00 USD
      Assets:Bank:Dollar
    """)
    proc = buurtbudget("check", path)
    assert proc.returncode == 1
    assert "BB-VALUTA" in proc.stdout and "30.00 USD" in proc.stdout
    assert_no_traceback(proc)


def test_bean_check_shows_the_same_coded_errors(tmp_path: Path):
    path = write_books(tmp_path, FAULTY)
    ours = buurtbudget("check", path)
    theirs = subprocess.run([str(BIN / "bean-check"), str(path)], capture_output=True, text=True,
                            env={**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"}, timeout=120)
    assert theirs.returncode == 1
    ours_bb = sorted(l for l in ours.stdout.splitlines() if ": BB-" in l)
    theirs_bb = sorted(l for l in (theirs.stdout + theirs.stderr).splitlines() if ": BB-" in l)
    assert ours_bb and ours_bb == theirs_bb


def test_check_without_plugin_line_still_runs_the_rules(tmp_path: Path):
    path = write_books(tmp_path, FAULTY, plugin="beancount.plugins.noduplicates")
    proc = buurtbudget("check", path)
    assert proc.returncode == 1
    assert "BB-PLAN" in proc.stdout and "BB-BON" in proc.stdout


# --- init ------------------------------------------------------------------

INIT = ["--stadsdeel", "Zuidoost", "--buurt", "K-buurt", "--model", "C", "--begin", "2025-01-01",
        "--einde", "2025-12-31", "--toekenning", "25.000,00", "--beschikking", "ZO-2025-017",
        "--iban", "NL91ABNA0417164300", "--beheerder", "Stichting Voorbeeld"]


def test_init_writes_a_valid_dutch_ledger(tmp_path: Path):
    target = tmp_path / "k-buurt-2025"
    proc = buurtbudget("init", target, *INIT)
    assert proc.returncode == 0, proc.stderr
    ledger = target / "main.beancount"
    assert (target / "documents").is_dir()
    text = ledger.read_text(encoding="utf-8")
    assert 'option "name_expenses" "Uitgaven"' in text and 'plugin "rules"' in text
    assert 'custom "fava-option" "language" "nl"' in text
    assert 'beschikking: "ZO-2025-017"' in text
    check = buurtbudget("check", ledger)
    assert check.returncode == 0, check.stdout
    from ledger.evaluatie.loading import read_ledger

    view = read_ledger(ledger).view
    assert str(view.award) == "25000.00"
    assert view.header.stadsdeel == "Zuidoost" and view.header.model == "C"
    assert view.beschikkingen == ("ZO-2025-017",)


def test_init_refuses_to_overwrite(tmp_path: Path):
    target = tmp_path / "k-buurt-2025"
    assert buurtbudget("init", target, *INIT).returncode == 0
    before = (target / "main.beancount").read_bytes()
    proc = buurtbudget("init", target, *INIT)
    assert proc.returncode == 1
    assert "bestaat al" in proc.stderr
    assert (target / "main.beancount").read_bytes() == before


@pytest.mark.parametrize(
    "change, expected",
    [
        (("--model", "D"), "onbekend model 'D'"),
        (("--einde", "2024-12-31"), "ligt vóór begin"),
        (("--toekenning", "12,5,0"), "geen geldig bedrag"),
        (("--toekenning", "-5"), "negatief"),
        (("--begin", "1 januari"), "geen datum"),
        (("--iban", "NL00ABNA0000000000"), "IBAN"),
    ],
)
def test_init_bad_input(tmp_path: Path, change: tuple[str, str], expected: str):
    args = list(INIT)
    args[args.index(change[0]) + 1] = change[1]
    target = tmp_path / "nieuw"
    proc = buurtbudget("init", target, *args)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert not (target / "main.beancount").exists()
    assert_no_traceback(proc)


def test_check_a_workspace_checks_every_buurtbudget(tmp_path: Path):
    write_books(tmp_path / "a-2025", CLEAN)
    write_books(tmp_path / "b-2025", FAULTY)
    proc = buurtbudget("check", tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1].startswith("2 ledger(s) gecontroleerd:")
    assert str(tmp_path / "b-2025" / "main.beancount") in proc.stdout


@pytest.mark.parametrize(
    "args, expected",
    [
        (("chek",), "onbekende opdracht 'chek'"),
        (("check", "--kleur", "x"), "onbekende optie: --kleur"),
        (("init", "x", "--stadsdeel", "West"), "optie ontbreekt"),
    ],
)
def test_usage_errors_are_dutch_and_exit_2(args, expected):
    proc = buurtbudget(*args)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert_no_traceback(proc)
    assert "interne fout" not in proc.stderr
