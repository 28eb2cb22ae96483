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

    Leest elk object en elke stroom van de PDF, controleert de handtekening
    (wie, wanneer, niets veranderd daarna), pakt de ingesloten bestanden uit,
    rekent elke SHA-256 en de gecombineerde na, laadt de ingesloten ledger met
    de regels, vergelijkt de cijfers van pagina 1 en elke pagina met de
    verantwoording die de boeken opnieuw geven. Exit 0: de verantwoording is
    wat de boeken zeggen; 1: iets wijkt af; 2: dit is geen verantwoording.
    """
    from reports.verify import NotAStatement, samenvatting, verify

    try:
        result = verify(pdf)
    except NotAStatement as exc:
        raise UserError(str(exc), 2)
    for check in result.checks:
        mark = "in orde " if check.ok else "AFWIJKING"
        console.print(f"{mark}  {check.name}: {check.message}", markup=False)
    console.print(samenvatting(result, str(pdf)), markup=False)
    return 0 if result.ok else 1


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
    from ledger.schrijver.vaststellen import maak_vaststelling

    user = persoon(ledger, door, rol="auditor")
    when = _date(datum, "--datum")  # no clock: the phase on that date decides, as the rules do
    amount = _amount(bedrag)
    _report(_write(ledger, lambda stand: maak_vaststelling(stand, when, amount, user.persoon, kenmerk), user))
    return 0


sleutel_app = typer.Typer(help="De sleutel waarmee de penvoerder verantwoordingen ondertekent.",
                          no_args_is_help=True, rich_markup_mode=None)


@sleutel_app.command("maken")
def sleutel_maken(
    werkruimte: Path = typer.Argument(..., help="De werkruimte (de map met een map per buurtbudget)."),
    penvoerder: str = typer.Option(..., "--penvoerder", help="Naam van de penvoerder, zoals die in het certificaat "
                                                             "en bij de handtekening staat."),
    organisatie: Optional[str] = typer.Option(None, "--organisatie", help="Organisatie (optioneel)."),
    uitvoer: Optional[Path] = typer.Option(None, "-o", "--output",
                                           help="Het sleutelbestand (.pem); standaard <werkruimte>/.sleutels/penvoerder.pem."),
) -> int:
    """Maak een sleutel en een zelfondertekend certificaat voor de penvoerder (modus 0600, buiten de ledgers)."""
    from reports.onderteken import SleutelFout, maak_sleutel, sleutel_pad

    if not werkruimte.is_dir():
        raise UserError(f"{werkruimte}: werkruimte (map) niet gevonden")
    try:
        made = maak_sleutel(uitvoer or sleutel_pad(werkruimte), penvoerder, organisatie=organisatie)
    except SleutelFout as exc:
        raise UserError(str(exc))
    console.print(f"Sleutel geschreven: {made.sleutel} (alleen voor jou leesbaar; deel hem met niemand)", markup=False)
    console.print(f"Certificaat: {made.certificaat} (geef dit aan het stadsdeel)", markup=False)
    console.print(f"Vingerafdruk (SHA-256): {made.vingerafdruk}", markup=False)
    console.print(f"Onderteken met: buurtbudget report LEDGER -o VERANTWOORDING.pdf --onderteken {made.sleutel}",
                  markup=False)
    return 0


def register(app: typer.Typer) -> None:
    app.command("verifieer")(verifieer)
    app.command("vaststellen")(vaststellen)
    app.add_typer(sleutel_app, name="sleutel")


__all__ = ["register", "sleutel_maken", "vaststellen", "verifieer"]
