"""`adops forecast`: forecast every series of a CSV and print JSON (see INTERFACES.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adops.cli_common import AsJson, emit_json, fail, input_csv, new_app, progress_bar

app = new_app("Forecast daily series from a CSV.")


@app.command("forecast")
def forecast(
    input: Annotated[Path, typer.Option("--input", help="CSV with columns ds, y and optionally series.")],
    horizon: Annotated[
        int, typer.Option(min=1, max=3660, help="Days to forecast after each series' last ds.")
    ],
    interval: Annotated[float, typer.Option(help="Width of the prediction interval, in (0, 1).")] = 0.8,
    as_json: AsJson = False,
    country: Annotated[str | None, typer.Option(help="Add this country's holidays (e.g. US, DE).")] = None,
    method: Annotated[
        str, typer.Option(help="auto (by backtest), prophet, prophet+ets, ets, reverting or snaive.")
    ] = "auto",
    workers: Annotated[
        int | None, typer.Option(min=1, max=256, help="Parallel processes (default: one per core).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Refit even when a cached model matches.")
    ] = False,
) -> None:
    """Forecast daily series: Prophet (ETS / seasonal naive for short series), with backtest accuracy."""
    from adops.forecast.core import NEEDS_PARTS, forecast_many
    from adops.forecast.inputs import read_series_csv
    from adops.forecast.options import METHODS, ForecastConfig

    if not 0 < interval < 1:
        fail(f"--interval must be strictly between 0 and 1 (got {interval})")
    methods = [m for m in METHODS if m not in NEEDS_PARTS]  # a file of series has no parts
    if method not in methods:
        fail(f"--method must be one of {', '.join(methods)} (got {method})")
    if country is not None and not _known_country(country):
        fail(f"--country: no holiday calendar for '{country}' (use an ISO code such as US, GB, DE)")
    frames = read_series_csv(input_csv(input))  # its InputError names the row or column
    config = ForecastConfig(
        horizon=horizon,
        interval_width=interval,
        method=method,  # type: ignore[arg-type]
        country=country,
    )
    if as_json:
        results = forecast_many(frames, config, workers=workers, cache=not no_cache)
    else:
        with progress_bar("Forecasting") as update:
            results = forecast_many(
                frames,
                config,
                workers=workers,
                progress=lambda done, total, key: update(done, total, f"Forecasting {key or ''}".strip()),
                cache=not no_cache,
            )
    if as_json:
        emit_json(
            {
                "interval_width": interval,
                "forecast": [row for r in results for row in r.records()],
                "models": [r.summary() for r in results],
            }
        )
        return
    for r in results:
        acc, base = r.accuracy, r.baseline
        label = r.series if r.series is not None else "(series)"
        scores = (
            f"backtest MASE {acc.mase:.2f} (seasonal naive {base.mase:.2f})"
            if acc and base
            else "no backtest"
        )
        typer.echo(f"{label}: {r.method}, {scores}")
        typer.echo(r.forecast.to_string(index=False))


def _known_country(code: str) -> bool:
    import holidays

    try:
        holidays.country_holidays(code)
    except (NotImplementedError, KeyError, AttributeError):
        return False
    return True
