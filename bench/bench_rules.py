"""What `plugin "rules"` costs: load time and peak memory, with and without the plugin, in one run.

    python bench/bench_rules.py                       # 10k and 100k transactions, 5 repetitions
    python bench/bench_rules.py --sizes 10000 --repeat 5

For each size, bench/generate_ledger.py writes one ledger twice (byte for byte
the same but for the `plugin "rules"` line). Every measurement runs in a fresh
Python process that imports beancount's loader, then times
`loader.load_file()` with beancount's cache disabled and reads the process's
peak resident memory (ru_maxrss) and CPU time afterwards. The two variants
alternate so that a busy machine hurts both alike; medians are reported, and
the ratio with/without. Both variants must load without a single error.

Targets (issue 2): the rules add at most 5% load time and at most 10% peak
memory on the 100k ledger.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TIME_TARGET = 1.05
MEMORY_TARGET = 1.10


def child(path: str) -> None:
    """One measurement: load the ledger once and print the figures as JSON."""
    import resource

    from beancount import loader

    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    entries, errors, _ = loader.load_file(path)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({
        "wall": wall, "cpu": cpu, "maxrss_kb": after.ru_maxrss, "entries": len(entries),
        "errors": [str(getattr(e, "message", e)).splitlines()[0] for e in errors[:5]], "n_errors": len(errors),
    }))


def measure(path: Path) -> dict:
    env = dict(os.environ, BEANCOUNT_DISABLE_LOAD_CACHE="1", PYTHONHASHSEED="0")
    result = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(path)],
                            capture_output=True, text=True, env=env, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["n_errors"]:
        raise SystemExit(f"{path}: {figures['n_errors']} fout(en) bij het laden: {figures['errors']}")
    return figures


def bench(sizes: list[int], repeat: int, workdir: Path, seed: int, unique_receipts: bool = False) -> list[dict]:
    from generate_ledger import write

    rows = []
    for n in sizes:
        folder = workdir / (f"ledger-{n}-uniek" if unique_receipts else f"ledger-{n}")
        with_rules, without = write(n, folder, seed, unique_receipts)
        runs: dict[str, list[dict]] = {"zonder": [], "met": []}
        for i in range(repeat):
            order = (("zonder", without), ("met", with_rules)) if i % 2 == 0 else (
                ("met", with_rules), ("zonder", without))
            for name, path in order:
                runs[name].append(measure(path))
                print(f"  n={n} {name:6s} run {i + 1}: {runs[name][-1]['wall']:.2f} s wall, "
                      f"{runs[name][-1]['cpu']:.2f} s cpu, {runs[name][-1]['maxrss_kb'] / 1024:.0f} MB",
                      file=sys.stderr)
        row = {"n": n, "repeat": repeat, "entries": runs["met"][0]["entries"]}
        for name in runs:
            for key in ("wall", "cpu", "maxrss_kb"):
                row[f"{key}_{name}"] = statistics.median(r[key] for r in runs[name])
        for key in ("wall", "cpu", "maxrss_kb"):
            row[f"{key}_ratio"] = row[f"{key}_met"] / row[f"{key}_zonder"]
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| transactions | load without rules (wall / cpu) | load with rules (wall / cpu) | time ratio (wall / cpu) "
        "| peak RSS without | peak RSS with | memory ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['wall_zonder']:.2f} s / {r['cpu_zonder']:.2f} s "
            f"| {r['wall_met']:.2f} s / {r['cpu_met']:.2f} s "
            f"| {r['wall_ratio']:.3f} / {r['cpu_ratio']:.3f} "
            f"| {r['maxrss_kb_zonder'] / 1024:.0f} MB | {r['maxrss_kb_met'] / 1024:.0f} MB "
            f"| {r['maxrss_kb_ratio']:.3f} |"
        )
    return "\n".join(lines)


def verdict(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        t_ok = r["cpu_ratio"] <= TIME_TARGET and r["wall_ratio"] <= TIME_TARGET
        m_ok = r["maxrss_kb_ratio"] <= MEMORY_TARGET
        out.append(
            f"n={r['n']}: time +{(r['cpu_ratio'] - 1) * 100:.1f}% cpu / +{(r['wall_ratio'] - 1) * 100:.1f}% wall "
            f"(target <= 5%: {'met' if t_ok else 'MISSED'}), memory +{(r['maxrss_kb_ratio'] - 1) * 100:.1f}% "
            f"(target <= 10%: {'met' if m_ok else 'MISSED'})"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="where the ledgers go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--unique-receipts", action="store_true",
                        help="every booking names its own receipt file (default: a handful of shared files)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        rows = bench(args.sizes, args.repeat, args.workdir or Path(tmp), args.seed, args.unique_receipts)
    print(table(rows))
    print()
    for line in verdict(rows):
        print(line)
    print(f"\n(python {sys.version.split()[0]}, {os.cpu_count()} cpu, total {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
