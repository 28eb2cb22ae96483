"""The header and the kader: frozen values, each from one pure parse that says every problem in Dutch.

`regels.toml` is the one boundary read by pydantic (`ledger.buurtbudget.regelbestand_model`),
imported only when a workspace has one: a load without it never imports pydantic.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.buurtbudget.fouten import WaardeFout
from ledger.buurtbudget.header import Header, header_uit
from ledger.buurtbudget.kader import Kader, Regelbestand, RulesFileError, kader_getal, kader_voor
from tests.books import load_books, standard, write_books

HEADER = {"naam": "K-buurt 2025", "datum": datetime.date(2025, 1, 1), "stadsdeel": "West", "buurt": "K-buurt",
          "model": "c", "begin": "2025-01-01", "einde": datetime.date(2025, 12, 31)}


def _clauses(parse, values) -> list[str]:
    with pytest.raises(WaardeFout) as raised:
        parse(values)
    assert str(raised.value) == "; ".join(raised.value.clauses)
    return list(raised.value.clauses)


def test_header_is_frozen_and_hashable_with_its_overrides():
    header = header_uit({**HEADER, "iban": "nl91 abna 0417 1643 00", "prive-namen": "Kees; Jan",
                         "overrides": {"bon-vanaf": Decimal("25.00")}, "onbekend": "genegeerd"})
    assert isinstance(header, Header)
    assert (header.model, header.begin, header.iban) == ("C", datetime.date(2025, 1, 1), "NL91ABNA0417164300")
    assert header.model_naam == "community based begroot"
    assert header.prive_namen == ("Kees", "Jan") and dict(header.overrides) == {"bon-vanaf": Decimal("25.00")}
    assert hash(header) == hash(header_uit({**HEADER, "iban": "NL91ABNA0417164300", "prive_namen": ["Kees", "Jan"],
                                            "overrides": {"bon-vanaf": Decimal("25.00")}}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        header.naam = "Anders"  # type: ignore[misc]
    assert dataclasses.replace(header, fase="stemmen").fase == "stemmen" and header.fase is None


def test_every_header_problem_is_one_dutch_clause():
    assert _clauses(header_uit, {**HEADER, "naam": None, "stadsdeel": "", "buurt": 5, "model": "d",
                                 "datum": 20250101, "einde": "2024-12-31", "fase": "klaar",
                                 "iban": "NL00ABNA0000000000"}) == [
        "'naam (het tweede argument)' ontbreekt",
        "'datum': is geen datum (schrijf JJJJ-MM-DD)",
        "'stadsdeel': mag niet leeg zijn",
        "'buurt': moet tekst zijn (tussen aanhalingstekens)",
        "onbekend model 'd' (kies A, B of C)",
        "einde (2024-12-31) ligt vóór begin (2025-01-01)",
        "'iban': 'NL00ABNA0000000000' is geen geldig IBAN (het controlegetal klopt niet)",
        "onbekende fase 'klaar' (ideeen, stemmen, uitvoering, verantwoording, afgesloten)",
    ]


def test_a_header_with_nothing_says_each_missing_field_and_checks_its_optional_fields():
    assert _clauses(header_uit, {}) == [f"'{key}' ontbreekt" for key in (
        "naam (het tweede argument)", "datum", "stadsdeel", "buurt", "model", "begin", "einde")]
    assert _clauses(header_uit, {**HEADER, "beheerder": 5, "prive-namen": ["a", 5]}) == [
        "'beheerder': moet tekst zijn (tussen aanhalingstekens)",
        "'prive-namen': moet tekst zijn (tussen aanhalingstekens)",
    ]
    # A wrong begin says so once; whether einde comes before it is then not known.
    assert _clauses(header_uit, {**HEADER, "begin": "x", "einde": "2024-01-01"}) == [
        "'begin': is geen datum (schrijf JJJJ-MM-DD)"]


def test_kader_refuses_unknown_keys_bools_and_values_out_of_range():
    assert _clauses(Kader().with_overrides, {"ondersteuning-max": 8, "bon_vanaf": "-1", "vier-ogen-vanaf": "NaN",
                                             "uurtarief-max": True, "boete": 1}) == [
        "onbekende sleutel(s): boete",
        "'ondersteuning-max': moet ten hoogste 1 zijn",
        "'bon-vanaf': moet minstens 0 zijn",
        "'vier-ogen-vanaf': moet een getal zijn",
        "'uurtarief-max': moet een getal zijn",
    ]
    assert hash(Kader()) == hash(Kader())
    with pytest.raises(dataclasses.FrozenInstanceError):
        Kader().bon_vanaf = Decimal(1)  # type: ignore[misc]


def test_kader_overrides_are_pure_and_read_a_float_by_its_digits():
    kader = Kader()
    changed = kader.with_overrides({"ondersteuning-max": 0.1, "uurtarief_max": "45", "bron": "kop"})
    assert changed.ondersteuning_max.as_tuple() == Decimal("0.1").as_tuple()
    assert (changed.uurtarief_max, changed.bron) == (Decimal(45), "kop")
    assert kader == Kader() and changed.categorieen == kader.categorieen
    for value in (float("inf"), Decimal("Infinity"), Decimal("sNaN"), "abc", [1], None):
        with pytest.raises(ValueError, match="^moet een getal zijn$"):
            kader_getal("bon-vanaf", value)


def _kader(tmp_path: Path, toml: str) -> Kader:
    path = tmp_path / "regels.toml"
    path.write_text(toml, encoding="utf-8")
    return kader_voor(Regelbestand(path, tomllib.loads(toml)), "West")


def test_a_toml_float_is_read_by_its_digits_never_its_binary_value(tmp_path: Path):
    kader = _kader(tmp_path, "[kader]\nondersteuning-max = 0.1\n[stadsdeel.West]\nuurtarief-max = 45.10\n")
    assert kader.ondersteuning_max.as_tuple() == Decimal("0.1").as_tuple()
    assert kader.uurtarief_max.as_tuple() == Decimal("45.1").as_tuple()
    assert kader.bron == "regels.toml ([stadsdeel.West])"


def test_a_toml_bool_is_no_number(tmp_path: Path):
    with pytest.raises(RulesFileError) as raised:
        _kader(tmp_path, "[stadsdeel.West]\nuurtarief-max = true\n")
    assert raised.value.melding == "regelbestand regels.toml: ongeldige waarde in [stadsdeel.West]: " \
                                   "'uurtarief-max': moet een getal zijn"


def test_the_rules_file_says_its_problems_as_before(tmp_path: Path):
    def melding(toml: str) -> str:
        with pytest.raises(RulesFileError) as raised:
            _kader(tmp_path, toml)
        return raised.value.melding

    assert melding("[kader]\nboete = 1\nbon_vanaf = 2\n") == \
        "regelbestand regels.toml: onbekende sleutel(s) in [kader]: boete, bon_vanaf"
    assert melding("[kader]\nondersteuning-max = 2\nbon-vanaf = -1\nvier-ogen-vanaf = nan\n") == (
        "regelbestand regels.toml: ongeldige waarde in [kader]: 'ondersteuning-max': moet ten hoogste 1 zijn; "
        "'bon-vanaf': moet minstens 0 zijn; 'vier-ogen-vanaf': moet een getal zijn")
    assert melding('[stadsdeel.West]\nextra-categorieen = ["Alcohol"]\n') == \
        "regelbestand regels.toml: categorie 'Alcohol' in [stadsdeel.West] is volgens het kader nooit toegestaan"
    assert melding('[stadsdeel.West]\ncategorieen = ["huur"]\n') == \
        "regelbestand regels.toml: ongeldige categorie 'huur' in [stadsdeel.West]"


def test_a_value_out_of_range_in_the_rules_file_names_the_file(tmp_path: Path):
    (tmp_path / "regels.toml").write_text("[kader]\nondersteuning-max = 1.5\n", encoding="utf-8")
    result = load_books(tmp_path / "testbuurt-2025", "")
    assert result.codes == ["BB-HEADER"]
    assert "'ondersteuning-max': moet ten hoogste 1 zijn" in result.messages[0]
    assert result.errors[0].source["filename"].endswith("regels.toml")


def test_a_header_override_out_of_range_is_a_header_error(tmp_path: Path):
    prefix = standard().replace('  iban: "NL91ABNA0417164300"\n',
                                '  iban: "NL91ABNA0417164300"\n  ondersteuning-max: 8\n')
    result = load_books(tmp_path / "testbuurt-2025", "", prefix=prefix)
    assert result.codes == ["BB-HEADER"]
    assert result.messages[0].endswith("ongeldige kop: 'ondersteuning-max': moet ten hoogste 1 zijn")


# A load in a fresh process: what it imported, and what the plugin said.
_LOAD = """
import json, sys
from beancount import loader
entries, errors, options = loader.load_file(sys.argv[1])
print(json.dumps({"errors": [e.message for e in errors],
                  "imported": sorted(m for m in ("pydantic", "pydantic_core", "rules") if m in sys.modules)}))
"""


def _load_in_fresh_process(path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_a_load_with_the_rules_and_no_rules_file_never_imports_pydantic(tmp_path: Path):
    # The header's own overrides go through the kader's bounds too: a real override, a real error.
    prefix = standard().replace('  iban: "NL91ABNA0417164300"\n',
                                '  iban: "NL91ABNA0417164300"\n  bon-vanaf: 25.00\n  vier-ogen-vanaf: -1\n')
    path = write_books(tmp_path / "testbuurt-2025", "", prefix=prefix)
    assert not (tmp_path / "regels.toml").exists() and not (path.parent / "regels.toml").exists()
    loaded = _load_in_fresh_process(path)
    assert loaded["imported"] == ["rules"]
    assert loaded["errors"] == ["BB-HEADER ongeldige kop: 'vier-ogen-vanaf': moet minstens 0 zijn"]
    done = subprocess.run([sys.executable, "-c", "import sys, rules; print('pydantic' in sys.modules)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_workspace_with_a_rules_file_is_read_through_pydantic_with_the_same_messages(tmp_path: Path):
    (tmp_path / "regels.toml").write_text("[stadsdeel.West]\nuurtarief-max = true\nbon-vanaf = -1\n",
                                          encoding="utf-8")
    loaded = _load_in_fresh_process(write_books(tmp_path / "testbuurt-2025", ""))
    assert loaded["imported"] == ["pydantic", "pydantic_core", "rules"]
    assert len(loaded["errors"]) == 1 and loaded["errors"][0].endswith(
        "regelbestand regels.toml: ongeldige waarde in [stadsdeel.West]: "
        "'bon-vanaf': moet minstens 0 zijn; 'uurtarief-max': moet een getal zijn")
