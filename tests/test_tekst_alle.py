"""Every directive kind, every string field hostile: the serializer writes one directive, read back the same.

`ledger.buurtbudget.tekst` writes what buurtbudget adds to a ledger (amounts in cents) and,
with `exact=True`, the public copy of what a ledger holds (any precision, costs
and prices). Whatever the text in a payee, narration, comment, event,
query, custom value, cost label or metadata value, the written text parses to
exactly one directive equal to the one written, and sets no option, plugin or
include.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import amount as amount_lib
from beancount.core import data
from beancount.parser import options as options_lib
from beancount.parser import parser
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.buurtbudget import tekst
from tests import vijandig

D = datetime.date(2025, 3, 10)
UNSET = {"filename", "dcontext"}


def _reads_back_as_itself(entry: data.Directive, *, exact: bool) -> str:
    text = tekst.entry(entry, exact=exact)
    parsed, errors, options = parser.parse_string(text)
    assert errors == [], (text, errors)
    assert len(parsed) == 1, text
    assert tekst.comparable(parsed[0]) == tekst.comparable(entry), text
    changed = {k for k, v in options_lib.OPTIONS_DEFAULTS.items() if k not in UNSET and options[k] != v}
    assert changed == set(), (text, changed)
    # One directive: its first line starts with its date, every other line is indented under it.
    first, *rest = text.rstrip("\n").split("\n")
    assert first.startswith(entry.date.isoformat() + " ")
    assert all(line.startswith("  ") for line in rest), text
    return text


@settings(max_examples=400, deadline=None)
@given(vijandig.directives())
def test_every_kind_reads_back_as_written(entry: data.Directive) -> None:
    _reads_back_as_itself(entry, exact=False)


@settings(max_examples=400, deadline=None)
@given(vijandig.directives(vijandig.exact_number, costs=True))
def test_every_kind_read_from_a_ledger_is_written_back_exactly(entry: data.Directive) -> None:
    _reads_back_as_itself(entry, exact=True)


@pytest.mark.parametrize("kind", vijandig.KINDS)
def test_each_kind_is_written_and_the_strategies_reach_it(kind: str) -> None:
    """Not left to chance: one entry of each kind, every string field the issue's attack text."""
    attack = 'x"\ninclude "../andere-buurt-2025/main.beancount"\n2025-01-01 custom "fava-option" "import-config" "a'
    meta = {"filename": "main.beancount", "lineno": 3, "toelichting": attack}
    eur = amount_lib.Amount(Decimal("12.50"), "EUR")
    entry = {
        "Transaction": data.Transaction(meta, D, "!", attack, attack, frozenset({"a"}), frozenset({"decl-1"}), [
            data.Posting("Expenses:Plannen:Groen:Materiaal", eur, None, None, None, {"toelichting": attack}),
            data.Posting("Liabilities:Declaraties", -eur, None, None, None, None)]),
        "Open": data.Open(meta, D, "Assets:Bank", ["EUR"], data.Booking.STRICT),
        "Close": data.Close(meta, D, "Assets:Bank"),
        "Balance": data.Balance(meta, D, "Assets:Bank", eur, None, None),
        "Pad": data.Pad(meta, D, "Assets:Bank", "Equity:Opening"),
        "Note": data.Note(meta, D, "Assets:Bank", attack, frozenset(), frozenset()),
        "Event": data.Event(meta, D, attack, attack),
        "Document": data.Document(meta, D, "Assets:Bank", "/" + attack, frozenset(), frozenset()),
        "Custom": data.Custom(meta, D, attack, [(attack, str), (eur, amount_lib.Amount)]),
        "Query": data.Query(meta, D, attack, attack),
        "Price": data.Price(meta, D, "USD", eur),
        "Commodity": data.Commodity(meta, D, "EUR"),
    }[kind]
    for exact in (False, True):
        text = _reads_back_as_itself(entry, exact=exact)
        assert "\ninclude" not in text and "\n2025-01-01 custom" not in text


@pytest.mark.parametrize("bad", [
    lambda: data.Transaction({}, D, '* "x"\ninclude "y"\n', None, "x", frozenset(), frozenset(), []),
    lambda: data.Balance({}, D, "Assets:Bank", amount_lib.Amount(Decimal(1), 'EUR\ninclude "x"'), None, None),
    lambda: data.Price({}, D, "eur", amount_lib.Amount(Decimal(1), "EUR")),
    lambda: data.Commodity({}, D, "EUR USD"),
    lambda: data.Open({}, D, "Assets:Bank", ["EUR", "x\n"], None),
    lambda: data.Note({}, D, "Assets:Bank", "x", frozenset({"a b"}), frozenset()),
    lambda: data.Balance({}, D, "Assets:Bank", amount_lib.Amount(Decimal("NaN"), "EUR"), None, None),
])
def test_a_name_beancount_would_misread_is_refused_in_both_modes(bad) -> None:
    for exact in (False, True):
        with pytest.raises(ValueError):
            tekst.entry(bad(), exact=exact)


def test_exact_keeps_precision_costs_prices_and_empty_metadata() -> None:
    entries, errors, _ = loader.load_string(
        '2025-01-01 open Assets:Effecten\n2025-01-01 open Assets:Bank\n'
        '2025-01-01 * "Makelaar" "Aandelen"\n'
        '  leeg:\n'
        '  Assets:Effecten   3 AAPL {150.125 USD, 2025-01-01, "lot \\"één\\""} @ 151.1 USD\n'
        '  Assets:Bank   -450.375 USD\n')
    assert errors == []
    [txn] = [e for e in entries if isinstance(e, data.Transaction)]
    text = tekst.entry(txn, exact=True)
    assert '{150.125 USD, 2025-01-01, "lot \\"één\\""} @ 151.1 USD' in text and "-450.375 USD" in text
    assert "  leeg:\n" in text
    with pytest.raises(ValueError):  # what buurtbudget writes itself is in cents, without costs
        tekst.entry(txn)


@settings(max_examples=200, deadline=None)
@given(st.lists(vijandig.directives(), min_size=1, max_size=6))
def test_a_file_of_hostile_directives_reads_back_directive_for_directive(entries) -> None:
    text = tekst.entries(entries)
    parsed, errors, _ = parser.parse_string(text)
    assert errors == []
    # The same directives, nothing added (the parser returns them in its own order).
    left = [tekst.comparable(e) for e in entries]
    for entry in parsed:
        left.remove(tekst.comparable(entry))
    assert left == [] and len(parsed) == len(entries)
