"""Plotly figures of the A/B page: cumulative lift with its fixed and sequential intervals."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

FIXED = "rgba(37, 99, 235, 0.18)"
SEQUENTIAL = "#D97706"
LIFT = "#1D4ED8"


def lift_over_time(frame: pd.DataFrame, variant: str, metric: str, mde: float | None = None) -> go.Figure:
    """One treatment's cumulative lift per day: the fixed-horizon CI as a band, the always-valid
    (sequential) interval as dashed bounds: the result is significant once those bounds leave 0."""
    rows = frame[frame["variant"] == variant].sort_values("date")
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=rows["date"],
            y=rows["ci_high"],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=rows["date"],
            y=rows["ci_low"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=FIXED,
            name="95% CI (fixed horizon)",
            hoverinfo="skip",
        )
    )
    for column, label, show in (
        ("sequential_ci_high", "Sequential boundary (safe to peek)", True),
        ("sequential_ci_low", "Sequential boundary (safe to peek)", False),
    ):
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows[column],
                mode="lines",
                line={"color": SEQUENTIAL, "dash": "dash", "width": 1.5},
                name=label,
                showlegend=show,
                legendgroup="sequential",
                hovertemplate="%{y:+.1%}<extra>sequential bound</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=rows["date"],
            y=rows["lift"],
            mode="lines+markers",
            marker={"size": 4},
            line={"color": LIFT, "width": 2.5},
            name="Lift",
            hovertemplate="%{x|%b %d}: %{y:+.1%}<extra>lift</extra>",
        )
    )
    fig.add_hline(y=0, line={"color": "#6B7280", "width": 1})
    if mde:
        fig.add_hline(
            y=mde,
            line={"color": "#059669", "dash": "dot", "width": 1},
            annotation_text=f"MDE {mde:+.0%}",
            annotation_position="top left",
        )
    fig.update_layout(
        title=f"{variant}: lift in {metric} over time (cumulative)",
        yaxis={"tickformat": "+.0%", "title": "relative lift vs control", "range": _y_range(rows, mde)},
        xaxis={"title": ""},
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.3},
        margin={"t": 50, "b": 10},
        hovermode="x unified",
    )
    return fig


def _y_range(rows: pd.DataFrame, mde: float | None) -> list[float] | None:
    """Fit the axis to the settled part (after the first week, or the last 3/4 of the days): the first
    days' intervals are hundreds of percent wide and would flatten everything else."""
    settled = rows.iloc[max(min(7, len(rows) // 4), len(rows) // 4) :]
    values = pd.concat([settled[c] for c in ("sequential_ci_low", "sequential_ci_high", "lift")]).dropna()
    if values.empty:
        return None
    lo, hi = min(float(values.min()), 0.0), max(float(values.max()), 0.0, mde or 0.0)
    pad = (hi - lo) * 0.08 or 0.05
    return [lo - pad, hi + pad]
