"""What every rule shares: the error type, the context, and the safe runner.

A rule module has a `CODE`, a Dutch `TITLE`, a `violations(ctx)` function
that returns `RuleError`s, and `__plugins__ = ("check",)` so that it can be
enabled alone (`plugin "rules.plan"`). `plugin "rules"` builds the context once
and runs them all.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import traceback
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, Iterable, Mapping

from beancount.core import data

from ledger.accounts import Accounts
from ledger.documents import DocumentResolver
from ledger.kader import Kader
from ledger.money import format_eur
from ledger.view import Buurtbudget, build_view

RuleError = collections.namedtuple("RuleError", "source message entry sleutel maat", defaults=(None, None))


@dataclass
class Context:
    """The entries of one load, and the view of them computed once for all rules."""

    entries: list[data.Directive]
    options_map: Mapping[str, Any]
    view: Buurtbudget
    config: str | None = None

    @property
    def accounts(self) -> Accounts:
        return self.view.accounts

    @property
    def kader(self) -> Kader:
        return self.view.kader

    @cached_property
    def documents(self) -> DocumentResolver:
        return DocumentResolver(self.entries, self.options_map)

    def ledger_source(self) -> dict[str, Any]:
        return {"filename": self.options_map.get("filename", "<onbekend>"), "lineno": 1}


def make_context(entries: list[data.Directive], options_map: Mapping[str, Any], config: str | None = None) -> Context:
    return Context(entries, options_map, build_view(entries, options_map, rules_config=config), config)


def violation(code: str, meta: Mapping[str, Any] | None, message: str, entry: Any = None) -> RuleError:
    """A rule's error: its message starts with the code; its source points at file and line."""
    source = {"filename": (meta or {}).get("filename", "<onbekend>"), "lineno": (meta or {}).get("lineno", 0)}
    return RuleError(source, f"{code} {message}", entry)


def eur(amount: Decimal) -> str:
    return format_eur(amount)


def percentage(fraction: Decimal) -> str:
    """0.08 -> `8%`, 0.075 -> `7,5%`."""
    pct = (fraction * 100).normalize()
    text = format(pct, "f")
    return text.replace(".", ",") + "%"


def run_guarded(rule: Any, ctx: Context) -> list[RuleError]:
    """Run one rule; a crash inside it becomes an error that names the rule, never a traceback."""
    try:
        return list(rule.violations(ctx))
    except Exception as exc:  # noqa: BLE001 - the point is to catch everything a rule may throw
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return [
            RuleError(
                ctx.ledger_source(),
                f"{rule.CODE} de regel '{rule.TITLE}' kon niet worden uitgevoerd "
                f"({type(exc).__name__}: {exc}; in {where.filename.rsplit('/', 1)[-1]}:{where.lineno}); "
                "deze ledger is dus niet op deze regel gecontroleerd",
                None,
            )
        ]


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while the view and the rules run.

    They allocate an object per cost; with a large ledger in memory each automatic
    collection scans every entry again (a third of the plugin's time on 100k
    bookings). Nothing here makes reference cycles, so nothing waits for collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_rules(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    config: str | None,
    rules: Iterable[Any],
) -> tuple[list[data.Directive], list[RuleError]]:
    with _collector_paused():
        return _run_rules(entries, options_map, config, rules)


def _run_rules(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    config: str | None,
    rules: Iterable[Any],
) -> tuple[list[data.Directive], list[RuleError]]:
    try:
        ctx = make_context(entries, options_map, config)
    except Exception as exc:  # noqa: BLE001
        return entries, [
            RuleError(
                {"filename": options_map.get("filename", "<onbekend>"), "lineno": 1},
                f"BB-HEADER de buurtbudget-regels konden deze ledger niet lezen ({type(exc).__name__}: {exc})",
                None,
            )
        ]
    errors: list[RuleError] = []
    for rule in rules:
        errors.extend(run_guarded(rule, ctx))
    return entries, errors
