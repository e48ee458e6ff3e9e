"""`budget-optimization`: a saved budget plan's step of the day, applied with its guardrails.

The plan comes from the optimizer (`adops optimize`, the Budget page's "Save plan"). The changes
shown before approval are `adops.optimize.apply.preview`'s (exactly what `apply_plan` would do,
writing nothing); after approval the whole step is handed to `apply_plan` itself (budgets move at
most `max_step` a day from the day's starting budget, each campaign's budget is read first, every
change is in the audit log under the plan's reference `budget_plan:<id>`, which the daily limit
reads), approving the plan first if it is a draft. Undo, and the compensation of a step with a
failed change, is `rollback_plan` (every budget back to what it was before the plan's first step).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from adops.errors import Conflict
from adops.workflows.engine import Change, Context, Params, Plan, Prediction, Workflow, register

#: the follow-up window the optimizer's prediction is measured over (days)
WINDOW_DAYS = 28


class BudgetParams(Params):
    plan_id: Annotated[int, Field(ge=1)] = Field(description="The saved budget plan (adops plans lists them)")
    max_step: Annotated[float, Field(gt=0, le=0.3)] | None = Field(
        None, description="Largest budget move per day (default: the plan's own, at most 0.3)"
    )


def plan(params: BudgetParams, ctx: Context) -> Plan:
    from adops.optimize.apply import preview

    result = preview(params.plan_id, max_step=params.max_step)
    changes = [
        Change(
            s.platform,
            s.account_id,
            "campaign",
            s.campaign_id,
            "daily_budget",
            s.before,
            s.after,
            f"{s.channel}: toward {s.target:,.2f}" + (f" ({s.note})" if s.note else ""),
        )
        for s in result.steps
        if s.status == "rehearsed" and s.before is not None and s.after is not None
    ]
    notes = [
        f"{s.channel}: {s.status}" + (f" ({s.note})" if s.note else "")
        for s in result.steps
        if s.status != "rehearsed"
    ]
    predictions = _predictions(params.plan_id, result.steps)
    return Plan(changes, notes, {"plan_id": params.plan_id, "remaining": result.remaining}, predictions)


def _predictions(plan_id: int, steps: list[Any]) -> list[Prediction]:
    """The optimizer's own numbers: each line's expected conversions (or value) per day at the
    recommended spend against the current one, times the share of the move today's step makes,
    over the 28-day follow-up window; the interval from the curve's own bounds."""
    from adops.optimize import plans

    saved = plans.get_plan(plan_id)
    metric = "conversion_value" if saved.objective == "revenue" else "conversions"
    lines = {(ln.platform, ln.account_id, ln.campaign_id): ln for ln in saved.lines if ln.campaign_id}
    out = []
    for s in steps:
        line = lines.get((s.platform, s.account_id, s.campaign_id))
        if s.status != "rehearsed" or line is None or s.before is None or s.after is None:
            continue
        share = 1.0 if not s.target or s.target == s.before else (s.after - s.before) / (s.target - s.before)
        share = max(0.0, min(1.0, share)) * WINDOW_DAYS
        gain = (line.expected - line.current_expected) * share
        low = (
            (line.expected_low - line.current_expected) * share
            if line.expected_low is not None
            else gain * 1.5
        )
        high = (
            (line.expected_high - line.current_expected) * share
            if line.expected_high is not None
            else gain * 0.5
        )
        out.append(Prediction(s.platform, s.account_id, "campaign", s.campaign_id, metric, gain, min(low, high),
                              max(low, high), WINDOW_DAYS,
                              f"the optimizer's curve: {metric} per day {line.current_expected:,.2f} -> "
                              f"{line.expected:,.2f} at the recommended spend, {share / WINDOW_DAYS:.0%} of the move today"))  # fmt: skip
    return out


def apply(params: BudgetParams, ctx: Context, changes: list[Change]) -> list[Change]:
    from adops.optimize import plans
    from adops.optimize.apply import apply_plan

    if plans.get_plan(params.plan_id).status == "draft":
        plans.approve(params.plan_id, by=ctx.actor)
    result = apply_plan(params.plan_id, dry_run=False, actor=ctx.actor, max_step=params.max_step)
    done = [
        Change(s.platform, s.account_id, "campaign", s.campaign_id, "daily_budget", s.before, s.after, s.note)
        for s in result.steps
        if s.status == "applied"
    ]
    if result.failed:
        first = result.failed[0]
        raise Conflict(
            f"{len(result.failed)} budget change(s) failed, first {first.platform} {first.campaign_id}: {first.note}"
        )
    return done


def undo(params: BudgetParams, ctx: Context, applied: list[Change]) -> None:
    from adops.optimize import plans
    from adops.optimize.apply import rollback_plan

    if plans.get_plan(params.plan_id).status == "rolled_back":
        return  # a repeated undo
    result = rollback_plan(params.plan_id, actor=ctx.actor)
    if result.failed:
        raise Conflict(
            f"{len(result.failed)} budget(s) could not be restored; see adops plans show {params.plan_id}"
        )


WORKFLOW = register(
    Workflow(
        "budget-optimization",
        "Apply a saved budget plan's step of the day (at most 30%/day per campaign), with rollback as undo.",
        BudgetParams,
        plan,
        apply=apply,
        undo=undo,
    )
)
