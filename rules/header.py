"""BB-HEADER: every ledger declares itself once, validly.

    2025-01-01 custom "buurtbudget" "K-buurt 2025"
      stadsdeel: "Zuidoost"
      buurt: "K-buurt"
      model: "C"
      begin: 2025-01-01
      einde: 2025-12-31

A ledger without this header, with two of them, or with one that does not
validate (unknown model, `einde` before `begin`, a malformed override) is an
error, never a silent default. A stadsdeel rules file that cannot be used is
reported here too, at its own file and line.
"""

from __future__ import annotations

from rules.base import Context, RuleError, violation

CODE = "BB-HEADER"
TITLE = "Kop van het buurtbudget aanwezig en geldig"


def violations(ctx: Context) -> list[RuleError]:
    errors = []
    for problem in ctx.view.header_errors:
        meta = problem.meta if problem.meta else ctx.ledger_source()
        errors.append(violation(CODE, meta, problem.message))
    if ctx.view.kader_error is not None:
        exc = ctx.view.kader_error
        errors.append(
            violation(CODE, {"filename": str(exc.path), "lineno": exc.lineno}, exc.melding)
        )
    return errors
