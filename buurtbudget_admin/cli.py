"""The `buurtbudget` command: one typer app, commands grouped per module.

Every command module has `register(app)`. `main()` is the console script: it
turns every failure into a Dutch sentence and an exit status, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console

from buurtbudget_admin.errors import UserError
from ledger.loading import LedgerReadError

app = typer.Typer(
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
    "buurtbudget_admin.commands_reports",
    "buurtbudget_admin.commands_dossier",
]

err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # ":Bank:" is an account, not 🏦


def _register() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


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


def main(argv: list[str] | None = None) -> int:
    _register()
    try:
        result = app(args=argv, standalone_mode=False, prog_name="buurtbudget")
        return result if isinstance(result, int) else 0
    except SystemExit as exc:  # typer raises this for --help and explicit exits
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except UserError as exc:
        err_console.print(f"fout: {exc}", markup=False)
        return exc.exit_code
    except LedgerReadError as exc:
        where = f"{exc.path}:{exc.lineno}" if exc.lineno else exc.path
        err_console.print(f"fout: {where}: {exc.message}", markup=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("afgebroken", markup=False)
        return 130
    except Exception as exc:  # click's usage errors and everything unforeseen
        # typer ships its own copy of click: recognise its exceptions by shape, not class.
        name = type(exc).__name__
        exit_code = getattr(exc, "exit_code", None)
        if name == "Exit" and isinstance(exit_code, int):
            return exit_code
        if name == "Abort":
            err_console.print("afgebroken", markup=False)
            return 1
        if hasattr(exc, "format_message") and isinstance(exit_code, int):
            err_console.print(f"fout: {_dutch_usage(exc.format_message())}", markup=False)
            err_console.print("Zie 'buurtbudget --help' of 'buurtbudget OPDRACHT --help'.", markup=False)
            return exit_code
        if os.environ.get("BUURTBUDGET_DEBUG"):
            raise
        err_console.print(
            f"interne fout ({type(exc).__name__}: {exc}). Er is niets gewijzigd dat niet al was "
            "opgeslagen; meld dit met de opdracht die u gaf (BUURTBUDGET_DEBUG=1 toont details).",
            markup=False,
        )
        return 3
    return 0


def run() -> None:
    sys.exit(main())


__all__ = ["UserError", "app", "main", "run"]
