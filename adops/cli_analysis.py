"""`adops trends` and `adops fatigue`: the analysis page's tests on a CSV, printed as JSON or a table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from adops.cli_common import AsJson, emit_json, fail, input_csv, new_app, parse_date

app = new_app("Trend and creative-fatigue tests on a CSV.")


@app.command("trends")
def trends_command(
    input: Annotated[Path, typer.Option("--input", help="CSV with columns ds, y and optionally series.")],
    alpha: Annotated[float, typer.Option(help="False discovery rate, in (0, 1).")] = 0.05,
    as_json: AsJson = False,
) -> None:
    """Mann-Kendall and Sen's slope per series, Benjamini-Hochberg corrected: which series really moved."""
    from adops.analytics import inputs, trends

    if not 0 < alpha < 1:
        fail(f"--alpha must be strictly between 0 and 1 (got {alpha})")
    found = trends.detect(inputs.read_series(input_csv(input)), alpha)
    rows = [
        {
            "series": row["series"] or None,
            "n": int(row["n"]),
            "slope": _number(row["slope"]),
            "slope_pct": _number(row["slope_pct"]),
            "tau": _number(row["tau"]),
            "s": _number(row["s"]),
            "p_value": _number(row["p_value"]),
            "q_value": _number(row["q_value"]),
            "direction": row["direction"] if isinstance(row["direction"], str) else None,
            "verdict": row["verdict"],
        }
        for row in found.to_dict("records")
    ]
    if as_json:
        emit_json({"alpha": alpha, "trends": rows})
        return
    for r in rows:
        slope = "" if r["slope"] is None else f"slope {r['slope']:+.4g}/period, q {r['q_value']:.4f}"
        typer.echo(f"{r['series'] or '(series)'}: {r['verdict']} {r['direction'] or ''} {slope}".rstrip())


@app.command("fatigue")
def fatigue_command(
    input: Annotated[
        Path,
        typer.Option(
            "--input",
            help="CSV with columns date, ad_id, impressions, clicks and optionally platform, account_id, reach.",
        ),
    ],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge as of this day (default: the last date).")
    ] = None,
    window_days: Annotated[
        int | None, typer.Option(min=1, max=90, help="Days in each window compared.")
    ] = None,
    min_drop: Annotated[float | None, typer.Option(help="CTR drop that counts, e.g. 0.2 for 20%.")] = None,
    min_impressions: Annotated[int | None, typer.Option(min=0, help="Impressions each window needs.")] = None,
    min_days: Annotated[int | None, typer.Option(min=1, max=3650, help="Days of data an ad needs.")] = None,
    as_json: AsJson = False,
) -> None:
    """Creative fatigue: ads whose CTR over the last days is well below their own first days'.

    Thresholds default to adops.toml's [analysis.fatigue]; the options override them. With a `reach`
    column, each window's average daily frequency too; the JSON adds CTR and frequency by ad age."""
    from dataclasses import replace

    from adops.analytics import fatigue, inputs

    days = inputs.read_ad_days(input_csv(input))
    end = parse_date(as_of, "--as-of") or max(days["date"])
    base = fatigue.Thresholds.configured()
    rule = replace(  # InputError names a bad threshold
        base,
        window_days=base.window_days if window_days is None else window_days,
        min_drop=base.min_drop if min_drop is None else min_drop,
        min_impressions=base.min_impressions if min_impressions is None else min_impressions,
        min_days=base.min_days if min_days is None else min_days,
    )
    judged = fatigue.judge(days, end, rule)
    ads = [
        {
            "platform": r["platform"] or None,
            "account_id": r["account_id"] or None,
            "ad_id": r["ad_id"],
            "first_day": str(r["first_day"]),
            "days": int(r["days"]),
            "first_impressions": int(r["first_impressions"]),
            "first_clicks": int(r["first_clicks"]),
            "first_ctr": _number(r["first_ctr"]),
            "last_impressions": int(r["last_impressions"]),
            "last_clicks": int(r["last_clicks"]),
            "last_ctr": _number(r["last_ctr"]),
            "ctr_change": _number(r["ctr_change"]),
            "first_frequency": _number(r["first_frequency"]),
            "last_frequency": _number(r["last_frequency"]),
            "frequency_change": _number(r["frequency_change"]),
            "status": r["status"],
        }
        for r in judged.to_dict("records")
    ]
    ages = [
        {
            "platform": r["platform"] or None,
            "age_days": int(r["age_days"]),
            "ads": int(r["ads"]),
            "ad_days": int(r["ad_days"]),
            "impressions": int(r["impressions"]),
            "clicks": int(r["clicks"]),
            "ctr": _number(r["ctr"]),
            "frequency": _number(r["frequency"]),
        }
        for r in fatigue.by_age(days, end, rule.window_days).to_dict("records")
    ]
    if as_json:
        emit_json({"as_of": str(end), "thresholds": vars(rule), "ads": ads, "by_age": ages})
        return
    for a in ads:
        change = "" if a["ctr_change"] is None else f" CTR {a['ctr_change']:+.1%}"
        typer.echo(f"{a['ad_id']}: {a['status']}{change}")


def _number(value: Any) -> float | None:
    """A float for JSON; None for NaN (JSON has no NaN)."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
