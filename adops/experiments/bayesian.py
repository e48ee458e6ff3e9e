"""Bayesian readout: chance to beat control and expected loss, as gbstats' EffectBayesianABTest.

The effect (relative lift by default) gets a Gaussian likelihood with the delta-method mean and
variance of `effect_moments`. With gbstats' default improper flat prior the posterior is that same
Gaussian N(lift, SE^2); a proper prior N(m0, v0) is combined by precision weighting. Then

    chance_to_win  = P(effect > 0)                         (P(effect < 0) for `inverse` metrics, e.g. CPA)
    expected loss  = E[max(-effect, 0)]  of shipping the treatment   (risk[1] in gbstats)
                     E[max(effect, 0)]   of keeping the control       (risk[0])

in closed form (mu Phi(mu/s) + s phi(mu/s) and its mirror).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special as _sp

from adops.experiments.frequentist import effect_moments
from adops.experiments.statistics import Statistic

__all__ = ["BayesianResult", "EffectBayesianABTest", "GaussianPrior"]


@dataclass(frozen=True)
class GaussianPrior:
    """Prior on the effect; `proper=False` (the default) is gbstats' flat, improper prior."""

    mean: float = 0.0
    variance: float = 1.0
    proper: bool = False


@dataclass(frozen=True)
class BayesianResult:
    """Posterior of the effect: mean `expected`, `stddev`, credible interval `ci`, chance to win and risks.

    `risk` is (loss of keeping control, loss of shipping treatment), in units of the effect.
    On `error` the output is gbstats' uninformative default: chance 0.5, effect 0.
    """

    expected: float
    stddev: float
    ci: tuple[float, float]
    chance_to_win: float
    risk: tuple[float, float]
    error: str | None = None

    @property
    def expected_loss(self) -> float:
        """Expected loss of shipping the treatment (what you give up if it is in fact worse)."""
        return self.risk[1]


class EffectBayesianABTest:
    """Gaussian-on-effect Bayesian A/B test, matching gbstats with its default prior."""

    def __init__(
        self,
        control: Statistic,
        treatment: Statistic,
        alpha: float = 0.05,
        relative: bool = True,
        inverse: bool = False,
        prior: GaussianPrior | None = None,
    ):
        self.control, self.treatment = control, treatment
        self.alpha, self.relative, self.inverse = alpha, relative, inverse
        self.prior = prior or GaussianPrior()

    def compute_result(self) -> BayesianResult:
        m = effect_moments(self.control, self.treatment, self.relative)
        if m.error:
            return BayesianResult(0.0, 0.0, (0.0, 0.0), 0.5, (0.0, 0.0), m.error)
        prior = self.prior
        precision = 1 / m.variance + (1 / prior.variance if prior.proper else 0.0)
        mean = (
            (m.point_estimate / m.variance + prior.mean / prior.variance) / precision
            if prior.proper
            else (m.point_estimate)
        )
        sd = math.sqrt(1 / precision)
        z = mean / sd
        p_better = float(_sp.ndtr(z))
        chance = 1 - p_better if self.inverse else p_better
        q = float(_sp.ndtri(1 - self.alpha / 2))
        ci = (mean - q * sd, mean + q * sd)
        gain = mean * p_better + sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # E[max(effect, 0)]
        loss = gain - mean  # E[max(-effect, 0)]
        risk = (loss, gain) if self.inverse else (gain, loss)
        return BayesianResult(mean, sd, ci, chance, risk)
