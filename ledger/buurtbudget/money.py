"""Money: Decimal in, Decimal out, and Dutch on the way to a person.

Amounts are EUR. Nothing here ever touches a float.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import re
from decimal import Decimal, localcontext

CENT = Decimal("0.01")

# The grammar of an amount typed by a person (documented in docs/readme-dagelijks.md):
#
#   1234 · 1234,5 · 1234,56 · 1234.56      digits, optionally one decimal mark and 1 or 2 decimals
#   1.234,56 · 12.345.678,00               Dutch thousands dots, only together with a decimal comma
#
# optionally with `€` or `EUR` before or after. Refused, with a Dutch message that
# says how to write it: more than two decimals (`0,125`), anything that can be read
# two ways (`1.234` and `1,234`: thousands or decimals?; `1,234.56`: English
# grouping), more than one decimal mark (`1.234,5,6`), spaces inside the number,
# signs, exponents, non-ASCII digits, zero and negative amounts.
_DIGITS = re.compile(r"[0-9]+")
_SIMPLE = re.compile(r"(?P<int>[0-9]+)(?:(?P<mark>[.,])(?P<dec>[0-9]+))?")
_DUTCH_GROUPED = re.compile(r"(?P<int>[0-9]{1,3}(?:\.[0-9]{3})+),(?P<dec>[0-9]+)")
_MAX_DIGITS = 15  # whole euros: far beyond any buurtbudget, well inside Decimal's precision
HOW = "schrijf bijvoorbeeld 1234,56, 1.234,56 of 1234.56, met hoogstens twee decimalen"


class AmountError(Fout, ValueError):
    """An amount a person typed that is not a valid euro amount."""


def _strip_currency(raw: str) -> str:
    raw = raw.strip()
    for sign in ("€", "EUR", "eur"):
        if raw.startswith(sign):
            raw = raw[len(sign):].strip()
        elif raw.endswith(sign):
            raw = raw[: -len(sign)].strip()
    return raw


def parse_amount(text: str) -> Decimal:
    """Parse a euro amount as a person types it: positive, at most two decimals, never ambiguous."""
    shown = str(text).strip()
    raw = _strip_currency(str(text))
    if not raw:
        raise AmountError(f"bedrag ontbreekt; {HOW}")
    if raw[0] in "-\u2212":
        raise AmountError(f"bedrag '{shown}' is negatief; geef een positief bedrag ({HOW})")
    grouped = _DUTCH_GROUPED.fullmatch(raw)
    simple = _SIMPLE.fullmatch(raw)
    if grouped:
        whole, decimals = grouped["int"].replace(".", ""), grouped["dec"]
    elif simple:
        whole, decimals = simple["int"], simple["dec"] or ""
        if simple["mark"] and len(decimals) == 3 and len(whole) <= 3 and whole.lstrip("0"):
            # 1.234 / 1,234: a thousands separator or three decimals? Never guess with money.
            raise AmountError(
                f"bedrag '{shown}' is dubbelzinnig (duizendtal of decimalen?); bedoelt u "
                f"{whole}{decimals} euro, schrijf dan {whole}{decimals} of {whole}.{decimals},00 ({HOW})"
            )
    elif re.fullmatch(r"[0-9.,]+", raw) and raw.count(",") == 1 and "." in raw.split(",")[1] \
            or re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", raw):
        raise AmountError(f"bedrag '{shown}' gebruikt Engelse duizendtallen (1,234.56); {HOW}")
    elif re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", raw):
        raise AmountError(
            f"bedrag '{shown}' is dubbelzinnig (duizendtallen zonder decimale komma); "
            f"schrijf {raw.replace('.', '')} of {raw},00 ({HOW})"
        )
    else:
        raise AmountError(f"bedrag '{shown}' is geen geldig bedrag; {HOW}")
    if len(decimals) > 2:
        raise AmountError(f"bedrag '{shown}' heeft meer dan twee decimalen; een bedrag is in hele centen ({HOW})")
    if len(whole.lstrip("0")) > _MAX_DIGITS:
        raise AmountError(f"bedrag '{shown}' is onwaarschijnlijk groot; {HOW}")
    value = Decimal(f"{whole}.{decimals or '0'}").quantize(CENT)
    if value <= 0:
        raise AmountError(f"bedrag '{shown}' moet groter dan nul zijn; {HOW}")
    return value


# How the Netherlands writes numbers (1.234,56): our own texts, and Fava's (`init` writes it as the
# ledger's `fava-option`; the service gives it to a ledger that has none).
LOCALE = "nl_NL"


def format_eur(amount: Decimal | int | None) -> str:
    """`€ 1.234,56` — the way a Dutch reader expects money."""
    if amount is None:
        return "–"
    # Imported here: babel takes milliseconds to import, and a check that finds nothing formats no money.
    from babel.numbers import format_currency

    # Babel puts a no-break space after the sign; people (and searches) type a plain one.
    return format_currency(Decimal(amount), "EUR", locale=LOCALE).replace("\xa0", " ")


def format_number(amount: Decimal) -> str:
    """An amount without sign or thousands separator, `1234,56`: a cell a Dutch spreadsheet reads as a number."""
    return f"{Decimal(amount):.2f}".replace(".", ",")


def format_percentage(part: Decimal, whole: Decimal) -> str:
    """Part of whole as `7,95%` (two decimals, Dutch comma); `–` for an empty whole."""
    if not whole:
        return "–"
    with localcontext() as ctx:
        ctx.prec = 50
        pct = (Decimal(part) * 100 / Decimal(whole)).quantize(CENT)
    return f"{pct:.2f}%".replace(".", ",")


def format_fraction(fraction: Decimal) -> str:
    """A kader's fraction as people write it: 0.08 -> `8%`, 0.075 -> `7,5%` (no trailing zeros)."""
    return format((Decimal(fraction) * 100).normalize(), "f").replace(".", ",") + "%"


def format_mb(n: int) -> str:
    """A size in bytes as `20,0 MB` (MiB, one decimal, Dutch comma): limits and free space."""
    return f"{Decimal(n) / (1024 * 1024):.1f}".replace(".", ",") + " MB"


def bar_width(part: Decimal, whole: Decimal | None) -> int:
    """How much of a bar `part` fills, in whole percents 0..100 (a width for CSS, never a figure shown)."""
    if not whole:
        return 0
    return max(0, min(100, int(Decimal(part) * 100 / Decimal(whole))))


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
