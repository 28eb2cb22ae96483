"""Fava's templates as the service reads them escape everything (issue 17, item 2), without a browser.

The browser suite (`test_opmaak.py`) shows it on every page; here the same
property is checked where it is made: in the templates' syntax trees and in the
HTML the journal API hands to Fava's frontend.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import nodes

from buurtbudget_admin.service.fava_apps import create_fava
from tests.markup_workspace import DOCUMENT_NAME, SLUG, payload, write_markup_workspace


def _escaping_off(tree: nodes.Template) -> list[int]:
    """Lines of blocks that switch autoescape off (`{% autoescape false %}` in any spelling)."""
    found = []
    for block in tree.find_all(nodes.ScopedEvalContextModifier):
        for option in block.options:
            if option.key == "autoescape" and not (isinstance(option.value, nodes.Const) and option.value.value):
                found.append(block.lineno)
    return found


def test_fava_ships_a_template_that_switches_escaping_off():
    """The premise: read directly, Fava's journal rows are not escaped (so the loader below matters)."""
    from jinja2 import Environment, FileSystemLoader

    import fava

    plain = Environment(loader=FileSystemLoader(Path(fava.__file__).parent / "templates"))
    source = plain.loader.get_source(plain, "_journal_table.html")[0]
    assert _escaping_off(plain.parse(source)) != []


def test_no_template_of_either_app_switches_escaping_off(tmp_path):
    for mode in ("publiek", "beheer"):
        app = create_fava(lambda _slug: None, read_only=mode == "publiek", mode=mode)
        loader = app.jinja_loader
        names = [n for n in loader.list_templates() if n.endswith(".html")]
        assert "_journal_table.html" in names and "_layout.html" in names
        for name in names:
            source = loader.get_source(app.jinja_env, name)[0]
            assert _escaping_off(app.jinja_env.parse(source)) == [], (mode, name)
            assert app.select_jinja_autoescape(name), (mode, name)  # escaping is on for the whole template


def test_the_journal_api_hands_the_frontend_escaped_text(tmp_path):
    """Fava's frontend puts `api/journal_page`'s HTML into the page as is: the books' text in it is escaped."""
    ledger = write_markup_workspace(tmp_path / "ws")
    app = create_fava(lambda slug: ledger if slug == SLUG else None, read_only=True, mode="beheer")
    client = app.test_client()
    response = client.get(f"/{SLUG}/api/journal_page?page=1&order=asc")
    assert response.status_code == 200
    html = json.loads(response.get_data(as_text=True))["data"]["journal"]
    for field in ("payee", "narration", "note", "query", "plan", "header", "custom", "meta", "posting-meta"):
        assert f"onerror=alert(&#39;{field}-img&#39;)" in html, field
        assert f"&lt;script&gt;alert(&#39;{field}-script&#39;)&lt;/script&gt;" in html, field
    assert "&lt;img src=x onerror=alert(&#39;docname-img&#39;)&gt;" in html
    assert DOCUMENT_NAME not in html
    for tag in ("<img", "<script", "<svg", "<b>", 'href="javascript:', "href='javascript:"):
        assert tag not in html, tag
    # Fava's own markup is still markup, and ordinary text is escaped once, not twice.
    assert "<li class='transaction" in html and "<a href='" in html and "&amp;amp;" not in html
    assert payload("payee") not in html
