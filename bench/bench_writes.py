"""Benchmark of the safe write: one booking on ledgers of 1k, 10k and 100k bookings, and a 5,000-line import.

    python bench/bench_writes.py [--sizes 1000 10000 100000] [--import-lines 5000] [--out DIR]

Ledgers come from bench/generate_ledger.py (valid under every rule, `plugin "rules"`).
For each size it measures, in one run:

- full load: what `bean-check` does (parse, book, plugins incl. the rules, validate);
- first write: no cache yet, so the write loads the ledger fully once, then checks incrementally;
- write, warm: the next bookings in the same process (the cache is in memory);
- write, other process: the cache comes from `.buurtbudget-cache/` (pickle), as for a new CLI call;
- write, full path: the same booking validated by a full load of the ledger with the change
  (what every write would cost without the incremental check);
- approval: a claim's first line rewritten in place (incremental edit; the snapshot is pickled again).

Then it imports a CAMT.053 statement of `--import-lines` lines into the 10k ledger
(dedup, matching, Onverwerkt, balance assertion) through the same safe write.
Every ledger is bean-checked at the end: no benchmark leaves an invalid ledger.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import rules  # noqa: E402
from bench.generate_ledger import write as generate  # noqa: E402
from ledger import schrijven  # noqa: E402
from ledger.boekingen import KostenInvoer, declaratie_tekst, maak_goedkeuring, maak_kosten  # noqa: E402
from ledger.importers import maak_import  # noqa: E402
from ledger.schrijven import Wijziging, schrijf  # noqa: E402

BANK = "Activa:Bank:Betaalrekening"


def _booking(i: int, bon: Path):
    """What `buurtbudget boek` does: the real builder (checks, receipt copied in), then the safe write."""
    invoer = KostenInvoer(datum=datetime.date(2025, 6, 15), bedrag=Decimal("1.00"), plan="Plan0000",
                          categorie="Materiaal", begunstigde="Bouwmarkt", omschrijving=f"Benchmark {i}",
                          door="Bench", bon=bon)
    return lambda stand: maak_kosten(stand, invoer)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _full_load(path: Path) -> list:
    entries, errors, _ = schrijven._load_path(str(path))
    return errors


def bench_size(n: int, folder: Path) -> dict:
    ledger, _ = generate(n, folder)
    row: dict = {"n": n, "bytes": ledger.stat().st_size}
    errors: list = []
    row["full_load"] = _timed(lambda: errors.extend(_full_load(ledger)))
    assert errors == [], errors[:3]
    i = 0

    def write(**kw):
        nonlocal i
        i += 1
        return schrijf(ledger, _booking(i, ledger.parent / "documents" / "bon-1.pdf"), door="Bench",
                       regels=rules.run_all, git=False, **kw)

    schrijven._MEMO.clear()
    row["first_write"] = _timed(write)
    row["warm"] = statistics.median(_timed(write) for _ in range(5))

    def cold():
        schrijven._MEMO.clear()
        write()

    row["other_process"] = statistics.median(_timed(cold) for _ in range(3))
    row["full_path"] = _timed(lambda: write(incrementeel=False))

    # An approval: the claim's first line is rewritten in place (flag ! -> *, goedgekeurd-door:).
    def claim(stand):
        return Wijziging("bench claim", declaratie_tekst(
            datum=datetime.date(2025, 6, 15), declarant="Bench Bewoner", iban="NL02ABNA0123456789",
            omschrijving="bench", rekening="Uitgaven:Plannen:Plan0000:Materiaal", bedrag_=Decimal("2.00"),
            accounts=stand.view.accounts, link="decl-2099-001", document="bon-1.pdf", ingevoerd_door="Bench"))

    schrijf(ledger, claim, door="Bench", regels=rules.run_all, git=False)

    def approve():
        return schrijf(ledger, lambda s: maak_goedkeuring(s, "decl-2099-001", "Tweede"), door="Tweede",
                       regels=rules.run_all, git=False)

    row["approval"] = _timed(approve)
    errors = _full_load(ledger)
    assert errors == [], errors[:3]
    return row


def camt_statement(path: Path, iban: str, lines: int, opening: Decimal, start: datetime.date) -> Path:
    parts = []
    total = Decimal(0)
    for k in range(lines):
        amount = Decimal(k % 97 + 1) + Decimal(k % 100) / 100
        credit = k % 3 == 0
        total += amount if credit else -amount
        day = start + datetime.timedelta(days=k * 20 // lines)
        parts.append(
            f"<Ntry><Amt Ccy=\"EUR\">{amount:.2f}</Amt><CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
            f"<BookgDt><Dt>{day}</Dt></BookgDt><AcctSvcrRef>BENCH-{k:06d}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
            f"<RltdPties><{'Dbtr' if credit else 'Cdtr'}><Nm>Partij {k % 40}</Nm></{'Dbtr' if credit else 'Cdtr'}></RltdPties>"
            f"<RmtInf><Ustrd>Regel {k}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    end = start + datetime.timedelta(days=20)
    closing = opening + total
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId></GrpHdr><Stmt><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        f"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{abs(closing):.2f}</Amt>"
        f"<CdtDbtInd>{'CRDT' if closing >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{end}</Dt></Dt></Bal>"
        + "".join(parts) + "</Stmt></BkToCstmrStmt></Document>"
    )
    path.write_text(xml, encoding="utf-8")
    return path


def bench_import(n: int, lines: int, folder: Path) -> dict:
    ledger, _ = generate(n, folder)
    schrijven._MEMO.clear()
    stand = schrijven.lees_stand(ledger, regels=rules.run_all)
    statement = camt_statement(folder / "afschrift.xml", stand.view.header.iban, lines,
                               stand.view.bank_balance, datetime.date(2026, 1, 5))
    summary: dict = {}
    start = time.perf_counter()
    result = schrijf(ledger, lambda s: maak_import(s, statement, summary), door="Bench",
                     regels=rules.run_all, git=False)
    took = time.perf_counter() - start
    again = _timed(lambda: schrijf(ledger, lambda s: maak_import(s, statement), door="Bench",
                                   regels=rules.run_all, git=False))
    errors = _full_load(ledger)
    assert errors == [], errors[:3]
    assert result.gewijzigd and summary["regels"] == lines, summary
    return {"n": n, "lines": lines, "import": took, "again": again, "incremental": result.incrementeel}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--import-lines", type=int, default=5000)
    parser.add_argument("--import-size", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    base = args.out or Path(tempfile.mkdtemp(prefix="bench-writes-"))
    rows = []
    for n in args.sizes:
        row = bench_size(n, base / f"ledger-{n}")
        rows.append(row)
        print(f"n={n}: full load {row['full_load']:.2f}s, first write {row['first_write']:.2f}s, "
              f"warm {row['warm'] * 1000:.0f}ms, other process {row['other_process'] * 1000:.0f}ms, "
              f"full path {row['full_path']:.2f}s, approval {row['approval']:.2f}s", flush=True)
    print()
    print("| bookings | file | full load (bean-check) | first write (no cache) | write, warm | "
          "write, new process | write, full path | approval (edit) | full load / warm write |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['bytes'] / 1e6:.1f} MB | {r['full_load']:.2f} s | {r['first_write']:.2f} s | "
              f"{r['warm'] * 1000:.0f} ms | {r['other_process'] * 1000:.0f} ms | {r['full_path']:.2f} s | "
              f"{r['approval']:.2f} s | "
              f"{r['full_load'] / r['warm']:.0f}x |")
    imp = bench_import(args.import_size, args.import_lines, base / "import")
    print()
    print(f"import of a {imp['lines']:,}-line CAMT.053 into a {imp['n']:,}-booking ledger: {imp['import']:.2f} s "
          f"(incremental={imp['incremental']}); the same statement again (adds nothing): {imp['again']:.2f} s")
    print(f"(ledgers in {base})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
