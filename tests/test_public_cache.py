"""Public answers are computed once per change of a ledger and then served from memory
(`service/public_cache.py`): the same bytes for everyone, and a change shows on the next request."""

from __future__ import annotations

import time

import pytest
from werkzeug.test import Client

from buurtbudget_admin.service.wsgi import create_service
from tests.service_workspace import write_workspace

PAGES = ("/buurt/testbuurt-2025/extension/Buurtbudget/", "/buurt/testbuurt-2025/income_statement/",
         "/buurt/testbuurt-2025/extension/Buurtbudget/?plan=Speeltuin", "/buurt/testbuurt-2025/api/income_statement")


@pytest.fixture
def service(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    svc = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    return svc, Client(svc), workspace


@pytest.mark.parametrize("path", PAGES)
def test_the_second_visitor_gets_the_first_answer_from_memory(service, path):
    svc, client, _ = service
    first = client.get(path)
    assert first.status_code == 200
    hits = svc.public_cache.hits
    second = client.get(path)
    assert svc.public_cache.hits == hits + 1
    assert second.get_data() == first.get_data()
    assert second.headers.get("Content-Type") == first.headers.get("Content-Type")
    assert second.headers.get("Content-Security-Policy") == first.headers.get("Content-Security-Policy")


def test_a_change_of_the_ledger_shows_on_the_next_request(service):
    svc, client, workspace = service
    page = PAGES[0]
    before = client.get(page).get_data(as_text=True)
    assert "Zomerfeest op het plein" not in before
    ledger = workspace / "testbuurt-2025" / "main.beancount"
    time.sleep(0.01)  # another mtime than the one the snapshot saw
    ledger.write_text(ledger.read_text(encoding="utf-8") + '\n2025-01-01 open Uitgaven:Plannen:Feest EUR\n2025-06-01 custom "plan" Uitgaven:Plannen:Feest '
                      '"Zomerfeest op het plein" 300.00 EUR\n', encoding="utf-8")
    after = client.get(page).get_data(as_text=True)
    assert "Zomerfeest op het plein" in after
    assert client.get(page).get_data(as_text=True) == after


def test_what_is_not_the_same_for_everyone_is_not_kept(service):
    svc, client, _ = service
    for _ in range(2):
        assert client.get("/buurt/testbuurt-2025/editor/").status_code == 403  # refused by the allow-list
        assert client.get("/buurt/bestaat-niet/income_statement/").status_code == 404
        Client(svc, use_cookies=False).get(PAGES[1], headers={"Cookie": "sessie=1"})
        client.get(PAGES[1], headers={"Authorization": "Basic eDp5"})
    assert svc.public_cache.hits == 0
