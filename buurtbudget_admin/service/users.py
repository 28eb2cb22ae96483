"""Users and roles of a workspace: `gebruikers.toml` at the workspace root.

    # Gebruikers van de beheeromgeving. Alleen wachtwoord-hashes, nooit wachtwoorden.
    [gebruiker.anja]
    rol = "beheerder"
    ledgers = ["k-buurt-2025"]
    wachtwoord = "scrypt:32768:8:1$...$..."

    [gebruiker.stadsdeel]
    rol = "auditor"
    wachtwoord = "scrypt:..."

`beheerder`: reads and edits the ledgers listed (`"*"` is all of them).
`auditor`: reads every ledger, edits nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

USERS_FILE = "gebruikers.toml"
ROLES = ("beheerder", "auditor")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class UsersFileError(ValueError):
    """A users file that cannot be used; the message is Dutch and names the file."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    ledgers: tuple[str, ...]
    password_hash: str

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
    users: dict[str, User] = {}
    for name, entry in (parsed.get("gebruiker") or {}).items():
        if not isinstance(entry, dict):
            raise UsersFileError(f"{path}: [gebruiker.{name}] is geen tabel")
        role = entry.get("rol")
        if role not in ROLES:
            raise UsersFileError(f"{path}: gebruiker '{name}' heeft onbekende rol {role!r} (kies beheerder of auditor)")
        pw = entry.get("wachtwoord")
        if not isinstance(pw, str) or "$" not in pw:
            raise UsersFileError(f"{path}: gebruiker '{name}' heeft geen wachtwoord-hash")
        ledgers = entry.get("ledgers", [])
        if not isinstance(ledgers, list) or not all(isinstance(s, str) for s in ledgers):
            raise UsersFileError(f"{path}: 'ledgers' van gebruiker '{name}' moet een lijst van slugs zijn")
        users[name] = User(name, role, tuple(ledgers), pw)
    return users


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_users(users: dict[str, User]) -> str:
    lines = [
        "# Gebruikers van de beheeromgeving (buurtbudget gebruiker toevoegen|verwijderen|lijst).",
        "# Alleen wachtwoord-hashes, nooit wachtwoorden.",
        "",
    ]
    for name in sorted(users):
        user = users[name]
        lines.append(f"[gebruiker.{_toml_string(name)}]")
        lines.append(f"rol = {_toml_string(user.role)}")
        if user.role == "beheerder":
            lines.append("ledgers = [" + ", ".join(_toml_string(s) for s in user.ledgers) + "]")
        lines.append(f"wachtwoord = {_toml_string(user.password_hash)}")
        lines.append("")
    return "\n".join(lines)


def save_users(path: Path, users: dict[str, User]) -> None:
    """Atomic replace, readable by the owner only."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".gebruikers.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_users(users))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise UsersFileError("het wachtwoord moet minstens 8 tekens hebben")
    return generate_password_hash(password)  # scrypt, salted


def add_user(path: Path, name: str, role: str, ledgers: tuple[str, ...], password: str) -> User:
    check_name(name)
    if role not in ROLES:
        raise UsersFileError(f"onbekende rol '{role}' (kies beheerder of auditor)")
    if role == "beheerder" and not ledgers:
        raise UsersFileError("een beheerder hoort bij een of meer buurtbudgetten: geef --ledger SLUG (of '*' voor alle)")
    users = load_users(path)
    user = User(name, role, tuple(ledgers) if role == "beheerder" else (), hash_password(password))
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
