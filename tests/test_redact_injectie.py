"""The public copy is built from entries: no text in a ledger becomes a directive of the copy.

A beheerder saved an event whose description held a quote, a line break and
`include "../andere-buurt-2025/main.beancount"`; the copy pasted it and the
anonymous view showed the other ledger. Here every directive kind, with
directive-looking text in every string field, goes through `redact_ledger`,
and the copy must parse without errors to exactly the redacted entries, with
only the options and Fava options we set: nothing added.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import options as options_lib
from beancount.parser import parser
from hypothesis import given, settings
from hypothesis import strategies as st

from buurtbudget_admin.service.state import PUBLIC_FAVA_OPTIONS
from ledger.buurtbudget import tekst
from ledger.publiek.redact import SAMENVATTING, KopieFout, redact_ledger, redacted_entries
from tests import vijandig

OURS = {"title", "operating_currency", *SAMENVATTING}


def _numbered(entries: list[data.Directive]) -> list[data.Directive]:
    """As loaded: each entry has its own line in main.beancount."""
    return [e._replace(meta={**e.meta, "lineno": 10 * (i + 1)}) for i, e in enumerate(entries)]


def _check_copy(entries: list[data.Directive], title: str) -> str:
    options_map = dict(options_lib.OPTIONS_DEFAULTS, title=title, operating_currency=["EUR"],
                       filename="main.beancount")
    copy = redact_ledger(entries, options_map, fava_options=PUBLIC_FAVA_OPTIONS)
    parsed, errors, options = parser.parse_string(copy.text, report_filename="kopie.beancount")
    assert errors == [], errors
    # Only our options: no include, no plugin, no option out of any string.
    assert options["include"] == [] and options["plugin"] == []
    assert {k: options[k] for k in SAMENVATTING} == SAMENVATTING  # beancount's summary accounts in Dutch
    changed = {k for k, v in options_lib.OPTIONS_DEFAULTS.items()
               if k not in ("filename", "dcontext") and options[k] != v}
    assert changed <= OURS, changed
    assert options["operating_currency"] == ["EUR"]
    # Only our Fava options; none of the original's fava-* directives, whatever their text said.
    fava = [e for e in parsed if isinstance(e, data.Custom) and e.type.startswith("fava-")]
    assert [(e.type, *[v.value for v in e.values]) for e in fava] == \
        [("fava-option", name, value) for name, value in PUBLIC_FAVA_OPTIONS]
    # Exactly the redacted entries, each on the line the copy says, nothing added.
    expected = redacted_entries(entries)
    assert len(parsed) == len(expected) + len(fava)
    by_line = {e.meta["lineno"]: e for e in parsed}
    public = [e for e in entries if not isinstance(e, data.Document)
              and not (isinstance(e, data.Custom) and e.type.startswith("fava-"))
              and not (isinstance(e, data.Transaction) and e.flag == "P")]
    assert len(public) == len(expected)
    for original, cleaned in zip(public, expected):
        line = copy.lines[(original.meta["filename"], original.meta["lineno"])]
        assert tekst.comparable(by_line[line]) == tekst.comparable(cleaned)
    assert not any(isinstance(e, data.Document) for e in parsed)
    return copy.text


@settings(max_examples=150, deadline=None)
@given(st.lists(vijandig.directives(vijandig.exact_number, costs=True), min_size=1, max_size=12),
       vijandig.hostile)
def test_any_directives_with_any_text_make_a_copy_of_exactly_their_redacted_selves(entries, title) -> None:
    _check_copy(_numbered(entries), title)


def test_every_kind_with_the_attack_text_in_every_string_field() -> None:
    """Not left to chance: each kind once, every string field holding every fragment of the attack."""
    attack = "".join(vijandig.FRAGMENTS)
    day = datetime.date(2025, 6, 1)
    meta = {"filename": "main.beancount", "lineno": 1, "toelichting": attack, "kenmerk": attack}
    eur = tekst.eur
    entries = _numbered([
        data.Open(meta, day, "Assets:Bank", ["EUR"], None),
        data.Transaction({**meta, "prive": True, "declarant": attack}, day, "!", attack, attack,
                         frozenset({"feest"}), frozenset({"decl-2025-001"}), [
                             tekst.posting("Expenses:Plannen:Feest", 12, meta_={"toelichting": attack}),
                             tekst.posting("Assets:Bank", -12)]),
        data.Close(meta, day, "Assets:Bank"),
        data.Balance(meta, day, "Assets:Bank", eur(0), None, None),
        data.Pad(meta, day, "Assets:Bank", "Equity:Opening"),
        data.Note(meta, day, "Assets:Bank", attack, frozenset(), frozenset()),
        data.Event(meta, day, attack, attack),
        data.Document(meta, day, "Assets:Bank", "/" + attack, frozenset(), frozenset()),
        tekst.custom(day, attack, [(attack, str), (eur(5), type(eur(5)))], meta),
        tekst.custom(day, "fava-sidebar-link", [("Klik", str), ("javascript:alert(1)", str)], meta),
        tekst.custom(day, "fava-option", [("import-config", str), ("bonnen/polyglot.pdf", str)], meta),
        data.Query(meta, day, attack, attack),
        data.Price(meta, day, "USD", eur(1)),
        data.Commodity(meta, day, "EUR"),
    ])
    text = _check_copy(entries, attack)
    kinds = {type(e).__name__ for e in redacted_entries(entries)}
    assert kinds == set(vijandig.KINDS) - {"Document"}
    assert "javascript:" not in text  # the sidebar link stayed behind; the attack text is only ever inside strings
    for line in text.split("\n"):  # lines as beancount counts them; each top-level one is ours
        assert line == "" or line.startswith(("; ", "option ", "  ")) or line[:4].isdigit(), line


def test_the_reported_event_no_longer_includes_another_ledger(tmp_path: Path) -> None:
    """The attack as reported, through real files and beancount's loader (which follows includes)."""
    other = tmp_path / "andere-buurt-2025" / "main.beancount"
    other.parent.mkdir()
    other.write_text('2025-01-01 open Assets:Geheim\n2025-01-02 * "Geheime Bewoner" "NL91ABNA0417164300"\n'
                     '  Assets:Geheim  1.00 EUR\n  Assets:Geheim  -1.00 EUR\n', encoding="utf-8")
    ours = tmp_path / "onze-buurt-2025" / "main.beancount"
    ours.parent.mkdir()
    description = ('x"\ninclude "../andere-buurt-2025/main.beancount"\n'
                   '2025-01-01 custom "fava-option" "import-config" "x.py"\n2025-01-01 event "a" "y')
    ours.write_text('option "operating_currency" "EUR"\n2025-01-01 open Assets:Bank\n'
                    + tekst.entry(data.Event({}, datetime.date(2025, 2, 1), "info", description))
                    + tekst.entry(data.Note({}, datetime.date(2025, 2, 1), "Assets:Bank", 'een "gewone" notitie',
                                            frozenset(), frozenset())),
                    encoding="utf-8")
    entries, errors, options = loader.load_file(str(ours))
    assert errors == [] and options["include"] == [str(ours)]
    copy = tmp_path / "publiek" / "onze-buurt-2025" / "main.beancount"
    copy.parent.mkdir(parents=True)
    copy.write_text(redact_ledger(entries, options, fava_options=PUBLIC_FAVA_OPTIONS).text, encoding="utf-8")
    # The copy sits where a ../andere-buurt-2025 would resolve too.
    (tmp_path / "publiek" / "andere-buurt-2025").mkdir()
    (tmp_path / "publiek" / "andere-buurt-2025" / "main.beancount").write_text(other.read_text(), encoding="utf-8")
    got, copy_errors, copy_options = loader.load_file(str(copy))
    assert copy_errors == []
    assert copy_options["include"] == [str(copy)]
    assert [e.description for e in got if isinstance(e, data.Event)] == [description]
    assert [e.comment for e in got if isinstance(e, data.Note)] == ['een "gewone" notitie']
    assert not any("Geheim" in getattr(e, "account", "") for e in got)
    assert [e for e in got if isinstance(e, data.Custom) and e.values[0].value == "import-config"] == []


def test_an_entry_that_cannot_be_written_gives_no_copy_at_all() -> None:
    """Never a copy with an entry left out or pasted: a value the serializer refuses stops the whole copy."""
    meta = {"filename": "main.beancount", "lineno": 7, "lijst": ["a", "b"]}
    entries = [data.Open({"filename": "main.beancount", "lineno": 6}, datetime.date(2025, 1, 1), "Assets:Bank",
                         None, None),
               data.Event(meta, datetime.date(2025, 1, 2), "info", "x")]
    options_map = dict(options_lib.OPTIONS_DEFAULTS, title="T", operating_currency=["EUR"])
    with pytest.raises(KopieFout, match=r"main.beancount:7: event niet te schrijven"):
        redact_ledger(entries, options_map)


def test_the_unreadable_copy_escapes_the_folder_name() -> None:
    from buurtbudget_admin.service.state import _unreadable_copy

    slug = 'buurt"\ninclude "/etc/passwd'
    entries, errors, options = parser.parse_string(_unreadable_copy(slug))
    assert errors == [] and options["include"] == [] and options["title"] == f"{slug} (niet te lezen)"
    assert [(e.type, [v.value for v in e.values]) for e in entries] == [("fava-option", ["language", "nl"])]
