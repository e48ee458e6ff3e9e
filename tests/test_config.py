from pathlib import Path

import pytest

from adops import config


def write(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(text)


def test_defaults_without_a_file(workspace: Path) -> None:
    cfg = config.load()
    assert cfg.home == workspace.resolve()
    assert cfg.reporting_currency == "USD"
    assert cfg.accounts == ()
    assert cfg.lookback_days["meta"] == 28
    assert cfg.schedules[0].cron == "0 * * * *"


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
    cfg = config.load()
    assert cfg.reporting_currency == "GBP"
    assert cfg.lookback_days["tiktok"] == 5
    assert cfg.accounts[0].credential("access_token") == "s3cr3t-value"
    shown = str(config.masked(cfg))
    assert "s3cr3t-value" not in shown
    assert "env:META_TOKEN (set)" in shown


def test_literal_secrets_are_masked(workspace: Path) -> None:
    write(
        workspace,
        """
[[accounts]]
platform = "google_ads"
id = "123"
[accounts.credentials]
developer_token = "literal-dev-token"
""",
    )
    assert "literal-dev-token" not in str(config.masked(config.load()))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("colour = 1", "colour"),
        ('reporting_currency = "dollars"', "reporting_currency"),
        ('[[accounts]]\nplatform = "myspace"\nid = "1"', "accounts[0].platform"),
        ('[[accounts]]\nplatform = "meta"', "accounts[0].id"),
        ('[[accounts]]\nplatform = "meta"\nid = "1"\nconnector = "ftp"', "accounts[0].connector"),
        (
            '[[accounts]]\nplatform = "meta"\nid = "1"\n[[accounts]]\nplatform = "meta"\nid = "1"',
            "accounts[1]",
        ),
        ('[lookback_days]\nmeta = "many"', "lookback_days.meta"),
        ('[[schedules]]\ncron = "hourly"', "schedules[0].cron"),
        ("max_parallel_accounts = 0", "max_parallel_accounts"),
        ("this is not toml", "adops.toml"),
    ],
)
def test_bad_settings_name_the_key(workspace: Path, text: str, key: str) -> None:
    write(workspace, text)
    with pytest.raises(config.ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        config.load()


def test_integrations_are_validated_and_masked(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(workspace, '[integrations.asana]\naccess_token = "env:ASANA_TOKEN"\nworkspace = "42"\n')
    monkeypatch.setenv("ASANA_TOKEN", "1/secret-pat")
    cfg = config.load()
    assert cfg.integrations["asana"]["workspace"] == "42"
    shown = config.masked(cfg)["integrations"]["asana"]
    assert shown == {"access_token": "env:ASANA_TOKEN (set)", "workspace": "42"}
    from adops.integrations import asana_client

    assert asana_client().access_token == "1/secret-pat"
    write(workspace, '[integrations.jira]\ntoken = "x"\n')
    with pytest.raises(config.ConfigError, match="integrations.jira"):
        config.load()
