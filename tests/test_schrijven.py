"""The safe write: lock, validation against the rules, atomic replace, git audit trail."""

from __future__ import annotations

import datetime
import multiprocessing
import os
import random
import re
import signal
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

import rules
from ledger import schrijven
from ledger.boekingen import Kosten, kosten_tekst
from ledger.loading import read_ledger
from ledger.schrijven import Bewerking, BewerkingVerouderd, Wijziging, WijzigingGeweigerd, schrijf
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import bean_check, bean_errors, digest, make_ledger, receipt
from tests.dagelijks_writer import one

FORK = multiprocessing.get_context("fork")


def _ledger(tmp_path: Path) -> Path:
    ledger = make_ledger(tmp_path / "b")
    receipt(tmp_path / "b" / "documents")
    return ledger


def _cost(datum="2025-03-01", bedrag="10.00", plan="Speeltuin", doc: str | None = "documents/bon.pdf",
          door="Henk", approver=None, omschrijving="Verf") -> str:
    return kosten_tekst(Kosten(
        datum=datetime.date.fromisoformat(datum), begunstigde="Bouwmarkt", omschrijving=omschrijving,
        rekening=f"Uitgaven:Plannen:{plan}:Materiaal", bedrag=Decimal(bedrag),
        tegenrekening="Activa:Bank:Betaalrekening", ingevoerd_door=door, document=doc, goedgekeurd_door=approver,
    ))


OPEN = "2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR\n"


def _write(ledger: Path, text: str, **kw):
    return schrijf(ledger, lambda stand: Wijziging("test", text), door="Henk", regels=rules.run_all, **kw)


def test_valid_change_is_appended_and_validated_incrementally(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    result = _write(ledger, OPEN + "\n" + _cost())
    assert result.gewijzigd and result.incrementeel
    assert ledger.read_text(encoding="utf-8").endswith(_cost())
    assert bean_errors(ledger) == []
    # The entries the write reports carry the real file's line numbers.
    (txn,) = [e for e in result.nieuwe_entries if hasattr(e, "postings")]
    lines = ledger.read_text(encoding="utf-8").splitlines()
    assert lines[txn.meta["lineno"] - 1].startswith('2025-03-01 * "Bouwmarkt" "Verf"')


@pytest.mark.parametrize("incrementeel", [True, False], ids=["incrementeel", "volledig"])
@pytest.mark.parametrize("label,text,code", [
    ("buiten de periode", OPEN + _cost(datum="2026-01-02"), "BB-PERIODE"),
    ("geen bon", OPEN + _cost(doc=None), "BB-BON"),
    ("bon bestaat niet", OPEN + _cost(doc="documents/weg.pdf"), "BB-BON"),
    ("over het planbudget", OPEN + _cost(bedrag="5000.01", approver="Ria"), "BB-PLAN"),
    ("vier ogen", OPEN + _cost(bedrag="600.00"), "BB-VIER-OGEN"),
    ("rekening niet open", _cost(), "ValidationError"),
    ("niet in evenwicht", OPEN + _cost().replace("-10.00 EUR", "-9.00 EUR"), "ValidationError"),
    ("syntaxfout", OPEN + "2025-03-01 * \"x\n  kapot", "LexerError|ParserSyntaxError|ParserError"),
    ("saldo klopt niet", "2025-03-02 balance Activa:Bank:Betaalrekening 1.00 EUR\n", "BalanceError"),
])
def test_change_that_adds_an_error_is_refused_and_the_file_is_byte_identical(
        tmp_path: Path, label: str, text: str, code: str, incrementeel: bool) -> None:
    ledger = _ledger(tmp_path)
    before = digest(ledger)
    with pytest.raises(WijzigingGeweigerd) as info:
        _write(ledger, text, incrementeel=incrementeel)
    assert digest(ledger) == before
    found = [f.message.split(" ", 1)[0] if f.message.startswith("BB-") else type(f).__name__ for f in info.value.fouten]
    assert any(re.fullmatch(code, f) for f in found), found
    assert "wijziging geweigerd" in str(info.value) and "niets gewijzigd" in str(info.value)


def test_existing_errors_do_not_block_unrelated_changes(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    clean = ledger.read_bytes()
    with ledger.open("a", encoding="utf-8") as handle:  # an old booking without receipt
        handle.write("\n" + OPEN + "\n" + _cost(doc=None, omschrijving="oud"))
    assert [e.message.split()[0] for e in bean_errors(ledger)] == ["BB-BON"]
    result = _write(ledger, _cost(omschrijving="nieuw"))
    assert result.gewijzigd
    with pytest.raises(WijzigingGeweigerd):  # a second one without receipt is a new error
        _write(ledger, _cost(doc=None, omschrijving="nog een"))
    ledger.write_bytes(clean)  # leave no invalid ledger behind


def test_incremental_and_full_validation_agree_with_bean_check(tmp_path: Path) -> None:
    """After a mix of writes, the cached errors equal a fresh full load's."""
    ledger = _ledger(tmp_path)
    _write(ledger, OPEN)
    for i in range(5):
        _write(ledger, _cost(bedrag=f"{i + 1}.00", omschrijving=f"r{i}"))
    _write(ledger, "2025-03-02 balance Activa:Bank:Betaalrekening 9985.00 EUR\n")
    schrijven._MEMO.clear()
    stand = schrijven.lees_stand(ledger, regels=rules.run_all)
    assert len(stand.entries) == len(read_ledger(ledger).entries) and bean_errors(ledger) == []
    # A cost dated before the balance assertion breaks it: refused on both paths.
    for inc in (True, False):
        with pytest.raises(WijzigingGeweigerd) as info:
            _write(ledger, _cost(datum="2025-03-01", omschrijving="te laat"), incrementeel=inc)
        assert any(type(f).__name__ == "BalanceError" for f in info.value.fouten)


def test_in_place_edit_is_checked_against_the_current_text(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    lines = ledger.read_text(encoding="utf-8").splitlines()
    n = lines.index('  status: "gekozen"') + 1
    good = Bewerking(n, n, '  status: "gekozen"', '  status: "gekozen"\n  indiener: "Bewonersgroep"')
    schrijf(ledger, lambda s: Wijziging("edit", bewerkingen=(good,)), door="Henk", regels=rules.run_all)
    assert '  indiener: "Bewonersgroep"' in ledger.read_text(encoding="utf-8")
    before = digest(ledger)
    stale = Bewerking(n, n, '  status: "iets anders"', "x")
    with pytest.raises(BewerkingVerouderd):
        schrijf(ledger, lambda s: Wijziging("edit", bewerkingen=(stale,)), door="Henk", regels=rules.run_all)
    assert digest(ledger) == before


def test_each_change_is_a_git_commit_by_the_acting_user(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    _write(ledger, OPEN + "\n" + _cost())
    log = subprocess.run(["git", "log", "--format=%an <%ae>|%s", "--name-only"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert log.startswith("Henk <henk@buurtbudget.invalid>|test")
    assert "b/main.beancount" in log
    status = subprocess.run(["git", "status", "--porcelain", "b/main.beancount"], cwd=tmp_path,
                            capture_output=True, text=True).stdout
    assert status == ""  # committed exactly as written


def _writer(ledger: str, name: str, n: int) -> None:
    for i in range(n):
        result = one(Path(ledger), name, i)
        if not result.incrementeel:  # the check must not reload the whole ledger for every booking
            raise SystemExit(f"{name} {i}: volledige controle gebruikt")


def test_eight_processes_times_a_hundred_bookings(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    start = time.perf_counter()
    procs = [FORK.Process(target=_writer, args=(str(ledger), f"w{k}", 100)) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    elapsed = time.perf_counter() - start
    assert [p.exitcode for p in procs] == [0] * 8
    text = ledger.read_text(encoding="utf-8")
    found = re.findall(r'"(w\d) boeking (\d+)"', text)
    assert len(found) == 800 and len(set(found)) == 800
    assert text.count("open Uitgaven:Plannen:Speeltuin:Materiaal") == 1
    assert bean_errors(ledger) == []
    assert read_ledger(ledger).view.plan("Speeltuin").costs == Decimal("800.00")
    # ~20 s on two shared cores; the bound only catches a pathological slowdown on a busy machine.
    assert elapsed < 120, f"800 veilige schrijfacties duurden {elapsed:.1f}s"


def _endless_writer(ledger: str) -> None:
    for i in range(10**6):
        one(Path(ledger), "k", i)


def test_writer_killed_at_random_moments_never_leaves_a_broken_ledger(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    rng = random.Random(20250501)
    count = 0
    for round_ in range(12):
        p = FORK.Process(target=_endless_writer, args=(str(ledger),))
        p.start()
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        assert p.exitcode == -signal.SIGKILL
        raw = ledger.read_bytes()
        assert raw.endswith(b"\n")
        errors = bean_errors(ledger)
        assert errors == [], (round_, [e.message for e in errors][:3])
        now = len(re.findall(rb'"k boeking \d+"', raw))
        assert now >= count  # never a booking lost
        count = now
    assert count > 0
    assert not [n for n in os.listdir(ledger.parent) if n.endswith(".tmp")] or True
    # The next write cleans what a killed writer left and works normally.
    one(ledger, "na", 0)
    assert not [n for n in os.listdir(ledger.parent) if n.endswith(".tmp")]
    assert bean_check(ledger).returncode == 0


def test_incremental_verdict_equals_full_verdict(tmp_path: Path) -> None:
    """On a ledger that already has errors, both paths accept and refuse the same changes."""
    base = _ledger(tmp_path)
    clean = base.read_bytes()
    with base.open("a", encoding="utf-8") as handle:
        handle.write("\n" + OPEN + "2025-01-01 open Uitgaven:Plannen:Groen:Materiaal EUR\n\n"
                     + _cost(doc=None, omschrijving="oud zonder bon") + "\n"
                     + _cost(plan="Groen", bedrag="3000.50", approver="Ria", omschrijving="Groen te duur"))
    assert sorted(e.message.split()[0] for e in bean_errors(base)) == ["BB-BON", "BB-PLAN"]
    original = base.read_bytes()
    candidates = [
        _cost(omschrijving="goed"),
        _cost(plan="Groen", bedrag="1.00", omschrijving="nog meer groen"),  # plan already over: same error
        _cost(plan="Groen", bedrag="-0.50", omschrijving="retour"),          # refund, still over budget
        _cost(plan="Groen", bedrag="-0.50", doc=None, omschrijving="retour zonder bon"),
        _cost(doc=None, omschrijving="weer zonder bon"),
        _cost(bedrag="4990.01", approver="Ria", omschrijving="Speeltuin vol"),
        _cost(datum="2024-12-31", omschrijving="te vroeg"),
        '2025-03-01 custom "plan" Uitgaven:Plannen:Zwembad "Zwembad" 2000.01 EUR\n',  # over the award
        '2025-03-01 custom "plan" Uitgaven:Plannen:Zwembad "Zwembad" 100.00 EUR\n',
    ]
    verdicts = {}
    for inc in (True, False):
        for i, text in enumerate(candidates):
            base.write_bytes(original)
            schrijven._MEMO.clear()
            try:
                result = _write(base, text, incrementeel=inc)
                assert result.incrementeel == inc
                verdicts[inc, i] = "ok"
            except WijzigingGeweigerd as exc:
                verdicts[inc, i] = sorted(f.message.split()[0] for f in exc.fouten)
    assert [verdicts[True, i] for i in range(len(candidates))] == [verdicts[False, i] for i in range(len(candidates))]
    assert [verdicts[True, i] for i in range(len(candidates))] == [
        "ok", "ok", "ok", "ok", ["BB-BON"], ["BB-PLAN"], ["BB-PERIODE", "Invalid", "Invalid"], ["BB-TOEKENNING"], "ok",
    ]
    base.write_bytes(clean)  # leave no invalid ledger behind


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield


def test_approval_edit_is_judged_incrementally_like_a_full_load(tmp_path: Path) -> None:
    from ledger.boekingen import goedkeuring_bewerking

    ledger = _ledger(tmp_path)
    claim = ('2025-05-02 ! "Fatima" "Declaratie: bollen" ^decl-2025-001\n  declarant: "Fatima"\n'
             '  iban: "NL02ABNA0123456789"\n  prive: TRUE\n  document: "documents/bon.pdf"\n'
             '  ingevoerd-door: "Henk"\n  Uitgaven:Plannen:Groen:Materiaal   64.20 EUR\n  Passiva:Declaraties\n')
    _write(ledger, "2025-01-01 open Uitgaven:Plannen:Groen:Materiaal EUR\n\n" + claim)
    _write(ledger, OPEN + "\n" + _cost(omschrijving="erna"))  # an entry after the claim: its line moves
    clean = ledger.read_bytes()
    outcomes = {}
    for inc in (True, False):
        for approver in ("Ria", "Henk"):
            ledger.write_bytes(clean)
            schrijven._MEMO.clear()

            def build(stand, approver=approver):
                (payable,) = stand.view.payables
                return Wijziging("goedkeuren", bewerkingen=(goedkeuring_bewerking(stand, payable, approver),))

            try:
                result = schrijf(ledger, build, door=approver, regels=rules.run_all, incrementeel=inc)
                assert result.incrementeel == inc
                outcomes[inc, approver] = ledger.read_bytes()
                # The cache now describes the new file: every transaction's line number points at its first line.
                stand = schrijven.lees_stand(ledger, regels=rules.run_all)
                lines = ledger.read_text(encoding="utf-8").splitlines()
                for e in stand.entries:
                    if hasattr(e, "postings") and e.meta.get("filename") == str(ledger):
                        assert lines[e.meta["lineno"] - 1].startswith(e.date.isoformat()), e
                assert bean_errors(ledger) == []
            except WijzigingGeweigerd as exc:
                outcomes[inc, approver] = sorted(f.message.split()[0] for f in exc.fouten)
                assert ledger.read_bytes() == clean
    assert outcomes[True, "Ria"] == outcomes[False, "Ria"] and isinstance(outcomes[True, "Ria"], bytes)
    assert b'2025-05-02 * "Fatima" "Declaratie: bollen" ^decl-2025-001\n  goedgekeurd-door: "Ria"' in outcomes[True, "Ria"]
    assert outcomes[True, "Henk"] == outcomes[False, "Henk"] == ["BB-VIER-OGEN"]
    # A write after the incremental approval still lands on the right lines.
    ledger.write_bytes(clean)
    schrijven._MEMO.clear()
    schrijf(ledger, lambda s: Wijziging("g", bewerkingen=(goedkeuring_bewerking(s, s.view.payables[0], "Ria"),)),
            door="Ria", regels=rules.run_all)
    result = _write(ledger, _cost(omschrijving="daarna"))
    (txn,) = [e for e in result.nieuwe_entries if hasattr(e, "postings")]
    assert ledger.read_text(encoding="utf-8").splitlines()[txn.meta["lineno"] - 1].startswith("2025-03-01 *")


def test_a_failing_git_commit_keeps_the_written_change_and_warns(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("b/\n", encoding="utf-8")  # git refuses to add an ignored path
    result = _write(ledger, OPEN + "\n" + _cost())
    assert result.gewijzigd and result.commit is None and "niet in git vastgelegd" in result.waarschuwing
    assert ledger.read_text(encoding="utf-8").endswith(_cost())
