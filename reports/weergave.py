"""What a statement's bytes depend on besides its books: the code, the templates, the libraries and fonts.

The manifest records it (`weergave`), so `buurtbudget verifieer` knows how
strictly it may compare a statement with the one it renders anew from the
embedded books:

- the same code, templates and environment: every byte must be equal;
- the same code and templates: the text of every page must be equal (another
  font file or library draws the same text with other bytes);
- another code version or the stadsdeel's own templates: the figures of every
  page are compared, and the verdict says so.

Each part is a SHA-256 (or a short text) computed from files and versions, never
from a clock, a path or the environment's variables: the same installation gives
the same value in any process.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

_ROOT = Path(__file__).resolve().parent.parent
# Everything that turns books into a statement: loading, the rules, the view, the report.
CODE_PACKAGES = ("ledger", "rules", "reports")
# Modules that check or sign a statement but play no part in making one.
NOT_RENDERING = frozenset({"reports/verify.py", "reports/pdf_structure.py", "reports/onderteken.py"})


@dataclass(frozen=True, slots=True)
class Weergave:
    code: str  # SHA-256 over the Python sources of CODE_PACKAGES
    sjablonen: str  # SHA-256 over the template files in effect (first match of each name)
    omgeving: str  # library versions, font-subsetting path and font files

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "sjablonen": self.sjablonen, "omgeving": self.omgeving}

    @classmethod
    def from_manifest(cls, value: object) -> "Weergave | None":
        if not isinstance(value, Mapping):
            return None
        parts = [value.get(k) for k in ("code", "sjablonen", "omgeving")]
        if not all(isinstance(p, str) for p in parts):
            return None
        return cls(*parts)  # type: ignore[arg-type]


def _digest(items: Iterable[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, content in sorted(items):
        h.update(f"{name}\0{len(content)}\0".encode("utf-8"))
        h.update(content)
    return h.hexdigest()


@functools.cache
def code_hash() -> str:
    files = []
    for package in CODE_PACKAGES:
        for path in (_ROOT / package).rglob("*.py"):
            name = path.relative_to(_ROOT).as_posix()
            if "__pycache__" not in path.parts and name not in NOT_RENDERING:
                files.append((name, path.read_bytes()))
    return _digest(files)


def templates_hash(dirs: Sequence[Path]) -> str:
    """The files a Jinja ChoiceLoader over `dirs` would use: for each name the first folder that has it."""
    chosen: dict[str, bytes] = {}
    for folder in dirs:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in chosen and "__pycache__" not in path.parts:
                chosen[name] = path.read_bytes()
    return _digest(chosen.items())


def _harfbuzz_version(hb) -> str:
    """HarfBuzz's version, found with the one version call WeasyPrint binds (hb_version_atleast)."""
    version = []
    for position in range(3):
        low, high = 0, 1 << 12
        while low < high:  # the largest n with atleast(prefix, n, 0...)
            mid = (low + high + 1) // 2
            args = version + [mid] + [0] * (2 - position)
            if hb.hb_version_atleast(*args):
                low = mid
            else:
                high = mid - 1
        version.append(low)
    return ".".join(map(str, version))


@functools.cache
def environment() -> str:
    import pydyf
    import weasyprint
    import weasyprint.pdf.fonts as fonts
    from weasyprint.text.ffi import pango

    from reports.render import _font_file

    hb = fonts.harfbuzz
    subset = "harfbuzz" if fonts.harfbuzz_subset and hb.hb_version_atleast(4, 1, 0) else "fonttools"
    font_files = []
    for pattern, debian in (("DejaVu Sans:style=Book", "DejaVuSans.ttf"), ("DejaVu Sans:style=Bold", "DejaVuSans-Bold.ttf")):
        path = _font_file(pattern, debian)
        font_files.append((debian, Path(path).read_bytes() if path else b""))
    parts = [
        f"weasyprint {weasyprint.__version__}",
        f"pydyf {pydyf.__version__}",
        f"pango {pango.pango_version()}",
        f"harfbuzz {_harfbuzz_version(hb)}",
        f"subset {subset}",
        f"zlib {zlib.ZLIB_RUNTIME_VERSION}",
        f"fonts {_digest(font_files)[:16]}",
    ]
    return "; ".join(parts)


def current(template_dirs: Sequence[Path]) -> Weergave:
    return Weergave(code_hash(), templates_hash(template_dirs), environment())
