"""`ledger/` is rooms a newcomer can walk (issue 16): each room imports only the rooms below it,
and the module map of `docs/readme-kern.md` names every module."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEDGER = ROOT / "ledger"

# Room -> the rooms it may import (besides itself), as `ledger/__init__.py` writes it.
MAG_IMPORTEREN = {
    "buurtbudget": set(),
    "evaluatie": {"buurtbudget"},
    "publiek": {"buurtbudget", "evaluatie"},
    "schrijver": {"buurtbudget", "evaluatie"},
    "betalingen": {"buurtbudget", "evaluatie", "schrijver"},
    "importers": {"buurtbudget", "evaluatie", "schrijver", "betalingen"},
}

# The one exception, named in `ledger/evaluatie/__init__.py`: every read first finishes or undoes
# a write a crash interrupted, so the load calls the writer's recovery (at run time only).
UITZONDERINGEN = {("evaluatie/loading.py", "schrijver.intentie")}


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, at the top and inside functions, as an absolute dotted name."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "ledger" or (node.level and not node.module):
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def test_every_room_is_known() -> None:
    rooms = {p.name for p in LEDGER.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert rooms == set(MAG_IMPORTEREN)


def test_each_room_imports_only_the_rooms_below_it() -> None:
    wrong = []
    for path in _modules("ledger"):
        parts = path.relative_to(LEDGER).parts
        if len(parts) < 2:  # ledger/__init__.py: the map, importing nothing
            assert not [m for _, m in _imports(path) if m.startswith("ledger")]
            continue
        room, where = parts[0], "/".join(parts)
        for lineno, module in _imports(path):
            names = module.split(".")
            if names[0] in ("rules", "reports", "buurtbudget_admin"):
                wrong.append(f"ledger/{where}:{lineno}: {module} (a layer above ledger/)")
                continue
            if names[0] != "ledger" or len(names) < 2 or names[1] == room:
                continue
            target = names[1]
            if target not in MAG_IMPORTEREN[room] and (where, ".".join(names[1:3])) not in UITZONDERINGEN:
                wrong.append(f"ledger/{where}:{lineno}: {module}")
    assert wrong == [], "imports against the room order:\n" + "\n".join(wrong)


def test_the_exception_is_still_needed() -> None:
    """An exception nobody uses any more is removed from the list (and from the docstring)."""
    for where, target in UITZONDERINGEN:
        assert any(m.startswith(f"ledger.{target}") for _, m in _imports(LEDGER / where)), (where, target)
        assert "ledger.schrijver.intentie" in (LEDGER / "evaluatie" / "__init__.py").read_text(encoding="utf-8")


def test_the_module_map_names_every_module() -> None:
    """`docs/readme-kern.md`, "Kaart van de modules": every module with its job, so a newcomer finds it."""
    text = (ROOT / "docs" / "readme-kern.md").read_text(encoding="utf-8")
    assert "### Kaart van de modules" in text
    kaart = text.split("### Kaart van de modules", 1)[1].split("\n### ", 1)[0]
    missing = [str(p.relative_to(ROOT)) for p in _modules("ledger", "rules", "reports", "buurtbudget_admin")
               if p.stem not in ("__init__", "__main__") and str(p.relative_to(ROOT)) not in kaart]
    assert missing == [], "not in the module map of docs/readme-kern.md:\n" + "\n".join(missing)
