"""Integrations with the tools a team works in (task trackers), outside the ad-platform connectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adops import config

if TYPE_CHECKING:
    from adops.integrations.asana import AsanaClient


def asana_client() -> AsanaClient:
    """The Asana client configured in `[integrations.asana]` of adops.toml."""
    from adops.connectors.errors import NotConfigured  # lazily: the connectors load pandas
    from adops.integrations.asana import AsanaClient

    settings = config.load().integrations.get("asana")
    if not settings:
        raise NotConfigured(
            "Asana is not configured: add [integrations.asana] with access_token to adops.toml"
        )
    credentials = {
        k: v
        for k, v in settings.items()
        if k in ("access_token", "refresh_token", "client_id", "client_secret")
    }
    return AsanaClient(credentials)
