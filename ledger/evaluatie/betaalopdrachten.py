"""The payment batches as the ledger records them: which exist, which were cancelled, which still wait.

A read of the ledger (the writer asks whether a claim waits in a batch before it
is rejected; the importer asks which batch a payment carries out); making,
cancelling and paying batches is `ledger.betalingen.batches`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Iterable, Mapping

from beancount.core import data

from ledger.evaluatie.view import Buurtbudget

BATCH = "betaalopdracht"
INTREKKING = "betaalopdracht-ingetrokken"
BATCH_META = "betaalopdracht"  # on a payment: the batch it came from


@dataclass(frozen=True, slots=True)
class Betaalbatch:
    """A payment batch as recorded in the ledger (`custom "betaalopdracht"`)."""

    msgid: str
    datum: datetime.date
    links: tuple[str, ...]
    ingetrokken: bool
    meta: Mapping


def _value(entry: data.Custom) -> str | None:
    values = entry.values or ()
    if not values:
        return None
    value = values[0].value if hasattr(values[0], "value") else values[0]
    return str(value).strip() if isinstance(value, str) and value.strip() else None


def batches(entries: Iterable[data.Directive]) -> list[Betaalbatch]:
    """Every batch of the ledger, in ledger order, with whether it was cancelled."""
    found: list[tuple[str, data.Custom]] = []
    cancelled: set[str] = set()
    for e in entries:
        if type(e) is not data.Custom:
            continue
        msgid = _value(e)
        if msgid is None:
            continue
        if e.type == BATCH:
            found.append((msgid, e))
        elif e.type == INTREKKING:
            cancelled.add(msgid)
    result = []
    for msgid, e in found:
        links = tuple(l.lstrip("^") for l in str(e.meta.get("links") or "").split() if l.strip("^"))
        result.append(Betaalbatch(msgid, e.date, links, msgid in cancelled, e.meta))
    return result


def intrekkingen(entries: Iterable[data.Directive]) -> set[str]:
    return {m for e in entries if type(e) is data.Custom and e.type == INTREKKING and (m := _value(e))}


def _batch_of(payment: data.Transaction) -> str | None:
    value = payment.meta.get(BATCH_META) if payment.meta else None
    return str(value) if value else None


def uitgevoerd(view: Buurtbudget) -> set[tuple[str, str]]:
    """(MsgId, link) of every item whose payment from that batch is booked (`betaalopdracht:` on the payment)."""
    return {(m, p.link) for p in view.payables if p.link for pay in p.payments if (m := _batch_of(pay))}


def wachtend(entries: Iterable[data.Directive], view: Buurtbudget) -> dict[str, str]:
    """link -> MsgId of the batch it waits in: in a batch that is not cancelled and whose payment is not booked.

    A payment booked from a statement names its batch (`betaalopdracht:`); a
    batch whose item has no such payment is still out at the bank, so the item
    is not paid again, whatever the dates say.
    """
    consumed = uitgevoerd(view)
    result: dict[str, str] = {}
    for b in batches(entries):
        if b.ingetrokken:
            continue
        for link in b.links:
            if (b.msgid, link) not in consumed:
                result.setdefault(link, b.msgid)
    return result


def batch_voor_betaling(alle: Iterable[Betaalbatch], consumed: set[tuple[str, str]], link: str) -> str | None:
    """The batch a payment of `link` seen on a statement carries out: the oldest one it still waits in.

    `consumed` holds the (MsgId, link) pairs already carried out; the caller adds the one it uses.
    """
    for b in alle:
        if not b.ingetrokken and link in b.links and (b.msgid, link) not in consumed:
            return b.msgid
    return None
