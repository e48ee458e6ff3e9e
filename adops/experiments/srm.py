"""Sample-ratio mismatch: are the users split the way the experiment planned?

A chi-square goodness-of-fit test of the observed users per variant against the planned weights
(gbstats' `check_srm`). A tiny p-value means assignment or tracking is broken and the readout
should not be trusted; by convention p < 0.001 is flagged loudly.

`srm_daily` is the same test for counts that arrive per day, as ad-platform clicks and impressions
do. Those are not independent coin flips per user: budgets, auctions and pacing move a whole day's
traffic together, so the day-to-day spread of each variant's share is often many times the binomial
one, and the plain test then flags perfectly even splits. The daily version estimates that
over-dispersion (Pearson chi-square of each day around the pooled observed shares, per degree of
freedom) and divides it out (quasi-likelihood F test). It never makes the test more sensitive than
the plain one, and a split that is off plan every day is still flagged, since the dispersion is
measured around the observed shares, not the planned ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy import special as _sp  # chi2.sf and f.sf's own functions, without their per-call checks

__all__ = ["SRM_THRESHOLD", "SrmResult", "srm_daily", "srm_p_value"]

SRM_THRESHOLD = 0.001


def srm_p_value(users: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """p-value of the chi-square test of `users` against planned `weights` (equal split by default).

    Variants planned at weight 0 are left out. Returns 1.0 when there is nothing to test.
    """
    if weights is None:
        weights = [1.0] * len(users)
    if len(weights) != len(users):
        raise ValueError("users and weights must have the same length")
    if any(w < 0 for w in weights) or any(u < 0 for u in users):
        raise ValueError("users and weights must not be negative")
    pairs = [(float(u), float(w)) for u, w in zip(users, weights, strict=True) if w > 0]
    total_users = sum(u for u, _ in pairs)
    total_weight = sum(w for _, w in pairs)
    if len(pairs) < 2 or total_users <= 0:
        return 1.0
    chi2 = 0.0
    for u, w in pairs:
        expected = total_users * w / total_weight
        chi2 += (u - expected) ** 2 / expected
    return float(_sp.chdtrc(len(pairs) - 1, chi2))


@dataclass(frozen=True)
class SrmResult:
    """The daily SRM test: its p-value and the over-dispersion divided out (1 = binomial)."""

    p_value: float
    dispersion: float
    days: int


def srm_daily(daily_users: Sequence[Sequence[float]], weights: Sequence[float] | None = None) -> SrmResult:
    """SRM test of per-day users (one row per day, one column per variant), robust to day-level clustering."""
    rows = [[float(u) for u in day] for day in daily_users if sum(day) > 0]
    if not rows:
        return SrmResult(1.0, 1.0, 0)
    k = len(rows[0])
    weights = list(weights) if weights is not None else [1.0] * k
    keep = [i for i, w in enumerate(weights) if w > 0]
    if any(len(r) != k for r in rows) or len(weights) != k:
        raise ValueError("every day needs one count per variant, and one weight per variant")
    totals = [sum(r[i] for r in rows) for i in range(k)]
    plain = srm_p_value(totals, weights)
    rows = [[r[i] for i in keep] for r in rows if sum(r[i] for i in keep) > 0]
    totals = [totals[i] for i in keep]
    df_days = (len(rows) - 1) * (len(keep) - 1)
    if len(keep) < 2 or df_days < 2:
        return SrmResult(plain, 1.0, len(rows))
    grand = sum(totals)
    shares = [t / grand for t in totals]
    pearson = 0.0
    for r in rows:
        n = sum(r)
        pearson += sum((u - n * s) ** 2 / (n * s) for u, s in zip(r, shares, strict=True) if s > 0)
    dispersion = pearson / df_days
    if dispersion <= 1:
        return SrmResult(plain, 1.0, len(rows))
    planned = [weights[i] for i in keep]
    expected = [grand * w / sum(planned) for w in planned]
    chi2 = sum((t - e) ** 2 / e for t, e in zip(totals, expected, strict=True))
    f_stat = chi2 / (len(keep) - 1) / dispersion
    return SrmResult(float(_sp.fdtrc(len(keep) - 1, df_days, f_stat)), dispersion, len(rows))
