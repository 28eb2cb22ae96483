"""Tests that read like the books they check.

    @books()
    def test_speeltuin_over_budget(result):
        '''
        2025-02-01 custom "plan" Expenses:Plannen:Speeltuin "Speeltuin" 100.00 EUR
        ...
        '''
        assert result.codes == ["BB-PLAN"]

The docstring is appended to a standard ledger (header, accounts, an award of
EUR 10,000), written to a real file beside real receipt files, and loaded by
beancount with `plugin "rules"`. The test gets the load (`result.errors`) and
the load's one evaluation (`result.view`, what the plugin computed; no second
build). `standard(roots="nl")` is the same ledger with the Dutch root names
that `buurtbudget init` writes (`Activa`, `Passiva`, `Vermogen`, `Inkomsten`,
`Uitgaven`); `@books(roots="nl")` writes the docstring in those names too.
This is the one module that builds the standard test ledger; other fixture
modules can take their text from `standard(...)`.
"""

from __future__ import annotations

import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from beancount import loader

HEADER = """\
option "title" "Buurtbudget Testbuurt 2025"
option "operating_currency" "EUR"
option "documents" "documents"
plugin "{plugin}"

2025-01-01 custom "buurtbudget" "Testbuurt 2025"
  stadsdeel: "West"
  buurt: "Testbuurt"
  model: "B"
  begin: 2025-01-01
  einde: 2025-12-31
  iban: "NL91ABNA0417164300"
"""

ACCOUNTS = """
2025-01-01 open Assets:Bank:Betaalrekening EUR
2025-01-01 open Assets:Vordering:Gemeente EUR
2025-01-01 open Assets:Onverwerkt EUR
2025-01-01 open Liabilities:Crediteuren EUR
2025-01-01 open Liabilities:Declaraties EUR
2025-01-01 open Liabilities:Gemeente:Terugbetaling EUR
2025-01-01 open Income:Buurtbudget EUR
2025-01-01 open Expenses:Ondersteuning:Administratie EUR
2025-01-01 open Expenses:Ondersteuning:Bankkosten EUR
2025-01-01 open Expenses:Plannen:Speeltuin:Materiaal EUR
2025-01-01 open Expenses:Plannen:Speeltuin:Inhuur EUR
2025-01-01 open Expenses:Plannen:Speeltuin:Alcohol EUR
2025-01-01 open Expenses:Plannen:Speeltuin:Vervoer EUR
2025-01-01 open Expenses:Plannen:Groen:Materiaal EUR
2025-01-01 open Expenses:Plannen:Buurtfeest:Catering EUR
2025-01-01 open Expenses:Drukwerk EUR

2025-01-15 * "Gemeente Amsterdam" "Toekenning buurtbudget" #toekenning
  beschikking: "W-2025-001"
  Assets:Vordering:Gemeente   10000.00 EUR
  Income:Buurtbudget

2025-02-01 * "Gemeente Amsterdam" "Ontvangst toekenning"
  Assets:Bank:Betaalrekening   10000.00 EUR
  Assets:Vordering:Gemeente
"""

STANDARD = HEADER + ACCOUNTS

# The contract's root names: English (beancount's defaults) and Dutch (what `init` writes).
DUTCH_ROOTS = {"Assets": "Activa", "Liabilities": "Passiva", "Equity": "Vermogen",
               "Income": "Inkomsten", "Expenses": "Uitgaven"}


def in_roots(text: str, roots: str = "en") -> str:
    """Ledger text written with English root names, in the given roots (`en` or `nl`)."""
    if roots == "en":
        return text
    if roots != "nl":
        raise ValueError(f"roots: en of nl, niet {roots!r}")
    for english, dutch in DUTCH_ROOTS.items():
        text = text.replace(english + ":", dutch + ":")
    return text


def root_options(roots: str = "en") -> str:
    if roots == "en":
        return ""
    return "".join(f'option "name_{english.lower()}" "{dutch}"\n' for english, dutch in DUTCH_ROOTS.items())


def standard(roots: str = "en", plugin: str = "rules") -> str:
    """The standard ledger: options, header, accounts, the award of EUR 10,000 and its receipt."""
    return root_options(roots) + in_roots(STANDARD, roots).replace("{plugin}", plugin)
RECEIPTS = ("bon.pdf", "documents/2025-03-10-bouwmarkt.pdf")


@dataclass
class Result:
    path: Path
    entries: list
    errors: list
    options_map: dict

    @property
    def codes(self) -> list[str]:
        """The codes of the errors, in order; beancount's own errors as 'BEANCOUNT'."""
        return [e.message.split(" ", 1)[0] if e.message.startswith("BB-") else "BEANCOUNT" for e in self.errors]

    @property
    def messages(self) -> list[str]:
        return [e.message for e in self.errors]

    def line_of(self, snippet: str) -> int:
        """The line number of the first line that contains snippet."""
        text = self.path.read_text(encoding="utf-8")
        return text[: text.index(snippet)].count("\n") + 1

    def lines(self, code: str) -> list[int]:
        return [e.source["lineno"] for e in self.errors if e.message.startswith(code + " ")]

    @property
    def view(self):
        """The view of this load's one evaluation (the plugin's; built here only without a plugin)."""
        from ledger.evaluatie import bewaarde
        from ledger.view import build_view

        evaluatie = bewaarde(self.options_map, self.entries)
        return evaluatie.view if evaluatie is not None else build_view(self.entries, self.options_map)


def write_books(directory: Path, text: str, *, prefix: str | None = STANDARD, plugin: str = "rules",
                receipts: tuple[str, ...] = RECEIPTS, roots: str = "en") -> Path:
    for name in receipts:
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"%PDF-1.4\n% bon\n")
    (directory / "documents").mkdir(exist_ok=True)
    body = in_roots(textwrap.dedent(text), roots)
    if prefix is STANDARD:
        prefix = standard(roots, plugin)
    full = (prefix.format(plugin=plugin) if prefix is not None else "") + "\n" + body
    path = directory / "main.beancount"
    path.write_text(full, encoding="utf-8")
    return path


def load_books(directory: Path, text: str, **kwargs: Any) -> Result:
    path = write_books(directory, text, **kwargs)
    entries, errors, options_map = loader.load_file(str(path))
    return Result(path, entries, errors, options_map)


def books(*, prefix: str | None = STANDARD, plugin: str = "rules",
          receipts: tuple[str, ...] = RECEIPTS, roots: str = "en") -> Callable:
    """Decorate a test whose docstring is (the rest of) a ledger; it receives the loaded result."""

    def decorator(fn: Callable[[Result], None]) -> Callable[[], None]:
        def test() -> None:
            with tempfile.TemporaryDirectory() as tmp:
                fn(load_books(Path(tmp), fn.__doc__ or "", prefix=prefix, plugin=plugin, receipts=receipts,
                              roots=roots))

        test.__name__ = fn.__name__
        test.__qualname__ = fn.__qualname__
        test.__doc__ = fn.__doc__
        test.__module__ = fn.__module__
        return test

    return decorator
