"""Connectors: one client per ad platform behind one protocol, plus the sandbox simulator.

`workspace_accounts()` lists the accounts a sync reads (the configured ones, or every sandbox
account when none are configured: the embedded default), and `connector_for()` gives the client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from adops.config import PLATFORMS, AccountConfig, Config
from adops.connectors.base import AccountInfo, CampaignTemplate, Connector
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    NotConfigured,
    PermissionDenied,
    RateLimited,
    TransientError,
)

#: Real API clients register here by platform: factory(account config) -> Connector.
API_CLIENTS: dict[str, Callable[[AccountConfig], Connector]] = {}


def workspace_accounts(cfg: Config, platforms: Iterable[str] = ()) -> list[AccountConfig]:
    """The accounts to sync, optionally only those of some platforms."""
    from adops.connectors.sandbox import load_world

    wanted = set(platforms) or set(PLATFORMS)
    accounts = list(cfg.accounts) or [
        AccountConfig(a.platform, a.id, "sandbox", a.name) for a in load_world().accounts
    ]
    return [a for a in accounts if a.platform in wanted]


def connector_for(account: AccountConfig) -> Connector:
    """The client that reads and writes this account."""
    if account.connector == "sandbox":
        from adops.connectors.sandbox import SandboxConnector

        return SandboxConnector(account.platform)
    factory = API_CLIENTS.get(account.platform)
    if factory is None:
        raise NotConfigured(
            f"no API client for {account.platform} in this build; "
            f'set connector = "sandbox" for {account.key} to use the simulator'
        )
    return factory(account)


__all__ = [
    "API_CLIENTS",
    "AccountInfo",
    "AuthError",
    "BadRequest",
    "CampaignTemplate",
    "Connector",
    "ConnectorError",
    "NotConfigured",
    "PermissionDenied",
    "RateLimited",
    "TransientError",
    "connector_for",
    "workspace_accounts",
]
