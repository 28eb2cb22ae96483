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
modules take their text from `standard(...)`, whose keywords vary what they
need (model, stadsdeel, header fields, fewer accounts, a rules file on the
plugin line). `header(...)` alone is the prefix for tests that open their own
accounts.
"""

from __future__ import annotations

import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from beancount import loader

# The accounts every test buurtbudget opens: bank, the claim on the gemeente, the suspense
# account, the payables, the award and the two support accounts.
BASE_ACCOUNTS = (
    "Assets:Bank:Betaalrekening",
    "Assets:Vordering:Gemeente",
    "Assets:Onverwerkt",
    "Liabilities:Crediteuren",
    "Liabilities:Declaraties",
    "Liabilities:Gemeente:Terugbetaling",
    "Income:Buurtbudget",
    "Expenses:Ondersteuning:Administratie",
    "Expenses:Ondersteuning:Bankkosten",
)
# The plans' cost accounts the rule tests book on (Alcohol, which no plan may pay for,
# and Drukwerk, outside every plan, included).
PLAN_ACCOUNTS = (
    "Expenses:Plannen:Speeltuin:Materiaal",
    "Expenses:Plannen:Speeltuin:Inhuur",
    "Expenses:Plannen:Speeltuin:Alcohol",
    "Expenses:Plannen:Speeltuin:Vervoer",
    "Expenses:Plannen:Groen:Materiaal",
    "Expenses:Plannen:Buurtfeest:Catering",
    "Expenses:Drukwerk",
)
STANDARD_ACCOUNTS = BASE_ACCOUNTS + PLAN_ACCOUNTS

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


def _meta(values: dict[str, str]) -> str:
    return "".join(f'  {key}: "{value}"\n' for key, value in values.items())


def header(*, plugin: str = "rules", plugin_config: str | None = None, stadsdeel: str = "West",
           model: str = "B", begin: str = "2025-01-01", meta: dict[str, str] | None = None) -> str:
    """The options and the buurtbudget header of Testbuurt 2025 (English roots).

    `plugin_config` is the plugin line's config string (a rules file); `meta` adds
    header fields after the IBAN (beheerder, prive-namen, ...).
    """
    config = f' "{plugin_config}"' if plugin_config is not None else ""
    return (
        'option "title" "Buurtbudget Testbuurt 2025"\n'
        'option "operating_currency" "EUR"\n'
        'option "documents" "documents"\n'
        f'plugin "{plugin}"{config}\n'
        "\n"
        '2025-01-01 custom "buurtbudget" "Testbuurt 2025"\n'
        + _meta({"stadsdeel": stadsdeel, "buurt": "Testbuurt", "model": model})
        + f"  begin: {begin}\n  einde: 2025-12-31\n"
        + _meta({"iban": "NL91ABNA0417164300", **(meta or {})})
    )


def award(*, beschikking: str = "W-2025-001", receipt_meta: dict[str, str] | None = None) -> str:
    """The award of EUR 10,000 on 15 January and its receipt on 1 February (English roots)."""
    return (
        '2025-01-15 * "Gemeente Amsterdam" "Toekenning buurtbudget" #toekenning\n'
        + _meta({"beschikking": beschikking})
        + "  Assets:Vordering:Gemeente   10000.00 EUR\n"
        "  Income:Buurtbudget\n"
        "\n"
        '2025-02-01 * "Gemeente Amsterdam" "Ontvangst toekenning"\n'
        + _meta(receipt_meta or {})
        + "  Assets:Bank:Betaalrekening   10000.00 EUR\n"
        "  Assets:Vordering:Gemeente\n"
    )


def opens(accounts: tuple[str, ...] = STANDARD_ACCOUNTS) -> str:
    return "".join(f"2025-01-01 open {account} EUR\n" for account in accounts)


def standard(roots: str = "en", plugin: str = "rules", *, plugin_config: str | None = None,
             stadsdeel: str = "West", model: str = "B", header_meta: dict[str, str] | None = None,
             accounts: tuple[str, ...] = STANDARD_ACCOUNTS, beschikking: str = "W-2025-001",
             receipt_meta: dict[str, str] | None = None) -> str:
    """The standard ledger: options, header, accounts, the award of EUR 10,000 and its receipt.

    The keywords vary what the daily-work and service fixtures need (model, stadsdeel,
    fewer accounts, extra metadata); the defaults are the ledger the rule tests extend.
    """
    text = (header(plugin=plugin, plugin_config=plugin_config, stadsdeel=stadsdeel, model=model, meta=header_meta)
            + "\n" + opens(accounts) + "\n" + award(beschikking=beschikking, receipt_meta=receipt_meta))
    return root_options(roots) + in_roots(text, roots)


# The default prefix of `write_books` and `books`: the standard ledger in the test's roots and plugin.
STANDARD = standard()
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
        from ledger.evaluatie.resultaat import bewaarde
        from ledger.evaluatie.view import build_view

        evaluatie = bewaarde(self.options_map, self.entries)
        return evaluatie.view if evaluatie is not None else build_view(self.entries, self.options_map)


# A receipt as `ledger.buurtbudget.bonnen.controleer_bon` takes it: a small but complete PDF.
BON_PDF = (b"%PDF-1.4\n% bon\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
           b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def write_books(directory: Path, text: str, *, prefix: str | None = STANDARD, plugin: str = "rules",
                receipts: tuple[str, ...] = RECEIPTS, roots: str = "en") -> Path:
    for name in receipts:
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(BON_PDF)
    (directory / "documents").mkdir(exist_ok=True)
    body = in_roots(textwrap.dedent(text), roots)
    if prefix is STANDARD:
        prefix = standard(roots, plugin)
    full = (prefix if prefix is not None else "") + "\n" + body
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
