"""A writer process for the concurrency and crash tests: `python -m tests.dagelijks_writer LEDGER NAME N`.

Books N costs of 1.00 EUR on Speeltuin:Materiaal through the safe write, each
with the writer's name and sequence number in the narration, so the test can
count exactly which bookings arrived.
"""

from __future__ import annotations

import datetime
import sys
from decimal import Decimal
from pathlib import Path

from buurtbudget_admin.valideren import valideer
from ledger.schrijver.boekingen import Kosten, kosten_tekst, opens_tekst
from ledger.schrijver.schrijven import Wijziging, schrijf


def one(ledger: Path, name: str, i: int):
    def build(stand):
        account = f"{stand.view.accounts.plannen}:Speeltuin:Materiaal"
        text = opens_tekst(stand, [account], datetime.date(2025, 3, 1)) + kosten_tekst(Kosten(
            datum=datetime.date(2025, 3, 1) + datetime.timedelta(days=i % 200), begunstigde="Bouwmarkt",
            omschrijving=f"{name} boeking {i}", rekening=account, bedrag=Decimal("1.00"),
            tegenrekening="Activa:Bank:Betaalrekening", ingevoerd_door=name, document="documents/bon.pdf",
        ))
        return Wijziging(f"{name} boeking {i}", text)

    return schrijf(ledger, build, door=name, valideer=valideer)


def main(argv: list[str]) -> int:
    ledger, name, n = Path(argv[0]), argv[1], int(argv[2])
    for i in range(n):
        one(ledger, name, i)
        print(i, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
