"""`buurtbudget uitnodigen`: a beheerder invites an initiatiefnemer with a personal link.

The workspace keeps only the token's SHA-256, outside every ledger's books; the ledger
itself stays byte-identical. A revoked or expired link is found but no longer valid.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from pathlib import Path

from buurtbudget_admin import uitnodigingen
from tests.dagelijks_helpers import cli, digest, gebruiker, make_ledger


def _werkruimte(tmp_path: Path) -> tuple[Path, Path, str]:
    ledger = make_ledger(tmp_path / "ws" / "oost")
    login = gebruiker(tmp_path / "ws", "Henk Bakker")
    return tmp_path / "ws", ledger, login


def _nodig_uit(ledger: Path, login: str, *extra: str):
    return cli("uitnodigen", str(ledger), *extra, "--door", login, door=None, gebruikers=False)


def test_uitnodigen_geeft_link_en_bewaart_alleen_de_hash(tmp_path):
    ws, ledger, login = _werkruimte(tmp_path)
    voor = digest(ledger)
    r = _nodig_uit(ledger, login, "--plan", "Speeltuin", "--plan", "Groen", "--naam", "Fatima el Amrani",
                   "--geldig-dagen", "7")
    assert r.returncode == 0, r.stderr
    token = re.search(r"/indienen/([A-Za-z0-9_-]{40,})", r.stdout).group(1)
    assert digest(ledger) == voor  # outside the books
    tekst = uitnodigingen.pad(ws).read_text(encoding="utf-8")
    assert token not in tekst
    (u,) = uitnodigingen.lees(ws)
    assert u.plannen == ("Speeltuin", "Groen") and u.naam == "Fatima el Amrani" and u.door == "Henk Bakker"
    assert tomllib.loads(tekst)["uitnodiging"][0]["ledger"] == "oost"
    assert (ws / ".buurtbudget" / ".gitignore").read_text().splitlines()[-1] == "*"
    nu = datetime.datetime.now(datetime.timezone.utc)
    gevonden = uitnodigingen.zoek(ws, token)
    assert gevonden == u and gevonden.geldig(nu)
    assert not gevonden.geldig(nu + datetime.timedelta(days=8))  # expired after 7 days
    assert uitnodigingen.zoek(ws, token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_intrekken_maakt_de_link_ongeldig(tmp_path):
    ws, ledger, login = _werkruimte(tmp_path)
    r = _nodig_uit(ledger, login, "--plan", "Groen", "--naam", "Piet de Vries")
    token = re.search(r"/indienen/(\S+)", r.stdout).group(1)
    uid = re.search(r"Uitnodiging (\w+) voor", r.stdout).group(1)
    r2 = cli("uitnodigen", "intrekken", str(ledger), uid, "--door", login, door=None, gebruikers=False)
    assert r2.returncode == 0, r2.stderr
    u = uitnodigingen.zoek(ws, token)
    assert u.ingetrokken and not u.geldig(datetime.datetime.now(datetime.timezone.utc))
    r3 = cli("uitnodigen", "intrekken", str(ledger), uid, "--door", login, door=None, gebruikers=False)
    assert r3.returncode != 0 and "al ingetrokken" in r3.stderr and "Traceback" not in r3.stderr


def test_onbekend_plan_of_geen_beheerder_wordt_geweigerd(tmp_path):
    ws, ledger, login = _werkruimte(tmp_path)
    r = _nodig_uit(ledger, login, "--plan", "Zwembad", "--naam", "Piet de Vries")
    assert r.returncode != 0 and "Zwembad" in r.stderr and "Speeltuin" in r.stderr and "Traceback" not in r.stderr
    auditor = gebruiker(ws, "Anna Auditor", rol="auditor")
    r = _nodig_uit(ledger, auditor, "--plan", "Groen", "--naam", "Piet de Vries")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert not uitnodigingen.pad(ws).exists()
