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
from itertools import compress

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
    postings, start, tx, own_meta, receipt = kosten.posting, kosten.start, kosten.tx, kosten.posting_meta, kosten.receipt
    zero = Decimal(0)
    # The transactions that need a receipt, picked out at C speed: at least the threshold and above zero.
    needs = map(threshold.__le__, receipt) if threshold > zero else map(zero.__lt__, receipt)
    # The receipt keys (starting with `document`) among the metadata keys met so far: a ledger
    # repeats a handful of keys on every booking, so each key is judged once, and while at most
    # one receipt key exists, a booking's receipt is one look-up instead of a walk over its keys.
    known: set[str] = set()
    receipt_keys: list[str] = []
    single: str | None = None
    for i in compress(range(len(receipt)), needs):
        entry = tx[i]
        meta = entry.meta
        if not known.issuperset(meta):
            for key in meta:
                if key not in known:
                    known.add(key)
                    if key[:8] == "document":
                        receipt_keys.append(key)
            single = receipt_keys[0] if len(receipt_keys) == 1 else None
        if single is not None:
            value = meta.get(single)
            documents = [value if type(value) is str else str(value)] if value else []
        elif receipt_keys:
            documents = document_values(meta)
        else:
            documents = []
        if i in own_meta:
            # A posting that needs a receipt may name its own (not bank costs: the statement proves them).
            for posting in postings[start[i]:start[i + 1]]:
                if posting.meta and not (
                    posting.account == bank_costs or posting.account.startswith(bank_costs_prefix)
                ):
                    documents += [d for d in document_values(posting.meta) if d not in documents]
        amount = receipt[i]
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
