"""`buurtbudget demo [DIR]`: write the demo workspace and check every ledger in it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from buurtbudget_admin.demo import DemoExistsError, write_demo_workspace
from ledger.evaluatie.loading import LedgerReadError
from rules.checking import check_ledger


def demo(
    directory: Path = typer.Argument(Path("demo-werkruimte"), help="Nieuwe (of lege) map voor de demo-werkruimte."),
) -> int:
    """Schrijf de demo-werkruimte (drie buurtbudgetten) en controleer elke ledger.

    Eén ledger (de-baarsjes-2025) bevat met opzet een paar fouten, zodat u ziet hoe
    de controle ze meldt. Exitcode 0 als de werkruimte is geschreven.
    """
    import shutil

    from buurtbudget_admin.cli import UserError
    from buurtbudget_admin.demo import demo_gebruikers

    if shutil.which("git") is None:
        raise UserError("git is niet gevonden (PATH): de demo-werkruimte is een git-repository, zodat elke "
                        "wijziging wordt vastgelegd; installeer git en probeer het opnieuw", exit_code=1)
    gebruikers = demo_gebruikers()
    try:
        ledgers = write_demo_workspace(directory, met_gebruikers=gebruikers, met_git=True)
    except DemoExistsError as exc:
        raise UserError(f"{exc}; kies een andere map", exit_code=1)
    except OSError as exc:
        raise UserError(f"{directory}: kan de demo-werkruimte niet schrijven ({exc.strerror or exc})", exit_code=1)
    print(f"Demo-werkruimte geschreven in {directory} ({len(ledgers)} buurtbudgetten), "
          "een eigen git-repository: elke wijziging wordt daar vastgelegd.")
    print("Gebruikers (gebruikers.toml, alleen hashes). Wachtwoorden, nu eenmalig getoond:")
    for g in gebruikers:
        scope = "alle buurtbudgetten" if g.rol == "beheerder" else "leest alles, legt de vaststelling vast"
        print(f"  {g.login} ({g.naam}, {g.rol}, {scope}): {g.wachtwoord}")
    print(f"  Op de opdrachtregel: BUURTBUDGET_GEBRUIKER=joyce buurtbudget boek {directory}/k-buurt-2025 ...")
    for ledger in ledgers:
        slug = ledger.parent.name
        try:
            loaded, problems = check_ledger(ledger)
        except LedgerReadError as exc:  # pragma: no cover - the demo is generated valid
            print(f"{slug}: niet te lezen: {exc.message}")
            continue
        bookings = sum(1 for e in loaded.entries if type(e).__name__ == "Transaction")
        view = loaded.view
        figures = f"{bookings} boekingen, {len(view.plans)} plannen, toekenning {_eur(view.award)}"
        if not problems:
            print(f"{slug}: {figures}; controle: geen problemen")
            continue
        counts = Counter(p.code for p in problems)
        detail = ", ".join(f"{code} {n}" for code, n in sorted(counts.items()))
        print(f"{slug}: {figures}; controle: {len(problems)} probleem/problemen ({detail}) — met opzet, ter illustratie:")
        for problem in problems:
            print(f"  {problem.format()}")
    print(f"Controleer zelf: buurtbudget check {directory}/*/main.beancount")
    return 0


def _eur(amount) -> str:
    from ledger.buurtbudget.money import format_eur

    return format_eur(amount)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
