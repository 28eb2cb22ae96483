"""What a buurtbudget is: its directives, its figures, reading and writing it.

`ledger` imports none of `rules`, `reports` or `buurtbudget_admin`.
"""

from ledger.accounts import Accounts
from ledger.header import Header, PlanDeclaration, parse_header, parse_plan
from ledger.kader import Kader, load_kader
from ledger.loading import LedgerReadError, LoadedLedger, load_entries, read_ledger
from ledger.money import format_eur, parse_amount, within_ceiling
from ledger.view import Buurtbudget, CostLine, Payable, PlanView, build_view

__all__ = [
    "Accounts", "Buurtbudget", "CostLine", "Header", "Kader", "LedgerReadError", "LoadedLedger",
    "Payable", "PlanDeclaration", "PlanView", "build_view", "format_eur", "load_entries",
    "load_kader", "parse_amount", "parse_header", "parse_plan", "read_ledger", "within_ceiling",
]
