"""The anomaly rules: spikes, drops, outages, level shifts left alone, and the sandbox's truth recovered."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from adops.analytics.anomalies import Thresholds, detect, detect_series, scan
from adops.analytics.anomaly_truth import evaluate, world_daily

WEEKLY = np.array([1.0, 1.1, 1.05, 1.0, 0.9, 0.7, 0.75])


def series(
    days: int = 84, level: float = 200.0, noise: float = 0.05, seed: int = 1
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2026-08-01", periods=days, freq="D")
    y = level * WEEKLY[ds.dayofweek] * (1 + noise * rng.standard_normal(days))
    return ds, y


def test_a_one_day_spike_is_found_with_its_expected_value() -> None:
    ds, y = series()
    y[60] *= 3.5
    found = detect(ds, y)
    assert [v.index for v in found] == [60]
    spike = found[0]
    assert spike.kind == "spike" and spike.severity == "critical" and spike.score > 10
    assert spike.expected == pytest.approx(y[60] / 3.5, rel=0.15)


def test_a_drop_and_an_outage() -> None:
    ds, y = series(seed=2)
    y[50] *= 0.2
    y[65] = 0.0
    found = {v.index: v.kind for v in detect(ds, y)}
    assert found == {50: "drop", 65: "outage"}


def test_a_new_level_that_holds_is_not_an_anomaly() -> None:
    ds, y = series(seed=3)
    y[40:] *= 2.5  # a budget doubled and kept
    assert detect(ds, y) == []


def test_the_newest_days_are_reported_before_they_can_be_told_from_a_new_level() -> None:
    ds, y = series(seed=3)
    y[-1] *= 3.0
    assert [v.index for v in detect(ds, y)] == [len(y) - 1]


def test_zeros_on_a_series_without_volume_are_not_outages() -> None:
    rng = np.random.default_rng(4)
    ds = pd.date_range("2026-08-01", periods=84, freq="D")
    y = rng.poisson(3, size=84).astype(float)
    y[70] = 0
    assert [v for v in detect(ds, y) if v.kind == "outage"] == []


def test_short_series_and_bad_values() -> None:
    ds, y = series(days=20)
    assert detect(ds, y) == []
    assert detect([], []) == []
    with pytest.raises(ValueError, match="twice"):
        detect([date(2026, 1, 1), date(2026, 1, 1)], [1.0, 2.0])
    with pytest.raises(ValueError, match="negative"):
        detect([date(2026, 1, 1), date(2026, 1, 2)], [1.0, -2.0])
    with pytest.raises(ValueError, match="ratio"):
        Thresholds(ratio=1.0)


def test_missing_days_are_unknown_not_zero() -> None:
    ds, y = series(seed=5)
    keep = np.ones(len(y), dtype=bool)
    keep[[30, 31, 45]] = False
    assert detect(ds[keep], y[keep]) == []


def test_detect_series_names_each_series() -> None:
    ds, y = series(seed=6)
    y2 = y.copy()
    y2[70] *= 4
    frame = pd.concat(
        [
            pd.DataFrame({"series": "quiet", "ds": ds, "y": y}),
            pd.DataFrame({"series": "loud", "ds": ds, "y": y2}),
        ]
    )
    found = detect_series(frame)
    assert [(a.series, a.ds, a.direction, a.kind) for a in found] == [
        ("loud", ds[70].date().isoformat(), "spike", "spike")
    ]
    row = found[0].interface()
    assert set(row) >= {"series", "ds", "y", "expected", "score", "direction"}


def test_scan_works_per_platform_account_and_campaign_with_kpis_from_sums() -> None:
    ds, y = series(seed=7, level=1000)
    rows = []
    for campaign, scale in (("c1", 1.0), ("c2", 0.5)):
        spend = y * scale
        conv = spend / 20
        if campaign == "c1":
            conv = conv.copy()
            conv[60] = 0.0  # a tracking outage: spend goes on, conversions vanish
        rows.append(
            pd.DataFrame(
                {
                    "date": ds,
                    "platform": "meta",
                    "account_id": "a1",
                    "campaign_id": campaign,
                    "spend": spend,
                    "clicks": spend,
                    "conversions": conv,
                    "conversion_value": conv * 60,
                }
            )
        )
    found = scan(pd.concat(rows))
    outages = {(a.dims["level"], a.metric) for a in found if a.kind == "outage"}
    assert ("campaign", "conversions") in outages
    campaign_level = {(a.metric, a.kind) for a in found if a.dims.get("campaign_id") == "c1"}
    assert ("roas", "drop") in campaign_level or ("roas", "outage") in campaign_level
    assert all(a.ds == ds[60].date().isoformat() for a in found)
    assert scan(pd.DataFrame()) == []
    with pytest.raises(ValueError, match="unknown metric"):
        scan(pd.concat(rows), metrics=("ctr",))


@pytest.mark.slow
def test_the_sandbox_anomalies_are_recovered_with_f1_of_at_least_0_9() -> None:
    totals = None
    for seed in (7, 11):
        daily, truth = world_daily(seed, date(2026, 12, 7), days=104)
        scores = evaluate(daily, truth)
        totals = scores if totals is None else {k: totals[k] + scores[k] for k in scores}
    assert totals is not None
    for kind, score in totals.items():
        assert score.tp >= 5, (kind, score)  # enough truth to mean something
        assert score.f1 >= 0.9, (kind, score)
