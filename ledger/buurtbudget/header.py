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
values are plain frozen dataclasses, checked field by field with Dutch
messages: a load that runs the rules pays no validation framework.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Mapping

from beancount.core import data
from beancount.core.amount import Amount

Model = Literal["A", "B", "C"]
Fase = Literal["ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten"]
MODELS = ("A", "B", "C")
FASES = ("ideeen", "stemmen", "uitvoering", "verantwoording", "afgesloten")
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


class ValidationError(ValueError):
    """Values that do not fit a model: one Dutch clause per problem (`clauses`)."""

    def __init__(self, clauses: list[str]):
        super().__init__("; ".join(clauses))
        self.clauses = tuple(clauses)


class _Checker:
    """Collects what is wrong with the fields of one value, in Dutch, in field order."""

    def __init__(self, values: Mapping[str, Any], names: Mapping[str, str]):
        self.values = values
        self.names = names
        self.clauses: list[str] = []

    def _name(self, key: str) -> str:
        return self.names.get(key, key)

    def fail(self, key: str | None, message: str) -> None:
        self.clauses.append(f"'{self._name(key)}': {message}" if key else message)

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.values.get(key)
        if value is None:
            if required:
                self.clauses.append(f"'{self._name(key)}' ontbreekt")
            return None
        if not isinstance(value, str):
            self.fail(key, "moet tekst zijn (tussen aanhalingstekens)")
            return None
        if required and not value:
            self.fail(key, "mag niet leeg zijn")
            return None
        return value

    def date(self, key: str) -> datetime.date | None:
        value = self.values.get(key)
        if value is None:
            self.clauses.append(f"'{self._name(key)}' ontbreekt")
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.fail(key, "is geen datum (schrijf JJJJ-MM-DD)")
        return None

    def number(self, key: str, default: Decimal, *, ge: Decimal | None = None, le: Decimal | None = None) -> Decimal:
        value = self.values.get(key, default)
        if isinstance(value, float):  # a TOML float would carry binary noise into an exact ceiling
            value = repr(value)
        if isinstance(value, bool):
            self.fail(key, "moet een getal zijn")
            return default
        try:
            number = Decimal(value) if not isinstance(value, Decimal) else value
        except (InvalidOperation, TypeError, ValueError):
            self.fail(key, "moet een getal zijn")
            return default
        if not number.is_finite():
            self.fail(key, "moet een getal zijn")
        elif ge is not None and number < ge:
            self.fail(key, f"moet minstens {ge} zijn")
        elif le is not None and number > le:
            self.fail(key, f"moet ten hoogste {le} zijn")
        return number

    def done(self) -> None:
        if self.clauses:
            raise ValidationError(self.clauses)


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
    """The `custom "buurtbudget"` header of a ledger."""

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
    overrides: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def model_validate(cls, values: Mapping[str, Any]) -> "Header":
        """Check every field (unknown keys are ignored); raises `ValidationError` with every problem."""
        check = _Checker(values, _FIELD_NAMES_NL)
        naam = check.text("naam")
        datum = check.date("datum")
        stadsdeel = check.text("stadsdeel")
        buurt = check.text("buurt")
        model = values.get("model")
        if model is None:
            check.clauses.append("'model' ontbreekt")
        else:
            model = model.strip().upper() if isinstance(model, str) else model
            if model not in MODELS:
                check.clauses.append(f"onbekend model {values.get('model')!r} (kies A, B of C)")
        begin, einde = check.date("begin"), check.date("einde")
        beheerder = check.text("beheerder", required=False)
        iban = check.text("iban", required=False)
        if iban is not None:
            why = iban_fout(iban)
            if why:
                check.fail("iban", f"'{iban}' is geen geldig IBAN ({why})")
            iban = iban.replace(" ", "").upper()
        fase = values.get("fase")
        if fase is not None and fase not in FASES:
            check.clauses.append(
                f"onbekende fase {fase!r} (ideeen, stemmen, uitvoering, verantwoording, afgesloten)"
            )
        names = values.get("prive-namen", values.get("prive_namen", ()))
        if isinstance(names, str):
            names = tuple(name.strip() for name in names.replace(";", ",").split(",") if name.strip())
        overrides = dict(values.get("overrides") or {})
        if begin and einde and begin > einde:
            check.clauses.append(f"einde ({einde}) ligt vóór begin ({begin})")
        check.done()
        return cls(naam, datum, stadsdeel, buurt, model, begin, einde, beheerder, iban, fase,
                   tuple(names), overrides)

    def model_copy(self, *, update: Mapping[str, Any]) -> "Header":
        return dataclasses.replace(self, **update)

    def model_dump(self, *, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in exclude}

    @property
    def model_naam(self) -> str:
        return MODEL_NAMES[self.model]


@dataclass(frozen=True, slots=True)
class DirectiveError:
    """What is wrong with a directive, and where it stands."""

    meta: Mapping[str, Any]
    message: str


def describe_validation_error(exc: ValidationError) -> str:
    """The problems of a value, in Dutch, one clause each."""
    return "; ".join(exc.clauses)


_describe_validation_error = describe_validation_error  # the name `init` knows


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
