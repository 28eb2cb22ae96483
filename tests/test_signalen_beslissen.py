"""Signals where people decide (issue 22, items 2 and 3).

Over the planted workspace of `test_signalen` (buurt-a with each pattern, buurt-b
where Joyce Sedney declares and a receipt of buurt-a comes back):

- `betaal` lists the signals of the batch's claims and invoices, computed over the
  whole workspace, and pays anyway;
- `signalen gezien LEDGER ID --reden R` records a mark through the writer; whoever
  the signal's bookings name may not mark it (ledger byte-identical); the mark
  survives bookings added above and stays listed in `signalen`, JSON and the statement;
- the statement has a "Signalen" section, the stadsdeel overview counts them per budget;
- the public copy carries no mark and the public extension page no signal.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from pypdf import PdfReader

from tests.dagelijks_helpers import cli, folder_digest, gebruiker, make_ledger
from tests.test_signalen import LEDGER_A, LEDGER_B, PENVOERDER, RECEIPTS_A, RECEIPTS_B, _line, _write

REDEN = "twee potten potgrond, twee bonnen: nagebeld met Ria"


@pytest.fixture(scope="module")
def sjabloon(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("beslissen") / "ws"
    _write(root / "buurt-a", LEDGER_A, RECEIPTS_A, {"beheerder": PENVOERDER})
    _write(root / "buurt-b", LEDGER_B, RECEIPTS_B, {})
    # The people who mark signals, logins of gebruikers.toml before any refusal is measured.
    for persoon in ("Ria de Boer", "Henk Bakker", "Joyce Sedney", "Fatima el Amrani", PENVOERDER):
        gebruiker(root, persoon)
    return root


@pytest.fixture
def ws(sjabloon: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(sjabloon, root)
    return root


def _json(*paths: Path) -> dict:
    result = cli("signalen", *map(str, paths), "--format", "json", door=None)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _by_code(found: dict, code: str, plek: str) -> dict:
    (signaal,) = [s for s in found["signalen"] if s["code"] == code and plek in s["plekken"]]
    return signaal


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages))


# --------------------------------------------------------------------------- betaal


def test_betaal_lists_the_signals_of_the_batch_and_pays_anyway(ws: Path):
    a = ws / "buurt-a" / "main.beancount"
    before = _json(ws)
    out = ws / "betaling.xml"
    result = cli("betaal", str(ws / "buurt-a"), "-o", str(out), door="Henk Bakker")
    assert result.returncode == 0, result.stderr
    assert out.is_file() and b"pain.001.001.03" in out.read_bytes()  # signals never block
    paid = re.findall(r"^  ((?:decl|fact)-\d{4}-\d{3}) ", result.stdout, re.M)
    assert "decl-2025-001" in paid and "decl-2025-003" in paid
    plekken = {_line(a, f"^{link}") for link in paid}
    expected = {s["id"] for s in before["signalen"] if plekken & set(s["plekken"])}
    section = result.stdout.split("Signalen bij deze betaalopdracht", 1)[1]
    printed = set(re.findall(r"^  SIG-[A-Z-]+ ([a-z-]+-[0-9a-f]{8}) ", section, re.M))
    assert printed == expected
    codes = {s["code"] for s in before["signalen"] if s["id"] in printed}
    # SIG-ZELF is seen only across the workspace (Joyce declares in buurt-b, approves in buurt-a).
    assert {"SIG-EIGEN-IBAN", "SIG-DUBBEL", "SIG-ZELF"} <= codes
    # The costs paid from the bank are no part of a batch: their signals are not listed.
    gesplitst = _by_code(before, "SIG-GESPLITST", _line(a, "Flyers deel 1"))
    assert gesplitst["id"] not in printed and gesplitst["id"] not in result.stdout


def test_betaal_pays_when_the_signals_cannot_be_computed(ws: Path):
    (ws / "kapot").mkdir()
    (ws / "kapot" / "main.beancount").write_bytes(b"\x00\x01 dit is geen ledger\n")
    out = ws / "betaling.xml"
    result = cli("betaal", str(ws / "buurt-a"), "-o", str(out), door="Henk Bakker")
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    assert "let op: de signalen konden niet worden bepaald" in result.stderr
    assert "kapot" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- gezien


def test_whom_a_signal_concerns_may_not_mark_it(ws: Path):
    a = ws / "buurt-a" / "main.beancount"
    dubbel = _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))
    digest = folder_digest(ws)
    # The declarant, the one who entered it, the approver (case and spaces do not matter).
    for who in ("Ria de Boer", "henk  bakker", "JOYCE SEDNEY"):
        result = cli("signalen", "gezien", str(a), dubbel["id"], "--reden", "in orde", "--door", who, door=None)
        assert result.returncode == 1, result.stdout
        assert "mag het daarom niet als gezien markeren" in result.stderr and "niets gewijzigd" in result.stderr
        assert "Traceback" not in result.stderr
        assert folder_digest(ws) == digest


@pytest.mark.parametrize("args, message", [
    (("onbekend-00000000", "--reden", "x"), "staat niet bij"),
    (("dubbel-ID", "--reden", "   "), "--reden ontbreekt"),
    (("dubbel-ID",), "--reden ontbreekt"),
])
def test_marking_refusals_change_nothing(ws: Path, args, message):
    a = ws / "buurt-a" / "main.beancount"
    dubbel = _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))
    args = tuple(dubbel["id"] if x == "dubbel-ID" else x for x in args)
    digest = folder_digest(ws)
    result = cli("signalen", "gezien", str(a), *args, "--door", "Fatima el Amrani", door=None)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    assert folder_digest(ws) == digest


def test_a_signal_of_another_ledger_cannot_be_marked_here(ws: Path):
    a = ws / "buurt-a" / "main.beancount"
    dubbel = _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))  # buurt-a only
    digest = folder_digest(ws)
    result = cli("signalen", "gezien", str(ws / "buurt-b"), dubbel["id"], "--reden", "x", "--door", "Fatima el Amrani",
                 door=None)
    assert result.returncode == 2 and "staat niet bij" in result.stderr
    assert folder_digest(ws) == digest


def test_a_mark_is_recorded_survives_line_shifts_and_stays_listed(ws: Path, tmp_path: Path):
    a = ws / "buurt-a" / "main.beancount"
    dubbel = _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))
    result = cli("signalen", "gezien", str(ws / "buurt-a"), dubbel["id"], "--reden", REDEN,
                 "--door", "Fatima el Amrani", door=None)
    assert result.returncode == 0, result.stderr
    entries, errors, _ = loader.load_file(str(a))
    assert not [e for e in errors if "signaal" in str(e.message)]
    (mark,) = [e for e in entries if isinstance(e, data.Custom) and e.type == "signaal-gezien"]
    assert mark.values[0].value == dubbel["id"]
    assert mark.meta["reden"] == REDEN and mark.meta["door"] == "Fatima el Amrani"

    # Bookings added above every claim: the lines move, the ID and its mark stay.
    text = a.read_text(encoding="utf-8")
    first = text.index("\n2025-02-10 ")
    a.write_text(text[:first] + '\n2025-02-09 note Assets:Bank:Betaalrekening "een regel erbij"\n\n' + text[first:],
                 encoding="utf-8")
    after = _json(ws)
    moved = _by_code(after, "SIG-DUBBEL", _line(a, "^decl-2025-003"))
    assert moved["plekken"] != dubbel["plekken"] and moved["id"] == dubbel["id"]
    (gezien,) = moved["gezien"]
    assert gezien["door"] == "Fatima el Amrani" and gezien["reden"] == REDEN and gezien["ledger"] == "buurt-a"
    others = [s for s in after["signalen"] if s["id"] != dubbel["id"]]
    assert others and not any(s["gezien"] for s in others)

    tekst = cli("signalen", str(ws), door=None).stdout
    block = tekst.split(f"SIG-DUBBEL {dubbel['id']} ", 1)[1].split("\nSIG-", 1)[0]
    assert f"gezien door Fatima el Amrani: {REDEN}" in block
    assert "1 gezien" in tekst

    # The statement lists the marked signal with who saw it and why.
    out = tmp_path / "v.pdf"
    assert cli("report", str(ws / "buurt-a"), "-o", str(out), "--zonder-bonnen", door=None).returncode == 0
    text = _pdf_text(out)
    assert "Signalen" in text and dubbel["id"] in text
    assert f"gezien door Fatima el Amrani: {REDEN}" in text


def test_a_hand_written_mark_by_whom_it_concerns_does_not_count(ws: Path):
    a = ws / "buurt-a" / "main.beancount"
    dubbel = _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))
    with a.open("a", encoding="utf-8") as handle:
        handle.write(f'\n2025-10-01 custom "signaal-gezien" "{dubbel["id"]}"\n  reden: "klopt"\n'
                     '  door: "Ria de Boer"\n')
    assert _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))["gezien"] == []


# --------------------------------------------------------------------------- statement and overview


def test_statement_section_is_the_same_bytes_wherever_the_workspace_is(sjabloon: Path, tmp_path: Path):
    outs = []
    for where in ("hier", "daar/dieper"):
        root = tmp_path / where / "ws"
        shutil.copytree(sjabloon, root)
        out = tmp_path / f"{where.replace('/', '-')}.pdf"
        result = cli("report", str(root / "buurt-b"), "-o", str(out), "--zonder-bonnen", door=None)
        assert result.returncode == 0, result.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    text = _pdf_text(tmp_path / "hier.pdf")
    # buurt-b's own signals include those it shares with buurt-a, named relative to the workspace.
    assert "SIG-BON-DUBBEL" in text and "SIG-ZELF" in text and "buurt-a/main.beancount" in text
    assert str(tmp_path) not in text


def test_statement_without_signals_says_so(tmp_path: Path):
    ledger = make_ledger(tmp_path / "b")
    out = tmp_path / "v.pdf"
    assert cli("report", str(ledger), "-o", str(out), "--zonder-bonnen", door=None).returncode == 0
    assert "Signalen Geen signalen." in _pdf_text(out)


def test_overview_counts_signals_per_budget(sjabloon: Path, tmp_path: Path):
    found = _json(sjabloon)["signalen"]
    out = tmp_path / "o.pdf"
    result = cli("report-stadsdeel", str(sjabloon), "-o", str(out), "--werkers", "1", door=None)
    assert result.returncode == 0, result.stderr
    text = _pdf_text(out)
    section = text.split("Signalen per buurtbudget", 1)[1]
    for slug in ("buurt-a", "buurt-b"):
        counts = [sum(1 for s in found if slug in s["ledgers"] and s["ernst"] == e) for e in ("hoog", "midden", "laag")]
        assert f"Buurtbudget Testbuurt 2025 {counts[0]} {counts[1]} {counts[2]} 0" in section
    for s in found:
        assert (s["id"] in section) is (s["ernst"] == "hoog")


# --------------------------------------------------------------------------- privacy


def test_the_public_view_never_shows_a_signal(ws: Path):
    from fava.application import create_app

    from buurtbudget_admin.service.state import PUBLIC_FAVA_OPTIONS
    from ledger.publiek.redact import redact_ledger
    from rules.checking import check_ledger

    a = ws / "buurt-a" / "main.beancount"
    dubbel = _by_code(_json(ws), "SIG-DUBBEL", _line(a, "^decl-2025-003"))
    assert cli("signalen", "gezien", str(a), dubbel["id"], "--reden", REDEN, "--door", "Fatima el Amrani",
               door=None).returncode == 0
    loaded, _ = check_ledger(a)
    copy = ws.parent / "publiek" / "buurt-a" / "main.beancount"
    copy.parent.mkdir(parents=True)
    copy.write_text(redact_ledger(loaded.entries, loaded.options_map, fava_options=PUBLIC_FAVA_OPTIONS).text,
                    encoding="utf-8")
    text = copy.read_text(encoding="utf-8")
    assert "signaal-gezien" not in text and dubbel["id"] not in text and "nagebeld" not in text

    fava_file = copy.parent / "fava.beancount"
    fava_file.write_text('include "main.beancount"\n'
                         '2025-01-01 custom "fava-extension" "buurtbudget_admin.fava_ext"\n', encoding="utf-8")
    app = create_app([str(fava_file)], read_only=True)
    app.config["BUURTBUDGET_MODE"] = "publiek"
    slug = app.config["LEDGERS"].first_slug()
    client = app.test_client()
    page = client.get(f"/{slug}/extension/Buurtbudget/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SIG-" not in html and dubbel["id"] not in html and "nagebeld" not in html and "Signalen" not in html
    # The statement (which lists the signals) is not served to the public.
    assert client.get(f"/{slug}/extension/Buurtbudget/pdf").status_code == 403


def test_statement_up_to_a_date_shows_the_signals_up_to_it(sjabloon: Path, tmp_path: Path):
    a = sjabloon / "buurt-a" / "main.beancount"
    found = _json(sjabloon)
    dubbel = _by_code(found, "SIG-DUBBEL", _line(a, "^decl-2025-003"))  # claims of 3 June
    hout = _by_code(found, "SIG-BON-DUBBEL", _line(a, "Hout speeltuin"))  # March and April
    out = tmp_path / "v.pdf"
    result = cli("report", str(sjabloon / "buurt-a"), "-o", str(out), "--zonder-bonnen", "--tot", "2025-06-02",
                 door=None)
    assert result.returncode == 0, result.stderr
    text = _pdf_text(out)
    assert hout["id"] in text and dubbel["id"] not in text


def test_whose_account_a_signal_names_may_not_mark_it(ws: Path):
    a = ws / "buurt-a" / "main.beancount"
    # Jan Jansen's claim is paid to the penvoerder's account: the penvoerder is concerned.
    eigen = _by_code(_json(ws), "SIG-EIGEN-IBAN", _line(a, "^decl-2025-002"))
    digest = folder_digest(ws)
    result = cli("signalen", "gezien", str(a), eigen["id"], "--reden", "in orde", "--door", PENVOERDER, door=None)
    assert result.returncode == 1 and "niet als gezien markeren" in result.stderr
    assert folder_digest(ws) == digest


# --------------------------------------------------------------------------- verifieer


def test_verifieer_takes_the_signals_the_statement_recorded_and_notices_them_removed(ws: Path, tmp_path: Path):
    """The signals look across the workspace, which a statement does not embed: verifieer renders
    the pages with the signals of the statement's manifest; a manifest without them no longer
    gives the pages of the PDF."""
    from tests.test_verifieer import _file, _set_file, _tampered, _verdicts

    out = tmp_path / "v.pdf"
    assert cli("report", str(ws / "buurt-a"), "-o", str(out), "--zonder-bonnen", door=None).returncode == 0
    manifest = json.loads(_file(out, "verantwoording.json"))
    assert {s["code"] for s in manifest["signalen"]} >= {"SIG-DUBBEL", "SIG-EIGEN-IBAN"}
    r = cli("verifieer", str(out), door=None)
    assert r.returncode == 0 and "signalen zoals vastgelegd in de PDF" in r.stdout, r.stdout
    manifest["signalen"] = []
    stil = _tampered(out, tmp_path / "stil.pdf",
                     lambda w: _set_file(w, "verantwoording.json", json.dumps(manifest).encode()))
    r = cli("verifieer", str(stil), door=None)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert False in _verdicts(r.stdout).values(), r.stdout
