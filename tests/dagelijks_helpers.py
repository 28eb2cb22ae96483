"""Helpers for the daily-work tests: a fresh ledger, bank statements of our own making, the CLI.

The statements are written here from scratch (CAMT.053.001.02 and MT940), the
way a Dutch bank exports them, so the importers are tested against files we
understand line by line.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from beancount import loader

from tests.books import BASE_ACCOUNTS, BON_PDF, standard

IBAN = "NL91ABNA0417164300"
FOREIGN_IBAN = "NL20INGB0001234567"
RESIDENT_IBAN = "NL02ABNA0123456789"

# The standard ledger in Dutch roots (what `init` writes), model A, only the accounts every
# buurtbudget opens (the tests open their plans' accounts), the receipt carrying its bank
# reference, and two chosen plans.
LEDGER = standard("nl", model="A", accounts=BASE_ACCOUNTS, receipt_meta={"bank-ref": "START-0001"}) + """
2025-02-01 custom "plan" Uitgaven:Plannen:Speeltuin "Speeltuin opknappen" 5000.00 EUR
  status: "gekozen"

2025-02-01 custom "plan" Uitgaven:Plannen:Groen "Groen in de buurt" 3000.00 EUR
  status: "gekozen"
"""


def make_ledger(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "documents").mkdir(exist_ok=True)
    path = folder / "main.beancount"
    path.write_text(LEDGER, encoding="utf-8")
    return path


_BONNEN = itertools.count(1)


def receipt(folder: Path, name: str = "bon.pdf") -> Path:
    """A receipt of its own: every call writes different bytes (one purchase, one receipt), since a
    second claim with the same receipt file is refused as a double claim."""
    path = folder / name
    path.write_bytes(BON_PDF.replace(b"% bon\n", f"% bon {next(_BONNEN)}\n".encode()))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def folder_digest(folder: Path) -> str:
    """One hash of a whole folder: every file's path and bytes, every directory's path (hidden ones too).

    The writer locks the ledger file itself, so nothing is left out: a refusal
    that leaves any file behind (a lock, a temp file, a cache) changes the hash.
    """
    h = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        rel = path.relative_to(folder).as_posix().encode("utf-8")
        if path.is_symlink():
            h.update(b"L" + rel + b"\0" + os.readlink(path).encode("utf-8") + b"\0")
        elif path.is_dir():
            h.update(b"D" + rel + b"\0")
        else:
            h.update(b"F" + rel + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def bean_errors(path: Path) -> list:
    """What bean-check would say (plugin "rules" included)."""
    _, errors, _ = loader.load_file(str(path))
    return errors


def bean_check(path: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("bean-check")
    return subprocess.run([str(exe), str(path)], capture_output=True, text=True,
                          env={**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"})


# --------------------------------------------------------------------------- people

# The commands that write: their --door (or $BUURTBUDGET_GEBRUIKER) must be a login of gebruikers.toml.
WRITE_COMMANDS = frozenset({"boek", "bon", "declaratie", "betaal", "import", "plannen", "afsluiten", "vaststellen", "kader",
                            "signalen"})
TEST_PASSWORD_HASH = None  # made once: the tests' people log in from the command line only


def login_van(naam: str) -> str:
    """The login a test gives a person: 'Joyce Sedney' -> 'joyce-sedney'."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", naam).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "iemand"


def gebruiker(werkruimte: Path, naam: str, rol: str = "beheerder", login: str | None = None,
              email: str | None = None) -> str:
    """Make sure `naam` is a person of the workspace's gebruikers.toml; returns the login.

    A person already there (by full name, compared as four eyes compares)
    keeps the login they have.
    """
    global TEST_PASSWORD_HASH
    from buurtbudget_admin.service.users import add_user, load_users, users_path
    from ledger.evaluatie.vier_ogen import naam_sleutel
    from werkzeug.security import generate_password_hash

    path = users_path(werkruimte)
    for user in load_users(path).values():
        if naam_sleutel(user.persoon) == naam_sleutel(naam) and (login is None or user.name == login):
            return user.name
    if TEST_PASSWORD_HASH is None:  # a cheap hash: nobody logs in with it, and scrypt costs every test time
        TEST_PASSWORD_HASH = generate_password_hash("test-wachtwoord", method="pbkdf2:sha256:1000")
    taken = load_users(path)
    if login is None:
        login = login_van(naam)
        while login in taken:  # another person has it (the demo's henk is Henk Bakker, not "Henk")
            login += "-2"
    add_user(path, login, rol, ("*",) if rol == "beheerder" else (), "", naam=naam, email=email,
             password_hash=TEST_PASSWORD_HASH)
    return login


def _ledger_arg(args: tuple[str, ...], cwd: Path | None = None) -> Path | None:
    for arg in args[1:]:
        p = Path(cwd or ".") / arg
        if (p.suffix == ".beancount" and p.is_file()) or (p.is_dir() and (p / "main.beancount").is_file()):
            return p if p.is_dir() else p.parent
    return None


def cli(*args: str, door: str | None = "Henk", cwd: Path | None = None,
        env_extra: dict[str, str] | None = None, gebruikers: bool = True) -> subprocess.CompletedProcess:
    """Run the real console script in a subprocess.

    `door` and the values of `--door`/`--goedgekeurd-door` are people's full
    names: for a command that writes, each is made a login of the workspace's
    gebruikers.toml (beside the ledger's folder; an auditor for `vaststellen`)
    and the command gets that login, so the books record the full name as
    before. `gebruikers=False` passes everything as given (tests of identities).
    """
    env = {**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1", **(env_extra or {})}
    env.pop("BUURTBUDGET_GEBRUIKER", None)
    folder = _ledger_arg(args, cwd) if gebruikers and args and args[0] in WRITE_COMMANDS else None
    if folder is not None:
        werkruimte = folder.resolve().parent
        rol = "auditor" if args[0] == "vaststellen" else "beheerder"
        args = tuple(args)
        for i, arg in enumerate(args[:-1]):
            if arg in ("--door", "--goedgekeurd-door"):
                args = (*args[:i + 1], gebruiker(werkruimte, args[i + 1], rol if arg == "--door" else "beheerder"),
                        *args[i + 2:])
        if door:
            door = gebruiker(werkruimte, door, rol)
    if door:
        env["BUURTBUDGET_GEBRUIKER"] = door
    exe = Path(sys.executable).with_name("buurtbudget")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, cwd=cwd)


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Line:
    datum: datetime.date
    bedrag: Decimal  # negative: money out
    ref: str
    naam: str = "Tegenpartij"
    omschrijving: str = ""
    end_to_end: str | None = None
    tegen_iban: str = RESIDENT_IBAN


def camt053(iban: str, lines: list[Line], opening: Decimal, closing_date: datetime.date,
            version: str = "001.02") -> bytes:
    """A CAMT.053 statement as a Dutch bank would export it."""
    closing = opening + sum((l.bedrag for l in lines), Decimal(0))
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"

    def bal(code: str, amount: Decimal, day: datetime.date) -> str:
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
                f"<Amt Ccy=\"EUR\">{abs(amount):.2f}</Amt><CdtDbtInd>{'CRDT' if amount >= 0 else 'DBIT'}</CdtDbtInd>"
                f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>")

    entries = []
    for l in lines:
        debit = l.bedrag < 0
        party = "Cdtr" if debit else "Dbtr"
        e2e = escape(l.end_to_end or "NOTPROVIDED")
        entries.append(
            f"<Ntry><Amt Ccy=\"EUR\">{abs(l.bedrag):.2f}</Amt><CdtDbtInd>{'DBIT' if debit else 'CRDT'}</CdtDbtInd>"
            f"<Sts>BOOK</Sts><BookgDt><Dt>{l.datum.isoformat()}</Dt></BookgDt><ValDt><Dt>{l.datum.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(l.ref)}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
            f"<RltdPties><{party}><Nm>{escape(l.naam)}</Nm></{party}><{party}Acct><Id><IBAN>{l.tegen_iban}</IBAN></Id></{party}Acct></RltdPties>"
            f"<RmtInf><Ustrd>{escape(l.omschrijving)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    first = min((l.datum for l in lines), default=closing_date)
    xml = (
        f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{ns}\"><BkToCstmrStmt>"
        f"<GrpHdr><MsgId>TEST-{closing_date.isoformat()}</MsgId><CreDtTm>{closing_date.isoformat()}T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>STMT-{closing_date.isoformat()}</Id><CreDtTm>{closing_date.isoformat()}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + bal("OPBD", opening, first) + bal("CLBD", closing, closing_date)
        + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>\n"
    )
    return xml.encode("utf-8")


def mt940(iban: str, lines: list[Line], opening: Decimal, closing_date: datetime.date) -> str:
    """An MT940 statement with structured :86: fields (/EREF/ /NAME/ /REMI/)."""
    closing = opening + sum((l.bedrag for l in lines), Decimal(0))

    def amt(value: Decimal) -> str:
        return f"{abs(value):.2f}".replace(".", ",")

    def cd(value: Decimal) -> str:
        return "C" if value >= 0 else "D"

    first = min((l.datum for l in lines), default=closing_date)
    out = [":20:TEST", f":25:{iban}", ":28C:00001/001", f":60F:{cd(opening)}{first:%y%m%d}EUR{amt(opening)}"]
    for l in lines:
        cust = (l.end_to_end or "NONREF")[:16]
        out.append(f":61:{l.datum:%y%m%d}{l.datum:%m%d}{cd(l.bedrag)}{amt(l.bedrag)}NTRF{cust}//{l.ref}")
        eref = f"/EREF/{l.end_to_end}/" if l.end_to_end else ""
        out.append(f":86:{eref}/NAME/{l.naam}/REMI/{l.omschrijving}/")
    out.append(f":62F:{cd(closing)}{closing_date:%y%m%d}EUR{amt(closing)}")
    out.append("-")
    return "\n".join(out) + "\n"


@pytest.fixture(autouse=False)
def geen_ongeldige_ledgers(tmp_path: Path):
    """After the test: every ledger it left under tmp_path passes bean-check (with the rules)."""
    yield
    paths = [p for p in sorted(tmp_path.rglob("*.beancount")) if not p.name.startswith(".")]
    included = set()
    for path in paths:  # a file another ledger includes is checked as part of that ledger
        loaded = {Path(i).resolve() for i in loader.load_file(str(path))[2].get("include", [])}
        included.update(loaded - {path.resolve()})
    for path in paths:
        if path.resolve() in included:
            continue
        errors = bean_errors(path)
        assert errors == [], f"{path} is na de test ongeldig: {[e.message for e in errors][:3]}"
