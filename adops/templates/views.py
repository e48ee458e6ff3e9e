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
    return levels, [f"{v.field}: {v.message}" for v in validate(t, platform, currency, check_assets=False)]


def needs(template: Template | str, platform: str) -> list[str]:
    """What a launch on a real `platform` account asks for besides the template (a Page, a pin, …),
    given as the launch's `assets` or saved in a custom template; the sandbox needs none."""
    t = get(template) if isinstance(template, str) else template
    return [v.message for v in validate(t, platform, check_assets=True) if v.field == "assets"]


def launch_changes(changes: list[dict[str, Any]]) -> pd.DataFrame:
    """A launch run's changes in words: platform, account, and what each change does."""

    def said(c: dict[str, Any]) -> str:
        a = c["after"] if isinstance(c["after"], dict) else {}
        if c["field"] == "campaign" and a:
            return (
                f"create campaign {a.get('name')!r}, paused: {a.get('objective')}, "
                f"{float(a.get('daily_budget') or 0):,.2f} {a.get('currency', '')} a day"
            )
        if c["field"] == "ad_group" and a:
            budget = a.get("daily_budget")
            money = f", {float(budget):,.2f} {a.get('currency', '')} a day" if budget else ""
            return f"create ad group {a.get('name')!r} in it, paused: {a.get('extra', {}).get('countries', '')}{money}"
        if c["field"] == "ad" and a:
            headlines = list(a.get("headlines") or [])
            return (
                f"create ad {a.get('name')!r} in it, paused: {headlines[0] if headlines else ''!r}"
                f"{f' (+{len(headlines) - 1} headlines)' if len(headlines) > 1 else ''}, {a.get('landing_url')}"
            )
        if c["field"] == "checked_status":
            entity = str(c["entity_type"]).replace("_", " ")
            return f"check the new {entity}, then {c['before']} → {c['after']}"
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
