"""The buurtbudget rules as a beancount plugin.

    plugin "rules"            ; every rule below
    plugin "rules.plan"       ; one rule alone
    plugin "rules" "../regels.toml"   ; with a stadsdeel's rules file

Each violation is a beancount error whose message starts with its code, so
`bean-check`, Fava and `buurtbudget check` all show the same thing.
"""

from __future__ import annotations

from rules import (
    bon, categorie, header, ondersteuning, periode, plan, toekenning, uurtarief, valuta, vaststelling, vier_ogen,
)
from rules.base import RuleError, run_rules

# In the order of the contract; BB-VALUTA guards the sums the others use.
ALL_RULES = (header, ondersteuning, categorie, plan, toekenning, periode, bon, vier_ogen, uurtarief, valuta, vaststelling)
RULES_BY_CODE = {rule.CODE: rule for rule in ALL_RULES}

__plugins__ = ("run_all",)


def run_all(entries, options_map, config=None):
    """The plugin: the view is built once and every rule reads it."""
    return run_rules(entries, options_map, config, ALL_RULES)


__all__ = ["ALL_RULES", "RULES_BY_CODE", "RuleError", "run_all"]
