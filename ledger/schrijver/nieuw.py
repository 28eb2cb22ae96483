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
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout, InvoerFout

import contextlib
import datetime
import os
import shutil
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

from beancount.core import data

from ledger.buurtbudget import tekst
from ledger.buurtbudget.accounts import Accounts
from ledger.buurtbudget.header import Header

DUTCH_ROOTS = Accounts(
    assets="Activa", liabilities="Passiva", equity="Vermogen", income="Inkomsten", expenses="Uitgaven"
)

# (path of the staged main.beancount) -> descriptions of what is wrong; empty: fine.
Controle = Callable[[Path], Sequence[str]]


class LedgerExistsError(Fout):
    pass


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
        tekst.custom(opened, "fava-option", [tekst.custom_waarde("locale"), tekst.custom_waarde("nl_NL")]),
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


def create_ledger(directory: Path, header: Header, *, toekenning: Decimal, beschikking: str,
                  toekenning_datum: datetime.date | None = None, controle: Controle | None = None,
                  vastleggen: Callable[[Path], object] | None = None) -> Path:
    """Write DIR/main.beancount and DIR/documents/; refuse when a ledger is already there.

    Raises InvoerFout (nothing written) when the input or the resulting ledger is not valid.
    `vastleggen(target)` commits the new ledger once it is in place; when it raises, what
    was created is removed again (the folder as before) and the error goes to the caller.
    """
    directory = Path(directory)
    target = directory / "main.beancount"
    if target.exists() or target.is_symlink():
        raise LedgerExistsError(f"{target} bestaat al; een bestaande ledger wordt nooit overschreven")
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
    map_bestond, documents_bestond = directory.exists(), (directory / "documents").exists()
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.nieuw.", dir=parent))
    try:
        staged = staging / "main.beancount"
        with open(staged, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        (staging / "documents").mkdir()
        problems = list(controle(staged)) if controle else _beancount_errors(staged)
        if problems:
            raise InvoerFout("de nieuwe ledger zou niet geldig zijn; er is niets aangemaakt:\n  "
                                  + "\n  ".join(p.replace(str(staging), str(directory)) for p in problems))
        if not directory.exists():
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it private; a ledger folder is not
            os.rename(staging, directory)  # the whole folder appears at once
            staging = None
        else:
            # An existing folder (empty, or holding other files): add documents/ and the ledger.
            try:
                os.link(staged, target)  # link() fails if the target appeared meanwhile: never overwrite
            except FileExistsError as exc:
                raise LedgerExistsError(f"{target} bestaat al; een bestaande ledger wordt nooit overschreven") from exc
            (directory / "documents").mkdir(exist_ok=True)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    if vastleggen is not None:
        try:
            vastleggen(target)
        except BaseException:
            # Not committed: not made (a ledger outside the trail would be committed later under no one's name).
            if not map_bestond:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
                if not documents_bestond:
                    with contextlib.suppress(OSError):
                        (directory / "documents").rmdir()
            raise
    return target
