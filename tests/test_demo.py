"""The demo workspace: deterministic, realistic, two clean ledgers and one with chosen faults."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from pypdf import PdfReader
from schwifty import IBAN

from buurtbudget_admin.cli import main
from buurtbudget_admin.demo import BUDGETS, DemoExistsError, write_demo_workspace
from ledger.buurtbudget.accounts import Accounts
from rules.checking import check_ledger

CLEAN = ("k-buurt-2025", "geuzenveld-2025")
FAULTY = "de-baarsjes-2025"
# What de-baarsjes-2025 is built to show, and nothing else.
FAULTS = {"BB-BON": 2, "BB-CATEGORIE": 1, "BB-PLAN": 1, "BB-VIER-OGEN": 1}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "werkruimte"
    write_demo_workspace(target)
    return target


@pytest.fixture(scope="module")
def checked(workspace: Path) -> dict:
    return {spec.slug: check_ledger(workspace / spec.slug / "main.beancount") for spec in BUDGETS}


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _transactions(entries: list) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)]


def test_two_writes_are_byte_identical(workspace: Path, tmp_path: Path) -> None:
    again = tmp_path / "nog-een-keer"
    ledgers = write_demo_workspace(again)
    assert [p.relative_to(again).as_posix() for p in ledgers] == [
        f"{slug}/main.beancount" for slug in ("k-buurt-2025", "geuzenveld-2025", "de-baarsjes-2025")
    ]
    first, second = _tree(workspace), _tree(again)
    assert len(first) > 300  # three ledgers, a rules file and hundreds of receipts
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first)


def test_two_processes_write_the_same_bytes(workspace: Path, tmp_path: Path) -> None:
    """Another interpreter (another hash seed: sets and dicts in another order) writes the same tree."""
    exe = Path(sys.executable).with_name("buurtbudget")
    for seed in ("1", "4242"):
        target = tmp_path / f"proces-{seed}"
        proc = subprocess.run([str(exe), "demo", str(target)], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed,
                                   "BEANCOUNT_DISABLE_LOAD_CACHE": "1"})
        assert proc.returncode == 0, proc.stderr
        # The books are the same bytes; the command adds the people (random passwords) and git.
        tree = _tree(target)
        assert {name for name in tree if name.startswith(".git/") or name in ("gebruikers.toml", ".gitignore")}
        assert {k: v for k, v in tree.items()
                if not k.startswith(".git/") and k not in ("gebruikers.toml", ".gitignore")} == _tree(workspace)


def test_layout_of_the_conventions(workspace: Path) -> None:
    assert (workspace / "regels.toml").is_file()
    for spec in BUDGETS:
        folder = workspace / spec.slug
        assert (folder / "main.beancount").is_file()
        assert (folder / "documents").is_dir()
        assert len(list((folder / "documents").glob("*.pdf"))) >= 80


@pytest.mark.parametrize("slug", [s.slug for s in BUDGETS])
def test_a_realistic_year(checked: dict, slug: str) -> None:
    loaded, _ = checked[slug]
    view, entries = loaded.view, loaded.entries
    accounts = Accounts.from_options(loaded.options_map)
    assert accounts.expenses == "Uitgaven" and accounts.assets == "Activa"
    transactions = _transactions(entries)
    assert 100 <= len(transactions) <= 300
    assert view.header is not None and view.header.iban and IBAN(view.header.iban).country_code == "NL"
    assert view.header.beheerder
    assert view.beschikkingen and all(b.beschikking for b in view.award_bookings)
    assert view.received == view.award  # the whole award arrived from the Vordering
    # at least one plan's budget was changed by a later declaration
    assert any(len(plan.declarations) >= 2 and plan.declarations[-1].budget != plan.declarations[0].budget
               for plan in view.plans)
    # handling costs with bank costs, under the ceiling
    assert any(accounts.is_bank_costs(line.account) for line in view.support_lines)
    assert view.support_within_ceiling and view.support_costs > 0
    # refunds are negative costs
    assert any(line.amount < 0 for line in view.cost_lines)
    # hours within the hourly rate
    with_hours = [t for t in transactions if "uren" in t.meta]
    assert with_hours
    # claims: waiting with `!`, approved ones paid under the same link
    claims = [p for p in view.payables if p.kind == "declaratie"]
    assert any(p.status == "ingediend" and p.flag == "!" for p in claims)
    assert any(p.status == "betaald" for p in claims)
    for claim in claims:
        assert claim.link and claim.link.startswith("decl-")
        assert claim.entry.meta["prive"] is True
        assert IBAN(claim.iban).country_code == "NL"  # raises on an invalid IBAN
        assert claim.entered_by and claim.declarant
        if claim.status == "betaald":
            assert claim.approved_by not in (claim.entered_by, claim.declarant)
            assert all(claim.link in payment.links for payment in claim.payments)
    invoices = [p for p in view.payables if p.kind == "factuur"]
    assert invoices and all(p.link.startswith("fact-") for p in invoices)
    assert any(p.status == "betaald" for p in invoices)
    # large payments carry a second person's approval
    large = [t for t in transactions
             if any(accounts.is_bank(p.account) and p.units.number <= Decimal("-500") for p in t.postings)
             and any(accounts.is_expense(p.account) for p in t.postings)]
    assert large and all(t.meta.get("goedgekeurd-door") for t in large)


def test_geuzenveld_plans_were_chosen_by_vote(checked: dict) -> None:
    loaded, _ = checked["geuzenveld-2025"]
    assert loaded.view.header.model == "A"
    votes = [d.meta.get("stemmen") for plan in loaded.view.plans for d in plan.declarations]
    assert votes and all(isinstance(v, Decimal) and v > 0 for v in votes)


def test_receipts_are_valid_pdfs(workspace: Path, checked: dict) -> None:
    loaded, _ = checked["k-buurt-2025"]
    named = {str(v) for t in _transactions(loaded.entries) for k, v in t.meta.items() if k.startswith("document")}
    folder = workspace / "k-buurt-2025" / "documents"
    assert named == {p.name for p in folder.glob("*.pdf")}
    sample = sorted(folder.glob("*.pdf"))[::25]
    for pdf in sample:
        text = PdfReader(pdf).pages[0].extract_text()
        assert "Totaal: €" in text and "K-buurt 2025" in text


@pytest.mark.parametrize("slug", CLEAN)
def test_clean_ledgers_are_clean(checked: dict, slug: str) -> None:
    _, problems = checked[slug]
    assert problems == []


def test_faulty_ledger_shows_its_chosen_faults_only(checked: dict) -> None:
    _, problems = checked[FAULTY]
    codes: dict[str, int] = {}
    for problem in problems:
        codes[problem.code] = codes.get(problem.code, 0) + 1
    assert codes == FAULTS  # no beancount-level error (BC-...), no other rule
    text = "\n".join(p.format() for p in problems)
    assert "'Alcohol'" in text and "Beweegclub" in text and "Henk Bakker" in text


def test_de_baarsjes_carries_planted_signals_that_are_no_violations(workspace: Path) -> None:
    """One receipt handed in twice and a claim paid to the budget's own account: signals for people
    (hoog), while the rules keep reporting only the chosen faults."""
    from buurtbudget_admin.signalering import bereken

    found, _payments, _ = bereken([workspace / "de-baarsjes-2025"])
    high = {s.code for s in found if s.ernst == "hoog"}
    assert high == {"SIG-BON-DUBBEL", "SIG-EIGEN-IBAN"}, [s.format() for s in found]
    own = next(s for s in found if s.code == "SIG-EIGEN-IBAN")
    assert "Bram Visser" in own.uitleg and "eigen rekening van het buurtbudget" in own.uitleg
    clean = bereken([workspace / "k-buurt-2025"])[0]
    assert not {s.code for s in clean} & {"SIG-BON-DUBBEL", "SIG-EIGEN-IBAN"}


def test_the_west_rules_file_widens_the_categories(checked: dict) -> None:
    loaded, problems = checked[FAULTY]
    assert "Vervoer" in loaded.view.kader.categorieen
    assert "regels.toml" in loaded.view.kader.bron
    assert any(line.category == "Vervoer" for line in loaded.view.cost_lines)
    assert not any("Vervoer" in p.message for p in problems)


def _bean_check_codes(path: Path) -> dict[str, int]:
    result = subprocess.run([sys.executable, "-m", "beancount.scripts.check", str(path)],
                            capture_output=True, text=True, timeout=120)
    codes: dict[str, int] = {}
    for code in re.findall(r"^\S+:\d+:\s+(BB-[A-Z-]+) ", result.stdout + result.stderr, re.M):
        codes[code] = codes.get(code, 0) + 1
    return {"exit": result.returncode, **codes}


def test_bean_check_shows_the_same_codes(workspace: Path) -> None:
    assert _bean_check_codes(workspace / FAULTY / "main.beancount") == {"exit": 1, **FAULTS}
    assert _bean_check_codes(workspace / "k-buurt-2025" / "main.beancount") == {"exit": 0}


def test_every_transaction_balances_without_the_rules(workspace: Path) -> None:
    for spec in BUDGETS:
        path = workspace / spec.slug / "main.beancount"
        text = path.read_text(encoding="utf-8").replace('plugin "rules"\n', "")
        bare = path.with_name("zonder-regels.beancount")
        bare.write_text(text, encoding="utf-8")
        try:
            _, errors, _ = loader.load_file(str(bare))
        finally:
            bare.unlink()
        assert errors == []


def test_cli_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo"
    target.mkdir()  # an empty folder is fine
    assert main(["demo", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"Demo-werkruimte geschreven in {target}" in out
    assert "k-buurt-2025:" in out and "geuzenveld-2025:" in out
    assert out.count("controle: geen problemen") == 2
    assert "de-baarsjes-2025:" in out and "BB-VIER-OGEN" in out
    assert (target / "k-buurt-2025" / "main.beancount").is_file()


def test_refuses_an_existing_non_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "bezet"
    target.mkdir()
    (target / "notities.txt").write_text("van mij", encoding="utf-8")
    with pytest.raises(DemoExistsError):
        write_demo_workspace(target)
    assert main(["demo", str(target)]) == 1
    err = capsys.readouterr().err
    assert "bestaat al en is niet leeg" in err and "Traceback" not in err
    assert sorted(p.name for p in target.iterdir()) == ["notities.txt"]
    assert (target / "notities.txt").read_text(encoding="utf-8") == "van mij"
    assert [p.name for p in tmp_path.iterdir()] == ["bezet"]  # no staging folder left behind


def test_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "bestand"
    target.write_text("x", encoding="utf-8")
    assert main(["demo", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == "x"
