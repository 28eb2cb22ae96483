"""Creating a new buurtbudget ledger: the workspace layout of the conventions.

    DIR/
      main.beancount   <- header, standard accounts, award booking, Dutch roots
      documents/       <- receipts

The new ledger is written beside its final place, loaded and checked, and only
then renamed into place; an existing ledger is never overwritten.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from ledger.accounts import Accounts
from ledger.header import Header

DUTCH_ROOTS = Accounts(
    assets="Activa", liabilities="Passiva", equity="Vermogen", income="Inkomsten", expenses="Uitgaven"
)


class LedgerExistsError(Exception):
    pass


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def ledger_text(header: Header, *, toekenning: Decimal, beschikking: str, toekenning_datum: datetime.date,
                roots: Accounts = DUTCH_ROOTS, title: str | None = None) -> str:
    title = title or f"Buurtbudget {header.naam}"
    opened = min(header.begin, toekenning_datum, header.datum)
    lines = [
        f"; {title} — aangemaakt met buurtbudget-admin.",
        "; De afspraken over deze ledger staan in ledger-conventions (v1).",
        f"option \"title\" {_quote(title)}",
        'option "operating_currency" "EUR"',
        f'option "name_assets" "{roots.assets}"',
        f'option "name_liabilities" "{roots.liabilities}"',
        f'option "name_equity" "{roots.equity}"',
        f'option "name_income" "{roots.income}"',
        f'option "name_expenses" "{roots.expenses}"',
        'option "documents" "documents"',
        'plugin "rules"',
        "",
        f'{opened.isoformat()} custom "fava-option" "language" "nl"',
        "",
        f'{header.datum.isoformat()} custom "buurtbudget" {_quote(header.naam)}',
        f"  stadsdeel: {_quote(header.stadsdeel)}",
        f"  buurt: {_quote(header.buurt)}",
        f"  model: \"{header.model}\"",
        f"  begin: {header.begin.isoformat()}",
        f"  einde: {header.einde.isoformat()}",
    ]
    if header.beheerder:
        lines.append(f"  beheerder: {_quote(header.beheerder)}")
    if header.iban:
        lines.append(f"  iban: {_quote(header.iban)}")
    lines.append("")
    for account in roots.standard():
        lines.append(f"{opened.isoformat()} open {account} EUR")
    lines += [
        "",
        f'{toekenning_datum.isoformat()} * "Gemeente Amsterdam" "Toekenning buurtbudget" #toekenning',
        f"  beschikking: {_quote(beschikking)}",
        f"  {roots.vordering}   {toekenning:.2f} EUR",
        f"  {roots.toekenning}",
        "",
    ]
    return "\n".join(lines)


def create_ledger(directory: Path, header: Header, *, toekenning: Decimal, beschikking: str,
                  toekenning_datum: datetime.date | None = None) -> Path:
    """Write DIR/main.beancount and DIR/documents/; refuse when a ledger is already there."""
    directory = Path(directory)
    target = directory / "main.beancount"
    if target.exists():
        raise LedgerExistsError(f"{target} bestaat al; een bestaande ledger wordt nooit overschreven")
    if toekenning <= 0:
        raise ValueError("de toekenning moet groter dan nul zijn")
    text = ledger_text(header, toekenning=toekenning, beschikking=beschikking,
                       toekenning_datum=toekenning_datum or header.begin)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "documents").mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".main.", suffix=".beancount.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the target appeared meanwhile: never overwrite.
        os.link(tmp, target)
    except FileExistsError as exc:
        raise LedgerExistsError(f"{target} bestaat al; een bestaande ledger wordt nooit overschreven") from exc
    finally:
        os.unlink(tmp)
    return target
