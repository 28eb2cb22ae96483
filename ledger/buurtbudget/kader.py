"""The city framework (kader): the defaults every rule starts from.

A ledger's header overrides a value for that ledger (`ondersteuning-max: 0.10`);
a stadsdeel narrows or widens the categories in a rules file at the workspace
root (`regels.toml`):

    [stadsdeel.West]
    categorieen = ["Materiaal", "Activiteiten", "Huur"]   # replaces the list
    extra-categorieen = ["Vervoer"]                       # adds to it
    uurtarief-max = "45.00"

Categories that the kader never allows (`Alcohol`, `Salaris`, ...) cannot be
widened back in: a rules file that tries is an error.

`Kader` is a frozen dataclass; every number in it passes one bounds policy
(`kader_getal`), whether it comes from a header's overrides (`with_overrides`)
or from the rules file. The rules file is read through a pydantic model
(`ledger.buurtbudget.regelbestand_model`), imported only when a workspace has
one: a load without it never imports pydantic.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout, WaardeFout

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Mapping


DEFAULT_CATEGORIES: tuple[str, ...] = (
    "Materiaal",
    "Activiteiten",
    "Huur",
    "Communicatie",
    "Inhuur",
    "Vrijwilligers",
    "Catering",
    "Onderhoud",
    "Verzekering",
)
FORBIDDEN_CATEGORIES: tuple[str, ...] = ("Alcohol", "Salaris", "Boete", "Gift", "Rente", "Prive")

RULES_FILE_NAME = "regels.toml"

# The kader's numbers and their bounds: each at least 0, and at most its upper bound where it has one.
GETALLEN: Mapping[str, Decimal | None] = MappingProxyType({
    "ondersteuning_max": Decimal(1),
    "bon_vanaf": None,
    "vier_ogen_vanaf": None,
    "uurtarief_max": None,
})


def kader_getal(veld: str, waarde: Any) -> Decimal:
    """One of the kader's numbers (`veld` as field name or as written, `bon-vanaf`), checked by its bounds.

    The one bounds policy: a header's overrides, `kader --waarde` and the rules file all ask it. A bool is
    no number (TOML's true, though Python counts it as 1); a float is read by its written digits, never its
    binary value; NaN and infinity are no numbers. Raises ValueError with a Dutch clause."""
    hoogste = GETALLEN[veld.replace("-", "_")]
    if isinstance(waarde, bool) or not isinstance(waarde, (Decimal, int, float, str)):
        raise ValueError("moet een getal zijn")
    try:
        getal = Decimal(repr(waarde)) if isinstance(waarde, float) else Decimal(waarde)
    except InvalidOperation:
        raise ValueError("moet een getal zijn") from None
    if not getal.is_finite():
        raise ValueError("moet een getal zijn")
    if getal < 0:
        raise ValueError("moet minstens 0 zijn")
    if hoogste is not None and getal > hoogste:
        raise ValueError(f"moet ten hoogste {hoogste} zijn")
    return getal


def _namen(waarde: Any) -> tuple[str, ...]:
    if isinstance(waarde, (list, tuple)) and all(isinstance(naam, str) for naam in waarde):
        return tuple(waarde)
    raise ValueError("moet een lijst van namen zijn")


def _tekst(waarde: Any) -> str:
    if isinstance(waarde, str):
        return waarde
    raise ValueError("moet tekst zijn (tussen aanhalingstekens)")


@dataclass(frozen=True, slots=True)
class Kader:
    """The parameters of the rules, with the city's defaults. Values from outside go through `with_overrides`."""

    ondersteuning_max: Decimal = Decimal("0.08")
    bon_vanaf: Decimal = Decimal("0.00")
    vier_ogen_vanaf: Decimal = Decimal("500.00")
    uurtarief_max: Decimal = Decimal("50.00")
    categorieen: tuple[str, ...] = DEFAULT_CATEGORIES
    verboden: tuple[str, ...] = FORBIDDEN_CATEGORIES
    bron: str = "kader (standaard)"

    def category_allowed(self, category: str) -> bool:
        folded = category.casefold()
        if any(folded == bad.casefold() for bad in self.verboden):
            return False
        return any(folded == ok.casefold() for ok in self.categorieen)

    def category_forbidden(self, category: str) -> bool:
        return any(category.casefold() == bad.casefold() for bad in self.verboden)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Kader:
        """This kader with some values replaced (keys as written, `bon-vanaf`, or as fields), each checked:
        a `WaardeFout` says every problem, unknown keys first, then in field order. Pure."""
        by_field = {key.replace("-", "_"): (key, value) for key, value in overrides.items()}
        unknown = sorted(key for name, (key, _) in by_field.items() if name not in _CHECKS)
        clauses = [f"onbekende sleutel(s): {', '.join(unknown)}"] if unknown else []
        changes: dict[str, Any] = {}
        for name, check in _CHECKS.items():
            if name in by_field:
                try:
                    changes[name] = check(name, by_field[name][1])
                except ValueError as exc:
                    clauses.append(f"'{name.replace('_', '-')}': {exc}")
        if clauses:
            raise WaardeFout(clauses)
        return dataclasses.replace(self, **changes)


# How each field of the kader is checked, in field order.
_CHECKS = {
    **{name: kader_getal for name in GETALLEN},
    "categorieen": lambda _, waarde: _namen(waarde),
    "verboden": lambda _, waarde: _namen(waarde),
    "bron": lambda _, waarde: _tekst(waarde),
}


class RulesFileError(Fout, ValueError):
    """A stadsdeel rules file that cannot be used; names file and, where known, line.

    `path` is where the problem stands: the rules file itself, or (for a path the
    plugin line names that cannot be used) the ledger file with the plugin line.
    """

    def __init__(self, path: Path, message: str, lineno: int = 1, *, in_regelbestand: bool = True):
        super().__init__(message, bestand=str(path), regel=lineno)
        self.path = path
        self.lineno = lineno
        self.in_regelbestand = in_regelbestand

    @property
    def melding(self) -> str:
        """The Dutch message as a rule reports it."""
        return f"regelbestand {self.path.name}: {self}" if self.in_regelbestand else str(self)


def _apply_section(kader: Kader, section: dict[str, Any], path: Path, where: str) -> Kader:
    # Here, not at the top: only a workspace with a rules file pays for pydantic.
    from pydantic import ValidationError

    from ledger.buurtbudget.regelbestand_model import KaderSectie, describe_validation_error, unknown_keys

    try:
        sectie = KaderSectie.model_validate(section)
    except ValidationError as exc:
        unknown = unknown_keys(exc)
        if unknown:
            raise RulesFileError(path, f"onbekende sleutel(s) in {where}: {', '.join(unknown)}") from exc
        raise RulesFileError(path, f"ongeldige waarde in {where}: {describe_validation_error(exc)}") from exc
    categories = list(kader.categorieen if sectie.categorieen is None else sectie.categorieen)
    for extra in sectie.extra_categorieen:
        if extra not in categories:
            categories.append(extra)
    for category in categories:
        if not isinstance(category, str) or not category.isidentifier() or not category[:1].isupper():
            raise RulesFileError(path, f"ongeldige categorie {category!r} in {where}")
        if kader.category_forbidden(category):
            raise RulesFileError(
                path, f"categorie '{category}' in {where} is volgens het kader nooit toegestaan"
            )
    numbers = {name: getattr(sectie, name) for name in GETALLEN if getattr(sectie, name) is not None}
    return dataclasses.replace(kader, **numbers, categorieen=tuple(categories), bron=f"{path.name} ({where})")


@dataclass(frozen=True)
class Regelbestand:
    """A stadsdeel's rules file as read from disk: the one input of the kader from outside the ledger.

    Read once per evaluation (`lees_regelbestand`); turning it into a `Kader`
    (`kader_voor`) is pure, so the view never touches the disk.
    """

    path: Path | None = None
    data: Mapping[str, Any] | None = None  # the parsed TOML; None: no rules file
    fout: RulesFileError | None = None  # a file that exists but cannot be used

    GEEN: ClassVar["Regelbestand"]


Regelbestand.GEEN = Regelbestand()


def _lees(rules_file: Path | None) -> Regelbestand:
    if rules_file is None:
        return Regelbestand.GEEN
    import tomllib  # here: only a workspace with a rules file pays for the import

    text = ""
    try:
        text = rules_file.read_text(encoding="utf-8")
        return Regelbestand(rules_file, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError has no lineno; its message ends "(at line N, column M)".
        found = re.search(r"line (\d+)", str(exc))
        lineno = getattr(exc, "lineno", None) or (int(found.group(1)) if found else 1)
        if "end of document" in str(exc):
            lineno = max(1, len(text.splitlines()))
        return Regelbestand(rules_file, None, RulesFileError(rules_file, f"geen geldige TOML: {exc}", lineno))
    except (OSError, UnicodeDecodeError) as exc:
        return Regelbestand(rules_file, None, RulesFileError(rules_file, f"kan het regelbestand niet lezen: {exc}"))


# --------------------------------------------------------------------------- finding the rules file
#
# One place says which rules file a ledger uses (`find_rules_file`); every reader
# (the plugin, `check`, the view, the Fava extension, the report's sources, the
# service's watcher and public copy) asks it. The plugin line's config wins;
# without one, `regels.toml` beside the ledger, else at the workspace root.


def regels_config(options_map: Mapping[str, Any]) -> str | None:
    """The rules file named by the ledger's `plugin "rules" "<file>"` line (or a single rule's), if any."""
    for name, config in options_map.get("plugin", []):
        if (name == "rules" or name.startswith("rules.")) and config:
            return config
    return None


def uses_rules_plugin(options_map: Mapping[str, Any]) -> bool:
    """Whether the ledger runs every rule itself (`plugin "rules"`), as `bean-check` would."""
    return any(name == "rules" for name, _ in options_map.get("plugin", []))


def werkmap(ledger_file: str | Path) -> Path:
    """The workspace a ledger belongs to: the folder above its own (`workspace/<slug>/main.beancount`)."""
    return Path(ledger_file).resolve().parent.parent


def _plugin_regel(ledger_file: Path, config: str) -> int:
    """The line of the plugin directive that names `config` (1 when it cannot be found)."""
    pattern = re.compile(r'\s*plugin\s+"rules[\w.]*"\s+"((?:[^"\\]|\\.)*)"')
    try:
        lines = ledger_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    for n, line in enumerate(lines, start=1):
        match = pattern.match(line)
        if match and match.group(1).replace('\\"', '"').replace("\\\\", "\\") == config:
            return n
    return 1


def find_rules_file(ledger_file: str | Path, config: str | None = None) -> Path | None:
    """The rules file for a ledger: the plugin's config path, else `regels.toml` beside it or at the workspace root.

    A config path must name an existing `.toml` file inside the workspace (the
    ledger's folder or the folder above it, after `..` and symlinks): anything
    else raises `RulesFileError` at the plugin line, never a quiet fallback to
    the defaults. A path outside gets the same answer whether it exists or not,
    so the plugin line is no way to probe the server's files.
    """
    ledger_file = Path(ledger_file)
    ledger_dir = ledger_file.resolve().parent
    if config:
        def fout(why: str) -> RulesFileError:
            return RulesFileError(ledger_file, f'plugin "rules" "{config}": {why}', _plugin_regel(ledger_file, config),
                                  in_regelbestand=False)

        candidate = Path(config) if Path(config).is_absolute() else ledger_dir / config
        candidate = candidate.resolve()
        root = werkmap(ledger_file)
        if candidate.suffix != ".toml" or root not in candidate.parents:
            raise fout("het regelbestand moet een .toml-bestand in de werkmap van dit buurtbudget zijn "
                       "(de map van de ledger of de map daarboven); dit pad valt erbuiten, het kader is niet bepaald")
        if not candidate.is_file():
            raise fout("dit regelbestand bestaat niet; zonder het regelbestand dat de plugin noemt is het kader "
                       "niet bepaald")
        return candidate
    for folder in (ledger_dir, ledger_dir.parent):
        candidate = folder / RULES_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def te_volgen_regelbestanden(ledger_file: str | Path, config: str | None = None) -> tuple[Path, ...]:
    """Every path whose change can change the ledger's kader (for a watcher): the config path,
    or both places `regels.toml` may appear."""
    ledger_dir = Path(ledger_file).resolve().parent
    if config:
        return ((Path(config) if Path(config).is_absolute() else ledger_dir / config),)
    return (ledger_dir / RULES_FILE_NAME, ledger_dir.parent / RULES_FILE_NAME)


def lees_regelbestand(ledger_file: str | Path | None, config: str | None = None) -> Regelbestand:
    """The one place that finds and reads the rules file of a ledger (see `find_rules_file`)."""
    if not ledger_file or str(ledger_file).startswith("<"):
        return Regelbestand.GEEN  # a ledger read from a string has no folder, so no workspace
    try:
        return _lees(find_rules_file(ledger_file, config))
    except RulesFileError as exc:
        return Regelbestand(None, None, exc)


def regels_van(options_map: Mapping[str, Any]) -> Regelbestand:
    """The rules file of a loaded ledger, as its plugin line says (see `find_rules_file`)."""
    return lees_regelbestand(options_map.get("filename"), regels_config(options_map))


def regelbestand_pad(options_map: Mapping[str, Any]) -> Path | None:
    """The rules file that applies to a loaded ledger, or None (none, or a plugin path that cannot be used)."""
    filename = options_map.get("filename")
    if not filename or str(filename).startswith("<"):
        return None
    try:
        return find_rules_file(filename, regels_config(options_map))
    except RulesFileError:
        return None


def kader_voor(regelbestand: Regelbestand, stadsdeel: str | None) -> Kader:
    """The kader that applies to a stadsdeel: defaults, then `[kader]`, then `[stadsdeel.X]`. Pure."""
    if regelbestand.fout is not None:
        raise regelbestand.fout
    kader = Kader()
    data, path = regelbestand.data, regelbestand.path
    if data is None or path is None:
        return kader
    if "kader" in data:
        kader = _apply_section(kader, data["kader"], path, "[kader]")
    sections = data.get("stadsdeel", {})
    if stadsdeel and stadsdeel in sections:
        kader = _apply_section(kader, sections[stadsdeel], path, f"[stadsdeel.{stadsdeel}]")
    return kader
