"""`buurtbudget verifieer` against honest statements and statements tampered with, one part at a time.

Each tampered copy is made the way someone would edit a PDF: with pypdf (an
embedded file's bytes, the manifest's figures, two receipts swapped, an
attachment removed, page 1 or an annex page replaced, a line drawn, an
incremental update appended), or by overwriting eight bytes in the middle of
one stream of the file (a font, the content of page 1 or of the annex, a
receipt, the manifest). Signed statements are made with `buurtbudget sleutel
maken` and `report --onderteken` and read back with pyHanko and pypdf. The
command is the real console script.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import shutil
import stat
import sys
from pathlib import Path
from typing import Callable

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

from reports.context import build_statement
from reports.dossier import manifest_bytes
from tests.books import write_books
from tests.dagelijks_helpers import cli

BOOKS = """
2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 4000.00 EUR
  status: "gekozen"

2025-03-10 * "Bouwmarkt Zuidoost" "Verf en hout"
  document: "bon-a.pdf"
  Expenses:Plannen:Speeltuin:Materiaal   412.50 EUR
  Assets:Bank:Betaalrekening

2025-03-12 * "Klusbedrijf" "Hekwerk"
  document: "documents/bon-b.pdf"
  Expenses:Plannen:Speeltuin:Inhuur   250.00 EUR
  Assets:Bank:Betaalrekening

2025-04-01 * "Administratiekantoor" "Ondersteuning Q1"
  document: "bon-weg.pdf"
  Expenses:Ondersteuning:Administratie   300.00 EUR
  Assets:Bank:Betaalrekening
"""


def _books(folder: Path, body: str = BOOKS) -> Path:
    ledger = write_books(folder, body)
    # A text-like receipt compresses: stored deflated, with zlib's checksum.
    (folder / "bon-a.pdf").write_bytes(b"%PDF-1.4\n% bon A: verf en hout, 412,50\n"
                                       + b"".join(b"%% regel %d van de bon\n" % n for n in range(200)))
    # A scan does not compress: stored as it is in the PDF (no checksum of its own but its SHA-256).
    (folder / "documents" / "bon-b.pdf").write_bytes(b"%PDF-1.4\n% bon B: hekwerk, 250,00\n"
                                                     + random.Random(7).randbytes(20_000))
    return ledger


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("verifieer") / "testbuurt-2025"
    ledger = _books(folder)
    pdf = folder.parent / "VERANTWOORDING.pdf"
    r = cli("report", str(folder), "-o", str(pdf))
    assert r.returncode == 0, r.stderr
    return ledger, pdf


def _verifieer(pdf: Path):
    r = cli("verifieer", str(pdf))
    assert "Traceback" not in r.stderr
    return r


def _tampered(source: Path, target: Path, change: Callable[[PdfWriter], None]) -> Path:
    writer = PdfWriter(clone_from=str(source))
    change(writer)
    writer.write(str(target))
    return target


def _specs(writer: PdfWriter) -> dict[str, object]:
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    return {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}


def _set_file(writer: PdfWriter, name: str, content: bytes, *, describe: bool = False) -> None:
    spec = _specs(writer)[name]
    spec["/EF"]["/F"].get_object().set_data(content)
    if describe:
        spec[NameObject("/Desc")] = TextStringObject(f"SHA-256 {hashlib.sha256(content).hexdigest()}")


def _file(pdf: Path, name: str) -> bytes:
    return PdfReader(str(pdf)).attachments[name][0]


def _verdicts(stdout: str) -> dict[str, bool]:
    found = {}
    for line in stdout.splitlines():
        if line.startswith(("in orde", "AFWIJKING")):
            mark, rest = line.split("  ", 1)
            found[rest.split(":", 1)[0].strip()] = mark.strip() == "in orde"
    return found


def test_an_honest_statement_verifies(honest):
    _ledger, pdf = honest
    r = _verifieer(pdf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _verdicts(r.stdout) == {"structuur": True, "ondertekening": True, "bestanden": True, "hashes": True,
                                   "gecombineerde hash": True, "boeken": True, "cijfers": True, "pagina 1": True,
                                   "pagina's": True}
    assert "in orde   ondertekening: niet ondertekend" in r.stdout
    # Made by this code with these fonts: the statement the books give now is the same file, byte for byte.
    assert f"pagina's: elke byte ({pdf.stat().st_size}) is gelijk" in r.stdout
    assert "de verantwoording is wat de ingesloten boeken zeggen" in r.stdout
    # The missing receipt stays a BB-BON verdict of the books, and the statement is still honest about it.
    assert "1 overtreding(en)" in r.stdout


def test_a_changed_ledger_is_found(honest, tmp_path):
    ledger, pdf = honest
    forged = ledger.read_bytes().replace(b"412.50 EUR", b"112.50 EUR")
    assert forged != ledger.read_bytes()
    out = _tampered(pdf, tmp_path / "x.pdf", lambda w: _set_file(w, "main.beancount", forged))
    r = _verifieer(out)
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["hashes"] is False and verdicts["cijfers"] is False and verdicts["bestanden"] is True
    assert "main.beancount (verwacht" in r.stdout
    assert "besteed: de verantwoording zegt '€ 962,50', de boeken zeggen '€ 662,50'" in r.stdout


def test_an_edited_figure_is_found(honest, tmp_path):
    _ledger, pdf = honest
    manifest = json.loads(_file(pdf, "verantwoording.json"))
    assert manifest["cijfers"]["besteed"] == "€ 962,50"
    manifest["cijfers"]["besteed"] = "€ 862,50"
    edited = json.dumps(manifest).encode()
    out = _tampered(pdf, tmp_path / "x.pdf", lambda w: _set_file(w, "verantwoording.json", edited))
    r = _verifieer(out)
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["cijfers"] is False and verdicts["hashes"] is True and verdicts["pagina 1"] is True
    assert "besteed: de verantwoording zegt '€ 862,50', de boeken zeggen '€ 962,50'" in r.stdout


def test_swapped_receipts_are_found(honest, tmp_path):
    _ledger, pdf = honest
    a, b = _file(pdf, "bon-a.pdf"), _file(pdf, "documents/bon-b.pdf")
    assert a != b

    def swap(w: PdfWriter) -> None:
        _set_file(w, "bon-a.pdf", b, describe=True)
        _set_file(w, "documents/bon-b.pdf", a, describe=True)

    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", swap))
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["hashes"] is False and verdicts["bestanden"] is True
    assert "bon-a.pdf (verwacht" in r.stdout and "documents/bon-b.pdf (verwacht" in r.stdout


def test_a_removed_receipt_is_found(honest, tmp_path):
    _ledger, pdf = honest

    def remove(w: PdfWriter) -> None:
        names = w._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
        i = [str(n) for n in names[::2]].index("bon-a.pdf") * 2
        del names[i:i + 2]

    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", remove))
    assert r.returncode == 1
    assert _verdicts(r.stdout)["bestanden"] is False and "ontbreekt: bon-a.pdf" in r.stdout


def test_a_consistent_forgery_still_differs_from_page_one(honest, tmp_path):
    """Books, hashes and manifest changed together: only page 1 is left to tell, and it does."""
    ledger, pdf = honest
    folder = tmp_path / "vervalst" / ledger.parent.name
    shutil.copytree(ledger.parent, folder)
    (folder / "main.beancount").write_bytes(ledger.read_bytes().replace(b"412.50 EUR", b"112.50 EUR"))
    forged_statement = build_statement(folder / "main.beancount")
    # The forger uses our own code, and says so (the manifest's `weergave` copied from the honest one).
    forged_manifest = manifest_bytes(forged_statement, json.loads(_file(pdf, "verantwoording.json"))["weergave"])

    def forge(w: PdfWriter) -> None:
        _set_file(w, "main.beancount", (folder / "main.beancount").read_bytes(), describe=True)
        _set_file(w, "verantwoording.json", forged_manifest)

    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", forge))
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts == {"structuur": True, "ondertekening": True, "bestanden": True, "hashes": True,
                        "gecombineerde hash": False, "boeken": True, "cijfers": True, "pagina 1": False,
                        "pagina's": False}
    assert "pagina 1 noemt een andere" in r.stdout
    assert "besteed ('Besteed € 662,50')" in r.stdout
    # Every page that shows the changed booking is named, with what it shows against what the books give.
    pages = re.findall(r"pagina (\d+): de PDF toont '([^']*)' waar de boeken '([^']*)' geven", r.stdout)
    assert pages and pages[0][0] == "1"
    assert any("412,50" in shown and "112,50" in books for _n, shown, books in pages)


def test_a_replaced_page_one_is_found(honest, tmp_path):
    """Page 1 of other books pasted over the honest one (what editing the figures in a PDF editor does)."""
    ledger, pdf = honest
    folder = tmp_path / "ander" / ledger.parent.name
    shutil.copytree(ledger.parent, folder)
    (folder / "main.beancount").write_bytes(ledger.read_bytes().replace(b"300.00 EUR", b"100.00 EUR"))
    other = tmp_path / "ander.pdf"
    assert cli("report", str(folder), "-o", str(other)).returncode == 0

    def paste(w: PdfWriter) -> None:
        w.insert_page(PdfReader(str(other)).pages[0], 0)
        w.remove_page(1)

    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", paste))
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["pagina 1"] is False and verdicts["cijfers"] is True and verdicts["hashes"] is True
    assert "ondersteuning ('waarvan ondersteuning (handelingskosten) € 300,00')" in r.stdout


def test_what_is_not_a_statement_exits_2(tmp_path):
    from weasyprint import HTML

    plain = tmp_path / "gewoon.pdf"
    HTML(string="<p>Geen verantwoording</p>").write_pdf(str(plain))
    text = tmp_path / "tekst.pdf"
    text.write_text("hallo", encoding="utf-8")
    broken = tmp_path / "kapot.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 100)
    for path, expected in ((plain, "is geen verantwoording"), (text, "is geen PDF"), (broken, "geen leesbare PDF"),
                           (tmp_path / "weg.pdf", "niet gevonden")):
        r = _verifieer(path)
        assert r.returncode == 2, (path, r.stdout, r.stderr)
        assert r.stderr.startswith("fout: ") and expected in r.stderr, r.stderr


def test_the_light_version_verifies_without_receipts(honest, tmp_path):
    ledger, _pdf = honest
    light = tmp_path / "licht.pdf"
    r = cli("report", str(ledger.parent), "-o", str(light), "--zonder-bonnen")
    assert r.returncode == 0, r.stderr
    assert "2 bonnen genoemd, niet ingesloten, 1 ontbreken" in r.stdout
    assert sorted(PdfReader(str(light)).attachments) == ["main.beancount", "verantwoording.json"]
    r = _verifieer(light)
    assert r.returncode == 0, r.stdout
    # A receipt name smuggled into the light version's list does not make BB-BON pass for it.
    manifest = json.loads(_file(light, "verantwoording.json"))
    manifest["bonnen-niet-ingesloten"].append("bon-weg.pdf")
    out = _tampered(light, tmp_path / "x.pdf", lambda w: _set_file(w, "verantwoording.json", json.dumps(manifest).encode()))
    r = _verifieer(out)
    assert r.returncode == 1 and _verdicts(r.stdout)["cijfers"] is False


def test_an_embedded_ledger_asking_for_a_foreign_plugin_is_not_run(honest, tmp_path):
    ledger, pdf = honest
    evil = ledger.read_bytes().replace(b'plugin "rules"', b'plugin "os_system_plugin"')
    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", lambda w: _set_file(w, "main.beancount", evil, describe=True)))
    assert r.returncode == 1
    assert "plugin die verifieer niet uitvoert: os_system_plugin" in r.stdout


@pytest.mark.parametrize("variant", ["en", "tot", "vaststelling", "unicode", "documents", "regels"])
def test_statements_of_every_kind_verify(tmp_path, variant):
    """English, up to a date, with a decision in the books, receipts with non-ASCII names, Fava documents."""
    body = BOOKS
    if variant == "documents":  # a document entry, and one beancount finds in documents/<account>/
        body += '\n2025-03-15 document Assets:Bank:Betaalrekening "documents/afschrift-maart.pdf"\n'

    if variant == "vaststelling":
        body += ('\n2026-03-02 custom "vaststelling" 900.00 EUR\n  door: "J. \\"Jan\\" de Wit (stadsdeel West)"\n'
                 '  kenmerk: "W-2026-0312"\n')
    if variant == "unicode":
        body = body.replace('"bon-a.pdf"', '"bon café €.pdf"')
    folder = tmp_path / "testbuurt-2025"
    _books(folder, body)
    if variant == "unicode":
        (folder / "bon-a.pdf").rename(folder / "bon café €.pdf")
    if variant == "regels":  # the stadsdeel allows Vervoer: the verdict depends on the workspace's rules file
        (tmp_path / "regels.toml").write_text('[stadsdeel.West]\nextra-categorieen = ["Vervoer"]\n', encoding="utf-8")
        with (folder / "main.beancount").open("a", encoding="utf-8") as handle:
            handle.write('\n2025-05-01 * "Taxi" "Vervoer materiaal"\n  document: "bon-a.pdf"\n'
                         '  Expenses:Plannen:Speeltuin:Vervoer   40.00 EUR\n  Assets:Bank:Betaalrekening\n')
    if variant == "documents":
        (folder / "documents" / "afschrift-maart.pdf").write_bytes(b"%PDF-1.4\n% afschrift maart\n")
        account = folder / "documents" / "Expenses" / "Plannen" / "Speeltuin" / "Materiaal"
        account.mkdir(parents=True)
        (account / "2025-03-10.offerte.pdf").write_bytes(b"%PDF-1.4\n% offerte\n")
    args = {"en": ["--taal", "en"], "tot": ["--tot", "2025-03-31"]}.get(variant, [])
    pdf = tmp_path / "v.pdf"
    r = cli("report", str(folder), "-o", str(pdf), *args)
    assert r.returncode == 0, r.stderr
    reader = PdfReader(str(pdf))
    manifest = json.loads(reader.attachments["verantwoording.json"][0])
    if variant == "tot":
        assert manifest["tot"] == "2025-03-31" and manifest["cijfers"]["besteed"] == "€ 662,50"
    if variant == "vaststelling":
        assert manifest["cijfers"]["vastgesteld"] == "€ 900,00"
        assert manifest["cijfers"]["terug"] == "€ 9.100,00"  # received 10,000 − 900
    if variant == "documents":
        assert reader.attachments["documents/afschrift-maart.pdf"][0] == b"%PDF-1.4\n% afschrift maart\n"
        assert "documents/Expenses/Plannen/Speeltuin/Materiaal/2025-03-10.offerte.pdf" in reader.attachments
        assert manifest["cijfers"]["bestanden"] == "5"
    if variant == "regels":
        assert reader.attachments["../regels.toml"][0] == (tmp_path / "regels.toml").read_bytes()
        assert manifest["cijfers"]["overtredingen"] == "1"  # only the missing receipt: Vervoer is allowed
    if variant == "unicode":
        assert "bon café €.pdf" in reader.attachments
        assert any(f["naam"] == "bon café €.pdf" for f in manifest["bestanden"])
    r = _verifieer(pdf)
    assert r.returncode == 0, r.stdout
    assert all(_verdicts(r.stdout).values()) and len(_verdicts(r.stdout)) == 9
    assert "pagina's: elke byte" in r.stdout


# --------------------------------------------------------------- every byte, every page


def _stream_span(pdf: Path, pick: Callable[[PdfReader], object]) -> tuple[int, int]:
    """(offset, length) in the file of the stored bytes of the stream `pick` chooses (an indirect object)."""
    data = pdf.read_bytes()
    reader = PdfReader(str(pdf))
    ref = pick(reader)
    offset = reader.xref[0][ref.idnum]
    start = data.index(b"stream", offset) + len(b"stream")
    start += 2 if data[start:start + 2] == b"\r\n" else 1
    return start, len(ref.get_object()._data)


def _overwrite_middle(pdf: Path, target: Path, pick: Callable[[PdfReader], object]) -> Path:
    """Eight bytes overwritten in the middle of one stream, as a disk or a careless editor would."""
    start, length = _stream_span(pdf, pick)
    assert length > 64
    data = bytearray(pdf.read_bytes())
    middle = start + length // 2
    data[middle:middle + 8] = bytes(b ^ 0x5A for b in data[middle:middle + 8])
    target.write_bytes(bytes(data))
    return target


def _font_file(reader: PdfReader):
    font = next(iter(reader.pages[0]["/Resources"]["/Font"].values())).get_object()
    return font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object().raw_get("/FontFile2")


def _contents(number: int):
    return lambda reader: reader.pages[number].raw_get("/Contents")


def _annex_page(pdf: Path) -> int:
    """The index of the first landscape page: the annex of every booking."""
    pages = PdfReader(str(pdf)).pages
    return next(i for i, p in enumerate(pages) if p.mediabox.width > p.mediabox.height)


def _embedded_stream(name: str):
    return lambda reader: _specs_of(reader)[name]["/EF"].raw_get("/F")


def _specs_of(reader: PdfReader) -> dict[str, object]:
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    return {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}


@pytest.mark.parametrize("part, named", [
    ("font", "het ingesloten lettertype DejaVu"),
    ("page-1", "de inhoud van pagina 1 "),
    ("annex", "de inhoud van pagina {annex} "),
    ("receipt", "het ingesloten bestand bon-a.pdf"),
    ("manifest", "het ingesloten bestand verantwoording.json"),
])
def test_eight_bytes_overwritten_in_any_stream_are_refused(honest, tmp_path, part, named):
    """The issue's damaged file: every page still opens in pypdf's lenient reading, verifieer refuses it."""
    _ledger, pdf = honest
    annex = _annex_page(pdf)
    assert annex > 0
    pick = {"font": _font_file, "page-1": _contents(0), "annex": _contents(annex),
            "receipt": _embedded_stream("bon-a.pdf"), "manifest": _embedded_stream("verantwoording.json")}[part]
    out = _overwrite_middle(pdf, tmp_path / "beschadigd.pdf", pick)
    r = _verifieer(out)
    assert r.returncode == 1, r.stdout + r.stderr
    verdicts = _verdicts(r.stdout)
    assert verdicts["structuur"] is False
    line = next(line for line in r.stdout.splitlines() if line.startswith("AFWIJKING  structuur"))
    assert named.format(annex=annex + 1) in line, line
    assert "de gecomprimeerde gegevens zijn beschadigd" in line
    assert "deze verantwoording is niet wat haar boeken zeggen" in r.stdout


def test_a_changed_byte_of_a_stored_receipt_is_found_by_its_hash(honest, tmp_path):
    """A scan is stored uncompressed: no checksum of its own, but the manifest's SHA-256 tells."""
    _ledger, pdf = honest
    reader = PdfReader(str(pdf))
    assert "/Filter" not in _specs_of(reader)["documents/bon-b.pdf"]["/EF"]["/F"].get_object()
    out = _overwrite_middle(pdf, tmp_path / "x.pdf", _embedded_stream("documents/bon-b.pdf"))
    r = _verifieer(out)
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["structuur"] is True and verdicts["hashes"] is False
    assert "documents/bon-b.pdf (verwacht" in r.stdout


def test_an_appended_incremental_update_is_refused(honest, tmp_path):
    """The statement's bytes untouched, a new revision appended (what a PDF editor's 'save' does)."""
    _ledger, pdf = honest
    writer = PdfWriter(str(pdf), incremental=True)
    writer.add_metadata({"/Title": "Verantwoording (gecorrigeerd)"})
    buffer = io.BytesIO()
    writer.write(buffer)
    out = tmp_path / "bijgewerkt.pdf"
    out.write_bytes(buffer.getvalue())
    assert out.read_bytes().startswith(pdf.read_bytes())
    r = _verifieer(out)
    assert r.returncode == 1
    assert _verdicts(r.stdout)["structuur"] is False
    assert f"de PDF is na het schrijven aangevuld (1 incrementele update(s) vanaf byte {pdf.stat().st_size})" in r.stdout


def test_a_drawing_added_to_a_page_is_found_by_its_bytes(honest, tmp_path):
    """Text unchanged, the file sound: made by this code and fonts, any other byte is a difference."""
    _ledger, pdf = honest

    def draw(w: PdfWriter) -> None:
        page = w.pages[0]
        content = page.get_contents()
        content.set_data(content.get_data() + b"\nq 1 0 0 RG 2 w 60 400 m 500 420 l S Q\n")
        page.replace_contents(content)

    out = _tampered(pdf, tmp_path / "x.pdf", draw)
    r = _verifieer(out)
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["structuur"] is True and verdicts["pagina 1"] is True and verdicts["pagina's"] is False
    assert "dezelfde code, sjablonen, bibliotheken en lettertypen geven andere bytes" in r.stdout


def _other_books_pdf(ledger: Path, tmp_path: Path, old: bytes, new: bytes) -> Path:
    folder = tmp_path / "ander" / ledger.parent.name
    shutil.copytree(ledger.parent, folder)
    (folder / "main.beancount").write_bytes(ledger.read_bytes().replace(old, new))
    other = tmp_path / "ander.pdf"
    assert cli("report", str(folder), "-o", str(other)).returncode == 0
    return other


def test_an_annex_page_from_other_books_is_found(honest, tmp_path):
    """Page 1 honest, an annex row's amount changed: the page that differs is named, with the row."""
    ledger, pdf = honest
    other = _other_books_pdf(ledger, tmp_path, b"250.00 EUR", b"205.00 EUR")
    annex = _annex_page(pdf)

    def paste(w: PdfWriter) -> None:
        w.insert_page(PdfReader(str(other)).pages[annex], annex)
        w.remove_page(annex + 1)

    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", paste))
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["pagina 1"] is True and verdicts["cijfers"] is True and verdicts["pagina's"] is False
    found = re.findall(r"pagina (\d+): de PDF toont '([^']*)' waar de boeken '([^']*)' geven", r.stdout)
    assert [n for n, _s, _b in found] == [str(annex + 1)]
    assert "205,00" in found[0][1] and "250,00" in found[0][2]


def _with_weergave(pdf: Path, target: Path, change: Callable[[dict], None],
                   also: Callable[[PdfWriter], None] | None = None) -> Path:
    manifest = json.loads(_file(pdf, "verantwoording.json"))
    change(manifest["weergave"])

    def edit(w: PdfWriter) -> None:
        _set_file(w, "verantwoording.json", json.dumps(manifest, ensure_ascii=False, sort_keys=True).encode())
        if also:
            also(w)

    return _tampered(pdf, target, edit)


def test_another_version_is_said_and_its_figures_compared(honest, tmp_path):
    """Made by another version of the code: not byte for byte, but every amount of every page."""
    ledger, pdf = honest
    manifest = json.loads(_file(pdf, "verantwoording.json"))
    assert set(manifest["weergave"]) == {"code", "sjablonen", "omgeving"}
    assert manifest["map"] == ledger.parent.name

    def older(weergave: dict) -> None:
        weergave["code"] = "0" * 64

    r = _verifieer(_with_weergave(pdf, tmp_path / "ouder.pdf", older))
    assert r.returncode == 0, r.stdout
    assert "pagina's: gemaakt met een andere versie van buurtbudget (code 000000000000" in r.stdout
    assert "de bedragen en percentages van elk van de" in r.stdout

    other = _other_books_pdf(ledger, tmp_path, b"250.00 EUR", b"205.00 EUR")
    annex = _annex_page(pdf)

    def paste(w: PdfWriter) -> None:
        w.insert_page(PdfReader(str(other)).pages[annex], annex)
        w.remove_page(annex + 1)

    r = _verifieer(_with_weergave(pdf, tmp_path / "ouder-vervalst.pdf", older, paste))
    assert r.returncode == 1
    assert _verdicts(r.stdout)["pagina's"] is False
    assert f"€ 205,00 staat 1× te veel in de PDF (pagina {annex + 1})" in r.stdout
    assert "€ 250,00 ontbreekt 1× in de PDF" in r.stdout


def test_another_environment_compares_the_text_of_every_page(honest, tmp_path):
    """The same code on a machine with other fonts or libraries: the text of every page must match."""
    _ledger, pdf = honest

    def elsewhere(weergave: dict) -> None:
        weergave["omgeving"] = "weasyprint 0.0; fonts elders"

    out = _with_weergave(pdf, tmp_path / "elders.pdf", elsewhere)
    r = _verifieer(out)
    assert r.returncode == 0, r.stdout
    assert "pagina's: de tekst van elk van de" in r.stdout and "gemaakt met weasyprint 0.0; fonts elders" in r.stdout

    # An annex page of other books, read by pdftotext and, where poppler is not installed, by pypdf.
    other = _other_books_pdf(_ledger, tmp_path, b"250.00 EUR", b"205.00 EUR")
    annex = _annex_page(pdf)

    def paste(w: PdfWriter) -> None:
        w.insert_page(PdfReader(str(other)).pages[annex], annex)
        w.remove_page(annex + 1)

    forged = _with_weergave(pdf, tmp_path / "elders-vervalst.pdf", elsewhere, paste)
    no_poppler = {"PATH": str(Path(sys.executable).parent)}  # the venv: python and buurtbudget only
    assert shutil.which("pdftotext") is not None  # poppler-utils: the first run uses it
    assert shutil.which("pdftotext", path=no_poppler["PATH"]) is None
    for extra in ({}, no_poppler):
        r = cli("verifieer", str(forged), env_extra=extra)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stdout + r.stderr
        found = re.findall(r"pagina (\d+): de PDF toont '([^']*)' waar de boeken '([^']*)' geven", r.stdout)
        assert [n for n, _s, _b in found] == [str(annex + 1)], r.stdout
        assert "205,00" in found[0][1] and "250,00" in found[0][2]


# --------------------------------------------------------------- the signed dossier


@pytest.fixture(scope="module")
def sleutel(tmp_path_factory) -> Path:
    werkruimte = tmp_path_factory.mktemp("werkruimte")
    r = cli("sleutel", "maken", str(werkruimte), "--penvoerder", "Stichting Buurtkracht Zuidoost",
            "--organisatie", "Penvoerder K-buurt")
    assert r.returncode == 0, r.stderr
    key = werkruimte / ".sleutels" / "penvoerder.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert (werkruimte / ".sleutels" / ".gitignore").read_text() == "*\n"
    assert "Vingerafdruk (SHA-256): " in r.stdout
    return key


def test_sleutel_maken_refuses_a_ledger_folder_and_an_existing_key(honest, sleutel, tmp_path):
    ledger, _pdf = honest
    r = cli("sleutel", "maken", str(ledger.parent), "--penvoerder", "X")
    assert r.returncode == 2 and "van een buurtbudget" in r.stderr and "sleutel hoort niet bij de boeken" in r.stderr
    assert not (ledger.parent / ".sleutels").exists()
    r = cli("sleutel", "maken", str(sleutel.parent.parent), "--penvoerder", "X")
    assert r.returncode == 2 and "bestaat al" in r.stderr
    r = cli("sleutel", "maken", str(tmp_path), "--penvoerder", "X", "-o", str(ledger.parent / "documents" / "k.pem"))
    assert r.returncode == 2 and "bonnenmap" in r.stderr


@pytest.fixture(scope="module")
def signed(honest, sleutel, tmp_path_factory) -> Path:
    ledger, _pdf = honest
    out = tmp_path_factory.mktemp("ondertekend") / "ondertekend.pdf"
    r = cli("report", str(ledger.parent), "-o", str(out), "--onderteken", str(sleutel))
    assert r.returncode == 0, r.stderr
    assert "ondertekend door Stichting Buurtkracht Zuidoost (Penvoerder K-buurt)" in r.stdout
    return out


def test_a_signed_dossier_verifies_and_says_who_signed(honest, signed):
    _ledger, pdf = honest
    r = _verifieer(signed)
    assert r.returncode == 0, r.stdout
    assert all(_verdicts(r.stdout).values())
    assert re.search(r"in orde   ondertekening: ondertekend door Stichting Buurtkracht Zuidoost \(Penvoerder K-buurt\) "
                     r"op \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(certificaat SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\)", r.stdout)
    # The signature is an incremental update: the statement's own bytes come first, unchanged.
    assert signed.read_bytes().startswith(pdf.read_bytes())
    assert "pagina's: elke byte" in r.stdout


def test_a_signed_dossier_reads_back_with_pyhanko_and_stays_pdfa(honest, signed, sleutel):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.pdf_embedded import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext
    from asn1crypto import pem, x509

    certificate = x509.Certificate.load(pem.unarmor((sleutel.with_suffix(".crt")).read_bytes())[2])
    with signed.open("rb") as handle:
        reader = PdfFileReader(handle)
        (sig,) = reader.embedded_signatures
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=[certificate], allow_fetching=False))
        assert status.intact and status.valid and status.trusted
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
        assert status.signing_cert.subject.native["common_name"] == "Stichting Buurtkracht Zuidoost"
    pdf = PdfReader(str(signed))
    xmp = pdf.xmp_metadata.stream.get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)A', xmp)
    producer = re.search(r'pdf:Producer(?:="|>)([^"<]*)', xmp).group(1)
    assert pdf.metadata["/Producer"] == producer  # the info dictionary and the XMP agree (PDF/A)
    assert pdf.trailer["/Root"]["/AcroForm"]["/SigFlags"] == 3
    widget = pdf.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()
    assert widget["/F"] & 4  # printable (PDF/A), invisible by its empty rectangle
    assert sorted(pdf.attachments) == sorted(PdfReader(str(honest[1])).attachments)


def test_a_byte_changed_after_signing_is_refused(signed, tmp_path):
    data = bytearray(signed.read_bytes())
    start, length = _stream_span(signed, _embedded_stream("documents/bon-b.pdf"))  # stored as is: sound structure
    data[start + length // 2] ^= 0x01
    out = tmp_path / "na-ondertekenen.pdf"
    out.write_bytes(bytes(data))
    r = _verifieer(out)
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["structuur"] is True and verdicts["ondertekening"] is False
    assert "de ondertekende bytes zijn gewijzigd na het ondertekenen" in r.stdout


def test_an_update_appended_after_signing_is_refused(signed, tmp_path):
    writer = PdfWriter(str(signed), incremental=True)
    writer.add_metadata({"/Title": "Verantwoording (na ondertekening)"})
    buffer = io.BytesIO()
    writer.write(buffer)
    out = tmp_path / "na-ondertekenen.pdf"
    out.write_bytes(buffer.getvalue())
    r = _verifieer(out)
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts["ondertekening"] is False and verdicts["structuur"] is False
    assert "na het ondertekenen is de PDF veranderd of aangevuld" in r.stdout
    assert "de PDF is na het ondertekenen aangevuld (1 incrementele update(s)" in r.stdout


def test_a_key_others_can_read_is_not_used(honest, sleutel, tmp_path):
    ledger, _pdf = honest
    loose = tmp_path / "los.pem"
    shutil.copyfile(sleutel, loose)
    os.chmod(loose, 0o644)
    out = tmp_path / "x.pdf"
    r = cli("report", str(ledger.parent), "-o", str(out), "--onderteken", str(loose))
    assert r.returncode == 2 and "andere gebruikers kunnen deze sleutel lezen (modus 644)" in r.stderr
    assert not out.exists()
    r = cli("report", str(ledger.parent), "-o", str(out), "--onderteken", str(tmp_path / "weg.pem"))
    assert r.returncode == 2 and "sleutel niet te lezen" in r.stderr and "Traceback" not in r.stderr


def test_a_stadsdeel_own_templates_are_said_and_the_figures_compared(tmp_path):
    """The stadsdeel's colours are not embedded: verifieer renders with the project's, says so, compares figures."""
    folder = tmp_path / "testbuurt-2025"
    _books(folder)
    own = tmp_path / "sjablonen" / "West"
    own.mkdir(parents=True)
    (own / "huisstijl.css").write_text("h1 { letter-spacing: 1pt; }", encoding="utf-8")
    pdf = tmp_path / "eigen.pdf"
    assert cli("report", str(folder), "-o", str(pdf)).returncode == 0
    r = _verifieer(pdf)
    assert r.returncode == 0, r.stdout
    assert "pagina's: gemaakt met eigen sjablonen (logo, kleuren of teksten van het stadsdeel)" in r.stdout
