"""Series straight from the demo warehouse: the page's and the notebooks' path into forecasting."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from adops import warehouse
from adops.errors import InputError
from adops.forecast import ForecastConfig, daily_parts, daily_series, forecast_many


@pytest.mark.slow
def test_daily_series_from_the_warehouse_forecast(demo: Path) -> None:
    frames = daily_series("spend", level="platform")
    assert sorted(k for k in frames if k) == sorted(
        ["google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads"]
    )
    total = warehouse.query("SELECT sum(coalesce(spend_reporting, spend)) AS s FROM campaign_daily")["s"][0]
    assert sum(f["y"].sum() for f in frames.values()) == pytest.approx(total)
    for frame in frames.values():
        assert frame["ds"].diff().dropna().dt.days.eq(1).all()  # a regular daily grid, no gaps

    accounts = daily_series("conversions", level="account", platforms=["meta"])
    assert accounts and all(k is not None and k.startswith("meta:") for k in accounts)
    assert list(daily_series("clicks", level="total")) == [None]
    with pytest.raises(InputError, match="unknown metric"):
        daily_series("ctr")

    # each account's parts are its campaigns: they add up to the account, with their spend beside
    parts = daily_parts("conversions", level="account", platforms=["meta"])
    assert set(parts) == set(accounts)
    for key, frame in accounts.items():
        summed = parts[key].groupby("ds")["y"].sum()
        assert summed.reindex(frame["ds"], fill_value=0.0).to_numpy() == pytest.approx(frame["y"].to_numpy())
        assert parts[key]["part"].str.startswith(f"{key}:").all() and (parts[key]["spend"] >= 0).all()
    spend_parts = daily_parts("spend", level="platform", platforms=["meta"])["meta"]
    assert (spend_parts["spend"] == spend_parts["y"]).all()
    assert daily_parts("spend", level="campaign") == {}

    [meta] = forecast_many({"meta": frames["meta"]}, ForecastConfig(horizon=7, country="US"))
    assert len(meta.forecast) == 7 and meta.accuracy is not None
    assert meta.forecast["ds"].iloc[0] == frames["meta"]["ds"].iloc[-1] + pd.Timedelta(days=1)


@pytest.mark.slow
def test_scope_runs_once_then_reads_from_the_cache(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adops.forecast import ForecastScope, jobs

    monkeypatch.setattr(jobs, "default_cache_dir", lambda: tmp_path / "cache")  # the demo home is shared
    scope = ForecastScope(metric="conversions", level="platform", platforms=("meta", "tiktok"), horizon=10)
    assert ForecastScope.from_params(scope.to_params()) == scope
    assert jobs.cached(scope) is None
    seen: list[int] = []
    results = jobs.run(scope, progress=lambda done, total: seen.append(done))
    assert [r.series for r in results] == ["meta", "tiktok"] and sorted(seen) == [1, 2]
    last_day = warehouse.query("SELECT max(date) AS d FROM campaign_daily")["d"][0]
    assert results[0].history["ds"].iloc[-1] == pd.Timestamp(last_day) - pd.Timedelta(
        days=1
    )  # today left out
    again = jobs.cached(scope)
    assert again is not None and [r.method for r in again] == [r.method for r in results]
