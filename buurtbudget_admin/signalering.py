"""`buurtbudget signalen` without typer or rich: what the plain command runs.

Like `check`, it runs over whole workspaces (its cost against `check` is a benchmark
target, bench/bench_signalen.py): this module imports the loader, the rules and the
signals only. `commands_signalen` gives typer the same function for `--help`.
"""

from __future__ import annotations

import json
from pathlib import Path

from buurtbudget_admin.errors import UserError


def verzamel(paths: list[Path], geladen=None):
    """Load each ledger once (as `check` does) and read its payments, receipts and thresholds.

    `geladen`: a ledger its caller already loaded and checked (a statement's own), not loaded again.
    """
    from buurtbudget_admin.controle import _expand_workspaces
    from ledger.buurtbudget.kader import lees_regelbestand
    from ledger.evaluatie.loading import LedgerReadError
    from ledger.evaluatie.signalen import betalingen_van, gezien_van, kenmerken_van
    from rules.checking import check_ledger

    betalingen, kenmerken, drempels, markeringen = [], [], {}, []
    cache: dict = {}
    for path in _expand_workspaces(paths):
        try:
            if geladen is not None and Path(path).resolve() in (geladen.path, geladen.path.parent):
                loaded = geladen
            else:
                loaded, _problems = check_ledger(path)
        except LedgerReadError as exc:
            raise UserError(f"{exc.path}:{exc.lineno or 1}: {exc.message}")
        slug = loaded.path.parent.name
        view = loaded.view
        kenmerken.append(kenmerken_van(slug, view))
        betalingen += betalingen_van(slug, view, loaded.entries, loaded.options_map, cache)
        markeringen += gezien_van(slug, loaded.entries)
        regels = lees_regelbestand(loaded.path)
        drempels[slug] = drempels_uit(regels.data, regels.path, getattr(view.header, "stadsdeel", None))
    return betalingen, kenmerken, drempels, markeringen


def werkruimte_van(ledger: Path) -> list[Path]:
    """What a ledger's signals are computed over: its workspace (the folder above its own) when
    that holds other buurtbudgetten, else the ledger alone."""
    from ledger.evaluatie.loading import resolve_ledger_path

    pad = resolve_ledger_path(ledger)
    boven = pad.resolve().parent.parent
    anderen = [p for p in boven.glob("*/main.beancount") if p.is_file() and p.resolve() != pad.resolve()]
    return [boven] if anderen and pad.name == "main.beancount" else [pad]


def bereken(paden: list[Path], tot=None, geladen=None):
    """The signals over these ledgers/workspaces with their marks, the payments and the ledgers' kenmerken.

    `tot`: only the bookings and marks up to that date (a statement or overview `--tot`).
    """
    from ledger.evaluatie.signalen import met_gezien, signalen_van

    betalingen, kenmerken, drempels, markeringen = verzamel(paden, geladen)
    if tot is not None:
        betalingen = [b for b in betalingen if b.datum <= tot]
        markeringen = [g for g in markeringen if g.datum <= tot]
    return met_gezien(signalen_van(betalingen, kenmerken, drempels), markeringen), betalingen, kenmerken


def van_ledger(ledger: Path, tot=None, geladen=None):
    """The signals that involve this ledger, computed across its workspace (cross-ledger signals count).

    `geladen`: this ledger as its caller loaded and checked it (`rules.checking.check_ledger`).
    """
    slug = _slug(ledger)
    gevonden, betalingen, _ = bereken(werkruimte_van(ledger), tot, geladen)
    return [s for s in gevonden if slug in s.ledgers], betalingen


def _slug(ledger: Path) -> str:
    from ledger.evaluatie.loading import resolve_ledger_path

    return resolve_ledger_path(ledger).resolve().parent.name


def drempels_uit(data, path, stadsdeel):
    """`[signalen]` of the rules file, then `[signalen.<stadsdeel>]` over it."""
    from ledger.evaluatie.signalen import Drempels

    tabel = dict((data or {}).get("signalen", {}))
    per_stadsdeel = {k: tabel.pop(k) for k in list(tabel) if isinstance(tabel[k], dict)}
    try:
        if stadsdeel in per_stadsdeel:
            tabel.update(per_stadsdeel[stadsdeel])
        return Drempels.uit(tabel)
    except ValueError as exc:
        raise UserError(f"{path}: {exc}")


def signalen(paden: list[Path], output_format: str = "tekst") -> int:
    """Signalen: wat per boeking mag, maar samen verdacht is (dubbele bonnen, eigen rekeningen, ...).

    Signalen zijn waarschuwingen voor mensen, geen overtredingen: ze houden niets tegen.
    Exitcode 0, ook als er signalen zijn; 2 als een ledger niet te lezen is.
    """
    if output_format not in ("tekst", "json"):
        raise UserError(f"--format '{output_format}' onbekend; kies tekst of json")
    for path in paden:
        if not path.exists():
            raise UserError(f"{path}: bestaat niet")
    gevonden, _betalingen, kenmerken = bereken(paden)
    ledgers = sorted({k.ledger for k in kenmerken})
    if output_format == "json":
        print(json.dumps({"ledgers": ledgers, "signalen": [s.as_dict() for s in gevonden],
                          "aantal": len(gevonden)}, ensure_ascii=False, indent=2))
        return 0
    for s in gevonden:
        print(s.format())
    if gevonden:
        per_ernst = {e: sum(1 for s in gevonden if s.ernst == e) for e in ("hoog", "midden", "laag")}
        gezien = sum(1 for s in gevonden if s.gezien)
        print(f"{len(ledgers)} ledger(s): {len(gevonden)} signaal/signalen "
              f"(hoog {per_ernst['hoog']}, midden {per_ernst['midden']}, laag {per_ernst['laag']}"
              f"{f'; {gezien} gezien' if gezien else ''})")
    else:
        print(f"{len(ledgers)} ledger(s): geen signalen")
    return 0


def signalen_plain(args: list[str]) -> int | None:
    """`signalen PATH... [--format F]` as typer would run it; None: ask typer (help, odd options)."""
    from buurtbudget_admin.controle import plain_args

    parsed = plain_args(args)
    return None if parsed is None else signalen(*parsed)
