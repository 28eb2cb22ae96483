"""`buurtbudget init` and `buurtbudget check`."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from pydantic import ValidationError
from rich.console import Console

from buurtbudget_admin.errors import UserError
from ledger.header import Header, _describe_validation_error
from ledger.loading import LedgerReadError
from ledger.money import AmountError, parse_amount
from ledger.nieuw import LedgerExistsError, OngeldigeInvoer, check_naam, create_ledger
from rules.checking import Problem, check_ledger

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
    except OngeldigeInvoer as exc:
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
        raise UserError("ongeldige gegevens: " + _describe_validation_error(exc))
    if not beschikking.strip():
        raise UserError("--beschikking mag niet leeg zijn")
    try:
        target = create_ledger(directory, header, toekenning=amount, beschikking=beschikking.strip(),
                               controle=lambda staged: [p.format() for p in check_ledger(staged)[1]])
    except LedgerExistsError as exc:
        raise UserError(str(exc), exit_code=1)
    except OngeldigeInvoer as exc:
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
    if output_format not in ("tekst", "text", "json"):
        raise UserError(f"--format '{output_format}' onbekend; kies tekst of json")
    results: list[dict] = []
    all_problems: list[Problem] = []
    unreadable = 0
    ledgers = _expand_workspaces(ledgers)
    for path in ledgers:
        try:
            loaded, problems = check_ledger(path)
        except LedgerReadError as exc:
            unreadable += 1
            problem = Problem(exc.path, exc.lineno, "BB-LEZEN", exc.message)
            all_problems.append(problem)
            results.append({"ledger": str(path), "leesbaar": False, "problemen": [problem.as_dict()]})
            if output_format == "json":
                continue
            print(problem.format())
            continue
        all_problems.extend(problems)
        results.append({"ledger": str(loaded.path), "leesbaar": True, "problemen": [p.as_dict() for p in problems]})
        if output_format != "json":
            for problem in problems:
                print(problem.format())
    counts = Counter(p.code for p in all_problems)
    n = len(ledgers)
    if all_problems:
        detail = ", ".join(f"{code} {count}" for code, count in sorted(counts.items()))
        summary = f"{n} ledger(s) gecontroleerd: {len(all_problems)} probleem/problemen ({detail})"
    else:
        summary = f"{n} ledger(s) gecontroleerd: geen problemen"
    if unreadable:
        summary += f"; {unreadable} niet te lezen"
    status = 2 if unreadable else (1 if all_problems else 0)
    if output_format == "json":
        print(json.dumps({"ledgers": results, "samenvatting": summary, "status": status,
                          "per_code": dict(sorted(counts.items()))}, ensure_ascii=False, indent=2))
    else:
        print(summary)
    return status


def _expand_workspaces(paths: list[Path]) -> list[Path]:
    """A workspace folder stands for every buurtbudget in it (`<slug>/main.beancount`)."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir() and not (path / "main.beancount").is_file():
            found = sorted(p for p in path.glob("*/main.beancount") if p.is_file())
            if found:
                expanded.extend(found)
                continue
        expanded.append(path)
    return expanded


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check")(check)
