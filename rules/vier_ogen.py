"""BB-VIER-OGEN: a second person approves larger payments and every claim.

    2025-05-02 * "Houthandel" "Vlonder"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Henk"                  ; the same person: refused
      document: "vlonder.pdf"
      Expenses:Plannen:Groen:Materiaal   750.00 EUR
      Assets:Bank:Betaalrekening

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-004
      declarant: "Fatima el Amrani"
      Expenses:Plannen:Groen:Materiaal   64.20 EUR
      Liabilities:Declaraties

    2025-05-09 * "Fatima el Amrani" "Uitbetaling declaratie" ^decl-2025-004
      Liabilities:Declaraties   64.20 EUR       ; paid, but never approved: refused
      Assets:Bank:Betaalrekening

A transaction that books costs and pays at least `vier-ogen-vanaf` (500.00)
out of a bank account needs `goedgekeurd-door:` naming someone other than
`ingevoerd-door:`. A claim may be paid only once approved (flag `*` and
`goedgekeurd-door:`), never approved by its declarant or by who entered it.
An invoice (`^fact-...` on `Liabilities:Crediteuren`) works the same way: not
paid while it waits (`!`), and from the threshold on only once approved.
An approval sealed by `buurtbudget declaratie goedkeuren` (`goedkeuring-sha256:`)
no longer counts once what it approved changed ("gewijzigd na goedkeuring"),
and a link belongs to one claim or invoice: two under one link are an error.
Whether a claim or invoice may be paid is one predicate (`ledger.evaluatie.vier_ogen.beoordeel`):
this rule reports its faults, and `betaal` pays only what it allows.
Names are compared as people read them (`ledger.evaluatie.vier_ogen.naam_sleutel`):
"henk ", "Неnk" (Cyrillic) and "Hen\u00adk" are Henk.
"""

from __future__ import annotations

from beancount.core import data

from ledger.evaluatie.view import Kosten, link_en_betalingen
from ledger.evaluatie.vier_ogen import naam_sleutel, zelfde_persoon
from rules.base import Context, RuleError, eur, violation

CODE = "BB-VIER-OGEN"
TITLE = "Vier-ogenprincipe bij betalingen en declaraties"


def _wat(kosten: Kosten, kind: str, entry: data.Transaction) -> str:
    """How a message names a claim or invoice: by its link, else by its date."""
    link, _ = link_en_betalingen(kosten, entry.links or ())
    return f"{kind} ^{link}" if link else f"{kind} van {entry.date.isoformat()}"


def violations(ctx: Context) -> list[RuleError]:
    threshold = ctx.kader.vier_ogen_vanaf
    errors: list[RuleError] = []
    kosten = ctx.view.kosten
    tx, flow, no_positive = kosten.tx, kosten.flow, kosten.no_positive
    most_in = -threshold  # paid out at least the threshold: the bank flow is at most minus it
    for i in [i for i, out in enumerate(flow) if out <= most_in]:  # most bookings are far below the threshold
        if i in no_positive:
            continue
        entry, paid = tx[i], -flow[i]
        approver, enterer = entry.meta.get("goedgekeurd-door"), entry.meta.get("ingevoerd-door")
        if not naam_sleutel(approver):
            errors.append(
                violation(CODE, entry.meta,
                          f"betaling van {eur(paid)} (vanaf {eur(threshold)}) zonder goedgekeurd-door", entry)
            )
        elif zelfde_persoon(approver, enterer):
            errors.append(
                violation(CODE, entry.meta,
                          f"betaling van {eur(paid)} is goedgekeurd door wie hem invoerde ({approver})", entry)
            )
    # Claims and invoices: the one verdict of each (`ledger.evaluatie.vier_ogen.beoordeel`, made once per
    # evaluation as `view.oordelen`), which `betaal`, the importers and the pages read too.
    declaraties = ctx.accounts.declaraties
    for (account, entry, amount), oordeel in zip(kosten.liabilities, ctx.view.oordelen, strict=True):
        if oordeel.betaalbaar:
            continue
        kind = "declaratie" if account == declaraties else "factuur"
        for fout in oordeel.fouten:
            errors.append(violation(CODE, entry.meta, f"{_wat(kosten, kind, entry)} {fout}", entry))
        if oordeel.goedgekeurd:
            continue  # approved, but the approval does not count: said above
        # Not approved (yet): paid all the same is the violation. Payments looked up only now.
        _, payments = link_en_betalingen(kosten, entry.links or ())
        if payments:
            payment = payments[0]
            errors.append(violation(
                CODE, payment.meta, f"{_wat(kosten, kind, entry)} ({eur(amount)}) is betaald maar niet goedgekeurd",
                payment))
    return errors
