"""The public copy of a buurtbudget: the same figures, nobody's private data.

`redact(entries, options_map)` turns the loaded entries of a ledger into the
text of a new beancount file for the residents' view:

- receipts are gone: every `document*` metadata key and every Document entry;
- IBANs are gone: metadata keys containing `iban`, and any IBAN-looking text
  (upper or lower case) in a narration, payee, note, query or metadata value;
  so are e-mail addresses and phone numbers;
- private persons become "Bewoner": the payee and declarant of a private entry
  (`prive: TRUE`, or a payee/declarant named in the header's `prive-namen`, or
  an entry that shares a link with a private entry: privacy follows links), and
  every mention of those names anywhere else;
- an account, tag or link named after a private person gets a neutral name
  (`Bewoner-1`, ...; the same person the same name everywhere);
- the header, plans, accounts and every amount stay, so `build_view` of the
  copy gives the same figures as of the original; the accounts beancount
  makes for a summary (`Earnings:Current`) get Dutch names (`SAMENVATTING`).

What Fava shows on top of the copy (`custom "fava-option"` lines) is the
caller's to say (`fava_options`); the original's own Fava directives
(`custom "fava-..."`) stay behind, and so do its options, plugins and includes.

The copy is built from entries, never from the original's text: every entry
is written by the one serializer (`ledger.buurtbudget.tekst`, every string escaped) and the
text is parsed again before it is handed out; unless it reads back as exactly
the redacted entries and our own options, nothing is handed out
(`KopieFout`). So no text in a ledger (an event saying
`"x\"\ninclude \"../other/main.beancount\""`) becomes a directive of the copy.

The function is pure (entries in, text out). `redact_ledger` also returns where
each original entry ended up, so verdicts can point into the copy, and
`scrub` cleans a free text (a rule's message) the same way.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from beancount.core import account, data, flags
from beancount.parser import options as options_lib
from beancount.parser import parser

from ledger.buurtbudget import tekst
from ledger.buurtbudget.header import header_entries, parse_header
from ledger.evaluatie.vier_ogen import ZEGEL, persoon_sleutel

BEWONER = "Bewoner"
IBAN_HIDDEN = "[IBAN verborgen]"
RECEIPT_HIDDEN = "[bon]"
EMAIL_HIDDEN = "[e-mail verborgen]"
PHONE_HIDDEN = "[telefoon verborgen]"

# Two letters, two check digits, 11 to 30 letters/digits, optionally in groups of four; any case.
IBAN_PATTERN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Dutch numbers: 0 and nine digits (06-12345678, 020 123 4567), or +31 / 0031 and nine digits.
PHONE_PATTERN = re.compile(
    r"(?<![\w.,/-])(?:(?:\+|00)31[\s-]?(?:\(0\)[\s-]?)?|0)[1-9](?:[\s-]?\d){8}(?![\w.,/-]?\d)")

# Options a reader of the public copy needs; everything else (documents
# folders, plugins, includes, importers) stays behind.
_KEPT_OPTIONS = ("name_assets", "name_liabilities", "name_equity", "name_income", "name_expenses")
# Beancount's own accounts of a summary (Fava's balance sheet shows the year's result under `Earnings:Current`):
# in the copy always these Dutch names (not the original's: no option value of the books reaches the copy).
SAMENVATTING = {"account_current_earnings": "Resultaat:Lopend", "account_previous_earnings": "Resultaat:Eerder",
                "account_previous_balances": "Beginsaldi", "account_current_conversions": "Omrekening:Lopend",
                "account_previous_conversions": "Omrekening:Eerder",
                "account_unrealized_gains": "Resultaat:Ongerealiseerd"}
# Directives for Fava (options, extensions, sidebar links): the copy gets only the caller's.
_FAVA_PREFIX = "fava-"


class KopieFout(Fout, ValueError):
    """The public copy could not be made so that it reads back as the redacted entries; none is handed out."""


def _is_receipt_key(key: str) -> bool:
    return key.startswith("document")


def _is_iban_key(key: str) -> bool:
    return "iban" in key.lower()


@dataclass(frozen=True)
class Secrets:
    """What must not appear in the public copy."""

    names: tuple[str, ...] = ()  # private persons, longest first
    receipts: tuple[str, ...] = ()  # receipt values and file names, longest first
    private_ids: frozenset[int] = field(default_factory=frozenset)  # id() of private entries
    accounts: Mapping[str, str] = field(default_factory=dict)  # account named after a person -> neutral name
    words: tuple[tuple[str, str], ...] = ()  # account components, tags, links -> neutral, longest first

    def scrub(self, text: str) -> str:
        """Free text without IBANs, e-mail addresses, phone numbers, receipt names or private names."""
        if not text:
            return text
        out = EMAIL_PATTERN.sub(EMAIL_HIDDEN, text)
        out = IBAN_PATTERN.sub(IBAN_HIDDEN, out)
        out = PHONE_PATTERN.sub(PHONE_HIDDEN, out)
        for receipt in self.receipts:
            if receipt in out:
                out = out.replace(receipt, RECEIPT_HIDDEN)
        for word, neutral in self.words:
            if word in out:
                out = out.replace(word, neutral)
        for name in self.names:
            out = re.sub(r"(?<!\w)" + re.escape(name) + r"(?!\w)", BEWONER, out, flags=re.IGNORECASE)
        return out


def _header_private_names(entries: Iterable[data.Directive]) -> tuple[str, ...]:
    found = header_entries(list(entries))
    if not found:
        return ()
    parsed = parse_header(found[0])
    if hasattr(parsed, "prive_namen"):
        return tuple(parsed.prive_namen)
    # An invalid header still names its private persons; read the raw value.
    raw = found[0].meta.get("prive-namen")
    if isinstance(raw, str):
        return tuple(n.strip() for n in raw.replace(";", ",").split(",") if n.strip())
    return ()


def find_secrets(entries: list[data.Directive]) -> Secrets:
    """The private entries (privacy follows links), private names and receipt names."""
    # Compared as people read names (look-alike letters, invisibles, spaces aside): the four-eyes key.
    listed = {persoon_sleutel(n) for n in _header_private_names(entries)} - {""}
    names: set[str] = set(_header_private_names(entries))
    transactions = [e for e in entries if isinstance(e, data.Transaction)]

    def person_of(entry: data.Transaction) -> list[str]:
        people = [entry.payee] if entry.payee else []
        declarant = entry.meta.get("declarant") if entry.meta else None
        if isinstance(declarant, str) and declarant.strip():
            people.append(declarant)
        return people

    private: set[int] = set()
    for entry in transactions:
        marked = entry.meta.get("prive") if entry.meta else None
        if marked is True or (isinstance(marked, str) and marked.strip().upper() in ("TRUE", "JA", "1")):
            private.add(id(entry))
        elif any(persoon_sleutel(p) in listed for p in person_of(entry)):
            private.add(id(entry))

    # Privacy follows links, to a fixed point.
    private_links: set[str] = set()
    changed = True
    while changed:
        changed = False
        for entry in transactions:
            links = set(entry.links or ())
            if id(entry) in private:
                new = links - private_links
                if new:
                    private_links |= new
                    changed = True
            elif links & private_links:
                private.add(id(entry))
                changed = True

    for entry in transactions:
        if id(entry) in private:
            names.update(p for p in person_of(entry) if p.strip())

    receipts: set[str] = set()

    def collect(meta: Mapping[str, Any] | None) -> None:
        for key, value in (meta or {}).items():
            if _is_receipt_key(key) and isinstance(value, str) and value.strip():
                receipts.add(value)
                receipts.add(value.replace("\\", "/").rsplit("/", 1)[-1])

    for entry in entries:
        collect(entry.meta)
        if isinstance(entry, data.Document):
            receipts.add(entry.filename)
            receipts.add(entry.filename.replace("\\", "/").rsplit("/", 1)[-1])
        for posting in getattr(entry, "postings", None) or ():
            collect(posting.meta)

    names.discard(BEWONER)
    final_names = tuple(sorted({n.strip() for n in names if n.strip()}, key=lambda n: (-len(n), n)))
    accounts, words = _neutral_names(entries, final_names)
    return Secrets(
        names=final_names,
        receipts=tuple(sorted({r for r in receipts if r.strip()}, key=lambda r: (-len(r), r))),
        private_ids=frozenset(private),
        accounts=accounts,
        words=words,
    )


def _squashed(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _all_accounts(entries: Iterable[data.Directive]) -> set[str]:
    found: set[str] = set()
    for entry in entries:
        for attr in ("account", "source_account"):
            value = getattr(entry, attr, None)
            if isinstance(value, str):
                found.add(value)
        for posting in getattr(entry, "postings", None) or ():
            found.add(posting.account)
        if isinstance(entry, data.Custom):
            found.update(v.value for v in entry.values if v.dtype == account.TYPE)
    return found


def _neutral_names(entries: list[data.Directive], names: tuple[str, ...]):
    """Accounts, tags and links that carry a private name (or an e-mail, phone number, IBAN), made neutral.

    A word carries a name when, lower-cased without separators, it contains the
    whole name ("Fatima-el-Amrani", "fatima_elamrani"). Each such word gets
    its own neutral name, stable within the copy, so sums per account and
    groups per link stay as they were.
    """
    squashed = [_squashed(n) for n in names if len(_squashed(n)) >= 3]

    def personal(word: str) -> bool:
        flat = _squashed(word)
        return (any(n in flat for n in squashed) or bool(IBAN_PATTERN.search(word))
                or bool(EMAIL_PATTERN.search(word)) or bool(PHONE_PATTERN.search(word)))

    components = sorted({c for acc in _all_accounts(entries) for c in acc.split(":")[1:] if personal(c)})
    component_names = {c: f"Bewoner-{i}" for i, c in enumerate(components, 1)}
    accounts = {}
    for acc in _all_accounts(entries):
        parts = acc.split(":")
        if any(p in component_names for p in parts[1:]):
            accounts[acc] = ":".join([parts[0]] + [component_names.get(p, p) for p in parts[1:]])
    tags = sorted({t for e in entries for t in (getattr(e, "tags", None) or ()) if personal(t)})
    links = sorted({k for e in entries for k in (getattr(e, "links", None) or ()) if personal(k)})
    words = dict(accounts)
    words.update(component_names)
    words.update({t: "bewoner" for t in tags})
    words.update({k: f"prive-{i}" for i, k in enumerate(links, 1)})
    return accounts, tuple(sorted(words.items(), key=lambda kv: (-len(kv[0]), kv[0])))


def _clean_value(key: str, value: Any, secrets: Secrets, private: bool) -> Any:
    if isinstance(value, str):
        if private and key == "declarant":
            return BEWONER
        return secrets.scrub(value)
    return value


def _clean_meta(meta: Mapping[str, Any] | None, secrets: Secrets, private: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (meta or {}).items():
        if key in ("filename", "lineno") or key.startswith("__"):
            continue
        if _is_receipt_key(key) or _is_iban_key(key) or key in ("prive-namen", ZEGEL, "uitnodiging"):
            continue  # (an approval's seal hashes the IBAN and the receipts: it stays private too; an
            # invitation's id would tie one resident's claims together)
        if isinstance(value, str) and IBAN_PATTERN.fullmatch(value.strip()):
            continue  # the whole value is an account number
        out[key] = _clean_value(key, value, secrets, private)
    return out


def _neutral_words(entry: data.Directive, secrets: Secrets) -> data.Directive:
    """The entry with its accounts, tags and links renamed where they carry a private name."""
    if not secrets.words:
        return entry
    words = dict(secrets.words)
    changes: dict[str, Any] = {}
    for attr in ("account", "source_account"):
        value = getattr(entry, attr, None)
        if isinstance(value, str) and value in secrets.accounts:
            changes[attr] = secrets.accounts[value]
    for attr in ("tags", "links"):
        value = getattr(entry, attr, None)
        if value and any(v in words for v in value):
            changes[attr] = frozenset(words.get(v, v) for v in value)
    if isinstance(entry, data.Custom):
        changes["values"] = [
            v._replace(value=secrets.accounts.get(v.value, v.value)) if v.dtype == account.TYPE else v
            for v in entry.values
        ]
    return entry._replace(**changes) if changes else entry


def _clean_entry(entry: data.Directive, secrets: Secrets) -> data.Directive | None:
    """The public form of one entry, or None when it has no place there."""
    if isinstance(entry, data.Document):
        return None
    if isinstance(entry, data.Transaction) and entry.flag == flags.FLAG_PADDING:
        return None  # the Pad directive makes it again on load
    if isinstance(entry, data.Custom) and entry.type.startswith(_FAVA_PREFIX):
        return None  # Fava's settings of the copy are the caller's (`fava_options`)
    if isinstance(entry, data.Custom) and entry.type == "signaal-gezien":
        return None  # signals are for beheer and the auditor; a mark's reason can name people
    private = id(entry) in secrets.private_ids
    meta = _clean_meta(entry.meta, secrets, private)
    entry = _neutral_words(entry, secrets)
    if isinstance(entry, data.Transaction):
        postings = [
            posting._replace(meta=_clean_meta(posting.meta, secrets, private) or None,
                             account=secrets.accounts.get(posting.account, posting.account))
            for posting in entry.postings
        ]
        payee = BEWONER if private and entry.payee else secrets.scrub(entry.payee) if entry.payee else entry.payee
        return entry._replace(
            meta=meta, payee=payee, narration=secrets.scrub(entry.narration or ""), postings=postings
        )
    if isinstance(entry, data.Note):
        return entry._replace(meta=meta, comment=secrets.scrub(entry.comment))
    if isinstance(entry, data.Event):
        return entry._replace(meta=meta, description=secrets.scrub(entry.description))
    if isinstance(entry, data.Query):
        return entry._replace(meta=meta, name=secrets.scrub(entry.name),
                              query_string=secrets.scrub(entry.query_string))
    if isinstance(entry, data.Custom):
        values = []
        for value in entry.values:
            if isinstance(value.value, str) and value.dtype is str:
                values.append(value._replace(value=secrets.scrub(value.value)))
            else:
                values.append(value)
        return entry._replace(meta=meta, values=values)
    return entry._replace(meta=meta)


def _line(text: str) -> str:
    """One line of `ledger.buurtbudget.tekst` text without its newline; the copy is assembled line by line, and
    `tekst` writes a line break inside a string as `\\n`, so each option or directive is one line."""
    return text.rstrip("\n")


@dataclass(frozen=True)
class Redacted:
    """The public copy's text, and where each original entry landed in it."""

    text: str
    lines: Mapping[tuple[str, int], int]  # (filename, lineno) of the original -> line in the copy
    secrets: Secrets

    def scrub(self, text: str) -> str:
        return self.secrets.scrub(text)


def redact_ledger(entries: list[data.Directive], options_map: Mapping[str, Any], *,
                  fava_options: Iterable[tuple[str, str]] = ()) -> Redacted:
    """The public copy of a loaded ledger (see the module docstring).

    `fava_options`: (name, value) pairs written as `custom "fava-option"` lines
    at the top of the copy (the language and start page the public view uses).
    Raises `KopieFout` when an entry cannot be written so that it reads back.
    """
    secrets = find_secrets(entries)
    options = {"title": secrets.scrub(str(options_map.get("title") or "Buurtbudget")),
               "operating_currency": [str(c) for c in options_map.get("operating_currency") or ["EUR"]]}
    options.update({key: str(options_map[key]) for key in _KEPT_OPTIONS if options_map.get(key)})
    options.update(SAMENVATTING)
    out: list[str] = [
        "; Openbare kopie van een buurtbudget, gemaakt door buurtbudget-admin.",
        "; Bonnen, IBANs en namen van bewoners zijn weggelaten; de bedragen zijn die van de boeken.",
    ]
    try:
        for key, value in options.items():
            for one in value if isinstance(value, list) else [value]:
                out.append(_line(tekst.option(key, one)))
    except ValueError as exc:
        raise KopieFout(f"openbare kopie: optie niet te schrijven ({exc})") from None
    out.append("")
    start = min((e.date for e in entries), default=datetime.date(2000, 1, 1))
    written: dict[int, str] = {}  # line in the copy -> the text of the entry written there
    for name, value in fava_options:
        fava = _write(tekst.custom(start, "fava-option", [tekst.custom_waarde(name), tekst.custom_waarde(value)]))
        written[len(out) + 1] = fava
        out.append(_line(fava))
    out.append("")

    lines: dict[tuple[str, int], int] = {}
    for entry, cleaned in _public_pairs(entries, secrets):
        text = _write(cleaned, entry)
        meta = entry.meta or {}
        if "filename" in meta and "lineno" in meta:
            lines[(str(meta["filename"]), int(meta["lineno"]))] = len(out) + 1
        written[len(out) + 1] = text
        out.extend(text.rstrip("\n").split("\n"))
        out.append("")
    text = "\n".join(out) + "\n"
    _reads_back(text, written, options)
    return Redacted(text, lines, secrets)


def _public_pairs(entries: list[data.Directive], secrets: Secrets):
    for entry in entries:
        cleaned = _clean_entry(entry, secrets)
        if cleaned is not None:
            yield entry, cleaned


def redacted_entries(entries: list[data.Directive]) -> list[data.Directive]:
    """The entries of the public copy, in the order of `entries` (what the copy must read back as)."""
    return [cleaned for _entry, cleaned in _public_pairs(entries, find_secrets(entries))]


def _write(entry: data.Directive, original: data.Directive | None = None) -> str:
    try:
        return tekst.entry(entry, exact=True)
    except ValueError as exc:
        where = original.meta if original is not None and original.meta else {}
        raise KopieFout(f"{where.get('filename', 'openbare kopie')}:{where.get('lineno', 0)}: "
                        f"{type(entry).__name__.lower()} niet te schrijven in de openbare kopie ({exc})") from None


def _reads_back(text: str, written: Mapping[int, str], options: Mapping[str, Any]) -> None:
    """The copy parses without errors to exactly the entries written (by line), with only `options` set.

    Each entry read back is written again and must give the same text: with a
    serializer that writes different values differently (the property tests in
    `tests/test_tekst_alle.py` hold it to `tekst.comparable`), the copy says
    exactly what was written, and nothing else.
    """
    parsed, errors, parsed_options = parser.parse_string(text, report_filename="main.beancount")
    if errors:
        first = errors[0]
        raise KopieFout(f"openbare kopie, regel {first.source.get('lineno') if first.source else '?'}: "
                        f"{first.message}")
    for key, default in options_lib.OPTIONS_DEFAULTS.items():
        if key in ("filename", "dcontext"):
            continue
        want = options.get(key, default)
        if parsed_options.get(key) != want:
            raise KopieFout(f"openbare kopie: optie {key} is {parsed_options.get(key)!r}, verwacht {want!r}")
    read = {entry.meta["lineno"]: entry for entry in parsed}
    if len(read) != len(parsed) or sorted(read) != sorted(written):
        extra = sorted(set(read) - set(written)) or sorted(set(written) - set(read))
        raise KopieFout(f"openbare kopie, regel {extra[0]}: {len(read)} directieven gelezen, "
                        f"{len(written)} geschreven")
    for lineno, want in written.items():
        if _write(read[lineno]) != want:
            raise KopieFout(f"openbare kopie, regel {lineno}: leest niet terug als wat geschreven is")
