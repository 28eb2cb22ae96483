"""Safe writes: the one way every command (and the web service) changes a ledger.

    resultaat = schrijf(pad, maak_wijziging, door="Henk", valideer=validator)

1. **Lock.** An exclusive `fcntl.flock` on the ledger's folder (no lock file);
   everything below happens while it is held, so two writers never interleave
   and a builder that picks "the next free claim number" sees the ledger as it is.
   When the ledger is in a git work tree, git must be able to commit (git on
   PATH, no stale `index.lock`) before anything is read or written.
2. **Before.** A full beancount load of the ledger as it is (every included
   file; plugins, so `plugin "rules"`, run as in `bean-check`), plus the
   caller's `valideer(entries, options_map)`: the errors it already has.
3. **Build.** `maak_wijziging(stand)` gets that load (`Stand`) and returns a
   `Wijziging`: text to append to the main file, files to replace by their
   complete new text (`vervang`), receipts to copy in, a description.
4. **The verdict (`ledger.schrijver.oordeel`).** A full load of the ledger *with* the
   change: the changed sources are parsed from their new bytes under their own
   names (`ledger.evaluatie.bronnen.laad_bronnen`), so errors name the real files and
   lines and the rules see `regels.toml` and the receipts as they are now.
   The change is refused (`WijzigingGeweigerd`, byte-identical files) when it
   adds an error the ledger did not have, or makes a measured one worse (a
   plan further over budget). After the settlement (`afsluiten`), a change to
   anything dated up to the settlement is refused the same way. A rule
   violation or a change to the closed period may be forced with `toch`
   (a change to the costs of a period the stadsdeel decided, never:
   `ledger.schrijver.vastgesteld.vastgestelde_fouten`)
   (`--toch --reden`): the changed entries then carry `toch-reden:` and
   `toch-door:`, and the violation stays visible to `check`. beancount's own
   errors (syntax, balance, accounts) can never be forced.
5. **Atomic write** of every changed file (temp file, fsync, rename, fsync the
   folder): a crash leaves old or new bytes, never a mix.
6. **Git** (`ledger.schrijver.vastleggen`): one commit of exactly the changed files, by
   the acting user. If that commit fails, the old bytes are put back and the
   write fails: a change is never saved without its place in the trail.

Steps 3 (its receipts) to 6 are one transaction (`ledger.schrijver.intentie`): before
the first receipt is copied in, an intent record and hard links to the old
bytes are written; a refusal or a failure undoes them, and after a crash the
next command (any write, any read through `ledger.evaluatie.loading`, `serve` at start)
finishes the write when its commit stands and undoes it otherwise, saying
which. A file outside the books the change brings (`uitvoer`: a payment file) is
renamed into place just before the ledger's files, in the same transaction. A
receipt must land inside the ledger's folder, the files must be writable and the
disk must have room, or nothing starts.

No cache on disk: a write costs two full loads (see `bench/bench_writes.py`), or one when this
process wrote the same ledger last and nothing it read has changed since (`ledger.schrijver.vorige_stand`).
The parts: `ledger.schrijver.bestanden` (lock, atomic files), `ledger.evaluatie.bronnen` (the
load with changed sources), `ledger.schrijver.oordeel` (which errors are new or worse),
`ledger.schrijver.veranderd` (which entries changed, the closed period), `ledger.schrijver.toch`
(forcing), `ledger.schrijver.vastleggen` (git), `ledger.schrijver.intentie` (all or nothing).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import os
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from beancount.core import data

from ledger.schrijver.bestanden import (  # noqa: F401 - atomic_write_bytes, ledger_lock: used by callers
    atomic_write_bytes, atomic_write_many, clean_stale_tmp, copy_atomic, ledger_lock, stap,
)
from ledger.schrijver import vorige_stand
from ledger.evaluatie.bronnen import Bronnen, laad_bronnen
from ledger.schrijver.intentie import Intentie, IntentieFout, controleer_ruimte, herstel, oorzaak, schrijfbaar
from ledger.evaluatie.loading import _check_readable, resolve_ledger_path
from ledger.schrijver.oordeel import formatteer_fout, nieuwe_fouten
from ledger.schrijver.kaderwijziging import kader_verschillen, kader_weigering
from ledger.schrijver.toch import Toch, aantal_redenen, markeer
from ledger.schrijver.vastleggen import GitFout, git_commit, leg_gevonden_vast, onvastgelegd, voorbereiden
from ledger.schrijver.veranderd import gesloten_fouten, nieuw_in_bestanden, te_forceren
from ledger.schrijver.vastgesteld import vastgestelde_fouten
from ledger.evaluatie.resultaat import bewaarde
from ledger.evaluatie.view import Buurtbudget, build_view

# The caller's validator: (entries, options_map) -> errors, e.g. the rules when the
# ledger has no `plugin "rules"` line. Supplied from above: `ledger/` imports no rules.
Valideer = Callable[[list, dict], Iterable[Any]]


class WijzigingGeweigerd(Fout):
    """The change would add errors to the ledger; nothing was written."""

    def __init__(self, pad: Path, fouten: Sequence[Any], omschrijving: str = "", *, te_forceren: bool = False):
        self.pad = Path(pad)
        self.fouten = list(fouten)
        self.omschrijving = omschrijving
        self.te_forceren = te_forceren  # only rule violations and the closed period: `--toch --reden` may force it
        lijst = "\n".join("  " + formatteer_fout(f) for f in self.fouten)
        super().__init__(
            f"{pad}: wijziging geweigerd{' (' + omschrijving + ')' if omschrijving else ''}: "
            f"de ledger zou {len(self.fouten)} nieuwe of ergere fout(en) krijgen; er is niets gewijzigd:\n{lijst}"
        )


class SchrijfFout(Fout):
    """A change that cannot be made as asked (Dutch message); nothing was written."""


@dataclass(frozen=True)
class Wijziging:
    """What one safe write does to a ledger."""

    omschrijving: str  # one line, Dutch: becomes the commit message
    toevoegen: str = ""  # directives appended at the end of the main file
    bestanden: tuple[tuple[Path, Path], ...] = ()  # (source, target): receipts copied in
    details: str = ""  # optional commit message body
    # (a source file of the ledger, its complete new text): the main file or one it
    # includes, inside the ledger's folder. `toevoegen` is appended after this.
    vervang: tuple[tuple[Path, str], ...] = ()
    # (a file outside the books, its complete bytes): written with the change and never committed,
    # in place exactly when the write stands (the payment file of a batch; `ledger.schrijver.intentie`).
    # Its folder is made with it when it does not exist (and removed again when the write is undone).
    uitvoer: tuple[tuple[Path, bytes], ...] = ()
    # True only for `buurtbudget kader wijzigen` (`ledger.schrijver.kaderwijziging`): any other change
    # that alters the kader (the header's kader fields, the plugin lines) is refused.
    kader: bool = False

    @property
    def leeg(self) -> bool:
        return not self.toevoegen.strip() and not self.vervang


@dataclass(frozen=True)
class Resultaat:
    pad: Path
    gewijzigd: bool
    omschrijving: str
    commit: str | None = None
    nieuwe_entries: tuple = ()  # the entries the change added or changed, as loaded after it
    duur: float = 0.0
    geforceerd: tuple = ()  # the violations written anyway (`toch`)
    bestanden: tuple[Path, ...] = ()  # every file written or copied in
    hersteld: str | None = None  # an earlier write interrupted by a crash, finished or undone first (Dutch)


@dataclass
class Stand:
    """The ledger as a builder sees it, under the lock: one full load."""

    pad: Path
    tekst: str  # the main file
    entries: list
    options_map: dict
    bronnen: dict[Path, str] | None = None  # the text of every source file (main and includes)
    fouten: tuple = ()  # every error of this load (beancount's and the validator's)

    def tekst_van(self, bestand: str | os.PathLike) -> str:
        """The current text of one source file of the ledger (e.g. the file an entry's meta names)."""
        bestand = Path(bestand).resolve()
        for naam, tekst in (self.bronnen or {self.pad: self.tekst}).items():
            if Path(naam).resolve() == bestand:
                return tekst
        raise SchrijfFout(f"{bestand} hoort niet bij de ledger {self.pad}")

    @cached_property
    def view(self) -> Buurtbudget:
        """The whole view: every figure. The evaluation this load made (the rules plugin or the
        validator) when it judged these very entries, on today's date; built only when none did."""
        evaluatie = bewaarde(self.options_map, self.entries)
        if evaluatie is not None:
            return evaluatie.view.op(datetime.date.today())
        return build_view(self.entries, self.options_map)

    @cached_property
    def directieven(self) -> list:
        """Every entry that is not a transaction: header, plans, opens, documents, balances."""
        return [e for e in self.entries if type(e) is not data.Transaction]

    @cached_property
    def structuur(self) -> Buurtbudget:
        """The view without transactions: header, kader, accounts, declared plans (no figures)."""
        return build_view(self.directieven, self.options_map)

    def view_voor_link(self, link: str) -> Buurtbudget:
        """The view of one claim or invoice: the directives plus the transactions with that link."""
        link = link.strip().lstrip("^")
        linked = [e for e in self.entries if type(e) is data.Transaction and e.links and link in e.links]
        return build_view(sorted(self.directieven + linked, key=data.entry_sortkey), self.options_map)


# --------------------------------------------------------------------------- loads


def _laad(p: Path, valideer: Valideer | None, vervangen: dict[Path, bytes] | None = None) -> tuple[Bronnen, list]:
    bronnen = laad_bronnen(p, vervangen)
    fouten = list(bronnen.errors)
    if valideer is not None:
        fouten.extend(valideer(bronnen.entries, bronnen.options_map))
    return bronnen, fouten


def _voor(p: Path, valideer: Valideer | None) -> tuple[Bronnen, list]:
    """The ledger as it is: the kept load of the last write if nothing it read has changed, else a full load."""
    if vorige_stand.AAN:
        bewaard = vorige_stand.haal(p, valideer)
        if bewaard is not None:
            return bewaard
    bronnen, fouten = _laad(p, valideer)
    if vorige_stand.AAN:
        vorige_stand.bewaar(p, valideer, bronnen, fouten)
    return bronnen, fouten


# A byte that is no UTF-8 (beancount reads it in a comment) stays that byte: decoded and encoded
# again with surrogateescape, an untouched line is written back exactly as it was read.
_CODERING = ("utf-8", "surrogateescape")


def _teksten(p: Path, bronnen: Bronnen) -> dict[Path, str]:
    return {naam: raw.decode(*_CODERING) for naam, raw in bronnen.bytes_.items()}


def _stand(p: Path, bronnen: Bronnen, fouten: list) -> Stand:
    teksten = _teksten(p, bronnen)
    return Stand(p, teksten.get(p, ""), bronnen.entries, bronnen.options_map, teksten, tuple(fouten))


def lees_stand(pad: str | os.PathLike, valideer: Valideer | None = None) -> Stand:
    """The current ledger, fully loaded (under the lock: no writer replaces a file halfway)."""
    p = resolve_ledger_path(pad).resolve()
    _check_readable(p)
    with ledger_lock(p):
        _herstel(p)  # a write interrupted by a crash: finished or undone first
        bronnen, fouten = _laad(p, valideer)
    return _stand(p, bronnen, fouten)


# --------------------------------------------------------------------------- the new contents


def _joined(oude_tekst: str, toevoeging: str) -> str:
    if not toevoeging.strip():
        return ""
    sep = "" if not oude_tekst or oude_tekst.endswith("\n") else "\n"
    body = toevoeging if toevoeging.endswith("\n") else toevoeging + "\n"
    return sep + "\n" + body


def _bron(p: Path, stand: Stand, bestand: Path) -> Path:
    """`bestand` as one of the ledger's own source files inside its folder; SchrijfFout otherwise."""
    echt = Path(bestand)
    echt = (echt if echt.is_absolute() else p.parent / echt).resolve()
    folder = p.parent.resolve()
    if folder not in echt.parents:
        raise SchrijfFout(f"{bestand} ligt buiten de map van de ledger ({folder}); daar schrijft buurtbudget niet")
    bronnen = {Path(n).resolve() for n in (stand.bronnen or {p: ""})}
    if echt not in bronnen:
        raise SchrijfFout(f"{bestand} is niet de ledger en ook geen bestand dat de ledger met include opneemt; "
                          "alleen die bestanden kunnen worden gewijzigd")
    return echt


def _nieuwe_inhoud(p: Path, stand: Stand, wijziging: Wijziging) -> dict[Path, bytes]:
    """The complete new bytes of every file the change touches (unchanged files left out)."""
    teksten = {Path(n).resolve(): t for n, t in (stand.bronnen or {p: stand.tekst}).items()}
    nieuw: dict[Path, str] = {}
    for bestand, tekst in wijziging.vervang:
        echt = _bron(p, stand, bestand)
        if echt in nieuw:
            raise SchrijfFout(f"{bestand} wordt in één wijziging twee keer vervangen")
        nieuw[echt] = tekst
    if wijziging.toevoegen.strip():
        hoofd = nieuw.get(p, teksten[p])
        nieuw[p] = hoofd + _joined(hoofd, wijziging.toevoegen)
    # Includes first, the main file last: it never refers to an include that is not written yet.
    volgorde = sorted(nieuw, key=lambda n: n == p)
    return {n: nieuw[n].encode(*_CODERING) for n in volgorde if nieuw[n] != teksten.get(n)}


# --------------------------------------------------------------------------- the write


def schrijf(
    pad: str | os.PathLike,
    maak_wijziging: Callable[[Stand], Wijziging | None],
    *,
    door: str,
    valideer: Valideer | None = None,
    git: bool = True,
    toch: Toch | None = None,
    email: str | None = None,
) -> Resultaat:
    """Change a ledger safely (see the module's docstring). `door` is the person; `email` theirs, for git.

    Raises `WijzigingGeweigerd` (new or worse errors), `SchrijfFout` (a change
    that cannot be made as asked), `GitFout` (no commit possible): in each case
    every file is as it was.
    """
    start = time.perf_counter()
    p = resolve_ledger_path(pad).resolve()
    _check_readable(p)
    if not door or not door.strip():
        raise SchrijfFout("wie de wijziging doet is onbekend (--door of BUURTBUDGET_GEBRUIKER)")
    if toch is not None and not toch.reden.strip():
        raise SchrijfFout("--toch vraagt om een reden: --reden \"waarom dit toch moet\"")
    with ledger_lock(p):
        hersteld = _herstel(p)  # a write interrupted by a crash: finished or undone first
        repo = voorbereiden(p.parent) if git else None
        voor, fouten_voor = _voor(p, valideer)
        clean_stale_tmp([Path(n) for n in voor.bytes_])
        stand = _stand(p, voor, fouten_voor)
        wijziging = maak_wijziging(stand)
        if wijziging is None or wijziging.leeg:
            return Resultaat(p, False, wijziging.omschrijving if wijziging else "niets te doen",
                             duur=time.perf_counter() - start, hersteld=hersteld)
        inhoud = _nieuwe_inhoud(p, stand, wijziging)
        if not inhoud and not wijziging.bestanden:  # the new text is the old text: nothing to write or commit
            return Resultaat(p, False, wijziging.omschrijving, duur=time.perf_counter() - start, hersteld=hersteld)
        bonnen = _bonnen(p, wijziging)
        uitvoer = {Path(pad): inhoud_ for pad, inhoud_ in wijziging.uitvoer}
        mappen = tuple(dict.fromkeys(pad.parent for pad in uitvoer if not pad.parent.is_dir()))  # made with it
        try:
            schrijfbaar([*inhoud, *bonnen, *uitvoer, *mappen])
            controleer_ruimte(p.parent, sum(map(len, [*inhoud.values(), *uitvoer.values()]))
                              + sum(_grootte(b) for b, _ in wijziging.bestanden))
        except IntentieFout as exc:
            raise SchrijfFout(str(exc)) from None

        # From here on all or nothing (`ledger.schrijver.intentie`): the record first, then receipts, files, commit.
        intentie = Intentie(p, wijziging.omschrijving, tuple(inhoud), tuple(bonnen), git=repo is not None,
                            uitvoer=tuple((pad, pad.exists()) for pad in uitvoer), mappen=mappen)
        try:
            intentie.begin()
        except OSError as exc:
            raise SchrijfFout(f"de wijziging kon niet worden begonnen ({oorzaak(exc)}); er is niets gewijzigd") from exc
        geschreven, commit, erbij, geforceerd = False, None, (), ()
        try:
            for bron, doel in wijziging.bestanden:
                copy_atomic(Path(bron), doel)
            na, fouten_na = _laad(p, valideer, inhoud)
            if not wijziging.kader:  # the kader is the stadsdeel's (ledger.schrijver.kaderwijziging)
                verschillen = kader_verschillen(voor.entries, voor.options_map, na.entries, na.options_map)
                if verschillen:
                    raise SchrijfFout(kader_weigering(verschillen))
            nieuw = nieuwe_fouten(fouten_voor, fouten_na) + gesloten_fouten(voor, na) + vastgestelde_fouten(voor, na)
            if nieuw:
                forceerbaar = all(te_forceren(f) for f in nieuw)
                if toch is None or not forceerbaar:
                    raise WijzigingGeweigerd(p, nieuw, wijziging.omschrijving, te_forceren=forceerbaar)
                gemarkeerd = nieuw_in_bestanden(voor, na, inhoud)
                if not gemarkeerd:  # the reason must stand on an entry; a pure deletion has none
                    raise WijzigingGeweigerd(p, nieuw, wijziging.omschrijving)
                redenen = aantal_redenen(na.entries, inhoud)
                inhoud = markeer(inhoud, gemarkeerd, toch, door)
                na, fouten_gemarkeerd = _laad(p, valideer, inhoud)
                extra = nieuwe_fouten(fouten_na, fouten_gemarkeerd)
                fouten_na = fouten_gemarkeerd
                if extra:  # the marks themselves must not break anything
                    raise WijzigingGeweigerd(p, extra, wijziging.omschrijving)
                if aantal_redenen(na.entries, inhoud) != redenen + len(gemarkeerd):
                    raise SchrijfFout("de reden kon niet bij elke gewijzigde boeking worden gezet; "
                                      "er is niets gewijzigd")
                geforceerd = tuple(nieuw)
            erbij = nieuw_in_bestanden(voor, na, inhoud)
            if repo is not None:
                gevonden = onvastgelegd(repo, list(inhoud))
                if gevonden:
                    leg_gevonden_vast(repo, gevonden, door)
            geschreven = True
            for map_ in mappen:
                stap(f"map {map_.name}")
                map_.mkdir()
            atomic_write_many({**uitvoer, **inhoud})  # a file outside the books first, the ledger's last
            if repo is not None:
                commit = git_commit(repo, [*inhoud, *bonnen], door, wijziging.omschrijving, wijziging.details,
                                    email=email)
        except BaseException as exc:
            _na_een_fout(intentie, repo, geschreven, exc)  # raises, unless the commit landed after all
        else:
            intentie.klaar_of_later(repo)  # saved and committed: what is left, now or by the next command
            if vorige_stand.AAN:  # this write's "after" is the next write's "before"
                vorige_stand.bewaar(p, valideer, na, fouten_na)
        return Resultaat(p, True, wijziging.omschrijving, commit, tuple(erbij),
                         time.perf_counter() - start, geforceerd, (*inhoud, *bonnen, *uitvoer), hersteld)


def _herstel(p: Path) -> str | None:
    try:
        return herstel(p)
    except IntentieFout as exc:
        raise SchrijfFout(str(exc)) from None


def _bonnen(p: Path, wijziging: Wijziging) -> list[Path]:
    """The receipts a change copies in: each a new file inside the ledger's folder (never overwritten)."""
    doelen = [Path(doel) for _bron, doel in wijziging.bestanden]
    folder = p.parent.resolve()
    for doel in doelen:
        if folder not in doel.resolve().parents:
            raise SchrijfFout(f"{doel} ligt (via {doel.resolve().parent}) buiten de map van de ledger ({folder}); "
                              "bonnen horen bij de boeken: maak van de bonnenmap een gewone map")
        if doel.exists() or doel.is_symlink():
            raise SchrijfFout(f"{doel} bestaat al; kies een andere bestandsnaam")
    if len(set(doelen)) != len(doelen):
        raise SchrijfFout("twee bonnen met dezelfde bestandsnaam in één wijziging; kies andere namen")
    return doelen


def _grootte(bron: Path) -> int:
    try:
        return os.stat(bron).st_size
    except OSError:
        return 0


def _na_een_fout(intentie: Intentie, repo, geschreven: bool, exc: BaseException) -> None:
    """Undo what the failed write did and raise the (Dutch) error; return only when its commit landed after all."""
    if not geschreven:  # no source file was replaced: receipts and links away
        try:
            intentie.afbreken()
        except OSError:
            pass  # the record stays: the next command undoes the rest (`herstel`)
        if isinstance(exc, OSError):
            raise SchrijfFout(f"de wijziging kon niet worden opgeslagen ({oorzaak(exc)}); er is niets gewijzigd") from exc
        raise exc
    try:
        uitkomst = intentie.terugdraaien(repo)
    except IntentieFout as fout:
        raise SchrijfFout(f"de wijziging kon niet worden opgeslagen ({oorzaak(exc)}).\n{fout}") from exc
    if uitkomst.afgerond:
        return
    if isinstance(exc, GitFout):
        raise GitFout(f"{exc}\nDe wijziging is teruggedraaid: er is niets gewijzigd. Herstel git "
                      f"(git -C {repo.root} status) en probeer het opnieuw.") from exc
    if isinstance(exc, OSError):
        raise SchrijfFout(f"de wijziging kon niet worden opgeslagen ({oorzaak(exc)}); ze is teruggedraaid: "
                          "er is niets gewijzigd") from exc
    raise exc
