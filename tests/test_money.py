"""Amounts as people type them: one documented grammar, nothing read two ways, whole cents only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.buurtbudget.money import AmountError, format_eur, parse_amount


@pytest.mark.parametrize("text, expected", [
    ("12", "12.00"), ("12,5", "12.50"), ("12,50", "12.50"), ("12.50", "12.50"), ("1234,56", "1234.56"),
    ("1234.56", "1234.56"), ("1.234,56", "1234.56"), ("12.345.678,00", "12345678.00"), ("€ 1.234,56", "1234.56"),
    ("€1234,56", "1234.56"), ("64,20 EUR", "64.20"), ("0,01", "0.01"), ("  7  ", "7.00"),
])
def test_the_accepted_spellings(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text, expected", [
    ("0,125", "meer dan twee decimalen"),
    ("0.125", "meer dan twee decimalen"),
    ("1234,567", "meer dan twee decimalen"),
    ("12,3456", "meer dan twee decimalen"),
    ("1.234", "dubbelzinnig"),
    ("1,234", "dubbelzinnig"),
    ("1.234.567", "dubbelzinnig"),
    ("1,234.56", "Engelse duizendtallen"),
    ("1,234,567.00", "Engelse duizendtallen"),
    ("1.234,5,6", "geen geldig bedrag"),
    ("1.2.3", "geen geldig bedrag"),
    ("12 50", "geen geldig bedrag"),
    ("1e3", "geen geldig bedrag"),
    ("١٢", "geen geldig bedrag"),
    ("+12", "geen geldig bedrag"),
    ("-12,50", "negatief"),
    ("\u221212,50", "negatief"),
    ("0", "groter dan nul"),
    ("0,00", "groter dan nul"),
    ("", "ontbreekt"),
    ("1" * 20, "onwaarschijnlijk groot"),
])
def test_refused_with_a_dutch_message_that_says_how_to_write_it(text: str, expected: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert expected in str(caught.value)
    assert "1.234,56" in str(caught.value) or "1234" in str(caught.value)


cents = st.integers(min_value=1, max_value=10**14).map(lambda c: Decimal(c).scaleb(-2))


@settings(max_examples=400, deadline=None)
@given(cents)
def test_formatted_dutch_amount_parses_back(amount: Decimal) -> None:
    shown = format_eur(amount)
    assert shown.startswith("€ ")
    assert parse_amount(shown) == amount


@settings(max_examples=300, deadline=None)
@given(cents)
def test_plain_and_dutch_decimal_spellings_agree(amount: Decimal) -> None:
    plain = f"{amount:.2f}"
    assert parse_amount(plain) == amount == parse_amount(plain.replace(".", ","))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=999))
def test_three_decimals_are_never_taken_as_cents(whole: int, thousandths: int) -> None:
    text = f"{whole},{thousandths:03d}"
    with pytest.raises(AmountError):
        parse_amount(text)
