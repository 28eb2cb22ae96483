"""The vaststelling: the stadsdeel's final decision, in the books, on the statement, guarded by BB-VASTSTELLING."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader

from ledger.evaluatie.loading import load_entries
from ledger.evaluatie.vaststelling import terug_te_betalen, vaststelling_tekst, vaststellingen
from reports.context import build_statement
from reports.render import render_statement
from tests.books import books
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import bean_check, cli, digest, folder_digest, gebruiker, make_ledger, receipt

# --------------------------------------------------------------------------- the rule


@books()
def test_costs_after_the_decision_are_flagged(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

    2025-12-15 custom "vaststelling" 9500.00 EUR
      door: "J. de Wit (stadsdeel West)"
      kenmerk: "W-2025-0312"
      kosten: 10.00 EUR
      digest: "sha256:4d36dbcc17446612b97f535b97d6a2c67b6ab71eaa37bca4d251d5c7556ca591"

    2025-12-15 * "Bouwmarkt" "Dezelfde dag: nog meegenomen"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   10.00 EUR
      Assets:Bank:Betaalrekening

    2025-12-20 * "Bouwmarkt" "Nagekomen factuur"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
      Assets:Bank:Betaalrekening

    2025-12-21 * "Gemeente Amsterdam" "Rente"
      Assets:Bank:Betaalrekening   0.00 EUR
      Assets:Vordering:Gemeente
    """
    assert result.codes == ["BB-VASTSTELLING"]
    assert result.lines("BB-VASTSTELLING") == [result.line_of('2025-12-20 * "Bouwmarkt"')]
    message = result.messages[0]
    assert "2025-12-20" in message and "na de vaststelling van 2025-12-15 door J. de Wit" in message


@books()
def test_a_correction_replaces_the_decision(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

    2025-12-10 custom "vaststelling" 9000.00 EUR
      door: "J. de Wit"
      kosten: 0.00 EUR
      digest: "sha256:40c84cdf90789704982a1427230056c94d9f689271e5b44dbc8b8c03e832716f"

    2025-12-12 * "Bouwmarkt" "Verwerkt in de correctie"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
      Assets:Bank:Betaalrekening

    2025-12-14 custom "vaststelling" 9500.00 EUR
      door: "P. Jansen"
      kenmerk: "W-2025-0400"
      corrigeert: "sha256:40c84cdf90789704982a1427230056c94d9f689271e5b44dbc8b8c03e832716f"
      kosten: 20.00 EUR
      digest: "sha256:e62c2ea1d4d6b34acaedb5e704af7722f44d543b6801c472f41a798caabb3650"
    """
    assert result.codes == []
    found = vaststellingen(result.entries)
    assert found.latest.bedrag == Decimal("9500.00") and found.latest.door == "P. Jansen"
    assert found.latest.kenmerk == "W-2025-0400" and found.latest.kosten == Decimal("20.00")
    assert found.latest.corrigeert == found.earlier[0].digest
    assert [v.bedrag for v in found.earlier] == [Decimal("9000.00")]
    assert result.view.fase == "vastgesteld" and result.view.terug_na_vaststelling == Decimal("500.00")


@books()
def test_a_decision_above_the_award_or_unreadable_is_flagged(result):
    """
    2025-12-10 custom "vaststelling" 10000.01 EUR
      door: "J. de Wit"
      kosten: 0.00 EUR
      digest: "sha256:9d8ffac3f36fe8c8a4df6791e38f7ed50107f16befa56c1f2a71a0fb80b61335"

    2025-12-11 custom "vaststelling" 500.00 USD
      door: "J. de Wit"

    2025-12-12 custom "vaststelling" 500.00 EUR
    """
    assert result.codes == ["BB-VASTSTELLING"] * 3
    text = " | ".join(result.messages)
    assert "€ 10.000,01 is hoger dan de toekenning € 10.000,00" in text
    assert "in USD" in text and "zonder 'door:'" in text
    assert sorted(result.lines("BB-VASTSTELLING")) == [
        result.line_of("2025-12-10 custom"), result.line_of("2025-12-11 custom"), result.line_of("2025-12-12 custom"),
    ]


@books()
def test_the_award_itself_may_be_vastgesteld(result):
    """
    2025-12-10 custom "vaststelling" 10000.00 EUR
      door: "J. de Wit"
      kosten: 0.00 EUR
      digest: "sha256:d4f158de56c48340a08846abcc961ec22ed9ffbf3225596fc3aff96a510a403a"
    """
    assert result.codes == []


@books()
def test_a_decision_without_its_digest_is_flagged(result):
    """
    2025-12-10 custom "vaststelling" 9500.00 EUR
      door: "J. de Wit (stadsdeel West)"
      kenmerk: "W-2025-0312"
    """
    assert result.codes == ["BB-VASTSTELLING"]
    assert "zonder kosten: en digest:" in result.messages[0]
    assert result.lines("BB-VASTSTELLING") == [result.line_of("2025-12-10 custom")]


@books()
def test_a_decision_changed_after_it_was_recorded_is_flagged(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

    2025-06-01 * "Bouwmarkt" "Hout"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   400.00 EUR
      Assets:Bank:Betaalrekening

    2025-12-15 custom "vaststelling" 9900.00 EUR
      door: "Jan de Wit"
      kenmerk: "W-2025-0312"
      kosten: 400.00 EUR
      digest: "sha256:1a26f1d0d8020318e28a208b63a64674a79a4e6ff53331bd372b4f12d1ef2a34"
    """
    # Sealed at 9500.00 by Jan de Wit; someone made it 9900.00 afterwards.
    assert result.codes == ["BB-VASTSTELLING"]
    assert "is gewijzigd na het vastleggen" in result.messages[0]


@books()
def test_a_cost_booked_behind_the_decision_in_its_period_is_flagged(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

    2025-06-01 * "Bouwmarkt" "Hout"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   400.00 EUR
      Assets:Bank:Betaalrekening

    2025-12-15 custom "vaststelling" 9500.00 EUR
      door: "Jan de Wit"
      kenmerk: "W-2025-0312"
      kosten: 400.00 EUR
      digest: "sha256:1a26f1d0d8020318e28a208b63a64674a79a4e6ff53331bd372b4f12d1ef2a34"

    2025-11-03 * "Bouwmarkt" "Achteraf erbij"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   99.00 EUR
      Assets:Bank:Betaalrekening
    """
    assert result.codes == ["BB-VASTSTELLING"] * 2
    text = " | ".join(result.messages)
    assert "de kosten tot en met 2025-12-15 zijn € 499,00, bij de vaststelling door Jan de Wit waren ze € 400,00" in text
    assert sorted(result.lines("BB-VASTSTELLING")) == [result.line_of("2025-12-15 custom"),
                                                       result.line_of('2025-11-03 * "Bouwmarkt"')]


def test_repay_is_received_minus_vastgesteld():
    assert terug_te_betalen(Decimal("10000.00"), Decimal("9500.00")) == Decimal("500.00")
    assert terug_te_betalen(Decimal("8000.00"), Decimal("9500.00")) == Decimal("-1500.00")  # still to be paid


def test_directive_text_quotes_names_as_beancount_does(tmp_path: Path):
    text = vaststelling_tekst(datetime.date(2026, 3, 2), Decimal("23500"), 'J. "Jan" de Wit \\ Noord', "N-1")
    assert text == ('2026-03-02 custom "vaststelling" 23500.00 EUR\n'
                    '  door: "J. \\"Jan\\" de Wit \\\\ Noord"\n  kenmerk: "N-1"\n')
    path = tmp_path / "v.beancount"
    path.write_text(text, encoding="utf-8")
    entries, errors, _ = load_entries(path)
    assert not errors
    assert vaststellingen(entries).latest.door == 'J. "Jan" de Wit \\ Noord'


# --------------------------------------------------------------------------- the command


def _booked_ledger(tmp_path: Path) -> Path:
    ledger = make_ledger(tmp_path / "testbuurt-2025")
    bon = receipt(tmp_path)
    r = cli("boek", str(ledger), "--datum", "2025-03-10", "--bedrag", "400", "--plan", "Speeltuin",
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Hout", "--bon", str(bon))
    assert r.returncode == 0, r.stderr
    return ledger


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def _in_git(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "testbuurt-2025")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "begin")


def _state(tmp_path: Path) -> tuple[str, str, str]:
    """Every byte of the ledger's folder, the last commit, and git's view of the work tree."""
    return folder_digest(tmp_path / "testbuurt-2025"), _git(tmp_path, "rev-parse", "HEAD"), \
        _git(tmp_path, "status", "--porcelain", "--untracked-files=no")


def test_vaststellen_refuses_what_cannot_be_decided_and_leaves_the_ledger_alone(tmp_path: Path):
    ledger = _booked_ledger(tmp_path)
    _in_git(tmp_path)
    gebruiker(tmp_path, "Jan de Wit", rol="auditor", login="jan")
    before = _state(tmp_path)
    cases = [
        (["--bedrag", "9500", "--datum", "2025-06-01", "--door", "jan"], "fase verantwoording of later"),
        (["--bedrag", "10.000,01", "--datum", "2026-03-02", "--door", "jan"], "hoger dan de toekenning"),
        (["--bedrag", "-1", "--datum", "2026-03-02", "--door", "jan"], ""),
        (["--bedrag", "9500", "--datum", "2026-03-02", "--door", "jan", "--kenmerk", "N-1\nN-2"], "op één regel"),
        (["--bedrag", "9500", "--datum", "2026-13-02", "--door", "jan"], "geen datum"),
        # Only an auditor decides: the penvoerder, a typed name or nobody cannot.
        (["--bedrag", "9500", "--datum", "2026-03-02", "--door", "henk"],
         "alleen een auditor van het stadsdeel legt de vaststelling vast; 'henk' (Henk) is beheerder"),
        (["--bedrag", "9500", "--datum", "2026-03-02", "--door", "Jan de Wit"], "--door 'Jan de Wit': geen login"),
        (["--bedrag", "9500", "--datum", "2026-03-02", "--door", "  "], "wie doet dit?"),
    ]
    for args, expected in cases:
        r = cli("vaststellen", str(ledger), *args, door=None, gebruikers=False)
        assert r.returncode != 0, (args, r.stdout)
        assert "Traceback" not in r.stderr and r.stderr.startswith("fout:"), r.stderr
        assert expected in r.stderr, (expected, r.stderr)
        assert _state(tmp_path) == before


def test_vaststellen_refuses_when_costs_are_booked_after_the_date(tmp_path: Path):
    ledger = _booked_ledger(tmp_path)
    bon = receipt(tmp_path, "bon2.pdf")
    r = cli("boek", str(ledger), "--datum", "2025-12-20", "--bedrag", "20", "--plan", "Speeltuin",
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Verf", "--bon", str(bon))
    assert r.returncode == 0, r.stderr
    # The decision is dated before that booking: the writer would add a BB-VASTSTELLING violation.
    ledger.write_text(ledger.read_text(encoding="utf-8").replace('einde: 2025-12-31', 'einde: 2025-12-01'),
                      encoding="utf-8")
    before = digest(ledger)
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2025-12-10", "--door", "J. de Wit")
    assert r.returncode == 1, r.stderr
    assert "wijziging geweigerd" in r.stderr and "BB-VASTSTELLING" in r.stderr
    assert digest(ledger) == before


def test_vaststellen_records_the_decision_and_the_statement_shows_it(tmp_path: Path):
    ledger = _booked_ledger(tmp_path)
    _in_git(tmp_path)
    r = cli("vaststellen", str(ledger), "--bedrag", "9.000,00", "--datum", "2026-03-02",
            "--door", 'J. "Jan" de Wit (stadsdeel West)', "--kenmerk", "W-2026-0312")
    assert r.returncode == 0, r.stderr
    assert "Vaststelling op 2026-03-02 door J. \"Jan\" de Wit (stadsdeel West): € 9.000,00" in r.stdout
    assert _git(tmp_path, "log", "-1", "--format=%an").strip() == 'J. "Jan" de Wit (stadsdeel West)'
    text = ledger.read_text(encoding="utf-8")
    assert ('2026-03-02 custom "vaststelling" 9000.00 EUR\n  door: "J. \\"Jan\\" de Wit (stadsdeel West)"\n'
            '  kenmerk: "W-2026-0312"\n  kosten: 400.00 EUR\n  digest: "sha256:') in text
    assert bean_check(ledger).returncode == 0
    first = vaststellingen(load_entries(ledger)[0]).latest
    # A correction dated before the decision it corrects would change nothing: refused.
    before = _state(tmp_path)
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2026-03-01", "--door", "P. Jansen")
    assert r.returncode == 2 and "een correctie moet gedateerd zijn op of na de vaststelling" in r.stderr, r.stderr
    assert _state(tmp_path)[:2] == before[:2]
    # A correction: the latest holds, names the one it corrects, the earlier one stays named.
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2026-03-09", "--door", "P. Jansen")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Correctie van de vaststelling op 2026-03-09 door P. Jansen: € 9.500,00")
    latest = vaststellingen(load_entries(ledger)[0]).latest
    assert latest.corrigeert == first.digest and latest.door == "P. Jansen"

    statement = build_statement(ledger)
    assert statement.vastgesteld.bedrag == Decimal("9500.00")
    assert statement.to_repay == Decimal("500.00")  # received 10,000 − vastgesteld 9,500
    assert statement.view.fase == "vastgesteld"
    pdf, _ = render_statement(statement)
    page = re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Fase: vastgesteld" in page
    assert "Vastgesteld op 9 maart 2026 door P. Jansen: € 9.500,00" in page
    assert ('eerder vastgesteld op 2 maart 2026 door J. "Jan" de Wit (stadsdeel West) (kenmerk W-2026-0312): € 9.000,00'
            in page)
    assert "Terug te betalen aan de gemeente (ontvangen − vastgesteld) € 500,00" in page


def test_the_decided_period_is_closed_to_the_writer_even_with_toch(tmp_path: Path):
    """A back-dated € 99 cost after the decision: refused, never forcible; approving a claim still works."""
    ledger = _booked_ledger(tmp_path)
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-11-20", "--declarant", "Fatima el Amrani",
            "--iban", "NL02ABNA0123456789", "--bedrag", "64,20", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "bloembollen", "--bon", str(receipt(tmp_path, "decl.pdf")))
    assert r.returncode == 0, r.stderr
    _in_git(tmp_path)
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2026-03-02", "--door", "Jan de Wit")
    assert r.returncode == 0, r.stderr
    before = _state(tmp_path)
    for extra in ([], ["--toch", "--reden", "vergeten bon"]):
        r = cli("boek", str(ledger), "--datum", "2025-11-03", "--bedrag", "99", "--plan", "Speeltuin",
                "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Achteraf",
                "--bon", str(receipt(tmp_path, "laat.pdf")), *extra)
        assert r.returncode == 1, r.stderr
        assert "de kosten tot en met 2026-03-02 zijn vastgesteld door Jan de Wit" in r.stderr, r.stderr
        assert "ook niet met --toch" in r.stderr and "Herstel de invoer" in r.stderr
        assert _state(tmp_path) == before
    assert "geen problemen" in cli("check", str(ledger), door=None).stdout
    # Approving the period's open claim changes no cost: it goes through.
    link = [p.link for p in read_ledger(ledger).view.payables if p.status == "ingediend"][0]
    r = cli("declaratie", "goedkeuren", str(ledger), link, door="Joyce Sedney")
    assert r.returncode == 0, r.stderr


def test_a_decision_above_what_was_received_leaves_money_to_receive(tmp_path: Path):
    ledger = _booked_ledger(tmp_path)
    # Only 6,000 of the award was paid out so far.
    ledger.write_text(ledger.read_text(encoding="utf-8").replace(
        "Activa:Bank:Betaalrekening   10000.00 EUR", "Activa:Bank:Betaalrekening   6000.00 EUR"), encoding="utf-8")
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2026-03-02", "--door", "J. de Wit",
            "--kenmerk", "W-2026-0099")
    assert r.returncode == 0, r.stderr
    statement = build_statement(ledger)
    assert statement.to_repay == Decimal("-3500.00")
    page = re.sub(r"\s+", " ", PdfReader(io.BytesIO(render_statement(statement)[0])).pages[0].extract_text())
    assert "Vastgesteld op 2 maart 2026 door J. de Wit: € 9.500,00 kenmerk W-2026-0099" in page
    assert "Nog te ontvangen van de gemeente (ontvangen − vastgesteld) € 3.500,00" in page


# --------------------------------------------------------------------------- in /beheer/ (the web service)


def test_an_auditor_records_the_vaststelling_in_beheer_and_a_beheerder_cannot(tmp_path: Path):
    import base64

    from werkzeug.test import Client

    from buurtbudget_admin.service.users import add_user, users_path
    from buurtbudget_admin.service.wsgi import create_service
    from tests.service_workspace import write_workspace

    def basic(name: str, password: str) -> dict[str, str]:
        # A write must come from a page of the site itself (Origin), as a browser's form post does.
        return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode(),
                "Origin": "http://localhost"}

    workspace = write_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja")
    add_user(users_path(workspace), "j.dewit", "auditor", (), "geheim-auditor", naam="Jan de Wit")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    client = Client(service)
    auditor, anja = basic("j.dewit", "geheim-auditor"), basic("anja", "geheim-anja")
    # Reading with HTTP Basic (scripts); writing from a session of the login form.
    from tests.service_workspace import post_form, session_client

    writers = {"auditor": session_client(service, "j.dewit", "geheim-auditor"),
               "anja": session_client(service, "anja", "geheim-anja"), "": client}
    origin = {"Origin": "http://localhost"}
    ledger = workspace / "testbuurt-2025" / "main.beancount"
    base = "/beheer/testbuurt-2025/extension/Buurtbudget/"

    page = client.get(base, headers=auditor).get_data(as_text=True)
    assert 'id="bb-vaststelling"' in page and "(door Jan de Wit)" in page
    assert 'name="bevestig"' in page and 'id="bb-vaststelling-open"' in page  # the open claims are named
    assert 'id="bb-vaststelling"' not in client.get(base, headers=anja).get_data(as_text=True)

    before = digest(ledger)
    form = {"bedrag": "9.000,00", "datum": "2026-03-02", "kenmerk": "N-2026-0312", "bevestig": "ja"}
    for who, data, status, says in (
        ("anja", form, 403, "Alleen een auditor"),  # the beheerder keeps the books; the stadsdeel decides
        ("", form, 401, ""),
        ("auditor", {**form, "datum": "2025-06-01"}, 400, "fase verantwoording of later"),
        ("auditor", {**form, "bedrag": "10.000,01"}, 400, "hoger dan de toekenning"),
        ("auditor", {**form, "datum": "2 maart"}, 400, "geen datum"),
        ("auditor", {**form, "bedrag": "veel"}, 400, "bedrag"),
        ("auditor", {k: v for k, v in form.items() if k != "bevestig"}, 400, "Bevestig de vaststelling"),
    ):
        response = post_form(writers[who], base + "vaststelling", data)
        assert response.status_code == status, (data, response.get_data(as_text=True)[:300])
        assert says in response.get_data(as_text=True)
        assert digest(ledger) == before
    assert client.post("/buurt/testbuurt-2025/extension/Buurtbudget/vaststelling", data=form).status_code == 403

    assert client.post(base + "vaststelling", data=form, headers=auditor).status_code == 403  # Basic: read-only
    assert digest(ledger) == before
    response = post_form(writers["auditor"], base + "vaststelling", form)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Vaststelling op 2026-03-02 door Jan de Wit: € 9.000,00" in response.get_data(as_text=True)
    assert ('2026-03-02 custom "vaststelling" 9000.00 EUR\n  door: "Jan de Wit"\n  kenmerk: "N-2026-0312"\n'
            in ledger.read_text(encoding="utf-8"))  # the person, not the login
    assert vaststellingen(load_entries(ledger)[0]).latest.door == "Jan de Wit"
    # The phase is vastgesteld everywhere, with what goes back to the city.
    page = client.get(base, headers=anja).get_data(as_text=True)
    assert "Vastgesteld" in page and 'id="bb-terug"' in page and "Terug te betalen aan de gemeente" in page
    landing = client.get("/").get_data(as_text=True)
    card = landing[landing.index('data-slug="testbuurt-2025"'):]
    card = card[:card.index("</article>")]
    assert "Vastgesteld" in card and "€ 9.000,00" in card and "Nog te besteden" not in card
    # The web writer refuses a back-dated cost in the decided period, as the command line does.
    import json

    current = json.loads(client.get("/beheer/testbuurt-2025/api/source", headers=anja).get_data())["data"]
    late = ('\n2025-11-03 * "Bouwmarkt" "Achteraf"\n  document: "bon.pdf"\n'
            "  Uitgaven:Plannen:Speeltuin:Materiaal   99.00 EUR\n  Activa:Bank:Betaalrekening\n")
    before = digest(ledger)
    response = writers["anja"].put("/beheer/testbuurt-2025/api/source", headers=origin,
                                   json={"file_path": current["file_path"], "source": current["source"] + late,
                                         "sha256sum": current["sha256sum"]})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert "zijn vastgesteld door Jan de Wit" in response.get_data(as_text=True)
    assert digest(ledger) == before
    # Every other write stays closed to an auditor.
    assert client.put("/beheer/testbuurt-2025/api/source", json={}, headers=auditor).status_code == 403


def test_the_writer_never_changes_or_removes_a_recorded_decision(tmp_path: Path):
    """Not a command's doing, but the writer's own guard: whatever a caller builds, the decision stays."""
    import pytest

    from buurtbudget_admin.valideren import valideer
    from ledger.schrijver.schrijven import Toch, Wijziging, WijzigingGeweigerd, schrijf

    ledger = _booked_ledger(tmp_path)
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2026-03-02", "--door", "Jan de Wit")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    block = text[text.index('2026-03-02 custom "vaststelling"'):]
    for new_text in (text.replace("9500.00 EUR", "9900.00 EUR"),  # the amount changed
                     text.replace(block, "")):  # the decision removed: the period would be open again
        before = folder_digest(ledger.parent)
        for toch in (None, Toch("het moet")):
            with pytest.raises(WijzigingGeweigerd) as refused:
                schrijf(ledger, lambda stand, t=new_text: Wijziging("anders", vervang=((ledger, t),)),
                        door="Henk", valideer=valideer, toch=toch)
            assert not refused.value.te_forceren
            assert any("kan niet worden gewijzigd of verwijderd" in f.message for f in refused.value.fouten)
            assert folder_digest(ledger.parent) == before


@books()
def test_an_unsealed_decision_replaced_by_a_sealed_correction_no_longer_counts(result):
    """
    2025-12-10 custom "vaststelling" 9000.00 EUR
      door: "J. de Wit"

    2025-12-14 custom "vaststelling" 10000.00 EUR
      door: "J. de Wit"
      kosten: 0.00 EUR
      digest: "sha256:REPLACED"
    """
    # One finding: the correction's digest does not match. The unsealed decision it replaced is history.
    assert result.codes == ["BB-VASTSTELLING"]
    assert "is gewijzigd na het vastleggen" in result.messages[0]
    assert result.lines("BB-VASTSTELLING") == [result.line_of("2025-12-14 custom")]
