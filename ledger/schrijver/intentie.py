"""All or nothing: a write of several files and its commit, also when the machine fails.

Before the writer touches anything it writes an intent record beside the
ledger (`.buurtbudget-intentie-<ledger>.json`; beancount never reads it):
which source files it will replace and which receipts it will copy in. The
old bytes of each source file stay on disk as a hard link
(`.<file>.buurtbudget-oud`, no extra space): a rename back restores them, even
on a full disk. Then the receipts, the files and the commit follow.

Two more kinds of file belong to a write. A file outside the books that
must exist exactly when the write stands (`uitvoer`: the payment file of a
batch) is put in place before the commit and is never committed; undoing
removes it again (or, replaced with `--overschrijven`, puts its old bytes
back from the link). A write that creates the ledger itself (`buurtbudget
init`, `ledger.schrijver.nieuw`) names its new folders (`mappen`): its
record is written in the staging folder, which is renamed into place with
the new ledger, and undoing removes the folders again.

The record is decided exactly once, by renaming it (atomic):

- `….klaar.json`: the write is committed (or, outside git, every file was
  replaced); what is left is removing the old links.
- `….terug.json`: the write is undone: old bytes back, receipts removed, the
  index entries as in the last commit.

After a crash the next command (`herstel`, under the ledger's lock: every
write, every read through `ledger.evaluatie.loading`, and `buurtbudget serve` at start)
finds the record. An undecided one is decided by what is on disk: the
write counts as done only when every file was replaced and the last commit
holds exactly those bytes and receipts; anything less is rolled back. Each
step of finishing or undoing may be repeated, so a crash while recovering is
recovered by the next command too. The Dutch message says which it was.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import contextlib
import errno
import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ledger.buurtbudget.money import format_mb
from ledger.schrijver.bestanden import clean_stale_tmp, fsync_dir, ledger_lock, stap
from ledger.schrijver.vastleggen import GitFout, in_head, index_naar_head, repo_van, ruim_vergrendelingen_op

VERSIE = 1
MARGE = 1024 * 1024  # git objects and the index need room too


class IntentieFout(Fout):
    """An interrupted write that could not be finished or undone now (Dutch; says what to do)."""


def intentie_pad(ledger: Path, toestand: str = "") -> Path:
    """The record of `ledger`'s write in progress; `toestand` is "", "klaar" or "terug"."""
    return ledger.parent / f".buurtbudget-intentie-{ledger.name}{'.' + toestand if toestand else ''}.json"


def oud_pad(bestand: Path) -> Path:
    return bestand.parent / f".{bestand.name}.buurtbudget-oud"


def controleer_ruimte(folder: Path, nodig: int) -> None:
    """Refuse (before anything is written) when `folder`'s disk has less than `nodig` bytes plus a margin free."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return  # cannot tell; the write itself will find out, and be undone
    vrij = st.f_bavail * st.f_frsize
    if vrij < nodig + MARGE:
        raise IntentieFout(
            f"te weinig vrije schijfruimte in {folder}: nodig {format_mb(nodig + MARGE)}, vrij {format_mb(vrij)}. "
            "Er is niets gewijzigd; maak ruimte vrij en probeer het opnieuw."
        )


@dataclass
class Intentie:
    """One write in progress: its record, the files it replaces, the receipts it copies in."""

    ledger: Path
    omschrijving: str
    bestanden: tuple[Path, ...]  # source files that will be replaced (they exist)
    bonnen: tuple[Path, ...]  # receipts that will be created (they do not exist)
    git: bool = True
    # files outside the books written with the change, never committed: (path, it existed before)
    uitvoer: tuple[tuple[Path, bool], ...] = ()
    mappen: tuple[Path, ...] = ()  # folders the write creates, deepest first (a new ledger's, a payment file's)
    gekoppeld: list[Path] = field(default_factory=list)

    @property
    def vervangen(self) -> tuple[Path, ...]:
        """Files the write replaces: their old bytes are linked before, put back when it is undone."""
        return (*self.bestanden, *(pad for pad, bestond in self.uitvoer if bestond))

    @property
    def nieuw(self) -> tuple[Path, ...]:
        """Files the write creates: removed when it is undone."""
        return (*self.bonnen, *(pad for pad, bestond in self.uitvoer if not bestond))

    @property
    def vastgelegd(self) -> tuple[Path, ...]:
        """Files the commit holds."""
        return (*self.bestanden, *self.bonnen)

    # -- the record -----------------------------------------------------------
    def _json(self) -> bytes:
        return json.dumps({
            "versie": VERSIE, "ledger": str(self.ledger), "omschrijving": self.omschrijving,
            "bestanden": [str(p) for p in self.bestanden], "bonnen": [str(p) for p in self.bonnen],
            "git": self.git, "uitvoer": [[str(p), bestond] for p, bestond in self.uitvoer],
            "mappen": [str(p) for p in self.mappen],
        }, ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def lees(cls, ledger: Path, pad: Path) -> "Intentie | None":
        """The record at `pad`; None when it is incomplete (the writer died writing it: nothing else happened)."""
        try:
            data = json.loads(pad.read_bytes().decode("utf-8"))
            if data.get("versie") != VERSIE:
                raise ValueError("versie")
            return cls(ledger, str(data["omschrijving"]), tuple(Path(p) for p in data["bestanden"]),
                       tuple(Path(p) for p in data["bonnen"]), bool(data.get("git", True)),
                       tuple((Path(p), bool(bestond)) for p, bestond in data.get("uitvoer", ())),
                       tuple(Path(p) for p in data.get("mappen", ())))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None

    def begin(self, waar: Path | None = None) -> None:
        """Write the record and link the old bytes, before any file of the ledger changes.

        `waar`: the folder the record is written in when that is not yet the ledger's (a new
        ledger's staging folder, renamed into place by the caller); the record names the final paths.
        """
        folder = waar or self.ledger.parent
        pad = folder / intentie_pad(self.ledger).name
        stap("intentie schrijven")
        fd = os.open(pad, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._json())
                handle.flush()
                stap("intentie fsync")
                os.fsync(handle.fileno())
            fsync_dir(folder)
            for bestand in self.vervangen:
                stap(f"link {bestand.name}", ruimte=False)
                oud_pad(bestand).unlink(missing_ok=True)  # without a record an old link is a leftover
                os.link(bestand, oud_pad(bestand))
                self.gekoppeld.append(bestand)
            for map_ in {b.parent for b in self.vervangen} - {folder}:
                fsync_dir(map_)
            fsync_dir(folder)
        except BaseException:
            self._weg_zonder_meer(pad)
            raise

    def _weg_zonder_meer(self, pad: Path) -> None:
        """Nothing was replaced yet: remove the links and the record (best effort; else `herstel` does it)."""
        for bestand in self.gekoppeld:
            with contextlib.suppress(OSError):
                oud_pad(bestand).unlink()
        with contextlib.suppress(OSError):
            pad.unlink()

    # -- deciding ---------------------------------------------------------------
    def _beslis(self, toestand: str) -> None:
        stap(f"intentie {toestand}", ruimte=False)
        os.replace(intentie_pad(self.ledger), intentie_pad(self.ledger, toestand))
        fsync_dir(self.ledger.parent)

    def _gelukt(self, repo) -> bool:
        """Did the write reach its end: every file replaced, and (in git) the last commit holds it all?"""
        for bestand in self.vervangen:
            oud = oud_pad(bestand)
            if not oud.exists() or not bestand.exists() or os.path.samefile(oud, bestand):
                return False
        if not all(b.is_file() for b in self.nieuw) or not all(m.is_dir() for m in self.mappen):
            return False
        if repo is None:
            return bool(self.bestanden)  # outside git a receipt (or a new ledger) alone proves nothing: undone
        return in_head(repo, self.vastgelegd)

    # -- the two ends (each may be repeated) -------------------------------------
    def _rond_af(self, repo, *, index: bool = True) -> None:
        for bestand in self.vervangen:
            stap(f"weg {oud_pad(bestand).name}", ruimte=False)
            oud_pad(bestand).unlink(missing_ok=True)
        self._opruimen(repo if index else None)
        stap("intentie weg", ruimte=False)
        intentie_pad(self.ledger, "klaar").unlink(missing_ok=True)
        fsync_dir(self.ledger.parent)

    def _draai_terug(self, repo) -> None:
        for bestand in self.vervangen:
            oud = oud_pad(bestand)
            if not oud.exists():
                continue  # put back already (or never linked: then never replaced)
            stap(f"terug {bestand.name}", ruimte=False)
            if bestand.exists() and os.path.samefile(oud, bestand):
                oud.unlink()  # never replaced
            else:
                os.replace(oud, bestand)
        for bon in self.nieuw:
            stap(f"weg {bon.name}", ruimte=False)
            bon.unlink(missing_ok=True)
        self._opruimen(repo)
        for map_ in self.mappen:
            if not self._eigen_map(map_):
                stap(f"weg {map_.name}/", ruimte=False)
                _rmdir(map_)
        for folder in sorted({p.parent for p in (*self.vervangen, *self.nieuw, *self.mappen)} - set(self.mappen)):
            fsync_dir(folder)
        stap("intentie weg", ruimte=False)
        intentie_pad(self.ledger, "terug").unlink(missing_ok=True)
        fsync_dir(self.ledger.parent)
        if any(map(self._eigen_map, self.mappen)):
            # The record lived in this folder, so the folder goes last. Not a step of its own: a crash
            # exactly here leaves an empty folder, which `buurtbudget init` takes as an existing one.
            with contextlib.suppress(OSError):
                self.ledger.parent.rmdir()
                fsync_dir(self.ledger.parent.parent)

    def _opruimen(self, repo) -> None:
        clean_stale_tmp([*self.vervangen, *self.nieuw])
        if repo is not None:
            index_naar_head(repo, self.vastgelegd)

    def _eigen_map(self, map_: Path) -> bool:
        """Is `map_` the ledger's own folder (created by this write: `buurtbudget init`)?"""
        return map_.resolve() == self.ledger.parent.resolve()

    def teruggezet(self) -> str:
        """What undoing this write put back, in Dutch."""
        if any(b.resolve() == self.ledger.resolve() for b in self.bonnen):  # the write created the ledger
            if any(map(self._eigen_map, self.mappen)):
                return f"het buurtbudget is niet aangemaakt: de half aangemaakte map {self.ledger.parent} is weggehaald"
            return f"het buurtbudget is niet aangemaakt: {self.ledger.parent} is weer zoals daarvoor"
        return "de ledger en de bonnen zijn weer zoals daarvoor" + "".join(
            f"; {pad} is {'teruggezet zoals het was' if bestond else 'weggehaald'}" for pad, bestond in self.uitvoer)

    def op_zijn_plaats(self) -> str:
        """The files outside the books a finished write left in place, in Dutch (or nothing)."""
        return "".join(f"; {pad} staat klaar" for pad, _ in self.uitvoer)

    def klaar(self, repo, *, index: bool = True) -> None:
        """The write is committed: decide so, then remove the old links (`index`: and reset git's index
        entries of its paths to the commit, after a crash; a commit that just succeeded left them so)."""
        self._beslis("klaar")
        self._rond_af(repo, index=index)

    def klaar_of_later(self, repo) -> None:
        """`klaar` right after the commit; when removing what is left fails, say so: the next command does it."""
        try:
            self.klaar(repo, index=False)
        except (OSError, GitFout) as exc:
            print(f"let op: {self.ledger}: opgeslagen en vastgelegd, maar het opruimen daarna mislukte "
                  f"({oorzaak(exc)}); de volgende opdracht op deze ledger maakt dat af", file=sys.stderr)

    def afbreken(self) -> None:
        """Undo before any source file was replaced (a refusal): receipts and links away, then the record."""
        for bon in self.bonnen:
            stap(f"weg {bon.name}", ruimte=False)
            bon.unlink(missing_ok=True)
        clean_stale_tmp([*self.bonnen, *(pad for pad, _ in self.uitvoer)])
        for bestand in self.gekoppeld:
            stap(f"weg {oud_pad(bestand).name}", ruimte=False)
            oud_pad(bestand).unlink(missing_ok=True)
        stap("intentie weg", ruimte=False)
        intentie_pad(self.ledger).unlink(missing_ok=True)
        fsync_dir(self.ledger.parent)

    def terugdraaien(self, repo) -> "Herstel":
        """After a failure once files may have been replaced: decided from the disk, as after a crash."""
        return _herstel_onder_slot(self.ledger, repo=repo, eigen=self) or Herstel("", False)


@dataclass(frozen=True)
class Herstel:
    bericht: str  # Dutch, names the ledger and the change
    afgerond: bool  # True: the change was committed and stays; False: it was undone


# --------------------------------------------------------------------------- recovery


def _repo(ledger: Path, intentie: Intentie | None):
    if intentie is not None and not intentie.git:
        return None
    repo = repo_van(ledger.parent)
    if repo is None and intentie is not None:
        # Without git it cannot be told whether the commit stands: decide nothing, change nothing.
        raise IntentieFout(f"{ledger}: een onderbroken wijziging ({intentie.omschrijving}) wacht op git, maar git "
                           "is niet beschikbaar (PATH) of de repository is weg; herstel dat en probeer het opnieuw")
    if repo is not None:
        ruim_vergrendelingen_op(repo)
    return repo


def _herstel_onder_slot(ledger: Path, *, repo=None, eigen: Intentie | None = None) -> Herstel | None:
    """Finish or undo the interrupted write of `ledger` (the caller holds its lock); the Dutch message."""
    basis, klaar, terug = (intentie_pad(ledger, t) for t in ("", "klaar", "terug"))
    if not (basis.exists() or klaar.exists() or terug.exists()):
        return None
    try:
        if klaar.exists():
            intentie = Intentie.lees(ledger, klaar)
            if intentie is None:  # pragma: no cover - a decided record was complete when renamed
                raise IntentieFout(f"{klaar} is onleesbaar")
            intentie._rond_af(repo or _repo(ledger, intentie))
            return Herstel(f"{ledger}: de vorige wijziging ({intentie.omschrijving}) was al opgeslagen en "
                           f"vastgelegd; het opruimen daarna is nu afgemaakt{intentie.op_zijn_plaats()}.", True)
        if terug.exists():
            intentie = Intentie.lees(ledger, terug)
            if intentie is None:  # pragma: no cover
                raise IntentieFout(f"{terug} is onleesbaar")
        else:
            intentie = Intentie.lees(ledger, basis) or eigen
            if intentie is None:  # died writing the record: nothing else had happened
                stap("intentie weg", ruimte=False)
                basis.unlink()
                return None
            if repo is None:
                repo = _repo(ledger, intentie)
            if intentie._gelukt(repo):
                intentie.klaar(repo)
                return Herstel(f"{ledger}: de vorige wijziging ({intentie.omschrijving}) was onderbroken na "
                               f"het vastleggen; ze is afgerond en staat in de geschiedenis{intentie.op_zijn_plaats()}.",
                               True)
            intentie._beslis("terug")
        if repo is None:
            repo = _repo(ledger, intentie)
        intentie._draai_terug(repo)
        return Herstel(f"{ledger}: de vorige wijziging ({intentie.omschrijving}) was niet afgerond en is "
                       f"teruggedraaid: {intentie.teruggezet()}.", False)
    except (OSError, GitFout) as exc:
        raise IntentieFout(
            f"{ledger}: een onderbroken wijziging kan nu niet worden afgerond of teruggedraaid "
            f"({oorzaak(exc)}). Maak ruimte vrij of "
            "zorg dat de map beschrijfbaar is; de volgende opdracht op deze ledger maakt het dan af."
        ) from exc


def _rmdir(map_: Path) -> None:
    """A folder the write created, gone again; one that is gone already, or that holds something else, stays so."""
    try:
        map_.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise


_OORZAKEN = {
    errno.ENOSPC: "de schijf is vol", errno.EDQUOT: "het schijfquotum is op",
    errno.EROFS: "de schijf is alleen-lezen", errno.EACCES: "geen toestemming", errno.EPERM: "niet toegestaan",
    errno.EIO: "leesfout of schrijffout van de schijf", errno.ENOENT: "bestaat niet",
}


def oorzaak(exc: BaseException) -> str:
    """A failure in Dutch, naming the file where the system said which."""
    if isinstance(exc, OSError):
        wat = _OORZAKEN.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return f"{wat}{': ' + str(exc.filename) if exc.filename else ''}"
    return str(exc)


def herstel(ledger: Path, *, moet_bestaan: bool = True) -> str | None:
    """Finish or undo an interrupted write of `ledger` (the caller holds the lock); says so on stderr.

    `moet_bestaan`: the caller goes on to use the ledger; IntentieFout when the undone write was
    the one that created it (an `init`), so there is none.
    """
    uitkomst = _herstel_onder_slot(ledger)
    if uitkomst is None:
        return None
    print(f"let op: {uitkomst.bericht}", file=sys.stderr)
    if moet_bestaan and not uitkomst.afgerond and not ledger.exists():
        raise IntentieFout(f"{ledger}: er is geen ledger: het onderbroken aanmaken ervan is teruggedraaid. "
                           "Maak het buurtbudget opnieuw met 'buurtbudget init'.")
    return uitkomst.bericht


def herstel_als_nodig(ledger: Path, *, moet_bestaan: bool = True) -> str | None:
    """For readers: a look for a record (three stats); only when there is one, the lock and `herstel`."""
    if not any(intentie_pad(ledger, t).exists() for t in ("", "klaar", "terug")):
        return None
    with ledger_lock(ledger):
        return herstel(ledger, moet_bestaan=moet_bestaan)


def schrijfbaar(paden: list[Path]) -> None:
    """Refuse early, in Dutch, when a file to replace or its folder is read-only (mode bits: root ignores access())."""
    for pad in paden:
        for doel, wat, hem in ((pad, "het bestand", "het"), (pad.parent, "de map", "hem")):
            try:
                st = os.stat(doel)
            except FileNotFoundError:
                continue
            if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(doel, os.W_OK):
                raise IntentieFout(f"{wat} {doel} is alleen-lezen; er is niets gewijzigd. Maak {hem} beschrijfbaar "
                                   "(of kies een andere ledger) en probeer het opnieuw.")


