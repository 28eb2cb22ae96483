"""The settlement at the end of the grant: what was not spent is owed back to the city.

    2026-01-31 * "Gemeente Amsterdam" "Afsluiting: niet besteed deel van de toekenning" #afsluiting
      Inkomsten:Terugbetaling              1234.56 EUR
      Passiva:Gemeente:Terugbetaling      -1234.56 EUR

Unspent = award minus costs, where costs include every claim booked (open,
approved or paid; a rejected claim is reversed and so counts nothing). The
view's `settled` reads the posting on `Liabilities:Gemeente:Terugbetaling`; the
other side is `<Income>:Terugbetaling`, which lowers the income without
changing the award (`Income:Buurtbudget`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from ledger.schrijver.boekingen import InvoerFout, afsluiting_tekst, opens_tekst, terugbetaling_tegenrekening
from ledger.buurtbudget.money import format_eur
from ledger.schrijver.schrijven import Stand, Wijziging
from ledger.evaluatie.view import build_view


def maak_afsluiting(stand: Stand, datum: datetime.date, door: str) -> Wijziging:
    view = build_view(stand.entries, stand.options_map, tot=datum, peildatum=datum)
    header = view.header
    if header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop; afsluiten kan niet")
    if datum <= header.einde:
        raise InvoerFout(f"afsluiten kan pas na het einde van de periode ({header.einde.isoformat()}); "
                         f"--datum {datum.isoformat()} is te vroeg")
    if view.settled:
        raise InvoerFout(f"dit buurtbudget is al afgesloten: {format_eur(view.settled)} staat als terugbetaling geboekt")
    later = [e for e in stand.entries if getattr(e, "date", datum) > datum and hasattr(e, "postings")]
    if later:
        first = later[0]
        raise InvoerFout(f"{first.meta.get('filename')}:{first.meta.get('lineno')}: er staat een boeking na "
                         f"{datum.isoformat()}; kies een latere afsluitdatum")
    unspent = view.unspent
    if unspent <= Decimal(0):
        return Wijziging(f"Afsluiting: niets terug te betalen (besteed {format_eur(view.spent)} van "
                         f"{format_eur(view.award)})")
    accounts = view.accounts
    tegen = terugbetaling_tegenrekening(accounts)
    text = opens_tekst(stand, [tegen, accounts.terugbetaling], datum) + afsluiting_tekst(
        datum=datum, bedrag_=unspent, accounts=accounts, door=door, tegenrekening=tegen)
    return Wijziging(
        f"Afsluiting per {datum.isoformat()}: {format_eur(unspent)} terug aan de gemeente "
        f"(toekenning {format_eur(view.award)}, besteed {format_eur(view.spent)})",
        text,
    )
