"""Synthetic channel histories with known true curves, for the recommendation and CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from adops.optimize.curves import adstock, hill


@dataclass
class Simulated:
    frame: pd.DataFrame  # date, channel, spend, conversions, revenue
    truth: dict[str, tuple[float, float, float]]  # channel -> (beta, K, S) in conversions
    value: dict[str, float]  # revenue per conversion


def simulate_channels(n_channels: int, days: int = 365, seed: int = 0) -> Simulated:
    """Channels with adstock + Hill curves (S from 0.7 to 3), 4-week budget regimes, weekly seasonality."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    weekday = dates.weekday.to_numpy()
    weekly = np.array([1.0, 1.03, 1.04, 1.02, 0.97, 0.9, 0.92])
    weekly /= weekly.mean()
    rows, truth, value = [], {}, {}
    for c in range(n_channels):
        name = f"ch{c + 1}"
        k = float(rng.lognormal(np.log(500), 0.6))
        s = float(rng.uniform(0.7, 3.0))
        level = k * rng.uniform(0.5, 1.5)
        beta = float(level / rng.uniform(10, 60) / hill(level, k, s))
        regime = np.repeat(rng.uniform(0.5, 1.5, days // 28 + 1), 28)[:days]
        spend = np.round(level * regime * rng.uniform(0.85, 1.0, days), 2)
        mu = beta * weekly[weekday] * hill(adstock(spend, float(rng.uniform(0, 0.5))), k, s)
        conversions = rng.poisson(mu).astype(float)
        value[name] = float(rng.uniform(20, 200))
        rows.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "channel": name,
                    "spend": spend,
                    "conversions": conversions,
                    "revenue": np.round(conversions * value[name], 2),
                }
            )
        )
        truth[name] = (beta, k, s)
    return Simulated(pd.concat(rows, ignore_index=True), truth, value)


@pytest.fixture
def make_channels() -> Callable[..., Simulated]:
    return simulate_channels
