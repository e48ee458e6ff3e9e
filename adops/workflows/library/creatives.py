"""`creative-rotation`: pause fatigued ads once the evidence is enough, so delivery shifts to the rest.

Evidence comes from `adops.analytics.fatigue.detect` (an ad's CTR over its last window against its
own first one, with minimum impressions and days, `[analysis.fatigue]`). An ad is paused only when it
is fatigued, still enabled, and not the last enabled ad of its ad group (its group keeps serving
its other ads, which take its delivery).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field

from adops import clock
from adops.workflows.engine import Change, Context, Params, Plan, Workflow, register
from adops.workflows.library.common import PlatformName, ads_by_account


class RotationParams(Params):
    min_drop: Annotated[float, Field(gt=0, lt=1)] | None = Field(
        None, description="CTR drop that counts as fatigue (0.2 = 20%; default [analysis.fatigue])"
    )
    min_impressions: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="Impressions each window needs (default [analysis.fatigue])"
    )
    window_days: Annotated[int, Field(ge=1, le=90)] | None = Field(None, description="Window length in days")
    max_pauses: Annotated[int, Field(ge=1, le=1000)] = Field(50, description="At most this many ads per run")
    platforms: Annotated[list[PlatformName], Field(max_length=6)] = Field(
        default_factory=list, description="Only these platforms (none: all)"
    )


def plan(params: RotationParams, ctx: Context) -> Plan:
    from adops.analytics.fatigue import Thresholds, detect
    from adops.analytics.overview import Filters

    base = Thresholds.configured()
    t = Thresholds(
        window_days=params.window_days or base.window_days,
        min_drop=params.min_drop or base.min_drop,
        min_impressions=base.min_impressions if params.min_impressions is None else params.min_impressions,
        min_days=base.min_days,
    )
    end = clock.today() - timedelta(days=1)
    judged = detect(Filters(end - timedelta(days=t.window_days - 1), end, tuple(params.platforms)), t)
    fatigued = judged[judged["status"] == "fatigued"]
    keys = {(str(p), str(a)) for p, a in zip(fatigued["platform"], fatigued["account_id"], strict=True)}
    keys &= {(a.platform, a.id) for a in ctx.accounts(params.platforms)}
    ads = ads_by_account(ctx, keys)
    changes: list[Change] = []
    notes: list[str] = []
    paused_in_group: dict[tuple[str, str, str], int] = {}
    # per account, once: each ad's (status, ad group) by id, and the enabled ads per ad group
    lookup: dict[tuple[str, str], tuple[dict[str, tuple[str, str]], dict[str, int]]] = {}
    for key, frame in ads.items():
        ids, groups, statuses = (frame[c].astype(str).tolist() for c in ("ad_id", "ad_group_id", "status"))
        enabled_by_group: dict[str, int] = {}
        for g, st in zip(groups, statuses, strict=True):
            if st == "ENABLED":
                enabled_by_group[g] = enabled_by_group.get(g, 0) + 1
        lookup[key] = (dict(zip(ids, zip(statuses, groups, strict=True), strict=True)), enabled_by_group)
    for row in fatigued.itertuples():
        key = (str(row.platform), str(row.account_id))
        if key not in lookup or len(changes) >= params.max_pauses:
            continue
        by_id, enabled_by_group = lookup[key]
        found = by_id.get(str(row.ad_id))
        if found is None or found[0] != "ENABLED":
            continue
        group = found[1]
        enabled = enabled_by_group.get(group, 0)
        gkey = (*key, group)
        if enabled - paused_in_group.get(gkey, 0) <= 1:
            notes.append(
                f"{row.platform} ad {row.ad_id} is fatigued but the last enabled ad of ad group {group}: kept"
            )
            continue
        paused_in_group[gkey] = paused_in_group.get(gkey, 0) + 1
        changes.append(
            Change(
                key[0],
                key[1],
                "ad",
                str(row.ad_id),
                "status",
                "ENABLED",
                "PAUSED",
                f"fatigued: CTR {row.first_ctr:.2%} → {row.last_ctr:.2%} ({row.ctr_change:+.0%}) over "
                f"{int(row.last_impressions):,} impressions",  # type: ignore[arg-type]
            )
        )
    return Plan(changes, notes, {"ads_judged": len(judged), "fatigued": len(fatigued)})


WORKFLOW = register(
    Workflow(
        "creative-rotation",
        "Pause fatigued ads once the evidence is enough; their ad groups' other ads take the delivery.",
        RotationParams,
        plan,
        category="creative",
    )
)
