"""The ledger's source files and their SHA-256, as printed on the cover.

Each file loaded for the ledger (beancount's `options_map["include"]`: the main
file and every file it includes) is hashed on its own. The combined hash is the
SHA-256 of the lines `sha256sum` prints for them, sorted by name relative to
the ledger's folder, so an auditor can check it with standard tools:

    cd k-buurt-2025 && sha256sum main.beancount | sha256sum
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping


@dataclass(frozen=True, slots=True)
class SourceFile:
    name: str  # relative to the ledger's folder, with forward slashes
    path: Path
    sha256: str
    size: int
    content: bytes


@dataclass(frozen=True, slots=True)
class Sources:
    files: tuple[SourceFile, ...]
    combined: str


def read_sources(ledger_file: str | os.PathLike, paths: Iterable[str | os.PathLike]) -> Sources:
    """Hash every source file once; the bytes are kept for the PDF attachments."""
    base = Path(ledger_file).resolve().parent
    files: list[SourceFile] = []
    for path in sorted({Path(p).resolve() for p in paths}):
        content = path.read_bytes()
        name = Path(os.path.relpath(path, base)).as_posix()
        files.append(SourceFile(name, path, hashlib.sha256(content).hexdigest(), len(content), content))
    files.sort(key=lambda f: f.name)
    return Sources(tuple(files), combined_sha256(files))


def combined_sha256(files: Iterable[SourceFile] | Iterable[tuple[str, str]]) -> str:
    """The one digest of a dossier: SHA-256 of the lines `sha256sum` prints, sorted by name.

    `files`: `SourceFile`s, or (name, sha256) pairs (what `verifieer` found in a PDF); the statement
    prints it, `verifieer` recomputes it, both by this function.
    """
    pairs = sorted((f.name, f.sha256) if isinstance(f, SourceFile) else tuple(f) for f in files)
    return hashlib.sha256("".join(f"{sha}  {name}\n" for name, sha in pairs).encode("utf-8")).hexdigest()


def statement_sources(ledger_file: str | os.PathLike, paths: Iterable[str | os.PathLike],
                      options_map: Mapping[str, Any]) -> Sources:
    """The sources of a statement: the files beancount loaded, plus the stadsdeel's rules file when
    one applies (it decides verdicts, so the dossier carries it and `verifieer` can judge again)."""
    from ledger.buurtbudget.kader import regelbestand_pad

    rules_file = regelbestand_pad(options_map)
    extra = [rules_file] if rules_file is not None else []
    return read_sources(ledger_file, [*paths, *extra])
