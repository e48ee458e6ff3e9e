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

from typing import Annotated

from pydantic import Field

from adops.errors import Conflict
from adops.workflows.engine import Change, Context, Params, Plan, Workflow, register


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
    return Plan(changes, notes, {"plan_id": params.plan_id, "remaining": result.remaining})


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
