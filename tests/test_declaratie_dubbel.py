"""A second claim for one expense is refused unless confirmed with a reason.

Each test's docstring is the ledger's tail as it stands (the standard Dutch
ledger of `tests.dagelijks_helpers` before it); `documents/bollen.pdf` is the
receipt of the claim already there. The claim is entered through the real
writer (`ledger.schrijver.schrijven.schrijf` with the builder `maak_declaratie`) or the
real command line.
"""

from __future__ import annotations

import datetime
import inspect
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from buurtbudget_admin.valideren import valideer
from ledger.schrijver.boekingen import DeclaratieInvoer, DubbeleDeclaratie, VeldFout, maak_declaratie
from ledger.evaluatie.loading import read_ledger
from ledger.schrijver.schrijven import schrijf
from ledger.evaluatie.signalen import betalingen_van, signalen_van, kenmerken_van
from tests.books import BON_PDF
from tests.dagelijks_helpers import LEDGER, RESIDENT_IBAN, cli, folder_digest, receipt

BOLLEN = BON_PDF.replace(b"% bon\n", b"% bollen van de Hortus\n")


def _ledger(tmp_path: Path, tail: str) -> Path:
    folder = tmp_path / "buurt"
    (folder / "documents").mkdir(parents=True)
    (folder / "documents" / "bollen.pdf").write_bytes(BOLLEN)
    path = folder / "main.beancount"
    path.write_text(LEDGER + textwrap.dedent(tail), encoding="utf-8")
    return path


def _from_doc(tmp_path: Path) -> Path:
    caller = inspect.stack()[1].function
    return _ledger(tmp_path, globals()[caller].__doc__.split("\n", 1)[1])


def _invoer(bon: Path, **changes) -> DeclaratieInvoer:
    base = dict(datum=datetime.date(2025, 5, 2), declarant="Fatima el Amrani", iban=RESIDENT_IBAN,
                bedrag=Decimal("64.20"), plan="Groen", categorie="Materiaal", omschrijving="bloembollen",
                door="Henk Bakker", bon=bon)
    return DeclaratieInvoer(**{**base, **changes})


def _dien_in(ledger: Path, invoer: DeclaratieInvoer):
    return schrijf(ledger, lambda stand: maak_declaratie(stand, invoer), door="Henk Bakker", valideer=valideer)


def test_the_same_receipt_again_is_refused_naming_the_claim_and_the_ledger_stays_byte_identical(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Groen:Materiaal EUR

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "documents/bollen.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties   -64.20 EUR
    """
    ledger = _from_doc(tmp_path)
    foto = tmp_path / "foto-van-dezelfde-bon.pdf"
    foto.write_bytes(BOLLEN)  # the same file under another name, another person, another amount
    before = folder_digest(ledger.parent)
    with pytest.raises(DubbeleDeclaratie) as refused:
        _dien_in(ledger, _invoer(foto, declarant="Piet de Vries", bedrag=Decimal("12.00"),
                                 datum=datetime.date(2025, 5, 20), omschrijving="koffie"))
    fout = refused.value
    assert fout.veld == "bon" and fout.link == "decl-2025-001"
    regel = ledger.read_text(encoding="utf-8").split("\n").index(
        '2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001') + 1
    assert fout.bestand == str(ledger) and fout.regel == regel
    assert "^decl-2025-001" in str(fout) and f"{ledger}:{fout.regel}" in str(fout)
    assert "deze bon is al ingediend" in str(fout) and "--toch --reden" in str(fout)
    assert folder_digest(ledger.parent) == before


def test_same_declarant_date_and_amount_is_refused_beside_the_amount(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Groen:Materiaal EUR

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "documents/bollen.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties   -64.20 EUR
    """
    ledger = _from_doc(tmp_path)
    before = folder_digest(ledger.parent)
    # Another photo, the same description: one purchase handed in twice (SIG-DUBBEL's predicate).
    # The name as typed with other capitals and spaces is the same person.
    with pytest.raises(DubbeleDeclaratie) as refused:
        _dien_in(ledger, _invoer(receipt(tmp_path, "andere-foto.pdf"), declarant="fatima  el Amrani"))
    assert refused.value.veld == "bedrag" and refused.value.link == "decl-2025-001"
    assert "dezelfde declarant, datum en hetzelfde bedrag" in str(refused.value)
    assert folder_digest(ledger.parent) == before

    # Two purchases, each with its own receipt and its own description, are no double (as the signal).
    result = _dien_in(ledger, _invoer(receipt(tmp_path, "tulpen.pdf"), omschrijving="tulpen bij de speeltuin"))
    assert result.gewijzigd and "dubbel-reden" not in ledger.read_text(encoding="utf-8")


def test_confirmed_with_a_visible_reason_it_is_written_with_the_reason(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Groen:Materiaal EUR

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "documents/bollen.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties   -64.20 EUR
    """
    ledger = _from_doc(tmp_path)
    nog_eens = receipt(tmp_path, "nog-eens.pdf")
    before = folder_digest(ledger.parent)
    for reden, veld in ((None, "reden"), ("   ", "reden"), ("\u200b\u200b", "reden")):
        with pytest.raises(VeldFout) as refused:
            _dien_in(ledger, _invoer(nog_eens, toch=True, reden=reden))
        assert refused.value.veld == veld, reden
        assert folder_digest(ledger.parent) == before

    result = _dien_in(ledger, _invoer(nog_eens, toch=True, reden="twee keer dezelfde bestelling, beide geleverd"))
    assert result.gewijzigd
    loaded = read_ledger(ledger)
    claim = next(p for p in loaded.view.payables if p.link == "decl-2025-002")
    assert claim.entry.meta["dubbel-reden"] == "twee keer dezelfde bestelling, beide geleverd"
    assert claim.entry.meta["dubbel-van"] == "^decl-2025-001"
    assert claim.status == "ingediend" and claim.amount == Decimal("64.20")
    # The signal still says what happened: confirming is a reason, not a disguise.
    view = loaded.view
    found = signalen_van(betalingen_van("buurt", view, loaded.entries, loaded.options_map),
                         [kenmerken_van("buurt", view)])
    assert [s.links for s in found if s.code == "SIG-DUBBEL"] == [("decl-2025-001", "decl-2025-002")]


def test_a_reason_without_a_double_writes_no_reason(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Groen:Materiaal EUR
    """
    ledger = _from_doc(tmp_path)
    result = _dien_in(ledger, _invoer(receipt(tmp_path), toch=True, reden="voor de zekerheid"))
    assert result.gewijzigd and "dubbel-reden" not in ledger.read_text(encoding="utf-8")


def test_the_cli_refuses_a_double_and_writes_it_with_toch_and_reden(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Groen:Materiaal EUR

    2025-05-02 ! "Fatima el Amrani" "Declaratie: bloembollen" ^decl-2025-001
      declarant: "Fatima el Amrani"
      iban: "NL02ABNA0123456789"
      prive: TRUE
      document: "documents/bollen.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
      Passiva:Declaraties   -64.20 EUR
    """
    ledger = _from_doc(tmp_path)
    dezelfde = tmp_path / "scan.pdf"
    dezelfde.write_bytes(BOLLEN)
    args = ("declaratie", "indienen", str(ledger), "--datum", "2025-05-03", "--declarant", "Jan Jansen",
            "--iban", RESIDENT_IBAN, "--bedrag", "10,00", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "zaaigoed", "--bon", str(dezelfde))
    before = folder_digest(ledger.parent)
    r = cli(*args, door="Henk Bakker")
    assert r.returncode == 2 and "deze bon is al ingediend" in r.stderr and "^decl-2025-001" in r.stderr
    assert "Traceback" not in r.stderr
    assert folder_digest(ledger.parent) == before
    r = cli(*args, "--toch", "--reden", "\u200b", door="Henk Bakker")  # a reason nobody can read
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert folder_digest(ledger.parent) == before
    r = cli(*args, "--toch", "--reden", "bon gedeeld: de helft voor Jan", door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    text = ledger.read_text(encoding="utf-8")
    assert '^decl-2025-002\n  declarant: "Jan Jansen"' in text
    assert '  dubbel-van: "^decl-2025-001"\n  dubbel-reden: "bon gedeeld: de helft voor Jan"' in text
