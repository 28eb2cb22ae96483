"""The accountability tier of Amsterdam's subsidy ordinance (2013 version) for an award.

    below EUR 5,000          the final amount is set directly (keep the receipts anyway)
    EUR 5,000 to 50,000      a request for the final amount with an activity report,
                             within 8 weeks after the activities end
    above EUR 50,000         a financial statement too
    EUR 125,000 and more     an accountant's statement is commonly required as well

The boundaries are exact: 5,000.00 and 50,000.00 fall in the middle tier,
50,000.01 above it; 125,000.00 is the first amount of the top tier. The report
states the tier as guidance: the stadsdeel's award decision decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LOWER = Decimal("5000.00")
UPPER = Decimal("50000.00")
ACCOUNTANT = Decimal("125000.00")


@dataclass(frozen=True, slots=True)
class Tier:
    number: int  # 1..4
    key: str  # label key: tier-1 .. tier-4


def accountability_tier(award: Decimal) -> Tier:
    """The tier for an awarded amount (pure; Decimal, exact boundaries)."""
    award = Decimal(award)
    if award < LOWER:
        return Tier(1, "tier-1")
    if award <= UPPER:
        return Tier(2, "tier-2")
    if award < ACCOUNTANT:
        return Tier(3, "tier-3")
    return Tier(4, "tier-4")
