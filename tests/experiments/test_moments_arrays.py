"""The readout's array moments (`results._moments`) are the statistic objects' numbers, bit for bit:
the objects (`_statistic_series`) stay as the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from adops.experiments.results import METRICS, _moments, _statistic_series


@pytest.mark.parametrize("key", ["cvr", "ctr", "cpa", "roas", "value_per_click"])
def test_moments_equal_the_statistic_objects(key: str) -> None:
    spec = METRICS[key]
    rng = np.random.default_rng(len(key))
    for days in (1, 2, 7, 40):
        den = rng.integers(0, 5000, days).astype(float)
        num = np.floor(den * rng.uniform(0, 0.2, days))
        if key in ("cpa", "roas"):
            num, den = rng.uniform(0, 900, days).round(2), rng.integers(0, 30, days).astype(float)
        den[: days // 3] = 0.0  # days without traffic, also at the start
        num[: days // 3] = 0.0
        n, mean, var = _moments(spec, num, den)
        objects = _statistic_series(spec, num, den)
        assert n.tolist() == [s.n for s in objects]
        assert mean.tolist() == [s.mean for s in objects]
        assert var.tolist() == [s.variance for s in objects]


def test_a_rate_above_one_is_read_as_a_ratio_over_days() -> None:
    num, den = np.array([3.0, 5.0, 2.0]), np.array([2.0, 4.0, 1.0])  # several conversions per click
    n, mean, var = _moments(METRICS["cvr"], num, den)
    objects = _statistic_series(METRICS["cvr"], num, den)
    assert n.tolist() == [1.0, 2.0, 3.0] == [s.n for s in objects]
    assert mean.tolist() == [s.mean for s in objects] and var.tolist() == [s.variance for s in objects]
