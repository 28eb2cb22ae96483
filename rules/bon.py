"""BB-BON: every cost has a receipt that exists.

    2025-03-10 * "Bouwmarkt Zuidoost" "Verf en hout"
      document: "2025-03-10-bouwmarkt.pdf"      ; relative to this file, or in documents/
      Expenses:Plannen:Speeltuin:Materiaal   412.50 EUR
      Assets:Bank:Betaalrekening

The receipt is `document:` metadata (any key starting with `document`, on the
transaction or the posting): a path relative to the ledger file, or the name of
a file in the ledger's `option "documents"` folder (what Fava writes after an
upload). Bank costs need none (the statement proves them); refunds need none;
costs below `bon-vanaf` need none.
"""

from __future__ import annotations

import sys
from decimal import Decimal

from rules.base import Context, RuleError, eur, run_rules, violation

CODE = "BB-BON"
TITLE = "Bon bij elke uitgave"

__plugins__ = ("check",)


def violations(ctx: Context) -> list[RuleError]:
    accounts, threshold = ctx.accounts, ctx.kader.bon_vanaf
    bank_costs = accounts.bankkosten  # accounts.is_bank_costs(), inlined: this loop sees every cost
    bank_costs_prefix = bank_costs + ":"
    errors = []
    for entry, lines in ctx.lines_by_entry:
        needing = [l for l in lines if not (l.account == bank_costs or l.account.startswith(bank_costs_prefix))]
        amount = sum((l.amount for l in needing if l.amount > 0), Decimal(0))
        if amount <= 0 or amount < threshold:
            continue
        documents = list(dict.fromkeys(doc for l in needing for doc in l.documents))
        if not documents:
            errors.append(
                violation(
                    CODE, entry.meta,
                    f"uitgave van {eur(amount)} aan {entry.payee or entry.narration!r} heeft geen bon "
                    "(voeg document: toe of sleep de bon op de boeking in Fava)",
                    entry,
                )
            )
            continue
        for value in documents:
            if ctx.documents.resolve(value, entry.meta) is None:
                errors.append(
                    violation(
                        CODE, entry.meta,
                        f"bon '{value}' bij uitgave van {eur(amount)} is niet gevonden "
                        "(niet naast de ledger en niet in de documents-map)",
                        entry,
                    )
                )
    return errors


def check(entries, options_map, config=None):
    """Run this rule alone: `plugin "rules.bon"`."""
    return run_rules(entries, options_map, config, [sys.modules[__name__]])
