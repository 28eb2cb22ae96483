"""A double claim in the web form of /beheer/<slug>/: refused beside its field, written only when confirmed.

The real service (a logged-in session, the CSRF token, the writer and git). Confirming is the CLI's
`--toch --reden`: the same builder (`maak_declaratie`) records the reason as `dubbel-reden:`.
"""

from __future__ import annotations

import re
import subprocess
from io import BytesIO
from pathlib import Path

from tests.dagelijks_helpers import folder_digest, receipt as make_receipt
from tests.service_workspace import post_form
from tests.test_formulieren import BASE, _beside, anja_logged_in

CLAIM = {"datum": "2025-07-03", "bedrag": "23,40", "declarant": "Kees Bakker", "iban": "NL91ABNA0417164300",
         "plan": "Groen", "categorie": "Materiaal", "omschrijving": "Bloembollen"}


def _head(workspace: Path) -> str:
    return subprocess.run(["git", "-C", str(workspace), "log", "-1", "--format=%H %an <%ae>"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_a_double_claim_is_refused_beside_its_field_and_written_only_with_a_visible_reason(tmp_path: Path):
    workspace, anja = anja_logged_in(tmp_path)
    ledger_dir = workspace / "testbuurt-2025"
    receipt = make_receipt(tmp_path).read_bytes()

    def post(**extra):
        return post_form(anja, BASE + "declaratie", {**CLAIM, **extra, "bon": (BytesIO(receipt), "bon.pdf")})

    first = post()
    assert first.status_code == 200, first.get_data(as_text=True)[:400]
    # The main page offers no confirmation: only a refusal as a double does.
    assert 'name="toch"' not in anja.get(BASE).get_data(as_text=True)

    before = folder_digest(ledger_dir), _head(workspace)
    response = post()  # the same receipt file again
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "deze bon is al ingediend" in _beside(page, "bb-declaratie", "bon")
    assert re.search(r'<label for="bb-declaratie-toch">Toch indienen</label>\s*<input id="bb-declaratie-toch" '
                     r'name="toch" type="checkbox"', page)
    assert re.search(r'<label for="bb-declaratie-reden">Reden</label>\s*<input id="bb-declaratie-reden" '
                     r'name="reden" required', page)
    assert (folder_digest(ledger_dir), _head(workspace)) == before

    # Confirmed without a reason, or with one of only invisible characters: refused beside the reason.
    for reden in ("", "   ", "\u200b\u2060"):
        response = post(toch="y", reden=reden)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, (reden, page[:400])
        assert "reden" in _beside(page, "bb-declaratie", "reden")
        assert 'name="toch" type="checkbox" value="y" checked' in page  # the confirmation stays offered
        assert (folder_digest(ledger_dir), _head(workspace)) == before
    # A reason without the box ticked confirms nothing.
    response = post(reden="twee keer geleverd")
    assert response.status_code == 400 and (folder_digest(ledger_dir), _head(workspace)) == before

    response = post(toch="y", reden="twee keer  dezelfde\nbestelling, beide geleverd")
    assert response.status_code == 200, response.get_data(as_text=True)[:600]
    text = (ledger_dir / "main.beancount").read_text(encoding="utf-8")
    tweede = text[text.rindex('2025-07-03 ! "Kees Bakker"'):]
    first_link = re.search(r"\^(decl-2025-\d+)", text[text.index('2025-07-03 ! "Kees Bakker"'):]).group(1)
    assert f'dubbel-van: "^{first_link}"' in tweede
    assert 'dubbel-reden: "twee keer dezelfde bestelling, beide geleverd"' in tweede  # one line, as the CLI
    assert 'ingevoerd-door: "Anja de Boer"' in tweede
    assert _head(workspace).split(" ", 1)[1].startswith("Anja de Boer <")  # the git author: the login
