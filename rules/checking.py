"""Checking a ledger file: beancount's own errors plus every rule, once.

`check_ledger(path)` loads the file; when the ledger has no `plugin "rules"`
line the rules run here, so our tools never show fewer verdicts than
`bean-check` would with the plugin.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

from ledger.loading import LoadedLedger, load_entries, resolve_ledger_path, uses_rules_plugin
from ledger.view import build_view

import rules


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of `buurtbudget check`: where, which code, what."""

    filename: str
    lineno: int
    code: str
    message: str

    def format(self) -> str:
        return f"{self.filename}:{self.lineno}: {self.code} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"bestand": self.filename, "regel": self.lineno, "code": self.code, "melding": self.message}


# beancount's own errors get a code too, so every line of `check` reads the same.
_BEANCOUNT_CODES = {
    "ParserError": "BC-SYNTAX",
    "LexerError": "BC-SYNTAX",
    "ParserSyntaxError": "BC-SYNTAX",
    "LoadError": "BC-LADEN",
    "ValidationError": "BC-VALIDATIE",
    "BalanceError": "BC-SALDO",
    "BookingError": "BC-BOEKING",
    "DocumentError": "BC-DOCUMENT",
    "PadError": "BC-PAD",
}
# A Dutch gloss for the errors an administrator meets most.
_GLOSSES = (
    ("Transaction does not balance", "boeking is niet in evenwicht"),
    ("Invalid reference to unknown account", "rekening is niet geopend"),
    ("Invalid reference to inactive account", "rekening is (nog) niet open op die datum"),
    ("Balance failed", "saldocontrole klopt niet"),
    ("Duplicate open directive", "rekening is twee keer geopend"),
    ("syntax error", "syntaxfout"),
    ("Invalid token", "onleesbare tekst"),
)


def error_code(message: str, error: Any = None) -> str:
    first = message.split(" ", 1)[0]
    if first.startswith("BB-"):
        return first
    return _BEANCOUNT_CODES.get(type(error).__name__, "BC-FOUT")


def to_problem(error: Any) -> Problem:
    source = getattr(error, "source", None) or {}
    message = str(getattr(error, "message", error)).strip()
    code = error_code(message, error)
    if code.startswith("BB-"):
        text = message[len(code) + 1:]
    else:
        # One line: beancount may append a traceback, which no user should see.
        text = message.splitlines()[0] if message else ""
        for english, dutch in _GLOSSES:
            if english.lower() in text.lower():
                text = f"{dutch} ({text})"
                break
    return Problem(str(source.get("filename", "<onbekend>")), int(source.get("lineno") or 0), code, text)


def check_ledger(path: str | os.PathLike, *, tot: datetime.date | None = None,
                 peildatum: datetime.date | None = None) -> tuple[LoadedLedger, list[Problem]]:
    p = resolve_ledger_path(path)
    entries, errors, options_map = load_entries(p)
    errors = list(errors)
    if not uses_rules_plugin(options_map):
        _, rule_errors = rules.run_all(entries, options_map)
        errors.extend(rule_errors)
    view = build_view(entries, options_map, tot=tot, peildatum=peildatum)
    loaded = LoadedLedger(p.resolve(), entries, errors, options_map, view)
    problems = [to_problem(e) for e in errors]
    # One problem once: the same error can come from the plugin and a second run.
    problems = list(dict.fromkeys(problems))
    return loaded, problems


def verdicts(problems: list[Problem]) -> list[tuple[Any, list[Problem]]]:
    """Every rule with the problems it found (empty: passed), in the contract's order."""
    return [(rule, [p for p in problems if p.code == rule.CODE]) for rule in rules.ALL_RULES]
