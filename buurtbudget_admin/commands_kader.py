"""`buurtbudget kader wijzigen`: the one way to change a ledger's kader once it exists.

    buurtbudget kader wijzigen k-buurt-2025 --veld ondersteuning-max --waarde 0.10 \\
        --reden "besluit stadsdeel 12 maart, kenmerk ZO-2025-101"

Any other write (the other commands, the web) that alters the header's kader
fields or the plugin lines is refused by the writer (`ledger.schrijver.kaderwijziging`).
This command writes the new value and records what, why and who on the header
(`kader-wijziging:`, `kader-reden:`, `kader-door:`); `check` shows it as a
notice and the statement lists it. `buurtbudget kader tonen` lists the kader
that applies and its recorded changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from buurtbudget_admin.commands_dagelijks import DOOR_HELP, TOCH_HELP, _door, _error, _report, _toch, _write
from ledger.schrijver.kaderwijziging import VELDEN, KaderFout, kaderwijzigingen, maak_kaderwijziging

kader_app = typer.Typer(help="Het kader van een buurtbudget: tonen, en (met een reden) wijzigen.",
                        no_args_is_help=True)


@kader_app.command("wijzigen")
def wijzigen(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    veld: str = typer.Option(..., "--veld", help=f"Het veld van het kader: {', '.join(VELDEN)}."),
    waarde: Optional[str] = typer.Option(None, "--waarde", help="De nieuwe waarde (getal, JJJJ-MM-DD of tekst)."),
    weghalen: bool = typer.Option(False, "--weghalen",
                                  help="Haal de afwijking uit de kop: dan geldt weer het regelbestand."),
    reden: str = typer.Option(..., "--reden", help="Waarom, met het besluit van het stadsdeel; komt in de kop."),
    door: Optional[str] = typer.Option(None, "--door", help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP + " De reden is dan die van --reden."),
) -> None:
    """Wijzig het kader van een bestaand buurtbudget, met een reden die in de kop wordt vastgelegd."""
    if weghalen == (waarde is not None):
        raise _error("geef --waarde WAARDE of --weghalen (precies één van beide)")
    wie = _door(ledger, door)
    forceer = _toch(toch, reden, eigen_reden=True)

    def build(stand):
        try:
            return maak_kaderwijziging(stand, veld.strip(), waarde, reden, wie.persoon)
        except KaderFout as exc:
            raise _error(f"{ledger}: {exc}") from None

    _report(_write(ledger, build, wie, forceer))


@kader_app.command("tonen")
def tonen(ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map.")) -> None:
    """Toon het kader dat voor een buurtbudget geldt en de vastgelegde wijzigingen ervan."""
    from ledger.buurtbudget.money import format_eur
    from ledger.buurtbudget.money import format_fraction as percentage
    from rules.checking import check_ledger

    loaded, _problems = check_ledger(ledger)
    kader = loaded.view.kader
    typer.echo(f"Kader: {kader.bron}")
    typer.echo(f"  ondersteuning-max: {percentage(kader.ondersteuning_max)} (plafond {format_eur(loaded.view.ceiling)})")
    typer.echo(f"  vier-ogen-vanaf: {format_eur(kader.vier_ogen_vanaf)}")
    typer.echo(f"  bon-vanaf: {format_eur(kader.bon_vanaf)}")
    typer.echo(f"  uurtarief-max: {format_eur(kader.uurtarief_max)}")
    typer.echo(f"  categorieen: {', '.join(kader.categorieen)}")
    for wijziging in kaderwijzigingen(loaded.view.header_entry):
        typer.echo(f"Gewijzigd door {wijziging.door}: {wijziging.wijziging} (reden: {wijziging.reden})")


def register(app: typer.Typer) -> None:
    app.add_typer(kader_app, name="kader")
