"""What a forecast run is asked for: the method names and `ForecastConfig`, the settings of a fit.

Apart from the pipeline (`core`) so that the model modules (`prophet_model`) can read the settings
without importing the pipeline that imports them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from typing import Literal

Method = Literal[
    "auto", "prophet", "ets", "reverting", "snaive", "prophet+ets", "regimes", "regimes+reverting"
]
METHODS = ("auto", "prophet", "ets", "reverting", "snaive", "prophet+ets", "regimes", "regimes+reverting")


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how; every field that changes a fit is part of the cache key."""

    horizon: int = 28
    interval_width: float = 0.8
    method: Method = "auto"
    transform: Literal["auto", "log", "none"] = "auto"  # auto: log1p when the series has no negatives
    country: str | None = None  # prophet's add_country_holidays, e.g. "US", "DE"
    retail_events: bool = True  # Black Friday, Cyber Monday, Christmas run-up
    weekly_order: int = 3
    yearly_order: int = 6
    yearly_min_days: int = 730  # measured: with less, yearly terms soak up trend and hurt 28-day accuracy
    n_changepoints: int = 25
    changepoint_range: float = 0.9
    changepoint_prior_scale: float = 0.05
    seasonality_prior_scale: float = 10.0
    holidays_prior_scale: float = 10.0
    n_samples: int = 500
    short_days: int = 56  # below this: seasonal naive and ETS only
    backtest_origins: int = 3
    backtest_period: int | None = None  # days between origins; default half the horizon (as prophet's)
    selection: Literal["pooled", "series"] = "pooled"  # one method per group of series, or each its own
    choice_sample: int = 24  # pooled: the group's method is chosen on at most this many of its series
    calibrate: bool = True
    events_from: int = 2015
    events_until: int = 2035

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise ValueError("horizon must be at least 1 day")
        if not 0 < self.interval_width < 1:
            raise ValueError("interval width must be strictly between 0 and 1")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")
        if self.choice_sample < 1:
            raise ValueError("choice_sample must be at least 1")
        if self.selection not in ("pooled", "series"):
            raise ValueError(f"unknown selection {self.selection!r}; pooled or series")

    def key(self) -> str:
        """A stable digest of the settings."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
