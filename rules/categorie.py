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

from ledger.buurtbudget.accounts import Accounts
from ledger.buurtbudget.kader import Kader
from rules.base import Context, RuleError, violation

CODE = "BB-CATEGORIE"
TITLE = "Kosten op een toegestane categorie"


def _verdict(account: str, kind: str, accounts: Accounts, kader: Kader) -> str | None:
    """What is wrong with costs on this account (the verdict depends on the account alone), or None."""
    if kind == "ondersteuning":
        # Support costs may be split freely, but never into what the kader forbids.
        depth = accounts.ondersteuning.count(":") + 1
        bad = [c for c in account.split(":")[depth:] if kader.category_forbidden(c)]
        if bad:
            return (f"categorie '{bad[0]}' ({account}) wordt nooit vergoed volgens het kader, "
                    "ook niet als ondersteuning")
        return None
    if kind == "overig":
        return (f"kosten op {account}: dat is geen plan of ondersteuning; boek op "
                f"{accounts.plannen}:<Plan>:<Categorie> of {accounts.ondersteuning}")
    split = accounts.plan_and_category(account)
    if split is None:
        return f"kosten op {account}: verwacht precies {accounts.plannen}:<Plan>:<Categorie>"
    category = split[1]
    if kader.category_forbidden(category):
        return f"categorie '{category}' ({account}) wordt nooit vergoed volgens het kader"
    if not kader.category_allowed(category):
        return (f"categorie '{category}' ({account}) is niet toegestaan; toegestaan volgens "
                f"{kader.bron}: {', '.join(kader.categorieen)}")
    return None


def violations(ctx: Context) -> list[RuleError]:
    kosten = ctx.view.kosten
    # Judged once per account (a large ledger has a few hundred cost accounts and 100k cost lines);
    # only the lines of a wrong account are read, each transaction once per account.
    accounts, kader = ctx.accounts, ctx.kader
    # Plan accounts share their category's verdict (a few hundred plans, one category list).
    fine_categories: set[str] = set()
    wrong = {}
    for account, kind in kosten.cost_accounts().items():
        split = accounts.plan_and_category(account) if kind == "plan" else None
        if split is not None and split[1] in fine_categories:
            continue
        message = _verdict(account, kind, accounts, kader)
        if message is not None:
            wrong[account] = message
        elif split is not None:
            fine_categories.add(split[1])
    if not wrong:
        return []
    errors: list[RuleError] = []
    seen: set[tuple[int, str]] = set()
    for j, posting in enumerate(kosten.posting):
        message = wrong.get(posting.account)
        if message is None:
            continue
        line = kosten.line(j)
        key = (id(line.entry), line.account)
        if key not in seen:
            seen.add(key)
            errors.append(violation(CODE, line.meta, message, line.entry))
    return errors
