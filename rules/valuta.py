"""BB-VALUTA: a buurtbudget books its costs in euros.

    2025-04-01 * "Webshop" "Spelmateriaal"
      Expenses:Plannen:Speeltuin:Materiaal   30.00 USD   ; not in EUR
      Assets:Bank:Betaalrekening

The award, the budgets and the ceiling are in EUR; a cost in another currency
cannot be weighed against them, so it is reported and left out of every sum.
This rule goes past the contract's list: it guards the sums the others use.
"""

from __future__ import annotations

from rules.base import Context, RuleError, violation

CODE = "BB-VALUTA"
TITLE = "Kosten in euro"


def violations(ctx: Context) -> list[RuleError]:
    return [
        violation(
            CODE, line.meta,
            f"kosten van {line.amount} {line.currency} op {line.account}: een buurtbudget boekt in EUR; "
            "reken om en boek het bedrag in euro",
            line.entry,
        )
        for line in ctx.view.foreign_lines
    ]
