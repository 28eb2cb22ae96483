"""`buurtbudget check` without typer or rich: what the plain command runs.

`check` runs over whole workspaces and in scripts, so its start-up counts
(bench/bench_rules.py): this module imports the rules and the loader only.
`commands_ledger` gives typer the same function for `--help` and odd arguments.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from buurtbudget_admin.errors import UserError
from ledger.evaluatie.loading import LedgerReadError
from ledger.schrijver.toch import overschrijvingen
from rules.checking import Problem, check_ledger


def check(ledgers: list[Path], output_format: str = "tekst") -> int:
    """Controleer ledgers op beancount-fouten en de buurtbudget-regels.

    Exitcode 0: in orde; 1: overtredingen; 2: een bestand is niet te lezen.
    """
    if output_format not in ("tekst", "text", "json"):
        raise UserError(f"--format '{output_format}' onbekend; kies tekst of json")
    results: list[dict] = []
    all_problems: list[Problem] = []
    unreadable = 0
    forced = 0
    ledgers = _expand_workspaces(ledgers)
    for path in ledgers:
        try:
            loaded, problems = check_ledger(path)
        except LedgerReadError as exc:
            unreadable += 1
            problem = Problem(exc.path, exc.lineno, "BB-LEZEN", exc.message)
            all_problems.append(problem)
            results.append({"ledger": str(path), "leesbaar": False, "problemen": [problem.as_dict()]})
            if output_format == "json":
                continue
            print(problem.format())
            continue
        all_problems.extend(problems)
        toch = overschrijvingen(loaded.entries)
        forced += len(toch)
        notices = kader_meldingen(loaded.view.header_entry) + [
            {"bestand": o.bestand, "regel": o.regel, "datum": o.datum.isoformat(),
             "melding": f"toch geschreven door {o.door}, reden \"{o.reden}\" ({o.datum.isoformat()} {o.omschrijving})",
             "omschrijving": o.omschrijving, "toch-reden": o.reden, "toch-door": o.door}
            for o in toch]
        results.append({"ledger": str(loaded.path), "leesbaar": True, "problemen": [p.as_dict() for p in problems],
                        "meldingen": notices})
        if output_format != "json":
            for problem in problems:
                print(problem.format())
            # Notices, not problems: a violation that was overridden is judged (and counted) on its own.
            for notice in notices:
                print(f"{notice['bestand']}:{notice['regel']}: melding: {notice['melding']}")
    counts = Counter(p.code for p in all_problems)
    n = len(ledgers)
    if all_problems:
        detail = ", ".join(f"{code} {count}" for code, count in sorted(counts.items()))
        summary = f"{n} ledger(s) gecontroleerd: {len(all_problems)} probleem/problemen ({detail})"
    else:
        summary = f"{n} ledger(s) gecontroleerd: geen problemen"
    if unreadable:
        summary += f"; {unreadable} niet te lezen"
    if forced:
        summary += f"; {forced} keer bewust toch geschreven (zie de meldingen)"
    status = 2 if unreadable else (1 if all_problems else 0)
    if output_format == "json":
        print(json.dumps({"ledgers": results, "samenvatting": summary, "status": status,
                          "per_code": dict(sorted(counts.items()))}, ensure_ascii=False, indent=2))
    else:
        print(summary)
    return status


def kader_meldingen(header) -> list[dict]:
    """The recorded changes of the kader, as notices for the auditor (no violation: the exit status stays)."""
    from ledger.schrijver.kaderwijziging import kaderwijzigingen

    return [{"bestand": str(w.meta.get("filename", "")), "regel": int(w.meta.get("lineno") or 0),
             "melding": f"kader gewijzigd door {w.door}: {w.wijziging} (reden: {w.reden})"}
            for w in kaderwijzigingen(header)]


def check_plain(args: list[str]) -> int | None:
    """`check` with plain arguments (paths, `--format F`), run as typer would run it; None: ask typer.

    Help, unknown options and missing paths are left to typer, which says so in Dutch.
    """
    parsed = plain_args(args)
    return None if parsed is None else check(*parsed)


def plain_args(args: list[str]) -> tuple[list[Path], str] | None:
    """Paths and `--format F` of a workspace command; None when typer must read them (help, odd options)."""
    paths: list[Path] = []
    output_format = "tekst"
    rest = iter(args)
    for arg in rest:
        if arg == "--format":
            output_format = next(rest, None)
            if output_format is None:
                return None
        elif arg.startswith("--format="):
            output_format = arg.split("=", 1)[1]
        elif arg.startswith("-"):
            return None
        else:
            paths.append(Path(arg))
    if not paths:
        return None
    return paths, output_format


def _expand_workspaces(paths: list[Path]) -> list[Path]:
    """A workspace folder stands for every buurtbudget in it (`<slug>/main.beancount`)."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir() and not (path / "main.beancount").is_file():
            found = sorted(p for p in path.glob("*/main.beancount") if p.is_file())
            if found:
                expanded.extend(found)
                continue
        expanded.append(path)
    return expanded
