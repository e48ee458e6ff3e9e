"""Forecasts as background work: the sidecar computes them, a disk cache keeps them per snapshot.

Forecasting dozens of series with backtests takes a minute or more, so a page never does it on a
rerun: it asks for `cached(scope)` and, when the forecasts for the current warehouse snapshot are
missing, queues a `forecast.run` job whose runner calls `run(ForecastScope.from_params(params), ...)`.
The fitted models are also in the model cache, so a new snapshot refits only the series that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from adops.forecast.core import SeriesForecast, default_cache_dir, forecast_many
from adops.forecast.data import daily_parts, daily_series
from adops.forecast.options import ForecastConfig


@dataclass(frozen=True)
class ForecastScope:
    """What to forecast: a metric at a level, optional platform filter, horizon, interval, holidays."""

    metric: str = "spend"
    level: str = "platform"
    platforms: tuple[str, ...] = ()
    horizon: int = 28  # spend moves in ~4-week budget regimes: beyond that, no better than naive
    interval_width: float = 0.8
    country: str | None = None
    complete_days_only: bool = True  # leave out the warehouse's last day (today, still being spent)

    def to_params(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ForecastScope:
        defaults = cls()
        return cls(
            metric=str(params.get("metric", defaults.metric)),
            level=str(params.get("level", defaults.level)),
            platforms=tuple(params.get("platforms", ())),
            horizon=int(params.get("horizon", defaults.horizon)),
            interval_width=float(params.get("interval_width", defaults.interval_width)),
            country=params.get("country"),
            complete_days_only=bool(params.get("complete_days_only", True)),
        )

    def config(self) -> ForecastConfig:
        return ForecastConfig(horizon=self.horizon, interval_width=self.interval_width, country=self.country)

    def key(self, snapshot_id: str) -> str:
        text = json.dumps(
            {"snapshot": snapshot_id, **self.to_params(), "config": self.config().key()}, sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached(scope: ForecastScope) -> list[SeriesForecast] | None:
    """The forecasts for the current warehouse snapshot, or None when they have not been made yet."""
    from adops import warehouse

    path = _path(scope.key(warehouse.snapshot().id))
    try:
        with path.open("rb") as fh:
            return list(pickle.load(fh))  # noqa: S301 - our own cache file in the workspace
    except (OSError, pickle.UnpicklingError, EOFError):
        return None


def latest(scope: ForecastScope) -> list[SeriesForecast] | None:
    """The most recent forecasts of the scope on any snapshot (the page shows them while newer ones are
    computed after a sync), or None when the scope was never forecast."""
    try:
        key = json.loads(_pointer(scope).read_text())["key"]
        with _path(str(key)).open("rb") as fh:
            return list(pickle.load(fh))  # noqa: S301 - our own cache file in the workspace
    except (OSError, ValueError, KeyError, TypeError, pickle.UnpicklingError, EOFError):
        return None


def run(scope: ForecastScope, progress: Callable[[int, int], None] | None = None) -> list[SeriesForecast]:
    """Forecast the scope on the current snapshot and store the result for `cached`."""
    from adops import warehouse

    snapshot_id = warehouse.snapshot().id
    platforms = list(scope.platforms) or None
    frames = daily_series(scope.metric, scope.level, platforms=platforms)  # type: ignore[arg-type]
    parts = daily_parts(scope.metric, scope.level, platforms=platforms)  # type: ignore[arg-type]
    if scope.complete_days_only and frames:
        last = max(frame["ds"].iloc[-1] for frame in frames.values()) - timedelta(days=1)
        frames = {k: f[f["ds"] <= last] for k, f in frames.items()}
        parts = {k: f[f["ds"] <= last] for k, f in parts.items()}
    frames = {k: f for k, f in frames.items() if len(f) >= 14}
    results = forecast_many(
        frames,
        scope.config(),
        progress=(lambda done, total, _key: progress(done, total)) if progress else None,
        cache=default_cache_dir(),
        parts=parts,
    )
    path = _path(scope.key(snapshot_id))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(results, fh)
    os.replace(tmp, path)
    _write_pointer(scope, path.stem)
    return results


def _pointer(scope: ForecastScope) -> Path:
    """The scope's pointer to its latest cache file: a key that leaves the snapshot out."""
    return default_cache_dir() / "scopes" / f"latest-{scope.key('latest')}.json"


def _write_pointer(scope: ForecastScope, key: str) -> None:
    pointer = _pointer(scope)
    fd, tmp = tempfile.mkstemp(dir=pointer.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as fh:
        json.dump({"key": key}, fh)
    os.replace(tmp, pointer)


def _path(key: str) -> Path:
    return default_cache_dir() / "scopes" / f"{key}.pkl"
