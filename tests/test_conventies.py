"""docs/ledger-conventions.md stays true: its complete ledgers load as it says, its fragments parse.

A block that starts (after its `; verwacht:` line) with `option "title"` is a
complete ledger. It is written to a folder beside a small PDF for every
receipt it names and loaded by beancount with `plugin "rules"`, exactly as
`bean-check` would. Every other `beancount` block is a fragment of a ledger
and must parse without a syntax error (with the Dutch root names).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from beancount import loader
from beancount.parser import parser

DOC = Path(__file__).resolve().parent.parent / "docs" / "ledger-conventions.md"
_BLOCK = re.compile(r"^```beancount\n(.*?)^```", re.S | re.M)
_VERWACHT = re.compile(r"^; verwacht: (.+)$", re.M)
_DOCUMENT = re.compile(r'^\s+document[\w-]*: "([^"]+)"', re.M)
_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _blocks() -> list[str]:
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def _complete(block: str) -> bool:
    body = _VERWACHT.sub("", block, count=1).lstrip()
    return body.startswith('option "title"')


COMPLETE = [b for b in _blocks() if _complete(b)]
FRAGMENTS = [b for b in _blocks() if not _complete(b)]


def test_the_page_has_examples_of_both_kinds():
    assert COMPLETE, "no complete ledger on the conventions page"
    assert len(FRAGMENTS) >= 5


@pytest.mark.parametrize("block", COMPLETE, ids=lambda b: f"ledger{len(b)}")
def test_complete_ledger_loads_as_the_page_says(tmp_path: Path, block: str):
    verwacht = _VERWACHT.search(block)
    assert verwacht, "a complete ledger on the page must say what its load gives (; verwacht: ...)"
    expected = [] if verwacht.group(1).strip() == "geen" else sorted(verwacht.group(1).split())
    folder = tmp_path / "voorbeeld-2025"
    (folder / "documents").mkdir(parents=True)
    for name in _DOCUMENT.findall(block):
        (folder / "documents" / name).write_bytes(_PDF)
    ledger = folder / "main.beancount"
    ledger.write_text(block, encoding="utf-8")
    _entries, errors, _options = loader.load_file(str(ledger))
    codes = sorted(str(e.message).split(":")[0].split()[0] for e in errors)
    assert codes == expected, [str(e.message) for e in errors]


@pytest.mark.parametrize("block", FRAGMENTS, ids=lambda b: b.split("\n", 1)[0][:40])
def test_fragment_parses(block: str):
    # Fragments use the Dutch roots of the page's ledgers; the options are those of its complete ledger.
    roots = "".join(line + "\n" for line in COMPLETE[0].splitlines() if line.startswith('option "name_'))
    entries, errors, _options = parser.parse_string(roots + block)
    assert not errors, [str(e.message) for e in errors]
    assert entries, "a fragment on the page that holds no directive"
