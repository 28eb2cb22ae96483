"""The daily-work commands book the right thing, or nothing at all.

Every command runs the real `buurtbudget` in a subprocess; every refusal is
checked to leave the whole ledger folder (ledger, includes, documents/)
byte-identical.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from beancount.core import data
from lxml import etree

from ledger.evaluatie.loading import read_ledger
from tests.books import books, root_options
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import LEDGER, RESIDENT_IBAN, bean_check, cli, folder_digest, make_ledger, receipt

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}

# Nine characters that str.splitlines() takes for line breaks and beancount does not: a
# writer that counted lines with splitlines() would land nine lines early, on decl-2025-017.
BREAKS = "\u2028\u2029\u0085\f\x1c\x1d\x1e\x0b\u2028"

CLAIMS = f"""
2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR

2025-03-01 * "Bouwmarkt" "Verf{BREAKS}en hout"
  document: "documents/bon.pdf"
  ingevoerd-door: "Naima"
  Uitgaven:Plannen:Speeltuin:Materiaal   20.00 EUR
  Activa:Bank:Betaalrekening

2025-04-01 ! "José Müller" "Declaratie: partytent" ^decl-2025-017
  declarant: "José Müller"
  iban: "NL02ABNA0123456789"
  prive: TRUE
  document: "documents/bon.pdf"
  ingevoerd-door: "Henk Bakker"
  Uitgaven:Plannen:Speeltuin:Materiaal   400.00 EUR
  Passiva:Declaraties

2025-04-02 ! "Piet Jansen" "Declaratie: koffie" ^decl-2025-018
  declarant: "Piet Jansen"
  iban: "NL20INGB0001234567"
  prive: TRUE
  document: "documents/bon.pdf"
  ingevoerd-door: "Henk Bakker"
  Uitgaven:Plannen:Speeltuin:Materiaal   7.00 EUR
  Passiva:Declaraties
"""


# An included file reads its account roots from its own options (beancount parses each file on its own).
ROOTS = root_options("nl")


def _claims_ledger(folder: Path, *, included: bool = False) -> Path:
    ledger = make_ledger(folder)
    (folder / "documents/bon.pdf").write_bytes(b"%PDF-1.4\n% bon\n")
    if included:
        (folder / "declaraties.beancount").write_text(ROOTS + CLAIMS, encoding="utf-8")
        ledger.write_text(LEDGER + '\ninclude "declaraties.beancount"\n', encoding="utf-8")
    else:
        ledger.write_text(LEDGER + CLAIMS, encoding="utf-8")
    assert bean_check(ledger).returncode == 0, bean_check(ledger).stdout
    return ledger


def _claims(ledger: Path) -> dict[str, data.Transaction]:
    return {link: e for e in read_ledger(ledger).entries if isinstance(e, data.Transaction)
            for link in e.links or ()}


@pytest.mark.parametrize("included", [False, True], ids=["in de ledger", "in een include"])
def test_approval_lands_on_its_own_claim_after_unicode_line_separators(tmp_path: Path, included: bool) -> None:
    ledger = _claims_ledger(tmp_path / "b", included=included)
    source = tmp_path / "b" / ("declaraties.beancount" if included else "main.beancount")
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-018", door="Ria")
    assert r.returncode == 0, r.stderr
    claims = _claims(ledger)
    assert claims["decl-2025-018"].flag == "*" and claims["decl-2025-018"].meta["goedgekeurd-door"] == "Ria"
    assert claims["decl-2025-017"].flag == "!" and "goedgekeurd-door" not in claims["decl-2025-017"].meta
    narrations = [e.narration for e in read_ledger(ledger).entries if isinstance(e, data.Transaction)]
    assert f"Verf{BREAKS}en hout" in narrations
    # Only that entry's text changed: its flag and two metadata lines (the approval and its seal).
    before = (LEDGER + CLAIMS) if not included else ROOTS + CLAIMS
    after = source.read_text(encoding="utf-8")
    seal = claims["decl-2025-018"].meta["goedkeuring-sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", seal)
    assert after == before.replace(
        '2025-04-02 ! "Piet Jansen" "Declaratie: koffie" ^decl-2025-018\n',
        '2025-04-02 * "Piet Jansen" "Declaratie: koffie" ^decl-2025-018\n  goedgekeurd-door: "Ria"\n'
        f'  goedkeuring-sha256: "{seal}"\n')
    # And the payment file pays the 7 euro, never the 400.
    out = tmp_path / "betaling.xml"
    r = cli("betaal", str(ledger), "-o", str(out), "--datum", "2025-04-10")
    assert r.returncode == 0, r.stderr
    doc = etree.parse(str(out))
    assert [e.text for e in doc.findall(".//p:EndToEndId", NS)] == ["decl-2025-018"]
    assert [e.text for e in doc.findall(".//p:InstdAmt", NS)] == ["7.00"]
    assert bean_check(ledger).returncode == 0


HAND_WRITTEN = {
    "tabs, comments and an elided amount": (
        '2025-04-02 ! "Piet" "Declaratie: koffie" ^decl-2025-018 ; hand-written\n'
        '\tdeclarant: "Piet"\n\tiban: "NL20INGB0001234567"\n\tdocument: "documents/bon.pdf"\n'
        '\tingevoerd-door: "Henk"\n\t; a comment inside\n'
        '\tUitgaven:Plannen:Speeltuin:Materiaal  7.00 EUR\n\t\tnote: "posting metadata"\n\tPassiva:Declaraties\n'),
    "a metadata string over two lines, quotes and a semicolon": (
        '2025-04-02 ! "Piet \\"P\\" ; niet" "Declaratie: koffie" ^decl-2025-018\n'
        '  declarant: "Piet"\n  toelichting: "eerste regel\nGeen inspringing; \\"quote\\""\n'
        '  iban: "NL20INGB0001234567"\n  document: "documents/bon.pdf"\n  ingevoerd-door: "Henk"\n'
        '  Uitgaven:Plannen:Speeltuin:Materiaal   7.00 EUR\n  Passiva:Declaraties   -7.00 EUR\n'),
    "pushtag around it, CRLF line endings, no newline at the end": (
        'pushtag #koffie\r\n2025-04-02 ! "Piet" "Declaratie: koffie" ^decl-2025-018\r\n'
        '  declarant: "Piet"\r\n  iban: "NL20INGB0001234567"\r\n  document: "documents/bon.pdf"\r\n'
        '  ingevoerd-door: "Henk"\r\n  Uitgaven:Plannen:Speeltuin:Materiaal   7.00 EUR\r\n'
        '  Passiva:Declaraties\r\npoptag #koffie'),
}


@pytest.mark.parametrize("text", list(HAND_WRITTEN.values()), ids=list(HAND_WRITTEN))
def test_approval_of_a_hand_written_claim_changes_only_that_claim(tmp_path: Path, text: str) -> None:
    folder = tmp_path / "b"
    ledger = make_ledger(folder)
    (folder / "documents/bon.pdf").write_bytes(b"%PDF-1.4\n% bon\n")
    head = LEDGER + "\n2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR\n\n"
    ledger.write_bytes((head + text).encode("utf-8"))
    assert bean_check(ledger).returncode == 0, bean_check(ledger).stdout
    before = _claims(ledger)["decl-2025-018"]
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-018", door="Ria")
    assert r.returncode == 0, r.stderr
    after = _claims(ledger)["decl-2025-018"]
    assert after.flag == "*" and after.meta["goedgekeurd-door"] == "Ria"
    assert {k: v for k, v in after.meta.items() if k not in ("lineno", "goedgekeurd-door", "goedkeuring-sha256")} == \
        {k: v for k, v in before.meta.items() if k != "lineno"}
    assert (after.payee, after.narration, after.tags, after.links, after.postings[0].units) == \
        (before.payee, before.narration, before.tags, before.links, before.postings[0].units)
    new = ledger.read_bytes().decode("utf-8")
    assert new.startswith(head) and new.count("\n") == (head + text).count("\n") + 2  # approval and seal
    assert bean_check(ledger).returncode == 0


def test_strings_beancount_allows_are_booked_and_approved_as_typed(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    tricky = 'Verf "extra" C:\\schijf\\ \tmet tab\u2028en\u0085meer\fpagina'
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-02", "--declarant", 'Fatima "Fa" el Amrani',
            "--iban", RESIDENT_IBAN, "--bedrag", "64,20", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", tricky, "--bon", str(receipt(tmp_path)))
    assert r.returncode == 0, r.stderr
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-03", "--declarant", "Piet",
            "--iban", RESIDENT_IBAN, "--bedrag", "7", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "koffie", "--bon", str(receipt(tmp_path)))
    assert r.returncode == 0, r.stderr
    assert cli("declaratie", "goedkeuren", str(ledger), "decl-2025-002", door="Ria").returncode == 0
    claims = _claims(ledger)
    first, second = claims["decl-2025-001"], claims["decl-2025-002"]
    assert first.narration == f"Declaratie: {tricky}" and first.payee == 'Fatima "Fa" el Amrani'
    assert first.flag == "!" and second.flag == "*" and second.meta["goedgekeurd-door"] == "Ria"
    assert cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Ria").returncode == 0
    assert _claims(ledger)["decl-2025-001"].narration == f"Declaratie: {tricky}"
    assert bean_check(ledger).returncode == 0


# --------------------------------------------------------------------------- four eyes by name

SAME_PEOPLE = [
    ("twee spaties", "Henk  Bakker", "decl-2025-018", "vier-ogenprincipe"),
    ("kleine letters", "henk bakker", "decl-2025-018", "vier-ogenprincipe"),
    ("hoofdletters en randen", "  HENK BAKKER ", "decl-2025-018", "vier-ogenprincipe"),
    ("harde spatie", "Henk\u00a0Bakker", "decl-2025-018", "vier-ogenprincipe"),
    ("declarant anders getypt", "piet  JANSEN", "decl-2025-018", "declarant"),
    ("losse accenten", "Jose\u0301 Mu\u0308ller", "decl-2025-017", "declarant"),
]


@pytest.mark.parametrize("label,door,link,expected", SAME_PEOPLE, ids=[s[0] for s in SAME_PEOPLE])
def test_the_same_person_typed_differently_cannot_approve(tmp_path: Path, label, door, link, expected) -> None:
    # `door` is the full name of a login in gebruikers.toml (a name with a tab cannot be one: test_service).
    ledger = _claims_ledger(tmp_path / "b")
    before = folder_digest(tmp_path / "b")
    r = cli("declaratie", "goedkeuren", str(ledger), link, door=door)
    assert r.returncode != 0 and expected in r.stderr, r.stderr
    assert r.stderr.startswith("fout:") and "Traceback" not in r.stderr
    assert folder_digest(tmp_path / "b") == before


def test_boek_refuses_an_approver_who_is_the_one_entering_it(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    before = folder_digest(tmp_path / "b")
    r = cli("boek", str(ledger), "--datum", "2025-03-10", "--bedrag", "750", "--plan", "Speeltuin",
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Hout",
            "--bon", str(receipt(tmp_path)), "--goedgekeurd-door", "henk  BAKKER", door="Henk Bakker")
    assert r.returncode != 0 and "vier-ogenprincipe" in r.stderr
    assert folder_digest(tmp_path / "b") == before


# --------------------------------------------------------------------------- refusals of boek


def _big_pdf(tmp: Path, megabytes: int) -> str:
    path = tmp / "groot.pdf"
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(megabytes * 1024 * 1024)  # sparse: quick to make
    return str(path)


def _fifo(tmp: Path) -> str:
    path = tmp / "bon-fifo.pdf"
    os.mkfifo(path)
    return str(path)


def _text_as_pdf(tmp: Path) -> str:
    path = tmp / "bon.pdf"
    path.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    return str(path)


def _empty(tmp: Path) -> str:
    path = tmp / "leeg.pdf"
    path.write_bytes(b"")
    return str(path)


def _folder(tmp: Path) -> str:
    path = tmp / "map.pdf"
    path.mkdir()
    return str(path)


REFUSED = [
    # label, extra arguments (a callable gets tmp_path), extra environment, expected in the message
    ("0,125", ["--bedrag", "0,125"], {}, "meer dan twee decimalen"),
    ("1.234", ["--bedrag", "1.234"], {}, "dubbelzinnig"),
    ("1,234", ["--bedrag", "1,234"], {}, "dubbelzinnig"),
    ("1.234,5,6", ["--bedrag", "1.234,5,6"], {}, "geen geldig bedrag"),
    ("1,234.56", ["--bedrag", "1,234.56"], {}, "Engelse duizendtallen"),
    ("negatief", ["--bedrag", "-12,50"], {}, "negatief"),
    ("nul", ["--bedrag", "0,00"], {}, "groter dan nul"),
    ("ondersteuning Alcohol", ["--plan", "ondersteuning", "--categorie", "Alcohol"], {}, "nooit vergoed"),
    ("ondersteuning Salaris", ["--plan", "Ondersteuning", "--categorie", "Salaris"], {}, "nooit vergoed"),
    ("plan Boete", ["--categorie", "Boete"], {}, "nooit vergoed"),
    ("ondersteuning alcohol", ["--plan", "ondersteuning", "--categorie", "alcohol"], {}, "nooit vergoed"),
    ("/etc/passwd", ["--bon", "/etc/passwd"], {}, "geen PDF, JPEG of PNG"),
    ("tekst als pdf", ["--bon", _text_as_pdf], {}, "geen PDF, JPEG of PNG"),
    ("leeg", ["--bon", _empty], {}, "is leeg"),
    ("map", ["--bon", _folder], {}, "een map"),
    ("fifo", ["--bon", _fifo], {}, "geen gewoon bestand"),
    ("apparaat", ["--bon", "/dev/null"], {}, "geen gewoon bestand"),
    ("bestaat niet", ["--bon", "nergens.pdf"], {}, "bestaat niet"),
    ("groter dan 20 MB", ["--bon", lambda tmp: _big_pdf(tmp, 21)], {}, "te groot"),
    ("groter dan ingesteld", ["--bon", lambda tmp: _big_pdf(tmp, 3)], {"BUURTBUDGET_BON_MAX_MB": "2"}, "te groot"),
    ("ongeldige instelling", [], {"BUURTBUDGET_BON_MAX_MB": "veel"}, "BUURTBUDGET_BON_MAX_MB"),
]


@pytest.mark.parametrize("label,extra,env,expected", REFUSED, ids=[r[0] for r in REFUSED])
def test_boek_refuses_and_leaves_the_folder_byte_identical(tmp_path: Path, label, extra, env, expected) -> None:
    folder = tmp_path / "b"
    ledger = make_ledger(folder)
    args = {"--datum": "2025-03-10", "--bedrag": "12,50", "--plan": "Speeltuin", "--categorie": "Materiaal",
            "--begunstigde": "Bouwmarkt", "--omschrijving": "Verf", "--bon": str(receipt(tmp_path))}
    for key, value in zip(extra[::2], extra[1::2]):
        args[key] = value(tmp_path) if callable(value) else value
    before = folder_digest(folder)
    r = cli("boek", str(ledger), *[x for kv in args.items() for x in kv], env_extra=env)
    assert r.returncode != 0, r.stdout
    assert expected in r.stderr, r.stderr
    assert r.stderr.startswith("fout:") and "Traceback" not in r.stderr
    if "--bon" in extra and not callable(args["--bon"]) and Path(args["--bon"]).name != "nergens.pdf":
        assert args["--bon"] in r.stderr  # the message names the file
    assert folder_digest(folder) == before  # refused before the ledger was opened


def test_receipts_are_stored_with_the_extension_of_their_content(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    photo = tmp_path / "foto.jpeg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 132)
    scan = tmp_path / "scan.pdf"  # a PNG by content, whatever its name says
    scan.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00" * 132)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    for bon in (photo, scan):
        r = cli("boek", str(ledger), "--datum", "2025-03-10", "--bedrag", "12,50", "--plan", "Speeltuin",
                "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Verf", "--bon", str(bon),
                env_extra={"TMPDIR": str(private_tmp)})
        assert r.returncode == 0, r.stderr
    assert list(private_tmp.iterdir()) == []  # the private snapshot of the checked bytes is gone again
    stored = sorted(p.name for p in (tmp_path / "b/documents").iterdir())
    assert stored == ["2025-03-10-foto.jpg", "2025-03-10-scan.png"]
    assert (tmp_path / "b/documents/2025-03-10-scan.png").read_bytes() == scan.read_bytes()
    assert bean_check(ledger).returncode == 0


@books()
def test_forbidden_categories_hold_under_ondersteuning(result):
    """
    2025-01-01 open Expenses:Ondersteuning:Alcohol EUR
    2025-01-01 open Expenses:Ondersteuning:Administratie:Salaris EUR

    2025-04-01 * "Slijterij" "Borrel van het bestuur"
      document: "bon.pdf"
      Expenses:Ondersteuning:Alcohol   30.00 EUR
      Assets:Bank:Betaalrekening

    2025-04-02 * "Kantoor" "Loon van de penvoerder"
      document: "bon.pdf"
      Expenses:Ondersteuning:Administratie:Salaris   100.00 EUR
      Assets:Bank:Betaalrekening

    2025-04-03 * "Kantoor" "Administratie"
      document: "bon.pdf"
      Expenses:Ondersteuning:Administratie   100.00 EUR
      Assets:Bank:Betaalrekening
    """
    assert result.codes == ["BB-CATEGORIE", "BB-CATEGORIE"]
    assert result.lines("BB-CATEGORIE") == [result.line_of('"Borrel van het bestuur"'),
                                            result.line_of('"Loon van de penvoerder"')]
    assert "ook niet als ondersteuning" in result.messages[0]


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield
