"""The one palette of every page: Okabe-Ito colours (told apart with every common colour-vision
deficiency), and per platform a dash and a marker too, so series that share a chart differ by more
than hue (in grey print, or for a reader who cannot tell two hues apart)."""

from __future__ import annotations

from typing import Any

from adops.config import PLATFORM_NAMES

#: Okabe-Ito, without its yellow (#F0E442, 1.2:1 on white: no line should need it)
SAFE_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"]
PLATFORM_COLORS = {
    "google_ads": "#0072B2",
    "meta": "#E69F00",
    "linkedin": "#009E73",
    "microsoft_ads": "#CC79A7",
    "tiktok": "#000000",
    "pinterest": "#D55E00",
}
PLATFORM_DASHES = {
    "google_ads": "solid",
    "meta": "dash",
    "linkedin": "dot",
    "microsoft_ads": "dashdot",
    "tiktok": "longdash",
    "pinterest": "longdashdot",
}
PLATFORM_SYMBOLS = {
    "google_ads": "circle",
    "meta": "square",
    "linkedin": "diamond",
    "microsoft_ads": "triangle-up",
    "tiktok": "x",
    "pinterest": "star",
}
#: the same, keyed by the names people read (charts label their series with them)
COLORS_BY_LABEL = {PLATFORM_NAMES[k]: v for k, v in PLATFORM_COLORS.items()}
#: lines of one chart that are not platforms: what happened, what is expected, its interval
ACTUAL, FORECAST, BAND = "#000000", "#0072B2", "rgba(0,114,178,0.18)"


def _platform(name: str) -> str | None:
    if name in PLATFORM_COLORS:
        return name
    return next((k for k, label in PLATFORM_NAMES.items() if label == name), None)


def distinguish(fig: Any) -> Any:
    """Give each platform's trace its dash and marker (and colour), by its name or label; returns fig."""
    for trace in fig.data:
        platform = _platform(str(getattr(trace, "name", "") or ""))
        if platform is None:
            continue
        if trace.type == "scatter":
            trace.update(line={"dash": PLATFORM_DASHES[platform], "color": PLATFORM_COLORS[platform]})
            trace.update(marker={"symbol": PLATFORM_SYMBOLS[platform], "color": PLATFORM_COLORS[platform]})
        elif trace.type == "bar":
            trace.update(
                marker={"color": PLATFORM_COLORS[platform], "pattern": {"shape": _PATTERNS[platform]}}
            )
    return fig


_PATTERNS = {
    "google_ads": "",
    "meta": "/",
    "linkedin": ".",
    "microsoft_ads": "x",
    "tiktok": "-",
    "pinterest": "+",
}


def day_ticks(fig: Any) -> Any:
    """Date axes of a short range tick once a day (`Dec 07`), not every few hours; a one-day range is
    centred on its day (plotly would label it `23:59:59.999 … 00:00:00.001`). Returns fig."""
    import pandas as pd

    days = pd.to_datetime(
        pd.Series([x for trace in fig.data for x in (trace.x if trace.x is not None else [])]),
        errors="coerce",
    ).dropna()
    if days.empty:
        return fig
    first, last = days.min(), days.max()
    if (last - first).days <= 14:
        fig.update_xaxes(dtick=86_400_000, tickformat="%b %d")
    if first == last:
        fig.update_xaxes(range=[first - pd.Timedelta(hours=12), last + pd.Timedelta(hours=12)])
    return fig


def legend_below(fig: Any) -> Any:
    """The legend in rows at the foot of the figure, below the axis: beside the plot it takes half of a
    phone's width (390 px), and between plot and axis it would cover the ticks. Returns fig."""
    fig.update_layout(
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        margin={"b": 120},
    )
    return fig
