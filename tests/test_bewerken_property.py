"""An approval rewrites its own claim, whatever text stands before it (property test, real loads)."""

from __future__ import annotations

import datetime
import tempfile
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buurtbudget_admin.valideren import valideer
from ledger.buurtbudget import tekst
from ledger.schrijver.boekingen import maak_goedkeuring
from ledger.schrijver.schrijven import schrijf
from tests.dagelijks_helpers import LEDGER

CLAIM = """
{date} ! {payee} "Declaratie: {what}" ^{link}
  declarant: {payee}
  iban: "NL02ABNA0123456789"
  document: "documents/bon.pdf"
  ingevoerd-door: "Henk"
  Uitgaven:Plannen:Speeltuin:Materiaal   {amount} EUR
  Passiva:Declaraties
"""

# Text that str.splitlines() or a naive scanner could take for structure.
tricky = st.lists(st.sampled_from(list('ab "\\;\t\n\r\f\x0b\x1c\x85\u2028\u2029^#*!') + ["2025-04-01 ! "]),
                  max_size=30).map("".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=tricky, payee=tricky, which=st.sampled_from(["decl-2025-017", "decl-2025-018"]))
def test_approval_lands_on_the_claim_it_names(before: str, payee: str, which: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "documents").mkdir()
        (folder / "documents/bon.pdf").write_bytes(b"%PDF-1.4\n")
        booking = tekst.entry(tekst.transaction(
            datetime.date(2025, 3, 1), "*", before, before,
            [tekst.posting("Uitgaven:Plannen:Speeltuin:Materiaal", Decimal("20")),
             tekst.posting("Activa:Bank:Betaalrekening")],
            meta_={"document": "documents/bon.pdf", "toelichting": before}))
        text = (LEDGER + "\n2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR\n\n" + booking
                + CLAIM.format(date="2025-04-01", payee=tekst.string(payee or "X"), what="tent",
                               link="decl-2025-017", amount="400.00")
                + CLAIM.format(date="2025-04-02", payee=tekst.string(payee or "Y"), what="koffie",
                               link="decl-2025-018", amount="7.00"))
        ledger = folder / "main.beancount"
        ledger.write_text(text, encoding="utf-8")
        schrijf(ledger, lambda stand: maak_goedkeuring(stand, which, "Ria"), door="Ria", valideer=valideer, git=False)
        entries, errors, _ = loader.load_file(str(ledger))
        assert errors == []
        flags = {link: (e.flag, e.meta.get("goedgekeurd-door")) for e in entries
                 if isinstance(e, data.Transaction) for link in e.links}
        other = "decl-2025-017" if which == "decl-2025-018" else "decl-2025-018"
        assert flags[which] == ("*", "Ria") and flags[other] == ("!", None)
        [first] = [e for e in entries if isinstance(e, data.Transaction) and e.date == datetime.date(2025, 3, 1)]
        assert first.narration == before and first.meta["toelichting"] == before
