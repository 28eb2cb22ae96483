"""The validator the writer gets from above: the rules, as `buurtbudget check` applies them.

`ledger/` imports nothing from `rules/`; the commands and the service pass
`valideer` to `ledger.schrijver.schrijven.schrijf`. A ledger with `plugin "rules"` has
the rules' errors from its own load already (exactly as `bean-check`); one
without gets them here, like `check` shows them.
"""

from __future__ import annotations

from typing import Any

import rules
from ledger.buurtbudget.kader import uses_rules_plugin


def valideer(entries: list, options_map: dict) -> list[Any]:
    if uses_rules_plugin(options_map):
        return []
    _, errors = rules.run_all(entries, options_map)
    return list(errors)
