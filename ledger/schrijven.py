"""Safe writes: the one way every command (and the Fava extension) changes a ledger.

    resultaat = schrijf(pad, maak_wijziging, door="Henk", regels=rules.run_all)

1. **Lock.** An exclusive `fcntl.flock` on `.<ledger>.lock` beside the ledger.
   Everything below happens while it is held, so two writers never interleave
   and a builder that picks "the next free claim number" or deduplicates a bank
   statement sees the ledger as it really is.
2. **Build.** `maak_wijziging(stand)` receives the current ledger (`Stand`: text,
   entries, options, view) and returns a `Wijziging`: text to append, in-place
   line edits, receipt files to copy in, and a description. It may raise its own
   (Dutch) error; then nothing is written.
3. **Validate.** The ledger *with* the change is checked: beancount's errors and
   the buurtbudget rules. The errors after are compared with the errors before;
   a change that adds one is refused (`WijzigingGeweigerd`, with the reasons)
   and the ledger stays byte-identical. Errors that were already there do not
   block unrelated work.
4. **Atomic write.** New content goes to a temporary file in the same folder,
   is fsync'ed, `os.replace`d over the ledger, and the folder is fsync'ed: a
   crash at any moment leaves either the old or the new file, never a mix.
5. **Audit trail.** When the ledger lives in a git work tree, the change becomes
   a commit whose author is the acting user and whose message says what changed.

How validation is made fast (incremental)
-----------------------------------------
A full beancount load re-parses the whole file; on 100k bookings that takes
many seconds. So the loaded entries are kept: in memory for the process, and
as a pickled snapshot in `.buurtbudget-cache/` beside the ledger (the folder
ignores itself in git). A snapshot covers the first N bytes of the file (their
SHA-256 is checked); what was appended after it is parsed on its own, so the
snapshot is rewritten only after a full load or when a quarter megabyte or a
tenth of the file was appended since.

When the change only *appends* directives, the check is:

- parse only the new text (its line numbers continue the file's) and book it
  (interpolation, balancing) with the ledger's options;
- beancount's validations on the new entries with the ledger's open/close
  directives (accounts open and active, currencies, balanced transactions),
  duplicate opens and balances compared before/after, and the balance
  assertions of every account the new entries touch, recomputed over that
  account's postings before and after;
- the rules (the ledger's own `plugin "rules..."` lines, or `regels` when it has
  none) on the part of the ledger the new entries can change, before and after:
  every directive that is not a transaction, plus the transactions on the
  award, the support costs, each plan (or other expense account) the new
  entries book on or declare, and every transaction sharing one of their links.
  A rule's verdict on anything outside that part cannot change, so comparing
  the two runs gives exactly the errors the change adds.

An in-place edit of one transaction (an approval: flag and `goedgekeurd-door:`)
is judged the same way: the edited block is parsed on its own, replaces the old
entry, and the entries after it get their line numbers moved (their postings'
metadata keeps the old ones, which only error messages about postings read).

This equals a full load as long as the only plugins are the rules (they add or
change no entries). Anything else takes the full path: other edits, a ledger
with other plugins, text with `option`/`include`/`plugin` lines. The full path writes the new content to a temporary file beside the
ledger and loads that with beancount, exactly as `bean-check` would, and
compares all errors with those of the ledger before.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import hashlib
import importlib
import os
import pickle
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from beancount import loader
from beancount.core import data
from beancount.ops import balance as balance_ops
from beancount.ops import validation
from beancount.parser import booking, parser

from ledger.accounts import Accounts
from ledger.loading import LedgerReadError, _check_readable, resolve_ledger_path
from ledger.view import Buurtbudget, build_view

CACHE_DIR = ".buurtbudget-cache"
CACHE_VERSION = 3

Regels = Callable[[list, dict], Any]  # like a beancount plugin: (entries, options_map) -> (entries, errors)


class WijzigingGeweigerd(Exception):
    """The change would add errors to the ledger; nothing was written."""

    def __init__(self, pad: Path, fouten: Sequence[Any], omschrijving: str = ""):
        self.pad = Path(pad)
        self.fouten = list(fouten)
        self.omschrijving = omschrijving
        regels = "\n".join("  " + formatteer_fout(f) for f in self.fouten)
        super().__init__(
            f"{pad}: wijziging geweigerd{' (' + omschrijving + ')' if omschrijving else ''}: "
            f"de ledger zou {len(self.fouten)} nieuwe fout(en) krijgen; er is niets gewijzigd:\n{regels}"
        )


class BewerkingVerouderd(Exception):
    """An in-place edit found other text than it expected: the ledger changed meanwhile."""


def formatteer_fout(fout: Any) -> str:
    source = getattr(fout, "source", None) or {}
    message = str(getattr(fout, "message", fout)).strip().splitlines()[0] if str(getattr(fout, "message", fout)).strip() else ""
    return f"{source.get('filename', '<onbekend>')}:{source.get('lineno', 0)}: {message}"


@dataclass(frozen=True, slots=True)
class Bewerking:
    """Replace lines `start`..`einde` (1-based, inclusive) whose text is `oud` by `nieuw`."""

    start: int
    einde: int
    oud: str
    nieuw: str


@dataclass(frozen=True)
class Wijziging:
    """What one safe write does to a ledger."""

    omschrijving: str  # one line, Dutch: becomes the commit message
    toevoegen: str = ""  # directives appended at the end of the ledger
    bewerkingen: tuple[Bewerking, ...] = ()
    bestanden: tuple[tuple[Path, Path], ...] = ()  # (source, target): receipts copied in
    details: str = ""  # optional commit message body

    @property
    def leeg(self) -> bool:
        return not self.toevoegen.strip() and not self.bewerkingen


@dataclass(frozen=True)
class Resultaat:
    pad: Path
    gewijzigd: bool
    omschrijving: str
    incrementeel: bool
    commit: str | None = None
    nieuwe_entries: tuple = ()
    duur: float = 0.0
    waarschuwing: str | None = None  # e.g. written, but the git commit failed


@dataclass
class _Toestand:
    """A ledger's entries for the first `lengte` bytes of its main file: what the cache holds.

    `fouten` are all errors of that state when known (after a full load); after
    an incremental write they are not computed (None): the next write compares
    before and after on the part of the ledger it touches instead.
    """

    lengte: int
    sha: str
    regels: int  # lines in those bytes
    andere: dict[str, str]  # sha256 of every other source file (includes)
    entries: list
    options_map: dict
    fouten: list | None
    op_schijf: int = 0  # `lengte` of the snapshot last pickled to disk


@dataclass
class Stand:
    """The ledger as a builder sees it, under the lock."""

    pad: Path
    tekst: str
    entries: list
    options_map: dict

    @cached_property
    def view(self) -> Buurtbudget:
        """The whole view: every figure (one pass over all entries)."""
        return build_view(self.entries, self.options_map)

    @cached_property
    def directieven(self) -> list:
        """Every entry that is not a transaction: header, plans, opens, documents, balances."""
        return [e for e in self.entries if type(e) is not data.Transaction]

    @cached_property
    def structuur(self) -> Buurtbudget:
        """The view without transactions: header, kader, accounts, declared plans (no figures).

        Enough to check a new booking's date, plan and category; cheap on a large ledger.
        """
        return build_view(self.directieven, self.options_map)

    def view_voor_link(self, link: str) -> Buurtbudget:
        """The view of one claim or invoice: the directives plus the transactions with that link."""
        link = link.strip().lstrip("^")
        linked = [e for e in self.entries if type(e) is data.Transaction and e.links and link in e.links]
        return build_view(sorted(self.directieven + linked, key=data.entry_sortkey), self.options_map)

    @cached_property
    def regels(self) -> list[str]:
        return self.tekst.splitlines()


# --------------------------------------------------------------------------- files


def lock_pad(pad: Path) -> Path:
    return pad.with_name(f".{pad.name}.lock")


@contextlib.contextmanager
def ledger_lock(pad: Path):
    """Exclusive lock on the ledger (blocking); released when the block ends or the process dies."""
    lp = lock_pad(pad)
    fd = os.open(lp, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_prefix(pad: Path) -> str:
    return f".{pad.name}."


def atomic_write_bytes(pad: Path, inhoud: bytes) -> None:
    """Temp file in the same folder, fsync, rename over the target, fsync the folder."""
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(pad), suffix=".tmp", dir=pad.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(inhoud)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, pad.stat().st_mode & 0o777 if pad.exists() else 0o644)
        os.replace(tmp, pad)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(pad.parent)


def _copy_atomic(bron: Path, doel: Path) -> None:
    doel.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{doel.name}.", suffix=".tmp", dir=doel.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(bron, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, doel)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(doel.parent)


def _clean_stale_tmp(pad: Path) -> None:
    """Temp files of a writer that was killed (we hold the lock, so none is in use)."""
    for folder, prefix in ((pad.parent, _tmp_prefix(pad)), (pad.parent / CACHE_DIR, f".{pad.name}.pickle.")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.startswith(prefix) and name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)


def _sha(pad: str) -> str | None:
    try:
        with open(pad, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


# --------------------------------------------------------------------------- cache

_MEMO: dict[str, _Toestand] = {}
# Pickle the snapshot again once this many bytes were appended since the last one.
SNAPSHOT_BYTES = 256 * 1024
SNAPSHOT_FRACTION = 0.10


def _cache_pad(pad: Path) -> Path:
    return pad.parent / CACHE_DIR / f"{pad.name}.pickle"


def _covers(t: _Toestand, raw: bytes, pad: Path) -> bool:
    """The state describes a prefix of `raw` (only appended to since) and the includes are unchanged."""
    if len(raw) < t.lengte or hashlib.sha256(raw[: t.lengte]).hexdigest() != t.sha:
        return False
    return all(_sha(name) == digest for name, digest in t.andere.items())


def _cache_lezen(pad: Path, raw: bytes) -> _Toestand | None:
    memo = _MEMO.get(str(pad))
    if memo is not None and _covers(memo, raw, pad):
        return memo
    try:
        with open(_cache_pad(pad), "rb") as handle:
            version, toestand = pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing, truncated or from another version: a miss
        return None
    if version != CACHE_VERSION or not isinstance(toestand, _Toestand) or not _covers(toestand, raw, pad):
        return None
    toestand.op_schijf = toestand.lengte
    _MEMO[str(pad)] = toestand
    return toestand


def _cache_schrijven(pad: Path, toestand: _Toestand, *, dwingend: bool = False) -> None:
    """Keep the state in memory; pickle it when forced or when much was appended since the last pickle."""
    _MEMO[str(pad)] = toestand
    grown = toestand.lengte - toestand.op_schijf
    if not dwingend and grown < max(SNAPSHOT_BYTES, int(toestand.lengte * SNAPSHOT_FRACTION)):
        return
    folder = pad.parent / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        target = _cache_pad(pad)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((CACHE_VERSION, toestand), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
        toestand.op_schijf = toestand.lengte
    except OSError:
        pass  # a cache is an optimisation; a read-only folder just means full loads


# --------------------------------------------------------------------------- loading


def _rules_plugins(options_map: dict) -> list[tuple[str, str | None]]:
    return [(n, c) for n, c in options_map.get("plugin", []) if n == "rules" or n.startswith("rules.")]


def _other_plugins(options_map: dict) -> bool:
    return any(not (n == "rules" or n.startswith("rules.")) for n, _ in options_map.get("plugin", []))


def _is_rule_error(fout: Any) -> bool:
    return str(getattr(fout, "message", "")).startswith("BB-")


def _run_regels(entries: list, options_map: dict, regels: Regels | None) -> list:
    """The rules' errors: the ledger's own rules plugins, or `regels` when the ledger has none."""
    fouten: list = []
    plugins = _rules_plugins(options_map)
    if plugins:
        for name, config in plugins:
            module = importlib.import_module(name)
            for fn_name in getattr(module, "__plugins__", ()):
                fn = getattr(module, fn_name)
                _, errs = fn(entries, options_map, config) if config else fn(entries, options_map)
                fouten.extend(errs)
    elif regels is not None:
        _, errs = regels(entries, options_map)
        fouten.extend(errs)
    return fouten


def _load_path(pad: str) -> tuple[list, list, dict]:
    """beancount's full load, without its pickle cache (never leave cache files for temp files)."""
    uncached = getattr(loader, "_uncached_load_file", None)
    if uncached is not None:
        return uncached(pad, None, None, None)
    return loader.load_file(pad)  # pragma: no cover - older/newer beancount


def _full_load(pad: Path, regels: Regels | None, raw: bytes, *, als: Path | None = None) -> _Toestand:
    """Load `als` (a temp file holding `raw`, the new content) or the ledger itself (holding `raw`), fully."""
    bron = als or pad
    entries, errors, options_map = _load_path(str(bron))
    errors = list(errors)
    if not _rules_plugins(options_map) and regels is not None:
        _, errs = regels(entries, options_map)
        errors.extend(errs)
    if als is not None:
        _rename_source(entries, errors, options_map, str(als), str(pad))
    andere = {name: _sha(name) or "" for name in options_map.get("include") or [] if name not in (str(pad), str(bron))}
    return _Toestand(len(raw), hashlib.sha256(raw).hexdigest(), raw.count(b"\n"), andere, entries, options_map, errors)


def _rename_source(entries: list, errors: list, options_map: dict, old: str, new: str) -> None:
    """Entries loaded from a temp file: make their metadata name the real ledger."""

    def fix(meta: Any) -> None:
        if isinstance(meta, dict) and meta.get("filename") == old:
            meta["filename"] = new

    for entry in entries:
        fix(entry.meta)
        for posting in getattr(entry, "postings", None) or ():
            fix(posting.meta)
    for error in errors:
        fix(getattr(error, "source", None))
    options_map["filename"] = new
    options_map["include"] = [new if name == old else name for name in options_map.get("include", [])]


# --------------------------------------------------------------------------- comparing errors


def _entry_key(entry: Any) -> tuple:
    """Who an error is about, independent of line numbers, flag and metadata (an approval keeps it)."""
    if isinstance(entry, data.Transaction):
        return (
            "T", entry.date, entry.payee, entry.narration, tuple(sorted(entry.links or ())),
            tuple((p.account, str(p.units)) for p in entry.postings),
        )
    if isinstance(entry, data.Balance):
        return ("B", entry.date, entry.account, str(entry.amount))
    if isinstance(entry, (data.Open, data.Close)):
        return (type(entry).__name__, entry.date, entry.account)
    if isinstance(entry, data.Custom):
        return ("C", entry.date, entry.type, tuple(str(v.value) for v in entry.values or ()))
    return (type(entry).__name__, getattr(entry, "date", None))


def _error_key(fout: Any) -> tuple:
    message = str(getattr(fout, "message", fout))
    code = message.split(" ", 1)[0] if message.startswith("BB-") else type(fout).__name__
    entry = getattr(fout, "entry", None)
    if entry is not None:
        # The same entry can break the same rule for two reasons: keep the words, drop the figures.
        words = re.sub(r"[\d.,€]+", "#", message.splitlines()[0] if message else "")
        return (code, _entry_key(entry), words)
    return (code, message.splitlines()[0] if message else "")


def nieuwe_fouten(voor: Iterable[Any], na: Iterable[Any]) -> list:
    """The errors in `na` that `voor` did not have (as a multiset: twice the same counts twice)."""
    budget = Counter(_error_key(f) for f in voor)
    nieuw = []
    for fout in na:
        key = _error_key(fout)
        if budget[key] > 0:
            budget[key] -= 1
        else:
            nieuw.append(fout)
    return nieuw


# --------------------------------------------------------------------------- incremental check

_FULL_ONLY = re.compile(r"^(option|plugin|include|pushtag|poptag|pushmeta|popmeta)\b", re.M)
_ROOT_OPTIONS = ("name_assets", "name_liabilities", "name_equity", "name_income", "name_expenses")


def _parse_appended(pad: Path, options_map: dict, tekst: str, first_line: int) -> tuple[list, list] | None:
    """Parse and book text that continues the ledger at line `first_line`; None: only a full load will do."""
    if _FULL_ONLY.search(tekst):
        return None
    # The grammar checks account roots against the options: give the snippet the ledger's names,
    # on lines "before" the snippet so the line numbers of the new entries stay the file's.
    roots = [f'option "{k}" "{options_map[k]}"' for k in _ROOT_OPTIONS if k in options_map]
    if first_line <= len(roots):
        return None
    entries, errors, _ = parser.parse_string(
        "\n".join(roots) + "\n" + tekst, report_filename=str(pad), report_firstline=first_line - len(roots)
    )
    entries.sort(key=data.entry_sortkey)
    entries, booking_errors = booking.book(entries, options_map)
    return entries, list(errors) + list(booking_errors)


def _merge(old: list, new: list) -> list:
    """`old` (sorted) with `new` inserted in beancount's order; `old` itself is not changed."""
    if not new:
        return old
    if len(new) > 64:
        return sorted(old + new, key=data.entry_sortkey)
    result = list(old)
    for entry in sorted(new, key=data.entry_sortkey):
        result.insert(bisect.bisect_right(result, data.entry_sortkey(entry), key=data.entry_sortkey), entry)
    return result


_SIMPLE_TYPES = (data.Transaction, data.Open, data.Balance, data.Note, data.Document, data.Event)


def _rule_scope(entries: list, new_entries: list, options_map: dict) -> list:
    """The part of the ledger the rules need to judge new entries, before and after, the same way.

    Every directive that is not a transaction (header, plans, opens, documents) and
    every transaction that feeds a figure the new entries can change: the award
    (`Income:Buurtbudget`), the support costs (`Expenses:Ondersteuning`), each plan
    they book on or declare, any other expense account they use, and every
    transaction sharing one of their links (a claim, its approval, its payment).
    A rule's verdict on anything else is the same before and after the change.
    """
    accounts = Accounts.from_options(options_map)
    if any(not isinstance(e, _SIMPLE_TYPES) and not (isinstance(e, data.Custom) and e.type == "plan")
           for e in new_entries):
        return entries  # e.g. a second header: let the rules see everything
    prefixes = {accounts.toekenning, accounts.ondersteuning}
    exact: set[str] = set()
    links: set[str] = set()
    for e in new_entries:
        if isinstance(e, data.Transaction):
            links |= set(e.links or ())
            for p in e.postings:
                plan = accounts.plan_of(p.account)
                if plan:
                    prefixes.add(plan)
                elif accounts.is_expense(p.account):
                    exact.add(p.account)
        elif isinstance(e, data.Custom) and e.values:
            prefixes.add(str(e.values[0].value))
    starts = tuple(prefixes) + tuple(p + ":" for p in prefixes)

    relevant: dict[str, bool] = {}  # per account name: a ledger has few accounts and many postings

    def keep(e: Any) -> bool:
        if type(e) is not data.Transaction:
            return True
        if links and e.links and not links.isdisjoint(e.links):
            return True
        for p in e.postings:
            a = p.account
            hit = relevant.get(a)
            if hit is None:
                hit = relevant[a] = a in exact or a in prefixes or a.startswith(starts)
            if hit:
                return True
        return False

    return [e for e in entries if keep(e)]


def _balance_checks(entries: list, touched: set[str], options_map: dict) -> list:
    """beancount's balance assertions of every account (or parent) touched, on just their entries."""
    if not touched:
        return []

    def covers(account: str) -> bool:
        return any(t == account or t.startswith(account + ":") for t in touched)

    asserted = {e.account for e in entries if isinstance(e, data.Balance) and covers(e.account)}
    if not asserted:
        return []
    starts = tuple(a + ":" for a in asserted)

    def relevant(e: Any) -> bool:
        if isinstance(e, data.Transaction):
            return any(p.account in asserted or p.account.startswith(starts) for p in e.postings)
        if isinstance(e, data.Balance):
            return e.account in asserted
        return isinstance(e, (data.Open, data.Close))

    _, errors = balance_ops.check([e for e in entries if relevant(e)], options_map)
    return list(errors)


def _judge(oude_entries: list, removed: list, added: list, combined: list, options_map: dict,
           regels: Regels | None) -> list:
    """The errors that replacing `removed` by `added` adds (beancount's checks and the rules), judged locally."""
    nieuw: list = []
    # beancount's validations on the added entries, with the accounts they refer to.
    old_oc = [e for e in oude_entries if isinstance(e, (data.Open, data.Close))]
    new_oc = [e for e in added if isinstance(e, (data.Open, data.Close))]
    if new_oc:
        nieuw += nieuwe_fouten(validation.validate_open_close(old_oc, options_map),
                               validation.validate_open_close(_merge(old_oc, new_oc), options_map))
    scope = _merge(old_oc + new_oc, [e for e in added if not isinstance(e, (data.Open, data.Close))])
    nieuw += validation.validate_active_accounts(scope, options_map)
    nieuw += validation.validate_currency_constraints(scope, options_map)
    nieuw += validation.validate_check_transaction_balances(added, options_map)
    new_balances = [e for e in added if isinstance(e, data.Balance)]
    if new_balances:
        old_balances = [e for e in oude_entries if isinstance(e, data.Balance)]
        nieuw += nieuwe_fouten(validation.validate_duplicate_balances(old_balances, options_map),
                               validation.validate_duplicate_balances(_merge(old_balances, new_balances), options_map))
    touched = {p.account for e in added + removed if isinstance(e, data.Transaction) for p in e.postings}
    touched |= {e.account for e in new_balances}
    nieuw += nieuwe_fouten(_balance_checks(oude_entries, touched, options_map),
                           _balance_checks(combined, touched, options_map))

    # The rules, on the part of the ledger the change can affect, before and after.
    voor = _rule_scope(oude_entries, removed + added, options_map)
    gone = {id(e) for e in removed}
    na = _merge([e for e in voor if id(e) not in gone], added)
    nieuw += nieuwe_fouten(_run_regels(voor, options_map, regels), _run_regels(na, options_map, regels))
    return nieuw


def _incremental(
    pad: Path, oud: _Toestand, oude_entries: list, first_line: int, toevoeging: str, regels: Regels | None
) -> tuple[list, list, list] | None:
    """Check appended text against the cached entries: (new errors, new entries, all entries after); None: full path."""
    options_map = oud.options_map
    if _other_plugins(options_map):
        return None
    parsed = _parse_appended(pad, options_map, toevoeging, first_line)
    if parsed is None:
        return None
    new_entries, nieuw = parsed
    combined = _merge(oude_entries, new_entries)
    nieuw += _judge(oude_entries, [], new_entries, combined, options_map, regels)
    return nieuw, new_entries, combined


def _block_end(lines: list[str], start: int) -> int:
    """Last line (1-based) of the directive that starts on line `start`: its indented lines follow it."""
    end = start
    while end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip():
        end += 1
    return end


def _incremental_edit(
    pad: Path, oud: _Toestand, oude_entries: list, oude_tekst: str, bewerking: "Bewerking", regels: Regels | None
) -> tuple[list, str, list, list] | None:
    """An in-place edit of one transaction (an approval), judged like an append; None: full path.

    Returns (new errors, new text, all entries after, [the edited entry]). The entries
    after the edit get their line numbers moved (their postings' metadata keeps the old ones).
    """
    options_map = oud.options_map
    if _other_plugins(options_map):
        return None
    found = [e for e in oude_entries
             if e.meta.get("filename") == str(pad) and e.meta.get("lineno") == bewerking.start]
    if len(found) != 1 or not isinstance(found[0], data.Transaction):
        return None
    old_entry = found[0]
    lines = oude_tekst.splitlines(keepends=True)
    end = _block_end(lines, bewerking.start)
    if bewerking.einde > end:
        return None
    nieuwe_tekst = _apply_edits(oude_tekst, (bewerking,))
    new_lines = nieuwe_tekst.splitlines(keepends=True)
    delta = len(new_lines) - len(lines)
    block = "".join(new_lines[bewerking.start - 1 : end + delta])
    parsed = _parse_appended(pad, options_map, block, bewerking.start)
    if parsed is None or parsed[1] or len(parsed[0]) != 1 or not isinstance(parsed[0][0], data.Transaction):
        return None
    new_entry = parsed[0][0]
    name = str(pad)
    moved = []
    for e in oude_entries:
        if e is old_entry:
            continue
        ln = e.meta.get("lineno")
        if delta and e.meta.get("filename") == name and isinstance(ln, int) and ln > end:
            e = e._replace(meta={**e.meta, "lineno": ln + delta})
        moved.append(e)
    combined = _merge(moved, [new_entry])
    nieuw = _judge(oude_entries, [old_entry], [new_entry], combined, options_map, regels)
    return nieuw, nieuwe_tekst, combined, [new_entry]


# --------------------------------------------------------------------------- edits


def _apply_edits(tekst: str, bewerkingen: Sequence[Bewerking]) -> str:
    lines = tekst.splitlines(keepends=True)
    for b in sorted(bewerkingen, key=lambda b: b.start, reverse=True):
        current = "".join(lines[b.start - 1 : b.einde])
        if current.rstrip("\n") != b.oud.rstrip("\n"):
            raise BewerkingVerouderd(
                f"regels {b.start}-{b.einde} zijn intussen gewijzigd; probeer het opnieuw"
            )
        nieuw = b.nieuw if b.nieuw.endswith("\n") or not b.nieuw else b.nieuw + "\n"
        lines[b.start - 1 : b.einde] = [nieuw]
    return "".join(lines)


def _joined(oude_tekst: str, toevoeging: str) -> str:
    if not toevoeging.strip():
        return ""
    sep = "" if not oude_tekst or oude_tekst.endswith("\n") else "\n"
    body = toevoeging if toevoeging.endswith("\n") else toevoeging + "\n"
    return sep + "\n" + body


# --------------------------------------------------------------------------- git


def _git_root(folder: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return Path(out.stdout.strip())


def _email(naam: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", ".", naam.casefold()).strip(".") or "onbekend"
    return f"{slug}@buurtbudget.invalid"


def git_commit(pad: Path, paden: Sequence[Path], door: str, bericht: str, details: str = "") -> str | None:
    """Commit `paden` (ledger + receipts) as `door`; None when the ledger is not in a git work tree."""
    root = _git_root(pad.parent)
    if root is None:
        return None
    env = dict(os.environ)
    env.update({
        "GIT_AUTHOR_NAME": door, "GIT_AUTHOR_EMAIL": _email(door),
        "GIT_COMMITTER_NAME": door, "GIT_COMMITTER_EMAIL": _email(door),
    })
    rel = [str(Path(p).resolve().relative_to(root.resolve())) for p in paden]
    message = bericht if not details else f"{bericht}\n\n{details}"
    for attempt in range(50):  # another ledger of the workspace may be committing: index.lock
        add = subprocess.run(["git", "add", "--", *rel], cwd=root, env=env, capture_output=True, text=True)
        if add.returncode == 0:
            commit = subprocess.run(
                ["git", "commit", "-q", "--no-verify", "-m", message, "--", *rel],
                cwd=root, env=env, capture_output=True, text=True,
            )
            if commit.returncode == 0:
                head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
                return head.stdout.strip()
            err = commit.stderr + commit.stdout
        else:
            err = add.stderr
        if "index.lock" not in err:
            raise RuntimeError(f"git commit mislukt: {err.strip()}")
        time.sleep(0.1 + 0.02 * attempt)
    raise RuntimeError("git commit mislukt: de git-index bleef vergrendeld (index.lock)")


# --------------------------------------------------------------------------- the write


def lees_stand(pad: str | os.PathLike, regels: Regels | None = None) -> Stand:
    """The current ledger through the same cache as the writes (no lock: a snapshot)."""
    p = resolve_ledger_path(pad).resolve()
    _check_readable(p)
    with ledger_lock(p):  # a consistent read: no writer replaces the file halfway
        raw = p.read_bytes()
        t, entries, tekst = _current(p, raw, regels)
    return Stand(p, tekst, entries, t.options_map)


def _current(p: Path, raw: bytes, regels: Regels | None) -> tuple[_Toestand, list, str]:
    """The ledger's state for exactly `raw`: (state, entries, text); a full load only when the cache can't serve."""
    try:
        tekst = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerReadError(p, "is geen geldige UTF-8-tekst") from exc
    t = _cache_lezen(p, raw)
    if t is not None and t.lengte < len(raw):
        # Appended since the snapshot (by our own writes): parse just that part.
        parsed = _parse_appended(p, t.options_map, raw[t.lengte:].decode("utf-8"), t.regels + 1)
        if parsed is not None and not parsed[1]:
            entries = _merge(t.entries, parsed[0])
            t = _Toestand(len(raw), hashlib.sha256(raw).hexdigest(), raw.count(b"\n"), t.andere, entries,
                          t.options_map, None, t.op_schijf)
            _MEMO[str(p)] = t
        else:
            t = None
    if t is None:
        t = _full_load(p, regels, raw)
        _cache_schrijven(p, t, dwingend=True)
    return t, t.entries, tekst


def schrijf(
    pad: str | os.PathLike,
    maak_wijziging: Callable[[Stand], Wijziging | None],
    *,
    door: str,
    regels: Regels | None = None,
    git: bool = True,
    incrementeel: bool = True,
) -> Resultaat:
    """Change a ledger safely (see the module's docstring). Raises `WijzigingGeweigerd` on new errors."""
    start = time.perf_counter()
    p = resolve_ledger_path(pad).resolve()
    _check_readable(p)
    if not door or not door.strip():
        raise ValueError("wie de wijziging doet is onbekend (--door of BUURTBUDGET_GEBRUIKER)")
    with ledger_lock(p):
        _clean_stale_tmp(p)
        raw = p.read_bytes()
        oud, oude_entries, oude_tekst = _current(p, raw, regels)
        stand = Stand(p, oude_tekst, oude_entries, oud.options_map)
        wijziging = maak_wijziging(stand)
        if wijziging is None or wijziging.leeg:
            return Resultaat(p, False, wijziging.omschrijving if wijziging else "niets te doen", True,
                             duur=time.perf_counter() - start)

        copied: list[Path] = []
        try:
            for bron, doel in wijziging.bestanden:
                if doel.exists():
                    raise FileExistsError(f"{doel} bestaat al")
                _copy_atomic(Path(bron), doel)
                copied.append(doel)

            toevoeging = _joined(oude_tekst, wijziging.toevoegen)
            result = None
            if incrementeel and not wijziging.bewerkingen and toevoeging:
                result = _incremental(p, oud, oude_entries, oude_tekst.count("\n") + 1, toevoeging, regels)
                if result is not None:
                    nieuw, new_entries, combined = result
                    nieuwe_tekst = oude_tekst + toevoeging
                    op_schijf = oud.op_schijf
            elif incrementeel and len(wijziging.bewerkingen) == 1 and not toevoeging:
                edit = _incremental_edit(p, oud, oude_entries, oude_tekst, wijziging.bewerkingen[0], regels)
                if edit is not None:
                    nieuw, nieuwe_tekst, combined, new_entries = edit
                    op_schijf = 0  # the pickled snapshot no longer describes a prefix of the file
                    result = edit
            if result is not None:
                inhoud = nieuwe_tekst.encode("utf-8")
                nieuw_toestand = _Toestand(len(inhoud), hashlib.sha256(inhoud).hexdigest(), inhoud.count(b"\n"),
                                           oud.andere, combined, oud.options_map, None, op_schijf)
                used_incremental = True
            else:
                if oud.fouten is None:  # the errors before are not known yet: load the ledger as it is
                    oud = _full_load(p, regels, raw)
                nieuwe_tekst = _apply_edits(oude_tekst, wijziging.bewerkingen) + toevoeging
                inhoud = nieuwe_tekst.encode("utf-8")
                fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(p), suffix=".tmp", dir=p.parent)
                try:
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(inhoud)
                    nieuw_toestand = _full_load(p, regels, inhoud, als=Path(tmp))
                finally:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                nieuw = nieuwe_fouten(oud.fouten or [], nieuw_toestand.fouten or [])
                first = oude_tekst.count("\n") + 1
                new_entries = [
                    e for e in nieuw_toestand.entries
                    if e.meta.get("filename") == str(p) and (e.meta.get("lineno") or 0) > first
                ] if toevoeging else []
                used_incremental = False
            if nieuw:
                raise WijzigingGeweigerd(p, nieuw, wijziging.omschrijving)
        except BaseException:
            for doel in copied:
                with contextlib.suppress(OSError):
                    doel.unlink()
            raise

        atomic_write_bytes(p, inhoud)
        _cache_schrijven(p, nieuw_toestand, dwingend=not used_incremental)
        commit, waarschuwing = None, None
        if git:
            try:
                commit = git_commit(p, [p, *copied], door, wijziging.omschrijving, wijziging.details)
            except (RuntimeError, OSError) as exc:  # the change is safely written; only the audit commit failed
                waarschuwing = f"de wijziging is opgeslagen, maar niet in git vastgelegd: {exc}"
        return Resultaat(p, True, wijziging.omschrijving, used_incremental, commit, tuple(new_entries),
                         time.perf_counter() - start, waarschuwing)
