"""Fava in Dutch where its own catalog and its `locale` option stop.

Fava translates through Flask-Babel with its own `nl` catalog, and its frontend
reads the same catalog from the page (`#translations`). About fifty strings of
the frontend have no Dutch there ("Stacked Bars", "Go to account", "Other"),
and "Net Profit" becomes "Netto Winst", which says nothing about a grant.
`install_dutch` merges `FAVA_NL` over Fava's catalog whenever the page's
language is Dutch, so Fava's server and its frontend say the same words.

Fava writes the units and cost of a journal's posting as the number was
written (`10.60`), whatever `locale` says; the template loader
(`fava_layout`) sends those two through `zoals_geschreven`, which keeps the
number's own decimals and uses the ledger's locale (`10,60`), as Fava's other
columns do.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from io import BytesIO

from babel.core import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from fava.core.number import get_locale_format
from flask import Flask, g
from flask_babel import Domain, get_locale

# The template filter the loader puts after a posting's number (see `fava_layout`).
FILTER = "zoals_geschreven"

# Fava's frontend strings without Dutch in its catalog (Fava 1.30), and "Net Profit": the income
# minus the expenses of a grant is what is left of it, its saldo.
FAVA_NL = {
    "Net Profit": "Saldo",
    "Net Worth": "Nettovermogen",
    "Account Balance": "Saldo van de rekening",
    "Other": "Overig",
    "Stacked Bars": "Gestapelde staven",
    "Single Bars": "Losse staven",
    "Sunburst": "Zonnediagram",
    "Icicle": "IJspegeldiagram",
    "Go to account": "Naar rekening",
    "Filter by tag, payee, \u2026": "Filter op label, begunstigde, \u2026",
    "Postings": "Boekingsregels",
    "Metadata": "Metadata",
    "Toggle metadata": "Metadata tonen of verbergen",
    "Toggle postings": "Boekingsregels tonen of verbergen",
    "Toggle %(type)s entries": "%(type)s tonen of verbergen",
    "Cleared transactions": "Afgeronde transacties",
    "Pending transactions": "Openstaande transacties",
    "Other transactions": "Overige transacties",
    "Documents with a #discovered tag": "Documenten met het label #discovered",
    "Documents with a #linked tag": "Documenten met het label #linked",
    "Budget entries": "Begrotingsregels",
    "Journal of all entries for this Account and Sub-Accounts":
        "Dagboek van alle boekingen op deze rekening en haar subrekeningen",
    "Balances before entry": "Saldi vóór de boeking",
    "Balances after entry": "Saldi na de boeking",
    "Download currently filtered entries as a Beancount file":
        "De nu gefilterde boekingen downloaden als Beancount-bestand",
    "No events.": "Geen gebeurtenissen.",
    "Show keyboard shortcuts": "Sneltoetsen tonen",
    "Add Journal Entry": "Boeking toevoegen",
    "Submit": "Uitvoeren",
    "\u2026enter a BQL query. 'help' to list available commands.":
        "\u2026typ een BQL-zoekopdracht; 'help' toont de mogelijke opdrachten.",
    "Color scheme": "Kleurenschema",
    "System": "Systeem",
    "Dark": "Donker",
    "Light": "Licht",
    "Hold Shift while clicking to expand all children.\nHold Ctrl or Cmd while clicking to expand one level.":
        "Houd Shift ingedrukt bij het klikken om alle onderliggende rekeningen uit te klappen.\n"
        "Houd Ctrl of Cmd ingedrukt om één niveau uit te klappen.",
    "Duplicate": "Dupliceren",
    "Should be one of the declared accounts": "Moet een van de geopende rekeningen zijn",
    "Add metadata": "Metadata toevoegen",
    "Align Amounts": "Bedragen uitlijnen",
    "Toggle Comment (selection)": "Commentaar aan of uit (selectie)",
    "Open all folds": "Alles uitklappen",
    "Close all folds": "Alles inklappen",
    "Import": "Importeren",
    "ignore duplicate": "dubbele negeren",
    "Source": "Bron",
    "Continue": "Doorgaan",
    "Extract": "Uitlezen",
    "Clear": "Wissen",
    "No files were found for import.": "Geen bestanden gevonden om te importeren.",
    "Importable Files": "Importeerbare bestanden",
    "Non-importable Files": "Niet-importeerbare bestanden",
    "Upload files for import": "Bestanden uploaden om te importeren",
}


@lru_cache(1)
def _supplement() -> Translations:
    """`FAVA_NL` as a Babel catalog (built in memory: Babel's public way to a `Translations`)."""
    catalog = Catalog(locale="nl")
    for english, dutch in FAVA_NL.items():
        catalog.add(english, dutch)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


class _DutchDomain(Domain):
    """Flask-Babel's domain, with `FAVA_NL` over Fava's catalog when the page is Dutch."""

    def get_translations(self):
        translations = super().get_translations()
        locale = get_locale()
        # The merged catalog is cached per locale by the domain: merge once.
        if (locale is not None and locale.language == "nl" and isinstance(translations, Translations)
                and not getattr(translations, "buurtbudget_nl", False)):
            translations.merge(_supplement())
            translations.buurtbudget_nl = True
        return translations


def zoals_geschreven(number: object) -> object:
    """A posting's number with the decimals it was written with, in the ledger's locale (`10,60`)."""
    if not isinstance(number, Decimal):
        return number  # nothing there (a posting without cost): Fava's template shows nothing
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    option = g.ledger.fava_options.locale
    return get_locale_format(Locale.parse(option) if option else None, places)(number)


def install_dutch(app: Flask) -> None:
    """`FAVA_NL` in the app's translations and `zoals_geschreven` among its template filters."""
    babel = app.extensions["babel"]
    babel.instance.domain_instance = _DutchDomain(domain=babel.default_domain)
    app.add_template_filter(zoals_geschreven, FILTER)
