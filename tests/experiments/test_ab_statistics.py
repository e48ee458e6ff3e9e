"""Sufficient statistics, ratio metrics (delta method), SRM, multiple-testing corrections and power."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from adops.experiments import (
    ProportionStatistic,
    RatioStatistic,
    SampleMeanStatistic,
    TwoSidedTTest,
    benjamini_hochberg,
    compare,
    days_to_significance,
    holm,
    holm_with_gaps,
    mde,
    power,
    proportion,
    required_sample_size,
    sample_mean,
    srm_p_value,
)


def test_sample_mean_statistic_matches_numpy() -> None:
    values = np.random.default_rng(1).gamma(2.0, 3.0, size=500)
    stat = sample_mean(values.tolist())
    assert stat.n == 500
    assert stat.mean == pytest.approx(values.mean())
    assert stat.variance == pytest.approx(values.var(ddof=1))


def test_proportion_statistic_uses_bernoulli_variance() -> None:
    stat = proportion(30, 200)
    assert stat.mean == 0.15
    assert stat.variance == pytest.approx(0.15 * 0.85)
    assert ProportionStatistic(0, 0).mean == 0


def test_ratio_statistic_covariance_and_delta_variance() -> None:
    rng = np.random.default_rng(2)
    clicks = rng.poisson(20, size=400).astype(float) + 1
    spend = clicks * rng.gamma(4.0, 0.5, size=400)
    stat = RatioStatistic(
        n=400,
        numerator=SampleMeanStatistic(400, spend.sum(), (spend**2).sum()),
        denominator=SampleMeanStatistic(400, clicks.sum(), (clicks**2).sum()),
        sum_of_products=(spend * clicks).sum(),
    )
    assert stat.mean == pytest.approx(spend.sum() / clicks.sum())
    assert stat.covariance == pytest.approx(np.cov(spend, clicks)[0, 1])
    # delta method: the linearised per-unit values (m - R d) / mean(d) have the same variance
    r = spend.sum() / clicks.sum()
    linear = (spend - r * clicks) / clicks.mean()
    assert stat.variance == pytest.approx(linear.var(ddof=1), rel=1e-9)


def test_ratio_with_constant_denominator_is_a_mean() -> None:
    values = np.array([3.0, 5.0, 8.0, 13.0])
    ones = np.ones(4)
    ratio = RatioStatistic(4, sample_mean(values.tolist()), sample_mean(ones.tolist()), float(values.sum()))
    assert ratio.mean == pytest.approx(values.mean())
    assert ratio.variance == pytest.approx(values.var(ddof=1))


def test_cpa_ratio_metric_is_compared_with_inverse_direction() -> None:
    def cpa(spend: float, spend_sq: float, conv: float, sop: float, n: int) -> RatioStatistic:
        return RatioStatistic(n, SampleMeanStatistic(n, spend, spend_sq), ProportionStatistic(n, conv), sop)

    control = cpa(50_000, 300_000, 1_000, 6_000, 10_000)
    cheaper = cpa(50_000, 300_000, 1_150, 6_900, 10_000)
    out = compare(control, cheaper, "cpa", inverse=True)
    assert out.lift is not None and out.lift < 0
    assert out.improves
    assert out.chance_to_win is not None and out.chance_to_win > 0.5


def test_srm_matches_scipy_chisquare() -> None:
    users, weights = [5000, 5100, 2400], [0.4, 0.4, 0.2]
    expected = np.array(weights) / sum(weights) * sum(users)
    assert srm_p_value(users, weights) == pytest.approx(stats.chisquare(users, expected).pvalue)
    assert srm_p_value([1000, 1000]) == 1.0
    assert srm_p_value([1000, 1200]) < 0.001


def test_holm_and_bh_match_statsmodels_named_methods() -> None:
    p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04]
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist())
    assert benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1].tolist())
    assert holm([]) == [] and benjamini_hochberg([]) == []
    assert holm_with_gaps([0.01, None, 0.02]) == pytest.approx([0.02, None, 0.02])


def test_power_matches_monte_carlo_of_the_test() -> None:
    rng = np.random.default_rng(3)
    p_c, lift, n = 0.05, 0.10, 20_000
    expected = power(lift, p_c, n)
    conv_c = rng.binomial(n, p_c, size=1500)
    conv_t = rng.binomial(n, p_c * (1 + lift), size=1500)
    hits = 0
    for c, t in zip(conv_c, conv_t, strict=True):
        res = TwoSidedTTest(proportion(c, n), proportion(t, n)).compute_result()
        hits += res.p_value is not None and res.p_value < 0.05
    assert hits / 1500 == pytest.approx(expected, abs=0.04)


def test_sample_size_mde_and_power_agree() -> None:
    n = required_sample_size(0.10, 0.05)
    assert power(0.10, 0.05, n) >= 0.8 > power(0.10, 0.05, n - 1)
    assert mde(0.05, n) == pytest.approx(0.10, abs=1e-3)
    n_seq = required_sample_size(0.10, 0.05, sequential=True)
    assert n_seq > n  # the price of being allowed to peek
    assert power(0.10, 0.05, n_seq, sequential=True) >= 0.8
    # mean metric: variance given explicitly
    n_mean = required_sample_size(0.05, 10.0, baseline_variance=25.0)
    assert power(0.05, 10.0, n_mean, baseline_variance=25.0) >= 0.8


def test_days_to_significance() -> None:
    n = required_sample_size(0.10, 0.05, sequential=True)
    assert days_to_significance(0.10, 0.05, users_per_day_per_variant=1000) == -(-n // 1000)
    assert days_to_significance(0.10, 0.05, 1000, users_so_far_per_variant=n) == 0
    assert days_to_significance(0.0, 0.05, 1000) is None
    assert mde(0.5, 10) == float("inf") or mde(0.5, 10) <= 1.0
