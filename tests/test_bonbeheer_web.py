"""A logged-in beheerder attaches, moves and removes receipts through the form of /beheer/<slug>/.

The ledger is `tests.service_workspace.NOORD` (in git): the support costs of
2025-03-31 carry the hardware store's receipt, and the bank costs of 2025-06-30
none. Every write is a commit by the person behind the login; every refusal
leaves the ledger's folder and git byte-identical.
"""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

from buurtbudget_admin.service.users import add_user, users_path
from buurtbudget_admin.service.wsgi import create_service
from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import folder_digest, receipt as make_receipt
from tests.service_workspace import git_workspace, post_form, session_client

BASE = "/beheer/testbuurt-2025/extension/Buurtbudget/"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def _ref(ledger: Path, first_line: str) -> str:
    lines = ledger.read_text(encoding="utf-8").split("\n")
    (n,) = [i + 1 for i, line in enumerate(lines) if line.startswith(first_line)]
    return f"main.beancount:{n}"


def _document(ledger: Path, narration: str) -> str | None:
    (entry,) = [e for e in read_ledger(ledger).entries if getattr(e, "narration", None) == narration]
    return entry.meta.get("document")


def test_attach_move_and_remove_a_receipt_as_the_logged_in_person(tmp_path: Path):
    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "anja", "beheerder", ("testbuurt-2025",), "geheim-anja",
             naam="Anja de Boer", email="anja@example.org")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    anja = session_client(service, "anja", "geheim-anja")
    ledger = workspace / "testbuurt-2025" / "main.beancount"

    page = anja.get(BASE).get_data(as_text=True)
    assert 'id="bb-bon"' in page and 'name="csrf_token"' in page
    for name in ("boeking", "actie", "bon", "bestaande_bon", "reden"):
        assert f'<label for="bb-bon-{name}">' in page and f'id="bb-bon-{name}" name="{name}"' in page
    ing = _ref(ledger, '2025-06-30 * "ING"')
    assert f'<option value="{ing}">' in page
    assert '<option value="decl-2025-004">' in page and '<option value="documents/2025-06-01-verf.pdf">' in page
    assert 'id="bb-bon"' not in anja.get("/buurt/testbuurt-2025/extension/Buurtbudget/").get_data(as_text=True)

    # Attach: the bank costs get a new receipt, copied in under a dated name.
    bon = make_receipt(tmp_path, "ING nota.pdf").read_bytes()
    response = post_form(anja, BASE + "bon", {"actie": "koppelen", "boeking": _ref(ledger, '2025-06-30 * "ING"'),
                                              "bon": (BytesIO(bon), "ING nota.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert _document(ledger, "Bankkosten") == "documents/2025-06-30-ing-nota.pdf"
    assert (ledger.parent / "documents/2025-06-30-ing-nota.pdf").read_bytes() == bon
    assert _git(workspace, "log", "-1", "--format=%an <%ae>|%s").startswith(
        "Anja de Boer <anja@example.org>|Bon documents/2025-06-30-ing-nota.pdf gekoppeld aan ING")

    # It belonged to the support costs: put it there (replacing theirs) and take it off the bank costs.
    response = post_form(anja, BASE + "bon", {"actie": "vervangen",
                                              "boeking": _ref(ledger, '2025-03-31 * "Stichting Voorbeeld"'),
                                              "bestaande_bon": "documents/2025-06-30-ing-nota.pdf"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    response = post_form(anja, BASE + "bon", {"actie": "verwijderen", "boeking": _ref(ledger, '2025-06-30 * "ING"')})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert _document(ledger, "Administratie eerste kwartaal") == "documents/2025-06-30-ing-nota.pdf"
    assert _document(ledger, "Bankkosten") is None
    assert _document(ledger, "Verf en hout voor de speeltuin") == "documents/2025-03-10-bouwmarkt.pdf"
    assert (ledger.parent / "documents/2025-06-30-ing-nota.pdf").read_bytes() == bon
    assert _git(workspace, "log", "-3", "--format=%an").split() == ["Anja", "de", "Boer"] * 3

    # Refusals: an approved (and paid) claim, a file outside documents/, a booking that is not there.
    before = folder_digest(ledger.parent), _git(workspace, "rev-parse", "HEAD")
    andere = make_receipt(tmp_path, "andere.pdf").read_bytes()
    for form, status, says in (
        ({"actie": "vervangen", "boeking": "decl-2025-004", "bon": (BytesIO(andere), "andere.pdf")}, 400,
         "goedgekeurd"),
        ({"actie": "verwijderen", "boeking": "decl-2025-004"}, 400, "goedgekeurd"),
        ({"actie": "koppelen", "boeking": _ref(ledger, '2025-06-30 * "ING"'),
          "bestaande_bon": "../../../../etc/hostname"}, 400, "geen bon in de bonnenmap"),
        ({"actie": "koppelen", "boeking": "main.beancount:2", "bon": (BytesIO(andere), "andere.pdf")}, 400,
         "daar begint geen boeking"),
        ({"actie": "koppelen", "boeking": _ref(ledger, '2025-06-30 * "ING"'),
          "bon": (BytesIO(b"<script>alert(1)</script>" * 20), "x.pdf")}, 400, "geen PDF, JPEG of PNG"),
        ({"actie": "wissen", "boeking": "decl-2025-004"}, 400, "actie"),
    ):
        response = post_form(anja, BASE + "bon", form)
        text = response.get_data(as_text=True)
        assert response.status_code == status and says in text, (form, text[:500])
        assert "<script>" not in text
        assert (folder_digest(ledger.parent), _git(workspace, "rev-parse", "HEAD")) == before


def test_only_a_logged_in_beheerder_changes_receipts(tmp_path: Path):
    workspace = git_workspace(tmp_path / "ws")
    add_user(users_path(workspace), "stad", "auditor", ("testbuurt-2025",), "geheim-stad", naam="Sanne Stad")
    service = create_service(workspace, cache_dir=tmp_path / "cache", check_interval=0.0)
    stad = session_client(service, "stad", "geheim-stad")
    ledger = workspace / "testbuurt-2025" / "main.beancount"
    assert 'id="bb-bon"' not in stad.get(BASE).get_data(as_text=True)
    before = folder_digest(ledger.parent)
    response = post_form(stad, BASE + "bon", {"actie": "verwijderen",
                                              "boeking": _ref(ledger, '2025-03-31 * "Stichting Voorbeeld"')})
    assert response.status_code == 403 and folder_digest(ledger.parent) == before
