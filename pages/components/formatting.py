"""Labels and number formats shared by the pages."""

from __future__ import annotations

import math

from adops.config import PLATFORM_NAMES

PLATFORM_LABELS = PLATFORM_NAMES
PLATFORM_COLORS = {
    "google_ads": "#4285F4",
    "meta": "#7C3AED",
    "pinterest": "#E60023",
    "linkedin": "#0E7490",
    "tiktok": "#111827",
    "microsoft_ads": "#F59E0B",
}


def fmt(kpi: str, value: float, currency: str = "USD") -> str:
    """A KPI value as people read it: money with the currency, rates as percentages."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kpi in ("spend", "conversion_value", "cpa", "cpc", "cpm"):
        return f"{currency} {value:,.2f}" if abs(value) < 1000 else f"{currency} {value:,.0f}"
    if kpi in ("ctr", "cvr"):
        return f"{value:.2%}"
    if kpi == "roas":
        return f"{value:.2f}×"
    return f"{value:,.0f}"


def compact(value: float) -> str:
    """A large number short enough for a metric tile: 950, 12.3k, 4.71M, 1.2B."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit * 0.9995:  # 999,999 reads 1M, not 1e+03k
            text = f"{value / limit:.3g}"
            return f"{text}{suffix}" if "e" not in text else f"{value / limit:,.0f}{suffix}"
    return f"{value:,.0f}"
