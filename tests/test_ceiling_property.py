"""Property tests for the ceiling arithmetic: exact, in Decimal, at every boundary."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from beancount import loader
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.buurtbudget.money import ceiling_of, within_ceiling
from ledger.evaluatie.view import build_view

cents = st.integers(min_value=0, max_value=10**11).map(lambda c: Decimal(c).scaleb(-2))
fractions = st.integers(min_value=0, max_value=10_000).map(lambda b: Decimal(b).scaleb(-4))  # 0.0000..1.0000


@given(support=cents, award=cents)
def test_eight_percent_is_support_times_100_at_most_award_times_8(support, award):
    assert within_ceiling(support, award, Decimal("0.08")) == (support * 100 <= award * 8)


@given(award=cents, fraction=fractions)
def test_exactly_the_ceiling_passes_and_one_cent_more_fails(award, fraction):
    ceiling = ceiling_of(award, fraction)
    assert within_ceiling(ceiling, award, fraction)
    assert not within_ceiling(ceiling + Decimal("0.01"), award, fraction)


@given(support=cents, award=cents, fraction=fractions)
def test_ceiling_agrees_with_integer_arithmetic(support, award, fraction):
    # Everything in whole units of 1/10^6 cent: plain integers, no Decimal context at all.
    s, a, f = int(support * 100), int(award * 100), int(fraction * 10_000)
    assert within_ceiling(support, award, fraction) == (s * 10_000 <= a * f)


LEDGER = """
option "operating_currency" "EUR"
plugin "rules"

2025-01-01 custom "buurtbudget" "Eigenschap"
  stadsdeel: "West"
  buurt: "Testbuurt"
  model: "B"
  begin: 2025-01-01
  einde: 2025-12-31

2025-01-01 open Assets:Bank:Betaalrekening EUR
2025-01-01 open Income:Buurtbudget EUR
2025-01-01 open Expenses:Ondersteuning:Bankkosten EUR

2025-01-15 * "Gemeente Amsterdam" "Toekenning"
  Assets:Bank:Betaalrekening   {award} EUR
  Income:Buurtbudget

2025-06-30 * "Bank" "Kosten"
  Expenses:Ondersteuning:Bankkosten   {support} EUR
  Assets:Bank:Betaalrekening
"""


@settings(max_examples=40, deadline=None)
@given(award=st.integers(min_value=1, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2)),
       delta=st.integers(min_value=-3, max_value=3))
def test_the_plugin_draws_the_line_where_the_arithmetic_does(award, delta):
    # Support near the ceiling: at most 8% of the award, floored to cents, plus a few cents.
    support = max((award * 8 / 100).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
                  + Decimal(delta).scaleb(-2), Decimal("0.01"))
    entries, errors, options_map = loader.load_string(LEDGER.format(award=award, support=support))
    codes = [e.message.split(" ", 1)[0] for e in errors]
    assert ("BB-ONDERSTEUNING" in codes) == (support * 100 > award * 8)
    view = build_view(entries, options_map)
    assert view.award == award and view.support_costs == support
    assert view.support_within_ceiling == (support * 100 <= award * 8)
