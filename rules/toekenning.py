"""BB-TOEKENNING: plan budgets plus support costs fit in the award.

    2025-01-15 * "Gemeente Amsterdam" "Toekenning" #toekenning
      Assets:Vordering:Gemeente   10000.00 EUR
      Income:Buurtbudget

    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 6000.00 EUR
    2025-02-01 custom "plan" Expenses:Plannen:Moestuin "Moestuin" 4500.00 EUR  ; 10500 > 10000

The award is minus the sum of the postings to `Income:Buurtbudget`; the
budgets are each plan's latest declaration.
"""

from __future__ import annotations

from rules.base import Context, RuleError, eur, violation

CODE = "BB-TOEKENNING"
TITLE = "Plannen en ondersteuning binnen de toekenning"


def violations(ctx: Context) -> list[RuleError]:
    view = ctx.view
    if view.committed <= view.award:
        return []
    declarations = sorted(
        (d for plan in view.plans for d in plan.declarations),
        key=lambda d: (d.datum, d.meta.get("lineno", 0)),
    )
    if declarations:
        meta = declarations[-1].meta
    elif view.support_lines:
        meta = view.support_lines[-1].meta
    else:
        meta = view.header_entry.meta if view.header_entry else ctx.ledger_source()
    return [
        violation(
            CODE, meta,
            f"goedgekeurde planbudgetten {eur(view.plan_budgets)} plus ondersteuning "
            f"{eur(view.support_costs)} = {eur(view.committed)}, meer dan de toekenning "
            f"{eur(view.award)} ({eur(view.committed - view.award)} te veel)",
        )._replace(sleutel="toekenning", maat=view.committed - view.award)
    ]
