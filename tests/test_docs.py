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
        if group.typer_instance is not None:
            paths += command_paths(group.typer_instance, f"{prefix}{group.name} ")
    return paths


def test_every_command_is_in_docs_cli() -> None:
    text = (DOCS / "cli.md").read_text()
    missing = [p for p in command_paths(cli.app) if f"adops {p}" not in text]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_every_setting_is_in_docs_configuration() -> None:
    text = (DOCS / "configuration.md").read_text()
    settings = [f.name for f in config.Config.__dataclass_fields__.values()]
    file_keys = {
        "reporting_currency",
        "sandbox_seed",
        "accounts",
        "lookback_days",
        "max_parallel_accounts",
        "initial_history_days",
        "schedules",
        "notifications",
    }
    assert file_keys <= set(settings) | {"accounts"}
    missing = [k for k in sorted(file_keys) if not re.search(rf"\b{k}\b", text)]
    assert not missing, f"docs/configuration.md does not document: {missing}"
    env = set(re.findall(r'os\.environ\.get\("(ADOPS_[A-Z_]+)"', Path(config.__file__).read_text()))
    assert env and all(name in text for name in env), env - {n for n in env if n in text}
