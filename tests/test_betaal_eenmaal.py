"""Payments once: `betaal` records its batch in the ledger, never pays an item twice, and a return reopens it.

    2025-05-08 custom "betaalopdracht" "BB-20250508-001-4F2A"
      links: "decl-2025-001"
      aantal: 1
      totaal: 64.20 EUR
      bestand: "a.xml"
      door: "Henk"

All through the real CLI in subprocesses; every refusal hashes the ledger before and after.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from beancount.core import data
from lxml import etree

from ledger.betalingen.batches import SCHEMA_PATH
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import (
    IBAN, RESIDENT_IBAN, Line, bean_check, bean_errors, camt053, cli, digest, make_ledger, mt940, receipt,
)

D = datetime.date
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
START = Decimal("10000.00")


def _approved_claim(ledger: Path, tmp: Path, bedrag: str = "64,20") -> str:
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-02", "--declarant", "Fatima el Amrani",
            "--iban", RESIDENT_IBAN, "--bedrag", bedrag, "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "bollen", "--bon", str(receipt(tmp)))
    assert r.returncode == 0, r.stderr
    link = [p.link for p in read_ledger(ledger).view.payables][-1]
    assert cli("declaratie", "goedkeuren", str(ledger), link, door="Ria").returncode == 0
    return link


def _refused(ledger: Path, *args: str, files: tuple[Path, ...] = ()) -> str:
    """A refusal: non-zero, Dutch on stderr, the ledger and the named files byte-identical."""
    watched = [ledger, *files]
    watched = [p for p in watched if not p.is_dir()]
    before = {p: (digest(p) if p.exists() else None) for p in watched}
    def listing(folder: Path) -> list[str]:
        # The writer's own lock and cache may appear; anything else (a half-written file) may not.
        return sorted(x.name for x in folder.iterdir() if x.name != ".buurtbudget-cache")

    folder_before = {p.parent: listing(p.parent) for p in watched if p.parent.is_dir()}
    r = cli(*args)
    assert r.returncode != 0, r.stdout
    assert {p: (digest(p) if p.exists() else None) for p in watched} == before
    assert {p.parent: listing(p.parent) for p in watched if p.parent.is_dir()} == folder_before  # no temp files
    out = r.stdout + r.stderr
    assert "interne fout" not in out and "Traceback" not in out
    assert r.stderr.startswith("fout: ")
    return r.stderr


def _e2e(path: Path) -> list[str]:
    return [e.text for e in etree.parse(str(path)).findall(".//p:EndToEndId", NS)]


def _msgid(path: Path) -> str:
    return etree.parse(str(path)).findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)


def _is_id(msgid: str, prefix: str) -> bool:
    """A MsgId: date and batch number, then the ledger's tag."""
    return re.fullmatch(rf"{prefix}-[0-9A-F]{{4}}", msgid) is not None


def _customs(ledger: Path, kind: str) -> list[data.Custom]:
    return [e for e in read_ledger(ledger).entries if isinstance(e, data.Custom) and e.type == kind]


def test_betaal_twice_pays_nothing_the_second_time(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    link = _approved_claim(ledger, tmp_path)
    first = tmp_path / "a.xml"
    r = cli("betaal", str(ledger), "-o", str(first), "--datum", "2025-05-08")
    assert r.returncode == 0, r.stderr
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(first))
    assert _e2e(first) == [link] and _is_id(_msgid(first), "BB-20250508-001")
    (batch,) = _customs(ledger, "betaalopdracht")
    assert _is_id(batch.values[0].value, "BB-20250508-001") and batch.date == D(2025, 5, 8)
    assert batch.meta["links"] == link and batch.meta["door"] == "Henk" and batch.meta["aantal"] == 1
    assert batch.meta["totaal"].number == Decimal("64.20") and batch.meta["bestand"] == "a.xml"
    assert bean_check(ledger).returncode == 0

    # Second run, another file name: nothing to pay, no file, the ledger unchanged, exit 0.
    before = digest(ledger)
    second = tmp_path / "b.xml"
    r = cli("betaal", str(ledger), "-o", str(second), "--datum", "2025-05-09")
    assert r.returncode == 0, r.stderr
    msgid = _msgid(first)
    assert "Niets te betalen" in r.stdout and msgid in r.stdout and link in r.stdout
    assert f"--intrekken {msgid}" in r.stdout
    assert not second.exists() and digest(ledger) == before
    # The same file name again: nothing to pay either (and the first file is left alone).
    first_bytes = first.read_bytes()
    r = cli("betaal", str(ledger), "-o", str(first))
    assert r.returncode == 0 and "Niets te betalen" in r.stdout
    assert first.read_bytes() == first_bytes and digest(ledger) == before


def test_a_cancelled_batch_makes_its_items_payable_again(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    link = _approved_claim(ledger, tmp_path)
    assert cli("betaal", str(ledger), "-o", str(tmp_path / "a.xml"), "--datum", "2025-05-08").returncode == 0
    msgid = _msgid(tmp_path / "a.xml")
    # A second claim approved later goes into a batch of its own; the first is not paid again.
    other = _approved_claim(ledger, tmp_path, "12,00")
    r = cli("betaal", str(ledger), "-o", str(tmp_path / "b.xml"), "--datum", "2025-05-09")
    assert r.returncode == 0, r.stderr
    assert _e2e(tmp_path / "b.xml") == [other] and _is_id(_msgid(tmp_path / "b.xml"), "BB-20250509-002")

    err = _refused(ledger, "betaal", str(ledger), "--intrekken", "BB-20990101-001")
    assert "BB-20990101-001 staat niet in deze ledger" in err and msgid in err

    r = cli("betaal", str(ledger), "--intrekken", msgid, "--reden", "niet geüpload", "--datum", "2025-05-10")
    assert r.returncode == 0, r.stderr
    assert link in r.stdout and "weer te betalen" in r.stdout
    (cancel,) = _customs(ledger, "betaalopdracht-ingetrokken")
    assert _is_id(cancel.values[0].value, "BB-20250508-001") and cancel.meta["door"] == "Henk"
    assert cancel.meta["reden"] == "niet geüpload"
    err = _refused(ledger, "betaal", str(ledger), "--intrekken", msgid)
    assert "al ingetrokken" in err

    r = cli("betaal", str(ledger), "-o", str(tmp_path / "c.xml"), "--datum", "2025-05-11")
    assert r.returncode == 0, r.stderr
    assert _e2e(tmp_path / "c.xml") == [link] and _is_id(_msgid(tmp_path / "c.xml"), "BB-20250511-003")
    assert bean_errors(ledger) == []


def test_a_claim_out_at_the_bank_is_not_rejected_until_its_batch_is_cancelled(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    link = _approved_claim(ledger, tmp_path)
    assert cli("betaal", str(ledger), "-o", str(tmp_path / "a.xml"), "--datum", "2025-05-08").returncode == 0
    msgid = _msgid(tmp_path / "a.xml")

    # The bank will pay it whatever the books say: a rejection now would hide a payment.
    err = _refused(ledger, "declaratie", "afwijzen", str(ledger), link, "--reden", "dubbel ingediend", "--door", "Ria")
    assert f"staat in betaalopdracht {msgid}" in err and f"--intrekken {msgid}" in err

    assert cli("betaal", str(ledger), "--intrekken", msgid, "--datum", "2025-05-09").returncode == 0
    r = cli("declaratie", "afwijzen", str(ledger), link, "--reden", "dubbel ingediend", "--door", "Ria")
    assert r.returncode == 0, r.stderr
    (claim,) = [p for p in read_ledger(ledger).view.payables if p.link == link]
    assert claim.status == "afgewezen" and claim.rejection == "dubbel ingediend"
    assert bean_errors(ledger) == []


def test_the_payment_file_never_lands_on_a_ledger_a_file_or_in_documents(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    _approved_claim(ledger, tmp_path)
    included = ledger.parent / "2025.beancount"
    included.write_text("; the bookings of 2025 (empty so far)\n", encoding="utf-8")
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write('\ninclude "2025.beancount"\n')
    neighbour = make_ledger(tmp_path / "buren")
    (neighbour.parent / "documents").mkdir(exist_ok=True)
    existing = tmp_path / "brief.txt"
    existing.write_text("niet overschrijven\n", encoding="utf-8")
    folder = tmp_path / "map"
    folder.mkdir()

    cases = [
        (ledger, "ledgerbestand"),
        (included, "ledgerbestand"),
        (neighbour, "ledgerbestand"),
        (ledger.parent / "documents" / "betaling.xml", "bonnenmap"),
        (neighbour.parent / "documents" / "betaling.xml", "bonnenmap"),
        (existing, "bestaat al"),
        (folder, "is een map"),
        (tmp_path / "nergens" / "betaling.xml", "bestaat niet"),
    ]
    for target, words in cases:
        err = _refused(ledger, "betaal", str(ledger), "-o", str(target), files=(target, neighbour, included))
        assert words in err and str(target) in err, (target, err)
    # With nothing to pay a ledger or documents/ is still refused (an existing other file is just left alone).
    empty = make_ledger(tmp_path / "leeg")
    for target in (empty, empty.parent / "documents" / "betaling.xml"):
        _refused(empty, "betaal", str(empty), "-o", str(target), files=(target,))
    # --overschrijven replaces only an earlier payment file: never a ledger, never another file.
    for target in (ledger, included, existing):
        err = _refused(ledger, "betaal", str(ledger), "-o", str(target), "--overschrijven", files=(target,))
        assert "ledgerbestand" in err or "geen eerder betaalbestand" in err
    # A symlink named like a payment file that points at the ledger is the ledger.
    link_path = tmp_path / "betaling.xml"
    link_path.symlink_to(ledger)
    err = _refused(ledger, "betaal", str(ledger), "-o", str(link_path), "--overschrijven", files=(link_path,))
    assert "ledgerbestand" in err
    link_path.unlink()

    earlier = tmp_path / "vorige.xml"
    r = cli("betaal", str(ledger), "-o", str(earlier), "--datum", "2025-05-08")
    assert r.returncode == 0, r.stderr
    assert cli("betaal", str(ledger), "--intrekken", _msgid(earlier)).returncode == 0
    r = cli("betaal", str(ledger), "-o", str(earlier), "--overschrijven", "--datum", "2025-05-09")
    assert r.returncode == 0, r.stderr
    assert _is_id(_msgid(earlier), "BB-20250509-002")
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(earlier))
    included.unlink()
    ledger.write_text(ledger.read_text(encoding="utf-8").replace('include "2025.beancount"\n', ""), encoding="utf-8")


# --------------------------------------------------------------------------- returns


def _payment_statement(path: Path, link: str) -> Path:
    line = Line(D(2025, 5, 9), Decimal("-64.20"), "B-0001", "Fatima el Amrani", "Declaratie", link)
    path.write_bytes(camt053(IBAN, [line], START, D(2025, 5, 9)))
    return path


def _return_statement(path: Path, fmt: str, link: str) -> Path:
    """The bank sends the € 64,20 back on 14 May: account closed (AC04)."""
    line = Line(D(2025, 5, 14), Decimal("64.20"), "R-0001", "Fatima el Amrani", "Retour", link)
    opening = START - Decimal("64.20")
    if fmt == "camt053":
        xml = camt053(IBAN, [line], opening, D(2025, 5, 14)).decode()
        xml = xml.replace("</RmtInf></TxDtls>",
                          "</RmtInf><RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Rekening opgeheven</AddtlInf>"
                          "</RtrInf></TxDtls>")
        xml = xml.replace("<SubFmlyCd>ESCT</SubFmlyCd>", "<SubFmlyCd>RRTN</SubFmlyCd>")
        path.write_text(xml, encoding="utf-8")
    elif fmt == "mt940":
        text = mt940(IBAN, [line], opening, D(2025, 5, 14))
        text = text.replace(f"NTRF{link}//R-0001", f"NRTI{link}//R-0001").replace(":86:/EREF/", ":86:/RTRN/AC04//EREF/")
        path.write_text(text, encoding="utf-8")
    else:
        path.write_text(
            "rekening;datum;bedrag;tegenpartij;tegenrekening;omschrijving;referentie;end-to-end-id;retour-reden;saldo\n"
            f"{IBAN};2025-05-14;64,20;Fatima el Amrani;{RESIDENT_IBAN};Retour;R-0001;{link};AC04;10.000,00\n",
            encoding="utf-8")
    return path


def test_a_batch_the_bank_carried_out_cannot_be_withdrawn(tmp_path: Path) -> None:
    """Every payment of the batch is on a statement: withdrawing it would only rewrite the story."""
    ledger = make_ledger(tmp_path / "b")
    link = _approved_claim(ledger, tmp_path)
    assert cli("betaal", str(ledger), "-o", str(tmp_path / "a.xml"), "--datum", "2025-05-08").returncode == 0
    msgid = _msgid(tmp_path / "a.xml")
    r = cli("import", str(ledger), str(_payment_statement(tmp_path / "afschrift.xml", link)))
    assert r.returncode == 0, r.stderr
    err = _refused(ledger, "betaal", str(ledger), "--intrekken", msgid)
    assert f"betaalopdracht {msgid} is al door de bank uitgevoerd" in err
    assert _customs(ledger, "betaalopdracht-ingetrokken") == []


@pytest.mark.parametrize("fmt", ["camt053", "mt940", "csv"])
def test_a_returned_payment_reopens_the_claim_for_the_next_batch(tmp_path: Path, fmt: str) -> None:
    ledger = make_ledger(tmp_path / "b")
    link = _approved_claim(ledger, tmp_path)
    assert cli("betaal", str(ledger), "-o", str(tmp_path / "a.xml"), "--datum", "2025-05-08").returncode == 0
    r = cli("import", str(ledger), str(_payment_statement(tmp_path / "betaling.xml", link)))
    assert r.returncode == 0, r.stderr
    loaded = read_ledger(ledger)
    (claim,) = loaded.view.payables
    assert claim.status == "betaald" and _is_id(claim.payments[0].meta["betaalopdracht"], "BB-20250508-001")
    r = cli("betaal", str(ledger), "-o", str(tmp_path / "leeg.xml"))
    assert "Niets te betalen" in r.stdout and not (tmp_path / "leeg.xml").exists()

    ext = {"camt053": "xml", "mt940": "sta", "csv": "csv"}[fmt]
    statement = _return_statement(tmp_path / f"retour.{ext}", fmt, link)
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    assert "terug" in r.stdout
    loaded = read_ledger(ledger)
    (claim,) = loaded.view.payables
    assert claim.status == "goedgekeurd" and len(claim.payments) == 1
    (ret,) = claim.returns
    assert ret.links == frozenset({link}) and ret.meta["retour-reden"] == "AC04" and ret.meta["bank-ref"] == "R-0001"
    assert "AC04 rekening opgeheven" in ret.narration
    assert [(p.account, p.units.number) for p in ret.postings] == [
        ("Passiva:Declaraties", Decimal("-64.20")), ("Activa:Bank:Betaalrekening", Decimal("64.20"))]
    assert loaded.view.bank_balance == START and loaded.view.open_claims == Decimal("64.20")
    assert bean_errors(ledger) == []
    # The same return again adds nothing.
    before = digest(ledger)
    assert cli("import", str(ledger), str(statement)).returncode == 0 and digest(ledger) == before

    # Payable in the next batch, with a warning to check the IBAN.
    again = tmp_path / "opnieuw.xml"
    r = cli("betaal", str(ledger), "-o", str(again), "--datum", "2025-05-20")
    assert r.returncode == 0, r.stderr
    assert _e2e(again) == [link] and _is_id(_msgid(again), "BB-20250520-002")
    assert "kwam eerder terug" in r.stderr and "AC04" in r.stderr
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(again))
    r = cli("betaal", str(ledger), "-o", str(tmp_path / "nog-eens.xml"))
    assert "Niets te betalen" in r.stdout and _msgid(again) in r.stdout
    assert bean_check(ledger).returncode == 0


def test_a_camt_return_without_end_to_end_id_is_found_by_the_link_in_its_text(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    link = _approved_claim(ledger, tmp_path)
    assert cli("betaal", str(ledger), "-o", str(tmp_path / "a.xml"), "--datum", "2025-05-08").returncode == 0
    assert cli("import", str(ledger), str(_payment_statement(tmp_path / "betaling.xml", link))).returncode == 0
    statement = _return_statement(tmp_path / "retour.xml", "camt053", link)
    xml = statement.read_text(encoding="utf-8")
    xml = xml.replace(f"<EndToEndId>{link}</EndToEndId>", "<EndToEndId>NOTPROVIDED</EndToEndId>")
    xml = xml.replace("<Ustrd>Retour</Ustrd>", f"<Ustrd>Retour Declaratie {link}: bollen</Ustrd>")
    statement.write_text(xml, encoding="utf-8")
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    (claim,) = read_ledger(ledger).view.payables
    assert claim.status == "goedgekeurd" and claim.returns[0].meta["retour-reden"] == "AC04"


def test_a_return_nobody_can_place_goes_to_onverwerkt_with_its_reason(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    statement = tmp_path / "retour.csv"
    statement.write_text(
        "rekening;datum;bedrag;tegenpartij;omschrijving;referentie;end-to-end-id;retour-reden;saldo\n"
        f"{IBAN};2025-05-14;12,00;Onbekend;Retour;R-9;decl-2099-001;MS03;10.012,00\n", encoding="utf-8")
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    (entry,) = [e for e in read_ledger(ledger).entries if isinstance(e, data.Transaction) and e.meta.get("bank-ref") == "R-9"]
    assert entry.flag == "!" and entry.meta["retour-reden"] == "MS03" and not entry.links
    assert [p.account for p in entry.postings] == ["Activa:Bank:Betaalrekening", "Activa:Onverwerkt"]


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield
