"""The previous write's load as the next write's "before" (`ledger.schrijver.vorige_stand`): kept only while
nothing it was read from has changed. That the verdict stays the reference's is the differential
property test in tests/test_schrijven_property.py (run with and without the record)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buurtbudget_admin.valideren import valideer
from ledger.schrijver import vorige_stand
from ledger.schrijver.schrijven import Wijziging, schrijf
from tests.test_schrijven_property import Werkruimte, _cost


@pytest.fixture
def ws(tmp_path):
    vorige_stand.vergeet()
    werkruimte = Werkruimte(tmp_path / "ws")
    schrijf(werkruimte.main, lambda stand: Wijziging(
        "eerste", toevoegen=_cost("2025-03-01", "Speeltuin", "10.00", True, None, "eerste")),
        door="Henk", valideer=valideer, git=False)
    yield werkruimte
    vorige_stand.vergeet()


def _kept(ws) -> bool:
    return vorige_stand.haal(ws.main.resolve(), valideer) is not None


def test_a_write_leaves_its_load_for_the_next(ws):
    assert _kept(ws)
    kept, _ = vorige_stand.haal(ws.main.resolve(), valideer)
    assert kept.bytes_[ws.main.resolve()] == ws.main.read_bytes()


@pytest.mark.parametrize("change", ["main", "include", "receipt gone", "receipt added", "rules file",
                                    "same size, other bytes", "new include match"])
def test_any_change_on_disk_drops_the_record(ws, change):
    folder = ws.folder
    if change == "main":
        ws.main.write_text(ws.main.read_text() + "\n; hand\n")
    elif change == "include":
        ws.extra.write_text(ws.extra.read_text() + "\n; hand\n")
    elif change == "receipt gone":
        (folder / "documents" / "bon.pdf").unlink()
    elif change == "receipt added":
        (folder / "documents" / "nog-een.pdf").write_bytes(b"%PDF-1.4\n")
    elif change == "rules file":
        (ws.root / "regels.toml").write_text('[kader]\nvier-ogen-vanaf = "50.00"\n')
    elif change == "same size, other bytes":
        text = ws.main.read_bytes()
        stat = os.stat(ws.main)
        ws.main.write_bytes(text.replace(b"eerste", b"EERSTE"))
        os.utime(ws.main, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even the mtime put back
    elif change == "new include match":
        ws.main.write_text(ws.main.read_text() + '\ninclude "extra*.beancount"\n')
        assert _kept(ws) is False
        schrijf(ws.main, lambda stand: Wijziging("niets", toevoegen="; niets\n"), door="Henk",
                valideer=valideer, git=False)
        assert _kept(ws)
        (folder / "extra2.beancount").write_text("")
    assert not _kept(ws)


@pytest.mark.parametrize("how", ["absolute", "climbing"])
def test_receipts_outside_the_folder_are_never_kept(tmp_path, how):
    vorige_stand.vergeet()
    ws = Werkruimte(tmp_path / "ws")
    (tmp_path / "ws" / "elders.pdf").write_bytes(b"%PDF-1.4\n")
    outside = tmp_path / "ws" / "elders.pdf" if how == "absolute" else "../elders.pdf"
    schrijf(ws.main, lambda stand: Wijziging("buiten", toevoegen=_cost(
        "2025-03-01", "Speeltuin", "10.00", False, None, "buiten").replace(
        '  ingevoerd-door: "Henk"\n', f'  ingevoerd-door: "Henk"\n  document: "{outside}"\n')),
        door="Henk", valideer=valideer, git=False)
    assert vorige_stand.haal(ws.main.resolve(), valideer) is None
