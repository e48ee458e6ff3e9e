"""The daily SRM test: over-dispersed but even ad traffic passes, a broken split is still flagged."""

from __future__ import annotations

import numpy as np
import pytest

from adops.experiments.srm import SRM_THRESHOLD, srm_daily, srm_p_value


def clumpy_days(share: float, days: int = 35, seed: int = 1) -> list[list[float]]:
    """Daily clicks whose split wobbles day to day (as platform pacing makes it), around `share`."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(days):
        n = rng.integers(4_000, 8_000)
        p = float(np.clip(share + rng.normal(0, 0.03), 0.05, 0.95))
        a = rng.binomial(n, p)
        out.append([float(a), float(n - a)])
    return out


def test_even_but_clumpy_traffic_is_not_a_mismatch() -> None:
    flagged_plain = flagged_daily = 0
    for seed in range(40):
        days = clumpy_days(0.5, seed=seed)
        totals = np.sum(days, axis=0)
        flagged_plain += srm_p_value(list(totals)) < SRM_THRESHOLD
        result = srm_daily(days)
        flagged_daily += result.p_value < SRM_THRESHOLD
        assert result.dispersion > 3 and result.days == 35
    assert flagged_plain >= 10  # the plain chi-square cries wolf on such traffic
    assert flagged_daily == 0


def test_a_split_off_plan_every_day_is_still_flagged() -> None:
    result = srm_daily(clumpy_days(0.55))
    assert result.p_value < SRM_THRESHOLD
    assert srm_daily(clumpy_days(0.55), [0.55, 0.45]).p_value > SRM_THRESHOLD  # as planned


def test_binomial_days_give_the_plain_test() -> None:
    rng = np.random.default_rng(3)
    days = [[float(a), float(1000 - a)] for a in rng.binomial(1000, 0.5, size=30)]
    result = srm_daily(days)
    totals = list(np.sum(days, axis=0))
    if result.dispersion == 1.0:
        assert result.p_value == pytest.approx(srm_p_value(totals))
    assert result.dispersion < 1.6


def test_edge_cases() -> None:
    assert srm_daily([]).p_value == 1.0
    assert srm_daily([[0, 0], [0, 0]]).days == 0
    one = srm_daily([[600, 400]])
    assert one.dispersion == 1.0 and one.p_value == pytest.approx(srm_p_value([600, 400]))
    with pytest.raises(ValueError):
        srm_daily([[1, 2], [1, 2, 3]])
