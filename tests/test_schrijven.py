"""The safe write (library level): the verdict of a full load, atomic files, git audit trail.

The command-line behaviour (Dutch messages, exit codes, `--toch`, planted caches,
git refusals) is in `tests/test_schrijven_cli.py`; the differential property test
against bean-check in `tests/test_schrijven_property.py`.
"""

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

from buurtbudget_admin.valideren import valideer
from ledger.schrijver.boekingen import Kosten, kosten_tekst
from ledger.evaluatie.loading import read_ledger
from ledger.schrijver.schrijven import (
    SchrijfFout, Toch, Wijziging, WijzigingGeweigerd, schrijf,
)
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
OPEN_GROEN = "2025-01-01 open Uitgaven:Plannen:Groen:Materiaal EUR\n"


def _write(ledger: Path, text: str, **kw):
    return schrijf(ledger, lambda stand: Wijziging("test", text), door="Henk", valideer=valideer, **kw)


def _codes(exc: WijzigingGeweigerd) -> list[str]:
    return sorted(f.message.split(" ", 1)[0] if f.message.startswith("BB-") else type(f).__name__
                  for f in exc.fouten)


def test_valid_change_is_appended_and_its_entries_carry_the_real_lines(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    result = _write(ledger, OPEN + "\n" + _cost())
    assert result.gewijzigd and result.bestanden == (ledger,)
    assert ledger.read_text(encoding="utf-8").endswith(_cost())
    assert bean_errors(ledger) == []
    (txn,) = [e for e in result.nieuwe_entries if hasattr(e, "postings")]
    lines = ledger.read_text(encoding="utf-8").split("\n")
    assert txn.meta["filename"] == str(ledger)
    assert lines[txn.meta["lineno"] - 1].startswith('2025-03-01 * "Bouwmarkt" "Verf"')


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
        tmp_path: Path, label: str, text: str, code: str) -> None:
    ledger = _ledger(tmp_path)
    before = digest(ledger)
    with pytest.raises(WijzigingGeweigerd) as info:
        _write(ledger, text)
    assert digest(ledger) == before
    assert any(re.fullmatch(code, f) for f in _codes(info.value)), _codes(info.value)
    assert "wijziging geweigerd" in str(info.value) and "niets gewijzigd" in str(info.value)
    # Only rule violations may be forced; beancount's own errors never.
    assert info.value.te_forceren == code.startswith("BB-")


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


def test_verdicts_on_a_ledger_that_already_has_errors(tmp_path: Path) -> None:
    """Old errors block nothing; a new error, or an old one made worse, is refused."""
    base = _ledger(tmp_path)
    clean = base.read_bytes()
    with base.open("a", encoding="utf-8") as handle:
        handle.write("\n" + OPEN + OPEN_GROEN + "\n"
                     + _cost(doc=None, omschrijving="oud zonder bon") + "\n"
                     + _cost(plan="Groen", bedrag="3533.43", approver="Ria", omschrijving="Groen te duur"))
    assert sorted(e.message.split()[0] for e in bean_errors(base)) == ["BB-BON", "BB-PLAN"]
    original = base.read_bytes()
    candidates = [
        _cost(omschrijving="goed"),
        _cost(plan="Groen", bedrag="450.00", omschrijving="nog meer groen"),  # 533.43 -> 983.43 over: worse
        _cost(plan="Groen", bedrag="0.01", omschrijving="een cent meer groen"),  # still worse
        _cost(plan="Groen", bedrag="-0.50", omschrijving="retour"),  # a refund: less over budget
        _cost(plan="Groen", bedrag="-0.50", doc=None, omschrijving="retour zonder bon"),
        _cost(doc=None, omschrijving="weer zonder bon"),
        _cost(bedrag="4990.01", approver="Ria", omschrijving="Speeltuin vol"),
        _cost(datum="2024-12-31", omschrijving="te vroeg"),
        '2025-03-01 custom "plan" Uitgaven:Plannen:Zwembad "Zwembad" 2000.01 EUR\n',  # over the award
        '2025-03-01 custom "plan" Uitgaven:Plannen:Zwembad "Zwembad" 100.00 EUR\n',
    ]
    verdicts = []
    for text in candidates:
        base.write_bytes(original)
        try:
            _write(base, text)
            verdicts.append("ok")
        except WijzigingGeweigerd as exc:
            assert base.read_bytes() == original
            verdicts.append(_codes(exc))
    assert verdicts == [
        "ok", ["BB-PLAN"], ["BB-PLAN"], "ok", "ok", ["BB-BON"], ["BB-PLAN"],
        ["BB-PERIODE", "ValidationError", "ValidationError"], ["BB-TOEKENNING"], "ok",
    ]
    base.write_bytes(clean)  # leave no invalid ledger behind


def test_a_worse_violation_may_be_forced_with_a_reason_recorded_on_the_entry(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    clean = ledger.read_bytes()
    _write(ledger, OPEN + "\n" + _cost(bedrag="4999.00", approver="Ria", omschrijving="bijna vol"))
    result = _write(ledger, _cost(bedrag="2.00", omschrijving="toch erbij"), toch=Toch("spoed: lekkage"))
    assert [f.message.split()[0] for f in result.geforceerd] == ["BB-PLAN"]
    text = ledger.read_text(encoding="utf-8")
    assert ('"toch erbij"\n  toch-reden: "spoed: lekkage"\n  toch-door: "Henk"\n') in text
    # The violation stays visible to bean-check (and so to check, the report, the auditor).
    assert [e.message.split()[0] for e in bean_errors(ledger)] == ["BB-PLAN"]
    # Worse again needs its own reason; beancount's own errors cannot be forced.
    with pytest.raises(WijzigingGeweigerd):
        _write(ledger, _cost(bedrag="1.00", omschrijving="nog een"))
    with pytest.raises(WijzigingGeweigerd) as info:
        _write(ledger, _cost(datum="2025-03-01").replace("-10.00 EUR", "-9.00 EUR"), toch=Toch("x"))
    assert not info.value.te_forceren
    ledger.write_bytes(clean)


def test_a_changed_rules_file_blames_no_new_booking_for_old_lines(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    _write(ledger, OPEN + "\n" + _cost(bedrag="60.00", omschrijving="verf"))
    # The stadsdeel now needs four eyes from 50.00: the old booking breaks the rule, the new one does not.
    (tmp_path / "regels.toml").write_text("[kader]\nvier-ogen-vanaf = 50.00\n", encoding="utf-8")
    assert [e.message.split()[0] for e in bean_errors(ledger)] == ["BB-VIER-OGEN"]
    result = _write(ledger, _cost(bedrag="5.00", omschrijving="kwast"))
    assert result.gewijzigd
    with pytest.raises(WijzigingGeweigerd) as info:  # a new one above the new threshold is refused
        _write(ledger, _cost(bedrag="55.00", omschrijving="ladder"))
    assert _codes(info.value) == ["BB-VIER-OGEN"] and "ladder" in str(info.value.fouten[0].entry.narration)
    (tmp_path / "regels.toml").unlink()


def test_pad_and_balance_written_by_hand_are_judged_like_bean_check(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write("\n2025-01-01 open Vermogen:Beginsaldo EUR\n"
                     "2025-02-02 pad Activa:Bank:Betaalrekening Vermogen:Beginsaldo\n"
                     "2025-03-05 balance Activa:Bank:Betaalrekening 10100.00 EUR\n")
    assert bean_errors(ledger) == []
    original = ledger.read_bytes()
    # A cost after the pad and before the balance is absorbed by the pad: bean-check accepts it.
    assert _write(ledger, OPEN + _cost(datum="2025-03-01")).gewijzigd
    assert bean_errors(ledger) == []
    # A cost before the pad (the pad only fills up to the balance): bean-check still accepts it.
    ledger.write_bytes(original)
    assert _write(ledger, OPEN + _cost(datum="2025-02-01")).gewijzigd
    assert bean_errors(ledger) == []
    # A second balance that no longer holds: refused, as bean-check would report it.
    with pytest.raises(WijzigingGeweigerd) as info:
        _write(ledger, "2025-03-06 balance Activa:Bank:Betaalrekening 10050.00 EUR\n")
    assert _codes(info.value) == ["BalanceError"]
    ledger.write_bytes(original)


def test_whole_file_replacement(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)

    def rename_plan(stand):
        return Wijziging("hernoem", vervang=((stand.pad, stand.tekst.replace("Speeltuin opknappen", "Speeltuin")),))

    result = schrijf(ledger, rename_plan, door="Henk", valideer=valideer)
    assert '"Speeltuin" 5000.00 EUR' in ledger.read_text(encoding="utf-8")
    assert [e.values[1].value for e in result.nieuwe_entries] == ["Speeltuin"]


def test_lines_are_counted_as_beancount_counts_them(tmp_path: Path) -> None:
    """A U+2028 inside a string is no line end: the entry's line is where beancount says it is."""
    ledger = _ledger(tmp_path)
    _write(ledger, OPEN + "\n" + _cost(omschrijving="verf\u2028en kwasten") + "\n" + _cost(omschrijving="hout"))

    def flag(stand):
        (hout,) = [e for e in stand.entries if getattr(e, "narration", "") == "hout"]
        lines = stand.tekst_van(hout.meta["filename"]).split("\n")
        n = hout.meta["lineno"]
        assert lines[n - 1].startswith("2025-03-01 * ") and '"hout"' in lines[n - 1]
        lines[n - 1] = lines[n - 1].replace(" * ", " ! ", 1)
        return Wijziging("markeer", vervang=((Path(hout.meta["filename"]), "\n".join(lines)),))

    result = schrijf(ledger, flag, door="Henk", valideer=valideer)
    assert [e.narration for e in result.nieuwe_entries] == ["hout"]
    assert '2025-03-01 ! "Bouwmarkt" "hout"' in ledger.read_text(encoding="utf-8")
    assert '2025-03-01 * "Bouwmarkt" "verf\u2028en kwasten"' in ledger.read_text(encoding="utf-8")


def _with_include(tmp_path: Path) -> tuple[Path, Path]:
    ledger = _ledger(tmp_path)
    options = "".join(l for l in ledger.read_text(encoding="utf-8").splitlines(True) if l.startswith('option "name_'))
    extra = ledger.parent / "2025.beancount"
    extra.write_text(options + "\n" + OPEN + "\n" + _cost(omschrijving="in include"), encoding="utf-8")
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write('\ninclude "2025.beancount"\n')
    assert bean_errors(ledger) == []
    return ledger, extra


def test_an_included_file_is_replaced_and_its_errors_name_it(tmp_path: Path) -> None:
    ledger, extra = _with_include(tmp_path)
    main_before, extra_before = digest(ledger), digest(extra)

    def bad(stand):
        text = stand.tekst_van(extra)
        return Wijziging("inc", vervang=((extra, text + "\n" + _cost(doc=None, omschrijving="zonder bon")),))

    with pytest.raises(WijzigingGeweigerd) as info:
        schrijf(ledger, bad, door="Henk", valideer=valideer)
    (fout,) = info.value.fouten
    lines = (extra.read_text(encoding="utf-8") + "\n" + _cost(doc=None, omschrijving="zonder bon")).split("\n")
    assert fout.source["filename"] == str(extra) and '"zonder bon"' in lines[fout.source["lineno"] - 1]
    assert (digest(ledger), digest(extra)) == (main_before, extra_before)

    def good(stand):
        return Wijziging("inc", vervang=((extra, stand.tekst_van(extra) + "\n" + _cost(omschrijving="ook")),))

    result = schrijf(ledger, good, door="Henk", valideer=valideer)
    assert result.bestanden == (extra.resolve(),) and digest(ledger) == main_before
    assert extra.read_text(encoding="utf-8").endswith(_cost(omschrijving="ook"))


def test_only_the_ledgers_own_sources_can_be_replaced(tmp_path: Path) -> None:
    ledger, extra = _with_include(tmp_path)
    outside = tmp_path / "elders.beancount"
    outside.write_text("; niet van deze ledger\n", encoding="utf-8")
    stray = ledger.parent / "los.beancount"
    stray.write_text("; niet opgenomen\n", encoding="utf-8")
    link = ledger.parent / "link.beancount"
    link.symlink_to(outside)
    before = {p: digest(p) for p in (ledger, extra, outside, stray)}
    for target, words in ((outside, "buiten de map"), (link, "buiten de map"), (stray, "include"),
                          (Path("/etc/passwd"), "buiten de map")):
        with pytest.raises(SchrijfFout, match=words):
            schrijf(ledger, lambda s, t=target: Wijziging("x", vervang=((t, "kapot\n"),)), door="Henk",
                    valideer=valideer)
    assert {p: digest(p) for p in before} == before


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
        one(Path(ledger), name, i)


def test_eight_processes_times_twenty_five_bookings(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    start = time.perf_counter()
    procs = [FORK.Process(target=_writer, args=(str(ledger), f"w{k}", 25)) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
    elapsed = time.perf_counter() - start
    assert [p.exitcode for p in procs] == [0] * 8
    text = ledger.read_text(encoding="utf-8")
    found = re.findall(r'"(w\d) boeking (\d+)"', text)
    assert len(found) == 200 and len(set(found)) == 200
    assert text.count("open Uitgaven:Plannen:Speeltuin:Materiaal") == 1
    assert bean_errors(ledger) == []
    assert read_ledger(ledger).view.plan("Speeltuin").costs == Decimal("200.00")
    commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout
    assert int(commits) == 1 + 200  # the initial commit, then one per write: none lost, none merged
    # The bound only catches a pathological slowdown on a busy machine.
    assert elapsed < 300, f"200 veilige schrijfacties duurden {elapsed:.1f}s"


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
    # The next write cleans what a killed writer left (temp files) and works normally.
    one(ledger, "na", 0)
    assert [n for n in os.listdir(ledger.parent) if n.endswith(".tmp")] == []
    assert bean_check(ledger).returncode == 0


def _git(tmp_path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True, check=True).stdout


def _git_workspace(tmp_path: Path) -> Path:
    ledger = _ledger(tmp_path)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    subprocess.run(["git", "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin"],
                   cwd=tmp_path, check=True)
    return ledger


def test_each_change_is_a_git_commit_by_the_acting_user(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    _write(ledger, OPEN + "\n" + _cost())
    log = _git(tmp_path, "log", "-1", "--format=%an <%ae>|%cn|%s", "--name-only")
    assert log.startswith("Henk <henk@buurtbudget.invalid>|Henk|test")
    assert "b/main.beancount" in log
    assert _git(tmp_path, "status", "--porcelain", "b/main.beancount") == ""  # committed exactly as written


def test_a_commit_never_takes_another_users_work(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    other = make_ledger(tmp_path / "ander")
    _git(tmp_path, "add", "ander")
    subprocess.run(["git", "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "ander"],
                   cwd=tmp_path, check=True)
    # Another user's work in progress: staged in one ledger, unstaged in a note.
    with other.open("a", encoding="utf-8") as handle:
        handle.write("\n; Ria werkt hier nog aan\n")
    _git(tmp_path, "add", "ander/main.beancount")
    (tmp_path / "notitie.txt").write_text("concept\n", encoding="utf-8")
    _write(ledger, OPEN + "\n" + _cost())
    assert _git(tmp_path, "show", "--name-only", "--format=", "HEAD").split() == ["b/main.beancount"]
    status = _git(tmp_path, "status", "--porcelain")
    assert "M  ander/main.beancount" in status and "?? notitie.txt" in status  # still theirs, still pending


def test_uncommitted_hand_edits_in_the_ledger_get_a_commit_of_their_own(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write("\n; met de hand toegevoegd\n")
    _write(ledger, OPEN + "\n" + _cost())
    log = _git(tmp_path, "log", "-2", "--format=%an|%cn|%s").splitlines()
    assert log[0] == "Henk|Henk|test"
    assert log[1].startswith("onbekend (niet vastgelegde wijziging)|Henk|Wijzigingen die nog niet waren vastgelegd")
    hand = _git(tmp_path, "show", "HEAD~1", "--format=", "--", "b/main.beancount")
    assert "+; met de hand toegevoegd" in hand and "Verf" not in hand
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_failing_commit_puts_the_old_bytes_back(tmp_path: Path) -> None:
    from ledger.schrijver.vastleggen import GitFout

    ledger = _git_workspace(tmp_path)
    (tmp_path / ".gitignore").write_text("*.jpg\n", encoding="utf-8")  # git refuses to add an ignored file
    bon = tmp_path / "foto.jpg"
    bon.write_bytes(b"\xff\xd8\xff\xe0 bon")
    target = ledger.parent / "documents" / "2025-03-01-foto.jpg"
    before = digest(ledger)

    def build(stand):
        return Wijziging("met bon", OPEN + "\n" + _cost(doc="documents/2025-03-01-foto.jpg"),
                         bestanden=((bon, target),))

    with pytest.raises(GitFout, match="niets gewijzigd") as info:
        schrijf(ledger, build, door="Henk", valideer=valideer)
    assert ".gitignore" in str(info.value) and "2025-03-01-foto.jpg" in str(info.value)
    assert digest(ledger) == before and not target.exists()
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=no") == ""
    assert _git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"


def test_the_writer_imports_nothing_above_ledger_at_run_time(tmp_path: Path) -> None:
    """`ledger/` gets the rules from its caller; on its own it loads no module of the layers above."""
    ledger = make_ledger(tmp_path / "b")
    ledger.write_text(ledger.read_text(encoding="utf-8").replace('plugin "rules"\n', ""), encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ledger.schrijver.schrijven import Wijziging, lees_stand, schrijf\n"
        f"p = Path({str(ledger)!r})\n"
        "schrijf(p, lambda s: Wijziging('open', '2025-01-01 open Activa:Kas EUR\\n'), door='Henk', git=False)\n"
        "lees_stand(p).view\n"
        "above = sorted(m for m in sys.modules if m.split('.')[0] in ('rules', 'reports', 'buurtbudget_admin'))\n"
        "print(above)\n"
    )
    out = subprocess.run([os.sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert "open Activa:Kas" in ledger.read_text(encoding="utf-8")


def test_toch_needs_an_entry_to_carry_the_reason(tmp_path: Path) -> None:
    """Deleting a plan's declaration leaves its costs undeclared: no entry could carry a reason."""
    ledger = _ledger(tmp_path)
    _write(ledger, OPEN + "\n" + _cost())
    before = digest(ledger)

    def drop_plan(stand):
        text = stand.tekst.replace('2025-02-01 custom "plan" Uitgaven:Plannen:Speeltuin "Speeltuin opknappen" '
                                   '5000.00 EUR\n  status: "gekozen"\n', "")
        return Wijziging("plan weg", vervang=((stand.pad, text),))

    with pytest.raises(WijzigingGeweigerd) as info:
        schrijf(ledger, drop_plan, door="Henk", valideer=valideer, toch=Toch("opruimen"))
    assert _codes(info.value) == ["BB-PLAN"] and not info.value.te_forceren
    assert digest(ledger) == before


def test_the_result_names_exactly_the_entries_the_change_added_or_changed(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    _write(ledger, OPEN + "\n" + _cost(omschrijving="een") + "\n" + _cost(omschrijving="twee") + "\n"
           + _cost(omschrijving="drie"))

    def edit_middle(stand):  # a line added inside "twee", and "een" removed
        text = stand.tekst.replace('"twee"\n', '"twee"\n  notitie: "nagekeken"\n', 1)
        start = text.index('2025-03-01 * "Bouwmarkt" "een"')
        end = text.index("\n\n", start) + 2
        return Wijziging("midden", vervang=((stand.pad, text[:start] + text[end:]),))

    result = schrijf(ledger, edit_middle, door="Henk", valideer=valideer)
    assert [e.narration for e in result.nieuwe_entries] == ["twee"]
    assert result.nieuwe_entries[0].meta["notitie"] == "nagekeken"


def test_a_change_to_the_same_text_writes_and_commits_nothing(tmp_path: Path) -> None:
    ledger = _git_workspace(tmp_path)
    (tmp_path / "notitie.txt").write_text("van iemand anders\n", encoding="utf-8")
    _git(tmp_path, "add", "notitie.txt")  # staged by someone else: must stay theirs
    result = schrijf(ledger, lambda s: Wijziging("niets", vervang=((s.pad, s.tekst),)), door="Henk",
                     valideer=valideer)
    assert not result.gewijzigd and result.commit is None
    assert _git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"
    assert "A  notitie.txt" in _git(tmp_path, "status", "--porcelain")


def test_an_entry_forced_twice_keeps_both_reasons(tmp_path: Path) -> None:
    ledger = _ledger(tmp_path)
    clean = ledger.read_bytes()
    _write(ledger, OPEN + "\n" + _cost(bedrag="5001.00", approver="Ria", omschrijving="te duur"), toch=Toch("eerst"))

    def more(stand):
        return Wijziging("meer", vervang=((stand.pad, stand.tekst.replace("5001.00 EUR", "5002.00 EUR")
                                           .replace("-5001.00 EUR", "-5002.00 EUR")),))

    schrijf(ledger, more, door="Ria", valideer=valideer, toch=Toch("daarna"))
    text = ledger.read_text(encoding="utf-8")
    assert ('"te duur"\n  toch-reden-2: "daarna"\n  toch-door-2: "Ria"\n  toch-reden: "eerst"\n'
            '  toch-door: "Henk"\n') in text
    assert [e.message.split()[0] for e in bean_errors(ledger)] == ["BB-PLAN"]
    ledger.write_bytes(clean)
