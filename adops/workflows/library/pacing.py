"""`pacing-guard`: slow or pause what will overspend its monthly budget.

Each enabled campaign's month is projected with `adops.forecast.pacing.pace` from its spend to date
and its recent daily run rate (mean and spread of the last `run_rate_days`). A campaign whose
projected month exceeds its cap by more than `tolerance` gets the daily budget that spends what is
left of the cap over the days that remain (never below `min_budget_fraction` of today's budget),
or is paused when nothing is left. The cap is the `budgets` entry for the campaign, else its daily
budget × the days of the month.
"""

from __future__ import annotations

import calendar
from datetime import timedelta
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from adops import clock, warehouse
from adops.forecast.pacing import pace
from adops.workflows.engine import Change, Context, Params, Plan, Workflow, register
from adops.workflows.library.common import Id, PlatformName, campaigns_by_account, money


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
    start = today.replace(day=1)
    end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    since = min(start, today - timedelta(days=params.run_rate_days))
    daily = warehouse.query(
        """SELECT platform, account_id, campaign_id, date, sum(spend) AS spend
           FROM campaign_daily WHERE date >= ? AND date < ? GROUP BY ALL""",
        [since, today],
    )
    if params.platforms:
        daily = daily[daily["platform"].isin(params.platforms)]
    caps: dict[tuple[str, str, str], float] = {
        (b.platform, b.account_id, b.campaign_id): b.monthly_budget for b in params.budgets
    }
    keys = {(str(p), str(a)) for p, a in zip(daily["platform"], daily["account_id"], strict=True)}
    keys &= {(a.platform, a.id) for a in ctx.accounts(params.platforms)}
    current = campaigns_by_account(ctx, keys)
    days = pd.date_range(today, end, freq="D")
    changes: list[Change] = []
    notes: list[str] = []
    judged = 0
    for (platform, account_id, campaign_id), rows in daily.groupby(["platform", "account_id", "campaign_id"]):
        key = (str(platform), str(account_id))
        if key not in current:
            continue
        frame = current[key]
        match = frame[frame["campaign_id"].astype(str) == str(campaign_id)]
        if match.empty or match.iloc[0]["status"] != "ENABLED":
            continue
        budget = match.iloc[0]["daily_budget"]
        if budget is None or budget != budget or budget <= 0:
            continue
        cap = caps.get((str(platform), str(account_id), str(campaign_id)), float(budget) * end.day)
        series = rows.assign(ds=pd.to_datetime(rows["date"]))[["ds", "spend"]].rename(columns={"spend": "y"})
        recent = series[series["ds"] >= pd.Timestamp(today - timedelta(days=params.run_rate_days))]["y"]
        rate = float(recent.mean()) if len(recent) else 0.0
        spread = float(recent.std(ddof=1)) if len(recent) > 1 else 0.0
        forecast = pd.DataFrame(
            {
                "ds": days,
                "yhat": rate,
                "yhat_lower": max(rate - 1.28 * spread, 0.0),
                "yhat_upper": rate + 1.28 * spread,
            }
        )
        p = pace(series, forecast, budget=cap, period="month")
        judged += 1
        if p.projected_total <= cap * (1 + params.tolerance):
            continue
        left = cap - p.actual_to_date
        remaining = max(p.days_remaining, 1)
        why = f"projected {p.projected_total:,.0f} against a monthly cap of {cap:,.0f} ({p.projected_vs_budget:+.0%})"
        target = money(left / remaining) if left > 0 else 0.0
        if params.action == "pause" or target < float(budget) * params.min_budget_fraction:
            changes.append(
                Change(
                    key[0],
                    key[1],
                    "campaign",
                    str(campaign_id),
                    "status",
                    "ENABLED",
                    "PAUSED",
                    f"{why}: paused",
                )
            )
        elif target < float(budget):
            changes.append(
                Change(
                    key[0],
                    key[1],
                    "campaign",
                    str(campaign_id),
                    "daily_budget",
                    money(budget),
                    target,
                    f"{why}: {left:,.0f} left over {remaining} days",
                )
            )
        else:
            notes.append(f"{platform} campaign {campaign_id}: {why}, but its daily budget already fits")
    return Plan(changes, notes, {"campaigns_judged": judged, "month": start.strftime("%Y-%m")})


WORKFLOW = register(
    Workflow(
        "pacing-guard",
        "Slow (lower the daily budget) or pause campaigns projected to overspend their monthly budget.",
        PacingParams,
        plan,
    )
)
