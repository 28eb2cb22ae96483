"""One evaluation per load: the view and the rules' verdicts, computed once and handed on.

    rules plugin (inside beancount's loader)          rules.checking.check_ledger (our tools)
        evaluate(entries, options_map, ...)               load with the plugin deferred, then
        -> errors to beancount                            evaluate(...) once, with tot/peildatum
        -> bewaar(options_map, evaluatie)                 -> the same Evaluatie
                 |                                                  |
                 v                                                  v
        Fava extension, read_ledger: bewaarde()          check, report, service (landing, oordeel)

An `Evaluatie` is immutable: the `Buurtbudget` view, the rules' errors (the
beancount errors the plugin reports) and the entries it judged. The evaluating
function itself lives in `rules` (it runs them); this module holds what the
lower layer needs to carry the result: the value, where the rules file is found
(one place: `ledger.buurtbudget.kader.find_rules_file`), and the slot in
beancount's `options_map` that takes the plugin's result to its caller.

The slot is only trusted for the very entries it judged (same objects, same
order): a writer that reuses an options_map for other entries, or a plugin after
ours that adds entries (beancount's `pad`), makes the caller evaluate again
rather than read figures of other entries. It never goes into a pickle (beancount's
load cache, the writer's snapshot): unpickled, it is empty.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ledger.buurtbudget.kader import regels_config  # noqa: F401 - where callers found it before
from ledger.evaluatie.view import Buurtbudget

SLOT = "buurtbudget_evaluatie"


@dataclass(frozen=True, slots=True)
class Evaluatie:
    """The result of one evaluation: the view and the rules' errors, for these entries.

    The entries are beancount's (the list it gave the plugin) and the errors are in beancount's
    shape (a `source` dict); the view is immutable all the way down (`ledger.evaluatie.view`)."""

    view: Buurtbudget
    errors: tuple[Any, ...]  # beancount-style errors (source, message, entry); BB-codes first in message
    codes: tuple[str, ...]  # the rules that ran, in the contract's order
    entries: Sequence[Any]  # the entries judged (up to `tot` when one was given)

    def op(self, peildatum: datetime.date) -> "Evaluatie":
        """The same evaluation judged on another day (the verdicts do not depend on it)."""
        view = self.view.op(peildatum)
        return self if view is self.view else Evaluatie(view, self.errors, self.codes, self.entries)


class _Slot:
    """Holds an evaluation in an options_map; pickles to an empty slot and prints short."""

    __slots__ = ("evaluatie", "entries")

    def __init__(self, evaluatie: Evaluatie | None = None, entries: Sequence[Any] | None = None):
        self.evaluatie = evaluatie
        self.entries = entries

    def __reduce__(self):
        return (_Slot, ())

    def __repr__(self) -> str:
        return "<buurtbudget-evaluatie>"


def bewaar(options_map: dict, evaluatie: Evaluatie, entries: Sequence[Any]) -> None:
    """Leave the evaluation of `entries` for whoever holds this options_map (the loader's caller)."""
    slot = options_map.get(SLOT)
    if isinstance(slot, _Slot) and slot.entries is entries and slot.evaluatie is not None:
        # A second rules plugin on the same entries (`plugin "rules.plan"` and `"rules.bon"`):
        # one evaluation that holds both verdicts.
        old = slot.evaluatie
        evaluatie = Evaluatie(evaluatie.view, old.errors + evaluatie.errors, old.codes + evaluatie.codes, entries)
    options_map[SLOT] = _Slot(evaluatie, entries)


def _zelfde(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return a is b or (len(a) == len(b) and all(x is y for x, y in zip(a, b)))


def bewaarde(options_map: Mapping[str, Any], entries: Sequence[Any]) -> Evaluatie | None:
    """The evaluation left in this options_map, if it judged exactly these entries."""
    slot = options_map.get(SLOT)
    if not isinstance(slot, _Slot) or slot.evaluatie is None or slot.entries is None:
        return None
    return slot.evaluatie if _zelfde(slot.entries, entries) else None
