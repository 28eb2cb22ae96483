"""One section of a stadsdeel's rules file (`regels.toml`), read by pydantic.

The rules file is a boundary: a file of its own that anyone with the workspace
may have written. Its sections (`[kader]`, `[stadsdeel.X]`) are checked by a
pydantic model, and pydantic's findings are said in Dutch, one clause per
problem (`validation_clauses`). The numbers pass the kader's one bounds policy
(`ledger.buurtbudget.kader.kader_getal`), as a header's overrides do.

Imported only by `kader._apply_section`, when a workspace has a rules file: a
load without one never imports pydantic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ledger.buurtbudget.kader import GETALLEN, kader_getal

# The kind of error our own validators raise: a clause about one field ("'bon-vanaf': ...").
_VELD = "buurtbudget_veld"

# pydantic's messages are English; the people who read ours are not. One Dutch text per kind of error.
_DUTCH_ERRORS = {
    "string_type": "moet tekst zijn (tussen aanhalingstekens)",
    "string_too_short": "mag niet leeg zijn",
    "list_type": "moet een lijst zijn",
    "tuple_type": "moet een lijst zijn",
    "iterable_type": "moet een lijst zijn",
}


def _getal(name: str) -> Any:
    return Field(None, alias=name.replace("_", "-"))


class KaderSectie(BaseModel):
    """`[kader]` or `[stadsdeel.X]` as written: keys with hyphens, nothing unknown; absent is None."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ondersteuning_max: Decimal | None = _getal("ondersteuning_max")
    bon_vanaf: Decimal | None = _getal("bon_vanaf")
    vier_ogen_vanaf: Decimal | None = _getal("vier_ogen_vanaf")
    uurtarief_max: Decimal | None = _getal("uurtarief_max")
    # The names are judged by the kader (`_apply_section`: a name, never a forbidden category).
    categorieen: list[Any] | None = None
    extra_categorieen: list[Any] = Field([], alias="extra-categorieen")

    @field_validator(*GETALLEN, mode="before")
    @classmethod
    def _binnen_grenzen(cls, value: Any, info: ValidationInfo) -> Decimal:
        try:
            return kader_getal(info.field_name, value)
        except ValueError as exc:
            raise PydanticCustomError(_VELD, str(exc)) from None


def unknown_keys(exc: ValidationError) -> list[str]:
    """The keys pydantic refused as unknown, sorted."""
    return sorted(str(err["loc"][0]) for err in exc.errors(include_url=False) if err["type"] == "extra_forbidden")


def validation_clauses(exc: ValidationError) -> list[str]:
    """What pydantic found wrong, in Dutch: one clause per problem, in field order (unknown keys first)."""
    clauses: list[str] = []
    unknown = unknown_keys(exc)
    for err in exc.errors(include_url=False):
        name, kind = (str(err["loc"][0]) if err["loc"] else ""), err["type"]
        if kind == "extra_forbidden":
            continue
        if not name:
            clauses.append(err["msg"].removeprefix("Value error, "))
        elif kind == "missing":
            clauses.append(f"'{name}' ontbreekt")
        elif kind == _VELD:
            clauses.append(f"'{name}': {err['msg']}")
        elif kind in _DUTCH_ERRORS:
            clauses.append(f"'{name}': {_DUTCH_ERRORS[kind].format(**err.get('ctx', {}))}")
        else:  # a kind this table does not know yet: still Dutch, still naming the field
            clauses.append(f"'{name}': ongeldige waarde {err.get('input')!r}")
    if unknown:
        clauses.insert(0, f"onbekende sleutel(s): {', '.join(unknown)}")
    return clauses


def describe_validation_error(exc: ValidationError) -> str:
    """The problems of a value, in Dutch, one clause each."""
    return "; ".join(validation_clauses(exc))
