"""A beheerder books a cost with its receipt through the form of /beheer/<slug>/ (a logged-in session).

The same builder as `buurtbudget boek`; the receipt judged by `controleer_bon`;
the person behind the login is `ingevoerd-door` and the git author. Every
refusal leaves the ledger's folder and git byte-identical.
"""

from __future__ import annotations

import html
import subprocess
from pathlib import Path

import pytest

from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from tests.dagelijks_helpers import folder_digest, receipt as make_receipt
from tests.service_workspace import git_workspace, post_form, session_client

BASE = "/beheer/testbuurt-2025/extension/Buurtbudget/"
ORIGIN = {"Origin": "http://localhost"}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def _form(**changes):
    form = {"datum": "2025-07-01", "bedrag": "412,50", "plan": "Speeltuin", "categorie": "Materiaal",
            "begunstigde": "Bouwmarkt Noord", "omschrijving": "Hout voor het klimrek"}
    form.update(changes)
    return form


def test_a_beheerder_books_a_cost_with_its_receipt_and_refusals_change_nothing(tmp_path: Path):
    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja",
             naam="Anja de Boer", email="anja@example.org")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()

    def post(form, bon=receipt, naam="bon.pdf"):
        from io import BytesIO
        return post_form(anja, BASE + "kosten", {**form, "bon": (BytesIO(bon), naam)})

    page = anja.get(BASE).get_data(as_text=True)
    assert 'id="bb-kosten"' in page and '<option value="Speeltuin">' in page and '<option value="Materiaal">' in page
    assert 'accept="image/*,application/pdf"' in page and "capture=" in page
    for name in ("plan", "categorie", "bedrag", "datum", "begunstigde", "omschrijving", "bon"):
        assert f'<label for="bb-kosten-{name}">' in page and f'id="bb-kosten-{name}" name="{name}"' in page
    assert 'id="bb-kosten"' not in anja.get("/buurt/testbuurt-2025/extension/Buurtbudget/").get_data(as_text=True)

    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")
    for form, bon, status, says in (
        (_form(bedrag="veel"), receipt, 400, "bedrag"),
        (_form(bedrag="0,00"), receipt, 400, "groter dan nul"),
        (_form(datum="1 juli"), receipt, 400, "geen datum"),
        (_form(plan="Zwembad"), receipt, 400, "Zwembad"),
        (_form(), b"<html><script>alert(1)</script></html>" * 100, 400, "geen PDF, JPEG of PNG"),
        (_form(), b"", 400, "leeg"),
        # At or above the threshold without a payee's IBAN: no bank payment without a second person.
        (_form(bedrag="1.234,56"), receipt, 400, "keurt een tweede persoon de betaling eerst goed"),
        (_form(bedrag="1.234,56", iban="NL91ABNA0417164301"), receipt, 400, "is ongeldig"),
    ):
        response = post(form, bon)
        text = response.get_data(as_text=True)
        assert response.status_code == status, (form, text[:400])
        assert says in text and "<script>" not in text, text
        assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before
    # A post from another site (no Origin of this one) is refused before anything is read.
    from io import BytesIO
    assert anja.post(BASE + "kosten", data={**_form(), "bon": (BytesIO(receipt), "bon.pdf")},
                     content_type="multipart/form-data").status_code in (400, 403)
    assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before

    response = post(_form(bedrag="412,50"))
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    entry = text[text.index('2025-07-01'):]
    assert '"Bouwmarkt Noord"' in entry and "412.50 EUR" in entry
    assert 'ingevoerd-door: "Anja de Boer"' in entry and "document:" in entry
    assert _git(workspace, "log", "-1", "--format=%an <%ae>").strip() == "Anja de Boer <anja@example.org>"
    assert _git(workspace, "status", "--porcelain", "testbuurt-2025") == ""


@pytest.mark.browser
def test_the_cost_form_works_in_a_phone_sized_browser(tmp_path: Path):
    """390 px wide (a phone): every field has its label, and a cost with its receipt is booked."""
    from playwright import sync_api as playwright

    from tests.service_workspace import Served, book_cost_in_browser, browser_login

    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Boer")
    bon = make_receipt(tmp_path)
    served = Served(workspace, tmp_path / "cache")
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                context = browser_login(browser, served.address, {"username": "anja", "password": "geheim-anja"},
                                        viewport={"width": 390, "height": 844})
                page = context.new_page()
                page.goto(f"{served.address}{BASE}")
                form = page.locator("#bb-kosten")
                fields = form.locator("input:not([type=hidden]), select")
                assert fields.count() == 8
                for i in range(fields.count()):
                    field_id = fields.nth(i).get_attribute("id")
                    assert form.locator(f'label[for="{field_id}"]').count() == 1, field_id
                assert form.bounding_box()["width"] <= 390
                book_cost_in_browser(page, bedrag="1,95", begunstigde="IJzerwaren <b>Oost</b>",
                                     omschrijving="Schroeven", bon=bon)
                assert page.locator("h1").inner_text() == "Geboekt"
                context.close()
            finally:
                browser.close()
    finally:
        served.stop()
    text = (workspace / "testbuurt-2025" / "main.beancount").read_text(encoding="utf-8")
    assert '"IJzerwaren <b>Oost</b>"' in text and 'ingevoerd-door: "Anja de Boer"' in text


def test_a_beheerder_enters_a_claim_for_a_resident_and_a_bad_iban_changes_nothing(tmp_path: Path):
    from io import BytesIO

    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Boer")
    add_user(users_path(workspace), "piet", "beheerder", ("testbuurt-2025",), "geheim-piet", naam="Piet Jansen")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    piet = session_client(service, "piet", "geheim-piet")
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()
    form = {"datum": "2025-07-03", "bedrag": "23,40", "declarant": "Kees Bakker", "iban": "NL91ABNA0417164300",
            "plan": "Groen", "categorie": "Materiaal", "omschrijving": "Bloembollen"}

    def post(data):
        return post_form(anja, BASE + "declaratie", {**data, "bon": (BytesIO(receipt), "bon.pdf")})

    before = folder_digest(ledger_dir)
    response = post({**form, "iban": "NL91ABNA0417164301"})  # one digit off: the IBAN check refuses it
    assert response.status_code == 400 and "IBAN" in response.get_data(as_text=True)
    assert folder_digest(ledger_dir) == before

    response = post(form)
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    entry = text[text.index("2025-07-03"):]
    assert entry.startswith("2025-07-03 !") and "decl-2025-" in entry
    assert 'declarant: "Kees Bakker"' in entry and 'ingevoerd-door: "Anja de Boer"' in entry
    link = entry.split("^", 1)[1].split()[0]

    # The button is offered only to a second person (vier_ogen.mag_goedkeuren); who entered it may not approve.
    def offered(client) -> bool:
        page = client.get(BASE).get_data(as_text=True)
        assert f'data-link="{link}"' in page
        return f'name="link" value="{link}"' in page

    assert not offered(anja) and offered(piet)
    after = folder_digest(ledger_dir)
    response = post_form(anja, BASE + "goedkeuren", {"link": link})
    assert response.status_code == 400 and "Anja de Boer" in response.get_data(as_text=True)
    assert folder_digest(ledger_dir) == after
    response = post_form(piet, BASE + "goedkeuren", {"link": link})
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    assert 'goedgekeurd-door: "Piet Jansen"' in text and "goedkeuring-sha256" in text


def test_every_form_of_the_extension_needs_its_csrf_token(tmp_path: Path):
    """Each POST form carries Flask-WTF's token of the session; without it (or with another session's) 400."""
    import re
    from io import BytesIO

    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Boer")
    add_user(users_path(workspace), "piet", "beheerder", ("testbuurt-2025",), "geheim-piet", naam="Piet Jansen")
    add_user(users_path(workspace), "jan", "auditor", (), "geheim-jan", naam="Jan de Wit")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    piet = session_client(service, "piet", "geheim-piet")
    jan = session_client(service, "jan", "geheim-jan")
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()

    def token(client) -> str:
        page = client.get(BASE).get_data(as_text=True)
        forms = re.findall(r"<form [^>]*method=\"post\".*?</form>", page, re.S)
        assert forms and all('<input type="hidden" name="csrf_token" value="' in f for f in forms), forms
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    anja_token, piet_token = token(anja), token(piet)
    assert anja_token and token(jan)
    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")
    kosten = {**_form(), "bon": (BytesIO(receipt), "bon.pdf")}
    for client, endpoint, data in (
        (anja, "kosten", kosten),
        (anja, "kosten", {**_form(), "bon": (BytesIO(receipt), "bon.pdf"), "csrf_token": "vervalst"}),
        (anja, "kosten", {**_form(), "bon": (BytesIO(receipt), "bon.pdf"), "csrf_token": piet_token}),
        (anja, "declaratie", {"datum": "2025-07-03", "bedrag": "1,00", "declarant": "Kees", "iban": "NL91ABNA0417164300",
                              "plan": "Groen", "categorie": "Materiaal", "omschrijving": "x",
                              "bon": (BytesIO(receipt), "bon.pdf")}),
        (piet, "goedkeuren", {"link": "decl-2025-004"}),
        (jan, "vaststelling", {"bedrag": "9.000,00", "datum": "2026-03-02", "bevestig": "ja"}),
    ):
        response = client.post(BASE + endpoint, data=data, headers=ORIGIN, content_type="multipart/form-data")
        text = response.get_data(as_text=True)
        assert response.status_code == 400, (endpoint, text[:300])
        assert "CSRF-controle" in text and "er is niets veranderd" in text and "Traceback" not in text
        assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before
    # The same form with the token of its own page is booked.
    response = post_form(anja, BASE + "kosten", {**_form(), "bon": (BytesIO(receipt), "bon.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    assert "Hout voor het klimrek" in (ledger_dir / "main.beancount").read_text(encoding="utf-8")


def anja_logged_in(tmp_path: Path):
    """A git workspace of the test ledgers, its service, and the session of Anja de Boer (beheerder)."""
    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Boer")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    return workspace, session_client(service, "anja", "geheim-anja")


def _beside(page: str, form_id: str, name: str) -> str:
    """The Dutch message the refused form shows beside field `name`, checking its aria wiring."""
    import re

    fid = f"{form_id}-{name}"
    field = re.search(rf'<(?:input|select) id="{fid}" name="{name}"[^>]*>', page)
    assert field, (fid, page[:2000])
    assert 'aria-invalid="true"' in field.group(0) and f'aria-describedby="{fid}-fout"' in field.group(0)
    after = page[field.end():]
    nearby = after[:min(after.find(m) if m in after else len(after) for m in ("<label", "<button"))]
    message = re.search(rf'<span class="bb-veldfout" id="{fid}-fout">([^<]*)</span>', nearby)
    assert message, after[:400]  # right after the field (and its options), before the next field
    return html.unescape(message.group(1))


def test_a_refused_form_comes_back_with_the_values_entered_and_the_message_beside_its_field(tmp_path: Path):
    from io import BytesIO
    import re

    workspace, anja = anja_logged_in(tmp_path)
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()
    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")

    # A wrong amount: beside the amount field; the other values as entered (markup stays text).
    response = post_form(anja, BASE + "kosten", {**_form(bedrag="twaalf", begunstigde="IJzer <b>Oost</b>"),
                                                 "bon": (BytesIO(receipt), "bon.pdf")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "twaalf" in _beside(page, "bb-kosten", "bedrag")
    assert 'value="twaalf"' in page and 'value="IJzer &lt;b&gt;Oost&lt;/b&gt;"' in page and "<b>Oost" not in page
    assert '<option value="Speeltuin" selected>' in page and 'value="2025-07-01"' in page
    assert 'aria-invalid' not in re.search(r'<input id="bb-kosten-datum"[^>]*>', page).group(0)
    assert 'name="csrf_token" value="' in page  # the form can be sent again as it is
    # Refused by the builder, not the form: an unknown plan beside the plan field.
    response = post_form(anja, BASE + "kosten", {**_form(plan="Zwembad"), "bon": (BytesIO(receipt), "bon.pdf")})
    assert response.status_code == 400 and "Zwembad" in _beside(response.get_data(as_text=True), "bb-kosten", "plan")
    # A bad IBAN beside the IBAN field of the claim form; the receipt beside the receipt field.
    claim = {"datum": "2025-07-03", "bedrag": "23,40", "declarant": "Kees Bakker", "iban": "NL91ABNA0417164301",
             "plan": "Groen", "categorie": "Materiaal", "omschrijving": "Bloembollen"}
    response = post_form(anja, BASE + "declaratie", {**claim, "bon": (BytesIO(receipt), "bon.pdf")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "IBAN 'NL91ABNA0417164301' is ongeldig" in _beside(page, "bb-declaratie", "iban")
    assert 'value="Kees Bakker"' in page and 'value="NL91ABNA0417164301"' in page
    response = post_form(anja, BASE + "declaratie", {**claim, "iban": "NL91ABNA0417164300",
                                                     "bon": (BytesIO(b"geen bon"), "bon.txt")})
    assert "geen PDF, JPEG of PNG" in _beside(response.get_data(as_text=True), "bb-declaratie", "bon")
    assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before


def test_a_second_person_rejects_a_claim_with_a_reason_and_who_entered_it_cannot(tmp_path: Path):
    """Rejecting is offered beside approving, only where `vier_ogen.mag_goedkeuren` holds; a forged POST is refused."""
    from io import BytesIO

    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Boer")
    add_user(users_path(workspace), "piet", "beheerder", ("testbuurt-2025",), "geheim-piet", naam="Piet Jansen",
             email="piet@example.org")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    piet = session_client(service, "piet", "geheim-piet")
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()
    # Entered by Anja for herself: she is enterer and declarant both.
    response = post_form(anja, BASE + "declaratie", {
        "datum": "2025-07-04", "bedrag": "18,75", "declarant": "Anja de Boer", "iban": "NL91ABNA0417164300",
        "plan": "Groen", "categorie": "Materiaal", "omschrijving": "Zaden", "bon": (BytesIO(receipt), "bon.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    link = text[text.index("2025-07-04 !"):].split("^", 1)[1].split()[0]

    def buttons(client) -> tuple[bool, bool]:
        page = client.get(BASE).get_data(as_text=True)
        item = page[page.index(f'data-link="{link}"'):]
        item = item[:item.index('class="bb-wacht"') if 'class="bb-wacht"' in item else len(item)]
        return "Goedkeuren</button>" in item, "Afwijzen</button>" in item

    assert buttons(anja) == (False, False) and buttons(piet) == (True, True)
    assert f'<label for="bb-afwijzen-{link}-reden">Reden van de afwijzing</label>' in piet.get(BASE).get_data(as_text=True)

    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")
    # Her own claim, by a forged POST (a valid token of her own session): refused, nothing changes.
    response = post_form(anja, BASE + "afwijzen", {"link": link, "reden": "dubbel"})
    assert response.status_code == 400 and "vier-ogenprincipe" in response.get_data(as_text=True)
    assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before
    # Without a reason: the message beside the reason field.
    response = post_form(piet, BASE + "afwijzen", {"link": link, "reden": "   "})
    assert response.status_code == 400
    assert "reden" in _beside(response.get_data(as_text=True), f"bb-afwijzen-{link}", "reden")
    assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before

    response = post_form(piet, BASE + "afwijzen", {"link": link, "reden": "geen bon van een winkel"})
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    rejection = text[text.index("Afwijzing declaratie"):]
    assert f"^{link}" in rejection and 'afgewezen-reden: "geen bon van een winkel"' in rejection
    assert 'afgewezen-door: "Piet Jansen"' in rejection
    assert _git(workspace, "log", "-1", "--format=%an <%ae>").strip() == "Piet Jansen <piet@example.org>"
    assert "afgewezen" in _git(workspace, "log", "-1", "--format=%s")
    # No longer waiting: neither button is offered any more.
    assert f'class="bb-wacht" data-link="{link}"' not in piet.get(BASE).get_data(as_text=True)


def test_a_cost_from_the_four_eyes_threshold_waits_as_an_invoice_until_a_second_person_approves_it(tmp_path: Path):
    """1.234,56 with the payee's IBAN: a `!` invoice on the creditors, in the waiting list, approved by Piet."""
    from io import BytesIO

    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja", naam="Anja de Boer")
    add_user(users_path(workspace), "piet", "beheerder", ("testbuurt-2025",), "geheim-piet", naam="Piet Jansen")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    piet = session_client(service, "piet", "geheim-piet")
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()

    before = folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")
    response = post_form(anja, BASE + "kosten", {**_form(bedrag="1.234,56"), "bon": (BytesIO(receipt), "bon.pdf")})
    assert response.status_code == 400
    assert "€ 500,00" in _beside(response.get_data(as_text=True), "bb-kosten", "iban")
    assert (folder_digest(ledger_dir), _git(workspace, "rev-parse", "HEAD")) == before

    response = post_form(anja, BASE + "kosten", {**_form(bedrag="1.234,56", iban="NL91 ABNA 0417 1643 00"),
                                                 "bon": (BytesIO(receipt), "bon.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    entry = text[text.index("2025-07-01 !"):]
    assert 'iban: "NL91ABNA0417164300"' in entry and "Passiva:Crediteuren" in entry and "1234.56 EUR" in entry
    assert 'ingevoerd-door: "Anja de Boer"' in entry and "goedgekeurd-door" not in entry
    link = entry.split("^", 1)[1].split()[0]
    assert link.startswith("fact-2025-")

    def item(client) -> str:
        page = client.get(BASE).get_data(as_text=True)
        rest = page[page.index(f'data-link="{link}"'):]
        return rest[:rest.index("</div>")]

    assert "Bouwmarkt Noord" in item(anja) and "Goedkeuren</button>" not in item(anja)
    assert "Goedkeuren</button>" in item(piet) and "Afwijzen</button>" in item(piet)
    after = folder_digest(ledger_dir)
    response = post_form(anja, BASE + "goedkeuren", {"link": link})  # her own entry: refused
    assert response.status_code == 400 and "vier-ogenprincipe" in response.get_data(as_text=True)
    assert folder_digest(ledger_dir) == after
    response = post_form(piet, BASE + "goedkeuren", {"link": link})
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    entry = text[text.index("2025-07-01 *"):]
    assert f"^{link}" in entry and 'goedgekeurd-door: "Piet Jansen"' in entry and "goedkeuring-sha256" in entry
    assert f'class="bb-wacht" data-link="{link}"' not in piet.get(BASE).get_data(as_text=True)  # no longer waiting
