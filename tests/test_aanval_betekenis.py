"""The raw editor judged by meaning, through a real `buurtbudget serve`.

The beheerder anja may add or change bookings that are not approved, paid or
closed. She may not change the kader (the header, the plugin and option lines,
the award), an approved or paid claim, a payment batch, or the auditor's
vaststelling. The ledger, besides the bookings of `service_workspace.NOORD`
(the paid claim ^decl-2025-004 among them):

    2025-07-01 * "Joop Nieuwkoop" "Declaratie: verf" ^decl-2025-010
      declarant: "Joop Nieuwkoop"
      iban: "NL91ABNA0417164300"
      ingevoerd-door: "Henk"
      goedgekeurd-door: "Anja"
      Uitgaven:Plannen:Speeltuin:Materiaal   25.00 EUR
      Passiva:Declaraties

    2025-07-02 ! "Mira Smit" "Declaratie: zaden" ^decl-2025-011    ; waiting: still hers to change
      ...

    2025-07-08 custom "betaalopdracht" "BB-20250708-001-4F2A"      ; ^decl-2025-010 waits at the bank
    2025-06-30 custom "vaststelling" 9000.00 EUR                    ; the auditor's decision

Every refusal is a 422 with the reason, and leaves every file byte-identical.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from buurtbudget_admin.service.users import add_user, users_path
from tests.service_workspace import Served, write_workspace
from tests.test_aanval import ANJA, SLUG, Site, fingerprint, put_source, source_of

EXTRA = """
2025-07-01 * "Joop Nieuwkoop" "Declaratie: verf" ^decl-2025-010
  declarant: "Joop Nieuwkoop"
  iban: "NL91ABNA0417164300"
  document: "documents/2025-06-01-verf.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Anja"
  Uitgaven:Plannen:Speeltuin:Materiaal   25.00 EUR
  Passiva:Declaraties

2025-07-02 ! "Mira Smit" "Declaratie: zaden" ^decl-2025-011
  declarant: "Mira Smit"
  iban: "NL91ABNA0417164300"
  document: "documents/2025-06-01-verf.pdf"
  ingevoerd-door: "Henk"
  Uitgaven:Plannen:Groen:Materiaal   12.00 EUR
  Passiva:Declaraties

2025-07-08 custom "betaalopdracht" "BB-20250708-001-4F2A"
  links: "decl-2025-010"
  aantal: 1
  totaal: 25.00 EUR
  bestand: "betaling-juli.xml"
  door: "Henk"

2026-03-02 custom "vaststelling" 9000.00 EUR
  door: "J. de Wit (stadsdeel Noord)"
  kenmerk: "N-2026-0312"
"""

HEADER_LINE = '  beheerder: "Stichting Voorbeeld"\n'


def _site(tmp_path_factory, extra: str):
    root = tmp_path_factory.mktemp("betekenis")
    workspace = write_workspace(root / "ws")
    ledger = workspace / SLUG / "main.beancount"
    ledger.write_text(ledger.read_text(encoding="utf-8") + extra, encoding="utf-8")
    add_user(users_path(workspace), ANJA[0], "beheerder", (SLUG,), ANJA[1])
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-C", str(workspace)]
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "begin"], check=True)
    served = Served(workspace, root / "cache")
    try:
        yield Site(served, root / "cache")
    finally:
        served.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from _site(tmp_path_factory, EXTRA)


@pytest.fixture(scope="module")
def open_site(tmp_path_factory):
    """The same books before the vaststelling: once it is recorded, the period's costs are closed to all."""
    yield from _site(tmp_path_factory, EXTRA[:EXTRA.index('2026-03-02 custom "vaststelling"')])


@pytest.fixture()
def untouched(site):
    before = fingerprint(site.workspace)
    yield
    assert fingerprint(site.workspace) == before


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _block(text: str, first_line: str) -> str:
    """The lines of the entry that starts with `first_line` (up to the blank line after it)."""
    start = text.index(first_line)
    end = text.find("\n\n", start)
    return text[start:end + 1 if end != -1 else len(text)]


def _without(text: str, first_line: str) -> str:
    return _replace(text, _block(text, first_line), "")


CLAIM_010 = '2025-07-01 * "Joop Nieuwkoop" "Declaratie: verf" ^decl-2025-010'
PAID_004 = '2025-05-02 * "Fatima el Amrani"'
PAYMENT_004 = '2025-05-09 * "Fatima el Amrani" "Uitbetaling declaratie" ^decl-2025-004'
BATCH = '2025-07-08 custom "betaalopdracht"'
VASTSTELLING = '2026-03-02 custom "vaststelling"'

REFUSED = [
    # 17.3: the kader switched off from the editor
    ("kader uit", lambda t: _replace(t, HEADER_LINE, HEADER_LINE + "  ondersteuning-max: 1\n"
                                     "  vier-ogen-vanaf: 100000000.00\n"), "kop"),
    ("periode", lambda t: _replace(t, "einde: 2025-12-31", "einde: 2026-12-31"), "kop"),
    ("begin", lambda t: _replace(t, "begin: 2025-01-01", "begin: 2024-01-01"), "kop"),
    ("uurtarief", lambda t: _replace(t, HEADER_LINE, HEADER_LINE + '  uurtarief-max: 500.00\n'), "kop"),
    ("bon-vanaf", lambda t: _replace(t, HEADER_LINE, HEADER_LINE + '  bon-vanaf: 100000.00\n'), "kop"),
    ("categorieen", lambda t: _replace(t, HEADER_LINE, HEADER_LINE + '  extra-categorieen: "Cadeaubonnen"\n'), "kop"),
    ("stadsdeel", lambda t: _replace(t, 'stadsdeel: "Noord"', 'stadsdeel: "West"'), "kop"),
    ("kop weg", lambda t: _without(t, '2025-01-01 custom "buurtbudget"'), "kop"),
    ("tweede kop", lambda t: t + '\n2025-01-02 custom "buurtbudget" "Anders"\n  stadsdeel: "West"\n', "kop"),
    ("plugin-pad", lambda t: _replace(t, 'plugin "rules"\n', 'plugin "rules" "/etc/shadow"\n'), "plugin-regels"),
    ("plugin weg", lambda t: _replace(t, 'plugin "rules"\n', ""), "plugin-regels"),
    ("extra plugin", lambda t: t + '\nplugin "rules.plan"\n', "plugin-regels"),
    ("optie", lambda t: _replace(t, 'option "operating_currency" "EUR"\n',
                                 'option "operating_currency" "EUR"\noption "title" "Anders"\n'), "option"),
    ("toekenning", lambda t: _replace(t, "Activa:Vordering:Gemeente   10000.00 EUR",
                                      "Activa:Vordering:Gemeente   20000.00 EUR"), "toekenning"),
    ("extra toekenning", lambda t: t + '\n2025-07-09 * "Gemeente Amsterdam" "Extra"\n'
                                   '  Activa:Vordering:Gemeente   5000.00 EUR\n  Inkomsten:Buurtbudget\n',
     "toekenning"),
    # 17.4: an approved claim's IBAN and declarant
    ("iban na goedkeuring", lambda t: _replace(t, _block(t, CLAIM_010), _block(t, CLAIM_010).replace(
        "NL91ABNA0417164300", "NL02ABNA0123456789")), "decl-2025-010 is al goedgekeurd"),
    ("declarant na goedkeuring", lambda t: _replace(t, 'declarant: "Joop Nieuwkoop"', 'declarant: "Boef"'),
     "decl-2025-010 is al goedgekeurd"),
    ("goedgekeurde weg", lambda t: _without(t, CLAIM_010), "decl-2025-010 is al goedgekeurd"),
    ("betaling erbij", lambda t: t + '\n2025-07-10 * "Joop Nieuwkoop" "Uitbetaling" ^decl-2025-010\n'
                                 '  Passiva:Declaraties   25.00 EUR\n  Activa:Bank:Betaalrekening\n',
     "decl-2025-010 is al goedgekeurd"),
    ("betaalde bedrag", lambda t: _replace(t, "Uitgaven:Plannen:Groen:Materiaal   64.20 EUR",
                                           "Uitgaven:Plannen:Groen:Materiaal   99.20 EUR"), "decl-2025-004 is al betaald"),
    ("betaling weg", lambda t: _without(t, PAYMENT_004), "decl-2025-004 is al betaald"),
    # payment batches
    ("batch totaal", lambda t: _replace(t, "totaal: 25.00 EUR", "totaal: 2500.00 EUR"), "betaalopdracht"),
    ("batch weg", lambda t: _without(t, BATCH), "betaalopdracht"),
    ("batch ingetrokken", lambda t: t + '\n2025-07-09 custom "betaalopdracht-ingetrokken" "BB-20250708-001-4F2A"\n'
                                    '  door: "anja"\n', "betaalopdracht"),
    # 17.5: the auditor's vaststelling
    ("vaststelling erbij", lambda t: t + '\n2026-03-03 custom "vaststelling" 10000.00 EUR\n  door: "stadsdeel"\n',
     "vaststelling"),
    ("vaststelling bedrag", lambda t: _replace(t, '"vaststelling" 9000.00 EUR', '"vaststelling" 10000.00 EUR'),
     "vaststelling"),
    ("vaststelling weg", lambda t: _without(t, VASTSTELLING), "vaststelling"),
]


@pytest.mark.parametrize("name,edit,reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_the_editor_refuses_what_a_beheerder_may_not_change(site, untouched, name, edit, reason):
    source = source_of(site)["source"]
    status, _h, body = put_source(site, edit(source))
    assert status == 422, (name, status, body[:300])
    message = json.loads(body)["error"]
    assert message.startswith("Wijziging geweigerd: main.beancount: ") and reason in message, message
    assert str(site.workspace) not in message


def test_a_slice_of_an_approved_claim_is_refused(site, untouched):
    q = quote("SELECT id WHERE 'decl-2025-010' IN links AND account ~ 'Uitgaven'")
    status, _h, body = site.get(f"/beheer/{SLUG}/api/query?query_string={q}", user=ANJA)
    assert status == 200, body
    entry_hash = json.loads(body)["data"]["rows"][0][0]
    status, _h, body = site.get(f"/beheer/{SLUG}/api/source_slice?entry_hash={entry_hash}", user=ANJA)
    sliced = json.loads(body)["data"]
    changed = sliced["slice"].replace("NL91ABNA0417164300", "NL02ABNA0123456789")
    for method, payload in (("PUT", {"entry_hash": entry_hash, "source": changed, "sha256sum": sliced["sha256sum"]}),
                            ("DELETE", None)):
        path = f"/beheer/{SLUG}/api/source_slice"
        if method == "DELETE":
            path += f"?entry_hash={entry_hash}&sha256sum={sliced['sha256sum']}"
        status, _h, answer = site.request(method, path, user=ANJA, body=payload)
        assert status == 422, (method, answer[:300])
        assert "decl-2025-010 is al goedgekeurd" in json.loads(answer)["error"]


def test_what_is_not_sealed_stays_hers_to_change(open_site):
    """A waiting claim, a new booking, moved lines and comments: written, one commit each."""
    site = open_site
    ledger = site.workspace / SLUG / "main.beancount"
    source = source_of(site)["source"]
    waiting = _replace(source, "Uitgaven:Plannen:Groen:Materiaal   12.00 EUR", "Uitgaven:Plannen:Groen:Materiaal   14.00 EUR")
    status, _h, body = put_source(site, waiting)
    assert status == 200, body
    assert "Uitgaven:Plannen:Groen:Materiaal   14.00 EUR" in ledger.read_text(encoding="utf-8")
    # Moving the header's lines around and commenting changes no entry of the kader.
    source = source_of(site)["source"]
    shuffled = _replace(source, '  buurt: "Testbuurt"\n', "") .replace(
        '  model: "C"\n', '  model: "C"\n  buurt: "Testbuurt"   ; verplaatst\n', 1)
    status, _h, body = put_source(site, shuffled)
    assert status == 200, body
    booking = ('\n2025-07-11 * "Bouwmarkt Noord" "Kwasten"\n  document: "documents/2025-03-10-bouwmarkt.pdf"\n'
               '  Uitgaven:Plannen:Speeltuin:Materiaal   8.00 EUR\n  Activa:Bank:Betaalrekening\n')
    status, _h, body = put_source(site, source_of(site)["source"] + booking)
    assert status == 200, body
    log = subprocess.run(["git", "-C", str(site.workspace), "log", "--format=%an|%s"], capture_output=True,
                         text=True).stdout.splitlines()
    assert len(log) == 4 and all(line.startswith("anja|Bewerkt in de editor") for line in log[:3])


def test_the_header_as_written_by_the_contract_still_loads(site):
    """Overrides the contract allows are no error: only changing them from the web is refused."""
    from rules.checking import check_ledger

    _loaded, problems = check_ledger(site.workspace / SLUG / "main.beancount")
    assert not [p for p in problems if p.code == "BB-HEADER"]
