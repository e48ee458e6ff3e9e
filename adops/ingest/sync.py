"""The sync engine: plan per account, fetch in parallel, validate, MERGE, record.

Per account the window runs from its cursor minus the platform's lookback (conversions restate
for days after the click) to today in the account's time zone. Accounts are fetched in parallel
with bounded concurrency; transient errors are retried with backoff that honours Retry-After.
All rows are merged at the end and published as one warehouse snapshot, so a failed or killed
sync leaves the warehouse as it was, and re-running a window changes only restated values.
One failing account never stops the others: its error is recorded and the rest land.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

import pandas as pd
import pyarrow as pa
from sqlalchemy import select

from adops import clock, config, store, warehouse
from adops.config import AccountConfig, Config
from adops.connectors import ConnectorError, connector_for, workspace_accounts
from adops.connectors import retry as retrying
from adops.store.models import SyncAccountRun, SyncRun, SyncState
from adops.warehouse.tables import TABLES

PER_ACCOUNT_TABLES = ("accounts", "campaigns", "ads", "campaign_daily", "ad_daily")


class SyncBusy(RuntimeError):
    """Another sync holds the workspace's write lock."""


@dataclass
class AccountResult:
    platform: str
    account_id: str
    since: date
    until: date
    status: str = "success"  # success | failed
    rows: int = 0
    attempts: int = 1
    duration_s: float = 0.0
    error_kind: str | None = None
    error: str | None = None


@dataclass
class SyncResult:
    run_id: int
    status: str  # success | partial | failed
    rows: int
    duration_s: float
    accounts: list[AccountResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        for acc in out["accounts"]:
            acc["since"], acc["until"] = str(acc["since"]), str(acc["until"])
        return out


Progress = Callable[[int, int, AccountResult], None]
T = TypeVar("T")


def sync(
    platforms: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
    wait_for_lock: float = 600.0,
) -> SyncResult:
    """Sync the workspace's accounts (optionally only some platforms) into the warehouse."""
    if since and until and since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    cfg = config.load()
    accounts = workspace_accounts(cfg, platforms)
    started = time.monotonic()
    with _write_lock(cfg, wait_for_lock):
        run_id = _start_run(trigger, len(accounts))
        store.events.publish(
            "sync.started", {"run_id": run_id, "accounts": len(accounts), "trigger": trigger}
        )
        try:
            results, batches = _fetch_all(cfg, accounts, since, until, run_id, progress)
            merged = _concat(batches)
            if merged:
                landed = [r for r in results if r.status == "success"]
                fx = _fx(cfg, min(r.since for r in landed), max(r.until for r in landed))
                merged["fx_rates"] = warehouse.validate(TABLES["fx_rates"], fx)
                warehouse.commit(merged)
            _advance_cursors(results)
            status = _overall(results)
            error = None
        except BaseException as exc:  # recorded, then re-raised: the warehouse keeps its last snapshot
            results, status, error = [], "failed", f"{type(exc).__name__}: {exc}"
            _finish_run(run_id, status, results, time.monotonic() - started, error)
            store.events.publish("sync.finished", {"run_id": run_id, "status": status, "error": error})
            raise
    duration = time.monotonic() - started
    _finish_run(run_id, status, results, duration, error)
    rows = sum(r.rows for r in results)
    store.events.publish(
        "sync.finished",
        {
            "run_id": run_id,
            "status": status,
            "rows": rows,
            "duration_s": round(duration, 3),
            "failed": [f"{r.platform}:{r.account_id}" for r in results if r.status == "failed"],
        },
    )
    return SyncResult(run_id, status, rows, duration, results)


def maintain(wait_for_lock: float = 600.0) -> dict[str, int]:
    """Compact and vacuum the warehouse, holding the writers' lock (the sidecar runs it daily)."""
    cfg = config.load()
    with _write_lock(cfg, wait_for_lock):
        removed = warehouse.compact()
    store.events.publish("warehouse.maintained", {"files_removed": removed})
    return removed


def plan(
    account: AccountConfig, tz: str, cfg: Config, since: date | None, until: date | None
) -> tuple[date, date]:
    """The window to read for one account: cursor minus lookback, to today in its time zone."""
    end = until or clock.today(tz)
    if since:
        return since, end
    cursor = _cursor(account)
    if cursor is None:
        return end - timedelta(days=cfg.initial_history_days - 1), end
    lookback = cfg.lookback_days.get(account.platform, 28)
    return min(cursor - timedelta(days=lookback - 1), end), end


# ---------------------------------------------------------------------------- fetching


def _fetch_all(
    cfg: Config,
    accounts: list[AccountConfig],
    since: date | None,
    until: date | None,
    run_id: int,
    progress: Progress | None,
) -> tuple[list[AccountResult], list[dict[str, pa.Table]]]:
    results: list[AccountResult] = []
    batches: list[dict[str, pa.Table]] = []
    synced_at = clock.now()
    with ThreadPoolExecutor(max_workers=cfg.max_parallel_accounts, thread_name_prefix="sync") as pool:
        futures = [pool.submit(_fetch_account, cfg, a, since, until, run_id, synced_at) for a in accounts]
        for done, future in enumerate(as_completed(futures), start=1):
            result, batch = future.result()
            results.append(result)
            if batch:
                batches.append(batch)
            _record_account(run_id, result)
            store.events.publish(
                "sync.account",
                {
                    "run_id": run_id,
                    "platform": result.platform,
                    "account_id": result.account_id,
                    "status": result.status,
                    "rows": result.rows,
                    "error": result.error,
                    "done": done,
                    "total": len(accounts),
                },
            )
            if progress:
                progress(done, len(accounts), result)
    return results, batches


def _fetch_account(
    cfg: Config,
    account: AccountConfig,
    since: date | None,
    until: date | None,
    run_id: int,
    synced_at: datetime,
) -> tuple[AccountResult, dict[str, pa.Table] | None]:
    t0 = time.monotonic()
    attempts = 0

    def call(fn: Callable[[], T]) -> T:
        nonlocal attempts
        value, used = retrying.call(fn)
        attempts += used
        return value

    result = AccountResult(account.platform, account.id, since or date.min, until or date.min)
    try:
        client = connector_for(account)
        info = call(lambda: client.account(account.id))
        result.since, result.until = plan(account, info.timezone, cfg, since, until)
        frames = {
            "accounts": pd.DataFrame([{**asdict(info)}]).rename(columns={"name": "account_name"}),
            "campaigns": call(lambda: client.campaigns(account.id)),
            "ads": call(lambda: client.ads(account.id)),
            "campaign_daily": call(lambda: client.campaign_daily(account.id, result.since, result.until)),
            "ad_daily": call(lambda: client.ad_daily(account.id, result.since, result.until)),
        }
        fx = _fx(cfg, result.since, result.until)
        batch = {}
        for name, frame in frames.items():
            frame = _enrich(name, frame, info.currency, fx, cfg.reporting_currency, synced_at, run_id)
            batch[name] = warehouse.validate(TABLES[name], frame)
        result.rows = batch["campaign_daily"].num_rows + batch["ad_daily"].num_rows
        result.attempts = max(attempts, 1)
        result.duration_s = time.monotonic() - t0
        return result, batch
    except (ConnectorError, warehouse.SchemaError, ValueError) as exc:
        result.status = "failed"
        result.error_kind = getattr(exc, "kind", "schema")
        result.error = str(exc)
        result.attempts = max(attempts, 1)
        result.duration_s = time.monotonic() - t0
        return result, None


def _fx(cfg: Config, since: date, until: date) -> pd.DataFrame:
    """Daily rates to the reporting currency for the window (the sandbox publishes its own)."""
    from adops.connectors.sandbox import load_world

    return load_world().fx_rates(since, until, cfg.reporting_currency)


def _enrich(
    name: str,
    frame: pd.DataFrame,
    currency: str,
    fx: pd.DataFrame,
    reporting: str,
    synced_at: datetime,
    run_id: int,
) -> pd.DataFrame:
    frame = frame.copy()
    if name in ("campaign_daily", "ad_daily"):
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
        if frame.empty:
            rate = pd.Series(dtype=float)
        elif currency == reporting:
            rate = pd.Series(1.0, index=frame.index)
        else:
            lookup = fx[fx.currency == currency].assign(date=lambda f: pd.to_datetime(f["date"]).dt.date)
            rate = frame["date"].map(lookup.set_index("date")["rate"])
        frame["spend_reporting"] = (frame["spend"] * rate).round(2)
        frame["conversion_value_reporting"] = (frame["conversion_value"] * rate).round(2)
        frame["reporting_currency"] = reporting
        frame["sync_run_id"] = run_id
    if name != "fx_rates":
        frame["synced_at"] = synced_at
    for col in TABLES[name].columns:
        if col not in frame.columns:
            frame[col] = None
    return frame


def _concat(batches: list[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    out = {}
    for name in PER_ACCOUNT_TABLES:
        parts = [b[name] for b in batches if b[name].num_rows]
        if parts:
            out[name] = pa.concat_tables(parts)
    return out


# ---------------------------------------------------------------------------- bookkeeping


@contextmanager
def _write_lock(cfg: Config, wait: float) -> Iterator[None]:
    cfg.home.mkdir(parents=True, exist_ok=True)
    with open(cfg.home / "sync.lock", "w") as fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SyncBusy(
                        "another sync is writing to this workspace; try again when it ends"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _start_run(trigger: str, accounts: int) -> int:
    with store.session() as s:
        run = SyncRun(status="running", trigger=trigger, started_at=clock.now(), accounts=accounts)
        s.add(run)
        s.flush()
        return int(run.id)


def _record_account(run_id: int, r: AccountResult) -> None:
    with store.session() as s:
        s.add(
            SyncAccountRun(
                sync_run_id=run_id,
                platform=r.platform,
                account_id=r.account_id,
                since=r.since if r.since != date.min else clock.today(),
                until=r.until if r.until != date.min else clock.today(),
                status=r.status,
                rows=r.rows,
                attempts=r.attempts,
                duration_s=r.duration_s,
                error_kind=r.error_kind,
                error=r.error,
            )
        )


def _finish_run(
    run_id: int, status: str, results: list[AccountResult], duration: float, error: str | None
) -> None:
    with store.session() as s:
        run = s.get(SyncRun, run_id)
        assert run is not None
        run.status, run.finished_at, run.duration_s, run.error = status, clock.now(), duration, error
        run.rows = sum(r.rows for r in results)
        run.failed_accounts = sum(r.status == "failed" for r in results)


def _cursor(account: AccountConfig) -> date | None:
    with store.session() as s:
        state = s.get(SyncState, (account.platform, account.id))
        return state.cursor if state else None


def _advance_cursors(results: list[AccountResult]) -> None:
    with store.session() as s:
        for r in results:
            state = s.get(SyncState, (r.platform, r.account_id)) or SyncState(
                platform=r.platform, account_id=r.account_id
            )
            if r.status == "success":
                state.cursor = max(state.cursor or r.until, r.until)
                state.last_success_at = clock.now()
                state.last_error = None
            else:
                state.last_error = r.error
            s.merge(state)


def _overall(results: list[AccountResult]) -> str:
    failed = sum(r.status == "failed" for r in results)
    if not failed:
        return "success"
    return "failed" if failed == len(results) else "partial"


def last_runs(limit: int = 10) -> list[SyncRun]:
    """The latest sync runs, newest first."""
    with store.session() as s:
        return list(s.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))


def account_health() -> pd.DataFrame:
    """Per workspace account: connector, credentials state, cursor, last success and last error."""
    cfg = config.load()
    with store.session() as s:
        states = {(r.platform, r.account_id): r for r in s.scalars(select(SyncState))}
    rows = []
    for a in workspace_accounts(cfg):
        state = states.get((a.platform, a.id))
        creds = config.masked(Config(home=cfg.home, accounts=(a,)))["accounts"][0]["credentials"]
        rows.append(
            {
                "platform": a.platform,
                "account_id": a.id,
                "name": a.name,
                "connector": a.connector,
                "credentials": ", ".join(f"{k}: {v}" for k, v in creds.items()) or "–",
                "cursor": state.cursor if state else None,
                "last_success_at": state.last_success_at if state else None,
                "last_error": state.last_error if state else None,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "platform",
            "account_id",
            "name",
            "connector",
            "credentials",
            "cursor",
            "last_success_at",
            "last_error",
        ],
    )
