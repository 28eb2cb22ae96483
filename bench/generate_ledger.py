"""Generate a synthetic buurtbudget ledger of N transactions, valid under every rule.

    python bench/generate_ledger.py 100000 bench/out/100k [--seed 7]

writes, in OUTDIR:
    met-regels.beancount      the ledger with `plugin "rules"`
    zonder-regels.beancount   the same ledger, byte for byte, without that line
    documents/bon-1.pdf ...   a handful of real receipt files every cost points at

The mix follows a busy buurtbudget: direct costs paid from the bank (some of at
least EUR 500, approved by a second person), residents' claims with their
payments, suppliers' invoices with their payments, refunds, hours, monthly
handling fees and bank costs. Plan budgets and the award are set after the
costs are drawn, so that every plan stays within its budget and the support
costs within 8%. Seeded: the same N and seed give the same bytes.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
from decimal import Decimal
from pathlib import Path

from buurtbudget_admin.demo import receipt_pdf

CATEGORIES = ("Materiaal", "Activiteiten", "Huur", "Communicatie", "Inhuur", "Vrijwilligers", "Catering",
              "Onderhoud", "Verzekering")
PAYEES = ("Bouwmarkt Zuidoost", "Drukkerij West", "Buurthuis De Brug", "Bakkerij Oldenburg", "Albert Heijn",
          "Tuincentrum Osdorp", "Klusbedrijf De Buurt", "Sporthal Geuzenveld", "Cateraar Smaak van West")
RESIDENTS = (("Fatima el Amrani", "NL02ABNA0123456789"), ("Jan de Vries", "NL91ABNA0417164300"),
             ("Esther Asante", "NL20INGB0001234567"), ("Mohamed Bah", "NL06RABO0144272509"))
ENTERERS = ("Henk Bakker", "Naima Bouzid")
APPROVERS = ("Sanne Verhoeven", "Youssef el Idrissi")
RECEIPTS = 5
YEAR = 2025
BANK = "Activa:Bank:Betaalrekening"
DECL = "Passiva:Declaraties"
CRED = "Passiva:Crediteuren"
ADMIN = "Uitgaven:Ondersteuning:Administratie"
BANKCOSTS = "Uitgaven:Ondersteuning:Bankkosten"


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def generate(n: int, seed: int = 7, unique_receipts: bool = False) -> tuple[str, str, list[str]]:
    """The ledger text with and without `plugin "rules"` (exactly n transactions), and the receipts named.

    Receipts: by default every cost names one of a handful of files; with
    `unique_receipts` each booking names its own file (as in a real ledger).
    """
    rng = random.Random(seed)
    plans = [f"Plan{i:04d}" for i in range(max(20, n // 500))]
    start = datetime.date(YEAR, 1, 1)
    body: list[str] = []
    plan_costs = {p: Decimal(0) for p in plans}
    support = Decimal(0)
    count = 0
    claims = invoices = 0
    receipts: list[str] = []
    monthly = 24 + 2  # fees and bank costs, award and its receipt
    budget_n = n - monthly

    def when(i: int) -> datetime.date:
        return start + datetime.timedelta(days=min(364, i * 365 // max(budget_n, 1)))

    def later(date: datetime.date) -> datetime.date:
        return min(date + datetime.timedelta(days=7), datetime.date(YEAR, 12, 31))

    while count < budget_n:
        date = when(count)
        plan = rng.choice(plans)
        category = rng.choice(CATEGORIES)
        account = f"Uitgaven:Plannen:{plan}:{category}"
        doc = f"bon-{rng.randrange(1, RECEIPTS + 1)}.pdf"
        if unique_receipts:
            doc = f"bon-{count:07d}.pdf"
            receipts.append(doc)
        enterer = rng.choice(ENTERERS)
        roll = rng.random()
        if roll < 0.14 and count + 2 <= budget_n:  # a resident's claim and its payment
            claims += 1
            name, iban = rng.choice(RESIDENTS)
            amount = _cents(rng, 5, 150)
            link = f"decl-{claims:06d}"
            body.append(
                f'{date} * "{name}" "Declaratie: boodschappen" ^{link}\n  declarant: "{name}"\n  iban: "{iban}"\n'
                f'  prive: TRUE\n  document: "{doc}"\n  ingevoerd-door: "{enterer}"\n'
                f'  goedgekeurd-door: "{rng.choice(APPROVERS)}"\n  {account}  {amount} EUR\n  {DECL}\n')
            body.append(f'{later(date)} * "{name}" "Uitbetaling declaratie" ^{link}\n  {DECL}  {amount} EUR\n'
                        f'  {BANK}\n')
            count += 2
        elif roll < 0.22 and count + 2 <= budget_n:  # an invoice and its payment
            invoices += 1
            amount = _cents(rng, 100, 1500)
            link = f"fact-{invoices:06d}"
            payee = rng.choice(PAYEES)
            body.append(
                f'{date} * "{payee}" "Factuur {invoices}" ^{link}\n  document: "{doc}"\n'
                f'  ingevoerd-door: "{enterer}"\n  goedgekeurd-door: "{rng.choice(APPROVERS)}"\n'
                f'  {account}  {amount} EUR\n  {CRED}\n')
            body.append(f'{later(date)} * "{payee}" "Betaling factuur {invoices}" ^{link}\n  {CRED}  {amount} EUR\n'
                        f'  {BANK}\n')
            count += 2
        elif roll < 0.24 and plan_costs[plan] > 100:  # a refund
            amount = _cents(rng, 1, 50)
            body.append(f'{date} * "{rng.choice(PAYEES)}" "Retour"\n  document: "{doc}"\n'
                        f'  {account}  -{amount} EUR\n  {BANK}\n')
            amount = -amount
            count += 1
        elif roll < 0.26:  # hours at most 50.00 an hour
            hours = rng.randrange(2, 20)
            amount = Decimal(hours) * _cents(rng, 30, 50)
            account = f"Uitgaven:Plannen:{plan}:Inhuur"
            extra = f'  goedgekeurd-door: "{APPROVERS[0]}"\n' if amount >= 500 else ""
            body.append(f'{date} * "Klusbedrijf De Buurt" "Klussen"\n  uren: {hours}\n  document: "{doc}"\n'
                        f'  ingevoerd-door: "{ENTERERS[1]}"\n{extra}  {account}  {amount:.2f} EUR\n  {BANK}\n')
            count += 1
        else:  # a cost paid directly; a few large ones with four eyes
            large = rng.random() < 0.03
            amount = _cents(rng, 500, 2500) if large else _cents(rng, 2, 480)
            extra = f'  goedgekeurd-door: "{APPROVERS[1]}"\n' if large else ""
            body.append(f'{date} * "{rng.choice(PAYEES)}" "Inkoop"\n  document: "{doc}"\n'
                        f'  ingevoerd-door: "{ENTERERS[0]}"\n{extra}  {account}  {amount} EUR\n  {BANK}\n')
            count += 1
        plan_costs[plan] += amount

    fee = Decimal("250.00") + Decimal(n // 100)
    for month in range(1, 13):
        day = datetime.date(YEAR, month, 25)
        body.append(f'{day} * "Administratiekantoor De Kolk" "Handelingskosten"\n  document: "bon-1.pdf"\n'
                    f'  ingevoerd-door: "{ENTERERS[1]}"\n  goedgekeurd-door: "{APPROVERS[0]}"\n'
                    f'  {ADMIN}  {fee} EUR\n  {BANK}\n')
        body.append(f'{day} * "Rabobank" "Kosten zakelijke rekening"\n  {BANKCOSTS}  12.50 EUR\n  {BANK}\n')
        support += fee + Decimal("12.50")

    budgets = {p: (c * Decimal("1.05") + 100).quantize(Decimal("1")) for p, c in plan_costs.items()}
    award = ((sum(budgets.values()) + support) * Decimal("1.02")).quantize(Decimal("1"))
    award = max(award, (support * 100 / 8).quantize(Decimal("1")) + 1)

    head = [
        'option "title" "Buurtbudget Benchmark"',
        'option "operating_currency" "EUR"',
        *(f'option "name_{k}" "{v}"' for k, v in (("assets", "Activa"), ("liabilities", "Passiva"),
                                                 ("equity", "Vermogen"), ("income", "Inkomsten"),
                                                 ("expenses", "Uitgaven"))),
        'option "documents" "documents"',
        "@PLUGIN@",
        "",
        f'{start} custom "buurtbudget" "Benchmark {n}"\n  stadsdeel: "West"\n  buurt: "Benchmarkbuurt"\n'
        f'  model: "B"\n  begin: {YEAR}-01-01\n  einde: {YEAR}-12-31\n  iban: "NL91ABNA0417164300"',
        "",
    ]
    opens = [BANK, "Activa:Vordering:Gemeente", CRED, DECL, "Inkomsten:Buurtbudget", ADMIN, BANKCOSTS]
    opens += [f"Uitgaven:Plannen:{p}:{c}" for p in plans for c in CATEGORIES]
    head += [f"{start} open {a} EUR" for a in opens]
    head.append("")
    head += [f'{start} custom "plan" Uitgaven:Plannen:{p} "Plan {p[4:]}" {budgets[p]}.00 EUR' for p in plans]
    head += [
        "",
        f'{start} * "Gemeente Amsterdam" "Toekenning" #toekenning\n  beschikking: "BENCH-{n}"\n'
        f'  Activa:Vordering:Gemeente  {award}.00 EUR\n  Inkomsten:Buurtbudget\n',
        f'{start} * "Gemeente Amsterdam" "Ontvangst"\n  {BANK}  {award}.00 EUR\n  Activa:Vordering:Gemeente\n',
    ]
    text = "\n".join(head) + "\n" + "\n".join(body)
    return text.replace("@PLUGIN@", 'plugin "rules"', 1), text.replace("@PLUGIN@\n", "", 1), receipts


def write(n: int, outdir: Path, seed: int = 7, unique_receipts: bool = False) -> tuple[Path, Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    documents = outdir / "documents"
    documents.mkdir(exist_ok=True)
    for i in range(1, RECEIPTS + 1):
        (documents / f"bon-{i}.pdf").write_bytes(
            receipt_pdf(f"Bon {i}", ["Voorbeeldbon voor de benchmark", "Totaal: € 12,34"]))
    with_rules, without, receipts = generate(n, seed, unique_receipts)
    for i, name in enumerate(receipts):  # one real file per booking: hard links, cheap to make
        if not (documents / name).exists():
            (documents / name).hardlink_to(documents / f"bon-{i % RECEIPTS + 1}.pdf")
    a, b = outdir / "met-regels.beancount", outdir / "zonder-regels.beancount"
    a.write_text(with_rules, encoding="utf-8")
    b.write_text(without, encoding="utf-8")
    return a, b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of transactions, e.g. 10000 or 100000")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--unique-receipts", action="store_true", help="one receipt file per booking")
    args = parser.parse_args(argv)
    for path in write(args.n, args.outdir, args.seed, args.unique_receipts):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
