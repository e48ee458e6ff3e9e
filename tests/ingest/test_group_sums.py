"""The campaign rows' numpy group-by gives Arrow's hash group-by's groups and sums, in order of
first appearance (rows that come sorted by date stay sorted by date, as the writer wants them)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest

from adops.ingest.sync import _group_sums

KEYS = ["date", "platform", "account_id", "campaign_id", "currency"]
METRICS = ["impressions", "clicks", "spend", "conversions", "conversion_value"]


def _rows(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "date": pa.array([date(2026, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 40, n)]),
            "platform": pa.array(rng.choice(["meta", "tiktok"], n)),
            "account_id": pa.array(rng.choice(["a1", "a2", "a3"], n)),
            "campaign_id": pa.array(rng.choice([f"c{i}" for i in range(30)], n)),
            "currency": pa.array(rng.choice(["EUR", "USD"], n)),
            "impressions": pa.array(rng.integers(0, 10**9, n)),
            "clicks": pa.array(rng.integers(0, 10**6, n)),
            "spend": pa.array(np.round(rng.gamma(2, 40, n), 2)),
            "conversions": pa.array(np.round(rng.gamma(1, 2, n), 2)),
            "conversion_value": pa.array(np.round(rng.gamma(2, 90, n), 2)),
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_groups_order_and_sums_as_arrow(seed: int) -> None:
    rows = _rows(5000, seed)
    order = [(k, "ascending") for k in KEYS]
    mine = _group_sums(rows, KEYS, METRICS).sort_by(order)
    arrow = rows.group_by(KEYS, use_threads=False).aggregate([(m, "sum") for m in METRICS]).sort_by(order)
    assert mine.select(KEYS).equals(arrow.select(KEYS))
    for m in ("impressions", "clicks"):
        assert mine[f"{m}_sum"].type == pa.int64() and mine[f"{m}_sum"].equals(arrow[f"{m}_sum"])
    for m in ("spend", "conversions", "conversion_value"):  # cents: equal once rounded to cents
        assert np.array_equal(
            np.round(mine[f"{m}_sum"].to_numpy(), 2), np.round(arrow[f"{m}_sum"].to_numpy(), 2)
        )


def test_groups_come_in_order_of_first_appearance() -> None:
    rows = _rows(5000, 4).sort_by([("date", "ascending")])
    days = _group_sums(rows, KEYS, METRICS)["date"].cast(pa.int32()).to_numpy()
    assert bool(np.all(days[1:] >= days[:-1]))
    first = _group_sums(rows.slice(0, 1), KEYS, METRICS)
    assert first.select(KEYS).to_pylist() == rows.slice(0, 1).select(KEYS).to_pylist()


def test_no_rows_give_no_groups() -> None:
    rows = _rows(10, 1).slice(0, 0)
    assert _group_sums(rows, KEYS, METRICS).num_rows == 0
