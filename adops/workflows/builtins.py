"""Where the catalogue's workflows come from: the built-ins here, and other packages' own modules.

Each module registers its workflows when imported (`engine.register`). A package that adds
workflows (campaign templates, reports) lists its module in `MODULES`. The change fields
(`adops.workflows.fields`) register the same way, so the engine never imports them back.
"""

from __future__ import annotations

import importlib
import threading

MODULES = (
    "adops.workflows.fields",
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
    # what runs after a run's changes are applied (engine.on_applied): the memory's predictions
    "adops.intelligence.predictions",
)

_loaded = False
_lock = threading.RLock()  # a module being loaded may ask for a field (load() again)


def load() -> None:
    """Import every workflow module once."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        for name in MODULES:
            importlib.import_module(name)
        _loaded = True
