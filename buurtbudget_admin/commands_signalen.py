"""`buurtbudget signalen` for typer (help, odd arguments); the work is in `signalering`.

`buurtbudget signalen gezien LEDGER ID --reden R` marks a signal as seen; `cli.main`
hands it to the hidden command `signalen-gezien` (a command with a list of paths
cannot also hold sub-commands in typer).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

import typer

from buurtbudget_admin import signalering


def signalen(
    paden: list[Path] = typer.Argument(..., help="Een werkruimte, buurtbudget-mappen of ledgerbestanden."),
    output_format: str = typer.Option("tekst", "--format", help="tekst of json."),
) -> int:
    """Signalen: wat per boeking mag, maar samen verdacht is (dubbele bonnen, eigen rekeningen, ...).

    Signalen zijn waarschuwingen voor mensen, geen overtredingen: ze houden niets tegen.
    Exitcode 0, ook als er signalen zijn; 2 als een ledger niet te lezen is.
    Een signaal markeren als gezien: buurtbudget signalen gezien LEDGER ID --reden "...".
    """
    return signalering.signalen(paden, output_format)


def gezien(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    signaal: str = typer.Argument(..., help="De ID van het signaal (buurtbudget signalen toont hem)."),
    reden: Optional[str] = typer.Option(None, "--reden", help="Waarom het signaal mag blijven staan."),
    door: Optional[str] = typer.Option(None, "--door", help="Wie dit doet (standaard: $BUURTBUDGET_GEBRUIKER)."),
) -> int:
    """Markeer een signaal als gezien, met een reden; het blijft zichtbaar voor de auditor.

    Wie in de boekingen van het signaal staat (declarant, begunstigde, invoerder,
    goedkeurder) mag het niet markeren.
    """
    from buurtbudget_admin.commands_dagelijks import _door, _error, _report, _write
    from ledger.evaluatie.signalen import gezien_bezwaar
    from ledger.schrijver.boekingen import gezien_wijziging

    if reden is None or not reden.strip():
        raise _error('--reden ontbreekt: zeg waarom dit signaal mag blijven staan (--reden "...")')
    if not Path(ledger).exists():
        raise _error(f"{ledger}: bestaat niet")
    wie = _door(ledger, door)  # a login of gebruikers.toml; the books record the person
    who = wie.persoon
    sid = signaal.strip()
    gevonden, _ = signalering.van_ledger(ledger)
    slug = signalering._slug(ledger)
    match = [s for s in gevonden if s.id == sid]
    if not match:
        bekend = ", ".join(s.id for s in gevonden[:10]) or "geen"
        raise _error(f"signaal '{sid}' staat niet bij {ledger} (signalen hier: {bekend}); "
                     f"buurtbudget signalen {ledger} toont ze; er is niets gewijzigd")
    bezwaar = gezien_bezwaar(match[0], slug, (who, wie.name))  # the person under either of their names
    if bezwaar:
        raise _error(f"{bezwaar}; er is niets gewijzigd", 1)
    datum = datetime.date.today()
    _report(_write(ledger, lambda _stand: gezien_wijziging(datum, sid, reden.strip(), who), wie))
    return 0


def register(app: typer.Typer) -> None:
    app.command("signalen")(signalen)
    app.command("signalen-gezien", hidden=True)(gezien)
