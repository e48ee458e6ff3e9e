"""What the built-in workflows share: an entity reference and reading current values per account."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from adops.platforms import PLATFORMS
from adops.workflows.engine import Context

Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]
PlatformName = Literal["google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads"]
assert set(PlatformName.__args__) == set(PLATFORMS)  # type: ignore[attr-defined]


class EntityRef(BaseModel):
    """One platform entity: which platform, account, kind and id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: PlatformName
    account_id: Id
    entity_type: Literal["campaign", "ad_group", "ad"] = "campaign"
    entity_id: Id


def campaigns_by_account(ctx: Context, keys: set[tuple[str, str]]) -> dict[tuple[str, str], pd.DataFrame]:
    """Each account's campaigns as the platform reports them now (one read per account)."""
    return {key: ctx.connector(*key).campaigns(key[1]) for key in sorted(keys)}


def ads_by_account(ctx: Context, keys: set[tuple[str, str]]) -> dict[tuple[str, str], pd.DataFrame]:
    return {key: ctx.connector(*key).ads(key[1]) for key in sorted(keys)}


def campaign_index(ctx: Context, keys: set[tuple[str, str]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Each campaign of these accounts as the platform reports it now, by (platform, account, id)."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for (platform, account_id), frame in campaigns_by_account(ctx, keys).items():
        for row in frame.to_dict("records"):
            clean = {str(k): (None if isinstance(v, float) and pd.isna(v) else v) for k, v in row.items()}
            out[(platform, account_id, str(row["campaign_id"]))] = clean
    return out


def lookup(frame: pd.DataFrame, column: str, value: str) -> dict[str, Any] | None:
    match = frame[frame[column].astype(str) == str(value)]
    if match.empty:
        return None
    row = match.iloc[0].to_dict()
    return {
        str(k): (None if isinstance(v, float) and pd.isna(v) else v.item() if hasattr(v, "item") else v)
        for k, v in row.items()
    }


def group(refs: list[EntityRef]) -> dict[tuple[str, str], list[EntityRef]]:
    out: dict[tuple[str, str], list[EntityRef]] = defaultdict(list)
    for r in refs:
        out[(r.platform, r.account_id)].append(r)
    return out


def money(value: float) -> float:
    return round(float(value), 2)
