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

from ledger.buurtbudget.documents import document_values
from rules.base import Context, RuleError, eur, violation

CODE = "BB-BON"
TITLE = "Bon bij elke uitgave"


def violations(ctx: Context) -> list[RuleError]:
    threshold, zero = ctx.kader.bon_vanaf, Decimal(0)
    receipt = ctx.view.kosten.receipt
    # The transactions that need a receipt: at least the threshold and above zero.
    if threshold > zero:
        candidates = [i for i, amount in enumerate(receipt) if amount >= threshold]
    else:
        candidates = [i for i, amount in enumerate(receipt) if amount > zero]
    return [error for i in _to_read(ctx, candidates) for error in _judge(ctx, i)]


def _to_read(ctx: Context, candidates: list[int]) -> list[int]:
    """The candidates whose receipt is not plainly fine, in ledger order.

    Plainly fine, and passed over with a few look-ups (a large ledger has a receipt on
    nearly every booking): the ledger has one receipt key, the transaction names a file
    under it that lies beside the main ledger or in its documents folder, and no cost
    posting names a receipt of its own. The rest `_judge` reads one by one, as the rule
    reads every transaction; it comes to "fine" for each one passed over here.
    """
    kosten = ctx.view.kosten
    tx = kosten.tx
    metas = [tx[i].meta for i in candidates]
    receipt_keys = [key for key in set().union(*metas) if key[:8] == "document"]
    if len(receipt_keys) != 1:
        return candidates
    key, own_meta = receipt_keys[0], kosten.posting_meta
    main_file, plain = ctx.documents.plain_names()
    rest = []
    for i, meta in zip(candidates, metas):
        value = meta.get(key)
        if type(value) is not str or value not in plain or meta.get("filename") != main_file or i in own_meta:
            rest.append(i)
    return rest


def _judge(ctx: Context, i: int) -> list[RuleError]:
    """BB-BON on cost transaction i: a receipt named, and every receipt named found."""
    kosten = ctx.view.kosten
    entry, amount = kosten.tx[i], kosten.receipt[i]
    meta = entry.meta
    documents = document_values(meta)
    if i in kosten.posting_meta:
        # A posting that needs a receipt may name its own (not bank costs: the statement proves them).
        bank_costs = ctx.accounts.bankkosten
        for posting in kosten.cost_postings(i):
            if posting.meta and not (posting.account == bank_costs or posting.account.startswith(bank_costs + ":")):
                documents += [d for d in document_values(posting.meta) if d not in documents]
    if not documents:
        return [violation(
            CODE, meta,
            f"uitgave van {eur(amount)} aan {entry.payee or entry.narration!r} heeft geen bon "
            "(voeg document: toe of sleep de bon op de boeking in Fava)",
            entry,
        )]
    resolve = ctx.documents.resolve
    return [
        violation(
            CODE, meta,
            f"bon '{value}' bij uitgave van {eur(amount)} is niet gevonden "
            "(niet naast de ledger en niet in de documents-map)",
            entry,
        )
        for value in dict.fromkeys(documents) if resolve(value, meta) is None
    ]
