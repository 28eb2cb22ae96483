"""A whole command in a child process, for the fault-injection tests of `init` and `betaal`
(`tests/test_opdrachten_fouten.py`).

    python -m tests.opdracht_fout_kind ARG...      `buurtbudget ARG...`, in this process

With BUURTBUDGET_FOUTSTAP=N:soort step N fails (`ledger.schrijver.bestanden.stap`). The
last line of stdout is JSON: the steps taken and the exit code; the command's own
messages (Dutch) are on stderr.
"""

from __future__ import annotations

import json
import sys

from buurtbudget_admin.cli import main as buurtbudget
from ledger.schrijver import bestanden


def main(argv: list[str]) -> int:
    code = buurtbudget(argv)
    sys.stdout.flush()
    print("\n" + json.dumps({"stappen": bestanden._stappen, "namen": bestanden.gedaan, "code": code}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
