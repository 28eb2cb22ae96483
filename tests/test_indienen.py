"""`/indienen/<token>`: a resident files a claim through an invitation, and sees its status.

The real dispatcher (`create_service`) over a git workspace of real ledgers, driven by werkzeug's
test client: every refusal leaves the ledger byte-identical and adds no commit; a claim enters the
ledger through the writer as submitted (`!`), entered by the invited person, who is also the author
of the commit; the stored photo has lost its EXIF (GPS).
"""

from __future__ import annotations

import datetime
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import ExifTags, Image, PngImagePlugin
from werkzeug.test import Client

from buurtbudget_admin import uitnodigingen
from buurtbudget_admin.service.indienen import PER_UUR
from buurtbudget_admin.service.wsgi import create_service
from buurtbudget_admin.valideren import valideer
from ledger.schrijver.boekingen import maak_afwijzing, maak_goedkeuring
from ledger.buurtbudget.bonnen import BonFout, zonder_metadata
from ledger.schrijver.schrijven import schrijf
from tests.service_workspace import git_workspace

SLUG = "testbuurt-2025"
NAAM = "Fatima el Amrani"
GPS = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 22.0, 30.0),
       ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (4.0, 53.0, 15.0)}


def foto_met_gps(breed: int = 80, hoog: int = 40) -> bytes:
    """A JPEG as a phone makes it: GPS position, camera make, rotated by its EXIF orientation (6: 90°)."""
    beeld = Image.new("RGB", (breed, hoog), (250, 250, 240))
    for x in range(0, breed, 8):
        beeld.putpixel((x, hoog // 2), (0, 0, 0))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Telefoonmerk"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = GPS
    uit = io.BytesIO()
    beeld.save(uit, format="JPEG", exif=exif, quality=95)
    inhoud = uit.getvalue()
    assert Image.open(io.BytesIO(inhoud)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's premise
    return inhoud


@pytest.fixture()
def omgeving(tmp_path):
    ws = git_workspace(tmp_path / "ws")
    u, token = uitnodigingen.nodig_uit(ws, SLUG, ("Speeltuin", "Buurtfeest"), NAAM, 14, "Henk")
    service = create_service(ws, cache_dir=tmp_path / "cache", check_interval=0.0)
    return ws, service, Client(service), u, token


def _ledger(ws: Path) -> bytes:
    return (ws / SLUG / "main.beancount").read_bytes()


def _commits(ws: Path) -> int:
    return int(subprocess.run(["git", "-C", str(ws), "rev-list", "--count", "HEAD"], capture_output=True,
                              text=True, check=True).stdout)


def _csrf(client: Client, token: str) -> str:
    html = client.get(f"/indienen/{token}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _velden(**anders) -> dict:
    velden = {"bedrag": "12,50", "datum": "2025-06-15", "omschrijving": "Verf voor de bankjes",
              "plan": "Speeltuin", "categorie": "Materiaal", "iban": "NL91 ABNA 0417 1643 00", "naam": NAAM}
    velden.update(anders)
    return velden


def _post(client: Client, token: str, bon: tuple[bytes, str] | None = None, csrf: bool = True, **anders):
    data = _velden(**anders)
    if csrf:
        data["csrf_token"] = _csrf(client, token)
    if bon is not None:
        data["bon"] = (io.BytesIO(bon[0]), bon[1])
    return client.post(f"/indienen/{token}", data=data, content_type="multipart/form-data",
                       headers={"Origin": "http://localhost"})


def test_het_formulier_past_bij_de_uitnodiging(omgeving):
    _ws, _service, client, _u, token = omgeving
    r = client.get(f"/indienen/{token}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and '<html lang="nl">' in html
    assert r.headers["Cache-Control"] == "private, no-store" and "default-src 'self'" in r.headers[
        "Content-Security-Policy"]
    assert 'accept="image/*,application/pdf" capture="environment"' in html
    for veld in ("bedrag", "datum", "omschrijving", "plan", "categorie", "iban", "naam", "bon"):
        assert f'<label for="{veld}">' in html and f'id="{veld}"' in html
    assert f'value="{NAAM}"' in html  # the name from the invitation
    plannen = re.findall(r'<option value="([^"]*)"', html.split('id="plan"')[1].split("</select>")[0])
    assert plannen == ["", "Speeltuin", "Buurtfeest"]  # only the invited plans, not Groen
    assert '<option value="Materiaal"' in html
    assert "Wat er met uw gegevens gebeurt" in html and "zeven jaar" in html and "Waarom" in html
    assert r.headers.get("Set-Cookie", "").startswith("bb_indienen=") and "Path=/indienen" in r.headers["Set-Cookie"]


@pytest.mark.parametrize("soort", ["onbekend", "verlopen", "ingetrokken", "andere-ledger"])
def test_een_ongeldige_link_is_404_en_schrijft_niets(omgeving, soort):
    ws, _service, client, u, token = omgeving
    if soort == "onbekend":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif soort == "verlopen":
        _u, token = uitnodigingen.nodig_uit(ws, SLUG, ("Speeltuin",), NAAM, 1, "Henk",
                                            nu=datetime.datetime.now(datetime.timezone.utc)
                                            - datetime.timedelta(days=2))
    elif soort == "ingetrokken":
        uitnodigingen.trek_in(ws, SLUG, u.id)
    else:  # an invitation for a buurtbudget that is not in this workspace
        _u, token = uitnodigingen.nodig_uit(ws, "bestaat-niet-2025", ("Speeltuin",), NAAM, 5, "Henk")
    voor, commits = _ledger(ws), _commits(ws)
    for r in (client.get(f"/indienen/{token}"), client.get(f"/indienen/{token}/status"),
              client.post(f"/indienen/{token}", data={**_velden(), "bon": (io.BytesIO(foto_met_gps()), "b.jpg")},
                          content_type="multipart/form-data")):
        html = r.get_data(as_text=True)
        assert r.status_code == 404, html
        assert "Link niet gevonden" in html and "verlopen of is ingetrokken" in html and 'lang="nl"' in html
        assert "Traceback" not in html and 'name="bedrag"' not in html
    assert _ledger(ws) == voor and _commits(ws) == commits


def test_een_declaratie_komt_als_ingediend_in_de_ledger_door_de_bewoner(omgeving):
    ws, service, client, u, token = omgeving
    voor = _ledger(ws).decode()
    r = _post(client, token, bon=(foto_met_gps(), "IMG_2031.jpg"))
    assert r.status_code == 303, r.get_data(as_text=True)
    assert r.headers["Location"].startswith(f"/indienen/{token}/status?nieuw=decl-2025-")
    na = _ledger(ws).decode()
    assert na.startswith(voor)  # only added
    toegevoegd = na[len(voor):]
    assert re.search(r'2025-06-15 ! "Fatima el Amrani" "Declaratie: Verf voor de bankjes" \^decl-2025-\d+', toegevoegd)
    for regel in ('declarant: "Fatima el Amrani"', 'iban: "NL91ABNA0417164300"', "prive: TRUE",
                  f'uitnodiging: "{u.id}"', 'ingevoerd-door: "Fatima el Amrani"',
                  "Uitgaven:Plannen:Speeltuin:Materiaal", "12.50 EUR"):
        assert regel in toegevoegd, regel
    assert "goedgekeurd-door" not in toegevoegd  # waits for the beheerder's four eyes
    auteur = subprocess.run(["git", "-C", str(ws), "log", "-1", "--format=%an|%s"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert auteur.startswith("Fatima el Amrani|Declaratie ^decl-2025-")
    document = re.search(r'document: "(documents/[^"]+)"', toegevoegd).group(1)
    assert document == "documents/2025-06-15-declaratie.jpg"
    opgeslagen = (ws / SLUG / document).read_bytes()
    beeld = Image.open(io.BytesIO(opgeslagen))
    assert dict(beeld.getexif()) == {} and b"Exif" not in opgeslagen and b"Telefoonmerk" not in opgeslagen
    assert beeld.size == (40, 80)  # orientation 6 applied to the pixels

    publiek = service.state.snapshot(SLUG).public_path.read_text(encoding="utf-8")
    assert "Declaratie: Verf voor de bankjes" in publiek  # the public copy shows the claim ...
    for prive in (u.id, "NL91ABNA0417164300", NAAM, "2025-06-15-declaratie.jpg"):
        assert prive not in publiek, prive  # ... without who, the invitation, the IBAN or the receipt

    status = client.get(r.headers["Location"])
    html = status.get_data(as_text=True)
    assert status.status_code == 200
    assert "Uw declaratie van € 12,50 is ontvangen" in html and "Ingediend, wacht op beoordeling" in html
    assert "Verf voor de bankjes" in html
    # Nothing of anyone else: not Fatima's own earlier claim entered by Henk, not Kees's.
    for ander in ("bloembollen", "Taart", "NL02ABNA0123456789", "NL91ABNA0417164300", "Kees", "Henk"):
        assert ander not in html, ander


def test_de_status_volgt_het_oordeel_van_de_beheerder(omgeving):
    ws, _service, client, _u, token = omgeving
    assert _post(client, token, bon=(foto_met_gps(), "a.jpg"), omschrijving="Kwasten").status_code == 303
    # Another purchase, another photo: the same photo twice is one expense (refused as a double claim).
    assert _post(client, token, bon=(foto_met_gps(96, 40), "b.jpg"), omschrijving="Slingers", plan="Buurtfeest",
                 bedrag="7,25").status_code == 303
    links = re.findall(r"\^(decl-2025-\d+)", _ledger(ws).decode())
    kwast, slinger = links[-2], links[-1]
    pad = ws / SLUG / "main.beancount"
    schrijf(pad, lambda stand: maak_goedkeuring(stand, kwast, "Anja"), door="Anja", valideer=valideer)
    schrijf(pad, lambda stand: maak_afwijzing(stand, slinger, "Geen bon van een winkel", "Anja"),
            door="Anja", valideer=valideer)
    html = client.get(f"/indienen/{token}/status").get_data(as_text=True)
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert len(items) == 2
    kwast_html = next(i for i in items if "Kwasten" in i)
    slinger_html = next(i for i in items if "Slingers" in i)
    assert "Goedgekeurd" in kwast_html and "Afgewezen" not in kwast_html
    assert "Afgewezen" in slinger_html and "Reden: Geen bon van een winkel" in slinger_html
    assert "€ 7,25" in slinger_html


def test_een_betaalde_declaratie_heet_betaald_en_andermans_declaraties_blijven_weg(omgeving):
    """Issue 20 line 5: the status reaches "betaald" once the bank paid the claim; the ledger's other claims
    (Kees Jansen's, and one of the same resident filed on paper, not through this link) never show."""
    ws, _service, client, _u, token = omgeving
    assert _post(client, token, bon=(foto_met_gps(), "a.jpg"), omschrijving="Kwasten").status_code == 303
    link = re.findall(r"\^(decl-2025-\d+)", _ledger(ws).decode())[-1]
    pad = ws / SLUG / "main.beancount"
    schrijf(pad, lambda stand: maak_goedkeuring(stand, link, "Anja"), door="Anja", valideer=valideer)
    assert "Goedgekeurd, wordt betaald" in client.get(f"/indienen/{token}/status").get_data(as_text=True)
    # The bank line of the payment, as an import writes it.
    with pad.open("a", encoding="utf-8") as ledger:
        ledger.write(f'\n2025-06-20 * "{NAAM}" "Uitbetaling declaratie" ^{link}\n'
                     "  Passiva:Declaraties   12.50 EUR\n  Activa:Bank:Betaalrekening\n")
    html = client.get(f"/indienen/{token}/status").get_data(as_text=True)
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert len(items) == 1 and "Kwasten" in items[0] and "Betaald" in items[0] and "wordt betaald" not in items[0]
    for ander in ("bloembollen", "Kees Jansen", "Taart", "64,20", "42,00", "decl-2025-004", "decl-2025-007"):
        assert ander not in html, ander


@pytest.mark.parametrize("veld,waarde,bon,melding", [
    ("bedrag", "12.5.0", None, "geen geldig bedrag"),
    ("bedrag", "-3,00", None, "negatief"),
    ("iban", "NL91ABNA0417164301", None, "IBAN"),
    ("iban", "", None, "vul het rekeningnummer"),
    ("plan", "Groen", None, "kies een plan uit de lijst"),  # a plan of the ledger, not of this invitation
    ("categorie", "Alcohol", None, "kies een categorie uit de lijst"),
    ("datum", "2031-01-01", None, "in de toekomst"),
    ("datum", "2024-12-31", None, "buiten de periode"),
    ("omschrijving", "   ", None, "vul een omschrijving in"),
    ("naam", "\u200b", None, "uw naam"),
    ("bon", None, (b"root:x:0:0:root:/root:/bin/bash\n" * 10, "bon.jpg"), "geen PDF, JPEG of PNG"),
    ("bon", None, (b"\xff\xd8\xff\xe0" + b"\x00" * 400, "kapot.jpg"), "beschadigde JPEG-foto"),
    ("bon", None, "geen", "voeg een foto of PDF van de bon toe"),
])
def test_een_fout_staat_bij_het_veld_en_de_ledger_blijft_gelijk(omgeving, veld, waarde, bon, melding):
    ws, _service, client, _u, token = omgeving
    voor, commits = _ledger(ws), _commits(ws)
    anders = {veld: waarde} if waarde is not None else {}
    r = _post(client, token, bon=None if bon == "geen" else (bon or (foto_met_gps(), "f.jpg")), **anders)
    html = r.get_data(as_text=True)
    assert r.status_code == 400, html
    fout = re.search(rf'<p class="fout" id="fout-{veld}">Fout: ([^<]+)</p>', html)
    assert fout and melding in fout.group(1), html
    assert f'aria-describedby="' in html.split(f'id="{veld}"')[1].split(">")[0]
    assert "Traceback" not in html
    if waarde is not None and veld not in ("plan", "categorie"):
        assert f'value="{waarde}"' in html  # what was typed stays
    assert _ledger(ws) == voor and _commits(ws) == commits


def test_een_bewoner_kan_een_dubbele_declaratie_niet_toch_indienen(omgeving):
    """Confirming a double is the beheerder's (`/beheer/`); the resident's form has no toch and ignores one."""
    ws, _service, client, _u, token = omgeving
    foto = foto_met_gps()
    assert _post(client, token, bon=(foto, "a.jpg")).status_code == 303
    voor, commits = _ledger(ws), _commits(ws)
    r = _post(client, token, bon=(foto, "a.jpg"), toch="y", reden="echt twee keer gekocht")
    pagina = r.get_data(as_text=True)
    assert r.status_code == 422 and ("al ingediend" in pagina or "staat er al" in pagina), pagina[:600]
    assert 'name="toch"' not in pagina and "echt twee keer gekocht" not in _ledger(ws).decode()
    assert (_ledger(ws), _commits(ws)) == (voor, commits)


def test_een_dubbele_bon_noemt_de_declaratie_van_een_ander_niet(omgeving):
    """The same receipt as Kees Jansen's claim: refused, without his name, amount, link or place in the books."""
    ws, _service, client, _u, token = omgeving
    pdf = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 8 + b"%%EOF\n"
    (ws / SLUG / "documents" / "kees-verf.pdf").write_bytes(pdf)
    with (ws / SLUG / "main.beancount").open("a", encoding="utf-8") as ledger:
        ledger.write('\n2025-06-02 ! "Kees Jansen" "Declaratie: verf" ^decl-2025-090\n'
                     '  declarant: "Kees Jansen"\n  iban: "NL91ABNA0417164300"\n'
                     '  document: "documents/kees-verf.pdf"\n  ingevoerd-door: "Kees Jansen"\n'
                     "  Uitgaven:Plannen:Speeltuin:Materiaal   37.80 EUR\n  Passiva:Declaraties\n")
    subprocess.run(["git", "-C", str(ws), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(ws), "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm",
                    "declaratie van Kees"], check=True)
    voor, commits = _ledger(ws), _commits(ws)
    r = _post(client, token, bon=(pdf, "verf.pdf"))
    pagina = r.get_data(as_text=True)
    assert r.status_code == 422 and "al ingediend" in pagina, pagina[:800]
    for ander in ("Kees", "37,80", "decl-2025-090", "main.beancount", "--toch", "kees-verf"):
        assert ander not in pagina, ander
    assert (_ledger(ws), _commits(ws)) == (voor, commits)


def test_zonder_csrf_token_geweigerd(omgeving):
    ws, _service, client, _u, token = omgeving
    voor = _ledger(ws)
    r = _post(client, token, bon=(foto_met_gps(), "f.jpg"), csrf=False)
    assert r.status_code == 400 and "Formulier verlopen" in r.get_data(as_text=True)
    assert _ledger(ws) == voor


def test_een_te_grote_bon_wordt_geweigerd(tmp_path, monkeypatch):
    monkeypatch.setenv("BUURTBUDGET_BON_MAX_MB", "0,2")  # 205 kB: the one limit of ledger.buurtbudget.bonnen
    ws = git_workspace(tmp_path / "ws")
    _u, token = uitnodigingen.nodig_uit(ws, SLUG, ("Speeltuin",), NAAM, 14, "Henk")
    client = Client(create_service(ws, cache_dir=tmp_path / "cache", check_interval=0.0))
    voor, commits = _ledger(ws), _commits(ws)
    # Over the limit, within what the form may carry: refused beside the field.
    r = _post(client, token, bon=(b"%PDF-1.4\n" + b"0" * 250_000 + b"\n%%EOF\n", "bon.pdf"))
    assert r.status_code == 400
    assert "Fout: de bon is te groot (0,2 MB; hoogstens 0,2 MB" in r.get_data(as_text=True)
    # Far over it: the request itself is refused, in Dutch.
    r = _post(client, token, bon=(b"%PDF-1.4\n" + b"0" * 500_000 + b"\n%%EOF\n", "bon.pdf"))
    assert r.status_code == 413 and "De bon is te groot: hoogstens 0,2 MB" in r.get_data(as_text=True)
    assert "Er is niets opgeslagen" in r.get_data(as_text=True)
    assert _ledger(ws) == voor and _commits(ws) == commits


def test_hoogstens_per_uur_formulieren_per_link(omgeving):
    ws, service, client, _u, token = omgeving
    voor = _ledger(ws)
    for _ in range(PER_UUR):
        assert _post(client, token, bon=None, bedrag="fout").status_code == 400
    r = _post(client, token, bon=(foto_met_gps(), "f.jpg"))
    html = r.get_data(as_text=True)
    assert r.status_code == 429 and "Even wachten" in html and f"al {PER_UUR} formulieren" in html
    assert int(r.headers["Retry-After"]) > 3000
    assert _ledger(ws) == voor
    # Another invitation's link is not held up.
    _u2, ander = uitnodigingen.nodig_uit(ws, SLUG, ("Speeltuin",), "Kees Jansen", 14, "Henk")
    assert _post(client, ander, bon=(foto_met_gps(), "f.jpg"), naam="Kees Jansen").status_code == 303


def test_zonder_metadata_haalt_exif_weg_en_laat_een_pdf_zoals_hij_is():
    foto = foto_met_gps()
    soort, extensie, schoon = zonder_metadata(foto, "de bon")
    assert (soort, extensie) == ("JPEG", ".jpg")
    beeld = Image.open(io.BytesIO(schoon))
    assert beeld.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {} and dict(beeld.getexif()) == {}
    assert beeld.size == (40, 80)

    png = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Kraaiennest 12, Amsterdam")
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = GPS
    scan = Image.frombytes("RGB", (30, 20), bytes((x * 37) % 251 for x in range(30 * 20 * 3)))
    scan.save(png, format="PNG", pnginfo=info, exif=exif)
    assert b"Kraaiennest" in png.getvalue()
    _s, extensie, schoon = zonder_metadata(png.getvalue(), "de bon")
    assert extensie == ".png" and b"Kraaiennest" not in schoon and b"eXIf" not in schoon
    assert Image.open(io.BytesIO(schoon)).size == (30, 20)

    pdf = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 10 + b"%%EOF\n"
    assert zonder_metadata(pdf, "de bon") == ("PDF", ".pdf", pdf)
    with pytest.raises(BonFout, match="beschadigde PNG-foto"):
        zonder_metadata(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b"\x00" * 200, "de bon")


def test_alleen_het_formulier_van_een_link_mag_een_bon_sturen():
    """The server's body limit (waitress, before the app): a receipt only with the form's cookie."""
    from buurtbudget_admin.service.grenzen import ANONYMOUS_BODY, BEHEER_BODY, body_limit

    assert body_limit("/indienen/abc", {"COOKIE": "bb_indienen=eyJ"}) == BEHEER_BODY
    assert body_limit("/indienen/abc", {}) == ANONYMOUS_BODY
    assert body_limit("/", {"COOKIE": "bb_indienen=eyJ"}) == ANONYMOUS_BODY
    assert body_limit("/buurt/x/", {"COOKIE": "bb_indienen=eyJ"}) == ANONYMOUS_BODY
