"""Account names of a buurtbudget, built from the ledger's own root names.

Code never hard-codes `Expenses`: a generated ledger uses `Uitgaven`, a
hand-written one may use the English defaults; both are read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class Accounts:
    assets: str = "Assets"
    liabilities: str = "Liabilities"
    equity: str = "Equity"
    income: str = "Income"
    expenses: str = "Expenses"

    @classmethod
    def from_options(cls, options_map: Mapping[str, Any]) -> "Accounts":
        return cls(
            assets=options_map.get("name_assets", "Assets"),
            liabilities=options_map.get("name_liabilities", "Liabilities"),
            equity=options_map.get("name_equity", "Equity"),
            income=options_map.get("name_income", "Income"),
            expenses=options_map.get("name_expenses", "Expenses"),
        )

    # The accounts of the conventions.
    @property
    def bank(self) -> str:
        return f"{self.assets}:Bank"

    @property
    def vordering(self) -> str:
        return f"{self.assets}:Vordering:Gemeente"

    @property
    def onverwerkt(self) -> str:
        return f"{self.assets}:Onverwerkt"

    @property
    def toekenning(self) -> str:
        return f"{self.income}:Buurtbudget"

    @property
    def plannen(self) -> str:
        return f"{self.expenses}:Plannen"

    @property
    def ondersteuning(self) -> str:
        return f"{self.expenses}:Ondersteuning"

    @property
    def bankkosten(self) -> str:
        return f"{self.expenses}:Ondersteuning:Bankkosten"

    @property
    def terugbetaling(self) -> str:
        return f"{self.liabilities}:Gemeente:Terugbetaling"

    @property
    def crediteuren(self) -> str:
        return f"{self.liabilities}:Crediteuren"

    @property
    def declaraties(self) -> str:
        return f"{self.liabilities}:Declaraties"

    # Predicates over account names.
    def is_expense(self, account: str) -> bool:
        return account == self.expenses or account.startswith(self.expenses + ":")

    def is_under(self, account: str, parent: str) -> bool:
        return account == parent or account.startswith(parent + ":")

    def is_bank(self, account: str) -> bool:
        return self.is_under(account, self.bank)

    def is_support(self, account: str) -> bool:
        return self.is_under(account, self.ondersteuning)

    def is_bank_costs(self, account: str) -> bool:
        return self.is_under(account, self.bankkosten)

    def plan_and_category(self, account: str) -> tuple[str, str] | None:
        """`Expenses:Plannen:Speeltuin:Materiaal` -> (`Expenses:Plannen:Speeltuin`, `Materiaal`).

        None when the account is not exactly of the form Plannen:<Plan>:<Categorie>.
        """
        prefix = self.plannen + ":"
        if not account.startswith(prefix):
            return None
        parts = account[len(prefix):].split(":")
        if len(parts) != 2:
            return None
        return prefix + parts[0], parts[1]

    def plan_of(self, account: str) -> str | None:
        """The plan account (`Expenses:Plannen:<Plan>`) an account belongs to, if any."""
        prefix = self.plannen + ":"
        if not account.startswith(prefix):
            return None
        return prefix + account[len(prefix):].split(":")[0]

    def standard(self) -> tuple[str, ...]:
        """The accounts every new ledger opens."""
        return (
            f"{self.bank}:Betaalrekening",
            self.vordering,
            self.onverwerkt,
            self.crediteuren,
            self.declaraties,
            self.terugbetaling,
            f"{self.equity}:Openingsbalans",
            self.toekenning,
            f"{self.ondersteuning}:Administratie",
            self.bankkosten,
        )
