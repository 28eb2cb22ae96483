"""Is a PDF whole? Every object parses, every stream decodes, the cross-reference is right.

pypdf repairs what it can when it reads a damaged file (a cross-reference
entry that points beside its object, a compressed stream whose checksum fails:
it returns what decompresses and says nothing). A viewer does the same, and
draws a damaged font as nothing at all. `check` reads the file strictly
instead and names every problem:

- the file ends with its last cross-reference (`startxref … %%EOF`); the chain
  of cross-reference sections (`/Prev`) gives the revisions: one for a
  statement as `buurtbudget report` writes it, a second for its signature;
- every object the cross-reference lists is found where it says, with its own
  number, and parses (pypdf in strict mode; any repair it reports is a problem);
- every stream decodes: FlateDecode with zlib's own check (its Adler-32 over
  the decompressed bytes catches a changed byte that still inflates), the
  cross-reference streams included.

Each problem names what it hit in a reader's words (the content of page 3,
the font DejaVuSans, the embedded file bon-a.pdf), found by walking the pages
and the embedded files.
"""

from __future__ import annotations

import io
import logging
import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterator

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF(\r\n|\r|\n)?")
_PREV = re.compile(rb"/Prev\s+(\d+)")
MAX_REVISIONS = 64
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Revision:
    xref: int  # offset of its cross-reference section
    end: int  # offset just after its %%EOF line


@dataclass
class Structure:
    revisions: list[Revision] = field(default_factory=list)  # oldest first
    problems: list[str] = field(default_factory=list)
    reader: Any = None  # the strict pypdf reader when the file could be read that way

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_revision(self) -> int:
        """Where the statement as written ends (the whole file when it has one revision)."""
        return self.revisions[0].end if self.revisions else 0


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _revisions(data: bytes, structure: Structure) -> None:
    tail = data[-4096:]
    matches = list(_STARTXREF.finditer(tail))
    if not matches:
        structure.problems.append("het bestand eindigt niet met een verwijzing naar de kruisverwijzingstabel "
                                  "(startxref … %%EOF): het is afgebroken of er is iets aan vastgeplakt")
        return
    last = matches[-1]
    trailing = tail[last.end():]
    if trailing.strip(b"\x00\t\n\x0c\r "):
        structure.problems.append(f"na het laatste %%EOF staan nog {len(trailing)} bytes")
    offset = int(last.group(1))
    seen: list[Revision] = []
    while True:
        if offset in {r.xref for r in seen} or len(seen) >= MAX_REVISIONS or offset >= len(data):
            structure.problems.append(f"de kruisverwijzingstabel verwijst naar byte {offset}, die er niet is "
                                      f"of al eerder gelezen werd")
            return
        section = data[offset:offset + 64]
        if section.startswith(b"xref"):
            head_end = data.find(b"startxref", offset)
        elif re.match(rb"\d+\s+\d+\s+obj\b", section):
            head_end = data.find(b"stream", offset)
        else:
            structure.problems.append(f"op byte {offset} staat geen kruisverwijzingstabel, "
                                      f"waar het bestand er een belooft")
            return
        if head_end < 0:
            structure.problems.append(f"de kruisverwijzingstabel op byte {offset} is afgebroken")
            return
        end = None
        for m in _STARTXREF.finditer(data, head_end if section.startswith(b"xref") else offset):
            if int(m.group(1)) == offset:
                end = m.end()
                break
        if end is None:
            structure.problems.append(f"de kruisverwijzingstabel op byte {offset} heeft geen eigen %%EOF")
            return
        seen.append(Revision(offset, end))
        prev = _PREV.search(data[offset:head_end] if section.startswith(b"xref") else data[offset:head_end])
        if prev is None:
            break
        offset = int(prev.group(1))
    structure.revisions = sorted(seen, key=lambda r: r.end)


def _filters(obj: Any) -> list[str]:
    value = obj.get("/Filter")
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _decode(obj: Any) -> None:
    """Decode a stream strictly; raises with the reason when it does not."""
    filters = _filters(obj)
    raw = obj._data  # the bytes as stored in the file  # noqa: SLF001
    if filters and all(f in ("/FlateDecode", "/Fl") for f in filters):
        data = raw
        for _ in filters:
            data = zlib.decompress(data)  # checks zlib's Adler-32 of the result
        return
    if filters:
        obj.get_data()  # other filters (images): pypdf's decoder, errors raised


def _raw(obj: Any, key: str) -> Any:
    """The value under `key` without resolving a reference."""
    return dict.get(obj, key) if isinstance(obj, dict) else None


def _resolve(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _refs(value: Any) -> Iterator[int]:
    from pypdf.generic import ArrayObject, IndirectObject

    if isinstance(value, IndirectObject):
        yield value.idnum
    elif isinstance(value, ArrayObject):
        for item in value:
            if isinstance(item, IndirectObject):
                yield item.idnum


def labels(reader: Any) -> dict[int, str]:
    """Object number -> what it is to a reader of the statement (best effort: a damaged file gives fewer)."""
    found: dict[int, str] = {}

    def name(num: int, text: str) -> None:
        found.setdefault(num, text)

    def attempt(step) -> None:
        try:
            step()
        except Exception:  # noqa: BLE001 - a damaged object only costs its label
            pass

    def page_objects(number: int, page: Any) -> None:
        ref = page.indirect_reference
        if ref is not None:
            name(ref.idnum, f"pagina {number}")
        for num in _refs(_raw(page, "/Contents")):
            name(num, f"de inhoud van pagina {number}")
        resources = _resolve(page.get("/Resources")) or {}
        for font_ref in (_resolve(resources.get("/Font")) or {}).values():
            attempt(lambda font_ref=font_ref: font(font_ref, number))
        for num in _refs(_raw(page, "/Annots")):
            name(num, f"een annotatie op pagina {number}")
        for xobject in (_resolve(resources.get("/XObject")) or {}).values():
            for num in _refs(xobject):
                name(num, f"een afbeelding op pagina {number}")

    def font(ref: Any, number: int) -> None:
        for num in _refs(ref):
            obj = _resolve(ref)
            base = str(obj.get("/BaseFont", "")).lstrip("/").split("+")[-1] or "?"
            name(num, f"het lettertype {base}")
            for to_unicode in _refs(_raw(obj, "/ToUnicode")):
                name(to_unicode, f"de tekentabel van het lettertype {base}")
            for descendant in _resolve(obj.get("/DescendantFonts")) or []:
                descendant = _resolve(descendant)
                for num2 in _refs(_raw(descendant, "/FontDescriptor")):
                    descriptor = _resolve(descendant.get("/FontDescriptor"))
                    name(num2, f"de beschrijving van het lettertype {base}")
                    for key in ("/FontFile2", "/FontFile", "/FontFile3"):
                        for num3 in _refs(_raw(descriptor, key)):
                            name(num3, f"het ingesloten lettertype {base}")

    for number, page in enumerate(reader.pages, start=1):
        attempt(lambda number=number, page=page: page_objects(number, page))

    def embedded() -> None:
        tree = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]
        pairs = list(tree.get("/Names") or [])
        for i in range(0, len(pairs) - 1, 2):
            spec_ref = pairs[i + 1]
            spec = spec_ref.get_object()
            title = str(spec.get("/UF") or spec.get("/F") or pairs[i])
            for num in _refs(spec_ref):
                name(num, f"de beschrijving van het ingesloten bestand {title}")
            for num in _refs(_raw(spec.get("/EF") or {}, "/F")):
                name(num, f"het ingesloten bestand {title}")

    attempt(embedded)
    root = reader.trailer.get("/Root") if hasattr(reader, "trailer") else None
    attempt(lambda: [name(n, "de XMP-metadata (PDF/A)") for n in _refs(_raw(root, "/Metadata"))])
    attempt(lambda: [name(n, "de structuurboom (tags)") for n in _refs(_raw(root, "/StructTreeRoot"))])
    for num, (stream_num, _index) in dict(getattr(reader, "xref_objStm", {}) or {}).items():
        name(stream_num, "een objectstroom (waarin objecten bewaard worden)")
    return found


def _dutch(exc: BaseException) -> str:
    if isinstance(exc, zlib.error):
        return f"de gecomprimeerde gegevens zijn beschadigd (zlib: {exc})"
    return f"niet te lezen ({type(exc).__name__}: {exc})"


def check(data: bytes) -> Structure:
    """The structure of a PDF's bytes: its revisions, and every problem found reading it strictly."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, StreamObject

    structure = Structure()
    _revisions(data, structure)
    collect = _Collect()
    log = logging.getLogger("pypdf")
    log.addHandler(collect)
    problems: list[tuple[int | None, str]] = []
    try:
        try:
            reader = PdfReader(io.BytesIO(data), strict=True)
            refs = [(num, gen) for gen, table in reader.xref.items() for num in table]
            refs += [(num, 0) for num in reader.xref_objStm]
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a damaged file; each is a verdict
            structure.problems.append(f"de kruisverwijzingstabel is niet te lezen: {_dutch(exc)}")
            return structure
        for num, gen in sorted(set(refs)):
            try:
                obj = reader.get_object(IndirectObject(num, gen, reader))
                if isinstance(obj, StreamObject):
                    _decode(obj)
            except Exception as exc:  # noqa: BLE001
                problems.append((num, _dutch(exc)))
        # The cross-reference streams are no objects of the document, but hold its map.
        for revision in structure.revisions:
            head = data[revision.xref:revision.xref + 64]
            if re.match(rb"\d+\s+\d+\s+obj\b", head):
                try:
                    _xref_stream(data, revision.xref)
                except (zlib.error, ValueError) as exc:
                    structure.problems.append(f"de kruisverwijzingsstroom op byte {revision.xref}: {_dutch(exc)}")
        for message in dict.fromkeys(collect.messages):
            structure.problems.append(f"pypdf moest het bestand herstellen: {message}")
    finally:
        log.removeHandler(collect)
    if problems:
        try:
            named = labels(PdfReader(io.BytesIO(data), strict=False))
        except Exception:  # noqa: BLE001
            named = {}
        for num, why in problems[:MAX_PROBLEMS]:
            what = named.get(num) if num is not None else None
            structure.problems.append(f"{what} (object {num}): {why}" if what else f"object {num}: {why}")
        if len(problems) > MAX_PROBLEMS:
            structure.problems.append(f"en nog {len(problems) - MAX_PROBLEMS} beschadigde objecten")
    structure.reader = reader
    return structure


def _xref_stream(data: bytes, offset: int) -> None:
    start = data.find(b"stream", offset)
    head = data[offset:start]
    length = re.search(rb"/Length\s+(\d+)", head)
    if start < 0 or length is None:
        raise ValueError("geen lengte")
    begin = start + len(b"stream")
    begin += 2 if data[begin:begin + 2] == b"\r\n" else 1
    raw = data[begin:begin + int(length.group(1))]
    if not data[begin + len(raw):begin + len(raw) + 12].lstrip(b"\r\n").startswith(b"endstream"):
        raise ValueError("de lengte klopt niet (geen endstream waar die hoort)")
    if b"/FlateDecode" in head:
        zlib.decompress(raw)
