"""A booking written anyway (`--toch --reden`) never disappears from view (issue 21, item 6).

After the settlement, a cost in the closed period is written anyway. The reason is then listed by
`check` (as a notice, text and JSON), in the statement (its own section, and the difference with
the settlement among the figures) and on the Fava extension page (reason for beheer only).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.dagelijks_helpers import cli, folder_digest, gebruiker, make_ledger, receipt

REDEN = "correctie accountant"


@pytest.fixture(scope="module")
def geforceerd(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("toch")
    ledger = make_ledger(tmp / "b")
    gebruiker(tmp, "Henk")  # the person the commands run as, in the first commit
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin"]):
        _git(tmp, *args)
    bon = receipt(tmp)
    boek = ("boek", str(ledger), "--plan", "Speeltuin", "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt",
            "--bon", str(bon))
    assert cli(*boek, "--datum", "2025-03-10", "--bedrag", "400", "--omschrijving", "Hout").returncode == 0
    assert cli("afsluiten", str(ledger), "--datum", "2026-01-31").returncode == 0
    voor = (folder_digest(ledger.parent), _git(tmp, "rev-parse", "HEAD"), _git(tmp, "status", "--porcelain"))
    refused = cli(*boek, "--datum", "2025-06-01", "--bedrag", "99", "--omschrijving", "Vergeten tegels")
    assert refused.returncode != 0 and "afgesloten" in refused.stderr.lower()
    assert (folder_digest(ledger.parent), _git(tmp, "rev-parse", "HEAD"), _git(tmp, "status", "--porcelain")) == voor
    forced = cli(*boek, "--datum", "2025-06-01", "--bedrag", "99", "--omschrijving", "Vergeten tegels",
                 "--toch", "--reden", REDEN)
    assert forced.returncode == 0, forced.stderr
    assert _git(tmp, "status", "--porcelain", "--", "b") == ""  # written anyway, and committed
    assert _git(tmp, "log", "-1", "--format=%an").strip() == "Henk"
    return ledger


def _git(folder: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def _line_of(ledger: Path, text: str) -> int:
    lines = ledger.read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def test_check_lists_the_reason_as_a_notice(geforceerd: Path):
    result = cli("check", str(geforceerd), door=None)
    line = _line_of(geforceerd, '"Vergeten tegels"')
    assert f"{geforceerd}:{line}: melding: toch geschreven door" in result.stdout
    assert f'reden "{REDEN}"' in result.stdout and "Vergeten tegels" in result.stdout
    assert "1 keer bewust toch geschreven" in result.stdout
    as_json = json.loads(cli("check", str(geforceerd), "--format", "json", door=None).stdout)
    (melding,) = as_json["ledgers"][0]["meldingen"]
    assert melding["toch-reden"] == REDEN and melding["regel"] == line and melding["datum"] == "2025-06-01"


def test_statement_has_a_section_and_the_settlement_difference(geforceerd: Path, tmp_path: Path):
    out = tmp_path / "v.pdf"
    result = cli("report", str(geforceerd), "-o", str(out), "--zonder-bonnen", door=None)
    assert result.returncode == 0, result.stderr
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages))
    assert "Bewust toch geschreven" in text and REDEN in text and "Vergeten tegels" in text
    # Settled 9,600 (10,000 − 400); then 99 more spent: the unspent part is 9,501 and the report says why.
    assert "Verschil met de afsluiting (boekingen na de afsluiting) € 99,00" in text


def test_statement_without_overrides_says_so(tmp_path: Path):
    ledger = make_ledger(tmp_path / "b")
    out = tmp_path / "v.pdf"
    assert cli("report", str(ledger), "-o", str(out), "--zonder-bonnen", door=None).returncode == 0
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages))
    assert "Geen enkele boeking is toch geschreven" in text and "Verschil met de afsluiting" not in text


@pytest.mark.parametrize("mode, shows_reason", [("beheer", True), ("publiek", False)])
def test_extension_page_lists_it(geforceerd: Path, mode: str, shows_reason: bool):
    from fava.application import create_app

    # Fava over the ledger with our extension, as the service serves it (a file that includes the books).
    fava_file = geforceerd.parent / f"fava-{mode}.beancount"
    fava_file.write_text('include "main.beancount"\n'
                         '2025-01-01 custom "fava-extension" "buurtbudget_admin.fava_ext"\n', encoding="utf-8")
    app = create_app([str(fava_file)], read_only=True)
    app.config["BUURTBUDGET_MODE"] = mode
    slug = app.config["LEDGERS"].first_slug()
    page = app.test_client().get(f"/{slug}/extension/Buurtbudget/").get_data(as_text=True)
    assert 'id="bb-toch"' in page and "2025-06-01" in page and "Vergeten tegels" in page
    assert (REDEN in page) is shows_reason
