"""A beheerder invites an initiatiefnemer from /beheer/<slug>/: the same functions as `buurtbudget uitnodigen`.

The personal link is shown once, on the answer page of the creation, and works at /indienen/<token>;
the list of this ledger's invitations never shows a token; "Intrekken" makes the link 404. Only a
logged-in beheerder sees the section; a refusal leaves uitnodigingen.toml (and the ledger) byte-identical.
"""

from __future__ import annotations

import datetime
import html
import re
import subprocess
from pathlib import Path

from werkzeug.test import Client

from buurtbudget_admin import uitnodigingen
from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from tests.dagelijks_helpers import folder_digest
from tests.service_workspace import git_workspace, post_form, session_client

BASE = "/beheer/testbuurt-2025/extension/Buurtbudget/"
ORIGIN = {"Origin": "http://localhost"}
TOKEN = re.compile(r"/indienen/([A-Za-z0-9_-]{40,})")


def _service(tmp_path: Path):
    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja",
             naam="Anja de Boer", email="anja@example.org")
    add_user(users_path(workspace), "jan", "auditor", (), "geheim-jan", naam="Jan de Wit")
    return workspace, create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)


def _head(workspace: Path) -> str:
    return subprocess.run(["git", "-C", str(workspace), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout


def test_uitnodigen_toont_de_link_eenmaal_en_intrekken_maakt_hem_ongeldig(tmp_path: Path):
    workspace, service = _service(tmp_path)
    anja = session_client(service, "anja", "geheim-anja")
    ledger = folder_digest(workspace / "testbuurt-2025"), _head(workspace)

    page = anja.get(BASE).get_data(as_text=True)
    sectie = page.split('<section id="bb-uitnodigen">')[1].split("</section>")[0]
    assert "Initiatiefnemer uitnodigen" in sectie and "Anja de Boer" in sectie
    assert sorted(re.findall(r'name="plannen" value="([^"]+)"', sectie)) == ["Buurtfeest", "Groen", "Speeltuin"]
    assert 'id="bb-uitnodigen-dagen" name="dagen"' in sectie and 'value="14"' in sectie  # the CLI's default
    assert '<label for="bb-uitnodigen-naam">' in sectie

    r = post_form(anja, BASE + "uitnodigen", {"naam": "Fatima el Amrani", "plannen": ["Speeltuin", "Buurtfeest"],
                                               "dagen": "7"})
    antwoord = r.get_data(as_text=True)
    assert r.status_code == 200, antwoord[:600]
    assert r.headers["Cache-Control"] == "no-store"
    link = re.search(r'id="bb-uitnodiging-link" href="([^"]+)"', antwoord).group(1)
    assert link.startswith("http://localhost/indienen/")
    token = TOKEN.search(link).group(1)
    assert "niet nog eens getoond" in antwoord and "Fatima el Amrani" in antwoord

    (u,) = uitnodigingen.lees(workspace)
    assert (u.ledger, u.plannen, u.naam, u.door) == ("testbuurt-2025", ("Speeltuin", "Buurtfeest"),
                                                     "Fatima el Amrani", "Anja de Boer")
    over = u.verloopt - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=6, hours=23) < over <= datetime.timedelta(days=7)
    assert token not in uitnodigingen.pad(workspace).read_text(encoding="utf-8")
    assert (folder_digest(workspace / "testbuurt-2025"), _head(workspace)) == ledger  # outside the books

    # The link works: the resident's form, for the invited plans only.
    resident = Client(service)
    form = resident.get(f"/indienen/{token}")
    assert form.status_code == 200 and 'id="plan"' in form.get_data(as_text=True)
    assert "Groen" not in form.get_data(as_text=True).split('id="plan"')[1].split("</select>")[0]

    # The page lists it, never with its token.
    page = anja.get(BASE).get_data(as_text=True)
    rij = page.split(f'id="bb-uitnodiging-{u.id}"')[1].split("</div>")[0]
    assert "Fatima el Amrani" in rij and "Speeltuin, Buurtfeest" in rij and "geldig tot" in rij and "Intrekken" in rij
    assert token not in page and not TOKEN.search(page) and u.token_sha256 not in page

    r = post_form(anja, BASE + "uitnodiging_intrekken", {"uitnodiging": u.id})
    assert r.status_code == 200 and "ingetrokken" in r.get_data(as_text=True)
    assert resident.get(f"/indienen/{token}").status_code == 404
    page = anja.get(BASE).get_data(as_text=True)
    rij = page.split(f'id="bb-uitnodiging-{u.id}"')[1].split("</div>")[0]
    assert "<strong>ingetrokken</strong>" in rij and "Intrekken" not in rij
    assert not TOKEN.search(page)

    # Revoked twice: refused in Dutch, nothing changed.
    voor = uitnodigingen.pad(workspace).read_bytes()
    r = post_form(anja, BASE + "uitnodiging_intrekken", {"uitnodiging": u.id})
    assert r.status_code == 400 and "al ingetrokken" in r.get_data(as_text=True)
    assert uitnodigingen.pad(workspace).read_bytes() == voor
    # An invitation of another ledger (or none): refused, without the server's folders, nothing changed.
    anders, _ = uitnodigingen.nodig_uit(workspace, "anders-2025", ("Bankjes",), "Kees", 14, "Henk")
    voor = uitnodigingen.pad(workspace).read_bytes()
    r = post_form(anja, BASE + "uitnodiging_intrekken", {"uitnodiging": anders.id})
    tekst = r.get_data(as_text=True)
    assert r.status_code == 400 and anders.id in tekst and str(workspace) not in tekst
    assert uitnodigingen.pad(workspace).read_bytes() == voor and not uitnodigingen.lees(workspace)[-1].ingetrokken
    assert f'id="bb-uitnodiging-{anders.id}"' not in anja.get(BASE).get_data(as_text=True)  # this ledger's only


def _beside(page: str, fid: str, name: str) -> str:
    """The message beside field `name` of the refused form (its aria wiring checked)."""
    field = re.search(rf'<(?:input|fieldset) id="{fid}"[^>]*>', page)
    assert field, page[:2000]
    assert 'aria-invalid="true"' in field.group(0) and f'aria-describedby="{fid}-fout"' in field.group(0)
    message = re.search(rf'<span class="bb-veldfout" id="{fid}-fout">([^<]*)</span>', page[field.end():])
    assert message, page[field.end():field.end() + 600]
    return html.unescape(message.group(1))


def test_een_fout_staat_bij_het_veld_en_het_bestand_blijft_gelijk(tmp_path: Path):
    workspace, service = _service(tmp_path)
    uitnodigingen.nodig_uit(workspace, "testbuurt-2025", ("Groen",), "Piet de Vries", 14, "Anja de Boer")
    voor = uitnodigingen.pad(workspace).read_bytes()
    anja = session_client(service, "anja", "geheim-anja")
    for data, veld, zegt in (
        ({"naam": "", "plannen": ["Groen"], "dagen": "14"}, "bb-uitnodigen-naam", "vul dit veld in"),
        ({"naam": "Kees Jansen", "dagen": "14"}, "bb-uitnodigen-plannen", "kies minstens één plan"),
        ({"naam": "Kees Jansen", "plannen": ["Zwembad"], "dagen": "14"}, "bb-uitnodigen-plannen", "Zwembad"),
        ({"naam": "Kees Jansen", "plannen": ["Groen"], "dagen": "365"}, "bb-uitnodigen-dagen", "1 tot en met 90"),
    ):
        r = post_form(anja, BASE + "uitnodigen", data)
        page = r.get_data(as_text=True)
        assert r.status_code == 400, page[:500]
        assert zegt in _beside(page, veld, veld.rsplit("-", 1)[1])
        assert "Traceback" not in page and not TOKEN.search(page)
        assert uitnodigingen.pad(workspace).read_bytes() == voor
    # The values entered stay in the form.
    r = post_form(anja, BASE + "uitnodigen", {"naam": "Kees Jansen", "dagen": "10"})
    page = r.get_data(as_text=True)
    assert 'value="Kees Jansen"' in page and 'value="10"' in page


def test_geen_beheerder_geen_sectie_en_een_vervalste_post_wordt_geweigerd(tmp_path: Path):
    workspace, service = _service(tmp_path)
    u, token = uitnodigingen.nodig_uit(workspace, "testbuurt-2025", ("Groen",), "Piet de Vries", 14, "Anja de Boer")
    voor = uitnodigingen.pad(workspace).read_bytes()
    jan = session_client(service, "jan", "geheim-jan")
    page = jan.get(BASE).get_data(as_text=True)
    assert jan.get(BASE).status_code == 200 and "bb-uitnodigen" not in page and "Piet de Vries" not in page
    public = Client(service).get("/buurt/testbuurt-2025/extension/Buurtbudget/").get_data(as_text=True)
    assert "bb-uitnodigen" not in public and "Piet de Vries" not in public
    for endpoint, data in (("uitnodigen", {"naam": "Kees Jansen", "plannen": ["Groen"], "dagen": "14"}),
                           ("uitnodiging_intrekken", {"uitnodiging": u.id})):
        r = post_form(jan, BASE + endpoint, data, page=BASE)  # the auditor's own CSRF token
        assert r.status_code == 403 and "niet wijzigen" in r.get_data(as_text=True)  # the service's read-only
        assert uitnodigingen.pad(workspace).read_bytes() == voor
    anja = session_client(service, "anja", "geheim-anja")
    for data in ({"uitnodiging": u.id}, {"uitnodiging": u.id, "csrf_token": "vervalst"}):
        r = anja.post(BASE + "uitnodiging_intrekken", data=data, headers=ORIGIN, content_type="multipart/form-data")
        assert r.status_code == 400 and "CSRF-controle" in r.get_data(as_text=True)
    r = Client(service).post(BASE + "uitnodigen", data={"naam": "X", "plannen": ["Groen"], "dagen": "14"},
                             headers=ORIGIN, content_type="multipart/form-data")
    assert r.status_code in (302, 303, 401, 403)
    assert uitnodigingen.pad(workspace).read_bytes() == voor
    assert Client(service).get(f"/indienen/{token}").status_code == 200  # still valid: nothing was revoked


def test_de_pijplijn_zelf_weigert_wie_geen_beheerder_is(tmp_path: Path):
    """Behind the service's read-only guard, the form's own check (`may_book`) refuses too."""
    from types import SimpleNamespace

    from buurtbudget_admin.fava_ext import formulieren as f
    from ledger.evaluatie.loading import read_ledger

    workspace = git_workspace(tmp_path / "ws")
    ledger = workspace / "testbuurt-2025" / "main.beancount"
    plek = f.werkruimte_van(str(ledger), read_ledger(ledger).view)
    assert plek.pad == workspace.resolve() and plek.ledger == "testbuurt-2025"
    data = {"naam": "Kees Jansen", "plannen": ["Groen"], "dagen": "14"}
    from werkzeug.datastructures import MultiDict

    for mode, rol in (("beheer", "auditor"), ("publiek", "beheerder"), ("fava", "beheerder")):
        user = SimpleNamespace(role=rol, persoon="Jan de Wit", name="jan", email=None)
        uitslag = f.verwerk_buiten_boeken(f.SOORTEN["uitnodigen"], plek, mode, user, MultiDict(data))
        assert uitslag.status == 403 and uitslag.resultaat is None
    assert not uitnodigingen.pad(workspace).exists()
    user = SimpleNamespace(role="beheerder", persoon="Anja de Boer", name="anja", email=None)
    uitslag = f.verwerk_buiten_boeken(f.SOORTEN["uitnodigen"], plek, "beheer", user, MultiDict(data))
    assert uitslag.status == 200 and uitslag.resultaat[0].door == "Anja de Boer"
