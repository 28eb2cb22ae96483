"""All or nothing for `init` and `betaal` too: the command killed or failing at every step.

`buurtbudget init` places a new buurtbudget folder and commits it; `buurtbudget
betaal` records a batch, commits it and puts its payment file (pain.001) in
`betalingen/`. The child (`tests/opdracht_fout_kind.py`) runs the real command
and is made to fail at step N (`BUURTBUDGET_FOUTSTAP`, see
`ledger.schrijver.bestanden.stap`): killed (`kill -9`, a power loss between two
steps), a full disk from step N on, a read-only disk from step N on. Then the
next command runs (`serve`'s recovery at start, or a read of the ledger).
Afterwards the workspace (every file and folder, hidden ones too, and git) is
either as before, or as after the command with its commit; and when something
was left to finish or undo, the Dutch message says which.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from buurtbudget_admin.commands_service import _herstel_onderbroken
from ledger.evaluatie.loading import read_ledger
from ledger.schrijver.intentie import intentie_pad
from tests.dagelijks_helpers import RESIDENT_IBAN, cli, gebruiker, make_ledger, receipt
from tests.test_init import INIT
from tests.test_schrijven_fouten import serve_start

ROOT = Path(__file__).resolve().parent.parent
SLUG = "k-buurt-2025"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def inhoud(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) of the workspace outside .git, hidden ones too."""
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes())
            for p in sorted(folder.rglob("*")) if ".git" not in p.relative_to(folder).parts}


def kind(folder: Path, args: list[str], spec: str | None) -> tuple[subprocess.CompletedProcess, dict | None]:
    env = {k: v for k, v in os.environ.items() if k not in ("BUURTBUDGET_FOUTSTAP", "BUURTBUDGET_GEBRUIKER")}
    env["BEANCOUNT_DISABLE_LOAD_CACHE"] = "1"
    if spec:
        env["BUURTBUDGET_FOUTSTAP"] = spec
    r = subprocess.run([sys.executable, "-m", "tests.opdracht_fout_kind", *[a.format(ws=folder) for a in args]],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    regels = r.stdout.strip().splitlines()
    return r, (json.loads(regels[-1]) if regels and regels[-1].startswith("{") else None)


def _git_werkruimte(folder: Path) -> None:
    assert gebruiker(folder, "Henk") == "henk"
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin")


def _sjabloon(voor: Path, na: Path, args: list[str], schoon=lambda folder: None) -> dict:
    """The workspace before, after the command without faults, and the steps the command takes."""
    shutil.copytree(voor, na, dirs_exist_ok=True)
    r, uit = kind(na, args, "0:tel")
    assert r.returncode == 0 and uit and uit["code"] == 0, r.stderr
    return {"voor": voor, "head": git(voor, "rev-parse", "HEAD").strip(), "voor_inhoud": inhoud(voor),
            "na": schoon(na) or inhoud(na), "onderwerp": git(na, "log", "-1", "--format=%s").strip(),
            "status_na": git(na, "status", "--porcelain", "--untracked-files=all"), "namen": uit["namen"],
            "args": args, "schoon": schoon}


def _een_van_beide(folder: Path, sjabloon: dict) -> str:
    """Assert the workspace is as before or as after-and-committed; which one."""
    assert not list(folder.rglob("*.lock")), "een achtergebleven git-vergrendeling"
    nu = sjabloon["schoon"](folder) or inhoud(folder)
    if nu == sjabloon["voor_inhoud"]:
        assert git(folder, "status", "--porcelain", "--untracked-files=all") == "", "git is niet schoon"
        assert git(folder, "rev-parse", "HEAD").strip() == sjabloon["head"]
        return "voor"
    assert nu == sjabloon["na"], sorted(set(nu) ^ set(sjabloon["na"])) or [
        k for k in nu if nu[k] != sjabloon["na"][k]]
    assert git(folder, "status", "--porcelain", "--untracked-files=all") == sjabloon["status_na"]
    assert git(folder, "log", "-1", "--format=%s").strip() == sjabloon["onderwerp"]
    assert git(folder, "rev-parse", "HEAD~1").strip() == sjabloon["head"]
    return "na"


def _geval(tmp_path: Path, sjabloon: dict, n: int, soort: str) -> tuple[Path, subprocess.CompletedProcess, dict | None]:
    folder = tmp_path / f"{soort}-{n}"
    shutil.copytree(sjabloon["voor"], folder)
    r, uit = kind(folder, sjabloon["args"], f"{n}:{soort}")
    assert "Traceback" not in r.stderr and "interne fout" not in r.stderr, r.stderr
    if soort == "kill":
        assert r.returncode == -9, (n, r.returncode, r.stderr)
    else:
        assert uit is not None and uit["stappen"] >= n, r.stderr
    return folder, r, uit


def _volgende(folder: Path) -> str:
    """The next command: what `serve` does at start (every folder of the workspace); its messages."""
    fout = io.StringIO()
    with contextlib.redirect_stderr(fout):
        _herstel_onderbroken(folder)
    return fout.getvalue()


def _alle(tmp_path: Path, sjabloon: dict, soort: str) -> dict[int, tuple[str, int, str]]:
    """Step N fails, for every N: (the state after the next command, the exit code, what was said)."""
    stappen = list(range(1, len(sjabloon["namen"]) + 1))
    with ThreadPoolExecutor(2) as pool:
        gevallen = list(pool.map(lambda n: _geval(tmp_path, sjabloon, n, soort), stappen))
    uitkomsten = {}
    for n, (folder, r, uit) in zip(stappen, gevallen):
        record = (folder / SLUG).is_dir() and any(p.name.startswith(".buurtbudget-intentie-")
                                                  for p in (folder / SLUG).iterdir())
        gezegd = _volgende(folder)
        for toestand in ("", "klaar", "terug"):
            assert not intentie_pad(folder / SLUG / "main.beancount", toestand).exists()
        staat = _een_van_beide(folder, sjabloon)
        if record:  # something was left to finish or undo: the message says which
            woorden = ("teruggedraaid",) if staat == "voor" else ("afgerond", "vastgelegd")
            assert any(w in gezegd for w in woorden), (n, gezegd)
            assert sjabloon["onderwerp"] in gezegd, gezegd
        uitkomsten[n] = (staat, r.returncode, r.stderr + gezegd)
    return uitkomsten


def _na_commit(sjabloon: dict) -> int:
    return sjabloon["namen"].index("git commit") + 1


def _controleer(soort: str, sjabloon: dict, uitkomsten: dict) -> None:
    """Before the commit: undone; once it stands: finished. A failure is said in Dutch."""
    commit, namen = _na_commit(sjabloon), sjabloon["namen"]
    for n, (staat, code, gezegd) in uitkomsten.items():
        waar = (n, namen[n - 1], staat, gezegd)
        if soort == "kill":
            assert staat == ("voor" if n <= commit else "na"), waar
        elif soort == "enospc":
            if n <= commit and code != 0:
                assert staat == "voor" and "schijf is vol" in gezegd, waar
            else:  # after the commit only removing is left: that needs no space
                assert staat == "na" and code == 0, waar
        else:
            assert staat == ("voor" if n <= commit else "na"), waar
            if n <= commit:
                assert "alleen-lezen" in gezegd, waar


# --------------------------------------------------------------------------- init


INIT_ARGS = ["init", "{ws}/" + SLUG, *[x for kv in INIT.items() for x in kv], "--door", "henk"]


@pytest.fixture(scope="module")
def init_sjabloon(tmp_path_factory) -> dict:
    voor = tmp_path_factory.mktemp("init-voor")
    _git_werkruimte(voor)
    return _sjabloon(voor, tmp_path_factory.mktemp("init-na"), INIT_ARGS)


def test_init_has_the_steps_the_tests_fail(init_sjabloon) -> None:
    namen = init_sjabloon["namen"]
    for verwacht in ("schrijf main.beancount", "intentie schrijven", f"rename {SLUG}", "git add", "git commit",
                     "intentie klaar", "intentie weg"):
        assert verwacht in namen, namen
    assert namen.index("intentie schrijven") < namen.index(f"rename {SLUG}") < namen.index("git add")


@pytest.mark.parametrize("soort", ["kill", "enospc", "erofs"])
def test_init_failing_at_every_step_leaves_the_workspace_before_or_after(tmp_path, init_sjabloon, soort) -> None:
    _controleer(soort, init_sjabloon, _alle(tmp_path, init_sjabloon, soort))


def test_init_into_an_existing_folder_killed_at_every_step(tmp_path_factory) -> None:
    voor = tmp_path_factory.mktemp("bestaand-voor")
    (voor / SLUG).mkdir()
    (voor / SLUG / "notities.txt").write_text("van de bewonersgroep\n", encoding="utf-8")
    _git_werkruimte(voor)
    sjabloon = _sjabloon(voor, tmp_path_factory.mktemp("bestaand-na"), INIT_ARGS)
    assert "link main.beancount" in sjabloon["namen"]
    _controleer("kill", sjabloon, _alle(tmp_path_factory.mktemp("bestaand"), sjabloon, "kill"))


def test_init_killed_before_its_commit_is_undone_by_the_next_init_which_says_so(tmp_path, init_sjabloon) -> None:
    """Killed between placing the folder and its commit: the next `init` undoes it first, then makes it anew."""
    n = init_sjabloon["namen"].index("git add") + 1
    folder, _r, _ = _geval(tmp_path, init_sjabloon, n, "kill")
    assert (folder / SLUG / "main.beancount").exists()
    r, uit = kind(folder, INIT_ARGS, None)
    assert r.returncode == 0, r.stderr
    assert "teruggedraaid" in r.stderr and "niet aangemaakt" in r.stderr, r.stderr
    assert _een_van_beide(folder, init_sjabloon) == "na"
    assert "onbekend" not in git(folder, "log", "--format=%an")  # nothing committed under no one's name


def test_serve_at_start_undoes_an_interrupted_init(tmp_path, init_sjabloon) -> None:
    n = init_sjabloon["namen"].index("git commit") + 1
    folder, _r, _ = _geval(tmp_path, init_sjabloon, n, "kill")
    (folder / "ander").mkdir()  # serve needs a ledger to serve
    make_ledger(folder / "ander")
    err = serve_start(folder, tmp_path / "cache")
    assert "teruggedraaid" in err and "niet aangemaakt" in err, err
    assert not (folder / SLUG).exists()


# --------------------------------------------------------------------------- betaal


BETAAL_ARGS = ["betaal", "{ws}/" + SLUG, "--datum", "2025-05-08", "--door", "henk"]
_TIJD = re.compile(rb"<(CreDtTm|PmtInfId)>[^<]*</(CreDtTm|PmtInfId)>")


def _zonder_tijd(folder: Path) -> dict:
    """The workspace, the payment file's creation time and its own id left out (what two runs write differently)."""
    return {k: (_TIJD.sub(b"", v) if v is not None and k.startswith("betalingen/") else v)
            for k, v in inhoud(folder).items()}


def _betaal_voor(voor: Path) -> None:
    """A ledger with one approved claim to pay; no betalingen/ folder yet (the batch makes it)."""
    ledger = make_ledger(voor / SLUG)
    r = cli("declaratie", "indienen", str(ledger), "--datum", "2025-05-02", "--declarant", "Fatima el Amrani",
            "--iban", RESIDENT_IBAN, "--bedrag", "64,20", "--plan", "Groen", "--categorie", "Materiaal",
            "--omschrijving", "bollen", "--bon", str(receipt(voor)))
    assert r.returncode == 0, r.stderr
    (voor / "bon.pdf").unlink()
    link = [p.link for p in read_ledger(ledger).view.payables][-1]
    assert cli("declaratie", "goedkeuren", str(ledger), link, door="Ria").returncode == 0


def _betaal_sjabloon(voor: Path, na: Path, args: list[str]) -> dict:
    _git_werkruimte(voor)
    sjabloon = _sjabloon(voor, na, args, _zonder_tijd)
    (bestand,) = [k for k in sjabloon["na"] if k.startswith("betalingen/") and k.endswith(".xml")]
    sjabloon["bestand"] = bestand
    return sjabloon


@pytest.fixture(scope="module")
def betaal_sjabloon(tmp_path_factory) -> dict:
    voor = tmp_path_factory.mktemp("betaal-voor")
    _betaal_voor(voor)
    return _betaal_sjabloon(voor, tmp_path_factory.mktemp("betaal-na"), BETAAL_ARGS)


def _geldig_betaalbestand(folder: Path, sjabloon: dict) -> None:
    """The payment file in place is a whole pain.001 file of the batch the ledger recorded."""
    import xmlschema

    from ledger.betalingen.batches import SCHEMA_PATH

    pad = folder / sjabloon["bestand"]
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(pad))
    msgid = re.search(rb"<MsgId>([^<]+)</MsgId>", pad.read_bytes()).group(1).decode()
    assert f'"betaalopdracht" "{msgid}"' in (folder / SLUG / "main.beancount").read_text(encoding="utf-8")


def test_betaal_has_the_steps_the_tests_fail(betaal_sjabloon) -> None:
    namen = betaal_sjabloon["namen"]
    bestand = Path(betaal_sjabloon["bestand"]).name
    for verwacht in ("intentie schrijven", f"schrijf {bestand}", f"rename {bestand}", "rename main.beancount",
                     "git commit", "intentie klaar"):
        assert verwacht in namen, namen
    # the payment file is in place before the commit
    assert namen.index(f"rename {bestand}") < namen.index("rename main.beancount") < namen.index("git commit")


@pytest.mark.parametrize("soort", ["kill", "enospc", "erofs"])
def test_betaal_failing_at_every_step_leaves_no_batch_without_its_file(tmp_path, betaal_sjabloon, soort) -> None:
    uitkomsten = _alle(tmp_path, betaal_sjabloon, soort)
    _controleer(soort, betaal_sjabloon, uitkomsten)
    for n, (staat, _code, _gezegd) in uitkomsten.items():
        if staat == "na":
            _geldig_betaalbestand(tmp_path / f"{soort}-{n}", betaal_sjabloon)


def test_betaal_killed_before_its_commit_is_undone_by_the_next_read_which_says_so(tmp_path, betaal_sjabloon):
    from ledger.schrijver.schrijven import lees_stand

    n = betaal_sjabloon["namen"].index("git commit") + 1
    folder, _r, _ = _geval(tmp_path, betaal_sjabloon, n, "kill")
    assert (folder / betaal_sjabloon["bestand"]).exists()  # in place before the commit
    fout = io.StringIO()
    with contextlib.redirect_stderr(fout):
        lees_stand(folder / SLUG / "main.beancount")
    assert "teruggedraaid" in fout.getvalue() and "weggehaald" in fout.getvalue(), fout.getvalue()
    assert betaal_sjabloon["bestand"] in fout.getvalue()
    assert _een_van_beide(folder, betaal_sjabloon) == "voor"



def test_betaal_over_an_earlier_file_killed_at_every_step_puts_the_old_file_back(tmp_path_factory) -> None:
    """`--overschrijven`: undone, the earlier payment file is back byte for byte; finished, it is the new one."""
    voor = tmp_path_factory.mktemp("overschrijven-voor")
    _betaal_voor(voor)
    (voor / "betalingen").mkdir()
    (voor / "betalingen" / "eerder.xml").write_bytes(b"<?xml version='1.0'?><Document xmlns='pain.001'/>\n")
    args = [*BETAAL_ARGS, "-o", "{ws}/betalingen/eerder.xml", "--overschrijven"]
    sjabloon = _betaal_sjabloon(voor, tmp_path_factory.mktemp("overschrijven-na"), args)
    tmp_path = tmp_path_factory.mktemp("overschrijven")
    uitkomsten = _alle(tmp_path, sjabloon, "kill")
    _controleer("kill", sjabloon, uitkomsten)
    for n, (staat, _code, gezegd) in uitkomsten.items():
        if staat == "na":
            _geldig_betaalbestand(tmp_path / f"kill-{n}", sjabloon)
        elif "teruggedraaid" in gezegd:
            assert "eerder.xml is teruggezet" in gezegd, gezegd
    assert any("eerder.xml is teruggezet" in gezegd for _s, _c, gezegd in uitkomsten.values())


def test_only_a_dead_inits_staging_folder_is_removed(tmp_path: Path, capsys) -> None:
    from ledger.schrijver.bestanden import ledger_lock
    from ledger.schrijver.nieuw import ruim_staging_op

    dood = tmp_path / ".k-buurt-2025.nieuw.abcd_123"  # an init killed while it wrote its ledger
    (dood / "documents").mkdir(parents=True)
    (dood / "main.beancount").write_text("; half\n", encoding="utf-8")
    levend = tmp_path / ".k-buurt-2025.nieuw.efgh_456"  # an init at work holds its lock
    levend.mkdir()
    eigen = tmp_path / ".notities.nieuw.ijkl_789"  # someone's own folder, named alike
    eigen.mkdir()
    (eigen / "lijst.txt").write_text("van de bewonersgroep\n", encoding="utf-8")
    with ledger_lock(levend / "main.beancount"):
        assert ruim_staging_op(tmp_path) == [dood]
    assert not dood.exists() and levend.is_dir() and (eigen / "lijst.txt").is_file()
    assert "onderbroken 'buurtbudget init'" in capsys.readouterr().err


def test_a_read_or_write_of_an_undone_init_says_there_is_no_ledger(tmp_path, init_sjabloon) -> None:
    from ledger.schrijver.schrijven import SchrijfFout, lees_stand

    n = init_sjabloon["namen"].index("git commit") + 1
    folder, _r, _ = _geval(tmp_path, init_sjabloon, n, "kill")
    r = subprocess.run([str(Path(sys.executable).with_name("buurtbudget")), "check", str(folder / SLUG)],
                       capture_output=True, text=True)
    assert "teruggedraaid" in r.stderr and "buurtbudget init" in r.stdout + r.stderr, (r.stdout, r.stderr)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "interne fout" not in r.stderr
    assert _een_van_beide(folder, init_sjabloon) == "voor"
    folder, _r, _ = _geval(tmp_path / "schrijven", init_sjabloon, n, "kill")
    with pytest.raises(SchrijfFout, match="er is geen ledger"):
        lees_stand(folder / SLUG / "main.beancount")
    assert _een_van_beide(folder, init_sjabloon) == "voor"
