"""Benchmark of the safe write: one booking on ledgers of 1k and 10k bookings (100k on request), and an import.

    python bench/bench_writes.py [--sizes 1000 10000] [--import-lines 5000] [--out DIR]

Ledgers come from bench/generate_ledger.py (valid under every rule, `plugin "rules"`).
Every write is judged by the reference verdict: a full load of the ledger as it
is and a full load with the change (no cache, no incremental path). For each
size it measures, in one run:

- full load: what `bean-check` does (parse, book, plugins incl. the rules, validate);
- booking: `buurtbudget boek`'s builder and the safe write, without git: as the first write of a
  process (two full loads) and as the next one (its "before" is the previous write's load, kept
  by `ledger.schrijver.vorige_stand`); in turns with the full load, each ratio the median of 5 pairs;
- booking with git: the same write in a git work tree, commit included (median of 3);
- approval: a claim's entry rewritten (`vervang` of the main file) through the safe write;
- peak memory of the process after the writes (ru_maxrss).

Then (`--formulieren N`, default 30) it submits the cost form of `/beheer/<slug>/` N times on a
1,000-booking ledger in a git workspace: the real service (`create_service`, Fava, the login
session, CSRF, the form pipeline, the writer, the commit), in process; p50/p95/max per submission.
Between submissions it opens the page again, as a user does: Fava reloads the changed ledger on
that GET, so the submission's time is the write and its answer.

Then it imports a CAMT.053 statement of `--import-lines` lines into the 10k ledger
(dedup, matching, Onverwerkt, balance assertion) through the same safe write.
Every ledger is bean-checked at the end: no benchmark leaves an invalid ledger.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_ledger import write as generate  # noqa: E402
from buurtbudget_admin.valideren import valideer  # noqa: E402
from ledger.schrijver.boekingen import KostenInvoer, declaratie_tekst, maak_goedkeuring, maak_kosten  # noqa: E402
from ledger.importers import maak_import  # noqa: E402
from ledger.evaluatie.bronnen import laad_bronnen  # noqa: E402
from ledger.schrijver import vorige_stand  # noqa: E402
from ledger.schrijver.schrijven import Wijziging, lees_stand, schrijf  # noqa: E402

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
    return laad_bronnen(path.resolve()).errors


def bench_size(n: int, folder: Path) -> dict:
    ledger, _ = generate(n, folder)
    row: dict = {"n": n, "bytes": ledger.stat().st_size}
    errors: list = []
    errors.extend(_full_load(ledger))
    assert errors == [], errors[:3]
    i = 0

    def write(git: bool = False, cold: bool = False):
        nonlocal i
        i += 1
        if cold:  # as the first write of a process: the "before" is a full load too
            vorige_stand.vergeet()
        return schrijf(ledger, _booking(i, ledger.parent / "documents" / "bon-1.pdf"), door="Bench",
                       valideer=valideer, git=git)

    # In turns, so that a busy machine weighs on each alike: a full load (bean-check), a write
    # as the first of its process (two loads), a write after a write (the kept "before").
    loads, colds, warms = [], [], []
    write()
    for _ in range(5):
        loads.append(_timed(lambda: _full_load(ledger)))
        colds.append(_timed(lambda: write(cold=True)))
        warms.append(_timed(write))
    row["full_load"] = statistics.median(loads)
    row["write_cold"] = statistics.median(colds)
    row["write"] = statistics.median(warms)
    row["ratio_cold"] = statistics.median(c / ld for c, ld in zip(colds, loads))
    row["ratio"] = statistics.median(w / ld for w, ld in zip(warms, loads))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=b@x", "commit", "-qm", "begin"],
                   cwd=folder, check=True)
    row["write_git"] = statistics.median(_timed(lambda: write(git=True)) for _ in range(3))

    def claim(stand):
        return Wijziging("bench claim", declaratie_tekst(
            datum=datetime.date(2025, 6, 15), declarant="Bench Bewoner", iban="NL02ABNA0123456789",
            omschrijving="bench", rekening="Uitgaven:Plannen:Plan0000:Materiaal", bedrag_=Decimal("2.00"),
            accounts=stand.view.accounts, link="decl-2099-001", document="bon-1.pdf", ingevoerd_door="Bench"))

    schrijf(ledger, claim, door="Bench", valideer=valideer, git=False)

    def approve():
        return schrijf(ledger, lambda s: maak_goedkeuring(s, "decl-2099-001", "Tweede"), door="Tweede",
                       valideer=valideer, git=False)

    row["approval"] = _timed(approve)
    row["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    errors = _full_load(ledger)
    assert errors == [], errors[:3]
    return row


def bench_forms(n: int, submissions: int, folder: Path) -> dict:
    """The cost form submitted `submissions` times as a logged-in beheerder, through the real service."""
    import re
    from io import BytesIO

    from werkzeug.test import Client

    from buurtbudget_admin.service.users import add_user, users_path
    from buurtbudget_admin.service.wsgi import create_service

    workspace = folder / "werkruimte"
    slug = "bench-2025"
    with_rules, without = generate(n, workspace / slug)
    with_rules.rename(workspace / slug / "main.beancount")
    without.unlink()
    add_user(users_path(workspace), "anja", "beheerder", (slug,), "bench-wachtwoord", naam="Anja de Boer")
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.name=Bench", "-c", "user.email=b@x", "commit", "-qm", "begin"]):
        subprocess.run(["git", *args], cwd=workspace, check=True)
    service = create_service(workspace, cache_dir=folder / "cache", check_interval=0.0)
    client = Client(service)
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/beheer/inloggen", data={"csrf_token": token, "gebruikersnaam": "anja",
                                                 "wachtwoord": "bench-wachtwoord"}).status_code == 303
    base = f"/beheer/{slug}/extension/Buurtbudget/"
    html = client.get(base).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    receipt = (workspace / slug / "documents" / "bon-1.pdf").read_bytes()
    times = []
    for i in range(submissions):
        data = {"csrf_token": token, "plan": "Plan0000", "categorie": "Materiaal", "bedrag": "1,00",
                "datum": "2025-06-15", "begunstigde": "Bouwmarkt", "omschrijving": f"Formulier {i}",
                "bon": (BytesIO(receipt), "bon.pdf")}
        client.get(base)  # the page with the form, as the user sees it again (Fava reloads the change here)
        start = time.perf_counter()
        response = client.post(base + "kosten", data=data, headers={"Origin": "http://localhost"},
                               content_type="multipart/form-data")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=workspace, capture_output=True,
                             text=True, check=True).stdout.strip()
    assert int(commits) == submissions + 1, commits
    ordered = sorted(times)
    return {"n": n, "submissions": submissions, "first": times[0], "p50": statistics.median(times),
            "p95": ordered[max(0, -(-95 * len(ordered) // 100) - 1)], "max": ordered[-1]}


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
    stand = lees_stand(ledger, valideer=valideer)
    statement = camt_statement(folder / "afschrift.xml", stand.view.header.iban, lines,
                               stand.view.bank_balance, datetime.date(2026, 1, 5))
    summary: dict = {}
    start = time.perf_counter()
    result = schrijf(ledger, lambda s: maak_import(s, statement, summary), door="Bench",
                     valideer=valideer, git=False)
    took = time.perf_counter() - start
    again = _timed(lambda: schrijf(ledger, lambda s: maak_import(s, statement), door="Bench",
                                   valideer=valideer, git=False))
    errors = _full_load(ledger)
    assert errors == [], errors[:3]
    assert result.gewijzigd and summary["regels"] == lines, summary
    return {"n": n, "lines": lines, "import": took, "again": again}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--import-lines", type=int, default=5000)
    parser.add_argument("--import-size", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--formulieren", type=int, default=30, help="cost-form submissions (0: none)")
    args = parser.parse_args(argv)
    base = args.out or Path(tempfile.mkdtemp(prefix="bench-writes-"))
    rows = []
    for n in args.sizes:
        row = bench_size(n, base / f"ledger-{n}")
        rows.append(row)
        print(f"n={n}: full load {row['full_load']:.2f}s, first booking {row['write_cold']:.2f}s, "
              f"next booking {row['write']:.2f}s, with git {row['write_git']:.2f}s, "
              f"approval {row['approval']:.2f}s", flush=True)
    print()
    print("| bookings | file | full load (bean-check) | first booking | next booking | booking + git commit | "
          "approval | first / load | next / load | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['bytes'] / 1e6:.1f} MB | {r['full_load']:.2f} s | {r['write_cold']:.2f} s | "
              f"{r['write']:.2f} s | {r['write_git']:.2f} s | {r['approval']:.2f} s | {r['ratio_cold']:.2f}x | "
              f"{r['ratio']:.2f}x | {r['rss_mb']:.0f} MB |")
    if args.formulieren:
        f = bench_forms(1000, args.formulieren, base / "formulieren")
        print()
        print(f"cost form, {f['submissions']} submissions on a {f['n']:,}-booking ledger (service, login, CSRF, "
              f"writer, git commit): first {f['first']:.2f} s, p50 {f['p50']:.2f} s, p95 {f['p95']:.2f} s, "
              f"max {f['max']:.2f} s", flush=True)
    if args.import_lines:
        imp = bench_import(args.import_size, args.import_lines, base / "import")
        print()
        print(f"import of a {imp['lines']:,}-line CAMT.053 into a {imp['n']:,}-booking ledger: {imp['import']:.2f} s; "
              f"the same statement again (adds nothing): {imp['again']:.2f} s")
    print(f"(ledgers in {base})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
