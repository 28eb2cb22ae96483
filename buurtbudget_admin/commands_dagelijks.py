"""The administrator's daily commands: boek, declaratie, betaal, import, plannen stemming, afsluiten.

Every command that changes a ledger goes through `ledger.schrijver.schrijven.schrijf`
(lock, validation with the rules, atomic write, git commit). The acting user
is `--door LOGIN` or the environment variable BUURTBUDGET_GEBRUIKER: a login
of the workspace's gebruikers.toml (`buurtbudget_admin.identiteit`), recorded
as that person's full name in the books and as the git author.
"""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from ledger.schrijver.boekingen import (
    DeclaratieInvoer, InvoerFout, KostenInvoer, maak_afwijzing, maak_declaratie,
    maak_goedkeuring, maak_kosten,
)
from ledger.buurtbudget.money import AmountError, format_eur, parse_amount
from buurtbudget_admin.valideren import valideer
from ledger.schrijver.schrijven import Resultaat, SchrijfFout, Toch, WijzigingGeweigerd, lees_stand, schrijf
from ledger.schrijver.vastleggen import GitFout
from rules.checking import to_problem

console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

DOOR_HELP = "Wie dit doet: een login uit gebruikers.toml (standaard: $BUURTBUDGET_GEBRUIKER)."
TOCH_HELP = ("Schrijf de wijziging ook als ze een regel overtreedt (of een afgesloten periode raakt); "
             "vraagt --reden, die in de boeking wordt vastgelegd.")
REDEN_HELP = "Waarom de wijziging toch moet (met --toch)."


def _error(message: str, code: int = 2):
    from buurtbudget_admin.cli import UserError

    return UserError(message, code)


def _zichtbaar(tekst: str, wat: str) -> str:
    """A name or reason that shows something (invisible characters such as U+200B do not count)."""
    from ledger.evaluatie.vier_ogen import NaamFout, vereis_zichtbaar

    try:
        return vereis_zichtbaar(tekst, wat)
    except NaamFout as exc:
        raise _error(str(exc))


def _door(ledger: Path, door: Optional[str]):
    """The person behind --door/$BUURTBUDGET_GEBRUIKER: a beheerder of this ledger in gebruikers.toml."""
    from buurtbudget_admin.identiteit import persoon

    return persoon(ledger, door)


def _date(text: Optional[str], option: str, default: datetime.date | None = None) -> datetime.date:
    if text is None:
        if default is None:
            raise _error(f"{option} ontbreekt (JJJJ-MM-DD)")
        return default
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise _error(f"{option} '{text}' is geen datum; schrijf JJJJ-MM-DD, bijvoorbeeld 2025-03-10")


def _amount(text: str, option: str = "--bedrag"):
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise _error(f"{option}: {exc}")


def _toch(toch: bool, reden: Optional[str], *, eigen_reden: bool = False) -> Toch | None:
    """`--toch --reden R` as the writer's `Toch`; `eigen_reden`: the command's --reden means something else too."""
    if not toch:
        if reden is not None and not eigen_reden:
            raise _error('--reden hoort bij --toch: geef beide, of geen van beide')
        return None
    if not reden or not reden.strip():
        raise _error('--toch vraagt om een reden: --reden "waarom dit toch moet"')
    return Toch(_zichtbaar(reden, "--reden"))


def _write(ledger: Path, build, user, toch: Toch | None = None) -> Resultaat:
    """One safe write by `user` (a login of gebruikers.toml); every expected failure becomes a Dutch UserError."""
    try:
        return schrijf(ledger, build, door=user.persoon, valideer=valideer, toch=toch, email=user.email)
    except InvoerFout as exc:
        raise _error(str(exc))
    except WijzigingGeweigerd as exc:
        lines = "\n".join("  " + to_problem(f).format() for f in exc.fouten)
        hint = ('\nMoet dit toch, bewust? Herhaal de opdracht met --toch --reden "waarom"; '
                "de reden komt bij de boeking te staan en de overtreding blijft zichtbaar in check."
                if exc.te_forceren else "\nHerstel de invoer en probeer het opnieuw.")
        raise _error(f"wijziging geweigerd, de ledger is niet gewijzigd ({exc.omschrijving}):\n{lines}{hint}", 1)
    except SchrijfFout as exc:
        raise _error(f"{ledger}: {exc}")
    except GitFout as exc:
        raise _error(str(exc), 1)


def _report(result: Resultaat) -> None:
    if not result.gewijzigd:
        console.print(result.omschrijving)
        return
    console.print(f"{result.omschrijving}")
    console.print(f"  opgeslagen in {result.pad}" + (f" (git {result.commit[:10]})" if result.commit else ""))
    for fout in result.geforceerd:
        err_console.print(f"  let op, toch geschreven: {to_problem(fout).format()}", markup=False)


# --------------------------------------------------------------------------- boek


def _vooraf(categorie: str, door: str, goedgekeurd_door: Optional[str] = None) -> None:
    """Refusals that need no ledger come before the ledger is opened (checked again under the lock)."""
    from ledger.schrijver.boekingen import controleer_vooraf

    try:
        controleer_vooraf(categorie=categorie, door=door, goedgekeurd_door=goedgekeurd_door)
    except InvoerFout as exc:
        raise _error(str(exc))


def _bon(bon: Optional[Path]) -> None:
    """A receipt that is no receipt is refused before the ledger is even opened (checked again under the lock)."""
    from ledger.buurtbudget.bonnen import BonFout, lees_bon

    if bon is not None:
        try:
            lees_bon(bon)
        except BonFout as exc:
            raise _error(str(exc))


def boek(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    datum: str = typer.Option(..., help="Datum van de kosten (JJJJ-MM-DD)."),
    bedrag: str = typer.Option(..., help="Bedrag, bijv. 12,50 of 1.234,56."),
    plan: str = typer.Option(..., help="Plan (bijv. Speeltuin) of 'ondersteuning' voor handelingskosten."),
    categorie: str = typer.Option(..., help="Categorie, bijv. Materiaal (of Administratie bij ondersteuning)."),
    begunstigde: str = typer.Option(..., help="Leverancier of ontvanger."),
    omschrijving: str = typer.Option(..., help="Wat er is gekocht of betaald."),
    bon: Optional[Path] = typer.Option(None, help="Bon (PDF, JPEG of PNG, hoogstens 20 MB of "
                                             "$BUURTBUDGET_BON_MAX_MB); wordt gekopieerd naar documents/."),
    goedgekeurd_door: Optional[str] = typer.Option(None, "--goedgekeurd-door", help="Tweede persoon (vier ogen)."),
    factuur_iban: Optional[str] = typer.Option(None, "--factuur-iban",
                                                help="Nog te betalen factuur: IBAN van de leverancier."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
) -> int:
    """Boek kosten (betaald van de bank, of met --factuur-iban als nog te betalen factuur)."""
    user = _door(ledger, door)
    tweede = None
    if goedgekeurd_door is not None:  # the second person is a login too, recorded as who they are
        from buurtbudget_admin.identiteit import persoon

        tweede = persoon(ledger, goedgekeurd_door, optie="--goedgekeurd-door").persoon
    _vooraf(categorie, user.persoon, tweede)
    _bon(bon)
    invoer = KostenInvoer(
        datum=_date(datum, "--datum"), bedrag=_amount(bedrag), plan=plan, categorie=categorie,
        begunstigde=begunstigde, omschrijving=omschrijving, door=user.persoon, bon=bon,
        goedgekeurd_door=tweede, factuur_iban=factuur_iban,
    )
    _report(_write(ledger, lambda stand: maak_kosten(stand, invoer), user, _toch(toch, reden)))
    return 0


# --------------------------------------------------------------------------- declaratie

declaratie_app = typer.Typer(help="Declaraties van bewoners: indienen, goedkeuren, afwijzen, lijst.",
                             no_args_is_help=True, rich_markup_mode=None)


@declaratie_app.command("indienen")
def indienen(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    datum: str = typer.Option(..., help="Datum van de uitgave (JJJJ-MM-DD)."),
    declarant: str = typer.Option(..., help="Naam van de bewoner die declareert."),
    iban: str = typer.Option(..., help="IBAN waarop de bewoner het geld terugkrijgt."),
    bedrag: str = typer.Option(..., help="Bedrag, bijv. 64,20."),
    plan: str = typer.Option(..., help="Plan, bijv. Groen."),
    categorie: str = typer.Option(..., help="Categorie, bijv. Materiaal."),
    omschrijving: str = typer.Option(..., help="Waarvoor, bijv. bloembollen."),
    bon: Path = typer.Option(..., help="Bon (PDF, JPEG of PNG, hoogstens 20 MB of $BUURTBUDGET_BON_MAX_MB); "
                                       "wordt gekopieerd naar documents/."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP + " Ook: dien een declaratie in die dubbel lijkt."),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
) -> int:
    """Dien een declaratie in (vlag !, prive, link ^decl-JJJJ-NNN).

    Een tweede declaratie met dezelfde bon, of met dezelfde declarant, datum en hetzelfde bedrag,
    wordt geweigerd; met --toch --reden komt ze er toch in, met de reden als dubbel-reden.
    """
    user = _door(ledger, door)
    _vooraf(categorie, user.persoon)
    _bon(bon)
    geforceerd = _toch(toch, reden)
    invoer = DeclaratieInvoer(
        datum=_date(datum, "--datum"), declarant=declarant, iban=iban, bedrag=_amount(bedrag), plan=plan,
        categorie=categorie, omschrijving=omschrijving, door=user.persoon, bon=bon,
        toch=geforceerd is not None, reden=geforceerd.reden if geforceerd else None,
    )
    _report(_write(ledger, lambda stand: maak_declaratie(stand, invoer), user, geforceerd))
    return 0


@declaratie_app.command("goedkeuren")
def goedkeuren(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    link: str = typer.Argument(..., help="De declaratie, bijv. decl-2025-004."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
) -> int:
    """Keur een declaratie (of factuur) goed; niet door de declarant of wie hem invoerde."""
    user = _door(ledger, door)
    _report(_write(ledger, lambda stand: maak_goedkeuring(stand, link, user.persoon), user, _toch(toch, reden)))
    return 0


@declaratie_app.command("afwijzen")
def afwijzen(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    link: str = typer.Argument(..., help="De declaratie, bijv. decl-2025-004."),
    reden: str = typer.Option(..., help="Waarom de declaratie wordt afgewezen."),
    datum: Optional[str] = typer.Option(None, help="Datum van de afwijzing (standaard vandaag, binnen de periode)."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP + " De reden is dan die van --reden."),
) -> int:
    """Wijs een declaratie af; ze blijft in de ledger staan, met de reden."""
    user = _door(ledger, door)
    when = _date(datum, "--datum") if datum else None
    _report(_write(ledger, lambda stand: maak_afwijzing(stand, link, reden, user.persoon, when), user,
                   _toch(toch, reden, eigen_reden=True)))
    return 0


@declaratie_app.command("lijst")
def lijst(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    status: Optional[str] = typer.Option(None, help="Alleen: ingediend, goedgekeurd, betaald of afgewezen."),
) -> int:
    """Toon declaraties en facturen met hun status."""
    stand = lees_stand(ledger, valideer=valideer)
    payables = sorted((p for p in stand.view.payables if status is None or p.status == status),
                      key=lambda p: (p.date, p.link or ""))
    if status is not None and status not in ("ingediend", "goedgekeurd", "betaald", "afgewezen"):
        raise _error(f"--status '{status}' onbekend; kies ingediend, goedgekeurd, betaald of afgewezen")
    if not payables:
        console.print("geen declaraties of facturen" + (f" met status {status}" if status else ""))
        return 0
    for p in payables:
        who = p.declarant or p.payee or ""
        extra = ""
        if p.status == "goedgekeurd" or p.approved_by:
            extra = f" goedgekeurd door {p.approved_by}"
        if p.waarom:  # the approval does not count: say why (the one predicate, as BB-VIER-OGEN)
            extra += f" — telt niet: {p.waarom}"
        if p.status == "afgewezen":
            extra = f" reden: {p.rejection}"
        console.print(f"^{p.link}  {p.date.isoformat()}  {p.status:<11}  {format_eur(p.amount):>12}  "
                      f"{who} — {p.narration}{extra}", markup=False)
    return 0


# --------------------------------------------------------------------------- betaal


def betaal(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    uitvoer: Optional[Path] = typer.Option(None, "-o", "--uitvoer",
                                           help="Het SEPA-bestand (pain.001.001.03) om te schrijven; standaard "
                                                "betalingen/betaling-<buurtbudget>-<datum>.xml in de werkruimte "
                                                "(nooit in de map van een buurtbudget)."),
    datum: Optional[str] = typer.Option(None, help="Gewenste uitvoerdatum (standaard vandaag)."),
    overschrijven: bool = typer.Option(False, "--overschrijven",
                                       help="Een bestaand (eerder) betaalbestand op dit pad vervangen."),
    intrekken: Optional[str] = typer.Option(None, "--intrekken", metavar="MSGID",
                                            help="Trek een betaalopdracht in: de posten worden weer betaalbaar."),
    reden: Optional[str] = typer.Option(None, help="Waarom de betaalopdracht wordt ingetrokken."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
) -> int:
    """Maak één SEPA-betaalbestand voor alle goedgekeurde, onbetaalde declaraties en facturen.

    De betaalopdracht (MsgId, posten, totaal) komt in de ledger; een post staat
    nooit in twee betaalopdrachten, tot de eerste is ingetrokken (--intrekken)
    of de bank de betaling terugstort.
    """
    if intrekken is not None:
        return _betaal_intrekken(ledger, intrekken, datum, reden, door)
    standaard = uitvoer is None
    if uitvoer is None:  # its folder, when missing, is made by the write that records the batch
        from ledger.evaluatie.loading import resolve_ledger_path
        from ledger.schrijver.uitvoer import standaard_betaalbestand

        uitvoer = standaard_betaalbestand(resolve_ledger_path(ledger), _date(datum, "--datum", datetime.date.today()))
    return _betaal_batch(ledger, uitvoer, datum, overschrijven, door, map_moet_bestaan=not standaard)


def _betaler(ledger: Path, door: Optional[str]):
    """Who makes or cancels a batch: --door, $BUURTBUDGET_GEBRUIKER, or else the system login.

    `betaal` wrote nothing before batches were recorded, so scripts ran it
    without a name; the system login keeps them working when gebruikers.toml
    has a login of that name (it must, like any other writer).
    """
    value = (door or os.environ.get("BUURTBUDGET_GEBRUIKER") or "").strip()
    if not value:
        import getpass

        try:
            value = getpass.getuser()
        except (KeyError, OSError):
            value = ""
    return _door(ledger, value)


def _betaal_batch(ledger: Path, uitvoer: Path, datum: Optional[str], overschrijven: bool, door: Optional[str],
                  *, map_moet_bestaan: bool = True) -> int:
    from ledger.betalingen.batches import BetaalFout, controleer_uitvoer, maak_batch, retouren_van, voorvertoning

    user = _betaler(ledger, door)
    when = _date(datum, "--datum", datetime.date.today())
    info: dict = {}

    def build(stand):
        info["voor"] = voorvertoning(stand.view, stand.entries)
        try:
            # A ledger, documents/ or a folder is never a place for the file, even with nothing to pay.
            controleer_uitvoer(uitvoer, stand.pad, stand.options_map, overschrijven, bestaand=False,
                               map_moet_bestaan=map_moet_bestaan)
            werk = maak_batch(stand.entries, stand.view, when)
            if werk is None:
                return None
            target = controleer_uitvoer(uitvoer, stand.pad, stand.options_map, overschrijven,
                                        map_moet_bestaan=map_moet_bestaan)
        except BetaalFout as exc:
            raise InvoerFout(str(exc))
        info.update(batch=werk.batch, target=target)
        # The file is part of the write: in place exactly when the ledger holds the batch and its commit.
        return werk.wijziging(user.persoon, target.name, uitvoer=target)

    result = _write(ledger, build, user)
    voor = info.get("voor")
    for reden in (voor.overgeslagen if voor else ()):
        err_console.print(f"let op: niet in het betaalbestand: {reden}", markup=False)
    batch = info.get("batch")
    if batch is None or not result.gewijzigd:
        if voor and voor.overgeslagen:
            raise _error("niets te betalen met een geldig IBAN; er is geen bestand geschreven")
        wacht = voor.wachtend if voor else {}
        console.print("Niets te betalen: geen goedgekeurde declaraties of facturen zonder betaling of betaalopdracht. "
                      "Er is geen bestand geschreven.")
        for msgid in dict.fromkeys(wacht.values()):
            links = ", ".join(l for l, m in wacht.items() if m == msgid)
            console.print(f"  in betaalopdracht {msgid} (nog niet op een afschrift gezien): {links}; "
                          f"is die niet bij de bank uitgevoerd, trek hem dan in met: "
                          f"buurtbudget betaal {ledger} --intrekken {msgid}", markup=False)
        if uitvoer.exists():
            console.print(f"  let op: {uitvoer} is een eerder bestand en is niet gewijzigd; upload het niet opnieuw "
                          "als de bank het al heeft uitgevoerd.", markup=False)
        return 0
    target = info["target"]
    console.print(f"SEPA-bestand {target}: betaalopdracht {batch.msgid}, {len(batch.overboekingen)} betaling(en), "
                  f"samen {format_eur(batch.totaal)}", markup=False)
    retouren = retouren_van(batch)
    for o in batch.overboekingen:
        console.print(f"  {o.link}  {format_eur(o.bedrag):>12}  {o.naam}  {o.iban}", markup=False)
        for r in retouren.get(o.link, ()):
            err_console.print(f"let op: ^{o.link} kwam eerder terug van de bank ({r.meta.get('retour-reden', '?')}, "
                              f"{r.date.isoformat()}); controleer het IBAN {o.iban}", markup=False)
    console.print(f"  vastgelegd in {result.pad}" + (f" (git {result.commit[:10]})" if result.commit else ""),
                  markup=False)
    _batch_signalen(Path(result.pad), {o.link for o in batch.overboekingen})
    console.print("Upload het bestand bij de bank; de betalingen worden geboekt bij de import van het afschrift. "
                  f"Voert de bank het niet uit: buurtbudget betaal {ledger} --intrekken {batch.msgid}", markup=False)
    return 0


def _batch_signalen(ledger: Path, links: set[str]) -> None:
    """The signals about the batch's claims and invoices, over the ledger's whole workspace.

    Printed after the batch is recorded, before the file goes to the bank: signals never block,
    and one that cannot be computed (another ledger of the workspace unreadable) is said, not fatal.
    """
    from buurtbudget_admin import signalering
    from buurtbudget_admin.errors import UserError
    from ledger.betalingen.batches import signalen_per_link
    from ledger.evaluatie.loading import LedgerReadError

    try:
        gevonden, betalingen = signalering.van_ledger(ledger)
    except (UserError, LedgerReadError) as exc:
        err_console.print(f"let op: de signalen konden niet worden bepaald ({exc}); kijk ze na met "
                          f"buurtbudget signalen {ledger}", markup=False)
        return
    per_link = signalen_per_link(gevonden, betalingen, ledger.resolve().parent.name, links)
    involved = {id(s) for found in per_link.values() for s in found}
    betreft = [s for s in gevonden if id(s) in involved]  # in the order `signalen` lists them
    if not betreft:
        console.print("Geen signalen bij deze betaalopdracht.", markup=False)
        return
    console.print(f"Signalen bij deze betaalopdracht ({len(betreft)}; waarschuwingen, ze houden niets tegen; "
                  "kijk ze na voor u het bestand uploadt):", markup=False)
    for s in betreft:
        console.print("  " + s.format().replace("\n", "\n  "), markup=False)


def _betaal_intrekken(ledger: Path, msgid: str, datum: Optional[str], reden: Optional[str],
                      door: Optional[str]) -> int:
    from ledger.betalingen.batches import BetaalFout, maak_intrekking

    user = _betaler(ledger, door)
    when = _date(datum, "--datum", datetime.date.today())
    info: dict = {}

    def build(stand):
        try:
            intrekking = maak_intrekking(stand.entries, stand.view, msgid, when, user.persoon, reden)
        except BetaalFout as exc:
            raise InvoerFout(f"{stand.pad}: {exc}")
        info["intrekking"] = intrekking
        return intrekking.wijziging

    _report(_write(ledger, build, user))
    intrekking = info.get("intrekking")
    if intrekking and intrekking.open:
        console.print(f"  weer te betalen bij de volgende betaalopdracht: {', '.join(intrekking.open)}", markup=False)
    if intrekking and intrekking.betaald:
        console.print(f"  al betaald volgens het afschrift (blijft betaald): {', '.join(intrekking.betaald)}",
                      markup=False)
    console.print("  Upload het betaalbestand van deze opdracht niet (meer) bij de bank.", markup=False)
    return 0


# --------------------------------------------------------------------------- import


def importeer(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    afschrift: Path = typer.Argument(..., help="Bankafschrift: CAMT.053 (XML), MT940 of CSV."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
    zonder_saldo: bool = typer.Option(False, "--zonder-saldo",
                                      help="Importeer een afschrift zonder eindsaldo (CAMT zonder CLBD, CSV zonder "
                                           "saldo): ongecontroleerd, en dat staat in de uitvoer en de commit."),
) -> int:
    """Importeer een bankafschrift: betalingen en retouren koppelen, nieuwe regels naar Onverwerkt, eindsaldo als controle.

    Exitcode 0: ingelezen (of niets nieuws); 1: het eindsaldo klopt niet met de
    ledger; 2: het afschrift is onleesbaar, van een andere rekening of in een
    andere munt. Bij 1 en 2 is de ledger ongewijzigd.
    """
    from ledger.importers import SaldoFout, maak_import

    user = _door(ledger, door)
    if not afschrift.is_file():
        raise _error(f"afschrift '{afschrift}' bestaat niet (of is geen bestand)")
    summary: dict[str, int] = {}
    saldo_fout: list[bool] = []

    def build(stand):
        try:
            return maak_import(stand, afschrift, summary, zonder_saldo=zonder_saldo)
        except InvoerFout as exc:
            if isinstance(exc.__cause__, SaldoFout):
                saldo_fout.append(True)
            raise

    try:
        result = _write(ledger, build, user, _toch(toch, reden))
    except Exception as exc:
        if saldo_fout and getattr(exc, "exit_code", None) == 2:
            raise _error(str(exc), 1) from None
        raise
    _report(result)
    if summary.get("zonder_saldo"):
        from ledger.importers import ZONDER_SALDO

        console.print(f"  LET OP: {ZONDER_SALDO} (--zonder-saldo).")
    if result.gewijzigd and summary.get("retouren"):
        console.print(f"  {summary['retouren']} betaling(en) kwamen terug van de bank: weer te betalen bij de "
                      "volgende betaalopdracht (controleer het IBAN).")
    if result.gewijzigd and summary.get("onverwerkt"):
        console.print(f"  {summary['onverwerkt']} regel(s) staan op Onverwerkt: verwerk ze met een boeking.")
    return 0


# --------------------------------------------------------------------------- plannen stemming

plannen_app = typer.Typer(help="Plannen van een buurtbudget.", no_args_is_help=True, rich_markup_mode=None)


@plannen_app.command("stemming")
def stemming(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    uitslag: Path = typer.Argument(..., help="Uitslag als CSV: plan, titel, bedrag, stemmen."),
    proef: bool = typer.Option(False, "--proef", help="Toon alleen de rangorde; schrijf niets."),
    datum: Optional[str] = typer.Option(None, help="Datum van de plan-declaraties (standaard vandaag), niet na het "
                                                   "einde van de periode."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
) -> int:
    """Kies plannen uit een stemuitslag (model A): op stemmen, zolang ze passen."""
    from ledger.importers.stemming import UitslagFout, kies_plannen, lees_uitslag, stemming_wijziging

    try:
        kandidaten = lees_uitslag(uitslag)
    except UitslagFout as exc:
        raise _error(str(exc))
    when = _date(datum, "--datum", datetime.date.today())

    def show(view, keuze) -> None:
        if view.header is not None and view.header.model != "A":
            console.print(f"let op: dit buurtbudget heeft model {view.header.model}, stemmen hoort bij model A")
        console.print(f"Beschikbaar voor plannen: {format_eur(keuze.beschikbaar)} "
                      f"(toekenning {format_eur(view.award)} − plafond ondersteuning {format_eur(view.ceiling)} "
                      f"− al gedeclareerde plannen {format_eur(view.plan_budgets)})")
        for k in keuze.keuzes:
            c = k.kandidaat
            mark = "✔" if k.gekozen else "✘"
            console.print(f"{k.rang:>3}. {mark} {c.plan:<24} {c.stemmen:>6} stemmen {format_eur(c.bedrag):>14}  "
                          f"{c.titel} — {k.reden}", markup=False)
        console.print(f"Gekozen: {len(keuze.gekozen)} plan(nen), samen {format_eur(keuze.totaal)}")

    if proef:
        stand = lees_stand(ledger, valideer=valideer)
        show(stand.view, kies_plannen(stand.view, kandidaten))
        console.print("--proef: er is niets geschreven.")
        return 0
    user = _door(ledger, door)

    def build(stand):
        from ledger.importers.stemming import check_plandatum

        check_plandatum(stand.view, when, gegeven=datum is not None)
        keuze = kies_plannen(stand.view, kandidaten)
        show(stand.view, keuze)
        if not keuze.gekozen:
            return None
        return stemming_wijziging(stand.view, keuze, when, uitslag.name)

    _report(_write(ledger, build, user, _toch(toch, reden)))
    return 0


# --------------------------------------------------------------------------- afsluiten


def afsluiten(
    ledger: Path = typer.Argument(..., help="Ledgerbestand of buurtbudget-map."),
    datum: str = typer.Option(..., help="Datum van de afsluiting (na het einde van de periode)."),
    door: Optional[str] = typer.Option(None, help=DOOR_HELP),
    toch: bool = typer.Option(False, "--toch", help=TOCH_HELP),
    reden: Optional[str] = typer.Option(None, "--reden", help=REDEN_HELP),
) -> int:
    """Sluit het buurtbudget af: het niet bestede deel staat als terugbetaling aan de gemeente."""
    from ledger.betalingen.afsluiten import maak_afsluiting

    user = _door(ledger, door)
    when = _date(datum, "--datum")
    _report(_write(ledger, lambda stand: maak_afsluiting(stand, when, user.persoon), user, _toch(toch, reden)))
    return 0


def register(app: typer.Typer) -> None:
    app.command("boek")(boek)
    app.add_typer(declaratie_app, name="declaratie")
    app.command("betaal")(betaal)
    app.command("import")(importeer)
    app.add_typer(plannen_app, name="plannen")
    app.command("afsluiten")(afsluiten)
