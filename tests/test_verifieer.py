"""`buurtbudget verifieer` against honest statements and statements tampered with, one part at a time.

Each tampered copy is made with pypdf, the way someone would edit a PDF: an
embedded file's bytes, the manifest's figures, two receipts swapped, an
attachment removed, page 1 replaced. The command is the real console script.
"""

from __future__ import annotations

import hashlib
import json
import shutil
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
    (folder / "bon-a.pdf").write_bytes(b"%PDF-1.4\n% bon A: verf en hout, 412,50\n")
    (folder / "documents" / "bon-b.pdf").write_bytes(b"%PDF-1.4\n% bon B: hekwerk, 250,00\n")
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
    assert _verdicts(r.stdout) == {"bestanden": True, "hashes": True, "gecombineerde hash": True, "boeken": True,
                                   "cijfers": True, "pagina 1": True}
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
    forged_manifest = manifest_bytes(forged_statement)

    def forge(w: PdfWriter) -> None:
        _set_file(w, "main.beancount", (folder / "main.beancount").read_bytes(), describe=True)
        _set_file(w, "verantwoording.json", forged_manifest)

    r = _verifieer(_tampered(pdf, tmp_path / "x.pdf", forge))
    assert r.returncode == 1
    verdicts = _verdicts(r.stdout)
    assert verdicts == {"bestanden": True, "hashes": True, "gecombineerde hash": False, "boeken": True,
                        "cijfers": True, "pagina 1": False}
    assert "pagina 1 noemt een andere" in r.stdout
    assert "besteed ('Besteed € 662,50')" in r.stdout


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
    assert all(_verdicts(r.stdout).values()) and len(_verdicts(r.stdout)) == 6
