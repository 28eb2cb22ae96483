"""BB-CATEGORIE: every cost stands on a plan category the kader allows, or on support.

    2025-04-01 * "Slijterij" "Borrel na de opening"
      document: "bon.pdf"
      Expenses:Plannen:Buurtfeest:Alcohol   45.00 EUR   ; never allowed
      Assets:Bank:Betaalrekening

    2025-04-01 * "Slijterij" "Borrel van het bestuur"
      document: "bon2.pdf"
      Expenses:Ondersteuning:Alcohol   30.00 EUR        ; not under support either
      Assets:Bank:Betaalrekening

    2025-04-02 * "Drukkerij" "Flyers"
      document: "flyers.pdf"
      Expenses:Drukwerk   80.00 EUR                     ; not Plannen:<Plan>:<Categorie>
      Assets:Bank:Betaalrekening

Allowed: `Expenses:Ondersteuning[:...]` and `Expenses:Plannen:<Plan>:<Categorie>`
with a category from the kader (which a stadsdeel's rules file may narrow or
widen); `Alcohol`, `Salaris`, `Boete`, `Gift`, `Rente` and `Prive` never, under
`Plannen` and under `Ondersteuning` alike.
"""

from __future__ import annotations

import sys

from rules.base import Context, RuleError, run_rules, violation

CODE = "BB-CATEGORIE"
TITLE = "Kosten op een toegestane categorie"

__plugins__ = ("check",)


def violations(ctx: Context) -> list[RuleError]:
    accounts, kader = ctx.accounts, ctx.kader
    errors: list[RuleError] = []
    seen: set[tuple[int, str]] = set()
    fine: set[str] = set()  # accounts already found allowed: the verdict depends on the account only
    for line in ctx.view.cost_lines:
        if line.account in fine:
            continue
        key = (id(line.entry), line.account)
        if key in seen:
            continue
        seen.add(key)
        if line.kind == "ondersteuning":
            # Support costs may be split freely, but never into what the kader forbids.
            depth = accounts.ondersteuning.count(":") + 1
            bad = [c for c in line.account.split(":")[depth:] if kader.category_forbidden(c)]
            if bad:
                errors.append(violation(
                    CODE, line.meta,
                    f"categorie '{bad[0]}' ({line.account}) wordt nooit vergoed volgens het kader, "
                    f"ook niet als ondersteuning",
                    line.entry,
                ))
            else:
                fine.add(line.account)
            continue
        if line.kind == "overig":
            errors.append(
                violation(
                    CODE,
                    line.meta,
                    f"kosten op {line.account}: dat is geen plan of ondersteuning; boek op "
                    f"{accounts.plannen}:<Plan>:<Categorie> of {accounts.ondersteuning}",
                    line.entry,
                )
            )
            continue
        split = accounts.plan_and_category(line.account)
        if split is None:
            errors.append(
                violation(
                    CODE,
                    line.meta,
                    f"kosten op {line.account}: verwacht precies {accounts.plannen}:<Plan>:<Categorie>",
                    line.entry,
                )
            )
            continue
        category = split[1]
        if kader.category_forbidden(category):
            errors.append(
                violation(
                    CODE, line.meta,
                    f"categorie '{category}' ({line.account}) wordt nooit vergoed volgens het kader",
                    line.entry,
                )
            )
        elif not kader.category_allowed(category):
            errors.append(
                violation(
                    CODE, line.meta,
                    f"categorie '{category}' ({line.account}) is niet toegestaan; toegestaan volgens "
                    f"{kader.bron}: {', '.join(kader.categorieen)}",
                    line.entry,
                )
            )
        else:
            fine.add(line.account)
    return errors


def check(entries, options_map, config=None):
    """Run this rule alone: `plugin "rules.categorie"`."""
    return run_rules(entries, options_map, config, [sys.modules[__name__]])
