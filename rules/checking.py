"""Checking a ledger file: beancount's own errors plus every rule, evaluated once.

`check_ledger(path)` loads the file with the rules plugin deferred
(`rules.base.uitgesteld`) and then evaluates once: the view and the verdicts of
every rule (also without a `plugin "rules"` line, so our tools never show fewer
verdicts than `bean-check` would with the plugin), with the rules file the
plugin line names. The view it returns is that evaluation's.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import Any

from ledger.evaluatie.resultaat import Evaluatie, bewaar
from ledger.buurtbudget.kader import lees_regelbestand, regels_config
from ledger.evaluatie.loading import LoadedLedger, load_entries, resolve_ledger_path

import rules
from rules.base import Verzoek, _Onleesbaar, evaluate, uitgesteld, unreadable_error


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


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding of a rule as people are shown it: the statement, the extension page, the overview.

    `location` is the file relative to the ledger's folder with its line (`main.beancount:42`);
    `date` the date of the entry at that line; `context_hash` Fava's `#context-<hash>` of that entry.
    """

    code: str
    message: str
    filename: str | None = None
    lineno: int | None = None
    location: str = ""
    date: datetime.date | None = None
    context_hash: str | None = None


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """A rule (or another code) with what it found; no violations: passed."""

    code: str
    title: str
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations


def rule_verdicts(violations: list[Violation], *, andere: bool = False) -> tuple[RuleVerdict, ...]:
    """Every rule in the contract's order with its violations; `andere`: then every other code, by code."""
    found: dict[str, list[Violation]] = {}
    for v in violations:
        found.setdefault(v.code, []).append(v)
    out = [RuleVerdict(rule.CODE, rule.TITLE, tuple(found.pop(rule.CODE, ()))) for rule in rules.ALL_RULES]
    if andere:
        out.extend(RuleVerdict(code, code, tuple(vs)) for code, vs in sorted(found.items()))
    return tuple(out)


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


def error_code(error: Any) -> str:
    """A rule's code (the `code` field of its error), or the code we give beancount's own kind of error."""
    code = getattr(error, "code", None)
    if isinstance(code, str) and code:
        return code
    return _BEANCOUNT_CODES.get(type(error).__name__, "BC-FOUT")


def to_problem(error: Any) -> Problem:
    source = getattr(error, "source", None) or {}
    message = str(getattr(error, "message", error)).strip()
    code = error_code(error)
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


def evaluate_loaded(entries: list, options_map: dict, verzoeken: list[Verzoek], *,
                    tot: datetime.date | None = None, peildatum: datetime.date) -> tuple[Evaluatie | None, list]:
    """Evaluate a deferred load once; the errors it adds (the rules', or why the view failed).

    Every rule runs, also when the ledger asks for one alone (`plugin "rules.plan"`):
    our tools never show fewer verdicts than the contract has. The rules file is the
    one the plugin line names; two lines naming two files (never seen) give one
    evaluation each.
    """
    seen = verzoeken[0].entries if verzoeken else entries  # as the plugin saw them (before `pad`)
    configs = list(dict.fromkeys(v.config for v in verzoeken)) or [regels_config(options_map)]
    evaluatie: Evaluatie | None = None
    errors: list = []
    for config in configs:
        try:
            result = evaluate(seen, options_map, lees_regelbestand(options_map.get("filename"), config),
                              rules.ALL_RULES, peildatum, tot=tot, config=config)
        except _Onleesbaar as exc:
            errors.append(unreadable_error(options_map, exc))
            continue
        errors.extend(result.errors)
        evaluatie = evaluatie or result
    return evaluatie, errors


def check_ledger(path: str | os.PathLike, *, tot: datetime.date | None = None,
                 peildatum: datetime.date | None = None) -> tuple[LoadedLedger, list[Problem]]:
    """Load a ledger and evaluate it once: (the ledger with the evaluation's view, its problems).

    With `tot` the rules judge, and the view counts, the entries up to and
    including that day (beancount's own errors are of the whole file).
    `peildatum` (the day the phase is judged on) is `tot`, else today.
    """
    p = resolve_ledger_path(path)
    with uitgesteld() as verzoeken:
        entries, errors, options_map = load_entries(p)
    errors = list(errors)
    evaluatie, rule_errors = evaluate_loaded(entries, options_map, verzoeken, tot=tot,
                                             peildatum=peildatum or tot or datetime.date.today())
    errors.extend(rule_errors)
    if evaluatie is None:  # the view itself failed: say so, and give the figures of nothing
        evaluatie = evaluate([], options_map, lees_regelbestand(None), (), peildatum or tot or datetime.date.today())
    elif tot is None:
        bewaar(options_map, evaluatie, evaluatie.entries)
    loaded = LoadedLedger(p.resolve(), entries, errors, options_map, evaluatie.view)
    problems = [to_problem(e) for e in errors]
    # One problem once: the same error can come from two plugin lines.
    problems = list(dict.fromkeys(problems))
    return loaded, problems
