"""Signals where people decide: the Buurtbudget page of /beheer/ lists a ledger's signals (`#bb-signalen`),
each with a small "gezien" form; the public view never shows them.

The demo's de-baarsjes carries planted signals (docs/readme-signalen.md): a receipt handed in twice and
a claim of Bram Visser paid to the budget's own IBAN, both entered by Henk Bakker.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from beancount.core import data

from buurtbudget_admin import signalering
from buurtbudget_admin.demo import DemoGebruiker, write_demo_workspace
from buurtbudget_admin.service.wsgi import create_service
from ledger.evaluatie.loading import load_entries
from tests.dagelijks_helpers import folder_digest
from tests.service_workspace import post_form, session_client

SLUG = "de-baarsjes-2025"
PAGINA = f"/beheer/{SLUG}/extension/Buurtbudget/"
GEZIEN = PAGINA + "signaal_gezien"
HENK = DemoGebruiker("henk", "Henk Bakker", "beheerder", "geheim-henk-1")
JOYCE = DemoGebruiker("joyce", "Joyce Sedney", "beheerder", "geheim-joyce-1")
AUDITOR = DemoGebruiker("stadsdeel", "Marieke de Graaf", "auditor", "geheim-audit-1")
IBAN = re.compile(r"\bNL\d{2}[A-Z]{4}\d{10}\b")


@pytest.fixture()
def demo(tmp_path: Path):
    workspace = tmp_path / "ws"
    write_demo_workspace(workspace, met_gebruikers=(HENK, JOYCE, AUDITOR), met_git=True)
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    return workspace, service


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def test_beheer_lists_the_ledgers_signals_as_the_cli_computes_them(demo):
    workspace, service = demo
    verwacht, _ = signalering.van_ledger(workspace / SLUG)
    assert {s.code for s in verwacht} >= {"SIG-BON-DUBBEL", "SIG-EIGEN-IBAN"}
    page = session_client(service, "joyce", JOYCE.wachtwoord).get(PAGINA).get_data(as_text=True)
    sectie = page[page.index('<section id="bb-signalen">'):]
    sectie = sectie[:sectie.index("</section>")]
    getoond = re.findall(r'<li class="bb-signaal ernst-(\w+)" id="bb-signaal-([\w-]+)" data-code="([\w-]+)" '
                         r'data-gezien="nee">', sectie)
    assert sorted(getoond) == sorted((s.ernst, s.id, s.code) for s in verwacht)
    # Each signal with its Dutch explanation (escaped as Jinja escapes it) and a form with a required reason.
    from markupsafe import escape

    for s in verwacht:
        assert str(escape(s.uitleg)) in sectie
        assert f'<input type="hidden" name="signaal" value="{s.id}">' in sectie
    assert sectie.count('name="reden" required') == len(verwacht)
    assert sectie.count('<input type="hidden" name="csrf_token"') == len(verwacht)


def test_signalen_van_gives_one_claims_signals_from_one_computation_per_load(demo):
    _workspace, service = demo
    session_client(service, "joyce", JOYCE.wachtwoord).get(PAGINA)  # the ledger is loaded by Fava
    fava = service.beheer_fava
    ledger = fava.config["LEDGERS"][SLUG]
    extension = ledger.extensions.get_extension("Buurtbudget")
    with fava.test_request_context(PAGINA):
        alle = extension.alle_signalen()
        assert extension.alle_signalen() is alle  # once per load, not per call
        eigen = extension.signalen_van("decl-2025-111")
        assert {s.code for s in eigen} == {"SIG-EIGEN-IBAN", "SIG-IBAN-NAMEN", "SIG-NIEUWE-IBAN"}
        assert extension.signalen_van("^decl-2025-111") == eigen
        assert all("decl-2025-111" in s.links for s in eigen) and set(eigen) <= set(alle)
        assert extension.signalen_van("decl-2099-999") == ()
        # The macro escapes what a signal quotes from the books (a payee's name is anyone's text).
        from ledger.evaluatie.signalen import Signaal

        vijandig = Signaal("SIG-DUBBEL", "midden", 'Piet <img src=x onerror=alert(1)> "&" betaald', ("a:1",),
                           ("decl-<b>",), (SLUG,), "dubbel-12345678")
        macro = extension.jinja_env.from_string(
            '{% from "BuurtbudgetSignalen.html" import signalen %}{{ signalen(lijst) }}')
        html = macro.render(lijst=[vijandig])
        assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html and "<b>" not in html
        assert "<form" not in html  # without an action: the list alone, for inside a decision form
        assert "Geen signalen." in macro.render(lijst=[])
    # The public Fava of the same budget computes none.
    public = service.public_fava
    with public.test_request_context(f"/buurt/{SLUG}/extension/Buurtbudget/"):
        copy = public.config["LEDGERS"][SLUG].extensions.get_extension("Buurtbudget")
        assert copy.alle_signalen() == ()


def test_the_public_view_shows_no_signal_text_names_or_ibans(demo):
    workspace, service = demo
    verwacht, _ = signalering.van_ledger(workspace / SLUG)
    from werkzeug.test import Client

    page = Client(service).get(f"/buurt/{SLUG}/extension/Buurtbudget/").get_data(as_text=True)
    assert page and "bb-signalen" not in page and "signaal_gezien" not in page and "SIG-" not in page
    for s in verwacht:
        assert s.id not in page
        for zin in re.split(r"[.:;()]", s.uitleg):
            if len(zin.strip()) > 25:
                assert zin.strip() not in page, zin
        for iban in IBAN.findall(s.uitleg):
            assert iban not in page
    assert "Bram Visser" not in page
    # The mark cannot be posted in public either.
    public = Client(service).post(f"/buurt/{SLUG}/extension/Buurtbudget/signaal_gezien",
                                  data={"signaal": verwacht[0].id, "reden": "x"}, headers={"Origin": "http://localhost"})
    assert public.status_code in (403, 405)


def test_gezien_from_the_browser_is_written_as_the_logged_in_person_and_refusals_change_nothing(demo):
    workspace, service = demo
    ledger_dir = workspace / SLUG
    verwacht, _ = signalering.van_ledger(ledger_dir)
    (eigen,) = [s for s in verwacht if s.code == "SIG-EIGEN-IBAN"]
    henk = session_client(service, "henk", HENK.wachtwoord)
    joyce = session_client(service, "joyce", JOYCE.wachtwoord)
    auditor = session_client(service, "stadsdeel", AUDITOR.wachtwoord)

    # Henk entered the claim: the page offers him no form for it, and a POST is refused.
    page = henk.get(PAGINA).get_data(as_text=True)
    item = page[page.index(f'id="bb-signaal-{eigen.id}"'):]
    item = item[:item.index("</li>\n")]
    assert "mag het daarom niet als gezien markeren" in item and "<form" not in item

    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")
    for client, form, status, says in (
        (henk, {"signaal": eigen.id, "reden": "in orde"}, 403, "Henk Bakker komt voor in de boekingen"),
        (joyce, {"signaal": eigen.id, "reden": ""}, 400, "reden"),
        (joyce, {"signaal": eigen.id, "reden": "\u200b \u2060"}, 400, "onzichtbare tekens"),
        (joyce, {"signaal": "eigen-iban-00000000", "reden": "in orde"}, 404, "staat niet bij"),
        (auditor, {"signaal": eigen.id, "reden": "in orde"}, 403, ""),
    ):
        response = post_form(client, GEZIEN, form)
        assert response.status_code == status, (form, response.get_data(as_text=True)[:300])
        assert says in response.get_data(as_text=True)
        assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before, form

    hostile = 'nagebeld <script>alert(1)</script> "ok"'
    response = post_form(joyce, GEZIEN, {"signaal": eigen.id, "reden": hostile})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    entries, _errors, _opts = load_entries(ledger_dir / "main.beancount")
    (mark,) = [e for e in entries if isinstance(e, data.Custom) and e.type == "signaal-gezien"]
    assert mark.values[0].value == eigen.id and mark.meta["door"] == "Joyce Sedney" and mark.meta["reden"] == hostile
    assert _git(workspace, "log", "-1", "--format=%an").strip() == "Joyce Sedney"
    assert eigen.id in _git(workspace, "log", "-1", "--format=%s")

    # The mark stays visible, escaped; a second mark by Joyce is refused and changes nothing.
    page = joyce.get(PAGINA).get_data(as_text=True)
    item = page[page.index(f'id="bb-signaal-{eigen.id}"'):]
    item = item[:item.index("</li>\n")]
    assert 'data-gezien="ja"' in item and "gezien door Joyce Sedney" in item
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in item and "<script>alert" not in page
    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")
    again = post_form(joyce, GEZIEN, {"signaal": eigen.id, "reden": "nog eens"})
    assert again.status_code == 403 and "al als gezien gemarkeerd" in again.get_data(as_text=True)
    assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before
    # The CLI reads the same mark.
    na, _ = signalering.van_ledger(ledger_dir)
    assert [g.door for s in na if s.id == eigen.id for g in s.gezien] == ["Joyce Sedney"]


def _public_pages(client) -> dict[str, tuple[int, str]]:
    """Every page an anonymous visitor can reach from the landing page (links followed within the
    public view, Fava's pages and the plan pages among them), plus Fava's JSON API and downloads."""
    from urllib.parse import urljoin, urlsplit

    from tests.test_aanval_publiek import PUBLIC_PAGES

    landing = client.get("/")
    assert landing.status_code == 200
    slugs = sorted(set(re.findall(r'href="/buurt/([^/"]+)/', landing.get_data(as_text=True))))
    assert len(slugs) >= 3, slugs
    todo = ["/", *(f"/buurt/{slug}/{page}" for slug in slugs for page in PUBLIC_PAGES)]
    pages: dict[str, tuple[int, str]] = {}
    while todo and len(pages) < 600:
        url = todo.pop(0)
        if url in pages:
            continue
        response = client.get(url)
        pages[url] = (response.status_code, response.get_data(as_text=True))
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        for href in re.findall(r'href="([^"#]+)"', pages[url][1]):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/buurt/") or "/static/" in parts.path:
                continue
            # One page per Fava filter and per plan; a filtered page is the same page over fewer entries.
            if parts.query and not parts.query.startswith("plan="):
                continue
            todo.append(target)
    return pages


def test_no_public_page_of_the_demo_shows_a_signal_or_its_iban(demo):
    workspace, service = demo
    from werkzeug.test import Client

    found, _payments, _ = signalering.bereken(sorted(p for p in workspace.iterdir() if (p / "main.beancount").is_file()))
    assert {"SIG-BON-DUBBEL", "SIG-EIGEN-IBAN"} <= {s.code for s in found}
    ibans = {iban for s in found for iban in IBAN.findall(s.uitleg)}
    assert ibans
    pages = _public_pages(Client(service))
    plan_pages = [url for url in pages if "?plan=" in url]
    assert sum(status == 200 for status, _ in pages.values()) > 60 and len(plan_pages) >= 10, pages.keys()
    assert not any(url.startswith("/beheer") for url in pages)
    for url, (_status, page) in pages.items():
        assert "SIG-" not in page and "bb-signalen" not in page and "signaal-gezien" not in page, url
        assert "Signalen" not in page, url
        for s in found:
            assert s.id not in page, (url, s.id)
            for zin in re.split(r"[.:;()]", s.uitleg):
                if len(zin.strip()) > 25:
                    assert zin.strip() not in page, (url, zin)
        for iban in ibans:
            for shown in (iban, " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))):
                assert shown not in page, (url, shown)
        assert "Bram Visser" not in page, url


def test_the_approval_form_shows_a_waiting_claims_signals_before_its_button(demo):
    """Issue 22 line 2: a claim waiting for approval carries its signals above "Goedkeuren"."""
    workspace, service = demo
    ledger = workspace / SLUG / "main.beancount"
    text = ledger.read_text(encoding="utf-8")
    document = re.search(r'document: "(2025-10-07-[^"]+\.pdf)"', text).group(1)  # Bram Visser's receipt
    ledger.write_text(text + f"""
2025-11-03 * "Noor Amrani" "Declaratie: potgrond" ^decl-2025-901
  declarant: "Noor Amrani"
  iban: "NL42RABO0302158761"
  prive: TRUE
  document: "{document}"
  ingevoerd-door: "Henk Bakker"
  Uitgaven:Plannen:Geveltuinen:Materiaal   48.20 EUR
  Passiva:Declaraties
""", encoding="utf-8")
    page = session_client(service, "joyce", JOYCE.wachtwoord).get(PAGINA).get_data(as_text=True)
    start = page.index('id="bb-decl-decl-2025-901"')
    blok = page[start:page.index("</div>", page.index("<button", start))]
    codes = re.findall(r'data-code="([\w-]+)"', blok)
    assert {"SIG-EIGEN-IBAN", "SIG-BON-DUBBEL"} <= set(codes), codes
    assert blok.index('data-code="SIG-EIGEN-IBAN"') < blok.index("Goedkeuren")
    assert "eigen rekening van het buurtbudget" in blok
