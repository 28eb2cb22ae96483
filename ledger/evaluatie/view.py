"""The one view of a buurtbudget's figures, made of small pure folds.

    view_of(entries, options_map, regelbestand, peildatum)  ->  Buurtbudget

composes, in one place (`view_of`), the folds that each make one part:

    kop_van         the header directive, parsed once
    kader_van       the kader: city defaults, the rules file's sections, the header's overrides
    kosten_van      one pass over the postings: cost lines, the per-transaction cost entries,
                    the award, the receivable, the settlement, the bank and the claims' postings
    plannen_van     each plan's latest declaration with its net costs
    oordelen_van    the four-eyes verdict of each claim and invoice (ledger.evaluatie.vier_ogen.beoordeel)
    te_betalen_van  the claims and invoices with their payments and state

None of them reads a file or the clock (one exception: a sealed approval's
receipts are hashed for its verdict, `ledger.buurtbudget.documents.Vingerafdrukken`): the rules file arrives read
(`ledger.buurtbudget.kader.Regelbestand`) and the day the phase is judged on is an
argument. `build_view` is the convenience at the edge that does both reads.
Rules, reports, the landing page and the Fava extension read this value (via
one evaluation per load, `ledger.evaluatie.resultaat`); none of them sums postings again.

The value is immutable all the way down: frozen dataclasses and named tuples
holding tuples, frozensets and read-only mappings (beancount's own entries
aside). What a check does not need (the `CostLine` per posting, the payables) is
not kept inside it: pure functions of it make those when first asked, once per
value (`EenmaalPer`), so a check stays as cheap as before and every reader gets
the same objects (`tests/test_view_onveranderlijk.py`).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import sys
import threading
import weakref
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Collection, Iterable, Mapping, NamedTuple, Sequence

from beancount.core import data
from beancount.core.amount import Amount

from ledger.buurtbudget.accounts import Accounts
from ledger.buurtbudget.documents import Vingerafdrukken, document_values
from ledger.buurtbudget.fouten import WaardeFout
from ledger.buurtbudget.header import (
    DirectiveError, Header, PlanDeclaration, header_entries, parse_header, parse_plan,
)
from ledger.buurtbudget.kader import Kader, Regelbestand, RulesFileError, kader_voor, lees_regelbestand, regels_van
from ledger.buurtbudget.money import ceiling_of, within_ceiling
from ledger.evaluatie.retouren import betaalstatus, is_retour
from ledger.evaluatie.vier_ogen import Oordeel, beoordeel, gedeelde_links
from ledger.evaluatie.vaststelling import Vaststelling, terug_te_betalen, vaststellingen

ZERO = Decimal("0")
_NO_LINKS: frozenset[str] = frozenset()  # one shared empty set, not one per cost line
CURRENCY = "EUR"


class CostLine(NamedTuple):
    """One posting to an expense account: a line of the annex.

    A NamedTuple rather than a frozen dataclass: a large ledger has one per
    cost, and a tuple is built five times faster (the plugin's cost on 100k
    bookings is a benchmark target).
    """

    date: datetime.date
    account: str
    amount: Decimal
    currency: str
    plan: str | None  # plan account, e.g. Expenses:Plannen:Speeltuin
    category: str | None  # last component under the plan, e.g. Materiaal
    kind: str  # "plan" | "ondersteuning" | "overig"
    payee: str | None
    narration: str
    flag: str
    links: frozenset[str]
    entry: data.Transaction
    posting: data.Posting

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.entry.meta

    @property
    def documents(self) -> tuple[str, ...]:
        """The receipts named on the transaction and on this posting (read when asked: memory)."""
        own = document_values(self.posting.meta)
        return tuple(document_values(self.entry.meta) + own)

    @property
    def private(self) -> bool:
        return bool(self.entry.meta.get("prive"))


class CostEntry(NamedTuple):
    """One transaction that books costs, with what the per-transaction rules ask of it."""

    entry: data.Transaction
    lines: tuple[CostLine, ...]
    receipt_amount: Decimal  # positive EUR costs that need a receipt (bank costs need none)
    bank_flow: Decimal  # net EUR into Assets:Bank[:...]: negative when paid out
    has_hours: bool  # `uren:` on the entry or on one of its cost postings

    @property
    def date(self) -> datetime.date:
        return self.entry.date

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.entry.meta

    @property
    def bank_out(self) -> Decimal:
        """What the transaction paid out of the bank (positive), net."""
        return -self.bank_flow

    @property
    def books_costs(self) -> bool:
        return any(line.amount > 0 for line in self.lines)


@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan: its latest declared budget and what it has cost so far."""

    account: str
    name: str  # the last component: Speeltuin
    titel: str
    budget: Decimal | None  # None: costs booked but the plan was never declared
    status: str
    indiener: str | None
    declarations: tuple[PlanDeclaration, ...]
    costs: Decimal
    costs_by_category: tuple[tuple[str, Decimal], ...]
    kosten: "Kosten | None" = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> tuple[CostLine, ...]:
        """The plan's EUR cost lines, in date order (made when asked: a load that only checks needs none)."""
        numbers = self.kosten.plans.get(self.account) if self.kosten is not None else None
        if not numbers:
            return ()
        lines = self.kosten.lines
        return tuple(lines[j] for j in numbers)

    @property
    def declared(self) -> bool:
        return self.budget is not None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.costs > self.budget

    @property
    def remaining(self) -> Decimal:
        return (self.budget or ZERO) - self.costs



class Payable(NamedTuple):
    """A claim (declaratie) or an invoice to be paid later, tied to its payment by a link."""

    kind: str  # "declaratie" | "factuur"
    link: str | None
    date: datetime.date
    payee: str | None
    narration: str
    amount: Decimal
    flag: str
    declarant: str | None
    iban: str | None
    entered_by: str | None
    approved_by: str | None
    status: str  # "ingediend" | "goedgekeurd" | "betaald" | "afgewezen"
    rejection: str | None
    payments: tuple[data.Transaction, ...]
    entry: data.Transaction
    returns: tuple[data.Transaction, ...] = ()  # payments the bank sent back (ledger.evaluatie.retouren)
    oordeel: Oordeel = Oordeel(False, ())  # the four-eyes verdict (ledger.evaluatie.vier_ogen.beoordeel)

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.entry.meta

    @property
    def approved(self) -> bool:
        """May be paid: approved by a second person, its sealed content unchanged, its link its own.

        The one predicate (`ledger.evaluatie.vier_ogen.beoordeel`) that BB-VIER-OGEN, `status`, `betaal`
        and the importers read.
        """
        return self.oordeel.betaalbaar

    @property
    def waarom(self) -> str | None:
        """Why its approval does not count (Dutch), or None."""
        return self.oordeel.reden

    @property
    def paid(self) -> bool:
        return bool(self.payments)


@dataclass(frozen=True, slots=True)
class AwardBooking:
    date: datetime.date
    amount: Decimal
    beschikking: str | None
    narration: str
    entry: data.Transaction = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Buurtbudget:
    """Everything a person asks of a buurtbudget, computed once from its entries."""

    title: str
    filename: str
    accounts: Accounts
    header: Header | None
    header_errors: tuple[DirectiveError, ...]
    header_entry: data.Custom | None
    kader: Kader
    kader_error: RulesFileError | None
    peildatum: datetime.date
    award: Decimal
    award_bookings: tuple[AwardBooking, ...]
    received: Decimal
    plans: tuple[PlanView, ...]
    plan_errors: tuple[DirectiveError, ...]
    support_costs: Decimal
    other_costs: Decimal
    settled: Decimal
    last_date: datetime.date | None
    kosten: "Kosten" = field(repr=False, compare=False)  # the cost postings, in columns
    # The four-eyes verdict of each claim and invoice, in the order of `kosten.liabilities`: made once
    # per evaluation; BB-VIER-OGEN reports from it and `payables` take their state from it, so the
    # rule, `betaal`, the importers and the pages cannot disagree.
    oordelen: tuple[Oordeel, ...] = field(default=(), repr=False, compare=False)

    @property
    def payables(self) -> tuple[Payable, ...]:
        """Each claim and invoice with its payments and state: made once per evaluation, when first
        asked (a check needs none of these objects: BB-VIER-OGEN reads the columns of `kosten`)."""
        return _te_betalen(self.kosten, self.accounts, self.oordelen)

    # The cost lines as objects, made once when first asked (reports, the annex, the
    # writer); the rules read the columns of `kosten` and a check makes none of them.
    @property
    def bank_balance(self) -> Decimal:
        """Every EUR posting to a bank account (summed when first asked: a check needs none)."""
        return self.kosten.bank

    @property
    def cost_lines(self) -> tuple[CostLine, ...]:
        return self.kosten.lines

    @property
    def cost_entries(self) -> tuple[CostEntry, ...]:
        return self.kosten.entries

    @property
    def support_lines(self) -> tuple[CostLine, ...]:
        return self.kosten.select(self.kosten.support)

    @property
    def foreign_lines(self) -> tuple[CostLine, ...]:
        return self.kosten.select(self.kosten.foreign)

    # Derived figures: one definition each.
    @property
    def spent(self) -> Decimal:
        """All costs: plans, support and any cost on another expense account."""
        return sum((p.costs for p in self.plans), ZERO) + self.support_costs + self.other_costs

    @property
    def plan_costs(self) -> Decimal:
        return sum((p.costs for p in self.plans), ZERO)

    @property
    def ceiling(self) -> Decimal:
        """The most support costs may be: award x ondersteuning-max, exact."""
        return ceiling_of(self.award, self.kader.ondersteuning_max)

    @property
    def support_within_ceiling(self) -> bool:
        return within_ceiling(self.support_costs, self.award, self.kader.ondersteuning_max)

    @property
    def plan_budgets(self) -> Decimal:
        return sum((p.budget or ZERO for p in self.plans), ZERO)

    @property
    def committed(self) -> Decimal:
        """Approved plan budgets plus booked support costs (BB-TOEKENNING)."""
        return self.plan_budgets + self.support_costs

    @property
    def remaining(self) -> Decimal:
        """Award minus everything spent so far."""
        return self.award - self.spent

    @property
    def unspent(self) -> Decimal:
        """What would go back to the city if the books closed now (never negative)."""
        return max(self.award - self.spent, ZERO)

    @property
    def open_claims(self) -> Decimal:
        return sum((p.amount for p in self.payables if p.status in ("ingediend", "goedgekeurd")), ZERO)

    @property
    def period_ended(self) -> bool:
        return self.header is not None and self.peildatum > self.header.einde

    @property
    def to_repay(self) -> Decimal:
        """Unspent money owed to the city once the spending period has ended."""
        return self.unspent if self.period_ended else ZERO

    @property
    def vastgesteld(self) -> Vaststelling | None:
        """The stadsdeel's decision that holds on the peildatum (the latest dated on or before it)."""
        return vaststellingen(self.kosten.customs, tot=self.peildatum).latest

    @property
    def terug_na_vaststelling(self) -> Decimal | None:
        """Once decided: received − vastgesteld (negative: still to receive from the city); else None."""
        besluit = self.vastgesteld
        return None if besluit is None else terug_te_betalen(self.received, besluit.bedrag)

    @property
    def fase(self) -> str:
        if self.header is None:
            return "onbekend"
        if self.vastgesteld is not None:  # the decision closes the books, whatever the header says
            return "vastgesteld"
        if self.header.fase:
            return self.header.fase
        if self.settled:
            return "afgesloten"
        if self.peildatum < self.header.begin:
            return "ideeen"
        if self.peildatum <= self.header.einde:
            return "uitvoering"
        return "verantwoording"

    @property
    def beschikkingen(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b.beschikking for b in self.award_bookings if b.beschikking))

    def plan(self, account_or_name: str) -> PlanView | None:
        for plan in self.plans:
            if account_or_name in (plan.account, plan.name):
                return plan
        return None

    @property
    def slug(self) -> str:
        return Path(self.filename).resolve().parent.name

    def op(self, peildatum: datetime.date) -> "Buurtbudget":
        """The same figures judged on another day (phase, what to repay): no second build.

        The copy shares the columns and the verdicts, and so what was derived from them."""
        return self if peildatum == self.peildatum else dataclasses.replace(self, peildatum=peildatum)


# --------------------------------------------------------------------------- the folds

_OTHER, _COST, _BANK, _AWARD, _VORDERING, _TERUG, _LIABILITY = range(7)


class AccountClass:
    """What one account is to a buurtbudget (`code`: one of `_COST`, `_BANK`, ...), decided once per name.

    A `__slots__` class: read by name in the hot fold as fast as a tuple by index. For a cost
    account also its plan, category and kind (plan, ondersteuning, overig), whether its costs
    need a receipt, and `amounts`: its EUR amounts, collected by `kosten_van` and summed once.
    """

    __slots__ = ("code", "plan", "category", "kind", "needs_receipt", "amounts")

    def __init__(self, code: int, plan: str | None = None, category: str | None = None, kind: str | None = None,
                 needs_receipt: bool = False):
        self.code, self.plan, self.category, self.kind, self.needs_receipt = code, plan, category, kind, needs_receipt
        self.amounts: list[Decimal] = []


class _AccountClassifier:
    """What an account is to a buurtbudget, decided once per account name."""

    def __init__(self, accounts: Accounts):
        self.accounts = accounts
        self.cache: dict[str, AccountClass] = {}

    def __call__(self, account: str) -> AccountClass:
        a = self.accounts
        if a.is_expense(account):
            plannen_prefix = a.plannen + ":"
            if account.startswith(plannen_prefix):
                rest = account[len(plannen_prefix):].split(":")
                split = (plannen_prefix + rest[0], rest[1] if len(rest) >= 2 else None, "plan")
            elif a.is_support(account):
                split = (None, account.split(":")[-1] if account != a.ondersteuning else None, "ondersteuning")
            else:
                split = (None, None, "overig")
            # Bank costs need no receipt: the bank statement proves them.
            result = AccountClass(_COST, *split, needs_receipt=not a.is_bank_costs(account))
        elif a.is_bank(account):
            result = AccountClass(_BANK)
        elif a.is_under(account, a.toekenning):
            result = AccountClass(_AWARD)
        elif account == a.vordering:
            result = AccountClass(_VORDERING)
        elif account == a.terugbetaling:
            result = AccountClass(_TERUG)
        elif account in (a.declaraties, a.crediteuren):
            result = AccountClass(_LIABILITY)
        else:
            result = AccountClass(_OTHER)
        self.cache[account] = result
        return result


@dataclass(frozen=True, slots=True)
class Kop:
    """The header directive of a ledger, parsed (or why not)."""

    header: Header | None
    errors: tuple[DirectiveError, ...]
    entry: data.Custom | None


def kop_van(entries: Sequence[data.Directive]) -> Kop:
    """Fold: the one `custom "buurtbudget"` header; a missing, doubled or invalid one is an error."""
    found = header_entries(entries)
    if not found:
        return Kop(None, (DirectiveError({}, 'geen kop: de ledger mist de regel custom "buurtbudget"'),), None)
    errors = tuple(
        DirectiveError(extra.meta, f'dubbele kop: custom "buurtbudget" staat er al op regel {found[0].meta.get("lineno")}')
        for extra in found[1:]
    )
    parsed = parse_header(found[0])
    if isinstance(parsed, DirectiveError):
        return Kop(None, (parsed, *errors), found[0])
    return Kop(parsed, errors, found[0])


def kader_van(regelbestand: Regelbestand, kop: Kop) -> tuple[Kader, RulesFileError | None, Kop]:
    """Fold: the kader for this header: defaults, the rules file, then the header's own overrides.

    A rules file that cannot be used leaves the defaults (and is returned as the error);
    an override out of range becomes a header error.
    """
    header = kop.header
    kader_error: RulesFileError | None = None
    try:
        kader = kader_voor(regelbestand, header.stadsdeel if header else None)
    except RulesFileError as exc:
        kader_error, kader = exc, Kader()
    if header is not None and header.overrides:
        try:
            kader = kader.with_overrides({**dict(header.overrides), "bron": kader.bron + " + kop"})
        except WaardeFout as exc:  # a value out of range, e.g. ondersteuning-max: 8
            kop = Kop(header, (*kop.errors, DirectiveError(kop.entry.meta, f"ongeldige kop: {exc}")), kop.entry)
    return kader, kader_error, kop


class Rekening(NamedTuple):
    """What one account is to a buurtbudget, as the evaluation keeps it (`AccountClass` without its sums)."""

    code: int
    plan: str | None
    category: str | None
    kind: str | None
    needs_receipt: bool


class EenmaalPer:
    """A pure function of a frozen value, made once per value when first asked.

    The value never changes, and keeps nothing it derives: what a check does not need
    (a `CostLine` per posting, the payables) is made here, beside it, keyed by the
    value's identity through a weak reference (gone with the value). Other arguments
    must be fixed by the key (a `Kosten` is made by one build, with one `Accounts` and
    one set of verdicts). Threads that ask at once get the one result.
    """

    def __init__(self, func: Callable[..., Any]):
        self.func = func
        self.made: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self.lock = threading.Lock()
        functools.update_wrapper(self, func)

    def __call__(self, key: Any, *args: Any) -> Any:
        try:
            return self.made[key]
        except KeyError:
            pass
        with self.lock:
            found = self.made.get(key, _NIETS)
            if found is _NIETS:
                found = self.made[key] = self.func(key, *args)
            return found

    def peek(self, key: Any) -> Any:
        """What was made for this value, or None (nothing is made)."""
        return self.made.get(key)


_NIETS = object()


@dataclass(frozen=True, slots=True, weakref_slot=True, eq=False)
class Kosten:
    """What one pass over the postings gives, in columns: no object per cost until one is asked for.

    A large ledger has a cost posting per booking. Kept as tuples of the
    transactions beancount already made (plus Decimals and bools, which the cyclic
    garbage collector does not track), a load that only checks creates a handful
    of objects instead of hundreds of thousands, and so never makes Python rescan
    the whole ledger in a full collection.

    Per cost transaction i (in date order): `tx[i]`, `receipt[i]` (positive EUR
    costs that need a receipt), `flow[i]` (net EUR into the bank: negative when
    paid out), its cost postings `cost_postings(i)`. Of transactions: `hours` (with
    `uren:`), `posting_meta` (a cost posting with metadata beyond file and line),
    `no_positive` (books no positive cost in any currency: refunds).

    Immutable, like everything in the evaluation. What a check does not read is
    derived when first asked, by pure functions of this value (`EenmaalPer`): the
    cost lines' postings `posting[j]`, where each transaction's lines start
    (`start[i]` up to `start[i + 1]`), `line_tx[j]`, the line numbers of `support`,
    `foreign` and `plans[plan]`, the payments per link, the bank balance and the
    `CostLine`/`CostEntry` objects.

    A cost line is a posting with a number on an expense account (in any currency);
    the fold and the derived columns use that one definition (`_is_cost_line`).
    """

    classes: Mapping[str, Rekening]  # account -> what it is
    entries_read: Sequence[data.Directive]  # what the fold read (the bank balance is summed from it when asked)
    tx: tuple[data.Transaction, ...]
    receipt: tuple[Decimal, ...]
    flow: tuple[Decimal, ...]
    hours: tuple[int, ...]
    posting_meta: frozenset[int]  # cost transactions with a cost posting carrying metadata of its own
    no_positive: frozenset[int]  # cost transactions without a positive cost (rare: refunds)
    has_foreign: bool  # a cost in another currency was met (BB-VALUTA reads its lines)
    support_costs: Decimal
    other: Decimal
    award: Decimal
    vordering: Decimal
    settled: Decimal
    award_bookings: tuple[AwardBooking, ...]
    # For the payables: (account, entry, amount) of each claim or invoice, per payment and link the
    # link and the paying transaction, the links that were rejected (with the reason) and the
    # payments the bank sent back per link.
    liabilities: tuple[tuple[str, data.Transaction, Decimal], ...]
    payment_links: tuple[str, ...]
    payment_entries: tuple[data.Transaction, ...]
    rejected: Mapping[str, str]
    returns: Mapping[str, tuple[data.Transaction, ...]]
    last_date: datetime.date | None
    customs: tuple[data.Custom, ...]  # met on the way: the header and plan folds read only these
    by_account: Mapping[str, Decimal]  # net EUR costs per plan account (plans sum these)

    @property
    def bank(self) -> Decimal:
        """The bank balance: every EUR posting to a bank account, in ledger order (summed when first asked)."""
        return _bank(self)

    def _is_cost_line(self, posting: data.Posting) -> bool:
        units = posting.units
        return units is not None and units.number is not None and self.classes[posting.account].code == _COST

    def cost_postings(self, i: int) -> tuple[data.Posting, ...]:
        """The cost postings of cost transaction i, in the order they stand."""
        index = _index.peek(self)
        if index is not None:
            posting, start = index
            return posting[start[i]:start[i + 1]]
        return tuple(posting for posting in self.tx[i].postings if self._is_cost_line(posting))

    @property
    def posting(self) -> tuple[data.Posting, ...]:
        """Per cost line j, its posting."""
        return _index(self)[0]

    @property
    def start(self) -> tuple[int, ...]:
        """Per cost transaction i, its first line; one more at the end."""
        return _index(self)[1]

    @property
    def support(self) -> tuple[int, ...]:
        """The numbers of the EUR support cost lines."""
        return _support(self)

    @property
    def foreign(self) -> tuple[int, ...]:
        """The numbers of the cost lines in another currency."""
        return _foreign(self)

    @property
    def plans(self) -> Mapping[str, tuple[int, ...]]:
        """Plan -> the numbers of its EUR cost lines (a check needs only the sums)."""
        return _plans(self)

    @property
    def payments(self) -> Mapping[str, tuple[data.Transaction, ...]]:
        """Link -> the transactions paying it, in ledger order (a check on approved claims needs none)."""
        return _payments(self)

    @property
    def line_tx(self) -> tuple[int, ...]:
        """Per cost line j, its transaction's number."""
        return _line_tx(self)

    def cost_accounts(self) -> dict[str, str]:
        """Every expense account with cost lines here, with its kind (plan, ondersteuning, overig)."""
        return {account: cls.kind for account, cls in self.classes.items() if cls.code == _COST}

    def amount(self, j: int) -> Decimal:
        return self.posting[j].units.number

    @property
    def lines(self) -> tuple[CostLine, ...]:
        return _lines(self)

    @property
    def entries(self) -> tuple[CostEntry, ...]:
        return _entries(self)

    def entry(self, i: int) -> CostEntry:
        return self.entries[i]

    def line(self, j: int) -> CostLine:
        """Cost line j: the shared object once `lines` was made, else a fresh one (not kept)."""
        made = _lines.peek(self)
        if made is not None:
            return made[j]
        posting, start = _index(self)
        return _line(self, posting, j, bisect_right(start, j) - 1)

    def select(self, numbers: Sequence[int]) -> tuple[CostLine, ...]:
        if not numbers:
            return ()
        lines = self.lines
        return tuple(lines[j] for j in numbers)


# What a check does not read, derived from the columns when first asked (once per `Kosten`).

@EenmaalPer
def _bank(k: Kosten) -> Decimal:
    classes, bank = k.classes, ZERO
    for entry in k.entries_read:
        if type(entry) is data.Transaction:
            for posting in entry.postings:
                units = posting.units
                if units is not None and units.number is not None and units.currency == CURRENCY \
                        and classes[posting.account].code == _BANK:
                    bank += units.number
    return bank


@EenmaalPer
def _index(k: Kosten) -> tuple[tuple[data.Posting, ...], tuple[int, ...]]:
    posting: list[data.Posting] = []
    start: list[int] = []
    is_cost_line = k._is_cost_line
    for entry in k.tx:
        start.append(len(posting))
        posting.extend(p for p in entry.postings if is_cost_line(p))
    start.append(len(posting))
    return tuple(posting), tuple(start)


def _lines_where(k: Kosten, keep: Callable[[Rekening, str], bool]) -> tuple[int, ...]:
    classes = k.classes
    return tuple(j for j, posting in enumerate(k.posting) if keep(classes[posting.account], posting.units.currency))


@EenmaalPer
def _support(k: Kosten) -> tuple[int, ...]:
    return _lines_where(k, lambda cls, currency: cls.kind == "ondersteuning" and currency == CURRENCY)


@EenmaalPer
def _foreign(k: Kosten) -> tuple[int, ...]:
    return _lines_where(k, lambda cls, currency: currency != CURRENCY) if k.has_foreign else ()


@EenmaalPer
def _plans(k: Kosten) -> Mapping[str, tuple[int, ...]]:
    plans: dict[str, list[int]] = {}
    posting, classes = k.posting, k.classes
    for j in _lines_where(k, lambda cls, currency: cls.kind == "plan" and currency == CURRENCY):
        plans.setdefault(classes[posting[j].account].plan, []).append(j)
    return MappingProxyType({plan: tuple(numbers) for plan, numbers in plans.items()})


@EenmaalPer
def _payments(k: Kosten) -> Mapping[str, tuple[data.Transaction, ...]]:
    payments: dict[str, list[data.Transaction]] = defaultdict(list)
    for link, entry in zip(k.payment_links, k.payment_entries):
        payments[link].append(entry)
    return MappingProxyType({link: tuple(entries) for link, entries in payments.items()})


@EenmaalPer
def _line_tx(k: Kosten) -> tuple[int, ...]:
    start, line_tx = k.start, []
    for i in range(len(k.tx)):
        line_tx.extend([i] * (start[i + 1] - start[i]))
    return tuple(line_tx)


def _line(k: Kosten, postings: Sequence[data.Posting], j: int, i: int) -> CostLine:
    """Cost line j, of cost transaction i."""
    posting, entry = postings[j], k.tx[i]
    cls = k.classes[posting.account]
    links = entry.links
    if not links:
        links = _NO_LINKS
    elif type(links) is not frozenset:
        links = frozenset(links)
    return CostLine(entry.date, posting.account, posting.units.number, posting.units.currency, cls.plan, cls.category,
                    cls.kind, entry.payee, entry.narration, entry.flag, links, entry, posting)


@EenmaalPer
def _lines(k: Kosten) -> tuple[CostLine, ...]:
    postings = k.posting
    return tuple(_line(k, postings, j, i) for j, i in enumerate(k.line_tx))


@EenmaalPer
def _entries(k: Kosten) -> tuple[CostEntry, ...]:
    lines, hours, start = k.lines, frozenset(k.hours), k.start
    return tuple(
        CostEntry(k.tx[i], lines[start[i]:start[i + 1]], k.receipt[i], k.flow[i], i in hours)
        for i in range(len(k.tx))
    )


_FILE_AND_LINE = frozenset(("filename", "lineno"))  # the metadata every parsed posting carries

# Where the fields the fold reads stand in beancount's named tuples (asked of beancount, not assumed).
_TX_META, _TX_LINKS, _TX_POSTINGS = (data.Transaction._fields.index(f) for f in ("meta", "links", "postings"))
_P_ACCOUNT, _P_UNITS, _P_META = (data.Posting._fields.index(f) for f in ("account", "units", "meta"))
_A_NUMBER, _A_CURRENCY = (Amount._fields.index(f) for f in ("number", "currency"))


def kosten_van(entries: Sequence[data.Directive], accounts: Accounts) -> Kosten:
    """Fold: one pass over every posting, each account classified once (the hot loop of a load).

    Written for speed (it walks every posting of a 100k ledger inside `bean-check`): locals
    instead of attributes, comparisons with a Decimal zero (twice as fast as with the int 0),
    and each cost account's EUR amounts collected in its own list and summed once at the end
    with `sum()` instead of one addition per posting (exact decimal additions: the same
    figures). Only what the rules read is kept per transaction; the cost postings, where
    each transaction's lines start, the payments per link and the bank balance are made
    when first asked. `entries` in beancount's order (by date), as a plugin gets them.
    """
    classify = _AccountClassifier(accounts)
    classes = classify.cache
    # The fold's working lists; the `Kosten` made from them at the end is immutable.
    tx: list[data.Transaction] = []
    receipts: list[Decimal] = []
    flows: list[Decimal] = []
    hours: list[int] = []
    posting_meta_tx: set[int] = set()
    no_positive: set[int] = set()
    award_bookings: list[AwardBooking] = []
    payment_links: list[str] = []
    payment_entries: list[data.Transaction] = []
    returns: dict[str, list[data.Transaction]] = defaultdict(list)
    has_foreign_cost = False
    award = vordering = settled = ZERO
    rejected: dict[str, str] = {}
    liabilities: list[tuple[str, data.Transaction, Decimal]] = []
    Transaction, Custom = data.Transaction, data.Custom
    customs: list[data.Custom] = []
    add_tx, add_receipt, add_flow = tx.append, receipts.append, flows.append
    add_payment_link, add_payment_entry = payment_links.append, payment_entries.append
    file_and_line, zero = _FILE_AND_LINE, ZERO
    # The classes and the currency as locals: read for every posting.
    COST, OTHER, BANK, AWARD, VORDERING, TERUG, LIABILITY = _COST, _OTHER, _BANK, _AWARD, _VORDERING, _TERUG, _LIABILITY
    EUR = CURRENCY
    TX_META, TX_LINKS, TX_POSTINGS = _TX_META, _TX_LINKS, _TX_POSTINGS
    P_ACCOUNT, P_UNITS, P_META, A_NUMBER, A_CURRENCY = _P_ACCOUNT, _P_UNITS, _P_META, _A_NUMBER, _A_CURRENCY
    i = 0  # the number of cost transactions so far

    for entry in entries:
        if type(entry) is not Transaction:
            if type(entry) is Custom:
                customs.append(entry)
            continue
        liability_credit: dict[str, Decimal] | None = None
        # Kept as the posting's own Decimal when there is one (the shared zero until then): no new
        # object per booking.
        receipt_amount = bank_flow = zero
        has_cost = foreign = has_hours = positive = own_meta = False
        # beancount's named tuples are read by index, the index named (`_TX_POSTINGS`, ...): measured
        # cheaper in this loop than by attribute, and unpacking one makes an iterator per posting.
        for posting in entry[TX_POSTINGS]:
            units = posting[P_UNITS]
            if units is None:
                continue
            number, currency = units[A_NUMBER], units[A_CURRENCY]
            if number is None:
                continue
            account = posting[P_ACCOUNT]
            try:
                cls = classes[account]
            except KeyError:  # an account met for the first time (try costs nothing when nothing is raised)
                cls = classify(account)
            code = cls.code
            if code == COST:
                # Metadata of its own (beyond file and line) is rare: noted once, read by BB-BON and BB-UURTARIEF.
                posting_meta = posting[P_META]
                # (the length first: comparing the keys with a set costs more than the whole test mostly does)
                if posting_meta and (len(posting_meta) != 2 or posting_meta.keys() != file_and_line):
                    own_meta = True
                    if "uren" in posting_meta:
                        has_hours = True
                if currency != EUR:  # rare: BB-VALUTA reports it; in no sum
                    foreign = True
                    if number > zero:
                        positive = True
                    continue
                has_cost = True
                if number > zero:
                    positive = True
                    if cls.needs_receipt:  # (bank costs need none: the statement proves them)
                        receipt_amount = number if receipt_amount is zero else receipt_amount + number
                cls.amounts.append(number)  # the account's EUR amounts, summed at the end
                continue
            if code == OTHER or currency != EUR:
                continue
            if code == BANK:  # (the bank balance is summed only when asked: a check needs none)
                bank_flow = number if bank_flow is zero else bank_flow + number
            elif code == AWARD:
                award -= number
                award_bookings.append(
                    AwardBooking(entry.date, -number, entry.meta.get("beschikking"), entry.narration, entry)
                )
            elif code == VORDERING:
                vordering += number
            elif code == TERUG:
                settled -= number
            elif code == LIABILITY:
                if liability_credit is None:  # the common case: one liability posting
                    liability_credit = {account: number}
                else:
                    liability_credit[account] = liability_credit.get(account, zero) + number
        if has_cost or foreign:
            add_tx(entry)
            add_receipt(receipt_amount)
            add_flow(bank_flow)
            if has_hours or "uren" in entry[TX_META]:
                hours.append(i)
            if own_meta:
                posting_meta_tx.add(i)
            if not positive:
                no_positive.add(i)
            if foreign:
                has_foreign_cost = True
            i += 1
        links = entry[TX_LINKS]
        # A rejection reverses a claim under the same link; it is no payment.
        if links and ("afgewezen" in (entry.tags or ()) or "afgewezen-reden" in entry.meta):
            for link in links:
                rejected[link] = str(entry.meta.get("afgewezen-reden", "afgewezen"))
            continue
        if liability_credit:
            for account, amount in liability_credit.items():
                if amount < zero and has_cost:
                    liabilities.append((account, entry, -amount))
                elif amount > zero:
                    for link in links or ():
                        add_payment_link(link)
                        add_payment_entry(entry)
                elif is_retour(amount, has_cost, bool(links)):
                    for link in links:
                        returns[link].append(entry)

    by_account = {account: sum(cls.amounts, ZERO) for account, cls in classes.items()
                  if cls.code == _COST and cls.kind == "plan" and cls.amounts}
    return Kosten(
        classes=MappingProxyType({account: Rekening(cls.code, cls.plan, cls.category, cls.kind, cls.needs_receipt)
                                  for account, cls in classes.items()}),
        entries_read=tuple(entries), tx=tuple(tx), receipt=tuple(receipts), flow=tuple(flows), hours=tuple(hours),
        posting_meta=frozenset(posting_meta_tx), no_positive=frozenset(no_positive), has_foreign=has_foreign_cost,
        support_costs=_sum_of_kind(classes, "ondersteuning"), other=_sum_of_kind(classes, "overig"),
        award=award, vordering=vordering, settled=settled, award_bookings=tuple(award_bookings),
        liabilities=tuple(liabilities), payment_links=tuple(payment_links), payment_entries=tuple(payment_entries),
        rejected=MappingProxyType(rejected),
        returns=MappingProxyType({link: tuple(paid) for link, paid in returns.items()}),
        last_date=next((e.date for e in reversed(entries) if type(e) is Transaction), None),
        customs=tuple(customs), by_account=MappingProxyType(by_account),
    )


def _sum_of_kind(classes: Mapping[str, AccountClass], kind: str) -> Decimal:
    """The EUR costs on every account of this kind (refunds subtract): the support costs, the other costs."""
    return sum((amount for cls in classes.values() if cls.code == _COST and cls.kind == kind for amount in cls.amounts), ZERO)


def plannen_van(
    entries: Iterable[data.Directive], kosten: Kosten
) -> tuple[tuple[PlanView, ...], tuple[DirectiveError, ...]]:
    """Fold: every declared plan (latest declaration holds) and every plan with costs, with its net costs."""
    declarations: dict[str, list[PlanDeclaration]] = defaultdict(list)
    errors: list[DirectiveError] = []
    for entry in entries:
        if type(entry) is data.Custom and entry.type == "plan":
            parsed = parse_plan(entry, CURRENCY)
            if isinstance(parsed, DirectiveError):
                errors.append(parsed)
            else:
                declarations[parsed.account].append(parsed)
    plans: list[PlanView] = []
    classes = kosten.classes
    per_plan: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for cost_account, amount in kosten.by_account.items():
        per_plan[classes[cost_account].plan].append((cost_account, amount))
    for account in sorted(set(declarations) | set(per_plan)):  # declared, or with EUR costs
        decls = tuple(sorted(declarations.get(account, ()), key=lambda d: d.datum))
        by_cat: dict[str, Decimal] = defaultdict(lambda: ZERO)
        costs = ZERO
        for cost_account, amount in per_plan.get(account, ()):
            costs += amount
            by_cat[classes[cost_account].category or "(geen categorie)"] += amount
        latest = decls[-1] if decls else None
        name = account.split(":")[-1]
        plans.append(
            PlanView(
                account=account,
                name=name,
                titel=latest.titel if latest else name,
                budget=latest.budget if latest else None,
                status=latest.status if latest else "niet gedeclareerd",
                # A later declaration changes the budget; who proposed the plan stays known.
                indiener=next((d.indiener for d in reversed(decls) if d.indiener), None),
                declarations=decls,
                costs=costs,
                costs_by_category=tuple(sorted(by_cat.items())),
                kosten=kosten,
            )
        )
    return tuple(plans), tuple(errors)


def link_en_betalingen(kosten: Kosten, links: Collection[str]) -> tuple[str | None, tuple[data.Transaction, ...]]:
    """The link a claim or invoice goes by (the least of its links) and the payments under its links."""
    all_payments = kosten.payments
    if len(links) == 1:  # the common claim: one link, no generator
        (link,) = links
        return link, tuple(all_payments.get(link, ()))
    return (min(links) if links else None), _onder_links(all_payments, links)


def _onder_links(per_link: Mapping[str, list[data.Transaction]],
                 links: Collection[str]) -> tuple[data.Transaction, ...]:
    """The transactions under any of these links: each once (one may carry several links), in ledger order.

    Never in the order of the link set: that is Python's hash order, which changes between runs.
    """
    found = {id(t): t for link in links for t in per_link.get(link, ())}
    return tuple(sorted(found.values(), key=data.entry_sortkey)) if len(found) > 1 else tuple(found.values())


def oordelen_van(kosten: Kosten, accounts: Accounts, kader: Kader, bonnen: Any = None) -> tuple[Oordeel, ...]:
    """Fold: the four-eyes verdict (`ledger.evaluatie.vier_ogen.beoordeel`) of each claim and invoice, in order."""
    gedeeld = gedeelde_links((entry, None) for _, entry, _ in kosten.liabilities)
    declaraties, drempel = accounts.declaraties, kader.vier_ogen_vanaf
    return tuple(
        beoordeel(entry, factuur=account != declaraties, bedrag=amount, drempel=drempel,
                  gedeeld_met=gedeeld.get(id(entry), ()), bonnen=bonnen)
        for account, entry, amount in kosten.liabilities
    )


@EenmaalPer
def _te_betalen(kosten: Kosten, accounts: Accounts, oordelen: Sequence[Oordeel]) -> tuple[Payable, ...]:
    return te_betalen_van(kosten, accounts, oordelen)


def te_betalen_van(kosten: Kosten, accounts: Accounts, oordelen: Sequence[Oordeel]) -> tuple[Payable, ...]:
    """Fold: each claim and invoice, tied to its payments by its links, with its state (from its verdict)."""
    payables: list[Payable] = []
    all_returns, rejected = kosten.returns, kosten.rejected
    declaraties = accounts.declaraties
    for (account, entry, amount), oordeel in zip(kosten.liabilities, oordelen, strict=True):
        links = entry.links or ()
        link, payments = link_en_betalingen(kosten, links)
        if len(links) == 1:  # the common claim: one link, no generators per payable
            returns = tuple(all_returns.get(link, ()))
            rejection = rejected.get(link)
        else:
            rejection = next((rejected[l] for l in sorted(links) if l in rejected), None)
            returns = _onder_links(all_returns, links)
        meta = entry.meta
        approved_by = meta.get("goedgekeurd-door")
        flag = entry.flag
        status = betaalstatus(afgewezen=rejection is not None, betalingen=len(payments), retouren=len(returns),
                              goedgekeurd=oordeel.betaalbaar)
        payables.append(
            Payable(
                "declaratie" if account == declaraties else "factuur",
                link, entry.date, entry.payee, entry.narration, amount, flag,
                meta.get("declarant"), meta.get("iban"), meta.get("ingevoerd-door"), approved_by,
                status, rejection, payments, entry, returns, oordeel,
            )
        )
    return tuple(payables)


# --------------------------------------------------------------------------- composed in one place


def view_of(
    entries: Sequence[data.Directive],
    options_map: Mapping[str, Any],
    regelbestand: Regelbestand,
    peildatum: datetime.date,
    *,
    tot: datetime.date | None = None,
) -> Buurtbudget:
    """The Buurtbudget of these entries (up to and including `tot` when given), judged on `peildatum`.

    The entries come in beancount's order, by date (as a load and a plugin get them): the
    cost transactions keep that order, and the rules find a period's edges by bisection.

    Pure: the rules file arrives read, the day is an argument. Every build is
    announced as the audit event `buurtbudget.view` (so a test can count them).
    """
    filename = options_map.get("filename") or "<onbekend>"
    sys.audit("buurtbudget.view", filename)
    if tot is not None:
        entries = [e for e in entries if e.date <= tot]
    accounts = Accounts.from_options(options_map)
    kosten = kosten_van(entries, accounts)
    kader, kader_error, kop = kader_van(regelbestand, kop_van(kosten.customs))
    plans, plan_errors = plannen_van(kosten.customs, kosten)
    header = kop.header
    return Buurtbudget(
        title=options_map.get("title") or (header.naam if header else Path(filename).stem),
        filename=filename,
        accounts=accounts,
        header=header,
        header_errors=kop.errors,
        header_entry=kop.entry,
        kader=kader,
        kader_error=kader_error,
        peildatum=peildatum,
        award=kosten.award,
        award_bookings=tuple(kosten.award_bookings),
        received=kosten.award - kosten.vordering,
        plans=plans,
        plan_errors=plan_errors,
        support_costs=kosten.support_costs,  # summed once by kosten_van
        other_costs=kosten.other,
        settled=kosten.settled,
        last_date=kosten.last_date,
        kosten=kosten,
        oordelen=oordelen_van(kosten, accounts, kader, Vingerafdrukken(entries, options_map)),
    )


def build_view(
    entries: Sequence[data.Directive],
    options_map: Mapping[str, Any],
    *,
    tot: datetime.date | None = None,
    peildatum: datetime.date | None = None,
    rules_config: str | None = None,
) -> Buurtbudget:
    """`view_of` at the edge: reads the ledger's rules file and, without `peildatum` or `tot`, today's date.

    For a loaded ledger prefer its one evaluation (`ledger.evaluatie.resultaat`,
    `rules.checking.check_ledger`): this builds a view of its own.
    """
    if rules_config is None:  # the ledger's own plugin line says which rules file (ledger.buurtbudget.kader)
        bron = regels_van(options_map)
    else:
        bron = lees_regelbestand(options_map.get("filename"), rules_config)
    return view_of(entries, options_map, bron, peildatum or tot or datetime.date.today(), tot=tot)
