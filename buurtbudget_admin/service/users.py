"""Users and roles of a workspace: `gebruikers.toml` at the workspace root.

    # Gebruikers van de beheeromgeving. Alleen wachtwoord-hashes, nooit wachtwoorden.
    [gebruiker.anja]
    rol = "beheerder"
    naam = "Anja de Vries"
    email = "anja@example.org"
    ledgers = ["k-buurt-2025"]
    wachtwoord = "scrypt:32768:8:1$...$..."

    [gebruiker.stadsdeel]
    rol = "auditor"
    naam = "Jan de Wit"
    wachtwoord = "scrypt:..."

A login is a person: `naam` (the full name) is what every write records
(`ingevoerd-door`, `goedgekeurd-door`, the vaststelling's `door`, the git
author, with `email` when given), so four eyes compares people, never the
name someone typed. `beheerder`: reads and edits the ledgers listed (`"*"`
is all of them). `auditor`: reads every ledger and records the vaststelling,
nothing else.

The file is read and validated with pydantic (`GebruikerRegel`) and written
with a TOML writer (tomli-w); every refusal is a Dutch sentence naming the
file.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import hashlib
import hmac
import re
import secrets
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

import tomli_w
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from werkzeug.security import check_password_hash, generate_password_hash

from ledger.evaluatie.vier_ogen import naam_sleutel
from ledger.schrijver.bestanden import atomic_write_bytes

USERS_FILE = "gebruikers.toml"
ROLES = ("beheerder", "auditor")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")
HEADER = (
    "# Gebruikers van de beheeromgeving (buurtbudget gebruiker toevoegen|verwijderen|lijst).\n"
    "# Elke login is een persoon: 'naam' komt in de boeken en als auteur in git.\n"
    "# Alleen wachtwoord-hashes, nooit wachtwoorden.\n\n"
)


class UsersFileError(Fout, ValueError):
    """A users file that cannot be used; the message is Dutch and names the file."""


def check_full_name(naam: str) -> str:
    """A person's full name as it goes into the books: one line, not empty, not invisible."""
    text = naam.strip() if isinstance(naam, str) else ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError("de naam bevat een regeleinde of stuurteken; schrijf hem op één regel")
    if not naam_sleutel(text):
        raise ValueError("de naam is leeg; geef de volledige naam van de persoon (--naam \"Voornaam Achternaam\")")
    return text


def check_email(email: str) -> str:
    text = email.strip()
    if not _EMAIL.match(text):
        raise ValueError(f"e-mailadres '{email}' is ongeldig (verwacht naam@domein.nl)")
    return text


class GebruikerRegel(BaseModel):
    """One `[gebruiker.LOGIN]` table of gebruikers.toml, as pydantic validates it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    rol: Literal["beheerder", "auditor"]
    naam: str
    email: Optional[str] = None
    ledgers: list[str] = []
    wachtwoord: str

    @field_validator("naam")
    @classmethod
    def _naam(cls, value: str) -> str:
        return check_full_name(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else check_email(value)

    @field_validator("wachtwoord")
    @classmethod
    def _hash(cls, value: str) -> str:
        if "$" not in value:
            raise ValueError("geen wachtwoord-hash (zet het wachtwoord met buurtbudget gebruiker toevoegen)")
        return value


def _dutch(exc: ValidationError) -> str:
    """pydantic's findings as one Dutch sentence per field."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "?"
        kind = err.get("type", "")
        if kind == "missing":
            hint = " (buurtbudget gebruiker toevoegen LOGIN --naam \"Volledige Naam\" ...)" if field == "naam" else ""
            parts.append(f"'{field}' ontbreekt{hint}")
        elif kind == "extra_forbidden":
            parts.append(f"onbekend veld '{field}'")
        elif kind == "literal_error":
            parts.append(f"onbekende rol {err.get('input')!r} (kies beheerder of auditor)")
        elif kind == "value_error":
            parts.append(f"{field}: {err.get('ctx', {}).get('error', err.get('msg'))}")
        elif kind.endswith("_type"):
            parts.append(f"'{field}' heeft de verkeerde soort waarde (tekst, of een lijst van slugs bij ledgers)")
        else:
            parts.append(f"{field}: {err.get('msg')}")
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class User:
    name: str  # the login
    role: str
    ledgers: tuple[str, ...]
    password_hash: str
    volledige_naam: str = ""  # the person: what the books and git record
    email: str | None = None

    @property
    def persoon(self) -> str:
        """The name every write records for this login."""
        return self.volledige_naam or self.name

    def may_read(self, slug: str) -> bool:
        return self.role == "auditor" or "*" in self.ledgers or slug in self.ledgers

    def may_write(self, slug: str) -> bool:
        return self.role == "beheerder" and ("*" in self.ledgers or slug in self.ledgers)


def users_path(workspace: Path) -> Path:
    return Path(workspace) / USERS_FILE


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise UsersFileError(
            f"gebruikersnaam '{name}' is ongeldig: gebruik kleine letters, cijfers, punt, streepje of liggend streepje"
        )
    return name


def load_users(path: Path) -> dict[str, User]:
    """The users of a users file; an absent file has none."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        parsed = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: geen geldige TOML ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"{path}: kan het bestand niet lezen ({exc})") from exc
    tables = parsed.get("gebruiker") or {}
    if not isinstance(tables, dict):
        raise UsersFileError(f"{path}: 'gebruiker' moet tabellen [gebruiker.LOGIN] bevatten")
    users: dict[str, User] = {}
    for name, entry in tables.items():
        if not isinstance(entry, dict):
            raise UsersFileError(f"{path}: [gebruiker.{name}] is geen tabel")
        try:
            check_name(name)
        except UsersFileError as exc:
            raise UsersFileError(f"{path}: {exc}") from None
        try:
            regel = GebruikerRegel.model_validate(entry)
        except ValidationError as exc:
            raise UsersFileError(f"{path}: gebruiker '{name}': {_dutch(exc)}") from None
        users[name] = User(name, regel.rol, tuple(regel.ledgers), regel.wachtwoord, regel.naam, regel.email)
    return users


def render_users(users: dict[str, User]) -> str:
    tables = {}
    for name in sorted(users):
        user = users[name]
        table: dict[str, object] = {"rol": user.role, "naam": user.persoon}
        if user.email:
            table["email"] = user.email
        if user.role == "beheerder":
            table["ledgers"] = list(user.ledgers)
        table["wachtwoord"] = user.password_hash
        tables[name] = table
    return HEADER + tomli_w.dumps({"gebruiker": tables})


def save_users(path: Path, users: dict[str, User]) -> None:
    """Atomic replace, readable by the owner only."""
    atomic_write_bytes(Path(path), render_users(users).encode("utf-8"), modus=0o600)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise UsersFileError("het wachtwoord moet minstens 8 tekens hebben")
    return generate_password_hash(password)  # scrypt, salted


def add_user(path: Path, name: str, role: str, ledgers: tuple[str, ...], password: str, *,
             naam: str | None = None, email: str | None = None, password_hash: str | None = None) -> User:
    """Add or change a login. `naam` is the person's full name (a script that gives none gets the login).

    One person, one login: a full name that another login already has is
    refused, so nobody holds two identities for four eyes to tell apart.
    `password_hash` instead of `password`: a hash made elsewhere (never stored in clear).
    """
    check_name(name)
    if role not in ROLES:
        raise UsersFileError(f"onbekende rol '{role}' (kies beheerder of auditor)")
    if role == "beheerder" and not ledgers:
        raise UsersFileError("een beheerder hoort bij een of meer buurtbudgetten: geef --ledger SLUG (of '*' voor alle)")
    try:
        full = check_full_name(name if naam is None else naam)
        mail = None if email is None or not email.strip() else check_email(email)
    except ValueError as exc:
        raise UsersFileError(str(exc)) from None
    users = load_users(path)
    for other in users.values():
        if other.name != name and naam_sleutel(other.persoon) == naam_sleutel(full):
            raise UsersFileError(f"'{full}' heeft al de login '{other.name}'; één persoon heeft één login "
                                 f"(verwijder eerst '{other.name}', of geef de volledige naam die hem onderscheidt)")
    user = User(name, role, tuple(ledgers) if role == "beheerder" else (),
                password_hash or hash_password(password), full, mail)
    users[name] = user
    save_users(path, users)
    return user


def remove_user(path: Path, name: str) -> None:
    users = load_users(path)
    if name not in users:
        raise UsersFileError(f"gebruiker '{name}' bestaat niet in {path}")
    del users[name]
    save_users(path, users)


def random_password() -> str:
    return secrets.token_urlsafe(12)


class UserStore:
    """The users file as the service reads it: reloaded when it changes; passwords checked once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, User] = {}
        self._pepper = secrets.token_bytes(32)
        self._verified: dict[bytes, str] = {}  # keyed digest of (name, password, hash) -> name
        # Unknown names are checked against this hash, so they cost the same scrypt as known ones.
        self._decoy = generate_password_hash(secrets.token_urlsafe(16))

    def _current(self) -> dict[str, User]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        with self._lock:
            if stamp != self._stamp:
                self._users = load_users(self.path) if stamp != (0, 0) else {}
                self._stamp = stamp
                self._verified.clear()
            return self._users

    def authenticate(self, name: str, password: str) -> User | None:
        """The user with these credentials, or None. scrypt runs once per distinct login, not per request."""
        users = self._current()
        user = users.get(name)
        if user is None:
            check_password_hash(self._decoy, password)  # the same work as a wrong password of a known name
            return None
        key = hmac.new(self._pepper, f"{name}\0{password}\0{user.password_hash}".encode(), hashlib.sha256).digest()
        if self._verified.get(key) == name:
            return user
        if not check_password_hash(user.password_hash, password):
            return None
        with self._lock:
            if len(self._verified) > 1000:
                self._verified.clear()
            self._verified[key] = name
        return user
