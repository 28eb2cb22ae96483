"""The auditor's pages in beheer (/beheer/controle/): a dossier uploaded gets `verifieer`'s verdict on the page.

Real statements made by the real `buurtbudget report` of a real workspace, uploaded through the
real service (werkzeug's test client over `create_service`), logged in through the login form.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from tests.dagelijks_helpers import cli
from tests.service_workspace import post_form, session_client, write_workspace

SLUG = "testbuurt-2025"
AUDITOR = ("stadsdeel", "geheim-audit-1")
ANJA = ("anja", "geheim-anja-1")
PAGE = "/beheer/controle/"
UPLOAD = "/beheer/controle/verifieer"

LATER = """
2025-07-15 * "Bouwmarkt Noord" "Nog meer verf"
  document: "documents/2025-06-01-verf.pdf"
  Uitgaven:Plannen:Speeltuin:Materiaal   99.00 EUR
  Activa:Bank:Betaalrekening
"""


@pytest.fixture(scope="module")
def werkruimte(tmp_path_factory):
    root = tmp_path_factory.mktemp("controle")
    workspace = write_workspace(root / "ws")
    add_user(users_path(workspace), AUDITOR[0], "auditor", (), AUDITOR[1], naam="Marieke de Graaf")
    add_user(users_path(workspace), ANJA[0], "beheerder", (SLUG,), ANJA[1], naam="Anja de Boer")
    pdf = root / "verantwoording.pdf"
    r = cli("report", str(workspace / SLUG), "-o", str(pdf))
    assert r.returncode == 0, r.stderr
    return workspace, pdf, root


def _service(workspace: Path, cache: Path):
    return create_service(workspace, cache_dir=cache, check_interval=0)


def _upload(client, content: bytes, name: str = "verantwoording.pdf"):
    return post_form(client, UPLOAD, {"dossier": (io.BytesIO(content), name)}, page=PAGE)


def _checks(html: str) -> dict[str, bool]:
    found = re.findall(r'<li data-ok="(ja|nee)"><strong>(?:in orde|AFWIJKING)</strong> ([^:<]+):', html)
    return {name.strip(): ok == "ja" for ok, name in found}


def _overwrite_page_one_contents(pdf: Path) -> bytes:
    """One byte of page 1's content stream flipped, in the middle of its stored bytes."""
    data = bytearray(pdf.read_bytes())
    reader = PdfReader(str(pdf))
    ref = reader.pages[0].raw_get("/Contents")
    offset = reader.xref[0][ref.idnum]
    start = data.index(b"stream", offset) + len(b"stream")
    start += 2 if data[start:start + 2] == b"\r\n" else 1
    middle = start + len(ref.get_object()._data) // 2
    data[middle] ^= 0x01
    return bytes(data)


def test_an_honest_dossier_is_in_orde_and_matches_the_live_books(werkruimte, tmp_path):
    workspace, pdf, _root = werkruimte
    client = session_client(_service(workspace, tmp_path / "cache"), *AUDITOR)
    start = client.get(PAGE)
    assert start.status_code == 200
    html = start.get_data(as_text=True)
    assert f'href="/beheer/{SLUG}/extension/Buurtbudget/pdf"' in html and "Marieke de Graaf" in html
    response = _upload(client, pdf.read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    checks = _checks(html)
    assert len(checks) == 9 and all(checks.values()), checks
    assert 'id="bb-oordeel" data-ok="ja"' in html
    assert "verantwoording.pdf: de verantwoording is wat de ingesloten boeken zeggen." in html
    assert 'id="bb-actueel" data-gelijk="ja"' in html
    assert "past bij de huidige boeken" in html
    assert str(tmp_path) not in html and "/tmp/" not in html  # no server path on the page


def test_a_flipped_byte_of_page_one_is_a_deviation_not_a_traceback(werkruimte, tmp_path):
    workspace, pdf, _root = werkruimte
    client = session_client(_service(workspace, tmp_path / "cache"), *AUDITOR)
    response = _upload(client, _overwrite_page_one_contents(pdf), "beschadigd.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    checks = _checks(html)
    assert checks["structuur"] is False
    assert "de inhoud van pagina 1" in html and "de gecomprimeerde gegevens zijn beschadigd" in html
    assert 'id="bb-oordeel" data-ok="nee"' in html
    assert "beschadigd.pdf:" in html and "deze verantwoording is niet wat haar boeken zeggen" in html
    assert "Traceback" not in html


def test_an_unloadable_embedded_ledger_is_named_without_server_paths(werkruimte, tmp_path):
    """The embedded ledger replaced by binary bytes: the books cannot be loaded, and the page says so
    without the temporary folder verifieer loaded them in."""
    from tests.test_verifieer import _set_file, _tampered

    workspace, pdf, _root = werkruimte
    forged = _tampered(pdf, tmp_path / "vervalst.pdf",
                       lambda w: _set_file(w, "main.beancount", b"\x00\x01\x02 geen boeken\n", describe=True))
    client = session_client(_service(workspace, tmp_path / "cache"), *AUDITOR)
    html = _upload(client, forged.read_bytes(), "vervalst.pdf").get_data(as_text=True)
    checks = _checks(html)
    assert checks["hashes"] is False and checks["boeken"] is False
    assert "de ingesloten ledger is niet te laden: testbuurt-2025/main.beancount" in html
    assert "buurtbudget-verifieer" not in html and "buurtbudget-controle" not in html and "/tmp/" not in html


def test_what_is_no_statement_is_refused_with_its_reason(werkruimte, tmp_path):
    workspace, _pdf, _root = werkruimte
    client = session_client(_service(workspace, tmp_path / "cache"), *AUDITOR)
    response = _upload(client, b"dit is geen pdf\n", "brief.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "brief.pdf: is geen PDF-bestand" in html and 'data-ok="nee"' in html
    truncated = _upload(client, b"%PDF-1.7\n1 0 obj\n<<", "half.pdf").get_data(as_text=True)
    assert "half.pdf: is geen leesbare PDF" in truncated and "Traceback" not in truncated
    empty = post_form(client, UPLOAD, {}, page=PAGE)
    assert empty.status_code == 400 and "kies een PDF-bestand" in empty.get_data(as_text=True)


def test_changes_since_the_dossier_are_named(werkruimte, tmp_path):
    """The books got one more booking after the dossier was made: counted, and the totals then and now shown."""
    workspace, pdf, root = werkruimte
    copy = tmp_path / "ws"
    import shutil

    shutil.copytree(workspace, copy)
    ledger = copy / SLUG / "main.beancount"
    ledger.write_text(ledger.read_text(encoding="utf-8") + LATER, encoding="utf-8")
    client = session_client(_service(copy, tmp_path / "cache"), *AUDITOR)
    html = _upload(client, pdf.read_bytes()).get_data(as_text=True)
    assert 'id="bb-oordeel" data-ok="ja"' in html  # the dossier itself is sound ...
    assert 'id="bb-actueel" data-gelijk="nee"' in html  # ... but no longer the books
    assert "1 boeking(en) nieuw, 0 gewijzigd, 0 verwijderd" in html
    assert "gewijzigde bestanden: main.beancount" in html
    row = re.search(r'<tr data-sleutel="besteed" data-gelijk="nee">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="num">(?:<strong>)?([^<]*)', row)
    assert cells == ["€ 866,65", "€ 965,65"], cells
    fase = re.search(r'<tr data-sleutel="fase" data-gelijk="ja">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(?:<strong>)?([^<]*)', fase) == ["Uitvoering", "Uitvoering"]


def test_only_an_auditor_and_only_logged_in(werkruimte, tmp_path):
    workspace, pdf, _root = werkruimte
    service = _service(workspace, tmp_path / "cache")
    from werkzeug.test import Client

    anonymous = Client(service).get(PAGE)
    assert anonymous.status_code == 303 and "/beheer/inloggen" in anonymous.headers["Location"]
    beheerder = session_client(service, *ANJA)
    assert beheerder.get(PAGE).status_code == 403
    refused = _upload(beheerder, pdf.read_bytes())
    assert refused.status_code == 403 and "geen auditor" in refused.get_data(as_text=True)
    auditor = session_client(service, *AUDITOR)
    no_token = auditor.post(UPLOAD, data={"dossier": (io.BytesIO(pdf.read_bytes()), "v.pdf")},
                            headers={"Origin": "http://localhost"}, content_type="multipart/form-data")
    assert no_token.status_code == 400 and "CSRF" in no_token.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_in_dutch(werkruimte, tmp_path):
    workspace, pdf, _root = werkruimte
    service = _service(workspace, tmp_path / "cache")
    service.controle.app.config["MAX_CONTENT_LENGTH"] = 50_000  # the limit made small; the dossier is larger
    assert len(pdf.read_bytes()) > 50_000
    client = session_client(service, *AUDITOR)
    response = _upload(client, pdf.read_bytes())
    assert response.status_code == 413 and "Bestand te groot" in response.get_data(as_text=True)


# --------------------------------------------------------------- the stadsdeel overview


def _title_and_first_page(pdf: bytes) -> tuple[str, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return str(reader.metadata.title), " ".join(reader.pages[0].extract_text().split())


def test_the_overview_downloads_titled_by_stadsdeel_and_date(werkruimte, tmp_path):
    workspace, _pdf, _root = werkruimte
    client = session_client(_service(workspace, tmp_path / "cache"), *AUDITOR)
    html = client.get(PAGE).get_data(as_text=True)
    assert 'href="/beheer/controle/overzicht?stadsdeel=Noord" download' in html
    assert 'href="/beheer/controle/overzicht?stadsdeel=Zuid" download' in html
    response = client.get("/beheer/controle/overzicht?stadsdeel=noord")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="overzicht-noord-2025-06-30.pdf"'
    title, first = _title_and_first_page(response.get_data())
    assert title == "Overzicht buurtbudgetten: Stadsdeel Noord, 30 juni 2025"
    assert "Stadsdeel Noord" in first and "30 juni 2025" in first and "Testbuurt" in first
    assert "Rivierenbuurt" not in first and workspace.name not in title
    everything = client.get("/beheer/controle/overzicht")
    assert everything.headers["Content-Disposition"] == \
        'attachment; filename="overzicht-noord-zuid-2025-06-30.pdf"'
    title, first = _title_and_first_page(everything.get_data())
    assert title == "Overzicht buurtbudgetten: Stadsdelen Noord, Zuid, 30 juni 2025"
    assert "Stadsdelen Noord, Zuid" in first
    unknown = client.get("/beheer/controle/overzicht?stadsdeel=Atlantis")
    assert unknown.status_code == 404 and "Geen buurtbudgetten van dit stadsdeel" in unknown.get_data(as_text=True)
    beheerder = session_client(_service(workspace, tmp_path / "cache2"), *ANJA)
    assert beheerder.get("/beheer/controle/overzicht").status_code == 403


def test_report_stadsdeel_is_titled_by_stadsdeel_not_folder(werkruimte, tmp_path):
    workspace, _pdf, _root = werkruimte
    out = tmp_path / "overzicht.pdf"
    r = cli("report-stadsdeel", str(workspace), "-o", str(out), "--stadsdeel", "zuid", "--werkers", "1")
    assert r.returncode == 0, r.stderr
    title, first = _title_and_first_page(out.read_bytes())
    assert title == "Overzicht buurtbudgetten: Stadsdeel Zuid, 1 maart 2025"
    assert "Stadsdeel Zuid" in first and "1 maart 2025" in first and f" {workspace.name} " not in f" {first} "
