"""BB-VASTSTELLING: once the subsidy is set, the period's costs stay as they were.

    2026-03-02 custom "vaststelling" 9500.00 EUR
      door: "Jan de Wit"
      kenmerk: "W-2026-0312"
      kosten: 9480.00 EUR
      digest: "sha256:…"

    2026-03-05 * "Bouwmarkt" "Nagekomen factuur"     ; after the decision
      document: "bon.pdf"
      Expenses:Plannen:Speeltuin:Materiaal   20.00 EUR
      Assets:Bank:Betaalrekening

The latest decision holds (a later one is a correction); a booking dated after
it that posts to an expense account changes the costs it was based on, and so
does one dated before it that was added later: the costs up to its date must
still be its `kosten:` (a cost booked behind the decision in the same file is
named itself). A decision whose digest no longer matches its content (amount,
date, auditor, kenmerk, costs, the header's period and name) was changed
afterwards; one without a digest was not recorded by `buurtbudget
vaststellen`. The vastgesteld amount is at most the award; a directive that
cannot be read (no amount, another currency, no `door:`) is named too.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import attrgetter

from ledger.evaluatie.vaststelling import digest_klopt, kosten_tot, vaststellingen
from rules.base import Context, RuleError, eur, violation

CODE = "BB-VASTSTELLING"
TITLE = "Geen kosten na de vaststelling"

_date = attrgetter("date")


def violations(ctx: Context) -> list[RuleError]:
    found = vaststellingen(ctx.view.kosten.customs)  # the custom directives, met once by the fold
    errors = [violation(CODE, e.meta, e.message) for e in found.errors]
    award = ctx.view.award
    header = ctx.view.header
    for v in found.items:
        if v.bedrag > award:
            errors.append(violation(
                CODE, v.meta,
                f"vastgesteld bedrag {eur(v.bedrag)} is hoger dan de toekenning {eur(award)}",
            ))
        if v.digest is None or v.kosten is None:
            if v is not found.latest:  # an unsealed decision that a sealed correction replaced no longer governs
                continue
            errors.append(violation(
                CODE, v.meta,
                f"vaststelling van {v.datum.isoformat()} zonder kosten: en digest: (niet met 'buurtbudget "
                "vaststellen' of door de auditor op de website vastgelegd, of nadien ingekort)",
            ))
        elif not digest_klopt(v, header):
            errors.append(violation(
                CODE, v.meta,
                f"vaststelling van {v.datum.isoformat()} ({eur(v.bedrag)} door {v.door}) is gewijzigd na het "
                "vastleggen: de inhoud past niet meer bij haar digest",
            ))
    latest = found.latest
    if latest is None:
        return errors
    kosten = ctx.view.kosten
    if latest.kosten is not None:
        nu = kosten_tot(kosten, latest.datum)
        if nu != latest.kosten:
            errors.append(violation(
                CODE, latest.meta,
                f"de kosten tot en met {latest.datum.isoformat()} zijn {eur(nu)}, bij de vaststelling door "
                f"{latest.door} waren ze {eur(latest.kosten)}: er is na de vaststelling geboekt in de "
                "vastgestelde periode",
            ))
            # The usual way in: a booking appended behind the decision, dated before it.
            plek = latest.meta.get("filename"), latest.meta.get("lineno") or 0
            for i in range(bisect_right(kosten.tx, latest.datum, key=_date)):
                entry = kosten.tx[i]
                if entry.meta.get("filename") == plek[0] and (entry.meta.get("lineno") or 0) > plek[1]:
                    errors.append(violation(
                        CODE, entry.meta,
                        f"kosten van {entry.date.isoformat()} staan na de vaststelling van "
                        f"{latest.datum.isoformat()} in de boeken, in de vastgestelde periode",
                        entry,
                    ))
    # The cost transactions come in date order (as beancount hands entries to a plugin):
    # those after the decision are a tail, found by bisection, not by reading every one.
    for i in range(bisect_right(kosten.tx, latest.datum, key=_date), len(kosten.tx)):
        entry = kosten.tx[i]
        accounts = ", ".join(sorted({posting.account for posting in kosten.cost_postings(i)}))
        errors.append(violation(
            CODE, entry.meta,
            f"kosten op {entry.date.isoformat()} ({accounts}) na de vaststelling van "
            f"{latest.datum.isoformat()} door {latest.door} ({eur(latest.bedrag)}); "
            "die ging uit van de kosten tot dan",
            entry,
        ))
    return errors
