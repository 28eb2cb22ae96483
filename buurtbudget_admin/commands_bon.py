"""`buurtbudget bon koppelen|vervangen|verwijderen`: a receipt on an existing booking.

The booking is named by its link (`decl-2025-004`) or, without one, by
`bestand:regel` of its first line. Through the safe writer as the person of
--door/$BUURTBUDGET_GEBRUIKER; refused for what is approved, paid, settled or
decided (`buurtbudget_admin.bonbeleid`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from buurtbudget_admin.bonbeleid import bewaakt
from buurtbudget_admin.commands_dagelijks import DOOR_HELP, REDEN_HELP, TOCH_HELP, _bon, _door, _report, _toch, _write

bon_app = typer.Typer(help="De bon van een bestaande boeking: koppelen, vervangen, verwijderen.",
                      no_args_is_help=True, rich_markup_mode=None)

REF_HELP = "De boeking: haar link (bijv. decl-2025-004), of zonder link bestand:regel (bijv. main.beancount:120)."
BON_HELP = ("De bon (PDF, JPEG of PNG): een nieuw bestand, dat naar documents/ wordt gekopieerd, of een bon die al "
            "in documents/ staat (bijv. van een andere boeking gehaald).")


def _koppeling(stand, boeking: str, bon: Path):
    from ledger.schrijver.bonbeheer import maak_bon_koppeling  # the writer loads when a command runs

    return maak_bon_koppeling(stand, boeking, bon)


def _vervanging(stand, boeking: str, bon: Path):
    from ledger.schrijver.bonbeheer import maak_bon_vervanging

    return maak_bon_vervanging(stand, boeking, bon)


def _zet_bon(naam: str, maak: Callable, uitleg: str) -> None:
    """`bon koppelen` and `bon vervangen`: one command each, the same wiring, their own builder;
    the receipt is checked before the ledger is opened."""

    def command(
        ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
        boeking: str = typer.Argument(..., help=REF_HELP),
        bon: Path = typer.Argument(..., help=BON_HELP),
        door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    ) -> int:
        user = _door(ledger, door)
        _bon(bon if bon.is_absolute() or bon.exists() else None)
        _report(_write(ledger, bewaakt(lambda stand: maak(stand, boeking, bon)), user))
        return 0

    command.__doc__ = uitleg
    command.__name__ = naam
    bon_app.command(naam)(command)


_zet_bon("koppelen", _koppeling, "Koppel een bon aan een boeking die er nog geen heeft.")
_zet_bon("vervangen", _vervanging, "Vervang de bon van een boeking; het oude bestand blijft in documents/.")


@bon_app.command("verwijderen")
def verwijderen(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    boeking: str = typer.Argument(..., help=REF_HELP),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP + " Een uitgave zonder bon overtreedt BB-BON."),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
) -> int:
    """Haal de bon van een boeking af (bijv. aan de verkeerde gekoppeld); het bestand blijft in documents/."""
    from ledger.schrijver.bonbeheer import maak_bon_verwijdering

    user = _door(ledger, door)
    _report(_write(ledger, bewaakt(lambda stand: maak_bon_verwijdering(stand, boeking)), user, _toch(toch, reden)))
    return 0


def register(app: typer.Typer) -> None:
    app.add_typer(bon_app, name="bon")
