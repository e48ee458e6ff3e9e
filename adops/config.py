"""Workspace configuration: `$ADOPS_HOME/adops.toml`, overridden by environment variables.

The file names platform accounts (credentials as `"env:NAME"` references), sync schedules, lookback
windows, the reporting currency, notification channels and outgoing webhooks. `load()` validates it
through the typed model in `adops.settings` (pydantic-settings) and raises `ConfigError` naming the
offending key; `masked()` renders it for people with every secret hidden; `add_accounts`,
`update_account` and `remove_account` edit the file with tomlkit, keeping the user's comments and order.

This module stays light (no pydantic at import), so that `adops --help` starts fast.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from adops.errors import ConfigError, InputError, NotFound
from adops.platforms import DEFAULT_LOOKBACK_DAYS, PLATFORM_NAMES, PLATFORMS, normalize_account_id

if TYPE_CHECKING:
    from tomlkit.items import Table
    from tomlkit.toml_document import TOMLDocument

    from adops.settings import Analysis, Notifications, Settings, Webhooks

__all__ = [
    "CONNECTOR_KINDS",
    "DEFAULT_LOOKBACK_DAYS",
    "INTEGRATIONS",
    "PLATFORMS",
    "PLATFORM_NAMES",
    "AccountConfig",
    "Config",
    "ConfigError",
    "SyncSchedule",
    "add_accounts",
    "home",
    "load",
    "masked",
    "mask_url",
    "normalize_account_id",
    "remove_account",
    "update_account",
]

CONNECTOR_KINDS = ("api", "sandbox")
INTEGRATIONS = ("asana",)


@dataclass(frozen=True)
class AccountConfig:
    """One platform account. Built by `load()` from a validated `[[accounts]]` table, or by code
    (the sandbox, the Asana client) with any platform name."""

    platform: str
    id: str
    connector: str = "api"
    name: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.id}"

    def credential(self, name: str) -> str | None:
        """The credential's value, with `env:NAME` references resolved (None when unset)."""
        raw = self.credentials.get(name)
        if raw is None:
            return None
        if raw.startswith("env:"):
            return os.environ.get(raw[4:]) or None
        return raw

    def missing(self, name: str) -> str:
        """Why a credential has no value, for messages: `access_token (env META_TOKEN is not set)`."""
        raw = self.credentials.get(name)
        if raw is None:
            return f"{name} (not in [accounts.credentials])"
        if raw.startswith("env:") and not os.environ.get(raw[4:]):
            return f"{name} (environment variable {raw[4:]} is not set)"
        return name if not raw else f"{name} (empty)"


@dataclass(frozen=True)
class SyncSchedule:
    cron: str = "0 * * * *"  # hourly, on the hour
    platforms: tuple[str, ...] = ()  # empty: all
    workflow: str | None = None  # set: the schedule starts this workflow with `preset` instead of a sync
    preset: str | None = None


@dataclass(frozen=True)
class Config:
    """The loaded workspace settings: what every module reads (`config.load()`)."""

    home: Path
    reporting_currency: str = "USD"
    sandbox_seed: int = 7
    accounts: tuple[AccountConfig, ...] = ()
    lookback_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LOOKBACK_DAYS))
    max_parallel_accounts: int = 4
    initial_history_days: int = 90
    #: the one retry layer (each HTTP call to a platform): at most this many attempts within this many seconds
    retry_attempts: int = 6
    retry_seconds: float = 120.0
    #: one deadline per async report, from its creation to its last poll
    report_seconds: float = 900.0
    schedules: tuple[SyncSchedule, ...] = (SyncSchedule(),)
    #: typed `[notifications]` (slack, discord, email, rules); None when built by code without a file
    notifications: Notifications | None = None
    #: typed `[webhooks]` (endpoints, allow_hosts)
    webhooks: Webhooks | None = None
    #: project-work tools, e.g. integrations["asana"] = {"access_token": "env:ASANA_TOKEN", "workspace": "123"}
    integrations: dict[str, dict[str, str]] = field(default_factory=dict)
    database_url: str = ""
    sidecar_url: str = "http://127.0.0.1:8765"
    #: where the Delta tables live: `$ADOPS_WAREHOUSE_URI`, default `<home>/warehouse`
    warehouse_uri: str = ""
    #: typed `[analysis]` (the creative fatigue thresholds); None when built by code without a file
    analysis: Analysis | None = None
    #: DuckDB's memory limit in each process that reads or writes the warehouse
    warehouse_memory_limit: str = "1GiB"
    #: typed `[workflows.NAME]` tables (auto-approval limits, approval timeout), by workflow name
    workflows: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.warehouse_uri:
            object.__setattr__(self, "warehouse_uri", str(self.home / "warehouse"))

    @property
    def config_path(self) -> Path:
        return self.home / "adops.toml"


def home() -> Path:
    """The workspace folder: `$ADOPS_HOME`, default `./data`."""
    from adops.settings import environment

    return Path(environment().home).resolve()


def load(path: Path | None = None) -> Config:
    """Read and validate the workspace configuration; environment variables win over the file.

    Read once per change: the result is kept while the file's mtime, size and inode and the
    `ADOPS_*` environment stay the same (a page rerun or a warehouse query reads no TOML); a file
    written in the last two seconds is read every time, as its mtime may not show a second write.
    """
    from adops.settings import environment, read

    variables = tuple((k, v) for k, v in os.environ.items() if k.startswith("ADOPS_"))
    target = str(path) if path else os.path.join(os.environ.get("ADOPS_HOME") or "data", "adops.toml")
    try:
        st = os.stat(target)
        stamp: tuple[int, ...] = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        stamp = ()
    key = (os.getcwd(), target, stamp, variables)
    hit = _loaded.get(key)
    # a file changed within the last 2 s may change again within the clock's tick, size unchanged
    # (git's "racy" case): read it until it has settled
    if hit is not None and (not stamp or time.time_ns() - stamp[0] > 2_000_000_000):
        return hit
    env = environment()
    root = Path(env.home).resolve()
    loaded = _config(read(path or root / "adops.toml"), root, env)
    _loaded.clear()  # one workspace at a time: a process that switches ADOPS_HOME reads again
    _loaded[key] = loaded
    return loaded


_loaded: dict[tuple[str, str, tuple[int, ...], tuple[tuple[str, str], ...]], Config] = {}


def _config(s: Settings, root: Path, env: Any) -> Config:
    return Config(
        home=root,
        reporting_currency=s.reporting_currency,
        sandbox_seed=s.sandbox_seed,
        accounts=tuple(
            AccountConfig(a.platform, a.id, a.connector, a.name, dict(a.credentials)) for a in s.accounts
        ),
        lookback_days=s.lookback_days.model_dump(),
        max_parallel_accounts=s.max_parallel_accounts,
        initial_history_days=s.initial_history_days,
        retry_attempts=s.retry_attempts,
        retry_seconds=float(s.retry_seconds),
        report_seconds=float(s.report_seconds),
        schedules=tuple(SyncSchedule(x.cron, tuple(x.platforms), x.workflow, x.preset) for x in s.schedules),
        notifications=s.notifications,
        webhooks=s.webhooks,
        integrations={
            name: {k: v for k, v in table.model_dump().items() if v is not None}
            for name, table in s.integrations
            if table is not None
        },
        database_url=env.database_url,
        sidecar_url=env.sidecar_url,
        warehouse_uri=env.warehouse_uri or "",
        analysis=s.analysis,
        warehouse_memory_limit=s.warehouse_memory_limit,
        workflows=dict(s.workflows),
    )


# ---------------------------------------------------------------------------- showing it to people

#: keys whose values may be shown as they are; every other value under a secret-bearing table is masked
_SHOWN = {
    "workspace",
    "project",
    "host",
    "port",
    "starttls",
    "from",
    "to",
    "events",
    "channels",
    "min_severity",
    "start",
    "end",
    "timezone",
    "messages",
    "per_minutes",
    "timeout_seconds",
    "name",  # an incoming webhook source's rules ([[webhooks.sources]]): no secret but `secret`
    "job",
    "fields",
}
#: tables shown whole: a webhook rule's match values and params (templates naming payload paths)
_SHOWN_TABLES = {"match", "params"}
#: query parameters of a database URL that carry no secret
_SHOWN_QUERY = {"sslmode", "connect_timeout", "application_name", "target_session_attrs", "mode", "cache"}


def masked(config: Config) -> dict[str, Any]:
    """The configuration as plain data with every secret hidden.

    An allow-list, not a deny-list: account credentials, notification and integration secrets and
    webhook URLs are never shown. An `env:NAME` reference is shown as its name and whether it is set;
    a literal secret as `***`; URLs lose their password and secret query values.
    """
    return {
        "home": str(config.home),
        "config_file": str(config.config_path),
        "warehouse": mask_url(config.warehouse_uri),
        "warehouse_memory_limit": config.warehouse_memory_limit,
        "database": mask_url(config.database_url) or str(config.home / "adops.sqlite"),
        "sidecar": mask_url(config.sidecar_url),
        "reporting_currency": config.reporting_currency,
        "sandbox_seed": config.sandbox_seed,
        "max_parallel_accounts": config.max_parallel_accounts,
        "initial_history_days": config.initial_history_days,
        "retry_attempts": config.retry_attempts,
        "retry_seconds": config.retry_seconds,
        "report_seconds": config.report_seconds,
        "lookback_days": dict(config.lookback_days),
        "schedules": [
            {"cron": s.cron, "platforms": list(s.platforms)}
            | ({"workflow": s.workflow, "preset": s.preset} if s.workflow else {})
            for s in config.schedules
        ],
        "accounts": [
            {
                "platform": a.platform,
                "id": a.id,
                "connector": a.connector,
                "name": a.name,
                "credentials": {k: _secret(v) for k, v in a.credentials.items()},
            }
            for a in config.accounts
        ],
        "notifications": _masked_table(
            config.notifications.model_dump(by_alias=True, exclude_none=True) if config.notifications else {}
        ),
        "webhooks": _masked_table(config.webhooks.model_dump(exclude_none=True) if config.webhooks else {}),
        "integrations": {name: _masked_table(table) for name, table in config.integrations.items()},
    }


def _secret(value: str) -> str:
    """`env:NAME (set)` / `env:NAME (unset)` for a reference; `***` for anything literal."""
    if value.startswith("env:"):
        return f"{value} ({'set' if os.environ.get(value[4:]) else 'unset'})"
    return "***"


def _masked_table(value: Any, key: str = "") -> Any:
    if key in _SHOWN_TABLES:
        return value
    if isinstance(value, dict):
        return {k: _masked_table(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_table(v, key) for v in value]
    if key in _SHOWN or key == "allow_hosts":
        return value
    if key == "url" and isinstance(value, str) and not value.startswith("env:"):
        return _url_origin(value)  # an endpoint's path and query may carry a token
    return _secret(value) if isinstance(value, str) else "***"


def _url_origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}/***" if parts.scheme and host else "***"


def mask_url(url: str) -> str:
    """A URL without its secrets: the password after `user:` and every query value not on an allow-list."""
    if not url or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:***@{hostport}" if ":" in userinfo else f"{user}@{hostport}"
    query = urlencode(
        [
            (k, v if k.lower() in _SHOWN_QUERY else "***")
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# ---------------------------------------------------------------------------- editing the file


def add_accounts(accounts: list[AccountConfig]) -> Config:
    """Append accounts to adops.toml (ids in each platform's format), keeping comments and order.

    The new file is validated before it replaces the old one (atomically, mode 0600): when the result
    would not load, adops.toml stays as it was and ConfigError says why.
    """
    with _editing() as doc:
        import tomlkit

        if "accounts" not in doc:
            doc.append("accounts", tomlkit.aot())
        for a in accounts:
            doc["accounts"].append(_account_table(a))
    return load()


def update_account(
    key: str,
    *,
    id: str | None = None,
    name: str | None = None,
    connector: str | None = None,
    credentials: dict[str, str] | None = None,
) -> Config:
    """Change one account (`platform:id`) in adops.toml: a None argument keeps the value, `name=""`
    removes the name, `credentials` replaces the whole table. Comments elsewhere are kept."""
    with _editing() as doc:
        table = _find(doc, key)
        platform = str(table.get("platform"))
        if id is not None:
            table["id"] = _normalized_id(platform, id)
        if connector is not None:
            table["connector"] = connector
        if name is not None:
            if name.strip():
                table["name"] = name.strip()
            elif "name" in table:
                del table["name"]
        if credentials is not None:
            if "credentials" in table:
                del table["credentials"]
            if credentials:
                table["credentials"] = _credentials_table(credentials)
    return load()


def remove_account(key: str) -> Config:
    """Remove one account (`platform:id`) from adops.toml; its warehouse rows are not touched here."""
    with _editing() as doc:
        table = _find(doc, key)
        accounts = doc["accounts"]
        accounts.remove(table)
        if not accounts:
            del doc["accounts"]
    return load()


@contextlib.contextmanager
def _editing() -> Iterator[TOMLDocument]:
    """Read adops.toml as a tomlkit document, let the caller change it, validate, then replace the file.

    One editor at a time (a lock beside the file); the new text is checked by the same validation as
    `load()` before it is written to a temporary file (0600) and renamed over adops.toml.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from adops.settings import read_text_of, validate

    path = home() / "adops.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(".adops.toml.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            before = read_text_of(path) if path.exists() else ""
            try:
                doc = tomlkit.parse(before)
            except TOMLKitError as exc:
                raise ConfigError(f"{path.name}: not valid TOML ({exc}); fix it before editing") from None
            yield doc
            after = tomlkit.dumps(doc)
            validate(tomlkit.parse(after).unwrap(), path.name)
            _write_private(path, after)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_private(path: Path, text: str) -> None:
    """Write atomically: a temporary file (mode 0600) in the same folder, fsynced, renamed over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".adops.toml.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _find(doc: TOMLDocument, key: str) -> Table:
    platform, _, raw_id = key.partition(":")
    try:
        wanted = _normalized_id(platform, raw_id)
    except ConfigError:
        wanted = raw_id
    for table in doc.get("accounts", []):
        if table.get("platform") == platform and str(table.get("id")) in (raw_id, wanted):
            return table  # type: ignore[no-any-return]
    raise NotFound(f"no account {key} in adops.toml")


def _normalized_id(platform: str, value: str) -> str:
    try:
        return normalize_account_id(platform, value)
    except InputError as exc:
        raise ConfigError(f"{platform} account id: {exc}") from None


def _account_table(a: AccountConfig) -> Table:
    import tomlkit

    table = tomlkit.table()
    table["platform"] = a.platform
    table["id"] = _normalized_id(a.platform, a.id) if a.platform in PLATFORMS else a.id
    table["connector"] = a.connector
    if a.name:
        table["name"] = a.name
    if a.credentials:
        table["credentials"] = _credentials_table(a.credentials)
    table.add(tomlkit.nl())  # a blank line before whatever table follows
    return table


def _credentials_table(credentials: dict[str, str]) -> Table:
    import tomlkit

    table = tomlkit.table()
    for k, v in credentials.items():
        table[k] = v
    return table
