"""Sample-ratio mismatch: are the users split the way the experiment planned?

A chi-square goodness-of-fit test of the observed users per variant against the planned weights
(gbstats' `check_srm`). A tiny p-value means assignment or tracking is broken and the readout
should not be trusted; by convention p < 0.001 is flagged loudly.
"""

from __future__ import annotations

from collections.abc import Sequence

from scipy import stats as _st

__all__ = ["SRM_THRESHOLD", "srm_p_value"]

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
    return float(_st.chi2.sf(chi2, len(pairs) - 1))
