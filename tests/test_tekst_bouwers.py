"""The directives the commands add (payment batches, cancellations, vaststelling, toch metadata, the public
copy's options) are written by ledger/tekst, and beancount reads back exactly the values given."""

from __future__ import annotations

import datetime
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import parser
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.buurtbudget import tekst
from ledger.betalingen.batches import (
    BATCH, INTREKKING, NieuweBatch, Overboeking, batch_entry, batch_tekst, batches, intrekking_tekst, intrekkingen,
)
from ledger.publiek.redact import redact_ledger
from ledger.schrijver.toch import Toch, markeer
from ledger.evaluatie.vaststelling import vaststelling_entry, vaststelling_tekst, vaststellingen

D = datetime.date(2025, 5, 8)
# Quote, backslash, a trailing backslash, tab, line breaks beancount counts (\n, \r) and ones it does not
# (U+2028, U+2029, U+0085), NUL, BOM, a comment sign, non-ASCII.
HOSTILE = ['Henk "de Hamer"', "C:\\betalingen\\mei.xml", "eindigt op \\", '\\"', "tab\there", "regel\u2028twee",
           "para\u2029graaf", "nel\u0085x", "nieuwe\nregel", "cr\rlf\r\n", "nul\x00byte", "\ufeffbom",
           "; geen commentaar", "€ 1.234,56 é ü ñ 漢字 🎉", "Ĳsselmeer ‘quotes’ „Dutch”"]
# What `vaststelling` accepts: one line without control characters (U+2028 is not one of them).
ONE_LINE = ['J. "Jan" de Wit \\ Noord', "eindigt op \\", "regel\u2028twee", "para\u2029graaf", "€ é 漢字 🎉",
            "; geen commentaar", "  spaties eromheen  "]


def _parsed(text: str) -> list[data.Directive]:
    entries, errors, _ = parser.parse_string(text)
    assert errors == [], (text, errors)
    return entries


def _values(entry: data.Custom) -> list:
    return [v.value for v in entry.values]


def _batch(*items: tuple[str, str], msgid: str = "BB-20250508-001-4F2A") -> NieuweBatch:
    return NieuweBatch(msgid, D, tuple(Overboeking(link, "naam", "NL91ABNA0417164300", Decimal(bedrag), "omschr",
                                                   None) for link, bedrag in items))


# --------------------------------------------------------------------------- the format stays the same


def test_the_directives_are_written_as_the_ledgers_already_hold_them() -> None:
    """
    2025-05-08 custom "betaalopdracht" "BB-20250508-001-4F2A"
      links: "decl-2025-004 fact-2025-002"
      aantal: 2
      totaal: 464.20 EUR
      bestand: "betaling-mei.xml"
      door: "Henk"

    2025-05-09 custom "betaalopdracht-ingetrokken" "BB-20250508-001-4F2A"
      door: "Henk"
      reden: "niet geüpload"

    2026-03-02 custom "vaststelling" 23500.00 EUR
      door: "J. de Wit (stadsdeel Noord)"
      kenmerk: "N-2026-0312"
    """
    # Ledgers written before hold exactly this text: the builders write it byte for byte, the readers read it.
    doc = textwrap.dedent(test_the_directives_are_written_as_the_ledgers_already_hold_them.__doc__).lstrip("\n")
    written = (batch_tekst(_batch(("decl-2025-004", "64.20"), ("fact-2025-002", "400")), "Henk", "betaling-mei.xml")
               + "\n" + intrekking_tekst("BB-20250508-001-4F2A", D + datetime.timedelta(days=1), "Henk",
                                         "niet geüpload")
               + "\n" + vaststelling_tekst(datetime.date(2026, 3, 2), Decimal("23500"),
                                           "J. de Wit (stadsdeel Noord)", "N-2026-0312"))
    assert written == doc
    entries, errors, _ = parser.parse_string(doc)
    assert errors == []
    [b] = batches(entries)
    assert (b.msgid, b.links, b.ingetrokken) == ("BB-20250508-001-4F2A", ("decl-2025-004", "fact-2025-002"), True)
    assert b.meta["aantal"] == 2 and b.meta["totaal"] == Amount(Decimal("464.20"), "EUR")
    [v] = vaststellingen(entries).items
    assert (v.bedrag, v.door, v.kenmerk) == (Decimal("23500.00"), "J. de Wit (stadsdeel Noord)", "N-2026-0312")


# --------------------------------------------------------------------------- betaalopdracht


@pytest.mark.parametrize("value", HOSTILE)
def test_a_batch_reads_back_with_any_door_and_bestand(value: str) -> None:
    batch = _batch(("decl-2025-004", "64.2"), ("fact-2025-002", "400"), ("decl-2025-010", "0.05"))
    text = batch_tekst(batch, value, value)
    assert text.count("\n") == 6  # every value on its own line, whatever it holds
    [entry] = _parsed(text)
    assert (entry.date, entry.type, _values(entry)) == (D, BATCH, ["BB-20250508-001-4F2A"])
    assert entry.meta["links"] == "decl-2025-004 fact-2025-002 decl-2025-010"
    assert entry.meta["aantal"] == 3 and isinstance(entry.meta["aantal"], Decimal)
    assert entry.meta["totaal"] == Amount(Decimal("464.25"), "EUR")
    assert str(entry.meta["totaal"].number) == "464.25"
    assert entry.meta["bestand"] == value and entry.meta["door"] == value
    [b] = batches([entry])
    assert (b.msgid, b.links, b.ingetrokken) == (batch.msgid, ("decl-2025-004", "fact-2025-002", "decl-2025-010"),
                                                 False)


def test_a_batch_without_file_has_no_bestand_and_whole_euros_get_two_decimals() -> None:
    text = batch_tekst(_batch(("fact-2025-002", "400")), "Henk")
    assert "  totaal: 400.00 EUR\n" in text and "bestand" not in text
    [entry] = _parsed(text)
    assert list(k for k in entry.meta if k not in ("filename", "lineno")) == ["links", "aantal", "totaal", "door"]


def test_the_builder_returns_a_beancount_entry() -> None:
    entry = batch_entry(_batch(("fact-2025-002", "400")), "Henk", "b.xml")
    assert isinstance(entry, data.Custom) and entry.type == BATCH and tekst.entry(entry) == batch_tekst(
        _batch(("fact-2025-002", "400")), "Henk", "b.xml")


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cancellation_reads_back_with_any_door_and_reason(value: str) -> None:
    [entry] = _parsed(intrekking_tekst("BB-20250508-001-4F2A", D, value, value))
    assert (entry.date, entry.type, _values(entry)) == (D, INTREKKING, ["BB-20250508-001-4F2A"])
    assert entry.meta["door"] == value and entry.meta["reden"] == value
    assert intrekkingen([entry]) == {"BB-20250508-001-4F2A"}


@pytest.mark.parametrize("reden", [None, "", "  \t"])
def test_a_cancellation_without_reason_has_no_reden(reden) -> None:
    [entry] = _parsed(intrekking_tekst("BB-1", D, "Henk", reden))
    assert "reden" not in entry.meta and entry.meta["door"] == "Henk"


@settings(max_examples=200, deadline=None)
@given(st.text(), st.text(min_size=1), st.text())
def test_batch_and_cancellation_read_back_for_any_text(door: str, bestand: str, reden: str) -> None:
    batch = _batch(("decl-2025-004", "12.34"))
    [b, i] = _parsed(batch_tekst(batch, door, bestand) + "\n" + intrekking_tekst(batch.msgid, D, door, reden))
    assert (b.meta["door"], b.meta["bestand"], i.meta["door"]) == (door, bestand, door)
    assert i.meta.get("reden") == (reden if reden.strip() else None)
    [found] = batches([b, i])
    assert found.ingetrokken and found.links == ("decl-2025-004",)


# --------------------------------------------------------------------------- vaststelling


@pytest.mark.parametrize("value", ONE_LINE)
def test_a_vaststelling_reads_back_with_any_one_line_text(value: str) -> None:
    [entry] = _parsed(vaststelling_tekst(datetime.date(2026, 3, 2), Decimal("23500.5"), value, value))
    assert _values(entry) == [Amount(Decimal("23500.50"), "EUR")] and str(entry.values[0].value.number) == "23500.50"
    assert entry.meta["door"] == value.strip() and entry.meta["kenmerk"] == value.strip()
    [v] = vaststellingen([entry]).items
    assert (v.datum, v.bedrag, v.door, v.kenmerk) == (datetime.date(2026, 3, 2), Decimal("23500.50"), value.strip(),
                                                      value.strip())


@pytest.mark.parametrize("door, kenmerk, reden", [
    ("", None, "--door is leeg"),
    ("  ", None, "--door is leeg"),
    ("J. de\nWit", None, "--door bevat een regeleinde of stuurteken"),
    ("J.\tde Wit", None, "--door bevat een regeleinde of stuurteken"),
    ("J. de Wit", "N-1\r\n2", "--kenmerk bevat een regeleinde of stuurteken"),
    ("J. de Wit", "N\x00", "--kenmerk bevat een regeleinde of stuurteken"),
    ("J. de Wit\x7f", None, "--door bevat een regeleinde of stuurteken"),
])
def test_a_vaststelling_refuses_text_it_would_have_to_mangle(door, kenmerk, reden) -> None:
    with pytest.raises(ValueError, match=reden):
        vaststelling_entry(datetime.date(2026, 3, 2), Decimal("100"), door, kenmerk)


def test_a_vaststelling_amount_is_never_rounded() -> None:
    with pytest.raises(ValueError, match="niet in hele centen"):
        vaststelling_tekst(datetime.date(2026, 3, 2), Decimal("100.005"), "J. de Wit")


def test_a_blank_kenmerk_is_left_out() -> None:
    [entry] = _parsed(vaststelling_tekst(datetime.date(2026, 3, 2), Decimal("0"), "J. de Wit", "   "))
    assert "kenmerk" not in entry.meta and _values(entry) == [Amount(Decimal("0.00"), "EUR")]


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(min_codepoint=32, blacklist_characters="\x7f", blacklist_categories=("Cs",)),
               min_size=1).filter(str.strip))
def test_a_vaststelling_reads_back_for_any_accepted_text(door: str) -> None:
    [v] = vaststellingen(_parsed(vaststelling_tekst(datetime.date(2026, 3, 2), Decimal("9.99"), door, door))).items
    assert v.door == door.strip() and v.kenmerk == door.strip() and v.bedrag == Decimal("9.99")


# --------------------------------------------------------------------------- toch


def _marked(tmp_path: Path, reden: str, door: str) -> list[data.Directive]:
    path = (tmp_path / "main.beancount").resolve()
    text = ('2025-01-01 open Assets:Bank\n2025-01-01 open Expenses:Plannen:Groen\n\n'
            '2025-06-01 * "Bouwmarkt" "Nog meer tegels"\n  Expenses:Plannen:Groen   10.00 EUR\n  Assets:Bank\n')
    entries, errors, _ = parser.parse_string(text, report_filename=str(path))
    assert errors == []
    txn = [e for e in entries if isinstance(e, data.Transaction)]
    new = markeer({path: text.encode("utf-8")}, txn, Toch(reden), door)
    again, errors, _ = parser.parse_string(new[path].decode("utf-8"), report_filename=str(path))
    assert errors == []
    return again


@pytest.mark.parametrize("value", HOSTILE)
def test_toch_metadata_reads_back_the_reason_on_one_line_and_the_door_exactly(tmp_path: Path, value: str) -> None:
    entries = _marked(tmp_path, f"spoed {value} echt", value)
    [txn] = [e for e in entries if isinstance(e, data.Transaction)]
    assert txn.meta["toch-reden"] == " ".join(f"spoed {value} echt".split())
    assert txn.meta["toch-door"] == value
    assert [p.units for p in txn.postings][0] == Amount(Decimal("10.00"), "EUR") and txn.narration == "Nog meer tegels"


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1).filter(str.strip), st.text())
def test_toch_metadata_reads_back_for_any_text(tmp_path_factory, reden: str, door: str) -> None:
    [txn] = [e for e in _marked(tmp_path_factory.mktemp("toch"), reden, door) if isinstance(e, data.Transaction)]
    assert txn.meta["toch-reden"] == " ".join(reden.split()) and txn.meta["toch-door"] == door


def test_meta_line_writes_what_the_printer_writes() -> None:
    entry = tekst.custom(D, "x", [tekst.custom_waarde("y")], {"toch-reden": 'a "b" \\ c\td\u2028e', "stemmen": 3})
    printed = tekst.entry(entry).split("\n")[1:3]
    assert [tekst.meta_line("toch-reden", 'a "b" \\ c\td\u2028e'), tekst.meta_line("stemmen", 3)] == [
        printed[0] + "\n", printed[1] + "\n"]
    assert tekst.meta_line("toch-reden", "a\nb") == '  toch-reden: "a\\nb"\n'


@pytest.mark.parametrize("key, value", [("Reden", "x"), ("toch reden", "x"), ("lineno", "x"), ("filename", "x"),
                                        ("__tolerance__", "x"), ("reden", None), ("reden", [1])])
def test_meta_line_refuses_what_would_not_read_back(key: str, value) -> None:
    with pytest.raises(ValueError):
        tekst.meta_line(key, value)


# --------------------------------------------------------------------------- the public copy


def _copy(title: str, fava_options) -> tuple[str, list[data.Directive], dict, dict]:
    text = ('option "operating_currency" "EUR"\n2025-01-01 open Assets:Bank\n2025-01-01 open Expenses:Plannen:Groen\n'
            '\n2025-06-01 * "Bouwmarkt" "Tegels"\n  Expenses:Plannen:Groen   10.00 EUR\n  Assets:Bank\n')
    entries, errors, options = parser.parse_string(text, report_filename="main.beancount")
    assert errors == []
    options = dict(options, title=title)
    copy = redact_ledger(entries, options, fava_options=fava_options)
    again, errors, copy_options = parser.parse_string(copy.text)
    assert errors == []
    return copy.text, again, copy_options, dict(copy.lines)


@pytest.mark.parametrize("value", HOSTILE)
def test_the_public_copy_reads_back_its_title_and_fava_options(value: str) -> None:
    text, entries, options, lines = _copy(value, [("language", value), (value, "nl")])
    assert options["title"] == value and options["operating_currency"] == ["EUR"]
    fava = [_values(e) for e in entries if isinstance(e, data.Custom) and e.type == "fava-option"]
    assert fava == [["language", value], [value, "nl"]]
    # Every option and directive stays one line, so the copy's line numbers still point at the entries.
    assert text.split("\n")[lines[("main.beancount", 5)] - 1] == '2025-06-01 * "Bouwmarkt" "Tegels"'


@settings(max_examples=100, deadline=None)
@given(st.text(), st.text())
def test_the_public_copy_reads_back_fava_options_for_any_text(name: str, value: str) -> None:
    text, entries, options, lines = _copy("Buurtbudget Oost", [(name, value)])
    assert [_values(e) for e in entries if isinstance(e, data.Custom)] == [[name, value]]
    assert text.split("\n")[lines[("main.beancount", 2)] - 1] == "2025-01-01 open Assets:Bank"
