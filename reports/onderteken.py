"""The penvoerder's signature on a statement: a key of its own, a PAdES signature, and reading one back.

- `maak_sleutel` writes one PEM file holding a new private key (ECDSA P-256) and
  a self-signed certificate naming the penvoerder, mode 0600, in the
  workspace's `.sleutels/` folder (or a path given), never inside a ledger
  folder: the books are shared and kept in git, a key is not. The certificate
  alone is written beside it (`.crt`, to hand to the stadsdeel).
- `onderteken` signs finished PDF/A-3a bytes with pyHanko as an incremental
  update (PAdES baseline B-B, SHA-256): the bytes of the statement stay as they
  were, and the XMP metadata and the PDF/A identification with them.
- `lees_handtekeningen` validates every signature in a PDF: who signed, when,
  whether the signed bytes are intact, and whether anything was appended after.

The certificate is self-signed: the signature proves that no byte changed since
the holder of this key signed, and the certificate's fingerprint tells the
auditor which key that was (compare it with the certificate the penvoerder gave).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout
from ledger.schrijver.uitvoer import UitvoerFout, uitvoer_pad

import datetime
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

KEY_FOLDER = ".sleutels"
DEFAULT_NAME = "penvoerder"
FIELD_NAME = "Handtekening-penvoerder"
VALID_YEARS = 5


class SleutelFout(Fout):
    """A key that cannot be made, read or used (Dutch message naming the file)."""


@dataclass(frozen=True, slots=True)
class NieuweSleutel:
    sleutel: Path  # private key + certificate, 0600
    certificaat: Path  # the certificate alone
    vingerafdruk: str  # SHA-256 of the certificate (DER), hex in pairs


@dataclass(frozen=True, slots=True)
class Handtekening:
    veld: str
    ondertekenaar: str  # the certificate's subject, as a person reads it
    vingerafdruk: str
    tijdstip: datetime.datetime | None  # the signing time the signer states (no timestamp authority)
    intact: bool  # the signed bytes hash to what was signed and the signature over them is valid
    hele_bestand: bool  # the signature covers every byte of the file (nothing appended after)
    fout: str = ""  # why it is not valid, in Dutch, when it is not

    @property
    def ok(self) -> bool:
        return self.intact and self.hele_bestand and not self.fout


def fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def sleutel_pad(werkruimte: Path, naam: str = DEFAULT_NAME) -> Path:
    return werkruimte / KEY_FOLDER / f"{naam}.pem"


def maak_sleutel(doel: Path, penvoerder: str, *, organisatie: str | None = None,
                 nu: datetime.datetime | None = None) -> NieuweSleutel:
    """A new key and self-signed certificate for `penvoerder`, written to `doel` (0600) and `doel`.crt."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    penvoerder = penvoerder.strip()
    if not penvoerder or any(ch in penvoerder for ch in "\r\n\x00"):
        raise SleutelFout("de naam van de penvoerder is leeg of bevat een regeleinde")
    doel = Path(doel).absolute()
    if doel.suffix != ".pem":
        raise SleutelFout(f"{doel}: een sleutelbestand eindigt op .pem")
    folder = doel.parent
    certificate_path = doel.with_suffix(".crt")
    # The one output policy (`ledger.schrijver.uitvoer`): never in a ledger's folder, `.git/` or a control file.
    for path, wat in ((doel, "sleutelbestand"), (certificate_path, "certificaat")):
        try:
            uitvoer_pad(path, wat=wat, bestaand=False)
        except UitvoerFout as exc:
            raise SleutelFout(f"{exc}. Een sleutel hoort niet bij de boeken (die worden gedeeld en in git "
                              f"bewaard): laat -o weg voor <werkruimte>/{KEY_FOLDER}/") from None
    for path in (doel, certificate_path):
        if path.exists():
            raise SleutelFout(f"{path}: bestaat al; een bestaande sleutel wordt niet overschreven")
    now = (nu or datetime.datetime.now(datetime.timezone.utc)).replace(microsecond=0)
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, penvoerder)]
    if organisatie:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisatie.strip()))
    name = x509.Name(attributes)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now.replace(year=now.year + VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.name == KEY_FOLDER and not (folder / ".gitignore").exists():
        # A workspace kept in git must not pick the key up by accident.
        (folder / ".gitignore").write_text("*\n", encoding="utf-8")
    # Created 0600 from the first byte: no moment in which another user could read the key.
    handle = os.open(doel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as out:
        out.write(key_pem + cert_pem)
    os.chmod(doel, 0o600)  # whatever the umask
    certificate_path.write_bytes(cert_pem)
    return NieuweSleutel(doel, certificate_path, fingerprint(certificate.public_bytes(serialization.Encoding.DER)))


def _laad(path: Path):
    """(asn1crypto private key, asn1crypto certificate) from one PEM file; SleutelFout when unusable."""
    from asn1crypto import keys, pem, x509 as asn1_x509

    path = Path(path)
    try:
        info = path.stat()
        content = path.read_bytes()
    except OSError as exc:
        raise SleutelFout(f"{path}: sleutel niet te lezen ({exc.strerror or exc})") from exc
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SleutelFout(f"{path}: andere gebruikers kunnen deze sleutel lezen (modus {stat.S_IMODE(info.st_mode):o}); "
                          f"maak hem alleen voor jezelf leesbaar: chmod 600 {path}")
    key = certificate = None
    try:
        for kind, _headers, der in pem.unarmor(content, multiple=True):
            if kind == "PRIVATE KEY" and key is None:
                key = keys.PrivateKeyInfo.load(der)
            elif kind == "CERTIFICATE" and certificate is None:
                certificate = asn1_x509.Certificate.load(der)
    except (ValueError, TypeError) as exc:
        raise SleutelFout(f"{path}: geen leesbaar sleutelbestand (PEM): {exc}") from exc
    if key is None or certificate is None:
        raise SleutelFout(f"{path}: het bestand moet een sleutel (PRIVATE KEY) en een certificaat bevatten; "
                          f"maak er een met: buurtbudget sleutel maken")
    return key, certificate


def onderteken(pdf: bytes, sleutel: Path, *, reden: str = "Verantwoording buurtbudget") -> bytes:
    """`pdf` with a PAdES signature of the key in `sleutel` appended as an incremental update."""
    from pyhanko.sign import fields, signers
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key, certificate = _laad(sleutel)
    signer = signers.SimpleSigner(signing_cert=certificate, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([certificate]))
    now = datetime.datetime.now(datetime.timezone.utc)
    if not (certificate.not_valid_before <= now <= certificate.not_valid_after):
        raise SleutelFout(f"{sleutel}: het certificaat is niet geldig op {now:%Y-%m-%d} "
                          f"(geldig {certificate.not_valid_before:%Y-%m-%d} tot {certificate.not_valid_after:%Y-%m-%d})")
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reden,
        name=certificate.subject.native.get("common_name"),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _same_producer(writer)
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()


def _same_producer(writer) -> None:
    """The info dictionary's /Producer as pyHanko writes it into the XMP (PDF/A: the two must agree).

    pyHanko appends its name to the info dictionary's producer but writes its name
    alone into the XMP; a new info dictionary (an incremental update, the signed
    bytes untouched) with the same value keeps them equal.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    info = generic.DictionaryObject()
    try:
        original = writer.trailer["/Info"].get_object()
    except KeyError:
        original = {}
    for key, value in original.items():
        info[key] = value
    info[generic.NameObject("/Producer")] = generic.TextStringObject(VENDOR)
    writer.set_info(info)


def _plain(value: object, limit: int = 200) -> str:
    """A name from a certificate inside a PDF (hostile text): printable characters only, bounded."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(certificate) -> str:
    subject = certificate.subject.native
    name = _plain(subject.get("common_name") or certificate.subject.human_friendly)
    org = subject.get("organization_name")
    return f"{name} ({_plain(org)})" if org else name


def lees_handtekeningen(data: bytes) -> list[Handtekening]:
    """Every signature in the PDF, validated against its own certificate (self-signed: integrity, not trust)."""
    import logging

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.pdf_embedded import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    found = []
    for embedded in reader.embedded_signatures:
        name = str(embedded.field_name)
        try:
            certificate = embedded.signer_cert
        except Exception as exc:  # noqa: BLE001 - a damaged signature container: say so, never a traceback
            found.append(Handtekening(name, "onbekend", "", None, False, False, f"de handtekening is onleesbaar ({exc})"))
            continue
        who, print_ = _who(certificate), fingerprint(certificate.dump())
        try:
            context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
            # No difference analysis: verifieer allows nothing after the signature at all (coverage says so).
            status = validate_pdf_signature(embedded, signer_validation_context=context, skip_diff=True)
        except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
            found.append(Handtekening(name, who, print_, None, False, False, f"de handtekening is niet te controleren ({exc})"))
            continue
        when = status.signer_reported_dt
        whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        fout = ""
        if not status.intact:
            fout = "de ondertekende bytes zijn gewijzigd na het ondertekenen"
        elif not status.valid:
            fout = "de handtekening past niet bij de ondertekende bytes of het certificaat"
        found.append(Handtekening(name, who, print_, when, bool(status.intact and status.valid), whole, fout))
    return found
