"""The write that records a vaststelling (`maak_vaststelling`), for `schrijven.schrijf`.

What a vaststelling is and how a reader finds it: `ledger.evaluatie.vaststelling`; the
writer's refusal to change a decided period: `ledger.schrijver.vastgesteld`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from ledger.buurtbudget.fouten import InvoerFout
from ledger.buurtbudget.money import format_eur
from ledger.evaluatie.vaststelling import CURRENCY, kosten_tot, vaststelling_tekst, vaststellingen
from ledger.evaluatie.view import build_view
from ledger.schrijver.schrijven import Wijziging

_FASE_VOLGORDE = ("ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten", "vastgesteld")


def maak_vaststelling(stand: Any, datum: datetime.date, bedrag: Decimal, door: str,
                      kenmerk: str | None = None) -> Any:
    """The `Wijziging` that records a decision; refusals are `InvoerFout`s in Dutch (nothing written).

    Only once the books are being accounted for (phase `verantwoording` or
    later on `datum`), never more than the award, and a correction never
    dated before the decision it corrects. `door` is the auditor's full
    name: who may decide is the caller's question (the role in gebruikers.toml).
    """
    view = build_view(stand.entries, stand.options_map, tot=datum, peildatum=datum)
    if view.header is None:
        raise InvoerFout(f"{stand.pad}: de ledger heeft geen geldige kop; vaststellen kan niet")
    fase = view.fase
    if fase not in _FASE_VOLGORDE or _FASE_VOLGORDE.index(fase) < _FASE_VOLGORDE.index("verantwoording"):
        raise InvoerFout(
            f"vaststellen kan pas in de fase verantwoording of later; op {datum.isoformat()} is de fase "
            f"'{fase}' (de periode loopt tot en met {view.header.einde.isoformat()})"
        )
    bedrag = Decimal(bedrag)
    if bedrag < 0:
        raise InvoerFout(f"--bedrag {format_eur(bedrag)} is negatief")
    if bedrag != bedrag.quantize(Decimal("0.01")):
        raise InvoerFout(f"--bedrag {bedrag} heeft meer dan twee decimalen")
    if bedrag > view.award:
        raise InvoerFout(f"--bedrag {format_eur(bedrag)} is hoger dan de toekenning {format_eur(view.award)}")
    eerder = vaststellingen(stand.entries).latest
    if eerder is not None and datum < eerder.datum:
        raise InvoerFout(
            f"een correctie moet gedateerd zijn op of na de vaststelling die ze corrigeert "
            f"({eerder.datum.isoformat()}, {format_eur(eerder.bedrag)} door {eerder.door}); "
            f"{datum.isoformat()} ligt ervoor en zou niets veranderen")
    kosten = kosten_tot(view.kosten, datum)
    corrigeert = (eerder.digest or f"{eerder.datum.isoformat()} {eerder.bedrag:.2f} {CURRENCY}") if eerder else None
    try:
        text = vaststelling_tekst(datum, bedrag, door, kenmerk, kosten=kosten, header=view.header,
                                  corrigeert=corrigeert)
    except ValueError as exc:
        raise InvoerFout(str(exc)) from exc
    soort = "Correctie van de vaststelling" if eerder is not None else "Vaststelling"
    return Wijziging(
        f"{soort} op {datum.isoformat()} door {door.strip()}: {format_eur(bedrag)} "
        f"(toekenning {format_eur(view.award)}, ontvangen {format_eur(view.received)}, "
        f"kosten tot en met die dag {format_eur(kosten)})",
        text,
    )
