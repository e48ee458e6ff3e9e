"""Power, minimum detectable effect, required sample size and days to significance.

All on the same scale as the readout: the relative lift L = mean_t / mean_c - 1 and its
delta-method standard error with n units per variant,

    SE(L)^2 = var_t / (mean_c^2 n) + var_c mean_t^2 / (mean_c^4 n),    mean_t = mean_c (1 + L)

where a conversion rate (`baseline_variance=None`) has var = p(1 - p) in each arm and a mean metric
keeps the control's variance. Power is the chance the test's interval excludes 0 when the true lift
is L: Phi((|L| - h) / SE) + Phi((-|L| - h) / SE), with h = z(1 - alpha/2) SE for the fixed-horizon
test and the confidence-sequence half-width for the sequential one (whose power at n is a lower
bound on the chance of having declared by then).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize as _opt
from scipy.special import ndtr as _phi  # scipy.stats.norm.cdf's own function, without its per-call checks
from scipy.special import ndtri as _phi_inv  # norm.ppf's

from adops.experiments.frequentist import DEFAULT_SEQUENTIAL_TUNING, sequential_halfwidth, sequential_rho

__all__ = [
    "days_to_significance",
    "days_to_significance_many",
    "lift_stddev",
    "mde",
    "power",
    "required_sample_size",
]

_MAX_N = 10**12


def lift_stddev(
    lift: float, baseline_mean: float, n_per_variant: float, baseline_variance: float | None = None
) -> float:
    """Standard error of the relative lift with n units in each of control and treatment."""
    if baseline_mean == 0 or n_per_variant <= 0:
        raise ValueError("the baseline mean must be non-zero and n positive")
    m_c = baseline_mean
    m_t = m_c * (1 + lift)
    if baseline_variance is None:
        if not 0 < m_c < 1:
            raise ValueError("a conversion-rate baseline must be between 0 and 1")
        v_c, v_t = m_c * (1 - m_c), min(max(m_t * (1 - m_t), 0.0), 0.25)
    else:
        v_c = v_t = baseline_variance
    return math.sqrt(v_t / (m_c**2 * n_per_variant) + v_c * m_t**2 / (m_c**4 * n_per_variant))


def power(
    lift: float,
    baseline_mean: float,
    n_per_variant: float,
    baseline_variance: float | None = None,
    alpha: float = 0.05,
    sequential: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> float:
    """Chance that a two-sided test at `alpha` declares a true relative `lift` with n units per variant."""
    se = lift_stddev(lift, baseline_mean, n_per_variant, baseline_variance)
    if sequential:
        n_total = 2 * n_per_variant
        half = sequential_halfwidth(se**2 * n_total, n_total, alpha, sequential_rho(alpha, tuning))
    else:
        half = float(_phi_inv(1 - alpha / 2)) * se
    effect = abs(lift)
    return float(_phi((effect - half) / se) + _phi((-effect - half) / se))


def required_sample_size(
    lift: float,
    baseline_mean: float,
    baseline_variance: float | None = None,
    alpha: float = 0.05,
    target_power: float = 0.8,
    sequential: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> int:
    """Smallest n per variant whose power for `lift` reaches `target_power`."""
    if lift == 0:
        raise ValueError("a lift of 0 cannot be detected")

    def short(n: float) -> float:
        return power(lift, baseline_mean, n, baseline_variance, alpha, sequential, tuning) - target_power

    hi = 2
    while short(hi) < 0:
        hi *= 2
        if hi > _MAX_N:
            raise ValueError("the lift is too small to detect with any realistic sample")
    lo = hi // 2
    while hi - lo > 1:  # integer bisection: short(lo) < 0 <= short(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if short(mid) < 0 else (lo, mid)
    return hi


def mde(
    baseline_mean: float,
    n_per_variant: float,
    baseline_variance: float | None = None,
    alpha: float = 0.05,
    target_power: float = 0.8,
    sequential: bool = False,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> float:
    """Minimum detectable (positive) relative lift at `target_power` with n units per variant."""

    def short(lift: float) -> float:
        return (
            power(lift, baseline_mean, n_per_variant, baseline_variance, alpha, sequential, tuning)
            - target_power
        )

    cap = (1 / baseline_mean - 1) if baseline_variance is None else 1e6  # a rate cannot exceed 1
    hi = min(0.01, cap)
    while short(hi) < 0:
        if hi >= cap:
            return math.inf
        hi = min(hi * 2, cap)
    return float(_opt.brentq(short, 1e-12, hi, xtol=1e-10))


def days_to_significance(
    lift: float,
    baseline_mean: float,
    users_per_day_per_variant: float,
    users_so_far_per_variant: float = 0,
    baseline_variance: float | None = None,
    alpha: float = 0.05,
    target_power: float = 0.8,
    sequential: bool = True,
    tuning: float = DEFAULT_SEQUENTIAL_TUNING,
) -> int | None:
    """More days, at the current traffic, until a true `lift` is declared with `target_power` (0 if reached).

    None when the lift is 0 or there is no traffic.
    """
    if lift == 0 or users_per_day_per_variant <= 0:
        return None
    n = required_sample_size(lift, baseline_mean, baseline_variance, alpha, target_power, sequential, tuning)
    return max(0, math.ceil((n - users_so_far_per_variant) / users_per_day_per_variant))


def days_to_significance_many(
    lift: Sequence[float],
    baseline_mean: Sequence[float],
    users_per_day_per_variant: Sequence[float],
    users_so_far_per_variant: Sequence[float],
    baseline_variance: Sequence[float | None],
    alpha: Sequence[float],
    tuning: Sequence[float],
    target_power: float = 0.8,
) -> list[int | None]:
    """`days_to_significance` (sequential) of many questions at once, the same integers: the doubling
    and the integer bisection of `required_sample_size` run as array steps over all of them. None
    where the scalar function returns None or raises (a baseline out of range, zero or negative
    variance, a lift too small for any realistic sample)."""
    lift_ = np.asarray(lift, dtype=float)
    m_c = np.asarray(baseline_mean, dtype=float)
    per_day = np.asarray(users_per_day_per_variant, dtype=float)
    so_far = np.asarray(users_so_far_per_variant, dtype=float)
    rate = np.array([v is None for v in baseline_variance], dtype=bool)
    var = np.array([0.0 if v is None else v for v in baseline_variance], dtype=float)
    alpha_ = np.asarray(alpha, dtype=float)
    rho = np.array([sequential_rho(a, t) for a, t in zip(alpha, tuning, strict=True)], dtype=float)
    if not len(lift_):
        return []
    pw = np.float_power  # libm's pow, as Python's ** on floats (numpy's ** may differ in the last bit)
    with np.errstate(all="ignore"):
        m_t = m_c * (1 + lift_)
        v_c = np.where(rate, m_c * (1 - m_c), var)
        v_t = np.where(rate, np.minimum(np.maximum(m_t * (1 - m_t), 0.0), 0.25), var)
        # the per-unit variance of the lift: SE(n)^2 = unit / n (as lift_stddev computes it)
        se2_1 = v_t / pw(m_c, 2) + v_c * pw(m_t, 2) / pw(m_c, 4)
    ok = (lift_ != 0) & (per_day > 0) & (m_c != 0) & np.isfinite(se2_1) & (se2_1 > 0)
    ok &= ~rate | ((m_c > 0) & (m_c < 1))
    effect = np.abs(lift_)

    def short(n: np.ndarray, i: np.ndarray) -> np.ndarray:
        """power(n) < target for the questions `i` (the formula of `power`, sequential)."""
        m_ci, m_ti = m_c[i], m_t[i]
        se = np.sqrt(v_t[i] / (pw(m_ci, 2) * n) + v_c[i] * pw(m_ti, 2) / (pw(m_ci, 4) * n))
        n_total = 2 * n
        nr2 = n_total * pw(rho[i], 2)
        half = np.sqrt(pw(se, 2) * n_total) * np.sqrt(
            2 * (nr2 + 1) * np.log(np.sqrt(nr2 + 1) / alpha_[i]) / pw(n_total * rho[i], 2)
        )
        p = _phi((effect[i] - half) / se) + _phi((-effect[i] - half) / se)
        return (p - target_power) < 0

    idx = np.flatnonzero(ok)
    hi = np.full(len(idx), 2, dtype=np.int64)
    active = short(hi.astype(float), idx)
    while active.any():  # doubling until the power is reached
        hi[active] *= 2
        too_far = active & (hi > _MAX_N)
        ok[idx[too_far]] = False
        active &= ~too_far
        active[active] = short(hi[active].astype(float), idx[active])
    lo = hi // 2
    keep = ok[idx]
    while True:  # integer bisection: short(lo) < 0 <= short(hi)
        open_ = keep & (hi - lo > 1)
        if not open_.any():
            break
        mid = (lo + hi) // 2
        below = np.zeros(len(idx), dtype=bool)
        below[open_] = short(mid[open_].astype(float), idx[open_])
        lo = np.where(open_ & below, mid, lo)
        hi = np.where(open_ & ~below, mid, hi)
    out: list[int | None] = [None] * len(lift_)
    for j, i in enumerate(idx.tolist()):
        if ok[i]:
            out[i] = max(0, math.ceil((int(hi[j]) - float(so_far[i])) / float(per_day[i])))
    return out
