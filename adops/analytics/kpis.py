"""KPIs, defined once: names, formulas, labels and formats, for analytics, pages, reports and notebooks.

A KPI is always a ratio of sums, never an average of per-row ratios. Its `kind` says how people read
it (money in a currency, a rate as a percentage, a ratio such as ROAS, a plain count), and both the
text format (`format_value`) and a table column's format (`column_format`) follow from it, so a page,
a report and a notebook show a CPA the same way.
"""

from __future__ import annotations

import math

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
#: how each metric and KPI is read: money (in a currency), rate (a share), ratio (×), count
KINDS = {
    "spend": "money",
    "conversion_value": "money",
    "cpc": "money",
    "cpm": "money",
    "cpa": "money",
    "ctr": "rate",
    "cvr": "rate",
    "roas": "ratio",
    "impressions": "count",
    "clicks": "count",
    "conversions": "count",
}
#: a table column's number format per kind (Streamlit's NumberColumn: printf-style or "percent")
COLUMN_FORMATS = {"money": "%,.2f", "rate": "percent", "ratio": "%.2f", "count": "%,.0f"}
_FRACTIONAL_COUNTS = {"conversions"}  # platforms report fractional conversions


def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float:
    """numerator/denominator·scale, NaN when the denominator is zero."""
    return float(numerator) / float(denominator) * scale if denominator else float("nan")


def kpi(name: str, sums: dict[str, float] | pd.Series) -> float:
    """One KPI from summed metrics (a dict or a row)."""
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


def sql(name: str, column: str = "{}") -> str:
    """The KPI as a DuckDB expression over summed columns, NULL when the denominator is 0.

    `column` names a sum: `"{}_prev"` reads `spend_prev` and `clicks_prev` for the previous period.
    """
    num, den, scale, _ = KPIS[name]
    factor = f" * {scale:g}" if scale != 1 else ""
    return f"({column.format(num)}::DOUBLE / nullif({column.format(den)}, 0){factor})"


def higher_is_better(name: str) -> bool:
    return KPIS[name][3] if name in KPIS else True


def kind(name: str) -> str:
    """money, rate, ratio or count (unknown names read as counts)."""
    return KINDS.get(name, "count")


def label(name: str, currency: str | None = None) -> str:
    """The metric's label, with the currency for money totals: `Spend (USD)`, `CPA (EUR)`."""
    text = LABELS.get(name, name.replace("_", " ").capitalize())
    return f"{text} ({currency})" if currency and kind(name) == "money" else text


def format_value(name: str, value: float | None, currency: str = "USD", short: bool = False) -> str:
    """A value as people read it: `USD 43.13`, `1.12%`, `3.74×`, `142,102`; `–` for none.

    `short` keeps large numbers to a few characters for a metric tile: `USD 6.12M`, `1.41M`.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    k = kind(name)
    if k == "rate":
        return f"{value:.2%}"
    if k == "ratio":
        return f"{value:.2f}×"
    if k == "money":
        amount = (
            compact(value)
            if short and abs(value) >= 1e5
            else f"{value:,.2f}"
            if abs(value) < 1000
            else f"{value:,.0f}"
        )
        return f"{currency} {amount}"
    if short and abs(value) >= 1e6:  # a count keeps its digits up to 999,999: they fit a tile
        return compact(value)
    return f"{value:,.1f}" if name in _FRACTIONAL_COUNTS and abs(value) < 100 else f"{value:,.0f}"


def column_format(name: str) -> str:
    """The format of the metric's table column (Streamlit NumberColumn `format`)."""
    if name in _FRACTIONAL_COUNTS:
        return "%,.1f"
    return COLUMN_FORMATS[kind(name)]


def compact(value: float) -> str:
    """A large number short enough for a metric tile: 950, 12.3k, 4.71M, 1.2B."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit * 0.9995:  # 999,999 reads 1M, not 1e+03k
            text = f"{value / limit:.3g}"
            return f"{text}{suffix}" if "e" not in text else f"{value / limit:,.0f}{suffix}"
    return f"{value:,.0f}"
