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

from decimal import Decimal

from ledger.documents import document_values
from rules.base import Context, RuleError, eur, violation

CODE = "BB-BON"
TITLE = "Bon bij elke uitgave"


def violations(ctx: Context) -> list[RuleError]:
    threshold = ctx.kader.bon_vanaf
    resolve = ctx.documents.resolve
    bank_costs = ctx.accounts.bankkosten
    bank_costs_prefix = bank_costs + ":"
    errors = []
    kosten = ctx.view.kosten
    postings, start, tx = kosten.posting, kosten.start, kosten.tx
    zero = Decimal(0)  # a Decimal compares with a Decimal twice as fast as with the int 0 (80k receipts)
    for i, amount in enumerate(kosten.receipt):
        if amount < threshold or amount <= zero:
            continue
        entry = tx[i]
        # The receipts of the transaction, and of its postings that need one (a posting's
        # meta holds filename and lineno; anything more may name a receipt).
        documents = document_values(entry.meta)
        for posting in postings[start[i]:start[i + 1]]:
            meta = posting.meta
            if meta and len(meta) > 2 and not (
                posting.account == bank_costs or posting.account.startswith(bank_costs_prefix)
            ):
                documents += [d for d in document_values(meta) if d not in documents]
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
        for value in documents if len(documents) == 1 else dict.fromkeys(documents):
            if resolve(value, entry.meta) is None:
                errors.append(
                    violation(
                        CODE, entry.meta,
                        f"bon '{value}' bij uitgave van {eur(amount)} is niet gevonden "
                        "(niet naast de ledger en niet in de documents-map)",
                        entry,
                    )
                )
    return errors
