"""The vaststelling: the stadsdeel's final decision, in the books, on the statement, guarded by BB-VASTSTELLING."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

from pypdf import PdfReader

from ledger.loading import load_entries
from ledger.vaststelling import terug_te_betalen, vaststelling_tekst, vaststellingen
from reports.context import build_statement
from reports.render import render_statement
from tests.books import books
from tests.dagelijks_helpers import bean_check, cli, digest, make_ledger, receipt

# --------------------------------------------------------------------------- the rule


@books()
def test_costs_after_the_decision_are_flagged(result):
    """
    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 5000.00 EUR

    2025-12-15 custom "vaststelling" 9500.00 EUR
      door: "J. de Wit (stadsdeel West)"
      kenmerk: "W-2025-0312"

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

    2025-12-12 * "Bouwmarkt" "Verwerkt in de correctie"
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
      Assets:Bank:Betaalrekening

    2025-12-14 custom "vaststelling" 9500.00 EUR
      door: "P. Jansen"
      kenmerk: "W-2025-0400"
    """
    assert result.codes == []
    found = vaststellingen(result.entries)
    assert found.latest.bedrag == Decimal("9500.00") and found.latest.door == "P. Jansen"
    assert found.latest.kenmerk == "W-2025-0400"
    assert [v.bedrag for v in found.earlier] == [Decimal("9000.00")]


@books()
def test_a_decision_above_the_award_or_unreadable_is_flagged(result):
    """
    2025-12-10 custom "vaststelling" 10000.01 EUR
      door: "J. de Wit"

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
    """
    assert result.codes == []


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


def test_vaststellen_refuses_what_cannot_be_decided_and_leaves_the_ledger_alone(tmp_path: Path):
    ledger = _booked_ledger(tmp_path)
    before = digest(ledger)
    cases = [
        (["--bedrag", "9500", "--datum", "2025-06-01", "--door", "J. de Wit"], "fase verantwoording of later"),
        (["--bedrag", "10.000,01", "--datum", "2026-03-02", "--door", "J. de Wit"], "hoger dan de toekenning"),
        (["--bedrag", "-1", "--datum", "2026-03-02", "--door", "J. de Wit"], ""),
        (["--bedrag", "9500", "--datum", "2026-03-02", "--door", "J. de\nWit"], "op één regel"),
        (["--bedrag", "9500", "--datum", "2026-13-02", "--door", "J. de Wit"], "geen datum"),
        (["--bedrag", "9500", "--datum", "2026-03-02", "--door", "  "], "--door is leeg"),
    ]
    for args, expected in cases:
        r = cli("vaststellen", str(ledger), *args)
        assert r.returncode != 0, (args, r.stdout)
        assert "Traceback" not in r.stderr and r.stderr.startswith("fout:"), r.stderr
        assert expected in r.stderr, (expected, r.stderr)
        assert digest(ledger) == before


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
    r = cli("vaststellen", str(ledger), "--bedrag", "9.000,00", "--datum", "2026-03-02",
            "--door", 'J. "Jan" de Wit (stadsdeel West)', "--kenmerk", "W-2026-0312")
    assert r.returncode == 0, r.stderr
    assert "Vaststelling op 2026-03-02 door J. \"Jan\" de Wit (stadsdeel West): € 9.000,00" in r.stdout
    text = ledger.read_text(encoding="utf-8")
    assert ('2026-03-02 custom "vaststelling" 9000.00 EUR\n  door: "J. \\"Jan\\" de Wit (stadsdeel West)"\n'
            '  kenmerk: "W-2026-0312"\n') in text
    assert bean_check(ledger).returncode == 0
    # A correction: the latest holds, the earlier one stays named.
    r = cli("vaststellen", str(ledger), "--bedrag", "9500", "--datum", "2026-03-09", "--door", "P. Jansen")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Correctie van de vaststelling op 2026-03-09 door P. Jansen: € 9.500,00")

    statement = build_statement(ledger)
    assert statement.vastgesteld.bedrag == Decimal("9500.00")
    assert statement.to_repay == Decimal("500.00")  # received 10,000 − vastgesteld 9,500
    pdf, _ = render_statement(statement)
    page = re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Vastgesteld op 9 maart 2026 door P. Jansen: € 9.500,00" in page
    assert ('eerder vastgesteld op 2 maart 2026 door J. "Jan" de Wit (stadsdeel West) (kenmerk W-2026-0312): € 9.000,00'
            in page)
    assert "Terug te betalen aan de gemeente (ontvangen − vastgesteld) € 500,00" in page


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
    add_user(users_path(workspace), "j.dewit", "auditor", (), "geheim-auditor")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    client = Client(service)
    auditor, anja = basic("j.dewit", "geheim-auditor"), basic("anja", "geheim-anja")
    # Reading with HTTP Basic (scripts); writing from a session of the login form.
    from tests.service_workspace import session_client

    writers = {"auditor": session_client(service, "j.dewit", "geheim-auditor"),
               "anja": session_client(service, "anja", "geheim-anja"), "": client}
    origin = {"Origin": "http://localhost"}
    ledger = workspace / "testbuurt-2025" / "main.beancount"
    base = "/beheer/testbuurt-2025/extension/Buurtbudget/"

    page = client.get(base, headers=auditor).get_data(as_text=True)
    assert 'id="bb-vaststelling"' in page and "(door j.dewit)" in page
    assert 'id="bb-vaststelling"' not in client.get(base, headers=anja).get_data(as_text=True)

    before = digest(ledger)
    form = {"bedrag": "9.000,00", "datum": "2026-03-02", "kenmerk": "N-2026-0312"}
    for who, data, status, says in (
        ("anja", form, 403, "Alleen een auditor"),  # the beheerder keeps the books; the stadsdeel decides
        ("", form, 401, ""),
        ("auditor", {**form, "datum": "2025-06-01"}, 400, "fase verantwoording of later"),
        ("auditor", {**form, "bedrag": "10.000,01"}, 400, "hoger dan de toekenning"),
        ("auditor", {**form, "datum": "2 maart"}, 400, "geen datum"),
        ("auditor", {**form, "bedrag": "veel"}, 400, "bedrag"),
    ):
        response = writers[who].post(base + "vaststelling", data=data, headers=origin)
        assert response.status_code == status, (data, response.get_data(as_text=True)[:300])
        assert says in response.get_data(as_text=True)
        assert digest(ledger) == before
    assert client.post("/buurt/testbuurt-2025/extension/Buurtbudget/vaststelling", data=form).status_code == 403

    assert client.post(base + "vaststelling", data=form, headers=auditor).status_code == 403  # Basic: read-only
    assert digest(ledger) == before
    response = writers["auditor"].post(base + "vaststelling", data=form, headers=origin)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Vaststelling op 2026-03-02 door j.dewit: € 9.000,00" in response.get_data(as_text=True)
    assert ('2026-03-02 custom "vaststelling" 9000.00 EUR\n  door: "j.dewit"\n  kenmerk: "N-2026-0312"\n'
            in ledger.read_text(encoding="utf-8"))
    assert vaststellingen(load_entries(ledger)[0]).latest.door == "j.dewit"
    # Every other write stays closed to an auditor.
    assert client.put("/beheer/testbuurt-2025/api/source", json={}, headers=auditor).status_code == 403
