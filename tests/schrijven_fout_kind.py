"""The writer in a child process, for the fault-injection tests (`tests/test_schrijven_fouten.py`).

    python -m tests.schrijven_fout_kind LEDGER BON      one write: a cost with its receipt, over two files

With BUURTBUDGET_FOUTSTAP=N:soort step N fails (`ledger.schrijver.bestanden.stap`). The
last line of stdout is JSON: the steps taken and the outcome.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from buurtbudget_admin.valideren import valideer
from ledger.schrijver import bestanden
from ledger.schrijver.schrijven import GitFout, SchrijfFout, Wijziging, WijzigingGeweigerd, schrijf

OMSCHRIJVING = "Verf voor de speeltuin, met bon"
OPEN = "2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR\n"
EVENT = '2025-03-01 event "leverancier" "Bouwmarkt"\n'  # an included file has beancount's own root names
KOSTEN = """2025-03-01 * "Bouwmarkt" "Verf"
  document: "documents/verf.pdf"
  ingevoerd-door: "Henk"
  Uitgaven:Plannen:Speeltuin:Materiaal   10.00 EUR
  Activa:Bank:Betaalrekening            -10.00 EUR
"""


def wijziging(ledger: Path, bon: Path):
    extra = ledger.parent / "extra.beancount"

    def maak(stand) -> Wijziging:
        return Wijziging(OMSCHRIJVING, toevoegen=OPEN + "\n" + KOSTEN, bestanden=((bon, ledger.parent / "documents" / "verf.pdf"),),
                         vervang=((extra, stand.tekst_van(extra) + EVENT),))
    return maak


def main(argv: list[str]) -> int:
    ledger, bon = Path(argv[0]), Path(argv[1])
    uitkomst = "gelukt"
    try:
        schrijf(ledger, wijziging(ledger, bon), door="Henk", valideer=valideer)
    except (SchrijfFout, GitFout, WijzigingGeweigerd) as exc:
        uitkomst = "geweigerd: " + str(exc)
    print(json.dumps({"stappen": bestanden._stappen, "namen": bestanden.gedaan, "uitkomst": uitkomst}))
    return 0 if uitkomst == "gelukt" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
