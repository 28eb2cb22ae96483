"""A ledger's folder cannot take a name the site's own pages use (/beheer/controle/ and the like).

The names come from the routes themselves (the login's pages, the auditor's prefix, Fava's own
first path segments), so a new page that takes a name fails here until `namen.GERESERVEERD` knows it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from buurtbudget_admin.service.namen import GERESERVEERD, SlugFout
from tests.dagelijks_helpers import folder_digest
from tests.service_workspace import write_workspace
from tests.test_init import _init


def test_the_reserved_names_are_the_first_segments_the_site_itself_answers() -> None:
    from fava.application import create_app

    from buurtbudget_admin.service.auth import LOGIN_PAGES
    from buurtbudget_admin.service.controle import PREFIX

    fava_own = {rule.rule.strip("/").split("/")[0] for rule in create_app([], load=False).url_map.iter_rules()
                if not rule.rule.startswith("/<bfile>")} - {""}
    assert fava_own == {"static", "jump"}
    assert PREFIX.startswith("/beheer/") and PREFIX.count("/") == 2
    assert GERESERVEERD == (LOGIN_PAGES - {""}) | {PREFIX.rsplit("/", 1)[1]} | fava_own


@pytest.mark.parametrize("naam", sorted(GERESERVEERD))
def test_init_refuses_a_reserved_folder_name_and_writes_nothing(tmp_path: Path, naam: str) -> None:
    r = _init(tmp_path / naam)
    assert r.returncode == 2, r.stdout
    assert r.stderr.startswith("fout:") and f"de mapnaam '{naam}' is gereserveerd" in r.stderr
    assert r.stderr.rstrip().endswith("kies een andere mapnaam")
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def _met_controle(tmp_path: Path) -> Path:
    workspace = write_workspace(tmp_path / "werkruimte")
    shutil.copytree(workspace / "testbuurt-2025", workspace / "controle")
    return workspace


def test_serve_refuses_a_workspace_with_a_ledger_named_controle_and_writes_nothing(tmp_path: Path) -> None:
    workspace = _met_controle(tmp_path)
    before = folder_digest(workspace)
    r = subprocess.run([sys.executable, "-m", "buurtbudget_admin", "serve", str(workspace), "--port", "0",
                        "--cache", str(tmp_path / "cache")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "fout:" in r.stderr and "controle/main.beancount" in r.stderr
    assert "de mapnaam 'controle' is gereserveerd" in r.stderr and "hernoem de map" in r.stderr
    assert "Traceback" not in r.stderr and "Open http" not in r.stdout
    assert folder_digest(workspace) == before  # no users file, nothing recovered or cached inside
    assert not (workspace / "gebruikers.toml").exists()


def test_create_service_refuses_it_too(tmp_path: Path) -> None:
    from buurtbudget_admin.service.wsgi import create_service

    with pytest.raises(SlugFout, match="gereserveerd"):
        create_service(_met_controle(tmp_path), cache_dir=tmp_path / "cache")


def test_a_folder_named_controle_made_while_serving_is_no_ledger_and_the_page_stays_the_auditors(
        tmp_path: Path) -> None:
    from buurtbudget_admin.service.wsgi import create_service

    workspace = write_workspace(tmp_path / "werkruimte")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    shutil.copytree(workspace / "testbuurt-2025", workspace / "controle")
    assert "controle" not in service.state.slugs()
    assert service.state.ledger_path("controle") is None
    from werkzeug.test import Client

    client = Client(service)
    landing = client.get("/").get_data(as_text=True)
    assert "/buurt/controle/" not in landing and "/buurt/testbuurt-2025/" in landing
    assert client.get("/buurt/controle/").status_code == 404
