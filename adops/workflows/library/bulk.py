"""`bulk`: pause, enable or change budgets by a percentage across platforms, as one reviewable run.

Starts from a list of entities (the analysis page's selection, a CSV, a script). Entities already
in the asked state are left out of the changes and named in the notes; an entity the platform does
not know is an error before anything is proposed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from adops.errors import InputError
from adops.workflows.engine import Change, Context, Params, Plan, Workflow, register
from adops.workflows.library.common import (
    EntityRef,
    ads_by_account,
    campaigns_by_account,
    group,
    lookup,
    money,
)

MAX_ENTITIES = 1000


class BulkParams(Params):
    action: Literal["pause", "enable", "budget"] = Field(
        description="pause, enable, or budget (change daily budgets)"
    )
    entities: Annotated[list[EntityRef], Field(min_length=1, max_length=MAX_ENTITIES)] = Field(
        description="The entities: [{platform, account_id, entity_type, entity_id}, ...]"
    )
    percent: Annotated[float, Field(ge=-90, le=100)] | None = Field(
        None, description="For action=budget: the change in percent (-90 to +100; 10 = +10%)"
    )
    reason: Annotated[str, Field(max_length=200)] = Field(
        "bulk operation", description="Why (goes into the audit trail)"
    )

    @model_validator(mode="after")
    def _percent(self) -> BulkParams:
        if self.action == "budget":
            if self.percent is None or self.percent == 0:
                raise ValueError("action=budget needs a non-zero percent")
            if any(e.entity_type != "campaign" for e in self.entities):
                raise ValueError("budgets change on campaigns only")
        elif self.percent is not None:
            raise ValueError("percent applies to action=budget only")
        if len(set(self.entities)) != len(self.entities):
            raise ValueError("an entity is listed twice")
        return self


def plan(params: BulkParams, ctx: Context) -> Plan:
    groups = group(params.entities)
    keys = set(groups)
    campaigns = campaigns_by_account(ctx, keys)
    need_ads = any(e.entity_type != "campaign" for e in params.entities)
    ads = (
        ads_by_account(
            ctx, {k for k, refs in groups.items() if any(r.entity_type != "campaign" for r in refs)}
        )
        if need_ads
        else {}
    )
    changes: list[Change] = []
    notes: list[str] = []
    for key, refs in groups.items():
        for ref in refs:
            if ref.entity_type == "campaign":
                row = lookup(campaigns[key], "campaign_id", ref.entity_id)
            else:
                column = "ad_id" if ref.entity_type == "ad" else "ad_group_id"
                row = lookup(ads[key], column, ref.entity_id)
            if row is None:
                raise InputError(
                    f"{ref.platform} account {ref.account_id} has no {ref.entity_type} {ref.entity_id}"
                )
            if params.action == "budget":
                before = row.get("daily_budget")
                if before is None:
                    notes.append(
                        f"{ref.platform} campaign {ref.entity_id} has no daily budget (a lifetime one?): left alone"
                    )
                    continue
                after = money(float(before) * (1 + float(params.percent or 0) / 100))
                if after <= 0:
                    raise InputError(
                        f"{ref.platform} campaign {ref.entity_id}: the new budget would be {after}"
                    )
                changes.append(
                    Change(
                        ref.platform,
                        ref.account_id,
                        "campaign",
                        ref.entity_id,
                        "daily_budget",
                        money(before),
                        after,
                        f"{params.reason}: budget {params.percent:+g}%",
                    )
                )
                continue
            target = "PAUSED" if params.action == "pause" else "ENABLED"
            before = row.get("status")
            if before == target:
                notes.append(f"{ref.platform} {ref.entity_type} {ref.entity_id} is already {target}")
                continue
            if before not in ("ENABLED", "PAUSED"):
                notes.append(f"{ref.platform} {ref.entity_type} {ref.entity_id} is {before}: left alone")
                continue
            changes.append(
                Change(
                    ref.platform,
                    ref.account_id,
                    ref.entity_type,
                    ref.entity_id,
                    "status",
                    before,
                    target,
                    f"{params.reason}: {params.action}",
                )
            )
    return Plan(changes, notes, {"entities": len(params.entities)})


WORKFLOW = register(
    Workflow(
        "bulk",
        "Pause, enable or change budgets by a percentage across platforms, from a list of entities, as one reviewable run.",
        BulkParams,
        plan,
        category="operations",
    )
)
