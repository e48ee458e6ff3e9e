"""`adops`: the command line over the same functions the pages and the sidecar use.

Bad input exits 2 with one line on stderr and no traceback; `--json` output is one document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer._click.exceptions import NoArgsIsHelpError

from adops import config

app = typer.Typer(
    name="adops",
    help="Ad Ops Command Center: sync, query and analyse advertising across six ad platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Show the workspace configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
connectors_app = typer.Typer(help="Check the platform connections.", no_args_is_help=True)
app.add_typer(connectors_app, name="connectors")


class UsageProblem(Exception):
    """Bad input from the user: reported on one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise UsageProblem(message)


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: '{value}' is not a date in YYYY-MM-DD form")


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, default=str, allow_nan=False) + "\n")


# ---------------------------------------------------------------------------- workspace


@config_app.command("show")
def config_show() -> None:
    """Print the configuration (file plus environment), secrets masked."""
    emit_json(config.masked(config.load()))


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days of history to simulate.")] = 400,
    seed: Annotated[int, typer.Option(help="Simulator seed: the same seed gives the same world.")] = 7,
) -> None:
    """Build the demo workspace: six sandbox platforms, synced through the normal ingestion path."""
    from adops.ingest import build_demo

    if days < 1:
        fail("--days must be at least 1")
    with progress_bar("Building demo") as update:
        result = build_demo(days=days, seed=seed, progress=_account_progress(update))
    typer.echo(
        f"demo ready in {config.home()}: {result.rows:,} rows from {len(result.accounts)} accounts "
        f"in {result.duration_s:.1f}s"
    )


class Platform(StrEnum):
    google_ads = "google_ads"
    meta = "meta"
    pinterest = "pinterest"
    linkedin = "linkedin"
    tiktok = "tiktok"
    microsoft_ads = "microsoft_ads"


@app.command()
def sync(
    platform: Annotated[list[Platform] | None, typer.Option(help="Only this platform (repeatable).")] = None,
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
    from adops.errors import AdopsError
    from adops.ingest import sync as run_sync

    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    platforms = [p.value for p in platform or []]
    try:
        if as_json:
            result = run_sync(platforms, start, end)
            emit_json(result.to_dict())
        else:
            with progress_bar("Syncing") as update:
                result = run_sync(platforms, start, end, progress=_account_progress(update))
            typer.echo(
                f"sync {result.run_id} {result.status}: {result.rows:,} rows in {result.duration_s:.1f}s"
            )
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
    except AdopsError as exc:  # a bad window, a currency the warehouse cannot be converted to
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    if not result.complete:
        raise typer.Exit(1)


@connectors_app.command("check")
def connectors_check(
    platform: Annotated[list[Platform] | None, typer.Option(help="Only this platform (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Verify each account's credentials and access, and say exactly what is missing. Exit 1 if any fails."""
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
    sql: Annotated[str, typer.Argument(help="A read-only SQL statement over the warehouse views.")],
    format: Annotated[Format, typer.Option(help="Output format.")] = Format.table,
) -> None:
    """Run read-only SQL over the warehouse (campaign_daily, ad_daily, accounts, campaigns, ads, fx_rates)."""
    import duckdb

    from adops import warehouse

    try:
        warehouse.ensure_read_only(sql)
        frame = warehouse.connect().execute(sql).df()
    except duckdb.Error as exc:
        fail(str(exc).splitlines()[0])
    if format is Format.json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso") + "\n")
    elif format is Format.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        typer.echo(frame.to_string(index=False) if not frame.empty else "(no rows)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the sidecar.")] = 8765,
) -> None:
    """Run the sidecar: health, events (SSE), webhooks, the job queue and the scheduler."""
    from adops.sidecar import run

    run(host=host, port=port)


@app.command()
def jobs(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """List recent background jobs and their state."""
    from adops.store import jobs as job_store

    emit_json(
        [
            {
                "id": j.id,
                "kind": j.kind,
                "status": j.status,
                "progress": j.progress,
                "message": j.message,
                "created_at": j.created_at,
                "finished_at": j.finished_at,
                "error": j.error,
            }
            for j in job_store.recent(limit)
        ]
    )


def input_csv(path: Path) -> Path:
    """Check an analytics input file exists before reading it."""
    if not path.exists():
        fail(f"--input: no such file {path}")
    return path


# ---------------------------------------------------------------------------- analytics commands
def _register_analytics() -> None:
    """Each analytics package adds its own commands (`register(app)` in its cli module)."""
    from adops.experiments.cli import register as ab
    from adops.forecast.cli import register as forecast
    from adops.optimize.cli import register as optimize
    from adops.optimize.plans_cli import register as plans

    for register in (ab, optimize, forecast, plans):
        register(app)


_register_analytics()


# ---------------------------------------------------------------------------- plumbing


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int, str], None]]:
    """A transient progress bar on stderr; yields `update(done, total, description)`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(stderr=True),
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int, description: str) -> None:
        bar.update(task, completed=done, total=total, description=description)

    with bar:
        yield update


def _account_progress(update: Callable[[int, int, str], None]) -> Callable[[int, int, Any], None]:
    """The sync engine's per-account callback, shown as `platform:account status`."""
    return lambda done, total, r: update(done, total, f"{r.platform}:{r.account_id} {r.status}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: known failures become one line on stderr and exit 2."""
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except NoArgsIsHelpError as exc:
        sys.stdout.write((exc.ctx.get_help() if exc.ctx else str(exc)) + "\n")
        sys.exit(0)
    except typer.TyperException as exc:
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        sys.stderr.write(f"error: {message.splitlines()[0] if message else exc}\n")
        sys.exit(2)
    # ValueError: also the warehouse's ReadOnlyError and SchemaError
    except (UsageProblem, config.ConfigError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except RuntimeError as exc:
        # imported here, not for every command (adops.ingest loads scipy); loaded anyway when it was raised
        from adops.ingest import SyncBusy

        if not isinstance(exc, SyncBusy):
            raise
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
