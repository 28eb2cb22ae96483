"""`buurtbudget verifieer`: does a statement say what its own embedded books say?

The statement carries its sources, its receipts and a manifest
(`reports.dossier`). Checked, each with a Dutch verdict:

1. files      the embedded files are exactly those the manifest lists;
2. hashes     each file's SHA-256 equals the manifest's and its own description;
3. combined   the one SHA-256 over all of them equals the manifest's and page 1's;
4. books      the embedded ledger loads (in a temporary folder, receipts in place)
              with the rules, and gives a statement of the same date;
5. figures    the figures recomputed from those books equal the manifest's;
6. page 1     page 1 prints those figures.

A file that is no PDF, or a PDF without our manifest, is not a statement
(`NotAStatement`). Ledgers are loaded with the `rules` plugin and beancount's
own plugins only: an embedded ledger asking for any other plugin is not run.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from reports.dossier import MANIFEST_NAME, page_one, read_manifest
from reports.labels import labels_for

SAFE_PLUGINS = re.compile(r"^(rules(\.[a-z_]+)?|beancount\.(plugins|ops)\.[a-z_.]+)$")
_PLUGIN_LINE = re.compile(r'^plugin\s+"([^"]*)"', re.MULTILINE)


class NotAStatement(Exception):
    """The file is no statement made by `buurtbudget report` (Dutch message)."""


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    message: str


@dataclass(frozen=True)
class Verification:
    path: Path
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _embedded(reader: Any) -> tuple[dict[str, list[bytes]], dict[str, str]]:
    """Every embedded file (name -> contents; a name twice is kept twice) and each one's description."""
    files: dict[str, list[bytes]] = {}
    descriptions: dict[str, str] = {}
    for name, contents in (reader.attachments or {}).items():
        files[str(name)] = list(contents)
    root = reader.trailer["/Root"]
    for spec in root.get("/AF", []) or []:
        spec = spec.get_object()
        name = str(spec.get("/UF") or spec.get("/F") or "")
        if name and "/Desc" in spec:
            descriptions.setdefault(name, str(spec["/Desc"]))
    return files, descriptions


def _safe_relative(name: str) -> PurePosixPath | None:
    """A manifest name as a relative path (may climb with '..' first); None when it is unsafe."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or "\\" in name or "\x00" in name:
        return None
    parts = path.parts
    climbing = True
    for part in parts:
        if part == "..":
            if not climbing:
                return None
        else:
            climbing = False
            if part in (".", ""):
                return None
    if climbing:  # only '..'
        return None
    return path


def _depth(path: PurePosixPath) -> int:
    return sum(1 for p in path.parts if p == "..")


def _combined(items: list[tuple[str, str]]) -> str:
    return hashlib.sha256("".join(f"{sha}  {name}\n" for name, sha in sorted(items)).encode("utf-8")).hexdigest()


def open_statement(path: str | Path) -> tuple[Any, Mapping[str, Any], dict[str, list[bytes]], dict[str, str], str]:
    """(reader, manifest, embedded files, descriptions, text of page 1); NotAStatement when it is none."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    p = Path(path)
    if not p.is_file():
        raise NotAStatement(f"{p}: bestand niet gevonden")
    # pypdf reports repairs of damaged files in English on the log; our verdicts say what matters, in Dutch.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        with p.open("rb") as handle:
            if handle.read(5) != b"%PDF-":
                raise NotAStatement(f"{p}: is geen PDF-bestand")
        reader = PdfReader(str(p))
        files, descriptions = _embedded(reader)
        first_page = reader.pages[0].extract_text() if len(reader.pages) else ""
    except NotAStatement:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAStatement(f"{p}: is geen leesbare PDF ({type(exc).__name__}: {exc})") from exc
    contents = files.get(MANIFEST_NAME)
    manifest = read_manifest(contents[0]) if contents else None
    if manifest is None:
        raise NotAStatement(
            f"{p}: is geen verantwoording van een buurtbudget (de bijlage {MANIFEST_NAME} ontbreekt of is onleesbaar)"
        )
    return reader, manifest, files, descriptions, first_page or ""


def verify(path: str | Path) -> Verification:
    """Every check, in order; later checks still run when an earlier one fails (the auditor sees all)."""
    reader, manifest, files, descriptions, page_text = open_statement(path)
    checks: list[Check] = []
    listed = {str(f.get("naam")): f for f in manifest["bestanden"] if isinstance(f, dict)}
    present = {name: contents for name, contents in files.items() if name != MANIFEST_NAME}

    # 1. The list of files.
    doubled = sorted(n for n, c in present.items() if len(c) > 1)
    extra = sorted(set(present) - set(listed))
    absent = sorted(set(listed) - set(present))
    if doubled or extra or absent:
        parts = []
        if absent:
            parts.append("ontbreekt: " + ", ".join(absent))
        if extra:
            parts.append("niet in de lijst: " + ", ".join(extra))
        if doubled:
            parts.append("twee keer ingesloten: " + ", ".join(doubled))
        checks.append(Check("bestanden", False, "de ingesloten bestanden wijken af van de lijst; " + "; ".join(parts)))
    else:
        checks.append(Check("bestanden", True, f"{len(listed)} ingesloten bestanden, precies de lijst van de verantwoording"))

    # 2. Each file's hash.
    actual = {name: hashlib.sha256(contents[0]).hexdigest() for name, contents in present.items()}
    wrong = []
    for name, item in sorted(listed.items()):
        sha = actual.get(name)
        if sha is None:
            continue
        if sha != item.get("sha256") or len(present[name][0]) != item.get("bytes"):
            wrong.append(f"{name} (verwacht {item.get('sha256')}, ingesloten {sha})")
        elif descriptions.get(name) not in (None, f"SHA-256 {sha}"):
            wrong.append(f"{name} (de beschrijving in de PDF noemt {descriptions.get(name)})")
    if wrong:
        checks.append(Check("hashes", False, "SHA-256 klopt niet voor: " + "; ".join(wrong)))
    else:
        checks.append(Check("hashes", True, f"SHA-256 van elk van de {len(actual)} bestanden klopt"))

    # 3. The combined hash (over what is embedded now) against the manifest and page 1.
    combined = _combined(list(actual.items()))
    stated = str(manifest.get("sha256-alles", ""))
    on_page = combined in re.sub(r"\s+", "", page_text)
    if combined == stated and on_page:
        checks.append(Check("gecombineerde hash", True, f"{combined} (ook op pagina 1)"))
    else:
        why = []
        if combined != stated:
            why.append(f"de verantwoording noemt {stated}")
        if not on_page:
            why.append("pagina 1 noemt een andere")
        checks.append(Check("gecombineerde hash", False, f"berekend {combined}; " + "; ".join(why)))

    # 4.-6. The books, their figures, page 1.
    checks.extend(_check_books(manifest, present, page_text))
    return Verification(Path(path), tuple(checks))


def _check_books(manifest: Mapping[str, Any], present: Mapping[str, list[bytes]], page_text: str) -> list[Check]:
    from ledger.loading import LedgerReadError
    from reports.context import StatementError, build_statement

    ledger_name = str(manifest.get("ledger") or "")
    names = {n: _safe_relative(n) for n in set(present) | set(manifest.get("bonnen-niet-ingesloten") or [])}
    unsafe = sorted(n for n, p in names.items() if p is None)
    main = _safe_relative(ledger_name)
    if unsafe or main is None or ledger_name not in present:
        what = f"onveilige namen: {', '.join(unsafe)}" if unsafe else f"de ledger '{ledger_name}' is niet ingesloten"
        return [Check("boeken", False, f"de boeken zijn niet na te rekenen ({what})")]
    plugins = sorted({
        name for n, contents in present.items() if n.endswith(".beancount")
        for name in _PLUGIN_LINE.findall(contents[0].decode("utf-8", "replace"))
        if not SAFE_PLUGINS.match(name)
    })
    if plugins:
        return [Check("boeken", False, "de ingesloten ledger vraagt om een plugin die verifieer niet uitvoert: "
                                      + ", ".join(plugins))]
    taal = manifest.get("taal") if manifest.get("taal") in ("nl", "en") else "nl"
    tot = manifest.get("tot")
    with tempfile.TemporaryDirectory(prefix="buurtbudget-verifieer-") as tmp:
        depth = max([_depth(p) for p in names.values() if p is not None] + [0])
        base = Path(tmp).joinpath(*[f"map{i}" for i in range(depth)], "boeken")
        base.mkdir(parents=True)
        for name, path in names.items():
            target = (base / path).resolve()
            if not target.is_relative_to(Path(tmp).resolve()):
                return [Check("boeken", False, f"de boeken zijn niet na te rekenen (naam buiten de map: {name})")]
            target.parent.mkdir(parents=True, exist_ok=True)
            # A receipt of the light version is named but not embedded: an empty file in its place.
            target.write_bytes(present[name][0] if name in present else b"")
        try:
            import datetime

            statement = build_statement(base / main, tot=datetime.date.fromisoformat(tot) if tot else None,
                                        taal=taal, bonnen=bool(manifest.get("bonnen-ingesloten", True)))
        except (LedgerReadError, StatementError, ValueError) as exc:
            return [Check("boeken", False, f"de ingesloten ledger is niet te laden: {exc}")]
        figures = page_one(statement)
    checks = []
    if statement.statement_date.isoformat() != manifest.get("datum"):
        checks.append(Check("boeken", False, f"de boeken geven een verantwoording per "
                                            f"{statement.statement_date.isoformat()}, de PDF is per {manifest.get('datum')}"))
    else:
        checks.append(Check("boeken", True, f"{ledger_name} geladen met de regels; {statement.violation_count} "
                                            f"overtreding(en), {len(statement.view.cost_lines)} boekingen"))

    stated = manifest.get("cijfers") or {}
    differ = [
        f"{f.key}: de verantwoording zegt '{stated.get(f.key, '–')}', de boeken zeggen '{f.text}'"
        for f in figures if str(stated.get(f.key, "")) != f.text
    ]
    differ += [f"{k}: onbekend cijfer in de verantwoording" for k in sorted(set(stated) - {f.key for f in figures})]
    if differ:
        checks.append(Check("cijfers", False, "; ".join(differ)))
    else:
        checks.append(Check("cijfers", True, f"alle {len(figures)} cijfers van pagina 1 volgen uit de ingesloten boeken"))

    checks.append(_check_page_one(figures, taal, page_text))
    return checks


def _check_page_one(figures: tuple[Any, ...], taal: str, page_text: str) -> Check:
    """Each figure of page 1 printed beside its label, as the template lays it out."""
    import datetime

    from reports.render import format_datum, printable

    L = labels_for(taal)
    text = _squash(page_text)
    f = {fig.key: fig.text for fig in figures}
    shown = {fig.key for fig in figures if fig.on_page and fig.text}
    expected: list[tuple[str, str]] = []

    def want(key: str, phrase: str) -> None:
        if key in shown:
            expected.append((key, _squash(printable(phrase))))

    want("toekenning", f"{L['awarded']} {f['toekenning']}")
    want("ontvangen", f"{L['received']} {f['ontvangen']}")
    want("besteed", f"{L['spent']} {f['besteed']}")
    want("plannen", f"{L['plan-costs']} {f['plannen']}")
    want("ondersteuning", f"{L['support-costs']} {f['ondersteuning']}")
    want("overig", f"{L['other-costs']} {f['overig']}")
    want("ondersteuning-pct", f"{L['support-pct']} {f['ondersteuning-pct']}")
    want("plafond", f"{L['ceiling']} ({f['plafond-pct']}) {f['plafond']}")
    want("resterend", f"{L['remaining']} {f['resterend']}")
    decided = bool(f.get("vastgesteld"))
    if f.get("terug-richting") == "te-ontvangen":
        want("terug", f"{L['still-to-receive']} ({L['received-minus-decided']}) {f['terug']}")
    else:
        suffix = f" ({L['received-minus-decided']})" if decided else ""
        want("terug", f"{L['to-repay']}{suffix} {f['terug']}")
    if decided:
        day = format_datum(datetime.date.fromisoformat(f["vastgesteld-op"]), taal)
        if len(f["vastgesteld-door"]) <= 100:  # longer names are shortened on the page
            want("vastgesteld", f"{L['vastgesteld']} {day} {L['door']} {f['vastgesteld-door']}: {f['vastgesteld']}")
        else:
            want("vastgesteld", f"{L['vastgesteld']} {day} {L['door']}")
    n = int(f.get("overtredingen") or 0)
    want("overtredingen", f"{L['rules-verdict']}: {n} {L['violations-count']}" if n
         else f"{L['rules-verdict']}: {L['all-rules-passed']}")
    want("bestanden", f"{L['embedded']}: {f['bestanden']} {L['files']}")
    missing = [f"{key} ('{phrase}')" for key, phrase in expected if phrase not in text]
    if missing:
        return Check("pagina 1", False, "pagina 1 toont niet wat de boeken zeggen: " + "; ".join(missing))
    return Check("pagina 1", True, f"pagina 1 toont de {len(expected)} cijfers van de boeken naast hun omschrijving")
