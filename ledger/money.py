"""Money: Decimal in, Decimal out, and Dutch on the way to a person.

Amounts are EUR. Nothing here ever touches a float.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation, localcontext

from babel.numbers import format_currency

CENT = Decimal("0.01")

# Accepted spellings of an amount typed by a person: 12 · 12.50 · 12,50 ·
# 1.234,56 · 1,234.56 · 1234,5. Anything else (12,5,0 · 1.2.3 · 12e3) is refused.
_PLAIN = re.compile(r"^\d+(?:[.,]\d{1,2})?$")
_DUTCH_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?$")
_ENGLISH_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?$")


class AmountError(ValueError):
    """An amount a person typed that is not a valid euro amount."""


def parse_amount(text: str) -> Decimal:
    """Parse a euro amount as a person types it; positive, at most two decimals."""
    raw = str(text).strip().replace("€", "").replace("EUR", "").strip().replace(" ", "")
    if raw.startswith("-"):
        raise AmountError(f"bedrag '{text}' is negatief; geef een positief bedrag")
    if _DUTCH_GROUPED.match(raw):
        normal = raw.replace(".", "").replace(",", ".")
    elif _ENGLISH_GROUPED.match(raw):
        normal = raw.replace(",", "")
    elif _PLAIN.match(raw):
        normal = raw.replace(",", ".")
    else:
        raise AmountError(
            f"bedrag '{text}' is geen geldig bedrag (schrijf bijvoorbeeld 12,50 of 1.234,56)"
        )
    try:
        value = Decimal(normal).quantize(CENT)
    except InvalidOperation as exc:  # pragma: no cover - the patterns exclude this
        raise AmountError(f"bedrag '{text}' is geen geldig bedrag") from exc
    if value <= 0:
        raise AmountError(f"bedrag '{text}' moet groter dan nul zijn")
    return value


def format_eur(amount: Decimal | int | None) -> str:
    """`€ 1.234,56` — the way a Dutch reader expects money."""
    if amount is None:
        return "–"
    # Babel puts a no-break space after the sign; people (and searches) type a plain one.
    return format_currency(Decimal(amount), "EUR", locale="nl_NL").replace("\xa0", " ")


def format_percentage(part: Decimal, whole: Decimal) -> str:
    """Part of whole as `7,95%` (two decimals, Dutch comma); `–` for an empty whole."""
    if not whole:
        return "–"
    with localcontext() as ctx:
        ctx.prec = 50
        pct = (Decimal(part) * 100 / Decimal(whole)).quantize(CENT)
    return f"{pct:.2f}%".replace(".", ",")


def within_ceiling(support: Decimal, award: Decimal, fraction: Decimal) -> bool:
    """True when support <= award * fraction, compared exactly.

    At 8% this is `support * 100 <= award * 8`; scaling both sides by a power of
    ten that makes `fraction` whole keeps the comparison in integers, so no
    context precision or rounding can tip the boundary.
    """
    sign, digits, exponent = Decimal(fraction).as_tuple()
    scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    factor = Decimal(10) ** scale
    with localcontext() as ctx:
        ctx.prec = 100
        return Decimal(support) * factor <= Decimal(award) * (Decimal(fraction) * factor)


def ceiling_of(award: Decimal, fraction: Decimal) -> Decimal:
    """award * fraction, exact (no rounding to cents: the boundary is exact)."""
    with localcontext() as ctx:
        ctx.prec = 100
        return Decimal(award) * Decimal(fraction)
