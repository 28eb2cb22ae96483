"""The directives that describe a buurtbudget: its header and its plans.

    2025-01-01 custom "buurtbudget" "K-buurt 2025"
      stadsdeel: "Zuidoost"
      buurt: "K-buurt"
      model: "C"
      begin: 2025-01-01
      einde: 2025-12-31

    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 5000.00 EUR
      status: "gekozen"

Pure functions turn these directives into frozen values; what does not fit
becomes a `DirectiveError` that carries the entry's metadata (file, line). The
header is a boundary (a directive of a ledger anyone may have written), so it
is a pydantic model; `describe_validation_error` says pydantic's findings in
Dutch, one clause per problem. A plan stays a plain frozen dataclass, checked
by `parse_plan`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal, Mapping, get_args

from beancount.core import data
from beancount.core.amount import Amount
from pydantic import (
    AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, ValidationInfo, field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

Model = Literal["A", "B", "C"]
Fase = Literal["ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten"]
MODELS: tuple[str, ...] = get_args(Model)
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

_FIELD_NAMES_NL = {
    "naam": "naam (het tweede argument)",
    "stadsdeel": "stadsdeel",
    "buurt": "buurt",
    "model": "model",
    "begin": "begin",
    "einde": "einde",
    "iban": "iban",
    "fase": "fase",
    "ondersteuning_max": "ondersteuning-max",
    "bon_vanaf": "bon-vanaf",
    "vier_ogen_vanaf": "vier-ogen-vanaf",
    "uurtarief_max": "uurtarief-max",
}


# The kinds of error our own validators raise: a clause about one field ("'iban': ..."), or a whole sentence.
_VELD = "buurtbudget_veld"
_ZIN = "buurtbudget_zin"

# Text in quotes: a number or a date where text belongs is an error, not quietly made text.
_Tekst = Annotated[str, StringConstraints(strict=True, min_length=1)]
_TekstOfNiets = Annotated[str | None, Field(strict=True)]

# pydantic's messages are English; the people who read ours are not. One Dutch text per kind of error.
_DUTCH_ERRORS = {
    "string_type": "moet tekst zijn (tussen aanhalingstekens)",
    "string_too_short": "mag niet leeg zijn",
    "date_type": "is geen datum (schrijf JJJJ-MM-DD)",
    "decimal_type": "moet een getal zijn",
    "decimal_parsing": "moet een getal zijn",
    "finite_number": "moet een getal zijn",
    "greater_than_equal": "moet minstens {ge} zijn",
    "less_than_equal": "moet ten hoogste {le} zijn",
    "tuple_type": "moet een lijst zijn",
    "iterable_type": "moet een lijst zijn",
}
_LITERAL_ERRORS = {
    "model": "onbekend model {input!r} (kies A, B of C)",
    "fase": "onbekende fase {input!r} (" + ", ".join(get_args(Fase)) + ")",
}


def validation_clauses(exc: ValidationError) -> list[str]:
    """What pydantic found wrong, in Dutch: one clause per problem, in field order (unknown keys first)."""
    clauses: list[str] = []
    unknown: list[str] = []
    for err in exc.errors(include_url=False):
        key = str(err["loc"][0]) if err["loc"] else ""
        name, kind = _FIELD_NAMES_NL.get(key, key), err["type"]
        if kind == "extra_forbidden":
            unknown.append(key)
        elif kind == _ZIN or not key:
            clauses.append(err["msg"].removeprefix("Value error, "))
        elif kind == "missing":
            clauses.append(f"'{name}' ontbreekt")
        elif kind == "literal_error" and key in _LITERAL_ERRORS:
            clauses.append(_LITERAL_ERRORS[key].format(input=err.get("input")))
        elif kind == _VELD:
            clauses.append(f"'{name}': {err['msg']}")
        elif kind in _DUTCH_ERRORS:
            clauses.append(f"'{name}': {_DUTCH_ERRORS[kind].format(**err.get('ctx', {}))}")
        else:  # a kind this table does not know yet: still Dutch, still naming the field
            clauses.append(f"'{name}': ongeldige waarde {err.get('input')!r}")
    if unknown:
        clauses.insert(0, f"onbekende sleutel(s): {', '.join(sorted(unknown))}")
    return clauses


def describe_validation_error(exc: ValidationError) -> str:
    """The problems of a value, in Dutch, one clause each."""
    return "; ".join(validation_clauses(exc))


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
    raise PydanticCustomError(_VELD, "is geen datum (schrijf JJJJ-MM-DD)")


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


class Header(BaseModel):
    """The `custom "buurtbudget"` header of a ledger, checked by pydantic (unknown keys are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    naam: _Tekst
    datum: datetime.date
    stadsdeel: _Tekst
    buurt: _Tekst
    model: Model
    begin: datetime.date
    einde: datetime.date
    beheerder: _TekstOfNiets = None
    iban: _TekstOfNiets = None
    fase: Fase | None = None
    prive_namen: tuple[str, ...] = Field((), validation_alias=AliasChoices("prive-namen", "prive_namen"))
    # Pairs, not a dict: a frozen header stays hashable; `dict(header.overrides)` gives the mapping.
    overrides: tuple[tuple[str, Decimal], ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _none_is_missing(cls, values: Any) -> Any:
        # Beancount and the CLI say "not given" with None: a required field is then missing, not of the wrong type.
        if isinstance(values, Mapping):
            return {key: value for key, value in values.items() if value is not None}
        return values

    @field_validator("datum", "begin", "einde", mode="before")
    @classmethod
    def _datum(cls, value: Any) -> datetime.date:
        return _as_date(value)

    @field_validator("model", mode="before")
    @classmethod
    def _model_hoofdletter(cls, value: Any) -> Any:
        # "b" and " B " are model B; anything else stays as written, so the message shows what the ledger says.
        if isinstance(value, str) and value.strip().upper() in MODELS:
            return value.strip().upper()
        return value

    @field_validator("einde")
    @classmethod
    def _einde_na_begin(cls, einde: datetime.date, info: ValidationInfo) -> datetime.date:
        # A field validator, not a model validator: it speaks even when another field is wrong too.
        begin = info.data.get("begin")
        if begin is not None and begin > einde:
            raise PydanticCustomError(_ZIN, "einde ({einde}) ligt vóór begin ({begin})",
                                      {"einde": str(einde), "begin": str(begin)})
        return einde

    @field_validator("iban")
    @classmethod
    def _iban(cls, iban: str | None) -> str | None:
        if iban is None:
            return None
        why = iban_fout(iban)
        if why:
            raise PydanticCustomError(_VELD, "'{iban}' is geen geldig IBAN ({why})", {"iban": iban, "why": why})
        return iban.replace(" ", "").upper()

    @field_validator("prive_namen", mode="before")
    @classmethod
    def _namen(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.replace(";", ",").split(",") if name.strip())
        return value

    @field_validator("overrides", mode="before")
    @classmethod
    def _paren(cls, value: Any) -> Any:
        return tuple(value.items()) if isinstance(value, Mapping) else value

    @property
    def model_naam(self) -> str:
        return MODEL_NAMES[self.model]


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
        header = Header.model_validate(
            {**meta, "naam": naam, "datum": entry.date, "overrides": overrides}
        )
    except ValidationError as exc:
        return DirectiveError(entry.meta, "ongeldige kop: " + describe_validation_error(exc))
    return header


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
