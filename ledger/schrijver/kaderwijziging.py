"""The kader is the stadsdeel's: once a ledger exists, its kader changes only by a reasoned command.

What sets the kader in a ledger: the header's fields that the rules read
(`KADER_VELDEN`: the ceiling, the receipt and four-eyes thresholds, the hourly
rate, the period, the stadsdeel whose section of the rules file applies) and the
`plugin` lines (which rules run, with which rules file). Every write goes
through `ledger.schrijver.schrijven`, and it refuses a change to any of them
(`kader_verschillen`) unless the change is `buurtbudget kader wijzigen`'s. That
command records what changed, why and who, on the header itself, as `--toch`
records a forced change:

    2025-01-01 custom "buurtbudget" "K-buurt 2025"
      ...
      ondersteuning-max: 0.10
      kader-wijziging: "ondersteuning-max: 0.08 -> 0.10"
      kader-reden: "besluit stadsdeel 12 maart, kenmerk ZO-2025-101"
      kader-door: "Joyce Sedney"

A second change gets `kader-wijziging-2:` and so on; the records are part of the
kader (removing one is a change of the kader too). `kaderwijzigingen(header)`
reads them back for `check` (a notice) and the statement. The stadsdeel's
`regels.toml` stays the one place that widens or narrows the kader for all
its ledgers; a header override is one ledger's exception, on the record.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout, WaardeFout

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from beancount.core import data

from ledger.buurtbudget.header import OVERRIDE_KEYS, header_entries

# The header's fields that set the kader (see the contract's header and the rules).
KADER_VELDEN: tuple[str, ...] = (*OVERRIDE_KEYS, "begin", "einde", "stadsdeel", "categorieen", "extra-categorieen")
RECORD = ("kader-wijziging", "kader-reden", "kader-door")
PLUGIN = "plugin"  # the name of the plugin lines as a field of the kader


@dataclass(frozen=True, slots=True)
class KaderVerschil:
    """One part of the kader that a change alters: the field, its value before and after (None: absent)."""

    veld: str
    oud: Any
    nieuw: Any

    def tekst(self) -> str:
        def show(value: Any) -> str:
            if value is None:
                return "(geen)"
            if isinstance(value, (list, tuple)):
                return ", ".join(" ".join(f'"{part}"' for part in line if part) for line in value) or "(geen)"
            return str(value)

        return f"{self.veld}: {show(self.oud)} -> {show(self.nieuw)}"


@dataclass(frozen=True, slots=True)
class KaderWijziging:
    """A recorded change of the kader, as the header carries it."""

    wijziging: str
    reden: str
    door: str
    meta: Mapping[str, Any]


def _is_record(key: str) -> bool:
    return any(key == name or (key.startswith(name + "-") and key[len(name) + 1:].isdigit()) for name in RECORD)


def _kader_van_kop(entry: data.Custom) -> dict[str, Any]:
    meta = entry.meta or {}
    return {key: value for key, value in meta.items() if key in KADER_VELDEN or _is_record(key)}


def _plugins(options_map: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((name, config or "") for name, config in options_map.get("plugin", []))


def kader_verschillen(voor_entries: Sequence[Any], voor_options: Mapping[str, Any],
                      na_entries: Sequence[Any], na_options: Mapping[str, Any]) -> tuple[KaderVerschil, ...]:
    """What a change alters of the kader: header fields, its records, the plugin lines. Pure.

    A ledger without a header before the change has no kader to keep yet (it is being made).
    """
    verschillen: list[KaderVerschil] = []
    if _plugins(voor_options) != _plugins(na_options):
        verschillen.append(KaderVerschil(PLUGIN, _plugins(voor_options), _plugins(na_options)))
    voor = header_entries(list(voor_entries))
    if not voor:
        return tuple(verschillen)
    na = header_entries(list(na_entries))
    if len(na) != len(voor):
        verschillen.append(KaderVerschil("kop", f"{len(voor)} kop(pen)", f"{len(na)} kop(pen)"))
        return tuple(verschillen)
    oud, nieuw = _kader_van_kop(voor[0]), _kader_van_kop(na[0])
    if voor[0].date != na[0].date:
        verschillen.append(KaderVerschil("datum van de kop", voor[0].date, na[0].date))
    for veld in sorted(set(oud) | set(nieuw), key=lambda k: (k not in KADER_VELDEN, k)):
        if oud.get(veld) != nieuw.get(veld):
            verschillen.append(KaderVerschil(veld, oud.get(veld), nieuw.get(veld)))
    return tuple(verschillen)


def kader_weigering(verschillen: Sequence[KaderVerschil]) -> str:
    """Why the writer refuses a change of the kader (Dutch)."""
    lijst = "; ".join(v.tekst() for v in verschillen)
    return (f"het kader van dit buurtbudget is van het stadsdeel en verandert niet met een gewone wijziging "
            f"({lijst}). Wijzig het met 'buurtbudget kader wijzigen LEDGER --veld ... --waarde ... --reden \"...\"' "
            "(vastgelegd in de kop, zichtbaar voor de controleur), of in het regelbestand van het stadsdeel; "
            "er is niets gewijzigd")


def volgende_sleutels(meta: Mapping[str, Any]) -> tuple[str, str, str]:
    """`kader-wijziging`/`-reden`/`-door`, or `-2`, `-3`... when the header has records already."""
    n = 1
    while f"kader-wijziging{'' if n == 1 else f'-{n}'}" in meta:
        n += 1
    achter = "" if n == 1 else f"-{n}"
    return tuple(f"{name}{achter}" for name in RECORD)  # type: ignore[return-value]


def kaderwijzigingen(header: data.Custom | None) -> tuple[KaderWijziging, ...]:
    """The recorded changes of the kader on a header, in the order they were made."""
    if header is None:
        return ()
    meta = header.meta or {}
    found: list[KaderWijziging] = []
    n = 1
    while True:
        achter = "" if n == 1 else f"-{n}"
        wat = meta.get(f"kader-wijziging{achter}")
        if wat is None:
            break
        found.append(KaderWijziging(str(wat), str(meta.get(f"kader-reden{achter}", "")),
                                    str(meta.get(f"kader-door{achter}", "")), meta))
        n += 1
    return tuple(found)


# --------------------------------------------------------------------------- the reasoned change

REGELBESTAND = "regelbestand"  # the rules file the plugin line names (its config)
VELDEN = (*OVERRIDE_KEYS, "begin", "einde", "stadsdeel", REGELBESTAND)


class KaderFout(Fout, ValueError):
    """A kader change that cannot be made as asked (Dutch); nothing was written."""


def _waarde(veld: str, waarde: str | None) -> Any:
    """The value as the header holds it (None: remove the field, back to the rules file's value)."""
    import datetime
    from decimal import Decimal, InvalidOperation

    from ledger.buurtbudget.kader import Kader

    if waarde is None:
        if veld not in OVERRIDE_KEYS and veld != REGELBESTAND:
            raise KaderFout(f"'{veld}' kan niet worden weggehaald; geef een nieuwe --waarde")
        return None
    waarde = waarde.strip()
    if veld in OVERRIDE_KEYS:
        try:
            number = Decimal(waarde.replace(",", "."))
        except InvalidOperation:
            raise KaderFout(f"--waarde '{waarde}' is geen getal (bijvoorbeeld 0.10 of 500.00)") from None
        try:
            Kader().with_overrides({veld: number})
        except WaardeFout as exc:
            raise KaderFout(f"--waarde voor {veld}: {exc}") from None
        return number
    if veld in ("begin", "einde"):
        try:
            return datetime.date.fromisoformat(waarde)
        except ValueError:
            raise KaderFout(f"--waarde '{waarde}' is geen datum; schrijf JJJJ-MM-DD") from None
    if not waarde:
        raise KaderFout(f"--waarde voor {veld} mag niet leeg zijn")
    return waarde


def _zonder_regels_van(stuk: str, veld: str) -> str:
    """The header's text without its metadata lines for `veld` (the first line is kept as it is)."""
    import re

    eerste, _, rest = stuk.partition("\n")
    weg = re.compile(rf"[ \t]+{re.escape(veld)}[ \t]*:")
    return eerste + "\n" + "".join(line for line in rest.splitlines(keepends=True) if not weg.match(line))


def _plugin_vervangen(tekst_: str, config: str | None) -> str:
    import re

    from ledger.buurtbudget import tekst

    regel = re.compile(r'^plugin[ \t]+"rules"(?:[ \t]+"(?:[^"\\\n]|\\.)*")?[ \t]*(?:;[^\n]*)?$', re.MULTILINE)
    gevonden = list(regel.finditer(tekst_))
    if len(gevonden) != 1:
        raise KaderFout('de ledger heeft niet precies één regel plugin "rules"; pas het regelbestand met de hand aan')
    m = gevonden[0]
    return tekst_[:m.start()] + tekst.plugin("rules", config).rstrip("\n") + tekst_[m.end():]


def maak_kaderwijziging(stand: Any, veld: str, waarde: str | None, reden: str, door: str):
    """The writer's change for `buurtbudget kader wijzigen`: the field in the header (or the plugin's
    rules file), and the record of what, why and who on the header. Raises `KaderFout`."""
    from pathlib import Path

    from beancount.parser import parser

    from ledger.buurtbudget import tekst
    from ledger.schrijver.bewerken import _line_start, _scan
    from ledger.buurtbudget.kader import RulesFileError, find_rules_file, regels_config
    from ledger.schrijver.schrijven import Wijziging

    if veld not in VELDEN:
        raise KaderFout(f"--veld '{veld}' is geen veld van het kader; kies uit: {', '.join(VELDEN)}")
    reden = " ".join((reden or "").split())
    if not reden:
        raise KaderFout('een wijziging van het kader vraagt om een reden: --reden "waarom, met het besluit"')
    koppen = header_entries(list(stand.entries))
    if len(koppen) != 1:
        raise KaderFout('de ledger heeft niet precies één kop (custom "buurtbudget"); herstel die eerst')
    kop = koppen[0]
    nieuw = _waarde(veld, waarde)
    if veld == REGELBESTAND:
        oud = regels_config(stand.options_map)
        if nieuw is not None:
            try:
                find_rules_file(stand.pad, nieuw)
            except RulesFileError as exc:
                raise KaderFout(str(exc).replace(f'plugin "rules" "{nieuw}": ', f"--waarde '{nieuw}': ")) from None
    else:
        oud = kop.meta.get(veld)
    if oud == nieuw:
        raise KaderFout(f"{veld} is al {oud if oud is not None else '(niet gezet)'}; er is niets te wijzigen")

    pad = Path(kop.meta["filename"])
    text = stand.tekst_van(pad)
    begin = _line_start(text, kop.meta["lineno"])
    _kop_einde, einde = _scan(text, begin)
    stuk = text[begin:einde]
    eol_weg = not stuk.endswith("\n")
    if eol_weg:
        stuk += "\n"
    if veld != REGELBESTAND:
        stuk = _zonder_regels_van(stuk, veld)
        if nieuw is not None:
            stuk += tekst.meta_line(veld, nieuw)
    wat = KaderVerschil(veld, oud, nieuw).tekst()
    sleutels = volgende_sleutels(kop.meta)
    for key, value in zip(sleutels, (wat, reden, door)):
        stuk += tekst.meta_line(key, value)
    if eol_weg:
        stuk = stuk[:-1]
    nieuwe_tekst = text[:begin] + stuk + text[einde:]

    # The header read back must be the old one with exactly this field and this record changed.
    verwacht = {k: v for k, v in kop.meta.items() if k not in ("filename", "lineno") and not k.startswith("__")}
    if veld != REGELBESTAND:
        verwacht.pop(veld, None)
        if nieuw is not None:
            verwacht[veld] = nieuw
    verwacht.update(zip(sleutels, (wat, reden, door)))
    gelezen, fouten, _ = parser.parse_string(stuk)
    if fouten or len(gelezen) != 1 or {k: v for k, v in gelezen[0].meta.items()
                                        if k not in ("filename", "lineno")} != verwacht:
        raise KaderFout("de kop kon niet veilig worden aangepast; pas hem met de hand aan (er is niets gewijzigd)")

    vervang = [(pad, nieuwe_tekst)]
    if veld == REGELBESTAND:
        hoofd = nieuwe_tekst if Path(pad).resolve() == Path(stand.pad).resolve() else stand.tekst_van(stand.pad)
        hoofd = _plugin_vervangen(hoofd, nieuw)
        if Path(pad).resolve() == Path(stand.pad).resolve():
            vervang = [(pad, hoofd)]
        else:
            vervang.append((stand.pad, hoofd))
    return Wijziging(omschrijving=f"Kader gewijzigd: {wat}", vervang=tuple(vervang),
                     details=f"Reden: {reden}", kader=True)
