"""Multiple-comparison corrections across variants and metrics.

- Holm (step-down Bonferroni): controls the family-wise error rate — the chance of any false winner.
- Benjamini-Hochberg: controls the false discovery rate — the expected share of false winners.

Both return adjusted p-values in the input order (compare each with alpha). They agree with
statsmodels' `multipletests(method="holm")` and `method="fdr_bh"` (whose default is Holm-Sidak, not
Holm, hence the explicit names).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["benjamini_hochberg", "holm", "holm_with_gaps"]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values: max over earlier ranks of (m - rank) * p, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="mergesort")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted.tolist()


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values): min over later ranks of p * m / rank, capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="mergesort")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted.tolist()


def holm_with_gaps(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm over the p-values that exist; a None (test not computable) stays None and does not count."""
    present = [p for p in p_values if p is not None]
    adjusted = iter(holm(present))
    return [None if p is None else next(adjusted) for p in p_values]
