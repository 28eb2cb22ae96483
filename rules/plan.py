"""BB-PLAN: a plan's net costs stay within its approved budget; costs need a declared plan.

    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 1000.00 EUR

    2025-03-10 * "Bouwmarkt" "Hout"
      document: "hout.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   1200.00 EUR   ; over budget ...
      Assets:Bank:Betaalrekening

    2025-03-20 * "Bouwmarkt" "Retour"
      Expenses:Plannen:Speeltuin:Materiaal   -250.00 EUR   ; ... until this refund
      Assets:Bank:Betaalrekening

The budget is the latest declaration (a later `custom "plan"` changes it);
refunds subtract. Costs on `Plannen:<Plan>` without any declaration are an error.
"""

from __future__ import annotations

from decimal import Decimal

from rules.base import Context, RuleError, eur, violation

CODE = "BB-PLAN"
TITLE = "Plankosten binnen het goedgekeurde budget"


def violations(ctx: Context) -> list[RuleError]:
    view, accounts = ctx.view, ctx.accounts
    errors: list[RuleError] = [violation(CODE, p.meta, p.message) for p in view.plan_errors]
    for plan in view.plans:
        if plan.declarations and accounts.plan_of(plan.account) != plan.account:
            errors.append(
                violation(
                    CODE, plan.declarations[-1].meta,
                    f"plan-rekening {plan.account} moet direct onder {accounts.plannen} staan "
                    f"({accounts.plannen}:<Plan>)",
                )
            )
            continue
        if not plan.declared:
            first = plan.lines[0]
            errors.append(
                violation(
                    CODE, first.meta,
                    f"kosten op plan '{plan.name}' ({plan.account}) zonder custom \"plan\"-declaratie "
                    f"({len(plan.lines)} boeking(en), samen {eur(plan.costs)})",
                    first.entry,
                )
            )
            continue
        if plan.over_budget:
            running = Decimal(0)
            culprit = plan.lines[-1]
            for line in plan.lines:
                running += line.amount
                if running > plan.budget:
                    culprit = line
                    break
            errors.append(
                violation(
                    CODE, culprit.meta,
                    f"plan '{plan.name}' kost netto {eur(plan.costs)}, meer dan het goedgekeurde budget "
                    f"{eur(plan.budget)} (declaratie van {plan.declarations[-1].datum.isoformat()}; "
                    f"{eur(plan.costs - plan.budget)} te veel)",
                    culprit.entry,
                )._replace(sleutel=plan.account, maat=plan.costs - plan.budget)
            )
    return errors
