"""Reading a buurtbudget ledger from disk.

`read_ledger(path)` loads the file with beancount (and so with `plugin "rules"`
when the ledger asks for it) and returns the entries, every error, and the view
(the plugin's own evaluation when it ran; see `ledger.evaluatie.resultaat`). A file that
cannot be read at all raises `LedgerReadError` with a Dutch message; nothing
else raises. Loads never use beancount's pickle cache: it would write a file
inside the workspace, and a result loaded with the rules deferred must never be
what a later `bean-check` reads back.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import data

from ledger.evaluatie.resultaat import bewaarde
from ledger.buurtbudget.kader import uses_rules_plugin  # noqa: F401 - where callers found it before
from ledger.evaluatie.view import Buurtbudget, build_view


class LedgerReadError(Fout):
    """A ledger file that cannot be read at all (missing, not text, not beancount)."""

    def __init__(self, path: str | os.PathLike, message: str, lineno: int = 0):
        super().__init__(f"{path}: {message}", bestand=str(path), regel=lineno or None)
        self.path = str(path)
        self.message = message
        self.lineno = lineno


@dataclass(frozen=True)
class LoadedLedger:
    path: Path
    entries: list[data.Directive]
    errors: list[Any]
    options_map: dict[str, Any]
    view: Buurtbudget

    @property
    def source_files(self) -> list[str]:
        return sorted(set(self.options_map.get("include", [])) or {str(self.path)})


_SYNTAX_ERRORS = {"LexerError", "ParserError", "ParserSyntaxError"}


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise LedgerReadError(path, "bestand bestaat niet")
    if path.is_dir():
        main = path / "main.beancount"
        if main.is_file():
            return
        raise LedgerReadError(path, "is een map zonder main.beancount")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise LedgerReadError(path, f"kan het bestand niet lezen ({exc.strerror})") from exc
    # No judgement of the bytes here: what beancount reads (a NUL in a comment, a byte that is no
    # UTF-8 outside a string) is read; what it cannot read it reports itself (`load_entries`).


def _binair(p: Path) -> bool:
    try:
        with open(p, "rb") as handle:
            return b"\x00" in handle.read(8192)
    except OSError:
        return False


def _herstel(p: Path) -> None:
    """A write of this ledger interrupted by a crash is finished or undone before anyone reads it.

    The one import of the writer in `ledger.evaluatie` (see its docstring and
    `tests/test_kamers.py`): the recovery is the writer's, and no read may skip it.
    """
    from ledger.schrijver.intentie import IntentieFout, herstel_als_nodig

    try:
        herstel_als_nodig(p.resolve())
    except IntentieFout as exc:
        raise LedgerReadError(p, str(exc).removeprefix(f"{p.resolve()}: ")) from exc


def resolve_ledger_path(path: str | os.PathLike) -> Path:
    """A ledger file, or a buurtbudget folder holding main.beancount."""
    p = Path(path)
    if p.is_dir() and (p / "main.beancount").is_file():
        return p / "main.beancount"
    return p


def load_entries(path: str | os.PathLike) -> tuple[list, list, dict]:
    """beancount's own load, after checking the file can be read at all."""
    p = resolve_ledger_path(path)
    _check_readable(p)
    _herstel(p)
    # What `loader.load_file` does without its cache (Fava loads the same way).
    entries, errors, options_map = loader._load([(str(p.resolve()), True)], None, None, None)  # noqa: SLF001
    syntax = [e for e in errors if type(e).__name__ in _SYNTAX_ERRORS]
    if not entries and syntax and len(syntax) == len(errors):
        # Nothing at all could be read: this is not a beancount ledger.
        first = syntax[0]
        if _binair(p):
            raise LedgerReadError(p, "is geen tekstbestand (binaire inhoud); verwacht een beancount-ledger",
                                  (first.source or {}).get("lineno", 0))
        raise LedgerReadError(
            p,
            "is geen beancount-ledger: geen enkele boeking of directive te lezen "
            f"({first.message.strip().splitlines()[0]})",
            (first.source or {}).get("lineno", 0),
        )
    return entries, errors, options_map


def read_ledger(
    path: str | os.PathLike,
    *,
    tot: datetime.date | None = None,
    peildatum: datetime.date | None = None,
) -> LoadedLedger:
    """Load a ledger and build its view (the rules run only if the ledger asks for them).

    Use `rules.checking.check_ledger` to be sure every rule ran.
    """
    p = resolve_ledger_path(path)
    entries, errors, options_map = load_entries(p)
    evaluatie = bewaarde(options_map, entries) if tot is None else None
    if evaluatie is not None:
        view = evaluatie.view.op(peildatum) if peildatum else evaluatie.view
    else:
        view = build_view(entries, options_map, tot=tot, peildatum=peildatum)
    return LoadedLedger(p.resolve(), entries, list(errors), options_map, view)
