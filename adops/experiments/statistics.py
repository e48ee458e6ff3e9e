"""Sufficient statistics for experiment metrics: what each variant contributes to a test.

A variant is summarised by a few sums (n, sum, sum of squares, and for ratio metrics the sum of
products of numerator and denominator), never by raw rows, so results can be computed from a
warehouse aggregate or a pasted CSV alike. Conventions follow GrowthBook's gbstats so that the
same inputs give the same numbers:

- proportion (conversion rate, CTR): mean = conversions / n, variance = p(1 - p) (no n - 1);
- sample mean (revenue per user): variance with the n - 1 denominator;
- ratio (CPA, ROAS, revenue per click): mean = sum(m) / sum(d) over the same units, variance by the
  delta method from the numerator and denominator variances and their covariance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ProportionStatistic",
    "RatioStatistic",
    "SampleMeanStatistic",
    "Statistic",
    "proportion",
    "sample_mean",
]


@dataclass(frozen=True)
class SampleMeanStatistic:
    """A per-unit numeric metric: n units, the sum of their values and of their squares."""

    n: int
    sum: float
    sum_squares: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        """Sample variance of one unit's value (n - 1 denominator); 0 below two units."""
        if self.n <= 1:
            return 0.0
        return (self.sum_squares - self.sum**2 / self.n) / (self.n - 1)

    def __add__(self, other: SampleMeanStatistic | ProportionStatistic) -> SampleMeanStatistic:
        return SampleMeanStatistic(
            self.n + other.n, self.sum + other.sum, self.sum_squares + other.sum_squares
        )


@dataclass(frozen=True)
class ProportionStatistic:
    """A 0/1 metric per unit (converted or not): n units, `sum` of them converted."""

    n: int
    sum: float

    @property
    def sum_squares(self) -> float:
        return self.sum

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        """Bernoulli variance p(1 - p), as gbstats uses it."""
        p = self.mean
        return p * (1.0 - p)

    def __add__(self, other: ProportionStatistic) -> ProportionStatistic:
        return ProportionStatistic(self.n + other.n, self.sum + other.sum)


@dataclass(frozen=True)
class RatioStatistic:
    """A ratio of two per-unit sums over the same n units, e.g. spend / conversions (CPA).

    `sum_of_products` is the sum over units of numerator x denominator; it gives their covariance.
    """

    n: int
    numerator: SampleMeanStatistic | ProportionStatistic
    denominator: SampleMeanStatistic | ProportionStatistic
    sum_of_products: float

    @property
    def mean(self) -> float:
        return self.numerator.sum / self.denominator.sum if self.denominator.sum != 0 else 0.0

    @property
    def covariance(self) -> float:
        if self.n <= 1:
            return 0.0
        m, d = self.numerator, self.denominator
        if isinstance(m, ProportionStatistic) and isinstance(d, ProportionStatistic):
            return self.sum_of_products / self.n - m.sum * d.sum / self.n**2
        return (self.sum_of_products - m.sum * d.sum / self.n) / (self.n - 1)

    @property
    def variance(self) -> float:
        """Per-unit variance of the ratio by the delta method (multiply by 1/n for the estimate's)."""
        mean_m, mean_d = self.numerator.mean, self.denominator.mean
        if mean_d == 0 or self.n <= 1:
            return 0.0
        return (
            self.numerator.variance / mean_d**2
            - 2 * self.covariance * mean_m / mean_d**3
            + self.denominator.variance * mean_m**2 / mean_d**4
        )


Statistic = SampleMeanStatistic | ProportionStatistic | RatioStatistic


def proportion(conversions: float, users: int) -> ProportionStatistic:
    """The statistic of a conversion-rate metric from its two counts."""
    return ProportionStatistic(n=int(users), sum=float(conversions))


def sample_mean(values: Iterable[float]) -> SampleMeanStatistic:
    """The statistic of a per-unit metric from its values (one per unit)."""
    n, total, squares = 0, 0.0, 0.0
    for v in values:
        n, total, squares = n + 1, total + v, squares + v * v
    return SampleMeanStatistic(n=n, sum=total, sum_squares=squares)


def is_finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)
