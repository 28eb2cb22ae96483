"""Hostile entries of every directive kind, for the serializer and public-copy property tests.

Every string field gets text built from pieces that look like beancount: a
quote and a line break followed by `include`, `option`, `plugin`, a
`custom "fava-option"`, a posting or a metadata line; backslashes, NUL, the
line separators beancount does not count, and any other text hypothesis finds.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from beancount.core import account as account_lib
from beancount.core import amount as amount_lib
from beancount.core import data, position
from beancount.parser.grammar import ValueType
from hypothesis import strategies as st

FRAGMENTS = (
    '"', "\\", '\\"', "\n", "\r", "\r\n", "\t", "\x00", "\u2028", "\u0085", "\ufeff", ";",
    '\ninclude "x"\n',
    'x"\ninclude "../andere-buurt-2025/main.beancount"\n2025-01-01 event "a" "',
    'include "/etc/passwd"',
    'option "title" "overgenomen"',
    '\noption "operating_currency" "USD"\n',
    'plugin "beancount.plugins.auto_accounts"',
    '\nplugin "rules" "/etc/shadow"\n',
    '2025-01-01 custom "fava-option" "import-config" "bonnen/polyglot.pdf"',
    '\n2025-01-01 custom "fava-extension" "fava.ext.portfolio_list"\n',
    '\n  iban: "NL91ABNA0417164300"\n',
    "\n  Activa:Bank   1000000.00 EUR\n",
    "\npushtag #x\n", "\npushmeta a: \"b\"\n",
)

hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=5).map("".join)
tag = st.from_regex(r"[A-Za-z0-9_./-]{1,12}", fullmatch=True)
tags = st.frozensets(tag, max_size=2)
money = st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
exact_number = st.decimals(min_value=-10**7, max_value=10**7, places=5, allow_nan=False, allow_infinity=False)
day = st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2025, 12, 31))
ACCOUNTS = ("Assets:Bank:Betaalrekening", "Liabilities:Declaraties", "Expenses:Plannen:Groen:Materiaal",
            "Income:Buurtbudget", "Equity:Opening", "Assets:Bank:Café-Ĳssel")
account = st.sampled_from(ACCOUNTS)
currency = st.sampled_from(("EUR", "USD", "AAPL", "V", "NT.TO", "/6J"))
META_KEYS = ("declarant", "toelichting", "ingevoerd-door", "kenmerk", "x_y")


def meta_values(number=money):
    return st.one_of(hostile, st.booleans(), number, day, st.builds(amount_lib.Amount, number, currency))


def metadata(lineno: int = 1, number=money):
    """Loaded metadata: where the entry was read, then hostile values under ordinary keys."""
    return st.dictionaries(st.sampled_from(META_KEYS), meta_values(number), max_size=3).map(
        lambda m: {"filename": "main.beancount", "lineno": lineno, **m})


def _eur(number: Decimal) -> amount_lib.Amount:
    return amount_lib.Amount(number, "EUR")


def transactions(number=money, costs: bool = False):
    posting_meta = st.one_of(st.none(), st.dictionaries(st.sampled_from(META_KEYS), hostile, max_size=2))
    maybe = st.booleans() if costs else st.just(False)
    # A loaded ledger has no negative costs or prices, and a cost and price of one posting share a currency.
    cost = st.builds(position.Cost, number.map(abs), currency, st.one_of(st.none(), day), st.one_of(st.none(), hostile))

    def build(meta, date, flag, payee, narration, tags_, links, amount, cost_, price, m1, m2, with_cost, with_price):
        cost_ = cost_ if with_cost else None
        price = amount_lib.Amount(price, cost_.currency if cost_ else "USD") if with_price else None
        first = data.Posting("Expenses:Plannen:Groen:Materiaal", _eur(amount), cost_, price, None, m1)
        second = data.Posting("Liabilities:Declaraties", _eur(-amount), None, None, "!", m2)
        return data.Transaction(meta, date, flag, payee, narration, tags_, links, [first, second])

    return st.builds(build, metadata(number=number), day, st.sampled_from("*!PSTCURM&#?%"),
                     st.one_of(st.none(), hostile), hostile, tags, tags, number, cost, number.map(abs),
                     posting_meta, posting_meta, maybe, maybe)


def custom_values(number=money):
    """Values as loaded (`ValueType`): text, accounts, amounts, numbers, dates, booleans side by side."""
    return st.lists(st.one_of(
        hostile.map(lambda s: (s, str)),
        account.map(lambda a: (a, account_lib.TYPE)),
        st.builds(amount_lib.Amount, number, currency).map(lambda a: (a, amount_lib.Amount)),
        number.map(lambda n: (n, Decimal)),
        day.map(lambda d: (d, datetime.date)),
        st.booleans().map(lambda b: (b, bool)),
    ).map(lambda pair: ValueType(*pair)), min_size=1, max_size=4)


def directives(number=money, costs: bool = False):
    """One directive of any kind beancount has, every string field hostile."""
    meta = metadata(number=number)
    return st.one_of(
        transactions(number, costs),
        st.builds(data.Open, meta, day, account, st.one_of(st.none(), st.lists(currency, min_size=1, max_size=2)),
                  st.one_of(st.none(), st.sampled_from(list(data.Booking)))),
        st.builds(data.Close, meta, day, account),
        st.builds(data.Balance, meta, day, account, st.builds(amount_lib.Amount, number, currency),
                  st.one_of(st.none(), number.map(abs)), st.none()),
        st.builds(data.Pad, meta, day, account, account),
        st.builds(data.Note, meta, day, account, hostile, tags, tags),
        st.builds(data.Event, meta, day, hostile, hostile),
        st.builds(data.Document, meta, day, account, hostile.map(lambda s: "/bonnen/" + s), tags, tags),  # loaded: absolute
        st.builds(data.Custom, meta, day, hostile, custom_values(number)),
        st.builds(data.Query, meta, day, hostile, hostile),
        st.builds(data.Price, meta, day, currency, st.builds(amount_lib.Amount, number, currency)),
        st.builds(data.Commodity, meta, day, currency),
    )


KINDS = ("Transaction", "Open", "Close", "Balance", "Pad", "Note", "Event", "Document", "Custom", "Query",
         "Price", "Commodity")
