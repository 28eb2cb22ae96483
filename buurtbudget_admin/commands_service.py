"""`buurtbudget serve` and `buurtbudget gebruiker toevoegen|verwijderen|lijst`."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from buurtbudget_admin.errors import UserError
from buurtbudget_admin.service.state import discover, weiger_gereserveerde_namen
from buurtbudget_admin.service.users import (
    ROLES, UsersFileError, add_user, load_users, random_password, remove_user, users_path,
)

PASSWORD_ENV = "BUURTBUDGET_WACHTWOORD"


def _workspace(path: Path) -> Path:
    if not path.exists():
        raise UserError(f"{path}: de werkruimte bestaat niet (maak er een met 'buurtbudget demo {path}')")
    if not path.is_dir():
        raise UserError(f"{path}: is geen map; geef de map van de werkruimte (met een map per buurtbudget)")
    return path


def ensure_first_users(workspace: Path) -> list[tuple[str, str, str]]:
    """Without a users file, make one beheerder (all ledgers) and one auditor with random passwords.

    Returns (name, role, password) of the users made, so they can be shown once.
    """
    path = users_path(workspace)
    if path.exists():
        return []
    made = []
    # Placeholder people: the hint printed with the passwords says how to give them real names.
    for name, role, ledgers, naam in (("beheerder", "beheerder", ("*",), "Beheerder (eerste gebruiker)"),
                                      ("auditor", "auditor", (), "Auditor (eerste gebruiker)")):
        password = random_password()
        add_user(path, name, role, ledgers, password, naam=naam)
        made.append((name, role, password))
    return made


def _herstel_onderbroken(workspace: Path) -> None:
    """Writes a crash interrupted are finished or undone before the site looks for ledgers (`ledger.schrijver.intentie`).

    Every folder, not only those with a ledger: an interrupted `init` into an existing folder may
    have its record there before its ledger; and what an `init` killed while staging left is removed.
    """
    from ledger.schrijver.intentie import IntentieFout, herstel_als_nodig
    from ledger.schrijver.nieuw import ruim_staging_op

    ruim_staging_op(workspace)
    for folder in sorted(p for p in workspace.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            herstel_als_nodig((folder / "main.beancount").resolve(), moet_bestaan=False)
        except IntentieFout as exc:
            print(f"Let op: {exc}", file=sys.stderr, flush=True)
        except OSError:
            continue  # a folder that cannot be read holds no ledger the site serves


def serve(
    workspace: Path = typer.Argument(Path("."), help="Map van de werkruimte (een map per buurtbudget)."),
    host: str = typer.Option("127.0.0.1", help="Adres om op te luisteren."),
    port: int = typer.Option(5000, help="Poort (0 = een vrije poort)."),
    threads: int = typer.Option(8, help="Aantal verzoeken tegelijk."),
    cache: Optional[Path] = typer.Option(None, help="Map voor de openbare kopieën (standaard ~/.cache/buurtbudget)."),
    per_client: int = typer.Option(24, "--verbindingen-per-client", min=0,
                                   help="Open verbindingen per clientadres (0 = geen grens; achter een reverse "
                                        "proxy is elk adres dat van de proxy: zet de grens dan in de proxy)."),
) -> int:
    """Start de website: overzicht per buurt, openbare boeken en beheer (Fava)."""
    from buurtbudget_admin.service import grenzen
    from buurtbudget_admin.service.wsgi import create_service

    from buurtbudget_admin.service.auth import running_as_root

    workspace = _workspace(workspace).resolve()
    if running_as_root():
        print("Let op: buurtbudget serve draait als root. Elke fout in de website raakt dan de hele computer; "
              "start de dienst als een gewone gebruiker die alleen de werkruimte mag schrijven.",
              file=sys.stderr, flush=True)
    weiger_gereserveerde_namen(workspace)  # before anything is written (users file, recovered writes)
    _herstel_onderbroken(workspace)  # before the ledgers are found: an undone `init` takes its folder away
    slugs = discover(workspace)
    if not slugs:
        raise UserError(f"{workspace}: geen buurtbudgetten gevonden (verwacht <map>/main.beancount)")
    try:
        made = ensure_first_users(workspace)
    except (UsersFileError, OSError) as exc:
        raise UserError(f"{users_path(workspace)}: kan het gebruikersbestand niet maken ({exc})")
    service = create_service(workspace, cache_dir=cache)
    print(f"{len(slugs)} buurtbudget(ten) laden uit {workspace} ...", flush=True)
    for snap in service.state.warm():
        status = "niet te lezen: " + snap.read_error if snap.read_error else (
            f"{sum(1 for p in snap.problems if p.code.startswith('BB-'))} overtreding(en)")
        print(f"  {snap.slug}: {status}", flush=True)
    try:
        server = grenzen.create_server(service, host=host, port=port, threads=threads, ident="buurtbudget",
                                       per_client=per_client or None)
    except OSError as exc:
        raise UserError(f"kan niet luisteren op {host}:{port} ({exc.strerror or exc}); kies een andere --port")
    address = f"http://{host if ':' not in host else '[' + host + ']'}:{server.effective_port}/"
    if made:
        print(f"Nieuw gebruikersbestand {users_path(workspace)} (alleen hashes). Wachtwoorden, nu eenmalig getoond:")
        for name, role, password in made:
            print(f"  {name} ({role}): {password}")
        print('  Geef ze een naam en wachtwoord met: buurtbudget gebruiker toevoegen LOGIN --naam "Volledige Naam" '
              "--rol ... --werkruimte ...")
    print(f"Overzicht per buurt:  {address}")
    print(f"Openbare boeken:      {address}buurt/<slug>/   (bijv. {address}buurt/{slugs[0]}/)")
    print(f"Beheer (inloggen):    {address}beheer/   (startpagina na het inloggen)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("Let op: het wachtwoord en de sessie-cookie van beheer gaan over het netwerk; zet de dienst "
              "achter HTTPS (een reverse proxy) als hij buiten deze computer bereikbaar is, en start hem dan "
              "met BUURTBUDGET_HTTPS=1 (de cookie gaat dan alleen over HTTPS).")
    print(f"Open {address} in uw browser. Stoppen: Ctrl+C", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        print("gestopt")
    finally:
        server.close()
    return 0


gebruiker_app = typer.Typer(help="Gebruikers van de beheeromgeving (gebruikers.toml in de werkruimte).",
                            no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def _password(given: Optional[str]) -> str:
    if given:
        return given
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise UserError(f"geen wachtwoord: geef --wachtwoord of zet {PASSWORD_ENV}")
    first = getpass.getpass("Wachtwoord: ")
    second = getpass.getpass("Nog een keer: ")
    if first != second:
        raise UserError("de wachtwoorden zijn niet gelijk")
    return first


@gebruiker_app.command("toevoegen")
def toevoegen(
    login: str = typer.Argument(..., metavar="LOGIN", help="Login (kleine letters, cijfers, . _ -)."),
    naam: str = typer.Option(..., "--naam", help="Volledige naam van de persoon; die komt in de boeken en in git."),
    rol: str = typer.Option(..., help="beheerder of auditor."),
    email: Optional[str] = typer.Option(None, "--email", help="E-mailadres (voor de auteur in git)."),
    ledger: List[str] = typer.Option([], "--ledger", help="Slug van een buurtbudget (herhaalbaar; '*' = alle). Alleen voor beheerders."),
    werkruimte: Path = typer.Option(Path("."), "--werkruimte", "-w", help="Map van de werkruimte."),
    wachtwoord: Optional[str] = typer.Option(None, help=f"Wachtwoord (anders {PASSWORD_ENV} of een vraag)."),
) -> int:
    """Voeg een gebruiker toe of wijzig hem (naam, rol, buurtbudgetten, wachtwoord)."""
    workspace = _workspace(werkruimte)
    if rol not in ROLES:
        raise UserError(f"--rol '{rol}' onbekend; kies beheerder of auditor")
    if rol == "auditor" and ledger:
        raise UserError("een auditor leest alle buurtbudgetten; laat --ledger weg")
    known = set(discover(workspace))
    for slug in ledger:
        if slug != "*" and slug not in known:
            raise UserError(f"--ledger '{slug}': geen buurtbudget met die naam in {workspace} "
                            f"(wel: {', '.join(sorted(known)) or 'geen'})")
    try:
        user = add_user(users_path(workspace), login, rol, tuple(ledger), _password(wachtwoord), naam=naam,
                        email=email)
    except UsersFileError as exc:
        raise UserError(str(exc))
    scope = "alle buurtbudgetten" if rol == "auditor" or "*" in user.ledgers else ", ".join(user.ledgers)
    print(f"Gebruiker '{user.name}' ({user.persoon}, {user.role}, {scope}) opgeslagen in {users_path(workspace)}")
    return 0


@gebruiker_app.command("verwijderen")
def verwijderen(
    naam: str = typer.Argument(..., help="Gebruikersnaam."),
    werkruimte: Path = typer.Option(Path("."), "--werkruimte", "-w", help="Map van de werkruimte."),
) -> int:
    """Verwijder een gebruiker."""
    workspace = _workspace(werkruimte)
    try:
        remove_user(users_path(workspace), naam)
    except UsersFileError as exc:
        raise UserError(str(exc), exit_code=1)
    print(f"Gebruiker '{naam}' verwijderd uit {users_path(workspace)}")
    return 0


@gebruiker_app.command("lijst")
def lijst(
    werkruimte: Path = typer.Option(Path("."), "--werkruimte", "-w", help="Map van de werkruimte."),
) -> int:
    """Toon de gebruikers en hun rollen (nooit wachtwoorden)."""
    workspace = _workspace(werkruimte)
    try:
        users = load_users(users_path(workspace))
    except UsersFileError as exc:
        raise UserError(str(exc))
    if not users:
        print(f"Geen gebruikers in {users_path(workspace)}")
        return 0
    for name in sorted(users):
        user = users[name]
        scope = "alle buurtbudgetten (alleen lezen)" if user.role == "auditor" else (
            "alle buurtbudgetten" if "*" in user.ledgers else ", ".join(user.ledgers))
        print(f"{name}\t{user.role}\t{scope}\t{user.persoon}" + (f" <{user.email}>" if user.email else ""))
    return 0


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(gebruiker_app, name="gebruiker")
