"""Returned payments: a claim or invoice whose payment the bank sent back is owed again.

A return is booked under the claim's link, money back on the bank and the
debt back on `Liabilities:Declaraties` / `Liabilities:Crediteuren`, with the
bank's reason code in `retour-reden:` (see `ledger.importers.common`):

    2025-05-14 * "Fatima el Amrani" "Retour uitbetaling declaratie: AC04 rekening opgeheven" ^decl-2025-004
      bank-ref: "B-0007"
      retour-reden: "AC04"
      Liabilities:Declaraties      -64.20 EUR
      Assets:Bank:Betaalrekening    64.20 EUR

These are pure functions the view (`ledger.evaluatie.view.build_view`) calls, so the
status of a claim is decided in one place.
"""

from __future__ import annotations

from decimal import Decimal

# ISO 20022 return reasons (ExternalReturnReason1Code) a Dutch bank reports most, in Dutch.
REDENEN: dict[str, str] = {
    "AC01": "rekeningnummer onjuist",
    "AC04": "rekening opgeheven",
    "AC06": "rekening geblokkeerd",
    "AC13": "ongeldig rekeningtype",
    "AG01": "transactie niet toegestaan op deze rekening",
    "AG02": "ongeldige transactiecode",
    "AM04": "onvoldoende saldo",
    "AM05": "dubbele betaling",
    "BE04": "adres van de begunstigde ontbreekt",
    "CNOR": "bank van de begunstigde niet bereikbaar",
    "DNOR": "bank van de betaler niet bereikbaar",
    "FF01": "ongeldig bestandsformaat",
    "FOCR": "teruggestort na een verzoek tot annulering",
    "MD07": "rekeninghouder overleden",
    "MS02": "geweigerd door de begunstigde",
    "MS03": "reden niet opgegeven",
    "RC01": "BIC onjuist",
    "RR01": "regelgeving: rekeninggegevens ontbreken",
    "RR02": "regelgeving: naam of adres ontbreekt",
    "RR03": "regelgeving: naam of adres van de betaler ontbreekt",
    "RR04": "regelgeving",
    "SL01": "specifieke dienst van de bank",
    "TM01": "na de sluitingstijd ontvangen",
}


def reden_tekst(code: str | None) -> str:
    """`AC04` -> `AC04 rekening opgeheven`; an unknown code stays itself."""
    code = (code or "").strip().upper()
    if not code:
        return "reden onbekend"
    uitleg = REDENEN.get(code)
    return f"{code} {uitleg}" if uitleg else code


def is_retour(liability_change: Decimal, books_costs: bool, has_links: bool) -> bool:
    """A linked transaction that puts a claim or invoice back on its liability without booking costs.

    A claim itself books costs; a payment debits the liability; a rejection is
    recognised before this (tag `#afgewezen`). What is left that credits the
    liability under a link is the money coming back: the claim is owed again.
    """
    return has_links and liability_change < 0 and not books_costs


def betaalstatus(*, afgewezen: bool, betalingen: int, retouren: int, goedgekeurd: bool) -> str:
    """`ingediend` | `goedgekeurd` | `betaald` | `afgewezen`: paid means more payments than returns."""
    if afgewezen:
        return "afgewezen"
    if betalingen > retouren:
        return "betaald"
    return "goedgekeurd" if goedgekeurd else "ingediend"
