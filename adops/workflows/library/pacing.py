"""`pacing-guard`: slow or pause what will overspend its monthly budget.

Each enabled campaign's month (`adops.forecast.pacing.period_bounds`) is projected from its spend to
date and its recent daily run rate (the mean of the last `run_rate_days`): the median total that
`adops.forecast.pacing.pace` gives for a flat forecast, computed for every campaign at once. A campaign whose
projected month exceeds its cap by more than `tolerance` gets the daily budget that spends what is
left of the cap over the days that remain (never below `min_budget_fraction` of today's budget),
or is paused when nothing is left. The cap is the `budgets` entry for the campaign, else its daily
budget × the days of the month.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from adops import clock, warehouse
from adops.forecast.pacing import period_bounds
from adops.workflows.engine import Change, Context, Params, Plan, Prediction, Workflow, register
from adops.workflows.library.common import Id, PlatformName, campaign_index, money

#: the follow-up window its predictions are measured over (days)
WINDOW_DAYS = 28


class MonthlyBudget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: PlatformName
    account_id: Id
    campaign_id: Id
    monthly_budget: Annotated[float, Field(gt=0, le=1e9)]


class PacingParams(Params):
    budgets: Annotated[list[MonthlyBudget], Field(max_length=5000)] = Field(
        default_factory=list,
        description="Monthly caps per campaign; others: daily budget × days in the month",
    )
    tolerance: Annotated[float, Field(ge=0, le=1)] = Field(
        0.05, description="Act when projected > cap × (1 + tolerance)"
    )
    action: Literal["slow", "pause"] = Field("slow", description="slow (lower the daily budget) or pause")
    min_budget_fraction: Annotated[float, Field(gt=0, le=1)] = Field(
        0.3, description="slow never sets less than this fraction of today's budget; below it, pause"
    )
    run_rate_days: Annotated[int, Field(ge=3, le=28)] = Field(7, description="Days the run rate is read from")
    platforms: Annotated[list[PlatformName], Field(max_length=6)] = Field(
        default_factory=list, description="Only these platforms (none: all)"
    )


def plan(params: PacingParams, ctx: Context) -> Plan:
    today = clock.today()
    start, end = period_bounds(today, "month")
    remaining = (end - today).days + 1  # today has not been spent yet
    since = min(start, today - timedelta(days=params.run_rate_days))
    daily = warehouse.query(
        """SELECT platform, account_id, campaign_id, date, sum(spend) AS spend
           FROM campaign_daily WHERE date >= ? AND date < ? GROUP BY ALL""",
        [since, today],
    )
    if params.platforms:
        daily = daily[daily["platform"].isin(params.platforms)]
    keys = {(str(p), str(a)) for p, a in zip(daily["platform"], daily["account_id"], strict=True)}
    keys &= {(a.platform, a.id) for a in ctx.accounts(params.platforms)}
    current = campaign_index(ctx, keys)
    day = pd.to_datetime(daily["date"]).dt.date
    recent_from = today - timedelta(days=params.run_rate_days)
    by = ["platform", "account_id", "campaign_id"]
    actual = daily[day >= start].groupby(by)["spend"].sum()
    rate = daily[day >= recent_from].groupby(by)["spend"].mean()
    caps: dict[tuple[str, str, str], float] = {
        (b.platform, b.account_id, b.campaign_id): b.monthly_budget for b in params.budgets
    }
    changes: list[Change] = []
    notes: list[str] = []
    predictions: list[Prediction] = []
    judged = 0
    for key, now in current.items():
        budget = now.get("daily_budget")
        if now.get("status") != "ENABLED" or budget is None or budget <= 0 or key not in rate.index:
            continue
        judged += 1
        cap = caps.get(key, float(budget) * end.day)
        spent = float(actual.get(key, 0.0))
        # the run-rate projection: the median of adops.forecast.pacing.pace's totals for a flat forecast
        projected = spent + float(rate[key]) * remaining
        if projected <= cap * (1 + params.tolerance):
            continue
        left = cap - spent
        why = f"projected {projected:,.0f} against a monthly cap of {cap:,.0f} ({projected / cap - 1:+.0%})"
        target = money(left / remaining) if left > 0 else 0.0
        platform, account_id, campaign_id = key
        run_rate = float(rate[key])
        if params.action == "pause" or target < float(budget) * params.min_budget_fraction:
            predictions.append(_predicted(key, -run_rate, "paused: its run rate stops"))
            changes.append(
                Change(
                    platform,
                    account_id,
                    "campaign",
                    campaign_id,
                    "status",
                    "ENABLED",
                    "PAUSED",
                    f"{why}: paused",
                )
            )
        elif target < float(budget):
            cut = min(0.0, target - run_rate)
            predictions.append(
                _predicted(key, cut, f"slowed: the run rate {run_rate:,.2f}/day held to {target:,.2f}")
            )
            changes.append(
                Change(
                    platform,
                    account_id,
                    "campaign",
                    campaign_id,
                    "daily_budget",
                    money(budget),
                    target,
                    f"{why}: {left:,.0f} left over {remaining} days",
                )  # fmt: skip
            )
        else:
            notes.append(f"{platform} campaign {campaign_id}: {why}, but its daily budget already fits")
    return Plan(changes, notes, {"campaigns_judged": judged, "month": start.strftime("%Y-%m")}, predictions)


def _predicted(key: tuple[str, str, str], per_day: float, why: str) -> Prediction:
    """Its own projection: the spend the run rate would have made over the follow-up window, cut by
    the new budget (a platform may deliver up to 20% over a day's budget, or slow further)."""
    delta = per_day * WINDOW_DAYS
    return Prediction(*key[:2], "campaign", key[2], "spend", delta, delta * 1.2, delta * 0.7, WINDOW_DAYS,
                      f"pacing-guard's run-rate projection, {why}")  # fmt: skip


WORKFLOW = register(
    Workflow(
        "pacing-guard",
        "Slow (lower the daily budget) or pause campaigns projected to overspend their monthly budget.",
        PacingParams,
        plan,
    )
)
