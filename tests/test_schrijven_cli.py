"""The safe write through the real `buurtbudget` command: refusals, forcing, caches, closed periods, git.

Every refusal: a Dutch message that says what to do, a non-zero exit code, and
every ledger file (the main file and what it includes) byte-identical.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import RESIDENT_IBAN, bean_errors, cli, digest, gebruiker, make_ledger, receipt


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in sorted(folder.glob("*.beancount"))}


def _boek(ledger: Path, bedrag: str, *extra: str, datum: str = "2025-03-10", plan: str = "Speeltuin",
          omschrijving: str = "Hout", door: str | None = "Henk", env_path: str | None = None):
    bon = receipt(ledger.parent.parent, "bon.pdf")
    args = ("boek", str(ledger), "--datum", datum, "--bedrag", bedrag, "--plan", plan,
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", omschrijving,
            "--bon", str(bon), *extra)
    if env_path is None:
        return cli(*args, door=door)
    login = gebruiker(ledger.resolve().parent.parent, door) if door else ""
    return _cli_env(args, {"PATH": env_path, "BUURTBUDGET_GEBRUIKER": login})


def _cli_env(args: tuple[str, ...], extra_env: dict[str, str], drop: tuple[str, ...] = ()):
    env = {**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1", **extra_env}
    for name in drop:
        env.pop(name, None)
    exe = Path(sys.executable).with_name("buurtbudget")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env)


def _with_include(folder: Path) -> Path:
    """The standard ledger with its plans' costs in an included file."""
    ledger = make_ledger(folder / "b")
    options = "".join(l for l in ledger.read_text(encoding="utf-8").splitlines(True) if l.startswith('option "name_'))
    (ledger.parent / "kosten.beancount").write_text(
        options + "\n2025-01-01 open Uitgaven:Plannen:Groen:Materiaal EUR\n", encoding="utf-8")
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write('\ninclude "kosten.beancount"\n')
    return ledger


def test_a_worse_overrun_is_refused_and_may_be_forced_with_a_reason(tmp_path: Path) -> None:
    ledger = _with_include(tmp_path)
    r = _boek(ledger, "3000", "--goedgekeurd-door", "Ria", plan="Groen")  # exactly the budget: fine
    assert r.returncode == 0, r.stderr
    # Over budget by hand (a mistake someone made before): the ledger has one violation.
    r = _boek(ledger, "533,43", "--goedgekeurd-door", "Ria", "--toch", "--reden", "offerte te laag ingeschat",
              plan="Groen", omschrijving="Extra tegels")
    assert r.returncode == 0, r.stderr
    assert "toch geschreven" in r.stderr and "BB-PLAN" in r.stderr
    before = _hashes(ledger.parent)
    # 533.43 over becomes 983.43 over: refused, though the error "was already there".
    r = _boek(ledger, "450", plan="Groen", omschrijving="Nog meer tegels")
    assert r.returncode == 1
    assert "wijziging geweigerd" in r.stderr and "BB-PLAN" in r.stderr and "983,43" in r.stderr
    assert "--toch --reden" in r.stderr
    assert _hashes(ledger.parent) == before
    # --toch without a reason, or a reason without --toch: a usage error, nothing written.
    for extra in (("--toch",), ("--reden", "omdat")):
        r = _boek(ledger, "450", *extra, plan="Groen", omschrijving="Nog meer tegels")
        assert r.returncode == 2 and "--toch" in r.stderr and "--reden" in r.stderr, r.stderr
        assert _hashes(ledger.parent) == before
    # Forced: written with the reason and who forced it; check still shows the violation.
    r = _boek(ledger, "450", "--toch", "--reden", "lekkage, \"spoed\"", plan="Groen", omschrijving="Nog meer tegels",
              door="Ria")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert '"Nog meer tegels"\n  toch-reden: "lekkage, \\"spoed\\""\n  toch-door: "Ria"\n' in text
    check = cli("check", str(ledger))
    assert check.returncode == 1 and "BB-PLAN" in check.stdout and "983,43" in check.stdout
    # Leave a valid ledger behind: the budget raised to what was spent.
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write('\n2025-12-01 custom "plan" Uitgaven:Plannen:Groen "Groen in de buurt" 3983.43 EUR\n')
    assert bean_errors(ledger) == []


def test_beancount_errors_cannot_be_forced(tmp_path: Path) -> None:
    ledger = _with_include(tmp_path)
    with ledger.open("a", encoding="utf-8") as handle:  # the bank's year-end balance, asserted by hand
        handle.write("\n2025-12-31 balance Activa:Bank:Betaalrekening 10000.00 EUR\n")
    before = _hashes(ledger.parent)
    r = _boek(ledger, "10", "--toch", "--reden", "toch")  # paid from the bank: the balance no longer holds
    assert r.returncode == 1 and "wijziging geweigerd" in r.stderr and "BC-SALDO" in r.stderr, r.stderr
    assert "Herstel de invoer" in r.stderr
    assert _hashes(ledger.parent) == before


def _evil_pickle(marker: Path) -> bytes:
    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    return pickle.dumps(Boom())


def test_planted_caches_run_no_code_and_change_no_verdict(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    marker = tmp_path / "GEHACKT"
    planted = [ledger.parent / ".buurtbudget-cache" / "main.beancount.pickle",
               ledger.parent / ".main.beancount.picklecache"]
    for path in planted:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(_evil_pickle(marker))
        os.utime(path, (4_000_000_000, 4_000_000_000))  # newer than every ledger file
    # Without BEANCOUNT_DISABLE_LOAD_CACHE: as an administrator runs it.
    for args in (("declaratie", "lijst", str(ledger)), ("check", str(ledger))):
        r = _cli_env(args, {}, drop=("BEANCOUNT_DISABLE_LOAD_CACHE",))
        assert r.returncode == 0, r.stderr
    before = _hashes(ledger.parent)
    r = _cli_env(("boek", str(ledger), "--datum", "2025-03-10", "--bedrag", "6000", "--plan", "Speeltuin",
                  "--categorie", "Materiaal", "--begunstigde", "B", "--omschrijving", "te duur",
                  "--bon", str(receipt(tmp_path)), "--goedgekeurd-door", gebruiker(tmp_path, "Ria")),
                 {"BUURTBUDGET_GEBRUIKER": gebruiker(tmp_path, "Henk")}, drop=("BEANCOUNT_DISABLE_LOAD_CACHE",))
    assert r.returncode == 1 and "BB-PLAN" in r.stderr  # the verdict is the ledger's, not the cache's
    assert _hashes(ledger.parent) == before
    r = _boek(ledger, "10")
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    assert all(p.read_bytes() == _evil_pickle(marker) for p in planted)  # never read, never rewritten
    assert not (ledger.parent / ".buurtbudget-cache" / "main.beancount.pickle.tmp").exists()


def test_after_the_settlement_the_closed_period_is_refused_unless_forced(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    assert _boek(ledger, "400").returncode == 0
    bon = receipt(tmp_path, "bon2.pdf")
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-06-01", "--declarant", "Fatima",
            "--iban", RESIDENT_IBAN, "--bedrag", "100", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "bollen", "--bon", str(bon))
    assert r.returncode == 0, r.stderr
    r = cli("afsluiten", str(ledger), "--datum", "2026-01-31")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    # The contract: unspent money owed back, booked against Income:Terugbetaling.
    assert "Inkomsten:Terugbetaling   9500.00 EUR" in text and "Passiva:Gemeente:Terugbetaling   -9500.00 EUR" in text
    before = _hashes(ledger.parent)
    r = _boek(ledger, "50", datum="2025-11-30", omschrijving="Vergeten bon")
    assert r.returncode == 1 and "BB-AFGESLOTEN" in r.stderr and "2026-01-31" in r.stderr
    assert "--toch --reden" in r.stderr
    assert _hashes(ledger.parent) == before
    # An approval changes a claim dated inside the closed period: refused the same way.
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Ria")
    assert r.returncode == 1 and "BB-AFGESLOTEN" in r.stderr, r.stderr
    assert _hashes(ledger.parent) == before
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", "--toch", "--reden", "nagekomen akkoord",
            door="Ria")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert 'toch-reden: "nagekomen akkoord"\n  toch-door: "Ria"' in text
    assert bean_errors(ledger) == []


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def _git_workspace(folder: Path) -> Path:
    ledger = _with_include(folder)
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin")
    return ledger


def test_a_stale_index_lock_refuses_the_write_before_anything_changes(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    lock = tmp_path / ".git" / "index.lock"
    lock.write_bytes(b"")  # left behind by a git that crashed
    before = _hashes(ledger.parent)
    r = _boek(ledger, "10")
    assert r.returncode == 1
    assert "index.lock" in r.stderr and "niets gewijzigd" in r.stderr and "rm " in r.stderr, r.stderr
    assert _hashes(ledger.parent) == before and not list((ledger.parent / "documents").iterdir())
    lock.unlink()
    assert _git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"
    r = _boek(ledger, "10")  # after the lock is gone, the write and its commit go through
    assert r.returncode == 0, r.stderr
    assert _git(tmp_path, "log", "-1", "--format=%an").strip() == "Henk"


def test_a_commit_that_fails_undoes_the_write_and_says_how_to_recover(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    (tmp_path / ".gitignore").write_text("*.pdf\n", encoding="utf-8")  # git refuses the receipt
    before = _hashes(ledger.parent)
    r = _boek(ledger, "10")
    assert r.returncode == 1
    assert ".gitignore" in r.stderr and "teruggedraaid" in r.stderr and "niets gewijzigd" in r.stderr, r.stderr
    assert _hashes(ledger.parent) == before and not list((ledger.parent / "documents").iterdir())
    assert _git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=no") == ""


def test_without_git_on_path_a_git_workspace_is_not_written(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path / "ws")
    before = _hashes(ledger.parent)
    empty = tmp_path / "leeg-pad"
    empty.mkdir()
    r = _boek(ledger, "10", env_path=str(empty))
    assert r.returncode == 1
    assert "git is niet gevonden" in r.stderr and "niets gewijzigd" in r.stderr, r.stderr
    assert _hashes(ledger.parent) == before
    # Outside a git work tree git is not needed.
    plain = make_ledger(tmp_path / "los" / "c")
    (tmp_path / "los" / "c" / "documents").mkdir(exist_ok=True)
    r = _boek(plain, "10", env_path=str(empty))
    assert r.returncode == 0, r.stderr


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield
