"""Creative fatigue: ads whose click-through rate has worn down since their first days.

An ad is judged as of a day (the period's end). It is **fatigued** when its CTR over the last
`window_days` (7) is at least `min_drop` (20%) below its CTR over its own first `window_days`, both
windows having at least `min_impressions` (10,000) and the ad having at least `min_days` (7) days of
data (days since its first impression, counting both ends) and a full first window. The thresholds
are `[analysis.fatigue]` in adops.toml.

"Its own first days" start at the ad's first day with impressions in the warehouse: an ad older than
the stored history is compared with its earliest stored week (`first_seen_at_history_start` says so).
The first days and the first window's sums read the whole history, so they are computed once per
warehouse snapshot (`adops.analytics.memo`); a judgement then reads only the last window.

Frequency is impressions per person reached. The warehouse holds each ad's reach per day
(`ad_daily.reach`, where the platform reports it: Meta and TikTok). People reached do not add up
across days (someone who saw the ad on Monday and Tuesday is one person over the two days but in
both days' reach), and the platforms do not give a deduplicated reach for arbitrary windows at ad
level. So a window's or an age bucket's frequency here is the **average daily frequency**:
sum(impressions) / sum(daily reach) over the ad-days that have a reach, which is each ad-day's
frequency weighted by its reach. It reads "on the days they saw it, people saw the ad N times a
day"; it is never the frequency over the whole window (which is higher), and it is null where no
ad-day in the window has a reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from adops import config, warehouse
from adops.analytics import breakdowns, memo, recent
from adops.analytics.overview import Filters
from adops.errors import InputError

__all__ = [
    "STATUSES",
    "Thresholds",
    "by_age",
    "classify",
    "ctr_by_age",
    "detect",
    "first_windows",
    "frequency",
    "judge",
]

#: how an ad is judged, worst first
STATUSES = ("fatigued", "healthy", "too few impressions", "too new")


@dataclass(frozen=True)
class Thresholds:
    """When an ad counts as fatigued (`[analysis.fatigue]`)."""

    window_days: int = 7
    min_drop: float = 0.20
    min_impressions: int = 10_000
    min_days: int = 7

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 90:
            raise InputError(f"window_days must be between 1 and 90, got {self.window_days}")
        if not 0 < self.min_drop < 1:
            raise InputError(f"min_drop must be between 0 and 1 (0.2 is 20%), got {self.min_drop}")
        if self.min_impressions < 0 or self.min_days < 1:
            raise InputError("min_impressions must be 0 or more and min_days at least 1")

    @classmethod
    def configured(cls) -> Thresholds:
        """The workspace's thresholds (adops.toml `[analysis.fatigue]`, defaults otherwise)."""
        settings = config.load().analysis
        if settings is None:
            return cls()
        f = settings.fatigue
        return cls(f.window_days, f.min_drop, f.min_impressions, f.min_days)


def classify(
    first_impressions: np.ndarray,
    first_clicks: np.ndarray,
    last_impressions: np.ndarray,
    last_clicks: np.ndarray,
    days: np.ndarray,
    thresholds: Thresholds,
) -> tuple[np.ndarray, np.ndarray]:
    """(status, relative CTR change) per ad from its two windows' sums and its days of data."""
    first_impressions = np.asarray(first_impressions, dtype=float)
    last_impressions = np.asarray(last_impressions, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        first_ctr = np.where(
            first_impressions > 0, np.asarray(first_clicks, float) / first_impressions, np.nan
        )
        last_ctr = np.where(last_impressions > 0, np.asarray(last_clicks, float) / last_impressions, np.nan)
        change = np.where(first_ctr > 0, last_ctr / first_ctr - 1, np.nan)
    days = np.asarray(days)
    too_new = days < max(thresholds.min_days, thresholds.window_days)
    too_few = (first_impressions < thresholds.min_impressions) | (
        last_impressions < thresholds.min_impressions
    )
    # a CTR of 0 in the first window cannot drop; a drop is read with a little slack for float rounding
    fatigued = np.nan_to_num(change, nan=0.0) <= -thresholds.min_drop + 1e-12
    status = np.select(
        [too_new, too_few, fatigued], ["too new", "too few impressions", "fatigued"], "healthy"
    )
    return status, change


def frequency(reach_impressions: np.ndarray | pd.Series, reach: np.ndarray | pd.Series) -> np.ndarray:
    """Average daily frequency from sums over ad-days that have a reach: impressions on those days
    over their summed daily reach (NaN where there is no reach; see the module)."""
    reach = np.asarray(reach, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reach > 0, np.asarray(reach_impressions, dtype=float) / reach, np.nan)


def first_windows(window_days: int) -> pd.DataFrame:
    """Per ad: its first day with impressions and its first `window_days` days' impressions and clicks.

    Reads the whole ad history; kept per warehouse snapshot.
    """

    def compute() -> pd.DataFrame:
        return warehouse.query(
            """
            WITH f AS (
                SELECT platform, account_id, ad_id, min(date) AS first_day
                FROM ad_daily WHERE impressions > 0 GROUP BY ALL
            )
            SELECT a.platform, a.account_id, a.ad_id, any_value(a.campaign_id) AS campaign_id,
                   any_value(a.ad_group_id) AS ad_group_id, f.first_day,
                   sum(a.impressions)::DOUBLE AS first_impressions, sum(a.clicks)::DOUBLE AS first_clicks,
                   coalesce(sum(a.impressions) FILTER (WHERE a.reach > 0), 0)::DOUBLE
                       AS first_reach_impressions,
                   coalesce(sum(a.reach) FILTER (WHERE a.reach > 0), 0)::DOUBLE AS first_reach,
                   f.first_day = (SELECT min(date) FROM ad_daily) AS first_seen_at_history_start
            FROM ad_daily a
            JOIN f ON a.platform = f.platform AND a.account_id = f.account_id AND a.ad_id = f.ad_id
            WHERE a.date BETWEEN f.first_day AND f.first_day + ?::INTEGER - 1
            GROUP BY a.platform, a.account_id, a.ad_id, f.first_day
            """,
            [window_days],
        ).assign(
            first_ns=lambda d: pd.to_datetime(d["first_day"]).to_numpy(dtype="datetime64[D]"),
            first_day=lambda d: pd.to_datetime(d["first_day"]).dt.date,
        )

    return memo.per_snapshot(f"fatigue.first_windows.{window_days}", compute)


def detect(filters: Filters, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Every ad with impressions in the last window up to `filters.end`, judged (see the module).

    Columns: platform, account_id, campaign_id, ad_group_id, ad_id, name, entity_type (`ad`),
    entity_id, first_day, days, first_impressions, first_clicks, first_ctr, last_impressions,
    last_clicks, last_ctr, ctr_change, status, first_seen_at_history_start. Fatigued ads first,
    the steepest drop first.
    """
    t = thresholds or Thresholds.configured()
    window = Filters(
        filters.end - timedelta(days=t.window_days - 1), filters.end, filters.platforms, filters.accounts
    )
    clause, params = breakdowns.where(window)
    # each ad's rows with impressions, summed per ad (the window's start stands for its days)
    src = breakdowns.source(
        "ad_daily", window.start, window.end, breakdowns.date_sql(window.start), only="impressions > 0"
    )
    last = src.run(
        f"""WITH l AS (
                SELECT platform, account_id, ad_id, sum(impressions)::DOUBLE AS last_impressions,
                       sum(clicks)::DOUBLE AS last_clicks,
                       coalesce(sum(reach_impressions), 0)::DOUBLE AS last_reach_impressions,
                       coalesce(sum(reach) FILTER (WHERE reach > 0), 0)::DOUBLE AS last_reach
                FROM {src.table} WHERE {clause} AND impressions > 0 GROUP BY ALL
            )
            SELECT l.*, coalesce(n.ad_name, l.ad_id) AS name
            FROM l LEFT JOIN (SELECT DISTINCT ON (platform, account_id, ad_id) platform, account_id, ad_id, ad_name
                              FROM {src.names}ads) n
              ON l.platform = n.platform AND l.account_id = n.account_id AND l.ad_id = n.ad_id""",
        params,
    )
    keys = ["platform", "account_id", "ad_id"]
    out = last.merge(first_windows(t.window_days), on=keys, how="inner")
    end = np.datetime64(filters.end, "D")
    out["days"] = (end - out["first_ns"].to_numpy(dtype="datetime64[D]")).astype(int) + 1
    status, change = classify(
        out["first_impressions"].to_numpy(),
        out["first_clicks"].to_numpy(),
        out["last_impressions"].to_numpy(),
        out["last_clicks"].to_numpy(),
        out["days"].to_numpy(),
        t,
    )
    out["first_ctr"] = out["first_clicks"] / out["first_impressions"].replace(0, np.nan)
    out["last_ctr"] = out["last_clicks"] / out["last_impressions"].replace(0, np.nan)
    out["ctr_change"] = change
    _frequencies(out)
    out["status"] = status
    out["entity_type"] = "ad"
    out["entity_id"] = out["ad_id"]
    out["_order"] = np.select([status == s for s in STATUSES], list(range(len(STATUSES))))
    out = out.sort_values(["_order", "ctr_change", *keys], ignore_index=True)
    columns = [
        "platform", "account_id", "campaign_id", "ad_group_id", "ad_id", "name", "entity_type", "entity_id",
        "first_day", "days", "first_impressions", "first_clicks", "first_ctr", "last_impressions",
        "last_clicks", "last_ctr", "ctr_change", "first_frequency", "last_frequency", "frequency_change",
        "status", "first_seen_at_history_start",
    ]  # fmt: skip
    return out[columns]


def _frequencies(out: pd.DataFrame) -> None:
    """Each window's average daily frequency and its relative change, from the reach sums."""
    out["first_frequency"] = frequency(out["first_reach_impressions"], out["first_reach"])
    out["last_frequency"] = frequency(out["last_reach_impressions"], out["last_reach"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["frequency_change"] = out["last_frequency"] / out["first_frequency"] - 1


def judge(days: pd.DataFrame, end: date, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """The rule on a frame of ad days (`platform, account_id, ad_id, date, impressions, clicks`), as of
    `end`: what `detect` does on the warehouse, for a CSV (`adops fatigue`). Rows after `end` are
    ignored; an ad's first day is its first row with impressions.

    Columns: platform, account_id, ad_id, first_day, days, first_impressions, first_clicks, first_ctr,
    last_impressions, last_clicks, last_ctr, ctr_change, first_frequency, last_frequency,
    frequency_change (NaN without a `reach` column), status. Fatigued first, steepest drop first.
    """
    t = thresholds or Thresholds.configured()
    keys = ["platform", "account_id", "ad_id"]
    rows = _with_reach(days[(days["date"] <= end) & (days["impressions"] > 0)])
    first_day = rows.groupby(keys)["date"].min().rename("first_day").reset_index()
    rows = rows.merge(first_day, on=keys)
    window = timedelta(days=t.window_days - 1)
    sums = ["impressions", "clicks", "reach_impressions", "reach"]
    first = rows[rows["date"] <= rows["first_day"] + window].groupby(keys)[sums].sum()
    last = rows[rows["date"] >= end - window].groupby(keys)[sums].sum()
    out = (
        last.add_prefix("last_")
        .join(first.add_prefix("first_"), how="inner")
        .reset_index()
        .merge(first_day, on=keys)
    )
    out["days"] = [(end - d).days + 1 for d in out["first_day"]]
    status, change = classify(
        out["first_impressions"].to_numpy(),
        out["first_clicks"].to_numpy(),
        out["last_impressions"].to_numpy(),
        out["last_clicks"].to_numpy(),
        out["days"].to_numpy(),
        t,
    )
    out["first_ctr"] = out["first_clicks"] / out["first_impressions"].replace(0, np.nan)
    out["last_ctr"] = out["last_clicks"] / out["last_impressions"].replace(0, np.nan)
    out["ctr_change"] = change
    _frequencies(out)
    out["status"] = status
    order = out["status"].map({s: i for i, s in enumerate(STATUSES)})
    out = out.assign(_order=order).sort_values(["_order", "ctr_change", *keys]).drop(columns="_order")
    columns = [
        "platform", "account_id", "ad_id", "first_day", "days", "first_impressions", "first_clicks",
        "first_ctr", "last_impressions", "last_clicks", "last_ctr", "ctr_change", "first_frequency",
        "last_frequency", "frequency_change", "status",
    ]  # fmt: skip
    return out[columns].reset_index(drop=True)


def _with_reach(rows: pd.DataFrame) -> pd.DataFrame:
    """Ad days with `reach` (0 where unknown) and `reach_impressions` (impressions of the days that
    have a reach), the sums `frequency` divides."""
    reach = rows["reach"] if "reach" in rows else pd.Series(np.nan, index=rows.index)
    known = reach.notna() & (reach > 0)
    return rows.assign(
        reach=np.where(known, reach, 0.0), reach_impressions=np.where(known, rows["impressions"], 0.0)
    )


def by_age(days: pd.DataFrame, end: date, bucket_days: int = 7, max_age_days: int = 364) -> pd.DataFrame:
    """`ctr_by_age` on a frame of ad days (as `judge` reads them): per `platform, age_days`,
    `impressions, clicks, ad_days, ads, ctr, reach, reach_impressions, frequency`."""
    if not 1 <= bucket_days <= 91 or not 1 <= max_age_days <= 3650:
        raise InputError("bucket_days must be 1-91 and max_age_days 1-3650")
    keys = ["platform", "account_id", "ad_id"]
    rows = _with_reach(days[(days["date"] <= end) & (days["impressions"] > 0)])
    first = rows.groupby(keys)["date"].transform("min")
    age = np.array([(d - f).days for d, f in zip(rows["date"], first, strict=True)], dtype=int)
    rows = rows.assign(age_days=(age // bucket_days) * bucket_days, _age=age)
    rows = rows[rows["_age"] <= max_age_days]
    out = (
        rows.groupby(["platform", "age_days"])
        .agg(
            impressions=("impressions", "sum"),
            clicks=("clicks", "sum"),
            ad_days=("impressions", "size"),
            ads=("ad_id", "nunique"),
            reach=("reach", "sum"),
            reach_impressions=("reach_impressions", "sum"),
        )
        .reset_index()
    )
    out["ctr"] = out["clicks"] / out["impressions"].replace(0, np.nan)
    out["frequency"] = frequency(out["reach_impressions"], out["reach"])
    return out


def ctr_by_age(filters: Filters, bucket_days: int = 7, max_age_days: int = 364) -> pd.DataFrame:
    """CTR and frequency by ad age (days since the ad's first impression), per platform, from the
    period's rows: `platform, age_days` (the bucket's first day), `impressions, clicks, ad_days, ads,
    ctr, reach, reach_impressions, frequency, impressions_per_ad_day`. Ratios of sums, ages in buckets
    of `bucket_days`, up to `max_age_days`; `frequency` is the average daily frequency over the
    bucket's ad-days that have a reach (NaN where none has: see the module)."""
    if not 1 <= bucket_days <= 91 or not 1 <= max_age_days <= 3650:
        raise InputError("bucket_days must be 1-91 and max_age_days 1-3650")
    first = first_windows(Thresholds.configured().window_days)
    if filters.platforms:
        first = first[first["platform"].isin(filters.platforms)]
    if filters.accounts:
        first = first[(first["platform"] + ":" + first["account_id"]).isin(filters.accounts)]
    clause, params = breakdowns.where(filters)
    firsts = [
        first["platform"].tolist(),
        first["account_id"].tolist(),
        first["ad_id"].tolist(),
        first["first_day"].tolist(),
    ]
    f_sql = """SELECT unnest(?::VARCHAR[]) AS platform, unnest(?::VARCHAR[]) AS account_id,
                      unnest(?::VARCHAR[]) AS ad_id, unnest(?::DATE[]) AS first_day"""
    window = recent.recent()
    if window.covers("ad_daily", filters.start):
        # in the recent window: each ad number's age buckets summed first, then named
        entities, entity_params = breakdowns.entity_where(filters)
        named = " AND ".join(entities) or "true"
        frame = window.query(
            f"""
            WITH f AS ({f_sql}), fk AS (
                SELECT n.k, n.platform, n.ad_id, f.first_day
                FROM (SELECT * FROM recent_ad_daily_keys WHERE {named}) n
                JOIN f ON n.platform = f.platform AND n.account_id = f.account_id AND n.ad_id = f.ad_id
            ), b AS (
                SELECT a.k, ((a.date - fk.first_day) // ?) * ? AS age_days, sum(a.impressions) AS impressions,
                       sum(a.clicks) AS clicks, count(*) AS ad_days, sum(a.reach) AS reach,
                       sum(a.reach_impressions) AS reach_impressions
                FROM recent_ad_daily a JOIN fk ON a.k = fk.k
                WHERE a.date BETWEEN {breakdowns.date_sql(filters.start)} AND {breakdowns.date_sql(filters.end)}
                  AND a.impressions > 0 AND a.date - fk.first_day <= ?
                GROUP BY ALL
            )
            SELECT fk.platform, b.age_days, sum(b.impressions)::DOUBLE AS impressions,
                   sum(b.clicks)::DOUBLE AS clicks, sum(b.ad_days)::BIGINT AS ad_days,
                   count(DISTINCT fk.ad_id) AS ads, sum(b.reach)::DOUBLE AS reach,
                   sum(b.reach_impressions)::DOUBLE AS reach_impressions
            FROM b JOIN fk ON b.k = fk.k GROUP BY ALL ORDER BY platform, age_days
            """,
            [*firsts, *entity_params, bucket_days, bucket_days, max_age_days],
        )
    else:
        frame = warehouse.query(
            f"""
            WITH f AS ({f_sql}), rows AS (
                SELECT a.platform, (a.date - f.first_day) AS age, a.ad_id, a.impressions, a.clicks,
                       a.reach, a.reach_impressions
                FROM (SELECT platform, account_id, ad_id, date, impressions, clicks,
                             CASE WHEN reach > 0 THEN reach ELSE 0 END AS reach,
                             CASE WHEN reach > 0 THEN impressions ELSE 0 END AS reach_impressions
                      FROM ad_daily WHERE {clause} AND impressions > 0) a
                JOIN f ON a.platform = f.platform AND a.account_id = f.account_id AND a.ad_id = f.ad_id
            )
            SELECT platform, (age // ?) * ? AS age_days, sum(impressions)::DOUBLE AS impressions,
                   sum(clicks)::DOUBLE AS clicks, count(*) AS ad_days, count(DISTINCT ad_id) AS ads,
                   sum(reach)::DOUBLE AS reach, sum(reach_impressions)::DOUBLE AS reach_impressions
            FROM rows WHERE age <= ? GROUP BY ALL ORDER BY platform, age_days
            """,
            [*firsts, *params, bucket_days, bucket_days, max_age_days],
        )
    frame["ctr"] = frame["clicks"] / frame["impressions"].replace(0, np.nan)
    frame["frequency"] = frequency(frame["reach_impressions"], frame["reach"])
    frame["impressions_per_ad_day"] = frame["impressions"] / frame["ad_days"].replace(0, np.nan)
    return frame
