"""Readouts: every test run on one control/treatment pair, and a whole experiment from its counts.

`compare` gives one metric's comparison (fixed-horizon and sequential frequentist, Bayesian).
`analyze_counts` reads an experiment the way `adops ab` does: the first variant is the control,
each other variant is compared with it on conversion rate (and revenue per user when given),
the users are checked against the planned split (SRM), and p-values are also Holm-adjusted across
the treatments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special as _sp

from adops.experiments.bayesian import EffectBayesianABTest
from adops.experiments.corrections import holm_with_gaps
from adops.experiments.frequentist import (
    BASELINE_ZERO,
    DEFAULT_SEQUENTIAL_TUNING,
    NO_UNITS,
    ZERO_VARIANCE,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
    sequential_rho,
)
from adops.experiments.srm import SRM_THRESHOLD, srm_p_value
from adops.experiments.statistics import ProportionStatistic, SampleMeanStatistic, Statistic

__all__ = [
    "ExperimentReadout",
    "MetricComparison",
    "VariantCounts",
    "VariantReadout",
    "analyze_counts",
    "compare",
    "compare_arrays",
    "compare_columns",
    "compare_many",
]


@dataclass(frozen=True)
class MetricComparison:
    """One metric, treatment vs control: relative lift with fixed and sequential intervals, Bayesian odds.

    Interval and p-value fields are None when the test cannot be computed (see `error`).
    `chance_to_win` and `expected_loss` are oriented: for an `inverse` metric (lower is better, e.g.
    CPA) winning means a negative lift.
    """

    metric: str
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    sequential_ci_low: float | None
    sequential_ci_high: float | None
    sequential_p_value: float | None
    chance_to_win: float | None
    expected_loss: float | None
    stddev: float | None
    inverse: bool = False
    error: str | None = None

    @property
    def improves(self) -> bool:
        return self.lift is not None and (self.lift < 0 if self.inverse else self.lift > 0)


def compare(
    control: Statistic,
    treatment: Statistic,
    metric: str = "conversion_rate",
    alpha: float = 0.05,
    inverse: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> MetricComparison:
    """Run the fixed-horizon, sequential and Bayesian tests of the relative lift of one metric."""
    fixed = TwoSidedTTest(control, treatment, alpha).compute_result()
    if fixed.error:
        lift = fixed.expected if control.n > 0 and treatment.n > 0 and control.mean != 0 else None
        return MetricComparison(
            metric, lift, None, None, None, None, None, None, None, None, None, inverse, fixed.error
        )
    seq = SequentialTwoSidedTTest(control, treatment, alpha, tuning=tuning).compute_result()
    bayes = EffectBayesianABTest(control, treatment, alpha, inverse=inverse).compute_result()
    assert fixed.ci is not None and seq.ci is not None
    return MetricComparison(
        metric=metric,
        lift=fixed.expected,
        ci_low=fixed.ci[0],
        ci_high=fixed.ci[1],
        p_value=fixed.p_value,
        sequential_ci_low=seq.ci[0],
        sequential_ci_high=seq.ci[1],
        sequential_p_value=seq.p_value,
        chance_to_win=bayes.chance_to_win,
        expected_loss=bayes.expected_loss,
        stddev=fixed.stddev,
        inverse=inverse,
    )


def compare_many(
    controls: Sequence[Statistic],
    treatments: Sequence[Statistic],
    metric: str = "conversion_rate",
    alpha: float = 0.05,
    inverse: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> list[MetricComparison]:
    """`compare` over many pairs at once (e.g. the cumulative lift of every day): the same numbers,
    with the t, normal and sequential computations done as numpy/scipy array calls instead of
    scalar calls in a loop."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if tuning <= 0:
        raise ValueError("the sequential tuning parameter must be positive")
    if len(controls) != len(treatments):
        raise ValueError("controls and treatments must pair up")

    def arrays(stats: Sequence[Statistic]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.array([x.n for x in stats], dtype=float),
            np.array([x.mean for x in stats], dtype=float),
            np.array([x.variance for x in stats], dtype=float),
        )

    return compare_arrays(*arrays(controls), *arrays(treatments), metric, alpha, inverse, tuning)


def compare_arrays(
    n_c: np.ndarray,
    mean_c: np.ndarray,
    var_c: np.ndarray,
    n_t: np.ndarray,
    mean_t: np.ndarray,
    var_t: np.ndarray,
    metric: str = "conversion_rate",
    alpha: float = 0.05,
    inverse: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> list[MetricComparison]:
    """`compare_many` from each pair's units, mean and per-unit variance as arrays (no statistic
    objects): `effect_moments` (relative lift) and the tests as array steps, the same numbers."""
    r = compare_columns(n_c, mean_c, var_c, n_t, mean_t, var_t, alpha, inverse, tuning)
    out: list[MetricComparison] = []
    for j in range(len(n_c)):
        if r["error"][j] is not None:
            lift = None if np.isnan(r["lift"][j]) else float(r["lift"][j])
            out.append(
                MetricComparison(
                    metric, lift, None, None, None, None, None, None, None, None, None, inverse, r["error"][j]
                )
            )
            continue
        out.append(
            MetricComparison(
                metric=metric,
                lift=float(r["lift"][j]),
                ci_low=float(r["ci_low"][j]),
                ci_high=float(r["ci_high"][j]),
                p_value=float(r["p_value"][j]),
                sequential_ci_low=float(r["sequential_ci_low"][j]),
                sequential_ci_high=float(r["sequential_ci_high"][j]),
                sequential_p_value=float(r["sequential_p_value"][j]),
                chance_to_win=float(r["chance_to_win"][j]),
                expected_loss=float(r["expected_loss"][j]),
                stddev=float(r["stddev"][j]),
                inverse=inverse,
            )
        )
    return out


def compare_columns(
    n_c: np.ndarray,
    mean_c: np.ndarray,
    var_c: np.ndarray,
    n_t: np.ndarray,
    mean_t: np.ndarray,
    var_t: np.ndarray,
    alpha: float = 0.05,
    inverse: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> dict[str, Any]:
    """`compare_arrays` as columns (MetricComparison's fields as float arrays, NaN where a test cannot
    be computed, and `error`: a list of None or the reason), for tables that need no objects."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if tuning <= 0:
        raise ValueError("the sequential tuning parameter must be positive")
    k = len(n_c)
    with np.errstate(all="ignore"):
        no_units = (n_c <= 0) | (n_t <= 0)
        zero_base = ~no_units & (mean_c == 0)
        point = np.where(no_units | zero_base, 0.0, (mean_t - mean_c) / mean_c)
        flat = ~no_units & ~zero_base & ((var_c <= 0) | (var_t <= 0) | (n_c <= 1) | (n_t <= 1))
        ok = ~(no_units | zero_base | flat)
        pw = np.float_power  # libm's pow, as Python's ** on floats (numpy's ** may differ in the last bit)
        var = var_t / (pw(mean_c, 2) * n_t) + var_c * pw(mean_t, 2) / (pw(mean_c, 4) * n_c)
        dof = pw(var_t / n_t + var_c / n_c, 2) / (
            pw(var_t, 2) / (pw(n_t, 2) * (n_t - 1)) + pw(var_c, 2) / (pw(n_c, 2) * (n_c - 1))
        )
        n = n_c + n_t
        se = np.sqrt(var)
        # fixed horizon (Welch t), as TwoSidedTTest
        p_fixed = 2 * _sp.stdtr(dof, -np.abs(point / se))
        half = _sp.stdtrit(dof, 1 - alpha / 2) * se
        # sequential (mixture confidence sequence and e-value), as SequentialTwoSidedTTest
        rho = sequential_rho(alpha, tuning)
        nr2 = n * rho**2
        seq_half = (
            se * np.sqrt(n) * np.sqrt(2 * (nr2 + 1) * np.log(np.sqrt(nr2 + 1) / alpha) / (n * rho) ** 2)
        )
        log_e = rho**2 * (point**2 / se**2) * n / (2 * (nr2 + 1)) - 0.5 * np.log(nr2 + 1)
        p_seq = np.where(log_e <= 0, 1.0, np.exp(-np.maximum(log_e, 0)))
        # Bayesian with gbstats' flat prior, as EffectBayesianABTest
        sd = np.sqrt(1 / (1 / var))
        z = point / sd
        p_better = _sp.ndtr(z)
        chance = 1 - p_better if inverse else p_better
        gain = point * p_better + sd * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        loss = gain - point
        expected_loss = gain if inverse else loss
    error = [
        None if ok[j] else NO_UNITS if no_units[j] else BASELINE_ZERO if zero_base[j] else ZERO_VARIANCE
        for j in range(k)
    ]
    bad = ~ok
    nan = np.nan

    def keep(x: np.ndarray) -> np.ndarray:
        return np.where(bad, nan, x)

    return {
        "lift": np.where(no_units | zero_base, nan, point),
        "ci_low": keep(point - half),
        "ci_high": keep(point + half),
        "p_value": keep(p_fixed),
        "sequential_ci_low": keep(point - seq_half),
        "sequential_ci_high": keep(point + seq_half),
        "sequential_p_value": keep(p_seq),
        "chance_to_win": keep(chance),
        "expected_loss": keep(expected_loss),
        "stddev": keep(se),
        "error": error,
    }


@dataclass(frozen=True)
class VariantCounts:
    """One variant's totals: users (units), conversions, and optionally planned weight and revenue.

    `revenue_sum_squares` (sum over users of revenue squared) enables a revenue-per-user test.
    """

    variant: str
    users: int
    conversions: float
    weight: float | None = None
    revenue: float | None = None
    revenue_sum_squares: float | None = None

    @property
    def rate(self) -> float | None:
        return self.conversions / self.users if self.users > 0 else None

    @property
    def conversion_statistic(self) -> ProportionStatistic:
        return ProportionStatistic(self.users, self.conversions)

    @property
    def revenue_statistic(self) -> SampleMeanStatistic | None:
        if self.revenue is None or self.revenue_sum_squares is None:
            return None
        return SampleMeanStatistic(self.users, self.revenue, self.revenue_sum_squares)


@dataclass(frozen=True)
class VariantReadout:
    """A variant's counts and, for treatments, its comparisons with the control."""

    counts: VariantCounts
    conversion: MetricComparison | None = None  # None for the control
    revenue: MetricComparison | None = None
    p_value_holm: float | None = None
    sequential_p_value_holm: float | None = None


@dataclass(frozen=True)
class ExperimentReadout:
    experiment: str | None
    alpha: float
    srm_p_value: float
    variants: list[VariantReadout] = field(default_factory=list)

    @property
    def srm_flag(self) -> bool:
        """True when the split is so far off plan (p < 0.001) that the readout should not be trusted."""
        return self.srm_p_value < SRM_THRESHOLD

    @property
    def control(self) -> VariantReadout:
        return self.variants[0]


def analyze_counts(
    variants: Sequence[VariantCounts],
    alpha: float = 0.05,
    experiment: str | None = None,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> ExperimentReadout:
    """Read out one experiment: the first variant is the control, every other one is compared with it."""
    if len(variants) < 2:
        raise ValueError("an experiment needs a control and at least one treatment")
    control = variants[0]
    weights = [v.weight for v in variants]
    planned = None if all(w is None for w in weights) else [float(w or 0.0) for w in weights]
    srm = srm_p_value([v.users for v in variants], planned)

    comparisons: list[tuple[MetricComparison, MetricComparison | None]] = []
    for v in variants[1:]:
        conv = compare(
            control.conversion_statistic, v.conversion_statistic, "conversion_rate", alpha, tuning=tuning
        )
        rev = None
        c_rev, t_rev = control.revenue_statistic, v.revenue_statistic
        if c_rev is not None and t_rev is not None:
            rev = compare(c_rev, t_rev, "revenue_per_user", alpha, tuning=tuning)
        comparisons.append((conv, rev))

    fixed_p = [c.p_value for c, _ in comparisons]
    seq_p = [c.sequential_p_value for c, _ in comparisons]
    fixed_holm = holm_with_gaps(fixed_p)
    seq_holm = holm_with_gaps(seq_p)
    readouts = [VariantReadout(control)]
    for i, (v, (conv, rev)) in enumerate(zip(variants[1:], comparisons, strict=True)):
        readouts.append(VariantReadout(v, conv, rev, fixed_holm[i], seq_holm[i]))
    return ExperimentReadout(experiment, alpha, srm, readouts)
