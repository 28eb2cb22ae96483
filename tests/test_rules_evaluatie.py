"""One evaluation per load: the view is built once, for `check`, `report` and a page of Fava.

Every build of the view is announced as the audit event `buurtbudget.view`
(`ledger.evaluatie.view.view_of`); the tests count those events around one real load.
"""

from __future__ import annotations

import datetime
import pickle
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader

from ledger.evaluatie.resultaat import SLOT, bewaarde
from ledger.evaluatie.loading import read_ledger
from rules.checking import check_ledger
from tests.books import standard, write_books

_BUILDS: list[str] = []


def _hook(event: str, args: tuple) -> None:
    if event == "buurtbudget.view":
        _BUILDS.append(args[0])


sys.addaudithook(_hook)  # audit hooks cannot be removed; this one only appends to a list


@pytest.fixture()
def builds():
    _BUILDS.clear()
    yield _BUILDS
    _BUILDS.clear()


BOOKS = """
2025-01-01 custom "fava-extension" "buurtbudget_admin.fava_ext"

2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 1000.00 EUR

2025-03-10 * "Bouwmarkt" "Hout"
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   120.00 EUR
  Assets:Bank:Betaalrekening

2025-06-01 * "Klusbedrijf" "Schilderwerk"
  uren: 2
  document: "bon.pdf"
  Expenses:Plannen:Speeltuin:Inhuur   80.01 EUR
  Assets:Bank:Betaalrekening
"""


@pytest.fixture()
def ledger(tmp_path: Path) -> Path:
    """A ledger whose plugin line names its rules file: at most 40.00 an hour (80.01 for 2 hours is too much)."""
    # A workspace of its own (`werkruimte/buurt/`): a statement reads the signals of the ledgers beside
    # it, and pytest's folder above holds the ledgers of other tests.
    folder = tmp_path / "werkruimte" / "buurt"
    folder.mkdir(parents=True)
    (folder / "mijn-regels.toml").write_text('[kader]\nuurtarief-max = "40.00"\n', encoding="utf-8")
    return write_books(folder, BOOKS, prefix=standard(plugin_config="mijn-regels.toml"))


def test_check_builds_the_view_once_with_the_configured_kader(ledger: Path, builds):
    loaded, problems = check_ledger(ledger)
    assert len(builds) == 1
    assert [p.code for p in problems] == ["BB-UURTARIEF"]
    assert loaded.view.kader.uurtarief_max == Decimal("40.00")  # the view's kader is the verdict's
    assert loaded.view.plan("Speeltuin").costs == Decimal("200.01")


def test_the_cli_check_builds_the_view_once(ledger: Path, builds, capsys):
    from buurtbudget_admin.cli import main

    assert main(["check", str(ledger)]) == 1
    assert "BB-UURTARIEF" in capsys.readouterr().out
    assert len(builds) == 1


@pytest.mark.parametrize("tot", [None, "2025-04-30"])
def test_a_statement_builds_the_view_once(ledger: Path, builds, tot):
    from reports.context import build_statement

    statement = build_statement(ledger, tot=datetime.date.fromisoformat(tot) if tot else None)
    assert len(builds) == 1
    codes = [v.code for rule in statement.verdicts for v in rule.violations]
    if tot:  # judged up to 30 April: the hours of June are not there yet
        assert codes == [] and statement.view.plan("Speeltuin").costs == Decimal("120.00")
        assert statement.view.peildatum == datetime.date(2025, 4, 30)
    else:
        assert codes == ["BB-UURTARIEF"] and statement.view.peildatum == datetime.date(2025, 6, 1)


def test_a_statement_in_a_workspace_builds_each_ledgers_view_once(ledger: Path, builds):
    """Its signals look across the workspace: the ledger beside it is loaded once, its own not again."""
    import shutil

    from reports.context import build_statement

    buur = ledger.parent.parent / "buur" / "main.beancount"
    shutil.copytree(ledger.parent, buur.parent)
    statement = build_statement(ledger)
    assert sorted(builds) == sorted([str(ledger), str(buur)])
    assert statement.signalen_fout is None


def test_a_page_of_the_fava_extension_builds_the_view_once(ledger: Path, builds):
    from fava.application import create_app

    app = create_app([str(ledger)], read_only=True)
    client = app.test_client()
    slug = app.config["LEDGERS"].first_slug()
    response = client.get(f"/{slug}/extension/Buurtbudget/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "BB-UURTARIEF" in page and "Speeltuin" in page
    assert len(builds) == 1


def test_a_plain_load_carries_the_plugins_evaluation_to_its_caller(ledger: Path, builds):
    entries, errors, options_map = loader.load_file(str(ledger))
    assert len(builds) == 1
    evaluatie = bewaarde(options_map, entries)
    assert evaluatie is not None and [e.message.split()[0] for e in evaluatie.errors] == ["BB-UURTARIEF"]
    assert evaluatie.view.kader.uurtarief_max == Decimal("40.00")
    # Not for other entries, and never through a pickle (beancount's cache, the writer's snapshot).
    assert bewaarde(options_map, entries[:-1]) is None
    assert bewaarde(pickle.loads(pickle.dumps(options_map)), entries) is None
    assert repr(options_map[SLOT]) == "<buurtbudget-evaluatie>"
    builds.clear()
    assert read_ledger(ledger).view.kader.uurtarief_max == Decimal("40.00")
    assert len(builds) == 1  # read_ledger's own load: the plugin's evaluation, no second view


def test_check_runs_every_rule_when_the_ledger_asks_for_one(tmp_path: Path, builds):
    path = write_books(tmp_path, BOOKS.replace("80.01 EUR", "120.00 EUR"), plugin="rules.plan")
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []  # bean-check with only rules.plan: the hours are not its business
    builds.clear()
    _loaded, problems = check_ledger(path)
    assert [p.code for p in problems] == ["BB-UURTARIEF"]  # 60.00 an hour: over the default 50.00
    assert len(builds) == 1
