"""Every command and every setting is documented."""

import re
from pathlib import Path

import typer

from adops import cli, config

DOCS = Path(__file__).resolve().parents[1] / "docs"


def command_paths(app: typer.Typer, prefix: str = "") -> list[str]:
    paths = [
        f"{prefix}{c.name or (c.callback.__name__ if c.callback else '')}".replace("_", "-")
        for c in app.registered_commands
    ]
    for group in app.registered_groups:
        if group.typer_instance is not None:  # a group without a name is merged: its commands are top-level
            name = group.name if isinstance(group.name, str) else ""
            paths += command_paths(group.typer_instance, f"{prefix}{name} " if name else prefix)
    return paths


def test_every_command_is_in_docs_cli() -> None:
    text = (DOCS / "cli.md").read_text()
    missing = [p for p in command_paths(cli.app) if f"adops {p}" not in text]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_every_setting_is_in_docs_configuration() -> None:
    """Every key of adops.toml (the typed model's fields, tables included) and every ADOPS_ variable."""
    from adops.settings import ENV_VARIABLES, Settings, _known_keys

    text = (DOCS / "configuration.md").read_text()
    keys = set(Settings.model_fields)
    for table in ("accounts", "lookback_days", "schedules", "notifications", "webhooks", "integrations"):
        keys |= set(_known_keys((table,)))
    for table in (
        ("notifications", "email"),
        ("notifications", "rules"),
        ("webhooks", "endpoints"),
        ("webhooks", "sources"),
        ("analysis", "fatigue"),
        ("analysis", "anomalies"),
    ):
        keys |= set(_known_keys(table))
    missing = [k for k in sorted(keys) if not re.search(rf"\b{k}\b", text)]
    assert not missing, f"docs/configuration.md does not document: {missing}"
    assert set(Settings.model_fields) <= {f.name for f in config.Config.__dataclass_fields__.values()}
    env = set(ENV_VARIABLES.values())
    assert env and all(name in text for name in env), env - {n for n in env if n in text}
