"""What the service knows of a workspace: each ledger's view, verdict and public copy.

A ledger is loaded (with every rule) once per change of its files, never per
request: a request only compares file stamps, and at most once per
`check_interval` seconds per ledger. On a change the ledger is checked again,
its public copy (see `ledger.publiek.redact`) is written again, and its version goes up.

The public copies live in a cache folder outside the workspace:

    <cache>/publiek/<slug>/regels.toml     copy of the rules file the ledger uses (same kader)
    <cache>/publiek/<slug>/main.beancount  the redacted ledger Fava serves at /buurt/<slug>/
    <cache>/publiek/<slug>/oordeel.json    the verdict of the real ledger, in public words
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from buurtbudget_admin.service.namen import SlugFout, slug_fout
from ledger.buurtbudget.kader import RULES_FILE_NAME, regelbestand_pad, regels_config, te_volgen_regelbestanden
from ledger.buurtbudget import tekst
from ledger.evaluatie.loading import LedgerReadError
from ledger.publiek.redact import KopieFout, redact_ledger
from ledger.schrijver.bestanden import atomic_write_bytes
from ledger.evaluatie.view import Buurtbudget
from rules import RULES_BY_CODE
from rules.checking import Problem, check_ledger

LEDGER_FILE = "main.beancount"
# What the public Fava shows over a copy: Dutch words and Dutch numbers (`35.000,00`, not `35000.00`),
# income and the saldo as positive amounts (the grant is 35.000,00, not -35.000,00; what is left of it
# is +2.699,25), opening on the Buurtbudget page.
PUBLIC_FAVA_OPTIONS = (("language", "nl"), ("locale", "nl_NL"), ("invert-income-liabilities-equity", "true"),
                       ("default-page", "extension/Buurtbudget/"))


def default_cache_dir(workspace: Path) -> Path:
    """Per workspace, under $BUURTBUDGET_CACHE or ~/.cache/buurtbudget (never inside the workspace)."""
    base = os.environ.get("BUURTBUDGET_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "buurtbudget"
    )
    digest = hashlib.sha256(str(Path(workspace).resolve()).encode()).hexdigest()[:16]
    return Path(base) / f"{Path(workspace).resolve().name}-{digest}"


def _ledger_folders(workspace: Path) -> list[str]:
    try:
        names = sorted(os.listdir(workspace))
    except OSError:
        return []
    return [n for n in names if not n.startswith(".") and os.path.isfile(os.path.join(workspace, n, LEDGER_FILE))]


def discover(workspace: Path) -> list[str]:
    """The slugs of a workspace: every folder holding main.beancount whose name no page of the site takes."""
    return [n for n in _ledger_folders(workspace) if slug_fout(n) is None]


def weiger_gereserveerde_namen(workspace: Path) -> None:
    """A workspace with a ledger in a folder the site's own pages shadow is not served (`namen.slug_fout`)."""
    for naam in _ledger_folders(workspace):
        reden = slug_fout(naam)
        if reden is not None:
            raise SlugFout(f"{Path(workspace) / naam / LEDGER_FILE}: {reden}; hernoem de map en start opnieuw",
                           bestand=str(Path(workspace) / naam / LEDGER_FILE))


def _stamp(path: str) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
        return (path, st.st_mtime_ns, st.st_size)
    except OSError:
        return (path, 0, -1)


@dataclass(frozen=True)
class Snapshot:
    """One load of one ledger: what the landing page, the extension and the public copy read."""

    slug: str
    path: Path
    version: int
    view: Buurtbudget | None
    problems: tuple[Problem, ...]
    read_error: str | None
    public_path: Path
    files: tuple[str, ...] = field(repr=False)
    folders: tuple[str, ...] = field(repr=False)
    day: datetime.date = field(default_factory=datetime.date.today)  # the phase is judged on this day
    entries: tuple = field(default=(), repr=False, compare=False)  # the load's entries (payment batches)
    options: dict = field(default_factory=dict, repr=False, compare=False)  # the load's options (receipts)


def _fingerprint(files: tuple[str, ...], folders: tuple[str, ...]) -> tuple:
    stamps = [_stamp(f) for f in files]
    for folder in folders:
        for dirpath, _dirs, _files in os.walk(folder):
            stamps.append(_stamp(dirpath))
    return tuple(stamps)


def _write_if_changed(path: Path, content: bytes) -> bool:
    try:
        if path.read_bytes() == content:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, content)
    return True


def verdict_items(problems: tuple[Problem, ...], redacted) -> list[dict]:
    """The verdict in public words: no receipt, IBAN or private name; lines point into the copy."""
    items = []
    for problem in problems:
        rule = RULES_BY_CODE.get(problem.code)
        items.append({
            "code": problem.code,
            "titel": getattr(rule, "TITLE", problem.code),
            "melding": redacted.scrub(problem.message),
            "regel": redacted.lines.get((problem.filename, problem.lineno)),
        })
    return items


class WorkspaceState:
    def __init__(self, workspace: Path, cache_dir: Path | None = None, *, check_interval: float = 1.0):
        self.workspace = Path(workspace).resolve()
        weiger_gereserveerde_namen(self.workspace)
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir(self.workspace)
        self.public_root = self.cache_dir / "publiek"
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._slug_locks: dict[str, threading.Lock] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._fingerprints: dict[str, tuple] = {}
        self._checked: dict[str, float] = {}
        self._slugs: list[str] = []
        self._slugs_checked = 0.0
        self._versions = 0

    # -- discovery --------------------------------------------------------
    def slugs(self) -> list[str]:
        now = time.monotonic()
        if now - self._slugs_checked >= self.check_interval or not self._slugs_checked:
            self._slugs = discover(self.workspace)
            self._slugs_checked = now
        return list(self._slugs)

    def ledger_path(self, slug: str) -> Path | None:
        if slug not in self.slugs():
            return None
        return self.workspace / slug / LEDGER_FILE

    # -- loading ----------------------------------------------------------
    def _lock_for(self, slug: str) -> threading.Lock:
        with self._lock:
            return self._slug_locks.setdefault(slug, threading.Lock())

    def snapshot(self, slug: str, *, wait: bool = True) -> Snapshot | None:
        """The current snapshot of a ledger, reloaded first if its files changed.

        With wait=False a ledger that another thread is reloading answers with
        its previous snapshot (when there is one) instead of waiting.
        """
        path = self.ledger_path(slug)
        if path is None:
            return None
        current = self._snapshots.get(slug)
        now = time.monotonic()
        if current is not None and now - self._checked.get(slug, 0.0) < self.check_interval:
            return current
        lock = self._lock_for(slug)
        if not lock.acquire(blocking=wait or current is None):
            return current
        try:
            current = self._snapshots.get(slug)
            if current is not None and time.monotonic() - self._checked.get(slug, 0.0) < self.check_interval:
                return current
            if (current is not None and current.day == datetime.date.today()
                    and _fingerprint(current.files, current.folders) == self._fingerprints.get(slug)):
                self._checked[slug] = time.monotonic()
                return current
            snap = self._load(slug, path)
            self._snapshots[slug] = snap
            self._checked[slug] = time.monotonic()
            return snap
        finally:
            lock.release()

    def _watch_list(self, path: Path, options_map: dict | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        files = {str(path)}
        folders: set[str] = set()
        if options_map:
            files.update(str(Path(f).resolve()) for f in options_map.get("include", []))
            base = Path(options_map.get("filename") or path).resolve().parent
            for folder in options_map.get("documents", []):
                candidate = (base / folder).resolve()
                if candidate.is_dir():
                    folders.add(str(candidate))
        files.update(str(f) for f in te_volgen_regelbestanden(path, regels_config(options_map or {})))
        return tuple(sorted(files)), tuple(sorted(folders))

    def _load(self, slug: str, path: Path) -> Snapshot:
        public_dir = self.public_root / slug
        public_path = public_dir / LEDGER_FILE
        # Stamp before reading: a change while loading is seen next time.
        files, folders = self._watch_list(path, None)
        try:
            loaded, problems = check_ledger(path)
        except LedgerReadError as exc:
            where = f"{exc.path}:{exc.lineno}" if exc.lineno else exc.path
            self._fingerprints[slug] = _fingerprint(files, folders)
            self._copy_rules(None, public_dir)
            _write_if_changed(public_path, _unreadable_copy(slug).encode("utf-8"))
            _write_if_changed(public_dir / "oordeel.json", b"[]")
            with self._lock:
                self._versions += 1
                version = self._versions
            return Snapshot(slug, path, version, None, (), f"{where}: {exc.message}", public_path, files, folders)
        files, folders = self._watch_list(path, loaded.options_map)
        fingerprint = _fingerprint(files, folders)
        try:
            redacted = redact_ledger(loaded.entries, loaded.options_map, fava_options=PUBLIC_FAVA_OPTIONS)
        except KopieFout as exc:
            # No copy that might say more than the entries: the public sees an empty ledger.
            print(f"{slug}: geen openbare kopie: {exc}", file=sys.stderr, flush=True)
            redacted = None
        rules_file = regelbestand_pad(loaded.options_map)
        rules_bytes = self._copy_rules(rules_file, public_dir)
        # The copy names the digest of its rules file, so a changed kader is a changed copy
        # (Fava reloads a ledger when its own files change, not the rules file beside it).
        kader_line = tekst.commentaar(
            f"kader: {RULES_FILE_NAME} sha256 {hashlib.sha256(rules_bytes).hexdigest()}" if rules_bytes is not None
            else "kader: standaard")
        text = redacted.text if redacted else _unreadable_copy(slug)
        _write_if_changed(public_path, (text.rstrip("\n") + "\n\n" + kader_line).encode("utf-8"))
        verdict = verdict_items(tuple(problems), redacted) if redacted else []
        _write_if_changed(public_dir / "oordeel.json",
                          json.dumps(verdict, ensure_ascii=False, indent=1).encode("utf-8"))
        self._fingerprints[slug] = fingerprint
        with self._lock:
            self._versions += 1
            version = self._versions
        return Snapshot(slug, path, version, loaded.view, tuple(problems), None, public_path, files, folders,
                        entries=tuple(loaded.entries), options=loaded.options_map)

    def _copy_rules(self, rules_file: Path | None, public_dir: Path) -> bytes | None:
        """The rules file the ledger uses (`ledger.buurtbudget.kader`, whatever its name or place), beside the copy.

        The copy has no plugin line, so it finds `regels.toml` beside itself: its kader (and
        ceiling) is the original's. Nothing at the public root, where every copy would find it.
        """
        target = public_dir / RULES_FILE_NAME
        content = None
        if rules_file is not None and rules_file.is_file():
            content = rules_file.read_bytes()
            _write_if_changed(target, content)
        elif target.exists():
            target.unlink()
        stale = self.public_root / RULES_FILE_NAME
        if stale.exists():
            stale.unlink()
        return content

    def public_path(self, slug: str) -> Path | None:
        """The public copy of a ledger; while it is being made again, the previous copy serves."""
        snap = self.snapshot(slug, wait=False)
        return snap.public_path if snap else None

    def snapshots(self, *, wait: bool = True) -> list[Snapshot]:
        out = []
        for slug in self.slugs():
            snap = self.snapshot(slug, wait=wait)
            if snap is not None:
                out.append(snap)
        return out

    def warm(self) -> list[Snapshot]:
        """Load every ledger now (at start-up), so no first visitor waits."""
        return self.snapshots()


def _unreadable_copy(slug: str) -> str:
    """The public copy of a ledger that cannot be read: a title and nothing else (the slug is a folder name)."""
    return (tekst.option("title", f"{slug} (niet te lezen)") + tekst.option("operating_currency", "EUR")
            + tekst.entry(tekst.custom(datetime.date(2000, 1, 1), "fava-option",
                                       [tekst.custom_waarde("language"), tekst.custom_waarde("nl")])))
