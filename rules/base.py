"""What every rule shares: the error type, what a rule reads, the one evaluation and the plugin.

A rule module is its docstring (the ledger it judges), a `CODE`, a Dutch
`TITLE` and a pure `violations(ctx)` that returns `RuleError`s; nothing else.
`rules/__init__.py` gives each module its beancount entry point
(`plugin "rules.plan"`), made here once by `plugin_for`.

`evaluate` is the one evaluation of a load: it builds the view once (the kader
from the rules file read once) and runs the rules on it. Inside beancount's
loader the plugin evaluates and leaves the result in the options_map
(`ledger.evaluatie.resultaat.bewaar`); when our own tools load (`rules.checking`) they
ask the plugin to wait (`uitgesteld`) and evaluate once themselves, with the
day and the `tot` they need.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import datetime
import traceback
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from beancount.core import data

from ledger.buurtbudget.accounts import Accounts
from ledger.buurtbudget.documents import DocumentResolver
from ledger.evaluatie.resultaat import Evaluatie, bewaar
from ledger.buurtbudget.kader import Kader, Regelbestand, lees_regelbestand
from ledger.buurtbudget.money import format_eur
from ledger.evaluatie.view import Buurtbudget, view_of

# `code` is the rule's code (BB-PLAN, ...): readers take it from here, never from the message's text.
RuleError = collections.namedtuple("RuleError", "source message entry sleutel maat code", defaults=(None, None, None))


@dataclass(frozen=True)
class Context:
    """What a rule reads: the view of one load, and the entries and options it was made of."""

    entries: Sequence[data.Directive]
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
        """Where receipts resolve (lists the documents folders once, when BB-BON first asks)."""
        return DocumentResolver(self.entries, self.options_map)

    def ledger_source(self) -> dict[str, Any]:
        return {"filename": self.options_map.get("filename", "<onbekend>"), "lineno": 1}


def violation(code: str, meta: Mapping[str, Any] | None, message: str, entry: Any = None) -> RuleError:
    """A rule's error: its message starts with the code; its source points at file and line."""
    source = {"filename": (meta or {}).get("filename", "<onbekend>"), "lineno": (meta or {}).get("lineno", 0)}
    return RuleError(source, f"{code} {message}", entry, code=code)


def eur(amount: Decimal) -> str:
    return format_eur(amount)


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
                code=rule.CODE,
            )
        ]


def evaluate(
    entries: Sequence[data.Directive],
    options_map: Mapping[str, Any],
    regelbestand: Regelbestand,
    rules: Iterable[Any],
    peildatum: datetime.date,
    *,
    tot: datetime.date | None = None,
    config: str | None = None,
) -> Evaluatie:
    """The one evaluation: the view (built once) and every rule's verdict on it. No clock is read.

    With `tot`, both are of the entries up to and including that day.
    """
    rules = tuple(rules)
    if tot is not None:
        entries = [e for e in entries if e.date <= tot]
    try:
        view = view_of(entries, options_map, regelbestand, peildatum)
    except Exception as exc:  # noqa: BLE001 - a ledger the view cannot read is an error, not a crash
        raise _Onleesbaar(exc) from exc
    return Evaluatie(view, judge(view, entries, options_map, rules, config), tuple(rule.CODE for rule in rules), entries)


def judge(view: Buurtbudget, entries: Sequence[data.Directive], options_map: Mapping[str, Any],
          rules: Iterable[Any], config: str | None = None) -> tuple[RuleError, ...]:
    """The verdicts of these rules on a view already built (no second view)."""
    ctx = Context(entries, options_map, view, config)
    errors: list[RuleError] = []
    for rule in rules:
        errors.extend(run_guarded(rule, ctx))
    return tuple(errors)


class _Onleesbaar(Exception):
    """The view could not be built at all (a bug or a ledger beyond the models)."""


def unreadable_error(options_map: Mapping[str, Any], exc: BaseException) -> RuleError:
    cause = exc.__cause__ or exc
    return RuleError(
        {"filename": options_map.get("filename", "<onbekend>"), "lineno": 1},
        f"BB-HEADER de buurtbudget-regels konden deze ledger niet lezen ({type(cause).__name__}: {cause})",
        None,
        code="BB-HEADER",
    )


# --------------------------------------------------------------------------- the plugin

# Set by a caller that loads and evaluates itself (`rules.checking`): the plugin then
# only says which rules the ledger asks for, with which config, on which entries.
_UITGESTELD: contextvars.ContextVar[list | None] = contextvars.ContextVar("buurtbudget_uitgesteld", default=None)


@dataclass(frozen=True)
class Verzoek:
    """What one `plugin "rules..."` line asked for during a deferred load."""

    rules: tuple[Any, ...]
    config: str | None
    entries: list  # the entries as the plugin saw them (before beancount's pad and balance)


@contextlib.contextmanager
def uitgesteld() -> Iterator[list[Verzoek]]:
    """Load inside this block and the rules plugin waits: it records its requests in the list."""
    verzoeken: list[Verzoek] = []
    token = _UITGESTELD.set(verzoeken)
    try:
        yield verzoeken
    finally:
        _UITGESTELD.reset(token)


def run_rules(
    entries: list[data.Directive],
    options_map: dict,
    config: str | None,
    rules: Iterable[Any],
) -> tuple[list[data.Directive], list[RuleError]]:
    """The beancount plugin for these rules: evaluate once, report the errors, leave the result."""
    rules = tuple(rules)
    verzoeken = _UITGESTELD.get()
    if verzoeken is not None:
        verzoeken.append(Verzoek(rules, config, entries))
        return entries, []
    try:
        # The plugin is the edge: here the rules file is read and the day is today.
        evaluatie = evaluate(entries, options_map, lees_regelbestand(options_map.get("filename"), config), rules,
                             datetime.date.today(), config=config)
    except _Onleesbaar as exc:
        return entries, [unreadable_error(options_map, exc)]
    bewaar(options_map, evaluatie, entries)
    return entries, list(evaluatie.errors)


def plugin_for(rules: Sequence[Any]) -> Callable[..., tuple[list, list]]:
    """The entry point beancount calls for `plugin "<module>"`: the shared wrapper, made once."""

    def check(entries, options_map, config=None):
        return run_rules(entries, options_map, config, rules)

    check.__doc__ = "The beancount plugin running: " + ", ".join(rule.CODE for rule in rules)
    return check
