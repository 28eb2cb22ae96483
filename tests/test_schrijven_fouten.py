"""All or nothing, also when the machine fails: the writer killed or failing at every step.

A write of a cost with its receipt changes two source files (the main ledger
and an included one), copies a receipt in and commits. The child process
(`tests/schrijven_fout_kind.py`) is made to fail at step N of that write
(`BUURTBUDGET_FOUTSTAP`, see `ledger.schrijver.bestanden.stap`): killed (`kill -9`,
as a power loss between two steps), killed halfway through a git call,
a full disk from step N on, a read-only disk from step N on. Then the next
command reads the ledger. Afterwards the workspace is byte for byte either as
before, or as after the write with the write committed; git's index and work
tree are clean, and no receipt, old copy or record is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger.schrijver.intentie import IntentieFout, controleer_ruimte, intentie_pad
from ledger.schrijver.schrijven import SchrijfFout, lees_stand
from tests.dagelijks_helpers import gebruiker, make_ledger
from tests.schrijven_fout_kind import OMSCHRIJVING

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n" + b"%\xe2\xe3\xcf\xd3\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 4 + b"%%EOF\n"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def werkruimte(folder: Path) -> Path:
    """A workspace in git: a ledger that includes a second file, its receipt folder, a receipt to add outside it."""
    ledger = make_ledger(folder / "k-buurt-2025")
    (ledger.parent / "documents" / "bon.pdf").write_bytes(PDF)
    ledger.write_text(ledger.read_text(encoding="utf-8") + '\ninclude "extra.beancount"\n', encoding="utf-8")
    (ledger.parent / "extra.beancount").write_text("; rekeningen die later komen\n", encoding="utf-8")
    (folder / "inbox").mkdir()
    (folder / "inbox" / "verf.pdf").write_bytes(PDF)
    for persoon in ("Henk", "Ria"):  # the people who write (gebruikers.toml), in the first commit
        gebruiker(folder, persoon)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin")
    return ledger


def bestanden(folder: Path) -> dict[str, bytes]:
    """Every file of the workspace outside .git, by relative path (hidden files too).

    Not `.buurtbudget/`: the site's own state (its session key), ignored by git and no part of the books."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if not {".git", ".buurtbudget"} & set(p.relative_to(folder).parts) and p.is_file()}


def kind(folder: Path, spec: str | None) -> tuple[subprocess.CompletedProcess, dict | None]:
    env = dict(os.environ)
    env.pop("BUURTBUDGET_FOUTSTAP", None)
    if spec:
        env["BUURTBUDGET_FOUTSTAP"] = spec
    r = subprocess.run([sys.executable, "-m", "tests.schrijven_fout_kind",
                        str(folder / "k-buurt-2025" / "main.beancount"), str(folder / "inbox" / "verf.pdf")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    regels = r.stdout.strip().splitlines()
    return r, (json.loads(regels[-1]) if regels else None)


@pytest.fixture(scope="module")
def sjabloon(tmp_path_factory) -> dict:
    """The workspace before, after a write without faults, and the steps that write takes."""
    voor = tmp_path_factory.mktemp("voor")
    werkruimte(voor)
    na = tmp_path_factory.mktemp("na")
    shutil.copytree(voor, na, dirs_exist_ok=True)
    r, uit = kind(na, "0:tel")
    assert r.returncode == 0 and uit["uitkomst"] == "gelukt", r.stderr
    assert git(na, "log", "-1", "--format=%s").strip() == OMSCHRIJVING
    return {"voor": voor, "head": git(voor, "rev-parse", "HEAD").strip(), "na": bestanden(na),
            "namen": uit["namen"], "voor_bestanden": bestanden(voor)}


def _een_van_beide(folder: Path, sjabloon: dict) -> str:
    """Assert the workspace is as before or as after-and-committed; which one."""
    nu = bestanden(folder)
    assert git(folder, "status", "--porcelain", "--untracked-files=all") == "", "git is niet schoon"
    assert not list(folder.rglob("*.lock")), "een achtergebleven git-vergrendeling"
    if nu == sjabloon["voor_bestanden"]:
        assert git(folder, "rev-parse", "HEAD").strip() == sjabloon["head"]
        return "voor"
    assert nu == sjabloon["na"], sorted(set(nu) ^ set(sjabloon["na"])) or [
        k for k in nu if nu[k] != sjabloon["na"][k]]
    assert git(folder, "log", "-1", "--format=%s").strip() == OMSCHRIJVING
    assert git(folder, "rev-parse", "HEAD~1").strip() == sjabloon["head"]
    return "na"


def _geval(tmp_path: Path, sjabloon: dict, n: int, soort: str, keer: int = 0) -> tuple[str, str]:
    folder = tmp_path / f"{soort}-{n}-{keer}"
    shutil.copytree(sjabloon["voor"], folder)
    r, uit = kind(folder, f"{n}:{soort}")
    assert "Traceback" not in r.stderr, r.stderr
    if soort in ("kill", "midden"):
        assert r.returncode == -9, (n, r.returncode, r.stderr)
    else:
        assert uit is not None and uit["stappen"] >= n, r.stderr
    # The next command finishes or undoes the write, and says which.
    lees_stand(folder / "k-buurt-2025" / "main.beancount")
    for toestand in ("", "klaar", "terug"):
        assert not intentie_pad(folder / "k-buurt-2025" / "main.beancount", toestand).exists()
    return _een_van_beide(folder, sjabloon), (uit or {}).get("uitkomst", "gedood")


def _alle(tmp_path: Path, sjabloon: dict, soort: str, stappen: list[int]) -> dict[int, str]:
    with ThreadPoolExecutor(2) as pool:
        uitkomsten = list(pool.map(lambda i_n: _geval(tmp_path, sjabloon, i_n[1], soort, i_n[0]),
                                   enumerate(stappen)))
    return dict(zip(stappen, uitkomsten))


def test_the_write_has_the_steps_the_tests_fail(sjabloon) -> None:
    namen = sjabloon["namen"]
    for verwacht in ("intentie schrijven", "link main.beancount", "link extra.beancount", "schrijf verf.pdf",
                     "rename extra.beancount", "rename main.beancount", "git add", "git commit", "intentie klaar"):
        assert verwacht in namen, namen
    assert namen.index("intentie schrijven") < namen.index("schrijf verf.pdf") < namen.index("git commit")


def test_killed_at_every_step_the_workspace_is_before_or_after(tmp_path: Path, sjabloon) -> None:
    uitkomsten = _alle(tmp_path, sjabloon, "kill", list(range(1, len(sjabloon["namen"]) + 1)))
    namen = sjabloon["namen"]
    commit = namen.index("git commit") + 1
    # Killed before git commits: undone; killed once the commit stands: finished.
    assert all(uitkomsten[n][0] == "voor" for n in uitkomsten if n <= commit), uitkomsten
    assert all(uitkomsten[n][0] == "na" for n in uitkomsten if n > commit), uitkomsten


def test_git_killed_halfway_leaves_no_lock_and_no_half_commit(tmp_path: Path, sjabloon) -> None:
    git_stappen = [i + 1 for i, naam in enumerate(sjabloon["namen"]) if naam in ("git add", "git commit")]
    for _ in range(3):  # git is killed after a random moment: three times each
        uitkomsten = _alle(tmp_path / str(_), sjabloon, "midden", git_stappen)
        add, commit = git_stappen
        assert uitkomsten[add][0] == "voor"
        assert uitkomsten[commit][0] in ("voor", "na")


def test_a_full_disk_at_any_step_is_refused_in_dutch_and_undone(tmp_path: Path, sjabloon) -> None:
    namen = sjabloon["namen"]
    uitkomsten = _alle(tmp_path, sjabloon, "enospc", list(range(1, len(namen) + 1)))
    commit = namen.index("git commit") + 1
    for n, (staat, uitkomst) in uitkomsten.items():
        if n <= commit and uitkomst != "gelukt":
            assert staat == "voor", (n, namen[n - 1], uitkomst)
            assert "schijf is vol" in uitkomst, uitkomst
        else:  # after the commit only removing is left: that needs no space
            assert staat == "na" and uitkomst == "gelukt", (n, namen[n - 1], uitkomst)


def test_a_disk_gone_read_only_at_any_step_is_finished_or_undone_by_the_next_command(tmp_path, sjabloon) -> None:
    namen = sjabloon["namen"]
    uitkomsten = _alle(tmp_path, sjabloon, "erofs", list(range(1, len(namen) + 1)))
    commit = namen.index("git commit") + 1
    for n, (staat, uitkomst) in uitkomsten.items():
        assert staat == ("voor" if n <= commit else "na"), (n, namen[n - 1], staat, uitkomst)
        if n <= commit:
            assert "alleen-lezen" in uitkomst, uitkomst


# --------------------------------------------------------------------------- the next command, for real


def _gedood_bij(tmp_path: Path, sjabloon: dict, naam: str, keer: int = 1) -> Path:
    """A copy of the workspace whose write was killed at the `keer`-th step called `naam`."""
    stappen = [i + 1 for i, n in enumerate(sjabloon["namen"]) if n == naam]
    folder = tmp_path / f"gedood-{naam.replace(' ', '-')}-{keer}"
    shutil.copytree(sjabloon["voor"], folder)
    r, _ = kind(folder, f"{stappen[keer - 1]}:kill")
    assert r.returncode == -9
    assert intentie_pad(folder / "k-buurt-2025" / "main.beancount").exists()
    return folder


@pytest.mark.parametrize("naam,staat,woord", [("rename main.beancount", "voor", "teruggedraaid"),
                                              ("git rev-parse", "na", "afgerond")])
def test_check_after_a_crash_finishes_or_undoes_the_write_and_says_which(tmp_path, sjabloon, naam, staat, woord):
    # the third rev-parse is the one after the commit (two come before anything is written)
    folder = _gedood_bij(tmp_path, sjabloon, naam, 3 if naam == "git rev-parse" else 1)
    r = subprocess.run([str(Path(sys.executable).with_name("buurtbudget")), "check",
                        str(folder / "k-buurt-2025")], capture_output=True, text=True)
    assert woord in r.stderr and OMSCHRIJVING in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert _een_van_beide(folder, sjabloon) == staat


def serve_start(folder: Path, cache: Path) -> str:
    """`buurtbudget serve` started on `folder` and stopped once it loads the ledgers; what it said on stderr."""
    proc = subprocess.Popen([str(Path(sys.executable).with_name("buurtbudget")), "serve", str(folder),
                             "--port", "0", "--cache", str(cache)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for regel in proc.stdout:  # the ledgers are loaded after the recovery
            if "laden uit" in regel:
                break
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=60)
    return err


def test_serve_finishes_or_undoes_an_interrupted_write_before_it_serves(tmp_path, sjabloon) -> None:
    folder = _gedood_bij(tmp_path, sjabloon, "rename extra.beancount")
    err = serve_start(folder, tmp_path / "cache")
    assert "teruggedraaid" in err, err
    assert _een_van_beide(folder, sjabloon) == "voor"


def test_boek_killed_at_random_moments_leaves_before_or_after(tmp_path: Path) -> None:
    """The real command, its whole process group killed (git included) after a random moment."""
    import random
    import signal
    import time

    exe = str(Path(sys.executable).with_name("buurtbudget"))
    boek = ["boek", "k-buurt-2025", "--datum", "2025-03-01", "--bedrag", "10", "--plan", "Speeltuin",
            "--categorie", "Materiaal", "--begunstigde", "Bouwmarkt", "--omschrijving", "Verf",
            "--goedgekeurd-door", "Ria"]
    env = {**os.environ, "BUURTBUDGET_GEBRUIKER": "henk"}
    voor = tmp_path / "voor"
    werkruimte(voor)
    # Each run: open the Speeltuin account first (a write of its own), then the booking with its receipt.
    (voor / "k-buurt-2025" / "main.beancount").write_text(
        (voor / "k-buurt-2025" / "main.beancount").read_text(encoding="utf-8")
        + "\n2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR\n", encoding="utf-8")
    git(voor, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qam", "rekening")
    na = tmp_path / "na"
    shutil.copytree(voor, na)
    start = time.monotonic()
    r = subprocess.run([exe, *boek, "--bon", str(na / "inbox" / "verf.pdf")], cwd=na, env=env,
                       capture_output=True, text=True)
    duur = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    verwacht = {"head": git(voor, "rev-parse", "HEAD").strip(), "voor": voor, "voor_bestanden": bestanden(voor),
                "na": bestanden(na)}
    bericht = git(na, "log", "-1", "--format=%s").strip()
    rng = random.Random(21)
    gezien = set()
    for i in range(6):
        folder = tmp_path / f"run{i}"
        shutil.copytree(voor, folder)
        proc = subprocess.Popen([exe, *boek, "--bon", str(folder / "inbox" / "verf.pdf")], cwd=folder, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.4, 1.0) * duur)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        lees_stand(folder / "k-buurt-2025" / "main.beancount")
        nu = bestanden(folder)
        assert git(folder, "status", "--porcelain", "--untracked-files=all") == ""
        if nu == verwacht["voor_bestanden"]:
            assert git(folder, "rev-parse", "HEAD").strip() == verwacht["head"]
            gezien.add("voor")
        else:
            assert nu == verwacht["na"]
            assert git(folder, "log", "-1", "--format=%s").strip() == bericht
            gezien.add("na")
    assert gezien  # each run ended in one of the two states


def test_too_little_free_space_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    st = os.statvfs(tmp_path)
    vrij = st.f_bavail * st.f_frsize
    controleer_ruimte(tmp_path, 1024)
    with pytest.raises(IntentieFout, match="te weinig vrije schijfruimte"):
        controleer_ruimte(tmp_path, vrij + 1)
    assert list(tmp_path.iterdir()) == []


def test_a_receipt_larger_than_the_free_space_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """The writer itself asks: a receipt (sparse, so quick to make) bigger than the disk's free space."""
    from buurtbudget_admin.valideren import valideer
    from ledger.schrijver.schrijven import Wijziging, schrijf
    from tests.schrijven_fout_kind import KOSTEN, OPEN

    folder = tmp_path / "ws"
    ledger = werkruimte(folder)
    st = os.statvfs(folder)
    groot = folder.parent / "groot.pdf"
    with open(groot, "wb") as handle:
        handle.write(PDF)
        handle.truncate(st.f_bavail * st.f_frsize + 1024 ** 3)
    voor, head = bestanden(folder), git(folder, "rev-parse", "HEAD")
    with pytest.raises(SchrijfFout, match="te weinig vrije schijfruimte"):
        schrijf(ledger, lambda stand: Wijziging(OMSCHRIJVING, toevoegen=OPEN + "\n" + KOSTEN,
                                                bestanden=((groot, ledger.parent / "documents" / "verf.pdf"),)),
                door="Henk", valideer=valideer)
    assert bestanden(folder) == voor and git(folder, "rev-parse", "HEAD") == head
    assert git(folder, "status", "--porcelain", "--untracked-files=all") == ""
