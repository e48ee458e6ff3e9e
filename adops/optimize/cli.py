"""`adops optimize`: recommend the split of a daily budget from a daily history CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from adops.cli_common import AsJson, emit_json, fail, input_csv, new_app


class Objective(StrEnum):
    conversions = "conversions"
    revenue = "revenue"


_MIN_HELP = "Daily spend floor of a channel: V, or Vx for V times its current spend. Repeatable."
_MAX_HELP = "Daily spend cap of a channel: V, or Vx for V times its current spend. Repeatable."
_LOCK_HELP = "Keep this channel at its current spend. Repeatable."
_CPA_HELP = "Treat the budget as a cap: spend only while the average CPA stays at or below this."
_ROAS_HELP = "Treat the budget as a cap: spend only while the ROAS stays at or above this."


app = new_app("Split a daily budget across channels.")


@app.command("optimize")
def optimize(
    input: Annotated[
        Path, typer.Option("--input", help="CSV: date, channel, spend, conversions[, revenue].")
    ],
    budget: Annotated[float, typer.Option("--budget", help="Total daily budget to split.")],
    objective: Annotated[Objective, typer.Option(help="What to maximise.")] = Objective.conversions,
    minimum: Annotated[list[str] | None, typer.Option("--min", metavar="CH=V", help=_MIN_HELP)] = None,
    maximum: Annotated[list[str] | None, typer.Option("--max", metavar="CH=V", help=_MAX_HELP)] = None,
    lock: Annotated[list[str] | None, typer.Option("--lock", metavar="CH", help=_LOCK_HELP)] = None,
    target_cpa: Annotated[float | None, typer.Option("--target-cpa", help=_CPA_HELP)] = None,
    target_roas: Annotated[float | None, typer.Option("--target-roas", help=_ROAS_HELP)] = None,
    bootstrap: Annotated[
        int,
        typer.Option(
            min=0,
            max=10_000,
            help="Posterior draws per curve, for the mean curve and the intervals (0: point fits).",
        ),
    ] = 100,
    interval: Annotated[float, typer.Option(help="Width of the reported intervals.")] = 0.9,
    seed: Annotated[int, typer.Option(help="Seed of the posterior draws.")] = 0,
    as_json: AsJson = False,
) -> None:
    """Recommend how to split a daily budget across channels to maximise conversions or revenue."""
    from adops.optimize.history import load_history, read_csv
    from adops.optimize.recommend import check_request, fit_channels, plan

    # bad input raises adops.errors.InputError (the CSV's row or column, the option): exit 2, one line
    histories = load_history(read_csv(input_csv(input)), objective.value)
    current = {h.channel: h.current_spend for h in histories}
    minimums = _parse_bounds(minimum or [], "--min", current)
    maximums = _parse_bounds(maximum or [], "--max", current)
    # everything that can be wrong with the request is reported before the (slower) curve fits
    constraints: dict[str, Any] = {
        "objective": objective.value,
        "minimums": minimums,
        "maximums": maximums,
        "locked": lock or [],
        "target_cpa": target_cpa,
        "target_roas": target_roas,
        "interval": interval,
    }
    check_request(list(current), list(current.values()), budget, **constraints)
    fits = fit_channels(histories, n_boot=bootstrap, seed=seed)
    result = plan(fits, budget, seed=seed, **constraints)
    if as_json:
        emit_json(result.to_dict())
        return
    kind = "marginal ROAS" if result.objective == "revenue" else "marginal CPA"
    typer.echo(f"{'channel':<24} {'current':>12} {'recommended':>12} {'expected':>10} {kind:>14}")
    for c in result.channels:
        m = c.marginal(result.objective)
        typer.echo(
            f"{c.channel[:24]:<24} {c.current_spend:>12,.2f} {c.spend:>12,.2f} {c.expected:>10,.2f} "
            f"{'-' if m is None else f'{m:,.2f}':>14}{'  (locked)' if c.locked else ''}"
        )
    typer.echo(
        f"expected {result.objective}/day: {result.expected_total:,.2f} vs {result.current_expected_total:,.2f} "
        f"now ({result.uplift:+,.2f}; {result.interval:.0%} interval {result.uplift_low:+,.2f} to "
        f"{result.uplift_high:+,.2f})"
    )
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


def _parse_bounds(values: list[str], option: str, current: dict[str, float]) -> dict[str, float]:
    """CH=V pairs: V a daily spend, or Vx a multiple of the channel's current spend."""
    out: dict[str, float] = {}
    for text in values:
        channel, sep, raw = text.rpartition("=")
        channel, raw = channel.strip(), raw.strip()
        if not sep or not channel or not raw:
            fail(f"{option}: '{text}' is not CH=V (a channel, '=', a daily spend)")
        relative = raw.lower().endswith("x")
        try:
            value = float(raw[:-1] if relative else raw)
        except ValueError:
            fail(f"{option}: '{text}': '{raw}' is not a number (or a multiple like 1.5x)")
        if channel not in current:
            fail(f"{option}: unknown channel '{channel}' (channels: {', '.join(current)})")
        if not value >= 0 or value == float("inf"):
            fail(f"{option}: '{text}': the spend must be a number >= 0")
        out[channel] = value * current[channel] if relative else value
    return out
