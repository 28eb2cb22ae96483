"""The evaluation is immutable all the way down: nothing in it changes after it was made.

Walked from a real load with the rules (the demo workspace, written afresh: every ledger): the
view, its columns, its plans, its verdicts and everything derived from it when
first asked (cost lines, cost entries, payables, the line numbers per plan).
Every object on the way is a frozen dataclass, a named tuple, a tuple, a
frozenset or a read-only mapping (anything else, a pydantic model too, is
reported); beancount's own entries are beancount's and not walked into. Then: a derived table is made once per value,
also when threads ask at once, and a view judged on another day shares it.
"""

from __future__ import annotations

import dataclasses
import datetime
import threading
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import pytest

from buurtbudget_admin.demo import write_demo_workspace
from ledger.evaluatie.resultaat import bewaarde
from ledger.evaluatie.view import Buurtbudget
from rules.checking import check_ledger

SLUGS = ("k-buurt-2025", "geuzenveld-2025", "de-baarsjes-2025")  # the demo workspace's ledgers
LEAVES = (str, int, bool, Decimal, datetime.date, type(None))


def mutable_places(root: object, entries: list = ()) -> list[str]:
    """Every place under `root` that could change: (path, type) of each mutable object met.

    The metadata of beancount's entries (which a plan declaration or an error points at for
    its file and line) is beancount's, like the entries: not walked."""
    found: list[str] = []
    seen: set[int] = {id(e.meta) for e in entries}
    todo: list[tuple[str, object]] = [("view", root)]
    while todo:
        path, obj = todo.pop()
        if isinstance(obj, LEAVES) or id(obj) in seen:
            continue
        seen.add(id(obj))
        kind = type(obj)
        if kind.__module__.startswith("beancount"):
            continue  # beancount's entries, postings and amounts: not ours to freeze
        if isinstance(obj, (tuple, frozenset)):  # named tuples too
            names = getattr(obj, "_fields", None)
            items = zip(names, obj) if names else enumerate(obj)
            todo.extend((f"{path}.{name}" if names else f"{path}[{name}]", v) for name, v in items)
        elif isinstance(obj, MappingProxyType):
            todo.extend((f"{path}[{k!r}]", v) for k, v in obj.items())
        elif dataclasses.is_dataclass(obj):
            if not kind.__dataclass_params__.frozen:
                found.append(f"{path}: {kind.__name__} is not frozen")
            if hasattr(obj, "__dict__") and not isinstance(obj, BaseException):
                found.append(f"{path}: {kind.__name__} has a __dict__ (room for caches)")
            todo.extend((f"{path}.{f.name}", getattr(obj, f.name)) for f in dataclasses.fields(obj))
        elif isinstance(obj, BaseException):  # an error value (the rules file's): its message and place
            todo.extend((f"{path}.{k}", v) for k, v in vars(obj).items())
        else:
            found.append(f"{path}: {kind.__name__}")
    return found


def derived(view: Buurtbudget) -> MappingProxyType:
    """What readers ask of a view beyond its fields (made when first asked)."""
    k = view.kosten
    return MappingProxyType({"payables": view.payables, "lines": k.lines, "entries": k.entries, "plans": k.plans,
            "support": k.support, "foreign": k.foreign, "payments": k.payments, "posting": k.posting,
            "start": k.start, "line_tx": k.line_tx, "plan_lines": tuple(p.lines for p in view.plans)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "werkruimte"
    write_demo_workspace(target)
    return target


@pytest.mark.parametrize("slug", SLUGS)
def test_nothing_in_the_evaluation_can_change(demo: Path, slug: str) -> None:
    loaded, _ = check_ledger(demo / slug)
    view = loaded.view
    assert view.kosten.tx and view.payables  # a ledger with costs and claims: something to walk
    assert mutable_places(view, loaded.entries) == []
    assert mutable_places(derived(view), loaded.entries) == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.award = Decimal("1")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.kosten.tx = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.kosten.rejected["^x"] = "nee"  # type: ignore[index]
    evaluatie = bewaarde(loaded.options_map, loaded.entries)  # what the Fava extension reads
    assert evaluatie is not None and evaluatie.view is view
    assert not hasattr(evaluatie, "__dict__") and mutable_places(evaluatie.codes) == []


def test_the_walk_finds_what_could_change() -> None:
    """The walk itself: an unfrozen dataclass, a list and a dict inside are found."""

    @dataclasses.dataclass
    class Open:
        values: list

    assert sorted(mutable_places((Open([1]), MappingProxyType({"a": {"b": 2}})))) == [
        "view[0].values: list", "view[0]: Open has a __dict__ (room for caches)", "view[0]: Open is not frozen",
        "view[1]['a']: dict"]


def test_a_derived_table_is_made_once_also_when_threads_ask_at_once(demo: Path) -> None:
    loaded, _ = check_ledger(demo / SLUGS[0])
    view = loaded.view
    other_day = view.op(view.peildatum + datetime.timedelta(days=400))
    assert other_day is not view and other_day.fase != "" and other_day.kosten is view.kosten
    start = threading.Barrier(8)
    got: list[object] = []

    def ask() -> None:
        start.wait()
        got.append((view.payables, view.kosten.lines, other_day.payables))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    payables, lines, later = got[0]
    assert all(p is payables and l is lines and q is payables for p, l, q in got)
    assert later is payables  # judged on another day: the same claims, not made again


def test_what_was_derived_goes_with_the_value(demo: Path) -> None:
    """Nothing derived keeps its value alive: once the evaluation is dropped, its tables are gone too."""
    import gc
    import weakref

    from ledger.evaluatie import view as view_module

    loaded, _ = check_ledger(demo / SLUGS[0])
    kosten = weakref.ref(loaded.view.kosten)
    assert derived(loaded.view)["payables"]  # every table made
    memos = [m for m in vars(view_module).values() if isinstance(m, view_module.EenmaalPer)]
    assert len(memos) >= 9 and all(m.peek(loaded.view.kosten) is not None for m in memos if m.__name__ != "_bank")
    del loaded
    gc.collect()
    assert kosten() is None  # no derived table holds on to it (the memos keep it by a weak reference)
