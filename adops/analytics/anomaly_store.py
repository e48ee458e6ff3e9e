"""Anomalies kept in the operational store: each one once, with its state, and one event when new.

The `anomalies.scan` job (after every sync) reads the warehouse, runs `anomalies.scan` over the
last `HISTORY_DAYS` and keeps what it finds in the last `REPORT_DAYS`:

- a new (level, series, metric, day, kind) becomes a row, `active`, and then one
  `anomaly.detected` event with its severity (notification rules with `min_severity` route it);
- one found again only refreshes its numbers (no second row, no second event);
- an active one that a later scan no longer finds (the change held: a level shift, or restated
  conversions filled the gap) becomes `resolved`; one older than `REPORT_DAYS` becomes `expired`.

The pages read `active()`; nothing here imports streamlit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Date, DateTime, Float, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from adops.analytics.anomalies import SEVERITIES, SUMS, Anomaly, Thresholds, scan
from adops.errors import InputError
from adops.store.models import Base

#: days of history each scan reads (the STL and the baselines need weeks before a day)
HISTORY_DAYS = 91
#: days whose anomalies are reported and kept active
REPORT_DAYS = 7
EVENT = "anomaly.detected"


class AnomalyRecord(Base):
    """One anomaly as the scans saw it. `key` is unique: (level, series, metric, ds, kind)."""

    __tablename__ = "anomalies"
    __table_args__ = (Index("ix_anomalies_status_ds", "status", "ds"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(20))  # platform | account | campaign
    platform: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    campaign_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    series: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(20))
    ds: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # spike | drop | outage
    direction: Mapped[str] = mapped_column(String(10))  # spike | drop
    severity: Mapped[str] = mapped_column(String(10))
    y: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | resolved | expired
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


def key_of(a: Anomaly) -> str:
    """The identity of an anomaly across scans."""
    text = "|".join([str(a.dims.get("level", "")), a.series or "", a.metric, a.ds, a.kind])
    return hashlib.sha256(text.encode()).hexdigest()[:64]


# ---------------------------------------------------------------------------- the job


def scan_job(params: dict[str, Any], step: Callable[..., Any]) -> dict[str, Any]:
    """The `anomalies.scan` job's body: scan and store (one step), then publish what is new (one step).

    Publishing is its own step over rows without an event id, so a job recovered after a crash
    publishes what the interrupted attempt stored, and nothing twice.
    """
    counts: dict[str, Any] = step("scan and store", scan_and_store, params.get("today"))
    counts["published"] = step("publish new anomalies", publish_new)
    return counts


def scan_and_store(today: str | None = None, thresholds: Thresholds | None = None) -> dict[str, int]:
    """Scan the warehouse's last HISTORY_DAYS and record the anomalies of the last REPORT_DAYS."""
    try:
        end = date.fromisoformat(str(today)) if today else _last_day()
    except ValueError:
        raise InputError(f"today: {str(today)[:40]!r} is not a date in YYYY-MM-DD form") from None
    if end is None:
        return {"found": 0, "new": 0, "seen": 0, "resolved": 0, "expired": 0}
    since = end - timedelta(days=REPORT_DAYS - 1)
    thresholds = thresholds or configured_thresholds()
    found = scan(read_daily(end - timedelta(days=HISTORY_DAYS - 1), end), thresholds, since=since)
    return record(found, since)


def configured_thresholds() -> Thresholds:
    """The thresholds of `[analysis.anomalies]` in adops.toml (the defaults without it)."""
    from adops import config

    analysis = config.load().analysis
    if analysis is None:
        return Thresholds()
    a = analysis.anomalies
    return Thresholds(
        z=a.z, ratio=a.ratio, weeks=a.weeks, min_volume=a.min_volume, outage_fraction=a.outage_fraction
    )


def read_daily(start: date, end: date) -> pd.DataFrame:
    """Campaign days in [start, end] (money in the reporting currency, so platforms add up)."""
    from adops import warehouse

    return warehouse.query(
        """SELECT date, platform, account_id, campaign_id,
                  sum(spend_reporting) AS spend, sum(clicks)::DOUBLE AS clicks,
                  sum(conversions) AS conversions, sum(conversion_value_reporting) AS conversion_value
           FROM campaign_daily WHERE date BETWEEN ? AND ? GROUP BY ALL""",
        [start, end],
    )


def _last_day() -> date | None:
    """Yesterday, or the warehouse's last day when earlier: today is still filling in (and in time
    zones ahead of ours, tomorrow has begun), so its low numbers are no drop."""
    from adops import clock, warehouse

    hi = warehouse.query("SELECT max(date) AS hi FROM campaign_daily").iloc[0]["hi"]
    return None if pd.isna(hi) else min(pd.Timestamp(hi).date(), clock.today() - timedelta(days=1))


def record(found: Iterable[Anomaly], since: date, now: datetime | None = None) -> dict[str, int]:
    """Store a scan's anomalies of the days from `since`: new rows, refreshed rows, resolved, expired."""
    from adops.store import session

    now = now or datetime.now(UTC)
    by_key = {key_of(a): a for a in found}
    counts = {"found": len(by_key), "new": 0, "seen": 0, "resolved": 0, "expired": 0}
    with session() as s:
        existing = {r.key: r for r in s.scalars(select(AnomalyRecord).where(AnomalyRecord.ds >= since))}
        for key, a in by_key.items():
            row = existing.get(key)
            if row is None:
                s.add(_row(key, a, now))
                counts["new"] += 1
                continue
            counts["seen"] += 1
            row.y, row.expected, row.score, row.baseline = a.y, a.expected, a.score, a.baseline
            row.severity, row.last_seen_at = a.severity, now
            if row.status != "active":
                row.status, row.resolved_at = "active", None
        for key, row in existing.items():
            if key not in by_key and row.status == "active":
                row.status, row.resolved_at = "resolved", now
                counts["resolved"] += 1
        expired = s.execute(
            update(AnomalyRecord)
            .where(AnomalyRecord.status == "active", AnomalyRecord.ds < since)
            .values(status="expired", resolved_at=now)
        )
        counts["expired"] = int(getattr(expired, "rowcount", 0) or 0)
    return counts


def _row(key: str, a: Anomaly, now: datetime) -> AnomalyRecord:
    return AnomalyRecord(
        key=key,
        level=str(a.dims.get("level", "")),
        platform=str(a.dims.get("platform", "")),
        account_id=a.dims.get("account_id"),
        campaign_id=a.dims.get("campaign_id"),
        series=(a.series or "")[:300],
        metric=a.metric,
        ds=date.fromisoformat(a.ds),
        kind=a.kind,
        direction=a.direction,
        severity=a.severity,
        y=a.y,
        expected=a.expected,
        score=a.score,
        baseline=a.baseline,
        status="active",
        first_seen_at=now,
        last_seen_at=now,
    )


def publish_new(limit: int = 1000) -> int:
    """One `anomaly.detected` event per active anomaly that has none yet; returns how many."""
    from adops.store import events, session

    with session() as s:
        rows = list(
            s.scalars(
                select(AnomalyRecord)
                .where(AnomalyRecord.event_id.is_(None), AnomalyRecord.status == "active")
                .order_by(AnomalyRecord.id)
                .limit(limit)
            )
        )
        for row in rows:
            row.event_id = events.publish(EVENT, event_data(row))
    return len(rows)


def event_data(row: AnomalyRecord) -> dict[str, Any]:
    """What an `anomaly.detected` event carries (routing reads `severity`)."""
    return {
        "anomaly_id": row.id,
        "severity": row.severity,
        "kind": row.kind,
        "direction": row.direction,
        "metric": row.metric,
        "level": row.level,
        "platform": row.platform,
        "account_id": row.account_id,
        "campaign_id": row.campaign_id,
        "series": row.series,
        "ds": row.ds.isoformat(),
        "y": round(row.y, 4),
        "expected": round(row.expected, 4),
        "score": round(row.score, 3),
        "title": f"{row.kind} in {row.metric} of {row.series} on {row.ds.isoformat()}",
    }


# ---------------------------------------------------------------------------- reads for pages

ACTIVE_COLUMNS = [
    "id", "severity", "kind", "direction", "metric", "level", "platform", "account_id",
    "campaign_id", "series", "ds", "y", "expected", "score", "first_seen_at",
]  # fmt: skip


def active(min_severity: str = "info", limit: int = 500) -> pd.DataFrame:
    """Active anomalies, the most severe and newest first."""
    from adops.store import session

    if min_severity not in SEVERITIES:
        raise ValueError(f"min_severity must be one of {', '.join(SEVERITIES)}")
    wanted = SEVERITIES[SEVERITIES.index(min_severity) :]
    with session() as s:
        rows = list(
            s.scalars(
                select(AnomalyRecord)
                .where(AnomalyRecord.status == "active", AnomalyRecord.severity.in_(wanted))
                .order_by(AnomalyRecord.ds.desc(), AnomalyRecord.id.desc())
                .limit(limit)
            )
        )
    frame = pd.DataFrame([{c: getattr(r, c) for c in ACTIVE_COLUMNS} for r in rows], columns=ACTIVE_COLUMNS)
    if not frame.empty:
        rank = frame["severity"].map({s: -i for i, s in enumerate(SEVERITIES)})
        frame = frame.assign(_rank=rank).sort_values(["_rank", "ds"], ascending=[True, False], kind="stable")
        frame = frame.drop(columns="_rank").reset_index(drop=True)
    return frame


def series_around(row: pd.Series | dict[str, Any], days: int = 42) -> pd.DataFrame:
    """The anomaly's series (date, value) over the `days` before its day and up to a week after."""
    from adops.analytics.anomalies import metric_values

    ds = pd.Timestamp(row["ds"]).date()
    frame = read_daily(ds - timedelta(days=days), ds + timedelta(days=7))
    for col in ("platform", "account_id", "campaign_id"):
        value = row.get(col) if isinstance(row, dict) else row[col]
        if value is not None and not (isinstance(value, float) and pd.isna(value)):
            frame = frame[frame[col] == value]
    sums = frame.groupby("date", sort=True)[list(SUMS)].sum()
    metric = str(row["metric"])
    return pd.DataFrame({"date": sums.index, "value": metric_values(sums, metric)})
