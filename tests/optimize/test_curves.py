"""Response curves: the model's pieces, recovery of known curves, uncertainty and identifiability flags."""

from __future__ import annotations

import numpy as np
import pytest

from adops.optimize.curves import (
    HillCurves,
    adstock,
    fit_curve,
    hill,
    hill_derivative,
    inflection,
    variance_weights,
)


def simulate(
    beta: float,
    k: float,
    s: float,
    theta: float,
    days: int = 365,
    seed: int = 0,
    level: float | None = None,
    swing: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily spend in 4-week budget regimes, Poisson outcomes from adstock + Hill with weekly seasonality."""
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64("2025-01-06"), np.datetime64("2025-01-06") + days)
    weekday = (dates.astype(np.int64) + 3) % 7
    weekly = np.array([1.0, 1.03, 1.04, 1.02, 0.97, 0.9, 0.92])
    weekly /= weekly.mean()
    regime = np.repeat(rng.uniform(1 - swing, 1 + swing, days // 28 + 1), 28)[:days]
    spend = np.round((level or k) * regime * rng.uniform(0.85, 1.0, days), 2)
    mu = beta * weekly[weekday] * hill(adstock(spend, theta), k, s)
    return spend, rng.poisson(mu).astype(float), dates


def test_hill_and_its_derivative() -> None:
    x = np.array([0.0, 50.0, 100.0, 400.0])
    h = hill(x, 100.0, 2.0)
    assert h[0] == 0 and h[2] == pytest.approx(0.5) and h[3] == pytest.approx(16 / 17)
    eps = 1e-4
    numeric = (hill(x[1:] + eps, 100.0, 2.0) - hill(x[1:] - eps, 100.0, 2.0)) / (2 * eps)
    assert hill_derivative(x[1:], 100.0, 2.0) == pytest.approx(numeric, rel=1e-5)
    # S-shaped: the marginal return peaks at the inflection, not at zero spend
    x_star = float(inflection(np.array(100.0), np.array(2.0)))
    assert x_star == pytest.approx(100 / np.sqrt(3))
    assert hill_derivative(x_star, 100.0, 2.0) > hill_derivative(x_star * 0.5, 100.0, 2.0)
    assert inflection(np.array(100.0), np.array(0.8)) == 0


def test_adstock_is_normalised_and_starts_at_steady_state() -> None:
    x = np.array([100.0, 100.0, 0.0, 0.0, 100.0])
    a = adstock(x, 0.5)
    assert a[:2] == pytest.approx([100.0, 100.0])
    assert a[2] == pytest.approx(50.0) and a[3] == pytest.approx(25.0) and a[4] == pytest.approx(62.5)
    assert adstock(np.full(50, 7.0), 0.8) == pytest.approx(np.full(50, 7.0))  # steady state: a = x


def test_hill_curves_vectorised() -> None:
    curves = HillCurves(np.array([10.0, 20.0]), np.array([100.0, 50.0]), np.array([1.0, 2.5]))
    x = np.array([100.0, 50.0])
    assert curves.value(x) == pytest.approx([5.0, 10.0])
    assert curves.take([1]).value(np.array([50.0])) == pytest.approx([10.0])
    boot = HillCurves(np.ones((3, 2)) * 10, np.ones((3, 2)) * 100, np.ones((3, 2)))
    assert boot.value(x[None, :]).shape == (3, 2)


@pytest.mark.parametrize(
    ("beta", "k", "s", "theta"),
    [(120.0, 800.0, 2.5, 0.3), (60.0, 400.0, 1.0, 0.0), (200.0, 1500.0, 1.6, 0.5), (40.0, 300.0, 0.8, 0.1)],
)
def test_fit_recovers_known_curve(beta: float, k: float, s: float, theta: float) -> None:
    spend, outcome, dates = simulate(beta, k, s, theta, seed=int(k))
    fit = fit_curve(spend, outcome, dates, n_boot=0)
    grid = np.linspace(spend.min(), spend.max(), 40)
    truth = beta * hill(grid, k, s)
    # within the observed range the curve is recovered to a few percent of its level
    assert np.max(np.abs(fit.value(grid) - truth)) / truth.max() < 0.08
    assert fit.observed_min == pytest.approx(spend[spend > 0].min())
    assert fit.observed_max == pytest.approx(spend.max())
    assert abs(fit.theta - theta) < 0.2
    assert fit.identifiable, fit.warnings


def test_fit_allows_s_shaped_curves() -> None:
    spend, outcome, dates = simulate(100.0, 600.0, 3.0, 0.0, seed=3, swing=0.7)
    fit = fit_curve(spend, outcome, dates, n_boot=0)
    assert fit.s > 2.0
    assert fit.s == pytest.approx(3.0, rel=0.25)


def test_posterior_gives_intervals_that_cover_the_truth() -> None:
    beta, k, s = 80.0, 500.0, 1.8
    spend, outcome, dates = simulate(beta, k, s, 0.2, seed=11)
    fit = fit_curve(spend, outcome, dates, n_boot=60, seed=1)
    assert len(fit.boot_beta) == 60
    x = float(np.median(spend))
    reps = fit.boot_value(np.array([x]))[:, 0]
    lo, hi = np.quantile(reps, [0.025, 0.975])
    assert lo <= beta * hill(x, k, s) <= hi
    assert hi - lo < 0.2 * fit.value(x)


def test_mean_curve_is_the_posteriors_mean_outcome() -> None:
    """The curve the allocator uses: the Hill curve nearest the posterior's mean, up to 2x the spend seen."""
    spend, outcome, dates = simulate(30.0, 700.0, 2.0, 0.1, seed=5)
    fit = fit_curve(spend, outcome, dates, n_boot=40, seed=2)
    assert fit.has_mean and fit.to_dict()["mean"] == {"beta": fit.mean_beta, "k": fit.mean_k, "s": fit.mean_s}
    grid = np.linspace(0.0, 2 * fit.observed_max, 50)
    mean = fit.boot_value(grid).mean(axis=0)
    assert np.max(np.abs(fit.expected(grid) - mean)) < 0.02 * mean.max()
    point = fit_curve(spend, outcome, dates, n_boot=0)  # no posterior: the expected curve is the point fit
    assert not point.has_mean and point.to_dict()["mean"] is None
    assert point.expected_params == (point.beta, point.k, point.s)
    assert point.expected(grid) == pytest.approx(point.value(grid))


def test_flags_a_curve_whose_spend_barely_varied() -> None:
    rng = np.random.default_rng(5)
    spend = np.round(500 * rng.uniform(0.98, 1.0, 200), 2)
    outcome = rng.poisson(30 * hill(spend, 400, 1.5)).astype(float)
    fit = fit_curve(spend, outcome, n_boot=20)
    assert not fit.identifiable
    assert any("barely varied" in w for w in fit.warnings)


def test_flags_short_history_and_degenerate_input() -> None:
    spend, outcome, dates = simulate(50.0, 300.0, 1.2, 0.0, days=14, seed=2)
    assert any("days of history" in w for w in fit_curve(spend, outcome, dates, n_boot=0).warnings)
    zero = fit_curve(np.zeros(40), np.zeros(40), n_boot=5)
    assert zero.beta == 0 and not zero.identifiable and zero.value(100.0) == 0
    no_outcome = fit_curve(np.full(40, 10.0), np.zeros(40), n_boot=5)
    assert no_outcome.beta == 0 and "no outcome" in no_outcome.warnings[0]


def test_priors_keep_an_unsaturated_curve_from_running_off() -> None:
    """No saturation within the observed range: the fit stays put and the extrapolation stays finite."""
    spend, outcome, dates = simulate(500.0, 5000.0, 1.0, 0.0, seed=8, level=400.0)
    fit = fit_curve(spend, outcome, dates, n_boot=0)
    grid = np.linspace(spend.min(), spend.max(), 20)
    assert (
        np.max(np.abs(fit.value(grid) - 500 * hill(grid, 5000.0, 1.0))) / (500 * hill(grid[-1], 5000.0, 1.0))
        < 0.1
    )
    assert np.isfinite(fit.value(10 * spend.max()))


def test_a_pause_in_spend_does_not_break_the_fit() -> None:
    """Adstock decays to denormal numbers during a long pause; the fit must stay finite."""
    spend, outcome, dates = simulate(90.0, 600.0, 2.0, 0.6, seed=4)
    spend[200:300], outcome[200:300] = 0.0, 0.0
    with np.errstate(all="raise"):  # no overflow anywhere on the way
        fit = fit_curve(spend, outcome, dates, n_boot=10)
    assert np.isfinite([fit.beta, fit.k, fit.s, fit.theta]).all()
    assert np.isfinite(fit.boot_beta).all()


def test_variance_weights_are_quasi_poisson() -> None:
    """1/sd with sd² ∝ the expected outcome: a day expected to bring 4x the conversions weighs half as much;
    near-empty days count as if at the 10% quantile, so a pause does not dominate the fit."""
    mu = np.array([0.0, 0.01, 1.0, 1.0, 1.0, 4.0, 4.0, 4.0, 4.0, 16.0, 16.0, 16.0])
    w = variance_weights(mu)
    assert np.mean(w**2) == pytest.approx(1.0)
    assert w[5] / w[9] == pytest.approx(2.0) and w[2] / w[5] == pytest.approx(2.0)
    assert w[0] == pytest.approx(w[2]) and w[1] == pytest.approx(w[2])  # floored at the 10% quantile (1.0)
