"""Who may change a booking's receipt: the policy of every web edit, for the command line too.

    schrijf(pad, bewaakt(lambda stand: maak_bon_koppeling(stand, ref, bon)), door=...)

`bewaakt` runs a builder of `ledger.schrijver.bonbeheer` and lets
`buurtbudget_admin.service.editpolicy.check_edit` judge each file it rewrites,
against the ledger as loaded under the writer's lock: a receipt of an approved
or paid claim or invoice, of anything approved, or of the award is not changed
(its approval's seal covers the receipt). The writer itself refuses a settled
(`afsluiten`) or decided (`vaststelling`) period.
"""

from __future__ import annotations

from typing import Callable

from ledger.buurtbudget.fouten import InvoerFout
from ledger.schrijver.schrijven import Stand, Wijziging


def bewaakt(maak: Callable[[Stand], Wijziging]) -> Callable[[Stand], Wijziging]:
    from buurtbudget_admin.service.editpolicy import EditRefused, check_edit

    def build(stand: Stand) -> Wijziging:
        wijziging = maak(stand)
        for bestand, nieuw in wijziging.vervang:
            try:
                check_edit(stand.pad.parent, bestand, stand.tekst_van(bestand), nieuw, view=stand.view)
            except EditRefused as exc:
                raise InvoerFout(f"de bon kan niet worden gewijzigd: {exc}", bestand=str(bestand)) from None
        return wijziging

    return build
