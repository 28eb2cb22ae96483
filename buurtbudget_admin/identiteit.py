"""Who does a write from the command line: a login of the workspace's gebruikers.toml, as a person.

`--door LOGIN` (or `$BUURTBUDGET_GEBRUIKER`) must name a login of the
workspace's `gebruikers.toml`; the books and git then record that login's
full name (and e-mail), never the text that was typed. So `henk` and
`Henk Bakker` are one person for four eyes, and a login nobody knows writes
nothing.

The workspace's users file is `gebruikers.toml` beside the ledger's folder
(the workspace root, as `buurtbudget serve` reads it) or else inside the
ledger's folder (a workspace of one ledger). Without one, every write is
refused with the command that adds the first user: a ledger written by
nobody in particular has no four eyes.
"""

from __future__ import annotations

import os
from pathlib import Path

from buurtbudget_admin.errors import UserError
from buurtbudget_admin.service.users import USERS_FILE, User, UsersFileError, load_users
from ledger.evaluatie.loading import _check_readable, resolve_ledger_path
from ledger.evaluatie.vier_ogen import NaamFout, vereis_zichtbaar

ENV = "BUURTBUDGET_GEBRUIKER"


def _ledger(ledger: str | os.PathLike) -> Path:
    # A ledger that is not there is said first (LedgerReadError, Dutch, with the path), as before identities.
    p = resolve_ledger_path(ledger)
    _check_readable(p)
    return p.resolve()


def gebruikersbestand(ledger: str | os.PathLike, *, nieuw: bool = False) -> Path | None:
    """The workspace's gebruikers.toml for this ledger, or None when there is none.

    `nieuw`: the ledger is about to be made (`init`), so it need not exist yet."""
    folder = (Path(ledger).resolve() if nieuw else _ledger(ledger)).parent
    for candidate in (folder.parent / USERS_FILE, folder / USERS_FILE):
        if candidate.is_file():
            return candidate
    return None


def _toevoegen_hint(ledger: Path, rol: str) -> str:
    werkruimte = ledger.parent.parent
    scope = f" --ledger {ledger.parent.name}" if rol == "beheerder" else ""
    return (f'buurtbudget gebruiker toevoegen LOGIN --naam "Volledige Naam" --rol {rol}{scope} '
            f"--werkruimte {werkruimte}")


def persoon(ledger: str | os.PathLike, login: str | None, *, rol: str = "beheerder",
            optie: str = "--door", nieuw: bool = False) -> User:
    """The user behind `login` (or $BUURTBUDGET_GEBRUIKER), allowed to do this to `ledger`; UserError otherwise.

    `rol="beheerder"`: a beheerder of this ledger (the day's bookings);
    `rol="auditor"`: an auditor (the vaststelling). Nothing is read or
    written before this has answered. `nieuw`: the ledger does not exist yet (`init`).
    """
    pad = Path(ledger).resolve() if nieuw else _ledger(ledger)
    given = (login if login is not None else os.environ.get(ENV) or "").strip()
    if not given:
        raise UserError(f"wie doet dit? geef {optie} LOGIN of zet {ENV} (een login uit {USERS_FILE})")
    try:  # a login of only invisible characters (U+200B, U+2060) is said as such, not as unknown
        vereis_zichtbaar(given, optie)
    except NaamFout as exc:
        raise UserError(str(exc)) from None
    bestand = gebruikersbestand(pad, nieuw=nieuw)
    if bestand is None:
        raise UserError(
            f"{pad.parent}: geen {USERS_FILE} in de werkruimte; wie schrijft moet een bekende gebruiker zijn. "
            f"Voeg uzelf eerst toe: {_toevoegen_hint(pad, rol)}")
    try:
        users = load_users(bestand)
    except UsersFileError as exc:
        raise UserError(str(exc)) from None
    user = users.get(given.lower())
    if user is None:
        raise UserError(
            f"{optie} '{given}': geen login in {bestand}; er is niets gewijzigd. Geef een login "
            f"(bekend: {', '.join(sorted(users)) or 'geen'}), of voeg de persoon toe: {_toevoegen_hint(pad, rol)}")
    slug = pad.parent.name
    if rol == "auditor":
        if user.role != "auditor":
            raise UserError(f"alleen een auditor van het stadsdeel legt de vaststelling vast; '{user.name}' "
                            f"({user.persoon}) is {user.role}. Er is niets gewijzigd.")
    elif not user.may_write(slug):
        wat = "leest alleen (auditor)" if user.role == "auditor" else "is geen beheerder van dit buurtbudget"
        raise UserError(f"'{user.name}' ({user.persoon}) {wat}: {slug} wijzigen mag niet. Er is niets gewijzigd.")
    return user
