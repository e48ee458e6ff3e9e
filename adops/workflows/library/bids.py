"""`bid-adjustment`: move campaign bids toward a target CPA or ROAS, a bounded step at a time.

For each campaign with a manual bid and enough conversions over the lookback window, the bid is
scaled by target/actual CPA (or actual/target ROAS), clamped to ±`max_step`; moves under
`min_change` are left alone. The warehouse gives the actuals; the platform gives today's bid.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, model_validator

from adops import clock, warehouse
from adops.workflows.engine import Change, Context, Params, Plan, Workflow, register
from adops.workflows.library.common import PlatformName, campaign_index, money


class BidParams(Params):
    target_cpa: Annotated[float, Field(gt=0, le=1_000_000)] | None = Field(
        None, description="Target cost per acquisition (account currency); give this or target_roas"
    )
    target_roas: Annotated[float, Field(gt=0, le=1000)] | None = Field(
        None, description="Target return on ad spend (value / spend); give this or target_cpa"
    )
    max_step: Annotated[float, Field(gt=0, le=0.5)] = Field(
        0.2, description="Largest bid move per run (0.2 = ±20%)"
    )
    min_change: Annotated[float, Field(ge=0, le=0.5)] = Field(
        0.02, description="Smaller moves are left alone"
    )
    lookback_days: Annotated[int, Field(ge=3, le=90)] = Field(
        14, description="Days of performance to judge by"
    )
    min_conversions: Annotated[float, Field(ge=0, le=100_000)] = Field(
        10, description="Campaigns with fewer conversions in the window are left alone"
    )
    platforms: Annotated[list[PlatformName], Field(max_length=6)] = Field(
        default_factory=list, description="Only these platforms (none: all)"
    )

    @model_validator(mode="after")
    def _one_target(self) -> BidParams:
        if (self.target_cpa is None) == (self.target_roas is None):
            raise ValueError("give exactly one of target_cpa and target_roas")
        return self


def plan(params: BidParams, ctx: Context) -> Plan:
    end = clock.today()
    start = end - timedelta(days=params.lookback_days)
    perf = warehouse.query(
        """SELECT platform, account_id, campaign_id, sum(spend) AS spend, sum(conversions) AS conversions,
                  sum(conversion_value) AS value
           FROM campaign_daily WHERE date >= ? AND date < ? GROUP BY ALL""",
        [start, end],
    )
    if params.platforms:
        perf = perf[perf["platform"].isin(params.platforms)]
    perf = perf[perf["conversions"] >= params.min_conversions]
    keys = {(str(p), str(a)) for p, a in zip(perf["platform"], perf["account_id"], strict=True)}
    keys &= {(a.platform, a.id) for a in ctx.accounts(params.platforms)}
    current = campaign_index(ctx, keys)
    changes: list[Change] = []
    notes: list[str] = []
    automatic = 0
    for row in perf.itertuples():
        now = current.get((str(row.platform), str(row.account_id), str(row.campaign_id)))
        if now is None or now["status"] != "ENABLED":
            continue
        bid = now["bid_amount"]
        if bid is None or bid <= 0:
            automatic += 1
            continue
        if params.target_cpa is not None:
            cpa = float(row.spend) / float(row.conversions)  # type: ignore[arg-type]
            factor, why = params.target_cpa / cpa, f"CPA {cpa:,.2f} vs target {params.target_cpa:,.2f}"
        else:
            spend, value = float(row.spend), float(row.value)  # type: ignore[arg-type]
            roas = value / spend if spend else 0.0
            factor = roas / float(params.target_roas or 1)
            why = f"ROAS {roas:,.2f} vs target {params.target_roas:,.2f}"
        factor = min(max(factor, 1 - params.max_step), 1 + params.max_step)
        if abs(factor - 1) < params.min_change:
            continue
        before = money(bid)
        after = money(before * factor)
        if after <= 0 or after == before:
            continue
        changes.append(
            Change(
                str(row.platform),
                str(row.account_id),
                "campaign",
                str(row.campaign_id),
                "bid",
                before,
                after,
                f"{why} over {params.lookback_days} days: bid {factor - 1:+.0%}",
            )
        )
    if automatic:
        notes.append(f"{automatic} campaign(s) bid automatically (no manual bid): left alone")
    return Plan(changes, notes, {"campaigns_judged": len(perf)})


WORKFLOW = register(
    Workflow(
        "bid-adjustment",
        "Move campaign bids toward a target CPA or ROAS, at most max_step per run.",
        BidParams,
        plan,
    )
)
