"""Plans from a vote (model A, "Amsterdam begroot").

    uitslag = lees_uitslag("uitslag.csv")          # plan, titel, bedrag, stemmen
    keuze = kies_plannen(view, uitslag)             # the ranking, with a reason per plan

The CSV has a header row; the columns may be named as an OpenStad export names
them (`plan`/`id`, `titel`/`title`, `bedrag`/`budget`/`requested amount`,
`stemmen`/`votes`/`yes`), separated by `,` or `;`.

Plan names are compared as plans, not as typed: case and accents do not count
(`SPEELTUIN` and `Speeltuín` are the plan Speeltuin already declared).

The plans are dated on a day of the budget's life: from the header's date up to
the last day of the period (`einde`); a vote read in later is refused, not
dated after the period.

Ranking: most votes first; on equal votes the cheaper plan first (then the order
of the file). What can be spent on plans is the award minus the ceiling of the
support costs (8% or the header's `ondersteuning-max`) minus the budgets of plans
already declared. Each plan in turn is funded while it fits in what is left; a
plan that no longer fits is skipped and the next one is tried.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ledger.buurtbudget.money import AmountError, format_eur, parse_amount
from ledger.evaluatie.view import Buurtbudget

ALIASES = {
    "plan": ("plan", "id", "ideaid", "idee", "plan-id", "planid"),
    "titel": ("titel", "title", "naam", "name"),
    "bedrag": ("bedrag", "budget", "requested amount", "requested_amount", "gevraagd bedrag", "amount"),
    "stemmen": ("stemmen", "votes", "yes", "aantal stemmen", "voor"),
}


class UitslagFout(Fout, ValueError):
    """A vote result that cannot be read (Dutch, names file and line)."""


@dataclass(frozen=True, slots=True)
class Kandidaat:
    plan: str  # the plan's account component, e.g. Speeltuin or Plan12
    titel: str
    bedrag: Decimal
    stemmen: int
    regel: int  # line in the CSV


@dataclass(frozen=True, slots=True)
class Keuze:
    rang: int
    kandidaat: Kandidaat
    gekozen: bool
    reden: str
    over_na: Decimal  # what is left for plans after this decision


@dataclass(frozen=True, slots=True)
class Stemming:
    beschikbaar: Decimal  # for plans, before the vote
    keuzes: tuple[Keuze, ...]

    @property
    def gekozen(self) -> tuple[Keuze, ...]:
        return tuple(k for k in self.keuzes if k.gekozen)

    @property
    def totaal(self) -> Decimal:
        return sum((k.kandidaat.bedrag for k in self.gekozen), Decimal(0))


def plan_component(text: str) -> str:
    """`speeltuin opknappen` -> `SpeeltuinOpknappen`; `12` -> `Plan12` (a valid account component)."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or not name[0].isalpha():
        name = "Plan" + name
    return name


def _column(fields: list[str], key: str) -> str | None:
    normal = {f.strip().lower(): f for f in fields}
    for alias in ALIASES[key]:
        if alias in normal:
            return normal[alias]
    return None


def lees_uitslag(path: str | Path) -> list[Kandidaat]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise UitslagFout(f"{path}: bestand bestaat niet") from exc
    except UnicodeDecodeError as exc:
        raise UitslagFout(f"{path}: geen UTF-8-tekst") from exc
    first = text.split("\n", 1)[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    fields = reader.fieldnames or []
    cols = {key: _column(fields, key) for key in ALIASES}
    missing = [key for key, col in cols.items() if col is None and key != "titel"]
    if missing:
        raise UitslagFout(f"{path}:1: kolom(men) {', '.join(missing)} ontbreken (verwacht plan, titel, bedrag, stemmen)")
    result: list[Kandidaat] = []
    seen: dict[str, int] = {}
    for row in reader:
        n = reader.line_num  # the line the row ends on (a quoted field may span lines)
        if not any((v or "").strip() for v in row.values()):
            continue
        if row.get(None):  # csv puts surplus fields under the key None
            raise UitslagFout(f"{path}:{n}: meer kolommen dan de kopregel (een bedrag met een komma? "
                              f"zet het tussen aanhalingstekens of gebruik ; als scheidingsteken)")
        raw_plan = (row.get(cols["plan"]) or "").strip()
        if not raw_plan:
            raise UitslagFout(f"{path}:{n}: plan ontbreekt")
        titel = (row.get(cols["titel"]) or "").strip() if cols["titel"] else raw_plan
        try:
            bedrag = parse_amount(row.get(cols["bedrag"]) or "")
        except AmountError as exc:
            raise UitslagFout(f"{path}:{n}: {exc}") from exc
        votes_text = (row.get(cols["stemmen"]) or "").strip()
        if not re.fullmatch(r"\d+", votes_text):
            raise UitslagFout(f"{path}:{n}: stemmen '{votes_text}' is geen geheel getal")
        plan = plan_component(raw_plan)
        if plan_sleutel(plan) in seen:
            raise UitslagFout(f"{path}:{n}: plan '{raw_plan}' staat er al op regel {seen[plan_sleutel(plan)]}")
        seen[plan_sleutel(plan)] = n
        result.append(Kandidaat(plan, titel or raw_plan, bedrag, int(votes_text), n))
    if not result:
        raise UitslagFout(f"{path}: de uitslag bevat geen plannen")
    return result


def plan_sleutel(naam: str) -> str:
    """A plan's name as compared: case folded, accents removed (SPEELTUIN, Speeltuín: Speeltuin)."""
    decomposed = unicodedata.normalize("NFKD", naam)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def check_plandatum(view: Buurtbudget, datum: datetime.date, *, gegeven: bool) -> None:
    """Refuse a plan date after the period or before the header's date."""
    header = view.header
    if header is None:
        return
    if datum > header.einde or datum < header.datum:
        hoe = "--datum" if gegeven else f"vandaag ({datum.isoformat()}; geen --datum gegeven)"
        from ledger.schrijver.boekingen import InvoerFout  # the writer's refusal: nothing is written

        raise InvoerFout(
            f"{hoe} ligt buiten de looptijd van dit buurtbudget ({header.datum.isoformat()} tot en met "
            f"{header.einde.isoformat()}); plannen worden daarbinnen gedeclareerd. Geef de datum van de "
            "stemming met --datum JJJJ-MM-DD")


def kies_plannen(view: Buurtbudget, kandidaten: list[Kandidaat]) -> Stemming:
    """Rank by votes (ties: fewer euros first) and fund each plan while it fits."""
    declared = {plan_sleutel(p.name): p.name for p in view.plans if p.declared}
    beschikbaar = view.award - view.ceiling - view.plan_budgets
    over = beschikbaar
    ranked = sorted(kandidaten, key=lambda k: (-k.stemmen, k.bedrag, k.regel))
    keuzes = []
    for rang, k in enumerate(ranked, start=1):
        if plan_sleutel(k.plan) in declared:
            keuzes.append(Keuze(rang, k, False, f"al gedeclareerd in de ledger ({declared[plan_sleutel(k.plan)]})",
                                over))
        elif k.bedrag <= over:
            over -= k.bedrag
            keuzes.append(Keuze(rang, k, True, f"gekozen: {k.stemmen} stemmen, past (nog {format_eur(over)} over)", over))
        else:
            keuzes.append(Keuze(rang, k, False,
                                f"past niet meer: vraagt {format_eur(k.bedrag)}, nog {format_eur(over)} over", over))
    return Stemming(beschikbaar, tuple(keuzes))


def stemming_wijziging(view: Buurtbudget, stemming: Stemming, datum: datetime.date, bron: str):
    """The `custom "plan"` directives of the chosen plans (a Wijziging for `schrijf`)."""
    from ledger.schrijver.boekingen import plan_tekst
    from ledger.schrijver.schrijven import Wijziging

    parts = []
    for k in stemming.gekozen:
        c = k.kandidaat
        parts.append(plan_tekst(datum=datum, account=f"{view.accounts.plannen}:{c.plan}", titel=c.titel,
                                budget=c.bedrag, status="gekozen",
                                meta=(("stemmen", c.stemmen), ("rang", k.rang),
                                      ("bron", bron))))
    names = ", ".join(k.kandidaat.plan for k in stemming.gekozen)
    return Wijziging(f"Plannen uit stemming ({bron}): {names} — samen {format_eur(stemming.totaal)}",
                     "\n".join(parts))
