"""The doors' judgements on their own (pure functions): which queries run, which edits are written.

The attack suite (`test_aanval.py`) tries them through a real server; here the
edge cases are cheap: a ledger that already has a refused line stays editable,
and only what an edit adds is judged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from buurtbudget_admin.service.editpolicy import EditRefused, check_edit
from buurtbudget_admin.service.queries import QueryRefused, check_query

LEDGER = """\
option "title" "Oud"
option "operating_currency" "EUR"
option "documents" "documents"
plugin "rules"
2025-01-01 custom "fava-option" "import-config" "importers.py"

2025-01-01 open Assets:Bank EUR
2025-01-01 open Expenses:Ondersteuning:Bankkosten EUR

2025-02-01 * "ING" "Bankkosten" ^k-1
  goedgekeurd-door: "Anja"
  Expenses:Ondersteuning:Bankkosten   1.00 EUR
  Assets:Bank
"""


@pytest.mark.parametrize("query", [
    "SELECT date, narration WHERE account ~ 'Bank'",
    "select sum(position) from postings group by account",
    "  BALANCES WHERE account ~ 'Ondersteuning'",
    "JOURNAL 'Assets:Bank'",
    "PRINT",
    "SELECT * FROM entries",
    "SELECT date FROM (SELECT date, account FROM postings) WHERE account ~ 'Bank'",
    "SELECT date WHERE narration ~ 'a;b' ;",
    # A bare name in FROM is a column, or one of the ledger's tables: never a file (the compiler says so).
    "SELECT date FROM geheim",
])
def test_read_statements_pass(query):
    check_query(query)


@pytest.mark.parametrize("query", [
    "", ".output /tmp/x", "output /tmp/x", ".run", "run x", ".tables", "help", ".set format csv",
    "EXPLAIN SELECT 1", "CREATE TABLE t (x str) USING \"csv:/etc/passwd\"", "INSERT INTO t (x) VALUES (1)",
    "SELECT x FROM #\"csv:/etc/passwd\"", "SELECT date FROM postings; .output /tmp/x", "SELECT " + "1," * 3000 + "1",
    "SELECT date FROM (SELECT * FROM #geheim)",
])
def test_everything_else_is_refused(query):
    with pytest.raises(QueryRefused):
        check_query(query)


def _edit(tmp_path: Path, new: str, old: str = LEDGER) -> None:
    path = tmp_path / "buurt" / "main.beancount"
    path.parent.mkdir(exist_ok=True)
    check_edit(path.parent, path, old, new)


def test_a_ledger_with_a_refused_line_stays_editable(tmp_path):
    """The import-config line came from the command line; an unrelated edit is judged on what it adds."""
    _edit(tmp_path, LEDGER + '\n2025-03-01 * "ING" "Bankkosten"\n  Expenses:Ondersteuning:Bankkosten   1.00 EUR\n'
                            '  Assets:Bank\n')
    # Moving entries, re-indenting and comments change no entry.
    moved = LEDGER.replace("2025-01-01 open Assets:Bank EUR\n", "") + "\n; verplaatst\n2025-01-01   open Assets:Bank  EUR\n"
    _edit(tmp_path, moved)


@pytest.mark.parametrize("new", [
    LEDGER.replace('"Bankkosten" ^k-1', '"Bankkosten maart" ^k-1'),  # an approved booking's narration
    LEDGER.replace('  goedgekeurd-door: "Anja"\n', ""),  # its approval taken away
    LEDGER.split("2025-02-01 *")[0],  # the approved booking removed
])
def test_an_approved_booking_is_sealed(tmp_path, new):
    with pytest.raises(EditRefused, match="goedgekeurd"):
        _edit(tmp_path, new)


@pytest.mark.parametrize("new,word", [
    (LEDGER + '2025-01-02 custom "fava-option" "import-config" "ander.py"\n', "import-config"),
    (LEDGER.replace("1.00 EUR", "2.00 EUR"), "goedgekeurd-door"),  # the approved amount changed
    (LEDGER.replace('"Anja"', '"Henk"'), "goedgekeurd-door"),
    (LEDGER.replace('plugin "rules"', 'plugin "rules"\nplugin "rules_evil"'), "plugin"),
    (LEDGER + 'include "sub/../../elders.beancount"\n', "include"),
    (LEDGER.replace('option "documents" "documents"', 'option "documents" "documents/.."'), "documents"),
])
def test_what_an_edit_adds_is_judged(tmp_path, new, word):
    with pytest.raises(EditRefused, match=word):
        _edit(tmp_path, new)


def test_allowed_plugins_and_includes(tmp_path):
    sub = tmp_path / "buurt" / "sub"
    sub.mkdir(parents=True)
    _edit(tmp_path, LEDGER + 'include "sub/2025.beancount"\n')
    # Plugin lines are the kader's: even an allowed one is not added from the web.
    with pytest.raises(EditRefused, match="plugin-regels"):
        _edit(tmp_path, LEDGER + 'plugin "rules.plan"\n')
