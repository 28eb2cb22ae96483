"""`buurtbudget verifieer`: does a statement say what its own embedded books say, byte for byte?

The statement carries its sources, its receipts and a manifest
(`reports.dossier`). Checked, each with a Dutch verdict:

0. structure  every object of the file parses, every stream decodes (a
              compressed stream's own checksum included), the cross-reference
              points at each object; one revision, or the statement plus its
              signature and nothing after it (`reports.pdf_structure`);
1. signature  who signed and when, and that no byte changed or was added after
              (`reports.onderteken`); an unsigned statement says so;
2. files      the embedded files are exactly those the manifest lists;
3. hashes     each file's SHA-256 equals the manifest's and its own description;
4. combined   the one SHA-256 over all of them equals the manifest's and page 1's;
5. books      the embedded ledger loads (in a temporary folder, receipts in place)
              with the rules, and gives a statement of the same date;
6. figures    the figures recomputed from those books equal the manifest's;
7. page 1     page 1 prints those figures beside their labels;
8. pages      the statement rendered anew from those books: with the same code,
              templates and environment (`reports.weergave`) every byte is equal;
              with the same code and templates the text of every page is; made
              by another version the figures of every page are, and it says so.

A file that is no PDF, or a sound PDF without our manifest, is not a statement
(`NotAStatement`). Ledgers are loaded with the `rules` plugin and beancount's
own plugins only: an embedded ledger asking for any other plugin is not run.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from reports.dossier import MANIFEST_NAME, page_one, read_manifest
from reports.labels import labels_for
from reports.sources import combined_sha256
from reports.weergave import Weergave

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
    opened: "Opened | None" = field(default=None, repr=False, compare=False)  # the file as read (its manifest)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def samenvatting(result: Verification, name: str) -> str:
    """The verdict in one line, as `buurtbudget verifieer` ends and the auditor's page heads it."""
    if result.ok:
        return f"{name}: de verantwoording is wat de ingesloten boeken zeggen."
    failed = sum(1 for c in result.checks if not c.ok)
    return f"{name}: {failed} controle(s) wijken af; deze verantwoording is niet wat haar boeken zeggen."


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


@dataclass(frozen=True)
class Opened:
    """A statement read: its bytes, their structure, and what a reader of the file (as it is now) finds."""

    data: bytes
    structure: Any  # reports.pdf_structure.Structure
    reader: Any
    manifest: Mapping[str, Any] | None
    files: dict[str, list[bytes]]
    descriptions: dict[str, str]
    page_text: str
    path: Path | None = None


def _signals_of(manifest: Mapping[str, Any]):
    """The signals the statement recorded: they look across its workspace, which it does not embed."""
    from ledger.evaluatie.signalen import Signaal

    raw = manifest.get("signalen") or []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise ValueError("geen lijst van signalen")
    fout = manifest.get("signalen-fout")
    return tuple(Signaal.uit(x) for x in raw), (str(fout) if fout else None)


def open_statement(path: str | Path) -> Opened:
    """The file read and checked for structure; NotAStatement when it is no PDF, or a sound PDF that is no statement."""
    from pypdf import PdfReader

    from reports.pdf_structure import check

    p = Path(path)
    if not p.is_file():
        raise NotAStatement(f"{p}: bestand niet gevonden")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise NotAStatement(f"{p}: niet te lezen ({exc.strerror or exc})") from exc
    if not data.startswith(b"%PDF-"):
        raise NotAStatement(f"{p}: is geen PDF-bestand")
    # pypdf reports repairs of damaged files in English on the log; the structure check says what matters, in Dutch.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    structure = check(data)
    reader, files, descriptions, first_page = None, {}, {}, ""
    try:
        candidate = structure.reader if structure.ok and structure.reader is not None else PdfReader(io.BytesIO(data))
        if not len(candidate.pages):
            raise ValueError("geen pagina's")
        reader = candidate  # a PDF with pages: a damaged statement, perhaps, but a PDF
        files, descriptions = _embedded(reader)
        first_page = reader.pages[0].extract_text()
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged file
        if structure.ok or reader is None:  # not even a damaged statement: nothing in it can be found
            why = "; ".join([f"{type(exc).__name__}: {exc}", *structure.problems[:3]])
            raise NotAStatement(f"{p}: is geen leesbare PDF ({why})") from exc
    contents = files.get(MANIFEST_NAME)
    manifest = read_manifest(contents[0]) if contents else None
    if manifest is None and structure.ok:
        raise NotAStatement(
            f"{p}: is geen verantwoording van een buurtbudget (de bijlage {MANIFEST_NAME} ontbreekt of is onleesbaar)"
        )
    return Opened(data, structure, reader, manifest, files, descriptions, first_page or "", p)


def _check_structure(opened: Opened, signed: bool) -> Check:
    structure = opened.structure
    problems = list(structure.problems)
    updates = len(structure.revisions) - 1
    if updates > (1 if signed else 0):
        after = structure.revisions[1 if signed else 0].end
        problems.append(f"de PDF is na het {'ondertekenen' if signed else 'schrijven'} aangevuld "
                        f"({updates - (1 if signed else 0)} incrementele update(s) vanaf byte {after})")
    if problems:
        return Check("structuur", False, "het bestand is beschadigd of veranderd: " + "; ".join(problems))
    what = "de verantwoording en haar handtekening" if signed else "één versie, zonder latere aanvullingen"
    return Check("structuur", True, f"elk object is leesbaar en elke stroom pakt foutloos uit; {what}")


def _check_signature(opened: Opened) -> tuple[Check, bool]:
    """(the verdict, whether the file carries a signature)."""
    from reports.onderteken import lees_handtekeningen

    try:
        signatures = lees_handtekeningen(opened.data)
    except Exception as exc:  # noqa: BLE001 - a damaged file: the structure check names why
        return Check("ondertekening", False, f"de handtekeningen zijn niet te lezen ({type(exc).__name__}: {exc})"), True
    if not signatures:
        return Check("ondertekening", True, "niet ondertekend"), False
    parts, ok = [], True
    for sig in signatures:
        when = sig.tijdstip.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if sig.tijdstip else "onbekend"
        text = f"ondertekend door {sig.ondertekenaar} op {when} (certificaat SHA-256 {sig.vingerafdruk})"
        if sig.fout:
            text += f": {sig.fout}"
            ok = False
        elif not sig.hele_bestand:
            text += ": na het ondertekenen is de PDF veranderd of aangevuld"
            ok = False
        parts.append(text)
    if ok and len(opened.structure.revisions) != 2:
        ok = False
        parts.append("de handtekening hoort bij de verantwoording zelf; dit bestand heeft "
                     f"{len(opened.structure.revisions)} versies")
    return Check("ondertekening", ok, "; ".join(parts)), True


def verify(path: str | Path) -> Verification:
    """Every check, in order; later checks still run when an earlier one fails (the auditor sees all)."""
    opened = open_statement(path)
    signature, signed = _check_signature(opened)
    checks: list[Check] = [_check_structure(opened, signed), signature]
    manifest, files, descriptions, page_text = opened.manifest, opened.files, opened.descriptions, opened.page_text
    if manifest is None:  # a damaged file whose manifest cannot be read: the structure says why
        checks.append(Check("bestanden", False, f"de bijlage {MANIFEST_NAME} is niet te lezen"))
        return Verification(Path(path), tuple(checks), opened)
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
    combined = combined_sha256(actual.items())
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

    # 4.-8. The books, their figures, page 1, every page.
    checks.extend(_check_books(opened, present))
    return Verification(Path(path), tuple(checks), opened)


def _folder_name(manifest: Mapping[str, Any]) -> str:
    """The ledger's folder name as the manifest records it (it is the slug the PDF names), when it is a plain name."""
    name = manifest.get("map")
    if isinstance(name, str) and re.fullmatch(r"[^/\\\x00]{1,200}", name) and name not in (".", "..") \
            and not name.startswith("."):
        return name
    return "boeken"


def _check_books(opened: Opened, present: Mapping[str, list[bytes]]) -> list[Check]:
    from ledger.evaluatie.loading import LedgerReadError
    from reports.context import StatementError, build_statement
    from reports.render import render_statement

    manifest, page_text = opened.manifest, opened.page_text

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
        base = Path(tmp).joinpath(*[f"map{i}" for i in range(depth)], _folder_name(manifest))
        base.mkdir(parents=True)
        for name, path in names.items():
            target = (base / path).resolve()
            if not target.is_relative_to(Path(tmp).resolve()):
                return [Check("boeken", False, f"de boeken zijn niet na te rekenen (naam buiten de map: {name})")]
            target.parent.mkdir(parents=True, exist_ok=True)
            # A receipt of the light version is named but not embedded: an empty file in its place.
            target.write_bytes(present[name][0] if name in present else b"")
        try:
            signalen, signalen_fout = _signals_of(manifest)
        except ValueError as exc:
            return [Check("boeken", False, f"de signalen in {MANIFEST_NAME} zijn onleesbaar: {exc}")]
        try:
            statement = build_statement(base / main, tot=datetime.date.fromisoformat(tot) if tot else None,
                                        taal=taal, bonnen=bool(manifest.get("bonnen-ingesloten", True)),
                                        signalen=signalen, signalen_fout=signalen_fout)
        except (LedgerReadError, StatementError, ValueError) as exc:
            return [Check("boeken", False, f"de ingesloten ledger is niet te laden: {exc}")]
        figures = page_one(statement)
        from reports.render import statement_template_dirs
        from reports.weergave import current

        ours = current(statement_template_dirs(statement))
        stated_weergave = Weergave.from_manifest(manifest.get("weergave"))
        # Made elsewhere: the bytes will differ and the text of every page is compared. The statement's
        # own text is read by a second process while this one renders.
        texts = _PageTexts(path=opened.path, reader=opened.reader, early=stated_weergave != ours)
        try:
            # The statement these books give, rendered as `buurtbudget report` renders it (the project's templates).
            fresh, _pages = render_statement(statement)
        except BaseException:
            texts.close()
            raise
    checks = []
    if statement.statement_date.isoformat() != manifest.get("datum"):
        checks.append(Check("boeken", False, f"de boeken geven een verantwoording per "
                                            f"{statement.statement_date.isoformat()}, de PDF is per {manifest.get('datum')}"))
    else:
        checks.append(Check("boeken", True, f"{ledger_name} geladen met de regels; {statement.violation_count} "
                                            f"overtreding(en), {len(statement.view.cost_lines)} boekingen; "
                                            f"{len(statement.signalen)} signalen zoals vastgelegd in de PDF "
                                            "(over de werkruimte, niet uit deze boeken alleen na te rekenen)"))

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
    try:
        checks.append(_check_pages(opened, fresh, stated_weergave, ours, texts))
    finally:
        texts.close()
    return checks


class _PageTexts:
    """The text of every page of a PDF (a file, or bytes), by poppler's `pdftotext` when it is installed
    (a separate process: started early, it reads the statement while this one renders; a fraction of
    pypdf's time), else by pypdf. Both PDFs compared are read the same way.
    """

    def __init__(self, *, path: Path | None = None, data: bytes | None = None, reader: Any = None,
                 early: bool = False) -> None:
        self._path, self._data, self._reader = path, data, reader
        self._process = self._start() if early else None

    def _start(self) -> Any:
        import shutil
        import subprocess

        exe = shutil.which("pdftotext")
        if exe is None or (self._path is None and self._data is None):
            return None
        try:
            return subprocess.Popen([exe, "-q", "-enc", "UTF-8", str(self._path) if self._path else "-", "-"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            return None

    def get(self) -> list[str]:
        import subprocess

        process, self._process = self._process or self._start(), None
        if process is not None:
            try:
                out, _ = process.communicate(None if self._path else self._data, timeout=600)
            except (OSError, subprocess.SubprocessError):
                process.kill()
                process.wait()
            else:
                if process.returncode == 0:
                    pages = out.decode("utf-8", "replace").split("\f")
                    return pages[:-1] if len(pages) > 1 and not pages[-1].strip() else pages
        from pypdf import PdfReader

        if self._reader is None:
            self._reader = PdfReader(io.BytesIO(self._data) if self._data is not None else str(self._path))
        return _page_texts(self._reader)

    def close(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()


def _check_page_one(figures: tuple[Any, ...], taal: str, page_text: str) -> Check:
    """Each figure of page 1 printed beside its label, as the template lays it out."""
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


_FIGURE = re.compile(r"€\s?-?\d[\d.]*,\d{2}|-?\d+(?:,\d+)?\s?%")
MAX_SHOWN = 5


def _page_texts(reader: Any) -> list[str]:
    texts = []
    for page in getattr(reader, "pages", []):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:  # noqa: BLE001 - a damaged page is a difference, not a traceback
            texts.append(f"(tekst niet te lezen: {type(exc).__name__})")
    return texts


def _short(text: str, limit: int = 120) -> str:
    text = _squash(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_differences(texts: list[str], fresh: list[str]) -> list[str]:
    """Per page, the first lines that differ from the statement the books give."""
    import difflib

    found = []
    if len(texts) != len(fresh):
        found.append(f"de verantwoording heeft {len(texts)} pagina's, de boeken geven er {len(fresh)}")
    for number, (theirs, ours) in enumerate(zip(texts, fresh), start=1):
        if theirs == ours:
            continue
        a, b = theirs.splitlines(), ours.splitlines()
        shown = "de tekst verschilt"
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if tag != "equal":
                pdf_says = _short(" ".join(a[i1:i2])) or "niets"
                books_say = _short(" ".join(b[j1:j2])) or "niets"
                shown = f"de PDF toont '{pdf_says}' waar de boeken '{books_say}' geven"
                break
        found.append(f"pagina {number}: {shown}")
    if len(found) > MAX_SHOWN:
        found = found[:MAX_SHOWN] + [f"en nog {len(found) - MAX_SHOWN} pagina's"]
    return found


def _figure_differences(texts: list[str], fresh: list[str]) -> list[str]:
    """Every amount and percentage of the statement against those of the statement the books give."""
    from collections import Counter

    def figures(pages: list[str]) -> Counter:
        return Counter(_squash(m).replace(" ", " ") for page in pages for m in _FIGURE.findall(page))

    def where(figure: str, pages: list[str]) -> str:
        numbers = [str(n) for n, page in enumerate(pages, start=1) if figure in _squash(page).replace(" ", " ")]
        return f" (pagina {', '.join(numbers[:3])})" if numbers else ""

    theirs, ours = figures(texts), figures(fresh)
    found = [f"{fig} staat {n}× te veel in de PDF{where(fig, texts)}" for fig, n in sorted((theirs - ours).items())]
    found += [f"{fig} ontbreekt {n}× in de PDF{where(fig, fresh)}" for fig, n in sorted((ours - theirs).items())]
    if len(found) > MAX_SHOWN:
        found = found[:MAX_SHOWN] + [f"en nog {len(found) - MAX_SHOWN} verschillen"]
    return found


def _first_difference(original: bytes, fresh: bytes, opened: Opened) -> str:
    """Where the bytes first differ, and which object of the file holds that byte."""
    from reports.pdf_structure import labels

    offset = next((i for i, (a, b) in enumerate(zip(original, fresh)) if a != b), min(len(original), len(fresh)))
    reader = opened.reader
    try:
        offsets = sorted((pos, num) for num, pos in (reader.xref.get(0) or {}).items() if pos <= offset)
    except AttributeError:
        offsets = []
    if not offsets:
        return f"het eerste verschil staat op byte {offset}"
    num = offsets[-1][1]
    what = labels(reader).get(num) or "een object"
    return f"het eerste verschil staat op byte {offset}, in {what} (object {num})"


def _version_difference(stated: Weergave | None, ours: Weergave) -> str:
    if stated is None:
        return "de verantwoording noemt niet met welke versie ze gemaakt is"
    if stated.code != ours.code:
        return (f"gemaakt met een andere versie van buurtbudget (code {stated.code[:12]}, "
                f"deze verifieer {ours.code[:12]})")
    return "gemaakt met eigen sjablonen (logo, kleuren of teksten van het stadsdeel), die niet zijn ingesloten"


def _check_pages(opened: Opened, fresh: bytes, stated: Weergave | None, ours: Weergave,
                 statement_texts: "_PageTexts | None" = None) -> Check:
    """The statement against the one its own books give now, as strictly as the versions allow."""
    original = opened.data[:opened.structure.first_revision] if opened.structure.revisions else opened.data
    if fresh == original:
        return Check("pagina's", True, f"elke byte ({len(original)}) is gelijk aan de verantwoording die de "
                                       f"ingesloten boeken opnieuw geven")
    texts = (statement_texts or _PageTexts(path=opened.path, reader=opened.reader)).get()
    fresh_texts = _PageTexts(data=fresh).get()
    if stated is not None and stated.code == ours.code and stated.sjablonen == ours.sjablonen:
        differ = _text_differences(texts, fresh_texts)
        if differ:
            return Check("pagina's", False, "de pagina's tonen niet wat de ingesloten boeken geven: " + "; ".join(differ))
        if stated.omgeving == ours.omgeving:
            return Check("pagina's", False, "dezelfde code, sjablonen, bibliotheken en lettertypen geven andere bytes: "
                                            + _first_difference(original, fresh, opened))
        return Check("pagina's", True, f"de tekst van elk van de {len(texts)} pagina's is gelijk aan wat de ingesloten "
                                       f"boeken geven (de bytes niet: gemaakt met {stated.omgeving}; hier {ours.omgeving})")
    why = _version_difference(stated, ours)
    differ = _figure_differences(texts, fresh_texts)
    if differ:
        return Check("pagina's", False, f"{why}; de bedragen en percentages van de pagina's wijken af van wat de "
                                        f"ingesloten boeken geven: " + "; ".join(differ))
    return Check("pagina's", True, f"{why}: de bedragen en percentages van elk van de {len(texts)} pagina's zijn "
                                   f"gelijk aan wat de ingesloten boeken geven")
