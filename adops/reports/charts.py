"""The report's charts, drawn with matplotlib: inline SVG for HTML, PNG for PDF, no browser needed.

(Plotly's static images need kaleido and a Chromium; matplotlib draws offline, and it is already a
dependency of the forecasts.) Colours are Okabe-Ito's colour-blind-safe palette; platforms are
labelled by name; each chart carries its title as its accessible name (the HTML and
the PDF print it above the chart).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pandas as pd

from adops.analytics.kpis import kpi
from adops.platforms import PLATFORM_NAMES, PLATFORMS

#: Okabe & Ito (2008), one colour per platform, in PLATFORMS order
PALETTE = dict(
    zip(PLATFORMS, ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"), strict=True)
)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    #: b"" when drawn for HTML only (a dry run's preview): the PDF draws its own
    png: bytes = b""


def charts(daily: pd.DataFrame, by_platform: pd.DataFrame, currency: str, png: bool = True) -> list[Chart]:
    """Daily spend by platform, and conversions and CPA by platform; [] when there is no data.
    `png=False` draws the SVGs only (the HTML needs no PNG; rasterising is half of a chart's time)."""
    if daily.empty:
        return []
    rows = by_platform[by_platform["platform"].isin(PLATFORMS)]
    out = [_lines(daily, "spend", f"Daily spend by platform ({currency})", png)]
    out.append(_bars(rows, "conversions", "Conversions by platform", png))
    cpa = rows.assign(cpa=[kpi("cpa", r) for _, r in rows.iterrows()])
    out.append(_bars(cpa, "cpa", f"Cost per acquisition by platform ({currency})", png))
    return out


def _figure():  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    # fixed margins, not a layout engine: constrained layout took 40% of the drawing, twice per chart
    return Figure(figsize=(7.5, 3.2), dpi=110)


def _lines(daily: pd.DataFrame, metric: str, title: str, png: bool = True) -> Chart:
    fig = _figure()
    ax = fig.add_subplot()
    for platform, rows in daily.groupby("platform", sort=False):
        rows = rows.sort_values("date")
        ax.plot(
            pd.to_datetime(rows["date"]),
            rows[metric],
            label=PLATFORM_NAMES.get(str(platform), str(platform)),
            color=PALETTE.get(str(platform), "#000000"),
            linewidth=1.8,
        )
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.autofmt_xdate()
    fig.subplots_adjust(left=0.09, right=0.80, top=0.95, bottom=0.24)
    return _export(fig, title, png)


def _bars(rows: pd.DataFrame, metric: str, title: str, png: bool = True) -> Chart:
    fig = _figure()
    ax = fig.add_subplot()
    rows = rows.sort_values(metric)
    labels = [PLATFORM_NAMES.get(p, p) for p in rows["platform"]]
    values = rows[metric].fillna(0.0).astype(float)
    ax.barh(labels, values, color=[PALETTE.get(p, "#000000") for p in rows["platform"]])
    for y, v in enumerate(values):
        ax.annotate(
            f"{v:,.2f}" if metric == "cpa" else f"{v:,.0f}",
            (v, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.margins(x=0.15)
    ax.grid(axis="x", alpha=0.3)
    fig.subplots_adjust(left=0.19, right=0.97, top=0.95, bottom=0.12)
    return _export(fig, title, png)


def _export(fig, title: str, with_png: bool = True) -> Chart:  # type: ignore[no-untyped-def]
    from matplotlib import rc_context

    svg, png = io.StringIO(), io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "adops"}):
        fig.savefig(svg, format="svg", metadata={"Date": None, "Title": title})
    if with_png:
        fig.savefig(png, format="png")
    text = svg.getvalue()
    text = text[text.index("<svg") :]  # inline: no XML declaration or doctype
    text = re.sub(r"<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', text, count=1)
    return Chart(title, text, png.getvalue())


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
