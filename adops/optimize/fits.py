"""Fitted response curves as background work: the sidecar fits, a disk cache keeps them per snapshot.

Fitting hundreds of campaigns takes a minute or more, so pages never do it on a rerun: they ask for
`cached(scope)`, and when the fits for the current warehouse snapshot are missing they queue an
`optimize.fit` job (the sidecar runs it on the compute queue, `adops.jobs`). The sidecar also fits
the default scope after every sync, so the Budget page usually opens on fits that are ready.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from adops import config, warehouse
from adops.optimize.history import load_history
from adops.optimize.recommend import ChannelCurve, fit_channels
from adops.optimize.sources import WarehouseHistory, warehouse_history

N_BOOT = 30
Fits = tuple[WarehouseHistory, list[ChannelCurve]]


@dataclass(frozen=True)
class FitScope:
    """Which channels to fit: a level (campaign|account|platform), optional filters, the objective."""

    level: str = "campaign"
    platforms: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    objective: str = "conversions"

    def to_params(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> FitScope:
        return cls(
            str(params.get("level", "campaign")),
            tuple(params.get("platforms", ())),
            tuple(params.get("accounts", ())),
            str(params.get("objective", "conversions")),
        )

    def key(self, snapshot_id: str) -> str:
        text = json.dumps({"snapshot": snapshot_id, **self.to_params(), "n_boot": N_BOOT}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached(scope: FitScope) -> Fits | None:
    """The fits for the current warehouse snapshot, or None when they have not been made yet."""
    path = _path(scope.key(warehouse.snapshot().id))
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 - our own cache file in the workspace
    except (FileNotFoundError, EOFError, pickle.UnpicklingError):
        return None


def latest(scope: FitScope) -> Fits | None:
    """The most recent fits of the scope on any snapshot (the Budget page shows them while newer ones
    are fitted after a sync), or None when the scope was never fitted."""
    try:
        key = json.loads(_pointer(scope).read_text())["key"]
        with _path(str(key)).open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 - our own cache file in the workspace
    except (OSError, ValueError, KeyError, TypeError, EOFError, pickle.UnpicklingError):
        return None


def fit(scope: FitScope, progress: Callable[[int, int], None] | None = None) -> Fits:
    """Fit the scope's channels on the current snapshot and cache the result."""
    snapshot_id = warehouse.snapshot().id
    history = warehouse_history(scope.level, platforms=scope.platforms, accounts=scope.accounts)
    fits = (
        []
        if history.empty
        else fit_channels(load_history(history.frame, scope.objective), n_boot=N_BOOT, progress=progress)
    )
    path = _path(scope.key(snapshot_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump((history, fits), fh)
    os.replace(tmp, path)
    pointer = _pointer(scope)
    pointer_tmp = pointer.with_suffix(".tmp")
    pointer_tmp.write_text(json.dumps({"key": path.stem}))
    os.replace(pointer_tmp, pointer)
    return history, fits


def _pointer(scope: FitScope) -> Path:
    """The scope's pointer to its latest cache file: a key that leaves the snapshot out."""
    return config.home() / "cache" / "optimize" / f"latest-{scope.key('latest')}.json"


def _path(key: str) -> Path:
    return config.home() / "cache" / "optimize" / f"{key}.pkl"
