"""The kader is found in one place: every reader of one ledger sees the same ceiling.

The ledger names its own rules file, with a ceiling of 5% instead of the city's 8%:

    plugin "rules" "mijn-regels.toml"

    ; mijn-regels.toml
    [kader]
    ondersteuning-max = "0.05"

    2025-01-15 * "Gemeente Amsterdam" "Toekenning buurtbudget" #toekenning
      Assets:Vordering:Gemeente   10000.00 EUR
      Income:Buurtbudget

    2025-03-31 * "Stichting Voorbeeld" "Administratie"
      Expenses:Ondersteuning:Administratie   687.20 EUR
      Assets:Bank:Betaalrekening

The ceiling is € 500,00 and the support costs are € 187,20 over it. With the
default kader the gauge would read € 800,00 at 85,90%: no reader may show that.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from werkzeug.test import Client

from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from ledger.evaluatie.loading import read_ledger
from ledger.schrijver.schrijven import lees_stand
from ledger.evaluatie.view import build_view
from reports.context import build_statement
from rules.checking import check_ledger
from tests.books import standard, write_books

SLUG = "eigenbuurt-2025"
BOOKS = """
2025-03-31 * "Stichting Voorbeeld" "Administratie"
  document: "bon.pdf"
  Expenses:Ondersteuning:Administratie   687.20 EUR
  Assets:Bank:Betaalrekening
"""
CEILING = Decimal("500.00")
DEFAULT_GAUGE = ("€ 800,00", "85,90%")


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    folder = ws / SLUG
    folder.mkdir(parents=True)
    (folder / "mijn-regels.toml").write_text('[kader]\nondersteuning-max = "0.05"\n', encoding="utf-8")
    # A workspace-wide regels.toml that this ledger does not use (its plugin line names its own).
    (ws / "regels.toml").write_text('[kader]\nondersteuning-max = "0.10"\n', encoding="utf-8")
    write_books(folder, BOOKS, prefix=standard(plugin_config="mijn-regels.toml"), receipts=("bon.pdf",))
    return ws


def _no_default_gauge(text: str, where: str) -> None:
    for figure in DEFAULT_GAUGE + ("€ 1.000,00",):
        assert figure not in text, f"{figure} (another kader's ceiling) in {where}"


def test_every_reader_sees_the_ceiling_of_the_rules_file_the_plugin_names(workspace: Path, tmp_path: Path):
    ledger = workspace / SLUG / "main.beancount"

    # check's verdict and the view it returns
    loaded, problems = check_ledger(ledger)
    over = [p for p in problems if p.code == "BB-ONDERSTEUNING"]
    assert len(over) == 1 and "plafond € 500,00" in over[0].message and "€ 187,20" in over[0].message
    assert loaded.view.ceiling == CEILING
    assert loaded.view.kader.bron.startswith("mijn-regels.toml")

    # a bare load (bean-check's, Fava's), read_ledger, and the writer's view
    entries, errors, options_map = loader.load_file(str(ledger))
    assert any("plafond € 500,00" in e.message for e in errors)
    assert read_ledger(ledger).view.ceiling == CEILING
    assert lees_stand(ledger).view.ceiling == CEILING
    assert build_view(entries, options_map).ceiling == CEILING
    bean_check = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(ledger)],
                                capture_output=True, text=True)
    assert "plafond € 500,00" in bean_check.stdout + bean_check.stderr

    # the report's context: the same kader, and the rules file among the dossier's sources
    statement = build_statement(ledger, bonnen=False)
    assert statement.view.ceiling == CEILING
    assert [v for v in statement.verdicts if v.code == "BB-ONDERSTEUNING"][0].violations
    assert "mijn-regels.toml" in [f.name for f in statement.sources.files]

    # the service: landing page, the public copy and its extension, the beheer extension
    add_user(users_path(workspace), "anja", "beheerder", (SLUG,), "geheim-anja")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    client = Client(service)
    landing = client.get("/").get_data(as_text=True)
    assert "van maximaal <span class=\"bedrag\">€ 500,00</span>" in landing
    _no_default_gauge(landing, "/")
    public = client.get(f"/buurt/{SLUG}/extension/Buurtbudget/")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "van maximaal € 500,00" in text and "het plafond is 5% (€ 500,00)" in text and "€ 187,20 te veel" in text
    _no_default_gauge(text, "the public extension")
    copy = service.state.public_path(SLUG)
    assert copy is not None and 'plugin' not in copy.read_text(encoding="utf-8")
    copy_entries, _errors, copy_options = loader.load_file(str(copy))
    assert build_view(copy_entries, copy_options).ceiling == CEILING
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(b"anja:geheim-anja").decode()}
    beheer = client.get(f"/beheer/{SLUG}/extension/Buurtbudget/", headers=auth)
    assert beheer.status_code == 200
    text = beheer.get_data(as_text=True)
    assert "van maximaal € 500,00" in text and "plafond € 500,00" in text
    _no_default_gauge(text, "the beheer extension")


def test_the_public_copy_follows_a_change_of_the_rules_file(workspace: Path, tmp_path: Path):
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    client = Client(service)
    assert "€ 500,00" in client.get(f"/buurt/{SLUG}/extension/Buurtbudget/").get_data(as_text=True)
    (workspace / SLUG / "mijn-regels.toml").write_text('[kader]\nondersteuning-max = "0.06"\n', encoding="utf-8")
    landing = client.get("/").get_data(as_text=True)
    assert "€ 600,00" in landing
    assert "van maximaal € 600,00" in client.get(f"/buurt/{SLUG}/extension/Buurtbudget/").get_data(as_text=True)


# -- a rules file that cannot be used is an error at the plugin line, never the defaults ---------

OUTSIDE = "het regelbestand moet een .toml-bestand in de werkmap van dit buurtbudget zijn"


def _ledger_naming(tmp_path: Path, config: str) -> Path:
    folder = tmp_path / "ws" / SLUG
    folder.mkdir(parents=True, exist_ok=True)
    return write_books(folder, BOOKS, prefix=standard(plugin_config=config), receipts=("bon.pdf",))


def _bean_check(ledger: Path) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(ledger)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    return done.stdout + done.stderr


def _plugin_line(ledger: Path) -> int:
    return next(n for n, line in enumerate(ledger.read_text(encoding="utf-8").splitlines(), 1)
                if line.startswith("plugin"))


@pytest.mark.parametrize("config", ["/etc/shadow", "/nonexistent.toml", "/etc/hostname", "../../etc/passwd"])
def test_a_rules_file_outside_the_workspace_is_one_error_whether_it_exists_or_not(tmp_path: Path, config: str):
    ledger = _ledger_naming(tmp_path, config)
    line = _plugin_line(ledger)
    _loaded, problems = check_ledger(ledger)
    headers = [p for p in problems if p.code == "BB-HEADER"]
    assert [(p.filename, p.lineno) for p in headers] == [(str(ledger), line)]
    # The answer is the same for every outside path: only the path as written differs.
    assert headers[0].message == f'plugin "rules" "{config}": {OUTSIDE} (de map van de ledger of de map ' \
                                 "daarboven); dit pad valt erbuiten, het kader is niet bepaald"
    assert f"{ledger}:{line}: BB-HEADER plugin \"rules\" \"{config}\": {OUTSIDE}" in _bean_check(ledger)


def test_a_missing_rules_file_is_an_error_not_the_default_kader(tmp_path: Path):
    ledger = _ledger_naming(tmp_path, "mijn-regels.toml")  # named, never written
    (ledger.parent.parent / "regels.toml").write_text('[kader]\nondersteuning-max = "0.50"\n', encoding="utf-8")
    _loaded, problems = check_ledger(ledger)
    headers = [p for p in problems if p.code == "BB-HEADER"]
    assert len(headers) == 1 and headers[0].lineno == _plugin_line(ledger)
    assert 'plugin "rules" "mijn-regels.toml": dit regelbestand bestaat niet' in headers[0].message
    assert "dit regelbestand bestaat niet" in _bean_check(ledger)
    # The workspace's regels.toml is no stand-in for the file the plugin names.
    assert read_ledger(ledger).view.ceiling != Decimal("5000.00")


def test_a_symlink_out_of_the_workspace_counts_as_outside(tmp_path: Path):
    ledger = _ledger_naming(tmp_path, "link.toml")
    secret = tmp_path / "elders.toml"
    secret.write_text('[kader]\nondersteuning-max = "0.90"\n', encoding="utf-8")
    (ledger.parent / "link.toml").symlink_to(secret)
    _loaded, problems = check_ledger(ledger)
    assert [p.code for p in problems if OUTSIDE in p.message] == ["BB-HEADER"]


def test_a_rules_file_at_the_workspace_root_may_be_named(tmp_path: Path):
    ledger = _ledger_naming(tmp_path, "../regels.toml")
    (ledger.parent.parent / "regels.toml").write_text('[kader]\nondersteuning-max = "0.05"\n', encoding="utf-8")
    loaded, problems = check_ledger(ledger)
    assert loaded.view.ceiling == CEILING
    assert "BB-ONDERSTEUNING" in [p.code for p in problems] and "BB-HEADER" not in [p.code for p in problems]
