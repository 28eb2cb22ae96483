"""A workspace whose books carry markup in every text field a ledger has (issue 17, item 2).

Every payload names the field it sits in (`alert('payee-img')`), so a script that
runs says where it came from. The ledger is the daily-work ledger of
`tests.dagelijks_helpers`; the bank line arrives through the real `buurtbudget import`.
"""

from __future__ import annotations

from pathlib import Path

from tests.dagelijks_helpers import IBAN, LEDGER

SLUG = "opmaak-2025"
# Ordinary text that must come out as itself, not as entities or eaten by a sanitizer.
PLAIN = "Café & \"Zon\" <b>vet</b>"


def payload(field: str) -> str:
    """Markup in four shapes that each run script if a page takes them as HTML, then ordinary text."""
    return (f"<img src=x onerror=alert('{field}-img')>"
            f"<script>alert('{field}-script')</script>"
            f"\"><svg onload=alert('{field}-svg')>"
            f"<a href=\"javascript:alert('{field}-js')\">klik-{field}</a> {PLAIN}")


def bean(text: str) -> str:
    """`text` as a beancount string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# A document's file name cannot hold '/' and is shown by Fava as a link text.
DOCUMENT_NAME = "<img src=x onerror=alert('docname-img')>'\"><svg onload=alert('docname-svg')>.pdf"

# The header's name and the plan's title are read by our own extension and the landing page too.
HEADER_NAME = payload("header")
TITLE = payload("title")

ENTRIES = f"""
2025-01-01 commodity EUR
  name: {bean(payload("commodity"))}

2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR
  omschrijving: {bean(payload("open-meta"))}
2025-01-01 open Uitgaven:Plannen:Groen:Materiaal EUR

2025-02-02 custom "plan" Uitgaven:Plannen:Bankjes {bean(payload("plan"))} 800.00 EUR
  status: "gekozen"
  indiener: {bean(payload("plan-meta"))}
2025-01-01 open Uitgaven:Plannen:Bankjes:Materiaal EUR

2025-03-10 * {bean(payload("payee"))} {bean(payload("narration"))} #opmaak ^opmaak-1
  omschrijving: {bean(payload("meta"))}
  website: {bean("javascript:alert('meta-url')")}
  document: {bean("documents/" + DOCUMENT_NAME)}
  Uitgaven:Plannen:Speeltuin:Materiaal   41.25 EUR
    notitie: {bean(payload("posting-meta"))}
  Passiva:Crediteuren

2025-03-20 * "Houthandel" {bean(payload("over-plan"))}
  document: {bean("documents/" + DOCUMENT_NAME)}
  Uitgaven:Plannen:Bankjes:Materiaal   900.00 EUR
  Passiva:Crediteuren

2025-03-21 * {bean(payload("rule"))} "zonder bon: BB-BON quotes the payee in its message"
  Uitgaven:Plannen:Speeltuin:Materiaal   10.00 EUR
  Passiva:Crediteuren

2025-03-11 note Uitgaven:Plannen:Speeltuin:Materiaal {bean(payload("note"))}

2025-03-12 event {bean(payload("event-type"))} {bean(payload("event"))}

2025-03-13 query {bean(payload("query"))} "SELECT payee, narration"

2025-03-14 document Uitgaven:Plannen:Speeltuin:Materiaal {bean("documents/" + DOCUMENT_NAME)}

2025-01-01 custom "fava-sidebar-link" {bean(payload("sidebar"))} "javascript:alert('sidebar-js')"
2025-01-01 custom "fava-sidebar-link" "Gemeente" "https://www.amsterdam.nl/"

2025-03-15 custom "info" {bean(payload("custom"))} TRUE
"""


def ledger_text() -> str:
    text = LEDGER.replace('option "title" "Buurtbudget Testbuurt 2025"', f'option "title" {bean(TITLE)}')
    text = text.replace('custom "buurtbudget" "Testbuurt 2025"', f'custom "buurtbudget" {bean(HEADER_NAME)}')
    assert bean(TITLE) in text and bean(HEADER_NAME) in text  # the base ledger still reads as expected
    return text + ENTRIES


# The bank's line: the counterparty and the description are the bank's (hostile) text.
BANK_PAYEE = "<img src=x onerror=alert('bank-payee')>"
BANK_NARRATION = "<script>alert('bank-narration')</script> Café & co"
STATEMENT = (
    "rekening;datum;bedrag;tegenpartij;omschrijving;referentie;saldo\n"
    f"{IBAN};2025-04-01;-12,50;{BANK_PAYEE};{BANK_NARRATION};BANK-XSS-1;9987,50\n"
)


def write_markup_workspace(root: Path) -> Path:
    """root/opmaak-2025 with the hostile ledger and its document; returns the ledger's path."""
    folder = root / SLUG
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    (folder / "documents" / DOCUMENT_NAME).write_bytes(b"%PDF-1.4\n% bon\n")
    path = folder / "main.beancount"
    path.write_text(ledger_text(), encoding="utf-8")
    return path
