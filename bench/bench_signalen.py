"""What `buurtbudget signalen` costs against `buurtbudget check` of the same workspace.

    python bench/bench_signalen.py [--ledgers 100] [--big 10000] [--small 150] [--repeat 5]

Builds the workspace of bench/bench_service.py (`--ledgers` buurtbudgetten, one
of `--big` bookings, the rest of `--small`), then runs the two commands as
whole processes in turn, each pair directly after each other, and reports the
CPU seconds (user + sys of the child) of both and the median ratio of the pairs.
Target: signalen at most 1.3x check.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bench_service():
    spec = importlib.util.spec_from_file_location("bench_service", ROOT / "bench" / "bench_service.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cpu(command: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                   env={**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledgers", type=int, default=100)
    parser.add_argument("--big", type=int, default=10000)
    parser.add_argument("--small", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("buurtbudget"))
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "werkruimte"
        workspace.mkdir()
        _bench_service().build_workspace(workspace, args.ledgers, args.big, args.small)
        check, signalen = [exe, "check", str(workspace)], [exe, "signalen", str(workspace)]
        _cpu(check), _cpu(signalen)  # warm the file cache
        pairs = []
        for _ in range(args.repeat):
            c, s = _cpu(check), _cpu(signalen)
            pairs.append((c, s))
            print(f"check {c:6.2f} s   signalen {s:6.2f} s   ratio {s / c:.3f}", flush=True)
    ratios = [s / c for c, s in pairs]
    print(f"{args.ledgers} ledgers (one of {args.big} bookings): check {statistics.median(c for c, _ in pairs):.2f} s, "
          f"signalen {statistics.median(s for _, s in pairs):.2f} s CPU (median); ratio per pair median "
          f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); target <= 1.3")


if __name__ == "__main__":
    main()
