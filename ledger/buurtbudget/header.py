"""The directives that describe a buurtbudget: its header and its plans.

    2025-01-01 custom "buurtbudget" "K-buurt 2025"
      stadsdeel: "Zuidoost"
      buurt: "K-buurt"
      model: "C"
      begin: 2025-01-01
      einde: 2025-12-31

    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 5000.00 EUR
      status: "gekozen"

Pure functions turn these directives into frozen values, as Fava's
`core/budgets.py` does with its budget directives; what does not fit becomes a
`DirectiveError` that carries the entry's metadata (file, line). The header is
checked by one pure function, `header_uit`, which says every problem in Dutch,
one clause each (a `WaardeFout`); `parse_header` turns the directive into its
values and asks it. No pydantic here: a ledger's load imports this module, and
pydantic's import and model building cost every process more than the checks.
pydantic stays at the one boundary that is a file of its own, `regels.toml`
(`ledger.buurtbudget.regelbestand_model`, imported only where one exists). A
plan is checked by `parse_plan`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Mapping, get_args

from beancount.core import data
from beancount.core.amount import Amount

from ledger.buurtbudget.fouten import WaardeFout

Model = Literal["A", "B", "C"]
Fase = Literal["ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten"]
MODELS: tuple[str, ...] = get_args(Model)
FASEN: tuple[str, ...] = get_args(Fase)
MODEL_NAMES: dict[str, str] = {
    "A": "Amsterdam begroot",
    "B": "co-creatie",
    "C": "community based begroot",
}

# What a resident reads for each phase (`fase`).
FASE_NAMEN: dict[str, str] = {
    "ideeen": "Ideeën verzamelen",
    "stemmen": "Stemmen",
    "uitvoering": "Uitvoering",
    "verantwoording": "Verantwoording",
    "afgesloten": "Afgesloten",
    "vastgesteld": "Vastgesteld",  # not a header value: the stadsdeel's decision is in the books
    "onbekend": "Onbekend",
}

# Header metadata keys that override a kader default for this ledger.
OVERRIDE_KEYS = ("ondersteuning-max", "bon-vanaf", "vier-ogen-vanaf", "uurtarief-max")

TEKST_FOUT = "moet tekst zijn (tussen aanhalingstekens)"
DATUM_FOUT = "is geen datum (schrijf JJJJ-MM-DD)"


class _Zin(ValueError):
    """A problem said as a whole sentence, not as a clause about one field."""


def _as_date(value: Any) -> datetime.date:
    """A date as beancount gives it, or as ISO text (`2025-01-01`); a datetime counts by its day."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(DATUM_FOUT)


def _tekst(value: Any) -> str:
    """Text in quotes, not empty: a number or a date where text belongs is an error, not quietly made text."""
    if not isinstance(value, str):
        raise ValueError(TEKST_FOUT)
    if not value:
        raise ValueError("mag niet leeg zijn")
    return value


def _tekst_of_leeg(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(TEKST_FOUT)
    return value


def _model(value: Any) -> str:
    # "b" and " B " are model B; anything else is shown as written, so the message shows what the ledger says.
    if isinstance(value, str) and value.strip().upper() in MODELS:
        return value.strip().upper()
    raise _Zin(f"onbekend model {value!r} (kies A, B of C)")


def _fase(value: Any) -> str:
    if isinstance(value, str) and value in FASEN:
        return value
    raise _Zin(f"onbekende fase {value!r} (" + ", ".join(FASEN) + ")")


def _iban(value: Any) -> str:
    iban = _tekst_of_leeg(value)
    why = iban_fout(iban)
    if why:
        raise ValueError(f"'{iban}' is geen geldig IBAN ({why})")
    return iban.replace(" ", "").upper()


def iban_fout(value: str) -> str | None:
    """Why a text is no valid IBAN, or None: schwifty's verdict (ISO 13616 length and structure per
    country, mod-97, and a bank's own check digits where it has them), said in Dutch.

    The one IBAN check: the header, `boek`/`declaratie` (`ledger.schrijver.boekingen.check_iban`) and the
    payment batch (`ledger.betalingen.batches`) all ask this function."""
    from schwifty import IBAN
    from schwifty import exceptions as fout

    compact = value.replace(" ", "").upper()
    try:
        IBAN(compact)
    except fout.InvalidCountryCode:
        return f"onbekende landcode '{compact[:2]}'"
    except fout.InvalidLength:
        return f"een IBAN uit {compact[:2]} heeft een andere lengte dan {len(compact)} tekens"
    except fout.InvalidChecksumDigits:
        return "het controlegetal klopt niet"
    except (fout.InvalidBBANChecksum, fout.NationalChecksumNotVerified):
        return "het controlegetal van de bank klopt niet"
    except fout.SchwiftyException:
        return "ongeldige vorm (landcode, twee cijfers, rekeningnummer)"
    return None


@dataclass(frozen=True, slots=True)
class Header:
    """The `custom "buurtbudget"` header of a ledger, as `header_uit` checked it."""

    naam: str
    datum: datetime.date
    stadsdeel: str
    buurt: str
    model: Model
    begin: datetime.date
    einde: datetime.date
    beheerder: str | None = None
    iban: str | None = None
    fase: Fase | None = None
    prive_namen: tuple[str, ...] = ()
    # Pairs, not a dict: a frozen header stays hashable; `dict(header.overrides)` gives the mapping.
    overrides: tuple[tuple[str, Decimal], ...] = ()

    @property
    def model_naam(self) -> str:
        return MODEL_NAMES[self.model]


# The checked fields in the order their problems are said: key, check, required.
_FIELDS = (
    ("naam", _tekst, True), ("datum", _as_date, True), ("stadsdeel", _tekst, True), ("buurt", _tekst, True),
    ("model", _model, True), ("begin", _as_date, True), ("einde", _as_date, True),
    ("beheerder", _tekst_of_leeg, False), ("iban", _iban, False), ("fase", _fase, False),
)
_LABELS = {"naam": "naam (het tweede argument)"}  # where a key is not what the ledger shows


def _namen(key: str, value: Any, clauses: list[str]) -> tuple[str, ...]:
    """`prive-namen`: text split on `,` or `;`, or a list of texts (one clause for each that is none)."""
    if isinstance(value, str):
        return tuple(name.strip() for name in value.replace(";", ",").split(",") if name.strip())
    if not isinstance(value, (list, tuple)):
        clauses.append(f"'{key}': moet een lijst zijn")
        return ()
    clauses.extend(f"'{key}': {TEKST_FOUT}" for name in value if not isinstance(name, str))
    return tuple(value)


def header_uit(values: Mapping[str, Any]) -> Header:
    """The header these values describe, or a `WaardeFout` with every problem, one Dutch clause each.

    None means not given (beancount and the CLI say so): a required field is then missing, not of
    the wrong type. Keys this header does not know are ignored. Pure."""
    given = {key: value for key, value in values.items() if value is not None}
    clauses: list[str] = []
    found: dict[str, Any] = {}
    for key, check, required in _FIELDS:
        if key not in given:
            if required:
                clauses.append(f"'{_LABELS.get(key, key)}' ontbreekt")
            continue
        try:
            found[key] = check(given[key])
        except _Zin as exc:
            clauses.append(str(exc))
        except ValueError as exc:
            clauses.append(f"'{_LABELS.get(key, key)}': {exc}")
        if key == "einde" and "begin" in found and "einde" in found and found["begin"] > found["einde"]:
            clauses.append(f"einde ({found['einde']}) ligt vóór begin ({found['begin']})")
            del found["einde"]
    namen_key = next((key for key in ("prive-namen", "prive_namen") if key in given), None)
    if namen_key is not None:
        found["prive_namen"] = _namen(namen_key, given[namen_key], clauses)
    overrides = given.get("overrides", ())
    found["overrides"] = tuple(overrides.items() if isinstance(overrides, Mapping) else map(tuple, overrides))
    if clauses:
        raise WaardeFout(clauses)
    return Header(**found)


@dataclass(frozen=True, slots=True)
class DirectiveError:
    """What is wrong with a directive, and where it stands."""

    meta: Mapping[str, Any]
    message: str


def header_entries(entries: list[data.Directive]) -> list[data.Custom]:
    return [e for e in entries if isinstance(e, data.Custom) and e.type == "buurtbudget"]


def parse_header(entry: data.Custom) -> Header | DirectiveError:
    """Turn a `custom "buurtbudget"` directive into a Header, or say what is wrong."""
    meta = {k: v for k, v in entry.meta.items() if k not in ("filename", "lineno") and not k.startswith("__")}
    values = entry.values or []
    naam = values[0].value if values and isinstance(values[0].value, str) else None
    overrides: dict[str, Decimal] = {}
    problems: list[str] = []
    for key in OVERRIDE_KEYS:
        if key in meta:
            value = meta[key]
            if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
                problems.append(f"'{key}' moet een getal zijn, niet {value!r}")
            else:
                overrides[key] = Decimal(value)
    if problems:
        return DirectiveError(entry.meta, "ongeldige kop: " + "; ".join(problems))
    try:
        return header_uit({**meta, "naam": naam, "datum": entry.date, "overrides": overrides})
    except WaardeFout as exc:
        return DirectiveError(entry.meta, f"ongeldige kop: {exc}")


@dataclass(frozen=True, slots=True)
class PlanDeclaration:
    """One `custom "plan"` directive: a plan and its approved budget from a date on (budget >= 0)."""

    datum: datetime.date
    account: str
    titel: str
    budget: Decimal
    status: str = "gekozen"
    indiener: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def parse_plan(entry: data.Custom, currency: str = "EUR") -> PlanDeclaration | DirectiveError:
    """`custom "plan" ACCOUNT "titel" BEDRAG EUR` -> PlanDeclaration."""
    values = [v.value for v in (entry.values or [])]
    if len(values) < 3:
        return DirectiveError(
            entry.meta,
            'plan-declaratie onvolledig: verwacht custom "plan" <rekening> "<titel>" <bedrag> EUR',
        )
    account, titel, amount = values[0], values[1], values[2]
    if not isinstance(account, str) or ":" not in account:
        return DirectiveError(entry.meta, f"plan-declaratie: {account!r} is geen rekening")
    if not isinstance(titel, str):
        return DirectiveError(entry.meta, f"plan-declaratie: titel ontbreekt voor {account}")
    if not isinstance(amount, Amount) or amount.number is None:
        return DirectiveError(entry.meta, f"plan-declaratie {account}: bedrag ontbreekt (bijv. 5000.00 EUR)")
    if amount.currency != currency:
        return DirectiveError(
            entry.meta, f"plan-declaratie {account}: budget in {amount.currency}, verwacht {currency}"
        )
    if amount.number < 0:
        return DirectiveError(entry.meta, f"plan-declaratie {account}: negatief budget {amount.number}")
    status = entry.meta.get("status", "gekozen")
    indiener = entry.meta.get("indiener")
    return PlanDeclaration(
        datum=entry.date,
        account=account,
        titel=titel,
        budget=amount.number,
        status=str(status),
        indiener=str(indiener) if indiener is not None else None,
        meta=entry.meta,
    )
