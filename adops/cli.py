"""`adops`: the command line over the same functions the pages and the sidecar use.

The root app: the workspace commands live here; each analytics package defines its own Typer app
(`adops.experiments.cli`, `adops.forecast.cli`, `adops.optimize.cli`, `adops.optimize.plans_cli`)
and this module mounts them. Shared options, output and the error mapping are in `adops.cli_common`.
Bad input exits 2 with one line on stderr and no traceback; `--json` output is one document.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from adops.cli_analysis import app as analysis_app
from adops.cli_anomalies import app as anomalies_app
from adops.cli_common import (
    AsJson,
    Platforms,
    account_progress,
    emit_json,
    new_app,
    parse_date,
    progress_bar,
    report,
    usage_line,
)
from adops.errors import AdopsError
from adops.experiments.cli import app as ab_app
from adops.forecast.cli import app as forecast_app
from adops.fx.cli import app as fx_app
from adops.integrations.prd_cli import prd_app
from adops.intelligence.cli import recommend_app
from adops.jobs.cli import app as jobs_app
from adops.notify.cli import notify_app, webhooks_app
from adops.optimize.cli import app as optimize_app
from adops.optimize.plans_cli import plans_app
from adops.warehouse.cli import app as warehouse_app
from adops.workflows.cli import app as workflow_app

app = new_app(
    "Ad Ops Command Center: sync, query and analyse advertising across six ad platforms.", name="adops"
)
config_app = new_app("Show the workspace configuration.")
connectors_app = new_app("Check the platform connections.")
app.add_typer(config_app, name="config")
app.add_typer(connectors_app, name="connectors")
for analytics in (ab_app, optimize_app, forecast_app, anomalies_app):
    app.add_typer(analytics)  # merged: `adops ab`, `adops optimize`, `adops forecast`
app.add_typer(analysis_app)  # merged: `adops trends`, `adops fatigue`
app.add_typer(plans_app, name="plans")
app.add_typer(fx_app, name="fx")
app.add_typer(jobs_app, name="jobs")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(notify_app, name="notify")
app.add_typer(prd_app, name="prd")
app.add_typer(recommend_app, name="recommend")
app.add_typer(workflow_app, name="workflow")


# ---------------------------------------------------------------------------- workspace


@config_app.command("show")
def config_show() -> None:
    """Print the configuration (file plus environment) as JSON, every secret masked."""
    from adops import config

    emit_json(config.masked(config.load()))


@app.command()
def demo(
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days of history to simulate.")] = 400,
    seed: Annotated[int, typer.Option(min=0, help="Simulator seed: the same seed gives the same world.")] = 7,
    wasted_campaigns: Annotated[
        int, typer.Option(min=0, max=50, help="Campaigns planted to spend without converting.")
    ] = 6,  # known truth for wasted-spend advice on the demo; build_demo's default stays 0
) -> None:
    """Build the demo workspace: six sandbox platforms, synced through the normal ingestion path."""
    from adops import config
    from adops.ingest import build_demo

    with progress_bar("Building demo") as update:
        result = build_demo(
            days=days, seed=seed, progress=account_progress(update), wasted_campaigns=wasted_campaigns
        )
    typer.echo(
        f"demo ready in {config.home()}: {result.rows:,} rows from {len(result.accounts)} accounts "
        f"in {result.duration_s:.1f}s"
    )


@app.command()
def sync(
    platform: Platforms = None,
    since: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD); default: cursor minus lookback.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day (YYYY-MM-DD); default: today per account.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Pull accounts, campaigns, ads and daily performance into the warehouse.

    Exits 1 when any account failed or landed only in part (its campaign rows without its ads);
    `--json` still lists every account with its status.
    """
    from adops.ingest import sync as run_sync

    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    platforms = [p.value for p in platform or []]
    if as_json:
        result = run_sync(platforms, start, end)
        emit_json(result.to_dict())
    else:
        with progress_bar("Syncing") as update:
            result = run_sync(platforms, start, end, progress=account_progress(update))
        typer.echo(f"sync {result.run_id} {result.status}: {result.rows:,} rows in {result.duration_s:.1f}s")
        for acc in result.accounts:
            if acc.status == "failed":
                typer.echo(
                    f"  {acc.platform}:{acc.account_id} failed ({acc.error_kind}): {acc.error}", err=True
                )
            elif acc.status == "partial":
                typer.echo(
                    f"  {acc.platform}:{acc.account_id} campaigns only, ads failed ({acc.ad_error_kind}): "
                    f"{acc.ad_error}",
                    err=True,
                )
    if not result.complete:
        raise typer.Exit(1)


@connectors_app.command("check")
def connectors_check(platform: Platforms = None, as_json: AsJson = False) -> None:
    """Verify each account's credentials and access, and say exactly what is missing. Exit 1 if any fails."""
    from adops import config
    from adops.connectors import workspace_accounts
    from adops.connectors.check import check

    results = check(workspace_accounts(config.load(), [p.value for p in platform or []]))
    if as_json:
        emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            if r.ok:
                typer.echo(
                    f"ok      {r.platform}:{r.account_id}  {r.steps[0]['detail']}, {r.steps[1]['detail']}"
                )
                for warning in r.warnings:
                    typer.echo(f"        warning: {warning}")
            else:
                typer.echo(
                    f"FAILED  {r.platform}:{r.account_id}  [{r.error_kind}] {r.error}\n        -> {r.hint}"
                )
    if not all(r.ok for r in results):
        raise typer.Exit(1)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="One SELECT statement over the warehouse views.")],
    format: Annotated[Format, typer.Option(help="Output format.")] = Format.table,
    max_rows: Annotated[
        int, typer.Option(min=0, help="Refuse a result with more rows than this (0: no limit).")
    ] = 100_000,
    timeout: Annotated[
        float, typer.Option(min=0, help="Stop the query after this many seconds (0: no limit).")
    ] = 300.0,
) -> None:
    """Run one read-only SELECT over the warehouse (campaign_daily, ad_daily, accounts, campaigns, ads, fx_rates)."""
    from adops import warehouse

    frame = warehouse.query(sql, max_rows=max_rows or None, timeout=timeout or None, cached=False)
    if format is Format.json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso") + "\n")
    elif format is Format.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        typer.echo(frame.to_string(index=False) if not frame.empty else "(no rows)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the sidecar.")] = 8765,
) -> None:
    """Run the sidecar: health, events (SSE), webhooks, the job queue and the scheduler."""
    from adops.sidecar import run

    run(host=host, port=port)


# ---------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> None:
    """Entry point: a domain error or bad usage becomes one line on stderr and its exit code."""
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except NoArgsIsHelpError as exc:
        sys.stdout.write((exc.ctx.get_help() if exc.ctx else str(exc)) + "\n")
        sys.exit(0)
    except UsageError as exc:  # Click's usage errors outside a command (the group maps those inside)
        sys.stderr.write(usage_line(exc) + "\n")
        sys.exit(2)
    except AdopsError as exc:  # raised outside a command (the group maps those it runs)
        sys.exit(report(exc))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
