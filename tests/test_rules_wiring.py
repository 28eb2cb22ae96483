"""How the rules are wired: root names, one rule alone, rules files, crashes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import rules
from rules.base import Context, run_rules
from tests.books import load_books, standard

FAULTY = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 100.00 EUR

2025-04-01 * "Slijterij" "Borrel"
  Expenses:Plannen:Speeltuin:Alcohol   145.00 EUR
  Assets:Bank:Betaalrekening

2026-01-02 * "Administratiekantoor" "Handelingskosten, te laat en te veel"
  document: "bon.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Henk"
  Expenses:Ondersteuning:Administratie   900.00 EUR
  Assets:Bank:Betaalrekening
"""
FAULTY_CODES = ["BB-ONDERSTEUNING", "BB-CATEGORIE", "BB-PLAN", "BB-PERIODE", "BB-BON", "BB-VIER-OGEN"]

def test_english_and_dutch_roots_give_the_same_verdicts(tmp_path: Path):
    english = load_books(tmp_path / "en", FAULTY)
    dutch = load_books(tmp_path / "nl", FAULTY, roots="nl")
    assert sorted(english.codes) == sorted(FAULTY_CODES)
    assert sorted(dutch.codes) == sorted(english.codes)
    assert [e.source["lineno"] for e in dutch.errors] == [
        e.source["lineno"] + 5 for e in english.errors  # the five root-name options above
    ]
    assert any("Uitgaven:Plannen:Speeltuin:Alcohol" in m for m in dutch.messages)


def test_dutch_root_ledger_is_not_read_with_english_names(tmp_path: Path):
    # An account under the English root in a Dutch ledger is not a cost: it is not
    # even an account beancount accepts, so nothing is silently counted.
    dutch = load_books(tmp_path, "", roots="nl")
    assert dutch.errors == []
    view = dutch.view
    assert view.award == Decimal("10000.00")
    assert view.accounts.expenses == "Uitgaven"


@pytest.mark.parametrize("rule", rules.ALL_RULES, ids=lambda r: r.CODE)
def test_each_rule_runs_alone_as_a_plugin(tmp_path: Path, rule):
    module = rule.__name__  # rules.plan, rules.vier_ogen, ...
    result = load_books(tmp_path, FAULTY, plugin=module)
    expected = [c for c in FAULTY_CODES if c == rule.CODE]
    assert result.codes == expected


def test_plugin_rules_runs_them_all_once(tmp_path: Path):
    result = load_books(tmp_path, FAULTY)
    assert sorted(result.codes) == sorted(FAULTY_CODES)


def test_a_crashing_rule_becomes_an_error_naming_it(tmp_path: Path):
    result = load_books(tmp_path, "")

    class Broken:
        CODE = "BB-KAPOT"
        TITLE = "Een regel die crasht"

        @staticmethod
        def violations(ctx: Context):
            raise ZeroDivisionError("deling door nul")

    _, errors = run_rules(result.entries, result.options_map, None, [Broken, rules.plan])
    assert len(errors) == 1
    assert errors[0].message.startswith("BB-KAPOT de regel 'Een regel die crasht' kon niet worden uitgevoerd")
    assert "ZeroDivisionError" in errors[0].message
    assert "niet op deze regel gecontroleerd" in errors[0].message


def test_rules_file_widens_the_categories_for_its_stadsdeel(tmp_path: Path):
    (tmp_path / "regels.toml").write_text(
        '[stadsdeel.West]\nextra-categorieen = ["Vervoer"]\n', encoding="utf-8"
    )
    books = """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 1000.00 EUR

    2025-04-01 * "Taxi" "Vervoer vrijwilligers"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Vervoer   45.00 EUR
      Assets:Bank:Betaalrekening
    """
    result = load_books(tmp_path / "testbuurt-2025", books)
    assert result.errors == []
    other = load_books(tmp_path / "elders" / "testbuurt-2025", books)
    assert other.codes == ["BB-CATEGORIE"]


def test_rules_file_narrows_the_categories(tmp_path: Path):
    (tmp_path / "regels.toml").write_text(
        '[stadsdeel.West]\ncategorieen = ["Materiaal"]\n', encoding="utf-8"
    )
    result = load_books(tmp_path / "testbuurt-2025", """
    2025-02-01 custom "plan" Expenses:Plannen:Buurtfeest "Feest" 1000.00 EUR

    2025-04-01 * "Cateraar" "Hapjes"
      document: "bon.pdf"
      Expenses:Plannen:Buurtfeest:Catering   45.00 EUR
      Assets:Bank:Betaalrekening
    """)
    assert result.codes == ["BB-CATEGORIE"]
    assert "regels.toml ([stadsdeel.West])" in result.messages[0]


def test_rules_file_cannot_allow_a_forbidden_category(tmp_path: Path):
    (tmp_path / "regels.toml").write_text(
        '[stadsdeel.West]\n\nextra-categorieen = ["Alcohol"]\n', encoding="utf-8"
    )
    result = load_books(tmp_path / "testbuurt-2025", "")
    assert result.codes == ["BB-HEADER"]
    assert "nooit toegestaan" in result.messages[0]
    assert result.errors[0].source["filename"].endswith("regels.toml")


def test_broken_rules_file_names_its_line(tmp_path: Path):
    (tmp_path / "regels.toml").write_text('[stadsdeel.West]\nextra-categorieen = ["Vervoer"\n', encoding="utf-8")
    result = load_books(tmp_path / "testbuurt-2025", "")
    assert result.codes == ["BB-HEADER"]
    assert "geen geldige TOML" in result.messages[0]
    assert result.errors[0].source["lineno"] >= 2


def test_plugin_config_names_the_rules_file(tmp_path: Path):
    (tmp_path / "mijn-regels.toml").write_text('[kader]\nuurtarief-max = "40.00"\n', encoding="utf-8")
    result = load_books(tmp_path, """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 1000.00 EUR

    2025-06-01 * "Klusbedrijf" "Schilderwerk"
      uren: 2
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Inhuur   80.01 EUR
      Assets:Bank:Betaalrekening
    """, prefix=standard(plugin_config="mijn-regels.toml"))
    assert result.codes == ["BB-UURTARIEF"]
