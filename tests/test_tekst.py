"""Ledger text is written one way (ledger/buurtbudget/tekst.py), and beancount reads back what was written."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import parser
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.buurtbudget import tekst

D = datetime.date(2025, 3, 10)
TRICKY = ['a"b', "a\\b", "a\\", "\\\"", "regel\u2028twee", "para\u2029graaf", "nel\u0085x", "form\ffeed",
          "tab\there", "nieuwe\nregel", "cr\rlf\r\n", "nul\x00byte", "\x01\x7f", "\ufeffbom", "; geen commentaar",
          "^decl-2025-001 #tag", "", " ", "€ 1.234,56 é ü ñ 漢字 🎉"]


def _txn(payee: str | None, narration: str, value: str) -> data.Transaction:
    return tekst.transaction(
        D, "!", payee, narration,
        [tekst.posting("Expenses:Plannen:Groen:Materiaal", Decimal("64.2")), tekst.posting("Liabilities:Declaraties")],
        meta_={"declarant": value, "prive": True, "stemmen": 12, "uren": Decimal("2.5"), "begin": D},
        links=("decl-2025-001",), tags=("afgewezen",),
    )


def _parsed(text: str) -> list[data.Directive]:
    entries, errors, _ = parser.parse_string(text)
    assert errors == [], (text, errors)
    return entries


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text()), st.text(), st.text())
def test_any_string_in_payee_narration_and_metadata_reads_back_the_same(payee, narration, value) -> None:
    text = "2025-01-01 open Expenses:Plannen:Groen:Materiaal\n2025-01-01 open Liabilities:Declaraties\n\n" \
        + tekst.entry(_txn(payee, narration, value)) + "\n2025-12-31 close Liabilities:Declaraties\n"
    entries = _parsed(text)
    [txn] = [e for e in entries if isinstance(e, data.Transaction)]
    assert txn.payee == payee and txn.narration == narration
    assert txn.meta["declarant"] == value and txn.meta["prive"] is True and txn.meta["stemmen"] == Decimal(12)
    assert txn.meta["uren"] == Decimal("2.5") and txn.meta["begin"] == D
    assert txn.links == {"decl-2025-001"} and txn.tags == {"afgewezen"} and txn.flag == "!"
    # The first line is one physical line, and the next directive starts where `\n` counting says.
    assert text.split("\n")[txn.meta["lineno"] - 1].startswith('2025-03-10 ! ')
    close = entries[-1]
    assert isinstance(close, data.Close) and text.split("\n")[close.meta["lineno"] - 1].startswith("2025-12-31 close")


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text())
def test_custom_directives_and_options_read_back(title: str, value: str) -> None:
    plan = tekst.custom(D, "plan", [tekst.custom_account("Expenses:Plannen:Groen"), tekst.custom_waarde(title),
                                    tekst.custom_waarde(tekst.eur(Decimal("5000")))],
                        {"status": "gekozen", "toelichting": value})
    text = tekst.option("title", title) + "\n" + tekst.entry(plan)
    entries, errors, options = parser.parse_string(text)
    assert errors == []
    assert options["title"] == title
    [c] = entries
    assert [v for v, _ in c.values] == ["Expenses:Plannen:Groen", title, tekst.eur(Decimal("5000.00"))]
    assert c.meta["toelichting"] == value


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_survive_a_real_load_from_a_file(tmp_path: Path, value: str) -> None:
    path = tmp_path / "main.beancount"
    text = (tekst.option("operating_currency", "EUR")
            + tekst.entries([tekst.open_(datetime.date(2025, 1, 1), "Expenses:Plannen:Groen:Materiaal"),
                             tekst.open_(datetime.date(2025, 1, 1), "Liabilities:Declaraties"),
                             _txn(value, value, value)])
            + tekst.commentaar(value))
    path.write_text(text, encoding="utf-8")
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    [txn] = [e for e in entries if isinstance(e, data.Transaction)]
    assert (txn.payee, txn.narration, txn.meta["declarant"]) == (value, value, value)
    assert [p.units.number for p in txn.postings] == [Decimal("64.20"), Decimal("-64.20")]


def test_layout_amounts_with_two_decimals_and_metadata_in_the_given_order() -> None:
    assert tekst.entry(_txn("Fatima el Amrani", "Declaratie: bloembollen", "Fatima")) == (
        '2025-03-10 ! "Fatima el Amrani" "Declaratie: bloembollen" #afgewezen ^decl-2025-001\n'
        '  declarant: "Fatima"\n'
        "  prive: TRUE\n"
        "  stemmen: 12\n"
        "  uren: 2.5\n"
        "  begin: 2025-03-10\n"
        "  Expenses:Plannen:Groen:Materiaal   64.20 EUR\n"
        "  Liabilities:Declaraties\n"
    )


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**12, max_value=10**12))
def test_decimal_metadata_reads_back(number: Decimal) -> None:
    entries = _parsed(tekst.entry(tekst.custom(D, "x", [tekst.custom_waarde("y")], {"getal": number})))
    assert entries[0].meta["getal"] == number


def test_decimal_with_an_exponent_is_written_in_full() -> None:
    text = tekst.entry(tekst.custom(D, "x", [tekst.custom_waarde("y")], {"getal": Decimal("1E+2")}))
    assert "getal: 100\n" in text and _parsed(text)[0].meta["getal"] == Decimal(100)


@pytest.mark.parametrize("bad", [
    lambda: tekst.bedrag(Decimal("0.125")),
    lambda: tekst.entry(tekst.open_(D, "Expenses:kleine letters")),
    lambda: tekst.entry(tekst.transaction(D, "*", None, "x", [], meta_={"A": "x"})),
    lambda: tekst.entry(tekst.transaction(D, "*", None, "x", [], links=("a b",))),
    lambda: tekst.entry(tekst.transaction(D, "*", None, "x", [], meta_={"lijst": [1]})),
])
def test_what_beancount_cannot_read_is_refused_not_written(bad) -> None:
    with pytest.raises(ValueError):
        bad()
