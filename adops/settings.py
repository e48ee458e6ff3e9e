"""The typed model of the workspace settings: `adops.toml` plus the environment (pydantic-settings).

`Environment` is the one place the `ADOPS_*` variables of the workspace are read. `Settings` is the
file's schema: every table and key typed and strict (no float or bool where a whole number belongs),
unknown keys refused, bounds checked, cron expressions parsed when loaded, account ids checked in
each platform's own format. `read(path)` returns the validated `Settings` or raises `ConfigError`
with one line that names the key (`accounts[2].id: ...`) or the variable (`ADOPS_SANDBOX_SEED: ...`).

`adops.config` turns the result into the `Config` every module uses; this module is imported lazily,
so that commands which need no settings (`adops --help`) do not pay for pydantic.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from adops.errors import ConfigError, InputError
from adops.platforms import DEFAULT_LOOKBACK_DAYS, normalize_account_id

__all__ = ["ENV_VARIABLES", "Environment", "Settings", "environment", "read", "read_text_of", "validate"]

Platform = Literal["google_ads", "meta", "pinterest", "linkedin", "tiktok", "microsoft_ads"]
Severity = Literal["info", "warning", "critical"]
Channel = Literal["slack", "discord", "email"]

#: `"env:NAME"`: the value is read from the environment variable NAME when it is used.
ENV_REFERENCE = re.compile(r"env:[A-Za-z_][A-Za-z0-9_]{0,127}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_MEMORY = re.compile(r"(\d{1,7}(?:\.\d{1,3})?) ?([KMG]i?B)", re.IGNORECASE)

Text = Annotated[str, Field(min_length=1, max_length=500)]
Days = Annotated[int, Field(ge=0, le=365)]


class _Table(BaseModel):
    """A TOML table: strict types, unknown keys refused, immutable once loaded."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=False)


def _secret(value: str) -> str:
    """A secret is written `env:NAME` (recommended) or literally; an `env:` reference must name a variable."""
    if value.startswith("env:") and not ENV_REFERENCE.fullmatch(value):
        raise PydanticCustomError("env_reference", "'env:' must be followed by an environment variable name")
    return value


def _http_url(value: str) -> str:
    if value.startswith("env:"):
        return _secret(value)
    if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", value):
        raise PydanticCustomError("url", "expected an http(s) URL or env:NAME")
    return value


#: a credential or other secret: `env:NAME` (recommended) or the literal value
Secret = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_secret)]


class Account(_Table):
    """`[[accounts]]`: one platform account the sync reads."""

    platform: Platform
    id: Annotated[str, Field(min_length=1, max_length=200)]
    connector: Literal["api", "sandbox"] = "api"
    name: Annotated[str, Field(max_length=200)] | None = None
    credentials: dict[str, Secret] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        if platform is None:  # the platform itself was wrong: that error is reported
            return value
        try:
            return normalize_account_id(platform, value)
        except InputError as exc:
            raise PydanticCustomError("account_id", str(exc)) from None

    @field_validator("credentials")
    @classmethod
    def _credential_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not _KEY.fullmatch(key):
                raise PydanticCustomError("credential_name", "credential names are lower_case words")
        return value


class LookbackDays(_Table):
    """`[lookback_days]`: days re-read before the cursor per platform (conversions restate)."""

    google_ads: Days = DEFAULT_LOOKBACK_DAYS["google_ads"]
    meta: Days = DEFAULT_LOOKBACK_DAYS["meta"]
    pinterest: Days = DEFAULT_LOOKBACK_DAYS["pinterest"]
    linkedin: Days = DEFAULT_LOOKBACK_DAYS["linkedin"]
    tiktok: Days = DEFAULT_LOOKBACK_DAYS["tiktok"]
    microsoft_ads: Days = DEFAULT_LOOKBACK_DAYS["microsoft_ads"]


class Schedule(_Table):
    """`[[schedules]]`: when the sidecar syncs, as a 5-field cron expression (UTC); or, with
    `workflow`, when it starts that workflow (with a saved `preset`), e.g. a `scheduled-report`."""

    cron: Annotated[str, Field(max_length=200)] = "0 * * * *"
    platforms: list[Platform] = Field(default_factory=list)  # empty: every platform
    workflow: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")] | None = None
    preset: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    @model_validator(mode="after")
    def _workflow_and_preset(self) -> Schedule:
        if self.preset is not None and not self.workflow:
            raise PydanticCustomError("schedule", "preset needs workflow (the workflow it is a preset of)")
        if self.workflow and self.preset is None:
            raise PydanticCustomError(
                "schedule", "a workflow schedule names a preset (adops workflow save-preset)"
            )
        if self.workflow and self.platforms:
            raise PydanticCustomError(
                "schedule", "platforms belong to sync schedules; put them in the preset"
            )
        return self

    @field_validator("cron")
    @classmethod
    def _parses(cls, value: str) -> str:
        from datetime import UTC, datetime

        from croniter import croniter  # the parser DBOS's scheduler uses: what it accepts

        fields = value.split()
        if len(fields) != 5:
            raise PydanticCustomError(
                "cron", "expected 5 cron fields (minute hour day month weekday), got {n}", {"n": len(fields)}
            )
        try:  # a date that never comes (30 February) is refused too, not only a bad field
            croniter(value, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
        except (ValueError, KeyError) as exc:
            raise PydanticCustomError("cron", "{reason}", {"reason": str(exc)}) from None
        return value


class _Hook(_Table):
    """A chat channel's incoming-webhook URL: itself a secret (anyone holding it can post)."""

    webhook_url: Annotated[str, Field(max_length=2000)]

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


class Slack(_Hook):
    """`[notifications.slack]`"""


class Discord(_Hook):
    """`[notifications.discord]`"""


class Email(_Table):
    """`[notifications.email]`: an SMTP server."""

    host: Annotated[str, Field(min_length=1, max_length=255)]
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    starttls: bool = True
    sender: Annotated[str, Field(alias="from", min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
    to: Annotated[
        list[Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]], Field(min_length=1)
    ]
    username: Secret | None = None
    password: Secret | None = None
    #: a PEM file of the CA that signed the server's certificate (a private relay); default: the system's
    ca_file: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 30.0


class QuietHours(_Table):
    """`[notifications.quiet_hours]`: when messages below `min_severity` wait for the digest after."""

    start: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    end: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    min_severity: Severity = "critical"  # this and above are sent even in quiet hours

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise PydanticCustomError("timezone", "not an IANA time zone such as Europe/Berlin") from None
        return value


class RateLimit(_Table):
    """`[notifications.rate_limit]`: at most `messages` per channel in `per_minutes`; the rest go in a digest."""

    messages: Annotated[int, Field(ge=1, le=10_000)] = 20
    per_minutes: Annotated[int, Field(ge=1, le=1440)] = 60


class Rule(_Table):
    """`[[notifications.rules]]`: which events go to which channels."""

    events: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1)]
    min_severity: Severity = "info"
    channels: Annotated[list[Channel], Field(min_length=1)]


class Notifications(_Table):
    """`[notifications]`: the channels and the rules that route events to them."""

    slack: Slack | None = None
    discord: Discord | None = None
    email: Email | None = None
    rules: list[Rule] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    #: Jinja2 text per event type (or `default`, `digest`): the message body
    templates: dict[
        Annotated[str, Field(min_length=1, max_length=200)],
        Annotated[str, Field(min_length=1, max_length=4000)],
    ] = Field(default_factory=dict)

    @field_validator("templates")
    @classmethod
    def _templates_parse(cls, value: dict[str, str]) -> dict[str, str]:
        from jinja2 import TemplateSyntaxError
        from jinja2.sandbox import SandboxedEnvironment

        env = SandboxedEnvironment()
        for name, text in value.items():
            try:
                env.parse(text)
            except TemplateSyntaxError as exc:
                raise PydanticCustomError(
                    "template",
                    "template '{name}': {reason} (line {line})",
                    {"name": name, "reason": exc.message or "", "line": exc.lineno},
                ) from None
        return value


class Endpoint(_Table):
    """`[[webhooks.endpoints]]`: an outgoing, signed (Standard Webhooks) delivery target."""

    url: Annotated[str, Field(max_length=2000)]
    events: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1)]
    secret: Secret | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


def _trigger_check(check: Any, value: Any) -> Any:
    """Run an `adops.jobs.trigger_rules` check (imported when used); its ConfigError as this key's error."""
    try:
        return check(value)
    except ConfigError as exc:
        raise PydanticCustomError("webhook_rule", "{reason}", {"reason": str(exc)}) from None


def _payload_path(value: str) -> str:
    from adops.jobs import trigger_rules as triggers

    return str(_trigger_check(triggers.check_path, value))


def _match_value(value: Any) -> Any:
    if not isinstance(value, str | int | bool) or (isinstance(value, str) and len(value) > 500):
        raise PydanticCustomError(
            "match_value", "expected text (at most 500 characters), a whole number or true/false"
        )
    return value


PayloadPath = Annotated[str, Field(max_length=600), AfterValidator(_payload_path)]
MatchValue = Annotated[Any, AfterValidator(_match_value)]


class WebhookRule(_Table):
    """An entry of `events` in `[[webhooks.sources]]`: a payload that matches starts a job."""

    #: exact values at payload paths (top-level keys or dotted paths); empty: every delivery
    match: Annotated[dict[PayloadPath, MatchValue], Field(max_length=20)] = Field(default_factory=dict)
    job: Annotated[str, Field(min_length=1, max_length=100)]
    #: the job's params; a value "{{ path }}" takes the payload's value (the path listed in `fields`)
    params: dict[Annotated[str, Field(max_length=100)], Any] = Field(default_factory=dict)

    @field_validator("job")
    @classmethod
    def _kind(cls, value: str) -> str:
        from adops.jobs import trigger_rules as triggers

        return str(_trigger_check(triggers.check_kind, value))

    @field_validator("params")
    @classmethod
    def _params(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        from adops.jobs import trigger_rules as triggers

        kind = info.data.get("job")
        if kind is None:  # the kind itself was wrong: that error is reported
            return value
        return dict(_trigger_check(lambda v: triggers.check_params(kind, v), value))


class WebhookSource(_Table):
    """`[[webhooks.sources]]`: an incoming webhook source, its secret and the jobs its deliveries start."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")]
    #: `env:NAME` (or the literal whsec_ key); unset: ADOPS_WEBHOOK_SECRET_<NAME>, then ADOPS_WEBHOOK_SECRET
    secret: Secret | None = None
    #: the payload paths templates may read
    fields: Annotated[list[PayloadPath], Field(max_length=50)] = Field(default_factory=list)
    events: Annotated[list[WebhookRule], Field(max_length=50)] = Field(default_factory=list)

    @field_validator("events")
    @classmethod
    def _templates_read_listed_fields(
        cls, value: list[WebhookRule], info: ValidationInfo
    ) -> list[WebhookRule]:
        from adops.jobs import trigger_rules as triggers

        allowed = set(info.data.get("fields") or [])
        for i, rule in enumerate(value):
            for where, path in _trigger_check(lambda p: list(triggers.placeholders(p)), rule.params):
                if path not in allowed:
                    listed = ", ".join(sorted(allowed)) or "none"
                    raise PydanticCustomError(
                        "webhook_rule",
                        "rule {i}, params.{where}: '{path}' is not one of this source's fields (listed: {listed})",
                        {"i": i, "where": where, "path": path, "listed": listed},
                    )
        return value


class Webhooks(_Table):
    """`[webhooks]`: outgoing endpoints, the private hosts they may reach, and incoming sources."""

    endpoints: list[Endpoint] = Field(default_factory=list)
    allow_hosts: list[Annotated[str, Field(min_length=1, max_length=255)]] = Field(default_factory=list)
    sources: Annotated[list[WebhookSource], Field(max_length=100)] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, value: list[WebhookSource]) -> list[WebhookSource]:
        seen: dict[str, int] = {}
        for i, s in enumerate(value):
            if s.name in seen:
                raise PydanticCustomError(
                    "duplicate",
                    "[{i}] repeats the source '{name}' of [{first}]",
                    {"i": i, "name": s.name, "first": seen[s.name]},
                )
            seen[s.name] = i
        return value


class Asana(_Table):
    """`[integrations.asana]`: the Asana workspace that PRD plans are pushed to."""

    access_token: Secret | None = None
    refresh_token: Secret | None = None
    client_id: Secret | None = None
    client_secret: Secret | None = None
    workspace: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    project: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class Integrations(_Table):
    asana: Asana | None = None


class Fatigue(_Table):
    """`[analysis.fatigue]`: when a creative counts as worn out (adops.analytics.fatigue)."""

    #: days in the first and in the last window compared
    window_days: Annotated[int, Field(ge=1, le=90)] = 7
    #: the CTR drop (a share of the first window's CTR) at which an ad is fatigued
    min_drop: Annotated[float, Field(gt=0, lt=1)] = 0.20
    #: impressions each window needs before its CTR is trusted
    min_impressions: Annotated[int, Field(ge=0, le=10**12)] = 10_000
    #: days since its first impression (both ends counted) an ad needs before it is judged
    min_days: Annotated[int, Field(ge=1, le=3650)] = 7


class Anomalies(_Table):
    """`[analysis.anomalies]`: when a day is an anomaly (adops.analytics.anomalies, docs/anomalies.md)."""

    #: the robust z-score of the STL residual a day must reach (up to 6, where `warning` begins)
    z: Annotated[float, Field(gt=0, le=6)] = 4.0
    #: the factor against the same-weekday baseline: spike >= ratio, drop <= 1/ratio
    ratio: Annotated[float, Field(gt=1, le=20)] = 2.2
    #: weeks of the same-weekday baseline
    weeks: Annotated[int, Field(ge=1, le=52)] = 4
    #: the usual daily volume a series needs for outages and for its counts and ratios to be judged
    min_volume: Annotated[float, Field(gt=0, le=1e9)] = 15.0
    #: a day at or below this share of the usual volume is an outage
    outage_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.05


class Analysis(_Table):
    """`[analysis]`: the cross-platform analysis page's thresholds."""

    fatigue: Fatigue = Field(default_factory=Fatigue)
    anomalies: Anomalies = Field(default_factory=Anomalies)


class WorkflowSettings(_Table):
    """`[workflows.NAME]`: how one workflow may skip approval (adops.workflows.approval)."""

    #: approve automatically when every change is a budget or bid moving by at most this fraction
    #: (0.2 = 20%); unset: every run that changes a platform waits for a person
    auto_approve_max_change: Annotated[float, Field(gt=0, le=1)] | None = None
    #: ... and the run changes at most this many entities
    auto_approve_max_changes: Annotated[int, Field(ge=1, le=1000)] = 20
    #: a run waiting this long for approval is cancelled (nothing changed)
    approval_timeout_hours: Annotated[float, Field(gt=0, le=24 * 90)] = 72.0


class Environment(BaseSettings):
    """The `ADOPS_*` variables that shape the workspace, read here and nowhere else in this package."""

    model_config = SettingsConfigDict(env_prefix="ADOPS_", env_ignore_empty=True, extra="ignore", frozen=True)

    home: str = "data"
    reporting_currency: str | None = None
    sandbox_seed: int | None = None
    database_url: str = ""
    sidecar_url: str = "http://127.0.0.1:8765"
    warehouse_uri: str | None = None
    #: DuckDB's memory limit per process (overrides adops.toml's warehouse_memory_limit)
    warehouse_memory_limit: str | None = None
    #: the durable jobs' (DBOS) system database; default: beside the store (see adops.jobs.system)
    jobs_database_url: str = ""
    #: names this `adops serve` among several sharing one PostgreSQL store (adops.jobs.peers)
    worker_id: str = ""


#: each environment setting and the variable it is read from (for messages and docs)
ENV_VARIABLES = {name: f"ADOPS_{name.upper()}" for name in Environment.model_fields}


class _EnvironmentOverrides(PydanticBaseSettingsSource):
    """The environment variables that override a key of adops.toml (they win over the file)."""

    def __init__(self, settings_cls: type[BaseSettings], environment: Environment) -> None:
        super().__init__(settings_cls)
        self.environment = environment

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return getattr(self.environment, field_name, None), field_name, False

    def __call__(self) -> dict[str, Any]:
        overrides = {
            "reporting_currency": self.environment.reporting_currency,
            "sandbox_seed": self.environment.sandbox_seed,
            "warehouse_memory_limit": self.environment.warehouse_memory_limit,
        }
        return {k: v for k, v in overrides.items() if v is not None}


class Settings(BaseSettings):
    """adops.toml, typed. Environment variables override `reporting_currency` and `sandbox_seed`."""

    model_config = SettingsConfigDict(strict=True, extra="forbid", frozen=True)

    reporting_currency: str = "USD"
    sandbox_seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 7
    accounts: list[Account] = Field(default_factory=list)
    lookback_days: LookbackDays = Field(default_factory=LookbackDays)
    max_parallel_accounts: Annotated[int, Field(ge=1, le=32)] = 4
    initial_history_days: Annotated[int, Field(ge=1, le=3650)] = 90
    #: the one retry layer (each HTTP call to a platform): at most this many attempts within this many seconds
    retry_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    retry_seconds: Annotated[float, Field(gt=0, le=3600)] = 120.0
    #: seconds one async report (Meta, Pinterest, Microsoft) may take from creation to its last poll
    report_seconds: Annotated[float, Field(gt=0, le=21600)] = 900.0
    schedules: list[Schedule] = Field(default_factory=lambda: [Schedule()])
    notifications: Notifications = Field(default_factory=Notifications)
    webhooks: Webhooks = Field(default_factory=Webhooks)
    integrations: Integrations = Field(default_factory=Integrations)
    workflows: dict[str, WorkflowSettings] = Field(default_factory=dict)  # [workflows.NAME]
    analysis: Analysis = Field(default_factory=Analysis)
    #: DuckDB's memory limit in each process that reads the warehouse ("512MiB", "2GB"); spills beyond it
    warehouse_memory_limit: Annotated[str, Field(max_length=20)] = "1GiB"

    @field_validator("warehouse_memory_limit")
    @classmethod
    def _memory_limit(cls, value: str) -> str:
        match = _MEMORY.fullmatch(value.strip())
        if not match:
            raise PydanticCustomError("memory", "a size such as 512MiB or 2GB (KB, MB, GB, KiB, MiB, GiB)")
        binary = "i" in match[2].lower()
        unit = match[2][0].upper() + ("iB" if binary else "B")
        size = float(match[1]) * (1024 if binary else 1000) ** ("KMG".index(unit[0]) + 1)
        if size < 64 * 2**20:
            raise PydanticCustomError("memory", "at least 64MiB: DuckDB cannot read the warehouse in less")
        return f"{match[1]}{unit}"

    @field_validator("reporting_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not _CURRENCY.fullmatch(value):
            raise PydanticCustomError("currency", "not a 3-letter ISO 4217 code such as USD")
        return value

    @field_validator("accounts")
    @classmethod
    def _unique(cls, accounts: list[Account]) -> list[Account]:
        seen: dict[tuple[str, str], int] = {}
        for i, a in enumerate(accounts):
            if (a.platform, a.id) in seen:
                raise PydanticCustomError(
                    "duplicate",
                    "accounts[{i}] repeats accounts[{first}] ({key})",
                    {"i": i, "first": seen[(a.platform, a.id)], "key": f"{a.platform}:{a.id}"},
                )
            seen[(a.platform, a.id)] = i
        return accounts

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # the file's content arrives as init values; the environment's overrides come first and win
        return (_EnvironmentOverrides(settings_cls, environment()), init_settings)


def environment() -> Environment:
    """The workspace's environment variables, typed; ConfigError naming the variable when one is wrong."""
    try:
        return Environment()
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = ENV_VARIABLES.get(str(error["loc"][0]), str(error["loc"][0]))
        raise ConfigError(f"{name}: {_describe(error)}") from None


def read(path: Path) -> Settings:
    """adops.toml at `path` (absent: the defaults) plus the environment, validated."""
    return validate(_read_toml(path) if path.exists() else {}, path.name)


def validate(document: dict[str, Any], source: str = "adops.toml") -> Settings:
    """A parsed adops.toml document, validated; ConfigError naming the first wrong key."""
    try:
        return Settings(**document)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = (
            f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            if len(errors) > 1
            else ""
        )
        raise ConfigError(f"{_where(errors[0]['loc'])}: {_describe(errors[0])}{more}") from None
    except TypeError as exc:  # a key that is not a string cannot reach here from TOML; be safe anyway
        raise ConfigError(f"{source}: {exc}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text_of(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None


def read_text_of(path: Path) -> str:
    """The file's text; ConfigError naming the file when it cannot be read or is not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None


def _where(loc: tuple[int | str, ...]) -> str:
    """('accounts', 2, 'id') -> accounts[2].id"""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "adops.toml"


# what a person reads for pydantic's error types; the rest keep pydantic's own sentence
_PLAIN = {
    "int_type": "expected a whole number",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "string_type": 'expected text in quotes ("...")',
    "list_type": "expected a list ([...] or [[tables]])",
    "model_type": "expected a table",
    "dict_type": "expected a table",
    "extra_forbidden": "unknown setting",
    "missing": "missing (required)",
}


_BOUNDS = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be more than {gt}",
    "less_than": "must be less than {lt}",
}


def _describe(error: Any) -> str:
    kind, loc = error["type"], tuple(error["loc"])
    text = _PLAIN.get(kind, error["msg"])
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        return f"{text} (known: {', '.join(known)})" if known else text
    given = error.get("input")
    if kind in _PLAIN and kind != "missing" and _may_echo(loc, given):
        text += (
            f", got {given!r}" if not isinstance(given, dict | list) else f", got a {type(given).__name__}"
        )
    elif kind in _BOUNDS:
        text = _BOUNDS[kind].format(**error.get("ctx", {}))
        text += f", got {given!r}" if _may_echo(loc, given) else ""
    return text


def _may_echo(loc: tuple[int | str, ...], value: Any) -> bool:
    """Show the wrong value only where it cannot be a secret: never under credentials, channels, URLs."""
    if any(part in ("credentials", "notifications", "webhooks", "integrations") for part in loc):
        return isinstance(value, bool | int | float | list | dict)
    return not isinstance(value, str) or len(value) <= 60


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed in the table at `loc` (for an unknown key's message)."""
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _table_type(field.annotation) if field else None
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _table_type(annotation: Any) -> type[BaseModel] | None:
    stack = [annotation]
    while stack:
        t = stack.pop()
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
        stack.extend(get_args(t))
    return None
