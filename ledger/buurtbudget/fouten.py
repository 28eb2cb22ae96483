"""One shape for every failure a user can fix.

    raise BonFout("bonbestand 'bon.txt' is geen PDF, JPEG of PNG")      # a Fout
    except Fout as exc: print(f"fout: {exc}")                           # the CLI, once

Every user-facing error of the project derives from `Fout`: a Dutch message,
and the file and line it is about where there is one (`bestand`, `regel`). The
command line catches `Fout` in one place; nothing a user can fix becomes an
"interne fout". A class says what kind of failure it is (a receipt, an amount,
a bank statement), never a second name for the same kind: input that does not
fit a ledger is `InvoerFout`, whether it came from `boek` or from `init`.

A rule's verdict is no exception but a beancount error (`rules.base.RuleError`);
its code is a field of it (`code`), not read back from its text.
"""

from __future__ import annotations

from typing import Iterable


class Fout(Exception):
    """A failure the user can fix: its message is Dutch; `bestand` and `regel` where known."""

    def __init__(self, message: str = "", *, bestand: str | None = None, regel: int | None = None):
        super().__init__(message)
        self.bestand = bestand
        self.regel = regel

    @property
    def waar(self) -> str | None:
        """`file:line` (or the file alone) this failure is about, or None."""
        if self.bestand is None:
            return None
        return f"{self.bestand}:{self.regel}" if self.regel else self.bestand


class InvoerFout(Fout, ValueError):
    """Input that does not fit this ledger (an unknown plan, a date outside the period, an empty name)."""


class WaardeFout(InvoerFout):
    """Values that do not fit a header or a kader: every problem, one Dutch clause each (`clauses`), in field
    order; the message joins them with "; " (a caller says whose values they are: "ongeldige kop: ...")."""

    def __init__(self, clauses: Iterable[str]):
        self.clauses: tuple[str, ...] = tuple(clauses)
        super().__init__("; ".join(self.clauses))
