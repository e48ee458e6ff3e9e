"""What the app asks of the sidecar over HTTP (it never imports the sidecar's process state)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import httpx

from adops import config
from adops.sidecar import auth


def health(timeout: float = 0.5) -> dict[str, Any] | None:
    """The sidecar's /health document, or None when it does not answer."""
    try:
        response = httpx.get(f"{config.load().sidecar_url}/health", timeout=timeout)
        return dict(response.json())
    except (httpx.HTTPError, ValueError):
        return None


def events_url(
    types: Iterable[str] = (), since: int | None = None, ttl_s: int = auth.EVENTS_TOKEN_TTL_S
) -> str:
    """The URL a browser's EventSource opens for the live feed.

    With ADOPS_API_TOKEN set it carries a token valid `ttl_s` seconds (needed when the sidecar
    listens beyond loopback; the browser cannot send the API token itself, and must never see
    it). `types`: exact event types, or prefixes ending in `*`; `since`: replay after that id.
    """
    query: dict[str, str] = {}
    if types:
        query["types"] = ",".join(types)
    if since is not None:
        query["since"] = str(since)
    if auth.api_token():
        query["token"] = auth.mint_events_token(ttl_s)
    base = f"{config.load().sidecar_url.rstrip('/')}/events"
    return f"{base}?{urlencode(query)}" if query else base
