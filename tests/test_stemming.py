"""Plans from a vote (model A): ranking, ties, skipping what no longer fits, --proef writes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledger.evaluatie.loading import read_ledger
from ledger.importers.stemming import Kandidaat, UitslagFout, kies_plannen, lees_uitslag, plan_component
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import bean_check, cli, digest, make_ledger

VOTE = (
    "plan,titel,bedrag,stemmen\n"
    "bankjes,Bankjes in het park,900,40\n"
    "feest,Buurtfeest,2500,90\n"
    "moestuin,Moestuin,1000,120\n"
    "kunst,Kunst op de muur,600,120\n"
    "zwembad,Zwembad,50000,300\n"
)


def _view(tmp_path: Path):
    return read_ledger(make_ledger(tmp_path / "b")).view


def test_ranking_by_votes_ties_by_fewer_euros_skip_what_no_longer_fits(tmp_path: Path) -> None:
    view = _view(tmp_path)  # award 10,000; ceiling 800; Speeltuin 5,000 + Groen 3,000 declared
    uitslag = tmp_path / "u.csv"
    uitslag.write_text(VOTE, encoding="utf-8")
    keuze = kies_plannen(view, lees_uitslag(uitslag))
    assert keuze.beschikbaar == Decimal("1200.00")
    assert [(k.kandidaat.plan, k.gekozen) for k in keuze.keuzes] == [
        ("Zwembad", False),   # most votes, does not fit
        ("Kunst", True),      # 120 votes, cheaper than Moestuin: first
        ("Moestuin", False),  # 120 votes, 1,000 > 600 left
        ("Feest", False),
        ("Bankjes", False),
    ]
    assert "past niet meer" in keuze.keuzes[0].reden and "€ 50.000,00" in keuze.keuzes[0].reden
    assert keuze.totaal == Decimal("600.00") and keuze.keuzes[-1].over_na == Decimal("600.00")


def test_a_later_plan_that_fits_is_still_funded(tmp_path: Path) -> None:
    view = _view(tmp_path)
    kandidaten = [Kandidaat("A", "A", Decimal("1000"), 10, 2), Kandidaat("B", "B", Decimal("500"), 9, 3),
                  Kandidaat("C", "C", Decimal("200"), 8, 4)]
    keuze = kies_plannen(view, kandidaten)
    assert [k.gekozen for k in keuze.keuzes] == [True, False, True]  # 1200 - 1000 = 200: B skipped, C fits exactly


def test_already_declared_plan_is_not_declared_twice(tmp_path: Path) -> None:
    keuze = kies_plannen(_view(tmp_path), [Kandidaat("Speeltuin", "S", Decimal("10"), 5, 2)])
    assert not keuze.keuzes[0].gekozen and "al gedeclareerd" in keuze.keuzes[0].reden


def test_cli_proef_writes_nothing_and_the_real_run_declares_the_plans(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    uitslag = tmp_path / "uitslag.csv"
    uitslag.write_text(VOTE.replace(",", ";"), encoding="utf-8")
    before = digest(ledger)
    r = cli("plannen", "stemming", str(ledger), str(uitslag), "--proef", door=None)
    assert r.returncode == 0 and "niets geschreven" in r.stdout and "Kunst" in r.stdout
    assert digest(ledger) == before
    r = cli("plannen", "stemming", str(ledger), str(uitslag), "--datum", "2025-03-01")
    assert r.returncode == 0, r.stderr
    view = read_ledger(ledger).view
    kunst = view.plan("Kunst")
    assert kunst.budget == Decimal("600.00") and kunst.titel == "Kunst op de muur"
    assert kunst.declarations[0].meta["stemmen"] == 120
    assert view.plan("Moestuin") is None
    assert bean_check(ledger).returncode == 0
    # Running it again: nothing fits any more, nothing is written.
    before = digest(ledger)
    r = cli("plannen", "stemming", str(ledger), str(uitslag), "--datum", "2025-03-01")
    assert r.returncode == 0 and digest(ledger) == before


def test_titles_with_quotes_and_line_breaks_are_declared_as_they_were_voted(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    uitslag = tmp_path / "uitslag.csv"
    titel = 'Kunst "op" de muur\nmet een \\ schuine streep\u2028en meer'
    uitslag.write_text('plan,titel,bedrag,stemmen\nkunst,"' + titel.replace('"', '""') + '",600,120\n',
                       encoding="utf-8")
    r = cli("plannen", "stemming", str(ledger), str(uitslag), "--datum", "2025-03-01")
    assert r.returncode == 0, r.stderr
    assert read_ledger(ledger).view.plan("Kunst").titel == titel
    assert bean_check(ledger).returncode == 0


@pytest.mark.parametrize("text,expected", [
    ("plan,titel,stemmen\nx,X,3\n", "bedrag"),
    ("plan,titel,bedrag,stemmen\nx,X,12,5,0,3\n", "meer kolommen"),
    ('plan,titel,bedrag,stemmen\nx,X,"12,5,0",3\n', "geen geldig bedrag"),
    ("plan,titel,bedrag,stemmen\nx,X,-5,3\n", "negatief"),
    ("plan,titel,bedrag,stemmen\nx,X,5,veel\n", "geen geheel getal"),
    ("plan,titel,bedrag,stemmen\nx,X,5,1\nx,Y,6,2\n", "staat er al op regel 2"),
])
def test_bad_vote_file_is_refused_with_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    uitslag = tmp_path / "u.csv"
    uitslag.write_text(text, encoding="utf-8")
    with pytest.raises(UitslagFout) as info:
        lees_uitslag(uitslag)
    assert str(uitslag) in str(info.value) and expected in str(info.value)


def test_openstad_column_names_and_plan_names() -> None:
    assert plan_component("speeltuin opknappen!") == "SpeeltuinOpknappen"
    assert plan_component("12") == "Plan12"


def test_openstad_export_shape(tmp_path: Path) -> None:
    uitslag = tmp_path / "openstad.csv"
    uitslag.write_text("id,title,budget,yes\n17,Meer groen,1250,33\n18,Bankjes,\"1.250,00\",12\n", encoding="utf-8")
    (k, l) = lees_uitslag(uitslag)
    assert (k.plan, k.titel, k.bedrag, k.stemmen) == ("Plan17", "Meer groen", Decimal("1250.00"), 33)
    assert (l.plan, l.bedrag) == ("Plan18", Decimal("1250.00"))


def test_an_amount_that_reads_two_ways_is_refused_with_file_and_line(tmp_path: Path) -> None:
    """`1.250`: one thousand two hundred and fifty, or one and a quarter? Never guessed."""
    uitslag = tmp_path / "openstad.csv"
    uitslag.write_text("id,title,budget,yes\n17,Meer groen,1250,33\n18,Bankjes,1.250,12\n", encoding="utf-8")
    with pytest.raises(UitslagFout) as caught:
        lees_uitslag(uitslag)
    assert f"{uitslag}:3:" in str(caught.value) and "dubbelzinnig" in str(caught.value)


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield
