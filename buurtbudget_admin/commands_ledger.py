"""`buurtbudget init` and `buurtbudget check`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from buurtbudget_admin import controle
from buurtbudget_admin.errors import UserError
from ledger.buurtbudget.header import Header, ValidationError, describe_validation_error
from ledger.buurtbudget.money import AmountError, parse_amount
from ledger.buurtbudget.fouten import InvoerFout
from ledger.schrijver.nieuw import LedgerExistsError, check_naam, create_ledger
from rules.checking import check_ledger

console = Console(highlight=False, soft_wrap=True)


def _date(text: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} '{text}' is geen datum; schrijf JJJJ-MM-DD, bijvoorbeeld 2025-01-01")


def init(
    directory: Path = typer.Argument(..., help="Map van het nieuwe buurtbudget (de mapnaam is de slug)."),
    stadsdeel: str = typer.Option(..., help="Stadsdeel, bijv. Zuidoost."),
    buurt: str = typer.Option(..., help="Buurt of groep, bijv. K-buurt."),
    model: str = typer.Option(..., help="A (Amsterdam begroot), B (co-creatie) of C (community based)."),
    begin: str = typer.Option(..., help="Eerste dag waarop kosten mogen worden gemaakt (JJJJ-MM-DD)."),
    einde: str = typer.Option(..., help="Laatste dag waarop kosten mogen worden gemaakt (JJJJ-MM-DD)."),
    toekenning: str = typer.Option(..., help="Toegekend bedrag, bijv. 25000 of 25.000,00."),
    beschikking: str = typer.Option(..., help="Kenmerk van de beschikking, bijv. ZO-2025-017."),
    beheerder: Optional[str] = typer.Option(None, help="Partij die de boeken bijhoudt."),
    iban: Optional[str] = typer.Option(None, help="IBAN van de rekening van het buurtbudget."),
    naam: Optional[str] = typer.Option(None, help="Naam van het buurtbudget; standaard 'Buurt Jaar'."),
) -> int:
    """Maak een nieuwe ledger: DIR/main.beancount en DIR/documents/."""
    try:  # one line of printable text each, before anything is built or written
        for option, value in (("--stadsdeel", stadsdeel), ("--buurt", buurt), ("--model", model),
                              ("--beschikking", beschikking), ("--beheerder", beheerder), ("--iban", iban),
                              ("--naam", naam)):
            check_naam(value, option)
    except InvoerFout as exc:
        raise UserError(str(exc))
    begin_d, einde_d = _date(begin, "--begin"), _date(einde, "--einde")
    try:
        amount = parse_amount(toekenning)
    except AmountError as exc:
        raise UserError(f"--toekenning: {exc}")
    try:
        header = Header.model_validate({
            "naam": naam or f"{buurt} {begin_d.year}", "datum": begin_d, "stadsdeel": stadsdeel,
            "buurt": buurt, "model": model, "begin": begin_d, "einde": einde_d,
            "beheerder": beheerder, "iban": iban,
        })
    except ValidationError as exc:
        raise UserError("ongeldige gegevens: " + describe_validation_error(exc))
    if not beschikking.strip():
        raise UserError("--beschikking mag niet leeg zijn")
    try:
        target = create_ledger(directory, header, toekenning=amount, beschikking=beschikking.strip(),
                               controle=lambda staged: [p.format() for p in check_ledger(staged)[1]])
    except LedgerExistsError as exc:
        raise UserError(str(exc), exit_code=1)
    except InvoerFout as exc:
        raise UserError(str(exc))
    console.print(f"Nieuw buurtbudget '{header.naam}' aangemaakt: {target}")
    return 0


def check(
    ledgers: list[Path] = typer.Argument(..., help="Ledgerbestanden of buurtbudget-mappen."),
    output_format: str = typer.Option("tekst", "--format", help="tekst of json."),
) -> int:
    """Controleer ledgers op beancount-fouten en de buurtbudget-regels.

    Exitcode 0: in orde; 1: overtredingen; 2: een bestand is niet te lezen.
    """
    return controle.check(ledgers, output_format)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check")(check)
