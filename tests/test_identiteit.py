"""People, not typed names: every write from the command line is by a login of gebruikers.toml.

The books and git record the login's full name (and e-mail); a login nobody
knows, a name typed instead of a login, or a workspace without users writes
nothing: the ledger's bytes and the git history stay as they were.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import cli, folder_digest, gebruiker, make_ledger, receipt
from tests.test_dagelijks_boekingen import CLAIMS

BOEK = ("--datum", "2025-03-10", "--bedrag", "12,50", "--plan", "Speeltuin", "--categorie", "Materiaal",
        "--begunstigde", "Bouwmarkt", "--omschrijving", "Verf")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def _workspace(tmp_path: Path, *, users: bool = True) -> tuple[Path, Path]:
    """A workspace in git with one ledger (slug `b`); henk and joyce beheerders, jan an auditor."""
    ws = tmp_path / "ws"
    ledger = make_ledger(ws / "b")
    if users:
        gebruiker(ws, "Henk Bakker", login="henk", email="henk@example.org")
        gebruiker(ws, "Joyce Sedney", login="joyce")
        gebruiker(ws, "Jan de Wit", rol="auditor", login="jan")
    _git(ws, "init", "-q")
    _git(ws, "add", "b")
    _git(ws, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "begin")
    return ws, ledger


def _state(ws: Path) -> tuple[str, str, str]:
    """Every byte of the ledger's folder, the last commit and git's view of the work tree."""
    return folder_digest(ws / "b"), _git(ws, "rev-parse", "HEAD"), _git(ws, "status", "--porcelain")


def test_a_booking_is_recorded_and_committed_as_the_person_behind_the_login(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path)
    r = cli("boek", str(ledger), *BOEK, "--bon", str(receipt(tmp_path)), door="henk", gebruikers=False)
    assert r.returncode == 0, r.stderr
    booking = [e for e in read_ledger(ledger).entries if getattr(e, "narration", "") == "Verf"][0]
    assert booking.meta["ingevoerd-door"] == "Henk Bakker"
    assert _git(ws, "log", "-1", "--format=%an <%ae>|%cn").strip() == "Henk Bakker <henk@example.org>|Henk Bakker"
    # Without an e-mail in gebruikers.toml git gets a made-up address that says so.
    r = cli("boek", str(ledger), *BOEK[:-1], "Hout", "--bon", str(receipt(tmp_path, "b2.pdf")),
            door="joyce", gebruikers=False)
    assert r.returncode == 0, r.stderr
    assert _git(ws, "log", "-1", "--format=%an <%ae>").strip() == "Joyce Sedney <joyce.sedney@buurtbudget.invalid>"


@pytest.mark.parametrize("door,says", [
    ("Henk Bakker", "--door 'Henk Bakker': geen login"),  # a typed name is no identity
    ("piet", "--door 'piet': geen login"),
    ("hen\u200bk", "geen login"),
    ("jan", "leest alleen (auditor)"),  # the auditor keeps no books
    ("", "wie doet dit?"),
])
def test_a_write_by_no_known_beheerder_changes_nothing(tmp_path: Path, door: str, says: str) -> None:
    ws, ledger = _workspace(tmp_path)
    before = _state(ws)
    r = cli("boek", str(ledger), *BOEK, "--bon", str(receipt(tmp_path)), "--door", door, door=None, gebruikers=False)
    assert r.returncode == 2 and says in r.stderr, r.stderr
    assert r.stderr.startswith("fout:") and "Traceback" not in r.stderr
    assert _state(ws) == before


def test_a_beheerder_of_another_budget_cannot_write_here(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path)
    from buurtbudget_admin.service.users import add_user, users_path

    add_user(users_path(ws), "els", "beheerder", ("ander-budget",), "lang-genoeg", naam="Els Vos")
    before = _state(ws)
    r = cli("boek", str(ledger), *BOEK, door="els", gebruikers=False)
    assert r.returncode == 2 and "'els' (Els Vos) is geen beheerder van dit buurtbudget" in r.stderr, r.stderr
    assert _state(ws) == before


def test_without_gebruikers_toml_every_write_is_refused_with_how_to_add_a_user(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path, users=False)
    before = _state(ws)
    r = cli("boek", str(ledger), *BOEK, "--bon", str(receipt(tmp_path)), door="henk", gebruikers=False)
    assert r.returncode == 2, r.stderr
    assert "geen gebruikers.toml in de werkruimte" in r.stderr
    assert 'buurtbudget gebruiker toevoegen LOGIN --naam "Volledige Naam" --rol beheerder --ledger b' in r.stderr
    assert _state(ws) == before


def test_henk_cannot_approve_what_henk_bakker_entered(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path)
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-06-02", "--declarant", "Fatima el Amrani",
            "--iban", "NL02ABNA0123456789", "--bedrag", "64,20", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "bloembollen", "--bon", str(receipt(tmp_path)), door="henk", gebruikers=False)
    assert r.returncode == 0, r.stderr
    link = [p.link for p in read_ledger(ledger).view.payables if p.status == "ingediend"][0]
    before = _state(ws)
    r = cli("declaratie", "goedkeuren", str(ledger), link, door="henk", gebruikers=False)
    assert r.returncode != 0 and "vier-ogenprincipe" in r.stderr, r.stderr
    assert _state(ws) == before
    r = cli("declaratie", "goedkeuren", str(ledger), link, door="joyce", gebruikers=False)
    assert r.returncode == 0, r.stderr
    claim = [p for p in read_ledger(ledger).view.payables if p.link == link][0]
    assert claim.status == "goedgekeurd" and claim.approved_by == "Joyce Sedney"
    assert _git(ws, "log", "-1", "--format=%an").strip() == "Joyce Sedney"


def test_a_hand_written_claim_by_henk_bakker_cannot_be_approved_by_login_henk(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path)
    (ws / "b" / "documents" / "bon.pdf").write_bytes(b"%PDF-1.4\n% bon\n")
    ledger.write_text(ledger.read_text(encoding="utf-8") + CLAIMS, encoding="utf-8")
    _git(ws, "add", "b")
    _git(ws, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "claims")
    before = _state(ws)
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-018", door="henk", gebruikers=False)
    assert r.returncode != 0 and "vier-ogenprincipe" in r.stderr, r.stderr
    assert _state(ws) == before


def test_the_second_person_of_a_booking_is_a_login_too(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path)
    big = ("--datum", "2025-03-10", "--bedrag", "750", "--plan", "Speeltuin", "--categorie", "Materiaal",
           "--begunstigde", "Bouwmarkt", "--omschrijving", "Hout")
    before = _state(ws)
    for approver, says in (("Joyce Sedney", "--goedgekeurd-door 'Joyce Sedney': geen login"),
                           ("henk", "vier-ogenprincipe"), ("jan", "leest alleen")):
        r = cli("boek", str(ledger), *big, "--bon", str(receipt(tmp_path)), "--goedgekeurd-door", approver,
                door="henk", gebruikers=False)
        assert r.returncode != 0 and says in r.stderr, (approver, r.stderr)
        assert _state(ws) == before
    r = cli("boek", str(ledger), *big, "--bon", str(receipt(tmp_path)), "--goedgekeurd-door", "joyce",
            door="henk", gebruikers=False)
    assert r.returncode == 0, r.stderr
    booking = [e for e in read_ledger(ledger).entries if getattr(e, "narration", "") == "Hout"][0]
    assert booking.meta["goedgekeurd-door"] == "Joyce Sedney" and booking.meta["ingevoerd-door"] == "Henk Bakker"


def test_an_unreadable_users_file_is_a_dutch_error_and_nothing_is_written(tmp_path: Path) -> None:
    ws, ledger = _workspace(tmp_path)
    (ws / "gebruikers.toml").write_text('[gebruiker.henk]\nrol = "beheerder"\nledgers = ["*"]\n'
                                        'wachtwoord = "x$y"\n', encoding="utf-8")
    before = _state(ws)
    r = cli("boek", str(ledger), *BOEK, door="henk", gebruikers=False)
    assert r.returncode == 2 and "gebruiker 'henk': 'naam' ontbreekt" in r.stderr, r.stderr
    assert _state(ws) == before


def test_a_web_booking_is_entered_and_committed_by_the_person_of_the_session(tmp_path: Path) -> None:
    from buurtbudget_admin.service.users import add_user, users_path
    from buurtbudget_admin.service.wsgi import create_service
    from tests.service_workspace import write_workspace

    ws = write_workspace(tmp_path / "ws")
    add_user(users_path(ws), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Vries",
             email="anja@example.org")
    _git(ws, "init", "-q")
    _git(ws, "add", "-A", ".")
    _git(ws, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "begin")
    from tests.service_workspace import session_client

    client = session_client(create_service(ws, cache_dir=tmp_path / "cache", check_interval=0.0), "anja", "geheim-anja")
    anja = {"Origin": "http://localhost"}  # a session of the login form: HTTP Basic only reads
    # A typed `ingevoerd-door` is replaced by who is logged in: nobody enters a claim in another's name.
    entry = {"t": "Transaction", "date": "2025-07-03", "flag": "*", "payee": "ING", "narration": "Rente-kosten",
             "tags": [], "links": [], "meta": {"ingevoerd-door": "Joyce Sedney"},
             "postings": [{"account": "Uitgaven:Ondersteuning:Bankkosten", "amount": "1.50 EUR"},
                          {"account": "Activa:Bank:Betaalrekening", "amount": ""}]}
    response = client.put("/beheer/testbuurt-2025/api/add_entries", json={"entries": [entry]}, headers=anja)
    assert response.status_code == 200, response.get_data(as_text=True)
    booking = [e for e in read_ledger(ws / "testbuurt-2025").entries if getattr(e, "narration", "") == "Rente-kosten"]
    assert booking[0].meta["ingevoerd-door"] == "Anja de Vries"
    assert _git(ws, "log", "-1", "--format=%an <%ae>|%s").strip() == (
        "Anja de Vries <anja@example.org>|1 boeking(en) toegevoegd via de website")
