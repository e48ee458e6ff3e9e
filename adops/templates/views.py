"""What the Templates page shows, as frames: the catalogue and one template's per-platform preview."""

from __future__ import annotations

from typing import Any

import pandas as pd

from adops.platforms import PLATFORM_NAMES
from adops.templates import catalogue, get, structure, validate
from adops.templates.model import Template

CATEGORIES = ("objective", "seasonal", "industry", "custom")


def catalogue_table(category: str | None = None) -> pd.DataFrame:
    """One row per template: name, title, category, objective, daily budget, platforms."""
    rows = [
        {
            "name": t.name,
            "title": t.title,
            "category": t.category,
            "objective": t.objective.replace("_", " "),
            "daily_budget": t.daily_budget,
            "platforms": ", ".join(PLATFORM_NAMES[p] for p in t.platforms),
            "description": t.description,
        }
        for t in catalogue(category)
    ]
    columns = ["name", "title", "category", "objective", "daily_budget", "platforms", "description"]
    return pd.DataFrame(rows, columns=columns)


def preview(template: Template | str, platform: str, currency: str = "USD") -> tuple[pd.DataFrame, list[str]]:
    """The levels `template` maps to on `platform` (one row each) and its violations there, as text."""
    t = get(template) if isinstance(template, str) else template
    levels = pd.DataFrame(
        [
            {
                "level": lvl["level"],
                "name": lvl["name"],
                "created by the launch": "yes, paused" if lvl["created"] else "no (mapped)",
                "settings": ", ".join(
                    f"{k}: {v}"
                    for k, v in lvl.items()
                    if k not in ("level", "name", "created") and v not in (None, "")
                ),
            }
            for lvl in structure(t, platform)
        ]
    )
    return levels, [f"{v.field}: {v.message}" for v in validate(t, platform, currency)]


def launch_changes(changes: list[dict[str, Any]]) -> pd.DataFrame:
    """A launch run's changes in words: platform, account, and what each change does."""

    def said(c: dict[str, Any]) -> str:
        if c["field"] == "campaign" and isinstance(c["after"], dict):
            a = c["after"]
            return (
                f"create campaign {a.get('name')!r}, paused: {a.get('objective')}, "
                f"{float(a.get('daily_budget') or 0):,.2f} {a.get('currency', '')} a day"
            )
        if c["field"] == "checked_status":
            return f"check the new campaign, then {c['before']} → {c['after']}"
        return f"{c['entity_type']} {c['entity_id']} {c['field']}: {c['before']} → {c['after']}"

    rows = [
        {
            "platform": PLATFORM_NAMES.get(c["platform"], c["platform"]),
            "account": c["account_id"],
            "change": said(c),
        }
        for c in changes
    ]
    return pd.DataFrame(rows, columns=["platform", "account", "change"])
