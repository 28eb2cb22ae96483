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
many seconds. So after each load or write the result (entries, options, the
errors split into beancount's and the rules') is kept in a cache keyed by the
SHA-256 of every source file: in memory for the process and as a pickle in
`.buurtbudget-cache/` beside the ledger (that folder ignores itself in git).
When the cache matches the bytes on disk and the change only *appends*
directives, the check is:

- parse only the new text (its line numbers continue the file's) and book it
  (interpolation, balancing) against the ledger's options;
- beancount's validations on the new entries with the ledger's open/close
  directives (accounts open and active, currencies, balanced transactions,
  duplicate opens/balances), and the balance assertions of every account the
  new entries touch, recomputed over that account's postings;
- the rules (the ledger's own `plugin "rules..."` lines, plus `regels` when the
  caller passes it) over the cached entries plus the new ones: the rules read
  totals (plan budgets, the ceiling), so they always see the whole ledger, but
  without parsing it again.

This equals a full load as long as the only plugins are the rules (they add or
change no entries). Anything else takes the full path: in-place edits (an
approval), a ledger with other plugins, text with `option`/`include`/`plugin`
lines, or no usable cache. The full path writes the new content to a temporary
file beside the ledger and loads that with beancount, exactly as `bean-check`
would.
"""

from __future__ import annotations

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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from beancount import loader
from beancount.core import data
from beancount.ops import balance as balance_ops
from beancount.ops import validation
from beancount.parser import booking, parser

from ledger.loading import LedgerReadError, _check_readable, resolve_ledger_path
from ledger.view import Buurtbudget, build_view

CACHE_DIR = ".buurtbudget-cache"
CACHE_VERSION = 2

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


@dataclass
class _Geladen:
    """A ledger as loaded (or as updated by a write): what the cache holds."""

    hashes: dict[str, str]
    entries: list
    options_map: dict
    bc_fouten: list  # beancount's own errors (not the rules')
    regel_fouten: list  # the rules' errors (message starts with BB-)
    regels_extern: bool  # True: the ledger has no rules plugin; regel_fouten come from `regels`
    regels_toegepast: bool = True  # False: extern and no `regels` were given when this was loaded


@dataclass
class Stand:
    """The ledger as a builder sees it, under the lock."""

    pad: Path
    tekst: str
    entries: list
    options_map: dict
    fouten: list

    @cached_property
    def view(self) -> Buurtbudget:
        return build_view(self.entries, self.options_map)

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

_MEMO: dict[str, _Geladen] = {}


def _cache_pad(pad: Path) -> Path:
    return pad.parent / CACHE_DIR / f"{pad.name}.pickle"


def _cache_valid(geladen: _Geladen, main_hash: str, pad: Path) -> bool:
    if geladen.hashes.get(str(pad)) != main_hash:
        return False
    return all(_sha(name) == digest for name, digest in geladen.hashes.items() if name != str(pad))


def _cache_lezen(pad: Path, main_hash: str) -> _Geladen | None:
    memo = _MEMO.get(str(pad))
    if memo is not None and _cache_valid(memo, main_hash, pad):
        return memo
    try:
        with open(_cache_pad(pad), "rb") as handle:
            version, geladen = pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing, truncated or from another version: a miss
        return None
    if version != CACHE_VERSION or not isinstance(geladen, _Geladen) or not _cache_valid(geladen, main_hash, pad):
        return None
    _MEMO[str(pad)] = geladen
    return geladen


def _cache_schrijven(pad: Path, geladen: _Geladen) -> None:
    _MEMO[str(pad)] = geladen
    folder = pad.parent / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        target = _cache_pad(pad)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((CACHE_VERSION, geladen), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except OSError:
        pass  # a cache is an optimisation; a read-only folder just means full loads


# --------------------------------------------------------------------------- loading


def _rules_plugins(options_map: dict) -> list[tuple[str, str | None]]:
    return [(n, c) for n, c in options_map.get("plugin", []) if n == "rules" or n.startswith("rules.")]


def _other_plugins(options_map: dict) -> bool:
    return any(not (n == "rules" or n.startswith("rules.")) for n, _ in options_map.get("plugin", []))


def _is_rule_error(fout: Any) -> bool:
    return str(getattr(fout, "message", "")).startswith("BB-")


def _run_regels(entries: list, options_map: dict, regels: Regels | None, extern: bool) -> list:
    """The rules' errors: the ledger's own rules plugins, or `regels` when the ledger has none."""
    fouten: list = []
    if not extern:
        for name, config in _rules_plugins(options_map):
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


def _full_load(pad: Path, regels: Regels | None, *, als: Path | None = None) -> _Geladen:
    """Load `als` (a temp file holding the new content) or the ledger itself, fully."""
    bron = als or pad
    entries, errors, options_map = _load_path(str(bron))
    extern = not _rules_plugins(options_map)
    bc = [e for e in errors if not _is_rule_error(e)]
    regel = [e for e in errors if _is_rule_error(e)]
    if extern and regels is not None:
        _, errs = regels(entries, options_map)
        regel.extend(errs)
    if als is not None:
        _rename_source(entries, errors + regel, options_map, str(als), str(pad))
    includes = options_map.get("include") or [str(pad)]
    hashes = {name: _sha(name) or "" for name in includes}
    hashes[str(pad)] = _sha(str(als or pad)) or ""
    return _Geladen(hashes, entries, options_map, bc, regel, extern, not extern or regels is not None)


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


def _incremental(
    pad: Path, oud: _Geladen, oude_tekst: str, toevoeging: str, regels: Regels | None
) -> tuple[list, list, _Geladen] | None:
    """Check appended text against the cached ledger; None: take the full path."""
    if _other_plugins(oud.options_map) or _FULL_ONLY.search(toevoeging):
        return None
    first_line = oude_tekst.count("\n") + 1
    # The grammar checks account roots against the options: give the snippet the ledger's names,
    # on lines "before" the snippet so the line numbers of the new entries stay the file's.
    roots = [
        f'option "{key}" "{oud.options_map[key]}"'
        for key in ("name_assets", "name_liabilities", "name_equity", "name_income", "name_expenses")
        if key in oud.options_map
    ]
    if first_line <= len(roots):
        return None
    new_entries, parse_errors, _ = parser.parse_string(
        "\n".join(roots) + "\n" + toevoeging, report_filename=str(pad), report_firstline=first_line - len(roots)
    )
    new_entries.sort(key=data.entry_sortkey)
    new_entries, booking_errors = booking.book(new_entries, oud.options_map)
    options_map = oud.options_map
    bc_nieuw: list = list(parse_errors) + list(booking_errors)

    # beancount's validations, on the new entries with the accounts they refer to.
    open_close = [e for e in oud.entries if isinstance(e, (data.Open, data.Close))]
    new_oc = [e for e in new_entries if isinstance(e, (data.Open, data.Close))]
    scope = sorted(open_close + new_entries, key=data.entry_sortkey)
    bc_nieuw += validation.validate_open_close(sorted(open_close + new_oc, key=data.entry_sortkey), options_map)
    bc_nieuw += validation.validate_active_accounts(scope, options_map)
    bc_nieuw += validation.validate_currency_constraints(scope, options_map)
    bc_nieuw += validation.validate_check_transaction_balances(new_entries, options_map)
    new_balances = [e for e in new_entries if isinstance(e, data.Balance)]
    if new_balances:
        old_balances = [e for e in oud.entries if isinstance(e, data.Balance)]
        bc_nieuw += validation.validate_duplicate_balances(
            sorted(old_balances + new_balances, key=data.entry_sortkey), options_map
        )

    # Balance assertions of every account the new entries touch.
    touched = {p.account for e in new_entries if isinstance(e, data.Transaction) for p in e.postings}
    touched |= {e.account for e in new_balances}
    combined = sorted(oud.entries + new_entries, key=data.entry_sortkey)
    bal_before: list = []
    bal_after: list = []
    if touched:
        def relevant_balance(account: str) -> bool:
            return any(t == account or t.startswith(account + ":") for t in touched)

        asserted = {e.account for e in combined if isinstance(e, data.Balance) and relevant_balance(e.account)}
        if asserted:
            def relevant(e: Any) -> bool:
                if isinstance(e, data.Transaction):
                    return any(p.account == a or p.account.startswith(a + ":") for p in e.postings for a in asserted)
                if isinstance(e, data.Balance):
                    return e.account in asserted
                return isinstance(e, (data.Open, data.Close))

            subset = [e for e in combined if relevant(e)]
            replaced, bal_after = balance_ops.check(subset, options_map)
            # Keep the checked Balance entries (a failing one is replaced by a flagged copy).
            by_id = {id(old): new for old, new in zip(subset, replaced)} if len(replaced) == len(subset) else {}
            if by_id:
                combined = [by_id.get(id(e), e) for e in combined]
            bal_before = [f for f in oud.bc_fouten if isinstance(getattr(f, "entry", None), data.Balance)
                          and f.entry.account in asserted]
    bc_after_total = [f for f in oud.bc_fouten if f not in bal_before] + bc_nieuw + list(bal_after)

    regel_na = _run_regels(combined, options_map, regels, oud.regels_extern)
    nieuw = nieuwe_fouten(oud.bc_fouten, bc_nieuw + list(bal_after)) + nieuwe_fouten(oud.regel_fouten, regel_na)
    nieuw_geladen = _Geladen(dict(oud.hashes), combined, options_map, bc_after_total, regel_na,
                             oud.regels_extern, oud.regels_toegepast or regels is not None)
    return nieuw, new_entries, nieuw_geladen


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
    geladen, tekst = _current(p, regels)
    return Stand(p, tekst, geladen.entries, geladen.options_map, geladen.bc_fouten + geladen.regel_fouten)


def _current(p: Path, regels: Regels | None) -> tuple[_Geladen, str]:
    raw = p.read_bytes()
    try:
        tekst = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerReadError(p, "is geen geldige UTF-8-tekst") from exc
    main_hash = hashlib.sha256(raw).hexdigest()
    geladen = _cache_lezen(p, main_hash)
    if geladen is None:
        geladen = _full_load(p, regels)
        if geladen.hashes.get(str(p)) == main_hash:
            _cache_schrijven(p, geladen)
    elif geladen.regels_extern and regels is not None and not geladen.regels_toegepast:
        # Cached by a reader that did not run the rules; this ledger has no rules plugin.
        _, errs = regels(geladen.entries, geladen.options_map)
        geladen.regel_fouten, geladen.regels_toegepast = list(errs), True
    return geladen, tekst


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
        oud, oude_tekst = _current(p, regels)
        stand = Stand(p, oude_tekst, oud.entries, oud.options_map, oud.bc_fouten + oud.regel_fouten)
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
                result = _incremental(p, oud, oude_tekst, toevoeging, regels)
            if result is not None:
                nieuw, new_entries, nieuw_geladen = result
                nieuwe_tekst = oude_tekst + toevoeging
                used_incremental = True
            else:
                nieuwe_tekst = _apply_edits(oude_tekst, wijziging.bewerkingen) + toevoeging
                fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(p), suffix=".tmp", dir=p.parent)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as handle:
                        handle.write(nieuwe_tekst)
                    nieuw_geladen = _full_load(p, regels, als=Path(tmp))
                finally:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                nieuw = nieuwe_fouten(oud.bc_fouten, nieuw_geladen.bc_fouten) + nieuwe_fouten(
                    oud.regel_fouten, nieuw_geladen.regel_fouten
                )
                first = oude_tekst.count("\n") + 1
                new_entries = [
                    e for e in nieuw_geladen.entries
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

        inhoud = nieuwe_tekst.encode("utf-8")
        atomic_write_bytes(p, inhoud)
        nieuw_geladen.hashes[str(p)] = hashlib.sha256(inhoud).hexdigest()
        _cache_schrijven(p, nieuw_geladen)
        commit = None
        if git:
            commit = git_commit(p, [p, *copied], door, wijziging.omschrijving, wijziging.details)
        return Resultaat(p, True, wijziging.omschrijving, used_incremental, commit, tuple(new_entries),
                         time.perf_counter() - start)
