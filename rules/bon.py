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
    postings, start, tx, own_meta = kosten.posting, kosten.start, kosten.tx, kosten.posting_meta
    zero = Decimal(0)  # a Decimal compares with a Decimal twice as fast as with the int 0 (80k receipts)
    # Is this metadata key a receipt (starts with `document`)? Asked once per distinct key:
    # a large ledger repeats a handful of keys on every booking.
    is_receipt_key: dict[str, bool] = {}
    for i, amount in enumerate(kosten.receipt):
        if amount < threshold or amount <= zero:
            continue
        entry = tx[i]
        meta = entry.meta
        documents = []
        for key in meta:
            receipt_key = is_receipt_key.get(key)
            if receipt_key is None:
                receipt_key = is_receipt_key[key] = key.startswith("document")
            if receipt_key and meta[key]:
                value = meta[key]
                documents.append(value if type(value) is str else str(value))
        if i in own_meta:
            # A posting that needs a receipt may name its own (not bank costs: the statement proves them).
            for posting in postings[start[i]:start[i + 1]]:
                if posting.meta and not (
                    posting.account == bank_costs or posting.account.startswith(bank_costs_prefix)
                ):
                    documents += [d for d in document_values(posting.meta) if d not in documents]
        if not documents:
            errors.append(
                violation(
                    CODE, meta,
                    f"uitgave van {eur(amount)} aan {entry.payee or entry.narration!r} heeft geen bon "
                    "(voeg document: toe of sleep de bon op de boeking in Fava)",
                    entry,
                )
            )
            continue
        for value in documents if len(documents) == 1 else dict.fromkeys(documents):
            if resolve(value, meta) is None:
                errors.append(
                    violation(
                        CODE, meta,
                        f"bon '{value}' bij uitgave van {eur(amount)} is niet gevonden "
                        "(niet naast de ledger en niet in de documents-map)",
                        entry,
                    )
                )
    return errors
