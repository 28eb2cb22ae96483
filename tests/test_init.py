"""`buurtbudget init` writes nothing until its input is valid, and quotes what it writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from tests.dagelijks_helpers import cli, folder_digest

INIT = {"--stadsdeel": "Zuidoost", "--buurt": "K-buurt", "--model": "C", "--begin": "2025-01-01",
        "--einde": "2025-12-31", "--toekenning": "25.000,00", "--beschikking": "ZO-2025-017",
        "--iban": "NL91ABNA0417164300", "--beheerder": "Stichting Voorbeeld"}


def _init(target: Path, **changes: str):
    args = {**INIT, **{f"--{k}": v for k, v in changes.items()}}
    return cli("init", str(target), *[x for kv in args.items() for x in kv], door=None)


REFUSED = [
    ("regeleinde in buurt", {"buurt": "K-\nbuurt"}, "--buurt"),
    ("regeleinde in stadsdeel", {"stadsdeel": "Zuid\r\noost"}, "--stadsdeel"),
    ("U+2028 in beheerder", {"beheerder": "Stichting\u2028Voorbeeld"}, "--beheerder"),
    ("tab in beschikking", {"beschikking": "ZO\t2025"}, "--beschikking"),
    ("escape in naam", {"naam": "K-buurt\x1b[31m 2025"}, "--naam"),
    ("lege buurt", {"buurt": "   "}, "--buurt"),
    ("drie decimalen", {"toekenning": "25000,125"}, "meer dan twee decimalen"),
    ("dubbelzinnig", {"toekenning": "25.000"}, "dubbelzinnig"),
]


@pytest.mark.parametrize("label,changes,expected", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_init_leaves_no_folder_behind(tmp_path: Path, label, changes, expected) -> None:
    target = tmp_path / "k-buurt-2025"
    r = _init(target, **changes)
    assert r.returncode == 2, r.stdout
    assert r.stderr.startswith("fout:") and expected in r.stderr and "Traceback" not in r.stderr
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no staging folder left either


@pytest.mark.parametrize("label,changes,expected", REFUSED[:3], ids=[r[0] for r in REFUSED[:3]])
def test_refused_init_leaves_an_existing_folder_unchanged(tmp_path: Path, label, changes, expected) -> None:
    target = tmp_path / "k-buurt-2025"
    target.mkdir()
    (target / "notities.txt").write_text("van de bewonersgroep\n", encoding="utf-8")
    before = folder_digest(target)
    r = _init(target, **changes)
    assert r.returncode == 2 and expected in r.stderr
    assert folder_digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k-buurt-2025"]


def test_quotes_and_backslashes_are_written_so_beancount_reads_them_back(tmp_path: Path) -> None:
    target = tmp_path / "k-buurt-2025"
    r = _init(target, beheerder='Stichting "De \\ Kolk"', buurt='K-buurt "Noord"', beschikking='ZO-"17"\\a')
    assert r.returncode == 0, r.stderr
    entries, errors, options = loader.load_file(str(target / "main.beancount"))
    assert errors == []
    (header,) = [e for e in entries if isinstance(e, data.Custom) and e.type == "buurtbudget"]
    assert header.meta["beheerder"] == 'Stichting "De \\ Kolk"' and header.meta["buurt"] == 'K-buurt "Noord"'
    assert header.values[0].value == 'K-buurt "Noord" 2025'
    (award,) = [e for e in entries if isinstance(e, data.Transaction)]
    assert award.meta["beschikking"] == 'ZO-"17"\\a'
    assert options["title"] == 'Buurtbudget K-buurt "Noord" 2025'
    assert (target / "documents").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k-buurt-2025"]
    assert oct(target.stat().st_mode & 0o777) != oct(0o700)  # not the staging folder's private mode


def test_init_into_an_existing_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "k-buurt-2025"
    target.mkdir()
    assert _init(target).returncode == 0
    assert sorted(p.name for p in target.iterdir()) == ["documents", "main.beancount"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k-buurt-2025"]
    assert cli("check", str(target), door=None).returncode == 0


# --------------------------------------------------------------------------- in a git workspace: one commit


def _git(folder: Path, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def _git_werkruimte(tmp_path: Path) -> Path:
    from tests.dagelijks_helpers import gebruiker

    ws = tmp_path / "ws"
    ws.mkdir()
    gebruiker(ws, "Henk Bakker", login="henk")
    gebruiker(ws, "Jan de Wit", rol="auditor", login="jan")
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "begin")
    return ws


def _staat(ws: Path) -> tuple:
    return folder_digest(ws), _git(ws, "rev-parse", "HEAD"), _git(ws, "status", "--porcelain", "--untracked-files=all")


def test_init_in_a_git_workspace_commits_the_new_ledger_as_the_person(tmp_path: Path) -> None:
    ws = _git_werkruimte(tmp_path)
    args = [x for kv in INIT.items() for x in kv]
    r = cli("init", str(ws / "k-buurt-2025"), *args, door="henk")
    assert r.returncode == 0, r.stderr
    assert "(git " in r.stdout
    assert _git(ws, "status", "--porcelain", "--untracked-files=all") == ""
    assert _git(ws, "log", "-1", "--format=%an|%s").strip() == "Henk Bakker|Nieuw buurtbudget 'K-buurt 2025' aangemaakt"
    assert _git(ws, "show", "--name-only", "--format=", "HEAD").split() == ["k-buurt-2025/main.beancount"]


@pytest.mark.parametrize("door,says", [(None, "wie doet dit?"), ("jan", "leest alleen (auditor)"),
                                       ("piet", "geen login")])
def test_init_in_a_git_workspace_without_a_known_beheerder_makes_nothing(tmp_path: Path, door, says) -> None:
    ws = _git_werkruimte(tmp_path)
    voor = _staat(ws)
    r = cli("init", str(ws / "k-buurt-2025"), *[x for kv in INIT.items() for x in kv], door=door)
    assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert _staat(ws) == voor


@pytest.mark.parametrize("bestond", [False, True])
def test_init_whose_commit_fails_leaves_the_workspace_as_it_was(tmp_path: Path, bestond: bool) -> None:
    ws = _git_werkruimte(tmp_path)
    (ws / ".gitignore").write_text("k-buurt-2025/\n", encoding="utf-8")  # git will not take the new ledger
    _git(ws, "add", ".gitignore")
    _git(ws, "-c", "user.name=Init", "-c", "user.email=init@x", "commit", "-qm", "negeer")
    if bestond:
        (ws / "k-buurt-2025").mkdir()
        (ws / "k-buurt-2025" / "notitie.txt").write_text("van tevoren\n", encoding="utf-8")
    voor = _staat(ws)
    r = cli("init", str(ws / "k-buurt-2025"), *[x for kv in INIT.items() for x in kv], door="henk")
    assert r.returncode == 1 and ".gitignore" in r.stderr and "niets aangemaakt" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert _staat(ws) == voor
