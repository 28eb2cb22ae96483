"""Edits of an existing entry, addressed by the entry, never by a line number alone.

    nieuw = keur_goed(stand, payable.entry, "Ria")     # (file, its complete new text)
    Wijziging("...", vervang=(nieuw,))

The entry is found in the parsed ledger (by its link and metadata: the caller
passes the entry itself); its `filename` and `lineno` say where its text
starts, in whichever file of the ledger it is. Lines are counted the way
beancount counts them: by `\\n` only (U+2028, U+0085 or a form feed inside a
string are not line breaks to beancount, though `str.splitlines` thinks so).

Where the entry's text ends is found by a small scan that knows beancount's
strings (a quoted string may hold escaped quotes and even newlines) and
comments: the entry goes on while its lines are indented and not blank. The
text found is parsed back and must be exactly that entry (same date, payee,
narration, links, postings and metadata); the edited text is parsed again and
must be the same entry with only the intended change. Anything else is refused
(`BewerkingOnveilig`), nothing is written.
"""

from __future__ import annotations

import re
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beancount.core import data
from beancount.core.amount import Amount
from beancount.parser import parser

from ledger.buurtbudget import tekst
from ledger.evaluatie.vier_ogen import ZEGEL

_FLAG = re.compile(r"(\d{4}[-/]\d{2}[-/]\d{2})([ \t]+)(!|\*|txn)(?=[ \t\n]|$)")
_OUDE_GOEDKEURING = re.compile(rf"[ \t]+(goedgekeurd-door|{ZEGEL}):")
_ROOT_OPTIONS = ("name_assets", "name_liabilities", "name_equity", "name_income", "name_expenses")


class BewerkingOnveilig(ValueError):
    """The entry's text could not be found or changed with certainty; nothing was written (Dutch)."""


@dataclass(frozen=True, slots=True)
class Plek:
    """Where one entry's text is: offsets into its file's complete text."""

    pad: Path
    tekst: str  # the whole file
    begin: int  # first character of the entry
    kop_einde: int  # just after the `\n` that ends its first statement (date, flag, payee, narration, ...)
    einde: int  # just after the `\n` of its last line (or the end of the file)

    @property
    def stuk(self) -> str:
        return self.tekst[self.begin:self.einde]


def _line_start(text: str, lineno: int) -> int:
    """Offset of line `lineno` (1-based), lines counted by `\\n` only, as beancount does."""
    offset = 0
    for _ in range(lineno - 1):
        found = text.find("\n", offset)
        if found < 0:
            raise IndexError(lineno)
        offset = found + 1
    return offset


def _scan(text: str, begin: int) -> tuple[int, int]:
    """(end of the first statement, end of the entry), knowing strings and comments."""
    i, n = begin, len(text)
    in_string = False
    kop_einde = -1
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == ";":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        elif c == "\n":
            if kop_einde < 0:
                kop_einde = i + 1
            nxt = i + 1
            line_end = text.find("\n", nxt)
            line = text[nxt:] if line_end < 0 else text[nxt:line_end]
            if not line[:1] in (" ", "\t") or not line.strip():
                return kop_einde, i + 1
        i += 1
    return (kop_einde if kop_einde >= 0 else n), n


def _prefix(options_map: dict) -> str:
    """Option lines for the ledger's root names, so that a piece of it parses with its own accounts."""
    return "".join(tekst.option(name, options_map[name]) for name in _ROOT_OPTIONS if options_map.get(name))


def _clean_meta(meta: dict | None) -> dict:
    return {k: v for k, v in (meta or {}).items() if k not in ("filename", "lineno") and not k.startswith("__")}


def _postings(entry: data.Transaction) -> list[tuple[Any, ...]]:
    return [(p.account, p.units if isinstance(p.units, Amount) and isinstance(p.units.number, Decimal) else None,
             p.flag, _clean_meta(p.meta)) for p in entry.postings]


def _shape(entry: data.Transaction, booked: bool) -> tuple:
    """What identifies a transaction's text. `booked`: amounts elided in the text are filled in the ledger."""
    postings = _postings(entry)
    if booked:
        postings = [(a, None, f, m) for a, _u, f, m in postings]
    return (entry.date, entry.payee, entry.narration, frozenset(entry.links or ()), frozenset(entry.tags or ()),
            postings)


def _parse_one(stuk: str, options_map: dict, waar: str) -> data.Transaction:
    entries, errors, _ = parser.parse_string(_prefix(options_map) + stuk)
    if errors or len(entries) != 1 or not isinstance(entries[0], data.Transaction):
        raise BewerkingOnveilig(f"{waar}: de tekst van deze boeking is niet eenduidig te vinden; "
                                "pas haar met de hand aan (er is niets gewijzigd)")
    return entries[0]


def _same_text_entry(parsed: data.Transaction, entry: data.Transaction) -> bool:
    """Is `parsed` (from the text alone) the ledger's `entry`?

    The ledger's entry is booked (elided amounts filled in) and may carry tags and
    metadata from `pushtag`/`pushmeta` above it: those may be extra, nothing else.
    """
    a, b = _shape(parsed, True), _shape(entry, True)
    if (a[0], a[1], a[2], a[3], a[5]) != (b[0], b[1], b[2], b[3], b[5]) or not a[4] <= b[4]:
        return False
    for (_, units, _, _), p in zip(_postings(parsed), entry.postings):
        if units is not None and units != p.units:
            return False
    mine, theirs = _clean_meta(parsed.meta), _clean_meta(entry.meta)
    return all(k in theirs and theirs[k] == v for k, v in mine.items())


def origineel(plek: Plek, options_map: dict, waar: str) -> data.Transaction:
    """The entry as its text alone says it (unbooked)."""
    return _parse_one(plek.stuk, options_map, waar)


def vind(stand: Any, entry: data.Transaction) -> Plek:
    """The text of `entry` in its own file (the main ledger or an included one)."""
    filename, lineno = entry.meta.get("filename"), entry.meta.get("lineno")
    waar = f"{filename}:{lineno}"
    if not filename or not isinstance(lineno, int) or str(filename).startswith("<"):
        raise BewerkingOnveilig(f"{waar}: deze boeking staat niet in een bestand; er is niets gewijzigd")
    pad = Path(filename)
    try:
        # The text the writer loaded under its lock: the entry's own file, main ledger or included.
        text = stand.tekst_van(pad)
    except Exception as exc:  # SchrijfFout: not a source file of this ledger
        raise BewerkingOnveilig(f"{waar}: {exc}; er is niets gewijzigd") from None
    try:
        begin = _line_start(text, lineno)
    except IndexError:
        raise BewerkingOnveilig(f"{waar}: het bestand is korter dan verwacht; probeer het opnieuw") from None
    kop_einde, einde = _scan(text, begin)
    plek = Plek(pad, text, begin, kop_einde, einde)
    if not _same_text_entry(origineel(plek, stand.options_map, waar), entry):
        raise BewerkingOnveilig(f"{waar}: op deze plek staat een andere boeking dan verwacht; "
                                "probeer het opnieuw of pas haar met de hand aan (er is niets gewijzigd)")
    return plek


def keur_goed(stand: Any, entry: data.Transaction, door: str, zegel: str | None = None) -> tuple[Path, str]:
    """Flag `!` -> `*`, `goedgekeurd-door: "door"` and its seal under the first statement: (file, its new text).

    `zegel` is `goedkeuring-sha256` (`ledger.evaluatie.vier_ogen.zegel`): what was approved, so that a
    later change of amount, IBAN, declarant, payee, plan, category or receipt shows.
    """
    plek = vind(stand, entry)
    waar = f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"
    kop = plek.tekst[plek.begin:plek.kop_einde]
    m = _FLAG.match(kop)
    if not m:
        raise BewerkingOnveilig(f"{waar}: de eerste regel van deze boeking is niet te lezen; er is niets gewijzigd")
    eol = "\r\n" if kop.endswith("\r\n") else "\n"  # keep a hand-edited file's line endings
    nieuwe_kop = kop[:m.start(3)] + "*" + kop[m.end(3):]
    if not nieuwe_kop.endswith("\n"):
        nieuwe_kop += eol
    regel = f"{tekst.INDENT}goedgekeurd-door: {tekst.string(door)}{eol}"
    if zegel is not None:
        regel += f"{tekst.INDENT}{ZEGEL}: {tekst.string(zegel)}{eol}"
    # An approval that does not count (by the declarant, or its seal broken) is replaced, not doubled.
    # Lines as beancount counts them (by `\n` only, not str.splitlines).
    rest = "".join(line for line in re.findall(r"[^\n]*\n|[^\n]+\Z", plek.tekst[plek.kop_einde:plek.einde])
                   if not _OUDE_GOEDKEURING.match(line))
    nieuw_stuk = nieuwe_kop + regel + rest
    # The edited text must be the same entry, approved, and nothing else.
    voor = origineel(plek, stand.options_map, waar)
    parsed = _parse_one(nieuw_stuk, stand.options_map, waar)
    oud = {k: v for k, v in _clean_meta(voor.meta).items() if k not in ("goedgekeurd-door", ZEGEL)}
    verwacht = {**oud, "goedgekeurd-door": door, **({ZEGEL: zegel} if zegel is not None else {})}
    if parsed.flag != "*" or _clean_meta(parsed.meta) != verwacht or _shape(parsed, False) != _shape(voor, False):
        raise BewerkingOnveilig(f"{waar}: de goedkeuring kon niet veilig in de tekst worden gezet; "
                                "er is niets gewijzigd")
    return plek.pad, plek.tekst[:plek.begin] + nieuw_stuk + plek.tekst[plek.einde:]


_DOCUMENT = re.compile(r"[ \t]+document:")


def zet_document(stand: Any, entry: data.Transaction, document: str | None) -> tuple[Path, str]:
    """The entry's `document:` set to `document` (None: removed) and nothing else: (file, its new text).

    Only the entry's own `document:` line changes (other `document-...:` keys and a posting's
    metadata stay); the new line stands right under the first statement.
    """
    plek = vind(stand, entry)
    waar = f"{entry.meta.get('filename')}:{entry.meta.get('lineno')}"
    kop = plek.tekst[plek.begin:plek.kop_einde]
    eol = "\r\n" if kop.endswith("\r\n") else "\n"
    if not kop.endswith("\n"):
        kop += eol
    regels = re.findall(r"[^\n]*\n|[^\n]+\Z", plek.tekst[plek.kop_einde:plek.einde])
    rest = "".join(line for line in regels if not _DOCUMENT.match(line))
    regel = f"{tekst.INDENT}document: {tekst.string(document)}{eol}" if document is not None else ""
    nieuw_stuk = kop + regel + rest
    voor = origineel(plek, stand.options_map, waar)
    parsed = _parse_one(nieuw_stuk, stand.options_map, waar)
    oud = {k: v for k, v in _clean_meta(voor.meta).items() if k != "document"}
    verwacht = {**oud, **({"document": document} if document is not None else {})}
    if (parsed.flag != voor.flag or _clean_meta(parsed.meta) != verwacht
            or _shape(parsed, False) != _shape(voor, False)):
        raise BewerkingOnveilig(f"{waar}: de bon kon niet veilig in de tekst worden gezet; er is niets gewijzigd")
    return plek.pad, plek.tekst[:plek.begin] + nieuw_stuk + plek.tekst[plek.einde:]
