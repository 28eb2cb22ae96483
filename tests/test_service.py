"""The composed service, through werkzeug's test client: real Fava, real ledgers, real files."""

from __future__ import annotations

import base64
import json
import re
import os
import time
from pathlib import Path

import pytest
from fava.beans.funcs import hash_entry
from werkzeug.test import Client

from buurtbudget_admin.cli import main
from buurtbudget_admin.service.users import add_user, load_users, users_path
from buurtbudget_admin.service.wsgi import create_service
from tests.service_workspace import SECRETS, write_workspace

SLUG = "testbuurt-2025"
OTHER = "rivierenbuurt-2025"


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


ORIGIN = {"Origin": "http://localhost"}  # the test client's own site: writes must come from it
ANJA = basic("anja", "geheim-anja") | ORIGIN
AUDITOR = basic("stadsdeel", "geheim-auditor") | ORIGIN


@pytest.fixture()
def service(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", (SLUG,), "geheim-anja")
    add_user(users_path(workspace), "stadsdeel", "auditor", (), "geheim-auditor")
    svc = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    return svc, Client(svc), workspace


def assert_clean(body: bytes, where: str) -> None:
    text = body.decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"
        assert json.dumps(secret)[1:-1] not in text, f"{secret!r} (escaped) in {where}"


def test_landing_page_groups_by_stadsdeel_with_figures(service):
    _svc, client, _ws = service
    response = client.get("/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "actuele stand van zaken per buurt" in text.lower()
    assert text.index("Stadsdeel Noord") < text.index("Stadsdeel Zuid")
    assert "Testbuurt 2025" in text and "Rivierenbuurt 2025" in text
    assert "€ 10.000,00" in text and "€ 866,65" in text  # award and spent of testbuurt
    assert re.search(r"Ondersteuning: <span class=\"bedrag\">€ 312,95</span> \(3,13%\) van maximaal <span class=\"bedrag\">€ 800,00</span>", text)
    assert f'href="/buurt/{SLUG}/' in text and f'href="/beheer/{SLUG}/' in text
    assert "2 aandachtspunten" in text and "1 aandachtspunt " in text
    assert_clean(response.data, "/")


def test_landing_page_is_cached_until_a_ledger_changes(service):
    svc, client, workspace = service
    first = client.get("/")
    versions = [s.version for s in svc.state.snapshots()]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"].strip('"')})
    assert again.status_code == 304
    assert [s.version for s in svc.state.snapshots()] == versions  # nothing reloaded
    ledger = workspace / SLUG / "main.beancount"
    time.sleep(0.01)
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write('\n2025-07-01 * "Drukkerij" "Flyers"\n  document: "documents/2025-03-10-bouwmarkt.pdf"\n'
                     "  Uitgaven:Plannen:Buurtfeest:Catering   100.00 EUR\n  Activa:Bank:Betaalrekening\n")
    changed = client.get("/")
    assert "€ 966,65" in changed.get_data(as_text=True)
    public = client.get(f"/buurt/{SLUG}/extension/Buurtbudget/").get_data(as_text=True)
    assert "€ 966,65" in public


def test_an_unreadable_ledger_does_not_take_the_site_down(service):
    svc, client, workspace = service
    broken = workspace / "kapot-2025"
    broken.mkdir()
    (broken / "main.beancount").write_bytes(b"\x00\x01binary")
    landing = client.get("/")
    assert landing.status_code == 200
    text = landing.get_data(as_text=True)
    assert 'data-slug="kapot-2025"' in text and "niet te lezen" in text
    assert "Testbuurt 2025" in text
    assert client.get("/buurt/kapot-2025/").status_code in (200, 302)
    assert client.get(f"/buurt/{SLUG}/extension/Buurtbudget/").status_code == 200


def _public_urls(svc, client) -> list[str]:
    client.get(f"/buurt/{SLUG}/")  # loads the copy
    ledger = svc.public_fava.config["LEDGERS"][SLUG]
    hashes = [hash_entry(e) for e in ledger.all_entries]
    base = f"/buurt/{SLUG}"
    urls = [f"{base}/{page}/" for page in (
        "income_statement", "balance_sheet", "trial_balance", "journal", "documents", "query", "editor",
        "errors", "events", "statistics", "commodities", "holdings", "options", "extension/Buurtbudget")]
    urls += [f"{base}/account/Uitgaven:Plannen:Groen:Materiaal/", f"{base}/download-journal/",
             f"{base}/help/", f"{base}/api/source", f"{base}/api/journal", f"{base}/api/documents",
             f"{base}/api/errors", f"{base}/api/options", f"{base}/api/narrations", f"{base}/api/events",
             f"{base}/api/income_statement", f"{base}/api/balance_sheet", f"{base}/api/trial_balance",
             f"{base}/api/statistics", f"{base}/api/commodities",
             f"{base}/api/account_report?a=Passiva:Declaraties",
             f"{base}/api/journal_page?page=1&order=asc",
             f"{base}/api/payee_accounts?payee=Bewoner", f"{base}/api/payee_transaction?payee=Bewoner",
             f"{base}/api/query?query_string=SELECT+date,+payee,+narration,+entry_meta('iban'),+entry_meta('document')",
             f"{base}/api/query?query_string=SELECT+filename,+any_meta('declarant')",
             f"{base}/download-query/query_result.csv?query_string=SELECT+*",
             f"{base}/extension/Buurtbudget/?partial=true"]
    for h in hashes:
        urls += [f"{base}/api/context?entry_hash={h}", f"{base}/api/source_slice?entry_hash={h}"]
    return urls


def test_no_public_endpoint_shows_a_receipt_iban_or_private_name(service):
    svc, client, workspace = service
    urls = _public_urls(svc, client)
    assert len(urls) > 60
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert_clean(response.data, url)
    # The main pages answer and the extension shows the plan bars.
    assert client.get(f"/buurt/{SLUG}/journal/").status_code == 200
    ext = client.get(f"/buurt/{SLUG}/extension/Buurtbudget/").get_data(as_text=True)
    assert ext.count('class="plan bb-plan"') == 3 and 'id="bb-gauge"' in ext
    assert "2 overtredingen gevonden" in ext and 'href="#context-' in ext
    assert 'id="bb-pdf"' not in ext
    # The source endpoint is not public at all (the allow-list), whatever path is asked.
    real = workspace / SLUG / "main.beancount"
    for url in (f"/buurt/{SLUG}/api/source?filename={real}", f"/buurt/{SLUG}/api/source",
                f"/buurt/{SLUG}/api/options", f"/buurt/{SLUG}/editor/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert_clean(response.data, url)


def test_fava_itself_is_read_only_and_knows_no_receipt_behind_the_guard(service):
    svc, client, workspace = service
    client.get(f"/buurt/{SLUG}/")
    bare = Client(svc.public_fava)  # the public Fava without the guard in front
    response = bare.put(f"/{SLUG}/api/source", json={"file_path": "x", "source": "", "sha256sum": ""})
    assert response.status_code == 401  # Fava's own read_only=True
    receipt = workspace / SLUG / "documents" / "2025-05-02-bollen.pdf"
    assert bare.get(f"/{SLUG}/document/?filename={receipt}").status_code == 404


def test_receipts_statements_and_imports_are_refused(service):
    svc, client, workspace = service
    receipt = workspace / SLUG / "documents" / "2025-05-02-bollen.pdf"
    for url in (f"/buurt/{SLUG}/document/?filename={receipt}",
                f"/buurt/{SLUG}/statement/?entry_hash=x&key=document",
                f"/buurt/{SLUG}/import/", f"/buurt/{SLUG}/api/imports",
                f"/buurt/{SLUG}/api/extract?filename={receipt}&importer=x",
                f"/buurt/{SLUG}/extension/Buurtbudget/pdf",
                f"/buurt/{SLUG}//document/?filename={receipt}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"%PDF" not in response.data


@pytest.mark.parametrize("method,path,body", [
    ("PUT", "api/source", {"file_path": "x", "source": "", "sha256sum": ""}),
    ("PUT", "api/add_entries", {"entries": []}),
    ("PUT", "api/format_source", {"source": ""}),
    ("DELETE", "api/source_slice?entry_hash=x&sha256sum=y", None),
    ("DELETE", "api/document?filename=x", None),
    ("PUT", "api/attach_document", {"filename": "x", "entry_hash": "y"}),
    ("POST", "journal/", None),
])
def test_public_writes_are_refused(service, method, path, body):
    _svc, client, workspace = service
    before = {p: p.read_bytes() for p in (workspace / SLUG).rglob("*") if p.is_file()}
    response = client.open(f"/buurt/{SLUG}/{path}", method=method, json=body)
    assert response.status_code == 403
    after = {p: p.read_bytes() for p in (workspace / SLUG).rglob("*") if p.is_file()}
    assert before == after


def test_beheer_needs_a_login(service):
    _svc, client, _ws = service
    response = client.get(f"/beheer/{SLUG}/extension/Buurtbudget/")
    assert response.status_code == 303  # a page goes to the login form, and comes back after it
    assert response.headers["Location"] == f"/beheer/inloggen?volgende=/beheer/{SLUG}/extension/Buurtbudget/"
    assert "Inloggen" in client.get(response.headers["Location"]).get_data(as_text=True)
    api = client.get(f"/beheer/{SLUG}/api/source")
    assert api.status_code == 401 and "WWW-Authenticate" not in api.headers  # no Basic prompt in a browser
    assert client.get(f"/beheer/{SLUG}/api/source", headers=basic("anja", "fout")).status_code == 401
    assert client.get(f"/beheer/{SLUG}/api/source", headers=basic("onbekend", "geheim-anja")).status_code == 401
    bad = {"Authorization": "Basic !!!"}
    assert client.get(f"/beheer/{SLUG}/api/source", headers=bad).status_code == 401


def test_beheerder_reads_and_edits_only_her_ledger(service):
    _svc, client, workspace = service
    from tests.service_workspace import session_client

    page = client.get(f"/beheer/{SLUG}/extension/Buurtbudget/", headers=ANJA)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="bb-pdf"' in text and "2 overtredingen gevonden" in text
    assert "in de editor (regel" in text
    assert client.get(f"/beheer/{OTHER}/income_statement/", headers=ANJA).status_code == 403
    # A real edit through Fava's API: HTTP Basic (scripts) may only read, a session writes.
    real = workspace / SLUG / "main.beancount"
    source = json.loads(client.get(f"/beheer/{SLUG}/api/source", headers=ANJA).data)["data"]
    assert "Fatima el Amrani" in source["source"]  # the real file
    new = source["source"] + "\n; bijgewerkt door anja\n"
    edit = {"file_path": source["file_path"], "source": new, "sha256sum": source["sha256sum"]}
    refused = client.put(f"/beheer/{SLUG}/api/source", headers=ANJA, json=edit)
    assert refused.status_code == 403 and "HTTP Basic" in refused.get_data(as_text=True)
    session = session_client(_svc, "anja", "geheim-anja")
    response = session.put(f"/beheer/{SLUG}/api/source", headers=ORIGIN, json=edit)
    assert response.status_code == 200, response.data
    assert real.read_text(encoding="utf-8").endswith("; bijgewerkt door anja\n")


def test_auditor_reads_everything_and_writes_nothing(service):
    _svc, client, workspace = service
    for slug in (SLUG, OTHER):
        assert client.get(f"/beheer/{slug}/extension/Buurtbudget/", headers=AUDITOR).status_code == 200
    page = client.get(f"/beheer/{OTHER}/extension/Buurtbudget/", headers=AUDITOR).get_data(as_text=True)
    assert "BB-PLAN" in page and 'id="bb-pdf"' in page
    real = workspace / SLUG / "main.beancount"
    before = real.read_bytes()
    source = json.loads(client.get(f"/beheer/{SLUG}/api/source", headers=AUDITOR).data)["data"]
    from tests.service_workspace import session_client

    session = session_client(_svc, "stadsdeel", "geheim-auditor")
    for method, path, body in (
        ("PUT", "api/source", {"file_path": source["file_path"], "source": "", "sha256sum": source["sha256sum"]}),
        ("PUT", "api/add_entries", {"entries": []}),
        ("DELETE", "api/source_slice?entry_hash=x&sha256sum=y", None),
        ("POST", "api/source", None),
    ):
        response = client.open(f"/beheer/{SLUG}/{path}", method=method, json=body, headers=AUDITOR)
        assert response.status_code == 403, (method, path)
        assert "alleen lezen" in response.get_data(as_text=True).lower()
        response = session.open(f"/beheer/{SLUG}/{path}", method=method, json=body, headers=ORIGIN)
        assert response.status_code == 403, (method, path)
        assert "(auditor) mag deze boeken lezen maar niet wijzigen" in response.get_data(as_text=True)
    assert real.read_bytes() == before


def test_pdf_statement_in_beheer_only(service):
    import io

    from pypdf import PdfReader

    _svc, client, _ws = service
    response = client.get(f"/beheer/{SLUG}/extension/Buurtbudget/pdf", headers=AUDITOR)
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    assert f"verantwoording-{SLUG}-" in response.headers["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Testbuurt" in text
    assert client.get(f"/buurt/{SLUG}/extension/Buurtbudget/pdf").status_code == 403
    assert client.get(f"/beheer/{SLUG}/extension/Buurtbudget/pdf").status_code == 303  # to the login form


def test_unknown_ledgers_and_paths(service):
    _svc, client, _ws = service
    assert client.get("/buurt/bestaat-niet/income_statement/").status_code == 404
    assert client.get("/beheer/bestaat-niet/", headers=AUDITOR).status_code == 404
    assert client.get("/buurt/").headers["Location"] == "/"
    assert client.get("/nergens").status_code == 404
    assert client.post("/").status_code == 405


def test_first_start_makes_a_beheerder_and_an_auditor_with_random_passwords(tmp_path):
    from buurtbudget_admin.commands_service import ensure_first_users
    from buurtbudget_admin.service.users import UserStore

    workspace = write_workspace(tmp_path / "ws")
    made = ensure_first_users(workspace)
    assert [(name, role) for name, role, _pw in made] == [("beheerder", "beheerder"), ("auditor", "auditor")]
    text = users_path(workspace).read_text(encoding="utf-8")
    store = UserStore(users_path(workspace))
    for name, _role, password in made:
        assert len(password) >= 12 and password not in text
        assert store.authenticate(name, password).name == name
        assert store.authenticate(name, password + "x") is None
    assert store.authenticate("beheerder", made[0][2]).may_write(OTHER)
    assert ensure_first_users(workspace) == []  # never twice, never over an existing file
    assert made[0][2] != ensure_first_users(write_workspace(tmp_path / "ws2"))[0][2]


def test_gebruiker_commands(tmp_path, capsys):
    workspace = write_workspace(tmp_path / "ws")
    os.environ.pop("BUURTBUDGET_WACHTWOORD", None)
    assert main(["gebruiker", "toevoegen", "piet", "--naam", 'Piet "PJ" de Jong', "--email", "piet@example.org",
                 "--rol", "beheerder", "--ledger", SLUG, "--werkruimte", str(workspace),
                 "--wachtwoord", "lang-genoeg"]) == 0
    assert main(["gebruiker", "toevoegen", "audit", "--naam", "Jan de Wit", "--rol", "auditor",
                 "--werkruimte", str(workspace), "--wachtwoord", "ook-lang-genoeg"]) == 0
    text = users_path(workspace).read_text(encoding="utf-8")
    assert "lang-genoeg" not in text and "scrypt:" in text
    assert 'naam = "Piet \\"PJ\\" de Jong"' in text  # written by a TOML writer: quotes escaped
    assert load_users(users_path(workspace))["piet"].persoon == 'Piet "PJ" de Jong'
    assert load_users(users_path(workspace))["piet"].email == "piet@example.org"
    assert oct(users_path(workspace).stat().st_mode & 0o777) == "0o600"
    users = load_users(users_path(workspace))
    assert users["piet"].may_write(SLUG) and not users["piet"].may_read(OTHER)
    assert users["audit"].may_read(OTHER) and not users["audit"].may_write(SLUG)
    capsys.readouterr()
    assert main(["gebruiker", "lijst", "--werkruimte", str(workspace)]) == 0
    listing = capsys.readouterr().out
    assert "piet\tbeheerder\t" + SLUG + '\tPiet "PJ" de Jong <piet@example.org>' in listing
    assert "audit\tauditor\talle buurtbudgetten (alleen lezen)\tJan de Wit" in listing
    # Mistakes give a Dutch message and a non-zero status; the users file stays as it was.
    before = users_path(workspace).read_bytes()
    for args, says in (
        (["x", "--rol", "beheerder", "--ledger", SLUG], "--naam"),  # no person behind the login
        (["x", "--naam", "  ", "--rol", "beheerder", "--ledger", SLUG], "de naam is leeg"),
        (["x", "--naam", "Jan\nde Wit", "--rol", "beheerder", "--ledger", SLUG], "op één regel"),
        (["x", "--naam", "Iemand", "--email", "geen-adres", "--rol", "beheerder", "--ledger", SLUG], "e-mailadres"),
        (["jan", "--naam", "jan  DE wit", "--rol", "beheerder", "--ledger", SLUG], "heeft al de login 'audit'"),
    ):
        assert main(["gebruiker", "toevoegen", *args, "--werkruimte", str(workspace),
                     "--wachtwoord", "lang-genoeg"]) == 2, args
        assert says in capsys.readouterr().err, args
        assert users_path(workspace).read_bytes() == before
    assert main(["gebruiker", "toevoegen", "x", "--naam", "X", "--rol", "beheerder", "--ledger", "onbekend",
                 "--werkruimte", str(workspace), "--wachtwoord", "lang-genoeg"]) == 2
    assert main(["gebruiker", "toevoegen", "x", "--naam", "X", "--rol", "baas", "--werkruimte", str(workspace),
                 "--wachtwoord", "lang-genoeg"]) == 2
    assert main(["gebruiker", "toevoegen", "x", "--naam", "X", "--rol", "auditor", "--werkruimte", str(workspace),
                 "--wachtwoord", "kort"]) == 2
    assert "minstens 8 tekens" in capsys.readouterr().err
    assert main(["gebruiker", "verwijderen", "piet", "--werkruimte", str(workspace)]) == 0
    assert main(["gebruiker", "verwijderen", "piet", "--werkruimte", str(workspace)]) == 1
    assert "piet" not in load_users(users_path(workspace))
    # The file is validated on reading (pydantic): a missing name or an unknown field is a Dutch error.
    from buurtbudget_admin.service.users import UsersFileError

    for table, says in (('rol = "auditor"\nwachtwoord = "scrypt:1$a$b"\n', "'naam' ontbreekt"),
                        ('rol = "auditor"\nnaam = "A"\nwachtwoord = "scrypt:1$a$b"\nadmin = true\n',
                         "onbekend veld 'admin'"),
                        ('rol = "baas"\nnaam = "A"\nwachtwoord = "scrypt:1$a$b"\n', "onbekende rol 'baas'"),
                        ('rol = "auditor"\nnaam = 3\nwachtwoord = "scrypt:1$a$b"\n', "'naam' heeft de verkeerde soort")):
        bad = tmp_path / "slecht.toml"
        bad.write_text("[gebruiker.a]\n" + table, encoding="utf-8")
        with pytest.raises(UsersFileError, match=re.escape(says)):
            load_users(bad)
    assert main(["serve", str(tmp_path / "bestaat-niet")]) == 2
    assert "bestaat niet" in capsys.readouterr().err
