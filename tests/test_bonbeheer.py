"""A receipt on an existing booking: attach, replace, remove, move back; from the command line.

The ledger is the docstring of each test (after the standard Dutch ledger of
`tests.dagelijks_helpers`), in a git repository; `documents/hout.pdf` is the
receipt that was put on the wrong booking. Bookings are named by link or by
`main.beancount:<line>`.
"""

from __future__ import annotations

import inspect
import subprocess
import textwrap
from pathlib import Path

from ledger.evaluatie.loading import read_ledger
from tests.books import BON_PDF
from tests.dagelijks_helpers import LEDGER, RESIDENT_IBAN, cli, folder_digest, receipt

HOUT = BON_PDF.replace(b"% bon\n", b"% hout voor de speeltuin\n")


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def _from_doc(tmp_path: Path) -> Path:
    caller = inspect.stack()[1].function
    folder = tmp_path / "buurt"
    (folder / "documents").mkdir(parents=True)
    (folder / "documents" / "hout.pdf").write_bytes(HOUT)
    ledger = folder / "main.beancount"
    ledger.write_text(LEDGER + textwrap.dedent(globals()[caller].__doc__.split("\n", 1)[1]), encoding="utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "buurt")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "begin")
    return ledger


def _ref(ledger: Path, first_line: str) -> str:
    """`main.beancount:N` of the booking whose first line starts so."""
    lines = ledger.read_text(encoding="utf-8").split("\n")
    (n,) = [i + 1 for i, line in enumerate(lines) if line.startswith(first_line)]
    return f"main.beancount:{n}"


def _documents(ledger: Path) -> dict[str, str | None]:
    """Each bank-paid cost's narration with its `document:`."""
    return {e.narration: e.meta.get("document") for e in read_ledger(ledger).entries
            if getattr(e, "narration", "").startswith(("Hout", "Verf"))}


def test_a_receipt_on_the_wrong_booking_is_moved_back(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR

    2025-03-10 * "Bouwmarkt" "Hout voor de speeltuin"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Speeltuin:Materiaal   120.00 EUR
      Activa:Bank:Betaalrekening   -120.00 EUR

    2025-03-12 * "Verfhandel" "Verf voor de bank"
      document: "documents/hout.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Speeltuin:Materiaal   45.00 EUR
      Activa:Bank:Betaalrekening   -45.00 EUR
    """
    ledger = _from_doc(tmp_path)
    ws = tmp_path
    # Onto the right booking, the file as it is in documents/ (no copy).
    r = cli("bon", "koppelen", str(ledger), _ref(ledger, '2025-03-10 * "Bouwmarkt"'), "documents/hout.pdf",
            door="Joyce Sedney", cwd=ledger.parent)
    assert r.returncode == 0, r.stderr
    assert _documents(ledger) == {"Hout voor de speeltuin": "documents/hout.pdf",
                                  "Verf voor de bank": "documents/hout.pdf"}
    assert sorted(p.name for p in (ledger.parent / "documents").iterdir()) == ["hout.pdf"]
    text = ledger.read_text(encoding="utf-8")
    assert '2025-03-10 * "Bouwmarkt" "Hout voor de speeltuin"\n  document: "documents/hout.pdf"\n' \
           '  ingevoerd-door: "Henk Bakker"\n' in text
    assert _git(ws, "log", "-1", "--format=%an|%s").startswith("Joyce Sedney|Bon documents/hout.pdf gekoppeld")
    assert _git(ws, "show", "--stat", "--format=", "HEAD").count("|") == 1  # one file: the ledger

    # Off the wrong booking: a cost without receipt breaks BB-BON, so it takes a reason.
    verf_ref = _ref(ledger, '2025-03-12 * "Verfhandel"')
    before = folder_digest(ledger.parent)
    r = cli("bon", "verwijderen", str(ledger), verf_ref, door="Joyce Sedney")
    assert r.returncode == 1 and "BB-BON" in r.stderr and folder_digest(ledger.parent) == before
    r = cli("bon", "verwijderen", str(ledger), verf_ref, "--toch", "--reden", "verfbon opgevraagd bij de winkel",
            door="Joyce Sedney")
    assert r.returncode == 0, r.stderr
    assert _documents(ledger) == {"Hout voor de speeltuin": "documents/hout.pdf", "Verf voor de bank": None}
    assert (ledger.parent / "documents" / "hout.pdf").read_bytes() == HOUT
    assert 'toch-reden: "verfbon opgevraagd bij de winkel"' in ledger.read_text(encoding="utf-8")
    assert _git(ws, "log", "-1", "--format=%an|%s").startswith("Joyce Sedney|Bon documents/hout.pdf losgemaakt")

    # The paint's own receipt, a new file: checked and copied in under a dated name.
    verf = receipt(tmp_path, "Verf bon.pdf")
    r = cli("bon", "koppelen", str(ledger), _ref(ledger, '2025-03-12 * "Verfhandel"'), str(verf), door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    assert _documents(ledger)["Verf voor de bank"] == "documents/2025-03-12-verf-bon.pdf"
    assert (ledger.parent / "documents/2025-03-12-verf-bon.pdf").read_bytes() == verf.read_bytes()

    # Replaced by a better scan: the old file stays.
    scan = receipt(tmp_path, "scan.pdf")
    r = cli("bon", "vervangen", str(ledger), _ref(ledger, '2025-03-12 * "Verfhandel"'), str(scan), door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    assert _documents(ledger)["Verf voor de bank"] == "documents/2025-03-12-scan.pdf"
    assert (ledger.parent / "documents/2025-03-12-verf-bon.pdf").exists()
    assert _git(ws, "log", "-1", "--format=%an|%s").startswith("Henk Bakker|Bon van Verfhandel")


def test_refusals_leave_the_ledger_byte_identical(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR

    2025-03-12 * "Verfhandel" "Verf voor de bank"
      document: "documents/hout.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Speeltuin:Materiaal   45.00 EUR
      Activa:Bank:Betaalrekening   -45.00 EUR
    """
    ledger = _from_doc(tmp_path)
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-02", "--declarant", "Fatima el Amrani",
            "--iban", RESIDENT_IBAN, "--bedrag", "64,20", "--plan", "Speeltuin", "--categorie", "Materiaal",
            "--omschrijving", "bloembollen", "--bon", str(receipt(tmp_path, "bollen.pdf")), door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    r = cli("declaratie", "goedkeuren", str(ledger), "decl-2025-001", door="Joyce Sedney")
    assert r.returncode == 0, r.stderr
    commits = _git(tmp_path, "rev-list", "--count", "HEAD")
    before = folder_digest(ledger.parent)
    andere = receipt(tmp_path, "andere.pdf")
    nep = tmp_path / "nep.pdf"
    nep.write_text("root:x:0:0:root:/root:/bin/bash\n" * 10, encoding="utf-8")
    verf = _ref(ledger, '2025-03-12 * "Verfhandel"')
    for args, why in [
        (("vervangen", "decl-2025-001", str(andere)), "al goedgekeurd"),  # its approval covers the receipt
        (("verwijderen", "^decl-2025-001"), "al goedgekeurd"),
        (("koppelen", verf, str(andere)), "heeft al een bon"),
        (("vervangen", verf, str(nep)), "geen PDF, JPEG of PNG"),
        (("koppelen", "main.beancount:3", str(andere)), "daar begint geen boeking"),
        (("verwijderen", "decl-2099-001"), "geen boeking met link ^decl-2099-001"),
    ]:
        r = cli("bon", args[0], str(ledger), *args[1:], door="Henk Bakker")
        assert r.returncode == 2 and why in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert folder_digest(ledger.parent) == before, args
    assert _git(tmp_path, "rev-list", "--count", "HEAD") == commits


def test_a_settled_period_is_closed_to_receipt_changes(tmp_path):
    """
    2025-02-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR

    2025-03-12 * "Verfhandel" "Verf voor de bank"
      document: "documents/hout.pdf"
      ingevoerd-door: "Henk Bakker"
      Uitgaven:Plannen:Speeltuin:Materiaal   45.00 EUR
      Activa:Bank:Betaalrekening   -45.00 EUR
    """
    ledger = _from_doc(tmp_path)
    r = cli("afsluiten", str(ledger), "--datum", "2026-01-31", door="Henk Bakker")
    assert r.returncode == 0, r.stderr
    before = folder_digest(ledger.parent)
    r = cli("bon", "verwijderen", str(ledger), _ref(ledger, '2025-03-12 * "Verfhandel"'), door="Henk Bakker")
    assert r.returncode == 1 and "BB-AFGESLOTEN" in r.stderr and "Traceback" not in r.stderr
    assert folder_digest(ledger.parent) == before
