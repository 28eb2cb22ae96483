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
    fava-api       /buurt/<groot>/api/income_statement       (Fava's JSON for that page)

(`--api-requests`, default 400, for the JSON API, which Fava computes per
request) and reports p50/p95/max latency, errors (must be 0) and the server's peak
memory (VmHWM). Bounded: at most `--limit` seconds per target, then it stops.
Results also go to bench/out/bench_service.json.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
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


def load(host: str, port: int, path: str, requests: int, clients: int, limit: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + limit

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and body
            except Exception as exc:  # a broken connection is an error, then reconnect
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                with lock:
                    errors.append(repr(exc))
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if not ok and len(errors) < 10_000:
                    errors.append(f"status {getattr(response, 'status', '?')}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
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
    }


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
                "fava-api": f"/buurt/{big}/api/income_statement",
            }
            results = {}
            for name, path in targets.items():
                conn = http.client.HTTPConnection(host, port, timeout=120)
                conn.request("GET", path)
                conn.getresponse().read()  # warm this path once
                conn.close()
                count = args.api_requests if name == "fava-api" else args.requests
                results[name] = load(host, port, path, count, args.clients, args.limit)
                r = results[name]
                print(f"{name:12s} {r['requests']:5d} verzoeken  p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
                      f"max {r['max_ms']:7.1f} ms  {r['rps']:6.1f}/s  fouten {r['errors']}", flush=True)
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
        "peak_memory_mb": round(peak), "targets": results,
    }
    print(f"piekgeheugen server (VmHWM): {peak:.0f} MB met {args.ledgers} ledgers geladen")
    landing_ok = results["landing"]["p95_ms"] < 200
    no_errors = all(r["errors"] == 0 for r in results.values()) and all(
        r["requests"] == (args.api_requests if name == "fava-api" else args.requests) for name, r in results.items())
    print(f"doel p95 landing < 200 ms: {'gehaald' if landing_ok else 'NIET gehaald'}; "
          f"fouten: {'geen' if no_errors else 'WEL'}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_service.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0 if landing_ok and no_errors else 1


if __name__ == "__main__":
    sys.exit(main())
