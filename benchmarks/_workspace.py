"""Helpers for benchmarks: a throwaway workspace and synthetic warehouse tables of any size."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np
import pyarrow as pa

from adops import store
from adops.config import PLATFORMS
from adops.warehouse.tables import TABLES


@contextmanager
def workspace(today: str = "2026-11-24") -> Iterator[str]:
    """A temporary ADOPS_HOME with a frozen clock, removed afterwards."""
    old = {k: os.environ.get(k) for k in ("ADOPS_HOME", "ADOPS_TODAY")}
    with tempfile.TemporaryDirectory(prefix="adops-bench-") as home:
        os.environ.update(ADOPS_HOME=home, ADOPS_TODAY=today)
        store.reset()
        try:
            yield home
        finally:
            store.reset()
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def synthetic_daily(
    table: str, rows: int, days: int = 730, end: date = date(2026, 11, 24), seed: int = 1
) -> pa.Table:
    """`rows` rows of campaign_daily or ad_daily: entities × days, six platforms, 14 accounts."""
    rng = np.random.default_rng(seed)
    entities = max(1, rows // days)
    n = entities * days
    entity = np.repeat(np.arange(entities), days)
    day = np.tile(np.arange(days), entities)
    account = entity % 14
    dates = (np.datetime64(end) - (days - 1 - day)).astype("datetime64[D]")
    platforms = np.array(PLATFORMS)[account % 6]
    ids = np.char.add("e", entity.astype(str))
    spend = np.round(rng.gamma(2.0, 50.0, n), 2)
    impressions = rng.poisson(spend * 100)
    clicks = rng.binomial(impressions, 0.01)
    conversions = np.round(rng.binomial(clicks, 0.05).astype(float), 2)
    value = np.round(conversions * 60, 2)
    cols = {
        "date": pa.array(dates),
        "platform": pa.array(platforms),
        "account_id": pa.array(np.char.add("acc", account.astype(str))),
        "campaign_id": pa.array(np.char.add("c", (entity // 6).astype(str)) if table == "ad_daily" else ids),
        "currency": pa.array(np.full(n, "USD")),
        "impressions": pa.array(impressions.astype(np.int64)),
        "clicks": pa.array(clicks.astype(np.int64)),
        "spend": pa.array(spend),
        "conversions": pa.array(conversions),
        "conversion_value": pa.array(value),
        "spend_reporting": pa.array(spend),
        "conversion_value_reporting": pa.array(value),
        "reporting_currency": pa.array(np.full(n, "USD")),
        "synced_at": pa.array(
            np.full(n, np.datetime64("2026-11-24T00:00:00", "us")), pa.timestamp("us", tz="UTC")
        ),
        "sync_run_id": pa.array(np.ones(n, dtype=np.int64)),
    }
    if table == "ad_daily":
        cols.update(
            ad_group_id=pa.array(np.char.add("g", (entity // 3).astype(str))),
            ad_id=pa.array(ids),
            ad_name=pa.array(np.char.add("Ad ", ids)),
        )
    else:
        cols["campaign_name"] = pa.array(np.char.add("Campaign ", ids))
    schema = TABLES[table].schema
    return pa.table(
        {name: cols.get(name, pa.nulls(n)).cast(schema.field(name).type) for name in schema.names},
        schema=schema,
    )  # columns added since (nullable, e.g. reach) are null


def timings(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))
