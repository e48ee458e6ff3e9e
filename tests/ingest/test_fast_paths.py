"""The ingestion's fast paths give exactly what the slow ones gave: the day-by-day interleave of
date-sorted runs is a stable sort by date, the integer-code key check agrees with a group-by, and
the sandbox's binomial quantiles are scipy's."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from adops.connectors.sandbox.world import _binom_ppf
from adops.warehouse import delta
from adops.warehouse.tables import TABLES


def runs(seed: int, accounts: int) -> pa.Table:
    """`accounts` runs of ad rows, each sorted by date (days with gaps), concatenated."""
    rng = np.random.default_rng(seed)
    parts = []
    for a in range(accounts):
        n = int(rng.integers(1, 400))
        days = np.sort(rng.integers(0, 60, n))
        parts.append(
            pa.table(
                {
                    "date": pa.array([date(2026, 1, 1) + timedelta(days=int(d)) for d in days], pa.date32()),
                    "account_id": pa.array([f"acc{a}"] * n),
                    "row": pa.array(np.arange(n) + 1000 * a),
                }
            )
        )
    return pa.concat_tables(parts)


@pytest.mark.parametrize("seed", range(5))
def test_interleaving_sorted_runs_is_a_stable_sort_by_date(seed: int) -> None:
    data = runs(seed, accounts=7)
    got = delta._sorted(TABLES["ad_daily"], data)
    assert got.num_rows == data.num_rows
    assert got.combine_chunks().equals(data.sort_by([("date", "ascending")]).combine_chunks())


def test_rows_not_in_sorted_runs_are_sorted() -> None:
    data = runs(1, accounts=3)
    shuffled = data.take(np.random.default_rng(0).permutation(data.num_rows))
    got = delta._sorted(TABLES["ad_daily"], shuffled).combine_chunks()
    days = got["date"].cast(pa.int32()).to_numpy()
    assert (np.diff(days) >= 0).all() and got.num_rows == data.num_rows


def test_key_check_finds_a_duplicate_the_group_by_names() -> None:
    data = runs(2, accounts=4).select(["date", "account_id"])
    unique = data.group_by(["date", "account_id"]).aggregate([]).select(["date", "account_id"])
    assert delta._keys_unique(unique, ["date", "account_id"])
    twice = pa.concat_tables([unique, unique.slice(5, 1)])
    assert not delta._keys_unique(twice, ["date", "account_id"])


def test_binomial_quantiles_are_scipys() -> None:
    rng = np.random.default_rng(4)
    n = np.round(rng.gamma(1.5, 80, 200_000)).astype(float)
    p = np.minimum(rng.beta(0.5, 20, n.size), 0.95)
    keep = n * p < 25
    u, n, p = rng.random(n.size)[keep], n[keep], p[keep]
    u[:3] = (0.0, 1.0, stats.binom.cdf(2, n[2], p[2]))  # the edges and a value on a cdf step
    assert np.array_equal(_binom_ppf(u, n, p), stats.binom.ppf(u, n, p))
