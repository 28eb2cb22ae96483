"""SEPA credit transfers (pain.001.001.03) for approved claims and invoices, each paid once.

    batch = nieuwe_batch(stand.entries, stand.view, uitvoerdatum)   # None: nothing to pay
    xml = sepa_betaalbestand(stand.view, batch)
    text = batch_tekst(batch, door, bestand)                          # appended by the safe writer

Every claim (`^decl-...`) and invoice (`^fact-...`) that is approved, not
paid (more payments than returns, see `ledger.evaluatie.retouren`) and not waiting in an
earlier batch becomes one transfer; the debtor is the header's `iban`; each
transfer's EndToEndId is the link's name, so the bank statement line that pays
it can be matched back (see `ledger.importers.common`).

A batch is recorded in the ledger, so it is never paid twice:

    2025-05-08 custom "betaalopdracht" "BB-20250508-001-4F2A"
      links: "decl-2025-004 fact-2025-002"
      aantal: 2
      totaal: 464.20 EUR
      bestand: "betaling-mei.xml"
      door: "Henk"

An item waits in its batch until the bank statement shows its payment (the
import writes `betaalopdracht: "BB-20250508-001-4F2A"` on that payment) or the
batch is cancelled:

    2025-05-09 custom "betaalopdracht-ingetrokken" "BB-20250508-001-4F2A"
      door: "Henk"
      reden: "niet geüpload"

A payment the bank returns (`retour-reden:`) makes the item payable again in
the next batch. Built with sepaxml and validated against the schema shipped in
`ledger/schemas/`.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

from beancount.core import data

from ledger.buurtbudget import tekst
from ledger.schrijver.uitvoer import UitvoerFout, uitvoer_pad
from ledger.evaluatie.betaalopdrachten import (  # noqa: F401 - the batches as the ledger records them; callers find them here too
    BATCH, BATCH_META, INTREKKING, Betaalbatch, batch_voor_betaling, batches, intrekkingen, uitgevoerd, wachtend)
from ledger.evaluatie.view import Buurtbudget, Payable

SCHEMA = "pain.001.001.03"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / f"{SCHEMA}.xsd"


class BetaalFout(Fout, ValueError):
    """Why no payment file can be made, or a batch cannot be cancelled (Dutch)."""


@dataclass(frozen=True, slots=True)
class Overboeking:
    """One transfer of a batch."""

    link: str
    naam: str
    iban: str
    bedrag: Decimal
    omschrijving: str
    payable: Payable


@dataclass(frozen=True, slots=True)
class NieuweBatch:
    msgid: str
    datum: datetime.date
    overboekingen: tuple[Overboeking, ...]

    @property
    def totaal(self) -> Decimal:
        return sum((o.bedrag for o in self.overboekingen), Decimal(0))


def onverwerkte_regels(entries: Iterable[data.Directive], view: Buurtbudget) -> list[data.Transaction]:
    """Bank lines still on `<Assets>:Onverwerkt`, in the ledger's order: what the import could not match.

    A line is processed either by changing its Onverwerkt posting into the right account (it then
    no longer posts there) or by a booking that moves its amount off Onverwerkt (no bank posting,
    the opposite amount): each such booking clears one line of that amount, the oldest first.
    """
    onverwerkt, bank = view.accounts.onverwerkt, view.accounts.bank

    def op(account: str, root: str) -> bool:
        return account == root or account.startswith(root + ":")

    regels: list[tuple[data.Transaction, Decimal]] = []
    afgeboekt: dict[Decimal, int] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        bedragen = [p.units.number for p in entry.postings
                    if op(p.account, onverwerkt) and p.units is not None and p.units.number is not None]
        if not bedragen:
            continue
        if any(op(p.account, bank) for p in entry.postings):
            regels.extend((entry, b) for b in bedragen)
        else:
            for b in bedragen:
                afgeboekt[-b] = afgeboekt.get(-b, 0) + 1
    open_: list[data.Transaction] = []
    for entry, bedrag in regels:
        if afgeboekt.get(bedrag):
            afgeboekt[bedrag] -= 1
        elif not open_ or open_[-1] is not entry:
            open_.append(entry)
    return open_


def te_betalen(view: Buurtbudget, entries: Iterable[data.Directive] = ()) -> list[Payable]:
    """Claims and invoices that may be paid, not paid and not waiting in a batch (rejected ones never).

    "May be paid" is the one predicate (`ledger.evaluatie.vier_ogen.beoordeel`, read as the state
    `goedgekeurd`) that BB-VIER-OGEN reports from: a claim approved by its declarant or by
    who entered it, changed after its approval, or sharing its link is never selected.
    """
    waiting = wachtend(entries, view)
    return [p for p in view.payables if p.status == "goedgekeurd" and p.approved and p.link and p.link not in waiting]


def gedeelde_links_fout(view: Buurtbudget) -> str | None:
    """Why no batch may be made while a link names two claims or invoices (Dutch), or None.

    One link, one payable: the EndToEndId of a transfer is the link, so a shared link would pay
    twice or match the bank's line to the wrong claim. `betaal` refuses until it is resolved.
    """
    gedeeld = [p for p in view.payables if p.oordeel.gedeeld_met]
    if not gedeeld:
        return None
    links = sorted({link for p in gedeeld for link in p.entry.links
                    if any(link in (o.links or ()) for o in p.oordeel.gedeeld_met)})
    waar = "; ".join(f"{p.meta.get('filename')}:{p.meta.get('lineno')}" for p in gedeeld)
    return (f"link ^{', ^'.join(links)} hoort bij meer dan één declaratie of factuur ({waar}); "
            "geef elke declaratie of factuur een eigen link en probeer het opnieuw. Er is niets betaald en "
            "niets gewijzigd")


def _opdracht(p: Payable) -> Overboeking | str:
    """The transfer for one payable, or why it cannot be paid by SEPA (Dutch, with file:line)."""
    from ledger.buurtbudget.header import iban_fout

    where = f"{p.meta.get('filename')}:{p.meta.get('lineno')}"
    if not p.iban:
        return f"{where}: ^{p.link} heeft geen iban:-regel; waarheen moet het geld?"
    why = iban_fout(str(p.iban))
    if why:
        return f"{where}: ^{p.link} heeft een ongeldig IBAN '{p.iban}' ({why})"
    iban = str(p.iban).replace(" ", "").upper()
    naam = str(p.declarant or p.payee or "onbekend")
    what = "Declaratie" if p.kind == "declaratie" else "Factuur"
    omschrijving = f"{what} {p.link}: {p.narration.removeprefix('Declaratie: ')}"[:140]
    return Overboeking(p.link, naam, iban, p.amount, omschrijving, p)


def opdrachten(view: Buurtbudget, entries: Iterable[data.Directive] = ()) -> list[Overboeking]:
    """The transfers that can be made: approved, unpaid, not in a batch, with a valid IBAN."""
    return [o for o in map(_opdracht, te_betalen(view, entries)) if isinstance(o, Overboeking)]


def niet_te_betalen(view: Buurtbudget, entries: Iterable[data.Directive] = ()) -> list[str]:
    """Approved, unpaid claims and invoices that no transfer can pay, each with the reason.

    One invoice without an IBAN (paid by hand, say) does not hold up every
    resident's claim: it is left out of the file and named.
    """
    return [o for o in map(_opdracht, te_betalen(view, entries)) if isinstance(o, str)]


def nieuwe_msgid(entries: Iterable[data.Directive], datum: datetime.date, ledger_id: str = "") -> str:
    """`BB-20250508-003-4F2A`: date, the ledger's next batch number and a tag of the ledger (≤ 35 chars).

    Banks refuse a MsgId they saw before from the same customer; one
    administrator may pay for several buurtbudgetten, so the tag (a hash of
    the ledger's title and IBAN) keeps two ledgers' first batches apart.
    """
    import hashlib

    tag = hashlib.sha256(ledger_id.encode("utf-8")).hexdigest()[:4].upper()
    known = {b.msgid for b in batches(entries)}
    n = len(known) + 1
    while f"BB-{datum:%Y%m%d}-{n:03d}-{tag}" in known:
        n += 1
    return f"BB-{datum:%Y%m%d}-{n:03d}-{tag}"


def nieuwe_batch(entries: list, view: Buurtbudget, uitvoerdatum: datetime.date) -> NieuweBatch | None:
    """What to pay now, as a batch with a fresh MsgId; None when there is nothing.

    Refused (BetaalFout) while a link names two payables (`gedeelde_links_fout`).
    """
    fout = gedeelde_links_fout(view)
    if fout is not None:
        raise BetaalFout(fout)
    lijst = opdrachten(view, entries)
    if not lijst:
        return None
    ledger_id = f"{view.title}|{view.header.iban if view.header else ''}"
    return NieuweBatch(nieuwe_msgid(entries, uitvoerdatum, ledger_id), uitvoerdatum, tuple(lijst))


def sepa_betaalbestand(view: Buurtbudget, batch: NieuweBatch, *, valideren: bool = True) -> bytes:
    """The pain.001.001.03 XML of a batch (MsgId = the batch's, EndToEndId = each link)."""
    from sepaxml import SepaTransfer

    header = view.header
    if header is None:
        raise BetaalFout(f"{view.filename}: de ledger heeft geen geldige kop; geen betaalbestand mogelijk")
    if not header.iban:
        raise BetaalFout(
            f"{view.filename}: de kop (custom \"buurtbudget\") heeft geen iban:-regel; "
            "van welke rekening moet er betaald worden?"
        )
    config = {
        "name": (header.beheerder or view.title)[:70],
        "IBAN": header.iban,
        "batch": True,
        "currency": "EUR",
    }
    sepa = SepaTransfer(config, schema=SCHEMA, clean=True)
    for o in batch.overboekingen:
        cents = int((o.bedrag * 100).to_integral_exact())
        sepa.add_payment({
            "name": o.naam,
            "IBAN": o.iban,
            "amount": cents,
            "execution_date": batch.datum,
            "description": o.omschrijving,
            "endtoend_id": o.link,
        })
    xml = _met_msgid(sepa.export(validate=False), batch.msgid)
    if valideren:
        valideer(xml)
    return xml


def _met_msgid(xml: bytes, msgid: str) -> bytes:
    """The file's MsgId set to the batch's (sepaxml draws a random one), so file and ledger name the same batch."""
    from lxml import etree

    doc = etree.fromstring(xml)
    nodes = doc.xpath("//*[local-name()='GrpHdr']/*[local-name()='MsgId']")
    if len(nodes) != 1:
        raise BetaalFout("het betaalbestand heeft geen (of meer dan één) MsgId; er is niets geschreven")
    nodes[0].text = msgid
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


def batch_entry(batch: NieuweBatch, door: str, bestand: str | None = None) -> data.Custom:
    """The `custom "betaalopdracht"` directive that records a batch in the ledger."""
    meta = tekst.meta_van([
        ("links", " ".join(o.link for o in batch.overboekingen)),
        ("aantal", len(batch.overboekingen)),
        ("totaal", tekst.eur(batch.totaal.quantize(tekst.CENT))),
        ("bestand", bestand or None),
        ("door", door),
    ])
    return tekst.custom(batch.datum, BATCH, [tekst.custom_waarde(batch.msgid)], meta)


def batch_tekst(batch: NieuweBatch, door: str, bestand: str | None = None) -> str:
    return tekst.entry(batch_entry(batch, door, bestand))


def intrekking_entry(msgid: str, datum: datetime.date, door: str, reden: str | None = None) -> data.Custom:
    """The `custom "betaalopdracht-ingetrokken"` directive that cancels a batch (a blank reason is left out)."""
    meta = tekst.meta_van([("door", door), ("reden", reden if reden and reden.strip() else None)])
    return tekst.custom(datum, INTREKKING, [tekst.custom_waarde(msgid)], meta)


def intrekking_tekst(msgid: str, datum: datetime.date, door: str, reden: str | None = None) -> str:
    return tekst.entry(intrekking_entry(msgid, datum, door, reden))


def zoek_batch(entries: Iterable[data.Directive], msgid: str) -> Betaalbatch:
    """The batch to cancel; BetaalFout when it is unknown or already cancelled."""
    msgid = msgid.strip()
    alle = batches(entries)
    for b in alle:
        if b.msgid == msgid:
            if b.ingetrokken:
                raise BetaalFout(f"betaalopdracht {msgid} is al ingetrokken; er is niets gewijzigd")
            return b
    bekend = ", ".join(b.msgid for b in alle if not b.ingetrokken) or "geen"
    raise BetaalFout(f"betaalopdracht {msgid} staat niet in deze ledger (openstaande betaalopdrachten: {bekend}); "
                     "er is niets gewijzigd")


def valideer(xml: bytes) -> None:
    """Validate against the shipped pain.001.001.03 XSD; raises BetaalFout with the reason."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
    doc = etree.fromstring(xml)
    if not schema.validate(doc):
        first = schema.error_log[0]
        raise BetaalFout(f"het betaalbestand voldoet niet aan {SCHEMA}: regel {first.line}: {first.message}")


def controleer_uitvoer(uitvoer: Path, ledger: Path, options_map: Mapping, overschrijven: bool,
                       *, bestaand: bool = True, map_moet_bestaan: bool = True) -> Path:
    """Where the payment file may go: `ledger.schrijver.uitvoer.uitvoer_pad` (never in the books), and
    `--overschrijven` replaces only an earlier payment file (pain.001 XML).

    `map_moet_bestaan=False`: the default folder (the workspace's `betalingen/`), which the write makes.
    Returns the resolved path; raises BetaalFout (Dutch, says what to do) otherwise.
    """
    try:
        return uitvoer_pad(uitvoer, ledgers=[ledger, *(options_map.get("include") or ())], overschrijven=overschrijven,
                           vervangbaar=lambda begin: b"pain.001" in begin, wat="betaalbestand",
                           map_moet_bestaan=map_moet_bestaan, bestaand=bestaand)
    except UitvoerFout as exc:
        raise BetaalFout(str(exc)) from None


# --------------------------------------------------------------------------- a batch, for any front end
#
# `buurtbudget betaal` and the beheer page make, show and withdraw a batch through these
# functions; each front end only adds where the file goes (a path, a download).


@dataclass(frozen=True, slots=True)
class Voorvertoning:
    """What a batch made now would hold, and what it would leave out (nothing is written)."""

    overboekingen: tuple[Overboeking, ...]
    overgeslagen: tuple[str, ...]  # approved, unpaid, but no transfer possible: each with its reason
    wachtend: Mapping[str, str]  # link -> MsgId of the batch it is still out in
    open_batches: tuple[Betaalbatch, ...]  # not cancelled, with an item not yet seen on a statement
    fout: str | None  # why no batch may be made at all (a link shared by two payables)

    @property
    def totaal(self) -> Decimal:
        return sum((o.bedrag for o in self.overboekingen), Decimal(0))


def voorvertoning(view: Buurtbudget, entries: Iterable[data.Directive]) -> Voorvertoning:
    """The batch that `maak_batch` would make from these entries now, and the batches still out."""
    entries = list(entries)
    waiting = wachtend(entries, view)
    open_ids = set(waiting.values())
    return Voorvertoning(
        overboekingen=tuple(opdrachten(view, entries)),
        overgeslagen=tuple(niet_te_betalen(view, entries)),
        wachtend=waiting,
        open_batches=tuple(b for b in batches(entries) if not b.ingetrokken and b.msgid in open_ids),
        fout=gedeelde_links_fout(view),
    )


def retouren_van(batch: NieuweBatch) -> dict[str, tuple]:
    """link -> the earlier returns of that item (check its IBAN before the file goes to the bank)."""
    return {o.link: tuple(o.payable.returns) for o in batch.overboekingen if o.payable.returns}


@dataclass(frozen=True, slots=True)
class BatchWerk:
    """A batch made now: what it pays and its pain.001 bytes (validated against the schema)."""

    batch: NieuweBatch
    xml: bytes

    def wijziging(self, door: str, bestand: str | None, uitvoer: Path | None = None):
        """The write that records the batch (`ledger.schrijver.schrijven.schrijf`); `bestand`: the file's name.

        `uitvoer`: where the file is written, in the same transaction: it is there exactly when the batch is
        recorded and committed (a download made from the ledger later needs none).
        """
        from ledger.buurtbudget.money import format_eur
        from ledger.schrijver.schrijven import Wijziging

        b = self.batch
        return Wijziging(f"Betaalopdracht {b.msgid}: {len(b.overboekingen)} betaling(en), samen {format_eur(b.totaal)}",
                         batch_tekst(b, door, bestand), uitvoer=((uitvoer, self.xml),) if uitvoer else ())


def maak_batch(entries: list, view: Buurtbudget, uitvoerdatum: datetime.date) -> BatchWerk | None:
    """Every payable item as one batch with its pain.001 file; None when there is nothing to pay.

    Raises BetaalFout when no batch may be made (a shared link, a ledger without its IBAN).
    """
    batch = nieuwe_batch(entries, view, uitvoerdatum)
    if batch is None:
        return None
    return BatchWerk(batch, sepa_betaalbestand(view, batch))


def bestandsnaam(msgid: str) -> str:
    """The name of a batch's file when a browser downloads it: `betaling-<MsgId>.xml`.

    Only letters, digits and `-`/`_` of the MsgId: it comes from the ledger and ends up in a header.
    """
    import re

    return "betaling-" + re.sub(r"[^A-Za-z0-9_-]", "_", msgid)[:60] + ".xml"


def opnieuw_bestand(entries: list, view: Buurtbudget, msgid: str) -> BatchWerk:
    """The pain.001 file of a recorded batch, made again from the ledger (the same MsgId, so a bank
    that already has it refuses it a second time); BetaalFout when the batch is not out any more.

    Only its items still waiting in it are in the file: an item a statement shows paid, or a batch
    withdrawn, is never offered to the bank again.
    """
    batch = zoek_batch(entries, msgid)
    waiting = wachtend(entries, view)
    links = [l for l in batch.links if waiting.get(l) == batch.msgid]
    if not links:
        raise BetaalFout(f"betaalopdracht {batch.msgid} is al door de bank uitgevoerd; er is geen bestand meer te "
                         "downloaden")
    by_link = {p.link: p for p in view.payables if p.link}
    overboekingen = []
    for link in links:
        p = by_link.get(link)
        found = _opdracht(p) if p is not None and p.status == "goedgekeurd" and p.approved else None
        if not isinstance(found, Overboeking):
            raise BetaalFout(f"betaalopdracht {batch.msgid}: ^{link} is niet (meer) goedgekeurd en te betalen"
                             + (f" ({found})" if isinstance(found, str) else "")
                             + f"; trek de betaalopdracht in en maak een nieuwe")
        overboekingen.append(found)
    nieuw = NieuweBatch(batch.msgid, batch.datum, tuple(overboekingen))
    return BatchWerk(nieuw, sepa_betaalbestand(view, nieuw))


@dataclass(frozen=True, slots=True)
class Intrekking:
    """A batch withdrawn: the write, and which of its items become payable again."""

    msgid: str
    open: tuple[str, ...]  # payable again in the next batch
    betaald: tuple[str, ...]  # already paid by the statement: stays paid
    wijziging: Any


def maak_intrekking(entries: list, view: Buurtbudget, msgid: str, datum: datetime.date, door: str,
                    reden: str | None = None) -> Intrekking:
    """Withdraw a batch that is not (wholly) at the bank; BetaalFout (Dutch) otherwise.

    A batch every item of which a statement shows paid was carried out by the bank: withdrawing
    it would change nothing but the books' story, so it is refused.
    """
    from ledger.schrijver.schrijven import Wijziging

    batch = zoek_batch(entries, msgid)
    status = {p.link: p.status for p in view.payables if p.link}
    carried_out = uitgevoerd(view)
    betaald = tuple(l for l in batch.links if status.get(l) == "betaald")
    if batch.links and all((batch.msgid, l) in carried_out for l in batch.links):
        raise BetaalFout(f"betaalopdracht {batch.msgid} is al door de bank uitgevoerd (alle betalingen staan op een "
                         "afschrift); intrekken kan alleen zolang hij niet bij de bank is uitgevoerd. Er is niets "
                         "gewijzigd")
    return Intrekking(
        batch.msgid,
        tuple(l for l in batch.links if status.get(l) == "goedgekeurd"),
        betaald,
        Wijziging(f"Betaalopdracht {batch.msgid} ingetrokken door {door}",
                  intrekking_tekst(batch.msgid, max(datum, batch.datum), door, reden)),
    )


def signalen_per_link(signalen: Iterable[Any], betalingen: Iterable[Any], slug: str,
                      links: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """link -> the signals (`ledger.evaluatie.signalen.Signaal`) that involve that item of this ledger.

    `signalen`, `betalingen`: what `buurtbudget_admin.signalering.van_ledger` computed over the workspace;
    a signal names its bookings by file:line, a payment carries its link and its file:line.
    """
    wanted = set(links)
    plek_link: dict[str, set[str]] = {}
    for b in betalingen:
        if b.ledger == slug and b.link in wanted:
            plek_link.setdefault(b.plek, set()).add(b.link)
    result: dict[str, list] = {}
    for s in signalen:
        for link in sorted({l for plek in s.plekken for l in plek_link.get(plek, ())}):
            result.setdefault(link, []).append(s)
    return {link: tuple(found) for link, found in result.items()}
