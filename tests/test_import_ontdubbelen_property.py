"""Property: importing overlapping exports of whole days, in any order and any number of times, books each bank line once.

Lines without a bank reference are told apart only by date, amount,
counter-account and text, counted per export; identical lines on one day
(two coffees) must stay as many as the bank booked.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.buurtbudget.accounts import Accounts
from ledger.importers.common import Afschrift, Bankregel, boek_afschrift

ROOTS = Accounts(assets="Activa", liabilities="Passiva", equity="Vermogen", income="Inkomsten", expenses="Uitgaven")
BANK = "Activa:Bank:Betaalrekening"
IBAN = "NL91ABNA0417164300"
DAY0 = datetime.date(2025, 5, 1)

# A small alphabet of lines, so that equal lines on one day are common.
KINDS = [
    (Decimal("-2.50"), "NL20INGB0001234567", "Koffie"),
    (Decimal("-2.50"), "NL20INGB0001234567", "Thee"),
    (Decimal("-2.50"), "NL44RABO0123456789", "Koffie"),
    (Decimal("25.00"), "NL20INGB0001234567", "Bijdrage"),
]

days = st.lists(st.lists(st.integers(0, len(KINDS) - 1), max_size=4), min_size=1, max_size=5)


def _lines(bank: list[list[int]], first: int, last: int) -> tuple[Bankregel, ...]:
    """The bank's lines of days first..last (whole days), without references."""
    out = []
    for d in range(first, last + 1):
        for k in bank[d]:
            amount, tegen, text = KINDS[k]
            out.append(Bankregel(DAY0 + datetime.timedelta(days=d), amount, None, "Tegenpartij", text, None,
                                 "EUR", tegen))
    return tuple(out)


@settings(max_examples=60, deadline=None)
@given(bank=days, data=st.data())
def test_overlapping_exports_book_every_line_exactly_once(bank: list[list[int]], data) -> None:
    n = len(bank)
    ranges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).map(sorted),
                                min_size=1, max_size=6), label="exports")
    ledger: list = []
    for first, last in ranges:
        export = Afschrift(IBAN, _lines(bank, first, last))
        ledger.extend(boek_afschrift(export, ledger, account=BANK, accounts=ROOTS))
    covered = sorted({d for first, last in ranges for d in range(first, last + 1)})
    # The booked entries do not repeat the counter-account; lines that differ only in it must still both be there.
    expected = Counter((l.datum, l.bedrag, l.omschrijving) for d in covered for l in _lines(bank, d, d))
    booked = Counter((e.date, e.postings[0].units.number, e.narration) for e in ledger)
    assert booked == expected
    # And a second round of the same exports adds nothing.
    for first, last in ranges:
        assert boek_afschrift(Afschrift(IBAN, _lines(bank, first, last)), ledger, account=BANK, accounts=ROOTS) == []
