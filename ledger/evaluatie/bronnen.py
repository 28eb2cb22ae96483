"""One full load of a ledger, optionally with some source files' contents replaced.

`laad_bronnen(main, {path: new bytes})` is what the writer judges a change by:
beancount's own steps (`loader.load_file` without its pickle cache) on the
ledger as it would be with the change, without touching the files on disk.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Bronnen:
    """One full load of a ledger, with the exact bytes of every source file it read."""

    entries: list[data.Directive]
    errors: list[Any]
    options_map: dict[str, Any]
    bytes_: dict[Path, bytes]  # every file parsed (main first), by absolute path
    # every include directive as written, with the folder it is relative to and what it matched
    includes: tuple[tuple[Path, str, tuple[str, ...]], ...] = ()


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
    patterns: list[tuple[Path, str, tuple[str, ...]]] = []
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
            patterns.append((name.parent, include, tuple(found)))
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
    return Bronnen(entries, list(errors), options_map, seen, tuple(patterns))
