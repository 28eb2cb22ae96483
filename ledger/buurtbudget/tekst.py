"""The one way ledger text is written: beancount entries in, beancount text out.

Builders (`ledger.schrijver.boekingen`, `ledger.schrijver.nieuw`, `ledger.importers.stemming`, the demo) make
beancount `data` entries; this module turns them into text, with beancount's
own printer and our formatting:

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-004
      declarant: "Fatima el Amrani"
      prive: TRUE
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties               -64.20 EUR

- every string is quoted the way beancount's lexer unquotes it: `\\` and `"`
  escaped, and line breaks, tabs and form feeds as `\\n`, `\\r`, `\\t`, `\\f`,
  `\\b`, so an entry's first line is always one physical line. Other characters
  (U+2028, U+0085, NUL, ...) are written as they are: beancount counts lines by
  `\\n` only, and reads them back unchanged;
- amounts with two decimals (an amount that is not in whole cents is an error,
  never rounded), metadata in the order given, two spaces of indentation;
- `filename`, `lineno` and `__...` metadata are never written;
- every name that is not a string (account, currency, flag, tag, link,
  metadata key) is checked against beancount's lexer before it is written,
  so no value, wherever it came from, can end a line or start a directive.

`entry(d, exact=True)` writes an entry read from a ledger back as it was read
(amounts with their own precision, costs and prices): the public copy
(`ledger.publiek.redact`) is made that way. Every directive kind beancount has is
written; whatever this module writes, beancount parses back to the same values
(property tests hold it to that).
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import Any, Iterable, Mapping

from beancount.core import account as account_lib
from beancount.core import amount as amount_lib
from beancount.core import data
from beancount.core import position
from beancount.parser import printer
from beancount.parser.grammar import ValueType

CENT = Decimal("0.01")
INDENT = "  "
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f", "\b": "\\b"}
_ESCAPE = re.compile(r'[\\"\n\r\t\f\b]')
_META_KEY = re.compile(r"[a-z][a-zA-Z0-9_-]+")
_TAG_LINK = re.compile(r"[A-Za-z0-9_./-]+")
_OPTION = re.compile(r"[a-z_]+")
_CURRENCY = re.compile(amount_lib.CURRENCY_RE)
# `*`, the lexer's FLAGS and a single capital (beancount reads `P`, `S`, ... as a flag).
_FLAG = re.compile(r"[*!&#?%A-Z]")
_IGNORED = frozenset({"filename", "lineno"})


def string(text: str) -> str:
    """A beancount string literal that the lexer reads back as exactly `text`."""
    return '"' + _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], str(text)) + '"'


def bedrag(number: Decimal) -> str:
    """`412.5` -> `412.50`; refuses what is not in whole cents (never rounds money)."""
    value = Decimal(number)
    if not value.is_finite():
        raise ValueError(f"bedrag {value} is geen getal")
    cents = value.quantize(CENT)
    if cents != value:
        raise ValueError(f"bedrag {value} is niet in hele centen")
    return f"{cents:.2f}"


def _exact(number: Decimal) -> str:
    """A number as beancount reads it back, with its own precision (`1E+2` -> `100`)."""
    value = Decimal(number)
    if not value.is_finite():
        raise ValueError(f"{value} is geen getal")
    return format(value, "f")


def _currency(name: str) -> str:
    if not isinstance(name, str) or not _CURRENCY.fullmatch(name):
        raise ValueError(f"'{name}' is geen geldige valuta")
    return name


def _spaced(token: str) -> str:
    """A token followed by a comma or a brace: a one-letter currency (`V`) is read as one only before a space."""
    return token + " " if token[-1:].isupper() and len(token.rsplit(" ", 1)[-1]) == 1 else token


def _negative(number: str) -> str:
    return f"({number})" if number.startswith("-") else number


def _flag(flag: str) -> str:
    if not isinstance(flag, str) or not _FLAG.fullmatch(flag):
        raise ValueError(f"'{flag}' is geen geldige markering (*, !, ...)")
    return flag


def _amount(a: amount_lib.Amount) -> str:
    return f"{bedrag(a.number)} {_currency(a.currency)}"


def _meta_value(key: str, value: Any) -> str | None:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"metadata {key}: {value} is geen getal")
        return format(value, "f")  # never `1E+2`: beancount reads no exponents
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, amount_lib.Amount):
        return f"{_exact(value.number)} {_currency(value.currency)}"
    if value is None:
        return None
    raise ValueError(f"metadata {key}: waarde {value!r} kan niet als beancount worden geschreven")


def _meta_line(key: str, value: Any, prefix: str) -> str | None:
    if not _META_KEY.fullmatch(key):
        raise ValueError(f"'{key}' is geen geldige metadata-sleutel")
    text = _meta_value(key, value)
    return None if text is None else f"{prefix}{key}: {text}\n"


def _check_account(name: str) -> str:
    if not account_lib.is_valid(name):
        raise ValueError(f"'{name}' is geen geldige rekeningnaam")
    return name


def _tags_links(tags: Iterable[str] | None, links: Iterable[str] | None) -> str:
    out = []
    for mark, names in (("#", tags), ("^", links)):
        for name in sorted(names or ()):
            if not _TAG_LINK.fullmatch(name):
                raise ValueError(f"'{mark}{name}' is geen geldige tag of link")
            out.append(f" {mark}{name}")
    return "".join(out)


class Printer(printer.EntryPrinter):
    """beancount's EntryPrinter with our quoting, amounts and layout.

    `exact=False`: what buurtbudget writes (amounts in whole cents, no costs or
    prices). `exact=True`: an entry read from a ledger, written back as it was
    read (each number with its own precision, costs and prices, empty metadata).
    """

    def __init__(self, *, exact: bool = False) -> None:
        super().__init__(prefix=INDENT)
        self.exact = exact

    def _number(self, number: Decimal) -> str:
        return _exact(number) if self.exact else bedrag(number)

    def _amount(self, a: amount_lib.Amount) -> str:
        return f"{self._number(a.number)} {_currency(a.currency)}"

    def write_metadata(self, meta: Mapping[str, Any] | None, oss: io.StringIO, prefix: str | None = None) -> None:
        for key, value in (meta or {}).items():
            if key in _IGNORED or key.startswith("__"):
                continue
            prefix_ = prefix if prefix is not None else self.prefix
            line = _meta_line(key, value, prefix_)
            if line is None and self.exact:
                line = f"{prefix_}{key}:\n"  # beancount reads an empty value as None
            if line is not None:
                oss.write(line)

    def _line(self, entry: data.Directive, oss: io.StringIO, *parts: str) -> None:
        """The first line of a directive, then its metadata."""
        oss.write(" ".join((entry.date.isoformat(), *parts)) + "\n")
        self.write_metadata(entry.meta, oss)

    def _posting(self, posting: data.Posting) -> str:
        line = INDENT + (f"{_flag(posting.flag)} " if posting.flag else "") + _check_account(posting.account)
        if isinstance(posting.units, amount_lib.Amount) and isinstance(posting.units.number, Decimal):
            line += "   " + self._amount(posting.units)
        if posting.cost is None and posting.price is None:
            return line
        if not self.exact:
            raise ValueError("boekingen met kostprijs of koers schrijft buurtbudget niet")
        cost = posting.cost
        if cost is not None:
            # A booked cost, or one read from text (`CostSpec`) that says the same: a number per unit.
            if isinstance(cost, position.Cost):
                number = cost.number
            elif (isinstance(cost, position.CostSpec) and cost.number_total is None and not cost.merge
                  and isinstance(cost.number_per, Decimal) and isinstance(cost.currency, str)):
                number = cost.number_per
            else:
                raise ValueError(f"{posting.account}: een onvolledige kostprijs wordt niet geschreven")
            parts = [_spaced(self._amount(amount_lib.Amount(number, cost.currency)))]
            if cost.date is not None:
                parts.append(cost.date.isoformat())
            if cost.label is not None:
                parts.append(string(cost.label))
            line += " {" + ", ".join(parts) + "}"  # `{150.125 USD, 2025-01-01, "lot"}`
        if posting.price is not None:
            line += " @ " + self._amount(posting.price)
        return line

    def Transaction(self, entry: data.Transaction, oss: io.StringIO) -> None:
        head = [entry.date.isoformat(), _flag(entry.flag or "*")]
        if entry.payee is not None:
            head.append(string(entry.payee))
        head.append(string(entry.narration or ""))
        oss.write(" ".join(head) + _tags_links(entry.tags, entry.links) + "\n")
        self.write_metadata(entry.meta, oss)
        for posting in entry.postings:
            oss.write(self._posting(posting) + "\n")
            if posting.meta:
                self.write_metadata(posting.meta, oss, INDENT * 2)

    def Open(self, entry: data.Open, oss: io.StringIO) -> None:
        parts = ["open", _check_account(entry.account)]
        if entry.currencies:
            parts.append(",".join(_spaced(_currency(c)) for c in entry.currencies).rstrip())
        if entry.booking is not None:
            parts.append(string(entry.booking.name))
        self._line(entry, oss, *parts)

    def Close(self, entry: data.Close, oss: io.StringIO) -> None:
        self._line(entry, oss, "close", _check_account(entry.account))

    def Balance(self, entry: data.Balance, oss: io.StringIO) -> None:
        number = self._number(entry.amount.number)
        if entry.tolerance is not None:
            number += " ~ " + self._number(entry.tolerance)
        self._line(entry, oss, "balance", _check_account(entry.account),
                   f"  {number} {_currency(entry.amount.currency)}")

    def Pad(self, entry: data.Pad, oss: io.StringIO) -> None:
        self._line(entry, oss, "pad", _check_account(entry.account), _check_account(entry.source_account))

    def Note(self, entry: data.Note, oss: io.StringIO) -> None:
        oss.write(f"{entry.date.isoformat()} note {_check_account(entry.account)} {string(entry.comment)}"
                  + _tags_links(entry.tags, entry.links) + "\n")
        self.write_metadata(entry.meta, oss)

    def Document(self, entry: data.Document, oss: io.StringIO) -> None:
        oss.write(f"{entry.date.isoformat()} document {_check_account(entry.account)} {string(entry.filename)}"
                  + _tags_links(entry.tags, entry.links) + "\n")
        self.write_metadata(entry.meta, oss)

    def Event(self, entry: data.Event, oss: io.StringIO) -> None:
        self._line(entry, oss, "event", string(entry.type), string(entry.description))

    def Query(self, entry: data.Query, oss: io.StringIO) -> None:
        self._line(entry, oss, "query", string(entry.name), string(entry.query_string))

    def Commodity(self, entry: data.Commodity, oss: io.StringIO) -> None:
        self._line(entry, oss, "commodity", _currency(entry.currency))

    def Price(self, entry: data.Price, oss: io.StringIO) -> None:
        self._line(entry, oss, "price", _currency(entry.currency), self._amount(entry.amount))

    def Custom(self, entry: data.Custom, oss: io.StringIO) -> None:
        # Values stand side by side, and beancount reads `1.00 -2.00 EUR` as one sum: a minus is
        # written inside parentheses, `1.00 (-2.00) EUR`.
        values = []
        for value, dtype in entry.values:
            if dtype is account_lib.TYPE:
                values.append(_check_account(value))
            elif isinstance(value, amount_lib.Amount):
                number = self._number(value.number)
                values.append(f"{_negative(number)} {_currency(value.currency)}")
            elif isinstance(value, Decimal) and not isinstance(value, bool):
                values.append(_negative(_exact(value)))
            else:
                text = _meta_value(entry.type, value)
                if text is None:
                    raise ValueError(f"custom {entry.type}: lege waarde")
                values.append(text)
        self._line(entry, oss, "custom", string(entry.type), *values)


_PRINTER = Printer()
_EXACT = Printer(exact=True)


def entry(directive: data.Directive, *, exact: bool = False) -> str:
    """One directive as text, ending in a newline (`exact`: as read from a ledger, see `Printer`)."""
    return (_EXACT if exact else _PRINTER)(directive)


def entries(directives: Iterable[data.Directive]) -> str:
    """Directives as text, one blank line between them (and a newline at the end)."""
    return "\n".join(entry(d) for d in directives)


def option(name: str, value: str) -> str:
    if not _OPTION.fullmatch(name):
        raise ValueError(f"'{name}' is geen beancount-optie")
    return f"option {string(name)} {string(value)}\n"


def meta_line(key: str, value: Any, prefix: str = INDENT) -> str:
    """One metadata line, `  key: "value"` and a newline, written as the printer writes entry metadata.

    For text that adds a line under an entry already in a file (`ledger.schrijver.toch`).
    `filename`, `lineno` and `__...` are refused: beancount sets those itself on
    load, so what was written would not read back.
    """
    if key in _IGNORED or key.startswith("__"):
        raise ValueError(f"metadata-sleutel '{key}' zet beancount zelf; die wordt niet geschreven")
    line = _meta_line(key, value, prefix)
    if line is None:
        raise ValueError(f"metadata {key}: geen waarde")
    return line


def plugin(module: str, config: str | None = None) -> str:
    return f"plugin {string(module)}" + (f" {string(config)}" if config is not None else "") + "\n"


def commentaar(text: str) -> str:
    """`; text` on one line: any line break in `text` becomes a space (a comment cannot hold one)."""
    flat = re.sub(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", " ", str(text))
    return f"; {flat}\n"


# --------------------------------------------------------------------------- reading back


_AS_IS = frozenset({str, Decimal, datetime.date, type(None)})


def _plain(value: Any) -> Any:
    """A value with its kind spelled out, so values of different kinds compare unequal (and never raise)."""
    kind = type(value)
    if kind in _AS_IS:  # most values; the public copy compares every entry on every build
        return value
    if kind is dict:
        return {k: _plain(v) for k, v in value.items() if k not in _IGNORED and not k.startswith("__")}
    if kind is amount_lib.Amount:
        return ("amount", _plain(value.number), value.currency)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return Decimal(value)  # beancount reads every number as a Decimal
    if isinstance(value, amount_lib.Amount):
        return ("amount", _plain(value.number), value.currency)
    if isinstance(value, (position.Cost, position.CostSpec)):
        number = value.number if isinstance(value, position.Cost) else value.number_per
        total = None if isinstance(value, position.Cost) else value.number_total
        return ("cost", _plain(number), _plain(total), value.currency, value.date, value.label)
    if isinstance(value, Mapping):
        return _plain(dict(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = tuple(_plain(v) for v in value)
        return frozenset(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, type):
        return value.__name__
    return value


def _plain_posting(p: data.Posting) -> tuple:
    return (p.account, _plain(p.units), _plain(p.cost), _plain(p.price), p.flag, _plain(p.meta or {}))


def comparable(entry: data.Directive) -> tuple:
    """An entry as plain values: what it says, not where it was read from.

    What this module writes and beancount reads back compares equal to what was
    written (the property tests, and the public copy's own check, hold it to that).
    A balance's `diff_amount` (a result of checking it), `filename`/`lineno` and
    the `__...` metadata beancount adds on load are left out; a cost read back
    from text (`CostSpec`) compares as the cost it books to.
    """
    fields: list[Any] = [type(entry).__name__]
    for name in entry._fields:
        value = getattr(entry, name)
        if name == "diff_amount":
            value = None
        elif name in ("tags", "links"):
            value = frozenset(value or ())
        elif name == "currencies":
            value = tuple(value or ())
        elif name == "postings":
            fields.append(tuple(_plain_posting(p) for p in value))
            continue
        fields.append(_plain(value))
    return tuple(fields)


# --------------------------------------------------------------------------- making entries


def meta(**values: Any) -> dict[str, Any]:
    """Metadata in the order given; keys with `_` become `-` (`ingevoerd_door` -> `ingevoerd-door`)."""
    return {key.replace("_", "-"): value for key, value in values.items() if value is not None}


def meta_van(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in pairs if value is not None}


def posting(account: str, number: Decimal | None = None, currency: str = "EUR",
            meta_: Mapping[str, Any] | None = None) -> data.Posting:
    units = amount_lib.Amount(Decimal(number), currency) if number is not None else None
    return data.Posting(account, units, None, None, None, dict(meta_) if meta_ else None)


def transaction(date: datetime.date, flag: str, payee: str | None, narration: str, postings: list[data.Posting], *,
                meta_: Mapping[str, Any] | None = None, tags: Iterable[str] = (),
                links: Iterable[str] = ()) -> data.Transaction:
    return data.Transaction(dict(meta_ or {}), date, flag, payee, narration, frozenset(tags), frozenset(links),
                            postings)


def open_(date: datetime.date, account: str, currencies: tuple[str, ...] = ("EUR",)) -> data.Open:
    return data.Open({}, date, account, list(currencies), None)


def custom(date: datetime.date, type_: str, values: list[tuple[Any, Any]],
           meta_: Mapping[str, Any] | None = None) -> data.Custom:
    return data.Custom(dict(meta_ or {}), date, type_, [ValueType(*v) for v in values])


def custom_waarde(value: Any) -> ValueType:
    """A value of a custom directive, as beancount's parser would give it (`.value`, `.dtype`)."""
    if isinstance(value, amount_lib.Amount):
        return ValueType(value, amount_lib.Amount)
    if isinstance(value, bool):
        return ValueType(value, bool)
    if isinstance(value, Decimal):
        return ValueType(value, Decimal)
    if isinstance(value, datetime.date):
        return ValueType(value, datetime.date)
    return ValueType(str(value), str)


def custom_account(name: str) -> ValueType:
    return ValueType(name, account_lib.TYPE)


def eur(number: Decimal) -> amount_lib.Amount:
    return amount_lib.Amount(Decimal(number), "EUR")
