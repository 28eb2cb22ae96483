"""A receipt on an existing booking: attach, replace or remove it (and move one put on the wrong booking).

    schrijf(pad, lambda stand: maak_bon_koppeling(stand, "fact-2025-003", Path("bon.pdf")), door=...)
    maak_bon_vervanging(stand, "main.beancount:120", Path("betere-scan.jpg"))
    maak_bon_verwijdering(stand, "decl-2025-004")

A booking is referred to by its link (`decl-2025-004`, with or without `^`)
when it has one, else by `file:line` of its first line (the file relative to
the ledger's folder, as `buurtbudget check` names it). A link names the claim or
invoice itself, not the payments or the rejection that carry it too.

Each change rewrites only that transaction's own `document:` line
(`ledger.schrijver.bewerken.zet_document`); a new receipt is judged by
`ledger.buurtbudget.bonnen.lees_bon` and copied into documents/ under a dated name, a
receipt already in documents/ is named as it is (so one moved from booking A to
booking B keeps its file). A receipt taken off stays in documents/: the books'
history keeps it.

Whether the booking may still change is not decided here: the writer refuses a
settled or decided period, and the callers (command line, web) let
`buurtbudget_admin.service.editpolicy.check_edit` judge the new text as every
web edit is judged (an approved or paid claim, anything approved).
"""

from __future__ import annotations

from pathlib import Path

from beancount.core import data

from ledger.schrijver.bewerken import BewerkingOnveilig, zet_document
from ledger.schrijver.boekingen import _receipt, documents_folder, document_ref
from ledger.buurtbudget.bonnen import momentopname, ruim_op_met
from ledger.buurtbudget.fouten import InvoerFout
from ledger.schrijver.schrijven import Stand, Wijziging

AFGEWEZEN = "afgewezen"


def _waar(entry: data.Transaction, stand: Stand) -> str:
    bestand = Path(str(entry.meta.get("filename")))
    try:
        naam = bestand.resolve().relative_to(stand.pad.parent.resolve()).as_posix()
    except ValueError:
        naam = str(bestand)
    return f"{naam}:{entry.meta.get('lineno')}"


def vind_boeking(stand: Stand, ref: str) -> data.Transaction:
    """The transaction `ref` names: a link (its claim or invoice, or the one booking with it) or file:line."""
    ref = ref.strip()
    if not ref:
        raise InvoerFout("welke boeking? Geef haar link (bijv. decl-2025-004) of bestand:regel (bijv. main.beancount:120)")
    transacties = [e for e in stand.entries if type(e) is data.Transaction]
    bestand, sep, regel = ref.rpartition(":")
    if sep and regel.isdigit() and bestand:
        pad = Path(bestand)
        pad = (pad if pad.is_absolute() else stand.pad.parent / pad).resolve()
        for e in transacties:
            if e.meta.get("lineno") == int(regel) and Path(str(e.meta.get("filename"))).resolve() == pad:
                return e
        raise InvoerFout(f"{ref}: daar begint geen boeking; geef het bestand en de eerste regel van de boeking "
                         "(zoals buurtbudget check ze noemt) of haar link")
    link = ref.lstrip("^")
    for payable in stand.view_voor_link(link).payables:
        if payable.link == link:
            return payable.entry
    met_link = [e for e in transacties if link in (e.links or ()) and AFGEWEZEN not in (e.tags or ())]
    if len(met_link) == 1:
        return met_link[0]
    if not met_link:
        raise InvoerFout(f"geen boeking met link ^{link} in {stand.pad}; geef haar link of bestand:regel")
    plekken = ", ".join(_waar(e, stand) for e in met_link)
    raise InvoerFout(f"^{link} staat op {len(met_link)} boekingen ({plekken}); kies er één met bestand:regel")


def _nieuwe_bon(stand: Stand, entry: data.Transaction, bon: Path, alleen_documents: bool = False):
    """The `document:` value and the receipt to copy in (None when it is already in documents/).

    `alleen_documents`: `bon` is a receipt already in documents/, named as a booking names it
    (the web's choice of an existing receipt: never a file elsewhere on the server).
    """
    folder = documents_folder(stand)
    pad = Path(bon)
    if alleen_documents or (not pad.is_absolute() and not pad.exists()):
        pad = stand.pad.parent / pad  # `documents/x.pdf` as a booking names it
    echt = pad.resolve()
    if alleen_documents and not (folder in echt.parents and echt.is_file()):
        raise InvoerFout(f"{bon} is geen bon in de bonnenmap van deze ledger")
    if folder in echt.parents and echt.is_file():
        from ledger.buurtbudget.bonnen import BonFout, lees_bon

        try:
            lees_bon(echt)  # a file in documents/ is a receipt too, or it is not named as one
        except BonFout as exc:
            raise InvoerFout(str(exc), bestand=str(echt)) from None
        return document_ref(stand, echt), None
    return _receipt(stand, entry.date, pad)


def _wijziging(stand: Stand, entry: data.Transaction, document: str | None, omschrijving: str, bon=None):
    try:
        vervangen = zet_document(stand, entry, document)
    except BewerkingOnveilig as exc:
        raise InvoerFout(str(exc)) from None
    if bon is None:
        return Wijziging(omschrijving, vervang=(vervangen,))
    kopie = momentopname(bon.gelezen)  # the checked bytes are what is copied in
    wijziging = Wijziging(omschrijving, vervang=(vervangen,), bestanden=((kopie, bon.doel),))
    ruim_op_met(wijziging, [kopie])
    return wijziging


def boekingen_met_bon(entries, ledger_map: Path, uitgaven: str) -> list[tuple[str, data.Transaction]]:
    """Every cost, claim or invoice (a posting under `uitgaven`, the expenses root) a receipt may go
    on, newest first, each with how it is named (`ref`, as `vind_boeking` finds it)."""
    folder = Path(ledger_map).resolve()
    found = []
    for e in entries:
        if type(e) is not data.Transaction or AFGEWEZEN in (e.tags or ()):
            continue
        if not any(p.account == uitgaven or p.account.startswith(uitgaven + ":") for p in e.postings):
            continue
        links = sorted(e.links or ())
        if links:
            ref = links[0]
        else:
            try:
                ref = f"{Path(str(e.meta.get('filename'))).resolve().relative_to(folder).as_posix()}:{e.meta.get('lineno')}"
            except ValueError:
                continue
        found.append((ref, e))
    return sorted(found, key=lambda r: r[1].date, reverse=True)


def _wat(entry: data.Transaction, stand: Stand) -> str:
    links = sorted(entry.links or ())
    return f"^{links[0]}" if links else f"{entry.payee or entry.narration} ({_waar(entry, stand)})"


def maak_bon_koppeling(stand: Stand, ref: str, bon: Path, *, alleen_documents: bool = False) -> Wijziging:
    """Attach a receipt to a booking that has none (one with a receipt: `maak_bon_vervanging`)."""
    entry = vind_boeking(stand, ref)
    if entry.meta.get("document"):
        raise InvoerFout(f"{_waar(entry, stand)}: deze boeking heeft al een bon ({entry.meta['document']}); "
                         "vervang die (bon vervangen) of haal hem eerst weg (bon verwijderen)",
                         bestand=str(entry.meta.get("filename")), regel=entry.meta.get("lineno"))
    document, nieuw = _nieuwe_bon(stand, entry, bon, alleen_documents)
    return _wijziging(stand, entry, document, f"Bon {document} gekoppeld aan {_wat(entry, stand)}", nieuw)


def maak_bon_vervanging(stand: Stand, ref: str, bon: Path, *, alleen_documents: bool = False) -> Wijziging:
    """Replace a booking's receipt; the old file stays in documents/."""
    entry = vind_boeking(stand, ref)
    oud = entry.meta.get("document")
    if not oud:
        raise InvoerFout(f"{_waar(entry, stand)}: deze boeking heeft geen bon om te vervangen; koppel er een "
                         "(bon koppelen)", bestand=str(entry.meta.get("filename")), regel=entry.meta.get("lineno"))
    document, nieuw = _nieuwe_bon(stand, entry, bon, alleen_documents)
    if document == oud:
        raise InvoerFout(f"{_waar(entry, stand)}: {oud} is al de bon van deze boeking")
    return _wijziging(stand, entry, document, f"Bon van {_wat(entry, stand)} vervangen: {oud} door {document}", nieuw)


def maak_bon_verwijdering(stand: Stand, ref: str) -> Wijziging:
    """Take a receipt off a booking (e.g. put on the wrong one); the file stays in documents/."""
    entry = vind_boeking(stand, ref)
    oud = entry.meta.get("document")
    if not oud:
        raise InvoerFout(f"{_waar(entry, stand)}: deze boeking heeft geen bon",
                         bestand=str(entry.meta.get("filename")), regel=entry.meta.get("lineno"))
    return _wijziging(stand, entry, None, f"Bon {oud} losgemaakt van {_wat(entry, stand)}")
