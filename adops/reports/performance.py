"""The performance report's numbers: totals, the platform table, daily series and top campaigns.

Everything is in the reporting currency and read from the warehouse through the Overview's own
queries (`adops.analytics.overview`), so a report and the Overview page always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from adops import clock, config, warehouse
from adops.analytics import overview
from adops.analytics.kpis import add_kpis
from adops.errors import InputError
from adops.platforms import PLATFORMS

#: the longest window a report covers, and the most campaigns it lists
MAX_DAYS = 366
TOP_CAMPAIGNS = 10


@dataclass(frozen=True)
class Report:
    """One period's performance across platforms, ready to render as HTML, PDF or CSV."""

    title: str
    start: date
    end: date
    currency: str
    totals: dict[str, float]
    by_platform: pd.DataFrame  # platform, sums, KPIs; a last "All platforms" row
    daily: pd.DataFrame  # date, platform, sums
    top_campaigns: pd.DataFrame  # platform, campaign_name, sums, KPIs
    generated_at: datetime = field(default_factory=lambda: clock.now())

    @property
    def empty(self) -> bool:
        return self.daily.empty


def build(
    start: date | None = None,
    end: date | None = None,
    platforms: Sequence[str] = (),
    title: str = "Performance report",
) -> Report:
    """The report over [start, end] (default: the last 7 complete days with data) for `platforms`."""
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise InputError(f"unknown platform {unknown[0]!r} (use {', '.join(PLATFORMS)})")
    title = " ".join(str(title).split())
    if not title or len(title) > 200:
        raise InputError("report title: 1 to 200 characters")
    if start is None or end is None:
        bounds = overview.date_bounds()
        if bounds is None:
            today = clock.today()
            start, end = start or today, end or today
        else:
            lo, hi = overview.default_range(bounds, days=7)
            start, end = start or lo, end or hi
    if (end - start).days + 1 > MAX_DAYS:
        raise InputError(f"a report covers at most {MAX_DAYS} days; {start} to {end} is longer")
    filters = overview.Filters(start, end, tuple(platforms))
    return Report(
        title=title,
        start=start,
        end=end,
        currency=config.load().reporting_currency,
        totals=overview.totals(filters),
        by_platform=overview.by_platform(filters),
        daily=overview.daily_by_platform(filters),
        top_campaigns=_top_campaigns(filters),
    )


def _top_campaigns(filters: overview.Filters) -> pd.DataFrame:
    where, params = filters.where()
    sums = overview.SUMS
    frame: pd.DataFrame = warehouse.query(
        f"SELECT platform, any_value(campaign_name) AS campaign_name, {sums} FROM campaign_daily "
        f"WHERE {where} GROUP BY platform, account_id, campaign_id ORDER BY spend DESC LIMIT {TOP_CAMPAIGNS}",
        params,
    )
    return add_kpis(frame)


def summary(report: Report) -> dict[str, Any]:
    """The headline numbers, for a chat message or an event."""
    from adops.analytics.kpis import kpi

    t = report.totals
    return {
        "spend": t.get("spend", 0.0),
        "conversions": t.get("conversions", 0.0),
        "cpa": kpi("cpa", t),
        "roas": kpi("roas", t),
        "ctr": kpi("ctr", t),
    }
