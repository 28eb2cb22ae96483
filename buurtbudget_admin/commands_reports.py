"""`buurtbudget report`, `buurtbudget report-stadsdeel` and `buurtbudget export`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

import typer

from buurtbudget_admin.errors import UserError


def _date(text: Optional[str], option: str) -> Optional[datetime.date]:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} '{text}' is geen datum; schrijf JJJJ-MM-DD, bijvoorbeeld 2025-12-31")


def _taal(text: str) -> str:
    if text not in ("nl", "en"):
        raise UserError(f"--taal '{text}' onbekend; kies nl of en")
    return text


def _output(path: Path, overschrijven: bool, wat: str, *ledgers: Path) -> Path:
    """Where the file may go (`ledger.schrijver.uitvoer.uitvoer_pad`: never in the books, an existing file only with
    --overschrijven)."""
    from ledger.evaluatie.loading import resolve_ledger_path
    from ledger.schrijver.uitvoer import UitvoerFout, uitvoer_pad

    try:
        doel = uitvoer_pad(path, ledgers=[resolve_ledger_path(p) for p in ledgers], overschrijven=overschrijven, wat=wat)
        doel.parent.mkdir(parents=True, exist_ok=True)  # `-o rapporten/2025/k-buurt.pdf` makes its folders
    except UitvoerFout as exc:
        raise UserError(str(exc))
    except OSError as exc:
        raise UserError(f"{path}: kan de map niet maken ({exc.strerror})")
    return doel


OVERSCHRIJVEN_HELP = "Een bestaand bestand op dit pad vervangen."


def _sjablonen(path: Optional[Path]) -> Optional[Path]:
    if path is not None and not path.is_dir():
        raise UserError(f"--sjablonen {path}: map bestaat niet")
    return path


def _statement(ledger: Path, tot: Optional[datetime.date], taal: str, bonnen: bool = True):
    from reports.context import StatementError, build_statement

    try:
        return build_statement(ledger, tot=tot, taal=taal, bonnen=bonnen)
    except StatementError as exc:
        raise UserError(str(exc))


def report(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    output: Path = typer.Option(..., "-o", "--output", help="Het PDF-bestand dat wordt geschreven."),
    tot: Optional[str] = typer.Option(None, "--tot", help="Verantwoording tot en met deze datum (JJJJ-MM-DD); "
                                      "standaard de datum van de laatste boeking."),
    taal: str = typer.Option("nl", "--taal", help="nl (standaard) of en."),
    sjablonen: Optional[Path] = typer.Option(None, "--sjablonen", help="Map met eigen sjablonen (logo, kleuren)."),
    zonder_bonnen: bool = typer.Option(False, "--zonder-bonnen",
                                       help="Lichte versie: de bonnen worden genoemd maar niet ingesloten."),
    overschrijven: bool = typer.Option(False, "--overschrijven", help=OVERSCHRIJVEN_HELP),
    onderteken: Optional[Path] = typer.Option(None, "--onderteken", metavar="SLEUTEL",
                                              help="Onderteken de PDF (PAdES) met deze sleutel van de penvoerder "
                                                   "(buurtbudget sleutel maken)."),
) -> int:
    """Schrijf de verantwoording van een buurtbudget als getagde PDF/A-3a, met de ledger en de bonnen erin."""
    from reports.render import render_statement
    from ledger.schrijver.bestanden import atomic_write_bytes

    folder = _sjablonen(sjablonen)
    statement = _statement(ledger, _date(tot, "--tot"), _taal(taal), bonnen=not zonder_bonnen)
    target = _output(output, overschrijven, "verantwoording", ledger)
    pdf, pages = render_statement(statement, sjablonen=folder)
    signed = ""
    if onderteken is not None:
        from reports.onderteken import SleutelFout, lees_handtekeningen
        from reports.onderteken import onderteken as sign

        try:
            pdf = sign(pdf, onderteken)  # after the PDF/A-3a is complete: an incremental update
        except SleutelFout as exc:
            raise UserError(str(exc))
        first = lees_handtekeningen(pdf)[0]
        signed = f"; ondertekend door {first.ondertekenaar} (certificaat SHA-256 {first.vingerafdruk})"
    atomic_write_bytes(target, pdf)
    count = statement.violation_count
    verdict = "alle regels voldaan" if not count else f"{count} overtreding(en) van de regels"
    receipts = statement.receipts
    bonnen = (f"{len(receipts.files)} bonnen ingesloten" if receipts.embedded
              else f"{len(receipts.files)} bonnen genoemd, niet ingesloten")
    if receipts.missing:
        bonnen += f", {len(receipts.missing)} ontbreken"
    print(f"Verantwoording geschreven: {target} ({pages} pagina's; {len(statement.view.cost_lines)} boekingen; "
          f"{bonnen}; {verdict}; SHA-256 van alle {len(statement.embedded)} ingesloten bestanden "
          f"{statement.combined}{signed}; controle: buurtbudget verifieer {target})")
    return 0


def report_stadsdeel(
    workspace: Path = typer.Argument(..., help="Werkruimte met een map per buurtbudget."),
    output: Path = typer.Option(..., "-o", "--output", help="Het PDF-bestand dat wordt geschreven."),
    stadsdeel: Optional[str] = typer.Option(None, "--stadsdeel", help="Alleen de buurtbudgetten van dit stadsdeel."),
    tot: Optional[str] = typer.Option(None, "--tot", help="Alles tot en met deze datum (JJJJ-MM-DD)."),
    taal: str = typer.Option("nl", "--taal", help="nl (standaard) of en."),
    werkers: Optional[int] = typer.Option(None, "--werkers", min=1, help="Aantal processen; standaard één per kern."),
    sjablonen: Optional[Path] = typer.Option(None, "--sjablonen", help="Map met eigen sjablonen (logo, kleuren)."),
    overschrijven: bool = typer.Option(False, "--overschrijven", help=OVERSCHRIJVEN_HELP),
) -> int:
    """Schrijf één overzicht van alle buurtbudgetten van een werkruimte (of één stadsdeel) als PDF/A-3b."""
    from reports.context import StatementError
    from reports.overview import build_overview
    from reports.render import render_overview
    from ledger.schrijver.bestanden import atomic_write_bytes

    folder = _sjablonen(sjablonen)
    try:
        overview = build_overview(workspace, stadsdeel=stadsdeel, tot=_date(tot, "--tot"), taal=_taal(taal),
                                  workers=werkers)
    except StatementError as exc:
        raise UserError(str(exc))
    if not overview.rows:
        raise UserError(f"{workspace}: geen buurtbudgetten van stadsdeel '{stadsdeel}' gevonden")
    target = _output(output, overschrijven, "overzicht")
    pdf, pages = render_overview(overview, sjablonen=folder)
    atomic_write_bytes(target, pdf)
    unreadable = sum(1 for r in overview.rows if r.error)
    extra = f"; {unreadable} niet te lezen" if unreadable else ""
    print(f"Overzicht geschreven: {target} ({pages} pagina's; {len(overview.rows)} buurtbudgetten; "
          f"{overview.total_violations} overtreding(en){extra})")
    return 0


def export(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    output_format: str = typer.Option(..., "--format", help="csv of xlsx."),
    output: Path = typer.Option(..., "-o", "--output", help="Het bestand dat wordt geschreven."),
    tot: Optional[str] = typer.Option(None, "--tot", help="Boekingen tot en met deze datum (JJJJ-MM-DD)."),
    overschrijven: bool = typer.Option(False, "--overschrijven", help=OVERSCHRIJVEN_HELP),
) -> int:
    """Exporteer de bijlage (alle boekingen) als CSV of XLSX, veilig te openen in een spreadsheet."""
    from reports.export import export_annex
    from ledger.schrijver.bestanden import atomic_write_bytes

    if output_format not in ("csv", "xlsx"):
        raise UserError(f"--format '{output_format}' onbekend; kies csv of xlsx")
    statement = _statement(ledger, _date(tot, "--tot"), "nl")
    target = _output(output, overschrijven, "exportbestand", ledger)
    atomic_write_bytes(target, export_annex(statement, output_format))
    print(f"Bijlage geschreven: {target} ({len(statement.view.cost_lines)} boekingen, {output_format})")
    return 0


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("report-stadsdeel")(report_stadsdeel)
    app.command("export")(export)
