"""BB-ONDERSTEUNING: support costs stay within the ceiling.

    2025-01-15 * "Gemeente Amsterdam" "Toekenning" #toekenning
      Assets:Vordering:Gemeente   10000.00 EUR
      Income:Buurtbudget

    2025-06-30 * "Administratiekantoor" "Handelingskosten"
      document: "factuur.pdf"
      Expenses:Ondersteuning:Administratie   800.01 EUR   ; 8% is 800.00: one cent too much
      Assets:Bank:Betaalrekening

Support S and award A must satisfy S * 100 <= A * 8 (or `ondersteuning-max`),
exactly, in Decimal. The error points at the booking that crossed the ceiling.
"""

from __future__ import annotations

from decimal import Decimal

from ledger.buurtbudget.money import within_ceiling
from ledger.buurtbudget.money import format_fraction as percentage
from rules.base import Context, RuleError, eur, violation

CODE = "BB-ONDERSTEUNING"
TITLE = "Ondersteuningskosten binnen het plafond"


def violations(ctx: Context) -> list[RuleError]:
    view = ctx.view
    if view.support_within_ceiling:
        return []
    fraction = view.kader.ondersteuning_max
    running = Decimal(0)
    culprit = view.support_lines[-1] if view.support_lines else None
    for line in view.support_lines:
        running += line.amount
        if not within_ceiling(running, view.award, fraction):
            culprit = line
            break
    meta = culprit.meta if culprit else ctx.ledger_source()
    return [
        violation(
            CODE,
            meta,
            f"ondersteuningskosten {eur(view.support_costs)} zijn meer dan {percentage(fraction)} "
            f"van de toekenning {eur(view.award)} (plafond {eur(view.ceiling)}, "
            f"{eur(view.support_costs - view.ceiling)} te veel)",
            culprit.entry if culprit else None,
        )._replace(sleutel="ondersteuning", maat=view.support_costs - view.ceiling)
    ]
