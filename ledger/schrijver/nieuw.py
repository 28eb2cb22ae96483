"""Creating a new buurtbudget ledger: the workspace layout of the conventions.

    DIR/
      main.beancount   <- header, standard accounts, award booking, Dutch roots
      documents/       <- receipts

Nothing is written until the input is valid: names are single lines of
printable text (`check_naam`), the text is built from beancount entries
(`ledger.buurtbudget.tekst`), and the new ledger is written in a staging folder beside
DIR, checked there (beancount's load plus the caller's validator, e.g. the
rules), and only then moved into place. A refusal leaves DIR as it was (or
absent); an existing ledger is never overwritten.

Placing the ledger and committing it are one write of `ledger.schrijver.intentie`:
its intent record comes into place with the new ledger (renamed in with the
staging folder, or written first into an existing folder), so a crash before
the commit is undone by the next command that touches the folder (`init` again,
any read of the ledger, `serve` at start), and one after it is finished. A
staging folder whose `init` died before anything was in place is removed by the
next `init` of that folder and by `serve` at start (`ruim_staging_op`).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout, InvoerFout

import dataclasses
import datetime
import fcntl
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

from beancount.core import data

from ledger.buurtbudget import tekst
from ledger.buurtbudget.accounts import Accounts
from ledger.buurtbudget.header import Header
from ledger.buurtbudget.money import LOCALE
from ledger.schrijver.bestanden import fsync_dir, ledger_lock, stap
from ledger.schrijver.intentie import Intentie, herstel, herstel_als_nodig, intentie_pad, oorzaak

DUTCH_ROOTS = Accounts(
    assets="Activa", liabilities="Passiva", equity="Vermogen", income="Inkomsten", expenses="Uitgaven"
)

# (path of the staged main.beancount) -> descriptions of what is wrong; empty: fine.
Controle = Callable[[Path], Sequence[str]]


class LedgerExistsError(Fout):
    pass


class NietAangemaakt(Fout):
    """The disk refused (full, read-only): nothing was created (Dutch)."""


def check_naam(waarde: str | None, optie: str) -> str | None:
    """A name on one line: no line breaks, tabs or other control characters; not blank."""
    if waarde is None:
        return None
    for c in str(waarde):
        if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") and c != "\u200d":
            raise InvoerFout(f"{optie} bevat een regeleinde of stuurteken ({c!r}); "
                                  f"geef de naam op één regel, zonder tabs of regeleinden")
    if not str(waarde).strip():
        raise InvoerFout(f"{optie} mag niet leeg zijn")
    return str(waarde).strip()


def check_header(header: Header) -> None:
    for optie, waarde in (("--naam", header.naam), ("--stadsdeel", header.stadsdeel), ("--buurt", header.buurt),
                          ("--beheerder", header.beheerder), ("--iban", header.iban)):
        check_naam(waarde, optie)


def ledger_entries(header: Header, *, toekenning: Decimal, beschikking: str, toekenning_datum: datetime.date,
                   roots: Accounts = DUTCH_ROOTS) -> list[data.Directive]:
    """The directives of a new ledger: language and number format, header, standard accounts, the award."""
    opened = min(header.begin, toekenning_datum, header.datum)
    header_meta = tekst.meta_van([
        ("stadsdeel", header.stadsdeel), ("buurt", header.buurt), ("model", header.model),
        ("begin", header.begin), ("einde", header.einde), ("beheerder", header.beheerder), ("iban", header.iban),
    ])
    return [
        tekst.custom(opened, "fava-option", [tekst.custom_waarde("language"), tekst.custom_waarde("nl")]),
        # Fava's numbers as the Netherlands writes them (1.234,56), also in the beheerder's view.
        tekst.custom(opened, "fava-option", [tekst.custom_waarde("locale"), tekst.custom_waarde(LOCALE)]),
        tekst.custom(header.datum, "buurtbudget", [tekst.custom_waarde(header.naam)], header_meta),
        *[tekst.open_(opened, account) for account in roots.standard()],
        tekst.transaction(
            toekenning_datum, "*", "Gemeente Amsterdam", "Toekenning buurtbudget",
            [tekst.posting(roots.vordering, toekenning), tekst.posting(roots.toekenning)],
            meta_={"beschikking": beschikking}, tags=("toekenning",),
        ),
    ]


def ledger_text(header: Header, *, toekenning: Decimal, beschikking: str, toekenning_datum: datetime.date,
                roots: Accounts = DUTCH_ROOTS, title: str | None = None) -> str:
    title = title or f"Buurtbudget {header.naam}"
    fava, kop, *rest = ledger_entries(header, toekenning=toekenning, beschikking=beschikking,
                                      toekenning_datum=toekenning_datum, roots=roots)
    opens = [e for e in rest if isinstance(e, data.Open)]
    award = [e for e in rest if not isinstance(e, data.Open)]
    options = [tekst.option("title", title), tekst.option("operating_currency", "EUR"),
               tekst.option("name_assets", roots.assets), tekst.option("name_liabilities", roots.liabilities),
               tekst.option("name_equity", roots.equity), tekst.option("name_income", roots.income),
               tekst.option("name_expenses", roots.expenses), tekst.option("documents", "documents"),
               tekst.plugin("rules")]
    return "".join([
        tekst.commentaar(f"{title} — aangemaakt met buurtbudget-admin."),
        tekst.commentaar("De afspraken over deze ledger: docs/ledger-conventions.md van buurtbudget-admin (v1)."),
        *options, "\n",
        tekst.entry(fava), "\n",
        tekst.entry(kop), "\n",
        "".join(tekst.entry(o) for o in opens), "\n",
        tekst.entries(award),
    ])


def _beancount_errors(path: Path) -> list[str]:
    from beancount import loader

    _entries, errors, _ = loader.load_file(str(path))
    return [f"{e.source.get('filename')}:{e.source.get('lineno')}: {e.message}" if e.source else str(e.message)
            for e in errors]


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


STAGING = ".nieuw."  # `.<folder>.nieuw.<random>`: a new ledger being written and checked beside its place


def omschrijving(header: Header) -> str:
    """The new ledger's commit message (and the name of the write in its intent record)."""
    return f"Nieuw buurtbudget '{header.naam}' aangemaakt"


def ruim_staging_op(parent: Path, naam: str = "*") -> list[Path]:
    """Staging folders an `init` that was killed left in `parent` (for folder `naam`; "*": any); says so.

    A staging folder is locked by its `init` while it lives: one that can be locked is a dead one's.
    Its ledger never stood in its place, so removing it is all there is to undo.
    """
    weg = []
    for staging in sorted(Path(parent).glob(f".{naam}{STAGING}*")):
        if not _is_staging(staging):
            continue  # not one of ours: a folder someone named so is never removed
        try:
            fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # an init at work
        try:
            shutil.rmtree(staging)
            weg.append(staging)
            naam_ = staging.name[1:].rsplit(STAGING, 1)[0]
            print(f"let op: {Path(parent) / naam_}: een onderbroken 'buurtbudget init' liet een halve kopie achter "
                  f"({staging.name}); die is weggehaald, er was niets aangemaakt.", file=sys.stderr)
        except OSError:
            pass  # the next one tries again
        finally:
            os.close(fd)
    return weg


def _is_staging(pad: Path) -> bool:
    """A folder as `create_ledger` makes it: mkdtemp's name, holding at most the new ledger, an empty
    documents/ and the intent record."""
    if not re.fullmatch(rf"\..+{re.escape(STAGING)}[a-z0-9_]{{8}}", pad.name) or not pad.is_dir():
        return False
    try:
        namen = set(os.listdir(pad))
        documents = os.listdir(pad / "documents") if "documents" in namen else []
    except OSError:
        return False
    toegestaan = {"main.beancount", "documents", intentie_pad(pad / "main.beancount").name}
    return namen <= toegestaan and not documents


def create_ledger(directory: Path, header: Header, *, toekenning: Decimal, beschikking: str,
                  toekenning_datum: datetime.date | None = None, controle: Controle | None = None,
                  vastleggen: Callable[[Path, str], object] | None = None) -> Path:
    """Write DIR/main.beancount and DIR/documents/; refuse when a ledger is already there.

    Raises InvoerFout (nothing written) when the input or the resulting ledger is not valid.
    `vastleggen(target, omschrijving)` commits the new ledger once it is in place. Placing and
    committing are one write of `ledger.schrijver.intentie`: when the commit fails, or the process
    dies, what was created is removed again (the folder as before), unless the commit stands.
    """
    directory = Path(directory)
    target = directory / "main.beancount"
    # an earlier init of this folder, interrupted: finished or undone first
    herstel_als_nodig(directory.absolute() / target.name, moet_bestaan=False)
    if target.exists() or target.is_symlink():
        raise _bestaat(target)
    if directory.exists() and not directory.is_dir():
        raise InvoerFout(f"{directory} bestaat al en is geen map")
    if toekenning <= 0:
        raise InvoerFout("de toekenning moet groter dan nul zijn")
    check_header(header)
    check_naam(beschikking, "--beschikking")
    text = ledger_text(header, toekenning=toekenning, beschikking=beschikking.strip(),
                       toekenning_datum=toekenning_datum or header.begin)

    parent = directory.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    ledger = parent / directory.name / target.name  # absolute: the record names the final paths
    ruim_staging_op(parent, directory.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}{STAGING}", dir=parent))
    try:
        # The staging folder's lock is held to the end: once renamed into place, it is the new folder's.
        with ledger_lock(staging / target.name):
            staged = _schrijf_en_controleer(staging, directory, text, controle)
            if not directory.exists():
                _nieuwe_map(ledger, staging, omschrijving(header), vastleggen)
            else:
                with ledger_lock(ledger):
                    herstel(ledger, moet_bestaan=False)
                    _in_bestaande_map(ledger, staged, omschrijving(header), vastleggen)
    except OSError as exc:
        raise NietAangemaakt(f"{directory}: het buurtbudget kon niet worden aangemaakt ({oorzaak(exc)}); "
                             "er is niets aangemaakt") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already once renamed into place
    return target


def _bestaat(target: Path) -> LedgerExistsError:
    return LedgerExistsError(f"{target} bestaat al; een bestaande ledger wordt nooit overschreven")


def _schrijf_en_controleer(staging: Path, directory: Path, text: str, controle: Controle | None) -> Path:
    """The new ledger and documents/ in the staging folder; InvoerFout when it would not be valid."""
    staged = staging / "main.beancount"
    with open(staged, "w", encoding="utf-8", newline="") as handle:
        stap(f"schrijf {staged.name}")
        handle.write(text)
        handle.flush()
        stap(f"fsync {staged.name}")
        os.fsync(handle.fileno())
    stap("map documents")
    (staging / "documents").mkdir()
    problems = list(controle(staged)) if controle else _beancount_errors(staged)
    if problems:
        raise InvoerFout("de nieuwe ledger zou niet geldig zijn; er is niets aangemaakt:\n  "
                         + "\n  ".join(p.replace(str(staging), str(directory)) for p in problems))
    return staged


def _nieuwe_map(ledger: Path, staging: Path, wat: str, vastleggen) -> None:
    """A new folder: the staging folder, the record in it, renamed into place at once."""
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it private; a ledger folder is not
    intentie = Intentie(ledger, wat, (), (ledger,), git=vastleggen is not None,
                        mappen=(ledger.parent / "documents", ledger.parent))
    intentie.begin(waar=staging)
    stap(f"rename {ledger.parent.name}", ruimte=False)
    # The whole folder appears at once, its record in it. Should this fail, nothing is in place
    # (and a folder that appeared meanwhile is another's): the caller removes the staging folder.
    os.rename(staging, ledger.parent)
    _plaats_en_leg_vast(intentie, lambda: fsync_dir(ledger.parent.parent), vastleggen)


def _in_bestaande_map(ledger: Path, staged: Path, wat: str, vastleggen) -> None:
    """An existing folder (empty, or holding other files; its lock held): the record, then documents/ and the ledger."""
    if ledger.exists() or ledger.is_symlink():
        raise _bestaat(ledger)
    documents = ledger.parent / "documents"
    intentie = Intentie(ledger, wat, (), (ledger,), git=vastleggen is not None,
                        mappen=() if documents.exists() else (documents,))
    intentie.begin()

    def plaats() -> None:
        stap(f"link {ledger.name}", ruimte=False)
        try:
            os.link(staged, ledger)  # link() fails if the target appeared meanwhile: never overwrite
        except FileExistsError:
            # made outside buurtbudget (the folder is locked): not this write's to remove
            dataclasses.replace(intentie, bonnen=(), mappen=()).afbreken()
            raise _bestaat(ledger) from None
        stap("map documents")
        documents.mkdir(exist_ok=True)
        fsync_dir(ledger.parent)

    _plaats_en_leg_vast(intentie, plaats, vastleggen)


def _plaats_en_leg_vast(intentie: Intentie, plaats: Callable[[], None], vastleggen) -> None:
    """Place the new ledger and commit it; on any failure undone (decided from the disk, as after a crash)."""
    try:
        plaats()
        if vastleggen is not None:
            vastleggen(intentie.ledger, intentie.omschrijving)
    except BaseException:
        if not intentie.terugdraaien(None).afgerond:
            raise
        return  # the commit landed after all
    intentie.klaar_of_later(None)
