"""The public plan page and the support costs in plain words, through the real service (werkzeug's client).

The books are `tests/service_workspace.py`'s testbuurt (Noord), whose plans are, in short:

    2025-02-01 custom "plan" Uitgaven:Plannen:Speeltuin "Speeltuin opknappen" 5000.00 EUR
      status: "gekozen"
    2025-02-01 custom "plan" Uitgaven:Plannen:Groen "Groene buurt" 1000.00 EUR
    2025-02-01 custom "plan" Uitgaven:Plannen:Buurtfeest "Buurtfeest" 500.00 EUR

    2025-03-10 * "Bouwmarkt Noord" "Verf en hout voor de speeltuin"
      Uitgaven:Plannen:Speeltuin:Materiaal   412.50 EUR
    2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen, ..."   (prive: TRUE)
      Uitgaven:Plannen:Groen:Materiaal        64.20 EUR
    2025-06-01 * "Ingrid Bakker" "Verf voor de bankjes"              (a name in prive-namen)
      Uitgaven:Plannen:Speeltuin:Materiaal    35.00 EUR
    2025-06-02 * "Bakkerij De Zon" "Taart, voorgeschoten door Kees Jansen ..."
      Uitgaven:Plannen:Buurtfeest:Catering    42.00 EUR

and support costs of 300.00 + 12.95 on an award of 10,000.00 (ceiling 8%: 800.00),
with `beheerder: "Stichting Voorbeeld"` in the header.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from werkzeug.test import Client

from buurtbudget_admin.service.fava_layout import PUBLIC_HIDDEN_REPORTS
from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from ledger.evaluatie.loading import read_ledger
from ledger.buurtbudget.money import format_eur
from tests.service_workspace import PRIVATE_NAMES, SECRETS, write_workspace

SLUG = "testbuurt-2025"
PAGE = f"/buurt/{SLUG}/extension/Buurtbudget/"


@pytest.fixture()
def service(tmp_path):
    workspace = write_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", (SLUG,), "geheim-anja")
    svc = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    return svc, Client(svc), workspace


def _text(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _by_id(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    assert match, element_id
    return html.unescape(match.group(1)).strip()


def _bookings(page: str) -> list[tuple[str, str, str]]:
    """(date · payee, narration, amount) per booking on a plan page."""
    found = re.findall(
        r'<li class="bbp-boeking">\s*<div class="boeking-kop"><span>(.*?)</span><span class="bedrag">(.*?)</span></div>'
        r'\s*<div class="boeking-tekst">(.*?) <span', page, re.S)
    return [(html.unescape(head), html.unescape(text).strip(), html.unescape(amount)) for head, amount, text in found]


def test_the_plan_page_shows_the_ledgers_figures_and_bookings(service):
    _svc, client, _ws = service
    page = _text(client, PAGE + "?plan=Speeltuin")
    assert _by_id(page, "bbp-titel") == "Speeltuin opknappen"
    assert _by_id(page, "bbp-status") == "gekozen"
    assert _by_id(page, "bbp-budget") == "€ 5.000,00"
    assert _by_id(page, "bbp-uitgegeven") == "€ 447,50 (8,95%)"  # 412.50 + 35.00
    assert _by_id(page, "bbp-nog") == "€ 4.552,50"
    categories = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(.*?)</td></tr>", page)
    assert categories == [("Materiaal", "€ 447,50")]
    # Ingrid Bakker is in the header's prive-namen: her payee is "Bewoner" in the public copy.
    assert _bookings(page) == [
        ("10-03-2025 · Bouwmarkt Noord", "Verf en hout voor de speeltuin", "€ 412,50"),
        ("01-06-2025 · Bewoner", "Verf voor de bankjes", "€ 35,00"),
    ]
    # Each booking opens in place (no script, no other request): the whole transaction.
    details = re.findall(r'<details class="bbp-detail" id="boeking-[0-9a-f]+">(.*?)</details>', page, re.S)
    assert len(details) == 2
    rows = re.findall(r'<td class="rekening">(.*?)</td><td class="num">(.*?)</td>', details[1])
    assert rows == [("Uitgaven:Plannen:Speeltuin:Materiaal", "€ 35,00"), ("Activa:Bank:Betaalrekening", "€ -35,00")]


def test_a_private_claim_on_the_plan_page_names_no_resident(service):
    _svc, client, _ws = service
    page = _text(client, PAGE + "?plan=Groen")
    details = re.search(r'<dl class="details">(.*?)</dl>', page, re.S).group(1)
    assert re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", details) == [
        ("ingevoerd door", "Henk"), ("goedgekeurd door", "Anja"), ("gedeclareerd door", "Bewoner"),
        ("links", "^decl-2025-004")]
    assert "Fatima" not in page and "NL02ABNA" not in page


def test_the_plan_pages_agree_with_the_real_ledgers_view(service):
    """Every plan's page against the view of the real books: same figures, same lines, names hidden."""
    _svc, client, workspace = service
    view = read_ledger(workspace / SLUG / "main.beancount").view
    assert len(view.plans) == 3
    for plan in view.plans:
        page = _text(client, PAGE + f"?plan={plan.name}")
        assert _by_id(page, "bbp-budget") == format_eur(plan.budget)
        assert _by_id(page, "bbp-uitgegeven").startswith(format_eur(plan.costs) + " (")
        assert _by_id(page, "bbp-nog") == format_eur(plan.remaining)
        amounts = [amount for _head, _text, amount in _bookings(page)]
        assert amounts == [format_eur(line.amount) for line in plan.lines]
        for secret in SECRETS:
            assert secret not in page, (plan.name, secret)
    groen = _text(client, PAGE + "?plan=Groen")
    # Fatima's claim (prive: TRUE): the payee is "Bewoner", on the page as in the copy.
    assert _bookings(groen) == [("02-05-2025 · Bewoner", "Declaratie: bloembollen, over te maken op [IBAN verborgen]",
                                 "€ 64,20")]


def test_the_overview_links_each_plan_and_says_what_is_left(service):
    _svc, client, _ws = service
    page = _text(client, PAGE)
    for name in ("Speeltuin", "Groen", "Buurtfeest"):
        assert f'href="{PAGE}?plan={name}"' in page
    left = [html.unescape(x) for x in re.findall(r'<span class="bb-nog">(.*?)</span>', page)]
    assert sorted(left) == sorted(["€ 4.552,50", "€ 935,80", "€ 458,00"])
    # 4552.50 + 935.80 + 458.00
    assert "Alle plannen samen: nog te besteden <strong>€ 5.946,30</strong>" in page


def test_the_support_costs_in_one_plain_sentence(service):
    _svc, client, _ws = service
    page = _text(client, PAGE)
    sentence = " ".join(re.sub(r"<[^>]+>", "", _by_id(page, "bb-ondersteuning-uitleg")).split())
    assert sentence == (
        "Ondersteuning (handelingskosten) is wat de penvoerder, Stichting Voorbeeld, rekent voor het beheer van "
        "het buurtbudget (administratie, betalingen, verantwoording): van de toekenning van € 10.000,00 ging "
        "€ 312,95 (3,13%) naar ondersteuning; het plafond is 8% (€ 800,00), er is nog € 487,05 ruimte.")
    # The gauge speaks one kind of percentage: shares of the award, its scale and the ceiling's mark.
    gauge = page[page.index('id="bb-gauge"'):page.index("</svg>", page.index('id="bb-gauge"'))]
    assert "van het plafond" not in gauge
    assert ">3,13%</text>" in gauge and ">van de toekenning</text>" in gauge
    assert ">plafond</text>" in gauge and ">8%</text>" in gauge and ">10%</text>" in gauge


def test_over_budget_and_a_later_status_show_on_the_plan_page(service):
    _svc, client, workspace = service
    ledger = workspace / SLUG / "main.beancount"
    ledger.write_text(ledger.read_text(encoding="utf-8") + """
2025-07-01 custom "plan" Uitgaven:Plannen:Buurtfeest "Buurtfeest" 40.00 EUR
  status: "afgerond"
""", encoding="utf-8")
    page = _text(client, PAGE + "?plan=Buurtfeest")
    assert _by_id(page, "bbp-status") == "afgerond · over budget"
    assert _by_id(page, "bbp-nog") == "€ -2,00"  # 40.00 - 42.00
    overview = _text(client, PAGE)
    assert "€ -2,00</span> · <span class=\"fout\">over budget</span>" in overview


def test_an_unknown_plan_says_so_and_its_name_stays_text(service):
    _svc, client, _ws = service
    page = _text(client, PAGE + "?plan=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert "Plan niet gevonden" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_allow_list_admits_the_plan_page_and_nothing_new(service):
    _svc, client, _ws = service
    assert client.get(PAGE + "?plan=Speeltuin").status_code == 200
    for path in ("extension/Buurtbudget/plan", "extension/Buurtbudget/Speeltuin/", "extension/Buurtbudget/pdf"):
        assert client.get(f"/buurt/{SLUG}/{path}").status_code in (403, 404), path


def test_the_extensions_script_that_names_favas_controls_is_served_to_both_views(service):
    """`fava_ext/Buurtbudget.js` (names for Fava's unnamed controls, issue 20's axe-core line): our own
    file, no figure of the books; the public allow-list admits exactly it."""
    import base64

    _svc, client, _ws = service
    public = client.get(f"/buurt/{SLUG}/extension_js_module/Buurtbudget.js")
    assert public.status_code == 200 and "javascript" in public.content_type
    assert "aria-label" in public.get_data(as_text=True)
    login = {"Authorization": "Basic " + base64.b64encode(b"anja:geheim-anja").decode()}
    assert client.get(f"/beheer/{SLUG}/extension_js_module/Buurtbudget.js", headers=login).status_code == 200
    assert client.get(f"/buurt/{SLUG}/extension_js_module/Andere.js").status_code in (403, 404)
    page = _text(client, f"/buurt/{SLUG}/journal/")
    assert ".metadata-indicator { color: #1b2a33" in page  # the readable style, in the public view too


def test_fava_pages_are_dutch_and_the_public_sidebar_hides_its_closed_doors(service):
    _svc, client, _ws = service
    public = _text(client, f"/buurt/{SLUG}/journal/")
    assert '<html lang="nl">' in public
    for name in PUBLIC_HIDDEN_REPORTS:
        assert f'aside li:has(> a[href*="/{name}/"])' in public
        # what the style hides is indeed shut for the public
        assert client.get(f"/buurt/{SLUG}/{name}/").status_code == 403, name
    import base64

    login = {"Authorization": "Basic " + base64.b64encode(b"anja:geheim-anja").decode()}
    beheer = client.get(f"/beheer/{SLUG}/journal/", headers=login).get_data(as_text=True)
    assert '<html lang="nl">' in beheer and "aside li:has" not in beheer
    for name in PRIVATE_NAMES:
        assert name not in public


def test_markup_from_the_books_stays_text_on_the_plan_page(service):
    """A plan's title, a payee and a narration are hostile strings: shown, never run.

        2025-07-01 custom "plan" Uitgaven:Plannen:Speeltuin "<script>alert(1)</script>" 5000.00 EUR
        2025-07-02 * "<img src=x onerror=alert(2)>" "<b>vet</b>"
          Uitgaven:Plannen:Speeltuin:Materiaal   1.00 EUR
          Activa:Bank:Betaalrekening
    """
    _svc, client, workspace = service
    ledger = workspace / SLUG / "main.beancount"
    ledger.write_text(ledger.read_text(encoding="utf-8") + """
2025-07-01 custom "plan" Uitgaven:Plannen:Speeltuin "<script>alert(1)</script>" 5000.00 EUR
  status: "lopend"

2025-07-02 * "<img src=x onerror=alert(2)>" "<b>vet</b>"
  document: "documents/2025-03-10-bouwmarkt.pdf"
  Uitgaven:Plannen:Speeltuin:Materiaal   1.00 EUR
  Activa:Bank:Betaalrekening
""", encoding="utf-8")
    page = _text(client, PAGE + "?plan=Speeltuin")
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>vet" not in page
    assert _by_id(page, "bbp-titel") == "<script>alert(1)</script>"
    assert _by_id(page, "bbp-status") == "lopend"
    assert ("02-07-2025 · <img src=x onerror=alert(2)>", "<b>vet</b>", "€ 1,00") in _bookings(page)
