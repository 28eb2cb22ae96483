"""Load benchmark of the service: 50 concurrent clients on loopback.

    python bench/bench_service.py [--ledgers 100] [--big 10000] [--requests 2000] [--clients 50]

Builds a workspace of `--ledgers` buurtbudgetten (one of `--big` bookings, the
rest small), starts the real `buurtbudget serve` (waitress) in a subprocess,
opens every ledger's public view once (so all of them are loaded), then sends
`--requests` requests per target from `--clients` threads with keep-alive
connections:

    landing        /                                        (cached page)
    fava-pagina    /buurt/<groot>/income_statement/          (Fava's page of the big ledger)
    extensie       /buurt/<groot>/extension/Buurtbudget/     (server-rendered plan bars, verdict)
    plan-pagina    /buurt/<groot>/extension/Buurtbudget/?plan=Plan0000   (one plan: its costs and bookings)
    fava-api       /buurt/<groot>/api/income_statement       (Fava's JSON for that page)

(`--api-requests`, default 400, for the JSON API, which Fava computes per
request) and reports p50/p95/max latency, errors (must be 0) and the server's peak
memory (VmHWM). Bounded: at most `--limit` seconds per target, then it stops.

Then the query door (issue 8): what one hostile query costs (a regular
expression with nested repetition, `'aaa…a' ~ '((a|a)+)+#'`: the answer's
status and time, and the CPU seconds its killed child used), and `/`'s p95
with `--clients` clients for `--vijandig-seconden` while four such queries run
all the time, against the same measurement without them. `--alleen-vijandig` measures only this.

Then Fava's period arguments (issue 17): `/` and the public Fava page p95
while four clients send `api/income_statement?interval=day&time=1000 - 9000`
all the time (refused, 400), and again while four send the heaviest period
request still accepted (an account report by day over four years, which runs
in the query door's child and is stopped, 408). `--alleen-perioden` measures only this.
Results also go to bench/out/bench_service.json.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from buurtbudget_admin.service.users import add_user, users_path  # noqa: E402


def _generator():
    spec = importlib.util.spec_from_file_location("generate_ledger", ROOT / "bench" / "generate_ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_workspace(root: Path, ledgers: int, big: int, small: int) -> str:
    gen = _generator()
    slugs = []
    for i in range(ledgers):
        slug = "groot-2025" if i == 0 else f"buurt-{i:03d}-2025"
        folder = root / slug
        with_rules, without = gen.write(big if i == 0 else small, folder, seed=7 + i)
        with_rules.rename(folder / "main.beancount")
        without.unlink()
        slugs.append(slug)
    add_user(users_path(root), "bench", "auditor", (), "bench-wachtwoord")
    return "groot-2025"


def start_server(workspace: Path, cache: Path, threads: int) -> tuple[subprocess.Popen, str, float]:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "buurtbudget_admin", "serve", str(workspace), "--port", "0",
         "--cache", str(cache), "--threads", str(threads)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    while True:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise SystemExit("server did not start:\n" + "".join(lines[-20:]))
        lines.append(line)
        match = re.match(r"Open (http://\S+) in uw browser", line)
        if match:
            # Keep draining stdout so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, match.group(1).rstrip("/"), time.monotonic() - started


def peak_memory_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


def current_memory_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def load(host: str, port: int, path: str, requests: int, clients: int, limit: float, keep: bool = False) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + limit

    def client(number: int) -> None:
        # Each client from its own loopback address (Linux routes 127/8 to lo): the service
        # allows a limited number of connections per client address, as for real visitors.
        source = (f"127.0.{number // 250}.{number % 250 + 2}", 0) if host.startswith("127.") else None

        def connect() -> http.client.HTTPConnection:
            return http.client.HTTPConnection(host, port, timeout=30, source_address=source)

        conn = connect()
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            t0 = time.perf_counter()
            error = None
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and body
                error = None if ok else f"status {response.status}"
            except Exception as exc:  # a broken connection is an error, then reconnect
                ok = False
                error = repr(exc)
                conn.close()
                conn = connect()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if not ok and len(errors) < 10_000:
                    errors.append(error)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] * 1000 if ordered else float("nan")

    return {
        "path": path, "requests": len(latencies), "errors": len(errors), "wall_s": round(wall, 2),
        "rps": round(len(latencies) / wall, 1) if wall else 0,
        "p50_ms": round(pct(0.50), 1), "p95_ms": round(pct(0.95), 1), "max_ms": round(pct(1.0), 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
        "first_errors": errors[:3],
        **({"_latencies": latencies} if keep else {}),
    }


HOSTILE = "SELECT date WHERE '" + "a" * 40 + "' ~ '((a|a)+)+#'"


def children_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the server's reaped children: the killed query processes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


def hostile_query(host: str, port: int, slug: str) -> tuple[int, float]:
    from urllib.parse import quote

    conn = http.client.HTTPConnection(host, port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", f"/buurt/{slug}/api/query?query_string={quote(HOSTILE)}")
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - t0


def _merged(runs: list[dict]) -> dict:
    """p50/p95 over the latencies of several load runs (kept by `load` as `_latencies`)."""
    ordered = sorted(x for r in runs for x in r["_latencies"])

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))] * 1000

    return {"requests": len(ordered), "errors": sum(r["errors"] for r in runs),
            "p50_ms": round(pct(0.50), 1), "p95_ms": round(pct(0.95), 1), "max_ms": round(pct(1.0), 1)}


def measure_hostile(host: str, port: int, pid: int, slug: str, seconds: float, clients: int,
                    rounds: int = 4) -> dict:
    """One hostile query's cost, and `/` with and without four of them running.

    The machine may be shared: quiet and attacked windows alternate (`rounds`
    of each, `seconds / rounds` long), so both see the same background load.
    """
    cpu0 = children_cpu_s(pid)
    status, took = hostile_query(host, port, slug)
    one = {"status": status, "answer_s": round(took, 2), "child_cpu_s": round(children_cpu_s(pid) - cpu0, 2)}
    print(f"één vijandige zoekopdracht: status {status} na {took:.2f} s, "
          f"{one['child_cpu_s']:.2f} CPU-seconden in het gestopte kindproces", flush=True)
    answers: list[tuple[int, float]] = []
    quiet_runs, busy_runs = [], []
    attacked_wall, attacked_cpu = 0.0, 0.0
    for _ in range(rounds):
        quiet_runs.append(load(host, port, "/", 10**9, clients, seconds / rounds, keep=True))
        stop = threading.Event()

        def attacker() -> None:
            while not stop.is_set():
                answers.append(hostile_query(host, port, slug))

        attackers = [threading.Thread(target=attacker) for _ in range(4)]
        cpu0, t0 = children_cpu_s(pid), time.perf_counter()
        for thread in attackers:
            thread.start()
        time.sleep(0.3)
        busy_runs.append(load(host, port, "/", 10**9, clients, seconds / rounds, keep=True))
        stop.set()
        for thread in attackers:
            thread.join()
        attacked_wall += time.perf_counter() - t0
        attacked_cpu += children_cpu_s(pid) - cpu0
    quiet, busy = _merged(quiet_runs), _merged(busy_runs)
    statuses = sorted({s for s, _t in answers})
    result = {
        "one": one, "landing_quiet": quiet, "landing_with_4_hostile": busy,
        "hostile_answers": len(answers), "hostile_statuses": statuses,
        "hostile_max_s": round(max(t for _s, t in answers), 2),
        "children_cpu_s_per_wall_s": round(attacked_cpu / attacked_wall, 2),
    }
    print(f"/ zonder aanval: p50 {quiet['p50_ms']:.1f} ms  p95 {quiet['p95_ms']:.1f} ms; "
          f"met 4 vijandige zoekopdrachten: p50 {busy['p50_ms']:.1f} ms  p95 {busy['p95_ms']:.1f} ms "
          f"(fouten {busy['errors']}); vijandige antwoorden {len(answers)} met status {statuses}, "
          f"hoogstens {result['hostile_max_s']} s; kindprocessen gebruikten "
          f"{result['children_cpu_s_per_wall_s']} core", flush=True)
    return result


# Issue 17, item 6: Fava's period arguments. The request (refused with 400 before Fava
# computes anything), and the heaviest one still accepted (many intervals: the query door's child, 408).
PERIOD_ATTACKS = {
    "geweigerd": "/buurt/{slug}/api/income_statement?interval=day&time=1000%20-%209000",
    "zwaarst-toegestaan": "/buurt/{slug}/api/account_report?a=Uitgaven&r=balances&interval=day"
                          "&time=2024-06%20-%202028-06",
}


def timed_get(host: str, port: int, path: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.perf_counter() - t0


def measure_periods(host: str, port: int, slug: str, seconds: float, clients: int, rounds: int = 2) -> dict:
    """`/` and a public Fava page, p95, with and without four period attacks running all the time.

    Per attack, quiet and attacked windows alternate (`rounds` of each), as in `measure_hostile`.
    """
    targets = {"landing": "/", "fava-pagina": f"/buurt/{slug}/income_statement/"}
    window = seconds / rounds / len(targets)
    results = {}
    for name, template in PERIOD_ATTACKS.items():
        attack = template.format(slug=slug)
        quiet = {t: [] for t in targets}
        busy = {t: [] for t in targets}
        answers: list[tuple[int, float]] = []
        for _ in range(rounds):
            for target, path in targets.items():
                quiet[target].append(load(host, port, path, 10**9, clients, window, keep=True))
            stop = threading.Event()

            def attacker() -> None:
                while not stop.is_set():
                    answers.append(timed_get(host, port, attack))

            attackers = [threading.Thread(target=attacker) for _ in range(4)]
            for thread in attackers:
                thread.start()
            time.sleep(0.3)
            for target, path in targets.items():
                busy[target].append(load(host, port, path, 10**9, clients, window, keep=True))
            stop.set()
            for thread in attackers:
                thread.join()
        result = {"attack": attack, "answers": len(answers), "statuses": sorted({s for s, _t in answers}),
                  "attack_max_s": round(max(t for _s, t in answers), 2)}
        for target in targets:
            result[f"{target}_quiet"] = _merged(quiet[target])
            result[f"{target}_with_4_attacks"] = _merged(busy[target])
        results[name] = result
        print(f"perioden ({name}): {len(answers)} aanvallen, status {result['statuses']}, hoogstens "
              f"{result['attack_max_s']} s", flush=True)
        for target in targets:
            q, b = result[f"{target}_quiet"], result[f"{target}_with_4_attacks"]
            print(f"  {target:12s} zonder: p50 {q['p50_ms']:7.1f} ms  p95 {q['p95_ms']:7.1f} ms;  met 4 aanvallen: "
                  f"p50 {b['p50_ms']:7.1f} ms  p95 {b['p95_ms']:7.1f} ms  fouten {b['errors']}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledgers", type=int, default=100)
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--api-requests", type=int, default=400,
                        help="requests for the heavy fava-api target (Fava computes the tree per request)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--limit", type=float, default=240.0, help="seconds per target at most")
    parser.add_argument("--alleen-vijandig", action="store_true", help="only the hostile-query measurement")
    parser.add_argument("--vijandig-seconden", type=float, default=20.0,
                        help="seconds of requests to / without, and again with, four hostile queries running")
    parser.add_argument("--alleen-perioden", action="store_true",
                        help="only the period measurement (issue 17: four unbounded time/interval requests)")
    parser.add_argument("--perioden-seconden", type=float, default=20.0,
                        help="seconds of requests per attack, without and again with four period attacks")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        tmp_path = Path(tmp)
        workspace = tmp_path / "werkruimte"
        workspace.mkdir()
        t0 = time.monotonic()
        big = build_workspace(workspace, args.ledgers, args.big, args.small)
        print(f"werkruimte: {args.ledgers} ledgers (1 x {args.big}, {args.ledgers - 1} x {args.small} boekingen) "
              f"in {time.monotonic() - t0:.1f} s", flush=True)
        process, address, startup = start_server(workspace, tmp_path / "cache", args.threads)
        try:
            host, port = re.match(r"http://([^:/]+):(\d+)", address).groups()
            port = int(port)
            print(f"server klaar in {startup:.1f} s (alle ledgers gecontroleerd en geredigeerd)", flush=True)
            # Open every public view once: all ledgers loaded in Fava.
            t0 = time.monotonic()
            conn = http.client.HTTPConnection(host, port, timeout=120)
            slugs = sorted(p.name for p in workspace.iterdir() if (p / "main.beancount").exists())
            for slug in slugs:
                conn.request("GET", f"/buurt/{slug}/income_statement/")
                response = conn.getresponse()
                response.read()
                assert response.status == 200, (slug, response.status)
            conn.close()
            loaded_mem = current_memory_mb(process.pid)
            print(f"{len(slugs)} openbare Fava-ledgers geladen in {time.monotonic() - t0:.1f} s; "
                  f"RSS {loaded_mem:.0f} MB", flush=True)
            targets = {
                "landing": "/",
                "fava-pagina": f"/buurt/{big}/income_statement/",
                "extensie": f"/buurt/{big}/extension/Buurtbudget/",
                "plan-pagina": f"/buurt/{big}/extension/Buurtbudget/?plan=Plan0000",
                "fava-api": f"/buurt/{big}/api/income_statement",
            }
            results = {}
            only = args.alleen_vijandig or args.alleen_perioden
            for name, path in ({} if only else targets).items():
                conn = http.client.HTTPConnection(host, port, timeout=120)
                conn.request("GET", path)
                conn.getresponse().read()  # warm this path once
                conn.close()
                count = args.api_requests if name == "fava-api" else args.requests
                results[name] = load(host, port, path, count, args.clients, args.limit)
                r = results[name]
                print(f"{name:12s} {r['requests']:5d} verzoeken  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
                      f"max {r['max_ms']:7.1f} ms  {r['rps']:6.1f}/s  fouten {r['errors']}", flush=True)
            hostile = None if args.alleen_perioden else measure_hostile(
                host, port, process.pid, big, args.vijandig_seconden, args.clients)
            periods = None if args.alleen_vijandig else measure_periods(
                host, port, big, args.perioden_seconden, args.clients)
            peak = peak_memory_mb(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    summary = {
        "ledgers": args.ledgers, "big": args.big, "small": args.small, "clients": args.clients,
        "threads": args.threads, "startup_s": round(startup, 1), "rss_after_loading_mb": round(loaded_mem),
        "peak_memory_mb": round(peak), "targets": results, "hostile_query": hostile, "periods": periods,
    }
    print(f"piekgeheugen server (VmHWM): {peak:.0f} MB met {args.ledgers} ledgers geladen")
    landing = results.get("landing") or (hostile or {}).get("landing_quiet") or periods["geweigerd"]["landing_quiet"]
    landing_ok = landing["p95_ms"] < 200
    no_errors = all(r["errors"] == 0 for r in results.values()) and all(
        r["requests"] == (args.api_requests if name == "fava-api" else args.requests) for name, r in results.items())
    if hostile:
        no_errors = no_errors and hostile["landing_with_4_hostile"]["errors"] == 0 and hostile["one"]["status"] == 408
    if periods:
        no_errors = no_errors and periods["geweigerd"]["statuses"] == [400] and set(
            periods["zwaarst-toegestaan"]["statuses"]) <= {408, 503} and all(
            r[key]["errors"] == 0 for r in periods.values() for key in r if key.endswith("_with_4_attacks"))
    print(f"doel p95 landing < 200 ms: {'gehaald' if landing_ok else 'NIET gehaald'}; "
          f"fouten: {'geen' if no_errors else 'WEL'}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    name = ("bench_service_vijandig.json" if args.alleen_vijandig else
            "bench_service_perioden.json" if args.alleen_perioden else "bench_service.json")
    (out / name).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0 if landing_ok and no_errors else 1


if __name__ == "__main__":
    sys.exit(main())
