"""The warehouse tables: their columns, types and unique keys (the data model of DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

METRICS = ["impressions", "clicks", "spend", "conversions", "conversion_value"]


@dataclass(frozen=True)
class Table:
    name: str
    schema: pa.Schema
    key: tuple[str, ...]
    #: columns compared on re-sync: a matched row is rewritten only when one of them changed
    compare: tuple[str, ...]
    #: nullable columns added after the table's first release: rows without them are written with
    #: nulls there (writers and platforms that do not report them need not name them)
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)


_TS = pa.timestamp("us", tz="UTC")
_INGEST = [
    pa.field("reporting_currency", pa.string()),
    pa.field("synced_at", _TS),
    pa.field("sync_run_id", pa.int64()),
]
_METRIC_FIELDS = [
    pa.field("impressions", pa.int64()),
    pa.field("clicks", pa.int64()),
    pa.field("spend", pa.float64()),
    pa.field("conversions", pa.float64()),
    pa.field("conversion_value", pa.float64()),
    pa.field("spend_reporting", pa.float64()),
    pa.field("conversion_value_reporting", pa.float64()),
]
#: the reporting columns are compared too: a reporting-currency change rewrites rows whose spend did not move
_PERF_COMPARE = (
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "conversion_value",
    "spend_reporting",
    "conversion_value_reporting",
    "reporting_currency",
)

CAMPAIGN_DAILY = Table(
    "campaign_daily",
    pa.schema(
        [
            pa.field("date", pa.date32()),
            pa.field("platform", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("campaign_id", pa.string()),
            pa.field("campaign_name", pa.string()),
            pa.field("currency", pa.string()),
            *_METRIC_FIELDS,
            *_INGEST,
        ]
    ),
    ("platform", "account_id", "campaign_id", "date"),
    (*_PERF_COMPARE, "campaign_name"),
)

AD_DAILY = Table(
    "ad_daily",
    pa.schema(
        [
            pa.field("date", pa.date32()),
            pa.field("platform", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("campaign_id", pa.string()),
            pa.field("ad_group_id", pa.string()),
            pa.field("ad_id", pa.string()),
            pa.field("ad_name", pa.string()),
            pa.field("currency", pa.string()),
            *_METRIC_FIELDS,
            *_INGEST,
            # people who saw the ad that day, where the platform reports it at ad x day (else null);
            # last, so a warehouse written before it gains it by schema evolution in the same order
            pa.field("reach", pa.int64()),
        ]
    ),
    ("platform", "account_id", "ad_id", "date"),
    (*_PERF_COMPARE, "ad_name", "reach"),
    ("reach",),
)

ACCOUNTS = Table(
    "accounts",
    pa.schema(
        [
            pa.field("platform", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("account_name", pa.string()),
            pa.field("currency", pa.string()),
            pa.field("timezone", pa.string()),
            pa.field("status", pa.string()),
            pa.field("synced_at", _TS),
        ]
    ),
    ("platform", "account_id"),
    ("account_name", "currency", "timezone", "status"),
)

CAMPAIGNS = Table(
    "campaigns",
    pa.schema(
        [
            pa.field("platform", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("campaign_id", pa.string()),
            pa.field("campaign_name", pa.string()),
            pa.field("status", pa.string()),
            pa.field("objective", pa.string()),
            pa.field("daily_budget", pa.float64()),
            pa.field("lifetime_budget", pa.float64()),
            pa.field("bidding_strategy", pa.string()),
            pa.field("bid_amount", pa.float64()),
            pa.field("currency", pa.string()),
            pa.field("start_date", pa.date32()),
            pa.field("synced_at", _TS),
            # enabled conversion actions the campaign counts (Google Ads); 0 = no conversion tracking,
            # null where the platform does not say
            pa.field("conversion_actions", pa.int64()),
        ]
    ),
    ("platform", "account_id", "campaign_id"),
    (
        "campaign_name",
        "status",
        "objective",
        "daily_budget",
        "lifetime_budget",
        "bidding_strategy",
        "bid_amount",
        "conversion_actions",
    ),
    ("conversion_actions",),
)

ADS = Table(
    "ads",
    pa.schema(
        [
            pa.field("platform", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("ad_id", pa.string()),
            pa.field("ad_group_id", pa.string()),
            pa.field("ad_group_name", pa.string()),
            pa.field("campaign_id", pa.string()),
            pa.field("ad_name", pa.string()),
            pa.field("status", pa.string()),
            pa.field("creative_type", pa.string()),
            pa.field("headline", pa.string()),
            pa.field("landing_url", pa.string()),
            pa.field("synced_at", _TS),
            # the ad group's learning phase as the platform says it (Meta ad set
            # `learning_stage_info.status`: LEARNING, SUCCESS, FAIL = "Learning limited"); null elsewhere
            pa.field("ad_group_learning_stage", pa.string()),
        ]
    ),
    ("platform", "account_id", "ad_id"),
    (
        "ad_name",
        "status",
        "headline",
        "ad_group_name",
        "creative_type",
        "landing_url",
        "ad_group_learning_stage",
    ),
    ("ad_group_learning_stage",),
)

#: The daily rates the sync converted with: multiply an amount in `currency` by `rate_to_reporting`.
#: `source` is where the rate came from (`ecb`, or `sandbox` for simulated accounts); `rate_date` the
#: day it was published for (an earlier day on weekends, holidays and after the last known day).
FX_RATES = Table(
    "fx_rates",
    pa.schema(
        [
            pa.field("date", pa.date32()),
            pa.field("currency", pa.string()),
            pa.field("reporting_currency", pa.string()),
            pa.field("rate_to_reporting", pa.float64()),
            pa.field("source", pa.string()),
            pa.field("rate_date", pa.date32()),
        ]
    ),
    ("date", "currency", "reporting_currency", "source"),
    ("rate_to_reporting", "rate_date"),
)

TABLES: dict[str, Table] = {t.name: t for t in (CAMPAIGN_DAILY, AD_DAILY, ACCOUNTS, CAMPAIGNS, ADS, FX_RATES)}

ACCOUNT_DAILY = Table(
    "account_daily",
    pa.schema(
        [
            pa.field("date", pa.date32()),
            pa.field("platform", pa.string()),
            pa.field("account_id", pa.string()),
            pa.field("currency", pa.string()),
            pa.field("reporting_currency", pa.string()),
            pa.field("impressions", pa.int64()),
            pa.field("clicks", pa.int64()),
            pa.field("spend", pa.float64()),
            pa.field("conversions", pa.float64()),
            pa.field("conversion_value", pa.float64()),
            pa.field("spend_reporting", pa.float64()),
            pa.field("conversion_value_reporting", pa.float64()),
            pa.field("campaign_days", pa.int64()),
        ]
    ),
    ("date", "platform", "account_id", "currency", "reporting_currency"),
    (),
)

#: Rollups derived from a base table: name -> (base table, SELECT over "{source}").
#: `account_daily` is campaign_daily summed per account and day: every Overview number comes from it,
#: so dashboards read thousands of rows instead of millions. Each rollup is a Delta table of its own
#: (`ROLLUP_TABLES`), rewritten by every commit that changes its base and published in the same
#: snapshot; a warehouse written before rollups were stored reads this SELECT as a view instead.
ROLLUPS: dict[str, tuple[str, str]] = {
    "account_daily": (
        "campaign_daily",
        """SELECT date, platform, account_id, currency, reporting_currency,
                  sum(impressions)::BIGINT AS impressions, sum(clicks)::BIGINT AS clicks,
                  sum(spend) AS spend, sum(conversions) AS conversions,
                  sum(conversion_value) AS conversion_value,
                  sum(spend_reporting) AS spend_reporting,
                  sum(conversion_value_reporting) AS conversion_value_reporting,
                  count(*)::BIGINT AS campaign_days
           FROM {source} GROUP BY ALL""",
    ),
}

#: The stored rollups' tables (their schema and key), by name.
ROLLUP_TABLES: dict[str, Table] = {"account_daily": ACCOUNT_DAILY}
