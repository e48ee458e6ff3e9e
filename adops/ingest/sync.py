"""The sync engine: plan per account, fetch in parallel, validate, convert, MERGE, record.

Per account the window runs from its cursor minus the platform's lookback (conversions restate
for days after the click) to today in the account's time zone. Accounts are fetched in parallel
with bounded concurrency; the connectors' one retry layer (adops.connectors.retry) retries each
HTTP request within its budget, and nothing here retries again. Money is converted to the
reporting currency with the account's rate source (adops.fx: the ECB's for real accounts, the
simulator's for sandbox ones). All rows are merged at the end and published as one warehouse
snapshot, so a failed or killed sync leaves the warehouse as it was, and re-running a window
changes only restated values. One failing account never stops the others, and one failing grain
(the ad-level reads) never discards the campaign rows of its account.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select, update

from adops import clock, config, fx, store, warehouse
from adops.config import AccountConfig, Config
from adops.connectors import ConnectorError, connector_for, workspace_accounts
from adops.connectors.http import redact
from adops.errors import AdopsError, Conflict, InputError
from adops.store.models import SyncAccountRun, SyncRun, SyncState
from adops.warehouse.tables import TABLES

log = logging.getLogger(__name__)

PER_ACCOUNT_TABLES = ("accounts", "campaigns", "ads", "campaign_daily", "ad_daily")
#: the longest window one sync reads (five years of days)
MAX_WINDOW_DAYS = 1827
MAX_ERROR_CHARS = 1000
ISO_CODE = re.compile(r"[A-Z]{3}")


class SyncBusy(Conflict):
    """Another sync holds the workspace's write lock."""


@dataclass
class AccountResult:
    """How one account's part of a sync ended.

    `status` is `success`, `partial` (the campaign grain landed, the ad grain failed: see
    `ad_error`) or `failed` (nothing of the account landed: see `error`). `attempts` counts the
    HTTP requests the client really sent, retries included (0 for sandbox accounts).
    """

    platform: str
    account_id: str
    since: date
    until: date
    status: str = "success"  # success | partial | failed
    rows: int = 0
    attempts: int = 0
    duration_s: float = 0.0
    error_kind: str | None = None
    error: str | None = None
    ad_error_kind: str | None = None
    ad_error: str | None = None
    currency: str | None = None


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

    @property
    def complete(self) -> bool:
        """Every account landed in full (the CLI exits 1 otherwise)."""
        return all(a.status == "success" for a in self.accounts)


Progress = Callable[[int, int, AccountResult], None]


def sync(
    platforms: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
    wait_for_lock: float = 600.0,
    reconvert: bool = True,
    fetch: Callable[..., tuple[list[AccountResult], list[dict[str, pa.Table]]]] | None = None,
) -> SyncResult:
    """Sync the workspace's accounts (optionally only some platforms) into the warehouse.

    With `reconvert` (the default), stored rows whose reporting-currency conversion is out of
    date are converted again in the same snapshot; a build that replaces the warehouse passes
    False. `fetch` replaces the reading of the accounts (`_fetch_all`'s contract): a sync job passes
    `adops.ingest.parts.fetch_spread`, which spreads many accounts over the workers. Raises
    InputError for a window that is inverted, in the future or too long, and an UnknownCurrency
    (ConfigError) when history in another reporting currency cannot be converted.
    """
    check_window(since, until)
    cfg = config.load()
    accounts = workspace_accounts(cfg, platforms)
    started = time.monotonic()
    with _write_lock(cfg, wait_for_lock):
        interrupted = _close_interrupted_runs()
        run_id = _start_run(trigger, len(accounts))
        store.events.publish(
            "sync.started",
            {
                "run_id": run_id,
                "accounts": len(accounts),
                "trigger": trigger,
                "closed_interrupted": interrupted,
            },
        )
        try:
            history = _reconvert_history(cfg) if reconvert else {}
            results, batches = (fetch or _fetch_all)(cfg, accounts, since, until, run_id, progress)
            merged = _concat(batches, history)
            if merged:
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
            "partial": [f"{r.platform}:{r.account_id}" for r in results if r.status == "partial"],
        },
    )
    return SyncResult(run_id, status, rows, duration, results)


def check_window(since: date | None, until: date | None) -> None:
    """Refuse a window no platform can answer: inverted, starting or ending in the future, or too long.

    "The future" is after tomorrow in UTC: an account east of UTC (up to UTC+14) may already be
    living tomorrow, and reads its own today.
    """
    latest = clock.today() + timedelta(days=1)
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    for option, day in (("--since", since), ("--until", until)):
        if day and day > latest:
            raise InputError(
                f"{option} {day} is in the future (today is {clock.today()}); no data exists yet"
            )
    if since and (until or latest) - since > timedelta(days=MAX_WINDOW_DAYS - 1):
        raise InputError(
            f"--since {since}: a window longer than {MAX_WINDOW_DAYS} days; sync at most that many days at a time"
        )


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
        world = _shared_world(accounts)
        futures = [
            pool.submit(_fetch_account, cfg, a, since, until, run_id, synced_at, world) for a in accounts
        ]
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
                    "ad_error": result.ad_error,
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
    world: Any = None,
) -> tuple[AccountResult, dict[str, pa.Table] | None]:
    """Read one account, grain by grain: the campaign grain (account, campaigns, campaign_daily)
    must land for the account to count; the ad grain (ads, ad_daily) failing only marks it partial."""
    t0 = time.monotonic()
    result = AccountResult(account.platform, account.id, since or date.min, until or date.min)
    client: Any = None
    try:
        client = connector_for(account)
        if world is not None and _campaigns_sum_ads(client):
            client.world = world  # one simulated world for all sandbox accounts: built once, not per account
        info = client.account(account.id)
        result.since, result.until = plan(account, info.timezone, cfg, since, until)
        result.currency = info.currency
        convert = _Converter(fx.source_for(account), info.currency, cfg.reporting_currency)
        convert.prepare(result.since, result.until)  # an unknown currency fails before the big reads
        account_row = pd.DataFrame([{**asdict(info)}]).rename(columns={"name": "account_name"})
        campaigns = client.campaigns(account.id)
        ad_rows: pa.Table | None = None
        campaign_rows: pa.Table | pd.DataFrame | None = None
        if _campaigns_sum_ads(client):  # the ad rows, read once as Arrow, give the campaign rows too
            ad_rows = client.ad_daily_table(account.id, result.since, result.until)
            campaign_rows = _campaign_sums(ad_rows, campaigns) if ad_rows is not None else None
        if ad_rows is None or campaign_rows is None:
            campaign_rows = client.campaign_daily(account.id, result.since, result.until)
        batch = _grain(
            {"accounts": account_row, "campaigns": campaigns, "campaign_daily": campaign_rows},
            convert,
            synced_at,
            run_id,
        )
        try:
            batch.update(
                _grain(
                    {
                        "ads": client.ads(account.id),
                        "ad_daily": ad_rows
                        if ad_rows is not None
                        else client.ad_daily(account.id, result.since, result.until),
                    },
                    convert,
                    synced_at,
                    run_id,
                )
            )
        except Exception as exc:  # the campaign rows still land; the ad grain's error is reported
            result.status = "partial"
            result.ad_error_kind, result.ad_error = _describe(exc, account)
            batch.update({name: TABLES[name].schema.empty_table() for name in ("ads", "ad_daily")})
        batch["fx_rates"] = warehouse.validate(TABLES["fx_rates"], convert.used())
        result.rows = batch["campaign_daily"].num_rows + batch["ad_daily"].num_rows
        return result, batch
    except Exception as exc:  # one account's failure, whatever it is, never stops the others
        result.status = "failed"
        result.error_kind, result.error = _describe(exc, account)
        return result, None
    finally:
        result.attempts = _attempts(client)
        result.duration_s = time.monotonic() - t0


def _shared_world(accounts: list[AccountConfig]) -> Any:
    """The sandbox's world, loaded once for every sandbox account of a sync (None without any): its
    campaigns, ads and planted tests are built on first use, once instead of once per account."""
    if not any(a.connector == "sandbox" for a in accounts):
        return None
    from adops.connectors.sandbox.connector import load_world

    return load_world()


def _campaigns_sum_ads(client: Any) -> bool:
    """Whether the connector's campaign rows are exactly the sums of its ad rows (the sandbox's are:
    its campaign report simulates the ads again and sums them), so they can be summed here instead."""
    from adops.connectors.sandbox.connector import SandboxConnector

    return isinstance(client, SandboxConnector)


def _campaign_sums(ads: pa.Table, campaigns: pd.DataFrame) -> pa.Table:
    """Campaign-day rows summed from ad-day rows in Arrow, as the sandbox's campaign report sums them
    (same grouping, amounts rounded to cents: sums of cents rounded to cents are exact whatever the
    order of addition, so these are bit for bit the report's own)."""
    keys = ["date", "platform", "account_id", "campaign_id", "currency"]
    metrics = ["impressions", "clicks", "spend", "conversions", "conversion_value"]
    if any(ads[c].null_count for c in (*keys, *metrics)):  # Arrow's group-by skips nulls as SQL does
        sums = ads.group_by(keys, use_threads=False).aggregate([(m, "sum") for m in metrics])
    else:
        sums = _group_sums(ads, keys, metrics)
    columns: dict[str, Any] = {k: sums[k] for k in keys}
    ids = pa.array(campaigns["campaign_id"].astype(str).tolist(), pa.string())
    names = pa.array(campaigns["campaign_name"].tolist(), pa.string())
    columns["campaign_name"] = names.take(pc.index_in(sums["campaign_id"], value_set=ids))
    for m in metrics:
        total = sums[f"{m}_sum"]
        columns[m] = total if m in ("impressions", "clicks") else pa.array(np.round(total.to_numpy(), 2))
    return pa.table(columns)


def _group_sums(data: pa.Table, keys: list[str], metrics: list[str]) -> pa.Table:
    """`group_by(keys).aggregate(sum)` for rows without nulls, in numpy: one integer code per row from
    the keys' dictionary indices, groups in order of first appearance (rows sorted by date stay so),
    sums by `bincount` in row order; integer metrics stay integers. About half the hash group-by's
    time on the demo's accounts."""
    if not data.num_rows:
        return data.group_by(keys, use_threads=False).aggregate([(m, "sum") for m in metrics])
    code = np.zeros(data.num_rows, dtype=np.int64)
    for k in keys:
        column = data[k].cast(pa.int32()) if pa.types.is_date32(data[k].type) else data[k]
        if pa.types.is_integer(column.type):
            values = column.to_numpy().astype(np.int64)
            values, size = values - values.min(), int(np.ptp(values)) + 1
        else:
            encoded = pc.dictionary_encode(column).combine_chunks()
            values, size = encoded.indices.to_numpy().astype(np.int64), max(len(encoded.dictionary), 1)
        code = code * size + values
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    group = rank[inverse.ravel()]
    out: dict[str, Any] = {k: data[k].take(pa.array(first[order])) for k in keys}
    for m in metrics:
        total = np.bincount(group, weights=data[m].to_numpy().astype(np.float64), minlength=len(order))
        out[f"{m}_sum"] = (
            pa.array(total).cast(data[m].type) if pa.types.is_integer(data[m].type) else pa.array(total)
        )
    return pa.table(out)


def _grain(
    frames: dict[str, pd.DataFrame | pa.Table], convert: _Converter, synced_at: datetime, run_id: int
) -> dict[str, pa.Table]:
    """Each frame as Arrow in its table's schema: converted from pandas once (Arrow tables as they
    are), enriched and validated in Arrow."""
    out = {}
    for name, frame in frames.items():
        data = frame if isinstance(frame, pa.Table) else _arrow(frame)
        data = _enrich(name, data, convert, synced_at, run_id)
        out[name] = warehouse.validate(TABLES[name], data)
    return out


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A connector's frame as Arrow (columns of Python objects are inferred; nothing is coerced yet)."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        # mixed Python objects in a column: let validation name the column on the pandas path
        return pa.Table.from_pandas(frame.astype(object), preserve_index=False)


def _describe(exc: BaseException, account: AccountConfig) -> tuple[str, str]:
    """(error_kind, one line for people): secrets redacted, a rate limit named as such."""
    kind = getattr(exc, "kind", None) or ("schema" if isinstance(exc, warehouse.SchemaError) else "internal")
    text = str(exc) if isinstance(exc, ConnectorError | AdopsError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(redact(text, [account.credential(k) or "" for k in account.credentials]).split())
    if kind == "rate_limit" and "rate limited" not in text:
        text = f"{account.platform} {account.id}: rate limited: {text}"
    if (
        kind == "internal"
    ):  # a bug, not a platform's answer: where it happened, for the log (no message: secrets)
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("sync of %s:%s failed: %s\n%s", account.platform, account.id, text[:MAX_ERROR_CHARS], where)
    return str(kind), text[:MAX_ERROR_CHARS]


def _attempts(connector: Any) -> int:
    """HTTP requests the account's client really sent, retries included (0 for the sandbox)."""
    for holder in (connector, getattr(connector, "client", None)):
        sent = getattr(holder, "attempts", None)
        if isinstance(sent, int) and not isinstance(sent, bool):
            return sent
    return 0


class _Converter:
    """Turns account-currency money into the reporting currency with one source's daily rates,
    and remembers every rate it used (they land in `fx_rates`)."""

    def __init__(self, source: fx.RateSource, currency: str, reporting: str) -> None:
        if not (isinstance(currency, str) and ISO_CODE.fullmatch(currency)):
            shown = repr(currency)[:20]  # whatever the platform sent, named but never at length
            raise fx.UnknownCurrency(shown, source.name, "the platform did not give a 3-letter ISO 4217 code")
        self.source, self.currency, self.reporting = source, currency, reporting
        self.table = fx.empty()

    def prepare(self, since: date, until: date) -> None:
        self._add([since + timedelta(days=i) for i in range((until - since).days + 1)])

    def rates_for(self, days: pd.Series) -> pd.Series:
        """The rate for each day; raises UnknownCurrency, never returns a NaN."""
        missing = set(days) - set(self.table.date)
        if missing:
            self._add(sorted(missing))
        rate = days.map(self.table.set_index("date")["rate_to_reporting"]).astype(float)
        if rate.isna().any():  # a source that skipped a day it should have answered
            raise fx.UnknownCurrency(
                self.currency, self.source.name, f"no rate for {days[rate.isna()].iloc[0]}"
            )
        return rate

    def used(self) -> pd.DataFrame:
        return self.table.sort_values("date").reset_index(drop=True)

    def _add(self, days: list[date]) -> None:
        frame = self.source.rates(self.currency, self.reporting, days)
        parts = [p for p in (self.table, frame) if len(p)]
        self.table = pd.concat(parts, ignore_index=True) if parts else fx.empty()
        self.table = self.table.drop_duplicates(["date"], keep="last")


def _enrich(
    name: str,
    data: pa.Table,
    convert: _Converter,
    synced_at: datetime,
    run_id: int,
) -> pa.Table:
    """The ingestion columns added in Arrow: day, reporting-currency money, run and time stamps."""
    n = data.num_rows
    columns = {c: data[c] for c in data.column_names}
    if name in ("campaign_daily", "ad_daily"):
        days = _days(data["date"]) if "date" in columns else pa.nulls(n, pa.date32())
        columns["date"] = days
        if n:
            unique = pc.unique(days)
            rate_of_day = convert.rates_for(pd.Series(unique.to_pylist(), dtype=object)).to_numpy()
            rate = rate_of_day[pc.index_in(days, unique).to_numpy(zero_copy_only=False)]
        else:
            rate = np.empty(0)
        for money in ("spend", "conversion_value"):
            amount = _floats(columns[money]) if money in columns else np.full(n, np.nan)
            columns[f"{money}_reporting"] = pa.array(np.round(amount * rate, 2), from_pandas=True)
        columns["reporting_currency"] = pa.repeat(pa.scalar(convert.reporting, pa.string()), n)
        columns["sync_run_id"] = pa.repeat(pa.scalar(run_id, pa.int64()), n)
    columns["synced_at"] = pa.repeat(pa.scalar(synced_at, pa.timestamp("us", tz="UTC")), n)
    for col in TABLES[name].columns:
        if col not in columns:
            columns[col] = pa.nulls(n, TABLES[name].schema.field(col).type)
    return pa.table(columns)


def _days(values: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """A column of days as date32, from dates, timestamps or ISO strings (others: pandas parses them)."""
    if pa.types.is_date32(values.type):
        return values
    if pa.types.is_date64(values.type) or (pa.types.is_timestamp(values.type) and values.type.tz is None):
        return values.cast(pa.date32())
    parsed = pd.to_datetime(values.to_pandas()).dt.date
    return pa.array(parsed, pa.date32(), from_pandas=True)


def _floats(values: pa.ChunkedArray) -> np.ndarray:
    """Numbers as float64 for arithmetic (nulls as NaN); validation names a column that is not numeric."""
    try:
        return values.cast(pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise warehouse.SchemaError(f"{values.type} values where amounts belong") from None


def _concat(batches: list[dict[str, pa.Table]], history: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """One table per name from every account's batch; re-converted history where no fresh row replaces it."""
    out = {}
    for name in (*PER_ACCOUNT_TABLES, "fx_rates"):
        parts = [b[name] for b in batches if name in b and b[name].num_rows]
        fresh = pa.concat_tables(parts) if parts else None
        old = history.get(name)
        if old is not None and old.num_rows and fresh is not None:
            keys = list(TABLES[name].key)
            old = old.join(fresh.select(keys), keys=keys, join_type="left anti").select(old.column_names)
        parts = [p for p in (old, fresh) if p is not None and p.num_rows]
        if parts:
            table = pa.concat_tables(parts)
            if name == "fx_rates":  # accounts of one source share their rates
                table = _unique(table, list(TABLES[name].key))
            out[name] = table
    return out


def _unique(table: pa.Table, keys: list[str]) -> pa.Table:
    frame = table.to_pandas().drop_duplicates(keys, keep="last")
    return pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False)


# ---------------------------------------------------------------------------- reporting-currency change


def _reconvert_history(cfg: Config) -> dict[str, pa.Table]:
    """Stored rows whose conversion is out of date, converted again (empty when there are none).

    Two cases: rows in another reporting currency (the setting changed), and rows of ECB accounts
    converted with a carried-forward rate that a newer ECB file (`adops fx refresh`) has since
    replaced with the day's own fixing. They are published in the same snapshot as the sync's
    own rows, so readers never see `spend_reporting` mixing currencies. Each account keeps its
    rate source (the simulator's for sandbox accounts, the ECB's otherwise, also for accounts no
    longer configured). A currency that cannot be converted stops the sync before anything is
    read or written.
    """
    reporting = cfg.reporting_currency
    sources = {(a.platform, a.id): fx.source_for(a) for a in workspace_accounts(cfg)}
    # a plain snapshot connection: it scans the Delta files for the few stale rows (~10 ms when there
    # are none) instead of loading whole tables into memory as warehouse.query's cache does
    con = warehouse.connect()
    replaced = _replaced_ecb_rates(con, reporting)
    out: dict[str, pa.Table] = {}
    used: list[pd.DataFrame] = []
    for name in ("campaign_daily", "ad_daily"):
        where = "reporting_currency <> ? OR reporting_currency IS NULL"
        params: list[Any] = [reporting]
        if replaced:
            where += " OR date >= ?"
            params.append(min(day for day, _ in replaced))
        # counting reads one column (~10 ms on 400k rows); SELECT * would read them all
        (stale_rows,) = con.execute(f"SELECT count(*) FROM {name} WHERE {where}", params).fetchone() or (0,)
        if not stale_rows:
            continue
        frame = con.execute(f"SELECT * FROM {name} WHERE {where}", params).df()
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
        parts = []
        for (platform, account_id, currency), rows in frame.groupby(
            ["platform", "account_id", "currency"], sort=False
        ):
            source = sources.get((str(platform), str(account_id))) or _ecb()
            stale = rows["reporting_currency"].ne(reporting) | rows["reporting_currency"].isna()
            if source.name == "ecb" and replaced:
                stale |= pd.Series([(d, currency) in replaced for d in rows["date"]], index=rows.index)
            rows = rows[stale]
            if rows.empty:
                continue
            convert = _Converter(source, str(currency), reporting)
            try:
                rate = convert.rates_for(rows["date"])
            except fx.UnknownCurrency as exc:
                stored = ", ".join(sorted(set(frame["reporting_currency"].dropna()) - {reporting}))
                raise fx.UnknownCurrency(
                    exc.currency,
                    exc.source,
                    f"the warehouse holds {name} of {platform}:{account_id} in {stored}; to convert it "
                    f"to {reporting}, {exc.currency} needs a rate. Set reporting_currency back to {stored}, "
                    "or rebuild the warehouse in a new ADOPS_HOME",
                ) from None
            rows = rows.assign(
                spend_reporting=(rows["spend"] * rate).round(2),
                conversion_value_reporting=(rows["conversion_value"] * rate).round(2),
                reporting_currency=reporting,
            )
            parts.append(rows)
            used.append(convert.used())
        if parts:
            out[name] = warehouse.validate(TABLES[name], pd.concat(parts, ignore_index=True))
    if used:
        rates = pd.concat(used, ignore_index=True).drop_duplicates(list(TABLES["fx_rates"].key), keep="last")
        out["fx_rates"] = warehouse.validate(TABLES["fx_rates"], rates)
    return out


def _replaced_ecb_rates(con: Any, reporting: str) -> set[tuple[date, str]]:
    """(day, currency) pairs stored with a carried-forward ECB rate that the ECB file in use now
    answers differently (a refresh brought that day's own fixing)."""
    carried = con.execute(
        "SELECT date, currency, rate_to_reporting FROM fx_rates "
        "WHERE source = 'ecb' AND reporting_currency = ? AND rate_date < date",
        [reporting],
    ).df()
    if carried.empty:
        return set()
    carried["date"] = pd.to_datetime(carried["date"]).dt.date
    ecb, out = _ecb(), set()
    for currency, group in carried.groupby("currency"):
        try:
            now = ecb.rates(str(currency), reporting, list(group["date"])).set_index("date")[
                "rate_to_reporting"
            ]
        except fx.UnknownCurrency:
            continue
        for day, before in zip(group["date"], group["rate_to_reporting"], strict=True):
            if abs(now[day] - before) > 1e-12 * abs(before):
                out.add((day, str(currency)))
    return out


def _ecb() -> fx.RateSource:
    from adops.fx.ecb import EcbRates

    return EcbRates.current()


# ---------------------------------------------------------------------------- bookkeeping


@contextmanager
def _write_lock(cfg: Config, wait: float) -> Iterator[None]:
    """The workspace's one-writer lock (`adops.store.locks`), shared with the demo build and
    maintenance: a file lock in the workspace, or an advisory lock where the store is PostgreSQL."""
    from contextlib import ExitStack

    from adops.store import locks

    with ExitStack() as held:
        try:
            held.enter_context(locks.exclusive(locks.WAREHOUSE_WRITE, wait=wait))
        except locks.Busy:
            raise SyncBusy(
                "another writer (a sync, the demo build or maintenance) is writing to this workspace; "
                "try again when it ends"
            ) from None
        yield


def _close_interrupted_runs() -> list[int]:
    """Mark runs left `running` by a killed sync as `failed` ("interrupted"); returns their ids.

    Called with the workspace write lock held: no other sync can be running, so every `running`
    row belongs to a process that is gone.
    """
    with store.session() as s:
        ids = list(s.scalars(select(SyncRun.id).where(SyncRun.status == "running")))
        if ids:
            s.execute(
                update(SyncRun)
                .where(SyncRun.id.in_(ids))
                .values(status="failed", error="interrupted", finished_at=clock.now())
            )
    return [int(i) for i in ids]


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
                error_kind=r.error_kind or r.ad_error_kind,
                error=r.error or _ad_grain(r),
            )
        )


def _ad_grain(r: AccountResult) -> str | None:
    return f"ad grain: {r.ad_error}" if r.ad_error else None


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
    """Each account's cursor and last outcome, in one transaction; the states are read in one query
    (one query per account took 7 s for 1,000 accounts on a busy PostgreSQL)."""
    with store.session() as s:
        states = {(st.platform, st.account_id): st for st in s.scalars(select(SyncState))}
        for r in results:
            state = states.get((r.platform, r.account_id))
            if state is None:
                state = states[(r.platform, r.account_id)] = SyncState(
                    platform=r.platform, account_id=r.account_id
                )
                s.add(state)
            if r.status == "success":
                state.cursor = max(state.cursor or r.until, r.until)
                state.last_success_at = clock.now()
                state.last_error = None
            else:  # partial too: the next sync reads the window again, so the ad rows are not lost
                state.last_error = r.error or _ad_grain(r)


def _overall(results: list[AccountResult]) -> str:
    if all(r.status == "success" for r in results):
        return "success"
    return "failed" if all(r.status == "failed" for r in results) else "partial"


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
