"""The public copy: no receipts, IBANs or private names; the same figures; loads cleanly."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from beancount import loader

from buurtbudget_admin.demo import write_demo_workspace
from ledger.buurtbudget.header import header_entries, parse_header
from buurtbudget_admin.service.state import PUBLIC_FAVA_OPTIONS
from ledger.publiek.redact import BEWONER, IBAN_PATTERN, redact_ledger
from ledger.evaluatie.view import build_view
from rules.checking import check_ledger
from tests.service_workspace import IBANS, PRIVATE_NAMES, RECEIPTS, SECRETS, write_workspace


def _redacted(tmp_path: Path, slug: str = "testbuurt-2025"):
    workspace = write_workspace(tmp_path / "ws")
    loaded, problems = check_ledger(workspace / slug)
    result = redact_ledger(loaded.entries, loaded.options_map, fava_options=PUBLIC_FAVA_OPTIONS)
    copy = tmp_path / "publiek" / slug / "main.beancount"
    copy.parent.mkdir(parents=True)
    copy.write_text(result.text, encoding="utf-8")
    entries, errors, options = loader.load_file(str(copy))
    return loaded, problems, result, entries, errors, options


def _figures(view):
    return {
        "award": view.award, "received": view.received, "spent": view.spent,
        "support": view.support_costs, "ceiling": view.ceiling, "remaining": view.remaining,
        "open_claims": view.open_claims, "bank": view.bank_balance,
        "plans": [(p.account, p.titel, p.budget, p.costs, p.costs_by_category) for p in view.plans],
        "payables": [(p.kind, p.link, p.amount, p.status) for p in view.payables],
        "lines": [(l.date, l.account, l.amount) for l in view.cost_lines],
    }


def test_no_secret_survives_and_the_copy_loads_cleanly(tmp_path):
    loaded, _problems, result, entries, errors, _options = _redacted(tmp_path)
    original = (tmp_path / "ws" / "testbuurt-2025" / "main.beancount").read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret in original or secret.replace(" ", "") in original.replace(" ", "")
        assert secret not in result.text, secret
    assert not IBAN_PATTERN.search(result.text)
    assert errors == []
    assert "document" not in result.text
    assert "prive-namen" not in result.text


def test_same_figures_as_the_real_books(tmp_path):
    loaded, _problems, _result, entries, _errors, options = _redacted(tmp_path)
    assert _figures(build_view(entries, options)) == _figures(loaded.view)
    assert loaded.view.award > 0 and loaded.view.spent > 0


def test_private_entries_and_their_links_become_bewoner(tmp_path):
    _loaded, _problems, result, entries, _errors, _options = _redacted(tmp_path)
    by_narration = {e.narration: e for e in entries if type(e).__name__ == "Transaction"}
    # prive: TRUE on the claim, and its payment shares the link.
    claim = next(e for n, e in by_narration.items() if n.startswith("Declaratie: bloembollen"))
    payment = by_narration["Uitbetaling declaratie"]
    assert claim.payee == BEWONER and claim.meta["declarant"] == BEWONER
    assert payment.payee == BEWONER
    assert "iban" not in claim.meta and not any(k.startswith("document") for k in claim.meta)
    # The approvals stay: the claim is still approved in the public view.
    assert claim.meta["goedgekeurd-door"] == "Anja"
    # prive: TRUE only on the payment: the claim it pays (same link) is private too.
    taart = next(e for n, e in by_narration.items() if n.startswith("Taart"))
    assert taart.payee == BEWONER and "Kees Jansen" not in taart.narration
    # A payee named in the header's prive-namen.
    verf = by_narration["Verf voor de bankjes"]
    assert verf.payee == BEWONER
    # Businesses that are not linked to a private entry keep their names.
    assert by_narration["Verf en hout voor de speeltuin"].payee == "Bouwmarkt Noord"
    assert by_narration["Bankkosten"].payee == "ING"
    # Names elsewhere: a plan's indiener and a note.
    plan = next(e for e in entries if type(e).__name__ == "Custom" and e.type == "plan"
                and e.values[0].value.endswith("Groen"))
    assert plan.meta["indiener"] == BEWONER
    note = next(e for e in entries if type(e).__name__ == "Note")
    assert note.comment == "Gebeld met Bewoner over de bon"


def test_header_plans_and_fava_directives_are_kept(tmp_path):
    loaded, _problems, result, entries, _errors, _options = _redacted(tmp_path)
    header = parse_header(header_entries(entries)[0])
    real = loaded.view.header
    assert header == dataclasses.replace(real, iban=None, prive_namen=())
    assert header.iban is None and header.prive_namen == ()
    assert 'custom "fava-option" "language" "nl"' in result.text
    assert 'custom "fava-option" "default-page" "extension/Buurtbudget/"' in result.text
    assert "fava-extension" not in result.text and "buurtbudget_admin" not in result.text
    assert not any(type(e).__name__ == "Document" for e in entries)
    assert sum(1 for e in entries if type(e).__name__ == "Custom" and e.type == "plan") == 3
    assert "plugin" not in result.text and 'option "documents"' not in result.text


def test_verdict_lines_point_into_the_copy_and_messages_are_scrubbed(tmp_path):
    loaded, problems, result, entries, _errors, _options = _redacted(tmp_path)
    assert problems, "the fixture has violations"
    copy_lines = result.text.splitlines()
    for problem in problems:
        line = result.lines[(problem.filename, problem.lineno)]
        assert re.match(r"\d{4}-\d\d-\d\d ", copy_lines[line - 1])
    assert result.scrub("bon 2025-05-02-bollen.pdf van Fatima el Amrani, NL02ABNA0123456789") == \
        "bon [bon] van Bewoner, [IBAN verborgen]"


def test_padding_and_balances_survive(tmp_path):
    text = """\
option "title" "Pad"
2025-01-01 open Assets:Bank EUR
2025-01-01 open Equity:Opening EUR
2025-01-01 pad Assets:Bank Equity:Opening
2025-01-02 balance Assets:Bank 100.00 EUR
"""
    path = tmp_path / "pad.beancount"
    path.write_text(text, encoding="utf-8")
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    copy = tmp_path / "copy.beancount"
    copy.write_text(redact_ledger(entries, options).text, encoding="utf-8")
    _entries, copy_errors, _ = loader.load_file(str(copy))
    assert copy_errors == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    target = tmp_path_factory.mktemp("demo") / "werkruimte"
    write_demo_workspace(target)
    return target


@pytest.mark.parametrize("slug", ["k-buurt-2025", "geuzenveld-2025", "de-baarsjes-2025"])
def test_demo_ledgers(demo, tmp_path, slug):
    loaded, _problems = check_ledger(demo / slug)
    real = (demo / slug / "main.beancount").read_text(encoding="utf-8")
    secrets = set(re.findall(r'(?:declarant|iban|document): "([^"]+)"', real))
    secrets |= {s.rsplit("/", 1)[-1] for s in secrets}
    assert len(secrets) > 20
    text = redact_ledger(loaded.entries, loaded.options_map).text
    assert [s for s in secrets if s in text] == []
    copy = tmp_path / slug / "main.beancount"
    copy.parent.mkdir()
    copy.write_text(text, encoding="utf-8")
    (tmp_path / "regels.toml").write_bytes((demo / "regels.toml").read_bytes())
    entries, errors, options = loader.load_file(str(copy))
    assert errors == []
    assert _figures(build_view(entries, options)) == _figures(loaded.view)


ELSEWHERE = """\
option "title" "Privé overal"
option "operating_currency" "EUR"

2025-01-01 open Assets:Bank EUR
2025-01-01 open Liabilities:Declaraties:Fatima-el-Amrani EUR
2025-01-01 open Expenses:Plannen:Groen:Materiaal EUR

2025-05-02 * "Fatima el Amrani" "Bloembollen; mail fatima@example.nl, bel 06-12345678, rekening nl02abna0123456789" #fatima-el-amrani ^decl-fatima-el-amrani
  prive: TRUE
  beschikking: "N-2025-001"
  Expenses:Plannen:Groen:Materiaal   64.20 EUR
  Liabilities:Declaraties:Fatima-el-Amrani

2025-05-09 * "Gemeente" "Uitbetaling op 2025-05-09, kenmerk 2025-0509-001" ^decl-fatima-el-amrani
  Liabilities:Declaraties:Fatima-el-Amrani   64.20 EUR
  Assets:Bank

2025-06-01 query "declaraties-fatima-el-amrani" "SELECT * WHERE payee = 'Fatima el Amrani' OR account ~ 'Fatima-el-Amrani'"

2025-06-02 note Assets:Bank "Bel +31 20 123 4567 of 0031-6-1234-5678, of mail k.jansen@buurt.nl"
"""


def test_names_ibans_mails_and_phones_are_gone_from_every_place(tmp_path):
    """Query text, account names, tags, links, lower-case IBANs, e-mail addresses, phone numbers."""
    path = tmp_path / "main.beancount"
    path.write_text(ELSEWHERE, encoding="utf-8")
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    text = redact_ledger(entries, options).text
    for secret in ("fatima", "amrani", "example.nl", "12345678", "nl02abna", "123 4567", "1234-5678",
                   "k.jansen", "buurt.nl"):
        assert secret not in text.lower(), secret
    assert "Liabilities:Declaraties:Bewoner-1" in text and "#bewoner" in text
    # Dates, amounts and reference numbers are not phone numbers.
    for kept in ("2025-05-09", "64.20 EUR", "N-2025-001", "2025-0509-001"):
        assert kept in text, kept
    copy = tmp_path / "copy.beancount"
    copy.write_text(text, encoding="utf-8")
    copied, copy_errors, _ = loader.load_file(str(copy))
    assert copy_errors == []
    claim, payment = [e for e in copied if type(e).__name__ == "Transaction"]
    assert claim.links == payment.links and len(claim.links) == 1  # the link still ties them
    query = next(e for e in copied if type(e).__name__ == "Query")
    assert "Bewoner" in query.query_string and "Bewoner-1" in query.query_string


def test_a_private_name_in_look_alike_letters_is_private_too(tmp_path):
    """The header lists Ingrid Bakker; a booking to 'Ιngrid\u200bBakker' (Greek Iota, a zero-width space)
    is the same person as people read it, and is redacted as her (the four-eyes name key)."""
    workspace = write_workspace(tmp_path / "ws")
    main = workspace / "testbuurt-2025" / "main.beancount"
    with main.open("a", encoding="utf-8") as handle:
        handle.write('\n2025-06-03 * "\u0399ngrid\u200bBakker" "Kwast voor de bankjes"\n'
                     "  Uitgaven:Plannen:Speeltuin:Materiaal   4.00 EUR\n"
                     "  Activa:Bank:Betaalrekening\n")
    loaded, _problems = check_ledger(workspace / "testbuurt-2025")
    result = redact_ledger(loaded.entries, loaded.options_map, fava_options=PUBLIC_FAVA_OPTIONS)
    entries, errors, _options = loader.load_string(result.text)
    kwast = next(e for e in entries if type(e).__name__ == "Transaction" and e.narration == "Kwast voor de bankjes")
    assert kwast.payee == BEWONER
    assert "ngrid" not in result.text
