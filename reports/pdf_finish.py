"""Last touches on WeasyPrint's PDF objects, before the trailer is written (its `finisher` hook).

1. A receipt cell in the annex is an HTML link to `urn:buurtbudget-bijlage:<n>`.
   WeasyPrint makes a URI link annotation of it; here it becomes a
   FileAttachment annotation pointing at the embedded file `<n>` (the one in
   the document's EmbeddedFiles and /AF, so the bytes are stored once): a click
   opens the receipt. Its structure element becomes /Annot (PDF/UA), its
   /Contents names the file.
2. Table headers get their /Scope: /Column under a table's head, /Row
   elsewhere (the statement's templates put `<th scope="row">` only in body
   rows). WeasyPrint uses `scope` to link cells to headers, but writes no /Scope.

Both only walk objects WeasyPrint made; nothing here reads a clock or a file.
"""

from __future__ import annotations

from typing import Any, Mapping

LINK_PREFIX = "urn:buurtbudget-bijlage:"


def link_href(index: int) -> str:
    return f"{LINK_PREFIX}{index}"


def _text(value: Any) -> str:
    string = getattr(value, "string", value)
    if isinstance(string, bytes):
        return string.decode("latin-1")
    return str(string)


def _object(pdf: Any, reference: Any) -> Any:
    if isinstance(reference, (bytes, str)):
        ref = reference.decode() if isinstance(reference, bytes) else reference
        parts = ref.split()
        if len(parts) == 3 and parts[2] == "R" and parts[0].isdigit():
            return pdf.objects[int(parts[0])]
    return None


def _filespecs(pdf: Any) -> dict[str, Any]:
    found = {}
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Filespec" and "UF" in obj:
            found.setdefault(_text(obj["UF"]), obj)
    return found


def link_attachments(pdf: Any, names: Mapping[int, str], label: str) -> int:
    """Turn every receipt link into a FileAttachment annotation; returns how many were turned."""
    import pydyf

    specs = _filespecs(pdf)
    turned: dict[bytes, str] = {}
    for obj in list(pdf.objects):
        if not isinstance(obj, dict) or obj.get("Type") != "/Annot" or obj.get("Subtype") != "/Link":
            continue
        action = obj.get("A")
        if not isinstance(action, dict) or action.get("S") != "/URI":
            continue
        uri = _text(action.get("URI", ""))
        if not uri.startswith(LINK_PREFIX):
            continue
        index = uri[len(LINK_PREFIX):]
        name = names.get(int(index)) if index.isdigit() else None
        spec = specs.get(name) if name is not None else None
        del obj["A"]
        if spec is None:  # cannot happen for files we embedded; never leave a dead URI behind
            obj["Contents"] = pydyf.String(f"{label}: {name or index}")
            continue
        rect = obj["Rect"]
        appearance = pydyf.Stream([], {"Type": "/XObject", "Subtype": "/Form", "BBox": pydyf.Array(list(rect))})
        pdf.add_object(appearance)
        obj["Subtype"] = "/FileAttachment"
        obj["FS"] = spec.reference
        obj["Contents"] = pydyf.String(f"{label}: {name}")
        obj["T"] = pydyf.String(name)
        obj["AP"] = pydyf.Dictionary({"N": appearance.reference})
        obj["F"] = 4  # print (PDF/A)
        obj.pop("BS", None)
        turned[obj.reference] = name
    if turned:
        _retag(pdf, set(turned))
    return len(turned)


def _retag(pdf: Any, annotations: set[bytes]) -> None:
    """The structure elements holding these annotations become /Annot (they are no longer links)."""
    objrs = {
        obj.reference for obj in pdf.objects
        if isinstance(obj, dict) and obj.get("Type") == "/OBJR" and obj.get("Obj") in annotations
    }
    if not objrs:
        return
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/StructElem" and obj.get("S") == "/Link":
            kids = obj.get("K") or ()
            if any(isinstance(k, bytes) and k in objrs for k in kids):
                obj["S"] = "/Annot"


def _key(string: Any) -> bytes:
    """How pydyf will write a string (latin-1 when it can, else UTF-16BE with a BOM): name trees sort on it."""
    text = _text(string)
    try:
        return text.encode("latin-1") if text.isascii() else b"\xfe\xff" + text.encode("utf-16-be")
    except UnicodeEncodeError:
        return b"\xfe\xff" + text.encode("utf-16-be")


def unicode_file_names(pdf: Any) -> None:
    """Every embedded file named by its Unicode name, in /F, /UF and the EmbeddedFiles name tree.

    WeasyPrint writes /F as the name's UTF-8 bytes, which readers decode as
    PDFDocEncoding (`bon-café.pdf` becomes `bon-cafÃ©.pdf`), and keys the name
    tree on it. A text string is what both fields and the tree's keys are read as.
    """
    import pydyf

    specs = {}
    for obj in pdf.objects:
        if isinstance(obj, dict) and obj.get("Type") == "/Filespec" and "UF" in obj:
            obj["F"] = pydyf.String(_text(obj["UF"]))
            specs[obj.reference] = obj
    names = pdf.catalog.get("Names") if isinstance(pdf.catalog.get("Names"), dict) else None
    tree = _object(pdf, names.get("EmbeddedFiles")) if names else None
    if not isinstance(tree, dict) or not isinstance(tree.get("Names"), list):
        return
    pairs = list(zip(tree["Names"][0::2], tree["Names"][1::2]))
    rebuilt = []
    for key, ref in pairs:
        spec = specs.get(ref)
        rebuilt.append((pydyf.String(_text(spec["UF"])) if spec is not None else key, ref))
    rebuilt.sort(key=lambda pair: _key(pair[0]))
    tree["Names"] = pydyf.Array([item for pair in rebuilt for item in pair])


def unique_associated_files(pdf: Any) -> None:
    """WeasyPrint lists each embedded file twice in the catalog's /AF (from the name tree and as a
    file specification): once is what PDF/A-3 means."""
    import pydyf

    af = pdf.catalog.get("AF")
    if isinstance(af, list):
        pdf.catalog["AF"] = pydyf.Array(list(dict.fromkeys(af)))


def store_incompressible_files(pdf: Any, sample: int = 65536) -> int:
    """Embedded files that do not shrink (scanned receipts: JPEG, PNG, compressed PDF) are stored as they are.

    pydyf compresses every stream at level 9 when the PDF is written; for 100 MB of
    receipts that is most of the rendering time and saves nothing. A file whose first
    64 KB shrink by less than a tenth at level 1 is written uncompressed (the same
    answer for the same bytes, so the PDF stays byte-identical). Returns how many.
    """
    import zlib

    count = 0
    for obj in pdf.objects:
        extra = getattr(obj, "extra", None)
        if not isinstance(extra, dict) or extra.get("Type") != "/EmbeddedFile" or not obj.compress:
            continue
        content = b"".join(part if isinstance(part, bytes) else bytes(str(part), "latin-1") for part in obj.stream)
        head = content[:sample]
        if head and len(zlib.compress(head, 1)) > 0.9 * len(head):
            obj.compress = False
            count += 1
    return count


def scope_table_headers(pdf: Any) -> int:
    """Give every /TH structure element a /Scope; returns how many."""
    import pydyf

    count = 0
    for obj in pdf.objects:
        if not isinstance(obj, dict) or obj.get("Type") != "/StructElem" or obj.get("S") != "/TH":
            continue
        scope = "/Row"
        parent = _object(pdf, obj.get("P"))
        for _ in range(3):  # TH -> TR -> THead/TBody
            if not isinstance(parent, dict):
                break
            if parent.get("S") == "/THead":
                scope = "/Column"
                break
            if parent.get("S") in ("/TBody", "/TFoot", "/Table"):
                break
            parent = _object(pdf, parent.get("P"))
        attributes = obj.get("A")
        if not isinstance(attributes, dict):
            attributes = pydyf.Dictionary({"O": "/Table"})
            obj["A"] = attributes
        attributes["Scope"] = scope
        count += 1
    return count
