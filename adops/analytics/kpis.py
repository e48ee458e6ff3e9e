"""KPIs, defined once: always ratios of sums, never averages of per-row ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: name -> (numerator, denominator, scale, higher_is_better)
KPIS: dict[str, tuple[str, str, float, bool]] = {
    "ctr": ("clicks", "impressions", 1.0, True),
    "cpc": ("spend", "clicks", 1.0, False),
    "cpm": ("spend", "impressions", 1000.0, False),
    "cpa": ("spend", "conversions", 1.0, False),
    "roas": ("conversion_value", "spend", 1.0, True),
    "cvr": ("conversions", "clicks", 1.0, True),
}
LABELS = {
    "spend": "Spend",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "conversions": "Conversions",
    "conversion_value": "Conversion value",
    "ctr": "CTR",
    "cpc": "CPC",
    "cpm": "CPM",
    "cpa": "CPA",
    "roas": "ROAS",
    "cvr": "Conversion rate",
}


def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float:
    """numerator/denominator·scale, NaN when the denominator is zero."""
    return float(numerator) / float(denominator) * scale if denominator else float("nan")


def kpi(name: str, sums: dict[str, float] | pd.Series) -> float:
    num, den, scale, _ = KPIS[name]
    return ratio(sums[num], sums[den], scale)


def add_kpis(frame: pd.DataFrame) -> pd.DataFrame:
    """Add every KPI column to a frame of summed metrics."""
    out = frame.copy()
    for name, (num, den, scale, _) in KPIS.items():
        if num in out and den in out:
            den_values = out[den].astype(float).replace(0, np.nan)
            out[name] = out[num].astype(float) / den_values * scale
    return out


def higher_is_better(name: str) -> bool:
    return KPIS[name][3] if name in KPIS else True
