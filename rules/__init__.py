"""The buurtbudget rules as a beancount plugin.

    plugin "rules"            ; every rule below
    plugin "rules.plan"       ; one rule alone
    plugin "rules" "../regels.toml"   ; with a stadsdeel's rules file

Each violation is a beancount error whose message starts with its code, so
`bean-check`, Fava and `buurtbudget check` all show the same thing. A rule
module holds only its docstring, `CODE`, `TITLE` and `violations`; its plugin
entry point (`check`, `__plugins__`) is given to it here, the same for all.
"""

from __future__ import annotations

from rules import (
    bon, categorie, header, ondersteuning, periode, plan, toekenning, uurtarief, valuta, vaststelling, vier_ogen,
)
from rules.base import RuleError, plugin_for

# In the order of the contract; BB-VALUTA guards the sums the others use.
ALL_RULES = (header, ondersteuning, categorie, plan, toekenning, periode, bon, vier_ogen, uurtarief, valuta, vaststelling)
RULES_BY_CODE = {rule.CODE: rule for rule in ALL_RULES}

for _rule in ALL_RULES:
    _rule.check = plugin_for((_rule,))
    _rule.__plugins__ = ("check",)

run_all = plugin_for(ALL_RULES)
run_all.__name__ = "run_all"
__plugins__ = ("run_all",)

__all__ = ["ALL_RULES", "RULES_BY_CODE", "RuleError", "run_all"]
