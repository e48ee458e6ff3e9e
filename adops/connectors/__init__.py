"""Connectors: one client per ad platform behind one protocol, plus the sandbox simulator.

`workspace_accounts()` lists the accounts a sync reads (the configured ones, or every sandbox
account when none are configured: the embedded default), and `connector_for()` gives the client.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from adops.config import PLATFORMS, AccountConfig, Config
from adops.connectors.base import AccountInfo, CampaignTemplate, Connector
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    NotConfigured,
    PermissionDenied,
    RateLimited,
    ReportFailed,
    TransientError,
)

#: The module of each platform's real client; it exposes `connector(account) -> Connector`.
API_MODULES = {
    "google_ads": "adops.connectors.google_ads",
    "meta": "adops.connectors.meta",
    "pinterest": "adops.connectors.pinterest",
    "linkedin": "adops.connectors.linkedin",
    "tiktok": "adops.connectors.tiktok",
    "microsoft_ads": "adops.connectors.microsoft_ads",
}


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
    name = API_MODULES[account.platform]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise NotConfigured(
            f"no API client for {account.platform} in this build; "
            f'set connector = "sandbox" for {account.key} to use the simulator'
        ) from None
    return module.connector(account)  # type: ignore[no-any-return]


__all__ = [
    "API_MODULES",
    "AccountInfo",
    "AuthError",
    "BadRequest",
    "CampaignTemplate",
    "Connector",
    "ConnectorError",
    "NotConfigured",
    "PermissionDenied",
    "RateLimited",
    "ReportFailed",
    "TransientError",
    "connector_for",
    "workspace_accounts",
]
