"""`buurtbudget uitnodigen LEDGER --plan P --naam N` and `buurtbudget uitnodigen intrekken LEDGER ID`.

A beheerder of the ledger invites an initiatiefnemer; the link is printed once. `cli.main`
hands `uitnodigen intrekken` to the hidden command `uitnodigen-intrekken`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _stand(ledger: Path, door: Optional[str]):
    from buurtbudget_admin.identiteit import persoon
    from ledger.evaluatie.loading import resolve_ledger_path

    wie = persoon(ledger, door)  # before anything is read or written
    from buurtbudget_admin.uitnodigingen import werkruimte_van

    pad = resolve_ledger_path(ledger).resolve()
    return wie, pad, werkruimte_van(pad)


def uitnodigen(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    plan: list[str] = typer.Option(..., "--plan", help="Plan waarvoor de initiatiefnemer mag declareren (herhaalbaar)."),
    naam: str = typer.Option(..., "--naam", help="Volledige naam van de initiatiefnemer."),
    geldig_dagen: int = typer.Option(14, "--geldig-dagen", help="Hoeveel dagen de link geldig is (1-90)."),  # = uitnodigingen.STANDAARD_DAGEN
    door: Optional[str] = typer.Option(None, "--door", help="Wie dit doet (standaard: $BUURTBUDGET_GEBRUIKER)."),
) -> int:
    """Nodig een initiatiefnemer uit om declaraties in te dienen voor een of meer plannen.

    Drukt een persoonlijke link af (/indienen/<token>); die verloopt en is in te trekken met
    buurtbudget uitnodigen intrekken LEDGER ID.
    """
    from buurtbudget_admin import uitnodigingen
    from buurtbudget_admin.errors import UserError
    from ledger.evaluatie.loading import read_ledger
    from ledger.evaluatie.vier_ogen import NaamFout, vereis_zichtbaar

    wie, pad, werkruimte = _stand(ledger, door)
    try:
        persoon = vereis_zichtbaar(naam, "--naam").strip()
    except NaamFout as exc:
        raise UserError(str(exc)) from None
    view = read_ledger(pad).view
    plannen = uitnodigingen.kies_plannen(view, plan, "--plan", pad)
    u, token = uitnodigingen.nodig_uit(werkruimte, pad.parent.name, plannen, persoon, geldig_dagen,
                                       wie.persoon)
    print(f"Uitnodiging {u.id} voor {u.naam} (plannen: {', '.join(u.plannen)}), "
          f"geldig tot {u.verloopt:%Y-%m-%d %H:%M} UTC.")
    print(f"Link (alleen nu getoond): /indienen/{token}")
    return 0


def intrekken(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    uitnodiging: str = typer.Argument(..., help="De ID van de uitnodiging (bij het uitnodigen getoond)."),
    door: Optional[str] = typer.Option(None, "--door", help="Wie dit doet (standaard: $BUURTBUDGET_GEBRUIKER)."),
) -> int:
    """Trek een uitnodiging in: de link werkt daarna niet meer."""
    from buurtbudget_admin import uitnodigingen

    _wie, pad, werkruimte = _stand(ledger, door)
    u = uitnodigingen.trek_in(werkruimte, pad.parent.name, uitnodiging)
    print(f"Uitnodiging {u.id} voor {u.naam} is ingetrokken.")
    return 0


def register(app: typer.Typer) -> None:
    app.command("uitnodigen")(uitnodigen)
    app.command("uitnodigen-intrekken", hidden=True)(intrekken)
