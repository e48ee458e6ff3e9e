"""Tables the Budget page draws: a channel's response curve, budget scenarios, the waterfall of changes.

Pure functions over fitted curves and a recommendation, so the page holds no statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from adops.optimize.curves import CurveFit
from adops.optimize.recommend import ChannelCurve, Recommendation, plan

SCENARIO_STEPS = (-0.2, -0.1, 0.0, 0.1, 0.2)


def curve_frame(curve: CurveFit, upper: float, points: int = 80, interval: float = 0.9) -> pd.DataFrame:
    """spend, expected, low, high (posterior interval; the estimate where there is none) up to `upper`."""
    top = max(upper, curve.observed_max) * 1.1 or 1.0
    x = np.linspace(0.0, top, points)
    expected = curve.expected(x)  # the curve the allocator works on (the posterior's mean)
    if len(curve.boot_beta):
        q = [(1 - interval) / 2, (1 + interval) / 2]
        low, high = np.quantile(curve.boot_value(x), q, axis=0)
    else:
        low = high = expected
    return pd.DataFrame({"spend": x, "expected": expected, "low": low, "high": high})


def scenario_frame(
    fits: list[ChannelCurve], budget: float, objective: str, steps: Sequence[float] = SCENARIO_STEPS
) -> pd.DataFrame:
    """What each total budget around `budget` buys (re-allocated optimally), where the bounds allow it."""
    rows = []
    for step in steps:
        total = budget * (1 + step)
        try:
            rec = plan(fits, total, objective=objective)
        except ValueError:
            continue  # outside what the channels' bounds can spend
        rows.append(
            {
                "change": step,
                "budget": total,
                "expected": rec.expected_total,
                "uplift_low": rec.uplift_low,
                "uplift_high": rec.uplift_high,
            }
        )
    frame = pd.DataFrame(rows, columns=["change", "budget", "expected", "uplift_low", "uplift_high"])
    base = frame.loc[frame["change"] == 0.0, "expected"]
    if len(base):
        frame["vs_budget"] = frame["expected"] - float(base.iloc[0])
        spent = frame["budget"] - budget
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["marginal_cost"] = np.where(
                frame["vs_budget"].abs() > 1e-9, spent / frame["vs_budget"], np.nan
            )
    return frame


def waterfall_frame(rec: Recommendation, top: int = 12) -> pd.DataFrame:
    """Expected outcome from the current split to the recommended one: the largest moves per channel,
    the rest summed as "other channels"."""
    moves = pd.DataFrame(
        {
            "channel": [c.channel for c in rec.channels],
            "delta": [c.expected - c.current_expected for c in rec.channels],
        }
    )
    moves = moves.reindex(moves["delta"].abs().sort_values(ascending=False).index)
    head, rest = moves.head(top), moves.iloc[top:]
    rows = [{"label": "current split", "value": rec.current_expected_total, "measure": "absolute"}]
    rows += [{"label": r.channel, "value": r.delta, "measure": "relative"} for r in head.itertuples()]
    if len(rest):
        rows.append(
            {
                "label": f"{len(rest)} other channels",
                "value": float(rest["delta"].sum()),
                "measure": "relative",
            }
        )
    rows.append({"label": "recommended", "value": rec.expected_total, "measure": "total"})
    return pd.DataFrame(rows)


def allocation_frame(rec: Recommendation, names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per channel: current and recommended spend, expected outcome, marginal CPA/ROAS, flags."""
    names = names or {}
    return pd.DataFrame(
        [
            {
                "channel": c.channel,
                "name": names.get(c.channel, c.channel),
                "current_spend": c.current_spend,
                "spend": c.spend,
                "change": c.spend - c.current_spend,
                "change_pct": (c.spend / c.current_spend - 1) if c.current_spend > 0 else np.nan,
                "current_expected": c.current_expected,
                "expected": c.expected,
                "expected_low": c.expected_low,
                "expected_high": c.expected_high,
                "marginal": c.marginal(rec.objective),
                "observed_min": c.curve.observed_min,
                "observed_max": c.curve.observed_max,
                "extrapolated": c.extrapolated,
                "identifiable": c.curve.identifiable,
            }
            for c in rec.channels
        ]
    )
