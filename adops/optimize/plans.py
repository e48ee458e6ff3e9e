"""Budget plans in the operational store: save a recommendation, approve it, read it back, and track
what it bought once applied (expected against actual, from the warehouse).

Status: draft → approved → applying (a big move takes several daily steps) → applied; approved,
applying or applied → rolled_back. Applying and rolling back live in `adops.optimize.apply`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import select

from adops import config, warehouse
from adops.errors import InputError, NotFound
from adops.optimize.recommend import Recommendation
from adops.optimize.sources import WarehouseHistory, restating_days_for
from adops.store import events
from adops.store.db import session
from adops.store.models import AuditEntry, BudgetPlan, BudgetPlanLine

STATUSES = ("draft", "approved", "applying", "applied", "rolled_back")
DEFAULT_MAX_STEP = 0.3  # at most ±30% on a budget per day


class PlanError(InputError):
    """A plan that does not exist, or an action its status does not allow; the message says which."""


class PlanNotFound(NotFound, PlanError):
    """No budget plan has that id (exit 2, HTTP 404)."""


def reference(plan_id: int) -> str:
    """What audit rows of this plan's changes carry in `AuditEntry.reference`."""
    return f"budget_plan:{plan_id}"


def save_plan(
    rec: Recommendation,
    history: WarehouseHistory | None = None,
    *,
    name: str = "",
    scope: str = "all",
    created_by: str = "",
    max_step: float = DEFAULT_MAX_STEP,
    notes: str = "",
) -> BudgetPlan:
    """Store a recommendation as a draft plan; `history` maps channels to platforms and campaigns."""
    if not 0 < max_step <= 1:
        raise PlanError(f"max_step must be in (0, 1], not {max_step:g}")
    meta = {} if history is None else history.channels.set_index("channel").to_dict("index")
    now = datetime.now(UTC)
    plan = BudgetPlan(
        name=name or f"{rec.objective.capitalize()} plan, {now:%Y-%m-%d %H:%M}",
        scope=scope,
        level=history.level if history is not None else "channel",
        objective=rec.objective,
        currency=config.load().reporting_currency,
        total_budget=rec.budget,
        current_total=float(sum(c.current_spend for c in rec.channels)),
        expected_total=rec.expected_total,
        current_expected_total=rec.current_expected_total,
        uplift_low=rec.uplift_low,
        uplift_high=rec.uplift_high,
        max_step=max_step,
        snapshot_id=history.snapshot_id if history is not None else "",
        status="draft",
        notes=notes,
        created_by=created_by,
        created_at=now,
    )
    for i, c in enumerate(rec.channels):
        m = meta.get(c.channel, {})
        plan.lines.append(
            BudgetPlanLine(
                position=i,
                channel=c.channel,
                platform=_text(m.get("platform")),
                account_id=_text(m.get("account_id")),
                campaign_id=_text(m.get("campaign_id")),
                name=_text(m.get("name")) or c.channel,
                current_spend=c.current_spend,
                recommended_spend=c.spend,
                current_expected=c.current_expected,
                expected=c.expected,
                expected_low=c.expected_low,
                expected_high=c.expected_high,
                marginal=c.marginal(rec.objective),
                locked=int(c.locked),
                extrapolated=int(c.extrapolated),
                identifiable=int(c.curve.identifiable),
                status="pending",
            )
        )
    with session() as s:
        s.add(plan)
        s.flush()
        plan_id = plan.id
    events.publish("budget_plan.saved", {"plan_id": plan_id, "name": plan.name, "by": created_by})
    return get_plan(plan_id)


def approve(plan_id: int, by: str = "") -> BudgetPlan:
    """draft → approved, naming who approved (required: a blank name is refused, adops.approvers)."""
    from adops.approvers import approver

    by = approver(by)
    with session() as s:
        plan = _load(s, plan_id)
        if plan.status != "draft":
            raise PlanError(f"plan {plan_id} is {plan.status}: only a draft can be approved")
        plan.status, plan.approved_by, plan.approved_at = "approved", by, datetime.now(UTC)
    events.publish("budget_plan.approved", {"plan_id": plan_id, "by": by})
    return get_plan(plan_id)


def get_plan(plan_id: int) -> BudgetPlan:
    with session() as s:
        return _load(s, plan_id)


def list_plans(limit: int = 50) -> list[BudgetPlan]:
    """The latest plans, newest first."""
    with session() as s:
        return list(s.scalars(select(BudgetPlan).order_by(BudgetPlan.id.desc()).limit(limit)))


def plan_lines(plan: BudgetPlan) -> pd.DataFrame:
    """The plan's lines as a table (one row per channel)."""
    cols = [
        "channel",
        "name",
        "platform",
        "account_id",
        "campaign_id",
        "current_spend",
        "recommended_spend",
        "current_expected",
        "expected",
        "expected_low",
        "expected_high",
        "marginal",
        "original_budget",
        "target_budget",
        "applied_budget",
        "status",
    ]
    frame = pd.DataFrame([{c: getattr(line, c) for c in cols} for line in plan.lines], columns=cols)
    frame["change"] = frame["recommended_spend"] - frame["current_spend"]
    return frame


def audit_trail(plan_id: int) -> pd.DataFrame:
    """Every change (and rehearsal) made for the plan, oldest first."""
    cols = [
        "id",
        "at",
        "actor",
        "platform",
        "account_id",
        "entity_id",
        "before",
        "after",
        "dry_run",
        "status",
    ]
    with session() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.reference == reference(plan_id)).order_by(AuditEntry.id)
        ).all()
    frame = pd.DataFrame(
        [
            {
                "id": r.id,
                "at": r.at,
                "actor": r.actor,
                "platform": r.platform,
                "account_id": r.account_id,
                "entity_id": r.entity_id,
                "before": (r.before or {}).get("daily_budget"),
                "after": (r.after or {}).get("daily_budget"),
                "dry_run": bool(r.dry_run),
                "status": r.status,
                "error": r.error,
            }
            for r in rows
        ],
        columns=[*cols, "error"],
    )
    return frame


def track_outcome(plan_id: int) -> dict[str, object]:
    """Expected against actual daily spend and outcome since the plan was first applied; stored on the plan.

    Reads `campaign_daily` for the plan's campaigns from the day of the first applied step up to the
    last day whose conversions no longer restate; days still restating are not counted (they would
    read as a shortfall).
    """
    plan = get_plan(plan_id)
    if plan.first_applied_at is None:
        raise PlanError(f"plan {plan_id} has not been applied: there is no outcome to track")
    start = plan.first_applied_at.date()
    lines = [line for line in plan.lines if line.campaign_id]
    value_col = "conversion_value_reporting" if plan.objective == "revenue" else "conversions"
    rows = pd.DataFrame()
    if lines and "campaign_daily" in warehouse.snapshot().versions:
        rows = warehouse.query(
            f"""SELECT platform, account_id, campaign_id, date, sum(spend_reporting) AS spend,
                       sum({value_col}) AS outcome
                FROM campaign_daily WHERE date >= ? GROUP BY ALL""",
            [start],
        )
    per_line: list[dict[str, object]] = []
    days_seen: set[object] = set()
    cfg = config.load()
    for line in lines:
        mine = (
            rows[
                (rows["platform"] == line.platform)
                & (rows["account_id"] == line.account_id)
                & (rows["campaign_id"] == line.campaign_id)
            ]
            if not rows.empty
            else rows
        )
        if not mine.empty:
            last = pd.to_datetime(mine["date"]).max().date() - timedelta(
                days=restating_days_for(str(line.platform), str(line.account_id), cfg)
            )
            mine = mine[pd.to_datetime(mine["date"]).dt.date <= last]
        n = len(mine)
        days_seen.update(pd.to_datetime(mine["date"]).dt.date if n else [])
        per_line.append(
            {
                "channel": line.channel,
                "days": n,
                "expected_spend": line.recommended_spend,
                "actual_spend": float(mine["spend"].mean()) if n else None,
                "expected": line.expected,
                "actual": float(mine["outcome"].mean()) if n else None,
            }
        )
    measured = [p for p in per_line if p["days"]]
    outcome: dict[str, object] = {
        "since": start.isoformat(),
        "days": len(days_seen),
        "expected_spend": float(sum(p["expected_spend"] for p in measured)),  # type: ignore[misc]
        "actual_spend": float(sum(p["actual_spend"] for p in measured)),  # type: ignore[misc]
        "expected": float(sum(p["expected"] for p in measured)),  # type: ignore[misc]
        "actual": float(sum(p["actual"] for p in measured)),  # type: ignore[misc]
        "baseline_expected": plan.current_expected_total,
        "channels": per_line,
        "note": "daily means over complete days (restating days left out)",
    }
    with session() as s:
        stored = _load(s, plan_id)
        stored.outcome, stored.outcome_at = outcome, datetime.now(UTC)
    events.publish("budget_plan.outcome", {"plan_id": plan_id, "days": outcome["days"]})
    return outcome


def _load(s: object, plan_id: int) -> BudgetPlan:
    plan = s.get(BudgetPlan, plan_id)  # type: ignore[attr-defined]
    if plan is None:
        raise PlanNotFound(f"no budget plan {plan_id}")
    return plan  # type: ignore[no-any-return]


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
