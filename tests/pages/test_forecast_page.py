"""The Forecast page run headless with AppTest: empty state, the Forecast button and its job, then chart,
accuracy, pacing."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from adops import jobs
from adops.forecast import ForecastConfig, ForecastScope, forecast_many
from adops.forecast import jobs as forecast_jobs
from tests.jobs.support import run_next

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "forecast.py")


def test_empty_workspace_shows_a_helpful_empty_state() -> None:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Forecast"
    assert any("warehouse is empty" in i.value for i in at.info)


@pytest.mark.slow
def test_forecast_button_queues_then_page_shows_forecast_accuracy_pacing(
    demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'store.sqlite'}")  # the demo is shared
    from adops import store

    store.reset()
    earlier = {j.id for j in jobs.recent(100, kind="forecast.run")}  # the demo home is shared
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    assert {j.id for j in jobs.recent(100, kind="forecast.run")} == earlier  # drawing queues nothing
    assert any("No forecast of these settings" in i.value for i in at.info)
    at.button(key="fc-run").click().run()
    job = jobs.recent(1, kind="forecast.run")[0]
    assert (
        job.id not in earlier
        and job.status == "queued"
        and ForecastScope.from_params(dict(job.params)).metric == "spend"
    )
    assert any("Forecasting in the background" in p.text for p in at.get("progress"))
    assert any("sidecar is not answering" in w.value for w in at.warning)

    def dies(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(forecast_jobs, "run", dies)
    assert run_next() == job.id and jobs.get(job.id).status == "failed"  # type: ignore[union-attr]
    at.run()  # a failed job is shown with its reason, not re-queued every refresh
    assert any("Forecasting in the background failed: the worker died" in e.value for e in at.error)
    assert jobs.recent(1, kind="forecast.run")[0].id == job.id
    assert at.button(key="fc-run").label == "Try again"

    ds = pd.date_range("2026-06-01", "2026-11-23")
    y = 1000 + 100 * np.sin(2 * np.pi * np.arange(len(ds)) / 7)
    results = forecast_many(
        {"meta": pd.DataFrame({"ds": ds, "y": y})}, ForecastConfig(horizon=45), cache=False
    )
    monkeypatch.setattr(forecast_jobs, "cached", lambda scope: results)
    at.run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 1
    assert [m.label for m in at.metric][:3] == ["MASE", "sMAPE", "Coverage"]
    assert any(m.label.startswith("Month to 11-30") for m in at.metric)
    assert at.selectbox(key="fc-series").format_func("meta") == "Meta"  # a name, not an id
    chart = at.get("plotly_chart")[0].proto.spec
    assert "Spend" in chart and "Meta, actual and forecast" in chart  # the chart's accessible name
    assert any(c.value.startswith("Over the next 45 days") for c in at.caption)  # its text summary
    # month and quarter each against their own budget: one number is not both
    at.number_input(key="fc-budget-month").set_value(20000.0).run()
    assert [m.label for m in at.metric].count("Chance over budget") == 1
    at.number_input(key="fc-budget-quarter").set_value(90000.0).run()
    over = [m for m in at.metric if m.label == "Chance over budget"]
    assert len(over) == 2 and over[0].delta != over[1].delta
    assert [b.label for b in at.get("download_button")] == ["Download forecasts (CSV)"]

    # projections: ROAS pairs spend with the conversion value forecast (here the same series again)
    roas = [m for m in at.metric if m.label.startswith("ROAS this")]
    assert [m.label for m in roas] == ["ROAS this month", "ROAS this quarter"] and roas[0].value == "1.00×"
    # a different budget needs the response curves: queued for the sidecar, then shown
    fits = {j.id for j in jobs.recent(100, kind="optimize.fit")}
    at.selectbox(key="fc-metric").set_value("conversions").run()
    assert not at.exception, at.exception
    assert {j.id for j in jobs.recent(100, kind="optimize.fit")} == fits
    at.button(key="fc-fit").click().run()
    assert any("Fitting the response curves" in p.text for p in at.get("progress"))
    fit = jobs.recent(1, kind="optimize.fit")[0]
    assert fit.params["level"] == "platform" and fit.params["objective"] == "conversions"
    while run_next() is not None:
        pass
    at.run()
    assert not at.exception, at.exception
    [outcome] = [m for m in at.metric if m.label.startswith("conversions over the next 45 days")]
    assert outcome.delta.startswith("+")  # 20% more spend buys more conversions
    at.slider(key="fc-spend-change").set_value(-30).run()
    [outcome] = [m for m in at.metric if m.label.startswith("conversions over the next 45 days")]
    assert outcome.delta.startswith("-")
