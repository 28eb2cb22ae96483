"""The names a ledger's folder (its slug) cannot take, because the site's own pages live there.

`/beheer/<slug>/` and `/buurt/<slug>/` share their first path segment with the login
(`inloggen`, `uitloggen`, `service.auth`), the auditor's pages (`controle`, `service.controle`)
and Fava's own `static` files and `jump`. A ledger in a folder so named would be shadowed by
those pages, so such a folder is refused: by `buurtbudget init`, and when a workspace is served.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

GERESERVEERD = frozenset({"inloggen", "uitloggen", "controle", "static", "jump"})


class SlugFout(Fout):
    """A ledger folder whose name one of the site's own pages takes."""


def slug_fout(naam: str) -> str | None:
    """The Dutch reason `naam` cannot be a ledger's folder, or None when it can."""
    if naam not in GERESERVEERD:
        return None
    return (f"de mapnaam '{naam}' is gereserveerd voor een eigen pagina van de website (/beheer/{naam}/), "
            "zodat de boeken in die map daar niet te openen zouden zijn")
