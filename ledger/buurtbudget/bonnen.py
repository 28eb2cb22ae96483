"""Receipts are receipts: a PDF, JPEG or PNG by its content, not empty, not too large.

    bon = lees_bon(Path("~/Downloads/bon.pdf"))     # BonFout (Dutch, names the file) otherwise
    bon.soort, bon.extensie, bon.inhoud
    soort, extensie = controleer_bon(inhoud, naam)   # the same verdict on bytes (the web upload)

What a receipt is, is decided by `controleer_bon` alone, for the command line
and the web alike: the magic bytes at offset 0 (PDF `%PDF-1.x`, JPEG `FF D8 FF`,
PNG's signature followed by its `IHDR` header), a PDF's `%%EOF` near its end,
at least `MIN_BYTES` bytes (nothing smaller holds a readable scan), at most
`max_bytes()`. Never the name: `/etc/passwd` renamed to `bon.pdf` is text, and
refused; so is text followed by a PDF header. Only a regular
file the user can read is opened (no directories, devices, fifos or sockets);
the checked bytes are what gets copied (`momentopname`: a private copy outside
the ledger, removed with the change that uses it), so the file cannot change
between the check and the copy.

The largest receipt accepted is 20 MB, or `BUURTBUDGET_BON_MAX_MB` (a positive
number of megabytes, e.g. `5` or `2,5`) when that is set.

A photo from a resident's phone (`zonder_metadata`, the door `/indienen/<token>`) is
re-encoded by Pillow before it is stored: no EXIF (the GPS position of the photo is
often the resident's home), no text chunks, the orientation applied to the pixels.
A PDF is kept as it is. The command line and the beheer upload keep a receipt's bytes:
there a beheerder files a scan it holds itself, and the stored file must stay the
same bytes as that original for the auditor (and the seal of an approval).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout
from ledger.buurtbudget.money import format_mb

import os
import shutil
import stat
import tempfile
import weakref
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

MAX_MB_ENV = "BUURTBUDGET_BON_MAX_MB"
DEFAULT_MAX_MB = Decimal(20)
MB = 1024 * 1024

MIN_BYTES = 128


def _pdf(inhoud: bytes) -> bool:
    # The header at offset 0 exactly (readers tolerate junk before it; a receipt needs none), and
    # the end-of-file marker a reader looks for in the last kilobyte.
    return (inhoud.startswith(b"%PDF-") and inhoud[5:6].isdigit() and inhoud[6:7] == b"."
            and b"%%EOF" in inhoud[-1024:])


# (kind, extension, test on the whole content)
_SOORTEN: tuple[tuple[str, str, object], ...] = (
    ("PDF", ".pdf", _pdf),
    ("JPEG", ".jpg", lambda inhoud: inhoud.startswith(b"\xff\xd8\xff")),
    ("PNG", ".png", lambda inhoud: inhoud.startswith(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")),
)


class BonFout(Fout, ValueError):
    """A receipt that cannot be accepted (Dutch; names the file)."""


@dataclass(frozen=True, slots=True)
class Bon:
    pad: Path  # as the user named it
    soort: str  # PDF, JPEG or PNG
    extensie: str  # .pdf, .jpg or .png: from the content, not the name
    inhoud: bytes


def max_bytes(environ: dict[str, str] | os._Environ | None = None) -> int:
    """The largest receipt in bytes: `BUURTBUDGET_BON_MAX_MB` megabytes, or 20 MB."""
    env = os.environ if environ is None else environ
    raw = (env.get(MAX_MB_ENV) or "").strip()
    if not raw:
        return int(DEFAULT_MAX_MB * MB)
    try:
        mb = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        mb = Decimal(-1)
    if not mb.is_finite() or mb <= 0:
        raise BonFout(f"{MAX_MB_ENV}='{raw}' is geen positief aantal megabytes; zet bijvoorbeeld "
                      f"{MAX_MB_ENV}=20 of haal de variabele weg")
    return int(mb * MB)


def lees_bon(pad: str | os.PathLike, limiet: int | None = None) -> Bon:
    """Open, check and read a receipt; BonFout with a Dutch message otherwise."""
    pad = Path(pad)
    limiet = max_bytes() if limiet is None else limiet
    naam = f"bonbestand '{pad}'"
    try:
        st = os.stat(pad)
    except FileNotFoundError:
        raise BonFout(f"{naam} bestaat niet; geef het pad van een PDF, JPEG of PNG") from None
    except OSError as exc:
        raise BonFout(f"{naam} is niet te lezen ({exc.strerror}); geef het pad van een PDF, JPEG of PNG") from None
    if not stat.S_ISREG(st.st_mode):
        wat = "een map" if stat.S_ISDIR(st.st_mode) else "geen gewoon bestand (apparaat, fifo of socket)"
        raise BonFout(f"{naam} is {wat}; geef het pad van een PDF, JPEG of PNG")
    try:
        # O_NONBLOCK: should the path have become a fifo since the stat, open does not hang.
        fd = os.open(pad, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise BonFout(f"{naam} is niet te lezen ({exc.strerror}); controleer de rechten") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BonFout(f"{naam} is geen gewoon bestand; geef het pad van een PDF, JPEG of PNG")
        if st.st_size > limiet:
            raise BonFout(f"{naam} is te groot ({format_mb(st.st_size)}; hoogstens {format_mb(limiet)}, "
                          f"in te stellen met {MAX_MB_ENV}); verklein de scan of foto")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > limiet:  # grew while we read it
                raise BonFout(f"{naam} is te groot (hoogstens {format_mb(limiet)}, in te stellen met {MAX_MB_ENV})")
            chunks.append(chunk)
    except OSError as exc:
        raise BonFout(f"{naam} is niet te lezen ({exc.strerror})") from None
    finally:
        os.close(fd)
    inhoud = b"".join(chunks)
    soort, extensie = controleer_bon(inhoud, naam, limiet)
    return Bon(pad, soort, extensie, inhoud)


def controleer_bon(inhoud: bytes, naam: str, limiet: int | None = None) -> tuple[str, str]:
    """(kind, extension) of a receipt's bytes; BonFout (Dutch, naming `naam`) when they are no receipt.

    The one test of what a receipt is: `lees_bon` (command line) and the web upload call it.
    """
    limiet = max_bytes() if limiet is None else limiet
    if not inhoud:
        raise BonFout(f"{naam} is leeg; geef de scan of foto van de bon (PDF, JPEG of PNG)")
    if len(inhoud) > limiet:
        raise BonFout(f"{naam} is te groot ({format_mb(len(inhoud))}; hoogstens {format_mb(limiet)}, "
                      f"in te stellen met {MAX_MB_ENV}); verklein de scan of foto")
    for soort, extensie, test in _SOORTEN:
        if test(inhoud):  # type: ignore[operator]
            if len(inhoud) < MIN_BYTES:
                raise BonFout(f"{naam} is met {len(inhoud)} bytes te klein voor een scan of foto van een bon "
                              f"(minstens {MIN_BYTES} bytes); geef het echte bestand")
            return soort, extensie
    raise BonFout(f"{naam} is geen PDF, JPEG of PNG (de inhoud bepaalt dat, niet de naam: het bestand moet er "
                  "vanaf de eerste byte een zijn, en een PDF eindigt met %%EOF); scan of fotografeer de bon en geef "
                  "dat bestand")


MAX_PIXELS = 50_000_000  # a 50-megapixel photo: more is no receipt, and would take Pillow too much memory
JPEG_KWALITEIT = 90


def zonder_metadata(inhoud: bytes, naam: str, limiet: int | None = None) -> tuple[str, str, bytes]:
    """(kind, extension, bytes) of a receipt as it is stored from a phone: a JPEG or PNG re-encoded
    without EXIF, GPS or text chunks (orientation applied); a PDF unchanged. BonFout (Dutch) otherwise.
    """
    import io
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    soort, extensie = controleer_bon(inhoud, naam, limiet)
    if soort == "PDF":
        return soort, extensie, inhoud
    kapot = f"{naam} is een beschadigde {soort}-foto en is niet te openen; maak de foto opnieuw"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(inhoud), formats=[soort]) as beeld:
                breedte, hoogte = beeld.size
                if breedte * hoogte > MAX_PIXELS:
                    raise BonFout(f"{naam} is met {breedte}×{hoogte} pixels te groot voor een foto van een bon "
                                  f"(hoogstens {MAX_PIXELS // 1_000_000} megapixel); maak een kleinere foto")
                icc = beeld.info.get("icc_profile")  # colours, nothing personal: kept
                beeld.load()
                rechtop = ImageOps.exif_transpose(beeld)
        if soort == "JPEG" and rechtop.mode not in ("RGB", "L", "CMYK"):
            rechtop = rechtop.convert("RGB")
        rechtop.info = {}  # no EXIF, XMP, comments or text chunks travel with the pixels
        uit = io.BytesIO()
        opties = {"icc_profile": icc} if icc else {}
        if soort == "JPEG":
            rechtop.save(uit, format="JPEG", quality=JPEG_KWALITEIT, optimize=True, **opties)
        else:
            rechtop.save(uit, format="PNG", optimize=True, **opties)
    except BonFout:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError):
        raise BonFout(kapot) from None
    schoon = uit.getvalue()
    controleer_bon(schoon, naam, limiet)  # the stored bytes pass the same test
    return soort, extensie, schoon


def momentopname(bon: Bon) -> Path:
    """The checked bytes in a private file (a 0700 folder outside any ledger): what the writer copies in."""
    folder = Path(tempfile.mkdtemp(prefix="buurtbudget-bon-"))
    pad = folder / f"bon{bon.extensie}"
    fd = os.open(pad, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bon.inhoud)
    return pad


def ruim_op_met(eigenaar: object, paden: list[Path]) -> None:
    """Remove the private copies once `eigenaar` (the change that copies them in) is gone, or at exit."""
    if paden:
        weakref.finalize(eigenaar, _verwijder, [str(p.parent) for p in paden])


def _verwijder(folders: list[str]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
