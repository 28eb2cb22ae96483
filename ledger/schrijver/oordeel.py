"""The writer's verdict: which errors a change adds to a ledger.

Both sides are full loads (beancount's errors plus the validator's), so the
only question is which error of *after* is not already in *before*. Errors
are matched by an identity that survives line shifts (an edit further up
moves every line below it):

- an error that names a figure it measures (`sleutel` and `maat`, set by the
  rules for a plan over budget, support over the ceiling, the award exceeded;
  and beancount's failing balance assertion, by how far it is off) is the
  same error while its `sleutel` stays; it counts as new when its `maat`
  grows: a plan 533.43 over budget that becomes 983.43 over is worse;
- any other error is its code (or beancount's error type), its message
  and the identity of the entry it is about: date, payee, narration, links
  and postings of a transaction (not its flag or metadata, so an approval
  keeps the errors of its claim), the account and amount of a balance, ...

Errors are counted as a multiset: the same error twice is two errors.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import Any, Callable, Iterable

from beancount.core import data


def _code(fout: Any) -> str:
    """A rule's code (its error's `code` field), or for beancount's own errors their kind."""
    return getattr(fout, "code", None) or type(fout).__name__


def entry_identiteit(entry: Any) -> tuple:
    """Who an error is about, independent of line numbers, flag and metadata."""
    if isinstance(entry, data.Transaction):
        return ("T", entry.date, entry.payee, entry.narration, tuple(sorted(entry.links or ())),
                tuple((p.account, str(p.units)) for p in entry.postings))
    if isinstance(entry, data.Balance):
        return ("B", entry.date, entry.account, str(entry.amount))
    if isinstance(entry, (data.Open, data.Close)):
        return (type(entry).__name__, entry.date, entry.account)
    if isinstance(entry, data.Custom):
        return ("C", entry.date, entry.type, tuple(str(v.value) for v in entry.values or ()))
    if isinstance(entry, data.Pad):
        return ("P", entry.date, entry.account, entry.source_account)
    if entry is None:
        return ()
    return (type(entry).__name__, getattr(entry, "date", None), getattr(entry, "account", None))


# "file:123" inside a message: a line number, which moves with any edit above it.
_PLAATS = re.compile(r"(\S+\.beancount):\d+")


def _tekst(fout: Any) -> str:
    message = str(getattr(fout, "message", fout)).strip()
    first = message.splitlines()[0] if message else ""
    return _PLAATS.sub(r"\1", first)


def maat(fout: Any) -> tuple[tuple, Decimal] | None:
    """(identity, magnitude) of an error that measures how far something is off; None for the rest."""
    sleutel = getattr(fout, "sleutel", None)
    grootte = getattr(fout, "maat", None)
    if sleutel is not None and grootte is not None:
        return (_code(fout), sleutel), Decimal(grootte)
    entry = getattr(fout, "entry", None)
    if not isinstance(entry, data.Balance):
        return None
    # beancount's failing balance assertion: off by the amount its message reports. The
    # error carries the original entry (`diff_amount` is set only on the entry it puts in
    # the ledger's place), so the message is where beancount says how far off it is.
    diff = getattr(entry, "diff_amount", None)
    if diff is not None:
        return (_code(fout), entry_identiteit(entry)), abs(diff.number)
    gevonden = _SALDO_VERSCHIL.search(str(getattr(fout, "message", "")))
    if gevonden:
        return (_code(fout), entry_identiteit(entry)), abs(Decimal(gevonden.group(1)))
    return None


# beancount.ops.balance: "Balance failed for 'A': expected X != accumulated Y (D too much|too little)"
_SALDO_VERSCHIL = re.compile(r"\((-?\d+(?:\.\d+)?) too (?:much|little)\)\s*$")


def identiteit(fout: Any) -> tuple:
    gemeten = maat(fout)
    if gemeten is not None:
        return gemeten[0]
    return (_code(fout), entry_identiteit(getattr(fout, "entry", None)), _tekst(fout))


def meer_in(voor: Iterable[Any], na: Iterable[Any], sleutel: Callable[[Any], Any]) -> list:
    """What `na` holds more of than `voor`, counted as a multiset by `sleutel` (twice is two), in `na`'s order."""
    rest = Counter(sleutel(x) for x in voor)
    extra = []
    for x in na:
        key = sleutel(x)
        if rest[key] > 0:
            rest[key] -= 1
        else:
            extra.append(x)
    return extra


def nieuwe_fouten(voor: Iterable[Any], na: Iterable[Any]) -> list:
    """The errors of `na` that `voor` lacks, or that are worse in `na` than in `voor`."""
    voor, na = list(voor), list(na)
    ergste: dict[tuple, Decimal] = {}
    for f in voor:
        gemeten = maat(f)
        if gemeten is not None:
            key, grootte = gemeten
            ergste[key] = max(grootte, ergste.get(key, grootte))
    erger = set()
    for fout in na:
        gemeten = maat(fout)
        if gemeten is not None:
            key, grootte = gemeten
            if key not in ergste or grootte > ergste[key]:
                erger.add(id(fout))
    ongemeten = {id(f) for f in meer_in((f for f in voor if maat(f) is None), (f for f in na if maat(f) is None),
                                        identiteit)}
    return [fout for fout in na if id(fout) in erger or id(fout) in ongemeten]


def formatteer_fout(fout: Any) -> str:
    source = getattr(fout, "source", None) or {}
    message = str(getattr(fout, "message", fout)).strip()
    first = message.splitlines()[0] if message else ""
    return f"{source.get('filename', '<onbekend>')}:{source.get('lineno', 0)}: {first}"
