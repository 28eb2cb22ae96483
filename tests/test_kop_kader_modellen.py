"""The header and the kader are pydantic models at a boundary: checked by pydantic, said in Dutch."""

from __future__ import annotations

import datetime
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from ledger.buurtbudget.header import Header, describe_validation_error
from ledger.buurtbudget.kader import Kader, Regelbestand, RulesFileError, kader_voor
from tests.books import load_books

HEADER = {"naam": "K-buurt 2025", "datum": datetime.date(2025, 1, 1), "stadsdeel": "West", "buurt": "K-buurt",
          "model": "c", "begin": "2025-01-01", "einde": datetime.date(2025, 12, 31)}


def _fout(model, values) -> str:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(values)
    return describe_validation_error(raised.value)


def test_header_is_frozen_and_hashable_with_its_overrides():
    header = Header.model_validate({**HEADER, "iban": "nl91 abna 0417 1643 00", "prive-namen": "Kees; Jan",
                                    "overrides": {"bon-vanaf": Decimal("25.00")}, "onbekend": "genegeerd"})
    assert (header.model, header.begin, header.iban) == ("C", datetime.date(2025, 1, 1), "NL91ABNA0417164300")
    assert header.prive_namen == ("Kees", "Jan") and dict(header.overrides) == {"bon-vanaf": Decimal("25.00")}
    assert hash(header) == hash(Header.model_validate({**HEADER, "iban": "NL91ABNA0417164300",
                                                       "prive_namen": ("Kees", "Jan"),
                                                       "overrides": {"bon-vanaf": Decimal("25.00")}}))
    with pytest.raises(ValidationError):
        header.naam = "Anders"


def test_every_header_problem_is_one_dutch_clause():
    message = _fout(Header, {**HEADER, "naam": None, "stadsdeel": "", "buurt": 5, "model": "d", "datum": 20250101,
                             "einde": "2024-12-31", "fase": "klaar", "iban": "NL00ABNA0000000000"})
    assert message.split("; ") == [
        "'naam (het tweede argument)' ontbreekt",
        "'datum': is geen datum (schrijf JJJJ-MM-DD)",
        "'stadsdeel': mag niet leeg zijn",
        "'buurt': moet tekst zijn (tussen aanhalingstekens)",
        "onbekend model 'd' (kies A, B of C)",
        "einde (2024-12-31) ligt vóór begin (2025-01-01)",
        "'iban': 'NL00ABNA0000000000' is geen geldig IBAN (het controlegetal klopt niet)",
        "onbekende fase 'klaar' (ideeen, stemmen, uitvoering, verantwoording, afgesloten)",
    ]


def test_kader_refuses_unknown_keys_bools_and_values_out_of_range():
    message = _fout(Kader, {"ondersteuning-max": 8, "bon_vanaf": "-1", "vier-ogen-vanaf": "NaN",
                            "uurtarief-max": True, "boete": 1})
    assert message.split("; ") == [
        "onbekende sleutel(s): boete",
        "'ondersteuning-max': moet ten hoogste 1 zijn",
        "'bon-vanaf': moet minstens 0 zijn",
        "'vier-ogen-vanaf': moet een getal zijn",
        "'uurtarief-max': moet een getal zijn",
    ]
    assert hash(Kader()) == hash(Kader())


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


def test_a_value_out_of_range_in_the_rules_file_names_the_file(tmp_path: Path):
    (tmp_path / "regels.toml").write_text("[kader]\nondersteuning-max = 1.5\n", encoding="utf-8")
    result = load_books(tmp_path / "testbuurt-2025", "")
    assert result.codes == ["BB-HEADER"]
    assert "'ondersteuning-max': moet ten hoogste 1 zijn" in result.messages[0]
    assert result.errors[0].source["filename"].endswith("regels.toml")
