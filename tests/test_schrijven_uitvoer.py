"""Outputs never inside the books, and receipts by their exact content (issue 21, items 3 and 8).

Every refusal leaves the workspace byte-identical and git as it was.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import fava.application  # noqa: F401 - fava's modules must be imported in its own order
import pytest

from buurtbudget_admin.service.webwrite import receipt_kind
from ledger.buurtbudget.bonnen import MIN_BYTES, BonFout, controleer_bon, lees_bon
from ledger.schrijver.uitvoer import UitvoerFout, uitvoer_pad
from tests.books import BON_PDF
from tests.dagelijks_helpers import gebruiker, cli, make_ledger
from tests.test_betaal_eenmaal import _approved_claim

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00\x00\x00\x10" * 2 + b"\x08\x02\x00\x00\x00" + b"\x00" * 120
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def werkruimte(folder: Path) -> Path:
    """A workspace in git: one buurtbudget folder with its rules file, the users file at the top."""
    ledger = make_ledger(folder / "k-buurt-2025")
    (ledger.parent / "documents" / "bon.pdf").write_bytes(BON_PDF)
    (ledger.parent / "regels.toml").write_text("# de regels van dit buurtbudget\n", encoding="utf-8")
    for persoon in ("Henk", "Ria"):  # the people who write (gebruikers.toml), in the first commit
        gebruiker(folder, persoon)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin")
    return ledger


def afdruk(folder: Path) -> str:
    """Every file of the workspace, .git included (hooks, index), by path and bytes; and git's HEAD."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest() + git(folder, "rev-parse", "HEAD")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    werkruimte(tmp_path / "ws")
    return tmp_path / "ws"


def _geweigerd(ws: Path, *args: str) -> str:
    voor = afdruk(ws)
    r = cli(*args, cwd=ws)
    assert r.returncode in (1, 2), (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("fout: ") and "interne fout" not in r.stderr and "Traceback" not in r.stderr
    assert afdruk(ws) == voor, args
    assert git(ws, "status", "--porcelain", "--untracked-files=all") == ""
    return r.stderr


@pytest.mark.parametrize("doel,woorden", [
    ("k-buurt-2025/regels.toml", "instellingenbestand"),
    ("gebruikers.toml", "instellingenbestand"),
    (".git/hooks/pre-commit", "git-map"),
    (".git/config", "git-map"),
    ("k-buurt-2025/betaling.xml", "van een buurtbudget"),
    ("k-buurt-2025/documents/betaling.xml", "bonnenmap"),
    ("k-buurt-2025/main.beancount", "ledgerbestand"),
])
def test_betaal_never_writes_into_the_books(ws: Path, doel: str, woorden: str) -> None:
    err = _geweigerd(ws, "betaal", "k-buurt-2025", "-o", doel, "--overschrijven", "--datum", "2025-05-08")
    assert woorden in err and doel.split("/")[-1] in err, err


@pytest.mark.parametrize("opdracht", [
    ("report", "k-buurt-2025", "-o"),
    ("export", "k-buurt-2025", "--format", "csv", "-o"),
])
@pytest.mark.parametrize("doel", ["k-buurt-2025/regels.toml", "k-buurt-2025/verslag.pdf", ".git/hooks/post-commit",
                                  "k-buurt-2025/documents/x.pdf", "gebruikers.toml"])
def test_reports_and_exports_never_write_into_the_books(ws: Path, opdracht: tuple, doel: str) -> None:
    _geweigerd(ws, *opdracht, doel, "--overschrijven")


@pytest.mark.parametrize("doel,woorden", [
    (".git/hooks/sleutel.pem", "git-map"),
    ("k-buurt-2025/sleutel.pem", "van een buurtbudget"),
    ("k-buurt-2025/documents/sleutel.pem", "bonnenmap"),
])
def test_sleutel_maken_never_writes_into_the_books(ws: Path, doel: str, woorden: str) -> None:
    # The key and its certificate are files a command writes too: the same policy.
    err = _geweigerd(ws, "sleutel", "maken", ".", "--penvoerder", "Stichting X", "-o", doel)
    assert woorden in err and "sleutel hoort niet bij de boeken" in err, err


def test_an_existing_file_is_replaced_only_with_overschrijven(ws: Path) -> None:
    brief = ws / "bijlage.csv"
    brief.write_text("mijn eigen bestand\n", encoding="utf-8")
    (ws / ".gitignore").write_text("bijlage.csv\nbetalingen/\n", encoding="utf-8")
    git(ws, "add", ".gitignore")
    git(ws, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "negeer")
    err = _geweigerd(ws, "export", "k-buurt-2025", "--format", "csv", "-o", "bijlage.csv")
    assert "bestaat al" in err and "--overschrijven" in err
    r = cli("export", "k-buurt-2025", "--format", "csv", "-o", "bijlage.csv", "--overschrijven", cwd=ws)
    assert r.returncode == 0, r.stderr
    assert brief.read_text(encoding="utf-8").startswith("\ufeff") or "mijn eigen" not in brief.read_text("utf-8")


def test_payment_files_go_to_the_workspace_s_betalingen_folder(ws: Path, tmp_path: Path) -> None:
    ledger = ws / "k-buurt-2025" / "main.beancount"
    link = _approved_claim(ledger, tmp_path)
    r = cli("betaal", "k-buurt-2025", "--datum", "2025-05-08", cwd=ws)
    assert r.returncode == 0, r.stderr
    (bestand,) = (ws / "betalingen").iterdir()
    assert bestand.name == "betaling-k-buurt-2025-2025-05-08.xml"
    assert link in bestand.read_text(encoding="utf-8")
    assert f'"{bestand.name}"' in ledger.read_text(encoding="utf-8")
    assert not list((ws / "k-buurt-2025").glob("*.xml"))


def test_the_output_policy_follows_links_and_never_leaves_the_books_by_a_detour(ws: Path) -> None:
    ledger = ws / "k-buurt-2025" / "main.beancount"
    (ws / "uit").mkdir()
    (ws / "uit" / "regels.xml").symlink_to(ws / "k-buurt-2025" / "regels.toml")
    (ws / "uit" / "boeken").symlink_to(ws / "k-buurt-2025", target_is_directory=True)
    for doel in (ws / "uit" / "regels.xml", ws / "uit" / "boeken" / "x.pdf", ws / "uit" / ".." / ".git" / "x"):
        with pytest.raises(UitvoerFout):
            uitvoer_pad(doel, ledgers=[ledger], overschrijven=True)
    assert uitvoer_pad(ws / "uit" / "verslag.pdf", ledgers=[ledger]) == (ws / "uit" / "verslag.pdf").resolve()


# --------------------------------------------------------------------------- receipts


@pytest.mark.parametrize("naam,inhoud", [
    ("passwd-dan-pdf", b"root:x:0:0:root:/root:/bin/bash\n" + BON_PDF),
    ("hallo-pdf", b"hello\n%PDF-1.4"),
    ("te-klein", b"%PDF-1.4\n% bon\n%%EOF\n"),
    ("pdf-zonder-einde", b"%PDF-1.4\n" + b"0" * 500),
    ("pdf-zonder-versie", b"%PDF-x\n" + b"0" * 200 + b"%%EOF\n"),
    ("png-zonder-ihdr", b"\x89PNG\r\n\x1a\n" + b"0" * 200),
    ("jpeg-te-klein", b"\xff\xd8\xff\xe0" + b"0" * 20),
    ("leeg", b""),
])
def test_what_is_not_exactly_a_receipt_is_refused_by_cli_and_web_alike(tmp_path: Path, naam: str,
                                                                         inhoud: bytes) -> None:
    pad = tmp_path / f"{naam}.pdf"
    pad.write_bytes(inhoud)
    with pytest.raises(BonFout, match=naam):
        lees_bon(pad)
    assert receipt_kind(inhoud, f"{naam}.pdf") is not None


@pytest.mark.parametrize("inhoud,soort,naam", [(BON_PDF, "PDF", "bon.pdf"), (PNG, "PNG", "bon.png"),
                                               (JPEG, "JPEG", "bon.jpg")])
def test_a_receipt_is_accepted_by_cli_and_web_alike(tmp_path: Path, inhoud: bytes, soort: str, naam: str) -> None:
    assert len(inhoud) >= MIN_BYTES
    pad = tmp_path / naam
    pad.write_bytes(inhoud)
    assert lees_bon(pad).soort == soort == controleer_bon(inhoud, naam)[0]
    assert receipt_kind(inhoud, naam) is None


def test_one_size_limit_for_cli_and_web(tmp_path: Path, monkeypatch) -> None:
    groot = BON_PDF[:-6] + b"0" * (1024 * 1024) + b"%%EOF\n"
    pad = tmp_path / "groot.pdf"
    pad.write_bytes(groot)
    monkeypatch.setenv("BUURTBUDGET_BON_MAX_MB", "1")
    with pytest.raises(BonFout, match="te groot"):
        lees_bon(pad)
    assert "te groot" in receipt_kind(groot, "groot.pdf")
    monkeypatch.setenv("BUURTBUDGET_BON_MAX_MB", "2")
    assert lees_bon(pad).soort == "PDF" and receipt_kind(groot, "groot.pdf") is None


def test_boek_refuses_text_before_a_pdf_header_and_changes_nothing(ws: Path) -> None:
    nep = ws.parent / "bon.pdf"
    nep.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" + BON_PDF)
    err = _geweigerd(ws, "boek", "k-buurt-2025", "--datum", "2025-03-01", "--bedrag", "10", "--plan", "Speeltuin",
                     "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Verf",
                     "--bon", str(nep))
    assert "geen PDF, JPEG of PNG" in err and "eerste byte" in err
