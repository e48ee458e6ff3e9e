"""`adops anomalies`: spikes, drops and outages in the daily series of a CSV, as JSON (INTERFACES.md).

Outside `adops.analytics`, whose package imports pandas: `adops --help` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adops.cli_common import AsJson, emit_json, fail, input_csv, new_app

app = new_app("Find anomalies in daily series from a CSV.")


@app.command("anomalies")
def anomalies(
    input: Annotated[Path, typer.Option("--input", help="CSV with columns ds, y and optionally series.")],
    as_json: AsJson = False,
    z: Annotated[float, typer.Option(help="Robust z-score of the STL residual a day must reach.")] = 4.0,
    ratio: Annotated[
        float, typer.Option(help="Factor against the same-weekday baseline (spike >=, drop <= 1/x).")
    ] = 2.2,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks of the same-weekday baseline.")] = 4,
    min_volume: Annotated[
        float, typer.Option(help="Usual daily volume above which a zero day is an outage.")
    ] = 15.0,
) -> None:
    """Spikes, drops and outages per series: robust weekly STL, same-weekday baseline, zero days."""
    from adops.analytics.anomalies import Thresholds, detect_series
    from adops.analytics.anomaly_input import read_anomaly_csv

    try:
        thresholds = Thresholds(z=z, ratio=ratio, weeks=weeks, min_volume=min_volume)
    except ValueError as exc:
        fail(f"{exc} (--z > 0, --ratio > 1, --min-volume > 0)")
    frame = read_anomaly_csv(input_csv(input))
    found = detect_series(frame, thresholds)
    if as_json:
        emit_json({"anomalies": [a.interface() for a in found]})
        return
    if not found:
        typer.echo(f"no anomalies in {frame['series'].nunique(dropna=False)} series, {len(frame):,} days")
        return
    for a in found:
        typer.echo(
            f"{a.series or '(series)'}  {a.ds}  {a.kind:<6} {a.severity:<8} y={a.y:,.2f} "
            f"expected={a.expected:,.2f} z={a.score:+.1f}"
        )
