"""Names are compared for four eyes as people are, not as they were typed."""

import pytest

from ledger.evaluatie.vier_ogen import mag_goedkeuren, naam_sleutel, zelfde_persoon


@pytest.mark.parametrize("a, b", [
    ("Henk Bakker", "Henk  Bakker"),
    ("Henk Bakker", " henk bakker "),
    ("Henk Bakker", "Henk\u00a0Bakker"),
    ("Henk Bakker", "Henk\tBakker"),
    ("René", "Rene\u0301"),
    ("STRAßE", "strasse"),
])
def test_same_person_after_normalisation(a, b):
    assert zelfde_persoon(a, b)
    assert not mag_goedkeuren(b, ingevoerd_door=a)


@pytest.mark.parametrize("a, b", [("Henk Bakker", "Henk Bakkers"), ("Joyce", "Henk"), ("", ""), (None, None)])
def test_different_or_missing(a, b):
    assert not zelfde_persoon(a, b)


def test_declarant_may_not_approve_and_empty_approver_is_no_approver():
    assert not mag_goedkeuren("Fatima  el Amrani", ingevoerd_door="Henk", declarant="fatima el amrani")
    assert not mag_goedkeuren("  ", ingevoerd_door="Henk")
    assert mag_goedkeuren("Joyce Sedney", ingevoerd_door="Henk", declarant="Fatima")
    assert naam_sleutel("  A \n B ") == "a b"
