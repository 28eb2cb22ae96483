"""Paying and the bank in /beheer/<slug>/: payment batches, bank statements, settling, the export.

The same functions as the command line (`buurtbudget betaal`, `import`, `afsluiten`, `export`):
a batch is `ledger.betalingen.batches.maak_batch` / `maak_intrekking`, a statement is
`ledger.importers.voorvertoning_import`, settling is `ledger.betalingen.afsluiten.maak_afsluiting`;
every write goes through `ledger.schrijver.schrijven.schrijf` as the person behind the login
(gebruikers.toml), who is also the git author. Only a logged-in beheerder may
(`formulieren.may_book`). A refusal is a Dutch page and leaves the ledger byte-identical.

An uploaded statement waits for its confirmation in a private folder outside the workspace
(`wachtruimte`), tied to the login and the ledger that uploaded it, for at most
`AFSCHRIFT_GELDIG` seconds; it is removed once confirmed, refused or expired.
"""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

from buurtbudget_admin.fava_ext.formulieren import may_book

AFSCHRIFT_MAX = 5 * 1024 * 1024  # a month of a neighbourhood's bank lines is a few hundred kB
AFSCHRIFT_GELDIG = 30 * 60  # seconds between the preview and its confirmation
AFSCHRIFT_EXTENSIES = (".xml", ".csv", ".txt", ".sta", ".940", ".mt940", ".swi")
EXPORT_FORMATEN = {"csv": "text/csv; charset=utf-8",
                   "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class Pagina:
    """A response of a form: status, title and the page's body as HTML (every value already escaped)."""

    status: int
    titel: str
    body: str = ""


@dataclass(frozen=True, slots=True)
class Download:
    status: int
    inhoud: bytes
    content_type: str
    bestandsnaam: str | None = None  # None: a refusal shown as text


# --------------------------------------------------------------------------- what the page shows


@dataclass(frozen=True, slots=True)
class BetaalRegel:
    link: str
    naam: str
    iban: str
    bedrag: str
    omschrijving: str
    signalen: tuple[str, ...]  # each a signal's code and explanation (warnings, never blocking)
    retouren: tuple[str, ...]  # earlier returns of this item by the bank


@dataclass(frozen=True, slots=True)
class OpenBatch:
    msgid: str
    datum: str
    links: tuple[str, ...]
    totaal: str


@dataclass(frozen=True, slots=True)
class BetaalOverzicht:
    regels: tuple[BetaalRegel, ...]
    totaal: str
    overgeslagen: tuple[str, ...]
    open_batches: tuple[OpenBatch, ...]
    fout: str | None  # no batch possible at all (a shared link)


def overzicht(view: Any, entries: Any, signalen_van: Callable[[str], tuple]) -> BetaalOverzicht:
    """The batch a click would make now (items, total, signals per item) and the batches still out.

    `signalen_van(link)`: the extension's signals of one item (computed once per load, across the
    workspace), the same the approval form shows.
    """
    from ledger.betalingen.batches import voorvertoning
    from ledger.buurtbudget.money import format_eur
    from ledger.evaluatie.retouren import reden_tekst

    voor = voorvertoning(view, entries)
    per_link = {o.link: signalen_van(o.link) for o in voor.overboekingen}
    regels = tuple(
        BetaalRegel(
            link=o.link, naam=o.naam, iban=o.iban, bedrag=format_eur(o.bedrag), omschrijving=o.omschrijving,
            signalen=tuple(f"{s.code} [{s.ernst}]: {s.uitleg}" for s in per_link.get(o.link, ())),
            retouren=tuple(f"{r.date.isoformat()}: {reden_tekst(r.meta.get('retour-reden'))}"
                           for r in o.payable.returns),
        )
        for o in voor.overboekingen
    )
    bedragen = {p.link: p.amount for p in view.payables if p.link}
    open_batches = tuple(
        OpenBatch(b.msgid, b.datum.isoformat(), tuple(l for l in b.links if voor.wachtend.get(l) == b.msgid),
                  format_eur(sum((bedragen.get(l, Decimal(0)) for l in b.links if voor.wachtend.get(l) == b.msgid),
                                  Decimal(0))))
        for b in voor.open_batches
    )
    return BetaalOverzicht(regels, format_eur(voor.totaal), voor.overgeslagen, open_batches, voor.fout)


# --------------------------------------------------------------------------- writes


def _schrijf(ledger_path: str, user: Any, build: Callable, mislukt: str) -> tuple[Any, Pagina | None]:
    """One write through the one writer as `user`; (result, None), or (None, the refusal's page)."""
    from buurtbudget_admin.fava_ext.formulieren import melding
    from buurtbudget_admin.valideren import valideer
    from ledger.buurtbudget.fouten import Fout
    from ledger.schrijver.schrijven import schrijf

    try:
        return schrijf(ledger_path, build, door=user.persoon, valideer=valideer, email=user.email), None
    except Fout as exc:
        status, tekst = melding(exc, ledger_path)
        return None, Pagina(status, mislukt, _p(tekst))


def _geen_toegang(wat: str) -> Pagina:
    return Pagina(403, "Geen toegang", _p(f"Alleen een ingelogde beheerder {wat}."))


def _datum(form: Mapping[str, str], veld: str, default: datetime.date | None) -> datetime.date | str:
    text = (form.get(veld) or "").strip()
    if not text and default is not None:
        return default
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return f"{veld}: '{text}' is geen datum; schrijf JJJJ-MM-DD."


def maak_opdracht(ledger_path: str, mode: str, user: Any, form: Mapping[str, str], base: str) -> Pagina:
    """Record a batch of every payable item (as `buurtbudget betaal`); the page links to its pain.001 file."""
    from ledger.betalingen.batches import BetaalFout, bestandsnaam, maak_batch
    from ledger.schrijver.boekingen import InvoerFout
    from ledger.buurtbudget.money import format_eur

    if not may_book(mode, user):
        return _geen_toegang("maakt een betaalopdracht")
    when = _datum(form, "datum", datetime.date.today())
    if isinstance(when, str):
        return Pagina(400, "Geen betaalopdracht", _p(when))
    made: dict = {}

    def build(stand):
        try:
            werk = maak_batch(stand.entries, stand.view, when)
        except BetaalFout as exc:
            raise InvoerFout(f"{stand.pad.name}: {exc}") from None
        if werk is None:
            raise InvoerFout("niets te betalen: geen goedgekeurde declaraties of facturen zonder betaling of "
                             "betaalopdracht (met een geldig IBAN); er is niets gewijzigd")
        made["batch"] = werk.batch
        return werk.wijziging(user.persoon, bestandsnaam(werk.batch.msgid))

    result, refused = _schrijf(ledger_path, user, build, "Geen betaalopdracht")
    if refused is not None:
        return refused
    batch = made["batch"]
    items = "".join(f"<li>^{_e(o.link)} · {_e(format_eur(o.bedrag))} · {_e(o.naam)}</li>" for o in batch.overboekingen)
    return Pagina(200, "Betaalopdracht gemaakt", (
        _p(result.omschrijving)
        + f"<ul>{items}</ul>"
        + f'<p><a id="bb-betaalbestand" data-remote download href="{_e(base)}betaalbestand?msgid={_e(batch.msgid)}">'
          f"Betaalbestand downloaden (pain.001, {_e(bestandsnaam(batch.msgid))})</a></p>"
        + _p("Upload het bestand bij de bank; de betalingen worden geboekt bij de import van het afschrift. "
             "Voert de bank het niet uit, trek de betaalopdracht dan in.")
    ))


def betaalbestand(ledger_path: str, mode: str, user: Any, msgid: str) -> Download:
    """The pain.001 file of a batch still out at the bank, made again from the ledger (same MsgId)."""
    from ledger.betalingen.batches import BetaalFout, bestandsnaam, opnieuw_bestand
    from ledger.schrijver.schrijven import lees_stand
    from buurtbudget_admin.valideren import valideer

    if not may_book(mode, user):
        return _tekst(403, "Alleen een ingelogde beheerder downloadt een betaalbestand.")
    try:
        stand = lees_stand(ledger_path, valideer=valideer)
        werk = opnieuw_bestand(stand.entries, stand.view, msgid)
    except BetaalFout as exc:
        return _tekst(409, str(exc))
    return Download(200, werk.xml, "application/xml", bestandsnaam(werk.batch.msgid))


def trek_in(ledger_path: str, mode: str, user: Any, form: Mapping[str, str]) -> Pagina:
    """Withdraw a batch the bank has not carried out (as `buurtbudget betaal --intrekken`)."""
    from ledger.betalingen.batches import BetaalFout, maak_intrekking
    from ledger.schrijver.boekingen import InvoerFout

    if not may_book(mode, user):
        return _geen_toegang("trekt een betaalopdracht in")
    msgid = (form.get("msgid") or "").strip()
    if not msgid:
        return Pagina(400, "Niet ingetrokken", _p("msgid: welke betaalopdracht?"))
    when = _datum(form, "datum", datetime.date.today())
    if isinstance(when, str):
        return Pagina(400, "Niet ingetrokken", _p(when))
    reden = (form.get("reden") or "").strip() or None
    done: dict = {}

    def build(stand):
        try:
            intrekking = maak_intrekking(stand.entries, stand.view, msgid, when, user.persoon, reden)
        except BetaalFout as exc:
            raise InvoerFout(f"{stand.pad.name}: {exc}") from None
        done["intrekking"] = intrekking
        return intrekking.wijziging

    result, refused = _schrijf(ledger_path, user, build, "Niet ingetrokken")
    if refused is not None:
        return refused
    intrekking = done["intrekking"]
    body = _p(result.omschrijving)
    if intrekking.open:
        body += _p("Weer te betalen bij de volgende betaalopdracht: " + ", ".join(f"^{l}" for l in intrekking.open))
    if intrekking.betaald:
        body += _p("Al betaald volgens het afschrift (blijft betaald): "
                   + ", ".join(f"^{l}" for l in intrekking.betaald))
    return Pagina(200, "Betaalopdracht ingetrokken",
                  body + _p("Upload het betaalbestand van deze opdracht niet (meer) bij de bank."))


# --------------------------------------------------------------------------- a bank statement


def wachtruimte() -> Path:
    """The private folder where uploaded statements wait for their confirmation (never in a workspace)."""
    root = Path(tempfile.gettempdir()) / f"buurtbudget-afschriften-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    info = root.lstat()
    if root.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"de wachtruimte voor afschriften is niet privé ({root.name})")
    return root


def _opruimen(root: Path) -> None:
    """Remove every statement that waited longer than AFSCHRIFT_GELDIG."""
    grens = time.time() - AFSCHRIFT_GELDIG
    for folder in root.iterdir():
        try:
            if folder.lstat().st_mtime < grens:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _veilige_naam(naam: str) -> str | None:
    """The uploaded file's own name, reduced to letters, digits and `._-`; None: not a statement's extension."""
    naam = re.sub(r"[^A-Za-z0-9._-]", "_", Path(naam.replace("\\", "/")).name).lstrip(".")[-80:]
    return naam if naam.lower().endswith(AFSCHRIFT_EXTENSIES) else None


def _afschrift_fout(inhoud: bytes, naam: str) -> str | None:
    """Why these bytes are no statement to read at all (Dutch), before any parser sees them."""
    if not inhoud.strip():
        return f"{naam}: het bestand is leeg; download het afschrift opnieuw bij de bank."
    if len(inhoud) > AFSCHRIFT_MAX:
        return (f"{naam}: het bestand is groter dan {AFSCHRIFT_MAX // (1024 * 1024)} MB; een bankafschrift is veel "
                "kleiner. Download het afschrift per maand.")
    head = inhoud[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in inhoud.lower():
        return f"{naam}: het bestand bevat een DOCTYPE of entiteit; een bankafschrift heeft die nooit. Er is niets gelezen."
    return None


def afschrift_voorvertoning(ledger_path: str, mode: str, user: Any, naam: str, inhoud: bytes, base: str,
                            csrf: str) -> Pagina:
    """Read an uploaded statement against the ledger and show what its import would write; nothing is written."""
    from buurtbudget_admin.valideren import valideer
    from ledger.schrijver.boekingen import InvoerFout
    from ledger.importers import voorvertoning_import
    from ledger.schrijver.schrijven import lees_stand

    if not may_book(mode, user):
        return _geen_toegang("leest een bankafschrift in")
    veilig = _veilige_naam(naam or "")
    if veilig is None:
        return Pagina(400, "Niet ingelezen", _p(
            f"{naam or 'het bestand'}: geen bankafschrift; kies een CAMT.053 (.xml), MT940 (.sta, .940) of CSV (.csv)."))
    fout = _afschrift_fout(inhoud, veilig)
    if fout:
        return Pagina(400, "Niet ingelezen", _p(fout))
    try:
        root = wachtruimte()
        _opruimen(root)
        token = secrets.token_hex(16)
        folder = root / token
        folder.mkdir(mode=0o700)
    except OSError as exc:
        return Pagina(503, "Niet ingelezen", _p(f"de server kan het afschrift nu niet tijdelijk bewaren ({exc}); "
                                                "er is niets gewijzigd. Probeer het later opnieuw of gebruik "
                                                "'buurtbudget import'."))
    bewaren = False
    try:
        pad = folder / veilig
        pad.write_bytes(inhoud)
        try:
            voor = voorvertoning_import(lees_stand(ledger_path, valideer=valideer), pad)
        except InvoerFout as exc:
            return Pagina(400, "Niet ingelezen", _p(_zonder_map(str(exc), folder)))
        if not voor.nieuw:
            return Pagina(409, "Niets nieuws", _p(
                f"{veilig}: alle {voor.regels_in_afschrift} regel(s) van dit afschrift staan al in de ledger "
                "(eerder ingelezen); er is niets gewijzigd."))
        (folder / "wie.json").write_text(json.dumps({"login": user.name, "ledger": str(Path(ledger_path).resolve()),
                                                     "bestand": veilig}), encoding="utf-8")
        bewaren = True
    finally:
        if not bewaren:
            shutil.rmtree(folder, ignore_errors=True)
    return Pagina(200, "Bankafschrift: controleer en bevestig", _import_overzicht(voor) + (
        f'<form method="post" id="bb-afschrift-bevestigen" action="{_e(base)}afschrift-bevestigen">'
        f'<input type="hidden" name="csrf_token" value="{_e(csrf)}">'
        f'<input type="hidden" name="token" value="{token}">'
        f'<button type="submit">Bevestigen en inlezen</button></form>'
        + _p(f"Niet bevestigd? Dan wordt het bestand na {AFSCHRIFT_GELDIG // 60} minuten gewist.")
    ))


def _import_overzicht(voor: Any) -> str:
    from ledger.buurtbudget.money import format_eur

    def regel(e) -> str:
        # The amount as the bank shows it: the line's posting on the bank account (negative: money out).
        bedrag = next((p.units.number for p in e.postings if p.account == voor.rekening and p.units is not None),
                      None)
        link = " ".join(f"^{l}" for l in sorted(e.links))
        return (f"<li>{_e(e.date.isoformat())} · {_e(format_eur(bedrag))} · {_e(e.payee or '')} · "
                f"{_e(e.narration)}{(' · ' + _e(link)) if link else ''}</li>")

    def lijst(titel: str, ident: str, entries) -> str:
        if not entries:
            return ""
        return f'<h2>{_e(titel)} ({len(entries)})</h2><ul id="{ident}">' + "".join(map(regel, entries)) + "</ul>"

    saldo = (f"Eindsaldo volgens de bank op {voor.eindsaldo_datum.isoformat()}: {format_eur(voor.eindsaldo)} — "
             "klopt met de ledger (met deze regels)." if voor.eindsaldo is not None
             else "Het afschrift heeft geen eindsaldo: niet te controleren.")
    batches = (_p("Betaalopdrachten op dit afschrift: " + ", ".join(voor.batches)) if voor.batches else "")
    return (
        _p(f"{voor.bestand} ({voor.formaat}): {voor.regels_in_afschrift} regel(s); "
           f"{len(voor.betalingen) + len(voor.retouren) + len(voor.onverwerkt)} nieuw, "
           f"{voor.overgeslagen} al in de ledger (overgeslagen).", "bb-afschrift-samenvatting")
        + _p(saldo, "bb-afschrift-saldo")
        + lijst("Betalingen van declaraties en facturen", "bb-afschrift-betalingen", voor.betalingen)
        + batches
        + lijst("Retouren (weer te betalen; controleer het IBAN)", "bb-afschrift-retouren", voor.retouren)
        + lijst("Nieuwe regels op Onverwerkt (later te boeken)", "bb-afschrift-onverwerkt", voor.onverwerkt)
    )


def afschrift_bevestigen(ledger_path: str, mode: str, user: Any, form: Mapping[str, str]) -> Pagina:
    """Import the statement this login uploaded for this ledger (the importer's own checks, again)."""
    from ledger.importers import maak_import

    if not may_book(mode, user):
        return _geen_toegang("leest een bankafschrift in")
    token = (form.get("token") or "").strip()
    verlopen = Pagina(400, "Niet ingelezen", _p("Dit afschrift wacht niet (meer) op een bevestiging: het is al "
                                                "ingelezen, of langer dan "
                                                f"{AFSCHRIFT_GELDIG // 60} minuten geleden geüpload. Upload het opnieuw."))
    if not _TOKEN.fullmatch(token):
        return verlopen
    try:
        root = wachtruimte()
        _opruimen(root)
        folder = root / token
        wie = json.loads((folder / "wie.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return verlopen
    if wie.get("login") != user.name or wie.get("ledger") != str(Path(ledger_path).resolve()):
        return verlopen  # another login's or another ledger's upload is not this one's to confirm
    try:
        pad = folder / str(wie.get("bestand"))
        result, refused = _schrijf(ledger_path, user, lambda stand: maak_import(stand, pad), "Niet ingelezen")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if refused is not None:
        return Pagina(refused.status, refused.titel, refused.body.replace(_e(str(folder) + os.sep), ""))
    if not result.gewijzigd:
        return Pagina(409, "Niets nieuws", _p(result.omschrijving + "; er is niets gewijzigd."))
    return Pagina(200, "Bankafschrift ingelezen", _p(result.omschrijving, "bb-afschrift-uitkomst"))


def _zonder_map(tekst: str, folder: Path) -> str:
    """A message about the uploaded file names the file, never the server's folder."""
    return tekst.replace(str(folder) + os.sep, "")


# --------------------------------------------------------------------------- settling and the export


def sluit_af(ledger_path: str, mode: str, user: Any, form: Mapping[str, str]) -> Pagina:
    """Settle the grant (as `buurtbudget afsluiten`), after an explicit confirmation."""
    from ledger.betalingen.afsluiten import maak_afsluiting

    if not may_book(mode, user):
        return _geen_toegang("sluit een buurtbudget af")
    when = _datum(form, "datum", None)
    if isinstance(when, str):
        return Pagina(400, "Niet afgesloten", _p(when))
    if (form.get("bevestig") or "") != "ja":  # settling closes the books: never by one stray click
        return Pagina(400, "Niet afgesloten", _p("Bevestig de afsluiting (het vinkje): het niet bestede deel komt "
                                                 "als terugbetaling aan de gemeente in de boeken."))
    result, refused = _schrijf(ledger_path, user, lambda stand: maak_afsluiting(stand, when, user.persoon),
                               "Niet afgesloten")
    if refused is not None:
        return refused
    return Pagina(200, "Afgesloten", _p(result.omschrijving, "bb-afsluiten-uitkomst"))


def export(ledger_path: str, mode: str, user: Any, formaat: str) -> Download:
    """The annex (every booking) as CSV or XLSX, as `buurtbudget export` writes it."""
    from reports.context import StatementError, build_statement
    from reports.export import export_annex

    if not may_book(mode, user):
        return _tekst(403, "Alleen een ingelogde beheerder downloadt de export.")
    if formaat not in EXPORT_FORMATEN:
        return _tekst(400, "formaat: kies csv of xlsx.")
    try:
        statement = build_statement(ledger_path, taal="nl")
    except StatementError as exc:
        return _tekst(409, f"De export kon niet worden gemaakt: {exc}")
    slug = re.sub(r"[^A-Za-z0-9_-]", "_", Path(ledger_path).resolve().parent.name)  # it goes into a header
    return Download(200, export_annex(statement, formaat), EXPORT_FORMATEN[formaat],
                    f"bijlage-{slug}-{datetime.date.today().isoformat()}.{formaat}")


# --------------------------------------------------------------------------- small pieces


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _p(tekst: str, ident: str | None = None) -> str:
    return (f'<p id="{ident}">' if ident else "<p>") + _e(tekst) + "</p>"


def _tekst(status: int, bericht: str) -> Download:
    return Download(status, bericht.encode("utf-8"), "text/plain; charset=utf-8")


def html_pagina(pagina: Pagina, back: str, uitloggen: str | None = None) -> str:
    weg = f' · <a id="bb-uitloggen" href="{_e(uitloggen)}">Uitloggen</a>' if uitloggen else ""
    return (
        '<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        f"<title>{_e(pagina.titel)}</title></head><body>"
        f'<h1>{_e(pagina.titel)}</h1><div id="bb-uitkomst">{pagina.body}</div>'
        f'<p><a href="{_e(back)}">Terug naar het buurtbudget</a>{weg}</p></body></html>'
    )
