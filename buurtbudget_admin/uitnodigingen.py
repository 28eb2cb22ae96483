"""Invitations of initiatiefnemers: a personal link `/indienen/<token>` for one or more plans.

They live in the workspace, outside every ledger's books: `<werkruimte>/.buurtbudget/uitnodigingen.toml`
(the folder of the session key, git-ignored). Only the SHA-256 of a token is kept, so the file
does not open a link; a token is compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import tomli_w

from buurtbudget_admin.errors import UserError
from ledger.schrijver.bestanden import atomic_write_bytes

MAP = ".buurtbudget"
BESTAND = "uitnodigingen.toml"
STANDAARD_DAGEN = 14  # how long a link stays valid unless the beheerder says otherwise
MAX_DAGEN = 90
KOP = "# Uitnodigingen van initiatiefnemers: alleen de SHA-256 van elke link, nooit de link zelf.\n"


@dataclass(frozen=True)
class Uitnodiging:
    id: str  # short, public: to revoke one without its token
    ledger: str  # the buurtbudget's folder name (slug)
    plannen: tuple[str, ...]
    naam: str
    token_sha256: str
    verloopt: datetime.datetime  # UTC
    ingetrokken: bool
    door: str

    def geldig(self, nu: datetime.datetime) -> bool:
        return not self.ingetrokken and nu < self.verloopt


def pad(werkruimte: Path) -> Path:
    return Path(werkruimte) / MAP / BESTAND


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def lees(werkruimte: Path) -> list[Uitnodiging]:
    p = pad(werkruimte)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: niet te lezen ({exc}); er is niets gewijzigd") from None
    uit = []
    for i, t in enumerate(data.get("uitnodiging", []), 1):
        try:
            verloopt = t["verloopt"]
            if not isinstance(verloopt, datetime.datetime):
                raise TypeError("verloopt is geen tijdstip")
            uit.append(Uitnodiging(
                id=str(t["id"]), ledger=str(t["ledger"]), plannen=tuple(str(x) for x in t["plannen"]),
                naam=str(t["naam"]), token_sha256=str(t["token_sha256"]),
                verloopt=verloopt.astimezone(datetime.timezone.utc), ingetrokken=bool(t.get("ingetrokken", False)),
                door=str(t.get("door", ""))))
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{p}: uitnodiging {i} is onvolledig ({exc}); er is niets gewijzigd") from None
    return uit


def _schrijf(werkruimte: Path, alle: list[Uitnodiging]) -> None:
    p = pad(werkruimte)
    p.parent.mkdir(mode=0o700, exist_ok=True)
    ignore = p.parent / ".gitignore"
    if not ignore.exists():  # the same folder as the session key: never in git
        ignore.write_text("# Sleutels en uitnodigingen van beheer: nooit in git.\n*\n", encoding="utf-8")
    tabel = [{"id": u.id, "ledger": u.ledger, "plannen": list(u.plannen), "naam": u.naam,
              "token_sha256": u.token_sha256, "verloopt": u.verloopt, "ingetrokken": u.ingetrokken,
              "door": u.door} for u in alle]
    atomic_write_bytes(p, (KOP + tomli_w.dumps({"uitnodiging": tabel})).encode("utf-8"))


def werkruimte_van(ledger_pad: Path) -> Path:
    """The workspace of a ledger file (`<werkruimte>/<slug>/<file>.beancount`): where the invitations live."""
    return Path(ledger_pad).resolve().parent.parent


def kies_plannen(view, namen, bron: str, waar: object) -> tuple[str, ...]:
    """The invited plans by their names in the ledger (`view.plan`), each once, in the order given.

    A name that is no plan of this ledger, or none at all, is a UserError naming `bron` (the option
    or field) and `waar` (the ledger); nothing has been written yet.
    """
    plannen: list[str] = []
    for p in namen:
        gevonden = view.plan(str(p).strip())
        if gevonden is None:
            bekend = ", ".join(x.name for x in view.plans) or "geen"
            raise UserError(f"{bron} '{p}': geen plan van {waar} (plannen: {bekend}); er is niets gewijzigd")
        if gevonden.name not in plannen:
            plannen.append(gevonden.name)
    if not plannen:
        raise UserError(f"{bron}: kies minstens één plan; er is niets gewijzigd")
    return tuple(plannen)


def nodig_uit(werkruimte: Path, ledger: str, plannen: tuple[str, ...], naam: str, dagen: int, door: str,
              nu: datetime.datetime | None = None) -> tuple[Uitnodiging, str]:
    """Add an invitation; returns it and the token (shown once, never stored)."""
    if dagen < 1 or dagen > MAX_DAGEN:
        raise UserError(f"--geldig-dagen {dagen}: kies 1 tot en met {MAX_DAGEN} dagen; er is niets gewijzigd")
    nu = nu or datetime.datetime.now(datetime.timezone.utc)
    alle = lees(werkruimte)
    token = secrets.token_urlsafe(32)
    u = Uitnodiging(id=secrets.token_hex(4), ledger=ledger, plannen=plannen, naam=naam, token_sha256=_hash(token),
                    verloopt=(nu + datetime.timedelta(days=dagen)).replace(microsecond=0), ingetrokken=False,
                    door=door)
    _schrijf(werkruimte, [*alle, u])
    return u, token


def trek_in(werkruimte: Path, ledger: str, id: str) -> Uitnodiging:
    alle = lees(werkruimte)
    match = [u for u in alle if u.id == id.strip() and u.ledger == ledger]
    if not match:
        raise UserError(f"uitnodiging '{id}' staat niet bij {ledger} in {pad(werkruimte)}; er is niets gewijzigd")
    if match[0].ingetrokken:
        raise UserError(f"uitnodiging {id} is al ingetrokken; er is niets gewijzigd")
    _schrijf(werkruimte, [replace(u, ingetrokken=True) if u is match[0] else u for u in alle])
    return replace(match[0], ingetrokken=True)


def zoek(werkruimte: Path, token: str) -> Uitnodiging | None:
    """The invitation of `token`, valid or not (the caller says 404 or 410); None when unknown."""
    h = _hash(token)
    gevonden = None
    for u in lees(werkruimte):  # compare every one in constant time: no timing tells which prefix matched
        if hmac.compare_digest(u.token_sha256, h):
            gevonden = u
    return gevonden
