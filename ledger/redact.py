"""The public copy of a buurtbudget: the same figures, nobody's private data.

`redact(entries, options_map)` turns the loaded entries of a ledger into the
text of a new beancount file for the residents' view:

- receipts are gone: every `document*` metadata key and every Document entry;
- IBANs are gone: metadata keys containing `iban`, and any IBAN-looking text in
  a narration, payee, note or metadata value;
- private persons become "Bewoner": the payee and declarant of a private entry
  (`prive: TRUE`, or a payee/declarant named in the header's `prive-namen`, or
  an entry that shares a link with a private entry: privacy follows links), and
  every mention of those names anywhere else;
- the header, plans, accounts and every amount stay, so `build_view` of the
  copy gives the same figures as of the original.

The function is pure (entries in, text out). `redact_ledger` also returns where
each original entry ended up, so verdicts can point into the copy, and
`scrub` cleans a free text (a rule's message) the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from beancount.core import data, flags
from beancount.parser import printer

from ledger.header import header_entries, parse_header

BEWONER = "Bewoner"
IBAN_HIDDEN = "[IBAN verborgen]"
RECEIPT_HIDDEN = "[bon]"
EXTENSION_MODULE = "buurtbudget_admin.fava_ext"

# Two letters, two check digits, 11 to 30 letters/digits, optionally in groups of four.
IBAN_PATTERN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")

# Options a reader of the public copy needs; everything else (documents
# folders, plugins, includes, importers) stays behind.
_KEPT_OPTIONS = ("name_assets", "name_liabilities", "name_equity", "name_income", "name_expenses")
# Fava options that would point into the private workspace.
_DROPPED_FAVA_OPTIONS = {"import-config", "import-dirs", "language", "default-page"}


def _is_receipt_key(key: str) -> bool:
    return key.startswith("document")


def _is_iban_key(key: str) -> bool:
    return "iban" in key.lower()


def _looks_like_iban(text: str) -> bool:
    return bool(IBAN_PATTERN.search(text))


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Secrets:
    """What must not appear in the public copy."""

    names: tuple[str, ...] = ()  # private persons, longest first
    receipts: tuple[str, ...] = ()  # receipt values and file names, longest first
    private_ids: frozenset[int] = field(default_factory=frozenset)  # id() of private entries

    def scrub(self, text: str) -> str:
        """Free text without IBANs, receipt names or private names."""
        if not text:
            return text
        out = IBAN_PATTERN.sub(IBAN_HIDDEN, text)
        for receipt in self.receipts:
            if receipt in out:
                out = out.replace(receipt, RECEIPT_HIDDEN)
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
    listed = {n.casefold() for n in _header_private_names(entries)}
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
        elif any(p.casefold() in listed for p in person_of(entry)):
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
    return Secrets(
        names=tuple(sorted({n.strip() for n in names if n.strip()}, key=lambda n: (-len(n), n))),
        receipts=tuple(sorted({r for r in receipts if r.strip()}, key=lambda r: (-len(r), r))),
        private_ids=frozenset(private),
    )


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
        if _is_receipt_key(key) or _is_iban_key(key) or key == "prive-namen":
            continue
        if isinstance(value, str) and IBAN_PATTERN.fullmatch(value.strip()):
            continue  # the whole value is an account number
        out[key] = _clean_value(key, value, secrets, private)
    return out


def _clean_entry(entry: data.Directive, secrets: Secrets) -> data.Directive | None:
    """The public form of one entry, or None when it has no place there."""
    if isinstance(entry, data.Document):
        return None
    if isinstance(entry, data.Transaction) and entry.flag == flags.FLAG_PADDING:
        return None  # the Pad directive makes it again on load
    if isinstance(entry, data.Custom) and entry.type == "fava-extension":
        return None
    if isinstance(entry, data.Custom) and entry.type == "fava-option" and entry.values:
        if str(entry.values[0].value) in _DROPPED_FAVA_OPTIONS:
            return None
    private = id(entry) in secrets.private_ids
    meta = _clean_meta(entry.meta, secrets, private)
    if isinstance(entry, data.Transaction):
        postings = [
            posting._replace(meta=_clean_meta(posting.meta, secrets, private) or None)
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
        return entry._replace(meta=meta)
    if isinstance(entry, data.Custom):
        values = []
        for value in entry.values:
            if isinstance(value.value, str) and value.dtype is str:
                cleaned = secrets.scrub(value.value).replace('"', "'")
                values.append(value._replace(value=cleaned))
            else:
                values.append(value)
        return entry._replace(meta=meta, values=values)
    return entry._replace(meta=meta)


@dataclass(frozen=True)
class Redacted:
    """The public copy's text, and where each original entry landed in it."""

    text: str
    lines: Mapping[tuple[str, int], int]  # (filename, lineno) of the original -> line in the copy
    secrets: Secrets

    def scrub(self, text: str) -> str:
        return self.secrets.scrub(text)


def redact_ledger(entries: list[data.Directive], options_map: Mapping[str, Any]) -> Redacted:
    """The public copy of a loaded ledger (see the module docstring)."""
    secrets = find_secrets(entries)
    out: list[str] = [
        "; Openbare kopie van een buurtbudget, gemaakt door buurtbudget-admin.",
        "; Bonnen, IBANs en namen van bewoners zijn weggelaten; de bedragen zijn die van de boeken.",
        f"option \"title\" {_quote(secrets.scrub(str(options_map.get('title') or 'Buurtbudget')))}",
    ]
    for currency in options_map.get("operating_currency") or ["EUR"]:
        out.append(f"option \"operating_currency\" {_quote(currency)}")
    for key in _KEPT_OPTIONS:
        if options_map.get(key):
            out.append(f"option {_quote(key)} {_quote(options_map[key])}")
    out.append("")
    first = min((e.date for e in entries), default=None)
    start = first.isoformat() if first else "2000-01-01"
    out.append(f'{start} custom "fava-option" "language" "nl"')
    out.append(f'{start} custom "fava-option" "default-page" "extension/Buurtbudget/"')
    out.append(f'{start} custom "fava-extension" "{EXTENSION_MODULE}"')
    out.append("")

    lines: dict[tuple[str, int], int] = {}
    for entry in entries:
        cleaned = _clean_entry(entry, secrets)
        if cleaned is None:
            continue
        text = printer.format_entry(cleaned)
        meta = entry.meta or {}
        if "filename" in meta and "lineno" in meta:
            lines[(str(meta["filename"]), int(meta["lineno"]))] = len(out) + 1
        out.extend(text.rstrip("\n").split("\n"))
        out.append("")
    return Redacted("\n".join(out) + "\n", lines, secrets)


def redact(entries: list[data.Directive], options_map: Mapping[str, Any]) -> str:
    """The text of the public copy."""
    return redact_ledger(entries, options_map).text
