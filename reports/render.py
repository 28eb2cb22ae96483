"""Statement -> HTML (Jinja2, autoescaped) -> tagged PDF/A-3a (WeasyPrint), byte-identical per input.

Templates are looked up in order (a Jinja ChoiceLoader):
  1. a folder given with `--sjablonen DIR`;
  2. `<workspace>/sjablonen/<stadsdeel>/` (the stadsdeel's own logo and colours);
  3. the project's `templates/rapporten/`.
A stadsdeel overrides a file by putting one of the same name in its folder:
`kleuren.html` (colours), `logo.svg` / `logo.png` (logo), `huisstijl.css` (any
extra CSS), or a whole template.

Determinism: no clock is read. The PDF's creation and modification dates,
and those of the attached files, are the statement date; the PDF file
identifier is WeasyPrint's MD5 of the content. Font subsets are the same every
time: HarfBuzz copies the font's own dates, and where WeasyPrint falls back to
fontTools (no `libharfbuzz-subset0`), fontTools stamps the subset with
`SOURCE_DATE_EPOCH`, which is set to the statement date while the PDF is
written. Two renders of the same books give the same bytes, in any process.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import functools
import gc
import io
import mimetypes
import os
import subprocess
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from babel.dates import format_date
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ledger.buurtbudget.money import format_eur, format_percentage
from reports.labels import BABEL_LOCALE, labels_for

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "rapporten"
OVERRIDES_FOLDER = "sjablonen"
ASSET_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
PDF_VARIANT = "pdf/a-3a"  # tagged: structure, reading order, table headers, language
MAX_TEXT = 400  # characters of one ledger text shown in a table cell; the full text is in the attachment


def stadsdeel_folder(ledger_path: str | os.PathLike | None, stadsdeel: str | None) -> Path | None:
    """`<workspace>/sjablonen/<stadsdeel>/` when it exists (and the name is no path trick)."""
    if ledger_path is None or not stadsdeel:
        return None
    workspace = Path(ledger_path).resolve().parent.parent
    return workspace_stadsdeel_folder(workspace, stadsdeel)


def workspace_stadsdeel_folder(workspace: str | os.PathLike, stadsdeel: str | None) -> Path | None:
    if not stadsdeel or "/" in stadsdeel or "\\" in stadsdeel or stadsdeel.startswith("."):
        return None
    root = Path(workspace).resolve() / OVERRIDES_FOLDER
    candidate = root / stadsdeel
    return candidate if candidate.is_dir() else None


def template_dirs(*, sjablonen: str | os.PathLike | None = None, stadsdeel_dir: Path | None = None) -> list[Path]:
    dirs: list[Path] = []
    if sjablonen is not None:
        dirs.append(Path(sjablonen))
    if stadsdeel_dir is not None:
        dirs.append(stadsdeel_dir)
    dirs.append(TEMPLATES_DIR)
    return dirs


def format_datum(value: datetime.date | None, taal: str = "nl") -> str:
    """`10 maart 2025` (nl) / `10 March 2025` (en)."""
    if value is None:
        return "–"
    return format_date(value, "d MMMM y", locale=BABEL_LOCALE.get(taal, "nl"))


@functools.lru_cache(maxsize=8192)
def _cached_eur(amount: Any) -> str:
    """format_eur, remembered: an annex repeats amounts and Babel is slow (equal numbers print alike)."""
    return format_eur(amount)


@functools.lru_cache(maxsize=4096)
def _cached_datum(value: datetime.date | None, taal: str = "nl") -> str:
    return format_datum(value, taal)


def css_string(value: str) -> Markup:
    """A CSS string literal that no text can break out of."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:-" else f"\\{ord(ch):06x}" for ch in str(value))
    return Markup('"') + Markup(escaped) + Markup('"')  # `escaped` holds only letters, digits, " .,:-" and \hex


@functools.cache
def font_coverage() -> frozenset[int] | None:
    """Code points that both DejaVu Sans and DejaVu Sans Bold can draw (None: fonts not found).

    A character no installed font has would be drawn as the .notdef glyph, which
    PDF/A forbids and which garbles text extraction; `printable` names it instead.
    """
    from fontTools.ttLib import TTFont

    covered: frozenset[int] | None = None
    for pattern, debian in (("DejaVu Sans:style=Book", "DejaVuSans.ttf"), ("DejaVu Sans:style=Bold", "DejaVuSans-Bold.ttf")):
        path = _font_file(pattern, debian)
        if path is None:
            return None
        try:
            cmap = frozenset(TTFont(path, lazy=True).getBestCmap())
        except Exception:  # noqa: BLE001 - an unreadable font: do not filter
            return None
        covered = cmap if covered is None else covered & cmap
    return covered


def _font_file(pattern: str, debian_name: str) -> str | None:
    """The font file fontconfig picks for pattern, else Debian's fonts-dejavu-core path."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
        if found.endswith(debian_name):
            return found
    except (OSError, subprocess.SubprocessError):
        pass
    candidate = Path("/usr/share/fonts/truetype/dejavu") / debian_name
    return str(candidate) if candidate.is_file() else None


def printable(text: str) -> str:
    """Text with every character the fonts cannot draw written as [U+XXXX]."""
    if text.isascii():
        return text
    covered = font_coverage()
    if covered is None:
        return text
    out = []
    for ch in text:
        if ord(ch) in covered or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn"):
            out.append(ch)
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


def _finalize(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


def shorten(value: Any, limit: int = MAX_TEXT) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def no_break(value: Any) -> str:
    """Text whose spaces do not break a line (`€ 1.234,56` stays on one line)."""
    return ("" if value is None else str(value)).replace(" ", "\u00a0")


def make_env(dirs: Sequence[Path], taal: str = "nl") -> Environment:
    """The Jinja environment for these template folders and language, built once per process.

    Compiling the templates costs more than rendering them. The key holds the
    name and modification time of every file in the folders, so a template
    a stadsdeel adds or changes while a server runs is used at once.
    """
    folders = tuple(Path(d) for d in dirs)
    return _make_env(folders, taal, _folder_signature(folders))


def _folder_signature(folders: Sequence[Path]) -> tuple:
    signature = []
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                files = sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries if e.is_file())
        except OSError:
            files = []
        signature.append((str(folder), tuple(files)))
    return tuple(signature)


@functools.lru_cache(maxsize=64)
def _make_env(dirs: tuple[Path, ...], taal: str, _signature: tuple) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["eur"] = _cached_eur
    env.filters["datum"] = functools.partial(_cached_datum, taal=taal)
    env.filters["pct"] = format_percentage
    env.filters["css_string"] = css_string
    env.filters["kort"] = shorten
    env.filters["vast"] = no_break
    env.globals["L"] = labels_for(taal)
    env.globals["taal"] = taal
    env.globals["asset"] = lambda *names: asset_uri(dirs, names)
    return env


def asset_uri(dirs: Sequence[Path], names: Iterable[str]) -> str:
    """The first of `names` found in the template folders, as a data: URI ('' when none)."""
    for name in names:
        if "/" in name or name.startswith("."):
            continue
        mime = ASSET_TYPES.get(Path(name).suffix.lower())
        if mime is None:
            continue
        for folder in dirs:
            candidate = Path(folder) / name
            if candidate.is_file():
                data = base64.b64encode(candidate.read_bytes()).decode("ascii")
                return f"data:{mime};base64,{data}"
    return ""


def render_html(env: Environment, template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)


def pdf_timestamp(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)


_GC_LOCK = threading.Lock()
_GC_STATE: dict[str, Any] = {"depth": 0, "threshold": None}


@contextlib.contextmanager
def _layout_gc() -> Iterator[None]:
    """Fewer garbage collections while WeasyPrint builds its millions of boxes.

    The loaded ledger is moved out of the collector's sight (gc.freeze) and the
    youngest generation may grow to 100,000 objects before a collection: about
    a fifth less rendering time for a long annex. Restored when the last
    render (of any thread) ends.
    """
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            _GC_STATE["threshold"] = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(100_000, *_GC_STATE["threshold"][1:])
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0:
                gc.set_threshold(*_GC_STATE["threshold"])
                gc.unfreeze()


@dataclass(frozen=True, slots=True)
class Embedded:
    """A file to embed: its name in the PDF, its bytes, a description and its PDF/A-3 relationship."""

    name: str
    content: bytes
    description: str
    relationship: str = "Source"  # Source | Supplement | Data


def as_embedded(files: Iterable[Any], relationship: str = "Source") -> list[Embedded]:
    """`reports.sources.SourceFile`s as attachments described by their SHA-256."""
    return [Embedded(f.name, f.content, f"SHA-256 {f.sha256}", relationship) for f in files]


def html_to_pdf(html: str, *, attachments: Iterable[Any] = (), date: datetime.date,
                links: Mapping[int, str] | None = None, link_label: str = "Bijlage") -> tuple[bytes, int]:
    """Render HTML to tagged PDF/A-3a bytes with the given files embedded; returns (bytes, pages).

    `attachments` are `Embedded` files (or `SourceFile`s, embedded as sources).
    `links` maps the number in an `urn:buurtbudget-bijlage:<n>` link of the HTML
    to the name of the embedded file it opens. Nothing is fetched from outside:
    only data: URIs are allowed.
    """
    from weasyprint.urls import URLFetcher

    # The ledger files are UTF-8 text: say so in their MIME subtype (PDF/A-3 asks for one).
    mimetypes.add_type("text/plain", ".beancount", strict=False)
    mimetypes.add_type("text/plain", ".toml", strict=False)
    mimetypes.add_type("application/json", ".json", strict=False)
    fetcher = URLFetcher(allowed_protocols={"data"})
    stamp = pdf_timestamp(date)
    files = [a if isinstance(a, Embedded) else as_embedded([a])[0] for a in attachments]
    with _layout_gc():
        return _html_to_pdf(html, files, fetcher, stamp, dict(links or {}), link_label)


_FONTS = threading.local()


def font_config() -> Any:
    """One WeasyPrint FontConfiguration per thread and process, kept between renders.

    A fresh one per render throws away Pango's font and shaping caches: keeping
    it makes a second statement about a tenth faster, with the same bytes. Per
    thread because Pango's font map is not thread-safe, per process because a
    forked child must not share the parent's.
    """
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_FONTS, "pid", None) != os.getpid():
        _FONTS.config = FontConfiguration()
        _FONTS.pid = os.getpid()
    return _FONTS.config


_EPOCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _source_date_epoch(stamp: datetime.datetime) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set to `stamp` while a PDF is written (fontTools stamps font subsets with it).

    The environment is the process's: one writer at a time, and the old value comes back.
    """
    with _EPOCH_LOCK:
        old = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old


def _html_to_pdf(html: str, attachments: Sequence[Embedded], fetcher: Any, stamp: datetime.datetime,
                 links: Mapping[int, str], link_label: str) -> tuple[bytes, int]:
    from weasyprint import HTML, Attachment

    from reports.pdf_finish import (
        link_attachments, scope_table_headers, store_incompressible_files, unicode_file_names,
        unique_associated_files,
    )

    document = HTML(string=html, url_fetcher=fetcher, base_url=str(TEMPLATES_DIR)).render(font_config=font_config())
    # Sorted by name: the EmbeddedFiles name tree must be (and the order is then the same every time).
    files = [
        Attachment(
            file_obj=io.BytesIO(item.content),
            name=item.name,
            description=item.description,
            created=stamp,
            modified=stamp,
            relationship=item.relationship,
            url_fetcher=fetcher,
        )
        for item in sorted(attachments, key=lambda a: a.name.encode("utf-8"))
    ]

    def finish(_document: Any, pdf: Any) -> None:
        link_attachments(pdf, links, link_label)
        unicode_file_names(pdf)
        unique_associated_files(pdf)
        store_incompressible_files(pdf)
        scope_table_headers(pdf)

    with _source_date_epoch(stamp):
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=files, finisher=finish)
    return pdf, len(document.pages)


def statement_template_dirs(statement: Any, sjablonen: str | os.PathLike | None = None) -> list[Path]:
    header = statement.view.header
    return template_dirs(
        sjablonen=sjablonen,
        stadsdeel_dir=stadsdeel_folder(statement.ledger_path, header.stadsdeel if header else None),
    )


def statement_html(statement: Any, *, sjablonen: str | os.PathLike | None = None) -> str:
    header = statement.view.header
    env = make_env(statement_template_dirs(statement, sjablonen), statement.taal)
    from reports.dossier import page_one
    from reports.pdf_finish import link_href

    bijlagen = {f.name: link_href(i) for i, f in enumerate(statement.embedded)} if statement.receipts.embedded else {}
    missing = " (" + statement.labels["missing"] + ")"
    return render_html(env, "verantwoording.html", s=statement, v=statement.view, h=header,
                       created=pdf_timestamp(statement.statement_date).isoformat(),
                       cijfers={f.key: f.text for f in page_one(statement)},
                       bon=functools.partial(receipt_cell, statement.receipts, bijlagen, missing))


def receipt_cell(receipts: Any, links: Mapping[str, str], missing: str, line: Any) -> Markup:
    """An annex row's receipts: each a link to its embedded file, or marked missing."""
    parts = []
    for value in dict.fromkeys(line.documents):
        shown = printable(shorten(value, 80))
        name = receipts.name_for(line.entry.meta, value)
        if name is None:
            parts.append(Markup("{}{}").format(shown, missing))
        elif name in links:
            parts.append(Markup('<a href="{}">{}</a>').format(links[name], shown))
        else:
            parts.append(Markup("{}").format(shown))
    return Markup(", ").join(parts)


def statement_attachments(statement: Any, weergave: Mapping[str, str] | None = None) -> list[Embedded]:
    """The ledger's sources (Source), its receipts and the manifest (Supplement).

    The manifest is page 1's figures and the list of files in a form a program reads
    more easily: a supplement in PDF/A-3's words, as the receipts are to the books.
    """
    from reports.dossier import MANIFEST_NAME, manifest_bytes

    receipts = {f.name for f in statement.receipts.files}
    files = [
        Embedded(f.name, f.content, f"SHA-256 {f.sha256}", "Supplement" if f.name in receipts else "Source")
        for f in statement.embedded
    ]
    files.append(Embedded(MANIFEST_NAME, manifest_bytes(statement, weergave),
                          "Cijfers van pagina 1 en de lijst van ingesloten bestanden (buurtbudget verifieer)",
                          "Supplement"))
    return files


def render_statement(statement: Any, *, sjablonen: str | os.PathLike | None = None) -> tuple[bytes, int]:
    """The statement as tagged PDF/A-3a bytes with its sources, receipts and manifest embedded; (bytes, pages)."""
    from reports.weergave import current

    html = statement_html(statement, sjablonen=sjablonen)
    links = dict(enumerate(f.name for f in statement.embedded)) if statement.receipts.embedded else {}
    weergave = current(statement_template_dirs(statement, sjablonen)).as_dict()
    return html_to_pdf(html, attachments=statement_attachments(statement, weergave), date=statement.statement_date,
                       links=links, link_label=statement.labels["receipt"])


def overview_html(overview: Any, *, sjablonen: str | os.PathLike | None = None) -> str:
    dirs = template_dirs(
        sjablonen=sjablonen,
        stadsdeel_dir=workspace_stadsdeel_folder(overview.workspace, overview.stadsdeel),
    )
    env = make_env(dirs, overview.taal)
    return render_html(env, "overzicht.html", o=overview,
                       created=pdf_timestamp(overview.statement_date).isoformat())


def render_overview(overview: Any, *, sjablonen: str | os.PathLike | None = None) -> tuple[bytes, int]:
    """The overview as tagged PDF/A-3a bytes with every ledger's source files attached; (bytes, pages)."""
    html = overview_html(overview, sjablonen=sjablonen)
    return html_to_pdf(html, attachments=overview.sources, date=overview.statement_date)
