"""`buurtbudget verifieer` (is a statement what its books say?) and `buurtbudget vaststellen` (the final decision)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from buurtbudget_admin.errors import UserError

console = Console(highlight=False, soft_wrap=True, emoji=False)


def verifieer(
    pdf: Path = typer.Argument(..., help="De verantwoording (PDF) die wordt gecontroleerd."),
) -> int:
    """Controleer een verantwoording met de boeken en bonnen die erin zitten.

    Pakt de ingesloten bestanden uit, rekent elke SHA-256 en de gecombineerde
    na, laadt de ingesloten ledger met de regels en vergelijkt de cijfers van
    pagina 1. Exit 0: de verantwoording is wat de boeken zeggen; 1: iets wijkt
    af; 2: dit is geen verantwoording.
    """
    from reports.verify import NotAStatement, verify

    try:
        result = verify(pdf)
    except NotAStatement as exc:
        raise UserError(str(exc), 2)
    for check in result.checks:
        mark = "in orde " if check.ok else "AFWIJKING"
        console.print(f"{mark}  {check.name}: {check.message}", markup=False)
    if result.ok:
        console.print(f"{pdf}: de verantwoording is wat de ingesloten boeken zeggen.", markup=False)
        return 0
    failed = sum(1 for c in result.checks if not c.ok)
    console.print(f"{pdf}: {failed} controle(s) wijken af; deze verantwoording is niet wat haar boeken zeggen.",
                  markup=False)
    return 1


def vaststellen(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    bedrag: str = typer.Option(..., "--bedrag", help="Het vastgestelde bedrag, bijv. 23.500,00."),
    datum: str = typer.Option(..., "--datum", help="Datum van de vaststelling (JJJJ-MM-DD)."),
    door: Optional[str] = typer.Option(None, "--door", help="Wie van het stadsdeel vaststelt: de login van een "
                                                          "auditor in gebruikers.toml (standaard: $BUURTBUDGET_GEBRUIKER)."),
    kenmerk: Optional[str] = typer.Option(None, "--kenmerk", help="Kenmerk van het besluit."),
) -> int:
    """Leg de vaststelling van de subsidie door het stadsdeel vast in de boeken (custom "vaststelling").

    Alleen een auditor (rol in gebruikers.toml) stelt vast; de boeken noemen
    zijn volledige naam.
    """
    from buurtbudget_admin.commands_dagelijks import _amount, _date, _report, _write
    from buurtbudget_admin.identiteit import persoon
    from ledger.vaststelling import maak_vaststelling

    user = persoon(ledger, door, rol="auditor")
    when = _date(datum, "--datum")  # no clock: the phase on that date decides, as the rules do
    amount = _amount(bedrag)
    _report(_write(ledger, lambda stand: maak_vaststelling(stand, when, amount, user.persoon, kenmerk), user))
    return 0


def register(app: typer.Typer) -> None:
    app.command("verifieer")(verifieer)
    app.command("vaststellen")(vaststellen)


__all__ = ["register", "vaststellen", "verifieer"]
