"""Where a command may write a file of its own (a payment file, a statement, an export): never inside the books.

    doel = uitvoer_pad(Path("betaling.xml"), overschrijven=False)   # UitvoerFout (Dutch) otherwise

The one policy for every output path (`betaal -o`, `report -o`,
`report-stadsdeel -o`, `export -o`, `sleutel maken -o`). Judged on the path with every symlink
followed, so a link named `betaling.xml` that points at a ledger is that ledger.
Refused:

- a ledger's source (`*.beancount`, `*.bean`, any file a given ledger includes);
- a path inside a ledger's folder (a folder holding a `.beancount` file, at any
  depth above the target: its `documents/`, its subfolders);
- the workspace's control files (`regels.toml`, `gebruikers.toml`) and
  anything in a `.git` folder (hooks, config, the index);
- a folder;
- an existing file, unless `overschrijven` and (when given) `vervangbaar`
  says its first bytes are an earlier file of the same kind.

Payment files go, by default, to the workspace's `betalingen/` folder
(`standaard_betaalbestand`): beside the ledgers, never in them.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import os
from pathlib import Path
from typing import Callable, Iterable

LEDGER_SUFFIXES = (".beancount", ".bean")
CONTROLE_BESTANDEN = ("regels.toml", "gebruikers.toml")
BETAALMAP = "betalingen"


class UitvoerFout(Fout, ValueError):
    """An output path a command may not write (Dutch; names the path and says what to choose instead)."""


def is_ledgermap(folder: Path) -> bool:
    """Does `folder` hold a ledger (any `.beancount` or `.bean` file directly in it)?"""
    try:
        return any(naam.endswith(LEDGER_SUFFIXES) and (folder / naam).is_file() for naam in os.listdir(folder))
    except OSError:
        return False


def _git_map(folder: Path) -> bool:
    return folder.name == ".git" or ((folder / "HEAD").is_file() and (folder / "objects").is_dir()
                                     and (folder / "refs").is_dir())


def uitvoer_pad(
    uitvoer: str | os.PathLike,
    *,
    ledgers: Iterable[str | os.PathLike] = (),
    overschrijven: bool = False,
    vervangbaar: Callable[[bytes], bool] | None = None,
    wat: str = "uitvoerbestand",
    map_moet_bestaan: bool = False,
    bestaand: bool = True,
) -> Path:
    """The resolved path `uitvoer` may be written at; UitvoerFout (Dutch) when it lies in the books.

    `ledgers`: source files of the ledger at hand (its includes may lie outside
    its folder). `vervangbaar(first bytes)`: which existing file `--overschrijven`
    may replace (None: any that is not refused otherwise). `bestaand=False`
    leaves the existence check out (asked again when there is something to write).
    """
    doel = Path(uitvoer).expanduser()
    echt = doel.resolve()
    bronnen = {Path(p).resolve() for p in ledgers}
    if echt in bronnen or echt.name.endswith(LEDGER_SUFFIXES):
        raise UitvoerFout(f"{doel} is een ledgerbestand; het {wat} mag er niet overheen. Kies een ander pad, "
                          f"bijvoorbeeld in de map {BETAALMAP}/ van de werkruimte")
    if echt.name in CONTROLE_BESTANDEN:
        raise UitvoerFout(f"{doel} is een instellingenbestand van de werkruimte ({echt.name}); het {wat} mag er niet "
                          "overheen. Kies een ander pad")
    for map_ in (echt, *echt.parents):
        if _git_map(map_):
            raise UitvoerFout(f"{doel} ligt in de git-map {map_} (de geschiedenis van de boeken); het {wat} hoort daar "
                              "niet. Kies een pad buiten .git/")
    for map_ in echt.parents:
        if map_.name == "documents" and is_ledgermap(map_.parent):
            raise UitvoerFout(f"{doel} ligt in de bonnenmap {map_} van een buurtbudget; daar horen alleen bonnen. "
                              "Kies een pad buiten documents/")
        if is_ledgermap(map_) or map_ in {b.parent for b in bronnen}:
            raise UitvoerFout(f"{doel} ligt in de map {map_} van een buurtbudget; het {wat} hoort niet tussen de boeken. "
                              f"Kies een pad buiten die map, bijvoorbeeld {map_.parent / BETAALMAP}/")
    if echt.is_dir():
        raise UitvoerFout(f"{doel} is een map; geef een bestandsnaam, bijvoorbeeld {doel}/{_voorbeeld(wat)}")
    if map_moet_bestaan and not echt.parent.is_dir():
        raise UitvoerFout(f"{doel}: map {echt.parent} bestaat niet; maak hem eerst of kies een ander pad")
    if bestaand and (doel.is_symlink() or echt.exists()):
        if not overschrijven:
            raise UitvoerFout(f"{doel} bestaat al; kies een nieuwe naam of geef --overschrijven")
        if vervangbaar is not None:
            try:
                with open(echt, "rb") as handle:
                    begin = handle.read(4096)
            except OSError as exc:
                raise UitvoerFout(f"{doel} is niet leesbaar ({exc.strerror}); kies een ander pad") from exc
            if not vervangbaar(begin):
                raise UitvoerFout(f"{doel} is geen eerder {wat}; --overschrijven vervangt alleen zo'n bestand. "
                                  "Kies een ander pad")
    return echt


def _voorbeeld(wat: str) -> str:
    return "betaling.xml" if "betaal" in wat else "uitvoer.pdf"


def werkruimte_van(ledger: Path) -> Path:
    """The workspace of a ledger: the folder that holds its folder (one folder per buurtbudget)."""
    return Path(ledger).resolve().parent.parent


def standaard_betaalbestand(ledger: Path, datum: datetime.date) -> Path:
    """`<werkruimte>/betalingen/betaling-<buurtbudget>-<datum>.xml`, with -2, -3, … when that name is taken."""
    map_ = werkruimte_van(ledger) / BETAALMAP
    stam = f"betaling-{Path(ledger).resolve().parent.name}-{datum.isoformat()}"
    kandidaat = map_ / f"{stam}.xml"
    n = 2
    while kandidaat.exists() or kandidaat.is_symlink():
        kandidaat = map_ / f"{stam}-{n}.xml"
        n += 1
    return kandidaat
