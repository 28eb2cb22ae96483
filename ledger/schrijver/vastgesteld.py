"""The writer's refusal: a change to the costs of a decided period (never forcible, also not with --toch).

A recorded vaststelling is never changed or removed by a write, and the costs dated on or
before the latest one stay as they are (`ledger.evaluatie.vaststelling` reads them).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from beancount.core import data

from ledger.buurtbudget.accounts import Accounts
from ledger.evaluatie.vaststelling import TYPE, vaststellingen
from ledger.schrijver.oordeel import entry_identiteit
from ledger.schrijver.veranderd import volle_identiteit


@dataclass(frozen=True)
class VastgesteldePeriode:
    """The writer's refusal: a change to the costs of a decided period. Never forcible (`definitief`)."""

    source: dict
    message: str
    entry: Any
    definitief: bool = True
    code: str = "BB-VASTSTELLING"


def _kosten_identiteiten(entries: Iterable[Any], tot: datetime.date, is_kosten) -> Counter:
    return Counter(
        entry_identiteit(e) for e in entries
        if type(e) is data.Transaction and e.date <= tot and any(is_kosten(p.account) for p in e.postings)
    )


def _besluiten_blijven(voor: list, na: list) -> list[VastgesteldePeriode]:
    """A recorded decision is never changed or removed by a write: a correction is a new one."""
    def besluiten(entries: list) -> list:
        return [e for e in entries if type(e) is data.Custom and e.type == TYPE]

    rest = Counter(volle_identiteit(e) for e in besluiten(na))
    fouten = []
    for e in besluiten(voor):
        key = volle_identiteit(e)
        if rest[key] > 0:
            rest[key] -= 1
            continue
        fouten.append(VastgesteldePeriode(
            {"filename": e.meta.get("filename", "<onbekend>"), "lineno": e.meta.get("lineno", 0)},
            f"BB-VASTSTELLING de vaststelling van {e.date.isoformat()} kan niet worden gewijzigd of verwijderd; "
            "een correctie is een nieuwe vaststelling door het stadsdeel (buurtbudget vaststellen)",
            e))
    return fouten


def vastgestelde_fouten(voor: Any, na: Any) -> list[VastgesteldePeriode]:
    """The costs dated on or before the latest decision that a change adds, alters or removes.

    `voor` and `na` are the writer's two loads (`entries`, `options_map`). A
    cost is compared as written (date, payee, narration, links, postings), not
    by its metadata, so approving or paying a claim of the period stays possible.
    """
    besluit = vaststellingen(voor.entries).latest
    if besluit is None:
        return []
    fouten = _besluiten_blijven(voor.entries, na.entries)
    is_kosten = Accounts.from_options(voor.options_map).is_expense
    oud = _kosten_identiteiten(voor.entries, besluit.datum, is_kosten)
    nieuw = _kosten_identiteiten(na.entries, besluit.datum, is_kosten)
    where = f"{besluit.meta.get('filename')}:{besluit.meta.get('lineno')}"
    for wat, verschil, entries in (("toegevoegd of gewijzigd", nieuw - oud, na.entries),
                                   ("verwijderd of gewijzigd", oud - nieuw, voor.entries)):
        if not verschil:
            continue
        for e in entries:
            if type(e) is data.Transaction and verschil.get(entry_identiteit(e), 0) > 0:
                verschil[entry_identiteit(e)] -= 1
                fouten.append(VastgesteldePeriode(
                    {"filename": e.meta.get("filename", "<onbekend>"), "lineno": e.meta.get("lineno", 0)},
                    f"BB-VASTSTELLING de kosten tot en met {besluit.datum.isoformat()} zijn vastgesteld door "
                    f"{besluit.door} ({where}); deze wijziging heeft kosten van {e.date.isoformat()} "
                    f"({e.payee or e.narration}) {wat}. Dat kan niet meer, ook niet met --toch; "
                    "alleen het stadsdeel kan een nieuwe vaststelling doen",
                    e))
    return fouten
