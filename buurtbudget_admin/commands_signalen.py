"""`buurtbudget signalen` for typer (help, odd arguments); the work is in `signalering`."""

from __future__ import annotations

from pathlib import Path

import typer

from buurtbudget_admin import signalering


def signalen(
    paden: list[Path] = typer.Argument(..., help="Een werkruimte, buurtbudget-mappen of ledgerbestanden."),
    output_format: str = typer.Option("tekst", "--format", help="tekst of json."),
) -> int:
    """Signalen: wat per boeking mag, maar samen verdacht is (dubbele bonnen, eigen rekeningen, ...).

    Signalen zijn waarschuwingen voor mensen, geen overtredingen: ze houden niets tegen.
    Exitcode 0, ook als er signalen zijn; 2 als een ledger niet te lezen is.
    """
    return signalering.signalen(paden, output_format)


def register(app: typer.Typer) -> None:
    app.command("signalen")(signalen)
