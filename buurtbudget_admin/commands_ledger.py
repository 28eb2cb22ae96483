"""`buurtbudget init` and `buurtbudget check`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from buurtbudget_admin import controle
from buurtbudget_admin.errors import UserError
from buurtbudget_admin.service.namen import slug_fout
from ledger.buurtbudget.fouten import WaardeFout
from ledger.buurtbudget.header import header_uit
from ledger.buurtbudget.money import AmountError, parse_amount
from ledger.buurtbudget.fouten import InvoerFout
from ledger.schrijver.nieuw import LedgerExistsError, check_naam, create_ledger
from ledger.schrijver.vastleggen import GitFout
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
    door: Optional[str] = typer.Option(None, "--door", help="Login uit gebruikers.toml (of BUURTBUDGET_GEBRUIKER); "
                                                            "nodig in een git-werkruimte: de commit staat op naam."),
) -> int:
    """Maak een nieuwe ledger: DIR/main.beancount en DIR/documents/; in een git-werkruimte vastgelegd in één commit."""
    try:  # one line of printable text each, before anything is built or written
        for option, value in (("--stadsdeel", stadsdeel), ("--buurt", buurt), ("--model", model),
                              ("--beschikking", beschikking), ("--beheerder", beheerder), ("--iban", iban),
                              ("--naam", naam)):
            check_naam(value, option)
    except InvoerFout as exc:
        raise UserError(str(exc))
    reden = slug_fout(directory.resolve().name)  # the folder name is the slug in the site's addresses
    if reden is not None:
        raise UserError(f"{directory}: {reden}; kies een andere mapnaam")
    begin_d, einde_d = _date(begin, "--begin"), _date(einde, "--einde")
    try:
        amount = parse_amount(toekenning)
    except AmountError as exc:
        raise UserError(f"--toekenning: {exc}")
    try:
        header = header_uit({
            "naam": naam or f"{buurt} {begin_d.year}", "datum": begin_d, "stadsdeel": stadsdeel,
            "buurt": buurt, "model": model, "begin": begin_d, "einde": einde_d,
            "beheerder": beheerder, "iban": iban,
        })
    except WaardeFout as exc:
        raise UserError("ongeldige gegevens: " + "; ".join(exc.clauses))
    if not beschikking.strip():
        raise UserError("--beschikking mag niet leeg zijn")
    vastleggen, commit = _vastleggen(directory, door)
    try:
        target = create_ledger(directory, header, toekenning=amount, beschikking=beschikking.strip(),
                               controle=lambda staged: [p.format() for p in check_ledger(staged)[1]],
                               vastleggen=vastleggen)
    except LedgerExistsError as exc:
        raise UserError(str(exc), exit_code=1)
    except InvoerFout as exc:
        raise UserError(str(exc))
    except GitFout as exc:
        raise UserError(f"{exc}\nEr is niets aangemaakt.", exit_code=1)
    console.print(f"Nieuw buurtbudget '{header.naam}' aangemaakt: {target}"
                  + (f" (git {commit[0][:10]})" if commit else ""))
    return 0


def _vastleggen(directory: Path, door: Optional[str]):
    """In a git work tree: the commit of the new ledger, by a known person (as every write); else nothing.

    Asked before anything is written: git must be able to commit and the person must be a beheerder
    of the workspace's gebruikers.toml. Returns (the commit function, a list that receives the hash)."""
    from buurtbudget_admin.identiteit import persoon
    from ledger.schrijver.vastleggen import git_commit, voorbereiden

    bestaand = next(p for p in (directory.resolve(), *directory.resolve().parents) if p.is_dir())
    try:
        repo = voorbereiden(bestaand)
    except GitFout as exc:
        raise UserError(str(exc), exit_code=1)
    if repo is None:
        return None, []
    user = persoon(directory / "main.beancount", door, nieuw=True)
    commit: list[str] = []
    return (lambda target, bericht: commit.append(git_commit(repo, [target], user.persoon, bericht,
                                                             email=user.email))), commit


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
