"""Instant pages: a result computed on earlier data is shown at once, marked as refreshing, while the
current data's result is computed (after a sync, by the sidecar)."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from adops.forecast import ForecastConfig, ForecastScope, forecast_many
from adops.forecast import jobs as forecast_jobs

PAGES = Path(__file__).resolve().parents[2] / "pages"


def _results() -> list:
    ds = pd.date_range("2026-06-01", "2026-11-23")
    y = 1000 + 100 * np.sin(2 * np.pi * np.arange(len(ds)) / 7)
    return forecast_many({"meta": pd.DataFrame({"ds": ds, "y": y})}, ForecastConfig(horizon=45), cache=False)


def test_latest_survives_a_new_snapshot_while_cached_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from adops import warehouse

    snapshot = SimpleNamespace(id="snap-1")
    monkeypatch.setattr(warehouse, "snapshot", lambda: snapshot)
    monkeypatch.setattr(forecast_jobs, "default_cache_dir", lambda: tmp_path)
    ds = pd.date_range("2026-10-01", "2026-11-23")
    frame = pd.DataFrame({"ds": ds, "y": np.arange(len(ds), dtype=float)})
    monkeypatch.setattr(forecast_jobs, "daily_series", lambda *a, **k: {"meta": frame})
    monkeypatch.setattr(forecast_jobs, "daily_parts", lambda *a, **k: {})
    monkeypatch.setattr(forecast_jobs, "forecast_many", lambda frames, *a, **k: [f"fc of {sorted(frames)}"])
    scope = ForecastScope()
    assert forecast_jobs.latest(scope) is None  # never forecast
    forecast_jobs.run(scope)
    assert forecast_jobs.cached(scope) == forecast_jobs.latest(scope) == ["fc of ['meta']"]
    snapshot.id = "snap-2"  # a sync landed
    assert forecast_jobs.cached(scope) is None
    assert forecast_jobs.latest(scope) == ["fc of ['meta']"]  # still shown meanwhile
    assert forecast_jobs.latest(ForecastScope(metric="clicks")) is None  # another scope is not mixed in
    (tmp_path / "scopes" / f"latest-{scope.key('latest')}.json").write_text("{not json")
    assert forecast_jobs.latest(scope) is None  # a damaged pointer is no result, not a crash


@pytest.mark.slow
def test_forecast_page_shows_the_previous_forecast_at_once_marked_as_refreshing(
    demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    from adops import jobs, store

    store.reset()
    results = _results()
    monkeypatch.setattr(forecast_jobs, "cached", lambda scope: None)
    monkeypatch.setattr(forecast_jobs, "latest", lambda scope: results)
    earlier = {j.id for j in jobs.recent(100, kind="forecast.run")}  # the demo home is shared
    at = AppTest.from_file(str(PAGES / "forecast.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    notes = [n.value for n in [*at.info, *at.warning]]  # a warning when an earlier refresh failed
    assert any("Showing the result of the previous data" in n for n in notes)
    assert len(at.get("plotly_chart")) >= 1  # the chart is there at once
    assert {j.id for j in jobs.recent(100, kind="forecast.run")} == earlier  # drawing queues nothing
    at.button(key="fc-run").click().run()
    job = jobs.recent(1, kind="forecast.run")[0]
    assert job.status == "queued" and job.params == ForecastScope().to_params()
    assert any("Forecasting" in p.text for p in at.get("progress"))  # followed, chart still shown
    assert len(at.get("plotly_chart")) >= 1
    jobs.cancel(job.id)  # the demo home (and its job queue) is shared with the other page tests


@pytest.mark.slow
def test_budget_page_shows_the_previous_fits_at_once_marked_as_refreshing(
    demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")
    from adops import jobs, store
    from adops.optimize import fits

    store.reset()
    # this test's own cache files: the demo home is shared with the other page tests
    monkeypatch.setattr(fits, "_path", lambda key: tmp_path / "optimize" / f"{key}.pkl")
    monkeypatch.setattr(
        fits, "_pointer", lambda scope: tmp_path / "optimize" / f"latest-{scope.key('latest')}.json"
    )
    scope = fits.FitScope(platforms=("pinterest",))
    fits.fit(scope)
    monkeypatch.setattr(fits, "cached", lambda scope: None)  # a sync landed since
    at = AppTest.from_file(str(PAGES / "budget.py"), default_timeout=120).run()
    at.multiselect(key="budget-platforms").set_value(["pinterest"]).run()
    assert not at.exception, at.exception
    assert any("Showing the result of the previous data" in i.value for i in at.info)
    assert [m.label for m in at.metric][:2] == ["Daily budget (USD)", "Expected conversions/day"]
    assert not [j for j in jobs.recent(5, kind="optimize.fit") if j.params == scope.to_params()]
    at.button(key="budget-fit").click().run()
    job = jobs.recent(1, kind="optimize.fit")[0]
    assert job.params == scope.to_params()
    assert any("Fitting" in p.text for p in at.get("progress")) and at.metric  # the fits stay shown
    jobs.cancel(job.id)  # the demo home (and its job queue) is shared with the other page tests


def test_make_run_warms_the_default_forecast_too(workspace: Path) -> None:
    from adops import jobs, launcher

    launcher.warm_up()  # after `make run` built the demo (outside a sync job)
    queued = jobs.recent(10, kind="forecast.run")
    assert [j.params for j in queued] == [ForecastScope().to_params()] and queued[0].status == "queued"
