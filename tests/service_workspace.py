"""A small workspace of real ledgers full of private data, for the redaction and service tests.

Every secret the public view must hide is listed in `SECRETS`, so a test can
look for each of them in every response.
"""

from __future__ import annotations

from pathlib import Path

from tests.books import standard

PRIVATE_NAMES = ("Fatima el Amrani", "Kees Jansen", "Ingrid Bakker")
IBANS = ("NL02ABNA0123456789", "NL91ABNA0417164300", "NL44RABO0123456789", "NL44 RABO 0123 4567 89")
RECEIPTS = ("2025-05-02-bollen.pdf", "2025-03-10-bouwmarkt.pdf", "bon-kees-taart.jpg", "2025-06-01-verf.pdf")
SECRETS = PRIVATE_NAMES + IBANS + RECEIPTS

# The standard ledger in Dutch roots, in Noord, model C, with a beheerder and a private name
# in its header; then plans, costs, claims and notes full of private data.
NOORD = standard("nl", stadsdeel="Noord", model="C", beschikking="N-2025-001",
                 header_meta={"beheerder": "Stichting Voorbeeld", "prive-namen": "Ingrid Bakker"}) + """
2025-01-01 custom "fava-option" "language" "nl"

2025-02-01 custom "plan" Uitgaven:Plannen:Speeltuin "Speeltuin opknappen" 5000.00 EUR
  status: "gekozen"
  indiener: "Bewonersgroep Kraaiennest"

2025-02-01 custom "plan" Uitgaven:Plannen:Groen "Groene buurt" 1000.00 EUR
  indiener: "Kees Jansen"

2025-02-01 custom "plan" Uitgaven:Plannen:Buurtfeest "Buurtfeest" 500.00 EUR

2025-03-10 * "Bouwmarkt Noord" "Verf en hout voor de speeltuin"
  document: "documents/2025-03-10-bouwmarkt.pdf"
  tegenrekening: "NL44RABO0123456789"
  Uitgaven:Plannen:Speeltuin:Materiaal   412.50 EUR
  Activa:Bank:Betaalrekening

2025-03-31 * "Stichting Voorbeeld" "Administratie eerste kwartaal"
  document: "documents/2025-03-10-bouwmarkt.pdf"
  Uitgaven:Ondersteuning:Administratie   300.00 EUR
  Activa:Bank:Betaalrekening

2025-05-02 * "Fatima el Amrani" "Declaratie: bloembollen, over te maken op NL02ABNA0123456789" ^decl-2025-004
  declarant: "Fatima el Amrani"
  iban: "NL02ABNA0123456789"
  prive: TRUE
  document: "documents/2025-05-02-bollen.pdf"
  ingevoerd-door: "Henk"
  goedgekeurd-door: "Anja"
  Uitgaven:Plannen:Groen:Materiaal   64.20 EUR
  Passiva:Declaraties

2025-05-09 * "Fatima el Amrani" "Uitbetaling declaratie" ^decl-2025-004
  Passiva:Declaraties   64.20 EUR
  Activa:Bank:Betaalrekening

2025-06-01 * "Ingrid Bakker" "Verf voor de bankjes"
  document: "documents/2025-06-01-verf.pdf"
  Uitgaven:Plannen:Speeltuin:Materiaal   35.00 EUR
    document-extra: "bon-kees-taart.jpg"
  Activa:Bank:Betaalrekening

2025-06-02 * "Bakkerij De Zon" "Taart, voorgeschoten door Kees Jansen (rekening NL44 RABO 0123 4567 89)" ^decl-2025-007
  Uitgaven:Plannen:Buurtfeest:Catering   42.00 EUR
  Passiva:Declaraties

2025-06-09 * "Kees Jansen" "Uitbetaling" ^decl-2025-007
  prive: TRUE
  Passiva:Declaraties   42.00 EUR
  Activa:Bank:Betaalrekening

2025-06-30 * "ING" "Bankkosten"
  Uitgaven:Ondersteuning:Bankkosten   12.95 EUR
  Activa:Bank:Betaalrekening

2025-06-30 note Activa:Bank:Betaalrekening "Gebeld met Kees Jansen over de bon"

2025-06-30 document Uitgaven:Plannen:Buurtfeest:Catering "documents/bon-kees-taart.jpg"
"""

# A second ledger in another stadsdeel, with a violation (plan over budget).
ZUID = """\
option "title" "Buurtbudget Rivierenbuurt 2025"
option "operating_currency" "EUR"
option "documents" "documents"
plugin "rules"

2025-01-01 custom "buurtbudget" "Rivierenbuurt 2025"
  stadsdeel: "Zuid"
  buurt: "Rivierenbuurt"
  model: "A"
  begin: 2025-01-01
  einde: 2025-12-31

2025-01-01 open Assets:Bank:Betaalrekening EUR
2025-01-01 open Assets:Vordering:Gemeente EUR
2025-01-01 open Income:Buurtbudget EUR
2025-01-01 open Expenses:Plannen:Bankjes:Materiaal EUR
2025-01-01 open Expenses:Ondersteuning:Administratie EUR

2025-01-15 * "Gemeente Amsterdam" "Toekenning buurtbudget"
  Assets:Vordering:Gemeente   2000.00 EUR
  Income:Buurtbudget

2025-02-01 custom "plan" Expenses:Plannen:Bankjes "Bankjes in het park" 100.00 EUR

2025-03-01 * "Houthandel" "Hout voor bankjes"
  document: "documents/hout.pdf"
  Expenses:Plannen:Bankjes:Materiaal   150.00 EUR
  Assets:Vordering:Gemeente
"""


def write_workspace(root: Path) -> Path:
    """workspace/testbuurt-2025 and workspace/rivierenbuurt-2025, with their receipts."""
    for slug, text, receipts in (
        ("testbuurt-2025", NOORD, ("2025-03-10-bouwmarkt.pdf", "2025-05-02-bollen.pdf", "2025-06-01-verf.pdf",
                                   "bon-kees-taart.jpg")),
        ("rivierenbuurt-2025", ZUID, ("hout.pdf",)),
    ):
        folder = root / slug
        (folder / "documents").mkdir(parents=True, exist_ok=True)
        for name in receipts:
            (folder / "documents" / name).write_bytes(b"%PDF-1.4\n% bon\n")
        (folder / "main.beancount").write_text(text, encoding="utf-8")
    return root


_CLAIMS = """
2025-07-01 ! "Buurtbewoner A" "Declaratie: plantjes" ^decl-2025-010
  declarant: "Buurtbewoner A"
  iban: "NL91ABNA0417164300"
  ingevoerd-door: "{ingevoerd}"
  document: "documents/2025-05-02-bollen.pdf"
  Uitgaven:Plannen:Groen:Materiaal   20.00 EUR
  Passiva:Declaraties

2025-07-02 * "Buurtbewoner B" "Declaratie: aarde" ^decl-2025-011
  declarant: "Buurtbewoner B"
  iban: "NL91ABNA0417164300"
  ingevoerd-door: "{ingevoerd}"
  goedgekeurd-door: "{goedgekeurd}"
  document: "documents/2025-05-02-bollen.pdf"
  Uitgaven:Plannen:Groen:Materiaal   15.00 EUR
  Passiva:Declaraties

2025-07-03 * "Buurtbewoner C" "Declaratie: zaden" ^decl-2025-012
  declarant: "Buurtbewoner C"
  iban: "NL91ABNA0417164300"
  ingevoerd-door: "{ingevoerd}"
  goedgekeurd-door: "{goedgekeurd}"
  document: "documents/2025-05-02-bollen.pdf"
  Uitgaven:Plannen:Groen:Materiaal   5.00 EUR
  Passiva:Declaraties

2025-07-04 custom "betaalopdracht" "BB-20250704-001-AAAA"
  links: "decl-2025-012"
  aantal: 1
  totaal: 5.00 EUR
  bestand: "betaling-juli.xml"
  door: "{goedgekeurd}"
"""


def claims_beside(ingevoerd: str, goedgekeurd: str) -> str:
    """Claims beside the test ledger's bookings: one entered by `ingevoerd` waiting for a second person,
    one approved by `goedgekeurd` and not paid, one approved and in a payment batch that lies at the bank."""
    return _CLAIMS.format(ingevoerd=ingevoerd, goedgekeurd=goedgekeurd)


def user_workspace(root: Path, tail: str, users: tuple[tuple, ...]) -> Path:
    """`write_workspace` with `tail` after testbuurt-2025's ledger and these logins
    (each `(login, role, ledgers, password, full name or None)`, as `add_user` takes them)."""
    from buurtbudget_admin.service.users import add_user, users_path

    workspace = write_workspace(root)
    ledger = workspace / "testbuurt-2025" / "main.beancount"
    ledger.write_text(ledger.read_text(encoding="utf-8") + tail, encoding="utf-8")
    for login, role, ledgers, password, naam in users:
        add_user(users_path(workspace), login, role, ledgers, password, naam=naam)
    return workspace


def git_workspace(root: Path) -> Path:
    """`write_workspace` as a git work tree with one first commit (web writes become commits)."""
    import subprocess

    write_workspace(root)
    env_args = ["-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", *env_args, "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", *env_args, "-C", str(root), "commit", "-qm", "begin"], check=True)
    return root


class Served:
    """A real `buurtbudget serve` (waitress) in a subprocess on a free loopback port."""

    def __init__(self, workspace: Path, cache: Path, *extra: str):
        import re
        import subprocess
        import sys
        import time

        self.workspace = workspace
        self.process = subprocess.Popen(
            [sys.executable, "-m", "buurtbudget_admin", "serve", str(workspace), "--host", "127.0.0.1",
             "--port", "0", "--cache", str(cache), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        lines: list[str] = []
        self.address = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.match(r"Open (http://\S+) in uw browser", line)
            if match:
                self.address = match.group(1).rstrip("/")
                break
        self.output = "".join(lines)
        if not self.address:
            self.stop()
            raise AssertionError("de server startte niet:\n" + self.output)
        import threading

        # Keep reading the server's output so it never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for _line in self.process.stdout:
            pass

    def stop(self) -> None:
        import subprocess

        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def form_login(address: str, name: str, password: str, *, source: str | None = None) -> str | None:
    """Log in through /beheer/inloggen like a browser: the session cookie ("bb_sessie=..."), or None."""
    import http.client
    import re
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(address)

    def connect():
        return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60,
                                          source_address=(source, 0) if source else None)

    conn = connect()
    conn.request("GET", "/beheer/inloggen")
    response = conn.getresponse()
    page = response.read().decode()
    conn.close()
    cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    conn = connect()
    conn.request("POST", "/beheer/inloggen",
                 body=urlencode({"csrf_token": token, "gebruikersnaam": name, "wachtwoord": password}),
                 headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded",
                          "Origin": address})
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 303:
        return None
    return (response.getheader("Set-Cookie") or "").split(";")[0] or None


def session_client(app, name: str, password: str):
    """A werkzeug test client logged in through the login form (its cookie jar holds the session)."""
    import re

    from werkzeug.test import Client

    client = Client(app)
    page = client.get("/beheer/inloggen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/beheer/inloggen", data={"csrf_token": token, "gebruikersnaam": name,
                                                     "wachtwoord": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def browser_login(browser, address: str, credentials: dict[str, str], **context_args):
    """A Playwright browser context logged in through the login form (as a person does)."""
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.goto(f"{address}/beheer/inloggen")
    page.get_by_label("Gebruikersnaam").fill(credentials["username"])
    page.get_by_label("Wachtwoord").fill(credentials["password"])
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    assert page.url.rstrip("/").endswith("/beheer"), page.url
    page.close()
    return context


def post_form(client, url: str, data: dict, *, page: str | None = None, origin: str = "http://localhost"):
    """POST a form of a /beheer/ page as a browser does: with the page's CSRF token, if it carries one.

    `page` is the page that shows the form (default: the Buurtbudget page of the URL's ledger). Files
    go in `data` as (BytesIO, name) tuples, as werkzeug's test client takes them.
    """
    import re

    if page is None:
        page = url.split("/extension/")[0] + "/extension/Buurtbudget/"
    html = client.get(page).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if found and "csrf_token" not in data:
        data = {**data, "csrf_token": found.group(1)}
    return client.post(url, data=data, headers={"Origin": origin}, content_type="multipart/form-data")


def book_cost_in_browser(page, *, bedrag: str, begunstigde: str, omschrijving: str, bon: Path,
                         plan: str = "Speeltuin", categorie: str = "Materiaal", datum: str = "2025-07-02"):
    """Fill the cost form of the Buurtbudget page (`#bb-kosten`) by its labels, as a person does, and send it."""
    form = page.locator("#bb-kosten")
    form.get_by_label("Plan").select_option(plan)
    form.get_by_label("Categorie").select_option(categorie)
    form.get_by_label("Bedrag").fill(bedrag)
    form.get_by_label("Datum").fill(datum)
    form.get_by_label("Betaald aan").fill(begunstigde)
    form.get_by_label("Omschrijving").fill(omschrijving)
    form.get_by_label("Bon (PDF, JPEG of PNG)").set_input_files(str(bon))
    with page.expect_navigation():
        form.get_by_role("button", name="Boeken").click()
