"""GrowthBook gbstats' published test cases, pinned: the same inputs must give the same numbers (5 decimals).

Sources: packages/stats/tests/frequentist/test_tests.py, tests/bayesian/test_tests.py and
tests/test_gbstats.py in growthbook/growthbook (gbstats is not a dependency; the numbers are copied).
"""

from __future__ import annotations

import pytest

from adops.experiments import (
    EffectBayesianABTest,
    GaussianPrior,
    ProportionStatistic,
    SampleMeanStatistic,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
    srm_p_value,
)


def r5(x: float) -> float:
    return round(x, 5)


A = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3407)
B = SampleMeanStatistic(sum=2422.7, sum_squares=134698.29, n=3461)
A3000 = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3000)


# ---------------------------------------------------------------- frequentist: TestTwoSidedTTest


def test_two_sided_ttest_relative_welch() -> None:
    res = TwoSidedTTest(A, B).compute_result()
    assert res.ci is not None and res.p_value is not None
    assert r5(res.expected) == 0.70732
    assert (r5(res.ci[0]), r5(res.ci[1])) == (-0.03526, 1.44989)
    assert r5(res.stddev) == 0.37879
    assert r5(res.p_value) == 0.06191


def test_two_sided_ttest_absolute() -> None:
    res = TwoSidedTTest(A, B, relative=False).compute_result()
    assert res.ci is not None and res.p_value is not None
    assert r5(res.expected) == 0.29
    assert (r5(res.ci[0]), r5(res.ci[1])) == (0.04538, 0.53462)
    assert r5(res.stddev) == 0.12478
    assert r5(res.p_value) == 0.02016


def test_two_sided_ttest_binomial() -> None:
    res = TwoSidedTTest(ProportionStatistic(sum=14, n=28), ProportionStatistic(sum=16, n=30)).compute_result()
    assert res.ci is not None and res.p_value is not None
    assert r5(res.expected) == r5((16 / 30 - 0.5) / 0.5) == 0.06667
    assert (r5(res.ci[0]), r5(res.ci[1])) == (-0.47767, 0.61101)
    assert r5(res.stddev) == 0.2717
    assert r5(res.p_value) == 0.80707


def test_two_sided_ttest_missing_variance_gives_no_interval() -> None:
    res = TwoSidedTTest(SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=2), B).compute_result()
    assert res.error is not None
    assert res.ci is None and res.p_value is None


def test_p_below_alpha_exactly_when_ci_excludes_zero() -> None:
    for alpha in (0.01, 0.05, 0.0619, 0.062, 0.2):
        res = TwoSidedTTest(A, B, alpha=alpha).compute_result()
        assert res.ci is not None and res.p_value is not None
        assert (res.p_value < alpha) == (res.ci[0] > 0 or res.ci[1] < 0)


# ---------------------------------------------------------------- frequentist: TestSequentialTTest


def test_sequential_test_runs() -> None:
    res = SequentialTwoSidedTTest(A3000, B, tuning=1000).compute_result()
    assert res.ci is not None and res.p_value is not None
    assert r5(res.expected) == 0.50336
    assert (r5(res.ci[0]), r5(res.ci[1])) == (-0.55844, 1.56516)
    assert r5(res.stddev) == 0.33341
    assert r5(res.p_value) == 1


def test_sequential_test_runs_prop() -> None:
    res = SequentialTwoSidedTTest(
        ProportionStatistic(sum=1396, n=3000), ProportionStatistic(sum=2422, n=3461)
    )
    out = res.compute_result()
    assert out.ci is not None and out.p_value is not None
    assert r5(out.expected) == 0.50386
    assert (r5(out.ci[0]), r5(out.ci[1])) == (0.40098, 0.60675)
    assert r5(out.stddev) == 0.03386
    assert r5(out.p_value) == 0.0


def test_sequential_test_tuning_as_expected() -> None:
    def ci(tuning: float) -> tuple[float, float]:
        out = SequentialTwoSidedTTest(A3000, B, tuning=tuning).compute_result().ci
        assert out is not None
        return out

    below, near, above = ci(10), ci(6461), ci(10000)
    assert below[0] < above[0] and below[1] > above[1]  # way underestimating is worse
    assert below[0] < near[0] and below[1] > near[1]  # estimating well beats both
    assert above[0] < near[0] and above[1] > near[1]


def test_sequential_p_consistent_with_its_interval() -> None:
    for conv_b in (1450, 1500, 1520, 1540, 1600):
        out = SequentialTwoSidedTTest(
            ProportionStatistic(n=30000, sum=1396), ProportionStatistic(n=30000, sum=conv_b)
        )
        res = out.compute_result()
        assert res.ci is not None and res.p_value is not None
        assert (res.p_value < 0.05) == (res.ci[0] > 0)


# ---------------------------------------------------------------- bayesian: TestBinom / TestNorm


def test_bayesian_binomial_ab_test() -> None:
    res = EffectBayesianABTest(
        ProportionStatistic(sum=49, n=100), ProportionStatistic(sum=51, n=100)
    ).compute_result()
    assert r5(res.expected) == 0.04082
    assert (r5(res.ci[0]), r5(res.ci[1])) == (-0.24779, 0.32943)
    assert r5(res.stddev) == 0.14725
    assert r5(res.chance_to_win) == 0.60918
    assert (r5(res.risk[0]), r5(res.risk[1])) == (0.0814, 0.04058)


def test_bayesian_binomial_missing_data() -> None:
    res = EffectBayesianABTest(ProportionStatistic(0, 0), ProportionStatistic(0, 0)).compute_result()
    assert res.chance_to_win == 0.5
    assert res.expected == 0


NORM_A = SampleMeanStatistic(sum=100, sum_squares=1002.25, n=10)
NORM_B = SampleMeanStatistic(sum=105, sum_squares=1111.5, n=10)


def test_bayesian_gaussian_ab_test() -> None:
    res = EffectBayesianABTest(NORM_A, NORM_B).compute_result()
    assert r5(res.expected) == 0.05
    assert (r5(res.ci[0]), r5(res.ci[1])) == (-0.02, 0.12)
    assert r5(res.stddev) == 0.03572
    assert r5(res.chance_to_win) == 0.91923
    assert (r5(res.risk[0]), r5(res.risk[1])) == (0.05131, 0.00131)


def test_bayesian_gaussian_ab_test_informative_prior() -> None:
    prior = GaussianPrior(mean=0.1, variance=0.1, proper=True)
    res = EffectBayesianABTest(NORM_A, NORM_B, prior=prior).compute_result()
    assert r5(res.expected) == 0.05063
    assert (r5(res.ci[0]), r5(res.ci[1])) == (-0.01893, 0.12019)
    assert r5(res.stddev) == 0.03549
    assert r5(res.chance_to_win) == 0.92315
    assert (r5(res.risk[0]), r5(res.risk[1])) == (0.05186, 0.00123)


def test_bayesian_gaussian_missing_data() -> None:
    res = EffectBayesianABTest(SampleMeanStatistic(0, 0, 0), SampleMeanStatistic(0, 0, 0)).compute_result()
    assert res.chance_to_win == 0.5
    assert res.expected == 0


def test_inverse_metric_flips_chance_and_risk() -> None:
    plain = EffectBayesianABTest(NORM_A, NORM_B).compute_result()
    inverse = EffectBayesianABTest(NORM_A, NORM_B, inverse=True).compute_result()
    assert inverse.chance_to_win == pytest.approx(1 - plain.chance_to_win)
    assert inverse.risk == (plain.risk[1], plain.risk[0])


# ---------------------------------------------------------------- SRM: tests/test_gbstats.py


def test_srm() -> None:
    assert round(srm_p_value([1000, 1200], [0.5, 0.5]), 9) == 0.000020079
