"""The kader is the stadsdeel's: fixed once the ledger exists, changed only by a reasoned command.

    2025-01-01 custom "buurtbudget" "Testbuurt 2025"
      stadsdeel: "West"
      ...
      ondersteuning-max: 0.10            ; set by `buurtbudget kader wijzigen`, with:
      kader-wijziging: "ondersteuning-max: (geen) -> 0.10"
      kader-reden: "besluit stadsdeel West, kenmerk W-2025-101"
      kader-door: "Joyce"

Every other write that alters the header's kader fields or the plugin lines is
refused by the writer, with every file byte-identical; the recorded change is
a notice in `check` and a line in the statement.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ledger.schrijver.schrijven import SchrijfFout, Wijziging, schrijf
from reports.context import build_statement
from rules.checking import check_ledger
from tests.dagelijks_helpers import cli, digest, make_ledger, receipt

REDEN = "besluit stadsdeel West, kenmerk W-2025-101"


@pytest.fixture()
def ledger(tmp_path: Path) -> Path:
    path = make_ledger(tmp_path / "ws" / "testbuurt-2025")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-C", str(tmp_path / "ws")]
    subprocess.run(["git", "init", "-q", str(tmp_path / "ws")], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "begin"], check=True)
    return path


def _replace_write(ledger: Path, old: str, new: str):
    text = ledger.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return schrijf(ledger, lambda _stand: Wijziging("met de hand", vervang=((ledger, text.replace(old, new)),)),
                   door="Henk")


@pytest.mark.parametrize("old,new,field", [
    ("  einde: 2025-12-31\n", "  einde: 2025-12-31\n  ondersteuning-max: 1\n", "ondersteuning-max"),
    ("  einde: 2025-12-31\n", "  einde: 2025-12-31\n  vier-ogen-vanaf: 100000000.00\n", "vier-ogen-vanaf"),
    ("  einde: 2025-12-31\n", "  einde: 2025-12-31\n  uurtarief-max: 500.00\n", "uurtarief-max"),
    ("  einde: 2025-12-31\n", "  einde: 2026-12-31\n", "einde"),
    ('  stadsdeel: "West"\n', '  stadsdeel: "Zuid"\n', "stadsdeel"),
    ('plugin "rules"\n', 'plugin "rules" "../regels.toml"\n', "plugin"),
    ('plugin "rules"\n', "", "plugin"),
])
def test_any_other_write_that_alters_the_kader_is_refused(ledger: Path, old: str, new: str, field: str):
    (ledger.parent.parent / "regels.toml").write_text("[kader]\n", encoding="utf-8")
    before = digest(ledger)
    with pytest.raises(SchrijfFout) as refused:
        _replace_write(ledger, old, new)
    assert f"{field}:" in str(refused.value) and "buurtbudget kader wijzigen" in str(refused.value)
    assert digest(ledger) == before


def test_the_header_s_other_fields_and_the_bookings_stay_writable(ledger: Path):
    result = _replace_write(ledger, '  buurt: "Testbuurt"\n', '  buurt: "Testbuurt-Oost"\n')
    assert result.gewijzigd


def test_the_command_changes_the_kader_records_why_and_the_auditor_sees_it(ledger: Path):
    # Without a reason the command does not start; with an empty one it refuses.
    assert cli("kader", "wijzigen", str(ledger), "--veld", "ondersteuning-max", "--waarde", "0.10").returncode != 0
    before = digest(ledger)
    r = cli("kader", "wijzigen", str(ledger), "--veld", "ondersteuning-max", "--waarde", "0.10", "--reden", "  ")
    assert r.returncode != 0 and "reden" in r.stderr and digest(ledger) == before

    r = cli("kader", "wijzigen", str(ledger), "--veld", "ondersteuning-max", "--waarde", "0,10", "--reden", REDEN,
            door="Joyce")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert ('  ondersteuning-max: 0.10\n  kader-wijziging: "ondersteuning-max: (geen) -> 0.10"\n'
            f'  kader-reden: "{REDEN}"\n  kader-door: "Joyce"\n') in text
    log = subprocess.run(["git", "-C", str(ledger.parent), "log", "-1", "--format=%an|%s|%b"], capture_output=True,
                         text=True).stdout
    assert log.startswith("Joyce|Kader gewijzigd: ondersteuning-max: (geen) -> 0.10|") and REDEN in log

    loaded, problems = check_ledger(ledger)
    assert loaded.view.ceiling == 1000 and not [p for p in problems if p.code == "BB-HEADER"]
    shown = cli("check", str(ledger))
    assert shown.returncode == 0, shown.stdout
    assert (f"melding: kader gewijzigd door Joyce: ondersteuning-max: (geen) -> 0.10 (reden: {REDEN})"
            in shown.stdout)
    as_json = json.loads(cli("check", str(ledger), "--format", "json").stdout)
    assert as_json["ledgers"][0]["meldingen"][0]["melding"].startswith("kader gewijzigd door Joyce")
    shown = cli("kader", "tonen", str(ledger))
    assert shown.returncode == 0 and "ondersteuning-max: 10% (plafond € 1.000,00)" in shown.stdout
    assert f"Gewijzigd door Joyce: ondersteuning-max: (geen) -> 0.10 (reden: {REDEN})" in shown.stdout
    statement = build_statement(ledger, bonnen=False)
    assert [(w.wijziging, w.reden, w.door) for w in statement.kaderwijzigingen] == [
        ("ondersteuning-max: (geen) -> 0.10", REDEN, "Joyce")]

    # A second change is recorded beside the first; the first record cannot be removed by hand.
    r = cli("kader", "wijzigen", str(ledger), "--veld", "ondersteuning-max", "--weghalen", "--reden", "terug",
            door="Joyce")
    assert r.returncode == 0, r.stderr
    assert [w.wijziging for w in build_statement(ledger, bonnen=False).kaderwijzigingen] == [
        "ondersteuning-max: (geen) -> 0.10", "ondersteuning-max: 0.10 -> (geen)"]
    assert check_ledger(ledger)[0].view.ceiling == 800
    before = digest(ledger)
    with pytest.raises(SchrijfFout, match="kader-reden"):
        _replace_write(ledger, f'  kader-reden: "{REDEN}"\n', "")
    assert digest(ledger) == before


def test_the_command_points_the_plugin_at_a_rules_file_inside_the_workspace_only(ledger: Path):
    workspace = ledger.parent.parent
    (workspace / "west.toml").write_text('[stadsdeel.West]\nondersteuning-max = "0.05"\n', encoding="utf-8")
    before = digest(ledger)
    for config in ("/etc/shadow", "../../buiten.toml", "bestaat-niet.toml"):
        r = cli("kader", "wijzigen", str(ledger), "--veld", "regelbestand", "--waarde", config, "--reden", REDEN)
        assert r.returncode != 0 and "regelbestand" in r.stderr, (config, r.stderr)
        assert digest(ledger) == before
    r = cli("kader", "wijzigen", str(ledger), "--veld", "regelbestand", "--waarde", "../west.toml", "--reden", REDEN)
    assert r.returncode == 0, r.stderr
    assert 'plugin "rules" "../west.toml"\n' in ledger.read_text(encoding="utf-8")
    assert check_ledger(ledger)[0].view.ceiling == 500


@pytest.mark.parametrize("args,word", [
    (("--veld", "categorie", "--waarde", "Alcohol"), "geen veld van het kader"),
    (("--veld", "ondersteuning-max", "--waarde", "2"), "ondersteuning-max"),
    (("--veld", "begin", "--waarde", "maart"), "geen datum"),
    (("--veld", "einde", "--weghalen"), "kan niet worden weggehaald"),
    (("--veld", "ondersteuning-max"), "--waarde"),
])
def test_the_command_refuses_what_it_cannot_write(ledger: Path, args, word):
    before = digest(ledger)
    r = cli("kader", "wijzigen", str(ledger), *args, "--reden", REDEN)
    assert r.returncode != 0 and word in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and digest(ledger) == before


def test_a_ledger_with_overrides_from_the_contract_keeps_loading_and_booking(tmp_path: Path):
    """The contract allows overrides in the header: they are no error, and bookings still go through."""
    path = make_ledger(tmp_path / "b")
    text = path.read_text(encoding="utf-8").replace(
        "  einde: 2025-12-31\n", "  einde: 2025-12-31\n  ondersteuning-max: 0.10\n  vier-ogen-vanaf: 750.00\n")
    path.write_text(text, encoding="utf-8")
    loaded, problems = check_ledger(path)
    assert loaded.view.ceiling == 1000 and loaded.view.kader.vier_ogen_vanaf == 750 and not problems
    bon = receipt(tmp_path, "bon.pdf")
    r = cli("boek", str(path), "--datum", "2025-03-10", "--bedrag", "600", "--plan", "Speeltuin",
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Hout", "--bon", str(bon))
    assert r.returncode == 0, r.stderr
