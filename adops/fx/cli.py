"""`adops fx`: which exchange rates the workspace converts with, and an optional refresh from the ECB."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from adops.cli_common import AsJson, emit_json, new_app

app = new_app("Exchange rates: the ECB history in use, and a refresh from the ECB.")

#: rates older than this (days behind today) get a hint to refresh
STALE_AFTER_DAYS = 7


@app.command("status")
def status(as_json: AsJson = False) -> None:
    """Show the ECB history in use (shipped or refreshed), its last day, and the reporting currency."""
    info = describe()
    if as_json:
        emit_json(info)
        return
    typer.echo(
        f"reporting currency {info['reporting_currency']}; ECB rates to {info['last_day']} "
        f"({info['origin']}, {info['currencies']} currencies)"
    )
    if info["hint"]:
        typer.echo(info["hint"])


@app.command("refresh")
def refresh(
    url: Annotated[
        str | None, typer.Option(help="Where to download the ECB history zip (default: the ECB's own URL).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Download the ECB's current history into the workspace; the next sync converts with it.

    Needs a network. The download is checked before it is used, and an older file than the one in
    use is refused. Rows converted with a carried-forward rate are converted again at the next sync.
    """
    from adops.fx import ecb

    got = ecb.refresh(url or ecb.ECB_URL)
    info = describe()
    if as_json:
        emit_json(info)
    else:
        typer.echo(f"ECB rates to {got.last_day} saved in {got.path}; the next sync converts with them")


def describe() -> dict[str, Any]:
    """What `adops fx status` prints: the file in use and whether it is getting old."""
    from adops import clock, config
    from adops.fx.ecb import EcbRates, files

    rates = EcbRates.current()
    behind = (clock.today() - rates.last_day).days
    hint = None
    if behind > STALE_AFTER_DAYS:
        hint = (
            f"the ECB rates end {behind} days ago; days after {rates.last_day} use that day's rates "
            "(run `adops fx refresh` where there is a network)"
        )
    return {
        "reporting_currency": config.load().reporting_currency,
        "source": rates.name,
        "origin": rates.file.origin,
        "path": str(rates.file.path),
        "last_day": rates.last_day.isoformat(),
        "days_behind": behind,
        "currencies": len(rates.currencies),
        "files": [
            {"origin": f.origin, "path": str(f.path), "last_day": f.last_day.isoformat()} for f in files()
        ],
        "hint": hint,
    }
