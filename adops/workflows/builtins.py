"""Where the catalogue's workflows come from: the built-ins here, and other packages' own modules.

Each module registers its workflows when imported (`engine.register`). A package that adds
workflows (campaign templates, reports) lists its module in `MODULES`; a module that is not there
yet (a package still being built) is skipped, any other import error is raised.
"""

from __future__ import annotations

import importlib
import threading

MODULES = (
    "adops.workflows.library.budget",
    "adops.workflows.library.bids",
    "adops.workflows.library.pacing",
    "adops.workflows.library.anomaly",
    "adops.workflows.library.creatives",
    "adops.workflows.library.abtest",
    "adops.workflows.library.bulk",
    # other packages' workflows (campaign-launch, performance-report, scheduled-report)
    "adops.templates.workflows",
    "adops.reports.workflows",
)

_loaded = False
_lock = threading.Lock()


def load() -> None:
    """Import every workflow module once."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for name in MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        _loaded = True
