"""Workspace configuration: `$ADOPS_HOME/adops.toml`, overridden by environment variables.

The file names platform accounts (credentials as `"env:NAME"` references), sync schedules, lookback
windows, the reporting currency and notification channels. `load()` validates it and raises
`ConfigError` naming the offending key; `masked()` renders it for people with secrets hidden.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLATFORMS = ("google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads")
#: How people name each platform (pages, the simulator's account names).
PLATFORM_NAMES = {
    "google_ads": "Google Ads",
    "meta": "Meta",
    "pinterest": "Pinterest",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "microsoft_ads": "Microsoft Ads",
}
CONNECTOR_KINDS = ("api", "sandbox")
INTEGRATIONS = ("asana",)

#: Days re-read before the sync cursor, because conversions restate after the click.
DEFAULT_LOOKBACK_DAYS = {
    "google_ads": 30,
    "meta": 28,
    "pinterest": 30,
    "linkedin": 30,
    "tiktok": 14,
    "microsoft_ads": 30,
}
SECRET_KEYS = re.compile(r"token|secret|password|key|credential|webhook|url", re.IGNORECASE)


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class AccountConfig:
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


@dataclass(frozen=True)
class SyncSchedule:
    cron: str = "0 * * * *"  # hourly, on the hour
    platforms: tuple[str, ...] = ()  # empty: all


@dataclass(frozen=True)
class Config:
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
    schedules: tuple[SyncSchedule, ...] = (SyncSchedule(),)
    notifications: dict[str, dict[str, str]] = field(default_factory=dict)
    #: project-work tools, e.g. integrations["asana"] = {"access_token": "env:ASANA_TOKEN", "workspace": "123"}
    integrations: dict[str, dict[str, str]] = field(default_factory=dict)
    database_url: str = ""
    sidecar_url: str = "http://127.0.0.1:8765"

    @property
    def warehouse_uri(self) -> str:
        return os.environ.get("ADOPS_WAREHOUSE_URI") or str(self.home / "warehouse")

    @property
    def config_path(self) -> Path:
        return self.home / "adops.toml"


def home() -> Path:
    """The workspace folder: `$ADOPS_HOME`, default `./data`."""
    return Path(os.environ.get("ADOPS_HOME") or "data").resolve()


def load(path: Path | None = None) -> Config:
    """Read and validate the workspace configuration; environment variables win over the file."""
    root = home()
    path = path or root / "adops.toml"
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
    return _parse(raw, root)


def _parse(raw: dict[str, Any], root: Path) -> Config:
    known = {
        "reporting_currency",
        "sandbox_seed",
        "accounts",
        "lookback_days",
        "max_parallel_accounts",
        "initial_history_days",
        "schedules",
        "notifications",
        "integrations",
        "retry_attempts",
        "retry_seconds",
    }
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown setting '{key}' (known: {', '.join(sorted(known))})")

    currency = str(os.environ.get("ADOPS_REPORTING_CURRENCY") or raw.get("reporting_currency", "USD"))
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"reporting_currency: '{currency}' is not a 3-letter ISO 4217 code such as USD")

    seed = _int(os.environ.get("ADOPS_SANDBOX_SEED") or raw.get("sandbox_seed", 7), "sandbox_seed")
    parallel = _int(raw.get("max_parallel_accounts", 4), "max_parallel_accounts", low=1)
    history = _int(raw.get("initial_history_days", 90), "initial_history_days", low=1)
    attempts = _int(raw.get("retry_attempts", 6), "retry_attempts", low=1)
    retry_seconds = float(_int(raw.get("retry_seconds", 120), "retry_seconds", low=1))

    lookback = dict(DEFAULT_LOOKBACK_DAYS)
    for platform, days in dict(raw.get("lookback_days", {})).items():
        if platform not in PLATFORMS:
            raise ConfigError(
                f"lookback_days.{platform}: unknown platform (use one of {', '.join(PLATFORMS)})"
            )
        lookback[platform] = _int(days, f"lookback_days.{platform}", low=0)

    accounts = []
    seen = set()
    for i, item in enumerate(raw.get("accounts", [])):
        where = f"accounts[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected a table with platform and id")
        platform = item.get("platform")
        if platform not in PLATFORMS:
            raise ConfigError(f"{where}.platform: '{platform}' is not one of {', '.join(PLATFORMS)}")
        if not item.get("id"):
            raise ConfigError(f"{where}.id: missing (the platform's own account id)")
        connector = item.get("connector", "api")
        if connector not in CONNECTOR_KINDS:
            raise ConfigError(f"{where}.connector: '{connector}' is not one of {', '.join(CONNECTOR_KINDS)}")
        creds = item.get("credentials", {})
        if not isinstance(creds, dict) or not all(isinstance(v, str) for v in creds.values()):
            raise ConfigError(f"{where}.credentials: expected a table of strings")
        account = AccountConfig(platform, str(item["id"]), connector, item.get("name"), dict(creds))
        if account.key in seen:
            raise ConfigError(f"{where}: account {account.key} is listed twice")
        seen.add(account.key)
        accounts.append(account)

    schedules = []
    for i, item in enumerate(raw.get("schedules", [{}])):
        cron = str(item.get("cron", "0 * * * *"))
        if len(cron.split()) != 5:
            raise ConfigError(f"schedules[{i}].cron: '{cron}' is not a 5-field cron expression")
        platforms = tuple(item.get("platforms", ()))
        for p in platforms:
            if p not in PLATFORMS:
                raise ConfigError(f"schedules[{i}].platforms: unknown platform '{p}'")
        schedules.append(SyncSchedule(cron, platforms))

    notifications = raw.get("notifications", {})
    if not isinstance(notifications, dict):
        raise ConfigError("notifications: expected a table of channels")

    integrations = raw.get("integrations", {})
    if not isinstance(integrations, dict):
        raise ConfigError("integrations: expected tables such as [integrations.asana]")
    for name, settings in integrations.items():
        if name not in INTEGRATIONS:
            raise ConfigError(f"integrations.{name}: unknown integration (known: {', '.join(INTEGRATIONS)})")
        if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
            raise ConfigError(f"integrations.{name}: expected a table of strings")

    return Config(
        home=root,
        reporting_currency=currency,
        sandbox_seed=seed,
        accounts=tuple(accounts),
        lookback_days=lookback,
        max_parallel_accounts=parallel,
        initial_history_days=history,
        retry_attempts=attempts,
        retry_seconds=retry_seconds,
        schedules=tuple(schedules),
        notifications={str(k): dict(v) for k, v in notifications.items()},
        integrations={str(k): dict(v) for k, v in integrations.items()},
        database_url=os.environ.get("ADOPS_DATABASE_URL", ""),
        sidecar_url=os.environ.get("ADOPS_SIDECAR_URL", "http://127.0.0.1:8765"),
    )


def _int(value: Any, key: str, low: int | None = None) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: '{value}' is not a whole number") from None
    if low is not None and number < low:
        raise ConfigError(f"{key}: must be at least {low}, got {number}")
    return number


def masked(config: Config) -> dict[str, Any]:
    """The configuration as plain data, secrets replaced by `***` (env references shown by name)."""

    def hide(key: str, value: str) -> str:
        if value.startswith("env:"):
            state = "set" if os.environ.get(value[4:]) else "unset"
            return f"{value} ({state})"
        return "***" if SECRET_KEYS.search(key) else value

    def settings(table: dict[str, str]) -> dict[str, str]:
        return {
            k: hide(k, v) if SECRET_KEYS.search(k) or v.startswith("env:") else v for k, v in table.items()
        }

    return {
        "home": str(config.home),
        "warehouse": config.warehouse_uri,
        "database": _mask_url(config.database_url) or str(config.home / "adops.sqlite"),
        "reporting_currency": config.reporting_currency,
        "sandbox_seed": config.sandbox_seed,
        "max_parallel_accounts": config.max_parallel_accounts,
        "initial_history_days": config.initial_history_days,
        "lookback_days": config.lookback_days,
        "schedules": [{"cron": s.cron, "platforms": list(s.platforms)} for s in config.schedules],
        "accounts": [
            {
                "platform": a.platform,
                "id": a.id,
                "connector": a.connector,
                "name": a.name,
                "credentials": {k: hide(k, v) for k, v in a.credentials.items()},
            }
            for a in config.accounts
        ],
        "notifications": {name: settings(ch) for name, ch in config.notifications.items()},
        "integrations": {name: settings(ch) for name, ch in config.integrations.items()},
    }


def _mask_url(url: str) -> str:
    return re.sub(r"://([^:/@]+):([^@]+)@", r"://\1:***@", url)


def add_accounts(accounts: list[AccountConfig]) -> Config:
    """Append accounts to adops.toml, keeping the file as it was if the result would not load."""
    path = home() / "adops.toml"
    before = path.read_text() if path.exists() else ""
    blocks = []
    for a in accounts:
        lines = [
            "",
            "[[accounts]]",
            f"platform = {_quote(a.platform)}",
            f"id = {_quote(a.id)}",
            f"connector = {_quote(a.connector)}",
        ]
        if a.name:
            lines.append(f"name = {_quote(a.name)}")
        if a.credentials:
            lines.append("[accounts.credentials]")
            lines += [f"{k} = {_quote(v)}" for k, v in a.credentials.items()]
        blocks.append("\n".join(lines) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(before + "".join(blocks))
    try:
        return load()
    except ConfigError:
        path.write_text(before)
        raise


def _quote(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(str(value))
