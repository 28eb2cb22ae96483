"""The embedded demo workspace: three buurtbudgetten shaped like real ones.

    demo-werkruimte/
      regels.toml                 <- West adds the category Vervoer
      k-buurt-2025/               <- Zuidoost, model C: clean
        main.beancount
        documents/*.pdf           <- one small generated receipt per cost
      geuzenveld-2025/            <- Nieuw-West, model A, plans chosen by vote: clean
      de-baarsjes-2025/           <- West, model B: a few deliberate violations

Everything is generated from fixed seeds and fixed dates: two runs give
byte-identical trees. `write_demo_workspace(target)` is the one entry point.

`buurtbudget demo` makes it a user's workspace as well (`met_gebruikers`,
`met_git`): a `gebruikers.toml` with the demo's people (`DEMO_GEBRUIKERS`:
henk and joyce, beheerders of all three budgets, and stadsdeel, an auditor)
with random passwords, and a git repository of its own with a first commit.
The workspace is then its own work tree, so the writer commits there even
when the folder lies inside another repository that ignores it (the
project's own `demo-werkruimte/`). `gebruikers.toml` holds password hashes
and is kept out of that history (`.gitignore`).
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import datetime
import math
import os
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from schwifty import IBAN

from ledger.buurtbudget import tekst
from ledger.schrijver.boekingen import plan_tekst
from ledger.buurtbudget.header import header_uit
from ledger.buurtbudget.money import format_eur
from ledger.schrijver.nieuw import DUTCH_ROOTS, ledger_text

CENT = Decimal("0.01")
YEAR = 2025
ROOTS = DUTCH_ROOTS
BANK = f"{ROOTS.bank}:Betaalrekening"

RULES_TOML = """\
# Regels per stadsdeel voor de demo-werkruimte (opbouw: zie ledger/buurtbudget/kader.py).
# West vergoedt ook vervoer, bijvoorbeeld de bus voor een uitje met de kinderen.
[stadsdeel.West]
extra-categorieen = ["Vervoer"]
"""


class DemoExistsError(Fout):
    """The target folder already holds something; the demo never writes over it."""


# ---------------------------------------------------------------------------
# What the three buurtbudgetten look like.


@dataclass(frozen=True)
class PlanSpec:
    name: str  # account component: Uitgaven:Plannen:<name>
    titel: str
    budget: Decimal
    indiener: str
    categories: tuple[str, ...]
    start: datetime.date  # first cost
    stemmen: int | None = None
    herzien: tuple[datetime.date, Decimal, str] | None = None  # a later budget change


@dataclass(frozen=True)
class Special:
    """A booking written as given: the deliberate violations of the faulty ledger."""

    date: datetime.date
    kind: str  # "geen-bon" | "bon-weg" | "alcohol" | "vier-ogen" | "over-budget" | "bon-dubbel" | "eigen-iban"
    plan: str
    category: str
    payee: str
    narration: str
    amount: Decimal


@dataclass(frozen=True)
class BudgetSpec:
    slug: str
    naam: str
    stadsdeel: str
    buurt: str
    model: str
    beheerder: str
    bank_code: str
    account_code: str
    awards: tuple[tuple[datetime.date, Decimal, str, str], ...]  # date, amount, beschikking, narration
    receipts: tuple[tuple[datetime.date, Decimal], ...]  # money arriving from the city
    plans: tuple[PlanSpec, ...]
    admin_fee: Decimal  # monthly handling costs
    bank_fee: Decimal  # monthly bank costs
    enterers: tuple[str, ...]
    approvers: tuple[str, ...]
    residents: tuple[str, ...]
    seed: int
    plan_date: datetime.date
    specials: tuple[Special, ...] = ()
    comment: str = ""


D = Decimal
d = datetime.date

K_BUURT = BudgetSpec(
    slug="k-buurt-2025", naam="K-buurt 2025", stadsdeel="Zuidoost", buurt="K-buurt", model="C",
    beheerder="Stichting Buurtkracht Zuidoost", bank_code="ABNA", account_code="0417164300",
    awards=(
        (d(YEAR, 1, 10), D("45000.00"), "ZO-2025-017", "Toekenning buurtbudget"),
        (d(YEAR, 6, 16), D("5000.00"), "ZO-2025-044", "Aanvullende toekenning buurtbudget"),
    ),
    receipts=((d(YEAR, 1, 20), D("45000.00")), (d(YEAR, 7, 1), D("5000.00"))),
    plans=(
        PlanSpec("Speeltuin", "Speeltuin Kraaiennest opknappen", D("12000.00"), "Bewonersgroep Kraaiennest",
                 ("Materiaal", "Inhuur", "Onderhoud"), d(YEAR, 2, 17)),
        PlanSpec("Moestuin", "Moestuin Gooioord", D("6000.00"), "Tuingroep Gooioord",
                 ("Materiaal", "Activiteiten", "Vrijwilligers"), d(YEAR, 3, 3)),
        PlanSpec("KetiKoti", "Keti Koti buurtfeest", D("8000.00"), "Stichting Kraaiennest Viert",
                 ("Catering", "Activiteiten", "Huur", "Communicatie"), d(YEAR, 4, 1),
                 herzien=(d(YEAR, 6, 20), D("10000.00"), "verhoogd na de aanvullende toekenning ZO-2025-044")),
        PlanSpec("Huiswerkklas", "Huiswerkklas in het buurthuis", D("7000.00"), "Moeders van de K-buurt",
                 ("Huur", "Inhuur", "Materiaal"), d(YEAR, 2, 10)),
        PlanSpec("Buurtkrant", "Buurtkrant K-buurt Nieuws", D("3500.00"), "Redactie K-buurt Nieuws",
                 ("Communicatie",), d(YEAR, 2, 24)),
        PlanSpec("Sportdag", "Sportdag voor jong en oud", D("5000.00"), "Sportvereniging Zuidoost United",
                 ("Huur", "Catering", "Activiteiten"), d(YEAR, 5, 5)),
    ),
    admin_fee=D("275.00"), bank_fee=D("11.35"),
    enterers=("Marlon Doelwijt", "Gerda Pinas"), approvers=("Joyce Sedney", "Kwame Mensah"),
    residents=("Fatima el Amrani", "Rinaldo Kartodikromo", "Esther Asante", "Jerrel Vlijter",
               "Sharon Tjon-A-Fat", "Mohamed Bah", "Claudia Pinas"),
    seed=2025_0101, plan_date=d(YEAR, 2, 1),
    comment="Model C: de bewonersgroep voert het proces zelf; een externe penvoerder houdt de boeken.",
)

GEUZENVELD = BudgetSpec(
    slug="geuzenveld-2025", naam="Geuzenveld 2025", stadsdeel="Nieuw-West", buurt="Geuzenveld", model="A",
    beheerder="Penvoerder Nieuw-West Samen", bank_code="INGB", account_code="0006834127",
    awards=((d(YEAR, 1, 8), D("60000.00"), "NW-2025-102", "Toekenning buurtbudget (Amsterdam begroot)"),),
    receipts=((d(YEAR, 1, 17), D("45000.00")), (d(YEAR, 7, 15), D("15000.00"))),
    plans=(
        PlanSpec("Pluktuin", "Pluktuin Geuzenveld", D("9500.00"), "Buurtbewoners Lambertus Zijlplein",
                 ("Materiaal", "Vrijwilligers", "Onderhoud"), d(YEAR, 3, 10), stemmen=612),
        PlanSpec("Buurtkeuken", "Buurtkeuken De Ontmoeting", D("14000.00"), "Vrouwengroep Geuzenveld",
                 ("Catering", "Huur", "Materiaal"), d(YEAR, 2, 17), stemmen=587),
        PlanSpec("Voetbalkooi", "Voetbalkooi Sam van Houtenstraat opknappen", D("11000.00"), "Jongeren van Geuzenveld",
                 ("Onderhoud", "Materiaal", "Inhuur"), d(YEAR, 4, 7), stemmen=533),
        PlanSpec("Taalcafe", "Taalcafé in de bibliotheek", D("4500.00"), "Taalmaatjes Nieuw-West",
                 ("Huur", "Catering", "Vrijwilligers", "Communicatie"), d(YEAR, 2, 10), stemmen=401,
                 herzien=(d(YEAR, 7, 1), D("5000.00"), "extra avond per week; besloten in de buurtraad")),
        PlanSpec("Winterlichtjes", "Winterlichtjesroute", D("6000.00"), "Ondernemers Confuciusplein",
                 ("Materiaal", "Activiteiten", "Communicatie"), d(YEAR, 9, 1), stemmen=388),
        PlanSpec("Fietsles", "Fietsles voor vrouwen", D("5200.00"), "Stichting Fietsvrij",
                 ("Inhuur", "Materiaal", "Verzekering"), d(YEAR, 3, 17), stemmen=356),
        PlanSpec("Seniorenuitjes", "Uitjes voor senioren", D("4800.00"), "Seniorensoos De Eendracht",
                 ("Activiteiten", "Catering"), d(YEAR, 4, 14), stemmen=290),
    ),
    admin_fee=D("325.00"), bank_fee=D("12.95"),
    enterers=("Ilse de Vries", "Samir Amrani"), approvers=("Fatma Yilmaz", "Peter Koster"),
    residents=("Hatice Demir", "Jan Willem Bos", "Khadija Ouali", "Ria Smit", "Abdel Haddou",
               "Monique Brouwer", "Yusuf Kaya"),
    seed=2025_0202, plan_date=d(YEAR, 1, 27),
    comment="Model A: elke bewoner van 12+ stemde; de plannen met de meeste stemmen zijn gekozen.",
)

DE_BAARSJES = BudgetSpec(
    slug="de-baarsjes-2025", naam="De Baarsjes 2025", stadsdeel="West", buurt="De Baarsjes", model="B",
    beheerder="Administratiekantoor De Kolk", bank_code="RABO", account_code="0302158761",
    awards=((d(YEAR, 1, 14), D("35000.00"), "W-2025-031", "Toekenning buurtbudget (co-creatie)"),),
    receipts=((d(YEAR, 1, 24), D("35000.00")),),
    plans=(
        PlanSpec("Geveltuinen", "Groene Baarsjes: geveltuinen", D("8000.00"), "Werkgroep Groene Baarsjes",
                 ("Materiaal", "Vrijwilligers", "Onderhoud"), d(YEAR, 3, 3)),
        PlanSpec("Buurtfestival", "Buurtfestival Mercatorplein", D("9000.00"), "Festivalcomité Mercatorplein",
                 ("Catering", "Huur", "Activiteiten", "Communicatie"), d(YEAR, 4, 7)),
        PlanSpec("RepairCafe", "Repair café De Baarsjes", D("4000.00"), "Repair Café West",
                 ("Huur", "Materiaal", "Vrijwilligers"), d(YEAR, 2, 17),
                 herzien=(d(YEAR, 5, 12), D("4500.00"), "meer bezoekers dan verwacht; tweede werkplaats")),
        PlanSpec("Kunstlab", "Kinderkunstlab", D("5500.00"), "Atelier De Baarsjes",
                 ("Inhuur", "Materiaal", "Vervoer"), d(YEAR, 3, 10)),
        PlanSpec("Beweegclub", "Ouderen in beweging", D("4500.00"), "Buurtsportcoach West",
                 ("Inhuur", "Huur"), d(YEAR, 2, 24)),
    ),
    admin_fee=D("200.00"), bank_fee=D("10.60"),
    enterers=("Henk Bakker", "Naima Bouzid"), approvers=("Sanne Verhoeven", "Youssef el Idrissi"),
    residents=("Lotte Jansen", "Ahmed Benali", "Marieke de Groot", "Stefan Nowak", "Esra Yildiz",
               "Bram Visser"),
    seed=2025_0303, plan_date=d(YEAR, 2, 3),
    specials=(
        Special(d(YEAR, 6, 14), "geen-bon", "Buurtfestival", "Catering", "Bakkerij Mercator",
                "Broodjes voor de opbouwploeg", D("86.50")),
        Special(d(YEAR, 9, 2), "bon-weg", "Geveltuinen", "Materiaal", "Tuincentrum De Baarsjes",
                "Klimplanten en plantenbakken", D("212.40")),
        Special(d(YEAR, 6, 21), "alcohol", "Buurtfestival", "Alcohol", "Slijterij De Baarsjes",
                "Bier en wijn voor de vrijwilligersborrel", D("143.75")),
        Special(d(YEAR, 6, 2), "vier-ogen", "Buurtfestival", "Huur", "Podiumverhuur Amsterdam",
                "Podium en geluid voor het festival", D("1250.00")),
        Special(d(YEAR, 11, 24), "over-budget", "Beweegclub", "Inhuur", "Buurtsportcoach West",
                "Extra lessen stoelyoga in het najaar", D("1105.00")),
        # Signals, not violations (`buurtbudget signalen`): each booking alone is allowed.
        Special(d(YEAR, 8, 12), "bon-dubbel", "RepairCafe", "Materiaal", "Hubo Westerpark",
                "Gereedschap voor de werkplaats", D("64.95")),
        Special(d(YEAR, 10, 7), "eigen-iban", "Geveltuinen", "Materiaal", "Bram Visser",
                "Bloembollen voor de geveltuinen", D("48.20")),
    ),
    comment="Model B: stadsdeel en bewoners bepaalden samen de thema's. "
            "Deze ledger bevat met opzet een paar fouten, zodat u ziet hoe de controle ze meldt.",
)

BUDGETS = (K_BUURT, GEUZENVELD, DE_BAARSJES)

# Who sells what, and what for: names as they appear on Amsterdam receipts.
SUPPLIERS: dict[str, tuple[str, ...]] = {
    "Materiaal": ("Bouwmarkt Zuidas", "Gamma Amsterdam", "Hornbach Amsterdam", "Tuincentrum Osdorp",
                  "Action", "Kringloopwinkel De Lokatie", "Hubo Westerpark"),
    "Catering": ("Toko Sranang", "Cateraar Smaak van West", "Bakkerij Oldenburg", "Albert Heijn",
                 "Dekamarkt", "Turkse bakkerij Anatolia"),
    "Huur": ("Buurthuis De Brug", "Buurthuis Het Anker", "Sporthal De Pijp", "Dynamo Buurtcentrum",
             "Verhuurbedrijf Partytent Amsterdam"),
    "Communicatie": ("Drukkerij Zuidoost", "Drukwerkdeal", "Copyshop Jan Evertsen", "Stickerfabriek Noord"),
    "Inhuur": ("Klusbedrijf De Buurt", "Sportinstructeur Fit in West", "Muziekschool Ritme",
               "Kunstenaar Lieke Dam", "Fietsdocent Amira Saïd"),
    "Activiteiten": ("Springkussenverhuur Amsterdam", "Stichting Kinderkunst", "Circusschool Mundial",
                     "Natuurmonumenten", "Rederij Kooij"),
    "Vrijwilligers": ("Bakkerij Oldenburg", "Albert Heijn", "Bloemenkiosk Plein '40-'45"),
    "Onderhoud": ("Hoveniersbedrijf Groen Doet Goed", "Schildersbedrijf Van Dam", "Speeltoestellen Holland",
                  "Hekwerk Amsterdam"),
    "Verzekering": ("Centraal Beheer Verenigingen", "Verzekeraar Unive"),
    "Vervoer": ("Touringcars Amsterdam West", "GVB Groepsreizen", "Taxi Centrale Amsterdam"),
}

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "Materiaal": ("Verf en kwasten", "Hout en schroeven", "Plantenbakken", "Potgrond en zaden",
                  "Gereedschap", "Knutselmateriaal", "Bloembollen", "Tuinslangen en gieters",
                  "Opbergkisten", "Lampjes en verlengsnoeren"),
    "Catering": ("Koffie, thee en koek", "Broodjes en soep", "Roti voor de buurtmaaltijd",
                 "Fruit en water", "Hapjes voor de opening", "Lunch voor de deelnemers"),
    "Huur": ("Zaalhuur", "Huur partytent", "Huur sportzaal", "Huur keuken buurthuis", "Huur stoelen en tafels"),
    "Communicatie": ("Flyers en posters", "Drukwerk buurtkrant", "Spandoek", "Stickers en uitnodigingen"),
    "Inhuur": ("Begeleiding workshop", "Lessen", "Klussen en montage", "Begeleiding activiteit"),
    "Activiteiten": ("Springkussen", "Workshop voor kinderen", "Entree uitje", "Circusworkshop",
                     "Rondvaart met senioren"),
    "Vrijwilligers": ("Bedankje vrijwilligers", "Lunch vrijwilligers", "Bloemen voor de vrijwilligers"),
    "Onderhoud": ("Onderhoud speeltoestel", "Snoeiwerk", "Schilderwerk hekken", "Reparatie bankjes"),
    "Verzekering": ("Evenementenverzekering", "Ongevallenverzekering deelnemers"),
    "Vervoer": ("Busvervoer uitje", "Groepsreis OV", "Vervoer materialen"),
}

DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                "september", "oktober", "november", "december")


# ---------------------------------------------------------------------------
# A tiny PDF writer: one A5 page of text, no clock, no fonts embedded.


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for byte in raw:
        if byte in (0x28, 0x29, 0x5C):
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def receipt_pdf(title: str, lines: list[str]) -> bytes:
    """A valid one-page PDF with a bold title and lines of text (WinAnsi, so `€` and `é` print)."""
    content = bytearray(b"BT\n/F2 14 Tf\n40 540 Td\n18 TL\n" + _pdf_string(title) + b" Tj\nT*\n/F1 10 Tf\n14 TL\n")
    for line in lines:
        content += _pdf_string(line) + b" Tj\nT*\n"
    content += b"ET\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + bytes(content) + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---------------------------------------------------------------------------
# Writing one buurtbudget.


def _slugify(text: str) -> str:
    text = text.lower().replace("é", "e").replace("ë", "e").replace("ï", "i").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:32]


def _iban(bank_code: str, account_code: str) -> str:
    return str(IBAN.generate("NL", bank_code=bank_code, account_code=account_code).compact)


@dataclass
class _Cost:
    date: datetime.date
    plan: PlanSpec
    category: str
    amount: Decimal


@dataclass(frozen=True)
class _Claim:
    """A resident's claim, written once it is known whether it still waits."""

    seq: int
    cost: _Cost
    link: str
    declarant: str
    enterer: str
    meta: tuple[tuple[str, object], ...]
    account: str
    narration: str


@dataclass
class _Book:
    spec: BudgetSpec
    rng: random.Random
    bookings: list[tuple[datetime.date, int, str]] = field(default_factory=list)
    documents: dict[str, bytes] = field(default_factory=dict)
    seq: int = 0
    claims: list[_Claim] = field(default_factory=list)
    invoices: int = 0
    refundable: int = 0

    def add(self, date: datetime.date, text: str) -> None:
        self.seq += 1
        self.bookings.append((date, self.seq, text))

    def receipt(self, date: datetime.date, payee: str, what: str, amount: Decimal, kind: str = "Kassabon",
                extra: tuple[str, ...] = ()) -> str:
        name = f"{date.isoformat()}-{_slugify(payee)}-{len(self.documents) + 1:03d}.pdf"
        lines = [
            f"{kind} — {date.strftime('%d-%m-%Y')}",
            "",
            what,
            *extra,
            "",
            f"Totaal: {format_eur(amount)}",
            "",
            f"Buurtbudget {self.spec.naam} ({self.spec.stadsdeel})",
            "Voorbeeldbon uit de demo-werkruimte van buurtbudget-admin.",
        ]
        self.documents[name] = receipt_pdf(payee, lines)
        return name

    def enterer(self) -> str:
        return self.rng.choice(self.spec.enterers)

    def approver(self, not_: tuple[str | None, ...] = ()) -> str:
        choices = [a for a in self.spec.approvers if a not in not_]
        return self.rng.choice(choices)


def _txn(date: datetime.date, flag: str, payee: str, narration: str, meta: list[tuple[str, object]],
         postings: list[tuple[str, Decimal | None]], tags: tuple[str, ...] = (), links: tuple[str, ...] = ()) -> str:
    entry = tekst.transaction(date, flag, payee, narration, [tekst.posting(a, n) for a, n in postings],
                              meta_=tekst.meta_van(meta), tags=tags, links=links)
    return tekst.entry(entry).rstrip("\n")


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _split(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """`parts` amounts of at least a few euros whose sum never exceeds `total`."""
    weights = [rng.uniform(0.25, 1.75) for _ in range(parts)]
    scale = sum(weights)
    return [max((total * Decimal(repr(w / scale))).quantize(CENT, ROUND_DOWN), D("4.95")) for w in weights]


def _plan_costs(book: _Book, plan: PlanSpec, reserved: Decimal, end: datetime.date) -> list[_Cost]:
    rng = book.rng
    budget = plan.herzien[1] if plan.herzien else plan.budget
    target = (budget * Decimal(str(round(rng.uniform(0.82, 0.95), 3)))).quantize(CENT, ROUND_DOWN) - reserved
    parts = max(10, min(30, int(budget / 320)))
    amounts = _split(rng, target, parts)
    while sum(amounts) > target:  # the floor of 4.95 may push it over: trim the largest
        largest = max(range(len(amounts)), key=amounts.__getitem__)
        amounts[largest] -= sum(amounts) - target
    costs = []
    for amount in amounts:
        costs.append(_Cost(_random_date(rng, plan.start, end), plan, rng.choice(plan.categories), amount))
    return sorted(costs, key=lambda c: (c.date, c.amount))


def _book_cost(book: _Book, cost: _Cost) -> None:
    rng = book.rng
    account = f"{ROOTS.plannen}:{cost.plan.name}:{cost.category}"
    payee = rng.choice(SUPPLIERS[cost.category])
    what = rng.choice(DESCRIPTIONS[cost.category])
    narration = f"{what} ({cost.plan.titel})"
    enterer = book.enterer()
    roll = rng.random()
    if cost.category == "Inhuur":
        rate = rng.choice((D("35.00"), D("40.00"), D("42.50"), D("45.00"), D("50.00")))
        hours = Decimal(math.ceil(cost.amount / rate * 2)) / 2
        doc = book.receipt(cost.date, payee, what, cost.amount, "Factuur",
                           (f"{hours} uur à {format_eur(rate)} (maximaal {format_eur(D('50'))})",))
        meta = [("uren", hours), ("document", (doc)), ("ingevoerd-door", (enterer))]
        if cost.amount >= D("500"):
            meta.append(("goedgekeurd-door", (book.approver((enterer,)))))
        book.add(cost.date, _txn(cost.date, "*", payee, narration, meta, [(account, cost.amount), (BANK, None)]))
        return
    if cost.amount < D("200") and roll < 0.55:
        _book_claim(book, cost, account, what, narration, enterer)
        return
    if cost.amount >= D("350") and roll > 0.45:
        book.invoices += 1
        link = f"fact-{YEAR}-{book.invoices:03d}"
        number = f"{rng.randrange(1000, 9999)}"
        doc = book.receipt(cost.date, payee, what, cost.amount, "Factuur", (f"Factuurnummer {number}",))
        approver = book.approver((enterer,))
        meta = [("factuurnummer", (number)), ("document", (doc)), ("ingevoerd-door", (enterer)),
                ("goedgekeurd-door", (approver))]
        book.add(cost.date, _txn(cost.date, "*", payee, f"Factuur {number}: {narration}", meta,
                                 [(account, cost.amount), (ROOTS.crediteuren, None)], links=(link,)))
        paid = min(cost.date + datetime.timedelta(days=rng.randrange(7, 29)), datetime.date(YEAR, 12, 31))
        book.add(paid, _txn(paid, "*", payee, f"Betaling factuur {number}", [("ingevoerd-door", (enterer))],
                            [(ROOTS.crediteuren, cost.amount), (BANK, None)], links=(link,)))
        return
    doc = book.receipt(cost.date, payee, what, cost.amount, "Factuur" if cost.amount >= 250 else "Kassabon")
    meta = [("document", (doc)), ("ingevoerd-door", (enterer))]
    if cost.amount >= D("500"):
        meta.append(("goedgekeurd-door", (book.approver((enterer,)))))
    book.add(cost.date, _txn(cost.date, "*", payee, narration, meta, [(account, cost.amount), (BANK, None)]))
    if cost.category == "Materiaal" and cost.amount > D("60"):
        book.refundable += 1
    if cost.category == "Materiaal" and cost.amount > D("60") and (rng.random() < 0.1 or book.refundable % 6 == 2):
        back = (cost.amount * Decimal(str(round(rng.uniform(0.1, 0.4), 2)))).quantize(CENT)
        when = min(cost.date + datetime.timedelta(days=rng.randrange(2, 12)), datetime.date(YEAR, 12, 31))
        credit = book.receipt(when, payee, f"Retour: {what.lower()}", -back, "Creditnota")
        book.add(when, _txn(when, "*", payee, f"Retour: {what.lower()} ({cost.plan.titel})",
                            [("document", (credit)), ("ingevoerd-door", (enterer))],
                            [(account, -back), (BANK, None)]))


def _book_claim(book: _Book, cost: _Cost, account: str, what: str, narration: str, enterer: str) -> None:
    spec, rng = book.spec, book.rng
    book.seq += 1
    link = f"decl-{YEAR}-{len(book.claims) + 1:03d}"
    declarant = rng.choice(spec.residents)
    shop = rng.choice(SUPPLIERS[cost.category])
    doc = book.receipt(cost.date, shop, what, cost.amount, "Kassabon", (f"Voorgeschoten door {declarant}",))
    meta = [("declarant", (declarant)), ("iban", (_resident_iban(spec, declarant))), ("prive", True),
            ("document", (doc)), ("ingevoerd-door", (enterer))]
    book.claims.append(_Claim(book.seq, cost, link, declarant, enterer, tuple(meta), account, narration))


def _resident_iban(spec: BudgetSpec, name: str) -> str:
    index = spec.residents.index(name)
    number = (spec.seed * 7919 + index * 104729) % 10**9
    return _iban(("INGB", "RABO", "ABNA", "SNSB", "TRIO")[index % 5], f"{number:010d}")


def _finish_claims(book: _Book) -> None:
    """Claims: the last ones still wait (`!`); the others are approved and paid under the same link."""
    waiting = 2 if len(book.claims) >= 6 else 1
    for number, claim in enumerate(book.claims):
        date, title = claim.cost.date, f"Declaratie: {claim.narration}"
        postings = [(claim.account, claim.cost.amount), (ROOTS.declaraties, None)]
        if number >= len(book.claims) - waiting:
            book.bookings.append((date, claim.seq, _txn(date, "!", claim.declarant, title, list(claim.meta),
                                                        postings, links=(claim.link,))))
            continue
        approver = book.approver((claim.enterer, claim.declarant))
        meta = list(claim.meta) + [("goedgekeurd-door", (approver))]
        book.bookings.append((date, claim.seq, _txn(date, "*", claim.declarant, title, meta, postings,
                                                    links=(claim.link,))))
        paid = min(date + datetime.timedelta(days=book.rng.randrange(3, 15)), datetime.date(YEAR, 12, 31))
        book.add(paid, _txn(paid, "*", claim.declarant, "Uitbetaling declaratie",
                            [("ingevoerd-door", (claim.enterer))],
                            [(ROOTS.declaraties, claim.cost.amount), (BANK, None)], links=(claim.link,)))


def _book_special(book: _Book, special: Special) -> None:
    account = f"{ROOTS.plannen}:{special.plan}:{special.category}"
    enterer = book.spec.enterers[0]
    if special.kind == "bon-dubbel":  # SIG-BON-DUBBEL: one receipt handed in twice, three weeks apart
        first = book.receipt(special.date, special.payee, special.narration, special.amount)
        later = special.date + datetime.timedelta(days=21)
        second = f"{later.isoformat()}-{_slugify(special.payee)}-{len(book.documents) + 1:03d}.pdf"
        book.documents[second] = book.documents[first]
        for date, doc in ((special.date, first), (later, second)):
            book.add(date, _txn(date, "*", special.payee, special.narration,
                                [("document", doc), ("ingevoerd-door", enterer)],
                                [(account, special.amount), (BANK, None)]))
        return
    if special.kind == "eigen-iban":  # SIG-EIGEN-IBAN: a resident's claim paid to the budget's own account
        link = f"decl-{YEAR}-{len(book.claims) + 90:03d}"
        doc = book.receipt(special.date, "Tuincentrum De Baarsjes", special.narration, special.amount, "Kassabon",
                           (f"Voorgeschoten door {special.payee}",))
        meta = [("declarant", special.payee), ("iban", _iban(book.spec.bank_code, book.spec.account_code)),
                ("prive", True), ("document", doc), ("ingevoerd-door", enterer),
                ("goedgekeurd-door", book.spec.approvers[0])]
        book.add(special.date, _txn(special.date, "*", special.payee, f"Declaratie: {special.narration}", meta,
                                    [(account, special.amount), (ROOTS.declaraties, None)], links=(link,)))
        paid = special.date + datetime.timedelta(days=5)
        book.add(paid, _txn(paid, "*", special.payee, "Uitbetaling declaratie", [("ingevoerd-door", enterer)],
                            [(ROOTS.declaraties, special.amount), (BANK, None)], links=(link,)))
        return
    meta: list[tuple[str, str]] = []
    if special.kind == "bon-weg":
        meta.append(("document", (f"{special.date.isoformat()}-{_slugify(special.payee)}-zoek.pdf")))
    elif special.kind != "geen-bon":
        meta.append(("document", (book.receipt(special.date, special.payee, special.narration,
                                                   special.amount, "Factuur"))))
    meta.append(("ingevoerd-door", (enterer)))
    if special.kind == "vier-ogen":
        meta.append(("goedgekeurd-door", (enterer)))  # the deliberate fault: approved by who entered it
    elif special.amount >= D("500"):
        meta.append(("goedgekeurd-door", (book.approver((enterer,)))))
    if special.kind == "over-budget":
        meta.insert(0, ("uren", (special.amount / D("42.50")).quantize(D("0.1"))))
    book.add(special.date, _txn(special.date, "*", special.payee, special.narration, meta,
                                [(account, special.amount), (BANK, None)]))


def _support(book: _Book, spec: BudgetSpec) -> None:
    for month in range(1, 13):
        last = (datetime.date(YEAR + (month == 12), month % 12 + 1, 1) - datetime.timedelta(days=1))
        fee_day = datetime.date(YEAR, month, 25)
        what = f"Handelingskosten {DUTCH_MONTHS[month - 1]} {YEAR}"
        doc = book.receipt(fee_day, spec.beheerder, what, spec.admin_fee, "Factuur",
                           ("Administratie, betalingen en verantwoording",))
        book.add(fee_day, _txn(fee_day, "*", spec.beheerder, what,
                               [("document", (doc)), ("ingevoerd-door", (spec.enterers[1]))],
                               [(f"{ROOTS.ondersteuning}:Administratie", spec.admin_fee), (BANK, None)]))
        book.add(last, _txn(last, "*", _bank_name(spec), f"Kosten zakelijke rekening {DUTCH_MONTHS[month - 1]}", [],
                            [(ROOTS.bankkosten, spec.bank_fee), (BANK, None)]))


def _bank_name(spec: BudgetSpec) -> str:
    return {"ABNA": "ABN AMRO", "INGB": "ING", "RABO": "Rabobank"}.get(spec.bank_code, spec.bank_code)


def _plan_declarations(spec: BudgetSpec) -> list[tuple[datetime.date, int, str]]:
    out = []
    for i, plan in enumerate(spec.plans):
        meta: list[tuple[str, object]] = [("stemmen", plan.stemmen)] if plan.stemmen is not None else []
        out.append((spec.plan_date, -100 + i, plan_tekst(
            datum=spec.plan_date, account=f"{ROOTS.plannen}:{plan.name}", titel=plan.titel, budget=plan.budget,
            indiener=plan.indiener, meta=meta).rstrip("\n")))
        if plan.herzien:
            when, amount, why = plan.herzien
            out.append((when, -50 + i, plan_tekst(
                datum=when, account=f"{ROOTS.plannen}:{plan.name}", titel=plan.titel, budget=amount,
                indiener=plan.indiener, meta=[*meta, ("toelichting", why)]).rstrip("\n")))
    return out


def budget_files(spec: BudgetSpec) -> dict[str, bytes]:
    """The files of one buurtbudget, relative to its folder: main.beancount and documents/*.pdf."""
    rng = random.Random(spec.seed)
    book = _Book(spec, rng)
    bank_iban = _iban(spec.bank_code, spec.account_code)
    first_date, first_amount, first_beschikking, _ = spec.awards[0]
    header = header_uit({
        "naam": spec.naam, "datum": datetime.date(YEAR, 1, 1), "stadsdeel": spec.stadsdeel, "buurt": spec.buurt,
        "model": spec.model, "begin": datetime.date(YEAR, 1, 1), "einde": datetime.date(YEAR, 12, 31),
        "beheerder": spec.beheerder, "iban": bank_iban,
    })
    text = ledger_text(header, toekenning=first_amount, beschikking=first_beschikking,
                       toekenning_datum=first_date)
    opened = datetime.date(YEAR, 1, 1)
    accounts = sorted({f"{ROOTS.plannen}:{p.name}:{c}" for p in spec.plans for c in p.categories}
                      | {f"{ROOTS.plannen}:{s.plan}:{s.category}" for s in spec.specials})
    parts = [text.rstrip("\n"), "", tekst.commentaar(spec.comment).rstrip("\n"), "",
             tekst.commentaar("Rekeningen van de plannen").rstrip("\n")]
    parts += [tekst.entry(tekst.open_(opened, a)).rstrip("\n") for a in accounts]
    parts.append("")

    for date, amount, beschikking, narration in spec.awards[1:]:
        book.add(date, _txn(date, "*", "Gemeente Amsterdam", narration, [("beschikking", (beschikking))],
                            [(ROOTS.vordering, amount), (ROOTS.toekenning, None)], tags=("toekenning",)))
    for date, amount in spec.receipts:
        book.add(date, _txn(date, "*", "Gemeente Amsterdam", "Ontvangst buurtbudget van de gemeente", [],
                            [(BANK, amount), (ROOTS.vordering, None)]))
    _support(book, spec)
    end = datetime.date(YEAR, 12, 19)
    reserved: dict[str, Decimal] = {}
    for special in spec.specials:
        # The planted signals fit in what the plans leave; the random costs stay as they were.
        if special.kind not in ("over-budget", "bon-dubbel", "eigen-iban"):
            reserved[special.plan] = reserved.get(special.plan, D(0)) + special.amount
    costs = [c for plan in spec.plans for c in _plan_costs(book, plan, reserved.get(plan.name, D(0)), end)]
    for cost in sorted(costs, key=lambda c: (c.date, c.plan.name, c.amount)):
        _book_cost(book, cost)
    _finish_claims(book)
    for special in spec.specials:
        _book_special(book, special)

    body = sorted(book.bookings + _plan_declarations(spec), key=lambda b: (b[0], b[1]))
    parts += [text + "\n" for _, _, text in body]
    files = {"main.beancount": ("\n".join(parts)).encode("utf-8")}
    for name, content in book.documents.items():
        files[f"documents/{name}"] = content
    return files


def workspace_files() -> dict[str, bytes]:
    """Every file of the demo workspace, relative to its root."""
    files = {"regels.toml": RULES_TOML.encode("utf-8")}
    for spec in BUDGETS:
        for name, content in budget_files(spec).items():
            files[f"{spec.slug}/{name}"] = content
    return files


@dataclass(frozen=True, slots=True)
class DemoGebruiker:
    login: str
    naam: str
    rol: str
    wachtwoord: str


# The demo's people: (login, full name, role). Henk Bakker enters bookings in De Baarsjes and
# Joyce Sedney approves claims in the K-buurt; the auditor is a person of the stadsdeel.
DEMO_GEBRUIKERS = (
    ("henk", "Henk Bakker", "beheerder"),
    ("joyce", "Joyce Sedney", "beheerder"),
    ("stadsdeel", "Marieke de Graaf", "auditor"),
)
GIT_AUTEUR = "buurtbudget demo"


def demo_gebruikers() -> tuple[DemoGebruiker, ...]:
    """The demo's people, each with a fresh random password (shown once by `buurtbudget demo`)."""
    from buurtbudget_admin.service.users import random_password

    return tuple(DemoGebruiker(login, naam, rol, random_password()) for login, naam, rol in DEMO_GEBRUIKERS)


def _schrijf_gebruikers(root: Path, gebruikers: tuple[DemoGebruiker, ...]) -> None:
    from buurtbudget_admin.service.users import add_user, users_path

    for g in gebruikers:
        add_user(users_path(root), g.login, g.rol, ("*",) if g.rol == "beheerder" else (), g.wachtwoord, naam=g.naam)
    (root / ".gitignore").write_text("# Wachtwoord-hashes horen niet in de geschiedenis.\ngebruikers.toml\n",
                                     encoding="utf-8")


def _git_init(root: Path) -> None:
    """A repository of the workspace's own, with every file in a first commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": GIT_AUTEUR, "GIT_AUTHOR_EMAIL": "demo@buurtbudget.invalid",
           "GIT_COMMITTER_NAME": GIT_AUTEUR, "GIT_COMMITTER_EMAIL": "demo@buurtbudget.invalid",
           "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "Demo-werkruimte aangemaakt"]):
        done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise OSError(f"git {args[0] if args[0] != '-c' else 'commit'} mislukt: "
                          f"{(done.stderr or done.stdout).strip()}")


def write_demo_workspace(target: Path, *, met_gebruikers: tuple[DemoGebruiker, ...] = (),
                         met_git: bool = False) -> list[Path]:
    """Write the demo workspace into `target` (new or empty); return the ledgers written.

    Written beside the target first and renamed into place, so a failure leaves nothing half-done.
    `met_gebruikers`: the people of its gebruikers.toml; `met_git`: a repository of its own.
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DemoExistsError(f"{target} bestaat al en is niet leeg; de demo schrijft nooit over bestaande bestanden")
    files = workspace_files()
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    try:
        for name, content in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        for spec in BUDGETS:
            (staging / spec.slug / "documents").mkdir(exist_ok=True)
        if met_gebruikers:
            _schrijf_gebruikers(staging, met_gebruikers)
        if met_git:
            _git_init(staging)
        if target.exists():
            target.rmdir()  # empty, checked above
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(target, 0o755)
    return [target / spec.slug / "main.beancount" for spec in BUDGETS]
