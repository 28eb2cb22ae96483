"""Differential property test: the writer's verdict equals the reference verdict of bean-check.

Random sequences of bookings, claims, approvals, rejections, support costs and
plan declarations, written through `schrijf`, with hand edits between them
(`pad` + `balance`, `open`, `close`, an edit in the middle, a booking in the
included file, a changed `regels.toml`, a receipt deleted or put back). Consecutive
writes in this process reuse the previous write's load as their "before"
(`ledger.schrijver.vorige_stand`); the test runs with that record and without it, so the
record is held to the same reference. For every attempted write the
reference is computed independently: the workspace is copied, the change is
applied to the copy's files, and beancount's own `loader.load_file` (what
`bean-check` runs, with `plugin "rules"` from the ledger) loads the copy before
and after. The write must be accepted exactly when *after* has no error that
*before* lacks, where a measured violation (`sleutel`/`maat`, a failing balance
by how far it is off) that grows counts as new. An accepted write must leave
exactly the expected bytes; a refused one every file byte-identical.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rules
from buurtbudget_admin.valideren import valideer
from ledger.schrijver import vorige_stand
from ledger.schrijver.schrijven import Wijziging, WijzigingGeweigerd, schrijf
from tests.books import root_options
from tests.dagelijks_helpers import LEDGER

OPTIONS = root_options("nl")
BASE_MAIN = LEDGER + """
2025-01-01 open Uitgaven:Plannen:Speeltuin:Materiaal EUR
include "extra.beancount"
"""
BASE_EXTRA = OPTIONS + "\n2025-01-01 open Uitgaven:Plannen:Groen:Materiaal EUR\n"


# --------------------------------------------------------------------------- the reference


def _reference_errors(ledger: Path) -> list:
    """bean-check's errors; for a ledger without `plugin "rules"`, plus the rules run on its entries
    (what `buurtbudget check` shows)."""
    entries, errors, options_map = loader.load_file(str(ledger))  # the test session disables beancount's cache
    if not any(name == "rules" for name, _ in options_map["plugin"]):
        errors = list(errors) + list(rules.run_all(entries, options_map)[1])
    return errors


def _ref_key(error, root: Path) -> tuple:
    message = str(error.message).strip().splitlines()[0].replace(str(root), "<ws>")
    code = message.split(" ", 1)[0] if message.startswith("BB-") else type(error).__name__
    if getattr(error, "sleutel", None) is not None:
        return ("maat", code, error.sleutel), Decimal(error.maat)
    entry = error.entry
    if isinstance(entry, data.Balance):
        # How far off, from the two amounts beancount names (the error's entry has no diff_amount).
        off = re.search(r"expected (-?[\d.]+) (\w+) != accumulated (-?[\d.]+) \2", message)
        if off:
            return ("maat", code, entry.date, entry.account, entry.amount), abs(
                Decimal(off.group(3)) - Decimal(off.group(1)))
    if isinstance(entry, data.Transaction):
        who = (entry.date, entry.payee, entry.narration, frozenset(entry.links),
               tuple((p.account, p.units) for p in entry.postings))
    elif entry is None:
        who = None
    else:
        who = (type(entry).__name__, entry.date, getattr(entry, "account", None), getattr(entry, "type", None))
    # line numbers inside messages move with edits above them
    return ("fout", code, who, re.sub(r"\.beancount:\d+", ".beancount", message)), None


def _reference_accepts(before: list, after: list, root_before: Path, root_after: Path) -> bool:
    plain = Counter()
    worst: dict = {}
    for e in before:
        key, size = _ref_key(e, root_before)
        if size is None:
            plain[key] += 1
        else:
            worst[key] = max(size, worst.get(key, size))
    for e in after:
        key, size = _ref_key(e, root_after)
        if size is None:
            if plain[key]:
                plain[key] -= 1
            else:
                return False
        elif key not in worst or size > worst[key]:
            return False
    return True


# --------------------------------------------------------------------------- the workspace


class Werkruimte:
    def __init__(self, root: Path, plugin: bool = True):
        self.root = root
        self.folder = root / "b"
        self.folder.mkdir(parents=True)
        (self.folder / "documents").mkdir()
        (self.folder / "documents" / "bon.pdf").write_bytes(b"%PDF-1.4\n% bon\n")
        self.main = self.folder / "main.beancount"
        self.extra = self.folder / "extra.beancount"
        self.main.write_text(BASE_MAIN if plugin else BASE_MAIN.replace('plugin "rules"\n', ""), encoding="utf-8")
        self.extra.write_text(BASE_EXTRA, encoding="utf-8")
        self.claims = 0

    def files(self) -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in (self.main, self.extra)}

    def text(self, path: Path) -> str:
        # A hand edit may leave bytes beancount reads but that are no UTF-8 (in a comment): kept as they are.
        return path.read_bytes().decode("utf-8", "surrogateescape")


def _cost(datum: str, plan: str, bedrag: str, bon: bool, approver: str | None, tekst: str) -> str:
    lines = [f'{datum} * "Bouwmarkt" "{tekst}"', '  ingevoerd-door: "Henk"']
    if bon:
        lines.append('  document: "documents/bon.pdf"')
    if approver:
        lines.append(f'  goedgekeurd-door: "{approver}"')
    lines += [f"  Uitgaven:Plannen:{plan}:Materiaal   {bedrag} EUR", "  Activa:Bank:Betaalrekening"]
    return "\n".join(lines) + "\n"


def _claim(n: int, datum: str, plan: str, bedrag: str) -> str:
    return (f'{datum} ! "Fatima" "Declaratie {n}" ^decl-2025-{n:03d}\n  declarant: "Fatima"\n'
            '  iban: "NL02ABNA0123456789"\n  prive: TRUE\n  document: "documents/bon.pdf"\n'
            f'  ingevoerd-door: "Henk"\n  Uitgaven:Plannen:{plan}:Materiaal   {bedrag} EUR\n  Passiva:Declaraties\n')


def _find_claim(ws: Werkruimte, n: int):
    entries, _, _ = loader.load_file(str(ws.main))
    for e in entries:
        if isinstance(e, data.Transaction) and f"decl-2025-{n:03d}" in e.links and e.flag == "!":
            return e
    return None


# --------------------------------------------------------------------------- operations

DATES = st.sampled_from(["2025-03-01", "2025-07-01", "2025-12-31", "2026-02-01"])
PLANS = st.sampled_from(["Speeltuin", "Groen", "Zwembad"])
AMOUNTS = st.sampled_from(["10.00", "450.00", "2600.00", "5000.01"])

writes = st.one_of(
    st.tuples(st.just("boek"), DATES, PLANS, AMOUNTS, st.booleans(), st.sampled_from([None, "Ria", "Henk"]),
              st.sampled_from(["main", "extra"])),
    st.tuples(st.just("claim"), DATES, PLANS, st.sampled_from(["64.20", "600.00"])),
    st.tuples(st.just("goedkeuren"), st.integers(1, 3), st.sampled_from(["Ria", "Henk"])),
    st.tuples(st.just("afwijzen"), st.integers(1, 3)),
    st.tuples(st.just("ondersteuning"), st.sampled_from(["100.00", "700.00", "800.00"])),
    st.tuples(st.just("plan"), st.sampled_from(["Speeltuin", "Groen", "Zwembad"]),
              st.sampled_from(["100.00", "3000.00", "6000.00"])),
)
hand_edits = st.one_of(
    st.tuples(st.just("pad_balance"), st.sampled_from(["10000.00", "9000.00"])),
    st.tuples(st.just("balance"), st.sampled_from(["10000.00", "9990.00", "7000.00"])),
    st.tuples(st.just("open")),
    st.tuples(st.just("close")),
    st.tuples(st.just("midden"), st.sampled_from(["commentaar", "budget"])),
    st.tuples(st.just("extra_hand")),
    st.tuples(st.just("regels"), st.sampled_from(["50.00", "500.00", "weg"])),
    st.tuples(st.just("bon"), st.sampled_from(["weg", "terug"])),
    # bytes in a comment (bean-check reads them) or inside a string: a NUL bean-check reads there too,
    # a Latin-1 é or a lone 0xff it flags (UnicodeDecodeError); the writer must agree either way
    st.tuples(st.just("bytes"), st.sampled_from(["\x00", "\udce9", "\udcff"]),
              st.sampled_from(["commentaar", "tekst"])),
)
steps = st.lists(st.one_of(writes, writes, hand_edits), min_size=3, max_size=9)


def _hand(ws: Werkruimte, op: tuple) -> None:
    kind = op[0]
    main = ws.text(ws.main)
    if kind == "pad_balance":
        opening = "" if "open Vermogen:Beginsaldo" in main else "\n2025-01-01 open Vermogen:Beginsaldo EUR\n"
        main += opening + ("\n2025-02-15 pad Activa:Bank:Betaalrekening Vermogen:Beginsaldo\n"
                           f"2025-06-30 balance Activa:Bank:Betaalrekening {op[1]} EUR\n")
    elif kind == "balance":
        main += f"\n2025-12-31 balance Activa:Bank:Betaalrekening {op[1]} EUR\n"
    elif kind == "open":
        main += "\n2025-01-01 open Uitgaven:Plannen:Zwembad:Materiaal EUR\n"
    elif kind == "close":
        main += "\n2025-06-30 close Uitgaven:Plannen:Groen:Materiaal\n"
    elif kind == "midden":
        if op[1] == "commentaar":  # every line below moves
            main = main.replace('option "documents" "documents"\n',
                                'option "documents" "documents"\n\n; met de hand\n; nog een regel\n', 1)
        else:
            main = main.replace('"Speeltuin opknappen" 5000.00 EUR', '"Speeltuin opknappen" 2500.00 EUR', 1)
    elif kind == "extra_hand":
        ws.extra.write_text(ws.text(ws.extra) + "\n" + _cost("2025-04-01", "Groen", "20.00", False, None, "hand"),
                            encoding="utf-8")
    elif kind == "bon":  # the receipt of every booking that names it, gone from disk or back
        bon = ws.folder / "documents" / "bon.pdf"
        if op[1] == "weg":
            bon.unlink(missing_ok=True)
        else:
            bon.write_bytes(b"%PDF-1.4\n% bon\n")
    elif kind == "bytes":
        main += (f"\n; met de hand: caf{op[1]} \n" if op[2] == "commentaar"
                 else f'\n2025-01-01 event "hand" "caf{op[1]}"\n')
    elif kind == "regels":
        regels = ws.root / "regels.toml"
        if op[1] == "weg":
            regels.unlink(missing_ok=True)
        else:
            regels.write_text(f'[kader]\nvier-ogen-vanaf = "{op[1]}"\n', encoding="utf-8")
    ws.main.write_bytes(main.encode("utf-8", "surrogateescape"))


def _change(ws: Werkruimte, op: tuple) -> dict[Path, str] | None:
    """The complete new text of every file the write changes (None: nothing to do)."""
    kind = op[0]
    main, extra = ws.text(ws.main), ws.text(ws.extra)
    if kind == "boek":
        _, datum, plan, bedrag, bon, approver, where = op
        text = _cost(datum, plan, bedrag, bon, approver, f"kosten {bedrag}")
        return {ws.extra: extra + "\n" + text} if where == "extra" else {ws.main: main + "\n" + text}
    if kind == "claim":
        ws.claims += 1
        return {ws.main: main + "\n" + _claim(ws.claims, op[1], op[2], op[3])}
    if kind == "goedkeuren":
        claim = _find_claim(ws, op[1])
        if claim is None:
            return None
        lines = main.split("\n")
        n = claim.meta["lineno"]
        lines[n - 1] = lines[n - 1].replace(" ! ", " * ", 1)
        lines.insert(n, f'  goedgekeurd-door: "{op[2]}"')
        return {ws.main: "\n".join(lines)}
    if kind == "afwijzen":
        claim = _find_claim(ws, op[1])
        if claim is None:
            return None
        posting = claim.postings[0]
        return {ws.main: main + f'\n2025-08-01 * "Fatima" "Afwijzing" ^decl-2025-{op[1]:03d}\n'
                f'  afgewezen-door: "Ria"\n  reden: "geen bon"\n  {posting.account}   -{posting.units.number} EUR\n'
                '  Passiva:Declaraties\n'}
    if kind == "ondersteuning":
        return {ws.main: main + f'\n2025-05-01 * "Kantoor" "Administratie"\n  document: "documents/bon.pdf"\n'
                f'  ingevoerd-door: "Henk"\n  goedgekeurd-door: "Ria"\n'
                f"  Uitgaven:Ondersteuning:Administratie   {op[1]} EUR\n  Activa:Bank:Betaalrekening\n"}
    if kind == "plan":
        return {ws.main: main + f'\n2025-04-01 custom "plan" Uitgaven:Plannen:{op[1]} "{op[1]}" {op[2]} EUR\n'}
    raise AssertionError(op)


def _reference(ws: Werkruimte, change: dict[Path, str]) -> bool:
    """bean-check's verdict on a copy of the workspace, before and after the change."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ws"
        shutil.copytree(ws.root, copy)
        before = _reference_errors(copy / "b" / "main.beancount")
        for path, text in change.items():
            (copy / path.relative_to(ws.root)).write_bytes(text.encode("utf-8", "surrogateescape"))
        after = _reference_errors(copy / "b" / "main.beancount")
        return _reference_accepts(before, after, copy, copy)


@settings(max_examples=int(os.environ.get("SCHRIJVEN_VOORBEELDEN", "30")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.booleans(), st.booleans())
def test_writer_verdict_equals_bean_check(ops: list[tuple], plugin: bool, record: bool) -> None:
    """`plugin`: the ledger has `plugin "rules"`; without it the rules come from the caller's validator.
    `record`: consecutive writes may take their "before" from the previous write (`ledger.schrijver.vorige_stand`)."""
    vorige_stand.vergeet()
    vorige_stand.AAN = record
    try:
        _run(ops, plugin)
    finally:
        vorige_stand.AAN = True
        vorige_stand.vergeet()


def _run(ops: list[tuple], plugin: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Werkruimte(Path(tmp) / "ws", plugin)
        for op in ops:
            if op[0] in ("pad_balance", "balance", "open", "close", "midden", "extra_hand", "regels", "bytes", "bon"):
                _hand(ws, op)
                continue
            change = _change(ws, op)
            if change is None:
                continue
            expected = _reference(ws, change)
            before = ws.files()
            try:
                schrijf(ws.main, lambda stand, c=change: Wijziging(
                    "stap", vervang=tuple(c.items())), door="Henk", valideer=valideer, git=False)
                accepted = True
            except WijzigingGeweigerd:
                accepted = False
            assert accepted == expected, (op, ops)
            if accepted:
                assert {p: ws.text(p) for p in change} == change
                assert all(ws.files()[p] == raw for p, raw in before.items() if p not in change)
            else:
                assert ws.files() == before
