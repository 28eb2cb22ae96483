"""Paying and the bank in /beheer/<slug>/: a batch (preview, create, pain.001, withdraw), a bank
statement (preview, confirm), settling and the export — through the forms, as the logged-in person.

Each write is checked in the ledger's text and in git (author and message); each refusal leaves
the ledger's folder and git byte-identical: a reader, a hostile or wrong file, a statement read
twice, a batch the bank already carried out.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import time
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from ledger.importers.common import saldo_op
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import Line, camt053, folder_digest, mt940, receipt as make_receipt
from tests.service_workspace import git_workspace, post_form, session_client

SLUG = "testbuurt-2025"
BASE = f"/beheer/{SLUG}/extension/Buurtbudget/"
IBAN = "NL91ABNA0417164300"
RESIDENT = "NL44RABO0123456789"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def workspace_with_users(tmp_path: Path):
    workspace = git_workspace(tmp_path / "ws")
    for login, naam in (("anja", "Anja de Boer"), ("piet", "Piet Jansen")):
        add_user(users_path(workspace), login, "beheerder", (SLUG,), f"geheim-{login}", naam=naam,
                 email=f"{login}@example.org")
    add_user(users_path(workspace), "stadsdeel", "auditor", (SLUG,), "geheim-stadsdeel", naam="Sanne Stad")
    return workspace


def approved_claim(tmp_path: Path, anja, piet, bedrag: str = "88,40", iban: str = RESIDENT) -> str:
    """A resident's claim entered by Anja and approved by Piet, through the forms; its link."""
    response = post_form(anja, BASE + "declaratie", {
        "declarant": "Mo <b>Haddou</b>", "iban": iban, "plan": "Groen", "categorie": "Materiaal",
        "bedrag": bedrag, "datum": "2025-07-01", "omschrijving": "Plantenbakken",
        "bon": (BytesIO(make_receipt(tmp_path).read_bytes()), "bon.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    ledger = tmp_path / "ws" / SLUG / "main.beancount"
    link = [p.link for p in read_ledger(ledger).view.payables if p.status == "ingediend"][-1]
    response = post_form(piet, BASE + "goedkeuren", {"link": link})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return link


def statement_paying(ledger: Path, link: str, amount: Decimal, day: datetime.date, ref: str = "BANK-0001",
                     off: Decimal = Decimal(0)) -> bytes:
    """A CAMT.053 statement whose one line pays `link` (its EndToEndId), closing on what the ledger will
    say (`off`: a closing balance that much off)."""
    opening = saldo_op(read_ledger(ledger).entries, "Activa:Bank:Betaalrekening", day) + off
    return camt053(IBAN, [Line(day, -amount, ref, naam="Mo Haddou", end_to_end=link, tegen_iban=RESIDENT)],
                   opening, day)


def test_a_batch_is_previewed_made_downloaded_and_withdrawn_and_refusals_change_nothing(tmp_path: Path) -> None:
    workspace = workspace_with_users(tmp_path)
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    piet = session_client(service, "piet", "geheim-piet")
    auditor = session_client(service, "stadsdeel", "geheim-stadsdeel")
    folder = workspace / SLUG
    ledger = folder / "main.beancount"
    # Fatima el Amrani's account under another name: a signal (SIG-IBAN-NAMEN) beside the item.
    link = approved_claim(tmp_path, anja, piet, iban="NL02ABNA0123456789")

    page = anja.get(BASE).get_data(as_text=True)
    assert 'id="bb-betaal-voorvertoning"' in page and f'data-link="{link}"' in page
    assert 'id="bb-betaal-totaal"><strong>€ 88,40' in page or "88,40" in page.split('id="bb-betaal-totaal"')[1][:80]
    assert "Mo &lt;b&gt;Haddou&lt;/b&gt;" in page and "<b>Haddou</b>" not in page
    # The signals of this item (a warning beside it, never a block).
    row = page.split(f'data-link="{link}"')[1].split("</tr>")[0]
    assert "SIG-IBAN-NAMEN" in row and "Fatima el Amrani" in row, row
    assert 'name="csrf_token"' in page.split('id="bb-betaalopdracht"')[1][:300]
    assert 'id="bb-betalen"' not in auditor.get(BASE).get_data(as_text=True)

    def unchanged():
        return folder_digest(folder), _git(workspace, "rev-parse", "HEAD")

    before = unchanged()
    # Someone who may not pay, and a date that is none: refused, nothing written.
    response = post_form(auditor, BASE + "betaalopdracht", {"datum": "2025-07-10"})
    assert response.status_code == 403  # the service lets a reader write nothing; the form says so too
    assert auditor.get(BASE + "betaalbestand?msgid=x").status_code == 403
    response = post_form(anja, BASE + "betaalopdracht", {"datum": "10 juli"})
    assert response.status_code == 400 and "geen datum" in response.get_data(as_text=True)
    assert unchanged() == before

    response = post_form(anja, BASE + "betaalopdracht", {"datum": "2025-07-10"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text[:500]
    (batch,) = [b for b in __import__("ledger.betalingen.batches", fromlist=["batches"]).batches(read_ledger(ledger).entries)]
    assert batch.links == (link,) and batch.meta["door"] == "Anja de Boer" and batch.meta["totaal"].number == Decimal("88.40")
    assert f'custom "betaalopdracht" "{batch.msgid}"' in ledger.read_text(encoding="utf-8")
    assert _git(workspace, "log", "-1", "--format=%an <%ae>|%s").strip() == (
        f"Anja de Boer <anja@example.org>|Betaalopdracht {batch.msgid}: 1 betaling(en), samen € 88,40")
    assert 'id="bb-betaalbestand" data-remote download' in text and f"msgid={batch.msgid}" in text

    # The pain.001 downloads as a file: the same MsgId, the link as EndToEndId, the amount.
    download = anja.get(BASE + f"betaalbestand?msgid={batch.msgid}")
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("application/xml")
    assert download.headers["Content-Disposition"] == f'attachment; filename="betaling-{batch.msgid}.xml"'
    doc = etree.fromstring(download.data)
    assert doc.xpath("//p:GrpHdr/p:MsgId/text()", namespaces=NS) == [batch.msgid]
    assert doc.xpath("//p:EndToEndId/text()", namespaces=NS) == [link]
    assert doc.xpath("//p:InstdAmt/text()", namespaces=NS) == ["88.40"]

    # Nothing left to pay: a second batch is refused; the page offers the batch to withdraw.
    before = unchanged()
    response = post_form(anja, BASE + "betaalopdracht", {})
    assert response.status_code == 400 and "niets te betalen" in response.get_data(as_text=True)
    assert unchanged() == before
    page = anja.get(BASE).get_data(as_text=True)
    assert f'data-msgid="{batch.msgid}"' in page and "Niets te betalen" in page
    response = post_form(auditor, BASE + "intrekken", {"msgid": batch.msgid})
    assert response.status_code == 403
    response = post_form(anja, BASE + "intrekken", {"msgid": "BB-19990101-001-XXXX"})
    assert response.status_code == 400 and "staat niet in deze ledger" in response.get_data(as_text=True)
    assert unchanged() == before

    response = post_form(piet, BASE + "intrekken", {"msgid": batch.msgid, "reden": "niet geüpload"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = ledger.read_text(encoding="utf-8")
    assert f'custom "betaalopdracht-ingetrokken" "{batch.msgid}"' in text and 'reden: "niet geüpload"' in text
    assert _git(workspace, "log", "-1", "--format=%an|%s").strip() == (
        f"Piet Jansen|Betaalopdracht {batch.msgid} ingetrokken door Piet Jansen")
    # Withdrawn: its file is not offered again, and the claim is payable in a new batch.
    assert anja.get(BASE + f"betaalbestand?msgid={batch.msgid}").status_code == 409
    assert f'data-link="{link}"' in anja.get(BASE).get_data(as_text=True)


def test_a_statement_is_previewed_then_confirmed_and_pays_the_batch(tmp_path: Path) -> None:
    workspace = workspace_with_users(tmp_path)
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    piet = session_client(service, "piet", "geheim-piet")
    auditor = session_client(service, "stadsdeel", "geheim-stadsdeel")
    folder = workspace / SLUG
    ledger = folder / "main.beancount"
    link = approved_claim(tmp_path, anja, piet)
    assert post_form(anja, BASE + "betaalopdracht", {"datum": "2025-07-10"}).status_code == 200
    from ledger.betalingen.batches import batches

    (batch,) = batches(read_ledger(ledger).entries)
    good = statement_paying(ledger, link, Decimal("88.40"), datetime.date(2025, 7, 11))

    def upload(client, content: bytes, name: str = "afschrift.xml"):
        return post_form(client, BASE + "afschrift", {"afschrift": (BytesIO(content), name)})

    def unchanged():
        return folder_digest(folder), _git(workspace, "rev-parse", "HEAD")

    before = unchanged()
    wrong_balance = statement_paying(ledger, link, Decimal("88.40"), datetime.date(2025, 7, 11), off=Decimal("10"))
    doctype = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
               b"<Document><BkToCstmrStmt/></Document>")
    for client, content, name, status, says in (
        (auditor, good, "afschrift.xml", 403, "niet wijzigen"),
        (anja, good, "afschrift.exe", 400, "geen bankafschrift"),
        (anja, b"", "afschrift.xml", 400, "leeg"),
        (anja, b"\x00\x01binary" * 10, "afschrift.xml", 400, "afschrift.xml"),
        (anja, doctype, "afschrift.xml", 400, "DOCTYPE"),
        (anja, b"<Document>" + b"x" * (5 * 1024 * 1024), "groot.xml", 400, "groter dan 5 MB"),
        (anja, b"<html><script>alert(1)</script>", "afschrift.xml", 400, "onbekend afschriftformaat"),
        (anja, camt053("NL20INGB0001234567", [], Decimal("0"), datetime.date(2025, 7, 11)), "ander.xml", 400,
         "rekening NL20INGB0001234567"),
        (anja, wrong_balance, "afschrift.xml", 400, "saldocontrole klopt niet"),
    ):
        response = upload(client, content, name)
        text = response.get_data(as_text=True)
        assert response.status_code == status, (name, says, text[:600])
        assert says in text and "<script>" not in text and "/tmp" not in text and "Traceback" not in text, text[:600]
        assert unchanged() == before

    # The preview: the new line, the claim and batch it pays, the closing balance; nothing written yet.
    response = upload(anja, good)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text[:800]
    assert "1 regel(s); 1 nieuw, 0 al in de ledger" in text and f"^{link}" in text and batch.msgid in text
    assert "klopt met de ledger" in text and 'name="csrf_token"' in text
    assert unchanged() == before
    token = text.split('name="token" value="')[1].split('"')[0]
    # Another login cannot confirm Anja's upload.
    response = post_form(piet, BASE + "afschrift-bevestigen", {"token": token}, page=BASE)
    assert response.status_code == 400 and unchanged() == before
    # An upload left waiting longer than AFSCHRIFT_GELDIG is gone: not confirmed, its file removed.
    from buurtbudget_admin.fava_ext.betalen import AFSCHRIFT_GELDIG, wachtruimte

    waiting = wachtruimte() / token
    assert (waiting / "afschrift.xml").read_bytes() == good
    old = time.time() - AFSCHRIFT_GELDIG - 60
    os.utime(waiting, (old, old))
    response = post_form(anja, BASE + "afschrift-bevestigen", {"token": token})
    assert response.status_code == 400 and "Upload het opnieuw" in response.get_data(as_text=True)
    assert not waiting.exists() and unchanged() == before

    response = upload(anja, good)
    token = response.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    response = post_form(anja, BASE + "afschrift-bevestigen", {"token": token})
    assert response.status_code == 200, response.get_data(as_text=True)[:600]
    view = read_ledger(ledger).view
    (claim,) = [p for p in view.payables if p.link == link]
    assert claim.status == "betaald"
    assert f'betaalopdracht: "{batch.msgid}"' in ledger.read_text(encoding="utf-8")
    assert _git(workspace, "log", "-1", "--format=%an|%s").strip() == (
        "Anja de Boer|Import afschrift.xml (camt053): 1 regel(s), waarvan 1 betaling(en) van declaraties/facturen, "
        "eindsaldo gecontroleerd")
    # The upload waits no longer: the same token again, and the same statement again, change nothing.
    before = unchanged()
    assert post_form(anja, BASE + "afschrift-bevestigen", {"token": token}).status_code == 400
    response = upload(anja, good)
    assert response.status_code == 409 and "staan al in de ledger" in response.get_data(as_text=True)
    # A batch the bank carried out cannot be withdrawn, nor its file downloaded again.
    response = post_form(anja, BASE + "intrekken", {"msgid": batch.msgid})
    assert response.status_code == 400 and "al door de bank uitgevoerd" in response.get_data(as_text=True)
    assert anja.get(BASE + f"betaalbestand?msgid={batch.msgid}").status_code == 409
    assert unchanged() == before

    # MT940 works the same way (a statement with only a bank fee, on Onverwerkt).
    day = datetime.date(2025, 7, 31)
    opening = saldo_op(read_ledger(ledger).entries, "Activa:Bank:Betaalrekening", day)
    text = mt940(IBAN, [Line(day, Decimal("-2.50"), "FEE-07", naam="Bank",
                                     omschrijving='Kosten juli <img src=x onerror="alert(1)">')], opening, day)
    response = upload(anja, text.encode(), "juli.sta")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Onverwerkt" in body, body[:600]
    assert "<img" not in body and "Kosten juli &lt;img" in body and "€ -2,50" in body.replace("\u2212", "-"), body
    token = body.split('name="token" value="')[1].split('"')[0]
    assert post_form(anja, BASE + "afschrift-bevestigen", {"token": token}).status_code == 200
    assert "Kosten juli" in ledger.read_text(encoding="utf-8")


def test_settling_and_the_export(tmp_path: Path) -> None:
    workspace = workspace_with_users(tmp_path)
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    auditor = session_client(service, "stadsdeel", "geheim-stadsdeel")
    folder = workspace / SLUG
    ledger = folder / "main.beancount"

    export = anja.get(BASE + "export?formaat=csv")
    assert export.status_code == 200 and export.headers["Content-Disposition"].startswith(
        f'attachment; filename="bijlage-{SLUG}-')
    assert "Bouwmarkt Noord" in export.get_data(as_text=True)
    assert anja.get(BASE + "export?formaat=xlsx").data[:2] == b"PK"
    assert anja.get(BASE + "export?formaat=html").status_code == 400
    assert auditor.get(BASE + "export?formaat=csv").status_code == 403
    from werkzeug.test import Client

    anonymous = Client(service)
    for path in (BASE + "export?formaat=csv", f"/buurt/{SLUG}/extension/Buurtbudget/export?formaat=csv",
                 f"/buurt/{SLUG}/extension/Buurtbudget/betaalbestand?msgid=x"):
        response = anonymous.get(path)
        assert response.status_code in (302, 303, 401, 403, 404) and b"Bouwmarkt" not in response.data, path
    page = anja.get(BASE).get_data(as_text=True)
    assert 'id="bb-export-csv" data-remote download' in page

    before = folder_digest(folder), _git(workspace, "rev-parse", "HEAD")
    for client, form, status, says in (
        (auditor, {"datum": "2026-01-31", "bevestig": "ja"}, 403, "niet wijzigen"),
        (anja, {"datum": "2026-01-31"}, 400, "Bevestig"),
        (anja, {"datum": "2025-06-30", "bevestig": "ja"}, 400, "te vroeg"),
    ):
        response = post_form(client, BASE + "afsluiten", form)
        assert response.status_code == status and says in response.get_data(as_text=True)
        assert (folder_digest(folder), _git(workspace, "rev-parse", "HEAD")) == before
    response = post_form(anja, BASE + "afsluiten", {"datum": "2026-01-31", "bevestig": "ja"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert 'id="bb-uitloggen" href="/beheer/' in response.get_data(as_text=True)
    assert "#afsluiting" in ledger.read_text(encoding="utf-8")
    log = _git(workspace, "log", "-1", "--format=%an|%s").strip()
    assert log.startswith("Anja de Boer|Afsluiting per 2026-01-31: ")


@pytest.mark.browser
def test_in_chromium_a_batch_is_made_its_file_downloads_and_a_statement_pays_it(tmp_path: Path) -> None:
    """Debian's Chromium: the pain.001 link downloads a file (Fava's router does not render it) and the
    uploaded statement, once confirmed, pays the claim."""
    from playwright import sync_api as playwright

    from tests.service_workspace import Served, browser_login

    workspace = workspace_with_users(tmp_path)
    service = create_service(workspace, cache_dir=tmp_path / "cache-setup", check_interval=0.0)
    link = approved_claim(tmp_path, session_client(service, "anja", "geheim-anja"),
                          session_client(service, "piet", "geheim-piet"))
    ledger = workspace / SLUG / "main.beancount"
    statement = tmp_path / "afschrift-juli.xml"
    statement.write_bytes(statement_paying(ledger, link, Decimal("88.40"), datetime.date(2025, 7, 11)))
    served = Served(workspace, tmp_path / "cache")
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                context = browser_login(browser, served.address, {"username": "anja", "password": "geheim-anja"},
                                        accept_downloads=True)
                page = context.new_page()
                page.goto(f"{served.address}{BASE}")
                assert page.locator(f'#bb-betaal-voorvertoning tr[data-link="{link}"]').count() == 1
                with page.expect_navigation():
                    page.locator("#bb-betaalopdracht").get_by_role("button", name="Betaalopdracht maken").click()
                assert page.locator("h1").inner_text() == "Betaalopdracht gemaakt"
                assert "Anja de Boer" in _git(workspace, "log", "-1", "--format=%an")

                # From the Fava page itself: the link downloads, the page stays where it is.
                page.goto(f"{served.address}{BASE}")
                before_url = page.url
                with page.expect_download() as info:
                    page.locator("a.bb-betaalbestand").first.click()
                download = info.value
                content = Path(download.path()).read_bytes()
                assert content.startswith(b"<?xml") and b"pain.001.001.03" in content
                assert etree.fromstring(content).xpath("//p:EndToEndId/text()", namespaces=NS) == [link]
                assert download.suggested_filename.startswith("betaling-BB-")
                assert page.url == before_url and "<GrpHdr>" not in page.content()

                page.locator("#bb-afschrift-bestand").set_input_files(str(statement))
                with page.expect_navigation():
                    page.locator("#bb-afschrift").get_by_role("button", name="Bekijken").click()
                assert "klopt met de ledger" in page.locator("#bb-afschrift-saldo").inner_text()
                assert f"^{link}" in page.locator("#bb-afschrift-betalingen").inner_text()
                with page.expect_navigation():
                    page.get_by_role("button", name="Bevestigen en inlezen").click()
                assert page.locator("h1").inner_text() == "Bankafschrift ingelezen"
                context.close()
            finally:
                browser.close()
    finally:
        served.stop()
    (claim,) = [p for p in read_ledger(ledger).view.payables if p.link == link]
    assert claim.status == "betaald"
    assert _git(workspace, "log", "-1", "--format=%an|%s").startswith("Anja de Boer|Import afschrift-juli.xml")
