"""The settlement: award minus costs (claims counted) owed back to the city."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import RESIDENT_IBAN, bean_check, cli, digest, make_ledger, receipt


def test_settlement_books_the_unspent_amount_and_closes_the_budget(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    bon = receipt(tmp_path)
    assert cli("boek", str(ledger), "--datum", "2025-03-10", "--bedrag", "400", "--plan", "Speeltuin",
               "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Hout",
               "--bon", str(bon)).returncode == 0
    # An open claim counts as spent.
    assert cli("declaratie", "indienen", str(ledger), "--datum", "2025-06-01", "--declarant", "Fatima",
               "--iban", RESIDENT_IBAN, "--bedrag", "100", "--plan", "Groen", "--categorie", "Materiaal",
               "--omschrijving", "bollen", "--bon", str(receipt(tmp_path, "bollen.pdf"))).returncode == 0
    before = digest(ledger)
    r = cli("afsluiten", str(ledger), "--datum", "2025-12-31")
    assert r.returncode != 0 and "na het einde" in r.stderr and digest(ledger) == before
    r = cli("afsluiten", str(ledger), "--datum", "2026-01-31")
    assert r.returncode == 0, r.stderr
    assert "€ 9.500,00" in r.stdout
    view = read_ledger(ledger).view
    assert view.settled == Decimal("9500.00") and view.fase == "afgesloten"
    assert view.award == Decimal("10000.00")  # the settlement does not change the award
    text = ledger.read_text(encoding="utf-8")
    assert "Passiva:Gemeente:Terugbetaling   -9500.00 EUR" in text
    assert bean_check(ledger).returncode == 0
    before = digest(ledger)
    r = cli("afsluiten", str(ledger), "--datum", "2026-02-01")
    assert r.returncode != 0 and "al afgesloten" in r.stderr and digest(ledger) == before


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield


def test_after_the_settlement_only_what_follows_it_may_be_written(tmp_path: Path) -> None:
    """The closed period: nothing dated up to the settlement changes without --toch.

        2026-01-31 * "Gemeente Amsterdam" "Afsluiting: niet besteed deel van de toekenning" #afsluiting
          Inkomsten:Terugbetaling              10000.00 EUR
          Passiva:Gemeente:Terugbetaling      -10000.00 EUR
    """
    from buurtbudget_admin.valideren import valideer
    from ledger.schrijver.schrijven import Toch, Wijziging, WijzigingGeweigerd, schrijf

    ledger = make_ledger(tmp_path / "b")
    assert cli("afsluiten", str(ledger), "--datum", "2026-01-31").returncode == 0
    text = ledger.read_text(encoding="utf-8")
    assert "Inkomsten:Terugbetaling   10000.00 EUR" in text
    before = digest(ledger)
    late_open = "2025-01-01 open Activa:Spaarrekening EUR\n"
    with pytest.raises(WijzigingGeweigerd) as info:
        schrijf(ledger, lambda s: Wijziging("open", late_open), door="Henk", valideer=valideer)
    assert info.value.te_forceren and "BB-AFGESLOTEN" in str(info.value) and "2026-01-31" in str(info.value)
    assert digest(ledger) == before
    # The repayment to the city, after the settlement: an ordinary write.
    repayment = ('2026-02-10 * "Gemeente Amsterdam" "Terugbetaling niet besteed deel"\n'
                 '  Passiva:Gemeente:Terugbetaling   10000.00 EUR\n  Activa:Bank:Betaalrekening\n')
    assert schrijf(ledger, lambda s: Wijziging("terug", repayment), door="Henk", valideer=valideer).gewijzigd
    # Forced, the entry says why and who.
    result = schrijf(ledger, lambda s: Wijziging("open", late_open), door="Henk", valideer=valideer,
                     toch=Toch("spaarrekening vergeten"))
    assert [f.message.split()[0] for f in result.geforceerd] == ["BB-AFGESLOTEN"]
    assert ('2025-01-01 open Activa:Spaarrekening EUR\n  toch-reden: "spaarrekening vergeten"\n'
            '  toch-door: "Henk"\n') in ledger.read_text(encoding="utf-8")
    assert bean_check(ledger).returncode == 0
