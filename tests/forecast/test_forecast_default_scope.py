"""The Forecast page's default scope beats seasonal naive on the sandbox, whose spend moves in
staggered ~4-week budget regimes: at 45 days ahead the forecasts were no better than naive (mean
MASE 1.59 against 1.65, 67% coverage of an 80% band on the test demo), at 28 they are clearly better, and the band shown covers close to its nominal 80% (held out)."""

from pathlib import Path

import numpy as np
import pytest

from adops.forecast import jobs as forecast_jobs


@pytest.mark.slow
def test_the_default_scope_forecasts_better_than_naive(
    demo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(forecast_jobs, "default_cache_dir", lambda: tmp_path)  # the demo is read-only
    scope = forecast_jobs.ForecastScope()
    assert scope.horizon == 28 and scope.level == "platform" and scope.metric == "spend"
    results = forecast_jobs.run(scope)
    assert len(results) == 6  # one series per sandbox platform
    accuracy = [r.accuracy for r in results if r.accuracy is not None]
    naive = [r.baseline for r in results if r.baseline is not None]
    assert len(accuracy) == len(naive) == 6
    model, baseline = np.mean([a.mase for a in accuracy]), np.mean([b.mase for b in naive])
    assert model < 0.8 * baseline  # measured 1.15 against 1.72
    # the band shown, its calibration held out (other platforms, other origins): 0.819 of a nominal 0.80
    # (the model's own band: 0.714, the figure the readout showed before)
    assert np.mean([a.coverage for a in accuracy]) >= 0.75
    assert all(a.raw_coverage is not None for a in accuracy)
    assert np.mean([a.coverage for a in accuracy]) > np.mean([a.raw_coverage or 0.0 for a in accuracy])
