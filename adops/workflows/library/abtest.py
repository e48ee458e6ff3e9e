"""`ab-test`: set up an experiment on live entities, or roll out a declared winner.

- `action = "setup"`: the variants (the first is the control) are checked by
  `adops.experiments.store` rules, paused variants are enabled (the changes, after approval), and
  the experiment is stored (a follow-up step, keyed by the run so a repeat stores it once).
- `action = "rollout"`: the changes are `adops.experiments.rollout.plan`'s (enable the winner,
  pause the losers, move their budget to the winner's campaign), applied change by change; the
  experiment is then marked "rolled out". Undo restores statuses and budgets.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from adops import clock
from adops.errors import InputError
from adops.workflows.engine import Change, Context, Params, Plan, Step, Workflow, register
from adops.workflows.library.common import Id, PlatformName, ads_by_account, campaigns_by_account, lookup

_FIELD = {
    "enable": ("status", "ENABLED"),
    "pause": ("status", "PAUSED"),
    "set_daily_budget": ("daily_budget", None),
}


class VariantParam(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    platform: PlatformName
    account_id: Id
    level: Literal["campaign", "ad_group", "ad"] = "ad"
    entity_id: Id
    weight: Annotated[float, Field(gt=0, le=100)] = 1.0


class AbTestParams(Params):
    action: Literal["setup", "rollout"] = Field(
        description="setup (start an experiment) or rollout (the winner)"
    )
    experiment_id: Annotated[int, Field(ge=1)] | None = Field(None, description="For rollout: the experiment")
    name: Annotated[str, Field(max_length=200)] = Field("", description="For setup: the experiment's name")
    variants: Annotated[list[VariantParam], Field(max_length=10)] = Field(
        default_factory=list, description="For setup: the arms, control first"
    )
    primary_metric: Annotated[str, Field(max_length=50)] = Field(
        "cvr", description="For setup: ctr, cvr, cpa, ..."
    )
    start: date | None = Field(None, description="For setup: first day (default today)")
    end: date | None = Field(None, description="For setup: last planned day")
    hypothesis: Annotated[str, Field(max_length=2000)] = Field("", description="For setup: what you expect")

    @model_validator(mode="after")
    def _needs(self) -> AbTestParams:
        if self.action == "rollout" and self.experiment_id is None:
            raise ValueError("action=rollout needs experiment_id")
        if self.action == "setup" and (not self.name.strip() or len(self.variants) < 2):
            raise ValueError("action=setup needs a name and at least two variants")
        return self


def plan(params: AbTestParams, ctx: Context) -> Plan:
    return _rollout_plan(params) if params.action == "rollout" else _setup_plan(params, ctx)


def _rollout_plan(params: AbTestParams) -> Plan:
    from adops.experiments import rollout

    p = rollout.plan(int(params.experiment_id or 0))
    changes = []
    for a in p.actions:
        field, after = _FIELD[a.action]
        changes.append(
            Change(
                a.platform,
                a.account_id,
                a.entity,
                a.entity_id,
                field,
                a.before,
                a.after if after is None else after,
                f"{a.variant}: {a.reason}",
            )
        )
    return Plan(changes, list(p.notes), {"experiment_id": p.experiment_id, "winner": p.winner})


def _setup_plan(params: AbTestParams, ctx: Context) -> Plan:
    from adops.experiments import store

    variants = [
        store.Variant(v.name, v.platform, v.account_id, v.level, v.entity_id, v.weight)
        for v in params.variants
    ]
    start = params.start or clock.today()
    store._validate(
        params.name, variants, start, params.end, params.primary_metric, (), None, store.WinnerRule(), None
    )
    keys: set[tuple[str, str]] = {(v.platform, v.account_id) for v in params.variants}
    campaigns = campaigns_by_account(ctx, keys)
    ads = ads_by_account(ctx, {k for k in keys if any(v.level != "campaign" for v in params.variants)})
    changes = []
    for v in params.variants:
        key = (v.platform, v.account_id)
        if v.level == "campaign":
            row = lookup(campaigns[key], "campaign_id", v.entity_id)
        else:
            row = lookup(ads[key], "ad_id" if v.level == "ad" else "ad_group_id", v.entity_id)
        if row is None:
            raise InputError(
                f"variant {v.name}: {v.platform} account {v.account_id} has no {v.level} {v.entity_id}"
            )
        if row.get("status") == "PAUSED":
            changes.append(
                Change(
                    v.platform,
                    v.account_id,
                    v.level,
                    v.entity_id,
                    "status",
                    "PAUSED",
                    "ENABLED",
                    f"variant {v.name} must serve during the test",
                )
            )
    return Plan(changes, [], {"variants": len(variants), "start": start.isoformat()})


def record(params: AbTestParams, ctx: Context) -> dict[str, Any]:
    """Store the experiment (setup) or mark it rolled out (rollout); safe to repeat."""
    from adops.experiments import store

    if params.action == "rollout":
        exp = store.update(int(params.experiment_id or 0), actor=ctx.actor, status="rolled out")
        return {"experiment_id": exp.id, "status": exp.status}
    key = f"wf-{ctx.run_id[-24:]}"
    existing = next((e for e in store.list_experiments() if e.key == key), None)
    if existing is not None:
        return {"experiment_id": existing.id, "key": key, "repeated": True}
    exp = store.create(
        params.name,
        [
            store.Variant(v.name, v.platform, v.account_id, v.level, v.entity_id, v.weight)
            for v in params.variants
        ],
        start=params.start or clock.today(),
        end=params.end,
        hypothesis=params.hypothesis,
        primary_metric=params.primary_metric,
        key=key,
        actor=ctx.actor,
    )
    return {"experiment_id": exp.id, "key": key, "status": exp.status}


WORKFLOW = register(
    Workflow(
        "ab-test",
        "Set up an experiment on live ads or campaigns, or roll out a declared winner (pause the losers, move their budget).",
        AbTestParams,
        plan,
        steps=(Step("record experiment", record),),
        category="experiments",
    )
)
