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
"""

from __future__ import annotations

from jinja2 import BaseLoader, Environment

LAYOUT = "_layout.html"
_HTML = "<html>"
_HEAD_END = "</head>"

# The sidebar's links to pages the public may not open (Fava's report names).
PUBLIC_HIDDEN_REPORTS = ("documents", "editor", "import", "options", "errors")

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
    " article .description a, article h3 > a, article .help-text a, article p a"
    " { text-decoration: underline; }"
    "</style>"
)


class DutchLayoutLoader(BaseLoader):
    """Reads Fava's templates, giving `_layout.html` `lang="nl"`, the readable style (and, public, the sidebar's)."""

    def __init__(self, inner: BaseLoader, *, public: bool):
        self.inner = inner
        self.public = public

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.inner.get_source(environment, template)
        if template != LAYOUT:
            return source, filename, uptodate
        # Fava's layout changed shape: fail loudly rather than serve a page without its language.
        if source.count(_HTML) != 1 or source.count(_HEAD_END) != 1:
            raise RuntimeError(f"Fava's {LAYOUT} heeft een onverwachte vorm; pas fava_layout.py aan")
        source = source.replace(_HTML, '<html lang="nl">')
        style = _READABLE_STYLE + (_PUBLIC_STYLE if self.public else "")
        source = source.replace(_HEAD_END, style + "\n  " + _HEAD_END)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()
