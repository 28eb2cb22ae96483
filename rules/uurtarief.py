"""BB-UURTARIEF: own work is paid at most `uurtarief-max` (50.00) per hour.

    2025-06-01 * "Klusbedrijf De Buurt" "Schilderwerk"
      uren: 10
      document: "factuur-klus.pdf"
      Expenses:Plannen:Speeltuin:Inhuur   520.00 EUR   ; 52.00 per hour: too much
      Assets:Bank:Betaalrekening

`uren:` on a posting applies to that posting; on the transaction, to its costs
without their own `uren:`. Compared exactly: amount > hours x maximum fails.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ledger.evaluatie.view import CURRENCY
from rules.base import Context, RuleError, eur, violation

CODE = "BB-UURTARIEF"
TITLE = "Uurtarief binnen het maximum"


def _hours(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        hours = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return hours if hours.is_finite() else None


def violations(ctx: Context) -> list[RuleError]:
    maximum = ctx.kader.uurtarief_max
    errors = []
    kosten = ctx.view.kosten
    for i in kosten.hours:
        entry = kosten.tx[i]
        groups: list[tuple[object, Decimal | None]] = []
        rest = Decimal(0)
        for posting in kosten.cost_postings(i):
            # A cost in another currency is in no sum (BB-VALUTA reports it): its hours are
            # still judged, but 101 USD is not weighed as € 101,00.
            amount = posting.units.number if posting.units.currency == CURRENCY else None
            if posting.meta and "uren" in posting.meta:
                groups.append((posting.meta["uren"], amount))
            elif amount is not None:
                rest += amount
        if "uren" in entry.meta:
            groups.append((entry.meta["uren"], rest))
        for raw, amount in groups:
            hours = _hours(raw)
            if hours is None or hours <= 0:
                errors.append(violation(CODE, entry.meta, f"uren: {raw!r} is geen positief aantal uren", entry))
                continue
            if amount is not None and amount > hours * maximum:
                errors.append(
                    violation(
                        CODE, entry.meta,
                        f"{eur(amount)} voor {hours} uur is meer dan {hours} × {eur(maximum)} = "
                        f"{eur(hours * maximum)} (maximaal uurtarief {eur(maximum)})",
                        entry,
                    )
                )
    return errors
