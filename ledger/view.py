"""The one view of a buurtbudget's figures.

`build_view(entries, options_map)` walks the entries once and returns an
immutable `Buurtbudget`: header, award, plans with budget and net costs,
support costs, the ceiling, what is left, what would be unspent, the claims
and invoices with their state, and the phase. Rules, reports, the landing page
and the Fava extension all read this value; none of them sums postings again.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from beancount.core import data

from ledger.accounts import Accounts
from ledger.documents import document_values
from pydantic import ValidationError

from ledger.header import DirectiveError, describe_validation_error, Header, PlanDeclaration, header_entries, parse_header, parse_plan
from ledger.kader import Kader, RulesFileError, find_rules_file, load_kader
from ledger.money import ceiling_of, within_ceiling
from ledger.retouren import betaalstatus, is_retour

ZERO = Decimal("0")
# Posting metadata that only says where the posting stands holds no receipt.
_POSITION_KEYS = frozenset(("filename", "lineno"))
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
    lines: tuple[CostLine, ...]

    @property
    def declared(self) -> bool:
        return self.budget is not None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.costs > self.budget

    @property
    def remaining(self) -> Decimal:
        return (self.budget or ZERO) - self.costs

    @property
    def used_fraction(self) -> Decimal | None:
        if not self.budget:
            return None
        return self.costs / self.budget


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
    returns: tuple[data.Transaction, ...] = ()  # payments the bank sent back (ledger.retouren)

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.entry.meta

    @property
    def approved(self) -> bool:
        return self.flag != "!" and bool(self.approved_by)

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


@dataclass(frozen=True)
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
    support_lines: tuple[CostLine, ...]
    other_costs: Decimal
    cost_lines: tuple[CostLine, ...]
    cost_entries: tuple[CostEntry, ...]
    foreign_lines: tuple[CostLine, ...]
    payables: tuple[Payable, ...]
    settled: Decimal
    bank_balance: Decimal
    last_date: datetime.date | None

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
    def uncommitted(self) -> Decimal:
        """What is left of the award for new plans."""
        return self.award - self.committed

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
    def support_fraction(self) -> Decimal | None:
        return self.support_costs / self.award if self.award else None

    @property
    def fase(self) -> str:
        if self.header is None:
            return "onbekend"
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


_OTHER, _COST, _BANK, _AWARD, _VORDERING, _TERUG, _LIABILITY = range(7)


class _AccountClassifier:
    """What an account is to a buurtbudget, decided once per account name."""

    def __init__(self, accounts: Accounts):
        self.accounts = accounts
        self.cache: dict[str, tuple] = {}

    def __call__(self, account: str) -> tuple:
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
            result: tuple = (_COST, *split, not a.is_bank_costs(account))
        elif a.is_bank(account):
            result = (_BANK,)
        elif a.is_under(account, a.toekenning):
            result = (_AWARD,)
        elif account == a.vordering:
            result = (_VORDERING,)
        elif account == a.terugbetaling:
            result = (_TERUG,)
        elif account in (a.declaraties, a.crediteuren):
            result = (_LIABILITY,)
        else:
            result = (_OTHER,)
        self.cache[account] = result
        return result


def _header(entries: list[data.Directive]) -> tuple[Header | None, tuple[DirectiveError, ...], data.Custom | None]:
    found = header_entries(entries)
    if not found:
        return None, (DirectiveError({}, 'geen kop: de ledger mist de regel custom "buurtbudget"'),), None
    errors: list[DirectiveError] = []
    for extra in found[1:]:
        errors.append(
            DirectiveError(
                extra.meta,
                f'dubbele kop: custom "buurtbudget" staat er al op regel {found[0].meta.get("lineno")}',
            )
        )
    parsed = parse_header(found[0])
    if isinstance(parsed, DirectiveError):
        return None, (parsed, *errors), found[0]
    return parsed, tuple(errors), found[0]


def build_view(
    entries: list[data.Directive],
    options_map: Mapping[str, Any],
    *,
    tot: datetime.date | None = None,
    peildatum: datetime.date | None = None,
    rules_config: str | None = None,
) -> Buurtbudget:
    """The Buurtbudget of these entries, up to and including `tot` when given.

    `peildatum` is the day the phase and "to repay" are judged on: `tot` when
    given, else today.
    """
    accounts = Accounts.from_options(options_map)
    filename = options_map.get("filename") or "<onbekend>"
    if tot is not None:
        entries = [e for e in entries if e.date <= tot]
    header, header_errors, header_entry = _header(entries)

    kader_error: RulesFileError | None = None
    try:
        rules_file = find_rules_file(filename, rules_config) if not filename.startswith("<") else None
        kader = load_kader(rules_file, header.stadsdeel if header else None)
    except RulesFileError as exc:
        kader_error, kader = exc, Kader()
    if header is not None and header.overrides:
        try:
            kader = kader.with_overrides(dict(header.overrides))
            kader = kader.model_copy(update={"bron": kader.bron + " + kop"})
        except ValidationError as exc:  # a value out of range, e.g. ondersteuning-max: 8
            header_errors = (
                *header_errors,
                DirectiveError(header_entry.meta, "ongeldige kop: " + describe_validation_error(exc)),
            )

    declarations: dict[str, list[PlanDeclaration]] = defaultdict(list)
    plan_errors: list[DirectiveError] = []
    award = ZERO
    award_bookings: list[AwardBooking] = []
    vordering_balance = ZERO
    settled = ZERO
    bank_balance = ZERO
    support = ZERO
    other = ZERO
    cost_lines: list[CostLine] = []
    foreign: list[CostLine] = []
    plan_lines: dict[str, list[CostLine]] = defaultdict(list)
    support_lines: list[CostLine] = []
    liability_entries: list[tuple[str, data.Transaction, Decimal]] = []
    link_payments: dict[str, list[data.Transaction]] = defaultdict(list)
    link_returns: dict[str, list[data.Transaction]] = defaultdict(list)
    rejected_links: dict[str, str] = {}
    last_date: datetime.date | None = None

    # Each account is classified once; a posting then costs one dictionary lookup.
    classify = _AccountClassifier(accounts)
    classes = classify.cache
    cost_entries: list[CostEntry] = []
    Transaction = data.Transaction

    for entry in entries:
        if type(entry) is Transaction:
            last_date = entry.date
            has_cost = False
            liability_credit: dict[str, Decimal] | None = None
            first_line = len(cost_lines)
            # Kept as the posting's own Decimal when there is one: no new object per booking.
            receipt_amount: Decimal | None = None
            bank_flow: Decimal | None = None
            has_hours = False
            links = entry.links
            if not links:
                links = _NO_LINKS
            elif type(links) is not frozenset:
                links = frozenset(links)
            for posting in entry.postings:
                units = posting.units
                if units is None:
                    continue
                number = units.number
                if number is None:
                    continue
                account = posting.account
                cls = classes.get(account) or classify(account)
                code = cls[0]
                if code == _OTHER:
                    continue
                currency = units.currency
                if code == _COST:
                    posting_meta = posting.meta
                    if posting_meta and "uren" in posting_meta:
                        has_hours = True
                    _, plan, category, kind, needs_receipt = cls
                    line = CostLine(
                        entry.date, account, number, currency, plan, category, kind,
                        entry.payee, entry.narration, entry.flag,
                        links, entry, posting,
                    )
                    cost_lines.append(line)
                    if currency != CURRENCY:
                        foreign.append(line)
                        continue
                    has_cost = True
                    if needs_receipt and number > 0:
                        receipt_amount = number if receipt_amount is None else receipt_amount + number
                    if kind == "plan":
                        plan_lines[plan].append(line)
                    elif kind == "ondersteuning":
                        support += number
                        support_lines.append(line)
                    else:
                        other += number
                    continue
                if currency != CURRENCY:
                    continue
                if code == _BANK:
                    bank_balance += number
                    bank_flow = number if bank_flow is None else bank_flow + number
                elif code == _AWARD:
                    award -= number
                    award_bookings.append(
                        AwardBooking(entry.date, -number, entry.meta.get("beschikking"), entry.narration, entry)
                    )
                elif code == _VORDERING:
                    vordering_balance += number
                elif code == _TERUG:
                    settled -= number
                elif code == _LIABILITY:
                    if liability_credit is None:
                        liability_credit = {}
                    liability_credit[account] = liability_credit.get(account, ZERO) + number
            if len(cost_lines) > first_line:
                cost_entries.append(
                    CostEntry(
                        entry, tuple(cost_lines[first_line:]),
                        ZERO if receipt_amount is None else receipt_amount,
                        ZERO if bank_flow is None else bank_flow,
                        has_hours or "uren" in entry.meta,
                    )
                )
            if links:
                # A rejection reverses a claim under the same link; it is no payment.
                if "afgewezen" in (entry.tags or ()) or "afgewezen-reden" in entry.meta:
                    for link in links:
                        rejected_links[link] = str(entry.meta.get("afgewezen-reden", "afgewezen"))
                    continue
            if liability_credit:
                for account, amount in liability_credit.items():
                    if amount < 0 and has_cost:
                        liability_entries.append((account, entry, -amount))
                    elif amount > 0:
                        for link in links:
                            link_payments[link].append(entry)
                    elif is_retour(amount, has_cost, bool(links)):
                        for link in links:
                            link_returns[link].append(entry)
        elif isinstance(entry, data.Custom) and entry.type == "plan":
            parsed = parse_plan(entry, CURRENCY)
            if isinstance(parsed, DirectiveError):
                plan_errors.append(parsed)
            else:
                declarations[parsed.account].append(parsed)

    plans: list[PlanView] = []
    for account in sorted(set(declarations) | set(plan_lines)):
        decls = tuple(sorted(declarations.get(account, ()), key=lambda d: d.datum))
        lines = tuple(plan_lines.get(account, ()))
        by_cat: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in lines:
            by_cat[line.category or "(geen categorie)"] += line.amount
        latest = decls[-1] if decls else None
        plans.append(
            PlanView(
                account=account,
                name=account.split(":")[-1],
                titel=latest.titel if latest else account.split(":")[-1],
                budget=latest.budget if latest else None,
                status=latest.status if latest else "niet gedeclareerd",
                # A later declaration changes the budget; who proposed the plan stays known.
                indiener=next((d.indiener for d in reversed(decls) if d.indiener), None),
                declarations=decls,
                costs=sum((l.amount for l in lines), ZERO),
                costs_by_category=tuple(sorted(by_cat.items())),
                lines=lines,
            )
        )

    payables: list[Payable] = []
    for account, entry, amount in liability_entries:
        kind = "declaratie" if account == accounts.declaraties else "factuur"
        link = next(iter(sorted(entry.links)), None) if entry.links else None
        payments = tuple(p for l in (entry.links or ()) for p in link_payments.get(l, ()))
        rejection = next((rejected_links[l] for l in (entry.links or ()) if l in rejected_links), None)
        returns = tuple(r for l in (entry.links or ()) for r in link_returns.get(l, ()))
        approved_by = entry.meta.get("goedgekeurd-door")
        status = betaalstatus(afgewezen=rejection is not None, betalingen=len(payments), retouren=len(returns),
                              goedgekeurd=entry.flag != "!" and bool(approved_by))
        payables.append(
            Payable(
                kind=kind, link=link, date=entry.date, payee=entry.payee, narration=entry.narration,
                amount=amount, flag=entry.flag,
                declarant=entry.meta.get("declarant"), iban=entry.meta.get("iban"),
                entered_by=entry.meta.get("ingevoerd-door"), approved_by=approved_by,
                status=status, rejection=rejection, payments=payments, entry=entry, returns=returns,
            )
        )

    if peildatum is None:
        peildatum = tot or datetime.date.today()
    return Buurtbudget(
        title=options_map.get("title") or (header.naam if header else Path(filename).stem),
        filename=filename,
        accounts=accounts,
        header=header,
        header_errors=header_errors,
        header_entry=header_entry,
        kader=kader,
        kader_error=kader_error,
        peildatum=peildatum,
        award=award,
        award_bookings=tuple(award_bookings),
        received=award - vordering_balance,
        plans=tuple(plans),
        plan_errors=tuple(plan_errors),
        support_costs=support,
        support_lines=tuple(support_lines),
        other_costs=other,
        cost_lines=tuple(cost_lines),
        cost_entries=tuple(cost_entries),
        foreign_lines=tuple(foreign),
        payables=tuple(payables),
        settled=settled,
        bank_balance=bank_balance,
        last_date=last_date,
    )
