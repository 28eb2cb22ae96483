"""BB-VASTSTELLING: once the subsidy is set, the period's costs stay as they were.

    2026-03-02 custom "vaststelling" 9500.00 EUR
      door: "J. de Wit (stadsdeel West)"
      kenmerk: "W-2026-0312"

    2026-03-05 * "Bouwmarkt" "Nagekomen factuur"     ; after the decision
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
      Assets:Bank:Betaalrekening

The latest decision holds (a later one is a correction); a booking dated after
it that posts to an expense account changes the costs it was based on. The
vastgesteld amount is at most the award; a directive that cannot be read (no
amount, another currency, no `door:`) is named too.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import attrgetter

from ledger.vaststelling import vaststellingen
from rules.base import Context, RuleError, eur, violation

CODE = "BB-VASTSTELLING"
TITLE = "Geen kosten na de vaststelling"

_date = attrgetter("date")


def violations(ctx: Context) -> list[RuleError]:
    found = vaststellingen(ctx.view.kosten.customs)  # the custom directives, met once by the fold
    errors = [violation(CODE, e.meta, e.message) for e in found.errors]
    award = ctx.view.award
    for v in found.items:
        if v.bedrag > award:
            errors.append(violation(
                CODE, v.meta,
                f"vastgesteld bedrag {eur(v.bedrag)} is hoger dan de toekenning {eur(award)}",
            ))
    latest = found.latest
    if latest is None:
        return errors
    kosten = ctx.view.kosten
    # The cost transactions come in date order (as beancount hands entries to a plugin):
    # those after the decision are a tail, found by bisection, not by reading every one.
    for i in range(bisect_right(kosten.tx, latest.datum, key=_date), len(kosten.tx)):
        entry = kosten.tx[i]
        accounts = ", ".join(sorted({posting.account for posting in kosten.cost_postings(i)}))
        errors.append(violation(
            CODE, entry.meta,
            f"kosten op {entry.date.isoformat()} ({accounts}) na de vaststelling van "
            f"{latest.datum.isoformat()} door {latest.door} ({eur(latest.bedrag)}); "
            "die ging uit van de kosten tot dan",
            entry,
        ))
    return errors
