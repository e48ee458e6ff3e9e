"""adops.toml plus the environment: typed loading, one-line errors naming the key, masking, tomlkit edits."""

import stat
from pathlib import Path

import pytest

from adops import config
from adops.errors import AdopsError, ConfigError, InputError, NotFound


def write(home: Path, text: str | bytes) -> None:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "adops.toml"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)


def test_defaults_without_a_file(workspace: Path) -> None:
    cfg = config.load()
    assert cfg.home == workspace.resolve()
    assert cfg.reporting_currency == "USD"
    assert cfg.accounts == ()
    assert cfg.lookback_days["meta"] == 28
    assert cfg.schedules[0].cron == "0 * * * *"
    assert cfg.warehouse_uri == str(workspace.resolve() / "warehouse")
    assert cfg.config_path == workspace.resolve() / "adops.toml"
    assert cfg.notifications is not None and cfg.notifications.rules == []
    assert cfg.webhooks is not None and cfg.webhooks.endpoints == []


def test_config_error_is_the_domain_kind() -> None:
    assert config.ConfigError is ConfigError
    assert issubclass(ConfigError, AdopsError) and ConfigError.exit_code == 2


def test_accounts_credentials_and_env_override(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        workspace,
        """
reporting_currency = "EUR"
[lookback_days]
tiktok = 5
[[accounts]]
platform = "meta"
id = "act_1"
[accounts.credentials]
access_token = "env:META_TOKEN"
""",
    )
    monkeypatch.setenv("META_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("ADOPS_REPORTING_CURRENCY", "GBP")
    monkeypatch.setenv("ADOPS_SANDBOX_SEED", "11")
    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", "s3://bucket/wh")
    cfg = config.load()
    assert (
        cfg.reporting_currency == "GBP" and cfg.sandbox_seed == 11 and cfg.warehouse_uri == "s3://bucket/wh"
    )
    assert cfg.lookback_days["tiktok"] == 5 and cfg.lookback_days["meta"] == 28
    assert cfg.accounts[0].credential("access_token") == "s3cr3t-value"
    shown = str(config.masked(cfg))
    assert "s3cr3t-value" not in shown
    assert "env:META_TOKEN (set)" in shown


@pytest.mark.parametrize(
    ("variable", "value"),
    [("ADOPS_SANDBOX_SEED", "1.9"), ("ADOPS_SANDBOX_SEED", "many"), ("ADOPS_REPORTING_CURRENCY", "usd")],
)
def test_a_bad_environment_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable if variable != "ADOPS_REPORTING_CURRENCY" else "currency"):
        config.load()


# Probe §3a: every bad adops.toml the probe tried, and the ones the issue names, each with the key it must name.
BAD_SETTINGS = [
    ("colour = 1", "colour: unknown setting"),
    ('reporting_currency = "dollars"', "reporting_currency:"),
    ('reporting_currency = "usd"', "reporting_currency:"),
    ('[[accounts]]\nplatform = "myspace"\nid = "1"', "accounts[0].platform:"),
    ('[[accounts]]\nplatform = "meta"', "accounts[0].id: missing"),
    ('[[accounts]]\nplatform = "meta"\nid = "1"\nconnector = "ftp"', "accounts[0].connector:"),
    (
        '[[accounts]]\nplatform = "meta"\nid = "act_1"\n[[accounts]]\nplatform = "meta"\nid = "act_1"',
        "accounts[1] repeats accounts[0]",
    ),
    ('[[accounts]]\nplatform = "meta"\nid = "act_1"\ntokn = "x"', "accounts[0].tokn: unknown setting"),
    ('[[accounts]]\nplatform = "meta"\nid = 12', "accounts[0].id: expected text"),
    (
        '[[accounts]]\nplatform = "meta"\nid = "act_1"\n[accounts.credentials]\naccess_token = 5',
        "access_token",
    ),
    ('[[accounts]]\nplatform = "meta"\nid = "act_1"\n[accounts.credentials]\nx = "env:"', "credentials.x"),
    ('accounts = "meta"', "accounts: expected a list"),
    ("lookback_days = 5", "lookback_days: expected a table"),
    ('[lookback_days]\nmeta = "many"', "lookback_days.meta: expected a whole number"),
    ("[lookback_days]\nmeta = -5", "lookback_days.meta: must be at least 0"),
    ("[lookback_days]\nmeta = 7.5", "lookback_days.meta: expected a whole number"),
    ("[lookback_days]\nmyspace = 3", "lookback_days.myspace: unknown setting"),
    ('schedules = "hourly"', "schedules: expected a list"),
    ('[[schedules]]\ncron = "hourly"', "schedules[0].cron: expected 5 cron fields"),
    ('[[schedules]]\ncron = "61 * * * *"', "schedules[0].cron:"),
    ('[[schedules]]\ncron = "0 25 * * *"', "schedules[0].cron:"),
    ('[[schedules]]\nplatforms = "meta"', "schedules[0].platforms: expected a list"),
    ('[[schedules]]\nplatforms = ["myspace"]', "schedules[0].platforms[0]:"),
    ("max_parallel_accounts = 0", "max_parallel_accounts: must be at least 1"),
    ('max_parallel_accounts = "four"', "max_parallel_accounts: expected a whole number"),
    ("max_parallel_accounts = 100000", "max_parallel_accounts: must be at most 32"),
    ("sandbox_seed = 1.9", "sandbox_seed: expected a whole number"),
    ("initial_history_days = true", "initial_history_days: expected a whole number"),
    ("retry_attempts = 0", "retry_attempts: must be at least 1"),
    ('notifications = "x"', "notifications: expected a table"),
    ("[notifications.slack]\nwebhook_url = 5", "notifications.slack.webhook_url: expected text"),
    ('[notifications.slack]\nwebhook_url = "not a url"', "notifications.slack.webhook_url:"),
    (
        '[notifications.email]\nhost = "h"\nfrom = "a@b.c"\nto = ["x@y.z"]\nport = 70000',
        "notifications.email.port",
    ),
    ('[notifications.email]\nhost = "h"\nto = ["x@y.z"]', "notifications.email.from: missing"),
    ('[[notifications.rules]]\nevents = ["a"]\nchannels = ["sms"]', "notifications.rules[0].channels[0]:"),
    ('[[notifications.rules]]\nevents = ["a"]\nchannels = ["slack"]\nmin_severity = "loud"', "min_severity"),
    ('[[webhooks.endpoints]]\nurl = "ftp://x"\nevents = ["*"]', "webhooks.endpoints[0].url:"),
    ('[[webhooks.endpoints]]\nurl = "https://x.example"\nevents = []', "webhooks.endpoints[0].events:"),
    ("[webhooks]\nallow_hosts = 1", "webhooks.allow_hosts: expected a list"),
    ('[integrations.jira]\ntoken = "x"', "integrations.jira: unknown setting"),
    ('[integrations.asana]\ntoken = "x"', "integrations.asana.token: unknown setting"),
    ("this is not toml", "adops.toml: not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SETTINGS, ids=[m for _, m in BAD_SETTINGS])
def test_bad_settings_name_the_key(workspace: Path, text: str, message: str) -> None:
    write(workspace, text)
    with pytest.raises(ConfigError) as caught:
        config.load()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_utf8_is_named(workspace: Path) -> None:
    write(workspace, b'reporting_currency = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match=r"adops\.toml: not UTF-8 text \(byte 0xff"):
        config.load()


@pytest.mark.parametrize(
    ("platform", "given", "stored"),
    [
        ("google_ads", "123-456-7890", "1234567890"),
        ("google_ads", "1234567890", "1234567890"),
        ("meta", "act_100000000000001", "act_100000000000001"),
        ("meta", "100000000000001", "act_100000000000001"),
        ("linkedin", "urn:li:sponsoredAccount:508000001", "508000001"),
        ("linkedin", "508000001", "508000001"),
        ("tiktok", "7100000000000000001", "7100000000000000001"),
        ("pinterest", "549755885175", "549755885175"),
        ("microsoft_ads", "180000123", "180000123"),
    ],
)
def test_account_ids_in_each_platforms_format(
    workspace: Path, platform: str, given: str, stored: str
) -> None:
    write(workspace, f'[[accounts]]\nplatform = "{platform}"\nid = "{given}"\n')
    assert config.load().accounts[0].id == stored


@pytest.mark.parametrize(
    ("platform", "given"),
    [
        ("google_ads", "'; DROP TABLE accounts; -- <b>x</b>"),
        ("google_ads", "123"),
        ("google_ads", "12345678901"),
        ("meta", "act_"),
        ("meta", "act_12x"),
        ("linkedin", "urn:li:organization:1"),
        ("tiktok", "-1"),
        ("pinterest", "1" * 21),
        ("microsoft_ads", "F108XYZ"),
        ("meta", "act_1\nplatform"),
    ],
)
def test_hostile_or_wrong_account_ids_are_refused(workspace: Path, platform: str, given: str) -> None:
    import tomlkit

    doc = tomlkit.document()
    doc.append("accounts", tomlkit.aot())
    doc["accounts"].append({"platform": platform, "id": given})
    write(workspace, tomlkit.dumps(doc))
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.id: .* account id: expected") as caught:
        config.load()
    assert "<b>" not in str(caught.value) and "DROP" not in str(caught.value)
    with pytest.raises(InputError):
        config.normalize_account_id(platform, given)


# ---------------------------------------------------------------------------- masking

SECRETS = {
    "access_token": "tok-111-literal",
    "pass": "pw-222-literal",
    "pwd": "pw-333-literal",
    "auth": "auth-444-literal",
    "pat": "pat-555-literal",
    "signing": "sig-666-literal",
    "environment": "tenant-777-literal",
}


def test_config_show_masks_every_secret_form(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = "\n".join(f'{k} = "{v}"' for k, v in SECRETS.items())
    write(
        workspace,
        f"""
[[accounts]]
platform = "meta"
id = "act_1"
[accounts.credentials]
{credentials}
refresh_token = "env:META_REFRESH"
client_secret = "env:NOT_SET_ANYWHERE"

[notifications.slack]
webhook_url = "https://hooks.slack.com/services/T000/B000/slack-888-secret"
[notifications.discord]
webhook_url = "https://discord.com/api/webhooks/1/discord-999-secret"
[notifications.email]
host = "smtp.example.com"
from = "adops@example.com"
to = ["team@example.com"]
username = "smtp-user-101"
password = "smtp-pw-202"

[[webhooks.endpoints]]
url = "https://example.com/hooks/path-token-303?key=query-404"
events = ["*"]
secret = "whsec_c2VjcmV0LTUwNQ=="

[integrations.asana]
access_token = "1/asana-606-pat"
workspace = "42"
""",
    )
    monkeypatch.setenv("META_REFRESH", "refresh-707-from-env")
    monkeypatch.setenv(
        "ADOPS_DATABASE_URL", "postgresql://ops:db-pw-808@db.local:5432/adops?password=q-909&sslmode=require"
    )
    shown = config.masked(config.load())
    text = str(shown)
    leaked = [
        s
        for s in [
            *SECRETS.values(),
            "refresh-707-from-env",
            "slack-888-secret",
            "discord-999-secret",
            "smtp-user-101",
            "smtp-pw-202",
            "path-token-303",
            "query-404",
            "c2VjcmV0LTUwNQ",
            "asana-606-pat",
            "db-pw-808",
            "q-909",
        ]
        if s in text
    ]
    assert leaked == []
    creds = shown["accounts"][0]["credentials"]
    assert creds["refresh_token"] == "env:META_REFRESH (set)"
    assert creds["client_secret"] == "env:NOT_SET_ANYWHERE (unset)"
    assert creds["pass"] == "***"
    # what is not secret is still shown, so the output stays useful
    assert shown["notifications"]["email"]["host"] == "smtp.example.com"
    assert shown["notifications"]["email"]["to"] == ["team@example.com"]
    assert shown["webhooks"]["endpoints"][0]["url"] == "https://example.com/***"
    assert shown["integrations"]["asana"]["workspace"] == "42"
    assert shown["database"] == "postgresql://ops:***@db.local:5432/adops?password=***&sslmode=require"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", ""),
        ("/srv/wh", "/srv/wh"),
        ("postgresql://u:p@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db?password=x", "postgresql://u@h/db?password=***"),
        (
            "postgresql://h/db?PASSWORD=x&sslmode=verify-full",
            "postgresql://h/db?PASSWORD=***&sslmode=verify-full",
        ),
        ("s3://bucket/wh?aws_secret_access_key=abc", "s3://bucket/wh?aws_secret_access_key=***"),
        ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),
    ],
)
def test_mask_url(url: str, expected: str) -> None:
    assert config.mask_url(url) == expected


def test_missing_env_credential_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    account = config.AccountConfig("meta", "act_1", credentials={"access_token": "env:NOPE_NOT_SET"})
    assert account.credential("access_token") is None
    assert account.missing("access_token") == "access_token (environment variable NOPE_NOT_SET is not set)"
    assert "not in [accounts.credentials]" in account.missing("client_id")


def test_integrations_are_validated_and_masked(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(workspace, '[integrations.asana]\naccess_token = "env:ASANA_TOKEN"\nworkspace = "42"\n')
    monkeypatch.setenv("ASANA_TOKEN", "1/secret-pat")
    cfg = config.load()
    assert cfg.integrations["asana"] == {"access_token": "env:ASANA_TOKEN", "workspace": "42"}
    shown = config.masked(cfg)["integrations"]["asana"]
    assert shown == {"access_token": "env:ASANA_TOKEN (set)", "workspace": "42"}
    from adops.integrations import asana_client

    assert asana_client().access_token == "1/secret-pat"


def test_notifications_and_webhooks_are_typed(workspace: Path) -> None:
    write(
        workspace,
        """
[[webhooks.endpoints]]
url = "https://example.com/hooks/adops"
events = ["anomaly.detected", "sync.failed"]
secret = "env:ADOPS_OUT_SECRET"
[webhooks]
allow_hosts = ["10.0.0.5"]

[[notifications.rules]]
events = ["anomaly.detected"]
min_severity = "warning"
channels = ["slack", "email"]
[notifications.slack]
webhook_url = "env:SLACK_WEBHOOK_URL"
[notifications.email]
host = "smtp.example.com"
port = 587
starttls = true
from = "adops@example.com"
to = ["team@example.com"]
username = "env:SMTP_USER"
password = "env:SMTP_PASSWORD"
""",
    )
    cfg = config.load()
    assert cfg.webhooks is not None and cfg.notifications is not None
    assert cfg.webhooks.endpoints[0].events == ["anomaly.detected", "sync.failed"]
    assert cfg.webhooks.allow_hosts == ["10.0.0.5"]
    assert cfg.notifications.rules[0].min_severity == "warning"
    assert cfg.notifications.email is not None and cfg.notifications.email.sender == "adops@example.com"
    assert cfg.notifications.email.port == 587 and cfg.notifications.discord is None


# ---------------------------------------------------------------------------- editing the file

COMMENTED = """# my workspace: keep this line
reporting_currency = "EUR"  # we report in euros

[[accounts]]
# the main Meta account
platform = "meta"
id = "act_1"
[accounts.credentials]
access_token = "env:META_TOKEN"  # set in the shell

[lookback_days]
meta = 7  # short window on purpose
"""


def test_add_update_remove_keep_comments_and_order(workspace: Path) -> None:
    write(workspace, COMMENTED)
    cfg = config.add_accounts(
        [config.AccountConfig("google_ads", "123-456-7890", "api", "Search", {"developer_token": "env:GT"})]
    )
    assert [a.key for a in cfg.accounts] == ["meta:act_1", "google_ads:1234567890"]
    text = (workspace / "adops.toml").read_text()
    for line in COMMENTED.splitlines():
        assert line in text
    assert text.index("act_1") < text.index("1234567890")  # appended after the existing account

    cfg = config.update_account(
        "google_ads:123-456-7890", name="Brand search", credentials={"access_token": "env:GA"}
    )
    account = cfg.accounts[1]
    assert account.name == "Brand search" and account.credentials == {"access_token": "env:GA"}
    cfg = config.update_account("meta:act_1", id="2", name="")
    assert cfg.accounts[0].key == "meta:act_2" and cfg.accounts[0].name is None

    cfg = config.remove_account("google_ads:1234567890")
    assert [a.key for a in cfg.accounts] == ["meta:act_2"]
    text = (workspace / "adops.toml").read_text()
    assert (
        "# the main Meta account" in text and "# short window on purpose" in text and "1234567890" not in text
    )
    assert stat.S_IMODE((workspace / "adops.toml").stat().st_mode) == 0o600
    assert sorted(p.name for p in workspace.iterdir()) == [
        ".adops.toml.lock",
        "adops.toml",
    ]  # no temp file left


def test_an_edit_that_would_not_load_leaves_the_file_as_it_was(workspace: Path) -> None:
    write(workspace, COMMENTED)
    before = (workspace / "adops.toml").read_bytes()
    with pytest.raises(ConfigError, match="account id"):
        config.add_accounts([config.AccountConfig("google_ads", "'; DROP TABLE accounts; -- <b>x</b>")])
    with pytest.raises(ConfigError, match=r"accounts\[1\] repeats accounts\[0\]"):
        config.add_accounts([config.AccountConfig("meta", "1")])  # act_1 again, written without act_
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.connector"):
        config.update_account("meta:act_1", connector="ftp")
    with pytest.raises(ConfigError, match="credentials.token"):
        config.update_account("meta:act_1", credentials={"token": "env:"})
    with pytest.raises(NotFound, match="meta:act_9"):
        config.remove_account("meta:act_9")
    assert (workspace / "adops.toml").read_bytes() == before


def test_add_accounts_to_a_new_workspace(workspace: Path) -> None:
    cfg = config.add_accounts([config.AccountConfig("tiktok", "7100000000000000001", "sandbox")])
    assert cfg.accounts[0].key == "tiktok:7100000000000000001"
    assert stat.S_IMODE((workspace / "adops.toml").stat().st_mode) == 0o600


def test_editing_a_broken_file_is_refused(workspace: Path) -> None:
    write(workspace, "this is [not toml\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.add_accounts([config.AccountConfig("tiktok", "1")])
    assert (workspace / "adops.toml").read_text() == "this is [not toml\n"
