"""Fava's page frame (`_layout.html`) in Dutch, and in the public view without the closed doors.

Fava's layout has no `lang`: screen readers then read Dutch with an English
voice. Both views get `<html lang="nl">`.

Fava's sidebar (drawn by its frontend, the same for every user) offers
Documenten, Editor, Import, Opties and Fouten; in the public view each of these
answers 403 (`auth.PUBLIC_REFUSED`). The public layout carries a stylesheet
that hides exactly those links, so a resident is offered only what opens. The
doors stay shut either way: hiding is for the reader, the allow-list is the wall.

Both views also carry `_READABLE_STYLE`: Fava's grey-on-grey metadata badges,
pale links (`^decl-...`), links on a pending row's pink and in a journal's
postings, and the editor's placeholder reach a contrast of 4.5:1, and a link inside text is underlined, not
told apart by its colour alone (axe-core: color-contrast, link-in-text-block).
What has no name at all gets one from `fava_ext/Buurtbudget.js`.

Fava's journal rows (`_journal_table.html`) write a posting's units and cost as
the number was written (`10.60 EUR`); both views send them through
`fava_nl.zoals_geschreven`, so they follow the ledger's `locale` as Fava's
other columns do (`10,60 EUR`).
"""

from __future__ import annotations

from jinja2 import BaseLoader, Environment

from buurtbudget_admin.service.fava_nl import FILTER

LAYOUT = "_layout.html"
JOURNAL = "_journal_table.html"
# A posting's two numbers in Fava's journal rows, each once.
_POSTING_NUMBERS = ("posting.units.number|incognito", "posting.cost.number|incognito")
_HTML = "<html>"
_HEAD_END = "</head>"

# The sidebar's links to pages the public may not open (Fava's report names).
PUBLIC_HIDDEN_REPORTS = ("documents", "editor", "import", "options", "errors", "help")

_PUBLIC_STYLE = (
    "<style>"
    + ", ".join(f'aside li:has(> a[href*="/{name}/"])' for name in PUBLIC_HIDDEN_REPORTS)
    + " { display: none !important; }</style>"
)


_READABLE_STYLE = (
    "<style>"
    ".metadata-indicator { color: #1b2a33 !important; }"
    " .cm-placeholder { color: #555f66 !important; }"
    " .journal .link, article span.link { color: #243845 !important; }"
    " li.pending a, li.pending .link { color: #00375a !important; }"
    # A journal shows its postings (Buurtbudget.js): at full opacity, their links dark enough, their
    # amounts not each a scroll box of their own.
    " .journal .postings { opacity: 1 !important; } .journal .postings a { color: #00456e !important; }"
    " .journal .postings .num { overflow: visible !important; }"
    # Long lines (a query, an error) wrap rather than make a box that scrolls on a phone.
    " article pre { white-space: pre-wrap; overflow-wrap: anywhere; }"
    " article .description a, article h3 > a, article .help-text a, article p a"
    " { text-decoration: underline; }"
    "</style>"
)


def _unexpected(template: str) -> RuntimeError:
    # Fava's template changed shape: fail loudly rather than serve a page half in English.
    return RuntimeError(f"Fava's {template} heeft een onverwachte vorm; pas fava_layout.py aan")


class DutchLayoutLoader(BaseLoader):
    """Reads Fava's templates, giving `_layout.html` `lang="nl"`, the readable style (and, public, the sidebar's),
    and the journal's posting numbers the ledger's locale."""

    def __init__(self, inner: BaseLoader, *, public: bool):
        self.inner = inner
        self.public = public

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template == JOURNAL:
            if any(source.count(number) != 1 for number in _POSTING_NUMBERS):
                raise _unexpected(JOURNAL)
            for number in _POSTING_NUMBERS:
                source = source.replace(number, number.replace("|incognito", f"|{FILTER}|incognito"))
            return source, filename, uptodate
        if template != LAYOUT:
            return source, filename, uptodate
        if source.count(_HTML) != 1 or source.count(_HEAD_END) != 1:
            raise _unexpected(LAYOUT)
        source = source.replace(_HTML, '<html lang="nl">')
        style = _READABLE_STYLE + (_PUBLIC_STYLE if self.public else "")
        source = source.replace(_HEAD_END, style + "\n  " + _HEAD_END)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()
