"""Frequentist tests of a treatment against its control: fixed-horizon Welch and always-valid sequential.

Both work on the effect's first two moments (`effect_moments`): the relative lift
mean_t / mean_c - 1 with its delta-method variance from unpooled per-variant variances

    Var(lift) = var_t / (mean_c^2 n_t) + var_c mean_t^2 / (mean_c^4 n_c)

or the absolute difference mean_t - mean_c with var_t / n_t + var_c / n_c. This is how GrowthBook's
gbstats computes them, and the pinned gbstats cases in the tests reproduce to 5 decimals.

- `TwoSidedTTest`: CI = lift +/- t(1 - alpha/2, Welch df) * SE and the two-sided p-value of the same
  t statistic, so p < alpha exactly when the CI excludes 0. (For the sample sizes of ad tests the
  Welch t quantile equals the normal z to 3 decimals.)
- `SequentialTwoSidedTTest`: the asymptotic confidence sequence of Waudby-Smith et al. (2023), with
  gbstats' default tuning (the total sample size where the interval is tightest, 5000). Its
  p-value is 1/e for the mixture e-value, again consistent with the interval; looking at it every
  day keeps the false-positive rate at most alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special as _sp

from adops.experiments.defaults import DEFAULT_SEQUENTIAL_TUNING
from adops.experiments.statistics import Statistic

__all__ = [
    "DEFAULT_SEQUENTIAL_TUNING",
    "EffectMoments",
    "FrequentistResult",
    "SequentialTwoSidedTTest",
    "TwoSidedTTest",
    "effect_moments",
    "sequential_halfwidth",
    "sequential_rho",
]

NO_UNITS = "a variant has no units"
BASELINE_ZERO = "the control's mean is zero, so a relative lift is undefined"
ZERO_VARIANCE = "a variant has zero variance (all units alike), so no interval can be computed"


@dataclass(frozen=True)
class EffectMoments:
    """Point estimate and variance of the treatment effect, with Welch-Satterthwaite degrees of freedom."""

    point_estimate: float
    variance: float
    dof: float
    n_total: int
    relative: bool
    error: str | None = None

    @property
    def stddev(self) -> float:
        return math.sqrt(self.variance) if self.variance > 0 else 0.0


def effect_moments(control: Statistic, treatment: Statistic, relative: bool = True) -> EffectMoments:
    """The effect of `treatment` over `control` (relative lift by default) and its delta-method variance."""
    n_c, n_t = control.n, treatment.n
    if n_c <= 0 or n_t <= 0:
        return EffectMoments(0.0, 0.0, 0.0, n_c + n_t, relative, NO_UNITS)
    m_c, m_t = control.mean, treatment.mean
    v_c, v_t = control.variance, treatment.variance
    if relative and m_c == 0:
        return EffectMoments(0.0, 0.0, 0.0, n_c + n_t, relative, BASELINE_ZERO)
    point = (m_t - m_c) / m_c if relative else m_t - m_c
    if v_c <= 0 or v_t <= 0 or n_c <= 1 or n_t <= 1:
        return EffectMoments(point, 0.0, 0.0, n_c + n_t, relative, ZERO_VARIANCE)
    if relative:
        variance = v_t / (m_c**2 * n_t) + v_c * m_t**2 / (m_c**4 * n_c)
    else:
        variance = v_t / n_t + v_c / n_c
    dof = (v_t / n_t + v_c / n_c) ** 2 / (v_t**2 / (n_t**2 * (n_t - 1)) + v_c**2 / (n_c**2 * (n_c - 1)))
    return EffectMoments(point, variance, dof, n_c + n_t, relative)


@dataclass(frozen=True)
class FrequentistResult:
    """A test's readout: `expected` effect, its `ci`, two-sided `p_value`, and the effect's `stddev`.

    When the test cannot be computed (`error` set), `ci` and `p_value` are None.
    """

    expected: float
    ci: tuple[float, float] | None
    p_value: float | None
    stddev: float
    error: str | None = None


class TwoSidedTTest:
    """Welch two-sided t-test on the relative (or absolute) effect, as gbstats' TwoSidedTTest."""

    def __init__(self, control: Statistic, treatment: Statistic, alpha: float = 0.05, relative: bool = True):
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
        self.control, self.treatment, self.alpha, self.relative = control, treatment, alpha, relative
        self.moments = effect_moments(control, treatment, relative)

    def compute_result(self) -> FrequentistResult:
        m = self.moments
        if m.error:
            return FrequentistResult(m.point_estimate, None, None, 0.0, m.error)
        se = m.stddev
        t_stat = m.point_estimate / se
        p_value = float(2 * _sp.stdtr(m.dof, -abs(t_stat)))
        half = float(_sp.stdtrit(m.dof, 1 - self.alpha / 2)) * se
        return FrequentistResult(
            m.point_estimate, (m.point_estimate - half, m.point_estimate + half), p_value, se
        )


class SequentialTwoSidedTTest(TwoSidedTTest):
    """Always-valid two-sided test: a confidence sequence on the effect, safe under continuous monitoring.

    `tuning` is the total sample size (both variants) at which the sequence is tightest; gbstats'
    default is 5000. The interval is wider than the fixed-horizon one at every n: that is the price
    of being allowed to look every day.
    """

    def __init__(
        self,
        control: Statistic,
        treatment: Statistic,
        alpha: float = 0.05,
        relative: bool = True,
        tuning: float = DEFAULT_SEQUENTIAL_TUNING,
    ):
        super().__init__(control, treatment, alpha, relative)
        if tuning <= 0:
            raise ValueError("the sequential tuning parameter must be positive")
        self.tuning = tuning
        self.rho = sequential_rho(alpha, tuning)

    def compute_result(self) -> FrequentistResult:
        m = self.moments
        if m.error:
            return FrequentistResult(m.point_estimate, None, None, 0.0, m.error)
        n = m.n_total
        se = m.stddev
        half = sequential_halfwidth(se**2 * n, n, self.alpha, self.rho)
        # mixture e-value (eq. 155, arXiv:2103.06476v7); p = min(1, 1/e) < alpha iff the CI excludes 0
        nr2p1 = n * self.rho**2 + 1
        z2 = m.point_estimate**2 / se**2
        log_e = self.rho**2 * z2 * n / (2 * nr2p1) - 0.5 * math.log(nr2p1)
        p_value = 1.0 if log_e <= 0 else math.exp(-log_e)
        return FrequentistResult(
            m.point_estimate, (m.point_estimate - half, m.point_estimate + half), p_value, se
        )


def sequential_rho(alpha: float, tuning: float) -> float:
    """Mixture width that makes the confidence sequence tightest at n = tuning (two-sided)."""
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)


def sequential_halfwidth(s2: float, n: int | float, alpha: float, rho: float) -> float:
    """Half-width of the asymptotic confidence sequence for a per-unit variance s2 after n units."""
    nr2 = n * rho**2
    return math.sqrt(s2) * math.sqrt(2 * (nr2 + 1) * math.log(math.sqrt(nr2 + 1) / alpha) / (n * rho) ** 2)
