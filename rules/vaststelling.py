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

import sys

from ledger.vaststelling import vaststellingen
from rules.base import Context, RuleError, eur, violation

CODE = "BB-VASTSTELLING"
TITLE = "Geen kosten na de vaststelling"

__plugins__ = ("check",)


def violations(ctx: Context) -> list[RuleError]:
    found = vaststellingen(ctx.entries)
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
    for cost in ctx.view.cost_entries:
        entry = cost.entry
        if entry.date <= latest.datum:
            continue
        accounts = ", ".join(sorted({line.account for line in cost.lines}))
        errors.append(violation(
            CODE, entry.meta,
            f"kosten op {entry.date.isoformat()} ({accounts}) na de vaststelling van "
            f"{latest.datum.isoformat()} door {latest.door} ({eur(latest.bedrag)}); "
            "die ging uit van de kosten tot dan",
            entry,
        ))
    return errors


def check(entries, options_map, config=None):
    """Run this rule alone: `plugin "rules.vaststelling"`."""
    from rules.base import run_rules

    return run_rules(entries, options_map, config, [sys.modules[__name__]])
