"""Benchmark of the reports: statement time against size and pages, the dossier, the overview with 1 and 2 workers.

    python bench/bench_reports.py            # 100, 500, 1,000, 10,000 bookings; the dossier; 100 ledgers
    python bench/bench_reports.py --quick    # 100 and 500 bookings; the dossier; 20 ledgers
    python bench/bench_reports.py --dossier  # only the dossier

The dossier: a statement of 500 bookings with a receipt each, every receipt
its own file of 100-300 KB (seeded random bytes: as incompressible as a
scanned JPEG or PDF), embedded and linked; against the light version
(`--zonder-bonnen`), and `buurtbudget verifieer` on the result.

Ledgers come from bench/generate_ledger.py (seeded, valid under every rule).
Each statement is measured in phases: load + rules + view (`build_statement`),
HTML (Jinja2), and WeasyPrint (layout + tagged PDF/A-3a write). "Rendering" in the
target (500 bookings in at most 1 s) is the HTML + WeasyPrint part. Every
size is rendered once to warm up fonts and caches, then timed (best of
--repeat). "first render" is that warm-up run: for the first size it is
what a fresh process (a one-off `buurtbudget report`) pays. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BEANCOUNT_DISABLE_LOAD_CACHE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reports.context import build_statement  # noqa: E402
from reports.overview import build_overview  # noqa: E402
from reports.render import html_to_pdf, render_overview, render_statement, statement_html  # noqa: E402


OVERVIEW_SIZE = 200


def _generator():
    spec = importlib.util.spec_from_file_location("generate_ledger", ROOT / "bench" / "generate_ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ledger(gen, n: int, folder: Path, seed: int = 7) -> Path:
    """A buurtbudget folder with main.beancount of n transactions (and its receipts)."""
    with_rules, _ = gen.write(n, folder, seed)
    main = folder / "main.beancount"
    with_rules.rename(main)
    (folder / "zonder-regels.beancount").unlink()
    return main


def bench_statement(gen, n: int, tmp: Path, repeat: int) -> dict:
    path = _ledger(gen, n, tmp / f"bench-{n}")
    best: dict | None = None
    first: float | None = None
    for _ in range(repeat + 1):  # the first run warms up (fonts, templates); its time is reported apart
        statement = html = pdf = None  # noqa: F841 - free the previous run before timing the next
        gc.collect()
        t0 = time.perf_counter()
        statement = build_statement(path)
        t1 = time.perf_counter()
        html = statement_html(statement)
        t2 = time.perf_counter()
        pdf, pages = html_to_pdf(html, attachments=statement.sources.files, date=statement.statement_date)  # no receipts
        t3 = time.perf_counter()
        run = {"n": n, "rows": len(statement.view.cost_lines), "pages": pages, "load": t1 - t0,
               "html": t2 - t1, "pdf": t3 - t2, "bytes": len(pdf)}
        if first is None:
            first = run["html"] + run["pdf"]
            continue
        if best is None or run["html"] + run["pdf"] < best["html"] + best["pdf"]:
            best = run
    best["first"] = first
    return best


DOSSIER_RECEIPTS = 500


def _dossier_ledger(gen, tmp: Path, seed: int = 7) -> tuple[Path, int, int]:
    """The smallest generated ledger with 500 bookings that have a receipt; each receipt 100-300 KB."""
    import random

    n = 600
    while len(gen.generate(n, seed, True)[2]) < DOSSIER_RECEIPTS:
        n += 10
    folder = tmp / "dossier"
    with_rules, _ = gen.write(n, folder, seed, unique_receipts=True)
    main = folder / "main.beancount"
    with_rules.rename(main)
    (folder / "zonder-regels.beancount").unlink()
    rng = random.Random(seed)
    total = 0
    names = sorted({name for name in gen.generate(n, seed, True)[2]})
    for name in names:
        path = folder / "documents" / name
        path.unlink()  # a hard link to a shared file: give each booking its own bytes
        size = rng.randint(100_000, 300_000)
        path.write_bytes(b"%PDF-1.4\n" + rng.randbytes(size - 9))
        total += size
    return main, n, total


def bench_dossier(gen, tmp: Path, repeat: int) -> list[dict]:
    from reports.verify import verify

    path, n, receipt_bytes = _dossier_ledger(gen, tmp)
    results = []
    for bonnen in (True, False):
        best = None
        for _ in range(repeat + 1):  # the first run warms up
            statement = pdf = None  # noqa: F841
            gc.collect()
            t0 = time.perf_counter()
            statement = build_statement(path, bonnen=bonnen)
            t1 = time.perf_counter()
            pdf, pages = render_statement(statement)
            t2 = time.perf_counter()
            run = {"bonnen": bonnen, "n": n, "rows": len(statement.view.cost_lines), "pages": pages,
                   "receipts": len(statement.receipts.files), "receipt_bytes": receipt_bytes,
                   "embedded": len(statement.embedded), "load": t1 - t0, "render": t2 - t1, "bytes": len(pdf)}
            if best is None or run["load"] + run["render"] < best["load"] + best["render"]:
                best = run
        out = tmp / ("dossier.pdf" if bonnen else "dossier-licht.pdf")
        out.write_bytes(pdf)
        statement = pdf = None  # noqa: F841
        best["verify"] = float("inf")
        for _ in range(repeat + 1):  # as many runs as the render had: best of them
            gc.collect()
            t0 = time.perf_counter()
            verdict = verify(out)
            best["verify"] = min(best["verify"], time.perf_counter() - t0)
        best["honest"] = verdict.ok
        best["pages-verdict"] = next((c.message for c in verdict.checks if c.name == "pagina's"), "")
        # The auditor's machine has other fonts or libraries: the bytes differ, the text of every
        # page of both statements is extracted and compared (the slower path).
        import reports.weergave as weergave

        own = weergave.environment
        weergave.environment = lambda: "een andere machine"
        try:
            best["verify-elsewhere"] = float("inf")
            for _ in range(repeat + 1):
                gc.collect()
                t0 = time.perf_counter()
                elsewhere = verify(out)
                best["verify-elsewhere"] = min(best["verify-elsewhere"], time.perf_counter() - t0)
        finally:
            weergave.environment = own
        best["honest-elsewhere"] = elsewhere.ok
        results.append(best)
    return results


def bench_overview(gen, ledgers: int, size: int, tmp: Path) -> list[dict]:
    workspace = tmp / "werkruimte"
    template = _ledger(gen, size, tmp / "sjabloon")
    for i in range(ledgers):
        folder = workspace / f"buurt-{i:03d}"
        shutil.copytree(template.parent, folder)
    results = []
    build_overview(workspace, workers=1, progress=False)  # warm up
    best: dict[int, float] = {}
    for _ in range(3):  # alternate, best of three: other work on the machine skews single runs
        for workers in (1, 2):
            t0 = time.perf_counter()
            overview = build_overview(workspace, workers=workers, progress=False)
            best[workers] = min(best.get(workers, float("inf")), time.perf_counter() - t0)
    for workers in (1, 2):
        t1 = time.perf_counter()
        pdf, pages = render_overview(overview)
        t2 = time.perf_counter()
        results.append({"workers": workers, "ledgers": len(overview.rows), "collect": best[workers],
                        "render": t2 - t1, "pages": pages})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dossier", action="store_true", help="only the dossier (receipts embedded)")
    args = parser.parse_args(argv)
    sizes = (100, 500) if args.quick else (100, 500, 1000, 10000)
    ledgers = 20 if args.quick else 100
    gen = _generator()
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("\n| dossier | transactions | annex rows | receipts | receipts MB | embedded files | pages "
              "| load+rules+view+read s | render s | PDF MB | verifieer s | verifieer / (load+render) | verdict |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in bench_dossier(gen, tmp, args.repeat):
            kind = "receipts embedded" if r["bonnen"] else "light (--zonder-bonnen)"
            print(f"| {kind} | {r['n']:,} | {r['rows']:,} | {r['receipts']} | {r['receipt_bytes'] / 1e6:.1f} | "
                  f"{r['embedded']} | {r['pages']} | {r['load']:.2f} | {r['render']:.2f} | {r['bytes'] / 1e6:.1f} | "
                  f"{r['verify']:.2f} | {r['verify'] / (r['load'] + r['render']):.2f} | "
                  f"{'honest' if r['honest'] else 'DIFFERS'} |", flush=True)
            print(f"  pagina's: {r['pages-verdict']}", flush=True)
            print(f"  on another machine (text of every page): verifieer {r['verify-elsewhere']:.2f} s = "
                  f"{r['verify-elsewhere'] / (r['load'] + r['render']):.2f} × (load+render), "
                  f"{'honest' if r['honest-elsewhere'] else 'DIFFERS'}", flush=True)
        if args.dossier:
            print(f"load average after: {os.getloadavg()[0]:.2f}")
            return 0
        print("\n| transactions | annex rows | pages | load+rules+view s | HTML s | WeasyPrint s | render s | render ms/page | first render s |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in sizes:
            r = bench_statement(gen, n, tmp, args.repeat)
            render = r["html"] + r["pdf"]
            print(f"| {r['n']:,} | {r['rows']:,} | {r['pages']} | {r['load']:.2f} | {r['html']:.2f} | "
                  f"{r['pdf']:.2f} | {render:.2f} | {1000 * render / r['pages']:.0f} | {r['first']:.2f} |", flush=True)
        print(f"\n| overview of {ledgers} ledgers ({OVERVIEW_SIZE} transactions each), best of 3 "
              "| collect s | render s | pages |")
        print("|---|---:|---:|---:|")
        results = bench_overview(gen, ledgers, OVERVIEW_SIZE, tmp)
        for r in results:
            print(f"| {r['workers']} worker(s) | {r['collect']:.2f} | {r['render']:.2f} | {r['pages']} |")
        speedup = results[0]["collect"] / results[1]["collect"]
        print(f"\nspeed-up of collecting with 2 workers: {speedup:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
