"""The `buurtbudget` command: one typer app, commands grouped per module.

Every command module has `register(app)`. `main()` is the console script: it
turns every failure into a Dutch sentence and an exit status, never a traceback.
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import sys
from typing import Any

from buurtbudget_admin.errors import UserError
from ledger.buurtbudget.fouten import Fout
from ledger.evaluatie.loading import LedgerReadError


@functools.cache
def _app() -> Any:
    # typer and rich cost a plain `check` 0.1 s of imports: only the other commands load them.
    import typer

    return typer.Typer(
        name="buurtbudget",
        help="Boekhouding, regels en verantwoording van Amsterdamse buurtbudgetten.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

# Each module adds its commands; add a module here to add commands.
COMMAND_MODULES = [
    "buurtbudget_admin.commands_ledger",
    "buurtbudget_admin.commands_demo",
    "buurtbudget_admin.commands_service",
    "buurtbudget_admin.commands_dagelijks",
    "buurtbudget_admin.commands_bon",
    "buurtbudget_admin.commands_reports",
    "buurtbudget_admin.commands_dossier",
    "buurtbudget_admin.commands_signalen",
    "buurtbudget_admin.commands_kader",
    "buurtbudget_admin.commands_uitnodigen",
]


@functools.cache
def _err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # ":Bank:" is an account, not 🏦


def _say(text: str) -> None:
    _err_console().print(text, markup=False)


def __getattr__(name: str) -> Any:
    # `cli.app` and `cli.err_console` as before, built when first asked for.
    if name == "app":
        return _app()
    if name == "err_console":
        return _err_console()
    raise AttributeError(name)


# `check` runs over whole workspaces and in scripts: its plain form (`controle.check_plain`)
# imports neither typer, rich, the service, the demo nor the reports (its start-up is
# measured, bench/bench_rules.py); anything else it is given goes to typer with its own module only.
_ALONE = {"check": "buurtbudget_admin.commands_ledger"}


def _register(argv: list[str] | None = None) -> Any:
    args = sys.argv[1:] if argv is None else argv
    first = args[0] if args else None
    app = _app()
    for name in [_ALONE[first]] if first in _ALONE else COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


_USAGE_NL = (
    ("No such option", "onbekende optie"),
    ("No such command", "onbekende opdracht"),
    ("Missing option", "optie ontbreekt"),
    ("Missing argument", "argument ontbreekt"),
    ("Missing parameter", "parameter ontbreekt"),
    ("Invalid value for", "ongeldige waarde voor"),
    ("Got unexpected extra argument", "onverwacht extra argument"),
    ("Got unexpected extra arguments", "onverwachte extra argumenten"),
    ("requires an argument", "vraagt een waarde"),
    ("Did you mean", "Bedoelt u"),
)


def _dutch_usage(message: str) -> str:
    for english, dutch in _USAGE_NL:
        message = message.replace(english, dutch)
    return message


def _ongeldige_tekst(args: list[str]) -> str | None:
    """The Dutch refusal of an argument that is no UTF-8 (Python keeps such bytes as lone surrogates)."""
    for i, arg in enumerate(args):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            if arg.startswith("-") and "=" in arg:
                waar = arg.split("=", 1)[0]
            elif i and args[i - 1].startswith("-"):
                waar = args[i - 1]
            else:
                waar = f"argument {i + 1}"
            return (f"{waar}: de tekst is geen geldige UTF-8 (onleesbare tekens); typ hem opnieuw of zet de "
                    "terminal op UTF-8. Er is niets gewijzigd.")
    return None


def main(argv: list[str] | None = None) -> int:
    try:
        args = sys.argv[1:] if argv is None else argv
        fout = _ongeldige_tekst(args)
        if fout:
            _say(f"fout: {fout}")
            return 2
        if args[:2] == ["signalen", "gezien"]:
            # `signalen PATH...` takes any path; `signalen gezien` is the hidden command that marks one.
            args = argv = ["signalen-gezien", *args[2:]]
        if args[:2] == ["uitnodigen", "intrekken"]:
            args = argv = ["uitnodigen-intrekken", *args[2:]]
        if args[:1] == ["check"]:
            # The plain `check PATH... [--format F]` without typer: typer builds a pydantic
            # adapter per parameter (+12 MB, +0.1 s on every run). Anything else goes to typer.
            from buurtbudget_admin.controle import check_plain

            status = check_plain(args[1:])
            if status is not None:
                return status
        if args[:1] == ["signalen"]:
            from buurtbudget_admin.signalering import signalen_plain

            status = signalen_plain(args[1:])
            if status is not None:
                return status
        app = _register(argv)
        result = app(args=argv, standalone_mode=False, prog_name="buurtbudget")
        return result if isinstance(result, int) else 0
    except SystemExit as exc:  # typer raises this for --help and explicit exits
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except LedgerReadError as exc:
        where = f"{exc.path}:{exc.lineno}" if exc.lineno else exc.path
        _say(f"fout: {where}: {exc.message}")
        return 2
    except Fout as exc:  # every failure a user can fix (`ledger.buurtbudget.fouten`): said, never an "interne fout"
        _say(f"fout: {exc}")
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        _say("afgebroken")
        return 130
    except Exception as exc:  # click's usage errors and everything unforeseen
        # typer ships its own copy of click: recognise its exceptions by shape, not class.
        name = type(exc).__name__
        exit_code = getattr(exc, "exit_code", None)
        if name == "Exit" and isinstance(exit_code, int):
            return exit_code
        if name == "Abort":
            _say("afgebroken")
            return 1
        if hasattr(exc, "format_message") and isinstance(exit_code, int):
            _say(f"fout: {_dutch_usage(exc.format_message())}")
            _say("Zie 'buurtbudget --help' of 'buurtbudget OPDRACHT --help'.")
            return exit_code
        if os.environ.get("BUURTBUDGET_DEBUG"):
            raise
        _say(
            f"interne fout ({type(exc).__name__}: {exc}). Er is niets gewijzigd dat niet al was "
            "opgeslagen; meld dit met de opdracht die u gaf (BUURTBUDGET_DEBUG=1 toont details)."
        )
        return 3
    return 0


def _bevries_imports() -> None:
    """Leave what the imports made out of every later garbage collection.

    Modules live as long as a command does, and pydantic alone brings some 100,000
    objects: frozen, a full collection during a load no longer walks them again
    (a `check` of 10,000 bookings spends 0.08 s less in beancount's load). Only in
    the console script, a short-lived process: not in `main()`, which tests and
    other callers run in their own process, nor in the plugin inside bean-check or Fava.
    """
    if sys.argv[1:2] == ["check"]:
        import buurtbudget_admin.controle  # noqa: F401 - what `check` imports, before the freeze
    elif sys.argv[1:2] == ["signalen"]:
        import buurtbudget_admin.signalering  # noqa: F401
    gc.freeze()


def run() -> None:
    _bevries_imports()
    sys.exit(main())


__all__ = ["UserError", "app", "main", "run"]
