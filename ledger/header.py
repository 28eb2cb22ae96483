"""The directives that describe a buurtbudget: its header and its plans.

    2025-01-01 custom "buurtbudget" "K-buurt 2025"
      stadsdeel: "Zuidoost"
      buurt: "K-buurt"
      model: "C"
      begin: 2025-01-01
      einde: 2025-12-31

    2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin opknappen" 5000.00 EUR
      status: "gekozen"

Pure functions turn these directives into frozen pydantic values; what does not
fit becomes a `DirectiveError` that carries the entry's metadata (file, line).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Mapping

from beancount.core import data
from beancount.core.amount import Amount
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Model = Literal["A", "B", "C"]
Fase = Literal["ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten"]

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


class Header(BaseModel):
    """The `custom "buurtbudget"` header of a ledger."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    naam: str = Field(min_length=1)
    datum: datetime.date
    stadsdeel: str = Field(min_length=1)
    buurt: str = Field(min_length=1)
    model: Model
    begin: datetime.date
    einde: datetime.date
    beheerder: str | None = None
    iban: str | None = None
    fase: Fase | None = None
    prive_namen: tuple[str, ...] = Field(default=(), alias="prive-namen")
    overrides: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("begin", "einde", "datum", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, (int, float, Decimal)):
            raise ValueError("moet een datum zijn (JJJJ-MM-DD)")
        return value

    @field_validator("model", mode="before")
    @classmethod
    def _model_upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("iban")
    @classmethod
    def _valid_iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        try:
            return str(IBAN(value).compact)
        except SchwiftyException as exc:
            raise ValueError(f"'{value}' is geen geldig IBAN ({exc})") from exc

    @field_validator("prive_namen", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.replace(";", ",").split(",") if name.strip())
        return value

    @model_validator(mode="after")
    def _begin_before_einde(self) -> "Header":
        if self.begin > self.einde:
            raise ValueError(f"einde ({self.einde}) ligt vóór begin ({self.begin})")
        return self

    @property
    def model_naam(self) -> str:
        return MODEL_NAMES[self.model]


@dataclass(frozen=True, slots=True)
class DirectiveError:
    """What is wrong with a directive, and where it stands."""

    meta: Mapping[str, Any]
    message: str


# pydantic's messages are English; the people who read ours are not.
_DUTCH_ERRORS = {
    "string_too_short": "mag niet leeg zijn",
    "string_type": "moet tekst zijn (tussen aanhalingstekens)",
    "date_parsing": "is geen datum (schrijf JJJJ-MM-DD)",
    "date_from_datetime_parsing": "is geen datum (schrijf JJJJ-MM-DD)",
    "date_type": "is geen datum (schrijf JJJJ-MM-DD)",
    "less_than_equal": "moet ten hoogste {le} zijn",
    "greater_than_equal": "moet minstens {ge} zijn",
    "decimal_parsing": "moet een getal zijn",
    "decimal_type": "moet een getal zijn",
}


def describe_validation_error(exc: ValidationError) -> str:
    """A pydantic error in Dutch, one clause per field."""
    return _describe_validation_error(exc)


def _describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or ""
        field = _FIELD_NAMES_NL.get(loc, loc)
        msg = err["msg"].removeprefix("Value error, ")
        kind, ctx = err["type"], err.get("ctx") or {}
        if kind in _DUTCH_ERRORS:
            parts.append(f"'{field}': {_DUTCH_ERRORS[kind].format(**ctx)}")
        elif err["type"] == "missing":
            parts.append(f"'{field}' ontbreekt")
        elif err["type"] == "literal_error" and loc == "model":
            parts.append(f"onbekend model {err.get('input')!r} (kies A, B of C)")
        elif err["type"] == "literal_error" and loc == "fase":
            parts.append(
                f"onbekende fase {err.get('input')!r} (ideeen, stemmen, uitvoering, verantwoording, afgesloten)"
            )
        elif loc:
            parts.append(f"'{field}': {msg}")
        else:
            parts.append(msg)
    return "; ".join(parts)


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
        return DirectiveError(entry.meta, "ongeldige kop: " + _describe_validation_error(exc))
    return header


class PlanDeclaration(BaseModel):
    """One `custom "plan"` directive: a plan and its approved budget from a date on."""

    model_config = ConfigDict(frozen=True)

    datum: datetime.date
    account: str
    titel: str
    budget: Decimal = Field(ge=0)
    status: str = "gekozen"
    indiener: str | None = None
    meta: Mapping[str, Any] = Field(default_factory=dict, exclude=True, repr=False)


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
