"""`anomaly-response`: on an anomaly, notify, and optionally pause the campaign it is about.

The anomaly comes as params, in the shape of an `anomaly.detected` event (`adops.analytics.
anomaly_store.event_data`), so a recommendation, a webhook rule or a person can start it. Pausing
happens only when asked (`pause = true`), for a campaign-level anomaly at or above `min_severity`,
and like every platform change it waits for approval. The notification is an
`anomaly.response` event at the anomaly's severity, which the notification rules route.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from adops.store import events
from adops.workflows.engine import Change, Context, Params, Plan, Step, Workflow, register
from adops.workflows.library.common import Id, PlatformName, campaigns_by_account

SEVERITIES = ("info", "warning", "critical")
Text = Annotated[str, Field(max_length=200)]


class AnomalyParams(Params):
    platform: PlatformName = Field(description="The anomaly's platform")
    account_id: Id = Field(description="Its account")
    campaign_id: Id | None = Field(None, description="Its campaign (campaign-level anomalies)")
    metric: Text = Field("spend", description="The metric (spend, conversions, cpa, ...)")
    direction: Literal["spike", "drop"] = Field("spike", description="spike or drop")
    severity: Literal["info", "warning", "critical"] = Field(
        "warning", description="info, warning or critical"
    )
    ds: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = Field(
        None, description="The day (YYYY-MM-DD)"
    )
    score: Annotated[float, Field(ge=-1e6, le=1e6)] | None = Field(None, description="The detector's score")
    anomaly_id: Annotated[int, Field(ge=1)] | None = Field(None, description="The stored anomaly's id")
    title: Text = Field("", description="A title for the notification")
    pause: bool = Field(False, description="Also pause the campaign (waits for approval)")
    min_severity: Literal["info", "warning", "critical"] = Field(
        "critical", description="Pause only at or above this severity"
    )


def plan(params: AnomalyParams, ctx: Context) -> Plan:
    notes: list[str] = []
    changes: list[Change] = []
    if params.pause:
        if params.campaign_id is None:
            notes.append("not paused: the anomaly is not about one campaign")
        elif SEVERITIES.index(params.severity) < SEVERITIES.index(params.min_severity):
            notes.append(f"not paused: severity {params.severity} is below {params.min_severity}")
        else:
            frame = campaigns_by_account(ctx, {(params.platform, params.account_id)})[
                (params.platform, params.account_id)
            ]
            match = frame[frame["campaign_id"].astype(str) == params.campaign_id]
            if match.empty:
                notes.append(f"not paused: {params.platform} has no campaign {params.campaign_id}")
            elif match.iloc[0]["status"] != "ENABLED":
                notes.append(f"campaign {params.campaign_id} is already {match.iloc[0]['status']}")
            else:
                changes.append(
                    Change(
                        params.platform,
                        params.account_id,
                        "campaign",
                        params.campaign_id,
                        "status",
                        "ENABLED",
                        "PAUSED",
                        f"{params.severity} {params.direction} in {params.metric}"
                        + (f" on {params.ds}" if params.ds else ""),
                    )
                )
    return Plan(changes, notes, {"notify": True})


def notify(params: AnomalyParams, ctx: Context) -> dict[str, Any]:
    """Publish `anomaly.response` (routed by the notification rules)."""
    title = (
        params.title
        or f"{params.direction} in {params.metric} of {params.platform} {params.campaign_id or params.account_id}"
    )
    paused = [c.entity_id for c in ctx.applied if c.field == "status" and c.after == "PAUSED"]
    event_id = events.publish(
        "anomaly.response",
        {
            "run_id": ctx.run_id,
            "severity": params.severity,
            "title": title,
            "platform": params.platform,
            "account_id": params.account_id,
            "campaign_id": params.campaign_id,
            "anomaly_id": params.anomaly_id,
            "paused": paused,
        },
    )
    return {"event_id": event_id, "paused": paused}


WORKFLOW = register(
    Workflow(
        "anomaly-response",
        "On an anomaly: notify, and optionally pause its campaign (after approval).",
        AnomalyParams,
        plan,
        steps=(Step("notify", notify),),
        category="monitoring",
    )
)
