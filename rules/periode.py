"""BB-PERIODE: costs are made between `begin` and `einde`, both inclusive.

    2025-01-01 custom "buurtbudget" "K-buurt 2025"
      ...
      begin: 2025-01-01
      einde: 2025-12-31

    2026-01-01 * "Bouwmarkt" "Verf"      ; one day late
      Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
      Assets:Bank:Betaalrekening

Any posting to an expense account counts, refunds too. Without a valid header
there is no period; BB-HEADER says so.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from operator import attrgetter

from rules.base import Context, RuleError, violation

CODE = "BB-PERIODE"
TITLE = "Kosten binnen de periode"

_date = attrgetter("date")


def violations(ctx: Context) -> list[RuleError]:
    header = ctx.view.header
    if header is None:
        return []
    errors = []
    begin, einde = header.begin, header.einde
    kosten = ctx.view.kosten
    tx = kosten.tx
    # The cost transactions come in date order (as beancount hands entries to a plugin): those
    # outside the period are a head and a tail, found by bisection, not by reading every one.
    inside_from = bisect_left(tx, begin, key=_date)
    inside_to = max(bisect_right(tx, einde, key=_date), inside_from)
    for i in (*range(inside_from), *range(inside_to, len(tx))):
        entry = tx[i]
        accounts = sorted({posting.account for posting in kosten.cost_postings(i)})
        side = "vóór het begin" if entry.date < header.begin else "na het einde"
        errors.append(
            violation(
                CODE, entry.meta,
                f"kosten op {entry.date.isoformat()} ({', '.join(accounts)}) "
                f"liggen {side} van de periode {header.begin.isoformat()} t/m {header.einde.isoformat()}",
                entry,
            )
        )
    return errors
