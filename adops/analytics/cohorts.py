"""Campaign cohorts: campaigns grouped by launch month, followed by age (days since launch).

A campaign's launch is its first day with spend in `campaign_daily`. A campaign whose first day with
spend is its account's first stored day may have started before the history: its launch is unknown,
and it is left out. For each cohort and age the curve sums every member's spend and conversion value
up to that age; ROAS is the ratio of those cumulative sums (never an average of ratios). A curve
stops at the age its youngest member has reached by the period's end, so every point of a curve
sums the same campaigns.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from adops import warehouse
from adops.analytics import memo
from adops.analytics.overview import Filters
from adops.errors import InputError

__all__ = ["cohort_curves", "launches"]


def launches() -> pd.DataFrame:
    """Per campaign: `platform, account_id, campaign_id, launch` (first day with spend) and `censored`
    (the launch is the account's first stored day, so the real one may be earlier). Kept per snapshot."""

    def compute() -> pd.DataFrame:
        frame = warehouse.query(
            """
            WITH c AS (
                SELECT platform, account_id, campaign_id, min(date) AS launch
                FROM campaign_daily WHERE spend > 0 GROUP BY ALL
            ), a AS (
                SELECT platform, account_id, min(date) AS first_day FROM account_daily GROUP BY ALL
            )
            SELECT c.platform, c.account_id, c.campaign_id, c.launch, c.launch <= a.first_day AS censored
            FROM c JOIN a ON c.platform = a.platform AND c.account_id = a.account_id
            ORDER BY c.launch, c.platform, c.account_id, c.campaign_id
            """
        )
        frame["launch"] = pd.to_datetime(frame["launch"]).dt.date
        return frame

    return memo.per_snapshot("cohorts.launches", compute)


def cohort_curves(filters: Filters, since: date, max_age_days: int = 90) -> pd.DataFrame:
    """Cumulative spend and ROAS by age for the campaigns launched from `since` to `filters.end`,
    in the filters' platforms and accounts, by launch month.

    Columns: `cohort` (the month's first day), `campaigns`, `age_days`, `spend`, `conversion_value`
    (that day's sums, reporting currency), `cum_spend`, `cum_value`, `cum_roas`,
    `cum_spend_per_campaign`.
    """
    if since > filters.end:
        raise InputError(f"the cohorts' first launch day {since} is after the end date {filters.end}")
    if not 1 <= max_age_days <= 3650:
        raise InputError(f"max_age_days must be between 1 and 3650, got {max_age_days}")
    found = launches()
    found = found[~found["censored"] & (found["launch"] >= since) & (found["launch"] <= filters.end)]
    if filters.platforms:
        found = found[found["platform"].isin(filters.platforms)]
    if filters.accounts:
        found = found[(found["platform"] + ":" + found["account_id"]).isin(filters.accounts)]
    columns = [
        "cohort",
        "campaigns",
        "age_days",
        "spend",
        "conversion_value",
        "cum_spend",
        "cum_value",
        "cum_roas",
        "cum_spend_per_campaign",
    ]
    if found.empty:
        return pd.DataFrame(columns=columns)
    daily = warehouse.query(
        """
        WITH l AS (
            SELECT unnest(?::VARCHAR[]) AS platform, unnest(?::VARCHAR[]) AS account_id,
                   unnest(?::VARCHAR[]) AS campaign_id, unnest(?::DATE[]) AS launch
        )
        SELECT date_trunc('month', l.launch)::DATE AS cohort, (c.date - l.launch) AS age_days,
               sum(c.spend_reporting) AS spend, sum(c.conversion_value_reporting) AS conversion_value
        FROM campaign_daily c
        JOIN l ON c.platform = l.platform AND c.account_id = l.account_id AND c.campaign_id = l.campaign_id
        WHERE c.date BETWEEN ? AND ? AND c.date - l.launch <= ?
        GROUP BY ALL
        """,
        [
            found["platform"].tolist(),
            found["account_id"].tolist(),
            found["campaign_id"].tolist(),
            found["launch"].tolist(),
            since,
            filters.end,
            max_age_days,
        ],
    )
    found = found.assign(cohort=[d.replace(day=1) for d in found["launch"]])
    members = found.groupby("cohort").agg(campaigns=("campaign_id", "size"), last_launch=("launch", "max"))
    daily["cohort"] = pd.to_datetime(daily["cohort"]).dt.date
    curves = []
    for cohort, row in members.iterrows():
        reach = min(max_age_days, (filters.end - row["last_launch"]).days)
        ages = pd.RangeIndex(0, reach + 1, name="age_days")
        part = (
            daily[daily["cohort"] == cohort]
            .set_index("age_days")[["spend", "conversion_value"]]
            .reindex(ages, fill_value=0.0)
            .reset_index()
        )
        part.insert(0, "cohort", [cohort] * len(part))
        part.insert(1, "campaigns", int(row["campaigns"]))
        curves.append(part)
    out = pd.concat(curves, ignore_index=True)
    out["cum_spend"] = out.groupby("cohort")["spend"].cumsum()
    out["cum_value"] = out.groupby("cohort")["conversion_value"].cumsum()
    out["cum_roas"] = out["cum_value"] / out["cum_spend"].replace(0, np.nan)
    out["cum_spend_per_campaign"] = out["cum_spend"] / out["campaigns"]
    return out[columns]
