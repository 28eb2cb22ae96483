"""Signals by planting, the variants `tests/test_signalen.py` does not plant.

Issue 22 names, per signal, more than one way in: an IBAN of whoever entered or
approved a claim (not only the penvoerder's and the budget's), one name paid to
three accounts, an amount far above a payee's usual (not only a plan's), a
receipt dated after the payment, two invoices paid twice, an approver approving
a claim paid to their own account. One ledger plants each, with near-misses
beside them (two invoices of one payee and amount on one day for two different
jobs, each with its own receipt; an IBAN changed twice, each time with a note,
which is no SIG-NIEUWE-IBAN), and the real `buurtbudget signalen --format json`
must report exactly these.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_signalen import PLANS, _line, _pdf, _signalen, _write, claim, invoice

HENK, JOYCE = "NL11INGB0001111111", "NL22RABO0002222222"


def _paid(date: str, link: str, amount: str) -> str:
    return (f'{date} * "Uitbetaling" "Uitbetaling {link}" ^{link}\n'
            f"  Liabilities:Declaraties   {amount} EUR\n  Assets:Bank:Betaalrekening\n")


LEDGER_C = [
    PLANS,
    # Whoever enters the claims (Henk Bakker) is paid on NL11; Lies's claim goes to that account too.
    claim("2025-03-01", "Henk Bakker", HENK, "Declaratie: schroeven", 40, "decl-2025-001"),
    claim("2025-03-05", "Lies Smit", HENK, "Declaratie: lijm", 30, "decl-2025-002"),
    # Joyce Sedney approves; her own claim (approved by Henk) is paid on NL22, and so is Tom's, which she approved.
    claim("2025-03-10", "Joyce Sedney", JOYCE, "Declaratie: verf", 50, "decl-2025-003", approver="Henk Bakker"),
    claim("2025-03-12", "Tom Kok", JOYCE, "Declaratie: kwasten", 20, "decl-2025-004"),
    # Kim de Wit on three accounts, each change with a note: no SIG-NIEUWE-IBAN, but three accounts for one name.
    claim("2025-04-01", "Kim de Wit", "NL33ABNA0003333333", "Declaratie: zaadjes", 25, "decl-2025-005"),
    claim("2025-04-20", "Kim de Wit", "NL44ABNA0004444444", "Declaratie: bloembollen", 26, "decl-2025-006",
          meta=(("iban-wijziging", "nieuwe bank"),)),
    claim("2025-05-10", "Kim de Wit", "NL55ABNA0005555555", "Declaratie: aarde", 27, "decl-2025-007",
          meta=(("iban-wijziging", "gezamenlijke rekening"),)),
    # A receipt made months after the claim was paid.
    claim("2025-06-01", "Piet Hein", "NL66INGB0006666666", "Declaratie: late bon", 18, "decl-2025-008",
          receipt="laat.pdf"),
    _paid("2025-06-10", "decl-2025-008", "18.00"),
    # A payee's usual: six invoices of about EUR 100 a month apart, then one of EUR 1,000.
    *(invoice(f"2025-{2 + i:02d}-15", "Drukkerij Groot", "NL77INGB0007777777", "Drukwerk", 100 + i,
              f"fact-2025-{10 + i:03d}") for i in range(6)),
    invoice("2025-09-15", "Drukkerij Groot", "NL77INGB0007777777", "Drukwerk", 1000, "fact-2025-020"),
    # Two invoices of one payee, date and amount for the same job: paid twice.
    invoice("2025-07-01", "Schoonmaak BV", "NL88RABO0008888888", "Schoonmaak buurthuis", 80, "fact-2025-030"),
    invoice("2025-07-01", "Schoonmaak BV", "NL88RABO0008888888", "Schoonmaak buurthuis", 80, "fact-2025-031"),
    # Near-miss: the same payee, date and amount for two jobs, each with its own receipt.
    invoice("2025-08-01", "Schoonmaak BV", "NL88RABO0008888888", "Schoonmaak speeltuin", 80, "fact-2025-032"),
    invoice("2025-08-01", "Schoonmaak BV", "NL88RABO0008888888", "Schoonmaak buurttuin", 80, "fact-2025-033"),
]


@pytest.fixture(scope="module")
def werkruimte(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("signalen-geplant")
    _write(root / "buurt-c", LEDGER_C, {"laat.pdf": _pdf("laat", "20251101")}, {})
    return root


def test_exactly_the_planted_variants(werkruimte: Path):
    c = werkruimte / "buurt-c" / "main.beancount"
    found = sorted((s["code"], tuple(s["plekken"])) for s in _signalen(werkruimte)["signalen"])
    expected = sorted([
        ("SIG-EIGEN-IBAN", (_line(c, "^decl-2025-002"),)),  # the invoerder's account
        ("SIG-EIGEN-IBAN", (_line(c, "^decl-2025-004"),)),  # the goedkeurder's account
        ("SIG-ZELF", (_line(c, "^decl-2025-004"),)),  # she approved a claim paid to her own account
        ("SIG-IBAN-NAMEN", (_line(c, "^decl-2025-001"), _line(c, "^decl-2025-002"))),
        ("SIG-IBAN-NAMEN", (_line(c, "^decl-2025-003"), _line(c, "^decl-2025-004"))),
        ("SIG-IBAN-NAMEN", (_line(c, "^decl-2025-005"), _line(c, "^decl-2025-006"), _line(c, "^decl-2025-007"))),
        ("SIG-BEDRAG", (_line(c, "^fact-2025-020"),)),
        ("SIG-BON-DATUM", (_line(c, '"Declaratie: late bon"'),)),
        ("SIG-DUBBEL", (_line(c, "^fact-2025-030"), _line(c, "^fact-2025-031"))),
    ])
    assert found == expected


def test_the_explanations_say_which_variant(werkruimte: Path):
    signalen = _signalen(werkruimte)["signalen"]
    uitleg = {(s["code"], s["links"][0] if s["links"] else ""): s["uitleg"] for s in signalen}
    assert "de invoerder Henk Bakker" in uitleg[("SIG-EIGEN-IBAN", "decl-2025-002")]
    assert "de goedkeurder Joyce Sedney" in uitleg[("SIG-EIGEN-IBAN", "decl-2025-004")]
    assert "Joyce Sedney keurde de declaratie van Tom Kok" in uitleg[("SIG-ZELF", "decl-2025-004")]
    assert "3 rekeningen" in uitleg[("SIG-IBAN-NAMEN", "decl-2025-005")]
    assert "begunstigde Drukkerij Groot" in uitleg[("SIG-BEDRAG", "fact-2025-020")]
    # Paid on 10 June, the receipt made on 1 November: 144 days after the payment.
    assert "144 dagen na de betaling" in uitleg[("SIG-BON-DATUM", "decl-2025-008")]
