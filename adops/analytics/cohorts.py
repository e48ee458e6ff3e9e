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

import pandas as pd

from adops import warehouse
from adops.analytics import memo
from adops.analytics.breakdowns import date_sql
from adops.analytics.kpis import sql as kpi_sql
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
    return warehouse.query(
        f"""
        WITH l AS (
            SELECT unnest(?::VARCHAR[]) AS platform, unnest(?::VARCHAR[]) AS account_id,
                   unnest(?::VARCHAR[]) AS campaign_id, unnest(?::DATE[]) AS launch
        ), members AS (
            SELECT date_trunc('month', launch)::DATE AS cohort, count(*) AS campaigns, max(launch) AS last_launch
            FROM l GROUP BY ALL
        ), ages AS (  -- each curve up to the age its youngest member has reached
            SELECT cohort, campaigns,
                   unnest(range(0, least(?::INTEGER, ?::DATE - last_launch) + 1)) AS age_days
            FROM members
        ), daily AS (
            SELECT date_trunc('month', l.launch)::DATE AS cohort, (c.date - l.launch) AS age_days,
                   sum(c.spend_reporting) AS spend, sum(c.conversion_value_reporting) AS conversion_value
            FROM campaign_daily c
            JOIN l ON c.platform = l.platform AND c.account_id = l.account_id AND c.campaign_id = l.campaign_id
            WHERE c.date BETWEEN {date_sql(since)} AND {date_sql(filters.end)} AND c.date - l.launch <= ?
            GROUP BY ALL
        ), curves AS (
            SELECT a.cohort, a.campaigns, a.age_days, coalesce(d.spend, 0) AS spend,
                   coalesce(d.conversion_value, 0) AS conversion_value,
                   sum(coalesce(d.spend, 0)) OVER w AS cum_spend,
                   sum(coalesce(d.conversion_value, 0)) OVER w AS cum_conversion_value
            FROM ages a LEFT JOIN daily d ON a.cohort = d.cohort AND a.age_days = d.age_days
            WINDOW w AS (PARTITION BY a.cohort ORDER BY a.age_days)
        )
        SELECT cohort, campaigns, age_days, spend, conversion_value, cum_spend,
               cum_conversion_value AS cum_value, {kpi_sql("roas", "cum_{}")} AS cum_roas,
               cum_spend / campaigns AS cum_spend_per_campaign
        FROM curves ORDER BY cohort, age_days
        """,
        [
            found["platform"].tolist(),
            found["account_id"].tolist(),
            found["campaign_id"].tolist(),
            found["launch"].tolist(),
            max_age_days,
            filters.end,
            max_age_days,
        ],
    ).assign(cohort=lambda d: pd.to_datetime(d["cohort"]).dt.date)[columns]
