"""Reading a buurtbudget ledger from disk.

`read_ledger(path)` loads the file with beancount (and so with `plugin "rules"`
when the ledger asks for it) and returns the entries, every error, and the view. A file that cannot be read
at all raises `LedgerReadError` with a Dutch message; nothing else raises.

Every load is `laad_bronnen`: beancount's own steps without its pickle cache
(nothing a user can place in a workspace is ever unpickled), and optionally
with some source files' new contents, which is how the writer judges a change.
"""

from __future__ import annotations

import datetime
import glob
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from beancount import loader
from beancount.core import data
from beancount.loader import LoadError
from beancount.ops import validation
from beancount.parser import booking, options, parser

from ledger.view import Buurtbudget, build_view


class LedgerReadError(Exception):
    """A ledger file that cannot be read at all (missing, not text, not beancount)."""

    def __init__(self, path: str | os.PathLike, message: str, lineno: int = 0):
        super().__init__(f"{path}: {message}")
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
        raw = path.read_bytes()
    except OSError as exc:
        raise LedgerReadError(path, f"kan het bestand niet lezen ({exc.strerror})") from exc
    if b"\x00" in raw[:8192]:
        raise LedgerReadError(path, "is geen tekstbestand (binaire inhoud); verwacht een beancount-ledger", 1)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LedgerReadError(path, "is geen geldige UTF-8-tekst; verwacht een beancount-ledger", line) from exc


def resolve_ledger_path(path: str | os.PathLike) -> Path:
    """A ledger file, or a buurtbudget folder holding main.beancount."""
    p = Path(path)
    if p.is_dir() and (p / "main.beancount").is_file():
        return p / "main.beancount"
    return p


def uses_rules_plugin(options_map: dict[str, Any]) -> bool:
    return any(name == "rules" for name, _ in options_map.get("plugin", []))


def load_entries(path: str | os.PathLike) -> tuple[list, list, dict]:
    """beancount's own load, after checking the file can be read at all.

    Never through beancount's pickle cache: that would unpickle a
    `.main.beancount.picklecache` anyone could place beside the ledger.
    """
    p = resolve_ledger_path(path)
    _check_readable(p)
    loaded = laad_bronnen(Path(os.path.abspath(p)))  # as beancount names it: not resolved
    entries, errors, options_map = loaded.entries, loaded.errors, loaded.options_map
    syntax = [e for e in errors if type(e).__name__ in _SYNTAX_ERRORS]
    if not entries and syntax and len(syntax) == len(errors):
        # Nothing at all could be read: this is not a beancount ledger.
        first = syntax[0]
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
    view = build_view(entries, options_map, tot=tot, peildatum=peildatum)
    return LoadedLedger(p.resolve(), entries, list(errors), options_map, view)


# --------------------------------------------------------------------------- loading with changed sources


@dataclass(frozen=True)
class Bronnen:
    """One full load of a ledger, with the exact bytes of every source file it read."""

    entries: list[data.Directive]
    errors: list[Any]
    options_map: dict[str, Any]
    bytes_: dict[Path, bytes]  # every file parsed (main first), by absolute path


def laad_bronnen(hoofd: Path, vervangen: Mapping[Path, bytes] | None = None) -> Bronnen:
    """beancount's full load of `hoofd`, with some files' contents replaced by `vervangen`.

    The same steps as `beancount.loader.load_file` (parse every file and its
    includes, sort, book, run the plugins, validate), except that each source is
    read once, here, and parsed from those bytes: a file in `vervangen` is parsed
    from the new bytes under its own name, so entries and errors name the real
    files and lines, and the plugins (the rules) find `regels.toml` and the
    receipts exactly as for the file on disk. No cache is read or written.
    """
    vervangen = {Path(k): v for k, v in (vervangen or {}).items()}
    entries: list = []
    errors: list = []
    options_map: dict | None = None
    others: list[dict] = []
    seen: dict[Path, bytes] = {}
    stack: list[Path] = [Path(os.path.normpath(hoofd))]
    while stack:
        name = stack.pop(0)
        if name in seen:
            errors.append(LoadError(data.new_metadata("<load>", 0), f'Duplicate filename parsed: "{name}"'))
            continue
        if name in vervangen:
            raw = vervangen[name]
        else:
            try:
                raw = name.read_bytes()
            except OSError:
                errors.append(LoadError(data.new_metadata("<load>", 0), f'File "{name}" does not exist'))
                continue
        seen[name] = raw
        src_entries, src_errors, src_options = parser.parse_file(io.BytesIO(raw), report_filename=str(name))
        entries.extend(src_entries)
        errors.extend(src_errors)
        if options_map is None:
            options_map = src_options
        else:
            others.append(src_options)
        for include in src_options["include"]:
            pattern = include if os.path.isabs(include) else os.path.join(name.parent, include)
            found = sorted(glob.glob(pattern, recursive=True)) or (
                [pattern] if Path(os.path.normpath(pattern)) in vervangen else [])
            if not found:
                errors.append(LoadError(data.new_metadata("<load>", 0),
                                        f'File glob "{include}" does not match any files'))
            stack.extend(Path(os.path.normpath(os.path.join(name.parent, f))) for f in found)
    if options_map is None:  # pragma: no cover - the main file always parses to an options map
        options_map = options.OPTIONS_DEFAULTS.copy()
    options_map["include"] = sorted(str(p) for p in seen)
    options_map = loader.aggregate_options_map(options_map, others)
    entries.sort(key=data.entry_sortkey)
    entries, booking_errors = booking.book(entries, options_map)
    errors.extend(booking_errors)
    saved = list(sys.path)
    try:
        sys.path[0:0] = options_map.get("pythonpath", [])
        entries, errors = loader.run_transformations(entries, errors, options_map, None)
    finally:
        sys.path[:] = saved
    errors.extend(validation.validate(entries, options_map, None, None))
    options_map["input_hash"] = loader.compute_input_hash(options_map["include"])
    return Bronnen(entries, list(errors), options_map, seen)
