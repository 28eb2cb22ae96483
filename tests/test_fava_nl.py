"""Fava in Dutch where its own catalog and `locale` stop (`service/fava_nl.py`), without a browser.

The browser suite (`test_publiek_browser.py`) reads the pages as a resident sees them; here the
server's side is checked where it is made: the catalog the page hands the frontend, the words of
Fava's JSON API and the posting numbers of its journal rows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from buurtbudget_admin.service.fava_apps import create_fava
from buurtbudget_admin.service.fava_nl import FAVA_NL

SLUG = "nl-2025"
LEDGER = """option "title" "Nederlands"
option "operating_currency" "EUR"
2025-01-01 custom "fava-option" "language" "{language}"
2025-01-01 custom "fava-option" "locale" "nl_NL"
2025-01-01 open Assets:Bank EUR
2025-01-01 open Income:Subsidie EUR
2025-01-01 open Expenses:Materiaal EUR
2025-01-02 * "Gemeente" "Toekenning"
  Assets:Bank  35000.00 EUR
  Income:Subsidie
2025-02-03 * "Bouwmarkt" "Verf"
  Expenses:Materiaal  1234.5 EUR
  Assets:Bank
2025-02-04 * "Bakker" "Koffie"
  Expenses:Materiaal  0.125 EUR
  Assets:Bank
"""


def _client(tmp_path: Path, language: str = "nl"):
    ledger = tmp_path / SLUG / "main.beancount"
    ledger.parent.mkdir(parents=True)
    ledger.write_text(LEDGER.format(language=language), encoding="utf-8")
    app = create_fava(lambda slug: ledger if slug == SLUG else None, read_only=True, mode="publiek")
    return app.test_client()


def _translations(page: str) -> dict[str, str]:
    found = re.search(r'<script type="application/json" id="translations">(.*?)</script>', page, re.S)
    assert found, page[:600]
    return json.loads(found.group(1))


def test_the_page_hands_the_frontend_favas_catalog_completed_in_dutch(tmp_path):
    client = _client(tmp_path)
    translations = _translations(client.get(f"/{SLUG}/income_statement/").get_data(as_text=True))
    assert translations["Net Profit"] == "Saldo"  # not "Netto Winst": a grant makes no profit
    for english in ("Stacked Bars", "Single Bars", "Other", "Go to account", "Filter by tag, payee, \u2026"):
        assert translations[english] == FAVA_NL[english] != english, english
    assert translations["Income Statement"] == "Winst- en Verliesrekening"  # Fava's own Dutch stays


def test_favas_api_says_saldo_and_an_english_page_stays_english(tmp_path):
    report = json.loads(_client(tmp_path).get(f"/{SLUG}/api/income_statement").get_data(as_text=True))["data"]
    assert report["charts"][0]["label"] == "Saldo"
    assert "Saldo" in [tree["account"] for tree in report["trees"]]
    english = _client(tmp_path / "en", language="en")
    translations = _translations(english.get(f"/{SLUG}/income_statement/").get_data(as_text=True))
    assert "Stacked Bars" not in translations and "Net Profit" not in translations


def test_journal_postings_follow_the_locale_with_the_decimals_they_were_written_with(tmp_path):
    answer = _client(tmp_path).get(f"/{SLUG}/api/journal_page?page=1&order=asc")
    html = json.loads(answer.get_data(as_text=True))["data"]["journal"]
    numbers = [n.strip() for n in re.findall(r"<span class='num'>([^<]*)</span>", html) if n.strip()]
    assert {"35.000,00 EUR", "-35.000,00 EUR", "1.234,5 EUR", "-1.234,5 EUR", "0,125 EUR"} <= set(numbers), numbers
    assert not re.search(r"\d\.\d\d\d? EUR|\d{4}\.\d", " ".join(numbers)), numbers


def _journal_numbers(client) -> list[str]:
    html = json.loads(client.get(f"/{SLUG}/api/journal_page?page=1&order=asc").get_data(as_text=True))["data"]["journal"]
    return [n.strip() for n in re.findall(r"<span class='num'>([^<]*)</span>", html) if n.strip()]


def test_a_ledger_without_a_locale_shows_money_as_the_netherlands_writes_it_in_both_apps(tmp_path):
    """A ledger from before `init` wrote `custom "fava-option" "locale"` (the beheerder's own, or the
    public copy of one) still reads 35.000,00; a ledger that names a locale keeps it."""
    without = LEDGER.replace('2025-01-01 custom "fava-option" "locale" "nl_NL"\n', "")
    assert "locale" not in without
    for mode, read_only in (("publiek", True), ("beheer", False)):
        ledger = tmp_path / mode / SLUG / "main.beancount"
        ledger.parent.mkdir(parents=True)
        ledger.write_text(without.format(language="nl"), encoding="utf-8")
        app = create_fava(lambda slug, ledger=ledger: ledger if slug == SLUG else None, read_only=read_only, mode=mode)
        numbers = _journal_numbers(app.test_client())
        assert {"35.000,00 EUR", "1.234,5 EUR"} <= set(numbers), (mode, numbers)
    english = tmp_path / "en" / SLUG / "main.beancount"
    english.parent.mkdir(parents=True)
    english.write_text(LEDGER.replace('"locale" "nl_NL"', '"locale" "en_US"').format(language="en"), encoding="utf-8")
    app = create_fava(lambda slug: english if slug == SLUG else None, read_only=True, mode="publiek")
    assert "35,000.00 EUR" in _journal_numbers(app.test_client())
