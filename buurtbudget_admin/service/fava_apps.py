"""Fava's own application, one per kind of view, over the ledgers of a workspace.

Fava addresses a ledger as `/<bfile>/...` where bfile is a slug of its title;
here bfile is the folder name (the buurtbudget's slug), so `/buurt/<slug>/`
and `/beheer/<slug>/` are Fava's own URLs under a prefix. Ledgers are loaded
lazily, one at a time, and every ledger carries the Buurtbudget extension
(even when its file does not declare it).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from fava.application import create_app
from fava.core import FavaLedger
from fava.core.extensions import ExtensionModule
from fava.ext import find_extensions
from flask import Flask

EXTENSION_MODULE = "buurtbudget_admin.fava_ext"


class _WithBuurtbudgetExtension(ExtensionModule):
    """Fava's extension module, plus the Buurtbudget extension when the file does not ask for it."""

    def load_file(self) -> None:
        super().load_file()
        classes, errors = find_extensions(Path(self.ledger.beancount_file_path).parent, EXTENSION_MODULE)
        self.errors.extend(errors)
        for cls in classes:
            if cls not in self._loaded_extensions:
                self._loaded_extensions.add(cls)
                ext = cls(self.ledger, None)
                self._instances[ext.name] = ext


class ServiceLedger(FavaLedger):
    """A FavaLedger with the poll watcher (no thread per ledger) and the extension."""

    def __init__(self, path: str) -> None:
        super().__init__(path, poll_watcher=True)

    def load_file(self) -> None:
        if not isinstance(self.extensions, _WithBuurtbudgetExtension):
            self.extensions = _WithBuurtbudgetExtension(self)
        super().load_file()


class SlugLedgers:
    """Fava's ledger loader, by the workspace's folder slugs, loading each ledger on first use."""

    def __init__(self, resolve: Callable[[str], Path | None]):
        self._resolve = resolve
        self._lock = threading.Lock()
        self._ledgers: dict[str, tuple[Path, FavaLedger]] = {}

    def __getitem__(self, slug: str) -> FavaLedger:
        path = self._resolve(slug)
        if path is None:
            with self._lock:
                self._ledgers.pop(slug, None)
            raise KeyError(slug)
        found = self._ledgers.get(slug)
        if found is not None and found[0] == path:
            return found[1]
        with self._lock:
            found = self._ledgers.get(slug)
            if found is None or found[0] != path:
                found = (path, ServiceLedger(str(path)))
                self._ledgers[slug] = found
            return found[1]

    def loaded(self) -> dict[str, FavaLedger]:
        return {slug: ledger for slug, (_path, ledger) in self._ledgers.items()}

    # What Fava's application asks of its loader.
    @property
    def ledgers(self) -> list[FavaLedger]:
        return list(self.loaded().values())

    def items(self):
        # No ledger switcher: the landing page lists the buurtbudgetten, and a
        # beheerder of one buurt need not see the others.
        return {}.items()

    def first_slug(self) -> str:
        raise KeyError("geen buurtbudget gekozen")


def create_fava(resolve: Callable[[str], Path | None], *, read_only: bool, mode: str) -> Flask:
    """Fava's app with our loader; `mode` is "publiek" or "beheer" (read by the extension)."""
    app = create_app([], read_only=read_only, poll_watcher=True)
    loader = SlugLedgers(resolve)
    app.config["LEDGERS"] = loader
    app.config["BUURTBUDGET_MODE"] = mode
    return app
